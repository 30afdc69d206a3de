//! The process environment a task runs in: the caller's (or the `clean-env` subset), then
//! what activating the environment sets, as pixi v0.77.0 does it
//! (`crates/pixi_core/src/activation.rs`, and `rattler_shell` 0.27.12 `Activator::activation`):
//!
//! 1. `PATH` gains `.pixi/envs/<env>/bin` in front (it is replaced under `clean-env`),
//!    `CONDA_SHLVL` goes up by one, `CONDA_PREFIX` names the environment's directory;
//! 2. the variables of the packages pixi installed there (`etc/conda/env_vars.d/*.json`,
//!    `conda-meta/state`), then the `PIXI_*` variables, `CONDA_DEFAULT_ENV` and
//!    `PIXI_PROMPT`;
//! 3. the packages' `etc/conda/activate.d/*.sh` and the environment's `activation.scripts`
//!    are sourced by bash;
//! 4. its `activation.env` is exported, a value with `$` expanded by that bash;
//! 5. `INIT_CWD` is the directory `berth run` started in.
//!
//! A variable the activation replaces keeps its old value in `CONDA_ENV_SHLVL_<n>_<name>`, as
//! rattler writes it for deactivation. Without scripts and without a `$` to expand, nothing
//! needs a shell and the same result is computed in place.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use super::environments::{Environment, targets};
use crate::diag::Diagnostic;
use crate::host;
use crate::process;
use crate::ui;

/// The workspace facts activation exports.
pub struct Workspace<'w> {
    pub root: &'w Path,
    pub manifest_path: &'w Path,
    pub name: &'w str,
    pub version: Option<&'w str>,
    /// `.pixi/envs`, where pixi installs environments.
    pub envs_dir: &'w Path,
}

/// An environment's `[activation]` on its platform.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Spec {
    /// Script paths as written, relative to the workspace root.
    pub scripts: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// The `[activation]` of `environment` on its platform: per feature the scripts of its most
/// specific target that has any, in feature order; the variables of every target, the most
/// specific feature and target winning (`Environment::activation_scripts`,
/// `activation_env`).
pub fn spec(environment: &Environment<'_>) -> Spec {
    let platform = environment.platform();
    let mut spec = Spec::default();
    for feature in &environment.features {
        let resolved: Vec<_> = targets(std::slice::from_ref(feature), Some(&platform))
            .filter_map(|t| t.activation.as_ref())
            .collect();
        if let Some(scripts) = resolved.iter().find_map(|a| a.scripts.as_ref()) {
            spec.scripts.extend(scripts.iter().cloned());
        }
        for (key, value) in resolved.iter().filter_map(|a| a.env.as_ref()).flatten() {
            if !spec.env.iter().any(|(k, _)| k == key) {
                spec.env.push((key.clone(), value.clone()));
            }
        }
    }
    spec
}

/// The variables a task of `environment` runs with.
pub fn activate(
    workspace: &Workspace<'_>,
    environment: &Environment<'_>,
    clean: bool,
) -> Result<HashMap<OsString, OsString>> {
    let current: HashMap<OsString, OsString> = host::vars().into_iter().collect();
    let mut env: HashMap<OsString, OsString> = if clean {
        current
            .iter()
            .filter(|(key, _)| key.to_str().is_some_and(kept_by_clean_env))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    } else {
        current.clone()
    };
    let spec = spec(environment);
    let prefix = workspace.envs_dir.join(&environment.name);
    let installed = Installed::read(&prefix)?;
    let mut scripts = installed.scripts;
    scripts.extend(existing_scripts(
        workspace.root,
        &spec.scripts,
        &environment.platform().subdir,
    ));
    let mut variables = installed.variables;
    for (key, value) in metadata(workspace, environment) {
        set(&mut variables, key, value);
    }
    let exports = exports(&prefix, &variables, &current, clean);
    let needs_shell = !scripts.is_empty() || spec.env.iter().any(|(_, v)| v.contains('$'));
    if needs_shell {
        env.extend(run_in_bash(
            &exports,
            &scripts,
            &spec.env,
            &current,
            environment,
        )?);
    } else {
        let shlvl = shell_level(&current);
        for (key, value) in exports
            .iter()
            .chain(backed_up(&spec.env, &current, shlvl).iter())
        {
            env.insert(key.into(), value.into());
        }
    }
    if let Ok(cwd) = host::current_dir() {
        env.insert("INIT_CWD".into(), cwd.into_os_string());
    }
    Ok(env)
}

