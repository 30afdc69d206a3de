//! Format-preserving edits of a manifest, for `berth init`: add missing tasks and a
//! `[tool.berth]` table. Everything not added stays byte-identical (toml_edit keeps
//! comments, order and spacing of what it does not touch). Also the one way an edited
//! manifest is written back.

use anyhow::Result;
use toml_edit::{DocumentMut, Item, Table};

use crate::diag::Diagnostic;
use crate::project::ManifestKind;

/// The task set `berth init` adds, from `tasks/berth.toml`.
const BERTH_TASKS: &str = include_str!("../../tasks/berth.toml");

/// What an edit did.
#[derive(Debug, Default)]
pub struct Edit {
    pub text: String,
    pub added_tasks: Vec<String>,
    pub kept_tasks: Vec<String>,
    pub added_settings: bool,
}

/// Add berth's tasks and, when the manifest has none, the `[tool.berth]` table `settings` to
/// `source`, leaving what exists alone.
pub fn add_berth(source: &str, kind: ManifestKind, settings: &str) -> Result<Edit> {
    let mut doc: DocumentMut = source.parse()?;
    let mut edit = Edit::default();

    let template: DocumentMut = BERTH_TASKS.parse()?;
    let new_tasks = template["tasks"]
        .as_table()
        .ok_or_else(|| anyhow::anyhow!("tasks/berth.toml has no [tasks] table"))?;

    let tasks = tasks_table(&mut doc, kind)?;
    for (name, item) in new_tasks.iter() {
        if let Some(existing) = tasks.get(name) {
            // Only a definition of the project's own is worth a word; berth's own is not.
            if existing.to_string().trim() != item.to_string().trim() {
                edit.kept_tasks.push(name.to_string());
            }
        } else {
            tasks.insert(name, item.clone());
            edit.added_tasks.push(name.to_string());
        }
    }

    let has_settings = doc.get("tool").and_then(|t| t.get("berth")).is_some();
    let mut text = doc.to_string();
    if !has_settings {
        if !text.ends_with('\n') && !text.is_empty() {
            text.push('\n');
        }
        text.push('\n');
        text.push_str(settings);
        edit.added_settings = true;
    }
    edit.text = text;
    Ok(edit)
}

/// The tasks table to add to, created (at the end of the file) when missing.
fn tasks_table(doc: &mut DocumentMut, kind: ManifestKind) -> Result<&mut dyn toml_edit::TableLike> {
    let parent: &mut Item = match kind {
        ManifestKind::Pixi => doc.as_item_mut(),
        ManifestKind::Pyproject => {
            let tool = implicit_table(doc.as_table_mut(), "tool")?;
            implicit_table(tool, "pixi")?;
            &mut doc["tool"]["pixi"]
        }
    };
    let parent = parent
        .as_table_like_mut()
        .ok_or_else(|| anyhow::anyhow!("the pixi table is not a table"))?;
    if !parent.contains_key("tasks") {
        parent.insert("tasks", Item::Table(Table::new()));
    }
    parent
        .get_mut("tasks")
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| {
            crate::diag::error("`tasks` in the manifest is not a table")
                .help("write tasks as a [tasks] table")
                .into()
        })
}

/// `parent[key]` as a table, created implicit (no header of its own) when missing.
fn implicit_table<'a>(parent: &'a mut Table, key: &str) -> Result<&'a mut Table> {
    if !parent.contains_key(key) {
        let mut table = Table::new();
        table.set_implicit(true);
        parent.insert(key, Item::Table(table));
    }
    parent[key]
        .as_table_mut()
        .ok_or_else(|| anyhow::anyhow!("`{key}` in the manifest is not a table"))
}

