//! The file that names the project a directory of berth's outside that project serves (a
//! short-path LIMA_HOME, Colima's, an ssh forward's), so that `berth system clean --global`
//! can tell when that project is gone. Written by the runtime that makes the directory, read
//! by clean.

use std::path::{Path, PathBuf};

use anyhow::Result;

/// The marker's name. It starts with `.` because Lima skips such names when it lists the
/// instances of a LIMA_HOME (`pkg/store/store.go`).
pub const FILE_NAME: &str = ".berth-project-root";

/// Make `dir`'s marker name `root`: written with the directory, and for one an older berth
/// made without it, on the next `init` or `start`.
pub fn mark(dir: &Path, root: &Path) -> Result<()> {
    let marker = dir.join(FILE_NAME);
    let text = format!("{}\n", root.display());
    if fs_err::read_to_string(&marker).ok().as_deref() != Some(text.as_str()) {
        crate::private_fs::write_atomic(&marker, text.as_bytes())?;
    }
    Ok(())
}

/// What a directory's marker says about its project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marked {
    /// No marker naming an absolute path: whose it is, is not known.
    Unmarked,
    /// The project root it names exists.
    Exists(PathBuf),
    /// The project root it names no longer exists.
    Gone(PathBuf),
}

/// Read `dir`'s marker. Nothing is followed but the marker itself.
pub fn read(dir: &Path) -> Marked {
    let Ok(text) = fs_err::read_to_string(dir.join(FILE_NAME)) else {
        return Marked::Unmarked;
    };
    let root = PathBuf::from(text.trim());
    if !root.is_absolute() {
        Marked::Unmarked
    } else if std::fs::symlink_metadata(&root).is_ok() {
        Marked::Exists(root)
    } else {
        Marked::Gone(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_names_its_project_until_it_is_gone() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("short");
        let root = tmp.path().join("project");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all(&root).unwrap();
        assert_eq!(read(&dir), Marked::Unmarked);
        mark(&dir, &root).unwrap();
        assert_eq!(read(&dir), Marked::Exists(root.clone()));
        std::fs::remove_dir(&root).unwrap();
        assert_eq!(read(&dir), Marked::Gone(root));
        std::fs::write(dir.join(FILE_NAME), "relative/path\n").unwrap();
        assert_eq!(read(&dir), Marked::Unmarked);
    }
}
