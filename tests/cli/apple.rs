//! The Apple `container` runtime against the fake `container` and `sw_vers`: detection on
//! each kind of host, and the system service's lifecycle.

use crate::harness::{Output, Run, TestProject};

/// A project on a faked macOS 26 Apple-silicon host with `container` installed.
fn apple_project() -> TestProject {
    let p = TestProject::with_tasks("");
    p.install_fake("container");
    p.install_fake("sw_vers");
    p
}

/// `berth --runtime apple ARGS` on that host.
fn berth_apple(p: &TestProject, args: &[&str]) -> Run {
    p.berth(["--runtime", "apple"].iter().chain(args))
        .env("BERTH_HOST_OS", "macos")
        .env("BERTH_HOST_ARCH", "aarch64")
}

fn state(p: &TestProject) -> serde_json::Value {
    let out = berth_apple(p, &["container", "status", "--json"]).run();
    let json = out.json();
    assert_eq!(json["runtime"], "apple");
    json
}

#[test]
fn init_starts_the_system_service_answering_the_kernel_prompt() {
    let p = apple_project();
    berth_apple(&p, &["container", "init"])
        .run()
        .success()
        .stderr_has("Starting");
    let calls = p.fake_calls();
    assert!(
        calls.contains(&"container system start --enable-kernel-install".to_string()),
        "{calls:?}"
    );
    berth_apple(&p, &["container", "status"]).run().success();
    assert_eq!(state(&p)["state"], "running");
}

#[test]
fn init_on_a_running_service_starts_nothing() {
    let p = apple_project();
    berth_apple(&p, &["container", "init"]).run().success();
    berth_apple(&p, &["container", "init"])
        .run()
        .success()
        .stderr_has("nothing to start");
    let starts = p
        .fake_calls()
        .iter()
        .filter(|c| c.starts_with("container system start"))
        .count();
    assert_eq!(starts, 1);
}

#[test]
fn status_maps_the_service_states() {
    let p = apple_project();
    // Never started: launchd has no such service.
    berth_apple(&p, &["container", "status"]).run().code(3);
    let json = state(&p);
    assert_eq!(json["state"], "stopped");
    assert_eq!(json["instance"], "system");
    assert!(
        json["reason"].as_str().unwrap().contains("not registered"),
        "{json}"
    );
    assert!(
        p.fake_calls()
            .contains(&"container system status --format json".to_string())
    );

    // Registered with launchd but not answering.
    let dir = p.home.join(".container-fake");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("state.json"),
        r#"{"status": "not running", "kernel": true}"#,
    )
    .unwrap();
    berth_apple(&p, &["container", "status"]).run().code(3);
    let json = state(&p);
    assert!(
        json["reason"]
            .as_str()
            .unwrap()
            .contains("registered but not running"),
        "{json}"
    );
}

#[test]
fn stop_stops_the_system_service() {
    let p = apple_project();
    berth_apple(&p, &["container", "init"]).run().success();
    berth_apple(&p, &["container", "stop"])
        .run()
        .success()
        .stderr_has("every Apple container of this user");
    assert!(
        p.fake_calls()
            .contains(&"container system stop".to_string())
    );
    berth_apple(&p, &["container", "status"]).run().code(3);
    // Stopping again has nothing to do and calls no `system stop`.
    berth_apple(&p, &["container", "stop"])
        .run()
        .success()
        .stderr_has("nothing to stop");
    let stops = p
        .fake_calls()
        .iter()
        .filter(|c| *c == "container system stop")
        .count();
    assert_eq!(stops, 1);
}

#[test]
fn delete_explains_there_is_no_project_vm() {
    let p = apple_project();
    berth_apple(&p, &["container", "delete"])
        .run()
        .success()
        .stderr_has("no per-project VM");
    assert!(
        !p.fake_calls().iter().any(|c| c.starts_with("container ")),
        "{:?}",
        p.fake_calls()
    );
}

