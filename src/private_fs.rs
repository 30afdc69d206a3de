//! The files and directories berth keeps under `.pixi/`: readable by their owner only (a docker
//! config may come to hold registry credentials, a log whatever a command printed), and never
//! written through a symbolic link berth did not create. A link planted where berth writes is
//! refused with an error naming it; its target is left as it is.
//!
//! Modes are set when a file or directory is created, never by a `chmod` after the bytes are
//! in; a file that exists with looser permissions (from an older berth) is tightened through
//! its open handle before anything is written.

use std::ffi::OsString;
use std::fs::File;
use std::io::{ErrorKind, Write};
use std::path::{Component, Path};

use anyhow::{Context, Result};

use crate::diag::Diagnostic;

#[cfg(unix)]
const DIR_MODE: u32 = 0o700;
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;

/// Make `dir` a directory only its owner may use, creating it and any missing parents. Every
/// existing directory on the way from the nearest `.pixi` down to `dir` must be a real
/// directory: berth's directories live there, and a symlink among them was planted. (`.pixi`
/// itself may be a link: pixi's users point it at another disk.)
pub fn ensure_dir(dir: &Path) -> Result<()> {
    let (start, below) = split_at_pixi(dir);
    if !start.as_os_str().is_empty() {
        fs_err::create_dir_all(&start)?;
    }
    let mut path = start;
    for part in below {
        path.push(part);
        match path.symlink_metadata() {
            Ok(meta) if meta.file_type().is_symlink() => return Err(refuse(&path)),
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(Diagnostic::new(format!(
                    "`{}` is not a directory, but berth keeps its state there",
                    path.display()
                ))
                .help(format!(
                    "move it away (`mv {0} {0}.bak`) and rerun",
                    path.display()
                ))
                .into());
            }
            Err(err) if err.kind() == ErrorKind::NotFound => create_private_dir(&path)?,
            Err(err) => {
                return Err(err).with_context(|| format!("failed to inspect `{}`", path.display()));
            }
        }
    }
    tighten_dir(dir)
}

/// `dir` split into the part up to and including its last `.pixi` component (created as
/// usual) and the components below it (checked one by one). Without a `.pixi`, only the last
/// component is checked.
fn split_at_pixi(dir: &Path) -> (std::path::PathBuf, Vec<OsString>) {
    let components: Vec<Component> = dir.components().collect();
    let split = components
        .iter()
        .rposition(|c| c.as_os_str() == ".pixi")
        .map_or(components.len().saturating_sub(1), |i| i + 1);
    let start = components[..split].iter().collect();
    let below = components[split..]
        .iter()
        .map(|c| c.as_os_str().to_os_string())
        .collect();
    (start, below)
}

fn create_private_dir(path: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    match builder.create(path) {
        Err(err) if err.kind() != ErrorKind::AlreadyExists => {
            Err(err).with_context(|| format!("failed to create `{}`", path.display()))
        }
        _ => Ok(()),
    }
}

/// Take group and other access away from berth's own directory, if an older berth (or a
/// umask) granted it.
fn tighten_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs_err::symlink_metadata(dir)?;
        if meta.permissions().mode() & 0o777 != DIR_MODE {
            fs_err::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))?;
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Open `path` for writing from the start (created 0600, emptied if it exists), refusing a
/// symlink there.
pub fn create_file(path: &Path) -> Result<File> {
    refuse_symlink(path)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    let file = open_no_follow(&mut options, path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o777 != FILE_MODE {
            file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))
                .with_context(|| format!("failed to make `{}` private", path.display()))?;
        }
    }
    Ok(file)
}

