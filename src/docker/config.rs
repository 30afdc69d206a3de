//! The project's `DOCKER_CONFIG` directory (`.pixi/docker`) and the CLI plugins docker finds
//! through it.
//!
//! Pointing `DOCKER_CONFIG` at the project hides `~/.docker/cli-plugins` and any
//! `cliPluginsExtraDirs` of the user's own config, so `docker compose` and `docker buildx` would
//! vanish, and hides the user's registry logins. berth writes a `config.json` whose
//! `cliPluginsExtraDirs` lists the user's plugin directories, and whose `credsStore` and
//! `credHelpers` name the user's credential helpers whose programs exist: logins are reached by
//! reference, through the helper, never copied. `auths` (which may hold secrets) is never read,
//! and a helper whose program is missing is left out (a `"desktop"` store left behind by
//! Docker Desktop breaks every pull; `berth doctor` names it). berth rewrites the file only
//! while it is still exactly what berth last wrote, which a hash under `.pixi/berth/` records;
//! a file the user (or `docker login`) changed is theirs from then on.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::diag::Diagnostic;
use crate::host;
use crate::private_fs;
use crate::project::Layout;
use crate::ui;

use super::user_config::{Helpers, PassedCredentials};

const CONFIG_FILE: &str = "config.json";
/// The hash of the `config.json` berth last wrote, under `.pixi/berth/`.
const MARKER_FILE: &str = "docker-config.xxh3";

/// Plugin directories outside the user's home, in the order berth lists them: Homebrew on
/// Apple silicon and on Intel, Docker Desktop's bundle, then the Linux packages' directories.
const WELL_KNOWN_PLUGIN_DIRS: &[&str] = &[
    "/opt/homebrew/lib/docker/cli-plugins",
    "/usr/local/lib/docker/cli-plugins",
    "/Applications/Docker.app/Contents/Resources/cli-plugins",
    "/usr/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins",
    "/usr/local/libexec/docker/cli-plugins",
];

/// The directories docker itself always searches after the config directory's `cli-plugins`
/// (docker/cli `cli-plugins/manager/manager_unix.go`).
#[cfg(unix)]
const DOCKER_SYSTEM_PLUGIN_DIRS: &[&str] = &[
    "/usr/local/lib/docker/cli-plugins",
    "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins",
    "/usr/libexec/docker/cli-plugins",
];
#[cfg(not(unix))]
const DOCKER_SYSTEM_PLUGIN_DIRS: &[&str] = &[];

/// The user's plugin directories that exist: `~/.docker/cli-plugins`, Homebrew's (also under
/// `$HOMEBREW_PREFIX`), Docker Desktop's and the system packages'.
pub fn user_plugin_dirs() -> Vec<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(home) = host::home_dir() {
        candidates.push(home.join(".docker").join("cli-plugins"));
    }
    if let Some(prefix) = host::var("HOMEBREW_PREFIX").filter(|p| !p.is_empty()) {
        candidates.push(PathBuf::from(prefix).join("lib/docker/cli-plugins"));
    }
    candidates.extend(WELL_KNOWN_PLUGIN_DIRS.iter().map(PathBuf::from));
    let mut dirs: Vec<PathBuf> = Vec::new();
    for dir in candidates {
        if dir.is_dir() && !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    dirs
}

/// The `config.json` berth writes for these plugin directories and credential helpers.
fn render(plugin_dirs: &[PathBuf], helpers: &Helpers) -> String {
    // A path that is not UTF-8 cannot be written in JSON; docker could not read it back either.
    let dirs: Vec<&str> = plugin_dirs.iter().filter_map(|d| d.to_str()).collect();
    let mut config = serde_json::json!({ "cliPluginsExtraDirs": dirs });
    if let Some(store) = &helpers.store {
        config["credsStore"] = store.as_str().into();
    }
    if !helpers.per_registry.is_empty() {
        config["credHelpers"] = serde_json::json!(helpers.per_registry);
    }
    let mut text = serde_json::to_string_pretty(&config).expect("a JSON value always prints");
    text.push('\n');
    text
}

