//! `berth exec` (native and container jobs) and `berth pool`.

use std::path::{Path, PathBuf};

use crate::harness::{Output, TEST_IMAGE, TestProject, docker_available, host_docker as docker};

fn project() -> TestProject {
    TestProject::with_tasks("")
}

/// `berth exec --json ARGS`, expecting exit `code`; the result object.
fn exec_json(p: &TestProject, args: &[&str], code: i32) -> serde_json::Value {
    let mut words = vec!["exec", "--json"];
    words.extend_from_slice(args);
    let output = p.berth(&words).run();
    output.code(code);
    let result = output.json();
    assert_eq!(result["exit_code"], code, "{result:#}");
    result
}

/// The same as a container job of the test image: `--image TEST_IMAGE ARGS`.
fn container_json(p: &TestProject, args: &[&str], code: i32) -> serde_json::Value {
    let mut words = vec!["--image", TEST_IMAGE];
    words.extend_from_slice(args);
    exec_json(p, &words, code)
}

/// A container job that gets `in.txt` and hands back `out.txt`, running `script` in `sh`.
fn files_job(p: &TestProject, script: &str, code: i32) -> serde_json::Value {
    let args = [
        "--input", "in.txt", "--output", "out.txt", "--", "sh", "-c", script,
    ];
    container_json(p, &args, code)
}

fn path_of(value: &serde_json::Value) -> PathBuf {
    PathBuf::from(value.as_str().expect("a path string"))
}

fn work_dir(result: &serde_json::Value) -> PathBuf {
    path_of(&result["workspace"]).join("work")
}

/// Whether `pid` is gone (or a zombie nobody reaped yet, which runs nothing).
fn process_is_dead(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())) {
        Err(_) => true,
        // The state follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
    }
}

#[test]
fn native_exit_codes_become_berths() {
    let p = project();
    p.berth(["exec", "--", "true"]).run().success();
    p.berth(["exec", "--", "sh", "-c", "exit 3"]).run().code(3);
    let result = exec_json(&p, &["--", "sh", "-c", "kill -TERM $$"], 143);
    assert_eq!(result["signal"], "SIGTERM");
    assert_eq!(result["runtime"], "native");
    assert_eq!(result["timed_out"], false);
}

#[test]
fn output_goes_to_the_terminal_and_private_logs_or_with_json_only_to_the_logs() {
    use std::os::unix::fs::PermissionsExt;
    let p = project();
    let script = "echo to-stdout; echo to-stderr >&2";
    p.berth(["exec", "--", "sh", "-c", script])
        .run()
        .success()
        .stdout_is("to-stdout\n")
        .stderr_has("to-stderr");

    let result = exec_json(&p, &["--", "sh", "-c", script], 0);
    let stdout_log = path_of(&result["stdout_path"]);
    let stderr_log = path_of(&result["stderr_path"]);
    assert_eq!(std::fs::read_to_string(&stdout_log).unwrap(), "to-stdout\n");
    assert_eq!(std::fs::read_to_string(&stderr_log).unwrap(), "to-stderr\n");
    for log in [&stdout_log, &stderr_log] {
        let mode = std::fs::metadata(log).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", log.display());
    }
    let workspace = path_of(&result["workspace"]);
    assert!(workspace.starts_with(p.path(".pixi/berth/jobs")));
    assert_eq!(
        workspace.file_name().unwrap().to_str().unwrap(),
        result["id"].as_str().unwrap()
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(workspace.join("result.json")).unwrap())
            .unwrap();
    assert_eq!(saved, result);
}

#[test]
fn native_memory_limit_stops_a_memory_hog() {
    let p = project();
    // A job that allocates `mib` MiB under a 64 MiB limit.
    let allocating = |mib: u32, code: i32| {
        let script = format!("x = bytearray({mib}*1024*1024)");
        exec_json(
            &p,
            &["--memory", "64m", "--", "python3", "-c", &script],
            code,
        )
    };
    let hog = allocating(512, 1);
    assert_eq!(hog["oom_killed"], true, "{hog:#}");
    assert_eq!(hog["memory_limit_mechanism"], "rlimit-as");
    // The same limit leaves room for a job that stays under it.
    let modest = allocating(8, 0);
    assert_eq!(modest["oom_killed"], false);
    assert!(modest["peak_memory_bytes"].as_u64().unwrap() > 8 * 1024 * 1024);
}

