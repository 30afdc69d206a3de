//! The warm pool: long-running containers (`sleep` as their only process) that `berth exec
//! --image IMG` runs jobs in with `docker exec`, skipping container creation.
//!
//! Slot N is the container `berth-pool-<key>-N`, with `.pixi/berth/pool/N/` mounted at
//! `/work`, and the lock file `.pixi/berth/pool/N.lock`: a job holds the lock while it runs,
//! so one container runs one job at a time. Each job works in a fresh `/work/<job-id>`,
//! removed after its outputs are copied back; the slot directory is emptied whenever a job
//! claims it. Processes a job leaves running in the background stay in the container.
//! Limits are the pool's, set at `pool start`: a job that asks for others gets a container
//! of its own. A pool container found dead is replaced.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use serde::Serialize;

use super::container::{Docker, env_args};
use super::{JobLimits, JobSpec, Logs, Outcome, Workspace, supervise};
use crate::diag::Diagnostic;
use crate::docker_api;
use crate::exit::ExitStatus;
use crate::process::{Limits, Watched};

/// The label that marks a project's pool containers.
pub const POOL_LABEL: &str = "berth.pool";

pub struct Pool<'a> {
    docker: &'a Docker,
    /// The value of the `berth.pool` label: the project's name and a hash of its root.
    pub key: String,
    dir: PathBuf,
}

/// One pool container, as `pool status` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub name: String,
    pub id: String,
    pub slot: u32,
    pub image: String,
    /// The engine's state: `running`, `exited`, ...
    pub state: String,
    /// The memory limit in bytes, if the pool has one.
    pub memory: Option<u64>,
    pub cpus: Option<f64>,
    /// Whether a job holds the slot now.
    pub busy: bool,
}

impl Member {
    fn running(&self) -> bool {
        self.state == "running"
    }

    /// Whether a job with `limits` may run here: it asks for no limits or for the pool's.
    fn fits(&self, image: &str, limits: &JobLimits) -> bool {
        self.image == image
            && limits.memory_bytes.is_none_or(|m| self.memory == Some(m))
            && limits.cpus.is_none_or(|c| self.cpus == Some(c))
    }
}

/// A slot a job holds until this is dropped.
pub struct Claim {
    _lock: File,
    pub container: String,
    /// The slot's directory, mounted at `/work` in the container.
    pub dir: PathBuf,
    memory_limited: bool,
}

impl<'a> Pool<'a> {
    /// The pool of the project `name` at `root`, with its state under `dir`.
    pub fn new(docker: &'a Docker, name: &str, root: &Path, dir: PathBuf) -> Pool<'a> {
        let hash = xxhash_rust::xxh3::xxh3_64(root.as_os_str().as_encoded_bytes());
        Pool {
            docker,
            key: format!("{name}-{:08x}", hash as u32),
            dir,
        }
    }

    fn container_name(&self, slot: u32) -> String {
        format!("berth-pool-{}-{slot}", self.key)
    }

    fn slot_dir(&self, slot: u32) -> PathBuf {
        self.dir.join(slot.to_string())
    }

    fn lock_path(&self, slot: u32) -> PathBuf {
        self.dir.join(format!("{slot}.lock"))
    }

    /// The lock of `slot`, if no job holds it.
    fn try_lock(&self, slot: u32) -> Result<Option<File>> {
        let file = crate::private_fs::open_lock(&self.lock_path(slot))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
        }
    }

    /// Every container of the pool, by slot: from the engine's API when its socket is at
    /// hand, else from `docker ps`.
    pub fn members(&self) -> Result<Vec<Member>> {
        let filter = format!("{{\"label\":[\"{POOL_LABEL}={}\"]}}", self.key);
        let path = format!(
            "/containers/json?all=1&filters={}",
            docker_api::query_escape(&filter)
        );
        if let Some(listing) = self
            .docker
            .socket()
            .and_then(|s| docker_api::get_json(s, &path))
        {
            let mut members: Vec<Member> = listing
                .as_array()
                .map(|all| all.iter().filter_map(member_from_api).collect())
                .unwrap_or_default();
            members.sort_by_key(|m| m.slot);
            return Ok(members);
        }
        self.members_from_cli()
    }

    fn members_from_cli(&self) -> Result<Vec<Member>> {
        let format = "{{.Names}}\t{{.ID}}\t{{.State}}\t{{.Label \"berth.pool.image\"}}\t\
                      {{.Label \"berth.pool.slot\"}}\t{{.Label \"berth.pool.memory\"}}\t\
                      {{.Label \"berth.pool.cpus\"}}";
        let listing = self.docker.query_ok([
            "ps",
            "-a",
            "--filter",
            &format!("label={POOL_LABEL}={}", self.key),
            "--format",
            format,
        ])?;
        let mut members: Vec<Member> = listing.lines().filter_map(parse_member).collect();
        members.sort_by_key(|m| m.slot);
        Ok(members)
    }

