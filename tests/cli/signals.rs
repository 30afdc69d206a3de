//! Exit codes and signals end to end: berth's status is its child's (128+N after a death by
//! signal N), Ctrl-C in a terminal reaches the child once, a signal sent to berth reaches the
//! task once, a closed pipe ends berth without noise of its own, and an engine that went away
//! is berth's error naming its socket.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::docker::{Container, SocketForwarder};
use crate::harness::{self, BERTH, LimaProject, Output, TEST_IMAGE, TestProject, exit_code};

/// The exit codes each table checks: success, failure, usage, the shell's "cannot execute"
/// and "not found", and the largest.
const CODES: [i32; 6] = [0, 1, 2, 126, 127, 255];

/// The fatal signals each table checks, by name and number.
const SIGNALS: [(&str, i32); 4] = [("INT", 2), ("TERM", 15), ("KILL", 9), ("HUP", 1)];

// ---- a child's exit code is berth's ----

#[test]
fn a_tasks_exit_code_or_fatal_signal_is_berths() {
    let mut tasks = String::from("[tasks]\n");
    for code in CODES {
        tasks.push_str(&format!("exit-{code} = \"sh -c 'exit {code}'\"\n"));
    }
    for (name, _) in SIGNALS {
        tasks.push_str(&format!("die-{name} = \"sh -c 'kill -{name} $$'\"\n"));
    }
    let p = TestProject::with_tasks(&tasks);
    for code in CODES {
        p.berth(["run", &format!("exit-{code}")])
            .run()
            .code(code)
            .stderr_lacks("error:");
    }
    for (name, number) in SIGNALS {
        p.berth(["run", &format!("die-{name}")])
            .run()
            .code(128 + number)
            .stderr_lacks("error:");
    }
}

#[test]
fn a_missing_command_is_127_and_a_file_that_cannot_run_is_126() {
    let p = TestProject::with_tasks(
        "[tasks]\nmissing = \"no-such-command-here\"\nmissing-path = \"./no-such-script\"\n\
         plain = \"./plain.sh\"\ndir = \"./a-dir\"\nenv-script = \"./env-script.sh from-task\"\n",
    );
    // Written without any execute bit.
    p.write("plain.sh", "#!/bin/sh\necho ran\n");
    p.write("env-script.sh", "#!/usr/bin/env sh\necho \"ran $1\"\n");
    std::fs::create_dir(p.path("a-dir")).expect("mkdir");

    p.berth(["run", "missing"])
        .run()
        .code(127)
        .stderr_has("no-such-command-here: command not found")
        .stderr_has("Available tasks:");
    p.berth(["run", "missing-path"])
        .run()
        .code(127)
        .stderr_has("./no-such-script: No such file or directory");
    p.berth(["run", "plain"])
        .run()
        .code(126)
        .stdout_is("")
        .stderr_has("./plain.sh: Permission denied (the file is not executable: `chmod +x` it)");
    p.berth(["run", "dir"])
        .run()
        .code(126)
        .stderr_has("./a-dir: Is a directory");
    // deno_task_shell (and so pixi) runs a `#!/usr/bin/env` script through its interpreter
    // even when the file is not executable; berth keeps that.
    p.berth(["run", "env-script"])
        .run()
        .success()
        .stdout_is("ran from-task\n");
}

#[test]
fn a_containers_exit_code_or_fatal_signal_is_berths() {
    if !harness::docker_available() {
        return;
    }
    let p = TestProject::with_tasks("");
    // `--init`: a namespace's PID 1 ignores every signal it has no handler for, so sh must not
    // be it. docker itself reports a container killed by signal N as 128+N.
    let docker_run = |script: &str| {
        p.berth([
            "--runtime",
            "docker",
            "docker",
            "run",
            "--rm",
            "--init",
            TEST_IMAGE,
            "sh",
            "-c",
            script,
        ])
        .run()
    };
    for code in CODES {
        docker_run(&format!("exit {code}")).code(code);
    }
    for (name, number) in SIGNALS {
        docker_run(&format!("kill -{name} $$")).code(128 + number);
    }
}

