//! `berth exec --cluster`: jobs as replicas on a real (private, single-node) Docker Swarm.

use std::path::PathBuf;

use serde_json::Value;

use crate::harness::{Output, TEST_IMAGE, TestProject, docker_available, wait_until};
use crate::sshd::SshProject;
use crate::swarm::{PrivateSwarm, private_swarm};

/// A project whose engine is the private swarm's: its `DOCKER_HOST`, kept by
/// `respect-docker-host` (the `unix://` and `ssh://` runtimes name it at the end).
fn project() -> TestProject {
    TestProject::with_tasks("[tool.berth]\nrespect-docker-host = true\n")
}

/// The private swarm and a fresh project; `None` (the test is skipped) when no swarm can run
/// here.
fn on_swarm() -> Option<(&'static PrivateSwarm, TestProject)> {
    Some((private_swarm()?, project()))
}

/// `berth exec --cluster --image TEST_IMAGE --replicas N ARGS` against the private swarm.
fn cluster(
    swarm: &PrivateSwarm,
    p: &TestProject,
    replicas: u32,
    args: &[&str],
) -> crate::harness::Run {
    let replicas = replicas.to_string();
    let mut words = vec!["exec", "--cluster", "--image", TEST_IMAGE];
    words.extend_from_slice(&["--replicas", &replicas]);
    words.extend_from_slice(args);
    p.berth(&words).env("DOCKER_HOST", swarm.host())
}

/// The same with `--json`, expecting exit `code`; the result, after checking that the job
/// left no service behind.
#[track_caller]
fn cluster_json(
    swarm: &PrivateSwarm,
    p: &TestProject,
    replicas: u32,
    args: &[&str],
    code: i32,
) -> Value {
    let mut words = vec!["--json"];
    words.extend_from_slice(args);
    let output = cluster(swarm, p, replicas, &words).run();
    output.code(code);
    let result = output.json();
    assert_eq!(result["exit_code"], code, "{result:#}");
    assert_eq!(services_of(swarm, &result["id"]), "", "the service is gone");
    result
}

fn services_of(swarm: &PrivateSwarm, id: &Value) -> String {
    let label = format!("label=berth.job={}", id.as_str().expect("a job id"));
    swarm.docker_ok(&["service", "ls", "--quiet", "--filter", &label])
}

fn containers_of(swarm: &PrivateSwarm, id: &str) -> Vec<String> {
    let label = format!("label=berth.job={id}");
    swarm
        .docker_ok(&["ps", "--all", "--quiet", "--filter", &label])
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn read(path: &Value) -> String {
    std::fs::read_to_string(path.as_str().expect("a path")).expect("read a log")
}

/// What the engine recorded about job `id`'s containers since the job began (`docker events`,
/// which keeps what happened after the containers are gone): `start 2`, `die 2`, … in order,
/// the number being the task's slot.
fn container_events(swarm: &PrivateSwarm, id: &Value) -> Vec<String> {
    let id = id.as_str().unwrap();
    let label = format!("label=berth.job={id}");
    let until = unix_time();
    let printed = swarm.docker_ok(&[
        "events",
        "--since",
        &began(id),
        "--until",
        &until,
        "--filter",
        "type=container",
        "--filter",
        "event=start",
        "--filter",
        "event=die",
        "--filter",
        &label,
        "--format",
        "{{.Action}} {{index .Actor.Attributes \"com.docker.swarm.task.name\"}}",
    ]);
    printed
        .lines()
        .map(|line| {
            // The task name is `<service>.<slot>.<task id>`.
            let (action, task) = line.split_once(' ').expect("action and task");
            format!("{action} {}", task.split('.').nth(1).expect("a slot"))
        })
        .collect()
}

/// When job `id` began, read from the id (`YYYYMMDD-HHMMSS-mmm-<pid>` in UTC), as a time
/// `docker events --since` takes.
fn began(id: &str) -> String {
    let part = |range: std::ops::Range<usize>| &id[range];
    format!(
        "{}-{}-{}T{}:{}:{}.{}Z",
        part(0..4),
        part(4..6),
        part(6..8),
        part(9..11),
        part(11..13),
        part(13..15),
        part(16..19)
    )
}

fn unix_time() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    format!("{}.{:09}", now.as_secs(), now.subsec_nanos())
}

