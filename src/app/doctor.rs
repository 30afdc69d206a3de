//! `berth doctor`: every runtime berth looked for, the one it picked and why, every setting
//! with its source, the tools and their versions, and what is wrong with a `help:` each.
//! Unlike the other commands it may run a few `--version` queries: it is for a human asking.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Result;
use serde::Serialize;
use serde_json::json;

use super::Global;
use crate::cli::JsonArgs;
use crate::exit::ExitStatus;
use crate::host::{self, Arch, Os};
use crate::runtime::selection::{self, AUTO_ORDER};
use crate::runtime::{Context, SocketBudget, State};
use crate::runtime::{lima, mounts};
use crate::settings::{Endpoint, Mount, RuntimeChoice, RuntimeKind};
use crate::{docker, docker_api, process, ui};

#[derive(Serialize)]
struct RuntimeRow {
    name: RuntimeKind,
    /// Why it could serve here, or `None` when it cannot.
    available: Option<String>,
    state: Option<State>,
    docker_host: Option<String>,
    /// The backend's own word on its state, or the error asking it gave.
    detail: Option<String>,
}

#[derive(Serialize)]
struct ToolRow {
    name: &'static str,
    path: Option<PathBuf>,
    version: Option<String>,
}

/// The engine an endpoint runtime (`ssh://`, `unix://`) reaches, asked once: doctor's word on
/// a remote engine.
#[derive(Serialize)]
struct Engine {
    /// The endpoint as the `runtime` setting names it (an ssh URL names the host).
    endpoint: String,
    docker_host: String,
    /// The engine's version (`GET /version`), when it says.
    version: Option<String>,
    /// The round trip of one `GET /_ping`, in milliseconds.
    ping_ms: Option<f64>,
}

#[derive(Serialize)]
struct Problem {
    message: String,
    help: Vec<String>,
}

