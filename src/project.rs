//! Finding the project (the directory of its `pixi.toml`) and every path berth owns in it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::diag::Diagnostic;
use crate::host;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    Pixi,
    Pyproject,
}

/// A discovered project: its root and manifest.
#[derive(Debug, Clone)]
pub struct Project {
    /// Absolute, canonical directory of the manifest.
    pub root: PathBuf,
    /// Absolute path of `pixi.toml` or `pyproject.toml`.
    pub manifest_path: PathBuf,
    pub kind: ManifestKind,
    pub layout: Layout,
}

/// Every path berth owns in a project. All of them are under `<root>/.pixi/`.
#[derive(Debug, Clone)]
pub struct Layout {
    pub pixi_dir: PathBuf,
    /// `LIMA_HOME` for the project's VM.
    pub lima_home: PathBuf,
    /// `DOCKER_CONFIG` for every docker call berth makes.
    pub docker_config: PathBuf,
    /// berth's own state: logs, locks, caches, job workspaces.
    pub berth_dir: PathBuf,
    pub logs_dir: PathBuf,
    pub task_cache_dir: PathBuf,
    /// `berth exec` job workspaces, one directory per job.
    pub jobs_dir: PathBuf,
    /// The warm pool's slot directories and locks.
    pub pool_dir: PathBuf,
    /// Where pixi installs environments (and so the tools berth may find there).
    pub envs_dir: PathBuf,
}

impl Layout {
    pub fn new(root: &Path) -> Layout {
        let pixi_dir = root.join(".pixi");
        let berth_dir = pixi_dir.join("berth");
        Layout {
            lima_home: pixi_dir.join("lima"),
            docker_config: pixi_dir.join("docker"),
            logs_dir: berth_dir.join("logs"),
            task_cache_dir: berth_dir.join("task-cache"),
            jobs_dir: berth_dir.join("jobs"),
            pool_dir: berth_dir.join("pool"),
            envs_dir: pixi_dir.join("envs"),
            berth_dir,
            pixi_dir,
        }
    }

    /// The lock file that serialises lifecycle commands.
    pub fn lock_path(&self) -> PathBuf {
        self.berth_dir.join("lifecycle.lock")
    }

    /// Eight hex digits of a hash of the project root: short, and one per project, for names
    /// outside the project (short-path directories, Podman machines) that must not collide.
    pub fn root_id(&self) -> String {
        let root = self.pixi_dir.parent().unwrap_or(&self.pixi_dir);
        let hash = xxhash_rust::xxh3::xxh3_64(root.as_os_str().as_encoded_bytes());
        format!("{:08x}", hash as u32)
    }
}

/// pixi's `TomlError::NoPixiTable`: the manifest has none of the tables that make it one,
/// reported at its first character as pixi reports it (`crates/pixi_manifest/src/error.rs`).
fn missing_table(path: &Path, kind: ManifestKind) -> anyhow::Error {
    let (file, prefix, help) = match kind {
        ManifestKind::Pixi => (
            "pixi.toml",
            "",
            "more about pixi manifests: https://pixi.sh/latest/reference/pixi_manifest/",
        ),
        ManifestKind::Pyproject => (
            "pyproject.toml",
            "tool.pixi.",
            "more about pixi in a pyproject: https://pixi.sh/latest/python/pyproject_toml",
        ),
    };
    let listed: Vec<String> = ["workspace", "project", "package"]
        .iter()
        .map(|s| format!("[{prefix}{s}]"))
        .collect();
    Diagnostic::new(format!(
        "Missing table in manifest {file}: any of {} is required",
        listed.join(", ")
    ))
    .at(crate::diag::Location {
        path: path.to_path_buf(),
        line: 1,
        column: 1,
    })
    .help(format!(
        "add a [{prefix}workspace] table with `channels` and `platforms`, e.g. `platforms = [\"{}\"]`",
        host::platform()
    ))
    .help(help)
    .into()
}

impl Project {
    /// The project for `manifest_path` if given (a file or a directory), else the first one
    /// found walking up from `cwd`, else `PIXI_PROJECT_MANIFEST`: the manifest of the pixi
    /// shell or task berth runs in (`crates/pixi_core/src/workspace/discovery.rs`,
    /// `apply_environment_overrides`, v0.77.0). Inside the shell of another project, the
    /// project found here wins, with a warning. With it, the manifest's bytes: discovery reads
    /// them to tell a workspace from a package, so a command that parses the manifest need not
    /// read it again.
    pub fn discover_with_source(
        cwd: &Path,
        manifest_path: Option<&Path>,
    ) -> Result<(Project, Vec<u8>)> {
        let (project, source) = Project::find(cwd, manifest_path)?;
        let source = match source {
            Some(source) => source,
            None => fs_err::read(&project.manifest_path)?,
        };
        Ok((project, source))
    }

