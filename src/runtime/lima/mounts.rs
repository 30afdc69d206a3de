//! Where the `mounts` of `[tool.berth]` point. Lima takes only a location that is absolute or
//! starts with `~`, and refuses one that is a file (`pkg/limayaml/validate.go`,
//! v1.0.0–v2.2.0), so berth resolves a relative location against the project root (the
//! directory holding the manifest) and refuses, before calling Lima, one that does not exist.

use std::path::{Component, Path, PathBuf};

use crate::diag::Diagnostic;
use crate::settings::{Mount, Setting};

/// The mounts as Lima gets them: relative locations made absolute, `~` ones as written
/// (Lima expands them itself); an error naming the first one that is not a directory.
pub fn resolve(root: &Path, mounts: &Setting<Vec<Mount>>) -> Result<Vec<Mount>, Diagnostic> {
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
pub fn resolve_one(root: &Path, mount: &Mount) -> Result<Mount, String> {
    let (location, on_disk) = match mount.location.strip_prefix('~') {
        // pkg/localpathutil/localpathutil.go (v1.0.0–v2.2.0): only `~` and `~/…` expand.
        Some(rest) if rest.is_empty() || rest.starts_with('/') => {
            let home = crate::host::home_dir()
                .ok_or("starts with `~`, but HOME is not set to expand it")?;
            let on_disk = home.join(rest.trim_start_matches('/'));
            (mount.location.clone(), on_disk)
        }
        Some(_) => return Err("starts with `~` but not `~/`, which Lima cannot expand".into()),
        None => {
            let absolute = lexically_clean(&root.join(&mount.location));
            (absolute.display().to_string(), absolute)
        }
    };
    match std::fs::metadata(&on_disk) {
        Ok(meta) if meta.is_dir() => Ok(Mount {
            location,
            writable: mount.writable,
        }),
        Ok(_) => Err(format!(
            "is `{}`, a file; Lima mounts directories",
            on_disk.display()
        )),
        Err(_) => Err(format!("does not exist: `{}`", on_disk.display())),
    }
}

/// `path` with `.` dropped and each `..` taking away the name before it, as Go's
/// `filepath.Clean` (which Lima applies) does, without following symlinks.
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
        let locations: Vec<&str> = resolved.iter().map(|m| m.location.as_str()).collect();
        assert_eq!(
            locations,
            [
                tmp.path().join("shared").to_str().unwrap(),
                root.join("data").to_str().unwrap(),
                "/"
            ]
        );
        assert!(resolved.iter().all(|m| m.writable));
        let missing = resolve(&root, &setting(&["data", "gone"])).unwrap_err();
        assert!(
            missing
                .message
                .starts_with("mount `gone` in [tool.berth] does not exist")
        );
        let file = resolve(&root, &setting(&["notes.txt"])).unwrap_err();
        assert!(
            file.message.contains("a file; Lima mounts directories"),
            "{}",
            file.message
        );
        let unexpandable = resolve_one(&root, &mount("~other/x")).unwrap_err();
        assert!(
            unexpandable.contains("Lima cannot expand"),
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