fn mark(contents: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(contents))
}

/// Make sure `.pixi/docker/config.json` lists the user's plugin directories and credential
/// helpers: write it when it is missing, or when it is berth's own and stale. Leave a file
/// someone else changed alone.
///
/// The common case (berth's file, up to date) costs a few `stat`s, the user's config and
/// one small read.
pub fn seed(layout: &Layout) -> Result<()> {
    let passed = PassedCredentials::read(&layout.docker_config);
    let wanted = render(&user_plugin_dirs(), &passed.helpers);
    let wanted_mark = mark(wanted.as_bytes());
    let config_path = layout.docker_config.join(CONFIG_FILE);
    let marker_path = layout.berth_dir.join(MARKER_FILE);
    // Private from the start (a config may come to hold credentials), and no planted link:
    // docker would read, and `docker login` write, whatever it points to.
    private_fs::ensure_dir(&layout.docker_config)?;
    if config_path.is_symlink() {
        return Err(Diagnostic::new(format!(
            "`{}` is a symbolic link berth did not create",
            config_path.display()
        ))
        .help(format!(
            "remove the link (`rm {}`): berth writes its own config there, without credentials, \
             and leaves the link's target alone",
            config_path.display()
        ))
        .into());
    }
    let recorded = std::fs::read_to_string(&marker_path).ok();
    let recorded = recorded.as_deref().map(str::trim);
    if recorded == Some(wanted_mark.as_str()) && config_path.is_file() {
        return Ok(());
    }
    match std::fs::read(&config_path) {
        Err(err) if err.kind() == ErrorKind::NotFound => {}
        Ok(current) if recorded == Some(mark(&current).as_str()) => {
            ui::debug(&format!(
                "updating {} (the plugin directories changed)",
                config_path.display()
            ));
        }
        Ok(_) => {
            ui::debug(&format!(
                "{} is not berth's (it was edited); leaving it as it is",
                config_path.display()
            ));
            return Ok(());
        }
        Err(err) => {
            return Err(err).with_context(|| format!("failed to read {}", config_path.display()));
        }
    }
    private_fs::write_atomic(&config_path, wanted.as_bytes())?;
    private_fs::ensure_dir(&layout.berth_dir)?;
    private_fs::write_atomic(&marker_path, format!("{wanted_mark}\n").as_bytes())?;
    Ok(())
}

/// The directories docker searches for CLI plugins with `docker_config` as its config
/// directory, in docker's order: the config's `cliPluginsExtraDirs`, the config directory's
/// `cli-plugins`, then the system directories.
pub fn plugin_search_path(docker_config: &Path) -> Vec<PathBuf> {
    let mut dirs = extra_dirs(&docker_config.join(CONFIG_FILE));
    dirs.push(docker_config.join("cli-plugins"));
    dirs.extend(DOCKER_SYSTEM_PLUGIN_DIRS.iter().map(PathBuf::from));
    dirs
}

/// `cliPluginsExtraDirs` of a config file; none when it is missing or unreadable (docker
/// then searches only its default directories, too).
fn extra_dirs(config_path: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read(config_path) else {
        return Vec::new();
    };
    let Ok(config) = serde_json::from_slice::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    config
        .get("cliPluginsExtraDirs")
        .and_then(serde_json::Value::as_array)
        .map(|dirs| {
            dirs.iter()
                .filter_map(serde_json::Value::as_str)
                .map(PathBuf::from)
                .collect()
        })
        .unwrap_or_default()
}

