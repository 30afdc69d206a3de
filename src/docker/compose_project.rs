//! The Compose project of `berth compose` and of a shell set up by `berth env`.
//!
//! Compose names a project after its directory, so two checkouts of one repository in
//! directories of the same name (`~/a/app`, `~/b/app`) would share a project and stop each
//! other's containers. berth exports `COMPOSE_PROJECT_NAME`: the `compose-project` setting,
//! by default the workspace name and a hash of the checkout's root. What wins, first first:
//!
//! 1. the project's own compose files: a top-level `name:` in a compose file, or a
//!    `COMPOSE_PROJECT_NAME` in its `.env`. berth then removes `COMPOSE_PROJECT_NAME` from the
//!    environment, since Compose itself would let the variable win over them;
//! 2. a `COMPOSE_PROJECT_NAME` the user exported, left as it is;
//! 3. `compose-project` (its default included), exported.
//!
//! A `-p` on the compose command line beats all of them, in Compose itself.

use std::path::PathBuf;

use super::compose_files::{ComposeFiles, Found};
use crate::settings::{ComposeName, Setting, Source, normalize_compose_name};
use crate::ui;

pub const COMPOSE_PROJECT_NAME: &str = "COMPOSE_PROJECT_NAME";
/// The name berth exported, set beside `COMPOSE_PROJECT_NAME`: in a shell where `berth env`
/// ran before (in another checkout, say), a `COMPOSE_PROJECT_NAME` equal to it is berth's to
/// replace, not the user's to keep.
pub const BERTH_COMPOSE_PROJECT_NAME: &str = "BERTH_COMPOSE_PROJECT_NAME";

/// Where the project's name comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A top-level `name:` in this compose file.
    ComposeFile(PathBuf),
    /// `COMPOSE_PROJECT_NAME` in this env file.
    EnvFile(PathBuf),
    /// The user's exported `COMPOSE_PROJECT_NAME`.
    Exported,
    /// The `compose-project` setting, from this source (`Default`: derived by berth).
    Setting(Source),
}

/// The project's name, where it comes from, and what it overrides.
#[derive(Debug, Clone)]
pub struct ComposeProject {
    /// The name as Compose will use it; a `name:` with `${…}` is shown as written.
    pub name: String,
    pub origin: Origin,
    /// The user's `COMPOSE_PROJECT_NAME`, when the compose files' name overrides it.
    pub overridden_export: Option<String>,
}

