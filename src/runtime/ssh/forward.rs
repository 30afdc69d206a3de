//! The ssh forward's state on disk: one directory per project, `~/.berth/ssh/<id>`, short
//! enough for ssh's control socket (ssh binds `<ControlPath>.<16 random characters>` first,
//! as Lima keeps its socket paths short) and private to the user, holding the master's
//! control socket `ctl`, the forwarded engine socket `docker.sock` and `forward.json`, which
//! names the master's pid and what it forwards. `container status` reads them without
//! starting anything.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::host::{self, Os};
use crate::project::Layout;
use crate::runtime::project_marker;
use crate::{docker_api, private_fs, process};

/// What ssh appends to the control path while it binds it (`mux.c`, `muxserver_listen`).
const CONTROL_SUFFIX: usize = 17;

/// The forward's directory and the files in it.
#[derive(Debug, Clone)]
pub struct ForwardDir {
    pub dir: PathBuf,
}

/// `forward.json`: the master berth started, and what it forwards once set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub pid: u32,
    /// The endpoint as the `runtime` setting wrote it (`ssh://user@host:port`).
    pub endpoint: String,
    /// The remote engine's socket, once the forward to it is set up.
    pub remote_socket: Option<PathBuf>,
}

/// What the forward's files and processes say, without asking anything remote but a ping.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// No master was started (or it was stopped).
    Nothing,
    /// The master berth started is no longer running.
    Gone(Record),
    /// The master runs, but for another endpoint (the setting changed since).
    OtherEndpoint(Record),
    /// The master runs, but the forward was never set up (its start was interrupted).
    Unfinished(Record),
    /// The forward is set up, but no engine answers through it.
    NotAnswering(Record),
    Running(Record),
}

impl Found {
    /// The record of the master berth started, if there is one.
    pub fn record(&self) -> Option<&Record> {
        match self {
            Found::Nothing => None,
            Found::Gone(record)
            | Found::OtherEndpoint(record)
            | Found::Unfinished(record)
            | Found::NotAnswering(record)
            | Found::Running(record) => Some(record),
        }
    }
}

impl ForwardDir {
    /// `~/.berth/ssh`, which holds the forward directory of every project.
    pub fn root() -> Option<PathBuf> {
        Some(host::home_dir()?.join(".berth/ssh"))
    }

    /// The project's forward directory, under HOME.
    pub fn of_project(layout: &Layout) -> Result<ForwardDir> {
        let root = ForwardDir::root().ok_or_else(|| {
            Diagnostic::new("HOME is not set, and berth keeps the ssh forward's sockets there")
                .help("set HOME to your home directory")
        })?;
        Ok(ForwardDir::at(root.join(layout.root_id())))
    }

    /// The forward directory `dir` (one of [`ForwardDir::root`]'s).
    pub fn at(dir: PathBuf) -> ForwardDir {
        ForwardDir { dir }
    }

    /// The master's control socket.
    pub fn control(&self) -> PathBuf {
        self.dir.join("ctl")
    }

    /// The local end of the forward: the project's engine socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("docker.sock")
    }

    fn record_path(&self) -> PathBuf {
        self.dir.join("forward.json")
    }

    /// The directory, made (or checked to be) the user's alone, with room for ssh's
    /// temporary control socket name, naming the project it serves for
    /// `berth system clean --global`.
    pub fn prepare(&self, project_root: &Path) -> Result<()> {
        let longest = self.control().as_os_str().len() + CONTROL_SUFFIX;
        let limit = crate::runtime::lima::home::unix_path_max(Os::current());
        if longest >= limit {
            return Err(Diagnostic::new(format!(
                "ssh's control socket under `{}` would be {longest} bytes, over this OS's limit \
                 of {}",
                self.dir.display(),
                limit - 1
            ))
            .help("berth keeps the ssh forward under HOME: use a shorter HOME")
            .into());
        }
        private_fs::ensure_owned_dir(&self.dir)?;
        project_marker::mark(&self.dir, project_root)
    }

    pub fn record(&self) -> Option<Record> {
        let text = fs_err::read_to_string(self.record_path()).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub fn write_record(&self, record: &Record) -> Result<()> {
        let text = serde_json::to_string_pretty(record)?;
        private_fs::write_atomic(&self.record_path(), format!("{text}\n").as_bytes())
    }

    /// Whether `pid` runs and is the master of this directory: an ssh whose command line
    /// names this control socket (a pid the system gave to another process is not).
    pub fn is_master(&self, pid: u32) -> bool {
        let control = format!("ControlPath=\"{}\"", self.control().display());
        process::is_running(pid)
            && process::command_line(pid).is_some_and(|line| {
                let program = line.split(' ').next().unwrap_or_default();
                Path::new(program)
                    .file_name()
                    .is_some_and(|name| name == "ssh")
                    && line.contains(&control)
            })
    }

    /// The master berth recorded here, while it runs (checked as [`ForwardDir::is_master`]
    /// checks it: a pid the system gave to another process is not).
    pub fn running_master(&self) -> Option<Record> {
        self.record().filter(|record| self.is_master(record.pid))
    }

    /// The forward's state, for `endpoint`. The sockets are checked to be the user's alone
    /// before one is connected to.
    pub fn find(&self, endpoint: &str) -> Result<Found> {
        if !private_fs::owned_dir(&self.dir)? {
            return Ok(Found::Nothing);
        }
        let Some(record) = self.record() else {
            return Ok(Found::Nothing);
        };
        if !self.is_master(record.pid) {
            return Ok(Found::Gone(record));
        }
        if record.endpoint != endpoint {
            return Ok(Found::OtherEndpoint(record));
        }
        if record.remote_socket.is_none() {
            return Ok(Found::Unfinished(record));
        }
        let socket = self.socket();
        if private_fs::owned_socket(&socket)? && docker_api::ping(&socket) {
            Ok(Found::Running(record))
        } else {
            Ok(Found::NotAnswering(record))
        }
    }

    /// End the master `record` names, if it is still this directory's, and remove what it
    /// left: the sockets (the user's own; another user's is refused) and the record.
    pub fn stop(&self, record: Option<&Record>) -> Result<Option<u32>> {
        let stopped = record.map(|r| r.pid).filter(|pid| self.is_master(*pid));
        if let Some(pid) = stopped {
            process::terminate(pid, std::time::Duration::from_secs(5));
        }
        self.remove_leftovers()?;
        Ok(stopped)
    }

    /// Remove the sockets and the record of a master that no longer runs.
    pub fn remove_leftovers(&self) -> Result<()> {
        for socket in [self.control(), self.socket()] {
            if private_fs::owned_socket(&socket)? {
                fs_err::remove_file(&socket)?;
            }
        }
        match fs_err::remove_file(self.record_path()) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err.into()),
            _ => Ok(()),
        }
    }
}
