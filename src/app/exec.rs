//! `berth exec` and `berth pool start|status|stop`.

use anyhow::Result;

use super::engine::{self, Purpose};
use super::{Global, Workspace};
use crate::cli::{ExecArgs, PoolCommand, PoolStartArgs};
use crate::diag::Diagnostic;
use crate::exit::{ExitStatus, Interrupted};
use crate::jobs::cluster::Replicas;
use crate::jobs::container::Docker;
use crate::jobs::pool::Pool;
use crate::jobs::spec::{parse_cpus, parse_duration, parse_env, parse_memory};
use crate::jobs::{self, JobLimits, JobSpec, Runner};
use crate::settings::{RuntimeChoice, RuntimeKind};
use crate::{host, ui};

pub fn exec(global: &Global, args: ExecArgs) -> Result<ExitStatus> {
    if args.cluster {
        refuse_local_files(&args)?;
    }
    let workspace = global.workspace()?;
    let cwd = host::current_dir()?;
    let spec = JobSpec {
        env: args
            .env
            .iter()
            .map(|e| parse_env(e))
            .collect::<Result<_>>()?,
        inputs: args.input.iter().map(|i| cwd.join(i)).collect(),
        outputs: args.output,
        output_dir: args.output_dir.map_or_else(|| cwd.clone(), |d| cwd.join(d)),
        logs_only: args.json,
        network: args.network,
        limits: JobLimits {
            memory_bytes: args.memory.as_deref().map(parse_memory).transpose()?,
            cpus: args.cpus.as_deref().map(parse_cpus).transpose()?,
            timeout: args
                .timeout
                .as_deref()
                .map(|t| parse_duration("--timeout", t))
                .transpose()?,
            cpu_time: args
                .cpu_time
                .as_deref()
                .map(|t| parse_duration("--cpu-time", t))
                .transpose()?,
        },
        command: args.command,
    };
    let jobs_dir = &workspace.project.layout.jobs_dir;
    if args.cluster {
        let replicas = Replicas {
            count: at_least_one("--replicas", args.replicas)?,
            parallel: at_least_one("--parallel", args.parallel.or(args.replicas))?,
        };
        let image = args.image.as_deref().unwrap_or_default();
        return cluster(&workspace, image, &spec, replicas, jobs_dir, args.json);
    }
    let result = match choose_docker(&workspace, args.image.as_deref(), args.no_native)? {
        None => jobs::run(jobs_dir, &spec, Runner::Native)?,
        Some(docker) => {
            let image = args.image.as_deref().unwrap_or_default();
            let pool = pool_of(&workspace, &docker);
            // Only a job on the pool's network (none) can use a warm container.
            let pool = spec.network.is_none().then_some(&pool);
            jobs::run(
                jobs_dir,
                &spec,
                Runner::Container {
                    docker: &docker,
                    image,
                    pool,
                },
            )?
        }
    };
    if args.json {
        ui::out(&serde_json::to_string_pretty(&result)?)?;
    } else {
        report_ending(&result);
    }
    Ok(ExitStatus::from_code(result.exit_code))
}

/// A cluster job's replicas run on other machines, with no filesystem shared with this one:
/// `--input` and `--output` cannot reach them.
fn refuse_local_files(args: &ExecArgs) -> Result<()> {
    let flag = if !args.input.is_empty() {
        "--input"
    } else if !args.output.is_empty() {
        "--output"
    } else if args.output_dir.is_some() {
        "--output-dir"
    } else {
        return Ok(());
    };
    Err(Diagnostic::new(format!(
        "{flag} cannot be used with --cluster: the replicas run on the swarm's nodes, which share no filesystem with this machine"
    ))
    .help("put the files the job reads into its image, and have it send its results somewhere all nodes reach (a registry, object storage, a database)")
    .help("or drop --cluster to run one job here, where --input and --output work")
    .into())
}

