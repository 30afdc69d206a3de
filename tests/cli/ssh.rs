//! `runtime = "ssh://…"` against a real sshd on 127.0.0.1 (`sshd.rs`) whose machine's dockerd
//! is the remote engine, and `runtime = "unix://…"` against an engine socket on this machine.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::Duration;

use crate::docker::ComposeProject;
use crate::harness::{
    Output, TEST_IMAGE, TestProject, alive, docker_available, host_docker, signal, wait_until,
};
use crate::sshd::{SshProject, kill_ssh_under, master_pid_in, public_key, ssh_processes_under};

/// Every error of an ssh runtime arrives within ssh's connect timeout (berth's is 20 s) and
/// the setup's own limit (30 s).
const ERROR_WITHIN: Duration = Duration::from_secs(30);

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// `berth container init`, which must succeed.
#[track_caller]
fn init(p: &SshProject) -> Output {
    let out = p
        .berth(["container", "init"])
        .run_within(ERROR_WITHIN)
        .expect("init finished within 30 s");
    out.success();
    out
}

/// The ssh command lines berth ran since the last look, from the logging `ssh` on PATH.
fn ssh_calls(p: &SshProject) -> Vec<String> {
    let calls: Vec<String> = p
        .fake_calls()
        .into_iter()
        .filter(|line| line.starts_with("ssh "))
        .collect();
    let _ = std::fs::remove_file(p.fake_log_path());
    calls
}

/// The host engine's ID: the same engine answers through the forward.
fn host_engine_id() -> String {
    host_docker(&["info", "--format", "{{.ID}}"])
        .trim()
        .to_string()
}

#[test]
fn init_status_and_stop_run_one_ssh_connection_and_leave_no_ssh_behind() {
    let Some(p) = SshProject::start("") else {
        return;
    };
    p.install_fake("ssh");
    init(&p).stderr_has(&format!(
        "forwarding the Docker engine of {} (/var/run/docker.sock)",
        p.sshd.host()
    ));
    // One master (with the project's config), one question to the remote docker and one
    // forward request, both through the master.
    let calls = ssh_calls(&p);
    let config = p.path("ssh/config");
    assert_eq!(calls.len(), 3, "{calls:#?}");
    assert!(
        calls[0].contains(&format!("-F {} ", config.display())),
        "{calls:#?}"
    );
    assert!(
        calls[0].contains("ControlMaster=yes") && calls[0].contains(" -N "),
        "{calls:#?}"
    );
    assert!(calls[1].ends_with("docker context inspect --format '{{.Endpoints.docker.Host}}'"));
    assert!(calls[2].contains("-O forward -L "), "{calls:#?}");
    assert!(
        calls
            .iter()
            .all(|c| c.contains(&format!("-F {} ", config.display())))
    );
    assert_eq!(
        p.sshd.log().matches("Accepted publickey").count(),
        1,
        "one authenticated connection:\n{}",
        p.sshd.log()
    );

    let dir = p.forward_dir();
    let socket = dir.join("docker.sock");
    assert_eq!((mode(&dir), mode(&socket)), (0o700, 0o600));
    let pid = p.master_pid();
    assert_eq!(p.ssh_processes(), [pid]);

    let status = p.berth(["container", "status", "--json"]).run();
    status.success();
    let json = status.json();
    assert_eq!(json["runtime"], "ssh");
    assert_eq!(json["state"], "running");
    assert_eq!(json["instance"], p.sshd.url());
    assert_eq!(json["docker_host"], format!("unix://{}", socket.display()));
    // Status, a second init and a docker call start no ssh: they read the pid and ping.
    p.berth(["container", "init"])
        .run()
        .success()
        .stderr_has(&format!("(pid {pid}); nothing to do"));
    p.berth(["docker", "version"]).run().success();
    assert_eq!(ssh_calls(&p), Vec::<String>::new());
    assert_eq!(p.master_pid(), pid);

    p.berth(["container", "stop"])
        .run()
        .success()
        .stderr_has(&format!(
            "stopped the ssh forward to {} (pid {pid})",
            p.sshd.host()
        ));
    assert!(!alive(pid), "the master is gone");
    assert_eq!(p.ssh_processes(), Vec::<u32>::new());
    for leftover in ["docker.sock", "ctl", "forward.json"] {
        assert!(!dir.join(leftover).exists(), "{leftover} is left");
    }
    let status = p.berth(["container", "status", "--json"]).run();
    status.code(3);
    assert_eq!(status.json()["state"], "stopped");
    p.berth(["container", "stop"])
        .run()
        .success()
        .stderr_has("nothing to stop");
    p.berth(["container", "delete"]).run().success();
    assert!(!dir.exists(), "delete removes the forward's directory");
}

