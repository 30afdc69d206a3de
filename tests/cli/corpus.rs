//! The broken-manifest corpus (`tests/corpus/`): every manifest gives an `error:` with
//! `file:line:col` and a non-zero exit; none panics, none hangs.

use std::path::Path;
use std::time::Duration;

use crate::harness::{Output, TestProject};

/// What is wrong with berth's answer to one broken manifest, if anything.
fn problem(output: Option<Output>) -> Option<String> {
    let Some(out) = output else {
        return Some("hung (killed after 30 s)".into());
    };
    let location = out.stderr.lines().any(|line| {
        line.trim_start()
            .strip_prefix("--> pixi.toml:")
            .is_some_and(|pos| {
                let mut parts = pos.split(':');
                parts.next().is_some_and(|l| l.parse::<u32>().is_ok())
                    && parts.next().is_some_and(|c| c.parse::<u32>().is_ok())
            })
    });
    if out.stderr.contains("panicked") {
        Some(format!("panicked:\n{}", out.stderr))
    } else if out.code == 0 {
        Some(format!("exit 0:\n{}{}", out.stdout, out.stderr))
    } else if !out.stderr.contains("error: ") || !location {
        Some(format!(
            "exit {} without `error:` and `--> pixi.toml:L:C`:\n{}",
            out.code, out.stderr
        ))
    } else {
        None
    }
}

fn run_on(manifest: &[u8], args: &[&str]) -> Option<Output> {
    let p = TestProject::empty();
    std::fs::write(p.path("pixi.toml"), manifest).unwrap();
    p.berth(args).run_within(Duration::from_secs(30))
}

/// The berth command a corpus file names on its first line (`# berth: run t`).
fn command_of(manifest: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(manifest);
    let first = text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or("");
    let words = first.strip_prefix("# berth: ").unwrap_or("task list");
    words.split_whitespace().map(str::to_string).collect()
}

#[test]
fn every_broken_manifest_is_reported_with_a_position() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/manifests");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    assert!(
        entries.len() >= 200,
        "the corpus has {} manifests",
        entries.len()
    );
    let failures: Vec<String> = entries
        .iter()
        .filter_map(|path| {
            let manifest = std::fs::read(path).unwrap();
            let command = command_of(&manifest);
            let args: Vec<&str> = command.iter().map(String::as_str).collect();
            problem(run_on(&manifest, &args)).map(|p| {
                format!(
                    "{} (berth {}): {p}",
                    path.file_name().unwrap().to_string_lossy(),
                    command.join(" ")
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} corpus manifests:\n\n{}",
        failures.len(),
        entries.len(),
        failures.join("\n\n")
    );
}

#[test]
fn a_ten_megabyte_manifest_with_an_error_at_the_end() {
    let mut manifest =
        String::from("[workspace]\nname = \"big\"\nchannels = []\nplatforms = []\n\n[tasks]\n");
    let mut i = 0;
    while manifest.len() < 10 * 1024 * 1024 {
        manifest.push_str(&format!(
            "task-{i} = {{ cmd = \"echo {i}\", description = \"task number {i}\" }}\n"
        ));
        i += 1;
    }
    manifest.push_str("broken = { cmd = 1 }\n");
    let lines = manifest.lines().count();
    let out = run_on(manifest.as_bytes(), &["task", "list"]).expect("berth answered in time");
    out.stderr_has(&format!("--> pixi.toml:{lines}:"));
    assert_eq!(problem(Some(out)), None);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for depth in [100, 10_000, 100_000] {
        let manifest = format!(
            "[workspace]\nname = \"deep\"\nchannels = []\nplatforms = []\n\n[tasks]\nt = {{ cmd = \"echo\", env = {} }}\n",
            "[".repeat(depth)
        );
        let inline = format!(
            "[workspace]\nname = \"deep\"\nchannels = []\nplatforms = []\n\n[tool.berth]\nmounts = {}\n",
            "{ a = ".repeat(depth)
        );
        assert_eq!(
            problem(run_on(manifest.as_bytes(), &["task", "list"])),
            None,
            "arrays {depth} deep"
        );
        assert_eq!(
            problem(run_on(inline.as_bytes(), &["task", "list"])),
            None,
            "tables {depth} deep"
        );
    }
}