// ---- Ctrl-C in a terminal ----

/// Runs a command on a fresh pseudo-terminal (python3's `pty`), where it is the terminal's
/// foreground process group, as under an interactive shell, and types keys on it: each step
/// waits for its condition (`file:PATH` exists, or `output:TEXT` was shown), then types its
/// keys, which the line discipline turns into signals for that whole group (^C SIGINT, ^\
/// SIGQUIT). Then reads the terminal until the command exits and prints
/// `{"code": …, "output": …}`.
const PTY_DRIVER: &str = r#"
import json, os, pty, select, sys, time
steps, argv = json.loads(sys.argv[1]), sys.argv[2:]
pid, master = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
output = b""
def read(timeout):
    global output
    if not select.select([master], [], [], timeout)[0]:
        return True
    try:
        data = os.read(master, 65536)
    except OSError:  # EIO: every process using the terminal has closed it
        return False
    output += data
    return bool(data)
def holds(condition):
    kind, _, value = condition.partition(":")
    return os.path.exists(value) if kind == "file" else value.encode() in output
for condition, keys in steps:
    deadline = time.monotonic() + 120
    while not holds(condition):
        if time.monotonic() > deadline or not read(0.05):
            sys.exit("never saw %s; the terminal showed: %r" % (condition, output))
    os.write(master, keys.encode())
while read(None):
    pass
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
print(json.dumps({
    "code": code if code >= 0 else 128 - code,
    "output": output.decode(errors="replace"),
}))
"#;

/// berth `args` on a terminal driven by `steps` (see [`PTY_DRIVER`]): its exit code and
/// everything the terminal showed.
pub fn on_a_terminal(p: &TestProject, steps: &[(String, &str)], args: &[&str]) -> (i32, String) {
    let steps = serde_json::to_string(steps).expect("steps as JSON");
    let out = p
        .command("python3")
        .args(["-c", PTY_DRIVER, &steps, BERTH])
        .args(args)
        .run_within(Duration::from_secs(300))
        .expect("the terminal session hung");
    out.success();
    let json = out.json();
    let code = json["code"].as_i64().expect("a code");
    let output = json["output"].as_str().expect("the output").to_string();
    (i32::try_from(code).expect("a small code"), output)
}

const CTRL_C: &str = "\x03";
const CTRL_BACKSLASH: &str = "\x1c";

/// A child that counts every SIGINT delivered to it, one line each in `interrupts.txt`, and
/// keeps running until SIGQUIT, which ends it with 130. A shell's trap cannot count: it merges
/// a SIGINT that arrives while it is still busy with the previous one. Python's wakeup fd gets
/// one byte per signal the kernel delivers.
const COUNT_SIGNALS: &str = r#"
import os, signal, sys
read, write = os.pipe()
os.set_blocking(write, False)
signal.set_wakeup_fd(write)
signal.signal(signal.SIGINT, lambda *_: None)
signal.signal(signal.SIGQUIT, lambda *_: None)
open("ready.txt", "w").close()
while True:
    for number in os.read(read, 64):
        if number == signal.SIGQUIT:
            sys.exit(130)
        with open("interrupts.txt", "a") as interrupts:
            interrupts.write("INT\n")
"#;

// A SIGINT from berth, were it to forward one, would follow the terminal's within a moment;
// the test types ^\ only after it has seen the first SIGINT counted, so by then a second
// one would have been counted too.

#[test]
fn ctrl_c_in_a_terminal_reaches_the_task_once() {
    let p = TestProject::with_tasks("[tasks]\nwait = \"python3 count-signals.py\"\n");
    p.write("count-signals.py", COUNT_SIGNALS);
    let file = |name: &str| format!("file:{}", p.path(name).display());
    let steps = [
        (file("ready.txt"), CTRL_C),
        (file("interrupts.txt"), CTRL_BACKSLASH),
    ];
    let (code, output) = on_a_terminal(&p, &steps, &["run", "wait"]);
    assert_eq!(code, 130, "the terminal showed:\n{output}");
    assert_eq!(
        p.read("interrupts.txt"),
        "INT\n",
        "SIGINT reached the task once"
    );
    assert!(!output.contains("error:"), "the terminal showed:\n{output}");
}