/// What activation exports before the scripts run, in order.
fn exports(
    prefix: &Path,
    variables: &[(String, String)],
    current: &HashMap<OsString, OsString>,
    clean: bool,
) -> Vec<(String, String)> {
    let bin = prefix.join("bin");
    let path = match current.get(&OsString::from("PATH")) {
        Some(path) if !clean => format!("{}:{}", bin.display(), path.to_string_lossy()),
        _ if clean => bin.display().to_string(),
        _ => format!("{}:", bin.display()),
    };
    let shlvl = shell_level(current);
    let mut out = vec![
        ("PATH".to_string(), path),
        ("CONDA_SHLVL".to_string(), shlvl.to_string()),
    ];
    if let Some(old) = current.get(&OsString::from("CONDA_PREFIX")) {
        out.push((
            format!("CONDA_ENV_SHLVL_{shlvl}_CONDA_PREFIX"),
            old.to_string_lossy().into_owned(),
        ));
    }
    out.push(("CONDA_PREFIX".to_string(), prefix.display().to_string()));
    out.extend(backed_up(variables, current, shlvl));
    out
}

/// Set `key` in an ordered list of variables: in its place when it is there, else at the end.
fn set(variables: &mut Vec<(String, String)>, key: String, value: String) {
    match variables.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => entry.1 = value,
        None => variables.push((key, value)),
    }
}

/// What the packages installed in an environment's directory bring to its activation
/// (`rattler_shell` 0.27.12, `Activator::from_path`).
struct Installed {
    /// `etc/conda/activate.d/*.sh`, by name.
    scripts: Vec<PathBuf>,
    /// `etc/conda/env_vars.d/*.json` by name, then `env_vars` of `conda-meta/state`.
    variables: Vec<(String, String)>,
}

impl Installed {
    fn read(prefix: &Path) -> Result<Installed> {
        let mut scripts = files_in(&prefix.join("etc/conda/activate.d"));
        scripts.retain(|p| p.extension().is_some_and(|e| e == "sh"));
        let mut variables = Vec::new();
        for file in files_in(&prefix.join("etc/conda/env_vars.d")) {
            for (key, value) in json_strings(&file, |json| json.as_object())? {
                set(&mut variables, key, value);
            }
        }
        let state = prefix.join("conda-meta/state");
        if state.is_file() {
            let pairs = json_strings(&state, |json| json.get("env_vars")?.as_object())?;
            for (key, value) in pairs {
                set(&mut variables, key.to_uppercase(), value);
            }
        }
        Ok(Installed { scripts, variables })
    }
}

/// The regular files of a directory, sorted; none when it does not exist.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// The string values of the JSON object `pick` finds in `file`; other values are skipped, as
/// rattler skips them.
fn json_strings(
    file: &Path,
    pick: impl Fn(&serde_json::Value) -> Option<&serde_json::Map<String, serde_json::Value>>,
) -> Result<Vec<(String, String)>> {
    let text = fs_err::read_to_string(file)?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|err| {
        Diagnostic::new(format!(
            "the activation variables in `{}` are not valid JSON: {err}",
            ui::display_path(file)
        ))
        .help("reinstall the environment with `pixi install`")
    })?;
    let object = pick(&json).ok_or_else(|| {
        Diagnostic::new(format!(
            "`{}` does not hold a JSON object of variables",
            ui::display_path(file)
        ))
        .help("reinstall the environment with `pixi install`")
    })?;
    Ok(object
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect())
}

