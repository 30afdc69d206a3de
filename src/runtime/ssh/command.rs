//! Every ssh command line berth runs for an `ssh://` runtime, built in one place: the
//! project's `ssh-config` (`-F`) when set, the destination as the URL gives it, and the
//! options that keep ssh from prompting, forking or opening anything berth did not ask for.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use crate::diag::Diagnostic;
use crate::process;
use crate::settings::SshDestination;

/// How long ssh may take to connect (TCP and the protocol's handshake, `ConnectTimeout`):
/// every connection error arrives within it.
pub const CONNECT_TIMEOUT_SECS: u64 = 20;

/// The ssh command lines of one destination, sharing the master connection at `control`.
pub struct SshCommands {
    program: PathBuf,
    config: Option<PathBuf>,
    destination: SshDestination,
    control: String,
}

impl SshCommands {
    /// `config` is the project's (already checked) ssh config, `control` the master's socket.
    pub fn new(
        destination: SshDestination,
        config: Option<PathBuf>,
        control: &Path,
        envs_dir: &Path,
    ) -> Result<SshCommands> {
        Ok(SshCommands {
            program: process::require_program("ssh", Some(envs_dir))?,
            config,
            destination,
            control: ssh_path(control)?,
        })
    }

    /// The master: one connection in the foreground of its own process, holding the
    /// control socket the other commands share and the forwards they add. No session (`-N`),
    /// no forwards from the configuration, forwarded sockets made 0600 (and replaced when a
    /// stale one is there), and an end when the server stops answering for 45 s.
    pub fn master(&self) -> Command {
        let mut command = self.base(&[
            "ControlMaster=yes",
            "ControlPersist=no",
            "ClearAllForwardings=yes",
            "ExitOnForwardFailure=yes",
            "StreamLocalBindMask=0177",
            "StreamLocalBindUnlink=yes",
            "ServerAliveInterval=15",
            "ServerAliveCountMax=3",
        ]);
        command.args(["-N", "-T"]);
        self.destination(&mut command);
        command
    }

    /// `words`, a shell command line, run on the remote host through the master.
    pub fn remote(&self, words: &str) -> Command {
        let mut command = self.base(&["ControlMaster=no"]);
        command.arg("-T");
        self.destination(&mut command);
        command.arg(words);
        command
    }

    /// Ask the master to forward the local socket `local` to the remote socket `remote`.
    pub fn forward(&self, local: &Path, remote: &Path) -> Result<Command> {
        let spec = format!("{}:{}", ssh_path(local)?, ssh_path(remote)?);
        let mut command = self.base(&["ControlMaster=no"]);
        command.args(["-O", "forward", "-L", &spec]);
        self.destination(&mut command);
        Ok(command)
    }

    /// An interactive shell on the remote host (or `words` run there), through the master
    /// when it runs, else on a connection of its own, which may prompt.
    pub fn shell(&self, words: &[OsString]) -> Command {
        let mut command = Command::new(&self.program);
        self.config_and_control(&mut command, &["ControlMaster=no"]);
        command.arg("-t");
        self.destination(&mut command);
        command.args(words);
        command
    }

    /// The command line a person runs to try the connection by hand (`words` on the host),
    /// for help lines: what berth runs, without the options that only matter in the
    /// background.
    pub fn by_hand(&self, words: &str) -> String {
        let mut line = vec!["ssh".to_string()];
        if let Some(config) = &self.config {
            line.push(format!("-F {}", crate::ui::display_path(config)));
        }
        if let Some(port) = self.destination.port {
            line.push(format!("-p {port}"));
        }
        let user = self
            .destination
            .user
            .as_ref()
            .map_or(String::new(), |u| format!("{u}@"));
        line.push(format!("{user}{}", self.destination.host));
        line.push(words.to_string());
        line.join(" ")
    }

    /// `ssh -F … -o …` with berth's options for every background command: no prompt (no
    /// terminal to answer it), a bounded connect, the control socket, no local command and
    /// no remote command from the configuration.
    fn base(&self, options: &[&str]) -> Command {
        let mut command = Command::new(&self.program);
        let mut all = vec!["BatchMode=yes"];
        let timeout = format!("ConnectTimeout={CONNECT_TIMEOUT_SECS}");
        all.push(&timeout);
        all.extend_from_slice(options);
        self.config_and_control(&mut command, &all);
        command
    }