    /// Start the container of `slot` (its workspace mounted at `/work`).
    fn launch(&self, slot: u32, image: &str, memory: Option<u64>, cpus: Option<f64>) -> Result<()> {
        let dir = self.slot_dir(slot);
        fs_err::create_dir_all(&dir)?;
        let name = self.container_name(slot);
        let mut args: Vec<OsString> = vec![
            "run".into(),
            "-d".into(),
            "--name".into(),
            name.clone().into(),
            "--label".into(),
            format!("{POOL_LABEL}={}", self.key).into(),
            "--label".into(),
            format!("berth.pool.image={image}").into(),
            "--label".into(),
            format!("berth.pool.slot={slot}").into(),
            "--network".into(),
            "none".into(),
            "-v".into(),
            {
                let mut mount = dir.into_os_string();
                mount.push(":/work");
                mount
            },
        ];
        if let Some(memory) = memory {
            args.extend([
                "--label".into(),
                format!("berth.pool.memory={memory}").into(),
                "--memory".into(),
                memory.to_string().into(),
            ]);
        }
        if let Some(cpus) = cpus {
            args.extend([
                "--label".into(),
                format!("berth.pool.cpus={cpus}").into(),
                "--cpus".into(),
                cpus.to_string().into(),
            ]);
        }
        // The longest sleep every `sleep` accepts: the container idles until removed.
        args.extend([image.into(), "sleep".into(), "2147483647".into()]);
        crate::ui::step("Starting", &format!("pool container {name} ({image})"));
        self.docker.query_ok(&args)?;
        Ok(())
    }

    /// Replace the dead container `member` with a fresh one for its slot.
    fn replace(&self, member: &Member) -> Result<()> {
        crate::ui::note(&format!(
            "pool container {} is {}; replacing it",
            member.name, member.state
        ));
        self.docker.remove(&member.name);
        self.launch(member.slot, &member.image, member.memory, member.cpus)
    }

    /// Make slots `0..size` run `image`.
    pub fn start(
        &self,
        size: u32,
        image: &str,
        memory: Option<u64>,
        cpus: Option<f64>,
    ) -> Result<()> {
        let members = self.members()?;
        if let Some(other) = members.iter().find(|m| m.image != image) {
            return Err(
                Diagnostic::new(format!("the pool already runs `{}`", other.image))
                    .help("stop it first with `berth pool stop`, then start it with the new image")
                    .into(),
            );
        }
        for slot in 0..size {
            match members.iter().find(|m| m.slot == slot) {
                Some(member) if member.running() => {}
                Some(member) => self.replace(member)?,
                None => self.launch(slot, image, memory, cpus)?,
            }
        }
        Ok(())
    }

    /// The pool's containers, after replacing dead ones that no job holds.
    pub fn status(&self) -> Result<Vec<Member>> {
        let mut members = self.members()?;
        let mut replaced = false;
        for member in &mut members {
            match self.try_lock(member.slot)? {
                None => member.busy = true,
                Some(_lock) if !member.running() => {
                    self.replace(member)?;
                    replaced = true;
                }
                Some(_) => {}
            }
        }
        if replaced {
            let busy: Vec<u32> = members.iter().filter(|m| m.busy).map(|m| m.slot).collect();
            members = self.members()?;
            for member in &mut members {
                member.busy = busy.contains(&member.slot);
            }
        }
        Ok(members)
    }

    /// Remove every container of the pool and its workspaces; how many containers there were.
    pub fn stop(&self) -> Result<usize> {
        let members = self.members()?;
        if !members.is_empty() {
            let mut args = vec!["rm".to_string(), "-f".to_string()];
            args.extend(members.iter().map(|m| m.name.clone()));
            self.docker.query_ok(&args)?;
        }
        if self.dir.exists() {
            fs_err::remove_dir_all(&self.dir)?;
        }
        Ok(members.len())
    }

    /// A free, running container for a job on `image` with `limits`, if the pool has one.
    /// Dead containers met on the way are replaced.
    pub fn claim(&self, image: &str, limits: &JobLimits) -> Result<Option<Claim>> {
        let mut claim = None;
        for member in self.members()? {
            let Some(lock) = self.try_lock(member.slot)? else {
                continue;
            };
            if !member.running() {
                self.replace(&member)?;
            }
            if claim.is_none() && member.fits(image, limits) {
                let dir = self.slot_dir(member.slot);
                empty_dir(&dir)?;
                claim = Some(Claim {
                    _lock: lock,
                    container: member.name.clone(),
                    dir,
                    memory_limited: member.memory.is_some(),
                });
            }
        }
        Ok(claim)
    }
}

