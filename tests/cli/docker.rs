//! `berth docker`, `berth compose` and `berth env`: exact pass-through to the real docker CLI
//! and engine, the environment berth gives it, and the project's docker config.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::harness::{self, TEST_IMAGE, TestProject, write_executable};

/// A project whose `DOCKER_HOST` is the user's own: no engine is asked for it.
const RESPECTING: &str = "[tool.berth]\nrespect-docker-host = true\n";
/// A `DOCKER_HOST` docker is never asked to reach (the fakes log it, nothing connects).
const UNREACHED_HOST: &str = "tcp://127.0.0.1:1";

/// A fake `docker` in the project's bin dir that logs its argv (one `arg=` line each), the
/// docker variables it got and its parent's pid, then exits 42.
fn install_fake_docker(p: &TestProject) {
    write_executable(
        &p.bin.join("docker"),
        r#"#!/bin/sh
{
  for arg in "$@"; do printf 'arg=%s\n' "$arg"; done
  printf 'DOCKER_HOST=%s\n' "${DOCKER_HOST-<unset>}"
  printf 'DOCKER_CONFIG=%s\n' "${DOCKER_CONFIG-<unset>}"
  printf 'LIMA_HOME=%s\n' "${LIMA_HOME-<unset>}"
  printf 'DOCKER_CONTEXT=%s\n' "${DOCKER_CONTEXT-<unset>}"
  printf 'COMPOSE_PROJECT_NAME=%s\n' "${COMPOSE_PROJECT_NAME-<unset>}"
  printf 'PPID=%s\n' "$PPID"
} >> "$BERTH_FAKE_LOG"
exit 42
"#,
    );
}

fn docker_config(p: &TestProject) -> PathBuf {
    p.path(".pixi/docker")
}

/// The `cliPluginsExtraDirs` of the project's config.json.
fn plugin_dirs_listed(p: &TestProject) -> Vec<String> {
    let config: serde_json::Value =
        serde_json::from_str(&p.read(".pixi/docker/config.json")).expect("config.json is JSON");
    config["cliPluginsExtraDirs"]
        .as_array()
        .expect("cliPluginsExtraDirs is an array")
        .iter()
        .map(|d| d.as_str().expect("a path").to_string())
        .collect()
}

#[test]
fn docker_gets_the_exact_words_and_the_projects_environment_in_place_of_berth() {
    let p = TestProject::with_tasks(RESPECTING);
    install_fake_docker(&p);
    let words = [
        "ps",
        "--format",
        "{{.Names}}",
        "-v",
        "--manifest-path",
        "a b 'c' \"d\"",
        "$HOME",
        "",
    ];
    p.berth(std::iter::once("docker").chain(words))
        .env("DOCKER_HOST", UNREACHED_HOST)
        .env("DOCKER_CONTEXT", "elsewhere")
        .run()
        .code(42);
    let mut expected: Vec<String> = words.iter().map(|w| format!("arg={w}")).collect();
    expected.extend([
        format!("DOCKER_HOST={UNREACHED_HOST}"),
        format!("DOCKER_CONFIG={}", docker_config(&p).display()),
        format!("LIMA_HOME={}", p.path(".pixi/lima").display()),
        "DOCKER_CONTEXT=<unset>".to_string(),
        // Plain docker words get no compose project.
        "COMPOSE_PROJECT_NAME=<unset>".to_string(),
        // docker's parent is this test: berth exec'd into it and left no process behind.
        format!("PPID={}", std::process::id()),
    ]);
    assert_eq!(p.fake_calls(), expected);
}

/// Words that look like berth's own reach docker exactly, with docker's exit code, whether
/// berth takes the line without clap (`berth docker ...`, as pixi's tasks run it) or through
/// clap (a global flag first).
#[test]
fn berths_own_words_after_docker_or_compose_are_dockers_with_or_without_a_global_flag() {
    let p = TestProject::with_tasks(RESPECTING);
    install_fake_docker(&p);
    // `berth compose` runs `docker compose` when the plugin is there.
    write_executable(&p.home.join(".docker/cli-plugins/docker-compose"), "");
    for words in [
        &["--help"][..],
        &["-h"],
        &["--version"],
        &["-V"],
        &["--"],
        &["--", "-v"],
    ] {
        for global in [&[][..], &["-q"]] {
            for command in ["docker", "compose"] {
                let _ = std::fs::remove_file(p.fake_log_path());
                let line = [global, &[command], words].concat();
                p.berth(&line)
                    .env("DOCKER_HOST", UNREACHED_HOST)
                    .run()
                    .code(42);
                let expected: Vec<String> = (command == "compose")
                    .then_some("compose")
                    .into_iter()
                    .chain(words.iter().copied())
                    .map(|word| format!("arg={word}"))
                    .collect();
                let calls = p.fake_calls();
                assert_eq!(
                    calls[..expected.len()],
                    expected,
                    "berth {line:?}: {calls:?}"
                );
                assert!(
                    calls[expected.len()].starts_with("DOCKER_HOST="),
                    "berth {line:?}: {calls:?}"
                );
            }
        }
    }
}

