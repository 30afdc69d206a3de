//! Deciding what `berth system clean` removes. Reads the disk, changes nothing.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::fsutil::{self, confined, is_real_dir, is_symlink};
use super::{Kept, Kind, Occupant, Plan, Scope, Target, forwards, vms};
use crate::diag::Diagnostic;
use crate::du::disk_usage;
use crate::host::{self, Os};
use crate::project::Project;
use crate::runtime::State;
use crate::runtime::lima::{InstanceDir, Processes, SHORT_PATH_RECORD, ShortHomes};
use crate::runtime::project_marker::{self, Marked};
use crate::ui::display_path;

/// An empty file Lima writes (`limactl protect`) to block deletion.
const PROTECTED_MARKER: &str = "protected";
/// A LIMA_HOME's configuration directory (`pkg/limatype/filenames/filenames.go`).
const CONFIG_DIR: &str = "_config";
/// The files of `_config` Lima writes itself and writes again when they are missing: its
/// ssh identity (`pkg/sshutil/sshutil.go` `DefaultPubKeys`; names in
/// `pkg/limatype/filenames/filenames.go`, v1.0.0–v2.2.0).
const LIMA_WRITES: &[&str] = &["user", "user.pub"];
/// Lima writes `networks.yaml` from its template when it is missing
/// (`pkg/networks/config.go`), and people edit it (socket_vmnet's paths): in `~/.lima` it is
/// the user's; in a LIMA_HOME berth made, only Lima wrote it.
const NETWORKS: &str = "networks.yaml";

/// Whose a LIMA_HOME is, which decides whose its `networks.yaml` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// `~/.lima`, where people configure Lima.
    User,
    /// A project's LIMA_HOME or its short-path directory, made by berth.
    Berth,
}

/// What berth created for this project: its Lima instances and LIMA_HOME (following the
/// recorded short path), `.pixi/docker` and `.pixi/berth`. Never pixi's own `.pixi/*`.
pub fn plan_project(project: &Project) -> Result<Plan> {
    let layout = &project.layout;
    let mut plan = Plan::new(Scope::Project);
    let lima = &layout.lima_home;
    if is_symlink(lima) {
        if let Some((short, anchor)) = recorded_short_path(project, &mut plan)? {
            add_lima_home(
                &mut plan,
                &short,
                &anchor,
                Some((
                    Kind::ShortPath,
                    format!(
                        "short-path LIMA_HOME that `{}` links to",
                        display_path(lima)
                    ),
                )),
            )?;
        }
        plan.push(
            lima,
            &project.root,
            Kind::LimaHomeLink,
            "link to the project's LIMA_HOME".into(),
        )?;
    } else if is_real_dir(lima) {
        let home = (
            Kind::LimaHome,
            "the project's LIMA_HOME (Lima's key and settings)".to_string(),
        );
        add_lima_home(&mut plan, lima, &project.root, Some(home))?;
    }
    let owned = [
        (
            &layout.docker_config,
            Kind::DockerConfig,
            "the project's DOCKER_CONFIG",
        ),
        (
            &layout.berth_dir,
            Kind::BerthState,
            "berth's caches, logs, locks and job workspaces",
        ),
    ];
    vms::plan_project(&mut plan, project)?;
    forwards::plan_project(&mut plan, project)?;
    for (path, kind, reason) in owned {
        if fsutil::exists(path) {
            plan.push(path, &project.root, kind, reason.into())?;
        }
    }
    Ok(plan)
}

/// System-level Lima state: the instances in `~/.lima`, Lima's own files in its `_config`
/// once no instance remains (never the user's), Lima's download cache, and short-path
/// directories of projects that are gone.
pub fn plan_global() -> Result<Plan> {
    let home = host::home_dir().ok_or_else(|| {
        Diagnostic::new("HOME is unset or `/`, so berth cannot tell where ~/.lima is")
            .help("set HOME to your home directory and rerun")
    })?;
    let mut plan = Plan::new(Scope::Global);

    let lima = home.join(".lima");
    if is_symlink(&lima) {
        plan.notes.push(format!(
            "`{}` is a symlink; berth does not follow it (clean its target with `limactl delete`)",
            display_path(&lima)
        ));
    } else if is_real_dir(&lima) {
        let remaining = add_lima_home(&mut plan, &lima, &home, None)?;
        let config = lima.join(CONFIG_DIR);
        if fsutil::exists(&config) {
            if remaining.is_empty() {
                add_config(&mut plan, &config, &lima, Owner::User)?;
            } else {
                plan.notes.push(format!(
                    "`{}` stays: instance {} remains",
                    display_path(&config),
                    remaining.join(", ")
                ));
            }
        }
    }

    if let Some(cache) = lima_download_cache()
        && fsutil::exists(&cache)
    {
        let anchor = cache.parent().unwrap_or(&home).to_path_buf();
        let reason = "Lima's download cache (VM images; fetched again on the next create)";
        plan.push(&cache, &anchor, Kind::DownloadCache, reason.into())?;
    }

    // Colima's short-path LIMA_HOMEs hold Lima instances too (`colima-<profile>`).
    let short_homes = [
        (ShortHomes::Lima, "short-path LIMA_HOME"),
        (ShortHomes::Colima, "short-path LIMA_HOME of Colima"),
    ];
    for (homes, what) in short_homes {
        // Where berth makes them now, and where it made them before.
        for root in homes.roots() {
            for (dir, project_root) in orphaned_short_paths(&root) {
                let reason = format!(
                    "{what} for `{}`, which no longer exists",
                    project_root.display()
                );
                let whole = Some((Kind::OrphanedShortPath, reason));
                add_lima_home(&mut plan, &dir, &root, whole)?;
            }
        }
    }
    vms::plan_global(&mut plan);
    forwards::plan_global(&mut plan)?;
    Ok(plan)
}