#[test]
fn native_cpu_time_limit_stops_a_spinner() {
    let p = project();
    let output = p
        .berth([
            "exec",
            "--json",
            "--cpu-time",
            "1s",
            "--timeout",
            "120s",
            "--",
            "sh",
            "-c",
            "while :; do :; done",
        ])
        .run();
    let result = output.json();
    assert_eq!(result["timed_out"], false, "{result:#}");
    let signal = result["signal"].as_str().unwrap();
    assert!(signal == "SIGXCPU" || signal == "SIGKILL", "{result:#}");
    assert!(output.code == 128 + 24 || output.code == 128 + 9);
}

#[test]
fn native_timeout_kills_the_whole_process_group() {
    let p = project();
    let result = exec_json(
        &p,
        &[
            "--timeout",
            "1s",
            "--",
            "sh",
            "-c",
            "sleep 60 & echo $! > grandchild.pid; wait",
        ],
        124,
    );
    assert_eq!(result["timed_out"], true);
    assert_eq!(result["signal"], "SIGKILL");
    let pid = std::fs::read_to_string(work_dir(&result).join("grandchild.pid")).unwrap();
    // SIGKILL is delivered asynchronously: on a busy machine the grandchild may take a moment
    // to die after berth returns, but it must die without anyone else's help.
    crate::harness::wait_until(&format!("grandchild {} to die", pid.trim()), || {
        process_is_dead(&pid)
    });
}

#[test]
fn inputs_are_copied_in_and_only_matching_outputs_copied_back() {
    let p = project();
    p.write("data.txt", "payload\n");
    p.write("dir/nested.txt", "deep\n");
    let script = "cat data.txt dir/nested.txt > result.csv; mkdir out; \
                  echo a > out/a.txt; echo b > out/b.log; echo x > scratch.txt; \
                  ln -s /etc/hostname out/link.txt";
    let result = exec_json(
        &p,
        &[
            "--input",
            "data.txt",
            "--input",
            "dir",
            "--output",
            "result.csv",
            "--output",
            "out/*.txt",
            "--output-dir",
            "collected",
            "--",
            "sh",
            "-c",
            script,
        ],
        0,
    );
    assert_eq!(p.read("collected/result.csv"), "payload\ndeep\n");
    assert_eq!(p.read("collected/out/a.txt"), "a\n");
    let mut copied: Vec<String> = walk(&p.path("collected"));
    copied.sort();
    assert_eq!(copied, ["out/a.txt", "result.csv"]);
    let outputs: Vec<PathBuf> = result["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(path_of)
        .collect();
    assert_eq!(
        outputs,
        [
            p.path("collected/out/a.txt"),
            p.path("collected/result.csv")
        ]
    );
    // The job wrote nothing in the project besides the outputs.
    assert!(!p.path("scratch.txt").exists() && !p.path("out").exists());
    // Outputs land in the current directory by default.
    p.berth([
        "exec",
        "--output",
        "made.txt",
        "--",
        "sh",
        "-c",
        "echo made > made.txt",
    ])
    .run()
    .success();
    assert_eq!(p.read("made.txt"), "made\n");
}

fn walk(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(
                walk(&path)
                    .into_iter()
                    .map(|f| format!("{}/{f}", path.file_name().unwrap().to_str().unwrap())),
            );
        } else {
            files.push(path.file_name().unwrap().to_str().unwrap().to_string());
        }
    }
    files
}

#[test]
fn native_environment_is_scrubbed_and_env_adds() {
    let p = project();
    let output = p
        .berth([
            "exec",
            "--json",
            "--env",
            "ADDED=yes",
            "--",
            "sh",
            "-c",
            "echo \"[$SECRET_TOKEN][$ADDED][$HOME][$TMPDIR][$USER]\"",
        ])
        .env("SECRET_TOKEN", "hunter2")
        .run();
    output.success();
    let result = output.json();
    let workspace = path_of(&result["workspace"]);
    let printed = std::fs::read_to_string(path_of(&result["stdout_path"])).unwrap();
    assert_eq!(
        printed,
        format!(
            "[][yes][{}][{}][]\n",
            workspace.join("work").display(),
            workspace.join("tmp").display()
        )
    );
}

/// berth with no Docker engine to find, and the runtime pinned to the host engine.
fn without_engine(p: &TestProject, args: &[&str]) -> Output {
    without_engine_env(p, args).run()
}

fn without_engine_env(p: &TestProject, args: &[&str]) -> crate::harness::Run {
    let mut words = vec!["--runtime", "docker", "exec"];
    words.extend_from_slice(args);
    p.berth(&words)
        .env("BERTH_DOCKER_SOCKET", p.base().join("no-engine.sock"))
}