impl ComposeProject {
    /// The project for `files`, with the `compose-project` setting and the environment `env`.
    pub fn resolve(
        files: &ComposeFiles,
        setting: &Setting<ComposeName>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> ComposeProject {
        let berths = env(BERTH_COMPOSE_PROJECT_NAME);
        let exported = env(COMPOSE_PROJECT_NAME)
            .filter(|name| !name.is_empty() && Some(name) != berths.as_ref());
        let own = |found: Found, origin: fn(PathBuf) -> Origin| ComposeProject {
            name: found.text,
            origin: origin(found.path),
            overridden_export: exported.clone(),
        };
        // compose-go reads the env file's variable over the file's `name:` (`cli/options.go`,
        // `withNamePrecedenceLoad`).
        if let Some(found) = files.name_in_env_files() {
            return own(found, Origin::EnvFile);
        }
        if let Some(mut found) = files.name_in_files() {
            // compose-go normalises a name from a file after interpolating it (`loader.go`,
            // `projectName`); berth interpolates nothing, so `${…}` is shown as written.
            if !found.text.contains('$') {
                found.text = normalize_compose_name(&found.text);
            }
            return own(found, Origin::ComposeFile);
        }
        if let Some(name) = exported {
            return ComposeProject {
                name,
                origin: Origin::Exported,
                overridden_export: None,
            };
        }
        ComposeProject {
            name: setting.value.to_string(),
            origin: Origin::Setting(setting.source.clone()),
            overridden_export: None,
        }
    }

    /// The variables to set: the user's own name again (so `berth env --json` shows it), or
    /// berth's with its marker.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        match self.origin {
            Origin::ComposeFile(_) | Origin::EnvFile(_) => Vec::new(),
            Origin::Exported => vec![(COMPOSE_PROJECT_NAME, self.name.clone())],
            Origin::Setting(_) => vec![
                (COMPOSE_PROJECT_NAME, self.name.clone()),
                (BERTH_COMPOSE_PROJECT_NAME, self.name.clone()),
            ],
        }
    }

    /// The variables to remove: when the compose files name the project, so that no
    /// variable outranks them.
    pub fn removed(&self) -> &'static [&'static str] {
        match self.origin {
            Origin::ComposeFile(_) | Origin::EnvFile(_) => {
                &[COMPOSE_PROJECT_NAME, BERTH_COMPOSE_PROJECT_NAME]
            }
            Origin::Exported | Origin::Setting(_) => &[],
        }
    }

    /// Where the name comes from, in words (`berth doctor`).
    pub fn source(&self) -> String {
        match &self.origin {
            Origin::ComposeFile(path) => format!("name: in {}", ui::display_path(path)),
            Origin::EnvFile(path) => {
                format!("{COMPOSE_PROJECT_NAME} in {}", ui::display_path(path))
            }
            Origin::Exported => format!("env {COMPOSE_PROJECT_NAME}"),
            Origin::Setting(Source::Default) => {
                "default: the workspace name and a hash of this checkout's root".into()
            }
            Origin::Setting(source) => format!("compose-project ({source})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::path::Path;

    use super::*;
    use crate::docker::compose_files::Implementation;

    fn derived() -> Setting<ComposeName> {
        Setting {
            value: ComposeName::derive("app", "0a1b2c3d"),
            source: Source::Default,
        }
    }

    fn resolve(dir: &Path, env: &[(&str, &str)]) -> ComposeProject {
        let lookup = |name: &str| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        };
        let args: [OsString; 0] = [];
        let files = ComposeFiles::find(dir, &args, Implementation::Plugin, &lookup);
        ComposeProject::resolve(&files, &derived(), &lookup)
    }

    #[test]
    fn berths_name_is_exported_with_its_marker() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("compose.yaml"), "services: {}\n").expect("write");
        let project = resolve(dir.path(), &[]);
        assert_eq!(project.name, "app-0a1b2c3d");
        assert_eq!(
            project.vars(),
            [
                (COMPOSE_PROJECT_NAME, "app-0a1b2c3d".to_string()),
                (BERTH_COMPOSE_PROJECT_NAME, "app-0a1b2c3d".to_string())
            ]
        );
        assert!(project.removed().is_empty());
    }

    #[test]
    fn the_users_name_wins_over_berths_unless_berth_exported_it() {
        let dir = tempfile::tempdir().expect("tmp");
        let mine = resolve(dir.path(), &[(COMPOSE_PROJECT_NAME, "mine")]);
        assert_eq!(
            (mine.name.as_str(), &mine.origin),
            ("mine", &Origin::Exported)
        );
        assert_eq!(mine.vars(), [(COMPOSE_PROJECT_NAME, "mine".to_string())]);
        // What `berth env` exported in another checkout is replaced.
        let stale = resolve(
            dir.path(),
            &[
                (COMPOSE_PROJECT_NAME, "app-ffffffff"),
                (BERTH_COMPOSE_PROJECT_NAME, "app-ffffffff"),
            ],
        );
        assert_eq!(stale.name, "app-0a1b2c3d");
        let empty = resolve(dir.path(), &[(COMPOSE_PROJECT_NAME, "")]);
        assert_eq!(empty.name, "app-0a1b2c3d");
    }

    #[test]
    fn the_compose_files_name_wins_over_everything_and_removes_the_variable() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("compose.yaml"), "name: My_App\n").expect("write");
        let named = resolve(dir.path(), &[(COMPOSE_PROJECT_NAME, "mine")]);
        assert_eq!(named.name, "my_app");
        assert_eq!(
            named.origin,
            Origin::ComposeFile(dir.path().join("compose.yaml"))
        );
        assert_eq!(named.overridden_export.as_deref(), Some("mine"));
        assert!(named.vars().is_empty());
        assert_eq!(
            named.removed(),
            [COMPOSE_PROJECT_NAME, BERTH_COMPOSE_PROJECT_NAME]
        );
        // The `.env` beside it outranks `name:`, in Compose itself.
        std::fs::write(dir.path().join(".env"), "COMPOSE_PROJECT_NAME=from-env\n").expect("write");
        let env_file = resolve(dir.path(), &[]);
        assert_eq!(env_file.name, "from-env");
        assert_eq!(env_file.origin, Origin::EnvFile(dir.path().join(".env")));
        assert!(env_file.vars().is_empty());
    }
}
