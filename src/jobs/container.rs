//! Container jobs: `docker run` with the work directory bind-mounted at `/work`, limits as
//! docker flags, no network unless asked, and berth (not the client) enforcing the timeout
//! by killing the container by name.
//!
//! The container is not started with `--rm`: after it exits berth asks the engine whether the
//! OOM killer ended it, then removes it (also when anything failed on the way).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Result;

use super::{Ending, JobSpec, Logs, Outcome, Workspace, supervise};
use crate::docker::DockerEnv;
use crate::docker_api;
use crate::exit::ExitStatus;
use crate::process::{self, Captured, Limits, Watched};
use crate::settings::RuntimeKind;

/// The docker CLI pointed at the project's engine, in the environment [`DockerEnv`] decides.
pub struct Docker {
    program: PathBuf,
    env: DockerEnv,
    /// The runtime serving the engine, for results.
    pub runtime: RuntimeKind,
}

impl Docker {
    /// The docker CLI in `env`, an environment that talks to an engine.
    pub fn new(env: DockerEnv) -> Result<Docker> {
        Ok(Docker {
            program: env.docker_program()?,
            runtime: env.runtime().unwrap_or(RuntimeKind::Docker),
            env,
        })
    }

    /// `docker ARGS` in the project's Docker environment.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = Command::new(&self.program);
        command.args(args);
        self.env.apply(&mut command);
        command
    }

    /// The engine's Unix socket, when berth can ask it directly.
    pub fn socket(&self) -> Option<&Path> {
        self.env.docker_host().and_then(docker_api::unix_socket)
    }

    /// The engine's address (`DOCKER_HOST`), for messages.
    pub fn host(&self) -> &str {
        self.env.docker_host().unwrap_or("the default engine")
    }

    /// Run a docker query and capture what it printed.
    pub fn query<I, S>(&self, args: I) -> Result<Captured>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        process::capture(self.command(args))
    }

    /// A docker query that must succeed; its stdout.
    pub fn query_ok<I, S>(&self, args: I) -> Result<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let command = self.command(args);
        let shown = process::display_command(&command);
        let captured = process::capture(command)?;
        if captured.status != ExitStatus::Success {
            anyhow::bail!("`{shown}` failed: {}", captured.stderr.trim());
        }
        Ok(captured.stdout)
    }

    /// Kill a container; one already gone is fine.
    pub fn kill(&self, container: &str) {
        let _ = self.query(["kill", container]);
    }

    /// Remove a container, running or not; one already gone is fine.
    pub fn remove(&self, container: &str) {
        let path = format!(
            "/containers/{}?force=1",
            docker_api::query_escape(container)
        );
        if !self.socket().is_some_and(|s| docker_api::delete(s, &path)) {
            let _ = self.query(["rm", "-f", container]);
        }
    }

    /// The exit code of a stopped container and whether the OOM killer ended it.
    fn exit_state(&self, container: &str) -> Option<(i32, Option<bool>)> {
        let path = format!("/containers/{}/json", docker_api::query_escape(container));
        if let Some(info) = self.socket().and_then(|s| docker_api::get_json(s, &path)) {
            let code = i32::try_from(info["State"]["ExitCode"].as_i64()?).ok()?;
            return Some((code, info["State"]["OOMKilled"].as_bool()));
        }
        let state = self
            .query_ok([
                "inspect",
                "--format",
                "{{.State.ExitCode}} {{.State.OOMKilled}}",
                container,
            ])
            .ok()?;
        parse_state(&state)
    }
}

/// Removes the job's container when dropped, however the job ended.
struct RemoveOnDrop<'a> {
    docker: &'a Docker,
    name: String,
}

impl Drop for RemoveOnDrop<'_> {
    fn drop(&mut self) {
        self.docker.remove(&self.name);
    }
}

const JOB_NAME_PREFIX: &str = "berth-job-";

/// The container (or cluster service) name of job `id`.
pub fn container_name(id: &str) -> String {
    format!("{JOB_NAME_PREFIX}{id}")
}

/// The job id a container or service name was made from, when it can be one: a job id is a
/// plain directory name (`workspace::JobDir::create`).
pub fn job_of_name(name: &str) -> Option<&str> {
    name.strip_prefix(JOB_NAME_PREFIX)
        .filter(|job| !job.is_empty() && !job.starts_with('.') && !job.contains(['/', '\\']))
}

/// `-e K=V` for each variable.
pub fn env_args(spec: &JobSpec) -> Vec<OsString> {
    spec.env
        .iter()
        .flat_map(|(k, v)| ["-e".into(), format!("{k}={v}").into()])
        .collect()
}

