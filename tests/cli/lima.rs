//! The project-local Lima lifecycle (`berth container …` with `runtime = "lima"`), against
//! the fake `limactl` in tests/fakes, whose host agent is a real background process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::harness::{self, LimaProject, Output, TestProject, finish, wait_until};

const MANIFEST: &str = "[tool.berth]\nruntime = \"lima\"\ninstance = \"demo\"\n";

impl LimaProject {
    fn new() -> LimaProject {
        LimaProject::with_settings("")
    }

    /// The Lima project with extra `[tool.berth]` lines.
    fn with_settings(extra: &str) -> LimaProject {
        LimaProject::with_manifest(&format!("{MANIFEST}{extra}"))
    }

    fn instance_dir(&self) -> PathBuf {
        self.path(".pixi/lima/demo")
    }

    fn docker_host(&self) -> String {
        format!("unix://{}/sock/docker.sock", self.instance_dir().display())
    }

    fn init(&self) -> Output {
        self.berth(["container", "init"]).run()
    }

    fn status(&self) -> (i32, serde_json::Value) {
        let out = self.berth(["container", "status", "--json"]).run();
        (out.code, out.json())
    }

    /// The limactl subcommands called so far (`create`, `start`, ...), without `--version`
    /// and the fake's internal `hostagent`.
    fn lima_verbs(&self) -> Vec<String> {
        self.fake_calls()
            .iter()
            .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
            .filter(|verb| verb != "--version" && verb != "hostagent")
            .collect()
    }

    /// A copy of the project's manifest in a directory deep enough that Lima's socket paths
    /// under its `.pixi/lima` would be too long; its root.
    fn deep_root(&self) -> PathBuf {
        let deep = format!("{}/{}", "d".repeat(40), "e".repeat(40));
        self.write(&format!("{deep}/pixi.toml"), &self.read("pixi.toml"));
        self.path(&deep)
    }

    fn clear_fake_log(&self) {
        let _ = std::fs::remove_file(self.fake_log_path());
    }

    /// `berth container init` started in the background and held at `limactl start` until
    /// the returned gate file is written; returns once the fake has reached `start`.
    fn spawn_gated_init(&self) -> (Child, PathBuf) {
        let gate = self.base().join("gate");
        let init = self.spawn(
            &["container", "init"],
            &[("FAKE_LIMA_START_GATE", gate.to_str().unwrap())],
        );
        wait_until("the init to reach `limactl start`", || {
            self.lima_verbs().contains(&"start".to_string())
        });
        (init, gate)
    }

    /// `berth ARGS` started in the background with stderr piped.
    fn spawn(&self, args: &[&str], env: &[(&str, &str)]) -> Child {
        let mut run = self.berth(args);
        for (k, v) in env {
            run = run.env(k, v);
        }
        run.command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn berth")
    }
}