/// Each slot in `events` started exactly once.
#[track_caller]
fn started_once_each(events: &[String], count: usize) {
    let mut starts: Vec<&String> = events.iter().filter(|e| e.starts_with("start")).collect();
    starts.sort();
    let expected: Vec<String> = (1..=count).map(|i| format!("start {i}")).collect();
    assert_eq!(starts, expected.iter().collect::<Vec<_>>(), "{events:?}");
}

#[test]
fn three_replicas_each_see_their_own_index_once() {
    let Some((swarm, p)) = on_swarm() else { return };
    let result = cluster_json(
        swarm,
        &p,
        3,
        &[
            "--env",
            "AS_TYPED={{.Task.Slot}}",
            "--",
            "sh",
            "-c",
            "echo \"$BERTH_JOB_INDEX/$BERTH_JOB_COUNT $AS_TYPED\"; echo \"to stderr $BERTH_JOB_INDEX\" >&2",
        ],
        0,
    );
    assert_eq!(result["runtime"], "docker");
    assert_eq!(result["timed_out"], false);
    let replicas = result["replicas"].as_array().unwrap();
    assert_eq!(replicas.len(), 3);
    let node = swarm.node_name();
    for (i, replica) in (1..).zip(replicas) {
        assert_eq!(replica["index"], i, "{result:#}");
        assert_eq!(replica["exit_code"], 0);
        assert_eq!(replica["node"], node.as_str());
        assert!(replica["duration_ms"].is_u64(), "{replica:#}");
        assert_eq!(
            read(&replica["stdout_path"]),
            format!("{i}/3 {{{{.Task.Slot}}}}\n")
        );
        assert_eq!(read(&replica["stderr_path"]), format!("to stderr {i}\n"));
    }
    assert_eq!(
        read(&result["stdout_path"]),
        "1/3 {{.Task.Slot}}\n2/3 {{.Task.Slot}}\n3/3 {{.Task.Slot}}\n"
    );
    assert_eq!(
        saved_result(&PathBuf::from(result["workspace"].as_str().unwrap())),
        result
    );
    started_once_each(&container_events(swarm, &result["id"]), 3);
}