/// Run a job in a claimed pool container. A timeout or Ctrl-C kills the whole container (the
/// job's processes cannot be told apart from outside); the next job replaces it.
pub fn run(
    docker: &Docker,
    claim: &Claim,
    spec: &JobSpec,
    workspace: &Workspace,
    logs: Logs,
) -> Result<Outcome> {
    let mut args: Vec<OsString> = vec![
        "exec".into(),
        "-w".into(),
        format!("/work/{}", workspace.id).into(),
    ];
    args.extend(env_args(spec));
    args.push(claim.container.clone().into());
    args.extend(spec.command.iter().cloned());
    let mut command = docker.command(&args);
    logs.attach(&mut command)?;
    let started = Instant::now();
    let mut watched = Watched::spawn(command, Limits::default())?;
    let tees = logs.start(&mut watched);
    let finished = supervise(&watched, started, spec.limits.timeout, || {
        docker.kill(&claim.container)
    })?;
    tees.finish()?;
    let code = ExitStatus::from_std(finished.status).code();
    Ok(Outcome {
        ending: finished.ending,
        code,
        signal: super::container::signal_of(code),
        // The OOM killer's victims inside a running container are not reported per process.
        oom_killed: None,
        duration: finished.duration,
        peak_memory_bytes: None,
        memory_limit_mechanism: claim.memory_limited.then_some("cgroup"),
    })
}

/// One container of the engine's `GET /containers/json` answer.
fn member_from_api(container: &serde_json::Value) -> Option<Member> {
    let label = |name: &str| container["Labels"][name].as_str().unwrap_or_default();
    let name = container["Names"][0].as_str()?.trim_start_matches('/');
    let id = container["Id"].as_str()?;
    Some(Member {
        name: name.to_string(),
        // As `docker ps` and the container's hostname show it.
        id: id.chars().take(12).collect(),
        slot: label("berth.pool.slot").parse().ok()?,
        image: label("berth.pool.image").to_string(),
        state: container["State"].as_str()?.to_string(),
        memory: label("berth.pool.memory").parse().ok(),
        cpus: label("berth.pool.cpus").parse().ok(),
        busy: false,
    })
}

/// One line of the `docker ps` listing in [`Pool::members_from_cli`].
fn parse_member(line: &str) -> Option<Member> {
    let fields: Vec<&str> = line.split('\t').collect();
    let [name, id, state, image, slot, memory, cpus] = fields[..] else {
        return None;
    };
    Some(Member {
        name: name.to_string(),
        id: id.to_string(),
        slot: slot.parse().ok()?,
        image: image.to_string(),
        state: state.to_string(),
        memory: memory.parse().ok(),
        cpus: cpus.parse().ok(),
        busy: false,
    })
}

/// Remove everything inside `dir` (creating it if missing).
fn empty_dir(dir: &Path) -> Result<()> {
    fs_err::create_dir_all(dir)?;
    for entry in fs_err::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() && !path.is_symlink() {
            fs_err::remove_dir_all(&path)?;
        } else {
            fs_err::remove_file(&path)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_lines_become_members() {
        let member =
            parse_member("berth-pool-x-1\tabc123\trunning\tbusybox:1\t1\t67108864\t1.5").unwrap();
        assert_eq!(member.slot, 1);
        assert_eq!(member.memory, Some(67_108_864));
        assert_eq!(member.cpus, Some(1.5));
        let bare = parse_member("n\tid\texited\timg\t0\t\t").unwrap();
        assert!(!bare.running() && bare.memory.is_none());
        assert!(bare.fits("img", &JobLimits::default()));
        assert!(!bare.fits(
            "img",
            &JobLimits {
                memory_bytes: Some(1),
                ..JobLimits::default()
            }
        ));
        assert!(parse_member("garbage").is_none());
    }

    #[test]
    fn engine_listings_become_members() {
        let container = serde_json::json!({
            "Id": "0123456789abcdef",
            "Names": ["/berth-pool-x-0"],
            "State": "running",
            "Labels": {"berth.pool.slot": "0", "berth.pool.image": "img", "berth.pool.cpus": "2"},
        });
        let member = member_from_api(&container).unwrap();
        assert_eq!(member.name, "berth-pool-x-0");
        assert_eq!(member.id, "0123456789ab");
        assert_eq!(
            (member.slot, member.cpus, member.memory),
            (0, Some(2.0), None)
        );
        assert!(member_from_api(&serde_json::json!({"Id": "x"})).is_none());
    }
}