/// The `limactl create` call the fake logged.
fn create_call(p: &TestProject) -> String {
    p.fake_calls()
        .into_iter()
        .find(|l| l.starts_with("limactl create"))
        .unwrap_or_else(|| panic!("no create call in {:?}", p.fake_calls()))
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn init_from_absent_creates_and_starts_with_the_project_lima_home() {
    let p = LimaProject::new();
    let out = p.init();
    out.success()
        .stdout_is(&format!("DOCKER_HOST={}\n", p.docker_host()))
        .stderr_has("Lima instance `demo` is running");
    let create = create_call(&p);
    assert!(create.contains("--name=demo"), "{create}");
    assert!(create.contains("--tty=false"), "{create}");
    assert!(create.ends_with(" template:docker"), "{create}");
    assert!(
        create.contains(&format!(
            r#"{{"location":"{}","writable":true}}"#,
            p.root.display()
        )),
        "the project root is mounted writable: {create}"
    );
    assert_eq!(p.lima_verbs(), ["create", "start"]);
    // The fake wrote its instance under the project's LIMA_HOME, never under ~/.lima.
    assert!(p.instance_dir().join("lima.yaml").is_file());
    assert!(p.instance_dir().join("sock/docker.sock").exists());
    assert!(
        !p.home.join(".lima").exists(),
        "~/.lima must stay untouched"
    );
    // Lima's full output is logged, readable only by the user.
    let log = p.path(".pixi/berth/logs/lima-start.log");
    assert!(p.read(".pixi/berth/logs/lima-start.log").contains("READY"));
    assert_eq!(mode(&log), 0o600);
    assert_eq!(p.read(".pixi/berth/lima-version"), "2.2.0\n");
}

#[test]
fn init_and_status_on_a_running_instance_spawn_nothing() {
    let p = LimaProject::new();
    p.init().success();
    p.clear_fake_log();
    p.init()
        .success()
        .stdout_is(&format!("DOCKER_HOST={}\n", p.docker_host()))
        .stderr_has("already running");
    p.berth(["container", "status"])
        .run()
        .success()
        .stdout_has("running")
        .stdout_has(&p.docker_host());
    assert_eq!(
        p.fake_calls(),
        Vec::<String>::new(),
        "no limactl call at all"
    );
}

#[test]
fn status_json_in_every_state_with_its_exit_code() {
    let p = LimaProject::new();
    let (code, json) = p.status();
    assert_eq!(code, 3);
    assert_eq!(json["state"], "absent");
    assert_eq!(json["runtime"], "lima");
    assert_eq!(json["instance"], "demo");
    assert_eq!(json["cpus"], serde_json::Value::Null);
    assert_eq!(
        json["lima_home"],
        p.path(".pixi/lima").display().to_string()
    );

    p.init().success();
    let (code, json) = p.status();
    assert_eq!(code, 0);
    assert_eq!(
        json,
        serde_json::json!({
            "runtime": "lima",
            "instance": "demo",
            "state": "running",
            "docker_host": p.docker_host(),
            "lima_home": p.path(".pixi/lima").display().to_string(),
            "cpus": 2,
            "memory": "4GiB",
            "disk": "30GiB",
            "lima_version": "2.2.0",
        })
    );

    p.berth(["container", "stop"]).run().success();
    let (code, json) = p.status();
    assert_eq!((code, json["state"].as_str()), (3, Some("stopped")));

    // A live process that is not a host agent holds ha.pid: Lima calls that Broken, and
    // berth says the pid file is stale.
    let foreign = harness::stranger();
    std::fs::write(
        p.instance_dir().join("ha.pid"),
        format!("{}\n", foreign.pid()),
    )
    .unwrap();
    let (code, json) = p.status();
    drop(foreign);
    assert_eq!((code, json["state"].as_str()), (1, Some("broken")));
    assert!(
        json["reason"]
            .as_str()
            .unwrap()
            .contains("`ha.pid` names pid"),
        "{json}"
    );
}

#[test]
fn init_from_stopped_starts_without_creating() {
    let p = LimaProject::new();
    p.init().success();
    p.berth(["container", "stop"])
        .run()
        .success()
        .stderr_has("stopped Lima instance `demo`");
    assert!(!p.instance_dir().join("ha.pid").exists());
    p.clear_fake_log();
    p.init().success().stdout_has("DOCKER_HOST=");
    assert_eq!(p.lima_verbs(), ["start"]);
    assert_eq!(p.status().0, 0);
}

#[test]
fn stop_twice_says_it_is_already_stopped() {
    let p = LimaProject::new();
    p.init().success();
    p.berth(["container", "stop"]).run().success();
    p.clear_fake_log();
    p.berth(["container", "stop"])
        .run()
        .success()
        .stderr_has("already stopped");
    assert_eq!(p.lima_verbs(), Vec::<String>::new());
    p.berth(["container", "start"]).run().success();
    p.berth(["container", "stop", "--force"]).run().success();
    assert!(p.fake_calls().iter().any(|l| l == "limactl stop -f demo"));
}

#[test]
fn delete_refuses_a_running_instance_then_removes_only_its_directory() {
    let p = LimaProject::new();
    p.init().success();
    p.berth(["container", "delete"])
        .run()
        .code(1)
        .stderr_has("Lima instance `demo` is running")
        .stderr_has("help: stop it first with `berth container stop`");
    assert!(p.instance_dir().is_dir());

    p.berth(["container", "delete", "--force"])
        .run()
        .success()
        .stderr_has("deleted Lima instance `demo` (freed ");
    assert!(!p.instance_dir().exists());
    assert!(
        p.path(".pixi/lima/_config/user").is_file(),
        "Lima's _config stays"
    );
    assert!(p.path("pixi.toml").is_file());
    let verbs = p.lima_verbs();
    assert_eq!(&verbs[verbs.len() - 2..], ["stop", "delete"]);
    let (code, json) = p.status();
    assert_eq!((code, json["state"].as_str()), (3, Some("absent")));
}

/// The instance reads as stopped, and the next `init` only starts it (nothing is created
/// again) and leaves it running.
#[track_caller]
fn init_starts_the_stopped_instance_again(p: &LimaProject) {
    assert_eq!(p.status().1["state"], "stopped");
    p.clear_fake_log();
    p.init().success();
    assert_eq!(p.lima_verbs(), ["start"]);
    assert_eq!(p.status().0, 0);
}

#[test]
fn ctrl_c_during_init_stops_cleanly_and_init_recovers() {
    let p = LimaProject::new();
    let child = p.spawn(&["container", "init"], &[("FAKE_LIMA_START_HANG", "1")]);
    let ha_pid = p.instance_dir().join("ha.pid");
    wait_until("the host agent to boot", || ha_pid.exists());
    assert!(harness::signal(child.id(), "INT"));
    let out = finish(child);
    out.code(130)
        .stderr_has("interrupted; stopped instance `demo`");
    assert!(!out.stderr.contains("error:"), "{}", out.stderr);
    assert!(p.fake_calls().iter().any(|l| l == "limactl stop -f demo"));
    init_starts_the_stopped_instance_again(&p);
}

#[test]
fn init_recovers_a_half_created_instance_and_stale_files() {
    let p = LimaProject::new();
    // An interrupted create: the directory exists, lima.yaml does not.
    std::fs::create_dir_all(p.instance_dir()).unwrap();
    std::fs::write(
        p.instance_dir().join("cloud-config.yaml"),
        "#cloud-config\n",
    )
    .unwrap();
    p.init()
        .success()
        .stderr_has("an earlier create stopped before Lima wrote its lima.yaml");
    assert_eq!(p.lima_verbs(), ["create", "start"]);

    // A crash: the host agent is gone, its pid file and sockets are not.
    let ha_pid: u32 = p.read(".pixi/lima/demo/ha.pid").trim().parse().unwrap();
    harness::signal(ha_pid, "KILL");
    harness::wait_until_reaped(ha_pid);
    assert!(
        p.instance_dir().join("sock/docker.sock").exists(),
        "a stale socket"
    );
    init_starts_the_stopped_instance_again(&p);
}

/// The stderr of `berth`, after checking that its first line says it waits for the
/// project's lifecycle lock.
fn waits_for_the_lock(berth: &mut Child) -> BufReader<std::process::ChildStderr> {
    let mut stderr = BufReader::new(berth.stderr.take().unwrap());
    let mut first_line = String::new();
    stderr.read_line(&mut first_line).unwrap();
    assert!(
        first_line.contains("waiting for another berth command on this project (lock "),
        "{first_line}"
    );
    stderr
}

#[test]
fn two_concurrent_inits_boot_one_vm() {
    let p = LimaProject::new();
    let (first, gate) = p.spawn_gated_init();
    let mut second = p.spawn(
        &["container", "init"],
        &[("FAKE_LIMA_START_GATE", gate.to_str().unwrap())],
    );
    waits_for_the_lock(&mut second);
    std::fs::write(&gate, "").unwrap();
    finish(first).success();
    let second = finish(second);
    second.success();
    assert_eq!(p.lima_verbs(), ["create", "start"], "one VM booted");
}

/// A clean started while an init boots waits for the init, instead of taking the init's
/// running `limactl start` for one a killed berth left behind and stopping it.
#[test]
fn a_clean_during_an_init_waits_for_it_and_then_removes_the_vm() {
    let p = LimaProject::new();
    let (init, gate) = p.spawn_gated_init();
    let mut clean = p.spawn(&["system", "clean", "--yes", "--force"], &[]);
    let mut stderr = waits_for_the_lock(&mut clean);
    std::fs::write(&gate, "").unwrap();
    finish(init)
        .success()
        .stderr_has("Lima instance `demo` is running");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(clean.wait().unwrap().success(), "{rest}");
    assert!(!rest.contains("left running by an earlier berth"), "{rest}");
    assert_eq!(p.lima_verbs(), ["create", "start", "stop", "delete"]);
    assert!(!p.path(".pixi/lima").exists(), "{rest}");
}

#[test]
fn a_long_project_path_gets_a_short_lima_home_and_delete_removes_both() {
    let p = LimaProject::new();
    let root = p.deep_root();
    let run = |args: &[&str]| p.berth(args).current_dir(&root).run();

    let out = run(&["container", "init"]);
    out.success().stderr_has("`.pixi/lima` is a symlink to");
    let link = root.join(".pixi/lima");
    let target = std::fs::read_link(&link).expect(".pixi/lima is a symlink");
    assert!(target.starts_with(p.home.join(".berth/lima")), "{target:?}");
    assert!(target.join("demo/lima.yaml").is_file());
    let docker_host = format!(
        "DOCKER_HOST=unix://{}/demo/sock/docker.sock\n",
        target.display()
    );
    out.stdout_is(&docker_host);
    assert_eq!(
        std::fs::read_to_string(root.join(".pixi/berth/lima-home-target")).unwrap(),
        format!("{}\n", target.display())
    );

    run(&["container", "delete", "--force"])
        .success()
        .stderr_has("and the `.pixi/lima` symlink to it");
    harness::kill_lima_agents(&root);
    assert!(!target.exists());
    assert!(!link.exists() && !link.is_symlink());
}

#[test]
fn on_macos_a_deep_project_keeps_a_realistic_instance_name_in_its_short_lima_home() {
    // The sandboxed HOME, `/tmp/berth-test-XXXXXX/home`, is as long as `/Users/` and a
    // 20-character user name.
    let name = "customer-analytics";
    let p = LimaProject::with_manifest(&format!(
        "[tool.berth]\nruntime = \"lima\"\ninstance = \"{name}\"\n"
    ));
    assert!(p.home.as_os_str().len() >= "/Users/alexander-hamilton".len());
    let root = p.deep_root();
    let on_a_mac = |args: &[&str]| {
        p.berth(args)
            .current_dir(&root)
            .env("BERTH_HOST_OS", "macos")
            .run()
    };
    // Neither `.pixi/lima` nor macOS's data dir, where berth put short directories before,
    // leaves room for the name below macOS's 104 bytes.
    let id = "1a2b3c4d";
    assert!(harness::lima_socket_len(&root.join(".pixi/lima"), name) >= 104);
    let data_dir = p
        .home
        .join("Library/Application Support/berth/lima")
        .join(id);
    assert!(harness::lima_socket_len(&data_dir, name) >= 104);

    on_a_mac(&["container", "init"])
        .success()
        .stderr_has("`.pixi/lima` is a symlink to `~/.berth/lima/")
        .stderr_has("the limit on macos is 103");
    let target = std::fs::read_link(root.join(".pixi/lima")).unwrap();
    assert_eq!(target.parent(), Some(p.home.join(".berth/lima").as_path()));
    assert!(harness::lima_socket_len(&target, name) < 104);
    assert!(target.join(name).join("vz.pid").is_file());
    let doctor = on_a_mac(&["doctor", "--json"]);
    let budget = &doctor.json()["socket_budget"];
    assert_eq!(budget["limit"], 104);
    assert_eq!(budget["length"], harness::lima_socket_len(&target, name));

    on_a_mac(&["container", "delete", "--force"]).success();
    harness::kill_lima_agents(&root);
    assert!(!target.exists());
}

#[test]
fn a_short_lima_home_an_earlier_berth_made_under_the_data_dir_keeps_working() {
    let p = LimaProject::new();
    let root = p.deep_root();
    let run = |args: &[&str]| p.berth(args).current_dir(&root).run();
    // What an earlier berth left: `.pixi/lima` linked to a short directory in the data dir,
    // recorded in `.pixi/berth/lima-home-target`.
    let earlier = p.home.join(".local/share/berth/lima/0badc0de");
    std::fs::create_dir_all(&earlier).unwrap();
    std::fs::create_dir_all(root.join(".pixi/berth")).unwrap();
    std::os::unix::fs::symlink(&earlier, root.join(".pixi/lima")).unwrap();
    std::fs::write(
        root.join(".pixi/berth/lima-home-target"),
        format!("{}\n", earlier.display()),
    )
    .unwrap();

    run(&["container", "init"]).success().stdout_is(&format!(
        "DOCKER_HOST=unix://{}/demo/sock/docker.sock\n",
        earlier.display()
    ));
    assert!(earlier.join("demo/lima.yaml").is_file());
    assert_eq!(
        std::fs::read_to_string(earlier.join(".berth-project-root")).unwrap(),
        format!("{}\n", root.display())
    );
    assert!(!p.home.join(".berth").exists(), "nothing made in ~/.berth");
    run(&["container", "delete", "--force"])
        .success()
        .stderr_has("and the `.pixi/lima` symlink to it");
    harness::kill_lima_agents(&root);
    assert!(!earlier.exists());
}

#[test]
fn settings_reach_limactl_with_flags_over_env_over_manifest() {
    let p = LimaProject::with_settings(
        "cpus = 3\nmemory = \"512MiB\"\ndisk = \"50GiB\"\nvm-type = \"qemu\"\narch = \"x86_64\"\n\
         mounts = [\"~/data\", { location = \"~/scratch\", writable = true }]\n",
    );
    for mounted in ["data", "scratch"] {
        std::fs::create_dir_all(p.home.join(mounted)).unwrap();
    }
    p.berth(["container", "init"])
        .env("BERTH_CPUS", "5")
        .run()
        .success();
    let create = create_call(&p);
    for expected in [
        "--cpus=5",
        "--memory=0.5",
        "--disk=50",
        "--vm-type=qemu",
        "--arch=x86_64",
        r#"{"location":"~/data","writable":false},{"location":"~/scratch","writable":true}"#,
    ] {
        assert!(
            create.contains(expected),
            "{expected} missing from {create}"
        );
    }
    let json = p.status().1;
    assert_eq!(
        (json["cpus"].as_u64(), json["memory"].as_str()),
        (Some(5), Some("0.5GiB"))
    );
    assert_eq!(json["disk"], "50GiB");
    // The start timeout from settings reaches `limactl start`.
    let p = LimaProject::with_settings("start-timeout = \"2m\"\n");
    p.init().success();
    assert!(
        p.fake_calls()
            .iter()
            .any(|l| l == "limactl start --tty=false --timeout=120s demo")
    );
}

#[test]
fn lima_1_gets_the_old_template_locator_and_older_lima_is_refused() {
    let p = LimaProject::new();
    p.berth(["container", "init"])
        .env("FAKE_LIMA_VERSION", "1.2.3")
        .run()
        .success();
    let create = create_call(&p);
    assert!(create.ends_with(" template://docker"), "{create}");

    let p = LimaProject::new();
    p.berth(["container", "init"])
        .env("FAKE_LIMA_VERSION", "0.23.2")
        .run()
        .code(1)
        .stderr_has("Lima 0.23.2 is too old; berth needs Lima 1.0.0 or newer")
        .stderr_has("help: install a newer Lima");
    assert_eq!(p.lima_verbs(), Vec::<String>::new());
}

#[test]
fn a_failed_create_quotes_the_log_and_names_it() {
    let p = LimaProject::new();
    p.berth(["container", "init"])
        .env("FAKE_LIMA_FAIL_CREATE", "1")
        .run()
        .code(1)
        .stderr_has("error: `limactl create` failed: failed to download the image")
        .stderr_has("last lines of .pixi/berth/logs/lima-create.log:")
        .stderr_has("  | time=")
        .stderr_has("help: the full output is in .pixi/berth/logs/lima-create.log");
    assert!(!p.instance_dir().exists());
    p.init().success();
}

#[test]
fn a_missing_limactl_says_how_to_install_it_and_pixi_envs_are_searched() {
    let p = TestProject::with_tasks(MANIFEST);
    p.berth(["container", "init"])
        .env("BERTH_HOST_OS", "macos")
        .run()
        .code(1)
        .stderr_has("error: `limactl` was not found on PATH")
        .stderr_has("help: install Lima: `brew install lima`");

    let env_bin = p.path(".pixi/envs/default/bin");
    std::fs::create_dir_all(&env_bin).unwrap();
    std::os::unix::fs::symlink(
        harness::fakes_dir().join("limactl"),
        env_bin.join("limactl"),
    )
    .unwrap();
    let p = LimaProject(p);
    p.init().success();
    assert_eq!(p.lima_verbs(), ["create", "start"]);
}

#[test]
fn shell_runs_the_command_in_the_vm_with_its_exit_code() {
    let p = LimaProject::new();
    p.berth(["container", "shell", "true"])
        .run()
        .code(1)
        .stderr_has("instance `demo` does not exist yet");
    p.init().success();
    p.berth(["container", "shell", "sh", "-c", "echo in-vm; exit 7"])
        .run()
        .code(7)
        .stdout_is("in-vm\n");
    assert!(
        p.fake_calls()
            .iter()
            .any(|l| l == "limactl shell demo sh -c 'echo in-vm; exit 7'")
    );
}

#[test]
fn logs_print_the_host_agent_and_serial_logs() {
    let p = LimaProject::new();
    p.init().success();
    p.berth(["container", "logs"])
        .run()
        .success()
        .stdout_has("==> .pixi/lima/demo/ha.stderr.log <==")
        .stdout_has("info  hostagent socket created at")
        .stdout_has("==> .pixi/lima/demo/serial.log <==")
        .stdout_has("Linux version");
}

#[test]
fn docker_answers_through_the_forwarded_socket() {
    if !harness::docker_available() {
        return;
    }
    let p = LimaProject::new();
    p.init().success();
    let out = Command::new("docker")
        .args([
            "-H",
            &p.docker_host(),
            "version",
            "--format",
            "{{.Server.Version}}",
        ])
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_HOST")
        .output()
        .expect("docker");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let through_lima = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let direct = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .env_remove("DOCKER_HOST")
        .output()
        .expect("docker");
    assert_eq!(through_lima, String::from_utf8_lossy(&direct.stdout).trim());
    assert!(!through_lima.is_empty());
}

/// The core loop: init, then docker and compose words through berth reach the engine behind
/// the VM's forwarded socket, with the project's DOCKER_HOST.
#[test]
fn berth_docker_goes_through_the_vms_socket() {
    if !harness::docker_available() {
        return;
    }
    let p = LimaProject::new();
    p.init()
        .success()
        .stdout_has(&format!("DOCKER_HOST={}", p.docker_host()));
    p.berth([
        "docker",
        "run",
        "--rm",
        harness::TEST_IMAGE,
        "sh",
        "-c",
        "exit 7",
    ])
    .run()
    .code(7);
    p.berth(["docker", "run", "-i", "--rm", harness::TEST_IMAGE, "cat"])
        .stdin("through lima\n")
        .run()
        .success()
        .stdout_is("through lima\n");
    let env = p.berth(["env", "--json"]).run();
    env.success();
    assert_eq!(env.json()["DOCKER_HOST"], p.docker_host());
    // Each request went through the fake host agent: it logs nothing, so prove it by stopping
    // the VM, after which the same command fails with berth's own error.
    p.berth(["container", "stop"]).run().success();
    p.berth(["docker", "ps"])
        .run()
        .code(1)
        .stderr_has("error: instance `demo` is stopped")
        .stderr_has("help: run `berth container init`");
}

#[test]
fn auto_start_boots_a_stopped_vm_for_docker() {
    if !harness::docker_available() {
        return;
    }
    let p = LimaProject::with_settings("auto-start = true\n");
    p.init().success();
    p.berth(["container", "stop"]).run().success();
    p.clear_fake_log();
    p.berth(["docker", "version", "--format", "{{.Server.Version}}"])
        .run()
        .success();
    assert_eq!(
        p.lima_verbs(),
        ["start"],
        "auto-start starts the existing instance"
    );
}

// ---- what real Lima refuses (issue 15) ----

#[test]
fn a_workspace_name_lima_refuses_becomes_an_instance_name_it_accepts() {
    for (workspace, instance) in [
        ("My App!", "my-app"),
        ("foo (old)", "foo-old"),
        ("api__v2", "api-v2"),
        ("data.yaml", "data-yaml"),
    ] {
        let p = LimaProject(TestProject::with_manifest(&format!(
            "[workspace]\nname = {workspace:?}\nchannels = []\nplatforms = []\n\n\
             [tool.berth]\nruntime = \"lima\"\n"
        )));
        p.install_fake("limactl");
        p.berth(["container", "init"])
            .run()
            .success()
            .stderr_has(&format!("Lima instance `{instance}` is running"));
        assert!(
            create_call(&p).contains(&format!(" --name={instance} ")),
            "{workspace}: {}",
            create_call(&p)
        );
        assert!(
            p.path(&format!(".pixi/lima/{instance}/lima.yaml"))
                .is_file()
        );
    }
}

#[test]
fn an_instance_name_lima_refuses_is_an_error_before_any_limactl_call() {
    let p =
        LimaProject::with_manifest("[tool.berth]\nruntime = \"lima\"\ninstance = \"api__v2\"\n");
    p.berth(["container", "init"])
        .run()
        .code(1)
        .stderr_has("error: `api__v2` is not a valid instance name: it must start and end with a letter or digit and have one `.`, `_` or `-` at a time\n  --> pixi.toml:8:12\n")
        .stderr_has("  help: Lima's instance names are letters and digits with single `.`, `_` or `-` between them, at most 76 characters, not ending in `.yaml` or `.yml`\n")
        .stderr_has("  help: use `instance = \"api-v2\"`\n");
    p.berth(["container", "status"])
        .env("BERTH_INSTANCE", "data.yaml")
        .run()
        .code(1)
        .stderr_has("error: `data.yaml` is not a valid instance name: Lima reads a name ending in `.yaml` or `.yml` as a file")
        .stderr_has("help: it came from $BERTH_INSTANCE")
        .stderr_has("help: use `instance = \"data-yaml\"`");
    assert_eq!(p.fake_calls(), Vec::<String>::new(), "Lima was never asked");
    assert!(!p.path(".pixi/lima").exists());
}

#[test]
fn doctor_lists_an_instance_name_lima_refuses_as_a_problem_once() {
    let p = LimaProject::with_manifest("[tool.berth]\nruntime = \"lima\"\ninstance = \"My App\"\n");
    let out = p.berth(["doctor", "--json"]).run();
    out.code(1);
    let problems = out.json()["problems"].clone();
    assert_eq!(
        problems,
        serde_json::json!([{
            "message": "`My App` is not a valid instance name: Lima does not allow ` ` in a name",
            "help": [
                "Lima's instance names are letters and digits with single `.`, `_` or `-` between them, at most 76 characters, not ending in `.yaml` or `.yml`",
                "use `instance = \"my-app\"`",
            ],
        }]),
    );
    assert_eq!(p.lima_verbs(), Vec::<String>::new());
}

#[test]
fn relative_mounts_reach_lima_resolved_against_the_project_root() {
    let p = LimaProject::with_settings(
        "mounts = [\"../shared\", { location = \"data\", writable = true }, \"~/src\"]\n",
    );
    let shared = p.base().join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::create_dir_all(p.path("data")).unwrap();
    std::fs::create_dir_all(p.home.join("src")).unwrap();
    p.init().success();
    let expected = format!(
        r#"{{"location":"{}","writable":false}},{{"location":"{}","writable":true}},{{"location":"~/src","writable":false}}]"#,
        shared.display(),
        p.path("data").display()
    );
    assert!(create_call(&p).contains(&expected), "{}", create_call(&p));
    let lima_yaml = p.read(".pixi/lima/demo/lima.yaml");
    assert!(
        lima_yaml.contains(&format!("- location: \"{}\"\n", shared.display())),
        "{lima_yaml}"
    );
    // doctor shows the locations as Lima got them.
    let doctor = p.berth(["doctor", "--json"]).run().success().json();
    let mounts = doctor["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "mounts")
        .unwrap()
        .clone();
    assert_eq!(
        mounts["value"],
        format!(
            "{}, {} (writable), ~/src",
            shared.display(),
            p.path("data").display()
        )
    );
}

#[test]
fn a_mount_that_is_not_a_directory_is_refused_before_anything_is_created() {
    let p = LimaProject::with_settings("mounts = [\"../shared\", \"gone\"]\n");
    std::fs::create_dir_all(p.base().join("shared")).unwrap();
    p.init()
        .code(1)
        .stderr_has(&format!(
            "error: mount `gone` in [tool.berth] does not exist: `{}`\n  --> pixi.toml:9:10\n",
            p.path("gone").display()
        ))
        .stderr_has("  help: a relative location is relative to the directory holding the manifest; create the directory or change the location in `mounts`\n");
    assert_eq!(p.lima_verbs(), Vec::<String>::new(), "no create");
    assert!(!p.path(".pixi/lima").exists());
    let doctor = p.berth(["doctor", "--json"]).run();
    let problems = doctor.code(1).problem_messages();
    let missing = format!(
        "mount `gone` in [tool.berth] does not exist: `{}`",
        p.path("gone").display()
    );
    assert!(problems.contains(&missing), "{problems:#?}");
    // A file is no mount either, as Lima says.
    let p = LimaProject::with_settings("mounts = [\"notes.txt\"]\n");
    p.write("notes.txt", "");
    p.init()
        .code(1)
        .stderr_has("is `")
        .stderr_has("notes.txt`, a file; a VM mounts directories");
}

#[test]
fn krunkit_is_refused_on_lima_1_before_lima_is_asked_and_passed_on_from_2() {
    let p = LimaProject::with_settings("vm-type = \"krunkit\"\n");
    p.berth(["container", "init"])
        .env("FAKE_LIMA_VERSION", "1.2.3")
        .run()
        .code(1)
        .stderr_has("error: `vm-type = \"krunkit\"` needs Lima 2.0.0 or newer; this is Lima 1.2.3\n  --> pixi.toml:9:11\n")
        .stderr_has("  help: or choose `vm-type = \"vz\"` or `\"qemu\"`, which Lima 1.x has\n");
    assert_eq!(p.lima_verbs(), Vec::<String>::new(), "no create");
    assert!(!p.path(".pixi/lima").exists());

    p.berth(["container", "init"])
        .env("FAKE_LIMA_VERSION", "2.0.0")
        .run()
        .success();
    assert!(
        create_call(&p).contains(" --vm-type=krunkit "),
        "{}",
        create_call(&p)
    );
}

#[test]
fn lima_version_is_printed_without_the_v_a_release_build_writes() {
    let p = LimaProject::new();
    p.init().success();
    assert_eq!(p.read(".pixi/lima/demo/lima-version"), "v2.2.0");
    assert_eq!(
        p.status().1["lima_version"],
        "2.2.0",
        "from `limactl --version`"
    );
    // Without berth's record of the last `limactl --version`, status reads the instance's own
    // lima-version file, and prints the same form.
    std::fs::remove_file(p.path(".pixi/berth/lima-version")).unwrap();
    assert_eq!(p.status().1["lima_version"], "2.2.0", "from lima-version");
}

#[test]
fn a_short_lima_home_names_its_project_so_clean_global_finds_it_once_the_project_is_gone() {
    let p = LimaProject::new();
    let root = p.deep_root();
    let run = |args: &[&str]| p.berth(args).current_dir(&root).run();
    run(&["container", "init"]).success();
    let short = std::fs::read_link(root.join(".pixi/lima")).unwrap();
    let marker = short.join(".berth-project-root");
    let named = format!("{}\n", root.display());
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), named);

    // A short directory an older berth made has no marker: the next start writes it.
    run(&["container", "stop"]).success();
    std::fs::remove_file(&marker).unwrap();
    run(&["container", "start"]).success();
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), named);
    run(&["container", "stop"]).success();

    // The project goes (`rm -rf` of a checkout); clean --global finds what it left.
    std::fs::remove_dir_all(root.parent().unwrap()).unwrap();
    let dry = p
        .berth(["system", "clean", "--global", "--dry-run", "--json"])
        .run();
    let plan = dry.success().json()["plan"].clone();
    let orphaned: Vec<&serde_json::Value> = plan
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["path"]
                .as_str()
                .unwrap()
                .starts_with(short.to_str().unwrap())
        })
        .collect();
    assert_eq!(orphaned.len(), 2, "{plan:#}");
    assert_eq!(orphaned[0]["path"], short.join("demo").to_str().unwrap());
    assert_eq!(orphaned[0]["kind"], "instance");
    assert_eq!(orphaned[1]["path"], short.to_str().unwrap());
    assert_eq!(orphaned[1]["kind"], "orphaned-short-path");
    p.berth(["system", "clean", "--global", "--yes"])
        .run()
        .success();
    assert!(!short.exists());
    assert!(p.fake_calls().iter().any(|l| l == "limactl delete demo"));
}