#[test]
fn failing_replicas_run_once_with_their_codes_and_the_first_is_berths() {
    let Some((swarm, p)) = on_swarm() else { return };
    let output = cluster(
        swarm,
        &p,
        3,
        &[
            "--",
            "sh",
            "-c",
            // Replica 2 outlasts Swarm's restart delay (5 s): a failed replica run again
            // would start while the job still runs.
            "echo ran; [ $BERTH_JOB_INDEX = 2 ] && sleep 6; exit $((BERTH_JOB_INDEX == 2 ? 0 : BERTH_JOB_INDEX + 4))",
        ],
    )
    .run();
    output.code(5);
    let node = swarm.node_name();
    let job = job_dir(&p);
    let id = job.file_name().unwrap().to_str().unwrap();
    let logs = |i: u32| format!(".pixi/berth/jobs/{id}/replicas/{i}");
    assert_eq!(
        output.stdout,
        format!(
            "replica 1: exit 5 (on {node}), logs in {}\nreplica 2: exit 0 (on {node}), logs in {}\n\
             replica 3: exit 7 (on {node}), logs in {}\n",
            logs(1),
            logs(2),
            logs(3)
        )
    );
    let result = saved_result(&job);
    let codes: Vec<&Value> = result["replicas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["exit_code"])
        .collect();
    assert_eq!(codes, [5, 0, 7]);
    assert_eq!(read(&result["stdout_path"]), "ran\nran\nran\n");
    // Swarm ran no failed replica a second time.
    started_once_each(&container_events(swarm, &Value::from(id)), 3);
    assert_eq!(services_of(swarm, &Value::from(id)), "");
}

#[test]
fn a_replica_the_engine_cannot_run_exits_125_and_says_why() {
    let Some((swarm, p)) = on_swarm() else { return };
    let output = p
        .berth([
            "exec",
            "--cluster",
            "--json",
            "--image",
            "berth-test/absent:1",
            "--",
            "true",
        ])
        .env("DOCKER_HOST", swarm.host())
        .run();
    output
        .code(125)
        .stderr_has("replica 1 did not run: No such image: berth-test/absent:1");
    assert_eq!(output.json()["replicas"][0]["exit_code"], 125);
}

#[test]
fn parallel_one_runs_the_replicas_one_after_another() {
    let Some((swarm, p)) = on_swarm() else { return };
    let result = cluster_json(swarm, &p, 3, &["--parallel", "1", "--", "sleep", "1"], 0);
    let events = container_events(swarm, &result["id"]);
    started_once_each(&events, 3);
    // Each replica died before the next one started.
    let order: Vec<&str> = events
        .iter()
        .map(|e| e.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        order,
        ["start", "die", "start", "die", "start", "die"],
        "{events:?}"
    );
}

#[test]
fn limits_reach_every_task() {
    let Some((swarm, p)) = on_swarm() else { return };
    let result = cluster_json(
        swarm,
        &p,
        2,
        &[
            "--memory",
            "32m",
            "--cpus",
            "0.5",
            "--",
            "sh",
            "-c",
            // cgroup v1, else v2.
            "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us \
             2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max",
        ],
        0,
    );
    assert_eq!(result["memory_limit_mechanism"], "cgroup");
    let v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    let expected = if v2 {
        "33554432\n50000 100000\n"
    } else {
        "33554432\n50000\n"
    };
    for replica in result["replicas"].as_array().unwrap() {
        assert_eq!(read(&replica["stdout_path"]), expected, "{replica:#}");
    }
}

#[test]
fn a_timeout_removes_the_service_and_exits_124() {
    let Some((swarm, p)) = on_swarm() else { return };
    let result = cluster_json(swarm, &p, 2, &["--timeout", "2s", "--", "sleep", "60"], 124);
    assert_eq!(result["timed_out"], true);
    assert_eq!(result["cancelled"], false);
    for replica in result["replicas"].as_array().unwrap() {
        assert_eq!(replica["exit_code"], Value::Null, "{replica:#}");
    }
    let id = result["id"].as_str().unwrap().to_string();
    wait_until("the timed-out replicas' containers to go", || {
        containers_of(swarm, &id).is_empty()
    });
}

/// The `result.json` of the job directory `job`.
fn saved_result(job: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(job.join("result.json")).unwrap()).unwrap()
}

/// The job directory of the project's only job.
fn job_dir(p: &TestProject) -> PathBuf {
    let mut jobs = std::fs::read_dir(p.path(".pixi/berth/jobs"))
        .expect("the jobs directory")
        .map(|e| e.unwrap().path());
    let job = jobs.next().expect("a job");
    assert!(jobs.next().is_none(), "one job");
    job
}

/// A berth running a job of two replicas that print `started` and sleep a minute, once its
/// job directory exists; the directory and the job id.
fn start_two_sleeping_replicas(
    swarm: &PrivateSwarm,
    p: &TestProject,
) -> (std::process::Child, PathBuf, String) {
    let berth = cluster(swarm, p, 2, &["--", "sh", "-c", "echo started; sleep 60"]).start();
    wait_until("berth to create the job's directory", || {
        p.path(".pixi/berth/jobs").is_dir()
            && std::fs::read_dir(p.path(".pixi/berth/jobs"))
                .unwrap()
                .count()
                == 1
    });
    let job = job_dir(p);
    let id = job.file_name().unwrap().to_str().unwrap().to_string();
    (berth, job, id)
}

