//! Where `LIMA_HOME` lives: `<root>/.pixi/lima`, or a symlink from there to a short directory
//! when the project path is too long for Lima's Unix socket paths (lima.md §6). The socket
//! budget of every runtime built on Lima (berth's own, Colima) is measured here, and the
//! short directories of both live under [`ShortHomes`].

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::diag::Diagnostic;
use crate::host::{self, Os};
use crate::project::Layout;
use crate::runtime::SocketBudget;
use crate::ui;

/// Lima checks `<LIMA_HOME>/<name>/ssh.sock.<16 random chars>`, the longest socket it makes:
/// `/` + name + `/ssh.sock.` + 16 is the name plus 27 (lima.md §6, `filenames.LongestSock`).
const LONGEST_SOCKET_EXTRA: usize = 27;

/// The file in `.pixi/berth` naming the short directory `.pixi/lima` links to.
pub const SHORT_PATH_RECORD: &str = "lima-home-target";

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

/// Lima's longest socket path for instance `name` under `real_home` against this OS's limit:
/// the budget `berth doctor` shows and `init` checks, for berth's Lima and for Colima's.
pub fn socket_budget(real_home: &Path, name: &str) -> SocketBudget {
    SocketBudget {
        owner: "Lima",
        length: longest_socket_len(real_home, name),
        limit: unix_path_max(Os::current()),
        help: "move the project to a shorter path, or choose a shorter `instance` in [tool.berth]",
    }
}

