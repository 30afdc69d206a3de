//! Deciding what `berth system clean` removes. Reads the disk, changes nothing.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::fsutil::{self, confined, disk_usage, is_real_dir, is_symlink};
use super::{Instance, Kind, Plan, Scope, Target, vms};
use crate::diag::Diagnostic;
use crate::host::{self, Os};
use crate::project::Project;
use crate::runtime::colima;
use crate::ui::display_path;

/// Where berth records the short-path directory `.pixi/lima` links to (an absolute path).
const SHORT_PATH_RECORD: &str = "lima-home-target";
/// The file in a short-path directory naming the project root it serves.
pub const PROJECT_ROOT_MARKER: &str = ".berth-project-root";
/// An empty file Lima writes (`limactl protect`) to block deletion.
const PROTECTED_MARKER: &str = "protected";

/// What berth created for this project: its Lima instances and LIMA_HOME (following the
/// recorded short path), `.pixi/docker` and `.pixi/berth`. Never pixi's own `.pixi/*`.
pub fn plan_project(project: &Project) -> Result<Plan> {
    let layout = &project.layout;
    let mut plan = Plan {
        scope: Scope::Project,
        containers: Vec::new(),
        vms: Vec::new(),
        targets: Vec::new(),
        kept: Vec::new(),
    };
    let lima = &layout.lima_home;
    if is_symlink(lima) {
        if let Some(short) = recorded_short_path(project, &mut plan)? {
            let anchor = short_path_root()?;
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
    for (path, kind, reason) in owned {
        if fsutil::exists(path) {
            plan.push(path, &project.root, kind, reason.into())?;
        }
    }
    Ok(plan)
}

/// System-level Lima state: the instances in `~/.lima`, `~/.lima/_config` once no instance
/// remains, Lima's download cache, and short-path directories of projects that are gone.
pub fn plan_global() -> Result<Plan> {
    let home = host::home_dir().ok_or_else(|| {
        Diagnostic::new("HOME is unset or `/`, so berth cannot tell where ~/.lima is")
            .help("set HOME to your home directory and rerun")
    })?;
    let mut plan = Plan {
        scope: Scope::Global,
        containers: Vec::new(),
        vms: Vec::new(),
        targets: Vec::new(),
        kept: Vec::new(),
    };

    let lima = home.join(".lima");
    if is_symlink(&lima) {
        plan.kept.push(format!(
            "`{}` is a symlink; berth does not follow it (clean its target with `limactl delete`)",
            display_path(&lima)
        ));
    } else if is_real_dir(&lima) {
        let remaining = add_lima_home(&mut plan, &lima, &home, None)?;
        let config = lima.join("_config");
        if fsutil::exists(&config) {
            if remaining.is_empty() {
                let reason = "Lima's ssh identity and network settings; no instance remains";
                plan.push(&config, &lima, Kind::LimaConfig, reason.into())?;
            } else {
                plan.kept.push(format!(
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

    let short_root = short_path_root()?;
    for (dir, project_root) in orphaned_short_paths(&short_root) {
        let reason = format!(
            "short-path LIMA_HOME of `{}`, which no longer exists",
            project_root.display()
        );
        add_lima_home(
            &mut plan,
            &dir,
            &short_root,
            Some((Kind::OrphanedShortPath, reason)),
        )?;
    }
    // Colima's short-path LIMA_HOMEs hold Lima instances too (`colima-<profile>`).
    if let Some(colima_root) = colima::short_lima_homes() {
        for (dir, project_root) in orphaned_short_paths(&colima_root) {
            let reason = format!(
                "short-path LIMA_HOME of Colima for `{}`, which no longer exists",
                project_root.display()
            );
            let whole = Some((Kind::OrphanedShortPath, reason));
            add_lima_home(&mut plan, &dir, &colima_root, whole)?;
        }
    }
    vms::plan_global(&mut plan);
    Ok(plan)
}

impl Plan {
    /// Say that the project's pool containers could not be listed, and why. Not a failure:
    /// with the runtime stopped no pool runs, and deleting a VM instance takes its
    /// containers with it.
    pub fn pool_unchecked(&mut self, why: &anyhow::Error) {
        self.kept
            .push(format!("pool containers could not be checked: {why}"));
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

    fn push_target(
        &mut self,
        path: &Path,
        anchor: &Path,
        kind: Kind,
        reason: String,
        instance: Option<Instance>,
        skip: &[PathBuf],
    ) -> Result<()> {
        let path = confined(path, anchor)?;
        self.targets.push(Target {
            bytes: disk_usage(&path, skip),
            path,
            reason,
            kind,
            instance,
            anchor: anchor.to_path_buf(),
        });
        Ok(())
    }
}

/// Plan the instances of the LIMA_HOME `home` and, when `whole` names its kind and reason,
/// the directory itself (sized without the instances, which have their own lines). A
/// protected instance stays, and so does the directory holding it. Returns the names of the
/// instances that stay.
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
            plan.kept.push(format!(
                "Lima instance `{name}` in `{}` is protected (run `limactl unprotect {name}` to allow removing it)",
                display_path(&real_home)
            ));
            remaining.push(name);
            continue;
        }
        let instance = Instance {
            running: fsutil::host_agent_alive(&dir),
            has_config: std::fs::symlink_metadata(dir.join("lima.yaml")).is_ok_and(|m| m.is_file()),
            lima_home: real_home.clone(),
            name,
        };
        let reason = format!("Lima instance `{}` ({})", instance.name, instance.status());
        plan.push_target(
            &dir,
            &real_home,
            Kind::Instance,
            reason,
            Some(instance),
            &[],
        )?;
        instance_dirs.push(dir);
    }
    if let Some((kind, reason)) = whole {
        if remaining.is_empty() {
            plan.push_target(home, anchor, kind, reason, None, &instance_dirs)?;
        } else {
            plan.kept.push(format!(
                "`{}` stays because instance {} remains",
                display_path(home),
                remaining.join(", ")
            ));
        }
    }
    Ok(remaining)
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

/// `<data dir>/berth/lima`, where long project paths get their short LIMA_HOME.
fn short_path_root() -> Result<PathBuf> {
    host::data_dir()
        .map(|d| d.join("berth").join("lima"))
        .ok_or_else(|| {
            Diagnostic::new("HOME is unset or `/`, so berth cannot find its short-path directories")
                .help("set HOME to your home directory and rerun")
                .into()
        })
}

/// The short-path directory `.pixi/lima` links to, when berth recorded it and the link
/// still points there. The one symlink clean follows; anything else is left alone.
fn recorded_short_path(project: &Project, plan: &mut Plan) -> Result<Option<PathBuf>> {
    let layout = &project.layout;
    let link = &layout.lima_home;
    let unrecorded = |plan: &mut Plan, why: &str| {
        plan.kept.push(format!(
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
    confined(&target, &short_path_root()?)?;
    Ok(Some(target))
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
        .filter_map(|e| {
            let marker = std::fs::read_to_string(e.path().join(PROJECT_ROOT_MARKER)).ok()?;
            let root = PathBuf::from(marker.trim());
            let gone = root.is_absolute() && !fsutil::exists(&root);
            gone.then(|| (e.path(), root))
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