#[test]
fn ctrl_c_in_a_terminal_reaches_a_container_once() {
    if !harness::docker_available() {
        return;
    }
    let p = TestProject::with_tasks("");
    // With -t the terminal is the container's: docker passes the keys through as bytes, and
    // the container's own terminal turns them into signals. sh is PID 1 here, which only
    // matters for signals without a handler; these have traps.
    let steps = [
        ("output:ready-for-ctrl-c".to_string(), CTRL_C),
        ("output:trapped-int".to_string(), CTRL_BACKSLASH),
    ];
    let (code, output) = on_a_terminal(
        &p,
        &steps,
        &[
            "--runtime",
            "docker",
            "docker",
            "run",
            "-it",
            "--rm",
            TEST_IMAGE,
            "sh",
            "-c",
            "trap 'echo trapped-int' INT; trap 'exit 130' QUIT; echo ready-for-ctrl-c; \
         while :; do sleep 1; done",
        ],
    );
    assert_eq!(code, 130, "the terminal showed:\n{output}");
    assert_eq!(
        output.matches("trapped-int").count(),
        1,
        "SIGINT reached the container once; the terminal showed:\n{output}"
    );
}

// ---- a signal sent to berth ----

/// Start `berth run TASK` in the background (stdin not a terminal) and wait until the task has
/// written `ready.txt`.
fn start_task(p: &TestProject, task: &str) -> std::process::Child {
    let _ = std::fs::remove_file(p.path("ready.txt"));
    let mut child = p
        .berth(["run", task])
        .command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn berth");
    wait_for_file(&p.path("ready.txt"), &mut child);
    child
}