/// Open the lock file at `path` (created 0600 if missing, its bytes never touched: only its
/// lock matters), refusing a symlink there and in the directories above it under `.pixi`.
pub fn open_lock(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        ensure_dir(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    open_no_follow(&mut options, path)
}

/// Replace `path` with `contents` in one step (a private temporary file renamed over it), so a
/// reader never sees half a file. A symlink at `path` is refused, not replaced.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    refuse_symlink(path)?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".berth-tmp");
    let temporary = path.with_file_name(name);
    // A temporary left by a crash (or planted) is unlinked, never opened.
    match std::fs::remove_file(&temporary) {
        Err(err) if err.kind() != ErrorKind::NotFound => {
            return Err(err).with_context(|| format!("failed to remove `{}`", temporary.display()));
        }
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    let mut file = open_no_follow(&mut options, &temporary)?;
    file.write_all(contents)
        .with_context(|| format!("failed to write `{}`", temporary.display()))?;
    drop(file);
    fs_err::rename(&temporary, path)?;
    Ok(())
}

fn open_no_follow(options: &mut std::fs::OpenOptions, path: &Path) -> Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(FILE_MODE)
            .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits());
    }
    match options.open(path) {
        Ok(file) => Ok(file),
        #[cfg(unix)]
        Err(err) if err.raw_os_error() == Some(nix::errno::Errno::ELOOP as i32) => {
            Err(refuse(path))
        }
        Err(err) => Err(err).with_context(|| format!("failed to create `{}`", path.display())),
    }
}

fn refuse_symlink(path: &Path) -> Result<()> {
    match path.symlink_metadata() {
        Ok(meta) if meta.file_type().is_symlink() => Err(refuse(path)),
        _ => Ok(()),
    }
}

fn refuse(path: &Path) -> anyhow::Error {
    Diagnostic::new(format!(
        "`{}` is a symbolic link berth did not create; berth does not write through it",
        path.display()
    ))
    .help(format!(
        "remove the link (`rm {}`) and rerun: berth makes its own file there and leaves the \
         link's target alone",
        path.display()
    ))
    .into()
}

/// Make `dir`, outside the project, a directory only the user may use, for what gives access
/// to something else (the ssh forward's sockets give root on the remote engine): created 0700
/// with its missing parents. An existing `dir`, and its parent, must be real directories of
/// the user's that no one else can write, or they are refused (another user could have put,
/// or could swap in, what berth would then use); `dir` is then tightened to 0700.
pub fn ensure_owned_dir(dir: &Path) -> Result<()> {
    if let Some(parent) = dir.parent() {
        if !parent.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
            builder
                .create(parent)
                .with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        check_owned(parent, "directory")?;
    }
    match dir.symlink_metadata() {
        Err(err) if err.kind() == ErrorKind::NotFound => create_private_dir(dir)?,
        Err(err) => {
            return Err(err).with_context(|| format!("failed to inspect `{}`", dir.display()));
        }
        Ok(_) => {}
    }
    check_owned(dir, "directory")?;
    tighten_dir(dir)
}

/// Whether `dir` exists, checked as [`ensure_owned_dir`] checks it (and its parent), without
/// creating anything. A `dir` the user may not look into is refused naming the directory
/// above it that is not the user's.
pub fn owned_dir(dir: &Path) -> Result<bool> {
    match dir.symlink_metadata() {
        Ok(_) => {
            if let Some(parent) = dir.parent() {
                check_owned(parent, "directory")?;
            }
            check_owned(dir, "directory").map(|()| true)
        }
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(false),
        Err(err) => {
            if err.kind() == ErrorKind::PermissionDenied
                && let Some(visible) = dir
                    .ancestors()
                    .skip(1)
                    .find(|a| a.symlink_metadata().is_ok())
            {
                check_owned(visible, "directory")?;
            }
            Err(err).with_context(|| format!("failed to inspect `{}`", dir.display()))
        }
    }
}

/// Whether a socket of the user's is at `path` (`false`: nothing is there). Anything else
/// there (another user's socket, one others can open, a link, a file) is refused: berth would
/// hand it to docker as the project's engine.
pub fn owned_socket(path: &Path) -> Result<bool> {
    match path.symlink_metadata() {
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err).with_context(|| format!("failed to inspect `{}`", path.display())),
        Ok(_) => check_owned(path, "socket").map(|()| true),
    }
}

