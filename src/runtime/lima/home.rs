//! Where `LIMA_HOME` lives: `<root>/.pixi/lima`, or a symlink from there to a short directory
//! when the project path is too long for Lima's Unix socket paths (lima.md §6).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::diag::Diagnostic;
use crate::host::{self, Os};
use crate::project::Layout;
use crate::ui;

/// Lima checks `<LIMA_HOME>/<name>/ssh.sock.<16 random chars>`, the longest socket it makes:
/// `/` + name + `/ssh.sock.` + 16 is the name plus 27 (lima.md §6, `filenames.LongestSock`).
const LONGEST_SOCKET_EXTRA: usize = 27;

/// The file in `.pixi/berth` naming the short directory `.pixi/lima` links to.
pub const SHORT_PATH_RECORD: &str = "lima-home-target";
/// The file in a short directory naming the project root it serves, so that
/// `berth system clean --global` can tell when that project is gone. Lima skips names
/// starting with `.` when it lists instances (`pkg/store/store.go`).
pub const PROJECT_ROOT_MARKER: &str = ".berth-project-root";

/// `UNIX_PATH_MAX`: Lima rejects a socket path of this length or longer.
pub fn unix_path_max(os: Os) -> usize {
    match os {
        Os::Macos => 104,
        Os::Linux | Os::Windows => 108,
    }
}

/// The length of the longest socket path Lima would make for `name` under `real_home`.
pub fn longest_socket_len(real_home: &Path, name: &str) -> usize {
    real_home.as_os_str().len() + name.len() + LONGEST_SOCKET_EXTRA
}

pub fn fits(real_home: &Path, name: &str, os: Os) -> bool {
    longest_socket_len(real_home, name) < unix_path_max(os)
}

/// The project's `LIMA_HOME`, as found on disk (nothing is created).
#[derive(Debug, Clone)]
pub struct LimaHome {
    /// `<root>/.pixi/lima`: the value of `LIMA_HOME` for every `limactl` call.
    pub path: PathBuf,
    /// The same directory with symlinks resolved: where Lima puts files and sockets.
    pub real: PathBuf,
    /// The short directory `.pixi/lima` points to, when berth made it a symlink.
    pub short_target: Option<PathBuf>,
}

impl LimaHome {
    pub fn locate(layout: &Layout) -> LimaHome {
        let path = layout.lima_home.clone();
        let short_target = fs_err::read_to_string(target_record(layout))
            .ok()
            .map(|t| PathBuf::from(t.trim()))
            .filter(|_| path.is_symlink());
        let real = real_path(&path);
        LimaHome {
            path,
            real,
            short_target,
        }
    }

    /// Make sure the directory exists and that Lima's socket paths for `name` fit, moving the
    /// real directory to a short path behind a symlink when they would not.
    pub fn prepare(layout: &Layout, name: &str) -> Result<LimaHome> {
        let os = Os::current();
        let home = LimaHome::locate(layout);
        if fits(&home.real, name, os) {
            fs_err::create_dir_all(&home.path)?;
            return Ok(LimaHome::locate(layout));
        }
        if home.path.is_symlink() || has_instances(&home.real) {
            return Err(too_long(&home.real, name, os)
                .help("move the project to a shorter path, or choose a shorter `instance` in [tool.berth]")
                .into());
        }
        let short = short_dir(layout)?;
        if !fits(&short, name, os) {
            return Err(too_long(&short, name, os)
                .help("choose a shorter `instance` name in [tool.berth]")
                .into());
        }
        // Only Lima's regenerable `_config` can be there (no instance): start afresh.
        if home.path.is_dir() {
            fs_err::remove_dir_all(&home.path)?;
        }
        fs_err::create_dir_all(&short)?;
        fs_err::create_dir_all(&layout.pixi_dir)?;
        symlink_dir(&short, &home.path)?;
        crate::private_fs::ensure_dir(&layout.berth_dir)?;
        crate::private_fs::write_atomic(
            &target_record(layout),
            format!("{}\n", short.display()).as_bytes(),
        )?;
        ui::note(&format!(
            "`.pixi/lima` is a symlink to `{}`: the project path is too long for Lima's socket \
             paths ({} characters, the limit on {} is {}); `berth container delete` removes both",
            ui::display_path(&short),
            longest_socket_len(&home.real, name),
            os.name(),
            unix_path_max(os) - 1,
        ));
        Ok(LimaHome::locate(layout))
    }

