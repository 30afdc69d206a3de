//! berth's modules from the bottom up. A module may use the ones before it in [`LAYERS`],
//! never one after it, so data flows one way (`cli` → `app` → the modules doing the work →
//! the facts they rest on) and no two modules need each other. The test below reads every
//! source file and holds the code to it; test code may reach further (a property test may
//! drive a higher module), so `#[cfg(test)]` modules are not checked.

/// Every top-level module, each allowed to use only those before it.
const LAYERS: &[&str] = &[
    // Facts and words: the host, output, units, errors.
    "host",
    "ui",
    "units",
    "du",
    "diag",
    "exit",
    "private_fs",
    // Talking to the outside: child processes, the Docker socket, the project on disk.
    "process",
    "docker_api",
    "project",
    // Reading what the project says.
    "manifest",
    "settings",
    // The work. `docker` builds an environment from a DOCKER_HOST it is given; choosing the
    // runtime that serves it is `app`'s job, so `docker` sits below `runtime`.
    "tasks",
    "docker",
    "runtime",
    "jobs",
    "clean",
    // The command line, and the glue that sees everything.
    "cli",
    "app",
];

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::LAYERS;

    /// Every `.rs` file under `dir`.
    fn sources(dir: &Path) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                files.extend(sources(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
        files
    }

    /// The files that are test modules of their own (`#[cfg(test)]` then `mod name;`).
    fn test_only_files(files: &[PathBuf]) -> Vec<PathBuf> {
        let mut test_only = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(file).expect("read");
            let dir = match file.file_name().and_then(|n| n.to_str()) {
                Some("mod.rs" | "main.rs") => file.parent().expect("dir").to_path_buf(),
                _ => file.with_extension(""),
            };
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            for pair in lines.windows(2) {
                if pair[0] == "#[cfg(test)]"
                    && let Some(name) = pair[1]
                        .strip_prefix("mod ")
                        .and_then(|rest| rest.strip_suffix(';'))
                {
                    test_only.push(dir.join(format!("{name}.rs")));
                    test_only.push(dir.join(name).join("mod.rs"));
                }
            }
        }
        test_only
    }

    /// The code of `text` before its `#[cfg(test)] mod tests { … }` block, which by this
    /// project's convention ends a file.
    fn non_test_code(text: &str) -> &str {
        let end = text
            .match_indices("#[cfg(test)]\nmod tests {")
            .map(|(at, _)| at)
            .next()
            .unwrap_or(text.len());
        &text[..end]
    }

    /// The top-level modules `code` names as `crate::name`, alone or in a `use crate::{…}`.
    fn used_modules(code: &str) -> Vec<&'static str> {
        let mut used: Vec<&'static str> = LAYERS
            .iter()
            .copied()
            .filter(|module| {
                code.contains(&format!("crate::{module}::"))
                    || code.contains(&format!("crate::{module};"))
                    || code.contains(&format!("crate::{module}}}"))
                    || code.contains(&format!("crate::{module},"))
            })
            .collect();
        for group in code.split("use crate::{").skip(1) {
            let group = group.split("};").next().unwrap_or_default();
            for word in group.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                if let Some(module) = LAYERS.iter().find(|m| **m == word) {
                    used.push(module);
                }
            }
        }
        used.sort_unstable();
        used.dedup();
        used
    }

    #[test]
    fn no_module_uses_one_above_it() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let files = sources(&src);
        let test_only = test_only_files(&files);
        let mut wrong = Vec::new();
        for file in files.iter().filter(|f| !test_only.contains(f)) {
            let relative = file.strip_prefix(&src).expect("under src");
            let top = relative
                .components()
                .next()
                .and_then(|c| c.as_os_str().to_str())
                .expect("a name")
                .trim_end_matches(".rs");
            if ["main", "layers", "proptest_config"].contains(&top) {
                continue;
            }
            let layer = LAYERS
                .iter()
                .position(|m| *m == top)
                .unwrap_or_else(|| panic!("module `{top}` is missing from LAYERS"));
            let text = std::fs::read_to_string(file).expect("read");
            for used in used_modules(non_test_code(&text)) {
                let used_layer = LAYERS.iter().position(|m| *m == used).expect("listed");
                if used_layer > layer {
                    wrong.push(format!("{} uses {used}", relative.display()));
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "modules using one above them:\n{}",
            wrong.join("\n")
        );
    }

    #[test]
    fn the_checker_sees_imports() {
        assert_eq!(
            used_modules("use crate::{diag::Diagnostic, ui};\nuse crate::host;\n"),
            ["diag", "host", "ui"]
        );
        assert_eq!(used_modules("crate::process::find_program(x)"), ["process"]);
        assert_eq!(non_test_code("a\n#[cfg(test)]\nmod tests {\nb\n}\n"), "a\n");
    }
}