/// `path` is a `kind` (`directory` or `socket`, not a link to one) that the user owns and no
/// one else can write.
fn check_owned(path: &Path, kind: &str) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let meta = fs_err::symlink_metadata(path)?;
        let file_type = meta.file_type();
        let is_kind = match kind {
            "socket" => file_type.is_socket(),
            _ => file_type.is_dir(),
        };
        let me = nix::unistd::geteuid().as_raw();
        let problem = if !is_kind {
            Some(format!("is not a {kind}"))
        } else if meta.uid() != me {
            Some(format!(
                "belongs to another user (uid {}, you are {me})",
                meta.uid()
            ))
        } else if meta.mode() & 0o022 != 0 {
            Some(format!(
                "can be written by other users (mode {:o})",
                meta.mode() & 0o7777
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Diagnostic::new(format!(
                "`{}` {problem}; berth does not use it",
                path.display()
            ))
            .help(
                "berth keeps the ssh forward of the project's engine there, and whoever \
                 controls it controls that engine",
            )
            .help(format!(
                "remove it (`rm -rf {}`, as its owner or root) and run berth again",
                path.display()
            ))
            .into());
        }
    }
    #[cfg(not(unix))]
    let _ = (path, kind);
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        path.symlink_metadata().unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn directories_and_files_are_private_from_the_start() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(".pixi/berth/logs");
        ensure_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&tmp.path().join(".pixi/berth")), 0o700);
        let file = dir.join("a.log");
        create_file(&file).unwrap().write_all(b"x").unwrap();
        assert_eq!(mode(&file), 0o600);
        write_atomic(&dir.join("b.json"), b"{}").unwrap();
        assert_eq!(mode(&dir.join("b.json")), 0o600);
        assert!(!dir.join("b.json.berth-tmp").exists());
    }

    #[test]
    fn a_loose_existing_file_or_directory_is_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(".pixi/docker");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = dir.join("x.log");
        std::fs::write(&file, "old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        ensure_dir(&dir).unwrap();
        create_file(&file).unwrap();
        assert_eq!((mode(&dir), mode(&file)), (0o700, 0o600));
    }

    #[test]
    fn an_owned_dir_is_private_and_a_loose_one_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("home/.berth/ssh/abcd");
        ensure_owned_dir(&dir).unwrap();
        assert_eq!((mode(&dir), mode(dir.parent().unwrap())), (0o700, 0o700));
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        ensure_owned_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700, "tightened");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = ensure_owned_dir(&dir).unwrap_err().to_string();
        assert!(
            err.contains("can be written by other users (mode 777)"),
            "{err}"
        );

        let socket = tmp.path().join("docker.sock");
        assert!(!owned_socket(&socket).unwrap());
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(owned_socket(&socket).unwrap());
        std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(owned_socket(&socket).is_err());
        std::fs::write(tmp.path().join("file"), "").unwrap();
        let err = owned_socket(&tmp.path().join("file"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not a socket"), "{err}");
    }

    #[test]
    fn planted_links_are_refused_and_their_targets_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("secret"), "mine").unwrap();
        let pixi = tmp.path().join(".pixi");
        std::fs::create_dir(&pixi).unwrap();

        std::os::unix::fs::symlink(&outside, pixi.join("berth")).unwrap();
        let err = ensure_dir(&pixi.join("berth/logs"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(".pixi/berth` is a symbolic link"), "{err}");
        assert!(!outside.join("logs").exists());

        let file = pixi.join("file.json");
        std::os::unix::fs::symlink(outside.join("secret"), &file).unwrap();
        assert!(create_file(&file).is_err());
        assert!(write_atomic(&file, b"new").is_err());
        assert_eq!(
            std::fs::read_to_string(outside.join("secret")).unwrap(),
            "mine"
        );
        assert!(file.is_symlink());
    }
}