#[test]
fn without_a_container_runtime_jobs_fall_back_to_native_unless_disabled() {
    let p = project();
    let fallback = without_engine(&p, &["--json", "--image", TEST_IMAGE, "--", "true"]);
    fallback.success().stderr_has("no container runtime found");
    assert_eq!(fallback.json()["runtime"], "native");

    without_engine(&p, &["--no-native", "--image", TEST_IMAGE, "--", "true"])
        .code(1)
        .stderr_has("error: no container runtime found")
        .stderr_has("help:");

    let strict = TestProject::with_tasks("[tool.berth]\nnative-fallback = false\n");
    without_engine(&strict, &["--image", TEST_IMAGE, "--", "true"])
        .code(1)
        .stderr_has("error: no container runtime found")
        .stderr_has("native-fallback");

    p.berth(["--runtime", "native", "exec", "--json", "--", "true"])
        .run()
        .success();
}

#[test]
fn container_jobs_use_the_same_docker_environment_as_berth_docker() {
    if !docker_available() {
        return;
    }
    // The runtime's own socket is dead; the user's DOCKER_HOST, kept by
    // `respect-docker-host` exactly as `berth docker` keeps it, names the live engine.
    let p = TestProject::with_tasks("[tool.berth]\nrespect-docker-host = true\n");
    let result = without_engine_env(
        &p,
        &["--json", "--no-native", "--image", TEST_IMAGE, "--", "true"],
    )
    .env("DOCKER_HOST", "unix:///var/run/docker.sock")
    .run();
    result.success();
    let result = result.json();
    assert_eq!(result["runtime"], "docker");
    assert_eq!(result["pooled"], false);
}

#[test]
fn ctrl_c_cancels_the_job_and_keeps_its_workspace() {
    let p = project();
    let mut berth = p
        .berth([
            "exec",
            "--",
            "sh",
            "-c",
            "sleep 60 & echo $! > sleeper.pid; wait",
        ])
        .start();
    let jobs = p.path(".pixi/berth/jobs");
    let pid_file = loop {
        let found = std::fs::read_dir(&jobs).ok().and_then(|mut entries| {
            let work = entries.next()?.ok()?.path().join("work/sleeper.pid");
            std::fs::read_to_string(&work)
                .is_ok_and(|s| s.ends_with('\n'))
                .then_some(work)
        });
        if let Some(found) = found {
            break found;
        }
        assert!(berth.try_wait().unwrap().is_none(), "berth ended early");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(crate::harness::signal(berth.id(), "INT"));
    let status = berth.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    crate::harness::wait_until(&format!("the job's sleep {} to die", pid.trim()), || {
        process_is_dead(&pid)
    });
    let result = pid_file
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("result.json");
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(result).unwrap()).unwrap();
    assert_eq!(result["cancelled"], true);
    assert_eq!(result["exit_code"], 130);
}

fn containers_of_job(id: &serde_json::Value) -> String {
    docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=berth.job={}", id.as_str().unwrap()),
    ])
}

#[test]
fn container_job_exit_code_files_and_no_network() {
    if !docker_available() {
        return;
    }
    let p = project();
    p.write("in.txt", "from-host\n");
    let result = files_job(
        &p,
        "pwd; ls /sys/class/net; cat in.txt > out.txt; echo more >> out.txt; exit 4",
        4,
    );
    assert_eq!(result["runtime"], "docker");
    assert_eq!(result["pooled"], false);
    assert_eq!(p.read("out.txt"), "from-host\nmore\n");
    let stdout = std::fs::read_to_string(path_of(&result["stdout_path"])).unwrap();
    assert_eq!(stdout, "/work\nlo\n", "only loopback: --network none");
    assert_eq!(
        containers_of_job(&result["id"]),
        "",
        "the container is gone"
    );
}

#[test]
fn container_memory_limit_is_reported_as_an_oom_kill() {
    if !docker_available() {
        return;
    }
    let p = project();
    let result = container_json(
        &p,
        &[
            "--memory",
            "16m",
            "--",
            "dd",
            "if=/dev/zero",
            "bs=64M",
            "count=1",
            "of=/dev/null",
        ],
        137,
    );
    assert_eq!(result["oom_killed"], true, "{result:#}");
    assert_eq!(result["memory_limit_mechanism"], "cgroup");
    assert_eq!(containers_of_job(&result["id"]), "");
}

