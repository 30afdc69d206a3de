//! `tasks/onboard.sh`, the newcomer's one command, run end to end on this machine: with the
//! real engine running, and on a "fresh machine" whose PATH holds only basic tools and fakes of
//! apt-get, brew, sudo, systemctl and dockerd (the fake dockerd serves a temp socket forwarded
//! to the real engine, so what answers at the end is a real `docker info`).

use std::path::{Path, PathBuf};

use crate::harness::{BERTH, Output, Run, TestProject, docker_available};

fn onboard_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tasks/onboard.sh")
}

fn onboard(p: &TestProject) -> Run {
    p.command("/bin/sh")
        .env("BERTH", BERTH)
        .arg(onboard_script())
}

/// The real engine's version, as `docker version` reports it.
fn engine_version() -> String {
    let out = std::process::Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn onboarding_ends_with_the_engines_docker_info() {
    if !docker_available() {
        return;
    }
    let p = TestProject::with_tasks("");
    let out = onboard(&p).run();
    out.success()
        .stdout_has("ok: docker answers through berth (engine ")
        .stderr_has("==> berth container init");
    out.stdout_has(&format!("(engine {} (", engine_version()));
    assert!(
        !p.home.join(".docker").exists(),
        "onboarding must not touch ~/.docker"
    );
}

/// The tools a fresh Debian/Ubuntu machine has before any engine is installed.
const BASIC_TOOLS: &[&str] = &[
    "sh", "dirname", "sed", "grep", "df", "awk", "sleep", "nohup", "env", "tail", "cat", "python3",
    "uname",
];

/// The real `tool` from the system directories (the test's PATH has fakes first).
fn system_tool(tool: &str) -> PathBuf {
    ["/usr/local/bin", "/usr/bin", "/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(tool))
        .find(|path| path.exists())
        .unwrap_or_else(|| panic!("no {tool} on this machine"))
}

/// A machine without an engine: PATH is the fakes (`bin`), where installs land (`installed`)
/// and [`BASIC_TOOLS`] (`sys`); DOCKER_HOST and berth's engine socket are a temp socket that
/// nothing serves until a fake dockerd starts. Dropping it stops that fake engine.
struct FreshMachine {
    p: TestProject,
    installed: PathBuf,
    socket: PathBuf,
}

impl FreshMachine {
    /// `fakes` go first on PATH; `id` is always faked (non-root unless `FAKE_UID=0`).
    fn new(fakes: &[&str]) -> FreshMachine {
        let p = TestProject::with_tasks("");
        for fake in fakes.iter().chain(&["id"]) {
            p.install_fake(fake);
        }
        let sys = p.base().join("sys");
        std::fs::create_dir_all(&sys).unwrap();
        for tool in BASIC_TOOLS {
            std::os::unix::fs::symlink(system_tool(tool), sys.join(tool)).unwrap();
        }
        let installed = p.base().join("installed");
        std::fs::create_dir_all(&installed).unwrap();
        let socket = p.base().join("engine.sock");
        FreshMachine {
            p,
            installed,
            socket,
        }
    }

    fn onboard(&self, args: &[&str]) -> Run {
        let path = format!(
            "{}:{}:{}",
            self.p.bin.display(),
            self.installed.display(),
            self.p.base().join("sys").display()
        );
        onboard(&self.p)
            .args(args)
            .env("PATH", path)
            .env("DOCKER_HOST", format!("unix://{}", self.socket.display()))
            .env("BERTH_DOCKER_SOCKET", &self.socket)
            .env("FAKE_APT_ROOT", &self.installed)
            .env("FAKE_BREW_BIN", &self.installed)
            .env("BERTH_DOCKERD_LOG", self.p.base().join("dockerd.log"))
    }

    fn calls(&self) -> Vec<String> {
        self.p.fake_calls()
    }

    fn installed(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.installed)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for FreshMachine {
    fn drop(&mut self) {
        let pid_file = format!("{}.pid", self.socket.display());
        if let Ok(pid) = std::fs::read_to_string(pid_file)
            && let Ok(pid) = pid.trim().parse()
        {
            crate::harness::signal(pid, "TERM");
        }
        crate::harness::kill_lima_agents(&self.p.root);
    }
}

fn assert_engine_answered(out: &Output) {
    out.stdout_has(&format!(
        "ok: docker answers through berth (engine {} (",
        engine_version()
    ));
}

#[test]
fn a_stopped_engine_without_install_names_the_command_and_installs_nothing() {
    let m = FreshMachine::new(&["apt-get", "sudo"]);
    m.onboard(&[])
        .run()
        .code(1)
        .stderr_has("error: no container runtime found (no Docker engine answers; missing: docker.io docker-compose)")
        .stderr_has("help: install it: `sudo apt-get install -y docker.io docker-compose`")
        .stderr_has("help: or rerun this script with --install");
    assert_eq!(
        m.calls(),
        Vec::<String>::new(),
        "nothing may be installed or run"
    );
    assert_eq!(m.installed(), Vec::<String>::new());
}

#[test]
fn install_as_root_runs_apt_get_then_starts_dockerd_by_hand_without_an_init_system() {
    if !docker_available() {
        return;
    }
    let m = FreshMachine::new(&["apt-get", "systemctl", "service"]);
    let out = m.onboard(&["--install"]).env("FAKE_UID", "0").run();
    out.success()
        .stderr_has(
            "==> will install with apt-get: docker.io docker-compose; then start dockerd. Running:",
        )
        .stderr_has("==>   apt-get install -y docker.io docker-compose");
    assert_engine_answered(&out);
    assert_eq!(
        m.calls(),
        [
            "apt-get update",
            "apt-get install -y docker.io docker-compose",
            "systemctl start docker",
            "service docker start",
            "dockerd",
        ]
    );
    assert_eq!(m.installed(), ["docker", "docker-compose", "dockerd"]);
}

#[test]
fn install_through_sudo_starts_the_engine_with_systemd() {
    if !docker_available() {
        return;
    }
    let m = FreshMachine::new(&["apt-get", "sudo", "systemctl"]);
    let out = m.onboard(&["--install"]).env("FAKE_SYSTEMD", "1").run();
    out.success()
        .stderr_has("==>   sudo apt-get install -y docker.io docker-compose");
    assert_engine_answered(&out);
    assert_eq!(
        m.calls(),
        [
            "sudo apt-get update",
            "apt-get update",
            "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io docker-compose",
            "apt-get install -y docker.io docker-compose",
            "sudo systemctl start docker",
            "systemctl start docker",
        ]
    );
}

#[test]
fn install_with_neither_root_nor_sudo_says_how_to_get_root() {
    let m = FreshMachine::new(&["apt-get"]);
    m.onboard(&["--install"])
        .run()
        .code(1)
        .stderr_has("error: installing needs root: you are not root and there is no sudo")
        .stderr_has("help: run this script as root");
    assert_eq!(m.calls(), Vec::<String>::new());
}

#[test]
fn an_installed_but_stopped_engine_is_only_started() {
    if !docker_available() {
        return;
    }
    let m = FreshMachine::new(&["apt-get", "sudo"]);
    let fakes = crate::harness::fakes_dir();
    std::os::unix::fs::symlink(fakes.join("dockerd"), m.installed.join("dockerd")).unwrap();
    for tool in ["docker", "docker-compose"] {
        std::os::unix::fs::symlink(system_tool(tool), m.installed.join(tool)).unwrap();
    }
    m.onboard(&[])
        .run()
        .code(1)
        .stderr_has("error: no Docker engine answers (dockerd is installed but not running)")
        .stderr_has("help: start it: `sudo systemctl start docker`");
    let out = m.onboard(&["--install"]).run();
    out.success();
    assert_engine_answered(&out);
    assert_eq!(
        m.calls(),
        [
            format!(
                "sudo sh -c 'nohup dockerd >\"$1\" 2>&1 &' sh {}",
                m.p.base().join("dockerd.log").display()
            ),
            "dockerd".to_string()
        ]
    );
}

#[test]
fn macos_prints_the_brew_command_and_runs_it_only_with_install() {
    if !docker_available() {
        return;
    }
    let m = FreshMachine::new(&["brew", "uname"]);
    m.onboard(&[])
        .run()
        .code(1)
        .stderr_has("error: no container runtime found (missing: lima docker docker-compose)")
        .stderr_has("help: install it: `brew install lima docker docker-compose`");
    assert_eq!(
        m.calls(),
        Vec::<String>::new(),
        "brew must not run without --install"
    );

    let out = m
        .onboard(&["--install"])
        .env("BERTH_HOST_OS", "macos")
        .run();
    out.success()
        .stderr_has("==>   brew install lima docker docker-compose");
    assert_eq!(
        m.calls().first().map(String::as_str),
        Some("brew install lima docker docker-compose")
    );
    assert_engine_answered(&out);
}
