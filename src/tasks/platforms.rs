//! Platforms as pixi names them: conda subdirs (`linux-64`), named platforms declared on a
//! subdir, the `[target.<selector>]` rules, and which declared platform fits this machine.

use anyhow::Result;

use crate::diag::Diagnostic;
use crate::host;
use crate::manifest::tasks::DeclaredPlatform;

/// Every conda subdir (`rattler_conda_types` 0.49.0, `Platform::as_str`, the version pixi
/// v0.77.0 locks).
const SUBDIRS: &[&str] = &[
    "noarch",
    "linux-32",
    "linux-64",
    "linux-aarch64",
    "linux-armv6l",
    "linux-armv7l",
    "linux-loongarch64",
    "linux-ppc64le",
    "linux-ppc64",
    "linux-ppc",
    "linux-s390x",
    "linux-riscv32",
    "linux-riscv64",
    "freebsd-32",
    "freebsd-64",
    "freebsd-arm64",
    "osx-64",
    "osx-arm64",
    "ios-arm64",
    "iossimulator-arm64",
    "iossimulator-64",
    "android-aarch64",
    "android-armv7a",
    "android-64",
    "android-32",
    "win-32",
    "win-64",
    "win-arm64",
    "emscripten-wasm32",
    "wasi-wasm32",
    "zos-z",
];

pub fn is_subdir(name: &str) -> bool {
    SUBDIRS.contains(&name)
}

/// The families of a subdir (`rattler_conda_types` 0.49.0, `Platform::is_*`).
pub fn is_windows(subdir: &str) -> bool {
    subdir.starts_with("win-")
}

pub fn is_linux(subdir: &str) -> bool {
    subdir.starts_with("linux-")
}

pub fn is_osx(subdir: &str) -> bool {
    subdir.starts_with("osx-")
}

pub fn is_unix(subdir: &str) -> bool {
    [
        "linux-",
        "osx-",
        "ios",
        "android-",
        "freebsd-",
        "emscripten-",
    ]
    .iter()
    .any(|prefix| subdir.starts_with(prefix))
}

/// The platform of this machine: the host subdir, or `PIXI_OVERRIDE_PLATFORM`.
pub fn host() -> DeclaredPlatform {
    DeclaredPlatform::subdir(&host::platform())
}

/// The subdirs this machine runs, best first: its own, then the emulated fallbacks
/// (`crates/pixi_manifest/src/workspace.rs`, `candidate_subdirs`, v0.77.0).
pub fn candidate_subdirs(current: &str) -> Vec<String> {
    let mut subdirs = vec![current.to_string()];
    if is_osx(current) && current != "osx-64" {
        subdirs.push("osx-64".into());
    }
    if is_windows(current) && current != "win-64" {
        subdirs.push("win-64".into());
    }
    if current == "win-64" {
        subdirs.push("win-32".into());
    }
    subdirs
}

/// Whether `[target.<selector>]` applies to `platform`
/// (`crates/pixi_manifest/src/target.rs`, `TargetSelector::from_str` and `matches`, v0.77.0):
/// a family matches the subdir, a subdir the subdir, a glob and any other word the
/// platform's name.
pub fn selector_matches(selector: &str, platform: &DeclaredPlatform) -> bool {
    let subdir = platform.subdir.as_str();
    match selector {
        "linux" => is_linux(subdir),
        "unix" => is_unix(subdir),
        "win" => is_windows(subdir),
        "osx" | "macos" => is_osx(subdir),
        _ if is_subdir(selector) => selector == subdir,
        _ if selector.contains(['*', '?', '[']) => glob_matches(selector, &platform.name),
        _ => selector == platform.name,
    }
}

/// The platform a command line names: a declared platform's name, else a bare subdir
/// (`crates/pixi_api/src/workspace/platforms.rs`, `resolve_platforms`, v0.77.0).
pub fn resolve(declared: &[DeclaredPlatform], name: &str) -> Result<DeclaredPlatform> {
    if let Some(platform) = declared.iter().find(|p| p.name == name) {
        return Ok(platform.clone());
    }
    if is_subdir(name) {
        return Ok(DeclaredPlatform::subdir(name));
    }
    let names: Vec<&str> = declared.iter().map(|p| p.name.as_str()).collect();
    let mut diagnostic = Diagnostic::new(format!(
        "workspace does not define a platform named '{name}'"
    ));
    if !names.is_empty() {
        diagnostic = diagnostic.help(format!(
            "the workspace's platforms are: {}",
            names.join(", ")
        ));
    }
    Err(diagnostic
        .help("or name a conda subdir such as `linux-64`, `osx-arm64` or `win-64`")
        .into())
}