#[test]
fn container_timeout_kills_and_removes_the_container() {
    if !docker_available() {
        return;
    }
    let p = project();
    let result = container_json(&p, &["--timeout", "1s", "--", "sleep", "60"], 124);
    assert_eq!(result["timed_out"], true);
    assert_eq!(result["oom_killed"], false);
    assert_eq!(containers_of_job(&result["id"]), "");
}

/// Removes a pool's containers when a test ends, however it ends.
struct PoolCleanup(String);

impl Drop for PoolCleanup {
    fn drop(&mut self) {
        let ids = docker(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=berth.pool={}", self.0),
        ]);
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(ids);
            docker(&args);
        }
    }
}

fn pool_ids(key: &str) -> Vec<String> {
    let mut ids: Vec<String> =
        docker(&["ps", "-q", "--filter", &format!("label=berth.pool={key}")])
            .split_whitespace()
            .map(str::to_string)
            .collect();
    ids.sort();
    ids
}

#[test]
fn pool_reuses_warm_containers_resets_workspaces_and_replaces_dead_ones() {
    if !docker_available() {
        return;
    }
    let p = project();
    let key = p.berth(["pool", "status", "--json"]).run().success().json()["pool"]
        .as_str()
        .unwrap()
        .to_string();
    let _cleanup = PoolCleanup(key.clone());

    p.berth(["pool", "start", "--size", "2", "--image", TEST_IMAGE])
        .run()
        .success();
    let warm = pool_ids(&key);
    assert_eq!(warm.len(), 2);
    let status = p.berth(["pool", "status", "--json"]).run().success().json();
    assert_eq!(status["containers"].as_array().unwrap().len(), 2);

    // Job 1 leaves a file behind; job 2 must not see it.
    p.write("in.txt", "pooled-input\n");
    let first = files_job(
        &p,
        "hostname; cat in.txt > out.txt; echo junk > leftover",
        0,
    );
    assert_eq!(first["pooled"], true);
    assert_eq!(p.read("out.txt"), "pooled-input\n");
    let hostname = std::fs::read_to_string(path_of(&first["stdout_path"])).unwrap();
    assert!(
        warm.iter().any(|id| hostname.trim() == id.as_str()),
        "ran in {hostname:?}, not one of {warm:?}"
    );
    let second = container_json(&p, &["--", "sh", "-c", "ls -A; ls -A /work | wc -l"], 0);
    let listing = std::fs::read_to_string(path_of(&second["stdout_path"])).unwrap();
    assert_eq!(
        listing, "1\n",
        "a fresh, empty work directory, alone in /work"
    );
    assert_eq!(pool_ids(&key), warm, "no container was created");

    // A dead pool container is replaced on the next exec.
    docker(&["kill", &warm[0]]);
    container_json(&p, &["--", "true"], 0);
    let now = pool_ids(&key);
    assert_eq!(now.len(), 2);
    assert!(!now.contains(&warm[0]), "the dead container was replaced");

    p.berth(["pool", "stop"]).run().success();
    assert_eq!(
        docker(&["ps", "-aq", "--filter", &format!("label=berth.pool={key}")]),
        ""
    );
}

/// `--memory` and `[tool.berth] memory`/`disk` read sizes with one grammar: what one
/// accepts (`1t`, `2gib`), the other accepts; what one refuses, the other refuses.
#[test]
fn memory_sizes_read_the_same_as_a_flag_and_as_a_setting() {
    let p = TestProject::with_tasks("[tool.berth]\nmemory = \"2gib\"\ndisk = \"1t\"\n");
    let doctor = p.berth(["doctor", "--json"]).run().json();
    let setting = |key: &str| {
        doctor["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .map(|s| s["value"].clone())
    };
    assert_eq!(setting("memory"), Some("2GiB".into()));
    assert_eq!(setting("disk"), Some("1024GiB".into()));
    for size in ["1t", "2gib"] {
        p.berth(["exec", "--memory", size, "--", "true"])
            .run()
            .success();
    }
    p.berth(["exec", "--memory", "4 parsecs", "--", "true"])
        .run()
        .code(1)
        .stderr_has("error: `4 parsecs` is not a memory size");
    p.write(
        "pixi.toml",
        "[workspace]\nchannels = []\nplatforms = []\n\n[tool.berth]\nmemory = \"4 parsecs\"\n",
    );
    p.berth(["doctor"])
        .run()
        .code(1)
        .stderr_has("error: `4 parsecs` is not a valid size for memory");
}
