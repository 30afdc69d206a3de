//! Disk usage as `du -s -P` counts it: the one walker behind every size berth reports for
//! files it removes (`berth system clean`, `berth container delete`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Disk usage of `path` as `du -s -P` counts it (allocated blocks of every entry, the
/// directory itself included, each hard-linked inode once), skipping the direct children
/// named in `skip`. Unreadable entries count as zero: a size is an estimate, not a gate.
pub fn disk_usage(path: &Path, skip: &[PathBuf]) -> u64 {
    let mut seen = HashSet::new();
    usage(path, skip, &mut seen)
}

fn usage(path: &Path, skip: &[PathBuf], seen: &mut HashSet<(u64, u64)>) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    let mut total = allocated(&meta, seen);
    if meta.is_dir()
        && let Ok(entries) = std::fs::read_dir(path)
    {
        for entry in entries.flatten() {
            let child = entry.path();
            if !skip.contains(&child) {
                total += usage(&child, &[], seen);
            }
        }
    }
    total
}

#[cfg(unix)]
fn allocated(meta: &std::fs::Metadata, seen: &mut HashSet<(u64, u64)>) -> u64 {
    use std::os::unix::fs::MetadataExt;
    if meta.nlink() > 1 && !meta.is_dir() && !seen.insert((meta.dev(), meta.ino())) {
        return 0;
    }
    meta.blocks() * 512
}

#[cfg(not(unix))]
fn allocated(meta: &std::fs::Metadata, _seen: &mut HashSet<(u64, u64)>) -> u64 {
    meta.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_does_not_follow_links_and_skips_named_children() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        std::fs::write(&outside, vec![1u8; 64 * 1024]).unwrap();
        let dir = tmp.path().join("dir");
        std::fs::create_dir_all(dir.join("skipped")).unwrap();
        std::fs::write(dir.join("skipped/big"), vec![1u8; 64 * 1024]).unwrap();
        std::os::unix::fs::symlink(&outside, dir.join("link")).unwrap();

        let with_all = disk_usage(&dir, &[]);
        let without = disk_usage(&dir, &[dir.join("skipped")]);
        assert!(with_all >= without + 64 * 1024);
        assert!(
            without < 64 * 1024,
            "the link's target was counted: {without}"
        );
    }

    #[test]
    fn a_hard_linked_file_counts_once() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("dir");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("a"), vec![1u8; 64 * 1024]).unwrap();
        let one = disk_usage(&dir, &[]);
        std::fs::hard_link(dir.join("a"), dir.join("b")).unwrap();
        assert_eq!(disk_usage(&dir, &[]), one);
    }
}