/// Write a manifest in place, atomically, with its permissions; a read-only manifest is
/// refused and left as it is.
pub fn write(path: &std::path::Path, text: &str) -> Result<()> {
    use anyhow::Context;
    let permissions = match fs_err::metadata(path) {
        Ok(meta) if meta.permissions().readonly() => {
            return Err(Diagnostic::new(format!(
                "`{}` is read-only",
                crate::ui::display_path(path)
            ))
            .help("make it writable (`chmod u+w`) and run the command again; nothing was changed")
            .into());
        }
        Ok(meta) => Some(meta.permissions()),
        Err(_) => None,
    };
    let dir = path.parent().context("a file always has a parent")?;
    let temp = dir.join(format!(
        ".{}.berth-tmp",
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    ));
    fs_err::write(&temp, text)?;
    if let Some(permissions) = permissions {
        fs_err::set_permissions(&temp, permissions)?;
    }
    fs_err::rename(&temp, path).inspect_err(|_| {
        let _ = fs_err::remove_file(&temp);
    })?;
    Ok(())
}

/// The manifest `berth init` creates where there is none: pixi's own minimal workspace.
pub fn new_manifest(name: &str, platform: &str) -> String {
    format!(
        "[workspace]\nname = \"{}\"\nchannels = [\"conda-forge\"]\nplatforms = [\"{platform}\"]\n\n[tasks]\n\n[dependencies]\n",
        name.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A user's manifest with comments, odd spacing and a task named like one of berth's.
    const USER_MANIFEST: &str = include_str!("../../tests/fixtures/messy-pixi.toml");
    /// A settings table as `settings::init_block` writes one.
    const SETTINGS: &str = "# berth's settings\n[tool.berth]\ninstance = \"demo\"\ncpus = 2\n";

    #[test]
    fn adds_missing_tasks_after_existing_ones_and_keeps_everything_else() {
        let edit = add_berth(USER_MANIFEST, ManifestKind::Pixi, SETTINGS).unwrap();
        assert_eq!(edit.kept_tasks, ["docker"]);
        assert!(edit.added_tasks.contains(&"container-init".to_string()));
        assert!(!edit.added_tasks.contains(&"docker".to_string()));
        // The user's lines survive byte for byte, in order.
        let (head, _) = USER_MANIFEST.split_once("[dependencies]").unwrap();
        assert!(edit.text.starts_with(head.trim_end()), "{}", edit.text);
        assert!(edit.text.contains("[dependencies]\npython = \">=3.12\"\n"));
        assert!(edit.text.ends_with(&format!("\n\n{SETTINGS}")));
        let parsed: DocumentMut = edit.text.parse().unwrap();
        assert_eq!(parsed["tool"]["berth"]["instance"].as_str(), Some("demo"));
    }

    #[test]
    fn a_second_run_changes_nothing() {
        let once = add_berth(USER_MANIFEST, ManifestKind::Pixi, SETTINGS).unwrap();
        let twice = add_berth(&once.text, ManifestKind::Pixi, SETTINGS).unwrap();
        assert_eq!(once.text, twice.text);
        assert!(twice.added_tasks.is_empty());
        assert_eq!(
            twice.kept_tasks,
            ["docker"],
            "only the user's own definitions are reported"
        );
        assert!(!twice.added_settings);
    }

    #[test]
    fn pyproject_tasks_go_under_tool_pixi() {
        let source =
            "[project]\nname = \"py\"\n\n[tool.pixi.workspace]\nchannels = []\nplatforms = []\n";
        let edit = add_berth(source, ManifestKind::Pyproject, SETTINGS).unwrap();
        let doc: DocumentMut = edit.text.parse().unwrap();
        assert!(doc["tool"]["pixi"]["tasks"]["container-init"].is_inline_table());
        assert!(doc["tool"]["berth"]["cpus"].is_integer());
        assert!(edit.text.starts_with(source));
    }

    #[test]
    fn a_new_manifest_is_a_pixi_workspace() {
        let text = new_manifest("my \"app\"", "linux-64");
        let doc: DocumentMut = text.parse().unwrap();
        assert_eq!(doc["workspace"]["name"].as_str(), Some("my \"app\""));
        assert_eq!(doc["workspace"]["platforms"][0].as_str(), Some("linux-64"));
    }
}