#[test]
fn shell_is_refused_with_the_docker_alternative() {
    let p = apple_project();
    berth_apple(&p, &["container", "shell"])
        .run()
        .code(1)
        .stderr_has("each container is its own VM")
        .stderr_has("berth docker run -it IMAGE sh");
}

#[test]
fn macos_before_26_is_refused() {
    let p = apple_project();
    berth_apple(&p, &["container", "init"])
        .env("FAKE_SW_VERS_VERSION", "15.5")
        .run()
        .code(1)
        .stderr_has("Apple container needs macOS 26 or later, and this Mac runs macOS 15.5")
        .stderr_has("help:")
        .stderr_has("runtime = \"lima\"");
    assert!(
        p.fake_calls()
            .contains(&"sw_vers -productVersion".to_string())
    );
    assert!(!p.fake_calls().iter().any(|c| c.starts_with("container ")));
}

#[test]
fn intel_macs_are_refused() {
    let p = apple_project();
    berth_apple(&p, &["container", "init"])
        .env("BERTH_HOST_ARCH", "x86_64")
        .run()
        .code(1)
        .stderr_has("Apple container needs Apple silicon (arm64), and this Mac is x86_64");
    assert!(!p.fake_calls().iter().any(|c| c.starts_with("container ")));
}

#[test]
fn linux_is_refused_without_asking_sw_vers() {
    let p = apple_project();
    berth_apple(&p, &["container", "status"])
        .env("BERTH_HOST_OS", "linux")
        .run()
        .code(1)
        .stderr_has("Apple container runs only on macOS, and this host is linux")
        .stderr_has("--runtime docker");
    assert!(p.fake_calls().is_empty(), "{:?}", p.fake_calls());
}

#[test]
fn a_missing_container_cli_says_where_to_get_it() {
    let p = TestProject::with_tasks("");
    p.install_fake("sw_vers");
    berth_apple(&p, &["container", "init"])
        .run()
        .code(1)
        .stderr_has("`container` was not found on PATH")
        .stderr_has("https://github.com/apple/container/releases");
}

#[test]
fn a_failed_start_is_an_error_naming_the_command() {
    let p = apple_project();
    // The fake's knob for a start that fails, as a broken kernel download does.
    let dir = p.home.join(".container-fake");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("state.json"),
        r#"{"start_error": "failed to download kernel"}"#,
    )
    .unwrap();
    berth_apple(&p, &["container", "init"])
        .run()
        .code(1)
        .stderr_has("failed to download kernel")
        .stderr_has("`container system start --enable-kernel-install` failed (exit 1)");
}

#[test]
fn docker_run_is_translated_into_container_run() {
    let p = apple_project();
    berth_apple(&p, &["container", "init"]).run().success();
    berth_apple(
        &p,
        &[
            "docker", "run", "--rm", "-e", "A=1", "-v", "/x:/y", "alpine", "echo", "hi",
        ],
    )
    .run()
    .success()
    .stdout_is("hi\n");
    assert_eq!(
        p.fake_calls().last().map(String::as_str),
        Some("container run --rm --env A=1 --volume /x:/y alpine echo hi")
    );
}

#[test]
fn docker_flags_container_lacks_are_refused_before_anything_runs() {
    let p = apple_project();
    berth_apple(&p, &["docker", "run", "--restart", "always", "alpine"])
        .run()
        .code(1)
        .stderr_has("Apple container has no restart policy")
        .stderr_has("help:");
    assert!(
        !p.fake_calls()
            .iter()
            .any(|c| c.starts_with("container run"))
    );
}

/// `berth --runtime apple docker WORDS` on the faked Mac, the words split at spaces.
fn docker(p: &TestProject, words: &str) -> Run {
    let args: Vec<&str> = ["docker"].into_iter().chain(words.split(' ')).collect();
    berth_apple(p, &args)
}

/// A project whose Apple container service runs.
fn started_apple_project() -> TestProject {
    let p = apple_project();
    berth_apple(&p, &["container", "init"]).run().success();
    p
}