/// Whether a runtime keeps Lima's state for instance `name` in a short directory: `short`
/// when the sockets do not fit in `local` (the path as Lima resolves it) and the state can
/// move; `None` keeps it in place. The one decision `init` acts on and `doctor` reports.
pub fn move_to_short(
    local: &Path,
    movable: bool,
    short: Option<PathBuf>,
    name: &str,
) -> Option<PathBuf> {
    short.filter(|_| movable && !socket_budget(local, name).fits())
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

    /// The real directory Lima's files for `name` go to (see [`move_to_short`]): `.pixi/lima`
    /// can move to the project's short directory only while it is a real directory without
    /// instances.
    pub fn planned(&self, layout: &Layout, name: &str) -> PathBuf {
        let movable = !self.path.is_symlink() && !has_instances(&self.real);
        let short = ShortHomes::Lima.for_project(layout);
        move_to_short(&self.real, movable, short, name).unwrap_or_else(|| self.real.clone())
    }

    /// Make sure the directory exists and that Lima's socket paths for `name` fit, moving the
    /// real directory to a short path behind a symlink when they would not.
    pub fn prepare(layout: &Layout, name: &str) -> Result<LimaHome> {
        let os = Os::current();
        let home = LimaHome::locate(layout);
        let real = home.planned(layout, name);
        let in_place = real == home.real;
        if !socket_budget(&real, name).fits() {
            let help = if !in_place {
                "choose a shorter `instance` name in [tool.berth]"
            } else if host::home_dir().is_none() {
                "set HOME (berth keeps a short directory there), or move the project to a shorter path"
            } else {
                "move the project to a shorter path, or choose a shorter `instance` in [tool.berth]"
            };
            return Err(too_long(&real, name).help(help).into());
        }
        if in_place {
            fs_err::create_dir_all(&home.path)?;
            return Ok(LimaHome::locate(layout));
        }
        // Only Lima's regenerable `_config` can be there (no instance): start afresh.
        if home.path.is_dir() {
            fs_err::remove_dir_all(&home.path)?;
        }
        fs_err::create_dir_all(&real)?;
        fs_err::create_dir_all(&layout.pixi_dir)?;
        symlink_dir(&real, &home.path)?;
        crate::private_fs::ensure_dir(&layout.berth_dir)?;
        crate::private_fs::write_atomic(
            &target_record(layout),
            format!("{}\n", real.display()).as_bytes(),
        )?;
        ui::note(&format!(
            "`.pixi/lima` is a symlink to `{}`: the project path is too long for Lima's socket \
             paths ({} characters, the limit on {} is {}); `berth container delete` removes both",
            ui::display_path(&real),
            longest_socket_len(&home.real, name),
            os.name(),
            unix_path_max(os) - 1,
        ));
        Ok(LimaHome::locate(layout))
    }

    /// When `.pixi/lima` links to a short directory, make sure it names the project it
    /// serves ([`project_marker::mark`](crate::runtime::project_marker::mark)).
    pub fn mark_project(&self, root: &Path) -> Result<()> {
        match &self.short_target {
            Some(short) => crate::runtime::project_marker::mark(short, root),
            None => Ok(()),
        }
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

/// The short directories of projects whose path is too long for Lima's sockets, one per
/// project (`<root>/<8 hex digits of the project root's hash>`), under `~/.berth` on every OS:
/// for the same reason Lima keeps its state in `~/.lima` and Colima in `~/.colima`. Under
/// macOS's data dir (`~/Library/Application Support`) a short directory took 60 bytes for
/// `/Users/alice`, leaving 16 characters for an instance name and one for the instance in
/// Colima's `colima-berth-<instance>`; `~/.berth/lima/<id>` takes 33, leaving 43.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortHomes {
    /// berth's own Lima: `.pixi/lima` is a symlink to `~/.berth/lima/<id>`.
    Lima,
    /// Colima's Lima state, passed as `LIMA_HOME`: `~/.berth/colima/<id>`.
    Colima,
}

impl ShortHomes {
    fn dir_name(self) -> &'static str {
        match self {
            ShortHomes::Lima => "lima",
            ShortHomes::Colima => "colima",
        }
    }

    /// `~/.berth/lima` or `~/.berth/colima`: where berth makes short directories.
    pub fn root(self) -> Option<PathBuf> {
        Some(host::home_dir()?.join(".berth").join(self.dir_name()))
    }

    /// `<data dir>/berth/lima` or `.../colima`, where berth made them before: still used by
    /// the projects that have one, and cleaned.
    fn earlier_root(self) -> Option<PathBuf> {
        Some(host::data_dir()?.join("berth").join(self.dir_name()))
    }

    /// Every directory that may hold short directories, the current one first.
    pub fn roots(self) -> Vec<PathBuf> {
        self.root().into_iter().chain(self.earlier_root()).collect()
    }

    /// Where the project's short directory goes when berth makes one.
    pub fn for_project(self, layout: &Layout) -> Option<PathBuf> {
        Some(self.root()?.join(layout.root_id()))
    }

    /// The project's short directory under every root, the current one first: an instance
    /// stays where it was created.
    pub fn of_project(self, layout: &Layout) -> Vec<PathBuf> {
        let id = layout.root_id();
        self.roots()
            .into_iter()
            .map(|root| root.join(&id))
            .collect()
    }
}

fn too_long(real_home: &Path, name: &str) -> Diagnostic {
    let budget = socket_budget(real_home, name);
    Diagnostic::new(format!(
        "Lima's socket paths for instance `{name}` under `{}` would be {} characters, over the \
         limit of {} on {}",
        real_home.display(),
        budget.length,
        budget.limit - 1,
        Os::current().name(),
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
        let fits = |name: &str, os| longest_socket_len(&home, name) < unix_path_max(os);
        assert!(fits("abcd", Os::Macos));
        assert!(!fits("abcde", Os::Macos));
        assert!(fits("abcdefgh", Os::Linux));
        assert!(!fits("abcdefghi", Os::Linux));
        assert_eq!(longest_socket_len(&home, "abcd"), 72 + 4 + 27);
    }

    #[test]
    fn real_path_resolves_the_existing_part() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().canonicalize().unwrap();
        assert_eq!(real_path(&dir.path().join("a/b")), real.join("a/b"));
    }
}