#[test]
fn docker_and_compose_reach_the_remote_engine_with_their_exit_codes() {
    let Some(p) = SshProject::start("") else {
        return;
    };
    init(&p);
    p.berth(["docker", "info", "--format", "{{.ID}}"])
        .run()
        .success()
        .stdout_is(&format!("{}\n", host_engine_id()));
    p.berth(["docker", "run", "--rm", TEST_IMAGE, "sh", "-c", "exit 3"])
        .run()
        .code(3);
    p.berth(["docker", "inspect", "berth-no-such-container"])
        .run()
        .code(1);
    let compose = ComposeProject::write(&p, "ssh");
    compose.up_and_down(&p, &["compose", "up", "-d"], &["compose", "down"]);
    p.berth(["compose", "run", "--rm", "sleeper", "sh", "-c", "exit 4"])
        .env("COMPOSE_PROJECT_NAME", compose.name())
        .run()
        .code(4);
}

#[test]
fn env_gives_plain_docker_the_same_engine() {
    let Some(p) = SshProject::start("") else {
        return;
    };
    init(&p);
    let env = p.berth(["env", "--json"]).run();
    env.success();
    let json = env.json();
    let docker_host = json["DOCKER_HOST"].as_str().unwrap().to_string();
    assert_eq!(
        docker_host,
        format!("unix://{}", p.forward_dir().join("docker.sock").display())
    );
    // The shell form, evaluated by a shell, and plain docker in it.
    let script = p.berth(["env", "--shell", "sh"]).run();
    script.success();
    let plain = p
        .command("sh")
        .arg("-c")
        .arg(format!(
            "{}\ndocker info --format '{{{{.ID}}}}'",
            script.stdout
        ))
        .run();
    plain
        .success()
        .stdout_is(&format!("{}\n", host_engine_id()));
}