impl Plan {
    fn new(scope: Scope) -> Plan {
        Plan {
            scope,
            on_engine: Vec::new(),
            vms: Vec::new(),
            targets: Vec::new(),
            kept: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Say that the project's pool containers and job services could not be listed, and
    /// why. Not a failure: with the runtime stopped no pool runs, and deleting a VM instance
    /// takes its containers with it.
    pub fn engine_unchecked(&mut self, why: &anyhow::Error) {
        self.notes.push(format!(
            "pool containers and job services could not be checked: {why}"
        ));
    }

    pub(super) fn push(
        &mut self,
        path: &Path,
        anchor: &Path,
        kind: Kind,
        reason: String,
    ) -> Result<()> {
        self.push_target(path, anchor, kind, reason, None, &[])
    }

    /// Plan `path` with what runs from it, which is ended before the path goes.
    pub(super) fn push_occupied(
        &mut self,
        path: &Path,
        anchor: &Path,
        kind: Kind,
        reason: String,
        occupant: Occupant,
    ) -> Result<()> {
        self.push_target(path, anchor, kind, reason, Some(occupant), &[])
    }

    fn push_target(
        &mut self,
        path: &Path,
        anchor: &Path,
        kind: Kind,
        reason: String,
        occupant: Option<Occupant>,
        skip: &[PathBuf],
    ) -> Result<()> {
        let path = confined(path, anchor)?;
        self.targets.push(Target {
            bytes: disk_usage(&path, skip),
            path,
            reason,
            kind,
            occupant,
            anchor: anchor.to_path_buf(),
        });
        Ok(())
    }
}

/// Plan the instances of the LIMA_HOME `home` and, when `whole` names its kind and reason,
/// the directory itself (sized without the instances, which have their own lines). A
/// protected instance stays, and so does the directory holding it; files the user wrote in
/// its `_config` stay too, with the directory, while everything else in it goes. Returns
/// the names of the instances that stay.
fn add_lima_home(
    plan: &mut Plan,
    home: &Path,
    anchor: &Path,
    whole: Option<(Kind, String)>,
) -> Result<Vec<String>> {
    let real_home = confined(home, anchor)?;
    let mut instance_dirs = Vec::new();
    let mut remaining = Vec::new();
    for (name, dir) in instance_dirs_in(&real_home) {
        if fsutil::exists(&dir.join(PROTECTED_MARKER)) {
            plan.notes.push(format!(
                "Lima instance `{name}` in `{}` is protected (run `limactl unprotect {name}` to allow removing it)",
                display_path(&real_home)
            ));
            remaining.push(name);
            continue;
        }
        let instance = super::Instance {
            state: instance_state(&dir),
            has_config: std::fs::symlink_metadata(dir.join("lima.yaml")).is_ok_and(|m| m.is_file()),
            lima_home: real_home.clone(),
            name,
        };
        let reason = format!("Lima instance `{}` ({})", instance.name, instance.status());
        plan.push_occupied(
            &dir,
            &real_home,
            Kind::Instance,
            reason,
            Occupant::Instance(instance),
        )?;
        instance_dirs.push(dir);
    }
    let Some((kind, reason)) = whole else {
        return Ok(remaining);
    };
    if !remaining.is_empty() {
        plan.notes.push(format!(
            "`{}` stays because instance {} remains",
            display_path(home),
            remaining.join(", ")
        ));
        return Ok(remaining);
    }
    let config = real_home.join(CONFIG_DIR);
    if users_files(&config, Owner::Berth).is_empty() {
        plan.push_target(home, anchor, kind, reason, None, &instance_dirs)?;
        return Ok(remaining);
    }
    // The directory stays for the user's files in its `_config`; the rest of it goes.
    for entry in sorted_entries(&real_home) {
        if !instance_dirs.contains(&entry) && entry != config {
            plan.push(&entry, &real_home, kind, reason.clone())?;
        }
    }
    add_config(plan, &config, &real_home, Owner::Berth)?;
    Ok(remaining)
}

/// What runs of the instance in `dir`, from its pid files (a pid reused by a stranger counts
/// as nothing running). A pid file that holds no pid is stale: the instance is stopped.
fn instance_state(dir: &Path) -> State {
    match InstanceDir::new(dir.to_path_buf()).processes() {
        Ok(Processes {
            host_agent: Some(_),
            ..
        }) => State::Running,
        Ok(Processes {
            driver: Some(_), ..
        }) => State::Broken,
        _ => State::Stopped,
    }
}

/// Plan a LIMA_HOME's `_config`: the whole directory when everything in it is Lima's own,
/// else only Lima's own files, keeping and listing the user's. A `_config` that is a link is
/// removed as a link, never followed.
fn add_config(plan: &mut Plan, config: &Path, anchor: &Path, owner: Owner) -> Result<()> {
    let users = users_files(config, owner);
    if users.is_empty() {
        let reason = "Lima's ssh identity and network settings; no instance remains";
        return plan.push(config, anchor, Kind::LimaConfig, reason.into());
    }
    for file in sorted_entries(config) {
        if users.contains(&file) {
            continue;
        }
        let reason = "Lima's own, written again when needed; no instance remains";
        plan.push(&file, config, Kind::LimaConfig, reason.into())?;
    }
    for path in users {
        let reason = match path.file_name().and_then(|n| n.to_str()) {
            Some(NETWORKS) => "your Lima network settings (Lima reads, never rewrites them)",
            _ => "your own Lima settings (Lima reads them; it never writes them)",
        };
        plan.kept.push(Kept {
            path,
            reason: reason.into(),
        });
    }
    Ok(())
}

/// The files in the `_config` directory `config` that Lima does not write again by itself,
/// so a person may have written them: `default.yaml`, `override.yaml`, `base.yaml`, anything
/// unknown, and `networks.yaml` in the user's own LIMA_HOME. Empty when `config` is not a
/// real directory.
fn users_files(config: &Path, owner: Owner) -> Vec<PathBuf> {
    if !is_real_dir(config) {
        return Vec::new();
    }
    sorted_entries(config)
        .into_iter()
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let limas = LIMA_WRITES.contains(&name) || (name == NETWORKS && owner == Owner::Berth);
            !limas
        })
        .collect()
}

