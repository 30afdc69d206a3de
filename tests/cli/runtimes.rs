//! The Colima and Podman runtimes, against their fakes. The fakes' sockets forward to the
//! real engine, so "running" is a real Docker API answering on the path berth chose.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::harness::{self, Output, TestProject, fakes_dir};

/// 3 CPUs, 1.5 GiB of memory, 12 GiB of disk; the instance is `demo`.
const SETTINGS: &str = "[tool.berth]\ncpus = 3\nmemory = \"1536MiB\"\ndisk = \"12GiB\"\n";

/// Kills, when dropped, every forwarder a fake recorded under the test's temp dir, so no
/// test leaves a process behind, whatever it asserted.
struct Forwarders(PathBuf);

impl Drop for Forwarders {
    fn drop(&mut self) {
        for pid_file in files_named(&self.0, |name| name.ends_with(".pid")) {
            let Some(pid) = std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|s| s.trim().parse::<u32>().ok())
            else {
                continue;
            };
            // Only a forwarder: a recycled pid must not be killed.
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).contains("fakeforward") {
                crate::harness::signal(pid, "TERM");
            }
        }
    }
}

fn files_named(dir: &Path, wanted: impl Fn(&str) -> bool + Copy) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            found.extend(files_named(&path, wanted));
        } else if entry.file_name().to_str().is_some_and(wanted) {
            found.push(path);
        }
    }
    found
}

/// A project with `fake` first on PATH and a guard for the forwarders it will start.
fn project_with(fake: &str) -> (TestProject, Forwarders) {
    let p = TestProject::with_tasks(SETTINGS);
    p.install_fake(fake);
    std::fs::create_dir_all(p.base().join("tmp")).expect("tmp dir");
    let guard = Forwarders(p.base().to_path_buf());
    (p, guard)
}

/// `berth ARGS` with the test's own TMPDIR, where the podman fake puts its sockets.
fn berth(p: &TestProject, args: &[&str]) -> Output {
    p.berth(args).env("TMPDIR", p.base().join("tmp")).run()
}

fn status_json(p: &TestProject, runtime: &str, code: i32) -> serde_json::Value {
    let out = berth(p, &["--runtime", runtime, "container", "status", "--json"]);
    out.code(code);
    out.json()
}