#[test]
fn ctrl_c_and_sigterm_remove_the_service_keep_the_logs_and_exit_128_plus_n() {
    use nix::sys::signal::{Signal, kill};
    let Some(swarm) = private_swarm() else { return };
    for (signal, code) in [(Signal::SIGINT, 130), (Signal::SIGTERM, 143)] {
        let p = project();
        let (berth, job, id) = start_two_sleeping_replicas(swarm, &p);
        // A container listed a moment ago may be gone when its logs are asked for (the engine
        // is busy under load): that is "not yet", and the wait's own limit catches a real loss.
        wait_until("both replicas to print", || {
            let running = containers_of(swarm, &id);
            running.len() == 2
                && running.iter().all(|c| {
                    let logs = swarm.docker(&["logs", c]);
                    logs.status.success() && logs.stdout == b"started\n"
                })
        });
        kill(nix::unistd::Pid::from_raw(berth.id() as i32), signal).unwrap();
        let output = crate::harness::finish(berth);
        assert_eq!(output.code, code, "{signal}: {}", output.stderr);
        assert_eq!(
            services_of(swarm, &Value::from(id.as_str())),
            "",
            "{signal}"
        );
        let result = saved_result(&job);
        assert_eq!(result["cancelled"], true);
        assert_eq!(result["exit_code"], code);
        for replica in result["replicas"].as_array().unwrap() {
            assert_eq!(read(&replica["stdout_path"]), "started\n", "{replica:#}");
            assert_eq!(replica["exit_code"], Value::Null);
        }
        wait_until("the cancelled replicas' containers to go", || {
            containers_of(swarm, &id).is_empty()
        });
    }
}

/// The services a project clean plans (`--dry-run --json`) on the private swarm.
fn planned_services(swarm: &PrivateSwarm, p: &TestProject) -> Vec<Value> {
    let output = p
        .berth(["system", "clean", "--dry-run", "--json"])
        .env("DOCKER_HOST", swarm.host())
        .run();
    output.success();
    let plan = output.json()["plan"].as_array().unwrap().clone();
    plan.into_iter()
        .filter(|entry| entry.get("service").is_some())
        .collect()
}

/// A berth killed outright (SIGKILL) cannot remove its job's service; the project's clean
/// finds it (its job's owner lock is free) and removes it, and leaves a live job's alone.
#[test]
fn a_project_clean_removes_the_service_a_killed_berth_left_and_not_a_live_ones() {
    use nix::sys::signal::{Signal, kill};
    let Some((swarm, p)) = on_swarm() else { return };
    let (berth, _job, id) = start_two_sleeping_replicas(swarm, &p);
    wait_until("both replicas to run", || {
        containers_of(swarm, &id).len() == 2
    });
    assert_eq!(
        planned_services(swarm, &p),
        Vec::<Value>::new(),
        "a live job"
    );

    kill(
        nix::unistd::Pid::from_raw(berth.id() as i32),
        Signal::SIGKILL,
    )
    .unwrap();
    let killed = crate::harness::finish(berth);
    assert_eq!(killed.code, 137, "{}", killed.stderr);
    let service = services_of(swarm, &Value::from(id.as_str()))
        .trim()
        .to_string();
    assert_ne!(service, "", "the killed berth's service is left");

    let name = format!("berth-job-{id}");
    let planned = planned_services(swarm, &p);
    assert_eq!(planned.len(), 1, "{planned:#?}");
    assert_eq!(planned[0]["service"], name.as_str());
    assert_eq!(planned[0]["id"], service.as_str());
    assert_eq!(planned[0]["kind"], "job-service");
    assert_eq!(planned[0]["status"], "orphaned");

    let output = p
        .berth(["system", "clean", "--yes"])
        .env("DOCKER_HOST", swarm.host())
        .run();
    output
        .success()
        .stdout_has(&format!(
            "{name} ({service})  service of a cluster job whose berth was killed (its tasks may still run)"
        ))
        .stdout_has("total, 2 paths and 1 swarm service")
        .stderr_has(&format!("Removed swarm service {name}"));
    assert_eq!(services_of(swarm, &Value::from(id.as_str())), "");
    wait_until("the job's containers to go", || {
        containers_of(swarm, &id).is_empty()
    });
}