// ---- conformance with Lima's LimaYAML ----

/// What `tests/lima-source/lima-yaml-keys.txt` recorded from Lima's source at one release.
#[derive(Debug, PartialEq, Eq)]
struct LimaSource {
    lima_yaml: std::collections::BTreeSet<String>,
    mount: std::collections::BTreeSet<String>,
    /// Every flag `limactl create` takes.
    flags: std::collections::BTreeSet<String>,
    /// Edit flag -> the yaml path it sets (`cpus` -> `.cpus`).
    edits: std::collections::BTreeMap<String, String>,
}

/// The recorded releases, oldest first: (tag, what its source says).
fn lima_sources() -> Vec<(String, LimaSource)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lima-source/lima-yaml-keys.txt");
    let text = std::fs::read_to_string(path).unwrap();
    let mut sources: Vec<(String, LimaSource)> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let tag = line.split_whitespace().next().unwrap().to_string();
        let (head, values) = line.split_once(": ").unwrap();
        let kind = head.split_whitespace().last().unwrap();
        if sources.last().is_none_or(|(last, _)| *last != tag) {
            let empty = LimaSource {
                lima_yaml: Default::default(),
                mount: Default::default(),
                flags: Default::default(),
                edits: Default::default(),
            };
            sources.push((tag.clone(), empty));
        }
        let source = &mut sources.last_mut().unwrap().1;
        let words = values.split_whitespace().map(str::to_string);
        match kind {
            "LimaYAML" => source.lima_yaml.extend(words),
            "Mount" => source.mount.extend(words),
            "flags" => source.flags.extend(words),
            "edits" => source.edits.extend(words.map(|w| {
                let (flag, key) = w.split_once('=').unwrap();
                (flag.to_string(), key.to_string())
            })),
            other => panic!("unknown line kind {other}"),
        }
    }
    sources
}