/// Change the fake's state file (its test knobs: `image_configs`, `networks`).
fn edit_fake_state(p: &TestProject, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = p.home.join(".container-fake/state.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut state);
    std::fs::write(&path, state.to_string()).unwrap();
}

/// The mounts `container inspect` reports for a container, through `berth docker inspect`.
fn mounts_of(p: &TestProject, name: &str) -> serde_json::Value {
    let out = berth_apple(p, &["docker", "inspect", name]).run();
    out.success();
    out.json()[0]["configuration"]["mounts"].clone()
}

/// The last `container` call the fake saw.
fn last_container_call(p: &TestProject) -> String {
    p.fake_calls()
        .into_iter()
        .rev()
        .find(|c| c.starts_with("container "))
        .unwrap_or_default()
}

/// Runs `run`, which must fail with an error naming `named` and a `help:` line before
/// `container WORDS` is called.
#[track_caller]
fn refused_before(p: &TestProject, words: &str, run: Run, named: &str) -> Output {
    let before = calls(p, words);
    let out = run.run();
    out.code(1).stderr_has(named).stderr_has("help:");
    assert_eq!(calls(p, words), before, "{:?}", p.fake_calls());
    out
}

/// How many times `container WORDS...` was called.
fn calls(p: &TestProject, words: &str) -> usize {
    let prefix = format!("container {words}");
    p.fake_calls()
        .iter()
        .filter(|c| c.starts_with(&prefix))
        .count()
}

#[test]
fn docker_tmpfs_options_become_a_sized_tmpfs_mount() {
    let p = started_apple_project();
    docker(
        &p,
        "run -d --name t --tmpfs /run:size=64m,mode=1777 alpine sleep",
    )
    .run()
    .success();
    assert_eq!(
        mounts_of(&p, "t"),
        serde_json::json!([{"type": "tmpfs", "source": "", "destination": "/run",
                            "options": ["size=67108864", "mode=1777"]}])
    );

    refused_before(
        &p,
        "run",
        docker(&p, "run --tmpfs /run:noexec alpine"),
        "`noexec`",
    );
}

#[test]
fn docker_mount_keys_are_converted_and_readonly_false_stays_writable() {
    let p = started_apple_project();
    let shared = p.path("shared");
    std::fs::create_dir_all(&shared).unwrap();
    let bind = format!(
        "type=bind,source={},target=/y,readonly=false",
        shared.display()
    );
    berth_apple(
        &p,
        &[
            "docker",
            "run",
            "-d",
            "--name",
            "w",
            "--mount",
            &bind,
            "--mount",
            "type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1777",
            "--mount",
            "source=data,target=/d,ro",
            "alpine",
            "sleep",
        ],
    )
    .run()
    .success();
    assert_eq!(
        mounts_of(&p, "w"),
        serde_json::json!([
            {"type": "virtiofs", "source": shared.to_str().unwrap(), "destination": "/y", "options": []},
            {"type": "tmpfs", "source": "", "destination": "/t", "options": ["size=67108864", "mode=1777"]},
            {"type": "volume", "source": "data", "destination": "/d", "options": ["ro"]},
        ])
    );

    let volume_opt = "type=volume,source=data,target=/d,volume-opt=type=nfs";
    refused_before(
        &p,
        "run",
        berth_apple(&p, &["docker", "run", "--mount", volume_opt, "alpine"]),
        "`volume-opt`",
    );
}

#[test]
fn docker_empty_entrypoint_runs_the_command_alone() {
    let p = started_apple_project();
    // An image whose entrypoint docker's `--entrypoint ""` clears.
    edit_fake_state(&p, |state| {
        state["image_configs"] =
            serde_json::json!({"entry/echo": {"entrypoint": ["echo", "from-entrypoint"]}});
    });
    berth_apple(
        &p,
        &[
            "docker",
            "run",
            "--rm",
            "--entrypoint",
            "",
            "entry/echo",
            "echo",
            "hi",
        ],
    )
    .run()
    .success()
    .stdout_is("hi\n");

    // Without a command docker has nothing to run ("No command specified"); neither has berth.
    refused_before(
        &p,
        "run",
        docker(&p, "run --entrypoint= entry/echo"),
        "needs a command",
    );
}

#[test]
fn docker_publish_without_a_host_port_is_refused() {
    let p = started_apple_project();
    for spec in ["80", "127.0.0.1::80", ":80/udp"] {
        let run = berth_apple(&p, &["docker", "run", "-p", spec, "alpine", "echo", "hi"]);
        refused_before(&p, "run", run, &format!("`{spec}`")).stderr_has("-p HOST:CONTAINER");
    }
    docker(&p, "run -p 127.0.0.1:8080:80 alpine echo hi")
        .run()
        .success()
        .stdout_is("hi\n");
}

#[test]
fn docker_bridge_network_is_containers_default() {
    let p = started_apple_project();
    docker(&p, "run --network bridge alpine echo hi")
        .run()
        .success()
        .stdout_is("hi\n");
    assert_eq!(
        last_container_call(&p),
        "container run --network default alpine echo hi"
    );
}

#[test]
fn docker_start_of_several_containers_is_refused() {
    let p = started_apple_project();
    for name in ["a", "b"] {
        berth_apple(&p, &["docker", "create", "--name", name, "alpine", "true"])
            .run()
            .success();
    }
    let both = docker(&p, "start a b");
    refused_before(&p, "start", both, "one container").stderr_has("berth docker start a");
    docker(&p, "start a").run().success().stdout_is("a\n");
}

#[test]
fn docker_build_output_path_is_a_local_export() {
    let p = started_apple_project();
    p.write("Dockerfile", "FROM alpine\n");
    docker(&p, "build -o out .").run().success();
    assert!(
        p.path("out/built-by-fake-container").is_file(),
        "{:?}",
        p.fake_calls()
    );

    let to_stdout = docker(&p, "build -o - .");
    refused_before(&p, "build", to_stdout, "stdout");
}

#[test]
fn docker_rmi_force_says_what_containers_force_does() {
    let p = started_apple_project();
    docker(&p, "rmi -f missing")
        .run()
        .success()
        .stderr_has("note:")
        .stderr_has("only ignores images that are not found");
    assert_eq!(
        last_container_call(&p),
        "container image delete --force missing"
    );
}

#[test]
fn docker_build_ssh_needs_container_1_2_1() {
    let p = started_apple_project();
    p.write("Dockerfile", "FROM alpine\n");
    let on_1_2_0 = docker(&p, "build --ssh default .")
        .env("FAKE_CONTAINER_VERSION", "1.2.0")
        .env("SSH_AUTH_SOCK", "/tmp/agent.sock");
    refused_before(
        &p,
        "build",
        on_1_2_0,
        "needs Apple container 1.2.1 or later, and this is 1.2.0",
    );

    docker(&p, "build --ssh default -t app .")
        .env("SSH_AUTH_SOCK", "/tmp/agent.sock")
        .run()
        .success();
    assert_eq!(
        last_container_call(&p),
        "container build --ssh default -t app ."
    );
}

#[test]
fn docker_stop_waits_ten_seconds_as_docker_does() {
    let p = started_apple_project();
    docker(&p, "stop web").run().success();
    assert_eq!(last_container_call(&p), "container stop --time 10 web");
    docker(&p, "stop -t 3 web").run().success();
    assert_eq!(last_container_call(&p), "container stop --time 3 web");
}

#[test]
fn docker_build_label_and_progress_push_platform_and_quiet_pull_translate() {
    let p = started_apple_project();
    p.write("Dockerfile", "FROM alpine\n");
    docker(&p, "build --label team=web --progress plain -t app .")
        .run()
        .success();
    assert_eq!(
        last_container_call(&p),
        "container build --label team=web --progress plain -t app ."
    );
    docker(&p, "push --platform linux/arm64 app")
        .run()
        .success();
    assert_eq!(
        last_container_call(&p),
        "container image push --platform linux/arm64 app"
    );
    docker(&p, "pull -q alpine").run().success();
    assert_eq!(
        last_container_call(&p),
        "container image pull --progress none alpine"
    );
}