/// The `PIXI_*` variables, `CONDA_DEFAULT_ENV` and `PIXI_PROMPT`
/// (`Workspace::get_metadata_env`, `Environment::get_metadata_env`,
/// `get_static_environment_variables`).
fn metadata(workspace: &Workspace<'_>, environment: &Environment<'_>) -> Vec<(String, String)> {
    let label = if environment.is_default() {
        workspace.name.to_string()
    } else {
        format!("{}:{}", workspace.name, environment.name)
    };
    let platforms: Vec<&str> = environment
        .platforms
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let mut vars = vec![
        (
            "PIXI_PROJECT_ROOT".to_string(),
            workspace.root.display().to_string(),
        ),
        ("PIXI_PROJECT_NAME".to_string(), workspace.name.to_string()),
        (
            "PIXI_PROJECT_MANIFEST".to_string(),
            workspace.manifest_path.display().to_string(),
        ),
        (
            "PIXI_PROJECT_VERSION".to_string(),
            workspace
                .version
                .unwrap_or("NO_VERSION_SPECIFIED")
                .to_string(),
        ),
        ("PIXI_IN_SHELL".to_string(), "1".to_string()),
    ];
    if let Ok(exe) = host::current_exe() {
        vars.push(("PIXI_EXE".to_string(), exe.display().to_string()));
    }
    vars.extend([
        ("CONDA_DEFAULT_ENV".to_string(), label.clone()),
        (
            "PIXI_ENVIRONMENT_NAME".to_string(),
            environment.name.clone(),
        ),
        (
            "PIXI_ENVIRONMENT_PLATFORMS".to_string(),
            platforms.join(","),
        ),
        ("PIXI_PROMPT".to_string(), format!("({label}) ")),
    ]);
    vars
}

/// `CONDA_SHLVL` after this activation.
fn shell_level(current: &HashMap<OsString, OsString>) -> i64 {
    current
        .get(&OsString::from("CONDA_SHLVL"))
        .and_then(|v| v.to_str()?.parse::<i64>().ok())
        .unwrap_or(0)
        + 1
}

/// `vars`, each preceded by a backup of the value it replaces (`apply_env_vars_with_backup`).
fn backed_up(
    vars: &[(String, String)],
    current: &HashMap<OsString, OsString>,
    shlvl: i64,
) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(vars.len());
    for (key, value) in vars {
        if let Some(old) = current.get(&OsString::from(key)) {
            out.push((
                format!("CONDA_ENV_SHLVL_{shlvl}_{key}"),
                old.to_string_lossy().into_owned(),
            ));
        }
        out.push((key.clone(), value.clone()));
    }
    out
}

/// The scripts that exist, with a warning for the others and for a script bash cannot source
/// (`get_activator`).
fn existing_scripts(root: &Path, scripts: &[String], subdir: &str) -> Vec<PathBuf> {
    let (found, missing): (Vec<PathBuf>, Vec<PathBuf>) = scripts
        .iter()
        .map(|script| root.join(script))
        .partition(|path| path.is_file());
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|p| ui::display_path(p)).collect();
        ui::warn(&format!(
            "Could not find activation scripts: {}",
            names.join(", ")
        ));
    }
    let windows = super::platforms::is_windows(subdir);
    for script in &found {
        let extension = script.extension().and_then(|e| e.to_str()).unwrap_or("");
        let fits = if windows {
            extension == "bat"
        } else {
            matches!(extension, "sh" | "bash")
        };
        if !fits {
            ui::warn(&format!(
                "The activation script '{}' does not have the correct extension for the platform '{subdir}'. The extension should be '{}'.",
                script.display(),
                if windows { ".bat" } else { ".sh' or '.bash" }
            ));
        }
    }
    found
}

/// The marker between the environment printed before and after activation.
const SEPARATOR: &str = "<=== RATTLER ENV START ===>";