pub fn run(
    docker: &Docker,
    image: &str,
    spec: &JobSpec,
    workspace: &Workspace,
    logs: Logs,
) -> Result<Outcome> {
    let name = container_name(&workspace.id);
    let mut args: Vec<OsString> = vec![
        "run".into(),
        "--name".into(),
        name.clone().into(),
        "--label".into(),
        format!("berth.job={}", workspace.id).into(),
        "-v".into(),
        mount(&workspace.work),
        "-w".into(),
        "/work".into(),
        "--network".into(),
        spec.network.as_deref().unwrap_or("none").into(),
    ];
    if let Some(bytes) = spec.limits.memory_bytes {
        args.extend(["--memory".into(), bytes.to_string().into()]);
    }
    if let Some(cpus) = spec.limits.cpus {
        args.extend(["--cpus".into(), cpus.to_string().into()]);
    }
    args.extend(env_args(spec));
    args.push(image.into());
    args.extend(spec.command.iter().cloned());

    let mut command = docker.command(&args);
    logs.attach(&mut command)?;
    let _remove = RemoveOnDrop {
        docker,
        name: name.clone(),
    };
    let started = Instant::now();
    let mut watched = Watched::spawn(command, Limits::default())?;
    let tees = logs.start(&mut watched);
    let finished = supervise(&watched, started, spec.limits.timeout, || {
        docker.kill(&name)
    })?;
    tees.finish()?;

    // The engine's answer beats the client's: the client exits 125 when docker itself failed.
    let client_code = ExitStatus::from_std(finished.status).code();
    let (code, engine_oom) = docker.exit_state(&name).unwrap_or((client_code, None));
    let oom_killed = oom_verdict(engine_oom, code, &finished.ending, spec.limits.memory_bytes);
    Ok(Outcome {
        ending: finished.ending,
        code,
        signal: signal_of(code),
        oom_killed,
        duration: finished.duration,
        peak_memory_bytes: None,
        memory_limit_mechanism: spec.limits.memory_bytes.map(|_| "cgroup"),
    })
}

/// Whether the memory limit ended the job. The engine's `State.OOMKilled` when it says so;
/// but Docker on cgroup v2 sometimes misses the OOM event and reports `false` for a job the
/// kernel killed (moby/moby#38352, hashicorp/nomad#13119). Under `--memory`, a SIGKILL that
/// berth did not send (no timeout, no Ctrl-C) can only be the OOM killer's, short of someone
/// running `docker kill` on berth's job container.
fn oom_verdict(
    engine: Option<bool>,
    code: i32,
    ending: &Ending,
    memory_limit: Option<u64>,
) -> Option<bool> {
    let killed_by_kernel =
        memory_limit.is_some() && code == 128 + 9 && matches!(ending, Ending::Exited);
    match engine {
        Some(true) => Some(true),
        _ if killed_by_kernel => Some(true),
        engine => engine,
    }
}

/// `-v <dir>:/work`.
fn mount(dir: &Path) -> OsString {
    let mut mount = dir.as_os_str().to_owned();
    mount.push(":/work");
    mount
}

/// `<exit code> <oom killed>` as `docker inspect` printed them.
fn parse_state(state: &str) -> Option<(i32, Option<bool>)> {
    let mut words = state.split_whitespace();
    let code = words.next()?.parse().ok()?;
    let oom = words.next()?.parse().ok();
    Some((code, oom))
}

/// Docker reports a death by signal N as exit code 128+N.
pub fn signal_of(code: i32) -> Option<i32> {
    (129..=128 + 64).contains(&code).then_some(code - 128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_name_gives_back_its_id_and_nothing_else_passes_for_one() {
        let id = "20261201-184401-174-30492";
        assert_eq!(job_of_name(&container_name(id)), Some(id));
        for name in [
            "berth-job-",
            "berth-job-..",
            "berth-job-a/b",
            "berth-pool-1",
            "job-1",
        ] {
            assert_eq!(job_of_name(name), None, "{name}");
        }
    }

    #[test]
    fn a_sigkill_under_a_memory_limit_that_berth_did_not_send_is_an_oom_kill() {
        let limit = Some(16 << 20);
        assert_eq!(
            oom_verdict(Some(true), 137, &Ending::Exited, limit),
            Some(true)
        );
        // The engine missed the OOM event (cgroup v2): the kernel's SIGKILL still tells.
        assert_eq!(
            oom_verdict(Some(false), 137, &Ending::Exited, limit),
            Some(true)
        );
        // berth's own kill on timeout or Ctrl-C is not the memory limit.
        assert_eq!(
            oom_verdict(Some(false), 137, &Ending::TimedOut, limit),
            Some(false)
        );
        assert_eq!(
            oom_verdict(Some(false), 137, &Ending::Cancelled, limit),
            Some(false)
        );
        // Without a limit, or with another ending, the engine's answer stands.
        assert_eq!(
            oom_verdict(Some(false), 137, &Ending::Exited, None),
            Some(false)
        );
        assert_eq!(
            oom_verdict(Some(false), 1, &Ending::Exited, limit),
            Some(false)
        );
        assert_eq!(oom_verdict(None, 0, &Ending::Exited, limit), None);
    }

    #[test]
    fn engine_state_is_parsed() {
        assert_eq!(parse_state("137 true\n"), Some((137, Some(true))));
        assert_eq!(parse_state("0 false"), Some((0, Some(false))));
        assert_eq!(parse_state(""), None);
        assert_eq!(signal_of(137), Some(9));
        assert_eq!(signal_of(3), None);
    }
}
