//! What the user set for docker that berth's commands do not follow, each with what to do if
//! the user meant it (`berth doctor` lists them): an exported `DOCKER_CONTEXT` (removed) or
//! `DOCKER_HOST` (replaced while `respect-docker-host` is off), the docker config's
//! `currentContext` (the project's config has none), a credential helper whose program is
//! missing (left out of the project's config), and a `COMPOSE_PROJECT_NAME` the compose files
//! outrank.

use serde::Serialize;

use super::compose_project::{COMPOSE_PROJECT_NAME, ComposeProject, Origin};
use super::user_config::{MissingHelper, UserConfig};
use super::{DOCKER_CONTEXT, DOCKER_HOST};
use crate::project::Layout;
use crate::{host, ui};

/// One setting of the user's that berth's commands override.
#[derive(Debug, Serialize)]
pub struct Override {
    /// The variable or config key: `DOCKER_CONTEXT`, `currentContext`, `credsStore`, …
    pub setting: &'static str,
    pub value: String,
    /// `environment`, or the file that sets it.
    pub source: String,
    /// What berth's commands do instead, in words.
    pub message: String,
    pub help: Vec<String>,
}

/// What berth's commands need to know to list the overrides.
pub struct Inputs<'a> {
    pub layout: &'a Layout,
    pub respect_docker_host: bool,
    /// The `DOCKER_HOST` of the project's runtime, when it has one.
    pub project_host: Option<&'a str>,
    pub compose_project: &'a ComposeProject,
}

const ENVIRONMENT: &str = "environment";

/// Everything the user set that berth's commands override, in a stable order.
pub fn list(inputs: &Inputs<'_>) -> Vec<Override> {
    let mut overrides = Vec::new();
    let exported = |name: &str| host::var_str(name).filter(|v| !v.is_empty());
    if let Some(context) = exported(DOCKER_CONTEXT) {
        overrides.push(Override {
            setting: DOCKER_CONTEXT,
            message: format!(
                "{DOCKER_CONTEXT}={context} ({ENVIRONMENT}): berth's commands unset it and talk \
                 to the engine at berth's {DOCKER_HOST}"
            ),
            help: vec![use_context_help(&context)],
            value: context,
            source: ENVIRONMENT.into(),
        });
    }
    if let Some(docker_host) = exported(DOCKER_HOST)
        && !inputs.respect_docker_host
        && inputs.project_host != Some(docker_host.as_str())
    {
        overrides.push(Override {
            setting: DOCKER_HOST,
            message: format!(
                "{DOCKER_HOST}={docker_host} ({ENVIRONMENT}): berth's commands use the \
                 project's engine instead (respect-docker-host is off)"
            ),
            help: vec![
                "to keep yours, set `respect-docker-host = true` in [tool.berth] (or export \
                 BERTH_RESPECT_DOCKER_HOST=1)"
                    .into(),
            ],
            value: docker_host,
            source: ENVIRONMENT.into(),
        });
    }
    if let Some(user) = UserConfig::read(&inputs.layout.docker_config) {
        let source = ui::display_path(&user.path);
        if !user.current_context.is_empty() && user.current_context != "default" {
            overrides.push(Override {
                setting: "currentContext",
                message: format!(
                    "currentContext `{}` in {source}: berth's commands read \
                     .pixi/docker/config.json, which selects no context",
                    user.current_context
                ),
                help: vec![use_context_help(&user.current_context)],
                value: user.current_context.clone(),
                source: source.clone(),
            });
        }
        let (_, missing) = user.helpers();
        overrides.extend(missing.iter().map(|helper| missing_helper(helper, &source)));
    }
    overrides.extend(compose_name(inputs.compose_project));
    overrides
}

/// What to do to reach a context's engine from berth's commands.
fn use_context_help(context: &str) -> String {
    format!(
        "if you meant that context's engine for this project: set `respect-docker-host = true` \
         in [tool.berth] and export its endpoint, `export DOCKER_HOST=\"$(docker context \
         inspect {context} --format '{{{{.Endpoints.docker.Host}}}}')\"`"
    )
}

fn missing_helper(helper: &MissingHelper, source: &str) -> Override {
    let program = format!("docker-credential-{}", helper.name);
    let (setting, role) = match (helper.store, helper.registries.as_slice()) {
        (true, []) => ("credsStore", "credsStore".to_string()),
        (true, registries) => (
            "credsStore",
            format!("credsStore (and credHelpers for {})", registries.join(", ")),
        ),
        (false, registries) => (
            "credHelpers",
            format!("credHelpers for {}", registries.join(", ")),
        ),
    };
    let mut entries: Vec<String> = Vec::new();
    if helper.store {
        entries.push(format!("\"credsStore\": \"{}\"", helper.name));
    }
    entries.extend(
        helper
            .registries
            .iter()
            .map(|registry| format!("\"{registry}\": \"{}\" in credHelpers", helper.name)),
    );
    let mut help = vec![format!(
        "logins stored through it are out of reach: install `{program}`, or remove {} from \
         {source}",
        entries.join(", ")
    )];
    if helper.name == "desktop" {
        help.push(
            "a `desktop` store is what Docker Desktop leaves behind when it is removed".into(),
        );
    }
    Override {
        setting,
        value: helper.name.clone(),
        source: source.to_string(),
        message: format!(
            "{role} `{}` in {source}: `{program}` is not on PATH, so berth leaves it out of \
             .pixi/docker/config.json",
            helper.name
        ),
        help,
    }
}

/// The user's `COMPOSE_PROJECT_NAME`, when the compose files' own name outranks it.
fn compose_name(project: &ComposeProject) -> Option<Override> {
    let mine = project.overridden_export.as_deref()?;
    let (file, what) = match &project.origin {
        Origin::ComposeFile(path) => (ui::display_path(path), "`name:`"),
        Origin::EnvFile(path) => (ui::display_path(path), COMPOSE_PROJECT_NAME),
        Origin::Exported | Origin::Setting(_) => return None,
    };
    Some(Override {
        setting: COMPOSE_PROJECT_NAME,
        value: mine.to_string(),
        source: ENVIRONMENT.into(),
        message: format!(
            "{COMPOSE_PROJECT_NAME}={mine} ({ENVIRONMENT}): {file} names the project `{}` \
             ({what}), which berth's compose commands follow",
            project.name
        ),
        help: vec![format!(
            "to use yours, pass it to compose (`berth compose -p {mine} …`), or remove {what} \
             from {file}"
        )],
    })
}