/// Run the activation in bash, as pixi does, and return the variables it changed.
fn run_in_bash(
    exports: &[(String, String)],
    scripts: &[PathBuf],
    post: &[(String, String)],
    current: &HashMap<OsString, OsString>,
    environment: &Environment<'_>,
) -> Result<Vec<(OsString, OsString)>> {
    let shlvl = shell_level(current);
    let mut script = format!("/usr/bin/env -0\necho '{SEPARATOR}'\n");
    for (key, value) in exports {
        script.push_str(&export(key, value));
    }
    for path in scripts {
        script.push_str(&format!(". {}\n", single_quoted(&path.to_string_lossy())));
    }
    for (key, value) in backed_up(post, current, shlvl) {
        script.push_str(&export(&key, &value));
    }
    script.push_str(&format!("echo '{SEPARATOR}'\n/usr/bin/env -0\n"));
    let bash = process::require_program("bash", None)?;
    let mut command = Command::new(bash);
    command.arg("-c").arg(&script);
    let captured = process::capture(command)?;
    if captured.status != crate::exit::ExitStatus::Success {
        let mut diagnostic = Diagnostic::new(format!(
            "failed to run the activation of environment '{}' (exit code {})",
            environment.name,
            captured.status.code()
        ));
        for line in captured
            .stderr
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            diagnostic = diagnostic.help(format!("bash: {line}"));
        }
        return Err(diagnostic
            .help("fix the `activation.scripts` or `activation.env` of the environment's features")
            .into());
    }
    let mut parts = captured.stdout.splitn(3, SEPARATOR);
    let before = parse_env(parts.next().unwrap_or(""));
    let _activation_output = parts.next();
    let after = parse_env(parts.next().unwrap_or(""));
    Ok(after
        .into_iter()
        .filter(|(key, value)| !key.is_empty() && before.get(key) != Some(value))
        .map(|(key, value)| (key.into(), value.into()))
        .collect())
}

/// `export K=V` for bash: a value with `$` in double quotes so bash expands it, any other
/// quoted to stay literal (`rattler_shell` `Bash::set_env_var`).
fn export(key: &str, value: &str) -> String {
    if value.contains('$') {
        format!("export {key}=\"{}\"\n", value.replace('"', "\\\""))
    } else {
        format!("export {key}={}\n", single_quoted(value))
    }
}

fn single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `env -0` output: `KEY=VALUE` records separated by NUL.
fn parse_env(text: &str) -> HashMap<String, String> {
    text.trim_start_matches('\n')
        .split('\0')
        .filter_map(|record| {
            let record = record.trim_start_matches('\n');
            let (key, value) = record.split_once('=')?;
            Some((key.to_string(), value.to_string()))
        })
        .collect()
}

/// Whether `clean-env` keeps a variable (`get_clean_environment_variables`; three more on
/// macOS).
fn kept_by_clean_env(key: &str) -> bool {
    CLEAN_ENV_KEEP.contains(&key)
        || (host::Os::current() == host::Os::Macos && CLEAN_ENV_KEEP_MACOS.contains(&key))
}

const CLEAN_ENV_KEEP: &[&str] = &[
    "DISPLAY",
    "LC_ALL",
    "LC_TIME",
    "LC_NUMERIC",
    "LC_MEASUREMENT",
    "SHELL",
    "USER",
    "USERNAME",
    "LOGNAME",
    "HOME",
    "HOSTNAME",
];

const CLEAN_ENV_KEEP_MACOS: &[&str] = &["TMPDIR", "XPC_SERVICE_NAME", "XPC_FLAGS"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_quote_literals_and_let_dollars_expand() {
        assert_eq!(export("A", "it's"), "export A='it'\\''s'\n");
        assert_eq!(export("B", "$HOME \"x\""), "export B=\"$HOME \\\"x\\\"\"\n");
    }

    #[test]
    fn env_output_splits_on_nul() {
        let parsed = parse_env("\nA=1\0B=two\nlines\0C=\0");
        assert_eq!(parsed.get("A").map(String::as_str), Some("1"));
        assert_eq!(parsed.get("B").map(String::as_str), Some("two\nlines"));
        assert_eq!(parsed.get("C").map(String::as_str), Some(""));
    }
}