    /// The project, and the manifest's bytes when finding it read them.
    fn find(cwd: &Path, manifest_path: Option<&Path>) -> Result<(Project, Option<Vec<u8>>)> {
        if let Some(given) = manifest_path {
            return Project::from_given(&cwd.join(given));
        }
        let from_env = host::var("PIXI_PROJECT_MANIFEST").filter(|v| !v.is_empty());
        for dir in cwd.ancestors() {
            if let Some((project, source)) = Project::in_dir(dir)? {
                if let Some(other) = &from_env
                    && Path::new(other) != project.manifest_path
                    && host::var("PIXI_IN_SHELL").is_some()
                {
                    crate::ui::warn(&format!(
                        "Using local manifest {} rather than {} from environment variable `PIXI_PROJECT_MANIFEST`",
                        project.manifest_path.display(),
                        Path::new(other).display()
                    ));
                }
                return Ok((project, source));
            }
        }
        if let Some(from_env) = from_env {
            return Project::from_given(Path::new(&from_env));
        }
        Err(Diagnostic::new(format!(
            "no pixi.toml found in `{}` or any parent directory",
            cwd.display()
        ))
        .help("run berth inside a pixi project, pass --manifest-path, or create one with `berth init`")
        .into())
    }

    fn from_given(given: &Path) -> Result<(Project, Option<Vec<u8>>)> {
        let mut source = None;
        if given.is_file() && given.file_name().is_some_and(|n| n != "pyproject.toml") {
            let text = fs_err::read(given)?;
            let has_table = ["[workspace", "[project", "[package"].iter().any(|prefix| {
                text.split(|&b| b == b'\n')
                    .any(|l| l.trim_ascii_start().starts_with(prefix.as_bytes()))
            });
            if !has_table {
                return Err(missing_table(given, ManifestKind::Pixi));
            }
            source = Some(text);
        }
        if given.is_dir() {
            return Project::in_dir(given)?.ok_or_else(|| {
                Diagnostic::new(format!(
                    "no pixi.toml or pyproject.toml with [tool.pixi] in `{}`",
                    given.display()
                ))
                .help("pass the path of a pixi manifest to --manifest-path")
                .into()
            });
        }
        if !given.is_file() {
            return Err(Diagnostic::new(format!("manifest `{}` does not exist", given.display()))
                .help("pass the path of an existing pixi.toml or pyproject.toml to --manifest-path")
                .into());
        }
        let kind = if given.file_name().is_some_and(|n| n == "pyproject.toml") {
            ManifestKind::Pyproject
        } else {
            ManifestKind::Pixi
        };
        Ok((Project::new(given, kind)?, source))
    }

    /// The project whose manifest is in `dir`, following pixi's discovery rules
    /// (`crates/pixi_manifest/src/discovery.rs`, v0.77.0): `pixi.toml` beats
    /// `pyproject.toml`; a `pixi.toml` with only `[package]` is skipped, one with none of
    /// `[workspace]`, `[project]` or `[package]` is an error; a pyproject counts only with
    /// `[tool.pixi.workspace]` (or `[tool.pixi.project]`), and one with other `[tool.pixi…]`
    /// tables but none of those is an error.
    fn in_dir(dir: &Path) -> Result<Option<(Project, Option<Vec<u8>>)>> {
        let pixi = dir.join("pixi.toml");
        if pixi.is_file() {
            // Bytes, not text: `manifest::text` checks them for UTF-8 (with a position) when
            // the manifest is read, and a large one is not copied here to look at its headers.
            let text = fs_err::read(&pixi)?;
            let starts = |prefix: &[u8]| {
                text.split(|&b| b == b'\n')
                    .any(|l| l.trim_ascii_start().starts_with(prefix))
            };
            let is_workspace = starts(b"[workspace") || starts(b"[project");
            if !is_workspace && !starts(b"[package") {
                return Err(missing_table(&pixi, ManifestKind::Pixi));
            }
            if is_workspace {
                return Ok(Some((Project::new(&pixi, ManifestKind::Pixi)?, Some(text))));
            }
        }
        let pyproject = dir.join("pyproject.toml");
        if pyproject.is_file() {
            let bytes = fs_err::read(&pyproject)?;
            let text = String::from_utf8_lossy(&bytes);
            if text.contains("[tool.pixi.workspace") || text.contains("[tool.pixi.project") {
                let project = Project::new(&pyproject, ManifestKind::Pyproject)?;
                return Ok(Some((project, Some(bytes))));
            }
            let sections = ["workspace", "project", "package"];
            let has_section = sections.iter().any(|section| {
                text.contains(&format!("[tool.pixi.{section}]"))
                    || text.contains(&format!("{section}."))
            });
            if text.contains("[tool.pixi") && !has_section {
                return Err(missing_table(&pyproject, ManifestKind::Pyproject));
            }
        }
        Ok(None)
    }

    fn new(manifest: &Path, kind: ManifestKind) -> Result<Project> {
        let manifest_path = fs_err::canonicalize(manifest)?;
        let root = manifest_path
            .parent()
            .context("a manifest path always has a parent")?
            .to_path_buf();
        Ok(Project {
            layout: Layout::new(&root),
            root,
            manifest_path,
            kind,
        })
    }

    /// The workspace directory's name, the fallback for the workspace name.
    pub fn dir_name(&self) -> String {
        self.root.file_name().map_or_else(
            || "workspace".to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }
}
