//! The filesystem primitives clean is built on. None of them follows a symlink: sizes are
//! taken with `symlink_metadata`, walks do not descend into links, and removal deletes a
//! link itself, never what it points to.

use std::io;
use std::path::{Component, Path, PathBuf};

use anyhow::Result;

use crate::diag::Diagnostic;

/// Whether anything (a file, a directory, a dangling link) is at `path`.
pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

pub fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

pub fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// `path` with its parent resolved, after checking it stays inside `anchor`: the parent's
/// canonical form must be at or below the anchor's, and the last component must be a plain
/// name. A symlinked parent that leads elsewhere, or a `..`, is refused.
pub fn confined(path: &Path, anchor: &Path) -> Result<PathBuf> {
    let refuse = |why: String| -> anyhow::Error {
        Diagnostic::new(format!(
            "refusing to remove `{}`: {why}",
            path.display()
        ))
        .help("nothing was removed; check where this path points and remove it by hand if it is really unused")
        .into()
    };
    let (Some(parent), Some(Component::Normal(name))) =
        (path.parent(), path.components().next_back())
    else {
        return Err(refuse("it is not a plain path below a directory".into()));
    };
    let parent = std::fs::canonicalize(parent)
        .map_err(|e| refuse(format!("its directory cannot be resolved ({e})")))?;
    let anchor = std::fs::canonicalize(anchor)
        .map_err(|e| refuse(format!("`{}` cannot be resolved ({e})", anchor.display())))?;
    if !parent.starts_with(&anchor) {
        return Err(refuse(format!(
            "it resolves to `{}`, outside `{}`",
            parent.join(name).display(),
            anchor.display()
        )));
    }
    Ok(parent.join(name))
}

/// Remove `path`: a directory with everything in it, or a file or symlink itself.
/// `remove_dir_all` does not follow symlinks inside the tree; it unlinks them.
pub fn remove(path: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    }
}

/// Remove the top-level pid and socket files of a stopped instance (what `limactl stop -f`
/// removes, without its SIGKILL), so Lima does not take a stale pid for a running VM.
pub fn remove_stale_runtime_files(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)?.flatten() {
        let path = entry.path();
        let runtime = path
            .extension()
            .is_some_and(|ext| ext == "pid" || ext == "sock");
        if runtime && entry.file_type().is_ok_and(|t| !t.is_dir()) {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confined_refuses_paths_that_leave_their_anchor() {
        let tmp = tempfile::tempdir().unwrap();
        let anchor = tmp.path().join("home");
        std::fs::create_dir_all(anchor.join("inner")).unwrap();
        std::os::unix::fs::symlink(tmp.path(), anchor.join("escape")).unwrap();

        assert!(confined(&anchor.join("inner/x"), &anchor).is_ok());
        assert!(confined(&anchor.join("escape/x"), &anchor).is_err());
        assert!(confined(&anchor.join("inner/.."), &anchor).is_err());
        assert!(confined(&tmp.path().join("other"), &anchor).is_err());
    }
}
