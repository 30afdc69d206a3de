//! The packages `pixi.lock` pins for an environment on a platform: what pixi folds into a
//! task's cache key (`crates/pixi_core/src/environment/mod.rs`,
//! `EnvironmentHash::from_environment`, v0.77.0), so a `pixi update` makes cached tasks run
//! again.
//!
//! The lock file is YAML that pixi writes in one fixed shape (`environments:` →
//! `  <env>:` → `    packages:` → `      <platform>:` → `      - conda: <location>`); this
//! reads that shape line by line instead of parsing YAML in general.

use std::path::Path;

/// The package locations locked for `environment` on `platform`, sorted; none when the
/// lock file, the environment or the platform is missing.
pub fn locked_packages(lock_file: &Path, environment: &str, platform: &str) -> Vec<String> {
    let Ok(text) = fs_err::read_to_string(lock_file) else {
        return Vec::new();
    };
    let mut locations = packages_in(&text, environment, platform);
    locations.sort();
    locations
}

fn packages_in(text: &str, environment: &str, platform: &str) -> Vec<String> {
    let mut in_environments = false;
    let mut in_environment = false;
    let mut in_packages = false;
    let mut in_platform = false;
    let mut locations = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        match indent {
            0 => {
                in_environments = trimmed == "environments:";
                in_environment = false;
                in_packages = false;
                in_platform = false;
            }
            2 if in_environments => {
                in_environment = key(trimmed).is_some_and(|k| k == environment);
                in_packages = false;
                in_platform = false;
            }
            4 if in_environment => {
                in_packages = key(trimmed).is_some_and(|k| k == "packages");
                in_platform = false;
            }
            6 if in_packages => {
                if let Some(entry) = trimmed.strip_prefix("- ") {
                    if in_platform && let Some((_, location)) = entry.split_once(':') {
                        locations.push(unquote(location.trim()).to_string());
                    }
                } else {
                    in_platform = key(trimmed).is_some_and(|k| k == platform);
                }
            }
            _ => {}
        }
    }
    locations
}

/// The key of a `key:` line (a mapping that opens a block), unquoted.
fn key(line: &str) -> Option<&str> {
    let key = line.strip_suffix(':')?;
    Some(unquote(key))
}

fn unquote(text: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote)) {
            return inner;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of pixi's own `pixi.lock` (version 7).
    const LOCK: &str = "version: 7
platforms:
- name: linux-64
  virtual-packages:
  - __unix=0=0
environments:
  default:
    channels:
    - url: https://prefix.dev/conda-forge/
    indexes:
    - https://pypi.org/simple
    packages:
      linux-64:
      - conda: https://prefix.dev/conda-forge/linux-64/zlib-1.3.1-h0.conda
      - pypi: https://files.pythonhosted.org/a-1.0-py3-none-any.whl
      - conda: https://prefix.dev/conda-forge/linux-64/bzip2-1.0.8-h1.conda
      osx-arm64:
      - conda: https://prefix.dev/conda-forge/osx-arm64/zlib-1.3.1-h2.conda
  'docs':
    channels:
    - url: https://prefix.dev/conda-forge/
    packages: {}
packages:
- conda: https://prefix.dev/conda-forge/linux-64/zlib-1.3.1-h0.conda
  sha256: 00
";

    #[test]
    fn reads_the_locations_of_one_environment_and_platform() {
        let mut default = packages_in(LOCK, "default", "linux-64");
        default.sort();
        assert_eq!(
            default,
            [
                "https://files.pythonhosted.org/a-1.0-py3-none-any.whl",
                "https://prefix.dev/conda-forge/linux-64/bzip2-1.0.8-h1.conda",
                "https://prefix.dev/conda-forge/linux-64/zlib-1.3.1-h0.conda",
            ]
        );
        assert_eq!(
            packages_in(LOCK, "default", "osx-arm64"),
            ["https://prefix.dev/conda-forge/osx-arm64/zlib-1.3.1-h2.conda"]
        );
        assert!(packages_in(LOCK, "docs", "linux-64").is_empty());
        assert!(packages_in(LOCK, "nope", "linux-64").is_empty());
        assert!(packages_in(LOCK, "default", "win-64").is_empty());
    }
}