    fn config_and_control(&self, command: &mut Command, options: &[&str]) {
        if let Some(config) = &self.config {
            command.arg("-F").arg(config);
        }
        for option in options {
            command.args(["-o", option]);
        }
        command.args([
            "-o".to_string(),
            format!("ControlPath=\"{}\"", self.control),
            "-o".to_string(),
            "PermitLocalCommand=no".to_string(),
            "-o".to_string(),
            "RemoteCommand=none".to_string(),
        ]);
    }

    /// `[-l user] [-p port] -- host`, as Docker's ssh helper passes them: `--` so a host
    /// can never be read as an option.
    fn destination(&self, command: &mut Command) {
        if let Some(user) = &self.destination.user {
            command.args(["-l", user]);
        }
        if let Some(port) = self.destination.port {
            command.args(["-p", &port.to_string()]);
        }
        command.args(["--", &self.destination.host]);
    }
}

/// `path` as ssh takes it in an option or a forward: a `:` would split a forward, a `%` or a
/// leading `~` be expanded, a `"` end the quoting.
pub fn ssh_path(path: &Path) -> Result<String> {
    let text = path
        .to_str()
        .filter(|t| !t.contains([':', '%', '"']) && !t.starts_with('~'));
    text.map(str::to_string).ok_or_else(|| {
        Diagnostic::new(format!(
            "ssh cannot take the path `{}` (it needs UTF-8 without `:`, `%` or `\"`)",
            path.display()
        ))
        .help("berth keeps the forward's sockets under HOME: set HOME to a plainer path")
        .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(config: Option<&str>) -> SshCommands {
        SshCommands {
            program: PathBuf::from("ssh"),
            config: config.map(PathBuf::from),
            destination: SshDestination {
                user: Some("ci".into()),
                host: "build".into(),
                port: Some(2222),
            },
            control: "/h/.berth/ssh/ab/ctl".into(),
        }
    }

    fn argv(command: &Command) -> String {
        process::display_command(command)
    }

    #[test]
    fn the_master_forwards_nothing_of_its_own_and_names_the_host_after_dashes() {
        assert_eq!(
            argv(&commands(Some("/p/ssh_config")).master()),
            "ssh -F /p/ssh_config -o BatchMode=yes -o ConnectTimeout=20 -o ControlMaster=yes \
             -o ControlPersist=no -o ClearAllForwardings=yes -o ExitOnForwardFailure=yes \
             -o StreamLocalBindMask=0177 -o StreamLocalBindUnlink=yes \
             -o ServerAliveInterval=15 -o ServerAliveCountMax=3 \
             -o 'ControlPath=\"/h/.berth/ssh/ab/ctl\"' -o PermitLocalCommand=no \
             -o RemoteCommand=none -N -T -l ci -p 2222 -- build"
        );
    }

    #[test]
    fn without_a_project_config_ssh_reads_the_users_own() {
        let forward = commands(None)
            .forward(
                Path::new("/h/s/docker.sock"),
                Path::new("/var/run/docker.sock"),
            )
            .unwrap();
        assert_eq!(
            argv(&forward),
            "ssh -o BatchMode=yes -o ConnectTimeout=20 -o ControlMaster=no \
             -o 'ControlPath=\"/h/.berth/ssh/ab/ctl\"' -o PermitLocalCommand=no \
             -o RemoteCommand=none -O forward -L /h/s/docker.sock:/var/run/docker.sock \
             -l ci -p 2222 -- build"
        );
        assert_eq!(
            commands(Some("ssh/config")).by_hand("true"),
            "ssh -F ssh/config -p 2222 ci@build true"
        );
    }

    #[test]
    fn paths_ssh_would_misread_are_refused() {
        for path in ["/a:b/ctl", "/a%h/ctl", "/a\"b", "~/ctl"] {
            assert!(ssh_path(Path::new(path)).is_err(), "{path}");
        }
        assert_eq!(ssh_path(Path::new("/a b/ctl")).unwrap(), "/a b/ctl");
    }
}