    /// When `.pixi/lima` links to a short directory, make sure it names the project it
    /// serves: written with the directory, and for one an older berth made, on the next
    /// `init` or `start`.
    pub fn mark_project(&self, root: &Path) -> Result<()> {
        let Some(short) = &self.short_target else {
            return Ok(());
        };
        let marker = short.join(PROJECT_ROOT_MARKER);
        let text = format!("{}\n", root.display());
        if fs_err::read_to_string(&marker).ok().as_deref() != Some(text.as_str()) {
            crate::private_fs::write_atomic(&marker, text.as_bytes())?;
        }
        Ok(())
    }

    /// The instance directory of `name`.
    pub fn instance_dir(&self, name: &str) -> PathBuf {
        self.real.join(name)
    }

    /// After a delete: when `.pixi/lima` is berth's symlink and no instance is left behind
    /// it, remove the short directory, the symlink and its record. Returns the short dir.
    pub fn remove_short_target_if_unused(&self, layout: &Layout) -> Result<Option<PathBuf>> {
        let Some(target) = &self.short_target else {
            return Ok(None);
        };
        if has_instances(target) {
            return Ok(None);
        }
        if target.exists() {
            fs_err::remove_dir_all(target)?;
        }
        fs_err::remove_file(&self.path)?;
        fs_err::remove_file(target_record(layout))?;
        Ok(Some(target.clone()))
    }
}

/// Where berth records the short directory `.pixi/lima` points to.
fn target_record(layout: &Layout) -> PathBuf {
    layout.berth_dir.join(SHORT_PATH_RECORD)
}

/// `<data dir>/berth/lima`, which holds the short directories of every project.
pub fn short_root() -> Option<PathBuf> {
    host::data_dir().map(|data| data.join("berth/lima"))
}

/// `<short root>/<8 hex digits of the root's hash>`: short, and one per project.
fn short_dir(layout: &Layout) -> Result<PathBuf> {
    let short_root = short_root().ok_or_else(|| {
        Diagnostic::new("the project path is too long for Lima's socket paths, and HOME is not set")
            .help("set HOME, or move the project to a shorter path")
    })?;
    Ok(short_root.join(layout.root_id()))
}

fn too_long(real_home: &Path, name: &str, os: Os) -> Diagnostic {
    Diagnostic::new(format!(
        "Lima's socket paths for instance `{name}` under `{}` would be {} characters, over the \
         limit of {} on {}",
        real_home.display(),
        longest_socket_len(real_home, name),
        unix_path_max(os) - 1,
        os.name(),
    ))
}

/// Whether a `LIMA_HOME` directory holds any instance (entries not starting with `_` or `.`).
pub fn has_instances(real_home: &Path) -> bool {
    fs_err::read_dir(real_home).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with(['_', '.']) && e.path().is_dir()
        })
    })
}

/// `path` with symlinks resolved, also when it (or its tail) does not exist yet.
pub fn real_path(path: &Path) -> PathBuf {
    if let Ok(real) = path.canonicalize() {
        return real;
    }
    if let Ok(target) = fs_err::read_link(path) {
        return target;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => real_path(parent).join(name),
        _ => path.to_path_buf(),
    }
}

fn symlink_dir(target: &Path, link: &Path) -> Result<()> {
    #[cfg(unix)]
    let made = std::os::unix::fs::symlink(target, link);
    #[cfg(windows)]
    let made = std::os::windows::fs::symlink_dir(target, link);
    made.with_context(|| {
        format!(
            "failed to link `{}` to `{}`",
            link.display(),
            target.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_budget_matches_lima() {
        // lima.md §6: LIMA_HOME plus name may be at most 76 characters on macOS, 80 on Linux.
        let home = PathBuf::from(format!("/{}", "h".repeat(71)));
        assert!(fits(&home, "abcd", Os::Macos));
        assert!(!fits(&home, "abcde", Os::Macos));
        assert!(fits(&home, "abcdefgh", Os::Linux));
        assert!(!fits(&home, "abcdefghi", Os::Linux));
        assert_eq!(longest_socket_len(&home, "abcd"), 72 + 4 + 27);
    }

    #[test]
    fn real_path_resolves_the_existing_part() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        assert_eq!(real_path(&dir.path().join("a/b")), real.join("a/b"));
    }
}