/// What the real engine answers through `socket` (a `unix://` URL).
fn engine_version_through(host: &str) -> String {
    let out = Command::new("docker")
        .args(["-H", host, "version", "--format", "{{.Server.Version}}"])
        .env_remove("DOCKER_CONTEXT")
        .output()
        .expect("run docker");
    assert!(
        out.status.success(),
        "docker -H {host} version failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn host_engine_version() -> String {
    engine_version_through("unix:///var/run/docker.sock")
}

// --- Colima ---

#[test]
fn colima_lifecycle_stays_inside_the_project() {
    if !harness::docker_available() {
        return;
    }
    let (p, _forwarders) = project_with("colima");
    let elsewhere = p.base().join("user-lima-home");
    let out = p
        .berth(["--runtime", "colima", "container", "init"])
        .env("LIMA_HOME", &elsewhere)
        .run();
    out.success();

    let calls = p.fake_calls();
    let root = p.root.display();
    assert_eq!(
        calls,
        [format!(
            "colima start --profile berth-demo -c 3 --memory 1.5 --disk 12 \
             --mount {root}:w --activate=false --ssh-config=false"
        )]
    );
    // COLIMA_HOME was the project's, the caller's LIMA_HOME was not passed on.
    let colima_home = p.path(".pixi/colima");
    assert!(colima_home.join("berth-demo/colima.yaml").is_file());
    assert!(colima_home.join("_lima/colima-berth-demo/ha.pid").is_file());
    assert!(!elsewhere.exists(), "colima used the caller's LIMA_HOME");
    // The context went to the project's DOCKER_CONFIG, and was not made current.
    let docker_config = p.path(".pixi/docker");
    let contexts = files_named(&docker_config.join("contexts"), |n| n == "meta.json");
    assert_eq!(contexts.len(), 1, "one docker context in .pixi/docker");
    assert!(
        std::fs::read_to_string(&contexts[0])
            .unwrap()
            .contains("\"colima-berth-demo\"")
    );
    let config = std::fs::read_to_string(docker_config.join("config.json")).unwrap_or_default();
    assert!(
        !config.contains("currentContext"),
        "context activated: {config}"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&docker_config)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    for global in [".docker", ".colima", ".ssh"] {
        assert!(!p.home.join(global).exists(), "~/{global} was created");
    }

    // Running: status and a second init decide by a ping, without running colima.
    let socket = colima_home.join("berth-demo/docker.sock");
    let status = status_json(&p, "colima", 0);
    assert_eq!(status["state"], "running");
    assert_eq!(status["instance"], "berth-demo");
    // The size `colima list` reports: the profile's Lima instance config.
    assert_eq!(
        (&status["cpus"], &status["memory"], &status["disk"]),
        (&3.into(), &"1.5GiB".into(), &"12GiB".into())
    );
    assert_eq!(
        status["docker_host"],
        format!("unix://{}", socket.display())
    );
    berth(&p, &["--runtime", "colima", "container", "init"])
        .success()
        .stderr_has("colima profile berth-demo is running; nothing to do");
    assert_eq!(p.fake_calls().len(), 1, "a running profile spawned colima");

    // The socket berth reports is answered by the real engine.
    assert_eq!(
        engine_version_through(status["docker_host"].as_str().unwrap()),
        host_engine_version()
    );

    berth(&p, &["--runtime", "colima", "container", "stop"]).success();
    assert!(
        p.fake_calls()
            .contains(&"colima stop --profile berth-demo".to_string())
    );
    assert!(!colima_home.join("_lima/colima-berth-demo/ha.pid").exists());
    assert!(
        files_named(&docker_config.join("contexts"), |n| n == "meta.json").is_empty(),
        "stop leaves the context behind"
    );
    let status = status_json(&p, "colima", 3);
    assert_eq!(status["state"], "stopped");
    assert_eq!(status["docker_host"], serde_json::Value::Null);
    assert_eq!(status["cpus"], 3);

    berth(&p, &["--runtime", "colima", "container", "delete"]).success();
    assert!(
        p.fake_calls()
            .contains(&"colima delete --profile berth-demo --force --data".to_string())
    );
    assert!(!colima_home.join("berth-demo").exists());
    let status = status_json(&p, "colima", 3);
    assert_eq!(status["state"], "absent");
    assert_eq!(status["cpus"], serde_json::Value::Null);
    assert!(!p.home.join(".docker").exists());
}

#[test]
fn colima_status_of_a_new_project_is_absent_and_creates_nothing() {
    let (p, _forwarders) = project_with("colima");
    let status = status_json(&p, "colima", 3);
    assert_eq!(status["state"], "absent");
    assert_eq!(status["runtime"], "colima");
    assert!(
        !p.path(".pixi").exists(),
        "a status query wrote into the project"
    );
    assert!(p.fake_calls().is_empty());
}

#[test]
fn colima_refuses_to_delete_a_running_profile_without_force() {
    if !harness::docker_available() {
        return;
    }
    let (p, _forwarders) = project_with("colima");
    berth(&p, &["--runtime", "colima", "container", "init"]).success();
    berth(&p, &["--runtime", "colima", "container", "delete"])
        .code(1)
        .stderr_has("error: colima profile berth-demo is running")
        .stderr_has("--force");
    assert!(p.path(".pixi/colima/berth-demo/colima.yaml").is_file());

    berth(
        &p,
        &["--runtime", "colima", "container", "delete", "--force"],
    )
    .success();
    assert!(!p.path(".pixi/colima/berth-demo").exists());
    assert!(
        !p.path(".pixi/colima/_lima/colima-berth-demo/ha.pid")
            .exists()
    );
}

#[test]
fn colima_shell_and_logs_reach_the_profile() {
    if !harness::docker_available() {
        return;
    }
    let (p, _forwarders) = project_with("colima");
    berth(&p, &["--runtime", "colima", "container", "init"]).success();

    berth(
        &p,
        &[
            "--runtime",
            "colima",
            "container",
            "shell",
            "echo",
            "from-the-vm",
        ],
    )
    .success()
    .stdout_is("from-the-vm\n");
    assert!(
        p.fake_calls()
            .contains(&"colima ssh --profile berth-demo -- echo from-the-vm".to_string())
    );

    berth(&p, &["--runtime", "colima", "container", "logs"])
        .success()
        .stdout_has("Starting the instance");
}

#[test]
fn colima_logs_before_init_say_what_to_do() {
    let (p, _forwarders) = project_with("colima");
    berth(&p, &["--runtime", "colima", "container", "logs"])
        .code(1)
        .stderr_has("colima profile berth-demo has no log yet")
        .stderr_has("help: create it with `berth container init`");
    assert!(p.fake_calls().is_empty(), "choosing colima ran it");
}

#[test]
fn colima_rejects_a_vm_type_it_does_not_have() {
    let p = TestProject::with_tasks("[tool.berth]\nvm-type = \"wsl2\"\n");
    p.install_fake("colima");
    berth(&p, &["--runtime", "colima", "container", "init"])
        .code(1)
        .stderr_has("colima has no vm-type `wsl2`")
        .stderr_has("--> pixi.toml:7:");
    assert!(p.fake_calls().is_empty());
}

#[test]
fn a_missing_colima_says_how_to_install_it() {
    let p = TestProject::with_tasks("");
    for command in ["init", "status"] {
        berth(&p, &["--runtime", "colima", "container", command])
            .code(1)
            .stderr_has("`colima` was not found on PATH")
            .stderr_has("brew install colima");
    }
}

// --- Podman ---

/// Run the podman fake directly, as a user would, with the test's environment.
fn podman(p: &TestProject, args: &[&str]) {
    p.command(fakes_dir().join("podman"))
        .env("TMPDIR", p.base().join("tmp"))
        .command
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run the podman fake");
}

/// Eight hex digits of a hash of the project root, as berth names what it keeps outside it.
fn root_id(root: &Path) -> String {
    let hash = xxhash_rust::xxh3::xxh3_64(root.as_os_str().as_encoded_bytes());
    format!("{:08x}", hash as u32)
}

/// The machine berth makes for the project at `root` with instance `instance`.
fn machine_of(root: &Path, instance: &str) -> String {
    format!("berth-{instance}-{}", root_id(root))
}

/// Where Podman keeps `machine`'s configuration for `provider`.
fn machine_config(p: &TestProject, provider: &str, machine: &str) -> PathBuf {
    p.home.join(format!(
        ".config/containers/podman/machine/{provider}/{machine}.json"
    ))
}

#[track_caller]
fn assert_no_machine_init(p: &TestProject) {
    assert!(
        !p.fake_calls()
            .iter()
            .any(|c| c.starts_with("podman machine init") && c.contains("berth-")),
        "berth created a machine it could not start: {:?}",
        p.fake_calls()
    );
}

#[test]
fn podman_machine_lifecycle() {
    if !harness::docker_available() {
        return;
    }
    let (p, _forwarders) = project_with("podman");
    berth(&p, &["--runtime", "podman", "container", "init"]).success();

    let root = p.root.display();
    let machine = machine_of(&p.root, "demo");
    assert_eq!(
        p.fake_calls(),
        [
            format!("podman machine inspect {machine}"),
            "podman machine list --all-providers --format json".to_string(),
            format!(
                "podman machine init --cpus 3 --memory 1536 --disk-size 12 \
                 --volume {root}:{root} {machine}"
            ),
            format!("podman machine start {machine}"),
            format!(
                "podman machine inspect --format '{{{{.ConnectionInfo.PodmanSocket.Path}}}}' {machine}"
            ),
        ]
    );
    // The socket is the one inspect reported, cached for later calls.
    let socket = p.base().join(format!("tmp/podman/{machine}-api.sock"));
    assert_eq!(
        p.read(".pixi/berth/podman-socket").trim(),
        socket.display().to_string()
    );
    assert!(machine_config(&p, "qemu", &machine).is_file());

    let calls = p.fake_calls().len();
    let status = status_json(&p, "podman", 0);
    assert_eq!(status["state"], "running");
    assert_eq!(status["instance"], machine);
    assert_eq!(
        status["docker_host"],
        format!("unix://{}", socket.display())
    );
    assert_eq!(
        (&status["cpus"], &status["memory"], &status["disk"]),
        (&3.into(), &"1536MiB".into(), &"12GiB".into())
    );
    // One inspect gives the state and the size; the socket comes from the cache.
    assert_eq!(
        p.fake_calls()[calls..],
        [format!("podman machine inspect {machine}")]
    );
    let calls = p.fake_calls().len();
    berth(&p, &["--runtime", "podman", "container", "init"])
        .success()
        .stderr_has(&format!(
            "podman machine {machine} is running; nothing to do"
        ));
    assert_eq!(
        p.fake_calls().len(),
        calls,
        "init on a running machine spawned podman"
    );
    assert_eq!(
        engine_version_through(status["docker_host"].as_str().unwrap()),
        host_engine_version()
    );

    berth(&p, &["--runtime", "podman", "container", "stop"]).success();
    assert!(
        p.fake_calls()
            .contains(&format!("podman machine stop {machine}"))
    );
    let status = status_json(&p, "podman", 3);
    assert_eq!(status["state"], "stopped");
    assert_eq!(status["memory"], "1536MiB");

    // A stopped machine is started again, not created.
    berth(&p, &["--runtime", "podman", "container", "init"]).success();
    let inits = p
        .fake_calls()
        .iter()
        .filter(|c| c.starts_with("podman machine init"))
        .count();
    assert_eq!(inits, 1);
    assert_eq!(status_json(&p, "podman", 0)["state"], "running");

    berth(&p, &["--runtime", "podman", "container", "delete"])
        .code(1)
        .stderr_has(&format!("error: podman machine {machine} is running"));
    berth(
        &p,
        &["--runtime", "podman", "container", "delete", "--force"],
    )
    .success();
    assert!(
        p.fake_calls()
            .contains(&format!("podman machine rm --force {machine}"))
    );
    assert!(!p.path(".pixi/berth/podman-socket").exists());
    assert_eq!(status_json(&p, "podman", 3)["state"], "absent");
    assert!(!p.home.join(".docker").exists());
}

#[test]
fn podman_runs_one_machine_at_a_time() {
    if !harness::docker_available() {
        return;
    }
    let (p, _forwarders) = project_with("podman");
    podman(&p, &["machine", "init", "other"]);
    podman(&p, &["machine", "start", "other"]);

    berth(&p, &["--runtime", "podman", "container", "init"])
        .code(1)
        .stderr_has("error: podman runs one machine at a time and `other` (qemu) is running")
        .stderr_has(
            "help: stop it with `CONTAINERS_MACHINE_PROVIDER=qemu podman machine stop other`, \
             then rerun",
        );
    assert_no_machine_init(&p);
}

#[test]
fn podman_on_linux_uses_the_rootless_socket_without_a_machine() {
    if !harness::docker_available() {
        return;
    }
    let (p, _forwarders) = project_with("podman");
    let runtime_dir = p.base().join("run");
    let socket = runtime_dir.join("podman/podman.sock");
    let started = Command::new("python3")
        .arg("-c")
        .arg("import sys; sys.path.insert(0, sys.argv[1]); import fakeforward; fakeforward.start(sys.argv[2], sys.argv[3])")
        .arg(fakes_dir())
        .arg(&socket)
        .arg(runtime_dir.join("podman/podman.pid"))
        .status()
        .expect("start a forwarder");
    assert!(started.success());

    let run = |args: &[&str]| {
        p.berth(args)
            .env("XDG_RUNTIME_DIR", &runtime_dir)
            .env("BERTH_HOST_OS", "linux")
            .run()
    };
    let out = run(&["--runtime", "podman", "container", "status", "--json"]);
    out.success();
    let status = out.json();
    assert_eq!(status["instance"], "rootless");
    assert_eq!(
        status["docker_host"],
        format!("unix://{}", socket.display())
    );
    run(&["--runtime", "podman", "container", "init"])
        .success()
        .stderr_has("no machine needed");
    run(&["--runtime", "podman", "container", "stop"])
        .success()
        .stderr_has("not berth's to stop");
    assert!(
        p.fake_calls().is_empty(),
        "podman was run: {:?}",
        p.fake_calls()
    );
}

#[test]
fn podman_logs_point_to_inspect() {
    let (p, _forwarders) = project_with("podman");
    berth(&p, &["--runtime", "podman", "container", "logs"])
        .code(1)
        .stderr_has("podman keeps no log file")
        .stderr_has(&format!(
            "podman machine inspect {}",
            machine_of(&p.root, "demo")
        ));
    assert!(p.fake_calls().is_empty(), "choosing podman ran it");
}

#[test]
fn a_missing_podman_says_how_to_install_it() {
    let p = TestProject::with_tasks("");
    for command in ["init", "status"] {
        berth(&p, &["--runtime", "podman", "container", command])
            .code(1)
            .stderr_has("`podman` was not found on PATH")
            .stderr_has("install Podman");
    }
}

// --- Shared lifecycle: logs, failures, the lock ---

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn colima_and_podman_log_their_lifecycle_output_privately() {
    if !harness::docker_available() {
        return;
    }
    let (colima, _colima_forwarders) = project_with("colima");
    berth(&colima, &["--runtime", "colima", "container", "init"]).success();
    let log = colima.path(".pixi/berth/logs/colima-start.log");
    assert_eq!(mode(&log), 0o600);
    let text = std::fs::read_to_string(&log).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.starts_with(&format!(
            "$ COLIMA_HOME={} DOCKER_CONFIG={} ",
            colima.path(".pixi/colima").display(),
            colima.path(".pixi/docker").display()
        )) && header.contains("colima start --profile berth-demo"),
        "{header}"
    );
    assert!(text.contains("INFO[0000] provisioning ..."), "{text}");
    berth(&colima, &["--runtime", "colima", "container", "stop"]).success();
    let stop_log = colima.path(".pixi/berth/logs/colima-stop.log");
    assert_eq!(mode(&stop_log), 0o600);
    assert!(
        std::fs::read_to_string(stop_log)
            .unwrap()
            .contains("colima stop --profile berth-demo")
    );

    let (podman, _podman_forwarders) = project_with("podman");
    berth(&podman, &["--runtime", "podman", "container", "init"]).success();
    for (verb, printed) in [
        ("init", "Machine init complete"),
        ("start", "API forwarding listening on: "),
    ] {
        let log = podman.path(&format!(".pixi/berth/logs/podman-machine-{verb}.log"));
        assert_eq!(mode(&log), 0o600, "{verb}");
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.starts_with("$ "), "{text}");
        assert!(text.contains(&format!("podman machine {verb} ")), "{text}");
        assert!(text.contains(printed), "{text}");
    }
    berth(
        &podman,
        &["--runtime", "podman", "container", "delete", "--force"],
    )
    .success();
}

