//! A real sshd (Debian's openssh-server) for the `ssh://` runtime tests, never the system's:
//! started by the test from its own generated host key, `authorized_keys`, config file
//! (`sshd -f`), free port on 127.0.0.1 and pid file, in a temporary directory; nothing under
//! `/etc/ssh` is read. The remote host is this machine, so the remote engine is this
//! machine's dockerd. Dropping it ends the sshd (and, through [`SshProject`], every ssh
//! master a test's berth started), however the test ends.
//!
//! ssh reads `~/.ssh` from the user's passwd entry, not from `$HOME`, so the client side is
//! sandboxed through the project's `ssh-config` ([`TestSshd::client_config`]): an identity,
//! a `known_hosts` and no agent of the test's own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{TestProject, alive, docker_answers, signal, skip};

/// The running sshd of one test.
pub struct TestSshd {
    dir: tempfile::TempDir,
    pub port: u16,
    process: Option<Child>,
}

/// Why this machine cannot run the test sshd, if it cannot.
fn missing_prerequisite() -> Option<String> {
    if !docker_answers() {
        return Some("no Docker engine to serve as the remote engine".into());
    }
    if !nix::unistd::geteuid().is_root() {
        return Some("sshd needs root (privilege separation, logging in as root)".into());
    }
    for program in ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen"] {
        if !Path::new(program).exists() {
            return Some(format!("{program} is missing (Debian: openssh-server)"));
        }
    }
    None
}

