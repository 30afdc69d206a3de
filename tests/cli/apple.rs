//! The Apple `container` runtime against the fake `container` and `sw_vers`: detection on
//! each kind of host, and the system service's lifecycle.

use crate::harness::{Run, TestProject};

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
