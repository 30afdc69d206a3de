//! Choosing the project's runtime (the `runtime` setting, or under `auto` the first that can
//! work here) and building it. `app` does this once per command.

use anyhow::Result;

use super::{
    Context, Runtime, apple, colima, docker_engine, lima, native, podman, ssh, unix_socket,
};
use crate::diag::Diagnostic;
use crate::settings::{Endpoint, RuntimeChoice, RuntimeKind};

/// The chosen runtime and why it was chosen, for `-v` and `berth doctor`.
pub struct Selection<'a> {
    pub runtime: Box<dyn Runtime + 'a>,
    pub reason: String,
}

/// The runtimes `auto` considers, in its order of preference after an existing project
/// instance: an engine that already answers, then the VM managers, then Apple's CLI.
pub const AUTO_ORDER: &[RuntimeKind] = &[
    RuntimeKind::Docker,
    RuntimeKind::Lima,
    RuntimeKind::Colima,
    RuntimeKind::Podman,
    RuntimeKind::Apple,
    RuntimeKind::Native,
];

/// Choose the runtime: the explicit setting, or under `auto` the first that fits.
pub fn select<'a>(ctx: &'a Context<'a>) -> Result<Selection<'a>> {
    let selection = match &ctx.settings.runtime.value {
        RuntimeChoice::Auto => auto(ctx)?,
        RuntimeChoice::Only(kind) => Selection {
            runtime: build(ctx, *kind)?,
            reason: format!("runtime = {kind} ({})", ctx.settings.runtime.source),
        },
        RuntimeChoice::Endpoint(endpoint) => Selection {
            runtime: build(ctx, endpoint.kind())?,
            reason: format!("runtime = {endpoint} ({})", ctx.settings.runtime.source),
        },
    };
    crate::ui::debug(&format!(
        "runtime: {} ({})",
        selection.runtime.kind(),
        selection.reason
    ));
    Ok(selection)
}

/// The backend of `kind`. Apple's checks the host can run it at all; an endpoint's (`ssh`,
/// `unix`) serves the endpoint the `runtime` setting names. The VM runtimes name
/// their VM after `instance` (Colima's is a Lima instance too), so Lima's name rule is checked
/// here, before any of them is asked anything.
pub fn build<'a>(ctx: &'a Context<'a>, kind: RuntimeKind) -> Result<Box<dyn Runtime + 'a>> {
    if matches!(
        kind,
        RuntimeKind::Lima | RuntimeKind::Colima | RuntimeKind::Podman
    ) {
        lima::name::check(&ctx.settings.instance)?;
    }
    Ok(match kind {
        RuntimeKind::Lima => Box::new(lima::Lima::new(ctx)),
        RuntimeKind::Docker => Box::new(docker_engine::DockerEngine::new(ctx)),
        RuntimeKind::Colima => Box::new(colima::Colima::new(ctx)),
        RuntimeKind::Podman => Box::new(podman::Podman::new(ctx)),
        RuntimeKind::Apple => Box::new(apple::Apple::new(ctx)?),
        RuntimeKind::Native => Box::new(native::Native),
        RuntimeKind::Ssh | RuntimeKind::Unix => match configured_endpoint(ctx, kind) {
            Some(Endpoint::Ssh(destination)) => Box::new(ssh::Ssh::new(ctx, destination.clone())),
            Some(Endpoint::Unix(socket)) => Box::new(unix_socket::UnixSocket::new(socket.clone())),
            None => {
                return Err(Diagnostic::new(format!(
                    "the `{kind}` runtime serves the endpoint `runtime` names, and it names none"
                ))
                .help(format!(
                    "set `runtime = \"{}\"` in [tool.berth]",
                    Endpoint::FORMS.join("\"` or `\"")
                ))
                .into());
            }
        },
    })
}

/// The endpoint the `runtime` setting names, when it is one of `kind`'s.
fn configured_endpoint<'a>(ctx: &'a Context<'_>, kind: RuntimeKind) -> Option<&'a Endpoint> {
    match &ctx.settings.runtime.value {
        RuntimeChoice::Endpoint(endpoint) if endpoint.kind() == kind => Some(endpoint),
        _ => None,
    }
}

/// `auto`: keep what the project already uses, else the first runtime that can work here.
fn auto<'a>(ctx: &'a Context<'a>) -> Result<Selection<'a>> {
    let existing = [
        (RuntimeKind::Lima, lima::Lima::new(ctx).instance_exists()),
        (RuntimeKind::Colima, colima::Colima::new(ctx).exists()),
        (RuntimeKind::Podman, podman::Podman::new(ctx).exists()),
    ];
    if let Some((kind, _)) = existing.iter().find(|(_, exists)| *exists) {
        return Ok(Selection {
            runtime: build(ctx, *kind)?,
            reason: format!("the project's {kind} instance exists"),
        });
    }
    for kind in AUTO_ORDER {
        if let Some(reason) = available(ctx, *kind) {
            return Ok(Selection {
                runtime: build(ctx, *kind)?,
                reason,
            });
        }
    }
    unreachable!("native is always available")
}

/// Why runtime `kind` could serve this project, or `None`. Cheap: a socket connect or a PATH
/// lookup, except Apple's, which asks `sw_vers` only on macOS on Apple silicon.
pub fn available(ctx: &Context<'_>, kind: RuntimeKind) -> Option<String> {
    let envs = Some(ctx.project.layout.envs_dir.as_path());
    let installed = |tool: &str| {
        crate::process::find_program(tool, envs)
            .map(|path| format!("{tool} is installed at {}", path.display()))
    };
    match kind {
        RuntimeKind::Docker => docker_engine::listening_host_socket()
            .map(|socket| format!("a Docker engine listens at {}", socket.display())),
        RuntimeKind::Lima => installed("limactl"),
        RuntimeKind::Colima => installed("colima"),
        RuntimeKind::Podman => installed("podman"),
        RuntimeKind::Apple => apple::detect(envs)
            .ok()
            .map(|support| format!("macOS {} with Apple's container CLI", support.macos_version)),
        RuntimeKind::Native => Some("always: `berth exec` jobs as local processes".into()),
        RuntimeKind::Ssh | RuntimeKind::Unix => {
            configured_endpoint(ctx, kind).map(|endpoint| format!("runtime = {endpoint}"))
        }
    }
}