impl TestSshd {
    /// An sshd whose configuration has `extra` lines too (`SetEnv …`, `ForceCommand …`), or
    /// `None` when the machine cannot run one (the test then skips, which
    /// `BERTH_REQUIRE_DOCKER=1` makes a failure).
    pub fn start(extra: &str) -> Option<TestSshd> {
        if let Some(missing) = missing_prerequisite() {
            skip(&format!("no test sshd: {missing}"));
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("berth-sshd-")
            .tempdir()
            .expect("sshd dir");
        for key in ["host_key", "client_key", "other_key"] {
            keygen(&dir.path().join(key));
        }
        let client_key = public_key(&dir.path().join("client_key.pub"));
        let host_key = public_key(&dir.path().join("host_key.pub"));
        std::fs::write(dir.path().join("authorized_keys"), client_key + "\n").unwrap();
        // sshd's privilege separation directory, which Debian's service unit makes.
        std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
        // A port picked now may be taken by the time sshd binds it: try a few.
        let mut sshd = TestSshd {
            dir,
            port: 0,
            process: None,
        };
        for _ in 0..5 {
            sshd.port = free_port();
            std::fs::write(
                sshd.path("known_hosts"),
                format!("[127.0.0.1]:{} {host_key}\n", sshd.port),
            )
            .unwrap();
            if sshd.spawn(extra) {
                return Some(sshd);
            }
            sshd.stop();
        }
        panic!("the test sshd did not start:\n{}", sshd.log());
    }

    /// Start sshd on `self.port`; whether it listens.
    fn spawn(&mut self, extra: &str) -> bool {
        let d = |name: &str| self.dir.path().join(name).display().to_string();
        let config = format!(
            "ListenAddress 127.0.0.1:{port}\n\
             HostKey {host_key}\n\
             PidFile {pid}\n\
             AuthorizedKeysFile {authorized}\n\
             PubkeyAuthentication yes\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             UsePAM no\n\
             PermitRootLogin prohibit-password\n\
             AllowStreamLocalForwarding yes\n\
             # The key files live under /tmp, which is world-writable: StrictModes would\n\
             # refuse them.\n\
             StrictModes no\n\
             LogLevel VERBOSE\n\
             {extra}\n",
            port = self.port,
            host_key = d("host_key"),
            pid = d("sshd.pid"),
            authorized = d("authorized_keys"),
        );
        std::fs::write(self.dir.path().join("sshd_config"), config).unwrap();
        let log = std::fs::File::create(self.dir.path().join("sshd.log")).unwrap();
        let mut command = Command::new("/usr/sbin/sshd");
        command
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(self.dir.path().join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        self.process = Some(command.spawn().expect("spawn sshd"));
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if self.log().contains("Server listening on") {
                return true;
            }
            if let Some(process) = &mut self.process
                && process.try_wait().ok().flatten().is_some()
            {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// `ssh://root@127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("ssh://root@127.0.0.1:{}", self.port)
    }

    /// `root@127.0.0.1:<port>`, as berth's messages name the host.
    pub fn host(&self) -> String {
        format!("root@127.0.0.1:{}", self.port)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A project ssh config that reaches this sshd: the accepted identity (or `identity`),
    /// the known host key (or the `known_hosts` file given), no agent, and nothing of the
    /// machine's own known hosts.
    pub fn client_config_with(&self, identity: &str, known_hosts: &Path) -> String {
        format!(
            "Host *\n  IdentityFile {}\n  IdentitiesOnly yes\n  IdentityAgent none\n  \
             UserKnownHostsFile {}\n  GlobalKnownHostsFile /dev/null\n",
            self.path(identity).display(),
            known_hosts.display()
        )
    }

    pub fn client_config(&self) -> String {
        self.client_config_with("client_key", &self.path("known_hosts"))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("sshd.log")).unwrap_or_default()
    }

    /// Stop sshd (the listener; each connection's own process ends with its client).
    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

impl Drop for TestSshd {
    fn drop(&mut self) {
        self.stop();
    }
}

fn keygen(path: &Path) {
    let status = Command::new("/usr/bin/ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "berth-test", "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .expect("ssh-keygen");
    assert!(status.success(), "ssh-keygen failed");
}

/// The `type key` of a public key file, as `known_hosts` and `authorized_keys` write it.
pub fn public_key(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A test project whose runtime is the test sshd's engine, through its own ssh config
/// (`ssh/config`). Dropping it kills every ssh master berth started for it (found by their
/// control path under the project's HOME) before the sshd stops.
pub struct SshProject {
    pub project: TestProject,
    pub sshd: TestSshd,
}

impl std::ops::Deref for SshProject {
    type Target = TestProject;
    fn deref(&self) -> &TestProject {
        &self.project
    }
}

impl SshProject {
    /// The project, with `extra` lines in the sshd's configuration.
    pub fn start(extra: &str) -> Option<SshProject> {
        let sshd = TestSshd::start(extra)?;
        let project = TestProject::with_tasks(&format!(
            "[tool.berth]\nruntime = \"{}\"\nssh-config = \"ssh/config\"\n",
            sshd.url()
        ));
        project.write("ssh/config", &sshd.client_config());
        Some(SshProject { project, sshd })
    }

    /// The project's forward directory, `~/.berth/ssh/<id>` (the only one under its HOME).
    pub fn forward_dir(&self) -> PathBuf {
        let root = self.home.join(".berth/ssh");
        let mut dirs = std::fs::read_dir(&root)
            .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
            .map(|e| e.unwrap().path());
        let dir = dirs.next().expect("a forward directory");
        assert!(dirs.next().is_none(), "one forward directory");
        dir
    }

    /// `forward.json`'s pid.
    pub fn master_pid(&self) -> u32 {
        master_pid_in(&self.forward_dir())
    }

    /// The ssh processes running for this project: every process whose command line names a
    /// control path under its HOME (zombies, which no longer run, are not counted).
    pub fn ssh_processes(&self) -> Vec<u32> {
        ssh_processes_under(&self.home)
    }
}

/// The pid `forward.json` names in the forward directory `dir`.
pub fn master_pid_in(dir: &Path) -> u32 {
    let record = std::fs::read_to_string(dir.join("forward.json")).unwrap();
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    u32::try_from(record["pid"].as_u64().unwrap()).unwrap()
}

/// The running processes whose command line names `ControlPath="<home>/.berth/ssh/…`.
pub fn ssh_processes_under(home: &Path) -> Vec<u32> {
    let needle = format!("ControlPath=\"{}/.berth/ssh/", home.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|line| {
                String::from_utf8_lossy(&line)
                    .replace('\0', " ")
                    .contains(&needle)
            })
        })
        .filter(|pid| alive(*pid))
        .collect()
}

impl Drop for SshProject {
    fn drop(&mut self) {
        kill_ssh_under(&self.home);
    }
}

/// Kill the ssh processes berth started for the HOME `home` (a failed test may leave one).
pub fn kill_ssh_under(home: &Path) {
    for pid in ssh_processes_under(home) {
        signal(pid, "KILL");
    }
}
