//! Where the `mounts` of `[tool.berth]` point, for every runtime that mounts host directories
//! into a VM: Lima, Colima and Podman machine. None of them can take a relative location:
//! Lima refuses one that is neither absolute nor `~` (`pkg/limayaml/validate.go`,
//! v1.0.0–v2.2.0), Colima one that is not absolute once `~` is expanded (`CleanPath` in
//! `util/util.go`, v0.10.3), and Podman looks for it from wherever it was run
//! (`pkg/machine/qemu/virtiofsd.go`, v5.8.2). So berth resolves a relative location against
//! the project root (the directory holding the manifest), once, here, and refuses before the
//! runtime runs a location that is not an existing directory (each of them mounts
//! directories).

use std::path::{Component, Path, PathBuf};

use crate::diag::Diagnostic;
use crate::settings::{Mount, Setting};

/// One mount of `[tool.berth]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostDir {
    /// The directory on the host: absolute, `~` expanded, `.` and `..` resolved as Go's
    /// `filepath.Clean` (which Lima and Colima apply) resolves them.
    pub path: PathBuf,
    /// The location as written, for a runtime that expands `~` itself (Lima) and messages.
    pub written: String,
    pub writable: bool,
}

impl HostDir {
    /// The location as Lima gets it and `berth doctor` shows it: `~/…` as written (Lima
    /// expands it itself, `pkg/localpathutil/localpathutil.go`), otherwise the resolved path.
    pub fn location(&self) -> String {
        if self.written.starts_with('~') {
            self.written.clone()
        } else {
            self.path.display().to_string()
        }
    }
}

/// The mounts as the runtimes get them; an error naming the first one that is not an
/// existing directory.
pub fn resolve(root: &Path, mounts: &Setting<Vec<Mount>>) -> Result<Vec<HostDir>, Diagnostic> {
    mounts
        .value
        .iter()
        .map(|mount| {
            resolve_one(root, mount).map_err(|why| {
                let diagnostic = Diagnostic::new(format!(
                    "mount `{}` in [tool.berth] {why}",
                    mount.location
                ))
                .help(
                    "a relative location is relative to the directory holding the manifest; \
                     create the directory or change the location in `mounts`",
                );
                mounts.source.point_at(diagnostic)
            })
        })
        .collect()
}

/// One mount resolved, with its directory checked; the reason it cannot be, in words.
pub fn resolve_one(root: &Path, mount: &Mount) -> Result<HostDir, String> {
    let path = match mount.location.strip_prefix('~') {
        // Lima's pkg/localpathutil/localpathutil.go (v1.0.0–v2.2.0) expands only `~` and `~/…`.
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            let home = crate::host::home_dir()
                .ok_or("starts with `~`, but HOME is not set to expand it")?;
            home.join(rest.trim_start_matches('/'))
        }
        Some(_) => return Err("starts with `~` but not `~/`, which cannot be expanded".into()),
        None => root.join(&mount.location),
    };
    let path = lexically_clean(&path);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => Ok(HostDir {
            path,
            written: mount.location.clone(),
            writable: mount.writable,
        }),
        Ok(_) => Err(format!(
            "is `{}`, a file; a VM mounts directories",
            path.display()
        )),
        Err(_) => Err(format!("does not exist: `{}`", path.display())),
    }
}

/// `path` with `.` dropped and each `..` taking away the name before it, as Go's
/// `filepath.Clean` does, without following symlinks.
fn lexically_clean(path: &Path) -> PathBuf {
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Source;

    fn mount(location: &str) -> Mount {
        Mount {
            location: location.into(),
            writable: true,
        }
    }

    #[test]
    fn relative_locations_resolve_against_the_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("app");
        std::fs::create_dir_all(root.join("data")).unwrap();
        std::fs::create_dir_all(tmp.path().join("shared")).unwrap();
        std::fs::write(root.join("notes.txt"), "").unwrap();
        let setting = |locations: &[&str]| Setting {
            value: locations.iter().map(|l| mount(l)).collect(),
            source: Source::Default,
        };
        let resolved = resolve(&root, &setting(&["../shared", "./data", "/"])).unwrap();
        let paths: Vec<&Path> = resolved.iter().map(|m| m.path.as_path()).collect();
        assert_eq!(
            paths,
            [
                tmp.path().join("shared").as_path(),
                root.join("data").as_path(),
                Path::new("/")
            ]
        );
        let written: Vec<&str> = resolved.iter().map(|m| m.written.as_str()).collect();
        assert_eq!(written, ["../shared", "./data", "/"]);
        assert!(resolved.iter().all(|m| m.writable));
        let missing = resolve(&root, &setting(&["data", "gone"])).unwrap_err();
        assert!(
            missing
                .message
                .starts_with("mount `gone` in [tool.berth] does not exist")
        );
        let file = resolve(&root, &setting(&["notes.txt"])).unwrap_err();
        assert!(
            file.message.contains("a file; a VM mounts directories"),
            "{}",
            file.message
        );
        let unexpandable = resolve_one(&root, &mount("~other/x")).unwrap_err();
        assert!(
            unexpandable.contains("cannot be expanded"),
            "{unexpandable}"
        );
    }

    #[test]
    fn cleaning_drops_dots_without_touching_the_disk() {
        assert_eq!(
            lexically_clean(Path::new("/p/app/../shared/./x")),
            Path::new("/p/shared/x")
        );
    }
}