#[test]
fn a_failed_colima_start_quotes_its_log() {
    let (p, _forwarders) = project_with("colima");
    let out = p
        .berth(["--runtime", "colima", "container", "init"])
        .env("FAKE_COLIMA_FAIL_START", "1")
        .run();
    out.code(1)
        .stderr_has("last lines of .pixi/berth/logs/colima-start.log:")
        .stderr_has("  | INFO[0000] creating and starting ...")
        .stderr_has(
            "error: `colima start` failed: error starting vm: error at 'creating and starting': exit status 1",
        )
        .stderr_has("help: the full output is in .pixi/berth/logs/colima-start.log");
    let log = p.read(".pixi/berth/logs/colima-start.log");
    assert!(log.contains("FATA[0000] error starting vm"), "{log}");
}

#[test]
fn a_failed_podman_start_quotes_its_log() {
    let (p, _forwarders) = project_with("podman");
    let machine = machine_of(&p.root, "demo");
    let out = p
        .berth(["--runtime", "podman", "container", "init"])
        .env("TMPDIR", p.base().join("tmp"))
        .env("FAKE_PODMAN_FAIL_START", "1")
        .run();
    out.code(1)
        .stderr_has("last lines of .pixi/berth/logs/podman-machine-start.log:")
        .stderr_has(&format!("  | Starting machine \"{machine}\""))
        .stderr_has(&format!(
            "error: `podman machine start` failed: unable to start \"{machine}\""
        ))
        .stderr_has("help: the full output is in .pixi/berth/logs/podman-machine-start.log");
    assert_eq!(
        mode(&p.path(".pixi/berth/logs/podman-machine-start.log")),
        0o600
    );
}

