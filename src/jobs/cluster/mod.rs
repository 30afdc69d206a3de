//! `berth exec --cluster`: one job as N replicas on the project's engine, a Docker Swarm
//! manager, which places them on its nodes. berth schedules nothing itself: it creates one
//! service, watches its tasks, saves each replica's logs and removes the service.
//!
//! The service is `replicated` with restart condition `none`, not a `replicated-job`. On
//! engine 20.10 (and swarmkit since), a replicated job runs a failed task again whatever its
//! restart policy (the job reconciler fills every slot without a completed task), so a
//! failing replica would run over and over with the same index; and a job's slots count from
//! 0, which `{{.Task.Slot}}` prints as the node's id. A replicated service numbers its slots
//! 1…N, and with restart condition `none` Swarm never replaces a task that ended: each index
//! runs exactly once. `--parallel M` is the service started with M replicas and scaled up by
//! one as each ends; Swarm puts each new task in the next free slot.

mod board;
mod swarm;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;

use self::board::{Board, Phase};
use self::swarm::{ServicePlan, Swarm};
use super::container::{Docker, container_name, job_of_name, signal_of};
use super::workspace::{self, JobDir, Owner};
use super::{Ending, JobResult, JobSpec, TIMED_OUT_EXIT_CODE};
use crate::process::signals;
use crate::{private_fs, ui};

/// How many replicas, and how many at once.
#[derive(Debug, Clone, Copy)]
pub struct Replicas {
    pub count: u32,
    pub parallel: u32,
}

/// What `berth exec --cluster --json` prints and `result.json` holds: the single job's
/// object, whose `stdout_path` and `stderr_path` hold every replica's output in index order,
/// and one entry per replica.
#[derive(Debug, Serialize)]
pub struct ClusterResult {
    #[serde(flatten)]
    pub job: JobResult,
    pub replicas: Vec<ReplicaResult>,
}

#[derive(Debug, Serialize)]
pub struct ReplicaResult {
    /// `BERTH_JOB_INDEX`, 1…N.
    pub index: u32,
    /// Null for a replica that had not ended when the job was stopped.
    pub exit_code: Option<i32>,
    /// The host name of the node it ran on; null if it was never placed.
    pub node: Option<String>,
    pub duration_ms: Option<u64>,
    pub stdout_path: PathBuf,
    pub stderr_path: PathBuf,
}

/// A job's Swarm service whose berth is gone: killed outright (SIGKILL), it could not remove
/// the service, which keeps its tasks running.
#[derive(Debug, Clone)]
pub struct LeftoverService {
    pub name: String,
    pub id: String,
}

