//! Reading the project's manifest (`pixi.toml`, or `pyproject.toml` with `[tool.pixi]`).
//!
//! The document is parsed into a read-only tree (`document`, TOML 1.1) kept whole, spans
//! included, so every error about it can name `file:line:col`. Typed views over it live in
//! submodules; `edit` changes a manifest in place with `toml_edit`.

pub mod document;
pub mod edit;

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::diag::{Diagnostic, Location};
use crate::project::ManifestKind;
use document::{Node, Table};

pub mod tasks;
pub mod tasks_edit;

/// A manifest's text from its bytes (as project discovery read them), which a [`Manifest`]
/// borrows: the caller keeps it for as long as it uses what was parsed from it.
pub fn text(path: &Path, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|err| {
        let offset = err.utf8_error().valid_up_to();
        let valid = String::from_utf8_lossy(&err.as_bytes()[..offset]).into_owned();
        Diagnostic::new(format!(
            "`{}` is not valid UTF-8",
            crate::ui::display_path(path)
        ))
        .at(Location::at(path, &valid, offset))
        .help("save the manifest as UTF-8")
        .into()
    })
}

/// A parsed manifest. It borrows its text, which the caller keeps (see [`text`]): keys and
/// strings point into it rather than being copied (a large manifest has tens of thousands),
/// and error positions are computed from it.
pub struct Manifest<'s> {
    pub path: PathBuf,
    pub kind: ManifestKind,
    source: &'s str,
    root: Table<'s>,
}

impl<'s> Manifest<'s> {
    pub fn parse(path: &Path, kind: ManifestKind, text: &'s str) -> Result<Manifest<'s>> {
        // A byte-order mark is not TOML; editors on Windows add one. Skip it.
        let source = text.strip_prefix('\u{feff}').unwrap_or(text);
        let root = document::parse(source).map_err(|err| {
            let location = err.offset.map(|offset| Location::at(path, source, offset));
            Diagnostic::new(format!(
                "failed to parse `{}`: {}",
                crate::ui::display_path(path),
                err.message
            ))
            .at_opt(location)
            .help("fix the TOML syntax at this position")
        })?;
        Ok(Manifest {
            path: path.to_path_buf(),
            kind,
            source,
            root,
        })
    }

    /// The location of a span in this manifest.
    pub fn location(&self, span: Option<Range<usize>>) -> Option<Location> {
        span.map(|span| Location::at(&self.path, self.source, span.start))
    }

    /// A diagnostic pointing at `node`.
    pub fn error_at(&self, node: &Node, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(message).at_opt(self.location(Some(node.span())))
    }

    /// A diagnostic pointing at a key of a table.
    pub fn error_at_key(&self, table: &Table, key: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(message).at_opt(self.location(table.key_span(key)))
    }

    /// Where the pixi table declares `key` (e.g. `tasks`, `environments`), else where its
    /// workspace is declared: the place to look for something a command line named.
    pub fn section_location(&self, key: &str) -> Option<Location> {
        let pixi = self.pixi()?;
        let span = [key, "workspace", "project"]
            .into_iter()
            .find_map(|k| pixi.key_span(k));
        self.location(span)
    }

    /// The document's top-level table.
    pub fn root(&self) -> &Table<'s> {
        &self.root
    }

    /// The table holding pixi's content: the root of a `pixi.toml`, `[tool.pixi]` of a
    /// pyproject.
    pub fn pixi(&self) -> Option<&Table<'s>> {
        match self.kind {
            ManifestKind::Pixi => Some(&self.root),
            ManifestKind::Pyproject => self.root.get("tool")?.get("pixi")?.as_table(),
        }
    }

    /// `[tool.berth]`, berth's settings (pixi ignores `[tool]`).
    pub fn berth_settings(&self) -> Option<&Node<'s>> {
        self.root().get("tool")?.get("berth")
    }

    /// `[workspace]` (or the older `[project]`) of the pixi content.
    fn workspace(&self) -> Option<&Table<'s>> {
        let pixi = self.pixi()?;
        pixi.get("workspace")
            .or_else(|| pixi.get("project"))?
            .as_table()
    }

    /// The workspace name: `[workspace].name`, a pyproject's `[project].name`, else `None`.
    pub fn workspace_name(&self) -> Option<String> {
        let from_workspace = self.workspace().and_then(|w| w.get("name")?.as_str());
        let from_pyproject = match self.kind {
            ManifestKind::Pyproject => self.root().get("project")?.get("name")?.as_str(),
            ManifestKind::Pixi => None,
        };
        from_workspace.or(from_pyproject).map(str::to_string)
    }

    /// `[workspace].version`, or a pyproject's `[project].version`.
    pub fn workspace_version(&self) -> Option<String> {
        let from_workspace = self.workspace().and_then(|w| w.get("version")?.as_str());
        let from_pyproject = match self.kind {
            ManifestKind::Pyproject => self.root().get("project")?.get("version")?.as_str(),
            ManifestKind::Pixi => None,
        };
        from_workspace.or(from_pyproject).map(str::to_string)
    }
}