/// A small glob over platform names: `*`, `?` and `[...]` classes.
fn glob_matches(pattern: &str, text: &str) -> bool {
    fn matches(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).any(|i| matches(&p[1..], &t[i..])),
            Some('?') => !t.is_empty() && matches(&p[1..], &t[1..]),
            Some('[') => {
                let Some(end) = p.iter().position(|&c| c == ']') else {
                    return t.first() == Some(&'[') && matches(&p[1..], &t[1..]);
                };
                let class = &p[1..end];
                let Some(&c) = t.first() else { return false };
                let (negated, class) = match class.first() {
                    Some('!' | '^') => (true, &class[1..]),
                    _ => (false, class),
                };
                let mut hit = false;
                let mut i = 0;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == '-' {
                        hit |= class[i] <= c && c <= class[i + 2];
                        i += 3;
                    } else {
                        hit |= class[i] == c;
                        i += 1;
                    }
                }
                hit != negated && matches(&p[end + 1..], &t[1..])
            }
            Some(&c) => t.first() == Some(&c) && matches(&p[1..], &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches(&p, &t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(name: &str, subdir: &str) -> DeclaredPlatform {
        DeclaredPlatform::new(name, subdir)
    }

    #[test]
    fn selectors_match_families_subdirs_names_and_globs() {
        let gpu = platform("gpu", "linux-64");
        for (selector, on, expected) in [
            ("linux", platform("linux-64", "linux-64"), true),
            ("linux", platform("osx-arm64", "osx-arm64"), false),
            ("unix", platform("linux-aarch64", "linux-aarch64"), true),
            ("unix", platform("osx-64", "osx-64"), true),
            ("unix", platform("win-64", "win-64"), false),
            ("win", platform("win-64", "win-64"), true),
            ("osx", platform("osx-arm64", "osx-arm64"), true),
            ("macos", platform("osx-64", "osx-64"), true),
            ("macos", platform("linux-64", "linux-64"), false),
            ("linux-64", platform("linux-64", "linux-64"), true),
            ("linux-64", gpu.clone(), true),
            (
                "linux-64",
                platform("linux-aarch64", "linux-aarch64"),
                false,
            ),
            ("linux-*", platform("linux-aarch64", "linux-aarch64"), true),
            ("*-64", platform("osx-arm64", "osx-arm64"), false),
            ("osx-[a]rm64", platform("osx-arm64", "osx-arm64"), true),
            ("gpu", gpu.clone(), true),
            ("gp?", gpu.clone(), true),
            ("gpu", platform("osx-64", "osx-64"), false),
        ] {
            assert_eq!(
                selector_matches(selector, &on),
                expected,
                "{selector} on {on:?}"
            );
        }
    }

    #[test]
    fn candidates_add_the_emulated_fallbacks() {
        assert_eq!(candidate_subdirs("linux-64"), ["linux-64"]);
        assert_eq!(candidate_subdirs("osx-arm64"), ["osx-arm64", "osx-64"]);
        assert_eq!(candidate_subdirs("win-arm64"), ["win-arm64", "win-64"]);
        assert_eq!(candidate_subdirs("win-64"), ["win-64", "win-32"]);
    }

    #[test]
    fn a_command_line_platform_is_a_declared_name_or_a_subdir() {
        let declared = vec![platform("gpu", "linux-64")];
        assert_eq!(
            resolve(&declared, "gpu").unwrap(),
            platform("gpu", "linux-64")
        );
        assert_eq!(
            resolve(&declared, "osx-64").unwrap(),
            platform("osx-64", "osx-64")
        );
        assert_eq!(
            resolve(&declared, "nope").unwrap_err().to_string(),
            "workspace does not define a platform named 'nope'"
        );
    }
}
