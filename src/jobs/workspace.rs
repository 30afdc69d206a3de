//! A job's workspace, `.pixi/berth/jobs/<id>/`: `work/` (the job's current directory, inputs
//! copied in), `tmp/` (its TMPDIR), `stdout.log`, `stderr.log`, `result.json`, and
//! `owner.lock`, which the job's berth keeps locked while the job runs.
//! berth writes nothing outside it but the outputs it copies back.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

use super::JobResult;
use crate::diag::Diagnostic;

pub struct Workspace {
    pub id: String,
    pub dir: PathBuf,
    /// The job's current directory. Under `dir`, except for pooled jobs, whose work directory
    /// is in the pool container's mount.
    pub work: PathBuf,
    /// Held while the job runs (see [`JobDir`]).
    _owner: File,
}

impl Workspace {
    /// A new, empty workspace under `jobs_dir`, with its work directory inside it.
    pub fn create(jobs_dir: &Path) -> Result<Workspace> {
        let JobDir { id, dir, owner } = JobDir::create(jobs_dir)?;
        let work = dir.join("work");
        for d in [&work, &dir.join("tmp")] {
            fs_err::create_dir(d)?;
        }
        Ok(Workspace {
            id,
            dir,
            work,
            _owner: owner,
        })
    }

    /// A new workspace under `jobs_dir` whose work directory is `<work_parent>/<id>`.
    pub fn create_with_work_in(jobs_dir: &Path, work_parent: &Path) -> Result<Workspace> {
        let JobDir { id, dir, owner } = JobDir::create(jobs_dir)?;
        fs_err::create_dir(dir.join("tmp"))?;
        let work = work_parent.join(&id);
        fs_err::create_dir_all(&work)?;
        Ok(Workspace {
            id,
            dir,
            work,
            _owner: owner,
        })
    }

    pub fn tmp(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    pub fn stdout_path(&self) -> PathBuf {
        self.dir.join("stdout.log")
    }

    pub fn stderr_path(&self) -> PathBuf {
        self.dir.join("stderr.log")
    }

    /// Copy each input (a file or a directory) into the work directory under its own name.
    pub fn copy_inputs(&self, inputs: &[PathBuf]) -> Result<()> {
        for input in inputs {
            let name = input.file_name().ok_or_else(|| {
                Diagnostic::new(format!("input `{}` has no file name", input.display()))
                    .help("pass a file or a directory, such as `--input data.csv`")
            })?;
            let target = self.work.join(name);
            if target.symlink_metadata().is_ok() {
                return Err(Diagnostic::new(format!(
                    "two inputs are named `{}`",
                    name.to_string_lossy()
                ))
                .help("inputs are copied into the work directory by name; rename one")
                .into());
            }
            if !input.exists() {
                return Err(
                    Diagnostic::new(format!("input `{}` does not exist", input.display()))
                        .help("pass an existing file or directory to --input")
                        .into(),
                );
            }
            copy_tree(input, &target)
                .with_context(|| format!("failed to copy input `{}`", input.display()))?;
        }
        Ok(())
    }

    /// Copy the regular files of the work directory that match `globs` (gitignore-style,
    /// relative to the work directory) to `output_dir`, keeping their relative paths.
    /// Symbolic links are never followed: a job cannot make berth copy a file outside its
    /// workspace.
    pub fn copy_outputs(&self, globs: &[String], output_dir: &Path) -> Result<Vec<PathBuf>> {
        if globs.is_empty() {
            return Ok(Vec::new());
        }
        let mut builder = ignore::overrides::OverrideBuilder::new(&self.work);
        for glob in globs {
            builder.add(glob).map_err(|e| {
                Diagnostic::new(format!("`{glob}` is not a valid output glob: {e}"))
                    .help("write a glob relative to the work directory, such as `out/*.csv`")
            })?;
        }
        let matcher = builder.build()?;
        let mut copied = Vec::new();
        let walk = ignore::WalkBuilder::new(&self.work)
            .standard_filters(false)
            .follow_links(false)
            .build();
        for entry in walk {
            let entry = entry?;
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            if !matcher.matched(entry.path(), false).is_whitelist() {
                continue;
            }
            let relative = entry.path().strip_prefix(&self.work)?;
            let target = output_dir.join(relative);
            if let Some(parent) = target.parent() {
                fs_err::create_dir_all(parent)?;
            }
            fs_err::copy(entry.path(), &target)?;
            copied.push(target);
        }
        copied.sort();
        Ok(copied)
    }

    pub fn write_result(&self, result: &JobResult) -> Result<()> {
        write_result(&self.dir, result)
    }
}

/// Write `result` as the job directory `dir`'s `result.json`.
pub fn write_result(dir: &Path, result: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(result)?;
    crate::private_fs::write_atomic(&dir.join("result.json"), (text + "\n").as_bytes())?;
    Ok(())
}

/// A new job's directory, `<jobs_dir>/<id>`, and the lock on its `owner.lock` that says the
/// job runs: held until `owner` is dropped, and released by the kernel if berth is killed
/// outright. A lock rather than a pid, which the system may give to another process.
pub struct JobDir {
    pub id: String,
    pub dir: PathBuf,
    pub owner: File,
}

const OWNER_LOCK: &str = "owner.lock";

/// Whether a job directory's berth still runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Running,
    Gone,
    /// No `owner.lock`: not a job directory, or one an earlier berth made.
    Unknown,
}

