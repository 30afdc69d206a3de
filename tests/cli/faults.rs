//! Faults of the project's Lima VM and of berth itself, against the fake `limactl` (its
//! failure switches and pause points are listed at its top). For each: berth names the cause
//! and a log, exits non-zero, and a plain rerun of the same command recovers, with no
//! process of the failed attempt left running and no project file touched.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::clean::{Node, assert_only_removed, snapshot, stand_in};
use crate::harness::{self, Output, TestProject, alive, finish, wait_until};

const MANIFEST: &str = "[tool.berth]\nruntime = \"lima\"\ninstance = \"demo\"\n";

/// A Lima project whose fake processes (all started through `<base>/bin/limactl`, so their
/// command lines name the test's temp dir) are killed when it is dropped.
struct Faulty {
    p: TestProject,
    pauses: PathBuf,
}

impl Drop for Faulty {
    fn drop(&mut self) {
        harness::kill_lima_agents(&self.p.root);
        for pid in processes_of(self.p.base()) {
            harness::signal(pid, "KILL");
        }
    }
}

impl Faulty {
    /// `FAKE_LIMA_ENGINE_SOCKET` for every host agent of these tests: a path where nothing
    /// listens, so the agent answers `/_ping` itself and never reaches the machine's engine.
    const NO_ENGINE: &str = "no-engine.sock";

    fn new() -> Faulty {
        let p = TestProject::with_tasks(MANIFEST);
        p.install_fake("limactl");
        p.write("src/app.py", "print('the user owns this')\n");
        let pauses = p.base().join("pauses");
        std::fs::create_dir_all(&pauses).unwrap();
        Faulty { p, pauses }
    }

    /// `run`, with the host agents it starts answering `/_ping` themselves.
    fn no_engine(&self, run: harness::Run) -> harness::Run {
        run.env(
            "FAKE_LIMA_ENGINE_SOCKET",
            self.p.base().join(Self::NO_ENGINE),
        )
    }

    fn instance(&self, file: &str) -> PathBuf {
        self.p.path(".pixi/lima/demo").join(file)
    }

    fn docker_socket(&self) -> PathBuf {
        self.instance("sock/docker.sock")
    }

    fn init_with(&self, env: &[(&str, &str)]) -> Output {
        let mut run = self.no_engine(self.p.berth(["container", "init"]));
        for (k, v) in env {
            run = run.env(k, v);
        }
        run.run()
    }

    /// `berth ARGS` in the background, paused by the fake at `point`.
    fn spawn_paused(&self, args: &[&str], point: &str, env: &[(&str, &str)]) -> Child {
        let mut run = self
            .no_engine(self.p.berth(args))
            .env("FAKE_LIMA_PAUSE_DIR", &self.pauses)
            .env("FAKE_LIMA_PAUSE_AT", point);
        for (k, v) in env {
            run = run.env(k, v);
        }
        let child = run
            .command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn berth");
        let reached = self.pauses.join(format!("{point}.reached"));
        wait_until(&format!("the fake to pause at {point}"), || {
            reached.exists()
        });
        child
    }

