//! The user's own docker config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`),
//! read for what berth passes on or reports, never written: its credential helpers (by name;
//! `auths`, which may hold secrets, is never read) and its `currentContext`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{host, ui};

/// The parts of a docker config berth looks at (docker/cli `cli/config/configfile/file.go`,
/// `ConfigFile`). `auths` is deliberately not a field.
#[derive(Debug, Default, Deserialize)]
pub struct UserConfig {
    /// Where it was read from.
    #[serde(skip)]
    pub path: PathBuf,
    #[serde(rename = "credsStore", default, deserialize_with = "null_as_default")]
    pub creds_store: String,
    #[serde(rename = "credHelpers", default, deserialize_with = "null_as_default")]
    pub cred_helpers: BTreeMap<String, String>,
    #[serde(
        rename = "currentContext",
        default,
        deserialize_with = "null_as_default"
    )]
    pub current_context: String,
}

/// A JSON `null` read as the empty value, as Go's `encoding/json` leaves the field.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// The credential helpers of a config: `credsStore` for every registry, `credHelpers` per
/// registry (which docker asks first, `getConfiguredCredentialStore`).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Helpers {
    pub store: Option<String>,
    #[serde(rename = "cred_helpers")]
    pub per_registry: BTreeMap<String, String>,
}

/// The helpers berth passes on to the project's config, and the user's config they come from.
#[derive(Debug, Serialize)]
pub struct PassedCredentials {
    pub from: Option<PathBuf>,
    #[serde(flatten)]
    pub helpers: Helpers,
}

impl PassedCredentials {
    /// The user's helpers whose programs exist (`project_config`: see [`UserConfig::read`]).
    pub fn read(project_config: &Path) -> PassedCredentials {
        match UserConfig::read(project_config) {
            Some(user) => PassedCredentials {
                helpers: user.helpers().0,
                from: Some(user.path),
            },
            None => PassedCredentials {
                from: None,
                helpers: Helpers::default(),
            },
        }
    }

    /// In words, for `berth doctor`.
    pub fn describe(&self) -> String {
        let Some(from) = &self.from else {
            return "none: no docker config.json of yours".into();
        };
        let mut parts: Vec<String> = Vec::new();
        if let Some(store) = &self.helpers.store {
            parts.push(format!("docker-credential-{store} for every registry"));
        }
        for (registry, name) in &self.helpers.per_registry {
            parts.push(format!("docker-credential-{name} for {registry}"));
        }
        if parts.is_empty() {
            return format!("none passed on from {}", ui::display_path(from));
        }
        format!("{} (from {})", parts.join(", "), ui::display_path(from))
    }
}

/// A helper the user's config names whose program is not on PATH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingHelper {
    /// Its name: `docker-credential-<name>` is the program.
    pub name: String,
    /// Whether it is the `credsStore`.
    pub store: bool,
    /// The registries it serves through `credHelpers`.
    pub registries: Vec<String>,
}

impl UserConfig {
    /// The user's config, when there is one docker could read. `project_config` is the
    /// project's own directory: a `DOCKER_CONFIG` naming it, or any berth project's
    /// `.pixi/docker` (left by `berth env`), is berth's, not the user's.
    pub fn read(project_config: &Path) -> Option<UserConfig> {
        let dir = match host::var("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
            Some(dir) if !is_berths(Path::new(&dir), project_config) => PathBuf::from(dir),
            _ => host::home_dir()?.join(".docker"),
        };
        let path = dir.join("config.json");
        let text = std::fs::read(&path).ok()?;
        let mut config: UserConfig = serde_json::from_slice(&text).ok()?;
        config.path = path;
        Some(config)
    }

    /// The helpers it names whose program exists, and those whose program is missing.
    pub fn helpers(&self) -> (Helpers, Vec<MissingHelper>) {
        let mut available = Helpers::default();
        let mut missing: Vec<MissingHelper> = Vec::new();
        let mut note_missing = |name: &str, registry: Option<&str>| {
            let index = match missing.iter().position(|m| m.name == name) {
                Some(index) => index,
                None => {
                    missing.push(MissingHelper {
                        name: name.to_string(),
                        store: false,
                        registries: Vec::new(),
                    });
                    missing.len() - 1
                }
            };
            match registry {
                Some(registry) => missing[index].registries.push(registry.to_string()),
                None => missing[index].store = true,
            }
        };
        if !self.creds_store.is_empty() {
            if helper_exists(&self.creds_store) {
                available.store = Some(self.creds_store.clone());
            } else {
                note_missing(&self.creds_store, None);
            }
        }
        for (registry, name) in &self.cred_helpers {
            if helper_exists(name) {
                available
                    .per_registry
                    .insert(registry.clone(), name.clone());
            } else {
                note_missing(name, Some(registry));
            }
        }
        (available, missing)
    }
}

/// Whether `dir` is a berth project's docker config directory.
fn is_berths(dir: &Path, project_config: &Path) -> bool {
    dir == project_config || dir.ends_with(".pixi/docker")
}

/// Whether docker would find the program of helper `name`: `docker-credential-<name>` on
/// PATH (docker-credential-helpers `client/command.go`, `exec.Command`). A name with a path
/// separator would make docker run a file relative to the current directory, which is a
/// repository's: such a helper counts as missing.
fn helper_exists(name: &str) -> bool {
    !name.is_empty()
        && !name.contains(['/', '\\'])
        && which::which(format!("docker-credential-{name}")).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auths_are_never_read() {
        let config: UserConfig = serde_json::from_str(
            r#"{"auths": {"r.example": {"auth": "c2VjcmV0"}}, "credsStore": "desktop",
                "credHelpers": {"gcr.io": "gcloud"}, "currentContext": "remote"}"#,
        )
        .expect("parse");
        assert_eq!(config.creds_store, "desktop");
        assert_eq!(config.cred_helpers["gcr.io"], "gcloud");
        assert_eq!(config.current_context, "remote");
        assert!(!format!("{config:?}").contains("c2VjcmV0"));
        let nulls: UserConfig =
            serde_json::from_str(r#"{"credsStore": null, "credHelpers": null}"#).expect("parse");
        assert_eq!(nulls.creds_store, "");
    }

    #[test]
    fn a_helper_without_its_program_is_missing() {
        let config = UserConfig {
            creds_store: "berth-test-absent".into(),
            cred_helpers: BTreeMap::from([
                ("a.example".into(), "berth-test-absent".into()),
                ("b.example".into(), "../planted".into()),
            ]),
            ..UserConfig::default()
        };
        let (available, missing) = config.helpers();
        assert_eq!(available, Helpers::default());
        assert_eq!(
            missing,
            [
                MissingHelper {
                    name: "berth-test-absent".into(),
                    store: true,
                    registries: vec!["a.example".into()],
                },
                MissingHelper {
                    name: "../planted".into(),
                    store: false,
                    registries: vec!["b.example".into()],
                },
            ]
        );
    }

    #[test]
    fn a_berth_projects_config_is_not_the_users() {
        let ours = Path::new("/p/.pixi/docker");
        assert!(is_berths(ours, ours));
        assert!(is_berths(Path::new("/other/.pixi/docker"), ours));
        assert!(!is_berths(Path::new("/home/me/.docker"), ours));
    }
}
