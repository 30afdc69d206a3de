//! The files a task's `inputs` or `outputs` globs match, walked as pixi walks them
//! (`crates/pixi_glob/src/glob_set/{mod,walk,walk_root}.rs` and
//! `crates/pixi_task/src/file_hashes.rs`, v0.77.0):
//!
//! - gitignore-style patterns, the last match winning, `!` excluding;
//! - a directory, or a pattern ending in `/`, means everything under it;
//! - a plain file name (`pixi.toml`) means the file at the root, not one anywhere below;
//! - `../` patterns move the walk up to a common ancestor;
//! - ignore files do not hide anything (`.gitignore`, `.ignore` and the global excludes are not
//!   read, so `build/` in `.gitignore` still matches), except the repository's own
//!   `.git/info/exclude`;
//! - hidden files and directories are skipped unless a pattern names them;
//! - symbolic links are followed.

use std::path::{Component, Path, PathBuf};

use anyhow::Result;
use ignore::overrides::OverrideBuilder;

use crate::diag::Diagnostic;

/// The regular files `globs` (relative to `root`) match, sorted.
pub fn matching_files(root: &Path, globs: &[String]) -> Result<Vec<PathBuf>> {
    if globs.is_empty() || !root.is_dir() {
        return Ok(Vec::new());
    }
    let patterns: Vec<String> = globs.iter().map(|g| expand_directory(root, g)).collect();
    let (walk_root, patterns) = rebase(root, &patterns)?;
    let patterns: Vec<String> = patterns.into_iter().map(anchor_literal).collect();
    let hidden_patterns = hidden_patterns(&patterns);
    let mut overrides = OverrideBuilder::new(&walk_root);
    for pattern in patterns.iter().chain(hidden_patterns.iter().flatten()) {
        overrides
            .add(pattern)
            .map_err(|err| invalid(pattern, &err))?;
    }
    let overrides = overrides
        .build()
        .map_err(|err| invalid(&globs.join(", "), &err))?;
    let mut files = Vec::new();
    let walk = ignore::WalkBuilder::new(&walk_root)
        .follow_links(true)
        .git_ignore(false)
        .git_exclude(true)
        .git_global(false)
        .ignore(false)
        // Hidden entries are left to the patterns once they say something about them.
        .hidden(hidden_patterns.is_none())
        .overrides(overrides)
        .build();
    for entry in walk {
        match entry {
            Ok(entry) if entry.file_type().is_some_and(|t| !t.is_dir()) => {
                files.push(entry.into_path());
            }
            Ok(_) => {}
            // A file that went away or cannot be read while walking is not a match.
            Err(err)
                if err.io_error().is_some_and(|io| {
                    matches!(
                        io.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                    )
                }) => {}
            Err(err) => {
                return Err(Diagnostic::new(format!(
                    "failed to walk `{}` for the task's globs: {err}",
                    walk_root.display()
                ))
                .into());
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn invalid(pattern: &str, err: &ignore::Error) -> anyhow::Error {
    Diagnostic::new(format!("invalid glob `{pattern}`: {err}"))
        .help("globs are gitignore patterns relative to the workspace root, e.g. \"src/**/*.py\"")
        .into()
}

/// `dir/` and an existing directory `dir` mean everything under it.
fn expand_directory(root: &Path, glob: &str) -> String {
    if glob.ends_with('/') {
        format!("{glob}**")
    } else if root.join(glob).is_dir() {
        format!("{glob}/**")
    } else {
        glob.to_string()
    }
}

/// Where a pattern's literal directory part ends and its glob part starts: after the last
/// `/` before the first `*`, `?`, `[` or `{` (`split_path_and_glob`).
fn split_path_and_glob(pattern: &str) -> (&str, &str) {
    match pattern.find(['*', '?', '[', '{']) {
        Some(meta) => match pattern[..meta].rfind('/') {
            Some(slash) => pattern.split_at(slash + 1),
            None => ("", pattern),
        },
        None => ("", pattern),
    }
}

/// One pattern split for rebasing.
struct Spec {
    negated: bool,
    parent_dirs: usize,
    directories: Vec<String>,
    glob: String,
    /// `!**/x` excludes everywhere, wherever the walk starts.
    keep: bool,
}

/// Move the walk up as far as the `../` of any pattern needs, and rewrite every pattern
/// relative to that directory (`WalkRoot::build` and `rebase`).
fn rebase(root: &Path, patterns: &[String]) -> Result<(PathBuf, Vec<String>)> {
    let mut specs = Vec::with_capacity(patterns.len());
    for pattern in patterns {
        let negated = pattern.starts_with('!');
        let body = pattern.strip_prefix('!').unwrap_or(pattern);
        let (prefix, glob) = split_path_and_glob(body);
        if glob.is_empty() {
            return Err(Diagnostic::new(format!(
                "the glob `{pattern}` names a directory part `{prefix}` and no pattern after it"
            ))
            .help("end it with a pattern, e.g. `src/**`")
            .into());
        }
        let mut parent_dirs = 0;
        let mut directories: Vec<String> = Vec::new();
        for component in Path::new(prefix).components() {
            match component {
                // `a/../b` is `b`: a `..` after a directory takes it back.
                Component::ParentDir if directories.pop().is_some() => {}
                Component::ParentDir => parent_dirs += 1,
                Component::CurDir => {}
                Component::Normal(name) => directories.push(name.to_string_lossy().into_owned()),
                Component::RootDir | Component::Prefix(_) => {
                    return Err(Diagnostic::new(format!(
                        "the glob `{pattern}` is absolute: globs are relative to the workspace root"
                    ))
                    .into());
                }
            }
        }
        specs.push(Spec {
            negated,
            parent_dirs,
            keep: negated && prefix.is_empty() && glob.starts_with("**/"),
            directories,
            glob: glob.to_string(),
        });
    }
    let up = specs.iter().map(|s| s.parent_dirs).max().unwrap_or(0);
    let mut walk_root = root.to_path_buf();
    let mut popped = Vec::with_capacity(up);
    for _ in 0..up {
        let Some(name) = walk_root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
        else {
            return Err(Diagnostic::new(format!(
                "a glob climbs {up} directories above `{}`, past the top of the file system",
                root.display()
            ))
            .into());
        };
        popped.push(name);
        walk_root.pop();
    }
    popped.reverse();
    let rebased = specs
        .into_iter()
        .map(|spec| {
            let mut components: Vec<String> = Vec::new();
            if !spec.keep {
                components.extend(popped.iter().take(up - spec.parent_dirs).cloned());
                components.extend(spec.directories);
            }
            components.push(spec.glob);
            let body = components.join("/");
            if spec.negated {
                format!("!{body}")
            } else {
                body
            }
        })
        .collect();
    Ok((walk_root, rebased))
}

/// A plain file name matches at the root only, not anywhere below (`anchor_literal_pattern`).
fn anchor_literal(pattern: String) -> String {
    let (negated, body) = match pattern.strip_prefix('!') {
        Some(body) => (true, body),
        None => (false, pattern.as_str()),
    };
    let literal = !body.is_empty()
        && !body.starts_with("./")
        && !body.starts_with('/')
        && !body.starts_with("../")
        && !body.contains('/')
        && !body.contains(['*', '?', '[', '{']);
    if !literal {
        return pattern;
    }
    format!("{}/{body}", if negated { "!" } else { "" })
}

/// Patterns that keep hidden files and directories out while letting in those the task's
/// patterns name (`set_ignore_hidden_patterns`). `None` when the walker's own hidden-file
/// rule is enough.
fn hidden_patterns(patterns: &[String]) -> Option<Vec<String>> {
    if patterns.iter().any(|p| p.starts_with("!**/.*")) {
        return None;
    }
    let search_all_hidden = patterns
        .iter()
        .any(|p| matches!(p.as_str(), ".*" | ".**" | "**/.*" | "./.*" | ".**/*"));
    if search_all_hidden {
        return Some(Vec::new());
    }
    let names_hidden =
        |p: &String| p.starts_with('.') || (p.contains("/.") && !p.starts_with("!."));
    let everything = patterns
        .iter()
        .any(|p| matches!(p.as_str(), "**" | "./**" | "**/*" | "./**/*"));
    if !everything && !patterns.iter().any(names_hidden) {
        return None;
    }
    let mut extra = vec!["!{**/.*, .*, .**/*}".to_string()];
    for pattern in patterns
        .iter()
        .filter(|p| names_hidden(p) && !p.starts_with("!."))
    {
        let specific_file = !pattern.contains(['*', '?', '[']) && pattern.contains('/');
        if specific_file {
            if let Some((dir, _)) = pattern.rsplit_once('/') {
                extra.push(dir.to_string());
                extra.push(format!("!{dir}/*"));
                extra.push(pattern.clone());
            }
        } else if let Some(folder) = hidden_folder(pattern) {
            extra.push(folder.to_string());
        }
    }
    Some(extra)
}

/// The first hidden directory a pattern names: `.pixi/*` → `.pixi`, `**/.deep/**` → `.deep`.
fn hidden_folder(pattern: &str) -> Option<&str> {
    if pattern.starts_with('.') {
        return Some(pattern.split('/').next().unwrap_or(pattern));
    }
    let at = pattern.find("/.")?;
    pattern[at + 1..].split('/').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            let path = dir.path().join(file);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(&path, file).unwrap();
        }
        dir
    }

    fn matched(root: &Path, globs: &[&str]) -> Vec<String> {
        let globs: Vec<String> = globs.iter().map(|g| g.to_string()).collect();
        matching_files(root, &globs)
            .unwrap()
            .iter()
            .map(|p| {
                p.strip_prefix(root)
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|_| {
                        Path::new("..").join(p.strip_prefix(root.parent().unwrap()).unwrap())
                    })
                    .display()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn ignore_files_do_not_hide_outputs() {
        let dir = tree(&["build/out.bin", ".gitignore", ".ignore", "src/a.rs"]);
        fs_err::write(dir.path().join(".gitignore"), "build/\n").unwrap();
        fs_err::write(dir.path().join(".ignore"), "src/\n").unwrap();
        assert_eq!(matched(dir.path(), &["build"]), ["build/out.bin"]);
        assert_eq!(matched(dir.path(), &["build/"]), ["build/out.bin"]);
        assert_eq!(matched(dir.path(), &["src/*.rs"]), ["src/a.rs"]);
    }

    #[test]
    fn a_plain_name_is_the_file_at_the_root() {
        let dir = tree(&["pixi.toml", "sub/pixi.toml"]);
        assert_eq!(matched(dir.path(), &["pixi.toml"]), ["pixi.toml"]);
        assert_eq!(
            matched(dir.path(), &["**/pixi.toml"]),
            ["pixi.toml", "sub/pixi.toml"]
        );
        assert_eq!(
            matched(dir.path(), &["**/pixi.toml", "!pixi.toml"]),
            ["sub/pixi.toml"]
        );
    }

    #[test]
    fn the_last_matching_pattern_wins() {
        let dir = tree(&["a.txt", "b.txt", "c/d.txt"]);
        assert_eq!(
            matched(dir.path(), &["**/*.txt", "!b.txt"]),
            ["a.txt", "c/d.txt"]
        );
        assert_eq!(
            matched(dir.path(), &["!b.txt", "**/*.txt"]),
            ["a.txt", "b.txt", "c/d.txt"]
        );
    }

    /// pixi's own cases (`crates/pixi_glob/src/glob_set/mod.rs` tests, v0.77.0).
    #[test]
    fn hidden_entries_need_a_pattern_that_names_them() {
        let dir = tree(&[
            ".pixi/foo_hidden.txt",
            ".foobar/foo_from_foobar.txt",
            ".foobar/build.txt",
            "recursive/foobar/.deep_hidden/foo_from_deep_hidden.txt",
            "some_text.txt",
        ]);
        assert_eq!(matched(dir.path(), &["*.txt"]), ["some_text.txt"]);
        assert_eq!(matched(dir.path(), &["**"]), ["some_text.txt"]);
        assert_eq!(
            matched(
                dir.path(),
                &["**", ".foobar/foo_from_foobar.txt", "**/.deep_hidden/**"]
            ),
            [
                ".foobar/foo_from_foobar.txt",
                "recursive/foobar/.deep_hidden/foo_from_deep_hidden.txt",
                "some_text.txt"
            ]
        );
        let nested = tree(&[".pixi/subdir/foo_hidden.txt", "some_text.txt"]);
        assert_eq!(
            matched(nested.path(), &[".pixi/subdir/**"]),
            [".pixi/subdir/foo_hidden.txt"]
        );
    }

    #[test]
    fn parent_patterns_move_the_walk_up() {
        let dir = tree(&["ws/match.txt", "lib/inner.cpp", "lib/no.txt"]);
        let root = dir.path().join("ws");
        assert_eq!(
            matched(&root, &["../**/*.cpp", "*.txt"]),
            ["../lib/inner.cpp", "match.txt"]
        );
    }
}