/// The runtime is chosen once per command: `-v` says which, once, and the VM that serves the
/// engine is looked at once.
#[test]
fn pass_through_chooses_the_runtime_once() {
    let p = harness::LimaProject::with_manifest("[tool.berth]\nruntime = \"lima\"\n");
    p.berth(["container", "init"]).run().success();
    install_fake_docker(&p);
    for words in [
        &["docker", "version"][..],
        &["compose", "version"],
        &["env"],
    ] {
        let out = p
            .berth(std::iter::once("-v").chain(words.iter().copied()))
            .run();
        let chosen: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("berth: runtime: "))
            .collect();
        assert_eq!(
            chosen,
            ["berth: runtime: lima (runtime = lima (pixi.toml:7:11))"],
            "berth -v {words:?}\n{}",
            out.stderr
        );
    }
}

#[test]
fn help_reaches_docker_without_asking_the_runtime() {
    let p = TestProject::with_tasks("");
    install_fake_docker(&p);
    // The Lima runtime cannot answer here; help must not need it.
    p.berth(["--runtime", "lima", "docker", "--help"])
        .run()
        .code(42);
    let calls = p.fake_calls();
    assert_eq!(calls[0], "arg=--help");
    assert!(
        calls.contains(&"DOCKER_HOST=<unset>".to_string()),
        "{calls:?}"
    );
    assert!(
        calls.contains(&"DOCKER_CONTEXT=<unset>".to_string()),
        "{calls:?}"
    );
}

#[test]
fn the_users_docker_host_is_replaced_by_the_projects_engine_with_a_note() {
    if !harness::docker_available() {
        return;
    }
    let p = TestProject::with_tasks("");
    install_fake_docker(&p);
    p.berth(["docker", "ps"])
        .env("DOCKER_HOST", "tcp://elsewhere:2375")
        .run()
        .code(42)
        .stderr_has("note: using the project's engine at unix:///var/run/docker.sock")
        .stderr_has("respect-docker-host = true");
    assert!(
        p.fake_calls()
            .contains(&"DOCKER_HOST=unix:///var/run/docker.sock".to_string())
    );
}

#[test]
fn the_real_docker_runs_against_the_engine_with_its_own_exit_codes() {
    if !harness::docker_available() {
        return;
    }
    let p = TestProject::with_tasks("");
    p.berth(["docker", "version"])
        .run()
        .success()
        .stdout_has("Client:")
        .stdout_has("Server:");
    p.berth(["docker", "run", "--rm", TEST_IMAGE, "sh", "-c", "exit 7"])
        .run()
        .code(7);
    p.berth(["docker", "run", "-i", "--rm", TEST_IMAGE, "cat"])
        .stdin("hi\n")
        .run()
        .success()
        .stdout_is("hi\n");
    // `--init`: the kernel shields a namespace's PID 1 from its own SIGKILL, so sh must not be it.
    p.berth([
        "docker",
        "run",
        "--rm",
        "--init",
        TEST_IMAGE,
        "sh",
        "-c",
        "kill -9 $$",
    ])
    .run()
    .code(137);
    p.berth(["docker", "--help"])
        .run()
        .success()
        .stdout_has("Usage:  docker [OPTIONS] COMMAND");
    assert!(!p.home.join(".docker").exists(), "HOME/.docker was created");
}

/// A container removed when the test ends, however it ends.
pub(crate) struct Container(pub(crate) String);

impl Container {
    /// A container name unique to this test run, removed with `docker rm -f` when dropped.
    pub(crate) fn named(tag: &str) -> Container {
        Container(format!("berth-test-{tag}-{}", std::process::id()))
    }

