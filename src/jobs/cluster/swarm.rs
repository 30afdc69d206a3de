//! The Swarm side of a cluster job: whether the engine is a manager, the job's service
//! (created, scaled, removed), its tasks and their logs.
//!
//! Every call is the docker CLI in the project's environment, run in a process group of its
//! own so that a Ctrl-C at the terminal reaches berth alone: berth decides when the job ends,
//! and removing the service must not be cut short. The task list, asked for several times a
//! second, goes straight to the engine's socket when it has one, as the pool's questions do.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use super::board::Task;
use crate::diag::Diagnostic;
use crate::docker_api;
use crate::exit::ExitStatus;
use crate::jobs::JobSpec;
use crate::jobs::container::Docker;
use crate::{private_fs, process, ui};

pub struct Swarm<'a> {
    docker: &'a Docker,
}

/// What a service is made of, besides the job's own [`JobSpec`].
pub struct ServicePlan<'a> {
    pub name: &'a str,
    pub job_id: &'a str,
    pub image: &'a str,
    /// How many replicas the job has (`BERTH_JOB_COUNT`).
    pub count: u32,
    /// How many the service starts with; the rest come as it is scaled up.
    pub initial: u32,
}

impl<'a> Swarm<'a> {
    pub fn new(docker: &'a Docker) -> Swarm<'a> {
        Swarm { docker }
    }

    /// An error with what to do unless the engine is a manager of an active swarm: only a
    /// manager creates services.
    pub fn require_manager(&self) -> Result<()> {
        let info = self.query_ok(["info", "--format", "{{json .Swarm}}"])?;
        let swarm: Value = serde_json::from_str(info.trim())
            .with_context(|| format!("`docker info` printed no swarm state: {info}"))?;
        manager_check(&swarm, self.docker.host())
    }

    /// Create the job's service; it is removed when the returned guard is dropped.
    pub fn create(&self, plan: &ServicePlan<'_>, spec: &JobSpec) -> Result<Service<'_, 'a>> {
        let captured = self.query(create_args(plan, spec))?;
        if captured.status != ExitStatus::Success {
            return Err(Diagnostic::new(format!(
                "Swarm refused the job's service: {}",
                captured.stderr.trim()
            ))
            .help(format!(
                "the engine at {} must be a swarm manager that can run `{}`",
                self.docker.host(),
                plan.image
            ))
            .into());
        }
        // The CLI warns when no registry knows the image (a local image): each node then
        // uses its own copy. Worth knowing with -v, noise otherwise.
        if !captured.stderr.trim().is_empty() {
            ui::debug(captured.stderr.trim());
        }
        Ok(Service {
            swarm: self,
            name: plan.name.to_string(),
            removed: false,
        })
    }

    /// The tasks of service `name`.
    pub fn tasks(&self, name: &str) -> Result<Vec<Task>> {
        let filter = format!("{{\"service\":[\"{name}\"]}}");
        let path = format!("/tasks?filters={}", docker_api::query_escape(&filter));
        let objects = match self
            .docker
            .socket()
            .and_then(|s| docker_api::get_json(s, &path))
        {
            Some(objects) => objects,
            None => {
                let ids = self.query_ok(["service", "ps", "--quiet", "--no-trunc", name])?;
                let ids: Vec<&str> = ids.split_whitespace().collect();
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut args = vec!["inspect", "--type", "task"];
                args.extend(ids);
                serde_json::from_str(&self.query_ok(args)?)
                    .context("`docker inspect` printed tasks berth cannot read")?
            }
        };
        Ok(objects
            .as_array()
            .map(|tasks| tasks.iter().filter_map(Task::from_json).collect())
            .unwrap_or_default())
    }

    /// The host names of nodes `ids`, by id; a node the engine no longer knows is left out.
    pub fn node_names(&self, ids: &[&str]) -> HashMap<String, String> {
        if ids.is_empty() {
            return HashMap::new();
        }
        let mut args = vec![
            "node",
            "inspect",
            "--format",
            "{{.ID}} {{.Description.Hostname}}",
        ];
        args.extend(ids);
        // `node inspect` prints what it found even when one id is gone, and fails.
        let printed = self.query(args).map(|c| c.stdout).unwrap_or_default();
        printed
            .lines()
            .filter_map(|line| line.split_once(' '))
            .map(|(id, name)| (id.to_string(), name.to_string()))
            .collect()
    }

    /// Write what task `id` printed so far into `stdout` and `stderr`, each stream in its own
    /// file. On failure both files are left empty and the error says why.
    pub fn save_logs(&self, id: &str, stdout: &Path, stderr: &Path) -> Result<()> {
        let command = self
            .docker
            .command(["service", "logs", "--raw", "--no-trunc", id]);
        let status = process::run_into_files(
            command,
            private_fs::create_file(stdout)?,
            private_fs::create_file(stderr)?,
        )?;
        if status == ExitStatus::Success {
            return Ok(());
        }
        let said = fs_err::read_to_string(stderr).unwrap_or_default();
        private_fs::create_file(stderr)?;
        private_fs::create_file(stdout)?;
        anyhow::bail!("`docker service logs {id}` failed: {}", said.trim())
    }

    fn query<I, S>(&self, args: I) -> Result<process::Captured>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        process::capture_shielded(self.docker.command(args))
    }