    /// The host agent pid the instance's ha.pid names.
    fn host_agent(&self) -> Option<u32> {
        std::fs::read_to_string(self.instance("ha.pid"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// The plain rerun: `init` succeeds, Docker answers on the socket, and the only process
    /// of this test still running is the host agent in ha.pid.
    #[track_caller]
    fn assert_init_recovers(&self) -> Output {
        let out = self.init_with(&[]);
        out.success().stdout_is(&format!(
            "DOCKER_HOST=unix://{}\n",
            self.docker_socket().display()
        ));
        assert_docker_answers(&self.docker_socket());
        let agent = self.host_agent().expect("a host agent");
        wait_until("only the new host agent to be left", || {
            processes_of(self.p.base()) == [agent]
        });
        out
    }

    /// Every file of the project outside `.pixi` (and HOME's, with `home`), as they are now.
    fn user_files(&self, home: bool) -> BTreeMap<PathBuf, Node> {
        let mut files = if home {
            snapshot(&self.p.home)
        } else {
            BTreeMap::new()
        };
        for entry in std::fs::read_dir(&self.p.root).unwrap().flatten() {
            if entry.file_name() != ".pixi" {
                files.extend(snapshot(&entry.path()));
            }
        }
        files
    }
}

/// Docker answers `GET /_ping` on `socket`. These projects' host agents answer it themselves
/// ([`Faulty::NO_ENGINE`]), so what is tested is berth's recovery, never the load on the
/// machine's shared engine (the Lima tests forward to that one).
#[track_caller]
fn assert_docker_answers(socket: &Path) {
    use std::io::{Read, Write};
    let mut stream = std::os::unix::net::UnixStream::connect(socket)
        .unwrap_or_else(|e| panic!("connect to {}: {e}", socket.display()));
    stream
        .write_all(b"GET /_ping HTTP/1.0\r\n\r\n")
        .expect("send a ping");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read the answer");
    assert!(
        reply.starts_with("HTTP/1.1 200 OK"),
        "the ping through {} was answered {reply:?}",
        socket.display()
    );
}

/// The pids of running processes whose command line names `base` (every fake this test
/// started runs as `python3 <base>/bin/limactl …`).
fn processes_of(base: &Path) -> Vec<u32> {
    let out = Command::new("ps")
        .args(["-ww", "-eo", "pid=,stat=,args="])
        .output()
        .expect("ps");
    let base = base.to_string_lossy();
    let mut pids: Vec<u32> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(base.as_ref()))
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let pid = words.next()?.parse().ok()?;
            let zombie = words.next()?.starts_with('Z');
            (!zombie).then_some(pid)
        })
        .collect();
    pids.sort_unstable();
    pids
}

fn signal(child: &Child, name: &str) {
    assert!(harness::signal(child.id(), name), "SIG{name} was not sent");
}

// ------------------------------------------------------------------ failures of Lima

#[test]
fn a_failed_create_names_its_log_and_a_rerun_recovers() {
    let f = Faulty::new();
    f.init_with(&[("FAKE_LIMA_FAIL_CREATE", "1")])
        .code(1)
        .stderr_has("error: `limactl create` failed: failed to download the image")
        .stderr_has("help: the full output is in .pixi/berth/logs/lima-create.log");
    assert!(!f.instance("").exists(), "Lima removed the failed instance");
    f.assert_init_recovers();
}

#[test]
fn a_start_that_hangs_fails_at_berths_timeout_and_leaves_nothing_running() {
    let f = Faulty::new();
    let out = f.init_with(&[("FAKE_LIMA_START_HANG", "1"), ("BERTH_START_TIMEOUT", "1s")]);
    out.code(1)
        .stderr_has("`limactl start` failed: did not receive an event with the `running` status")
        .stderr_has("help: the full output is in .pixi/berth/logs/lima-start.log")
        .stderr_has("help: berth stopped the half-started instance `demo`")
        .stderr_has("help: the host agent's log is .pixi/lima/demo/ha.stderr.log");
    assert!(
        f.p.fake_calls()
            .iter()
            .any(|l| l == "limactl start --tty=false --timeout=1s demo"),
        "berth's timeout reaches limactl"
    );
    assert_eq!(processes_of(f.p.base()), Vec::<u32>::new());
    assert!(f.instance("ha.stderr.log").is_file(), "the log stays");
    f.assert_init_recovers();
}

#[test]
fn a_host_agent_that_dies_mid_start_leaves_stale_files_a_rerun_clears() {
    let f = Faulty::new();
    f.init_with(&[("FAKE_LIMA_AGENT_DIES", "1")])
        .code(1)
        .stderr_has("`limactl start` failed: host agent process has exited: exit status 2")
        .stderr_has(".pixi/berth/logs/lima-start.log")
        .stderr_has("help: the host agent's log is .pixi/lima/demo/ha.stderr.log");
    // A crash: the pid file names a dead process, the forward's socket has no listener.
    let dead = f.host_agent().expect("ha.pid stays after a crash");
    assert!(!alive(dead));
    assert!(f.docker_socket().exists());
    assert!(std::os::unix::net::UnixStream::connect(f.docker_socket()).is_err());
    f.assert_init_recovers();
}