pub fn run(global: &Global, args: &JsonArgs) -> Result<ExitStatus> {
    let workspace = global.workspace()?;
    let ctx = workspace.runtime_context();
    let layout = &workspace.project.layout;
    let mut problems = Vec::new();
    if let Err(invalid) = lima::name::check(&workspace.settings.instance) {
        problems.push(problem(&invalid.into()));
    }

    let selection = selection::select(&ctx);
    let (selected, reason) = match &selection {
        Ok(s) => (Some(s.runtime.kind()), s.reason.clone()),
        Err(err) => {
            // A VM runtime refuses an invalid instance name too: that problem is listed once.
            let refused = problem(err);
            if problems.iter().all(|p| p.message != refused.message) {
                problems.push(refused);
            }
            (None, String::new())
        }
    };
    // The engine berth's docker commands would talk to, and for an endpoint runtime what
    // doctor shows of it.
    let mut engine = None;
    let project_host = match &selection {
        Ok(selection) if selection.runtime.kind() != RuntimeKind::Native => {
            match selection.runtime.docker_host() {
                Ok(docker_host) => {
                    if let RuntimeChoice::Endpoint(endpoint) = &workspace.settings.runtime.value {
                        engine = Some(engine_of(endpoint, docker_host.clone()));
                    }
                    Some(docker_host)
                }
                Err(err) => {
                    problems.push(problem(&err));
                    None
                }
            }
        }
        _ => None,
    };
    if selected == Some(RuntimeKind::Native)
        && workspace.settings.runtime.value == RuntimeChoice::Auto
    {
        problems.push(Problem {
            message: "no container runtime was found; `berth docker` and `berth compose` cannot work".into(),
            help: vec![match Os::current() {
                Os::Macos => "install Lima and the docker CLI: `brew install lima docker`".into(),
                _ => "install Docker Engine: `sudo apt-get install docker.io` (or Lima, Colima, Podman)".into(),
            }],
        });
    }

    let compose_project = docker::compose_project(
        &layout.docker_config,
        &layout.envs_dir,
        &host::current_dir()?,
        &[],
        &workspace.settings.compose_project,
    );

    let credentials = docker::passed_credentials(layout);
    let overridden = docker::overrides(&docker::OverrideInputs {
        layout,
        respect_docker_host: workspace.settings.respect_docker_host.value,
        project_host: project_host.as_deref(),
        compose_project: &compose_project,
    });

    // Every runtime auto considers, and an endpoint's (which only the setting names).
    let endpoint_kind = match &workspace.settings.runtime.value {
        RuntimeChoice::Endpoint(endpoint) => Some(endpoint.kind()),
        _ => None,
    };
    let runtimes: Vec<RuntimeRow> = AUTO_ORDER
        .iter()
        .copied()
        .chain(endpoint_kind)
        .map(|kind| runtime_row(&ctx, kind))
        .collect();
    let tools = tools(layout);
    // Only the runtime in use: another runtime's sockets are not this project's concern.
    let budget = selection
        .as_ref()
        .ok()
        .and_then(|s| s.runtime.socket_budget());
    if let Some(budget) = budget.filter(|b| !b.fits()) {
        problems.push(Problem {
            message: format!(
                "{}'s socket paths would be {} bytes, over the {}-byte limit of this OS",
                budget.owner, budget.length, budget.limit
            ),
            help: vec![budget.help.into()],
        });
    }
    // The settings as the runtime uses them: mounts resolved against the project root.
    let mut settings = workspace.settings.clone();
    settings.mounts.value = settings
        .mounts
        .value
        .iter()
        .map(
            |mount| match mounts::resolve_one(&workspace.project.root, mount) {
                Ok(resolved) => Mount {
                    location: resolved.location(),
                    writable: resolved.writable,
                },
                Err(_) => mount.clone(),
            },
        )
        .collect();
    // The VM runtimes mount them; the others never look at them.
    if matches!(
        selected,
        Some(RuntimeKind::Lima | RuntimeKind::Colima | RuntimeKind::Podman)
    ) && let Err(invalid) = mounts::resolve(&workspace.project.root, &workspace.settings.mounts)
    {
        problems.push(problem(&invalid.into()));
    }
    let settings: Vec<serde_json::Value> = settings
        .entries()
        .into_iter()
        .map(|(key, value, source)| json!({"key": key, "value": value, "source": source.to_string()}))
        .collect();

    if args.json {
        ui::out_json(&json!({
            "project": workspace.project.root,
            "manifest": workspace.project.manifest_path,
            "host": {"os": Os::current().name(), "arch": Arch::current().name(), "platform": host::platform()},
            "selected": selected.map(|name| json!({"runtime": name, "reason": reason})),
            "compose_project": {"name": compose_project.name, "source": compose_project.source()},
            "credentials": credentials,
            "runtimes": runtimes,
            "tools": tools,
            "settings": settings,
            "socket_budget": budget,
            "overridden": overridden,
            "engine": engine,
            "problems": problems,
        }))?;
    } else {
        print_human(
            &workspace,
            selected,
            &reason,
            &compose_project,
            &credentials,
            engine.as_ref(),
            &runtimes,
            &tools,
            &settings,
            budget,
            &overridden,
            &problems,
        )?;
    }
    Ok(if problems.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

fn problem(err: &anyhow::Error) -> Problem {
    let diagnostic = err
        .chain()
        .find_map(|e| e.downcast_ref::<crate::diag::Diagnostic>());
    Problem {
        message: err.to_string(),
        help: diagnostic.map(|d| d.help.clone()).unwrap_or_default(),
    }
}

/// The engine at `docker_host` (which answered), as one version query and one timed ping.
fn engine_of(endpoint: &Endpoint, docker_host: String) -> Engine {
    let socket = docker_api::unix_socket(&docker_host).map(std::path::Path::to_path_buf);
    let version = socket
        .as_deref()
        .and_then(|s| docker_api::get_json(s, "/version"))
        .and_then(|v| {
            let version = v["Version"].as_str()?;
            Some(match v["ApiVersion"].as_str() {
                Some(api) => format!("{version} (API {api})"),
                None => version.to_string(),
            })
        });
    let ping_ms = socket.as_deref().and_then(|s| {
        let started = std::time::Instant::now();
        docker_api::ping(s).then(|| {
            let micros = started.elapsed().as_micros() as f64;
            (micros / 10.0).round() / 100.0
        })
    });
    Engine {
        endpoint: endpoint.to_string(),
        docker_host,
        version,
        ping_ms,
    }
}

fn runtime_row(ctx: &Context<'_>, kind: RuntimeKind) -> RuntimeRow {
    let available = selection::available(ctx, kind);
    let mut row = RuntimeRow {
        name: kind,
        available,
        state: None,
        docker_host: None,
        detail: None,
    };
    if row.available.is_none() || kind == RuntimeKind::Native {
        return row;
    }
    match selection::build(ctx, kind).and_then(|runtime| runtime.status()) {
        Ok(status) => {
            row.state = Some(status.state);
            row.docker_host = status.docker_host;
            row.detail = status.reason;
        }
        Err(err) => row.detail = Some(format!("{err:#}")),
    }
    row
}

/// Every tool berth may call, with its version. The `--version` queries run side by side:
/// some tools (the Python `docker-compose`) take most of a second to answer, and doctor
/// should cost the slowest of them, not their sum.
fn tools(layout: &crate::project::Layout) -> Vec<ToolRow> {
    /// Each tool with the words that make it print its version.
    const TOOLS: &[(&str, &[&str])] = &[
        ("docker", &["--version"]),
        ("docker-compose", &["--version"]),
        ("limactl", &["--version"]),
        ("colima", &["--version"]),
        ("podman", &["--version"]),
        ("container", &["--version"]),
        ("ssh", &["-V"]),
    ];
    let plugin = docker::compose_plugin(&layout.docker_config);
    std::thread::scope(|scope| {
        let mut queries: Vec<_> = TOOLS
            .iter()
            .map(|(name, version_args)| {
                let path = process::find_program(name, Some(&layout.envs_dir));
                let asked = path
                    .clone()
                    .map(|p| scope.spawn(move || version_of(&p, version_args)));
                (*name, path, asked)
            })
            .collect();
        let asked = plugin
            .clone()
            .map(|p| scope.spawn(move || version_of(&p, &["compose", "version"])));
        queries.insert(1, ("docker compose (plugin)", plugin, asked));
        queries
            .into_iter()
            .map(|(name, path, asked)| ToolRow {
                name,
                path,
                version: asked.and_then(|query| query.join().ok().flatten()),
            })
            .collect()
    })
}

/// The first line a tool prints for its version, if it answers.
fn version_of(program: &std::path::Path, args: &[&str]) -> Option<String> {
    let mut command = Command::new(program);
    command.args(args);
    let out = process::capture(command).ok()?;
    let text = if out.stdout.trim().is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    text.lines()
        .next()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
}

#[allow(clippy::too_many_arguments)]
fn print_human(
    workspace: &super::Workspace,
    selected: Option<RuntimeKind>,
    reason: &str,
    compose_project: &docker::ComposeProject,
    credentials: &docker::PassedCredentials,
    engine: Option<&Engine>,
    runtimes: &[RuntimeRow],
    tools: &[ToolRow],
    settings: &[serde_json::Value],
    budget: Option<SocketBudget>,
    overridden: &[docker::Override],
    problems: &[Problem],
) -> Result<()> {
    let heading = |text: &str| ui::bold_stdout(text);
    let mut lines = vec![
        format!(
            "{} {}",
            heading("project:"),
            ui::display_path(&workspace.project.manifest_path)
        ),
        format!(
            "{} {} {} ({})",
            heading("host:"),
            Os::current().name(),
            Arch::current().name(),
            host::platform()
        ),
        match selected {
            Some(name) => format!("{} {name} — {reason}", heading("runtime:")),
            None => format!("{} none could be chosen", heading("runtime:")),
        },
    ];
    if let Some(engine) = engine {
        let version = engine.version.as_deref().unwrap_or("version unknown");
        let ping = engine.ping_ms.map_or_else(
            || "no answer to a ping".to_string(),
            |ms| format!("ping {ms:.2} ms"),
        );
        lines.push(format!(
            "{} {} — Docker {version}, {ping}",
            heading("engine:"),
            engine.endpoint
        ));
    }
    lines.extend([
        format!(
            "{} {}  {}",
            heading("compose project:"),
            compose_project.name,
            ui::dim_stdout(&format!("({})", compose_project.source()))
        ),
        format!("{} {}", heading("credentials:"), credentials.describe()),
        String::new(),
        heading("runtimes (auto's order after an existing project instance):"),
    ]);
    for row in runtimes {
        let mark = if Some(row.name) == selected { "*" } else { " " };
        let name = row.name.name();
        let state = match (&row.available, row.state) {
            (None, _) => ui::dim_stdout("not found"),
            (Some(_), Some(state)) => format!("{state:?}").to_lowercase(),
            (Some(_), None) => "available".to_string(),
        };
        let mut line = format!(" {mark} {name:<8} {state}");
        if let Some(host) = &row.docker_host {
            line.push_str(&format!("  {host}"));
        }
        if let Some(detail) = row.detail.as_ref().or(row.available.as_ref()) {
            line.push_str(&ui::dim_stdout(&format!("  ({detail})")));
        }
        lines.push(line);
    }
    lines.push(String::new());
    lines.push(heading("tools:"));
    for tool in tools {
        let found = match (&tool.path, &tool.version) {
            (Some(path), Some(version)) => format!("{}  {version}", path.display()),
            (Some(path), None) => path.display().to_string(),
            (None, _) => ui::dim_stdout("not found"),
        };
        lines.push(format!("   {:<24} {found}", tool.name));
    }
    lines.push(String::new());
    lines.push(heading("settings:"));
    for setting in settings {
        let text = |k: &str| setting[k].as_str().unwrap_or_default().to_string();
        lines.push(format!(
            "   {:<20} {:<24} {}",
            text("key"),
            text("value"),
            ui::dim_stdout(&text("source"))
        ));
    }
    if let Some(budget) = budget {
        lines.push(String::new());
        lines.push(format!(
            "{} {}'s longest socket path would be {} of {} bytes",
            heading("socket budget:"),
            budget.owner,
            budget.length,
            budget.limit
        ));
    }
    if !overridden.is_empty() {
        lines.push(format!("\n{}", heading("overridden for berth's commands:")));
        for item in overridden {
            lines.push(format!("   - {}", item.message));
            for help in &item.help {
                lines.push(format!("     help: {help}"));
            }
        }
    }
    if problems.is_empty() {
        lines.push(format!("\n{} none", heading("problems:")));
    } else {
        lines.push(format!("\n{}", heading("problems:")));
        for problem in problems {
            lines.push(format!("   - {}", problem.message));
            for help in &problem.help {
                lines.push(format!("     help: {help}"));
            }
        }
    }
    ui::out(&lines.join("\n"))?;
    Ok(())
}