/// The CLI plugin `docker-<name>` docker would run for `docker <name>`, if any.
pub fn find_plugin(docker_config: &Path, name: &str) -> Option<PathBuf> {
    let file = format!("docker-{name}{}", std::env::consts::EXE_SUFFIX);
    plugin_search_path(docker_config)
        .into_iter()
        .map(|dir| dir.join(&file))
        .find(|path| path.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> (tempfile::TempDir, Layout) {
        let dir = tempfile::tempdir().expect("temp dir");
        let layout = Layout::new(dir.path());
        (dir, layout)
    }

    #[test]
    fn config_lists_the_plugin_dirs_and_helpers_and_nothing_else() {
        let none = render(
            &[PathBuf::from("/a/cli-plugins"), PathBuf::from("/b")],
            &Helpers::default(),
        );
        let value: serde_json::Value = serde_json::from_str(&none).expect("valid JSON");
        assert_eq!(
            value,
            serde_json::json!({ "cliPluginsExtraDirs": ["/a/cli-plugins", "/b"] })
        );
        let helpers = Helpers {
            store: Some("pass".into()),
            per_registry: [("gcr.io".to_string(), "gcloud".to_string())].into(),
        };
        let value: serde_json::Value =
            serde_json::from_str(&render(&[], &helpers)).expect("valid JSON");
        assert_eq!(
            value,
            serde_json::json!({ "cliPluginsExtraDirs": [], "credsStore": "pass",
                                "credHelpers": { "gcr.io": "gcloud" } })
        );
    }

    #[test]
    fn a_stale_config_of_berths_is_rewritten_and_an_edited_one_is_kept() {
        let (_dir, layout) = layout();
        seed(&layout).expect("first seed");
        let config = layout.docker_config.join(CONFIG_FILE);
        let marker = layout.berth_dir.join(MARKER_FILE);

        // Berth's own file, but for other plugin dirs: brought up to date.
        let stale = render(&[PathBuf::from("/gone")], &Helpers::default());
        std::fs::write(&config, &stale).expect("write");
        std::fs::write(&marker, mark(stale.as_bytes())).expect("write");
        seed(&layout).expect("reseed");
        assert_eq!(
            std::fs::read_to_string(&config).expect("read"),
            render(
                &user_plugin_dirs(),
                &PassedCredentials::read(&layout.docker_config).helpers
            )
        );

        // Someone else's edit: left byte for byte.
        let edited = "{\"auths\": {}, \"cliPluginsExtraDirs\": [\"/gone\"]}";
        std::fs::write(&config, edited).expect("write");
        std::fs::write(&marker, mark(stale.as_bytes())).expect("write");
        seed(&layout).expect("seed");
        assert_eq!(std::fs::read_to_string(&config).expect("read"), edited);
    }

    #[test]
    fn a_config_berth_never_wrote_is_never_touched() {
        let (_dir, layout) = layout();
        std::fs::create_dir_all(&layout.docker_config).expect("mkdir");
        let config = layout.docker_config.join(CONFIG_FILE);
        std::fs::write(&config, "{}").expect("write");
        seed(&layout).expect("seed");
        assert_eq!(std::fs::read_to_string(&config).expect("read"), "{}");
    }

    #[test]
    fn plugins_are_found_through_the_configs_extra_dirs_first() {
        let (dir, layout) = layout();
        let extra = dir.path().join("extra");
        std::fs::create_dir_all(&extra).expect("mkdir");
        std::fs::create_dir_all(&layout.docker_config).expect("mkdir");
        std::fs::write(
            layout.docker_config.join(CONFIG_FILE),
            render(std::slice::from_ref(&extra), &Helpers::default()),
        )
        .expect("write");
        let search = plugin_search_path(&layout.docker_config);
        assert_eq!(search[0], extra);
        assert_eq!(search[1], layout.docker_config.join("cli-plugins"));
        assert_eq!(find_plugin(&layout.docker_config, "berth-test-none"), None);
        let plugin = extra.join("docker-berth-test");
        std::fs::write(&plugin, "").expect("write");
        assert_eq!(
            find_plugin(&layout.docker_config, "berth-test"),
            Some(plugin)
        );
    }
}
