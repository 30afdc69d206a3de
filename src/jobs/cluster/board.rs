//! What the engine says about a cluster job's tasks, read into one record per replica.
//!
//! The job's service is replicated with restart condition `none`, so Swarm gives replica `i`
//! exactly one task, in slot `i` (slots of a replicated service count from 1), and never
//! replaces it once it ended.

use serde_json::Value;

/// One task of the job's service, from the engine's task object (`GET /tasks`,
/// `docker inspect --type task`).
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: String,
    pub slot: u32,
    pub node_id: Option<String>,
    pub phase: Phase,
    /// The exit code berth reports for an ended task (see [`exit_code`]).
    pub exit_code: Option<i32>,
    /// Why the engine failed or rejected the task, in its words.
    pub error: Option<String>,
    /// When the manager created the task, in nanoseconds since the epoch.
    created_at: Option<i128>,
    /// When the task entered its current state, by its node's clock.
    state_since: Option<i128>,
}

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Created, scheduled, pulling or starting: not running yet.
    Waiting,
    Running,
    Ended,
}

impl Task {
    /// The task an engine task object describes; `None` for an object without an id or slot.
    pub fn from_json(task: &Value) -> Option<Task> {
        let status = &task["Status"];
        let state = status["State"].as_str().unwrap_or_default();
        let phase = phase_of(state);
        let container_code = status["ContainerStatus"]["ExitCode"]
            .as_i64()
            .and_then(|code| i32::try_from(code).ok());
        let text = |value: &Value| {
            value
                .as_str()
                .filter(|text| !text.is_empty())
                .map(str::to_string)
        };
        Some(Task {
            id: text(&task["ID"])?,
            slot: u32::try_from(task["Slot"].as_u64()?).ok()?,
            node_id: text(&task["NodeID"]),
            phase,
            exit_code: (phase == Phase::Ended).then(|| exit_code(state, container_code)),
            error: text(&status["Err"]),
            created_at: task["CreatedAt"].as_str().and_then(timestamp_nanos),
            state_since: status["Timestamp"].as_str().and_then(timestamp_nanos),
        })
    }

    /// From the task's creation (scheduling, image pull and start included, as a single job's
    /// `docker run` includes them) to its end; `None` until it ended.
    pub fn duration_ms(&self) -> Option<u64> {
        if self.phase != Phase::Ended {
            return None;
        }
        let nanos = self.state_since? - self.created_at?;
        // The end is stamped by the node, the creation by the manager: a skewed clock must not
        // make a duration negative.
        Some(u64::try_from(nanos.max(0) / 1_000_000).unwrap_or(u64::MAX))
    }
}

/// The phase of a task state, as the engine names them (lower-case `TaskState` values of
/// moby/swarmkit api/types.proto, swarmkit v20.10: new … running, then complete, shutdown,
/// failed, rejected, remove, orphaned).
fn phase_of(state: &str) -> Phase {
    match state {
        "running" => Phase::Running,
        "complete" | "shutdown" | "failed" | "rejected" | "remove" | "orphaned" => Phase::Ended,
        _ => Phase::Waiting,
    }
}

/// A completed task exited 0. Any other end is the container's own non-zero code, or 125 when
/// the engine never ran the command (no such image, a node that refused the task), as
/// `docker run` exits 125 when docker itself failed.
fn exit_code(state: &str, container_code: Option<i32>) -> i32 {
    match container_code {
        _ if state == "complete" => 0,
        Some(code) if code != 0 => code,
        _ => 125,
    }
}

/// An RFC 3339 time as the engine writes it (`2026-12-01T14:33:18.309436837Z`), in
/// nanoseconds since the epoch.
fn timestamp_nanos(text: &str) -> Option<i128> {
    let datetime: toml_datetime::Datetime = text.parse().ok()?;
    let (date, time) = (datetime.date?, datetime.time?);
    let offset_minutes = match datetime.offset? {
        toml_datetime::Offset::Z => 0,
        toml_datetime::Offset::Custom { minutes } => i128::from(minutes),
    };
    let days = days_from_civil(
        i128::from(date.year),
        i128::from(date.month),
        i128::from(date.day),
    );
    let seconds = days * 86_400
        + i128::from(time.hour) * 3600
        + i128::from(time.minute) * 60
        + i128::from(time.second.unwrap_or(0))
        - offset_minutes * 60;
    Some(seconds * 1_000_000_000 + i128::from(time.nanosecond.unwrap_or(0)))
}

/// Days since 1970-01-01 of a calendar date (Howard Hinnant's algorithm).
fn days_from_civil(year: i128, month: i128, day: i128) -> i128 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// One record per replica: the task Swarm gave it, once it has one.
pub struct Board {
    replicas: Vec<Option<Task>>,
}

/// How many replicas are where, for the progress line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub succeeded: u32,
    pub failed: u32,
    pub running: u32,
    pub waiting: u32,
}

impl Board {
    pub fn new(count: u32) -> Board {
        Board {
            replicas: vec![None; count as usize],
        }
    }

    /// Take in the service's tasks; the indexes of the replicas that ended since last time.
    /// A replica keeps the first task it was seen with: with restart condition `none` Swarm
    /// makes no other, and should anyone else add one, it is not the replica berth started.
    pub fn update(&mut self, tasks: Vec<Task>) -> Vec<u32> {
        let mut ended = Vec::new();
        for task in tasks {
            let Some(entry) = (task.slot as usize)
                .checked_sub(1)
                .and_then(|i| self.replicas.get_mut(i))
            else {
                continue;
            };
            let known = entry.as_ref();
            if known.is_some_and(|known| known.id != task.id) {
                continue;
            }
            if task.phase == Phase::Ended && known.is_none_or(|known| known.phase != Phase::Ended) {
                ended.push(task.slot);
            }
            *entry = Some(task);
        }
        ended.sort_unstable();
        ended
    }

