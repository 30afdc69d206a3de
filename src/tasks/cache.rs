//! Skipping tasks whose `inputs` and `outputs` did not change since their last successful run
//! (pixi.md 2.9). The cache lives under `.pixi/berth/task-cache`, one small JSON file per
//! (environment, task, arguments).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ignore::overrides::OverrideBuilder;
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use crate::diag::Diagnostic;

/// What decides whether a task can be skipped.
pub struct CacheKey<'a> {
    pub environment: &'a str,
    pub task: &'a str,
    /// The full script, extra arguments included.
    pub script: &'a str,
    /// Rendered globs, relative to the workspace root.
    pub inputs: &'a [String],
    pub outputs: &'a [String],
}

/// A computed fingerprint and where it is stored.
pub struct Fingerprint {
    file: PathBuf,
    hash: String,
    /// Every configured glob set matched at least one file: only then is it saved.
    pub complete: bool,
    pub inputs_matched: bool,
    pub outputs_matched: bool,
}

pub struct TaskCache {
    dir: PathBuf,
    root: PathBuf,
}

impl TaskCache {
    pub fn new(dir: &Path, root: &Path) -> TaskCache {
        TaskCache {
            dir: dir.to_path_buf(),
            root: root.to_path_buf(),
        }
    }

    pub fn fingerprint(&self, key: &CacheKey<'_>) -> Result<Fingerprint> {
        let mut hasher = Xxh3::new();
        hasher.update(key.script.as_bytes());
        let inputs_matched = self.hash_files("inputs", key.inputs, &mut hasher)?;
        let outputs_matched = self.hash_files("outputs", key.outputs, &mut hasher)?;
        // The file name tells argument sets apart, so each one keeps its own entry.
        let mut identity = Xxh3::new();
        identity.update(key.script.as_bytes());
        for glob in key.inputs.iter().chain(key.outputs) {
            identity.update(glob.as_bytes());
            identity.update(b"\0");
        }
        let file = self.dir.join(format!(
            "{}-{}-{:016x}.json",
            sanitize(key.environment),
            sanitize(key.task),
            identity.digest()
        ));
        Ok(Fingerprint {
            file,
            hash: format!("{:016x}", hasher.digest()),
            complete: (key.inputs.is_empty() || inputs_matched)
                && (key.outputs.is_empty() || outputs_matched),
            inputs_matched,
            outputs_matched,
        })
    }

    /// Whether the last successful run saw the same fingerprint. A missing, empty or corrupt
    /// cache file is a miss.
    pub fn is_fresh(&self, fingerprint: &Fingerprint) -> bool {
        let Ok(text) = fs_err::read_to_string(&fingerprint.file) else {
            return false;
        };
        serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("hash")?.as_str().map(str::to_string))
            .is_some_and(|hash| hash == fingerprint.hash)
    }

    /// Record a successful run, atomically (write a temp file, then rename).
    pub fn save(&self, fingerprint: &Fingerprint) -> Result<()> {
        crate::private_fs::ensure_dir(&self.dir)?;
        let body = serde_json::json!({ "hash": fingerprint.hash }).to_string();
        crate::private_fs::write_atomic(&fingerprint.file, body.as_bytes())
    }

    /// Hash every file the globs match (gitignore-style, relative to the root, `!` excludes,
    /// a bare directory meaning everything in it). Returns whether anything matched.
    fn hash_files(&self, what: &str, globs: &[String], hasher: &mut Xxh3) -> Result<bool> {
        if globs.is_empty() {
            return Ok(false);
        }
        let mut overrides = OverrideBuilder::new(&self.root);
        for glob in globs {
            let bare = glob.trim_start_matches('!').trim_end_matches('/');
            let add = |b: &mut OverrideBuilder, g: &str| {
                b.add(g).map(|_| ()).map_err(|err| {
                    Diagnostic::new(format!("invalid glob `{g}` in `{what}`: {err}"))
                })
            };
            add(&mut overrides, glob)?;
            if !bare.is_empty() && !bare.contains(['*', '?', '[']) && self.root.join(bare).is_dir()
            {
                add(
                    &mut overrides,
                    &format!("{}/**", glob.trim_end_matches('/')),
                )?;
            }
        }
        let overrides = overrides
            .build()
            .context("failed to build the glob matcher")?;
        let mut files: Vec<PathBuf> = ignore::WalkBuilder::new(&self.root)
            .overrides(overrides)
            .hidden(false)
            .filter_entry(|e| !matches!(e.file_name().to_str(), Some(".pixi" | ".git")))
            .build()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
            .map(ignore::DirEntry::into_path)
            .collect();
        files.sort();
        for file in &files {
            let relative = file.strip_prefix(&self.root).unwrap_or(file);
            hasher.update(relative.to_string_lossy().as_bytes());
            let bytes = fs_err::read(file)?;
            hasher.update(&xxh3_64(&bytes).to_le_bytes());
        }
        Ok(!files.is_empty())
    }
}

/// A name safe in a file name.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}