/// Poll until the task has written `path` (it is then running), failing if berth exits first.
fn wait_for_file(path: &Path, child: &mut std::process::Child) {
    let give_up = Instant::now() + Duration::from_secs(60);
    while !path.exists() {
        if let Some(status) = child.try_wait().expect("poll berth") {
            panic!("berth exited ({status}) before the task was ready");
        }
        assert!(Instant::now() < give_up, "the task never became ready");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn send(signal: &str, child: &std::process::Child) {
    assert!(
        crate::harness::signal(child.id(), signal),
        "SIG{signal} was not sent"
    );
}

#[test]
fn a_signal_sent_to_berth_reaches_the_task_once_and_its_status_is_berths() {
    const FORWARDED: [(&str, i32); 4] = [("TERM", 15), ("HUP", 1), ("INT", 2), ("QUIT", 3)];
    let mut tasks = String::from("[tasks]\nplain = \"sh -c 'echo > ready.txt; exec sleep 600'\"\n");
    for (name, number) in FORWARDED {
        tasks.push_str(&format!(
            "trap-{name} = \"sh -c 'trap \\\"echo {name} >> got.txt; exit {code}\\\" {name}; \
             echo > ready.txt; while :; do sleep 1; done'\"\n",
            code = 128 + number
        ));
    }
    let p = TestProject::with_tasks(&tasks);
    for (name, number) in FORWARDED {
        // A task that handles the signal: it gets it once, and its own exit code is berth's.
        let _ = std::fs::remove_file(p.path("got.txt"));
        let mut berth = start_task(&p, &format!("trap-{name}"));
        send(name, &berth);
        let status = berth.wait().expect("wait for berth");
        assert_eq!(exit_code(status), 128 + number, "after SIG{name}");
        assert_eq!(
            p.read("got.txt"),
            format!("{name}\n"),
            "SIG{name} reached the task once"
        );

        // A task the signal kills: berth reports the death as 128+N.
        let mut berth = start_task(&p, "plain");
        send(name, &berth);
        let status = berth.wait().expect("wait for berth");
        assert_eq!(
            exit_code(status),
            128 + number,
            "plain task after SIG{name}"
        );
    }
}

/// Wait for berth, killing it if it outlives `limit`: a hang is a failure of its own.
fn wait_or_kill(mut child: std::process::Child, limit: Duration) -> Option<i32> {
    let give_up = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("poll berth") {
            return Some(exit_code(status));
        }
        if Instant::now() > give_up {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// deno_task_shell runs `sleep` itself, so no process of the task gets a signal sent to
/// berth; berth ends the builtin with 128+N, and starts nothing after it, as a shell that got
/// the signal would.
#[test]
fn a_fatal_signal_ends_a_task_promptly_even_during_a_builtin() {
    let mut fatal = vec![
        ("HUP", 1),
        ("INT", 2),
        ("QUIT", 3),
        ("ALRM", 14),
        ("TERM", 15),
    ];
    if cfg!(target_os = "linux") {
        fatal.extend([("USR1", 10), ("USR2", 12)]);
    }
    let p = TestProject::with_tasks(
        "[tasks]\nbuiltin = \"echo > ready.txt; sleep 600; echo after > after.txt\"\n\
         program = \"sh -c 'echo > ready.txt; exec sleep 600'; echo after > after.txt\"\n",
    );
    for (name, number) in fatal {
        for task in ["builtin", "program"] {
            let berth = start_task(&p, task);
            send(name, &berth);
            let code = wait_or_kill(berth, Duration::from_secs(60));
            assert_eq!(code, Some(128 + number), "{task} after SIG{name}");
            assert!(
                !p.path("after.txt").exists(),
                "{task}: a command ran after SIG{name}"
            );
        }
    }
}

/// A closed terminal sends SIGHUP to the whole foreground process group: the task's
/// processes get it from the kernel, and berth ends the builtin that is running.
#[test]
fn sighup_to_the_process_group_during_a_builtin_ends_the_task() {
    use std::os::unix::process::CommandExt;
    let p = TestProject::with_tasks(
        "[tasks]\nwait = \"echo > ready.txt; sleep 600; echo after > after.txt\"\n",
    );
    let mut berth = p
        .berth(["run", "wait"])
        .command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn berth");
    wait_for_file(&p.path("ready.txt"), &mut berth);
    assert!(
        crate::harness::signal_group(berth.id(), "HUP"),
        "SIGHUP to the group failed"
    );
    assert_eq!(wait_or_kill(berth, Duration::from_secs(60)), Some(129));
    assert!(!p.path("after.txt").exists(), "a command ran after SIGHUP");
}

// ---- a closed pipe ----

/// What `| head -1` leaves behind once it has its line: stdout is a pipe nobody reads. The
/// read end is closed before the command starts, so every write to stdout fails.
fn into_a_closed_pipe(mut run: harness::Run) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let output = run
        .command
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run the command");
    Output {
        code: exit_code(output.status),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// No message of berth's about the pipe: no error, no panic, no "Broken pipe".
#[track_caller]
fn assert_quiet(out: &Output) {
    for noise in ["error", "panicked", "Broken pipe", "broken pipe"] {
        out.stderr_lacks(noise);
    }
}

#[test]
fn berths_own_output_into_a_closed_pipe_ends_quietly_with_0() {
    let p = TestProject::with_tasks(
        "[tool.berth]\nrespect-docker-host = true\n\n[tasks]\nbuild = \"true\"\ntest = \"true\"\n",
    );
    for words in [
        &["task", "list"][..],
        &["task", "list", "--json"],
        &["env"],
        &["env", "--json"],
        &["completions", "bash"],
        &["--help"],
        &["--version"],
    ] {
        let out = into_a_closed_pipe(p.berth(words).env("DOCKER_HOST", "tcp://127.0.0.1:1"));
        assert_eq!(out.code, 0, "berth {words:?}: {}", out.stderr);
        assert_quiet(&out);
    }
}

#[test]
fn a_tasks_output_into_a_closed_pipe_ends_as_the_task_does() {
    let p = TestProject::with_tasks("[tasks]\nlines = \"seq 1 100000\"\nword = \"echo hello\"\n");
    // seq dies of SIGPIPE, as under any shell (141 with `set -o pipefail`).
    let lines = into_a_closed_pipe(p.berth(["run", "lines"]));
    assert_eq!(lines.code, 128 + 13, "{}", lines.stderr);
    assert_quiet(&lines);
    // deno_task_shell's own echo ignores the closed pipe.
    let word = into_a_closed_pipe(p.berth(["run", "word"]));
    assert_eq!(word.code, 0, "{}", word.stderr);
    assert_quiet(&word);
}

#[test]
fn docker_output_into_a_closed_pipe_ends_as_dockers_own_and_berth_adds_nothing() {
    let Some((p, container)) = Container::with_project("pipe") else {
        return;
    };
    let name = container.0.clone();
    p.berth([
        "--runtime",
        "docker",
        "docker",
        "create",
        "--name",
        &name,
        TEST_IMAGE,
        "true",
    ])
    .run()
    .success();
    // Many lines (well over a pipe's buffer), so docker still writes after `head` has left.
    let filter = format!("name=^{name}$");
    let many_lines = "{{range 100000}}{{println $.Names}}{{end}}";
    let pipeline = |docker: &[&str]| {
        p.command("bash")
            .args([
                "-c",
                "set -o pipefail; format=$1; shift; \
                 \"$@\" ps -a --filter \"$0\" --format \"$format\" | head -1",
            ])
            .args([filter.as_str(), many_lines])
            .args(docker)
            .env("DOCKER_HOST", "unix:///var/run/docker.sock")
            .run()
    };
    let through_berth = pipeline(&[BERTH, "--runtime", "docker", "docker"]);
    let plain = pipeline(&["docker"]);
    // docker 28 dies of SIGPIPE without a word, like any Unix filter: 141 under pipefail,
    // head's 0 without. berth execs into docker, so that is berth's end too.
    through_berth.code(128 + 13).stdout_is(&format!("{name}\n"));
    assert_eq!(through_berth.stderr, "", "berth added output");
    plain
        .code(through_berth.code)
        .stdout_is(&through_berth.stdout);
    drop(container);
}

// ---- the engine goes away ----

#[test]
fn an_engine_that_went_away_is_berths_error_naming_its_socket() {
    if !harness::docker_available() {
        return;
    }
    let p = TestProject::with_tasks("");
    let engine = SocketForwarder::start(&p);
    let socket = engine.socket.clone();
    p.berth([
        "--runtime",
        "docker",
        "docker",
        "info",
        "--format",
        "{{.ServerVersion}}",
    ])
    .env("BERTH_DOCKER_SOCKET", &socket)
    .run()
    .success();
    // The engine stops; its socket file stays behind with nobody listening.
    drop(engine);
    assert!(socket.exists());
    for runtime in ["docker", "auto"] {
        for words in [&["docker", "ps"][..], &["compose", "ps"], &["env"]] {
            p.berth(["--runtime", runtime])
                .args(words)
                .env("BERTH_DOCKER_SOCKET", &socket)
                .run()
                .code(1)
                .stderr_has(&format!("{} (nothing listens on it)", socket.display()))
                .stderr_has("`sudo systemctl start docker`")
                .stderr_lacks("Cannot connect to the Docker daemon");
        }
    }
}

#[test]
fn a_vm_whose_docker_socket_went_away_is_berths_error_naming_it() {
    if !harness::docker_available() {
        return;
    }
    let p = LimaProject::with_manifest("[tool.berth]\nruntime = \"lima\"\ninstance = \"demo\"\n");
    p.berth(["container", "init"]).run().success();
    let socket = p.path(".pixi/lima/demo/sock/docker.sock");
    p.berth(["docker", "ps"]).run().success();
    std::fs::remove_file(&socket).expect("remove the forwarded socket");
    for words in [&["docker", "ps"][..], &["compose", "ps"], &["env"]] {
        p.berth(words)
            .run()
            .code(1)
            .stderr_has("error: instance `demo` is not usable")
            .stderr_has(&format!("Docker does not answer at `{}`", socket.display()))
            .stderr_has("help: run `berth container init`")
            .stderr_lacks("Cannot connect to the Docker daemon");
    }
}