    /// An engine test's project and a container named for `tag`; `None` (the test is
    /// skipped) when no engine answers.
    pub(crate) fn with_project(tag: &str) -> Option<(TestProject, Container)> {
        harness::docker_available().then(|| (TestProject::with_tasks(""), Container::named(tag)))
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rm", "-f", &self.0])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

#[test]
fn go_templates_reach_docker_untouched() {
    let Some((p, container)) = Container::with_project("ps") else {
        return;
    };
    let name = container.0.clone();
    p.berth([
        "docker", "run", "-d", "--name", &name, TEST_IMAGE, "sleep", "300",
    ])
    .run()
    .success();
    p.berth([
        "docker",
        "ps",
        "--filter",
        &format!("name=^{name}$"),
        "--format",
        "{{.Names}} {{.Image}}",
    ])
    .run()
    .success()
    .stdout_is(&format!("{name} {TEST_IMAGE}\n"));
    drop(container);
}

/// A python3 forwarder from a Unix socket of the test's to the engine's, logging each
/// connection: a stand-in for the socket Lima forwards from its VM, and an engine a test can
/// make go away (drop it: the socket file stays, nothing listens on it).
pub(crate) struct SocketForwarder {
    child: Child,
    pub(crate) socket: PathBuf,
    log: PathBuf,
}

const FORWARDER: &str = r#"
import socket, sys, threading
listen, target, log = sys.argv[1:4]
server = socket.socket(socket.AF_UNIX)
server.bind(listen)
server.listen(16)
def pipe(src, dst):
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass
while True:
    client, _ = server.accept()
    with open(log, "a") as f:
        f.write("connection\n")
    upstream = socket.socket(socket.AF_UNIX)
    upstream.connect(target)
    threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
    threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
"#;

impl SocketForwarder {
    pub(crate) fn start(p: &TestProject) -> SocketForwarder {
        let socket = p.base().join("fwd.sock");
        let log = p.base().join("fwd.log");
        let child = Command::new("python3")
            .arg("-c")
            .arg(FORWARDER)
            .arg(&socket)
            .arg("/var/run/docker.sock")
            .arg(&log)
            .spawn()
            .expect("start the python3 socket forwarder");
        let forwarder = SocketForwarder { child, socket, log };
        // Readiness, not timing: the socket exists once python has bound it.
        for _ in 0..500 {
            if forwarder.socket.exists() {
                return forwarder;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!(
            "the socket forwarder did not bind {}",
            forwarder.socket.display()
        );
    }

    fn connections(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .map(|log| log.lines().count())
            .unwrap_or(0)
    }
}

impl Drop for SocketForwarder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_respected_docker_host_socket_reaches_the_engine_through_it() {
    if !harness::docker_available() {
        return;
    }
    let p = TestProject::with_tasks(RESPECTING);
    let forwarder = SocketForwarder::start(&p);
    let docker_host = format!("unix://{}", forwarder.socket.display());
    p.berth(["docker", "info", "--format", "{{.ServerVersion}}"])
        .env("DOCKER_HOST", &docker_host)
        .run()
        .success()
        .stderr_lacks("note:");
    // berth's ping and docker's own requests both went through the forwarder.
    assert!(
        forwarder.connections() >= 2,
        "{} connections",
        forwarder.connections()
    );
    p.berth(["env", "--json"])
        .env("DOCKER_HOST", &docker_host)
        .run()
        .success();
}

#[test]
fn a_dead_socket_is_berths_error_naming_it() {
    let p = TestProject::with_tasks(RESPECTING);
    install_fake_docker(&p);
    let missing = p.base().join("missing.sock");
    p.berth(["docker", "ps"])
        .env("DOCKER_HOST", format!("unix://{}", missing.display()))
        .run()
        .code(1)
        .stderr_has(&format!(
            "error: no Docker engine answers at {} (no such socket)",
            missing.display()
        ))
        .stderr_has("help: this socket is DOCKER_HOST from your environment");

    // A socket file nobody listens on any more.
    let stale = p.base().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).expect("bind"));
    p.berth(["docker", "ps"])
        .env("DOCKER_HOST", format!("unix://{}", stale.display()))
        .run()
        .code(1)
        .stderr_has(&format!(
            "error: no Docker engine answers at {} (nothing listens on it)",
            stale.display()
        ))
        .stderr_has("help:");
    assert!(
        p.fake_calls().is_empty(),
        "docker ran: {:?}",
        p.fake_calls()
    );
}

#[test]
fn config_json_is_private_lists_existing_plugin_dirs_and_never_touches_home() {
    let p = TestProject::with_tasks(RESPECTING);
    let env = || {
        p.berth(["env", "--json"])
            .env("DOCKER_HOST", UNREACHED_HOST)
            .run()
            .success()
            .json()
    };
    let vars = env();
    assert_eq!(vars["DOCKER_HOST"], UNREACHED_HOST);
    assert_eq!(
        vars["DOCKER_CONFIG"],
        docker_config(&p).to_str().expect("utf-8")
    );
    let mode = |path: &Path| std::fs::metadata(path).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&docker_config(&p)), 0o700);
    assert_eq!(mode(&docker_config(&p).join("config.json")), 0o600);
    let home_plugins = p.home.join(".docker/cli-plugins");
    let listed = plugin_dirs_listed(&p);
    assert!(!listed.contains(&home_plugins.display().to_string()));
    assert!(listed.iter().all(|d| Path::new(d).is_dir()), "{listed:?}");
    assert!(!p.home.join(".docker").exists(), "HOME/.docker was created");
    let config = p.read(".pixi/docker/config.json");
    assert!(!config.contains("credsStore") && !config.contains("auths"));