/// `--replicas` or `--parallel`: 1 when not given, and never 0.
fn at_least_one(flag: &str, value: Option<u32>) -> Result<u32> {
    match value.unwrap_or(1) {
        0 => Err(Diagnostic::new(format!("{flag} must be at least 1"))
            .help(format!("pass a positive count, such as `{flag} 3`"))
            .into()),
        n => Ok(n),
    }
}

/// Run a cluster job on the project's engine and report it like a single job.
fn cluster(
    workspace: &Workspace,
    image: &str,
    spec: &JobSpec,
    replicas: Replicas,
    jobs_dir: &std::path::Path,
    json: bool,
) -> Result<ExitStatus> {
    if workspace.settings.runtime.value == RuntimeChoice::Only(RuntimeKind::Native) {
        return Err(Diagnostic::new(
            "--cluster needs a Docker engine that is a swarm manager, but the runtime is `native`",
        )
        .help(format!(
            "choose a container runtime (runtime = native comes from {})",
            workspace.settings.runtime.source
        ))
        .into());
    }
    let docker = docker_for(workspace).map_err(|why| {
        if why.is::<Interrupted>() {
            return why;
        }
        anyhow::Error::from(
            Diagnostic::new("no container runtime found; --cluster needs a swarm manager's engine")
                .help(format!("{why}")),
        )
    })?;
    let result = jobs::cluster::run(&docker, image, spec, replicas, jobs_dir)?;
    if json {
        ui::out(&serde_json::to_string_pretty(&result)?)?;
    } else {
        for replica in &result.replicas {
            let exit = replica
                .exit_code
                .map_or_else(|| "did not end".to_string(), |code| format!("exit {code}"));
            let node = replica
                .node
                .as_ref()
                .map_or_else(|| "never placed".to_string(), |node| format!("on {node}"));
            ui::out(&format!(
                "replica {}: {exit} ({node}), logs in {}",
                replica.index,
                ui::display_path(
                    replica
                        .stdout_path
                        .parent()
                        .unwrap_or(&result.job.workspace)
                )
            ))?;
        }
        report_ending(&result.job);
    }
    Ok(ExitStatus::from_code(result.job.exit_code))
}

/// The warning a timed-out or cancelled job ends with.
fn report_ending(result: &jobs::JobResult) {
    if result.timed_out {
        ui::warn(&format!(
            "job {} timed out; its workspace is {}",
            result.id,
            ui::display_path(&result.workspace)
        ));
    } else if result.cancelled {
        ui::warn(&format!(
            "job {} cancelled; its workspace is left at {}",
            result.id,
            ui::display_path(&result.workspace)
        ));
    }
}

/// The docker CLI for a container job, or `None` for a native one: no image, `--runtime
/// native`, or no container runtime found while falling back to native is allowed.
fn choose_docker(
    workspace: &Workspace,
    image: Option<&str>,
    no_native: bool,
) -> Result<Option<Docker>> {
    let settings = &workspace.settings;
    if settings.runtime.value == RuntimeChoice::Only(RuntimeKind::Native) {
        if image.is_some() {
            return Err(Diagnostic::new("--image needs a container runtime, but the runtime is `native`")
                .help(format!("drop --image to run on this machine, or choose a container runtime (runtime = native comes from {})", settings.runtime.source))
                .into());
        }
        return Ok(None);
    }
    let Some(image) = image else {
        if no_native {
            return Err(Diagnostic::new(
                "--no-native needs --image: without an image the job runs natively",
            )
            .help("pass the image to run the job in, such as `--image python:3.12-slim`")
            .into());
        }
        return Ok(None);
    };
    match docker_for(workspace) {
        Ok(docker) => mounts_reach(&docker, "a job's directory").map(|()| Some(docker)),
        // Ctrl-C during an auto-start stops the command; it is no reason to run natively.
        Err(err) if err.is::<Interrupted>() => Err(err),
        Err(why) if !no_native && settings.native_fallback.value => {
            ui::note(&format!(
                "no container runtime found ({why}); running the job natively, not in `{image}`"
            ));
            Ok(None)
        }
        Err(why) => {
            let mut diagnostic = Diagnostic::new("no container runtime found")
                .help(format!("{why}"))
                .help("start one with `berth container init`, or set `runtime` in [tool.berth]");
            diagnostic = if no_native {
                diagnostic.help("or drop --no-native to run the job on this machine")
            } else {
                diagnostic.help(format!(
                    "or allow running natively: `native-fallback = true` (now false, from {})",
                    settings.native_fallback.source
                ))
            };
            Err(diagnostic.into())
        }
    }
}