#[test]
fn an_engine_without_swarm_mode_is_an_error_saying_how_to_start_one() {
    if !docker_available() {
        return;
    }
    // The machine's own engine, which is no swarm (and never becomes one here).
    let p = TestProject::with_tasks("");
    let output: Output = p
        .berth([
            "--runtime",
            "docker",
            "exec",
            "--cluster",
            "--image",
            TEST_IMAGE,
            "--",
            "true",
        ])
        .run();
    output
        .code(1)
        .stderr_has("is not a swarm manager: it is not in swarm mode")
        .stderr_has("help: cluster jobs run as Docker Swarm services")
        .stderr_has("`berth docker swarm init`");
    assert!(!p.path(".pixi/berth/jobs").exists(), "no job was started");
}

#[test]
fn files_in_and_out_are_refused_and_counts_must_be_positive() {
    let p = TestProject::with_tasks("");
    p.write("data.csv", "1\n");
    for (flag, value) in [
        ("--input", "data.csv"),
        ("--output", "*.csv"),
        ("--output-dir", "out"),
    ] {
        p.berth([
            "exec",
            "--cluster",
            "--image",
            TEST_IMAGE,
            flag,
            value,
            "--",
            "true",
        ])
        .run()
        .code(1)
        .stderr_has(&format!(
            "error: {flag} cannot be used with --cluster: the replicas run on the swarm's nodes"
        ))
        .stderr_has("help: put the files the job reads into its image");
    }
    p.berth([
        "exec",
        "--cluster",
        "--image",
        TEST_IMAGE,
        "--replicas",
        "0",
        "--",
        "true",
    ])
    .run()
    .code(1)
    .stderr_has("error: --replicas must be at least 1");
    // Usage errors: a cluster job needs an image, and the counts belong to cluster jobs.
    p.berth(["exec", "--cluster", "--", "true"]).run().code(2);
    p.berth(["exec", "--replicas", "2", "--", "true"])
        .run()
        .code(2);
    assert!(!p.path(".pixi").exists(), "nothing was created");
}

/// `berth exec --cluster --json` of two replicas echoing their index, in `p` as it is (no
/// `DOCKER_HOST`); the result, after checking the replicas ran on the private swarm and left
/// no service.
#[track_caller]
fn two_replicas(swarm: &PrivateSwarm, p: &TestProject) -> Value {
    let output = p
        .berth([
            "exec",
            "--cluster",
            "--json",
            "--image",
            TEST_IMAGE,
            "--replicas",
            "2",
            "--",
            "sh",
            "-c",
            "echo $BERTH_JOB_INDEX",
        ])
        .env_remove("DOCKER_HOST")
        .run();
    output.success();
    let result = output.json();
    let node = swarm.node_name();
    for (i, replica) in (1..).zip(result["replicas"].as_array().unwrap()) {
        assert_eq!(replica["node"], node.as_str(), "{result:#}");
        assert_eq!(read(&replica["stdout_path"]), format!("{i}\n"));
    }
    assert_eq!(services_of(swarm, &result["id"]), "", "the service is gone");
    result
}

#[test]
fn a_unix_runtime_naming_the_swarms_socket_runs_the_job_there() {
    let Some(swarm) = private_swarm() else { return };
    let p = TestProject::with_tasks(&format!("[tool.berth]\nruntime = \"{}\"\n", swarm.host()));
    assert_eq!(two_replicas(swarm, &p)["runtime"], "unix");
}

#[test]
fn an_ssh_runtime_whose_remote_docker_is_the_swarm_runs_the_job_there() {
    let Some(swarm) = private_swarm() else { return };
    // The remote user's docker talks to the private swarm, so the forward goes there.
    let Some(p) = SshProject::start(&format!("SetEnv DOCKER_HOST={}", swarm.host())) else {
        return;
    };
    p.berth(["container", "init"]).run().success();
    assert_eq!(two_replicas(swarm, &p)["runtime"], "ssh");
    p.berth(["container", "stop"]).run().success();
    assert_eq!(p.ssh_processes(), Vec::<u32>::new());
}
