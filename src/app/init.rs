//! `berth init`: add berth's tasks and settings to the project's manifest (creating a minimal
//! `pixi.toml` where there is none) and `.pixi/` to `.gitignore`.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::Global;
use crate::cli::InitArgs;
use crate::exit::ExitStatus;
use crate::manifest::{self, Manifest, edit};
use crate::project::{Layout, ManifestKind, Project};
use crate::{host, settings, ui};

/// One file `berth init` would write: its path, old text (if any) and new text.
struct Change {
    path: PathBuf,
    before: Option<String>,
    after: String,
}

pub fn run(global: &Global, args: &InitArgs) -> Result<ExitStatus> {
    let cwd = host::current_dir()?;
    let (root, manifest_change) = match global.project_with_source() {
        Ok((project, source)) => {
            let change = edit_manifest(&project, source)?;
            (project.root, change)
        }
        // Only where there is no manifest at all: a `pixi.toml` berth cannot read is
        // reported, never replaced.
        Err(_) if global.manifest_path.is_none() && !cwd.join("pixi.toml").exists() => {
            let name = cwd
                .file_name()
                .map_or_else(|| "workspace".into(), |n| n.to_string_lossy().into_owned());
            let fresh = edit::new_manifest(&name, &host::platform());
            let block = settings_block(&name, &cwd);
            let edited = edit::add_berth(&fresh, ManifestKind::Pixi, &block)?;
            report_tasks(&edited);
            let change = Change {
                path: cwd.join("pixi.toml"),
                before: None,
                after: edited.text,
            };
            (cwd.clone(), Some(change))
        }
        Err(err) => return Err(err),
    };
    let changes: Vec<Change> = manifest_change
        .into_iter()
        .chain(gitignore_change(&root)?)
        .collect();

    if changes.is_empty() {
        ui::status("berth is already set up here; nothing to change");
        return Ok(ExitStatus::Success);
    }
    if args.dry_run {
        for change in &changes {
            ui::out(&unified_diff(change, &root))?;
        }
        ui::status("dry run: nothing was written");
        return Ok(ExitStatus::Success);
    }
    for change in &changes {
        edit::write(&change.path, &change.after)?;
        let verb = if change.before.is_some() {
            "Updated"
        } else {
            "Created"
        };
        ui::step(verb, &ui::display_path(&change.path));
    }
    suggest_dependencies();
    Ok(ExitStatus::Success)
}

fn edit_manifest(project: &Project, source: Vec<u8>) -> Result<Option<Change>> {
    let before = manifest::text(&project.manifest_path, source)?;
    let name = Manifest::parse(&project.manifest_path, project.kind, &before)?
        .workspace_name()
        .unwrap_or_else(|| project.dir_name());
    let edited = edit::add_berth(&before, project.kind, &settings_block(&name, &project.root))?;
    report_tasks(&edited);
    Ok((edited.text != before).then(|| Change {
        path: project.manifest_path.clone(),
        before: Some(before),
        after: edited.text,
    }))
}

/// The `[tool.berth]` table for a workspace called `name` at `root`.
fn settings_block(name: &str, root: &Path) -> String {
    settings::init_block(&super::defaults(name, &Layout::new(root)))
}

fn report_tasks(edited: &edit::Edit) {
    if !edited.kept_tasks.is_empty() {
        ui::note(&format!(
            "kept the project's own definition of: {}",
            edited.kept_tasks.join(", ")
        ));
    }
    if !edited.added_tasks.is_empty() {
        ui::debug(&format!("adding tasks: {}", edited.added_tasks.join(", ")));
    }
}

/// `.pixi/` appended to `.gitignore` unless a line already ignores it.
fn gitignore_change(root: &Path) -> Result<Option<Change>> {
    let path = root.join(".gitignore");
    let before = match fs_err::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(err.into()),
    };
    let ignored = before.as_deref().unwrap_or("").lines().any(|line| {
        matches!(
            line.trim(),
            ".pixi" | ".pixi/" | "/.pixi" | "/.pixi/" | ".pixi/*" | "/.pixi/*"
        )
    });
    if ignored {
        return Ok(None);
    }
    let mut after = before.clone().unwrap_or_default();
    if !after.is_empty() && !after.ends_with('\n') {
        after.push('\n');
    }
    after.push_str("# berth and pixi state (VM, docker config, environments)\n.pixi/\n");
    Ok(Some(Change {
        path,
        before,
        after,
    }))
}

fn unified_diff(change: &Change, root: &Path) -> String {
    let name = change
        .path
        .strip_prefix(root)
        .unwrap_or(&change.path)
        .display()
        .to_string();
    let old_name = if change.before.is_some() {
        format!("a/{name}")
    } else {
        "/dev/null".into()
    };
    similar::TextDiff::from_lines(change.before.as_deref().unwrap_or(""), &change.after)
        .unified_diff()
        .header(&old_name, &format!("b/{name}"))
        .to_string()
}

/// Write through a temporary file in the same directory and a rename, so a failure leaves
/// the old file whole. A read-only file is the user's decision: refuse, even as root.
fn suggest_dependencies() {
    let tools = match host::Os::current() {
        host::Os::Macos => "docker-cli docker-compose lima",
        _ => "docker-cli docker-compose",
    };
    ui::note(&format!(
        "the tasks call docker and compose; to pin them in the project: `pixi add {tools}`"
    ));
    ui::status(
        "next: `pixi run container-init` (or `berth container init`), then `pixi run docker -- info`",
    );
}