/// Holds the project's lifecycle lock (through flock(1)) until dropped.
struct HeldLock(std::process::Child);

impl HeldLock {
    fn take(p: &TestProject) -> HeldLock {
        std::fs::create_dir_all(p.path(".pixi/berth")).unwrap();
        let mut child = Command::new("flock")
            .arg(p.path(".pixi/berth/lifecycle.lock"))
            .args(["-c", "echo locked; read line"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run flock");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert_eq!(first, "locked\n");
        HeldLock(child)
    }

    fn release(mut self) {
        writeln!(self.0.stdin.take().unwrap()).unwrap();
        self.0.wait().unwrap();
    }
}

#[test]
fn colima_and_podman_wait_for_the_projects_lifecycle_lock() {
    for runtime in ["colima", "podman"] {
        let (p, _forwarders) = project_with(runtime);
        let lock = HeldLock::take(&p);
        let mut run = p.berth(["--runtime", runtime, "container", "stop"]);
        let mut berth = run
            .command
            .env("TMPDIR", p.base().join("tmp"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(berth.stderr.take().unwrap());
        let mut first = String::new();
        stderr.read_line(&mut first).unwrap();
        assert!(
            first.contains("waiting for another berth command on this project (lock .pixi/berth/lifecycle.lock)"),
            "{runtime}: {first}"
        );
        assert!(
            p.fake_calls().is_empty(),
            "{runtime} ran before the lock was free"
        );
        lock.release();
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
        assert!(berth.wait().unwrap().success(), "{runtime}: {rest}");
        assert!(rest.contains("nothing to stop"), "{runtime}: {rest}");
    }
}

// --- Podman as it really is (issue 19, items 1 to 3) ---

#[test]
fn a_long_project_name_gets_a_podman_machine_name_that_fits() {
    if !harness::docker_available() {
        return;
    }
    let p = TestProject::with_manifest(
        "[workspace]\nname = \"customer-analytics-platform\"\nchannels = []\nplatforms = []\n",
    );
    p.install_fake("podman");
    std::fs::create_dir_all(p.base().join("tmp")).unwrap();
    let _forwarders = Forwarders(p.base().to_path_buf());

    berth(&p, &["--runtime", "podman", "container", "init"]).success();
    let machine = format!("berth-customer-analyt-{}", root_id(&p.root));
    assert!(machine.len() <= 30, "{machine}");
    assert!(machine_config(&p, "qemu", &machine).is_file());
    let status = status_json(&p, "podman", 0);
    assert_eq!(status["instance"], machine.as_str());

    // Another checkout of the same repository gets a machine of its own.
    let other = p.base().join("second-checkout");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(p.path("pixi.toml"), other.join("pixi.toml")).unwrap();
    let out = p
        .berth(["--runtime", "podman", "container", "status", "--json"])
        .current_dir(&other)
        .env("TMPDIR", p.base().join("tmp"))
        .run();
    out.code(3);
    assert_ne!(out.json()["instance"], machine.as_str());
}

#[test]
fn a_running_machine_of_another_provider_is_named_before_init() {
    let (p, _forwarders) = project_with("podman");
    let on_a_mac = |run: harness::Run| {
        run.env("BERTH_HOST_OS", "macos")
            .env("BERTH_HOST_ARCH", "aarch64")
            .env("TMPDIR", p.base().join("tmp"))
    };
    for args in [["machine", "init", "other"], ["machine", "start", "other"]] {
        on_a_mac(p.command(fakes_dir().join("podman")))
            .env("CONTAINERS_MACHINE_PROVIDER", "libkrun")
            .args(args)
            .run()
            .success();
    }
    on_a_mac(p.berth(["--runtime", "podman", "container", "init"]))
        .run()
        .code(1)
        .stderr_has("error: podman runs one machine at a time and `other` (libkrun) is running")
        .stderr_has(
            "help: stop it with `CONTAINERS_MACHINE_PROVIDER=libkrun podman machine stop other`",
        );
    assert_no_machine_init(&p);
}

#[test]
fn a_starting_machine_counts_as_running() {
    let (p, _forwarders) = project_with("podman");
    podman(&p, &["machine", "init", "other"]);
    // What Podman writes into the machine's config while it boots (shim/host.go, Start).
    let config = machine_config(&p, "qemu", "other");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    json["Starting"] = true.into();
    std::fs::write(&config, json.to_string()).unwrap();

    berth(&p, &["--runtime", "podman", "container", "init"])
        .code(1)
        .stderr_has("error: podman runs one machine at a time and `other` (qemu) is starting");
    assert_no_machine_init(&p);
}

#[test]
fn podman_before_5_3_is_asked_without_all_providers() {
    if !harness::docker_available() {
        return;
    }
    let (p, _forwarders) = project_with("podman");
    let old = [("FAKE_PODMAN_VERSION", "5.2.5")];
    berth_with(
        &p,
        &p.root,
        &old,
        &["--runtime", "podman", "container", "init"],
    )
    .success();
    let calls = p.fake_calls();
    let lists: Vec<&String> = calls.iter().filter(|c| c.contains("list")).collect();
    assert_eq!(
        lists,
        [
            "podman machine list --all-providers --format json",
            "podman machine list --format json"
        ]
    );
}

/// `berth ARGS` in `dir` (the project there), with the test's TMPDIR and `vars`.
fn berth_with(p: &TestProject, dir: &Path, vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut run = p
        .berth(args)
        .current_dir(dir)
        .env("TMPDIR", p.base().join("tmp"));
    for (name, value) in vars {
        run = run.env(name, value);
    }
    run.run()
}

#[test]
fn system_clean_removes_the_projects_podman_machine() {
    if !harness::docker_available() {
        return;
    }
    let (p, _forwarders) = project_with("podman");
    berth(&p, &["--runtime", "podman", "container", "init"]).success();
    let machine = machine_of(&p.root, "demo");
    let config = machine_config(&p, "qemu", &machine);

    // Running: refused without --force, and nothing is removed.
    let out = berth(&p, &["system", "clean", "--yes"]);
    out.code(1)
        .stderr_has(&format!(
            "error: podman machine {machine} is running; nothing was removed"
        ))
        .stderr_has("rerun with --force");
    assert!(config.is_file());
    assert!(p.path(".pixi/berth").is_dir());

    let out = berth(&p, &["system", "clean", "--yes", "--force", "--json"]);
    out.success();
    let report = out.json();
    assert_eq!(report["plan"][0]["machine"], machine.as_str());
    assert_eq!(report["plan"][0]["kind"], "podman-machine");
    assert_eq!(report["plan"][0]["status"], "running");
    assert_eq!(report["removed"][0], machine.as_str());
    let calls = p.fake_calls();
    let stop = calls
        .iter()
        .position(|c| *c == format!("podman machine stop {machine}"));
    let rm = calls
        .iter()
        .position(|c| *c == format!("podman machine rm --force {machine}"));
    assert!(
        matches!((stop, rm), (Some(s), Some(r)) if s < r),
        "{calls:?}"
    );
    assert!(
        !config.exists(),
        "the machine is still in Podman's configuration"
    );
    assert!(!p.path(".pixi/berth").exists());
}

#[test]
fn global_clean_removes_the_machines_of_projects_that_are_gone() {
    if !harness::docker_available() {
        return;
    }
    let (p, _forwarders) = project_with("podman");
    // A project that will be deleted, and this one, which stays; both machines stopped.
    let gone = p.base().join("gone");
    std::fs::create_dir_all(&gone).unwrap();
    std::fs::copy(p.path("pixi.toml"), gone.join("pixi.toml")).unwrap();
    for dir in [&gone, &p.root] {
        for verb in ["init", "stop"] {
            berth_with(&p, dir, &[], &["--runtime", "podman", "container", verb]).success();
        }
    }
    let gone_machine = machine_of(&gone, "demo");
    let kept_machine = machine_of(&p.root, "demo");
    std::fs::remove_dir_all(&gone).unwrap();

    let out = berth(&p, &["system", "clean", "--global", "--yes"]);
    out.success().stderr_has(&format!(
        "podman machine `{kept_machine}` stays: its project `{}` exists",
        p.root.display()
    ));
    assert!(
        p.fake_calls()
            .contains(&format!("podman machine rm --force {gone_machine}"))
    );
    assert!(!machine_config(&p, "qemu", &gone_machine).exists());
    assert!(machine_config(&p, "qemu", &kept_machine).is_file());
}

// --- Colima as it really is (issue 19, items 4 to 7) ---

/// A copy of the test project at a root of exactly `len` bytes, below the test's temp dir.
fn deep_root(p: &TestProject, len: usize) -> PathBuf {
    let mut root = p.base().join("deep");
    while root.as_os_str().len() + 1 + 20 < len {
        root.push("d".repeat(20));
    }
    let rest = len - root.as_os_str().len() - 1;
    root.push("d".repeat(rest));
    assert_eq!(root.as_os_str().len(), len);
    std::fs::create_dir_all(&root).unwrap();
    std::fs::copy(p.path("pixi.toml"), root.join("pixi.toml")).unwrap();
    root
}

#[test]
fn colima_in_a_deep_project_keeps_its_lima_state_in_a_short_directory() {
    if !harness::docker_available() {
        return;
    }
    let (p, _forwarders) = project_with("colima");
    let root = deep_root(&p, 60);
    // Lima refuses the instance in Colima's own `_lima` (108 bytes on Linux)...
    let local = root.join(".pixi/colima/_lima");
    assert!(harness::lima_socket_len(&local, "colima-berth-demo") >= 108);

    berth_with(
        &p,
        &root,
        &[],
        &["--runtime", "colima", "container", "init"],
    )
    .success()
    .stderr_has("Colima's Lima state goes to `");
    // ... so it lives in a short directory of the project's own, marked with its root.
    let short = p.home.join(".berth/colima").join(root_id(&root));
    assert!(harness::lima_socket_len(&short, "colima-berth-demo") < 108);
    assert!(short.join("colima-berth-demo/ha.pid").is_file());
    assert_eq!(
        std::fs::read_to_string(short.join(".berth-project-root")).unwrap(),
        format!("{}\n", root.display())
    );
    assert!(!local.exists());
    let log = std::fs::read_to_string(root.join(".pixi/berth/logs/colima-start.log")).unwrap();
    assert!(
        log.contains(&format!("LIMA_HOME={} ", short.display())),
        "{log}"
    );
    let out = berth_with(
        &p,
        &root,
        &[],
        &["--runtime", "colima", "container", "status", "--json"],
    );
    out.success();
    assert_eq!(
        engine_version_through(out.json()["docker_host"].as_str().unwrap()),
        host_engine_version()
    );
    berth_with(
        &p,
        &root,
        &[],
        &["--runtime", "colima", "container", "delete", "--force"],
    )
    .success();
}

#[test]
fn colima_keeps_using_the_short_directory_an_earlier_berth_made_and_clean_removes_it() {
    if !harness::docker_available() {
        return;
    }
    let (p, _forwarders) = project_with("colima");
    let root = deep_root(&p, 60);
    let run = |args: &[&str]| berth_with(&p, &root, &[], args);
    run(&["--runtime", "colima", "container", "init"]).success();
    run(&["--runtime", "colima", "container", "stop"]).success();
    // Where an earlier berth kept Colima's Lima state: the data dir.
    let short = p.home.join(".berth/colima").join(root_id(&root));
    let earlier = p
        .home
        .join(".local/share/berth/colima")
        .join(root_id(&root));
    std::fs::create_dir_all(earlier.parent().unwrap()).unwrap();
    std::fs::rename(&short, &earlier).unwrap();

    run(&["--runtime", "colima", "container", "start"]).success();
    assert!(earlier.join("colima-berth-demo/ha.pid").is_file());
    assert!(!short.exists(), "a second VM was made in ~/.berth");
    let log = std::fs::read_to_string(root.join(".pixi/berth/logs/colima-start.log")).unwrap();
    assert!(
        log.contains(&format!("LIMA_HOME={} ", earlier.display())),
        "{log}"
    );
    run(&["--runtime", "colima", "container", "stop"]).success();
    let out = run(&["system", "clean", "--yes", "--json"]);
    out.success();
    assert!(
        out.json()["plan"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["path"] == earlier.to_str().unwrap() && e["kind"] == "short-path"),
        "{}",
        out.stdout
    );
    assert!(!earlier.exists());
}

#[test]
fn on_macos_colima_in_a_deep_project_fits_a_realistic_instance_name() {
    if !harness::docker_available() {
        return;
    }
    let (p, _forwarders) = project_with("colima");
    p.write(
        "pixi.toml",
        &format!("{}instance = \"analytics\"\n", p.read("pixi.toml")),
    );
    let root = deep_root(&p, 50);
    let instance = "colima-berth-analytics";
    // The sandboxed HOME, `/tmp/berth-test-XXXXXX/home`, is as long as `/Users/` and a
    // 20-character user name. Neither Colima's own `_lima` nor macOS's data dir, where berth
    // put the short directory before, leaves room below macOS's 104 bytes ...
    assert!(p.home.as_os_str().len() >= "/Users/alexander-hamilton".len());
    assert!(harness::lima_socket_len(&root.join(".pixi/colima/_lima"), instance) >= 104);
    let data_dir = p.home.join("Library/Application Support/berth/colima");
    assert!(harness::lima_socket_len(&data_dir.join(root_id(&root)), instance) >= 104);
    // ... while the sockets Colima forwards into the profile directory fit.
    let forwarded = root.join(".pixi/colima/berth-analytics/containerd.sock");
    assert!(forwarded.as_os_str().len() < 104);

    let on_a_mac = [("BERTH_HOST_OS", "macos")];
    let run = |args: &[&str]| berth_with(&p, &root, &on_a_mac, args);
    run(&["--runtime", "colima", "container", "init"])
        .success()
        .stderr_has("Colima's Lima state goes to `~/.berth/colima/");
    let short = p.home.join(".berth/colima").join(root_id(&root));
    assert!(harness::lima_socket_len(&short, instance) < 104);
    assert!(short.join(instance).join("ha.pid").is_file());
    let doctor = run(&["--runtime", "colima", "doctor", "--json"]);
    let json = doctor.json();
    assert_eq!(json["problems"], serde_json::json!([]), "{json}");
    assert_eq!(json["socket_budget"]["limit"], 104);
    assert_eq!(
        json["socket_budget"]["length"],
        harness::lima_socket_len(&short, instance)
    );
    run(&["--runtime", "colima", "container", "delete", "--force"]).success();
}

#[test]
fn colima_refuses_a_project_too_deep_even_for_a_short_lima_home() {
    let (p, _forwarders) = project_with("colima");
    let root = deep_root(&p, 75);
    // The sockets Colima forwards into the profile directory do not fit.
    let forwarded = root.join(".pixi/colima/berth-demo/containerd.sock");
    assert!(forwarded.as_os_str().len() >= 108);

    berth_with(
        &p,
        &root,
        &[],
        &["--runtime", "colima", "container", "init"],
    )
    .code(1)
    .stderr_has(&format!(
        "error: Colima's socket paths for profile `berth-demo` would be {} characters, \
             over the limit of 107 on linux",
        forwarded.as_os_str().len()
    ))
    .stderr_has("help: move the project to a shorter path, or choose a shorter `instance`");
    assert!(
        !p.fake_calls().iter().any(|c| c.starts_with("colima start")),
        "{:?}",
        p.fake_calls()
    );

    let out = berth_with(&p, &root, &[], &["--runtime", "colima", "doctor", "--json"]);
    out.code(1);
    assert_eq!(
        out.json()["socket_budget"]["length"],
        forwarded.as_os_str().len()
    );
    let problems = out.problem_messages();
    assert!(
        problems
            .iter()
            .any(|message| message.starts_with("Colima's socket paths would be ")),
        "{problems:#?}"
    );
}

/// Colima's `delete` and `stop --force` run `limactl delete --force` / `stop --force`, which
/// SIGKILL whatever live pid the instance's `ha.pid` names. A stale `ha.pid` naming a
/// stranger (a pid reused after a reboot) is removed first, and the stranger lives.
#[test]
fn colima_never_lets_lima_kill_the_stranger_a_stale_ha_pid_names() {
    if !harness::docker_available() {
        return;
    }
    let commands: [&[&str]; 3] = [
        &["--runtime", "colima", "container", "delete", "--force"],
        &["--runtime", "colima", "container", "stop", "--force"],
        &["system", "clean", "--yes", "--force"],
    ];
    for command in commands {
        let (p, _forwarders) = project_with("colima");
        berth(&p, &["--runtime", "colima", "container", "init"]).success();
        berth(&p, &["--runtime", "colima", "container", "stop"]).success();
        let stranger = harness::stranger();
        let ha_pid = p.path(".pixi/colima/_lima/colima-berth-demo/ha.pid");
        std::fs::write(&ha_pid, format!("{}\n", stranger.pid())).unwrap();

        let out = berth(&p, command);
        assert!(
            harness::alive(stranger.pid()),
            "{command:?} killed the stranger: {:?}",
            p.fake_calls()
        );
        out.success()
            .stderr_has("removed `ha.pid` of `")
            .stderr_has("a live process that is not the instance's");
        assert!(!ha_pid.exists(), "{command:?}");
    }
}

#[test]
fn colima_delete_removes_the_container_data_disk() {
    if !harness::docker_available() {
        return;
    }
    for (version, data_flag) in [("0.10.3", true), ("0.9.0", true), ("0.8.1", false)] {
        let (p, _forwarders) = project_with("colima");
        let run =
            |args: &[&str]| berth_with(&p, &p.root, &[("FAKE_COLIMA_VERSION", version)], args);
        run(&["--runtime", "colima", "container", "init"]).success();
        let disk = p.path(".pixi/colima/_lima/_disks/colima-berth-demo");
        assert_eq!(disk.is_dir(), data_flag, "{version}: the data disk");
        run(&["--runtime", "colima", "container", "delete", "--force"]).success();
        let delete = p
            .fake_calls()
            .into_iter()
            .find(|c| c.starts_with("colima delete"))
            .unwrap();
        assert_eq!(
            delete.ends_with(" --data"),
            data_flag,
            "{version}: {delete}"
        );
        assert!(
            !disk.exists(),
            "{version}: the data disk outlived the delete"
        );
    }
}

#[test]
fn project_clean_removes_colima_with_its_data_disk() {
    if !harness::docker_available() {
        return;
    }
    let (p, _forwarders) = project_with("colima");
    berth(&p, &["--runtime", "colima", "container", "init"]).success();
    let pid_file = p.path(".pixi/colima/_lima/colima-berth-demo/ha.pid");
    assert!(pid_file.is_file());

    berth(&p, &["system", "clean", "--yes"])
        .code(1)
        .stderr_has("error: colima profile berth-demo is running; nothing was removed");
    assert!(p.path(".pixi/colima/berth-demo/colima.yaml").is_file());

    let out = berth(&p, &["system", "clean", "--yes", "--force", "--json"]);
    out.success();
    let report = out.json();
    let kinds: Vec<&str> = report["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "colima-profile",
            "colima-home",
            "docker-config",
            "berth-state"
        ]
    );
    assert_eq!(report["plan"][0]["profile"], "berth-demo");
    assert!(
        p.fake_calls()
            .contains(&"colima delete --profile berth-demo --force --data".to_string())
    );
    assert!(!p.path(".pixi/colima").exists());
    assert!(!p.path(".pixi/docker").exists());
}

#[test]
fn colima_vm_type_is_passed_only_where_colima_has_it() {
    // Linux: Colima runs QEMU and has no `--vm-type` (cmd/start.go).
    let p = TestProject::with_tasks("[tool.berth]\nvm-type = \"vz\"\n");
    p.install_fake("colima");
    berth(&p, &["--runtime", "colima", "container", "init"])
        .code(1)
        .stderr_has("error: colima has no vm-type `vz` on linux")
        .stderr_has("--> pixi.toml:7:")
        .stderr_has("help: Colima runs QEMU on linux and has no `--vm-type` there");
    assert!(p.fake_calls().is_empty(), "{:?}", p.fake_calls());

    if !harness::docker_available() {
        return;
    }
    let qemu = TestProject::with_tasks("[tool.berth]\nvm-type = \"qemu\"\n");
    qemu.install_fake("colima");
    let _forwarders = Forwarders(qemu.base().to_path_buf());
    berth(&qemu, &["--runtime", "colima", "container", "init"]).success();
    let start = &qemu.fake_calls()[0];
    assert!(!start.contains("--vm-type"), "{start}");
    berth(
        &qemu,
        &["--runtime", "colima", "container", "delete", "--force"],
    )
    .success();

    // macOS: the flag exists and is passed.
    let (mac, _forwarders) = project_with("colima");
    mac.write(
        "pixi.toml",
        &format!(
            "{}vm-type = \"vz\"\n",
            std::fs::read_to_string(mac.path("pixi.toml")).unwrap()
        ),
    );
    let on_a_mac = [("BERTH_HOST_OS", "macos")];
    berth_with(
        &mac,
        &mac.root,
        &on_a_mac,
        &["--runtime", "colima", "container", "init"],
    )
    .success();
    let start = &mac.fake_calls()[0];
    assert!(start.contains(" --vm-type vz "), "{start}");
    let delete = ["--runtime", "colima", "container", "delete", "--force"];
    berth_with(&mac, &mac.root, &on_a_mac, &delete).success();
}

#[test]
fn colima_status_reports_the_sizes_the_profile_was_given_from_colima_0_8_1() {
    if !harness::docker_available() {
        return;
    }
    for version in ["0.8.1", "0.10.3"] {
        let (p, _forwarders) = project_with("colima");
        let run =
            |args: &[&str]| berth_with(&p, &p.root, &[("FAKE_COLIMA_VERSION", version)], args);
        run(&["--runtime", "colima", "container", "init"]).success();
        let out = run(&["--runtime", "colima", "container", "status", "--json"]);
        out.success();
        let status = out.json();
        assert_eq!(
            (&status["cpus"], &status["memory"], &status["disk"]),
            (&3.into(), &"1.5GiB".into(), &"12GiB".into()),
            "{version}"
        );
        run(&["--runtime", "colima", "container", "delete", "--force"]).success();
    }
}

// --- Mounts, resolved once for every VM runtime ---

/// The project's manifest with `mounts = <mounts>` added to `[tool.berth]`.
fn with_mounts(p: &TestProject, mounts: &str) {
    p.write(
        "pixi.toml",
        &format!("{}mounts = {mounts}\n", p.read("pixi.toml")),
    );
}

/// Relative locations reach Colima and Podman as absolute paths resolved against the project
/// root, whatever directory berth runs in: Colima refuses a relative one, and Podman's qemu
/// looks for it from where it runs.
#[test]
fn colima_and_podman_get_relative_mounts_resolved_against_the_project_root() {
    if !harness::docker_available() {
        return;
    }
    for runtime in ["colima", "podman"] {
        let (p, _forwarders) = project_with(runtime);
        with_mounts(
            &p,
            "[\"../shared\", { location = \"data\", writable = true }, \"~/src\"]",
        );
        let shared = p.base().join("shared");
        let data = p.path("data");
        let src = p.home.join("src");
        for dir in [&shared, &data, &src, &p.path("app")] {
            std::fs::create_dir_all(dir).unwrap();
        }
        // From a subdirectory, as `cd app && berth container init`.
        let run = |args: &[&str]| berth_with(&p, &p.path("app"), &[], args);
        run(&["--runtime", runtime, "container", "init"]).success();

        let calls = p.fake_calls();
        let root = p.root.display();
        if runtime == "colima" {
            // `data` is inside the project root, which is mounted writable already.
            let start = &calls[0];
            let mounts = format!(
                " --mount {root}:w --mount {} --mount {} --activate=false",
                shared.display(),
                src.display()
            );
            assert!(start.contains(&mounts), "{start}");
            let config = p.read(".pixi/colima/berth-demo/colima.yaml");
            assert!(
                config.contains(&format!("  - location: {}\n", shared.display())),
                "{config}"
            );
        } else {
            let init = calls
                .iter()
                .find(|c| c.starts_with("podman machine init"))
                .unwrap();
            let volumes = format!(
                "--volume {root}:{root} --volume {0}:{0}:ro --volume {1}:{1} --volume {2}:{2}:ro ",
                shared.display(),
                data.display(),
                src.display()
            );
            assert!(init.contains(&volumes), "{init}");
            let machine = machine_of(&p.root, "demo");
            let config: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(machine_config(&p, "qemu", &machine)).unwrap(),
            )
            .unwrap();
            let sources: Vec<&str> = config["Mounts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["Source"].as_str().unwrap())
                .collect();
            assert_eq!(
                sources,
                [
                    p.root.to_str().unwrap(),
                    shared.to_str().unwrap(),
                    data.to_str().unwrap(),
                    src.to_str().unwrap()
                ]
            );
        }
        run(&["--runtime", runtime, "container", "delete", "--force"]).success();
    }
}

/// A mount that is not a directory is refused before Colima or Podman creates anything, with
/// the manifest line, and `doctor` lists it as a problem.
#[test]
fn a_missing_mount_is_refused_before_colima_or_podman_runs() {
    for runtime in ["colima", "podman"] {
        let (p, _forwarders) = project_with(runtime);
        with_mounts(&p, "[\"../shared\", \"gone\"]");
        std::fs::create_dir_all(p.base().join("shared")).unwrap();
        berth(&p, &["--runtime", runtime, "container", "init"])
            .code(1)
            .stderr_has(&format!(
                "error: mount `gone` in [tool.berth] does not exist: `{}`",
                p.path("gone").display()
            ))
            .stderr_has("--> pixi.toml:");
        let created = p
            .fake_calls()
            .into_iter()
            .filter(|c| c.starts_with("colima start") || c.starts_with("podman machine init"))
            .collect::<Vec<_>>();
        assert_eq!(created, Vec::<String>::new(), "{runtime}");
        let doctor = berth(&p, &["--runtime", runtime, "doctor", "--json"]);
        let problems = doctor.code(1).problem_messages();
        assert!(
            problems
                .iter()
                .any(|message| message.starts_with("mount `gone` in [tool.berth] does not exist")),
            "{runtime}: {problems:#?}"
        );
    }
}

/// Colima refuses overlapping mounts (`environment/vm/lima/yaml.go`): berth leaves out a
/// writable mount inside the project root (it is mounted already) and refuses, before Colima
/// runs, any other overlap.
#[test]
fn colima_refuses_mounts_that_overlap_before_it_runs() {
    let cases = [
        (
            "[{ location = \"data\", writable = false }]",
            "error: mount `data` in [tool.berth] is inside the project root, which Colima \
             mounts writable; Colima refuses overlapping mounts",
        ),
        (
            "[\"..\"]",
            "error: mount `..` in [tool.berth] holds the project root, which Colima mounts \
             too; Colima refuses overlapping mounts",
        ),
        (
            "[\"../shared\", \"../shared/sub\"]",
            "error: mounts `../shared` and `../shared/sub` in [tool.berth] overlap; Colima \
             refuses overlapping mounts",
        ),
    ];
    for (mounts, error) in cases {
        let (p, _forwarders) = project_with("colima");
        with_mounts(&p, mounts);
        std::fs::create_dir_all(p.path("data")).unwrap();
        std::fs::create_dir_all(p.base().join("shared/sub")).unwrap();
        berth(&p, &["--runtime", "colima", "container", "init"])
            .code(1)
            .stderr_has(error)
            .stderr_has("--> pixi.toml:");
        assert_eq!(p.fake_calls(), Vec::<String>::new(), "{mounts}");
    }
}

// --- Doctor judges the runtime in use (issue 19, item 8) ---

#[test]
fn doctor_in_a_deep_project_judges_podman_and_colima_by_their_own_sockets() {
    if !harness::docker_available() {
        return;
    }
    for runtime in ["podman", "colima"] {
        let (p, _forwarders) = project_with(runtime);
        let root = deep_root(&p, 66);
        // Deep enough that berth's own Lima could not keep its VM in `.pixi/lima`.
        assert!(harness::lima_socket_len(&root.join(".pixi/lima"), "demo") >= 108);
        berth_with(&p, &root, &[], &["--runtime", runtime, "container", "init"]).success();

        let out = berth_with(&p, &root, &[], &["--runtime", runtime, "doctor", "--json"]);
        let json = out.json();
        assert_eq!(json["problems"], serde_json::json!([]), "{runtime}: {json}");
        out.success();
        let budget = &json["socket_budget"];
        if runtime == "podman" {
            assert!(budget.is_null(), "{budget}");
        } else {
            assert!(
                budget["length"].as_u64() < budget["limit"].as_u64(),
                "{budget}"
            );
        }
        berth_with(
            &p,
            &root,
            &[],
            &["--runtime", runtime, "container", "delete", "--force"],
        )
        .success();
    }
}