impl JobDir {
    /// Create the directory for a new, unique job id, and take its owner lock.
    pub fn create(jobs_dir: &Path) -> Result<JobDir> {
        crate::private_fs::ensure_dir(jobs_dir)?;
        let base = job_id_base(SystemTime::now(), std::process::id());
        let mut id = base.clone();
        let mut n = 1;
        loop {
            let dir = jobs_dir.join(&id);
            match std::fs::create_dir(&dir) {
                Ok(()) => {
                    let owner = crate::private_fs::open_lock(&dir.join(OWNER_LOCK))?;
                    owner.lock()?;
                    return Ok(JobDir { id, dir, owner });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    n += 1;
                    id = format!("{base}-{n}");
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("failed to create `{}`", dir.display()));
                }
            }
        }
    }

    /// Whether the job in `dir` still runs: its owner lock is held (trying it releases it
    /// again at once).
    pub fn owner(dir: &Path) -> Result<Owner> {
        let lock = dir.join(OWNER_LOCK);
        if !lock.is_file() {
            return Ok(Owner::Unknown);
        }
        let file = crate::private_fs::open_lock(&lock)?;
        match file.try_lock() {
            Ok(()) => Ok(Owner::Gone),
            Err(std::fs::TryLockError::WouldBlock) => Ok(Owner::Running),
            Err(std::fs::TryLockError::Error(err)) => {
                Err(err).with_context(|| format!("failed to lock `{}`", lock.display()))
            }
        }
    }

    /// The ids of the jobs under `jobs_dir` that still run, oldest first.
    pub fn running(jobs_dir: &Path) -> Result<Vec<String>> {
        let entries = match std::fs::read_dir(jobs_dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => {
                return Err(err)
                    .with_context(|| format!("failed to read `{}`", jobs_dir.display()));
            }
        };
        let mut running = Vec::new();
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_dir() && JobDir::owner(&entry.path())? == Owner::Running {
                running.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        running.sort();
        Ok(running)
    }
}

/// `YYYYMMDD-HHMMSS-mmm-<pid>` in UTC: sorts by time, and the pid keeps concurrent berths
/// apart (a collision within one process gets a `-N` suffix).
fn job_id_base(now: SystemTime, pid: u32) -> String {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs();
    let (year, month, day) = civil_from_days(secs / 86_400);
    let time = secs % 86_400;
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}-{:03}-{pid}",
        time / 3600,
        time % 3600 / 60,
        time % 60,
        since_epoch.subsec_millis()
    )
}

/// The calendar date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Copy a file, a symbolic link (as a link) or a directory tree.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let metadata = fs_err::symlink_metadata(from)?;
    if metadata.file_type().is_symlink() {
        #[cfg(unix)]
        std::os::unix::fs::symlink(fs_err::read_link(from)?, to)?;
    } else if metadata.is_dir() {
        fs_err::create_dir(to)?;
        for entry in fs_err::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else {
        fs_err::copy(from, to)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn job_ids_are_utc_timestamps_then_the_pid() {
        let at = UNIX_EPOCH + Duration::from_millis(1_709_210_096_007);
        assert_eq!(job_id_base(at, 42), "20240229-123456-007-42");
        assert_eq!(job_id_base(UNIX_EPOCH, 1), "19700101-000000-000-1");
    }

    #[test]
    fn ids_within_one_process_are_unique() {
        let dir = tempfile::tempdir().unwrap();
        let a = Workspace::create(dir.path()).unwrap();
        let b = Workspace::create(dir.path()).unwrap();
        assert_ne!(a.id, b.id);
        assert!(a.work.is_dir() && b.tmp().is_dir());
    }
}