    // Once the user has plugin dirs, berth's own config lists them, the user's first.
    std::fs::create_dir_all(&home_plugins).expect("mkdir");
    let brew = p.base().join("brew");
    std::fs::create_dir_all(brew.join("lib/docker/cli-plugins")).expect("mkdir");
    p.berth(["env", "--json"])
        .env("DOCKER_HOST", UNREACHED_HOST)
        .env("HOMEBREW_PREFIX", &brew)
        .run()
        .success();
    let listed = plugin_dirs_listed(&p);
    assert_eq!(listed[0], home_plugins.display().to_string());
    assert_eq!(
        listed[1],
        brew.join("lib/docker/cli-plugins").display().to_string()
    );
}

#[test]
fn an_edited_config_json_survives_byte_for_byte() {
    let p = TestProject::with_tasks(RESPECTING);
    install_fake_docker(&p);
    let run = || {
        p.berth(["docker", "ps"])
            .env("DOCKER_HOST", UNREACHED_HOST)
            .run()
            .code(42);
    };
    run();
    let edited = "{\n  \"psFormat\": \"{{.ID}}\",\n  \"cliPluginsExtraDirs\": []\n}";
    p.write(".pixi/docker/config.json", edited);
    // A new plugin dir would change what berth writes; the user's file still wins.
    std::fs::create_dir_all(p.home.join(".docker/cli-plugins")).expect("mkdir");
    run();
    assert_eq!(p.read(".pixi/docker/config.json"), edited);
}

#[test]
fn env_prints_exports_for_the_users_shell() {
    let p = TestProject::with_tasks(RESPECTING);
    let root = p.root.display();
    let json = p
        .berth(["env", "--json"])
        .env("DOCKER_HOST", UNREACHED_HOST)
        .run()
        .json();
    // The compose project of this checkout: the workspace name and a hash of its root.
    let compose = json["COMPOSE_PROJECT_NAME"].as_str().expect("a name");
    assert!(
        compose.len() == "demo-".len() + 8
            && compose.starts_with("demo-")
            && compose[5..].chars().all(|c| c.is_ascii_hexdigit()),
        "{compose}"
    );
    p.berth(["env"])
        .env("DOCKER_HOST", UNREACHED_HOST)
        .run()
        .success()
        .stdout_is(&format!(
            "export DOCKER_HOST='{UNREACHED_HOST}'\n\
             export DOCKER_CONFIG='{root}/.pixi/docker'\n\
             export LIMA_HOME='{root}/.pixi/lima'\n\
             export COMPOSE_PROJECT_NAME='{compose}'\n\
             export BERTH_COMPOSE_PROJECT_NAME='{compose}'\n\
             unset DOCKER_CONTEXT\n"
        ));
    p.berth(["env"])
        .env("DOCKER_HOST", UNREACHED_HOST)
        .env("SHELL", "/usr/local/bin/fish")
        .run()
        .success()
        .stdout_has(&format!("set -gx DOCKER_HOST '{UNREACHED_HOST}'\n"))
        .stdout_has("set -e DOCKER_CONTEXT");
    p.berth(["env", "--shell", "powershell"])
        .env("DOCKER_HOST", UNREACHED_HOST)
        .run()
        .success()
        .stdout_has(&format!("$Env:DOCKER_HOST = '{UNREACHED_HOST}'\n"))
        .stdout_has("Remove-Item Env:DOCKER_CONTEXT");
}

