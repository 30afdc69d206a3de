//! Skipping tasks whose `inputs` and `outputs` did not change since their last successful run
//! (pixi.md 2.9), keyed as pixi keys them (`crates/pixi_task/src/task_hash.rs` and
//! `executable_task.rs`, v0.77.0):
//!
//! - the file is `<env>-<task>-<hash of the arguments and rendered globs>.json`, so each
//!   argument set of a task keeps its own entry;
//! - its hash covers the rendered command with its extra words, the path and content of every
//!   file the input and output globs match, and the environment: its platform, activation
//!   scripts and variables, and the packages `pixi.lock` pins for it.
//!
//! The entries live under `.pixi/berth/task-cache` (their hashes are not pixi's, so sharing
//! pixi's `.pixi/task-cache-v0` would make both miss).

use std::hash::{Hash, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Result;
use xxhash_rust::xxh3::Xxh3;

use super::globs;

/// What one invocation's cache entry depends on.
pub struct Key<'a> {
    pub environment: &'a str,
    pub task: &'a str,
    /// How the invocation's arguments read (`ArgValues`), for the entry's name.
    pub args: &'a str,
    /// The rendered command and its extra words.
    pub command: &'a str,
    /// Rendered globs, relative to the workspace root; `None` when the task has none.
    pub inputs: Option<&'a [String]>,
    pub outputs: Option<&'a [String]>,
    /// The environment's hash (`environment_hash`).
    pub environment_hash: u64,
}

/// The files a glob set matched: (path relative to the root, content hash), sorted.
type FileHashes = Vec<(PathBuf, u64)>;

/// A computed fingerprint: the hash, and which configured glob sets matched a file.
pub struct Fingerprint {
    hash: String,
    inputs: Option<FileHashes>,
    outputs: Option<FileHashes>,
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

    /// The entry's file (`ExecutableTask::cache_name`).
    fn file(&self, key: &Key<'_>) -> PathBuf {
        let mut name = Xxh3::new();
        key.args.hash(&mut name);
        key.inputs.hash(&mut name);
        key.outputs.hash(&mut name);
        self.dir.join(format!(
            "{}-{}-{:x}.json",
            sanitize(key.environment),
            sanitize(key.task),
            name.finish()
        ))
    }

    /// The files the globs match now and the hash over them (`TaskHash::from_task`).
    pub fn fingerprint(&self, key: &Key<'_>) -> Result<Fingerprint> {
        let inputs = self.hash_files(key.inputs)?;
        let outputs = self.hash_files(key.outputs)?;
        let mut hasher = Xxh3::new();
        key.command.hash(&mut hasher);
        inputs.hash(&mut hasher);
        outputs.hash(&mut hasher);
        key.environment_hash.hash(&mut hasher);
        Ok(Fingerprint {
            hash: format!("{:x}", hasher.finish()),
            inputs,
            outputs,
        })
    }

    /// Whether the last successful run saw the same fingerprint (`can_skip`). Nothing matched
    /// means nothing to compare; a missing, empty or corrupt entry is a miss.
    pub fn is_fresh(&self, key: &Key<'_>, fingerprint: &Fingerprint) -> bool {
        if fingerprint.inputs.is_none() && fingerprint.outputs.is_none() {
            return false;
        }
        let Ok(text) = fs_err::read_to_string(self.file(key)) else {
            return false;
        };
        serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("hash")?.as_str().map(str::to_string))
            .is_some_and(|hash| hash == fingerprint.hash)
    }

    /// The glob sets the task configures that matched no file: `inputs`, `outputs`.
    pub fn unmatched<'k>(
        key: &Key<'k>,
        fingerprint: &Fingerprint,
    ) -> Vec<(&'static str, &'k [String])> {
        let mut unmatched = Vec::new();
        if let Some(globs) = key.outputs
            && fingerprint.outputs.is_none()
        {
            unmatched.push(("output", globs));
        }
        if let Some(globs) = key.inputs
            && fingerprint.inputs.is_none()
        {
            unmatched.push(("input", globs));
        }
        unmatched
    }

    /// Record a successful run, atomically, when every configured glob set matched
    /// (`save_cache`).
    pub fn save(&self, key: &Key<'_>, fingerprint: &Fingerprint) -> Result<()> {
        if !Self::unmatched(key, fingerprint).is_empty() {
            return Ok(());
        }
        crate::private_fs::ensure_dir(&self.dir)?;
        let body = serde_json::json!({ "hash": fingerprint.hash }).to_string();
        crate::private_fs::write_atomic(&self.file(key), body.as_bytes())
    }

    /// The hash of every file `globs` match; `None` when there are no globs or no match.
    fn hash_files(&self, globs: Option<&[String]>) -> Result<Option<FileHashes>> {
        let Some(globs) = globs.filter(|g| !g.is_empty()) else {
            return Ok(None);
        };
        let files = globs::matching_files(&self.root, globs)?;
        if files.is_empty() {
            return Ok(None);
        }
        files
            .into_iter()
            .map(|path| {
                let hash = hash_file(&path)?;
                let relative = path
                    .strip_prefix(&self.root)
                    .map(Path::to_path_buf)
                    .unwrap_or(path);
                Ok((relative, hash))
            })
            .collect::<Result<FileHashes>>()
            .map(Some)
    }
}

/// The hash over what a task's environment brings to its cache entry
/// (`EnvironmentHash::from_environment`): the platform, the activation scripts and variables
/// (sorted), and the locked packages.
pub fn environment_hash(
    platform: &str,
    scripts: &[String],
    variables: &[(String, String)],
    locked: &[String],
) -> u64 {
    let mut hasher = Xxh3::new();
    platform.hash(&mut hasher);
    for script in scripts {
        script.hash(&mut hasher);
    }
    let mut sorted: Vec<&(String, String)> = variables.iter().collect();
    sorted.sort();
    for (key, value) in sorted {
        key.hash(&mut hasher);
        value.hash(&mut hasher);
    }
    locked.hash(&mut hasher);
    hasher.finish()
}

/// The xxh3 of a file's content, read in blocks.
fn hash_file(path: &Path) -> Result<u64> {
    let mut file = fs_err::File::open(path)?;
    let mut hasher = Xxh3::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher.digest())
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
