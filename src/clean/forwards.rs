//! The ssh forwards of `ssh://` runtimes in a clean. Each project's forward lives in
//! `~/.berth/ssh/<id>`: the sockets of a background ssh master berth started, and the record
//! naming its pid. The directory is planned like any path; a master that still runs is ended
//! first, which (as for a running VM) takes `--force`. Whose a directory is and whether a pid
//! is really its ssh are decided by the runtime's own checks, so clean never enters another
//! user's directory and never signals a process that is not that ssh.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::{Kind, Occupant, Plan};
use crate::diag::Diagnostic;
use crate::private_fs;
use crate::project::Project;
use crate::runtime::project_marker::{self, Marked};
use crate::runtime::ssh::{ForwardDir, Record};
use crate::ui::{self, display_path};

/// A forward directory the plan removes.
#[derive(Debug, Clone)]
pub struct Forward {
    dir: ForwardDir,
    /// The master that ran from it when the plan was made.
    pub master: Option<Record>,
    /// The project it served, when that project is gone (an orphan `--global` found).
    gone_project: Option<PathBuf>,
}

impl Forward {
    fn found(dir: ForwardDir, gone_project: Option<PathBuf>) -> Forward {
        Forward {
            master: dir.running_master(),
            dir,
            gone_project,
        }
    }

    pub fn status(&self) -> &'static str {
        if self.master.is_some() {
            "running"
        } else {
            "stopped"
        }
    }

    fn reason(&self) -> String {
        let state = match &self.master {
            Some(master) => format!("to {}, ssh pid {}, running", master.endpoint, master.pid),
            None => "stopped".into(),
        };
        match &self.gone_project {
            None => format!("the project's ssh forward ({state})"),
            Some(root) => format!(
                "ssh forward of `{}`, which no longer exists ({state})",
                root.display()
            ),
        }
    }

    /// `the ssh forward to ssh://host (pid 123)`, or of its directory when nothing runs.
    fn describe(&self) -> String {
        match &self.master {
            Some(master) => format!(
                "the ssh forward to {} (pid {})",
                master.endpoint, master.pid
            ),
            None => format!("the ssh forward in `{}`", display_path(&self.dir.dir)),
        }
    }

    /// How to end the master by hand, for the refusal without `--force`: the runtime's own
    /// `stop` in a project; once the project is gone, nothing of berth's can.
    fn stop_hint(&self, pid: u32) -> String {
        match self.gone_project {
            None => "berth container stop".into(),
            Some(_) => format!("kill {pid}"),
        }
    }
}

/// The project's forward directory, whatever runtime the project names now (it may have left
/// `ssh://` since). One another user owns or can write, or a link, is refused as the runtime
/// refuses it: nothing is removed.
pub fn plan_project(plan: &mut Plan, project: &Project) -> Result<()> {
    let Some(root) = ForwardDir::root() else {
        // Without HOME berth never made one.
        return Ok(());
    };
    let dir = ForwardDir::of_project(&project.layout)?;
    if !private_fs::owned_dir(&dir.dir)? {
        return Ok(());
    }
    let forward = Forward::found(dir, None);
    add(plan, forward, &root, Kind::SshForward)
}

/// The forward directories whose project is gone. The others stay, each with a note: a live
/// project's, one an earlier berth made without naming its project, and one berth may not
/// use (another user's, a link).
pub fn plan_global(plan: &mut Plan) -> Result<()> {
    let Some(root) = ForwardDir::root() else {
        return Ok(());
    };
    match private_fs::owned_dir(&root) {
        Ok(true) => {}
        Ok(false) => return Ok(()),
        Err(err) => {
            plan.notes
                .push(format!("{err:#}; clean leaves the ssh forwards in it"));
            return Ok(());
        }
    }
    let mut dirs: Vec<PathBuf> = fs_err::read_dir(&root)?
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        if let Err(err) = private_fs::owned_dir(&dir) {
            plan.notes.push(format!("{err:#}; clean leaves it"));
            continue;
        }
        let shown = display_path(&dir);
        match project_marker::read(&dir) {
            Marked::Gone(project) => {
                let forward = Forward::found(ForwardDir::at(dir), Some(project));
                add(plan, forward, &root, Kind::OrphanedSshForward)?;
            }
            Marked::Exists(project) => plan.notes.push(format!(
                "the ssh forward in `{shown}` stays: its project `{}` exists (run `berth system clean` there)",
                display_path(&project)
            )),
            Marked::Unmarked => plan.notes.push(format!(
                "the ssh forward in `{shown}` stays: an earlier berth made it without naming its \
                 project (`berth container start` in that project names it; `berth system clean` \
                 there removes it)"
            )),
        }
    }
    Ok(())
}

fn add(plan: &mut Plan, forward: Forward, root: &Path, kind: Kind) -> Result<()> {
    let path = forward.dir.dir.clone();
    let reason = forward.reason();
    plan.push_occupied(&path, root, kind, reason, Occupant::Forward(forward))
}

/// Refuse, before anything is removed, a master that still runs unless `--force`.
pub fn preflight(plan: &Plan, force: bool) -> Result<()> {
    let running = plan.forwards().find_map(|f| Some((f, f.master.as_ref()?)));
    match running {
        Some((forward, master)) if !force => bail!(
            Diagnostic::new(format!(
                "{} is running; nothing was removed",
                forward.describe()
            ))
            .help(format!(
                "stop it first (`{}`), or rerun with --force to stop it",
                forward.stop_hint(master.pid)
            ))
        ),
        _ => Ok(()),
    }
}

/// End the master of a planned forward, if it still runs: only the one the plan saw (one
/// started since is left alone), only when it is still that directory's ssh, and only in a
/// directory that is still the user's alone. Its directory is removed by the caller.
pub fn end_master(forward: &Forward) -> Result<()> {
    private_fs::owned_dir(&forward.dir.dir)?;
    let Some(running) = forward.dir.running_master() else {
        return Ok(());
    };
    if forward.master.as_ref().map(|m| m.pid) != Some(running.pid) {
        bail!(
            "its ssh (pid {}) started after the plan was made, so clean leaves it",
            running.pid
        );
    }
    ui::step("Stopping", &forward.describe());
    forward.dir.stop(Some(&running))?;
    if forward.dir.is_master(running.pid) {
        bail!("its ssh (pid {}) is still running", running.pid);
    }
    Ok(())
}