#[test]
fn eval_of_env_points_plain_docker_at_the_projects_engine() {
    if !harness::docker_available() {
        return;
    }
    let p = TestProject::with_tasks("");
    p.install_berth();
    let mut sh = p.command("sh");
    sh.command.args([
        "-c",
        r#"eval "$(berth env)" && test -z "${DOCKER_CONTEXT+set}" && docker version --format '{{.Server.Version}}'"#,
    ]);
    sh.env("DOCKER_HOST", UNREACHED_HOST)
        .env("DOCKER_CONTEXT", "nowhere")
        .run()
        .success()
        .stdout_has(".");
    assert!(!p.home.join(".docker").exists(), "HOME/.docker was created");
}

/// The compose project of one test: a busybox service, removed when the test ends.
pub struct ComposeProject {
    name: String,
}

impl ComposeProject {
    pub fn write(p: &TestProject, test: &str) -> ComposeProject {
        p.write(
            "docker-compose.yml",
            &format!(
                "version: \"3\"\nservices:\n  sleeper:\n    image: {TEST_IMAGE}\n    \
                 command: sleep 300\n    stop_grace_period: 1s\n"
            ),
        );
        ComposeProject {
            name: format!("berthtest{test}{}", std::process::id()),
        }
    }

    /// The compose project's name (`COMPOSE_PROJECT_NAME`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The names of the project's running containers.
    fn running(&self) -> String {
        let output = Command::new("docker")
            .args([
                "ps",
                "--filter",
                &format!("label=com.docker.compose.project={}", self.name),
                "--format",
                "{{.Names}}",
            ])
            .output()
            .expect("docker ps");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Run berth with `up` (the service must then run), then with `down` (nothing left).
    pub fn up_and_down(&self, p: &TestProject, up: &[&str], down: &[&str]) {
        p.berth(up)
            .env("COMPOSE_PROJECT_NAME", &self.name)
            .run()
            .success();
        assert!(self.running().contains("sleeper"), "{}", self.running());
        p.berth(down)
            .env("COMPOSE_PROJECT_NAME", &self.name)
            .run()
            .success();
        assert_eq!(self.running(), "");
    }
}

impl Drop for ComposeProject {
    fn drop(&mut self) {
        harness::remove_compose_leftovers(
            &format!("label=com.docker.compose.project={}", self.name),
            std::slice::from_ref(&self.name),
        );
    }
}

#[test]
fn compose_up_and_down_through_berth() {
    if !harness::docker_available() {
        return;
    }
    let p = TestProject::with_tasks("");
    let compose = ComposeProject::write(&p, "direct");
    compose.up_and_down(&p, &["compose", "up", "-d"], &["compose", "down"]);
    p.berth(["compose", "version"]).run().success();
    assert!(!p.home.join(".docker").exists(), "HOME/.docker was created");
}

#[test]
fn compose_up_and_down_through_the_projects_tasks() {
    if !harness::docker_available() {
        return;
    }
    let p = TestProject::with_tasks(
        "[tasks]\ncompose-up = \"berth compose up -d\"\ncompose-down = \"berth compose down\"\n",
    );
    p.install_berth();
    let compose = ComposeProject::write(&p, "tasks");
    compose.up_and_down(&p, &["run", "compose-up"], &["run", "compose-down"]);
}

#[test]
fn compose_prefers_the_docker_plugin() {
    let p = TestProject::with_tasks(RESPECTING);
    install_fake_docker(&p);
    write_executable(&p.home.join(".docker/cli-plugins/docker-compose"), "");
    p.berth(["compose", "up", "-d"])
        .env("DOCKER_HOST", UNREACHED_HOST)
        .run()
        .code(42);
    let calls = p.fake_calls();
    assert_eq!(calls[..3], ["arg=compose", "arg=up", "arg=-d"], "{calls:?}");
}

#[test]
fn no_compose_at_all_says_how_to_install_one() {
    let p = TestProject::with_tasks(RESPECTING);
    install_fake_docker(&p);
    p.berth(["compose", "up"])
        .env("DOCKER_HOST", UNREACHED_HOST)
        .env("PATH", &p.bin)
        .run()
        .code(1)
        .stderr_has("error: neither the `docker compose` plugin nor `docker-compose` was found")
        .stderr_has("help: install")
        .stderr_has("pixi add docker-compose");
    assert!(p.fake_calls().is_empty());
}