/// The entries of a directory, sorted; none when it cannot be read.
fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}

/// The instance directories of a LIMA_HOME as Lima lists them: real directories whose names
/// do not start with `_` or `.` (those are Lima's reserved ones), in sorted order.
fn instance_dirs_in(home: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(home) else {
        return Vec::new();
    };
    let mut dirs: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            (!name.starts_with(['_', '.'])).then(|| (name, e.path()))
        })
        .collect();
    dirs.sort();
    dirs
}

/// The short-path directory `.pixi/lima` links to, when berth recorded it, the link still
/// points there and it lies in one of berth's short-path roots; with that root. The one
/// symlink clean follows; anything else is left alone.
fn recorded_short_path(project: &Project, plan: &mut Plan) -> Result<Option<(PathBuf, PathBuf)>> {
    let layout = &project.layout;
    let link = &layout.lima_home;
    let unrecorded = |plan: &mut Plan, why: &str| {
        plan.notes.push(format!(
            "`{}` is a symlink {why}; only the link is removed, not what it points to",
            display_path(link)
        ));
        Ok(None)
    };
    let record = layout.berth_dir.join(SHORT_PATH_RECORD);
    let Ok(text) = std::fs::read_to_string(&record) else {
        return unrecorded(plan, "berth did not record");
    };
    let target = PathBuf::from(text.trim());
    let same = |a: &Path, b: &Path| matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(a), Ok(b)) if a == b);
    if !target.is_absolute() || !is_real_dir(&target) || !same(link, &target) {
        return unrecorded(plan, "that no longer points to berth's recorded short path");
    }
    let Some(root) = ShortHomes::Lima
        .roots()
        .into_iter()
        .find(|root| target.starts_with(root))
    else {
        return unrecorded(
            plan,
            "to a directory outside berth's short-path directories",
        );
    };
    confined(&target, &root)?;
    Ok(Some((target, root)))
}

/// Short-path directories whose marker names a project root that no longer exists. A
/// directory without a marker is not known to be orphaned, so it is not listed.
fn orphaned_short_paths(short_root: &Path) -> Vec<(PathBuf, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(short_root) else {
        return Vec::new();
    };
    let mut orphans: Vec<(PathBuf, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| match project_marker::read(&e.path()) {
            Marked::Gone(root) => Some((e.path(), root)),
            Marked::Unmarked | Marked::Exists(_) => None,
        })
        .collect();
    orphans.sort();
    orphans
}

/// Lima's download cache: Go's user cache dir plus `lima` (§5 of the Lima notes). On macOS
/// that is `~/Library/Caches/lima` whatever XDG says.
fn lima_download_cache() -> Option<PathBuf> {
    match Os::current() {
        Os::Windows => None,
        Os::Linux | Os::Macos => host::cache_dir().map(|d| d.join("lima")),
    }
}