    fn query_ok<I, S>(&self, args: I) -> Result<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let command = self.docker.command(args);
        let shown = process::display_command(&command);
        let captured = process::capture_shielded(command)?;
        if captured.status != ExitStatus::Success {
            anyhow::bail!("`{shown}` failed: {}", captured.stderr.trim());
        }
        Ok(captured.stdout)
    }
}

/// The job's service, removed when dropped (however berth leaves the job: done, timed out,
/// interrupted or failed).
pub struct Service<'s, 'a> {
    swarm: &'s Swarm<'a>,
    pub name: String,
    removed: bool,
}

impl Service<'_, '_> {
    /// Ask for `replicas` replicas in all: Swarm adds tasks in the next free slots, and leaves
    /// the ended ones alone (restart condition `none`).
    pub fn scale(&self, replicas: u32) -> Result<()> {
        self.swarm.query_ok([
            "service".to_string(),
            "scale".to_string(),
            "--detach".to_string(),
            format!("{}={replicas}", self.name),
        ])?;
        Ok(())
    }

    /// Remove the service, which stops whatever of it still runs; a failure is reported with
    /// what to run instead.
    pub fn remove(&mut self) {
        if self.removed {
            return;
        }
        self.removed = true;
        if let Err(err) = self.swarm.query_ok(["service", "rm", &self.name]) {
            ui::warn(&format!(
                "could not remove the job's service {}: {err:#}; remove it with `berth docker service rm {}`",
                self.name, self.name
            ));
        }
    }
}