#[test]
fn doctor_names_the_host_the_remote_engines_version_and_a_pings_round_trip() {
    let Some(p) = SshProject::start("") else {
        return;
    };
    init(&p);
    let doctor = p.berth(["doctor", "--json"]).run();
    doctor.success();
    let json = doctor.json();
    let engine = &json["engine"];
    assert_eq!(engine["endpoint"], p.sshd.url());
    let version = host_docker(&["version", "--format", "{{.Server.Version}}"]);
    assert!(
        engine["version"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{} (API ", version.trim())),
        "{engine:#}"
    );
    assert!(engine["ping_ms"].as_f64().unwrap() > 0.0, "{engine:#}");
    let row = json["runtimes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "ssh")
        .expect("an ssh row");
    assert_eq!(row["state"], "running");
    assert_eq!(json["selected"]["runtime"], "ssh");
    p.berth(["doctor"]).run().success().stdout_has(&format!(
        "engine: {} — Docker {}",
        p.sshd.url(),
        version.trim()
    ));
}

#[test]
fn a_forward_that_died_is_reported_with_what_to_run_or_restarted_by_auto_start() {
    let Some(p) = SshProject::start("") else {
        return;
    };
    init(&p);
    let pid = p.master_pid();
    signal(pid, "KILL");
    wait_until("the master to die", || !alive(pid));
    p.berth(["docker", "version"])
        .run()
        .code(1)
        .stderr_has(&format!(
            "error: the ssh forward to {} (pid {pid}) has ended",
            p.sshd.host()
        ))
        .stderr_has("help: run `berth container start`");
    let status = p.berth(["container", "status", "--json"]).run();
    status.code(3);
    assert_eq!(status.json()["state"], "stopped");
    p.berth(["docker", "info", "--format", "{{.ID}}"])
        .env("BERTH_AUTO_START", "1")
        .run()
        .success()
        .stdout_is(&format!("{}\n", host_engine_id()));
    let restarted = p.master_pid();
    assert_ne!(restarted, pid);
    assert_eq!(p.ssh_processes(), [restarted]);
}

#[test]
fn a_forward_to_another_endpoint_is_replaced_and_the_configs_user_applies() {
    let Some(p) = SshProject::start("") else {
        return;
    };
    init(&p);
    let first = p.master_pid();
    // The same host without a user in the URL: the ssh config's `User` decides.
    let url = format!("ssh://127.0.0.1:{}", p.sshd.port);
    p.write(
        "pixi.toml",
        &format!(
            "[workspace]\nname = \"demo\"\nchannels = []\nplatforms = []\n\n[tool.berth]\n\
             runtime = \"{url}\"\nssh-config = \"ssh/config\"\n"
        ),
    );
    p.write(
        "ssh/config",
        &format!("{}  User root\n", p.sshd.client_config()),
    );
    let status = p.berth(["container", "status", "--json"]).run();
    status.code(1);
    assert_eq!(status.json()["state"], "broken");
    assert_eq!(
        status.json()["reason"],
        format!(
            "the running ssh forward goes to {}, not to {url}",
            p.sshd.url()
        )
    );
    init(&p).stderr_has(&format!("stopped the earlier ssh forward (pid {first})"));
    let second = p.master_pid();
    assert!(!alive(first));
    assert_eq!(p.ssh_processes(), [second]);
    p.berth(["docker", "version"]).run().success();
}

#[test]
fn a_master_left_by_a_killed_berth_is_ended_by_the_next_one() {
    let Some(host) = silent_host() else {
        return;
    };
    let p = &host.project;
    let berth = host.init_while_connecting();
    signal(berth.id(), "KILL");
    let _ = crate::harness::finish(berth);
    let left = ssh_processes_under(&p.home);
    assert_eq!(left.len(), 1, "berth's master outlives a SIGKILL of berth");
    let status = p.berth(["container", "status"]).run();
    status
        .code(1)
        .stdout_has("broken")
        .stdout_has("runs, but its forward was never set up");
    p.berth(["container", "stop"])
        .run()
        .success()
        .stderr_has(&format!("(pid {})", left[0]));
    assert_eq!(ssh_processes_under(&p.home), Vec::<u32>::new());
}

/// The file naming the project a forward directory serves.
const PROJECT_MARKER: &str = ".berth-project-root";

/// The `plan` entry of `system clean --json` whose kind is `kind`.
fn plan_entry(json: &serde_json::Value, kind: &str) -> serde_json::Value {
    json["plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in the plan: {json:#}"))
        .clone()
}

#[test]
fn project_clean_ends_the_ssh_master_and_removes_its_directory() {
    let Some(p) = SshProject::start("") else {
        return;
    };
    init(&p);
    let dir = p.forward_dir();
    let pid = p.master_pid();
    assert_eq!(
        std::fs::read_to_string(dir.join(PROJECT_MARKER)).unwrap(),
        format!("{}\n", p.root.display())
    );
    // Like a running VM, a running master is stopped only with --force.
    p.berth(["system", "clean", "--yes"])
        .run()
        .code(1)
        .stderr_has(&format!(
            "error: the ssh forward to {} (pid {pid}) is running; nothing was removed",
            p.sshd.url()
        ))
        .stderr_has("help: stop it first (`berth container stop`), or rerun with --force");
    assert!(alive(pid) && dir.join("docker.sock").exists());

    let out = p
        .berth(["system", "clean", "--yes", "--force", "--json"])
        .run();
    let json = out.success().json();
    let entry = plan_entry(&json, "ssh-forward");
    assert_eq!(entry["path"], dir.display().to_string());
    assert_eq!(
        (&entry["status"], &entry["pid"]),
        (&"running".into(), &pid.into())
    );
    assert!(
        json["removed"]
            .as_array()
            .unwrap()
            .contains(&dir.display().to_string().into()),
        "{json:#}"
    );
    assert!(!alive(pid), "the master is ended");
    assert_eq!(p.ssh_processes(), Vec::<u32>::new());
    assert!(!dir.exists(), "the forward's directory is removed");
}

/// A forward directory and its master's pid.
struct Forward {
    dir: std::path::PathBuf,
    pid: u32,
}

/// An ssh project whose forward runs, and the running forward of a second project on the same
/// HOME and sshd whose root was then removed: an orphan.
fn live_and_orphaned_forwards() -> Option<(SshProject, Forward, Forward)> {
    let p = SshProject::start("")?;
    init(&p);
    let live = Forward {
        dir: p.forward_dir(),
        pid: p.master_pid(),
    };
    let gone = p.base().join("gone");
    std::fs::create_dir_all(gone.join("ssh")).unwrap();
    std::fs::write(gone.join("pixi.toml"), p.read("pixi.toml")).unwrap();
    std::fs::write(gone.join("ssh/config"), p.sshd.client_config()).unwrap();
    p.berth(["container", "init"])
        .current_dir(&gone)
        .run_within(ERROR_WITHIN)
        .expect("init finished within 30 s")
        .success();
    let dir = std::fs::read_dir(p.home.join(".berth/ssh"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|dir| *dir != live.dir)
        .expect("the second project's forward directory");
    let orphan = Forward {
        pid: master_pid_in(&dir),
        dir,
    };
    std::fs::remove_dir_all(&gone).unwrap();
    Some((p, live, orphan))
}

#[test]
fn global_clean_removes_an_orphans_forward_and_keeps_a_live_projects() {
    let Some((p, live, orphan)) = live_and_orphaned_forwards() else {
        return;
    };
    // One an earlier berth made, which names no project.
    let unmarked = p.home.join(".berth/ssh/0badcafe");
    std::fs::create_dir(&unmarked).unwrap();
    std::fs::set_permissions(&unmarked, std::fs::Permissions::from_mode(0o700)).unwrap();

    p.berth(["system", "clean", "--global", "--yes"])
        .run()
        .code(1)
        .stderr_has(&format!(
            "error: the ssh forward to {} (pid {}) is running; nothing was removed",
            p.sshd.url(),
            orphan.pid
        ))
        .stderr_has(&format!("help: stop it first (`kill {}`)", orphan.pid));
    assert!(alive(orphan.pid) && orphan.dir.is_dir());

    let out = p
        .berth(["system", "clean", "--global", "--yes", "--force", "--json"])
        .run();
    let json = out.success().json();
    let entry = plan_entry(&json, "orphaned-ssh-forward");
    assert_eq!(entry["path"], orphan.dir.display().to_string());
    assert_eq!(entry["status"], "running");
    assert_eq!(json["removed"], serde_json::json!([orphan.dir]));
    let shown = |dir: &Path| format!("~/.berth/ssh/{}", dir.file_name().unwrap().display());
    out.stderr_has(&format!(
        "note: the ssh forward in `{}` stays: its project `{}` exists",
        shown(&live.dir),
        p.root.display()
    ))
    .stderr_has(&format!(
        "note: the ssh forward in `{}` stays: an earlier berth made it without naming its project",
        shown(&unmarked)
    ));
    assert!(
        !orphan.dir.exists() && !alive(orphan.pid),
        "the orphan is gone"
    );
    assert!(unmarked.is_dir(), "an unmarked directory stays");
    assert_eq!(
        p.ssh_processes(),
        [live.pid],
        "the live project's master runs"
    );
    p.berth(["docker", "version"]).run().success();
}

#[test]
fn a_clean_dry_run_leaves_every_forward_and_master_as_it_was() {
    let Some((p, live, orphan)) = live_and_orphaned_forwards() else {
        return;
    };
    let before = crate::clean::snapshot(&p.home.join(".berth"));
    for (scope, kind, dir) in [
        (None, "ssh-forward", &live.dir),
        (Some("--global"), "orphaned-ssh-forward", &orphan.dir),
    ] {
        let json = p
            .berth(["system", "clean", "--dry-run", "--json"])
            .args(scope)
            .run()
            .success()
            .json();
        assert_eq!(plan_entry(&json, kind)["path"], dir.display().to_string());
        assert_eq!(json["removed"], serde_json::json!([]));
    }
    assert_eq!(crate::clean::snapshot(&p.home.join(".berth")), before);
    assert!(alive(live.pid) && alive(orphan.pid));
}

#[test]
fn a_container_job_which_would_mount_a_local_directory_on_the_remote_engine_is_refused() {
    let Some(p) = SshProject::start("") else {
        return;
    };
    init(&p);
    for command in [
        &["exec", "--image", TEST_IMAGE, "--", "true"][..],
        &["pool", "start", "--size", "1", "--image", TEST_IMAGE],
    ] {
        p.berth(command)
            .run()
            .code(1)
            .stderr_has("from this machine, and the project's engine (ssh://) runs on another one")
            .stderr_has("help: run it there as a cluster job");
    }
    assert!(!p.path(".pixi/berth/jobs").exists(), "no job started");
}

#[test]
fn container_shell_runs_on_the_remote_host_through_the_master() {
    let Some(p) = SshProject::start("") else {
        return;
    };
    init(&p);
    p.berth(["container", "shell", "echo", "on", "the", "host"])
        .run()
        .success()
        .stdout_is("on the host\n");
    assert_eq!(
        p.sshd.log().matches("Accepted publickey").count(),
        1,
        "the shell shared the master's connection"
    );
}

/// `berth container init` against `p`, which must fail within the limit, naming the host
/// with a `help:`, and leave no ssh process and no forward behind; its output.
#[track_caller]
fn failed_init(p: &SshProject) -> Output {
    let out = p
        .berth(["container", "init"])
        .run_within(ERROR_WITHIN)
        .expect("the error came within 30 s");
    out.code(1)
        .stderr_has("error: ")
        .stderr_has(&p.sshd.host())
        .stderr_has("\n  help: ");
    assert_eq!(p.ssh_processes(), Vec::<u32>::new(), "{}", out.stderr);
    let record = p.home.join(".berth/ssh");
    let left: Vec<_> = std::fs::read_dir(&record)
        .into_iter()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|e| e.unwrap().file_name())
        // The directory names its project, so `system clean --global` finds it.
        .filter(|name| name != PROJECT_MARKER)
        .collect();
    assert!(left.is_empty(), "left in the forward's directory: {left:?}");
    out
}

#[test]
fn an_unreachable_host_is_an_error_naming_it() {
    let Some(mut p) = SshProject::start("") else {
        return;
    };
    // Nothing listens on the port any more.
    p.sshd.stop();
    let port = p.sshd.port;
    failed_init(&p)
        .stderr_has(&format!(
            "error: cannot reach {} over ssh: connect to host 127.0.0.1 port {port}: \
             Connection refused",
            p.sshd.host()
        ))
        .stderr_has(&format!(
            "help: try it by hand: `ssh -F ssh/config -p {port} root@127.0.0.1 true`"
        ));
}

#[test]
fn a_refused_key_is_an_error_saying_how_berth_authenticates() {
    let Some(p) = SshProject::start("") else {
        return;
    };
    p.write(
        "ssh/config",
        &p.sshd
            .client_config_with("other_key", &p.sshd.path("known_hosts")),
    );
    failed_init(&p)
        .stderr_has(&format!(
            "error: {} refused the ssh authentication: root@127.0.0.1: Permission denied \
             (publickey).",
            p.sshd.host()
        ))
        .stderr_has("load your key into ssh-agent (`ssh-add`), or name it with `IdentityFile`");
}

#[test]
fn an_unknown_host_key_says_how_to_accept_it_and_accept_new_does() {
    let Some(p) = SshProject::start("") else {
        return;
    };
    let known_hosts = p.sshd.path("empty_known_hosts");
    std::fs::write(&known_hosts, "").unwrap();
    let config = p.sshd.client_config_with("client_key", &known_hosts);
    p.write("ssh/config", &config);
    let port = p.sshd.port;
    failed_init(&p)
        .stderr_has(&format!(
            "error: the host key of {} is unknown to ssh, and berth never accepts one unasked",
            p.sshd.host()
        ))
        .stderr_has(&format!(
            "help: accept it once: run `ssh -F ssh/config -p {port} root@127.0.0.1 true` in a \
             terminal"
        ))
        .stderr_has("`StrictHostKeyChecking accept-new` for this host in your ssh config");
    // The second way the help names, followed.
    p.write(
        "ssh/config",
        &format!("{config}  StrictHostKeyChecking accept-new\n"),
    );
    init(&p);
    let accepted = std::fs::read_to_string(&known_hosts).unwrap();
    assert!(
        accepted.contains(&public_key(&p.sshd.path("host_key.pub"))),
        "{accepted}"
    );
}

#[test]
fn a_changed_host_key_is_refused_with_how_to_remove_the_old_one() {
    let Some(p) = SshProject::start("") else {
        return;
    };
    let known_hosts = p.sshd.path("wrong_known_hosts");
    std::fs::write(
        &known_hosts,
        format!(
            "[127.0.0.1]:{} {}\n",
            p.sshd.port,
            public_key(&p.sshd.path("other_key.pub"))
        ),
    )
    .unwrap();
    p.write(
        "ssh/config",
        &p.sshd.client_config_with("client_key", &known_hosts),
    );
    failed_init(&p)
        .stderr_has(&format!(
            "error: the host key of {} has changed since ssh accepted it",
            p.sshd.host()
        ))
        .stderr_has(&format!("ssh-keygen -f \"{}\" -R", known_hosts.display()));
}

#[test]
fn no_docker_on_the_remote_is_an_error_naming_the_host() {
    // The remote shell runs every command with a PATH that has no docker.
    let Some(p) = SshProject::start(
        "ForceCommand env PATH=/nonexistent /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"",
    ) else {
        return;
    };
    failed_init(&p)
        .stderr_has(&format!(
            "error: there is no `docker` on {}: /bin/sh: 1: docker: not found",
            p.sshd.host()
        ))
        .stderr_has("help: install Docker on");
}

#[test]
fn a_remote_engine_that_is_not_running_is_an_error_naming_its_socket() {
    // The remote user's docker looks for its engine where none runs.
    let Some(p) = SshProject::start("SetEnv DOCKER_HOST=unix:///nonexistent/berth/docker.sock")
    else {
        return;
    };
    failed_init(&p)
        .stderr_has(&format!(
            "error: the Docker engine on {} does not answer at /nonexistent/berth/docker.sock",
            p.sshd.host()
        ))
        .stderr_has("help: start it on");
}

/// A project whose runtime is `127.0.0.1:<port>` of a TCP listener that never speaks: ssh
/// connects and waits for a banner that never comes.
struct SilentHost {
    project: TestProject,
    _listener: std::net::TcpListener,
}

impl SilentHost {
    /// `berth container init`, started, once its ssh runs (connecting) and is recorded.
    fn init_while_connecting(&self) -> std::process::Child {
        let p = &self.project;
        let berth = p.berth(["container", "init"]).start();
        wait_until("berth to start ssh and record it", || {
            !ssh_processes_under(&p.home).is_empty()
                && std::fs::read_dir(p.home.join(".berth/ssh"))
                    .into_iter()
                    .flatten()
                    .any(|d| d.unwrap().path().join("forward.json").exists())
        });
        berth
    }
}

impl Drop for SilentHost {
    fn drop(&mut self) {
        kill_ssh_under(&self.project.home);
    }
}

fn silent_host() -> Option<SilentHost> {
    if !docker_available() {
        return None;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let p = TestProject::with_tasks(&format!(
        "[tool.berth]\nruntime = \"ssh://root@127.0.0.1:{port}\"\nssh-config = \"ssh_config\"\n"
    ));
    p.write(
        "ssh_config",
        "IdentityAgent none\nUserKnownHostsFile /dev/null\nGlobalKnownHostsFile /dev/null\n",
    );
    Some(SilentHost {
        project: p,
        _listener: listener,
    })
}

#[test]
fn a_host_that_never_answers_is_an_error_within_the_connect_timeout() {
    let Some(host) = silent_host() else {
        return;
    };
    let p = &host.project;
    let out = p
        .berth(["container", "init"])
        .run_within(ERROR_WITHIN)
        .expect("the error came within 30 s");
    out.code(1)
        .stderr_has("error: cannot reach root@127.0.0.1:")
        .stderr_has("timed out");
    assert_eq!(ssh_processes_under(&p.home), Vec::<u32>::new());
}

#[test]
fn ctrl_c_while_connecting_leaves_no_ssh_behind() {
    let Some(host) = silent_host() else {
        return;
    };
    let p = &host.project;
    let berth = host.init_while_connecting();
    signal(berth.id(), "INT");
    let out = crate::harness::finish(berth);
    assert_eq!(out.code, 130, "{}", out.stderr);
    assert_eq!(ssh_processes_under(&p.home), Vec::<u32>::new());
}

#[test]
fn a_repository_config_that_runs_programs_is_refused_before_any_ssh_runs() {
    if !docker_available() {
        return;
    }
    let p = TestProject::with_tasks(
        "[tool.berth]\nruntime = \"ssh://build\"\nssh-config = \".ssh/config\"\n",
    );
    p.install_fake("ssh");
    let marker = p.base().join("ran");
    for (config, written, at) in [
        (
            format!(
                "Host build\n  HostName 127.0.0.1\n  proxyCommand touch {}\n",
                marker.display()
            ),
            "proxyCommand",
            ".ssh/config:3:3",
        ),
        (
            format!(
                "LocalCommand=touch {}\nPermitLocalCommand yes\n",
                marker.display()
            ),
            "LocalCommand",
            ".ssh/config:1:1",
        ),
        (
            format!("Include {}\n", p.path(".ssh/more.conf").display()),
            "Match exec",
            ".ssh/more.conf:2:1",
        ),
        (
            format!("\"KnownHostsCommand\" /bin/touch {}\n", marker.display()),
            "KnownHostsCommand",
            ".ssh/config:1:1",
        ),
    ] {
        p.write(".ssh/config", &config);
        p.write(
            ".ssh/more.conf",
            &format!(
                "Host build\nMATCH host build EXEC \"touch {}\"\n",
                marker.display()
            ),
        );
        for command in [&["container", "init"][..], &["container", "shell"]] {
            p.berth(command)
                .run()
                .code(1)
                .stderr_has(&format!("error: the project's ssh config uses `{written}`"))
                .stderr_has(&format!("  --> {at}\n"))
                .stderr_has("help: a cloned repository is not trusted to run programs")
                .stderr_has("help: `ssh-config` is set by pixi.toml:");
        }
    }
    assert!(!marker.exists(), "a repository's command ran");
    assert_eq!(
        p.fake_calls()
            .iter()
            .filter(|c| c.starts_with("ssh "))
            .count(),
        0,
        "no ssh ran"
    );
}

/// The uid of a second user of this machine (`nobody`), for the ownership tests.
const OTHER_UID: u32 = 65534;

/// The forward's directory, sockets and record must be the user's alone.
#[test]
fn a_forward_directory_or_socket_of_another_user_is_refused() {
    let Some(p) = SshProject::start("") else {
        return;
    };
    let id_dir = |p: &SshProject| {
        init(p);
        let dir = p.forward_dir();
        p.berth(["container", "stop"]).run().success();
        dir
    };
    let dir = id_dir(&p);

    // A directory another user made there (let through the directories above it).
    std::fs::remove_dir_all(&dir).unwrap();
    let ssh_dir = dir.parent().unwrap();
    let set_mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    for above in [p.base(), p.home.as_path(), ssh_dir.parent().unwrap()] {
        set_mode(above, 0o711);
    }
    set_mode(ssh_dir, 0o777);
    let made = std::process::Command::new("mkdir")
        .arg("-m")
        .arg("700")
        .arg(&dir)
        .uid(OTHER_UID)
        .gid(OTHER_UID)
        .status()
        .unwrap();
    assert!(made.success(), "mkdir as uid {OTHER_UID}");
    set_mode(ssh_dir, 0o700);
    p.berth(["container", "init"])
        .run()
        .code(1)
        .stderr_has(&format!(
            "error: `{}` belongs to another user (uid {OTHER_UID}, you are 0); berth does not use it",
            dir.display()
        ))
        .stderr_has("help: berth keeps the ssh forward of the project's engine there");
    assert_eq!(p.ssh_processes(), Vec::<u32>::new());
    // Clean neither enters nor removes it: the project's clean refuses, `--global` says why
    // it stays.
    let theirs = format!(
        "`{}` belongs to another user (uid {OTHER_UID}, you are 0)",
        dir.display()
    );
    p.berth(["system", "clean", "--yes", "--force"])
        .run()
        .code(1)
        .stderr_has(&format!("error: {theirs}"));
    p.berth(["system", "clean", "--global", "--yes", "--force"])
        .run()
        .success()
        .stderr_has(&format!(
            "note: {theirs}; berth does not use it; clean leaves it"
        ));
    assert!(dir.is_dir(), "another user's directory stays");
    std::fs::remove_dir(&dir).unwrap();

    // A link there, to a directory of the user's elsewhere: never followed, nothing in its
    // target removed.
    let elsewhere = p.base().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(elsewhere.join(PROJECT_MARKER), "/nonexistent/project\n").unwrap();
    std::os::unix::fs::symlink(&elsewhere, &dir).unwrap();
    p.berth(["system", "clean", "--yes", "--force"])
        .run()
        .code(1)
        .stderr_has(&format!("error: `{}` is not a directory", dir.display()));
    p.berth(["system", "clean", "--global", "--yes", "--force"])
        .run()
        .success()
        .stderr_has("is not a directory; berth does not use it; clean leaves it");
    assert!(dir.is_symlink() && elsewhere.join(PROJECT_MARKER).is_file());
    std::fs::remove_file(&dir).unwrap();

    // A directory other users can write.
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    p.berth(["container", "init"])
        .run()
        .code(1)
        .stderr_has("can be written by other users (mode 777)");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();

    // A socket of another user's where the forward's goes: left alone, and refused.
    let socket = dir.join("docker.sock");
    let planted = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::os::unix::fs::chown(&socket, Some(OTHER_UID), Some(OTHER_UID)).unwrap();
    p.berth(["container", "init"])
        .run()
        .code(1)
        .stderr_has(&format!("`{}` belongs to another user", socket.display()));
    assert!(socket.exists(), "another user's socket is not removed");
    drop(planted);
    std::fs::remove_file(&socket).unwrap();

    // While the forward runs, its socket replaced by another user's: docker is not pointed
    // at it.
    init(&p);
    std::fs::remove_file(&socket).unwrap();
    let _planted = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::os::unix::fs::chown(&socket, Some(OTHER_UID), Some(OTHER_UID)).unwrap();
    p.berth(["docker", "version"])
        .run()
        .code(1)
        .stderr_has(&format!("`{}` belongs to another user", socket.display()));
    p.berth(["container", "status"]).run().code(1);
}

#[test]
fn another_user_running_berth_on_the_same_home_is_refused_the_forward() {
    let Some(p) = SshProject::start("") else {
        return;
    };
    init(&p);
    // The other user may enter the test's directories and run berth.
    for dir in [p.base(), p.home.as_path()] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let as_other = |args: &[&str]| {
        let mut run = p.berth(args);
        run.command.uid(OTHER_UID).gid(OTHER_UID);
        run.run()
    };
    // berth keeps its forward in a directory only its user may enter: to the other user it
    // is another's, not a socket to hand docker.
    let refused = format!(
        "error: `{}` belongs to another user (uid 0, you are {OTHER_UID})",
        p.home.join(".berth").display()
    );
    as_other(&["container", "status"])
        .code(1)
        .stderr_has(&refused);
    let problems = as_other(&["doctor", "--json"]).code(1).problem_messages();
    assert!(
        problems
            .iter()
            .any(|message| message.contains("belongs to another user")),
        "{problems:#?}"
    );
}

#[test]
fn a_unix_runtime_is_the_engine_at_its_socket() {
    if !docker_available() {
        return;
    }
    let p = TestProject::with_tasks("[tool.berth]\nruntime = \"unix:///var/run/docker.sock\"\n");
    let status = p.berth(["container", "status", "--json"]).run();
    status.success();
    let json = status.json();
    assert_eq!(json["runtime"], "unix");
    assert_eq!(json["state"], "running");
    assert_eq!(json["instance"], "unix:///var/run/docker.sock");
    assert_eq!(json["docker_host"], "unix:///var/run/docker.sock");
    p.berth(["docker", "info", "--format", "{{.ID}}"])
        .run()
        .success()
        .stdout_is(&format!("{}\n", host_engine_id()));
    p.berth(["docker", "run", "--rm", TEST_IMAGE, "sh", "-c", "exit 5"])
        .run()
        .code(5);
    let env = p.berth(["env", "--json"]).run();
    env.success();
    assert_eq!(env.json()["DOCKER_HOST"], "unix:///var/run/docker.sock");
    let doctor = p.berth(["doctor", "--json"]).run();
    doctor.success();
    assert_eq!(
        doctor.json()["engine"]["endpoint"],
        "unix:///var/run/docker.sock"
    );
    p.berth(["container", "stop"])
        .run()
        .success()
        .stderr_has("is not berth's to stop; nothing done");
}

#[test]
fn a_unix_socket_nobody_answers_is_a_clear_error() {
    let p = TestProject::with_tasks("[tool.berth]\n");
    let socket = p.base().join("engine.sock");
    let runtime = format!("unix://{}", socket.display());
    for command in [&["docker", "ps"][..], &["container", "init"], &["env"]] {
        p.berth(command)
            .env("BERTH_RUNTIME", &runtime)
            .run()
            .code(1)
            .stderr_has(&format!(
                "error: no Docker engine answers at {} (no such socket)",
                socket.display()
            ))
            .stderr_has("help: start the engine that serves");
    }
    let status = p
        .berth(["--runtime", &runtime, "container", "status", "--json"])
        .run();
    status.code(3);
    assert_eq!(status.json()["state"], "stopped");
    // A socket something listens on, but no engine: not taken for one.
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    p.berth(["--runtime", &runtime, "docker", "ps"])
        .run()
        .code(1)
        .stderr_has("(it does not answer as a Docker engine)");
}

#[test]
fn endpoints_berth_cannot_use_are_refused_where_they_are_written() {
    let p = TestProject::with_tasks("[tool.berth]\nruntime = \"tcp://10.0.0.5:2375\"\n");
    p.berth(["container", "status"])
        .run()
        .code(1)
        .stderr_has("error: `tcp://10.0.0.5:2375` is not a valid runtime: berth reaches engines over ssh or a local socket, not tcp://")
        .stderr_has("  --> pixi.toml:")
        .stderr_has("help: write an endpoint as ssh://[user@]host[:port] or unix:///path/to/docker.sock");
    p.berth([
        "--runtime",
        "ssh://-oProxyCommand=touch",
        "container",
        "status",
    ])
    .run()
    .code(1)
    .stderr_has("the host `-oProxyCommand=touch` starts with `-`")
    .stderr_has("help: it came from --runtime");
    p.berth(["container", "status"])
        .env("BERTH_RUNTIME", "ssh")
        .run()
        .code(1)
        .stderr_has("error: `ssh` is not a valid runtime");
}