#[test]
fn a_degraded_start_is_an_error_and_the_vm_is_stopped() {
    let f = Faulty::new();
    f.init_with(&[("FAKE_LIMA_DEGRADED", "1")])
        .code(1)
        .stderr_has("`limactl start` failed: degraded, status={Running:true Degraded:true")
        .stderr_has("DEGRADED. The VM seems running")
        .stderr_has(".pixi/berth/logs/lima-start.log")
        .stderr_has("help: berth stopped the half-started instance `demo`");
    assert_eq!(processes_of(f.p.base()), Vec::<u32>::new());
    f.assert_init_recovers();
}

// ------------------------------------------------------------------ stale state on disk

/// A pid reused by an unrelated process (Lima's #5075): Lima calls the instance Broken,
/// `limactl start` refuses it and `limactl stop -f` would SIGKILL the stranger. berth
/// removes the pid file and leaves the process alone, in init, delete and clean alike.
#[test]
fn a_stale_ha_pid_naming_a_foreign_process_is_removed_and_the_process_left_alone() {
    let f = Faulty::new();
    f.init_with(&[]).success();
    f.p.berth(["container", "stop"]).run().success();
    let foreign = harness::stranger();
    let write_stale = || {
        std::fs::write(f.instance("ha.pid"), format!("{}\n", foreign.pid())).unwrap();
    };
    write_stale();
    let status = f.p.berth(["container", "status", "--json"]).run();
    status.code(1);
    assert_eq!(status.json()["state"], "broken");
    assert!(
        status.json()["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("`ha.pid` names pid {}", foreign.pid())),
        "{}",
        status.stdout
    );

    f.assert_init_recovers()
        .stderr_has("removing a stale pid file: `ha.pid` names pid");
    assert!(alive(foreign.pid()), "the foreign process was signalled");

    f.p.berth(["container", "stop"]).run().success();
    write_stale();
    f.p.berth(["container", "delete"]).run().success();
    assert!(!f.instance("").exists());
    assert!(alive(foreign.pid()));

    f.init_with(&[]).success();
    f.p.berth(["container", "stop"]).run().success();
    write_stale();
    f.p.berth(["system", "clean", "--yes"])
        .run()
        .success()
        .stderr_has("Freed");
    assert!(!f.p.path(".pixi/lima").exists());
    assert!(alive(foreign.pid()));
    assert!(
        !f.p.fake_calls().iter().any(|l| l.contains("stop -f")),
        "nothing called `limactl stop -f` on the stranger: {:?}",
        f.p.fake_calls()
    );
}

/// Lima's forced stop (`limactl stop -f`, and `delete`, which calls it) SIGKILLs whatever
/// live pid `ha.pid` and `<vmType>.pid` name (`StopForcibly`, `pkg/instance/stop.go`). When
/// one names a stranger, every berth command that lets Lima stop the instance forcibly
/// leaves the stranger alive: a crashed host agent whose pid went to a stranger while the VM
/// lives on (Broken: `delete --force`, `stop --force`, `init`), and a stale `qemu.pid` beside
/// a running host agent (`delete --force`, `stop --force`).
#[test]
fn a_forced_stop_never_kills_the_stranger_a_stale_pid_file_names() {
    let cases: [(&str, &[&str]); 5] = [
        ("ha.pid", &["container", "delete", "--force"]),
        ("ha.pid", &["container", "stop", "--force"]),
        ("ha.pid", &["container", "init"]),
        ("qemu.pid", &["container", "delete", "--force"]),
        ("qemu.pid", &["container", "stop", "--force"]),
    ];
    for (planted, command) in cases {
        let f = Faulty::new();
        f.init_with(&[]).success();
        let stranger = harness::stranger();
        let vm = (planted == "ha.pid").then(|| {
            // The host agent crashes (SIGKILL leaves its files), its pid goes to a stranger,
            // and the VM process, whose command line names the instance, lives on.
            let agent = f.host_agent().unwrap();
            Command::new("kill")
                .args(["-KILL", &agent.to_string()])
                .status()
                .unwrap();
            harness::wait_until_reaped(agent);
            stand_in(&f.instance("qemu.pid"))
        });
        std::fs::write(f.instance(planted), format!("{}\n", stranger.pid())).unwrap();
        let state = f.p.berth(["container", "status", "--json"]).run().json()["state"].clone();
        let expected = if planted == "ha.pid" {
            "broken"
        } else {
            "running"
        };
        assert_eq!(state, expected, "{planted}");

        let out = f.p.berth(command).run();
        assert!(
            alive(stranger.pid()),
            "{command:?} let Lima SIGKILL the stranger in {planted}: {:?}",
            f.p.fake_calls()
        );
        out.success()
            .stderr_has(&format!("removed `{planted}` of `"))
            .stderr_has(&format!("it named pid {}", stranger.pid()));
        if let Some(vm) = &vm {
            assert!(!alive(vm.pid()), "{command:?}: the VM process still runs");
        }
        let state = f.p.berth(["container", "status", "--json"]).run().json()["state"].clone();
        let expected = match command[1] {
            "delete" => "absent",
            "stop" => "stopped",
            _ => "running",
        };
        assert_eq!(state, expected, "{command:?} with a stranger in {planted}");
    }
}

#[test]
fn a_stale_docker_socket_with_no_listener_is_replaced() {
    let f = Faulty::new();
    f.init_with(&[]).success();
    f.p.berth(["container", "stop"]).run().success();
    // A socket file left by a crash: it exists, nothing listens.
    drop(std::os::unix::net::UnixListener::bind(f.docker_socket()).unwrap());
    assert!(std::os::unix::net::UnixStream::connect(f.docker_socket()).is_err());
    let (code, json) = {
        let out = f.p.berth(["container", "status", "--json"]).run();
        (out.code, out.json())
    };
    assert_eq!((code, json["state"].as_str()), (3, Some("stopped")));
    f.assert_init_recovers();
}

#[test]
fn a_half_created_instance_is_recreated_also_with_a_lima_older_than_2_2() {
    let f = Faulty::new();
    std::fs::create_dir_all(f.instance("")).unwrap();
    std::fs::write(f.instance("cloud-config.yaml"), "#cloud-config\n").unwrap();
    let status = f.p.berth(["container", "status", "--json"]).run();
    status.code(1);
    assert!(
        status.json()["reason"]
            .as_str()
            .unwrap()
            .contains("has no lima.yaml")
    );
    // Lima 2.1 fails `limactl list` on such a directory; berth never lists.
    f.init_with(&[("FAKE_LIMA_VERSION", "2.1.0")])
        .success()
        .stderr_has("an earlier create stopped before Lima wrote its lima.yaml");
    f.assert_init_recovers();
}

// ------------------------------------------------------------------ berth killed mid-init

/// Kill `berth container init` with `sig` while the fake is paused at `point`, then rerun.
fn kill_init_and_rerun(point: &str, sig: &str) {
    let f = Faulty::new();
    let files = f.user_files(false);
    let berth = f.spawn_paused(&["container", "init"], point, &[]);
    let first_attempt = processes_of(f.p.base());
    assert!(!first_attempt.is_empty(), "limactl or its host agent runs");
    signal(&berth, sig);
    let out = finish(berth);
    if sig == "KILL" {
        out.code(137);
    } else {
        // SIGINT and SIGTERM: berth stops limactl and the VM, says so, and exits 128+N.
        out.code(if sig == "TERM" { 143 } else { 130 })
            .stderr_has("interrupted");
        assert!(!out.stderr.contains("is running"), "{}", out.stderr);
        wait_until("the first attempt's processes to end", || {
            processes_of(f.p.base()).is_empty()
        });
    }
    assert!(!out.stdout.contains("DOCKER_HOST"), "{}", out.stdout);

    let rerun = f.assert_init_recovers();
    if sig == "KILL" && point != "socket" {
        rerun.stderr_has("left running by an earlier berth that was killed");
    }
    for pid in first_attempt {
        assert!(
            !alive(pid),
            "pid {pid} of the killed attempt ({point}, SIG{sig}) lives on"
        );
    }
    assert_eq!(f.user_files(false), files, "a project file changed");
}

#[test]
fn init_killed_while_creating_recovers() {
    for sig in ["INT", "TERM", "KILL"] {
        kill_init_and_rerun("create", sig);
    }
}

#[test]
fn init_killed_while_booting_recovers() {
    for sig in ["INT", "TERM", "KILL"] {
        kill_init_and_rerun("start", sig);
    }
}

#[test]
fn init_killed_while_waiting_for_the_socket_recovers() {
    for sig in ["INT", "TERM", "KILL"] {
        kill_init_and_rerun("socket", sig);
    }
}

// ------------------------------------------------------------------ berth killed mid-clean

/// Kill `berth system clean --yes --force` with `sig` in the middle of `limactl delete`
/// (the VM stopped, its disk gone, the rest not), then rerun the clean.
fn kill_clean_and_rerun(sig: &str) {
    let f = Faulty::new();
    f.init_with(&[]).success();
    let before = f.user_files(true);
    let owned: Vec<PathBuf> = [".pixi/lima", ".pixi/berth", ".pixi/docker"]
        .iter()
        .map(|p| f.p.path(p))
        .collect();
    let berth = f.spawn_paused(&["system", "clean", "--yes", "--force"], "delete", &[]);
    signal(&berth, sig);
    let out = finish(berth);
    assert!(
        !out.stderr.contains("Freed"),
        "reported success: {}",
        out.stderr
    );
    if sig == "KILL" {
        out.code(137);
    } else {
        out.code(if sig == "TERM" { 143 } else { 130 })
            .stderr_has("interrupted: 0 paths removed")
            .stderr_has("rerun `berth system clean` to finish");
        wait_until("limactl delete to end", || {
            processes_of(f.p.base()).is_empty()
        });
    }
    assert!(
        f.instance("lima.yaml").is_file(),
        "the delete was cut short"
    );

    let rerun = f.p.berth(["system", "clean", "--yes"]).run();
    rerun.success().stderr_has("Freed");
    if sig == "KILL" {
        rerun.stderr_has("left running by an earlier berth that was killed");
    }
    for path in &owned {
        assert!(!path.exists(), "`{}` should be gone", path.display());
    }
    assert_only_removed(&before, &f.user_files(true), &owned);
    assert!(f.p.path("pixi.toml").is_file() && f.p.path("src/app.py").is_file());
    wait_until("no process of the test to be left", || {
        processes_of(f.p.base()).is_empty()
    });
}

#[test]
fn clean_interrupted_mid_removal_reports_it_and_a_rerun_finishes() {
    for sig in ["INT", "TERM", "KILL"] {
        kill_clean_and_rerun(sig);
    }
}

// ------------------------------------------------------------------ interrupted auto-start

/// SIGINT or SIGTERM while `berth docker` or `berth exec` starts the stopped VM (auto-start)
/// ends berth as it ends `container init`: the VM left stopped, exit 128+N, no `error:` line,
/// and no job run natively in the container's place.
#[test]
fn an_auto_start_interrupted_under_docker_or_exec_exits_128_plus_n() {
    let exec = ["exec", "--image", harness::TEST_IMAGE, "--", "true"];
    for (args, sig) in [(&["docker", "version"][..], "INT"), (&exec[..], "TERM")] {
        let f = Faulty::new();
        f.init_with(&[]).success();
        f.p.berth(["container", "stop"]).run().success();
        let berth = f.spawn_paused(args, "start", &[("BERTH_AUTO_START", "true")]);
        signal(&berth, sig);
        let out = finish(berth);
        out.code(if sig == "TERM" { 143 } else { 130 })
            .stderr_has("interrupted; stopped instance `demo`")
            .stderr_lacks("error:")
            .stderr_lacks("natively");
        wait_until("the interrupted start's processes to end", || {
            processes_of(f.p.base()).is_empty()
        });
    }
}