/// The words of a line the fake logged with Python's `shlex.join` (single quotes only).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut in_word = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                in_word = true;
            }
            ' ' if !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                }
                in_word = false;
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The yaml keys a `--set` expression of berth's writes: `.mounts += [{…}, …]` sets `mounts`
/// and, in each element, the keys of a `Mount`.
fn keys_set_by(expression: &str) -> (String, Vec<String>) {
    let (path, value) = expression.split_once(" += ").unwrap_or_else(|| {
        panic!("berth writes an expression this test cannot read: {expression}")
    });
    let top = path.strip_prefix('.').unwrap().to_string();
    let value: serde_json::Value = serde_json::from_str(value).expect("a JSON value");
    let nested = value
        .as_array()
        .expect("a list")
        .iter()
        .flat_map(|element| element.as_object().expect("an object").keys().cloned())
        .collect();
    (top, nested)
}

/// Every key berth writes into `lima.yaml` (through `limactl create`'s flags and the
/// `--set` edit of `templates/lima-docker.yq`, with every `[tool.berth]` setting that reaches
/// them) exists in Lima's `LimaYAML` at every release berth supports. Lima only warns about
/// an unknown key (`pkg/limayaml/marshal.go`) and then ignores it, so nothing else would
/// notice a key that went away.
#[test]
fn every_key_berth_writes_into_lima_yaml_exists_in_lima_at_each_supported_version() {
    let sources = lima_sources();
    assert_eq!(sources[0].0, "v1.0.0", "the oldest Lima berth supports");
    // Releases whose recorded source is the same need one run between them.
    let mut runs: Vec<(&str, &LimaSource, Vec<&str>)> = Vec::new();
    for (tag, source) in &sources {
        match runs
            .iter_mut()
            .find(|(first, same, _)| *same == source && first.starts_with(&tag[..2]))
        {
            Some((_, _, tags)) => tags.push(tag),
            None => runs.push((tag, source, vec![tag])),
        }
    }
    for (tag, source, tags) in runs {
        let p = LimaProject::with_settings(
            "cpus = 3\nmemory = \"6GiB\"\ndisk = \"40GiB\"\nvm-type = \"qemu\"\n\
             arch = \"x86_64\"\nmounts = [\"~/ro\", { location = \"~/rw\", writable = true }]\n",
        );
        for dir in ["ro", "rw"] {
            std::fs::create_dir_all(p.home.join(dir)).unwrap();
        }
        p.berth(["container", "init"])
            .env("FAKE_LIMA_VERSION", &tag[1..])
            .run()
            .success();
        let words = shell_words(&create_call(&p));
        assert_eq!(&words[..2], ["limactl", "create"]);
        let mut written = Vec::new();
        for word in &words[2..words.len() - 1] {
            let (flag, value) = word
                .strip_prefix("--")
                .and_then(|w| w.split_once('='))
                .unwrap_or_else(|| panic!("not a --flag=value: {word}"));
            assert!(
                source.flags.contains(flag),
                "{tags:?}: `limactl create` has no --{flag}"
            );
            match (flag, source.edits.get(flag)) {
                ("set", _) => {
                    let (top, nested) = keys_set_by(value);
                    assert!(
                        nested.iter().all(|key| source.mount.contains(key)),
                        "{tags:?}: Mount lacks one of {nested:?}"
                    );
                    written.push(top);
                }
                (_, Some(path)) => {
                    let top = path
                        .trim_start_matches('.')
                        .split(['.', '['])
                        .next()
                        .unwrap();
                    written.push(top.to_string());
                }
                // Flags of the command itself, not edits of lima.yaml
                // (cmd/limactl/start.go, cmd/limactl/main.go).
                ("name" | "tty", None) => {}
                (_, None) => panic!("{tags:?}: --{flag} is no edit Lima knows"),
            }
        }
        written.sort();
        assert_eq!(
            written,
            ["arch", "cpus", "disk", "memory", "mounts", "vmType"],
            "every setting reached lima.yaml"
        );
        for key in &written {
            assert!(
                source.lima_yaml.contains(key),
                "{tags:?}: LimaYAML has no `{key}`"
            );
        }
    }
}