impl Drop for Service<'_, '_> {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Whether the engine's `Swarm` info (`LocalNodeState`, `ControlAvailable`) says it is a
/// manager of an active swarm; otherwise the error says what it is and what to do.
fn manager_check(swarm: &Value, host: &str) -> Result<()> {
    let state = swarm["LocalNodeState"].as_str().unwrap_or("inactive");
    let manager = swarm["ControlAvailable"].as_bool().unwrap_or(false);
    let not_a_manager = |why: &str| {
        Diagnostic::new(format!(
            "the project's engine ({host}) is not a swarm manager: {why}"
        ))
    };
    let diagnostic = match state {
        "active" if manager => return Ok(()),
        "active" => not_a_manager("it is a worker node of a swarm")
            .help("cluster jobs are created on a manager: point the project at one (`docker node ls` on a manager lists them)"),
        "inactive" => not_a_manager("it is not in swarm mode")
            .help("cluster jobs run as Docker Swarm services: make this engine a manager with `berth docker swarm init`, or point the project at a manager of an existing swarm"),
        "locked" => not_a_manager("its swarm is locked")
            .help("unlock it with `berth docker swarm unlock`"),
        other => not_a_manager(&format!("its swarm state is `{other}`"))
            .help("see `berth docker info` for what the engine says about its swarm"),
    };
    Err(diagnostic.into())
}

/// The words of `docker service create` for the job: a replicated service whose tasks are
/// never restarted, one slot per replica, the slot number as `BERTH_JOB_INDEX`.
fn create_args(plan: &ServicePlan<'_>, spec: &JobSpec) -> Vec<OsString> {
    let label = format!("berth.job={}", plan.job_id);
    let mut args: Vec<OsString> = [
        "service",
        "create",
        "--detach",
        "--quiet",
        "--name",
        plan.name,
        "--label",
        &label,
        "--container-label",
        &label,
        "--mode",
        "replicated",
        "--replicas",
        &plan.initial.to_string(),
        "--restart-condition",
        "none",
        // Removing the service kills what still runs at once, as a single job's timeout does.
        "--stop-grace-period",
        "0s",
    ]
    .into_iter()
    .map(OsString::from)
    .collect();
    if let Some(bytes) = spec.limits.memory_bytes {
        args.extend(["--limit-memory".into(), bytes.to_string().into()]);
    }
    if let Some(cpus) = spec.limits.cpus {
        args.extend(["--limit-cpu".into(), cpus.to_string().into()]);
    }
    if let Some(network) = &spec.network {
        args.extend(["--network".into(), network.into()]);
    }
    // The engine expands Go templates in every environment value (swarmkit
    // template/expand.go, expandEnv): the user's values are escaped to reach the job as typed,
    // and berth's own come last, so that they win over a user's variable of the same name.
    for (key, value) in &spec.env {
        args.extend(["--env".into(), format!("{key}={}", literal(value)).into()]);
    }
    args.extend([
        "--env".into(),
        "BERTH_JOB_INDEX={{.Task.Slot}}".into(),
        "--env".into(),
        format!("BERTH_JOB_COUNT={}", plan.count).into(),
    ]);
    args.push(plan.image.into());
    args.extend(spec.command.iter().cloned());
    args
}

/// `text` as a Go template that prints it unchanged: each `{{` becomes the action printing
/// `{{` (a `}}` outside an action is plain text already).
fn literal(text: &str) -> String {
    text.replace("{{", "{{\"{{\"}}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_an_active_manager_passes() {
        let check =
            |swarm: Value| manager_check(&swarm, "unix:///e.sock").map_err(|e| e.to_string());
        assert!(check(json!({"LocalNodeState": "active", "ControlAvailable": true})).is_ok());
        let inactive = check(json!({"LocalNodeState": "inactive", "ControlAvailable": false}));
        assert_eq!(
            inactive.unwrap_err(),
            "the project's engine (unix:///e.sock) is not a swarm manager: it is not in swarm mode"
        );
        let worker = check(json!({"LocalNodeState": "active", "ControlAvailable": false}));
        assert!(
            worker
                .unwrap_err()
                .ends_with("it is a worker node of a swarm")
        );
        assert!(
            check(json!({"LocalNodeState": "locked"}))
                .unwrap_err()
                .contains("locked")
        );
    }

    #[test]
    fn the_service_carries_limits_labels_and_escaped_environment() {
        let spec = JobSpec {
            command: vec!["sh".into(), "-c".into(), "echo {{x}}".into()],
            env: vec![("A".into(), "{{.Task.Slot}} }}".into())],
            inputs: Vec::new(),
            outputs: Vec::new(),
            output_dir: Default::default(),
            logs_only: true,
            network: None,
            limits: crate::jobs::JobLimits {
                memory_bytes: Some(32 << 20),
                cpus: Some(0.5),
                ..Default::default()
            },
        };
        let plan = ServicePlan {
            name: "berth-job-1",
            job_id: "1",
            image: "busybox",
            count: 3,
            initial: 2,
        };
        let args: Vec<String> = create_args(&plan, &spec)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        let joined = args.join(" ");
        assert!(joined.starts_with(
            "service create --detach --quiet --name berth-job-1 --label berth.job=1 \
             --container-label berth.job=1 --mode replicated --replicas 2 \
             --restart-condition none --stop-grace-period 0s"
        ));
        assert!(joined.contains("--limit-memory 33554432 --limit-cpu 0.5"));
        assert!(joined.ends_with(
            "--env A={{\"{{\"}}.Task.Slot}} }} --env BERTH_JOB_INDEX={{.Task.Slot}} \
             --env BERTH_JOB_COUNT=3 busybox sh -c echo {{x}}"
        ));
    }
}