/// A container job (or pool slot) gets `what`, a directory of this machine, bind-mounted: the
/// engine of an `ssh://` runtime runs on another machine, where that directory is not, and a
/// bind mount there would quietly be an empty one.
fn mounts_reach(docker: &Docker, what: &str) -> Result<()> {
    if docker.runtime != RuntimeKind::Ssh {
        return Ok(());
    }
    Err(Diagnostic::new(format!(
        "a container job mounts {what} from this machine, and the project's engine (ssh://) \
         runs on another one"
    ))
    .help("run it there as a cluster job (`berth exec --cluster --image …`, no files in or out)")
    .help("or choose a runtime on this machine for it, such as `--runtime docker`")
    .into())
}

/// The docker CLI pointed at the project's container runtime (started first under
/// `auto-start`), in the same environment as `berth docker`.
fn docker_for(workspace: &Workspace) -> Result<Docker> {
    Docker::new(engine::for_engine(workspace, None, Purpose::Use)?)
}

pub(super) fn pool_of<'a>(workspace: &Workspace, docker: &'a Docker) -> Pool<'a> {
    Pool::new(
        docker,
        &workspace.settings.instance.value,
        &workspace.project.root,
        workspace.project.layout.pool_dir.clone(),
    )
}

pub fn pool(global: &Global, command: PoolCommand) -> Result<ExitStatus> {
    let workspace = global.workspace()?;
    let docker = docker_for(&workspace).map_err(|why| {
        if why.is::<Interrupted>() {
            return why;
        }
        anyhow::Error::from(
            Diagnostic::new("no container runtime found; the pool needs one")
                .help(format!("{why}"))
                .help("start one with `berth container init`"),
        )
    })?;
    let pool = pool_of(&workspace, &docker);
    match command {
        PoolCommand::Start(args) => start(&pool, &docker, &args),
        PoolCommand::Status(args) => status(&pool, args.json),
        PoolCommand::Stop => {
            let removed = pool.stop()?;
            ui::status(&format!("removed {removed} pool container(s)"));
            Ok(ExitStatus::Success)
        }
    }
}

fn start(pool: &Pool<'_>, docker: &Docker, args: &PoolStartArgs) -> Result<ExitStatus> {
    mounts_reach(docker, "each pool slot's directory")?;
    if args.size == 0 {
        return Err(Diagnostic::new("--size must be at least 1")
            .help("pass how many containers to keep warm, such as `--size 2`")
            .into());
    }
    let memory = args.memory.as_deref().map(parse_memory).transpose()?;
    let cpus = args.cpus.as_deref().map(parse_cpus).transpose()?;
    pool.start(args.size, &args.image, memory, cpus)?;
    status(pool, false)
}

fn status(pool: &Pool<'_>, json: bool) -> Result<ExitStatus> {
    let members = pool.status()?;
    if json {
        ui::out_json(&serde_json::json!({
            "pool": pool.key,
            "containers": members,
        }))?;
        return Ok(ExitStatus::Success);
    }
    if members.is_empty() {
        ui::status("the pool is empty; start it with `berth pool start --image IMG`");
    }
    for m in &members {
        let busy = if m.busy { "busy" } else { "free" };
        ui::out(&format!(
            "{}  {}  {}  {}  {busy}",
            ui::bold_stdout(&m.name),
            m.id,
            m.image,
            m.state
        ))?;
    }
    Ok(ExitStatus::Success)
}