    /// The task of replica `index` (1-based), if it has one.
    pub fn task(&self, index: u32) -> Option<&Task> {
        self.replicas
            .get((index as usize).checked_sub(1)?)?
            .as_ref()
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for task in &self.replicas {
            match task.as_ref().map(|t| (t.phase, t.exit_code)) {
                Some((Phase::Ended, Some(0))) => counts.succeeded += 1,
                Some((Phase::Ended, _)) => counts.failed += 1,
                Some((Phase::Running, _)) => counts.running += 1,
                Some((Phase::Waiting, _)) | None => counts.waiting += 1,
            }
        }
        counts
    }

    /// How many replicas ended, however.
    pub fn ended(&self) -> u32 {
        let counts = self.counts();
        counts.succeeded + counts.failed
    }

    pub fn all_ended(&self) -> bool {
        self.ended() as usize == self.replicas.len()
    }

    /// The exit code of the lowest-index replica that failed, if one did.
    pub fn first_failure(&self) -> Option<i32> {
        self.replicas
            .iter()
            .flatten()
            .find_map(|task| task.exit_code.filter(|&code| code != 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(id: &str, slot: u32, state: &str, exit: i64) -> Value {
        json!({
            "ID": id, "Slot": slot, "NodeID": "node1",
            "CreatedAt": "2026-12-01T14:33:16.826621062Z",
            "Status": {
                "Timestamp": "2026-12-01T14:33:18.309436837Z", "State": state,
                "Err": if exit == 0 { "" } else { "task: non-zero exit" },
                "ContainerStatus": { "ContainerID": "c", "PID": 0, "ExitCode": exit }
            }
        })
    }

    #[test]
    fn an_engine_task_object_is_read() {
        let failed = Task::from_json(&task("t1", 2, "failed", 3)).unwrap();
        assert_eq!(failed.slot, 2);
        assert_eq!(failed.node_id.as_deref(), Some("node1"));
        assert_eq!(failed.phase, Phase::Ended);
        assert_eq!(failed.exit_code, Some(3));
        assert_eq!(failed.error.as_deref(), Some("task: non-zero exit"));
        assert_eq!(failed.duration_ms(), Some(1482));
        let running = Task::from_json(&task("t2", 1, "running", 0)).unwrap();
        assert_eq!((running.phase, running.exit_code), (Phase::Running, None));
        assert_eq!(running.duration_ms(), None);
        assert_eq!(Task::from_json(&json!({"ID": "x"})), None);
    }

    #[test]
    fn exit_codes_are_the_containers_or_125_when_the_engine_never_ran_it() {
        assert_eq!(exit_code("complete", Some(0)), 0);
        assert_eq!(exit_code("failed", Some(127)), 127);
        // A rejected task (no such image) has no container: its code reads 0.
        assert_eq!(exit_code("rejected", Some(0)), 125);
        assert_eq!(exit_code("failed", None), 125);
        assert_eq!(phase_of("starting"), Phase::Waiting);
        assert_eq!(phase_of("orphaned"), Phase::Ended);
    }

    #[test]
    fn timestamps_across_days_and_offsets() {
        let day = 86_400 * 1_000_000_000_i128;
        assert_eq!(timestamp_nanos("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            timestamp_nanos("1970-01-02T00:00:00.5Z"),
            Some(day + 500_000_000)
        );
        assert_eq!(
            timestamp_nanos("2024-03-01T00:00:00Z").unwrap()
                - timestamp_nanos("2024-02-28T23:00:00Z").unwrap(),
            day + day / 24
        );
        assert_eq!(
            timestamp_nanos("2024-01-01T02:00:00+02:00"),
            timestamp_nanos("2024-01-01T00:00:00Z")
        );
        assert!(timestamp_nanos("0001-01-01T00:00:00Z").unwrap() < 0);
        assert_eq!(timestamp_nanos("yesterday"), None);
    }

    #[test]
    fn the_board_keeps_one_task_per_replica_and_reports_each_end_once() {
        let read = |v: Value| Task::from_json(&v).unwrap();
        let mut board = Board::new(3);
        assert_eq!(board.counts().waiting, 3);
        let ended = board.update(vec![
            read(task("a", 1, "running", 0)),
            read(task("b", 2, "failed", 4)),
            // A slot outside the job, and a second task in a taken slot, are not replicas.
            read(task("x", 4, "complete", 0)),
            read(task("y", 2, "complete", 0)),
        ]);
        assert_eq!(ended, [2]);
        assert_eq!(board.task(2).unwrap().id, "b");
        let counts = board.counts();
        assert_eq!((counts.running, counts.failed, counts.waiting), (1, 1, 1));
        let ended = board.update(vec![
            read(task("a", 1, "complete", 0)),
            read(task("b", 2, "failed", 4)),
            read(task("c", 3, "failed", 9)),
        ]);
        assert_eq!(ended, [1, 3]);
        assert!(board.all_ended());
        assert_eq!(board.first_failure(), Some(4));
        assert_eq!(board.counts().succeeded, 1);
    }
}