/// The services of this project's cluster jobs (their directories under `jobs_dir`) that no
/// berth runs any more ([`JobDir::owner`]). An engine that is not a swarm manager has no
/// services.
pub fn leftover_services(docker: &Docker, jobs_dir: &Path) -> Result<Vec<LeftoverService>> {
    let format = "{{.ID}}\t{{.Name}}";
    let listed = docker.query([
        "service",
        "ls",
        "--filter",
        "label=berth.job",
        "--format",
        format,
    ])?;
    if listed.status.code() != 0 {
        if listed.stderr.contains("not a swarm manager") {
            return Ok(Vec::new());
        }
        anyhow::bail!("`docker service ls` failed: {}", listed.stderr.trim());
    }
    let mut leftovers = Vec::new();
    for line in listed.stdout.lines() {
        let mut fields = line.split('\t');
        let (Some(id), Some(name)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Some(job) = job_of_name(name) else {
            continue;
        };
        if JobDir::owner(&jobs_dir.join(job))? == Owner::Gone {
            leftovers.push(LeftoverService {
                name: name.to_string(),
                id: id.to_string(),
            });
        }
    }
    Ok(leftovers)
}

/// Between two looks at the tasks; Ctrl-C and the timeout are noticed within [`TICK`].
const POLL: Duration = Duration::from_millis(250);
const TICK: Duration = Duration::from_millis(50);

/// Run `spec` as `replicas` replicas of `image` on the engine `docker` talks to, which must be
/// a swarm manager, in a new job directory under `jobs_dir`.
pub fn run(
    docker: &Docker,
    image: &str,
    spec: &JobSpec,
    replicas: Replicas,
    jobs_dir: &Path,
) -> Result<ClusterResult> {
    let swarm = Swarm::new(docker);
    swarm.require_manager()?;
    // Ctrl-C and SIGTERM become a flag from here on: the service must go however berth ends.
    let _interrupts = signals::CatchInterrupts::new();
    // `_owner` is declared before the service, so dropped after it: the job counts as running
    // for as long as its service can exist (see `leftover_services`).
    let JobDir {
        id,
        dir,
        owner: _owner,
    } = JobDir::create(jobs_dir)?;
    let logs = ReplicaLogs::create(&dir, replicas.count)?;
    let name = container_name(&id);
    let plan = ServicePlan {
        name: &name,
        job_id: &id,
        image,
        count: replicas.count,
        initial: replicas.parallel.min(replicas.count),
    };
    let started = Instant::now();
    let mut service = swarm.create(&plan, spec)?;
    ui::debug(&format!("job {id}: service {name}"));

    let mut board = Board::new(replicas.count);
    let mut scaled_to = plan.initial;
    let deadline = spec.limits.timeout.map(|t| started + t);
    let progress = ui::Progress::start();
    let mut next_look = Instant::now();
    let ending = loop {
        if signals::interrupted() {
            break Ending::Cancelled;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break Ending::TimedOut;
        }
        if Instant::now() >= next_look {
            for index in board.update(swarm.tasks(&name)?) {
                save_logs(&swarm, &board, &logs, index);
            }
            if board.all_ended() {
                break Ending::Exited;
            }
            let wanted = (board.ended() + replicas.parallel).min(replicas.count);
            if wanted > scaled_to {
                service.scale(wanted)?;
                scaled_to = wanted;
            }
            progress.step(&describe(&board, replicas.count));
            next_look = Instant::now() + POLL;
        }
        std::thread::sleep(TICK);
    };
    progress.finish();
    if ending != Ending::Exited {
        // What ended meanwhile keeps its exit code; what still runs keeps what it printed so
        // far. Then the service goes, which stops the rest.
        let just_ended = swarm
            .tasks(&name)
            .map(|tasks| board.update(tasks))
            .unwrap_or_default();
        for index in 1..=replicas.count {
            let unfinished = board.task(index).is_some_and(|t| t.phase != Phase::Ended);
            if unfinished || just_ended.contains(&index) {
                save_logs(&swarm, &board, &logs, index);
            }
        }
    }
    service.remove();
    let duration = started.elapsed();

    let node_ids: Vec<&str> = (1..=replicas.count)
        .filter_map(|i| board.task(i)?.node_id.as_deref())
        .collect();
    let nodes = swarm.node_names(&node_ids);
    let replica_results: Vec<ReplicaResult> = (1..=replicas.count)
        .map(|index| {
            let task = board.task(index);
            let node_id = task.and_then(|t| t.node_id.as_deref());
            ReplicaResult {
                index,
                exit_code: task.and_then(|t| t.exit_code),
                node: node_id.map(|id| nodes.get(id).cloned().unwrap_or_else(|| id.to_string())),
                duration_ms: task.and_then(|t| t.duration_ms()),
                stdout_path: logs.stdout(index),
                stderr_path: logs.stderr(index),
            }
        })
        .collect();
    let (stdout_path, stderr_path) = logs.combine()?;
    let exit_code = match ending {
        Ending::Exited => board.first_failure().unwrap_or(0),
        Ending::TimedOut => TIMED_OUT_EXIT_CODE,
        Ending::Cancelled => signals::interruption().exit_code(),
    };
    let result = ClusterResult {
        job: JobResult {
            id,
            runtime: docker.runtime,
            pooled: false,
            exit_code,
            signal: (ending == Ending::Exited)
                .then(|| signal_of(exit_code))
                .flatten()
                .map(crate::process::signal_name),
            timed_out: ending == Ending::TimedOut,
            cancelled: ending == Ending::Cancelled,
            // The OOM killer's verdict lives on each node's engine, out of the manager's view.
            oom_killed: None,
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            peak_memory_bytes: None,
            memory_limit_mechanism: spec.limits.memory_bytes.map(|_| "cgroup"),
            outputs: Vec::new(),
            stdout_path,
            stderr_path,
            workspace: dir.clone(),
        },
        replicas: replica_results,
    };
    workspace::write_result(&dir, &result)?;
    Ok(result)
}

/// `replicas: 1 done, 1 running, 1 failed, 0 waiting (of 3)`.
fn describe(board: &Board, count: u32) -> String {
    let counts = board.counts();
    format!(
        "replicas: {} done, {} running, {} failed, {} waiting (of {count})",
        counts.succeeded, counts.running, counts.failed, counts.waiting
    )
}

/// Save replica `index`'s logs, or say why they could not be read.
fn save_logs(swarm: &Swarm<'_>, board: &Board, logs: &ReplicaLogs, index: u32) {
    let Some(task) = board.task(index) else {
        return;
    };
    if let Err(err) = swarm.save_logs(&task.id, &logs.stdout(index), &logs.stderr(index)) {
        ui::warn(&format!(
            "replica {index}: its logs could not be read: {err:#}"
        ));
    }
    if let Some(error) = task
        .error
        .as_deref()
        .filter(|_| task.exit_code == Some(125))
    {
        ui::warn(&format!("replica {index} did not run: {error}"));
    }
}

/// Each replica's `stdout.log` and `stderr.log` under `replicas/<index>/` of the job's
/// directory (mode 0600, empty until its logs are saved), and the job's own two, which hold
/// them all in index order.
struct ReplicaLogs {
    dir: PathBuf,
    count: u32,
}

impl ReplicaLogs {
    fn create(job_dir: &Path, count: u32) -> Result<ReplicaLogs> {
        let logs = ReplicaLogs {
            dir: job_dir.to_path_buf(),
            count,
        };
        for index in 1..=count {
            private_fs::ensure_dir(&logs.replica_dir(index))?;
            private_fs::create_file(&logs.stdout(index))?;
            private_fs::create_file(&logs.stderr(index))?;
        }
        Ok(logs)
    }

    fn replica_dir(&self, index: u32) -> PathBuf {
        self.dir.join("replicas").join(index.to_string())
    }

    fn stdout(&self, index: u32) -> PathBuf {
        self.replica_dir(index).join("stdout.log")
    }

    fn stderr(&self, index: u32) -> PathBuf {
        self.replica_dir(index).join("stderr.log")
    }

    /// Write the job's `stdout.log` and `stderr.log` from the replicas' ones; their paths.
    fn combine(&self) -> Result<(PathBuf, PathBuf)> {
        let combine = |name: &str| -> Result<PathBuf> {
            let path = self.dir.join(name);
            let mut out = private_fs::create_file(&path)?;
            for index in 1..=self.count {
                let mut part = fs_err::File::open(self.replica_dir(index).join(name))?;
                std::io::copy(&mut part, &mut out)?;
            }
            Ok(path)
        };
        Ok((combine("stdout.log")?, combine("stderr.log")?))
    }
}
