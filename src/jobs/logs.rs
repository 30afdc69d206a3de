//! A job's stdout and stderr: into `stdout.log` and `stderr.log` (mode 0600, they may hold
//! secrets), and also to the terminal unless `--json` asked for the result alone.

use std::fs::File;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;

use anyhow::Result;

use super::Workspace;
use crate::process::Watched;
use crate::ui::{self, Stream};

/// The log files, until the job starts and they are handed to it or to the tee threads.
pub struct Logs {
    stdout: File,
    stderr: File,
    tee: bool,
}

impl Logs {
    pub fn create(workspace: &Workspace, logs_only: bool) -> Result<Logs> {
        Ok(Logs {
            stdout: create_private(&workspace.stdout_path())?,
            stderr: create_private(&workspace.stderr_path())?,
            tee: !logs_only,
        })
    }

    /// Point `command`'s output at the logs: straight into the files, or into pipes that
    /// [`Logs::start`] copies to the files and the terminal. The job reads no stdin.
    pub fn attach(&self, command: &mut Command) -> Result<()> {
        command.stdin(Stdio::null());
        if self.tee {
            command.stdout(Stdio::piped()).stderr(Stdio::piped());
        } else {
            command
                .stdout(self.stdout.try_clone()?)
                .stderr(self.stderr.try_clone()?);
        }
        Ok(())
    }

    /// Start copying the watched child's pipes, if [`Logs::attach`] made any.
    pub fn start(self, watched: &mut Watched) -> Tees {
        let mut threads = Vec::new();
        if let Some(pipe) = watched.stdout.take() {
            threads.push(tee(pipe, self.stdout, Stream::Stdout));
        }
        if let Some(pipe) = watched.stderr.take() {
            threads.push(tee(pipe, self.stderr, Stream::Stderr));
        }
        Tees { threads }
    }
}

/// The threads copying a job's output; done when every process holding the pipes is gone.
pub struct Tees {
    threads: Vec<JoinHandle<std::io::Result<()>>>,
}

impl Tees {
    pub fn finish(self) -> Result<()> {
        for thread in self.threads {
            thread
                .join()
                .map_err(|_| anyhow::anyhow!("copying the job's output failed"))??;
        }
        Ok(())
    }
}

fn tee(
    mut pipe: impl Read + Send + 'static,
    mut file: File,
    stream: Stream,
) -> JoinHandle<std::io::Result<()>> {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        // A closed terminal must not stop the log: after the first failed write, only the file.
        let mut terminal = true;
        loop {
            let n = match pipe.read(&mut buffer) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            file.write_all(&buffer[..n])?;
            if terminal {
                terminal = ui::pass_through(stream, &buffer[..n]).is_ok();
            }
        }
    })
}

fn create_private(path: &std::path::Path) -> Result<File> {
    use anyhow::Context;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .with_context(|| format!("failed to create `{}`", path.display()))
}
