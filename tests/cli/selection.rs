//! `runtime = "auto"`: which runtime berth picks on which machine, and why (`-v` says).

use crate::harness::{Run, TestProject, docker_available};

/// `berth -v container status --json` with the host engine at `engine` (a dead path means
/// no engine answers), returning the runtime picked and the reason `-v` printed.
fn picked(
    p: &TestProject,
    engine: &std::path::Path,
    extra: impl FnOnce(Run) -> Run,
) -> (String, String) {
    let out = extra(
        p.berth(["-v", "container", "status", "--json"])
            .env("BERTH_DOCKER_SOCKET", engine),
    )
    .run();
    let reason = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("berth: runtime: "))
        .unwrap_or_else(|| panic!("no runtime line in stderr:\n{}", out.stderr))
        .to_string();
    let runtime = reason
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    (runtime, reason)
}

fn dead_engine(p: &TestProject) -> std::path::PathBuf {
    p.base().join("no-engine.sock")
}

#[test]
fn a_reachable_engine_beats_every_vm_manager() {
    if !docker_available() {
        return;
    }
    let p = TestProject::with_tasks("");
    p.install_fake("colima");
    p.install_fake("podman");
    let (runtime, reason) = picked(&p, std::path::Path::new("/var/run/docker.sock"), |r| r);
    assert_eq!(runtime, "docker");
    assert!(
        reason.contains("a Docker engine listens at /var/run/docker.sock"),
        "{reason}"
    );
}

#[test]
fn without_an_engine_the_installed_vm_managers_follow_in_order() {
    let p = TestProject::with_tasks("");
    p.install_fake("podman");
    assert_eq!(picked(&p, &dead_engine(&p), |r| r).0, "podman");
    p.install_fake("colima");
    let (runtime, reason) = picked(&p, &dead_engine(&p), |r| r);
    assert_eq!(runtime, "colima");
    assert!(reason.contains("colima is installed at"), "{reason}");
}

#[test]
fn a_project_instance_that_exists_is_kept_even_with_an_engine() {
    let p = TestProject::with_tasks("");
    p.install_fake("colima");
    p.write(".pixi/colima/berth-demo/colima.yaml", "cpu: 2\n");
    let (runtime, reason) = picked(&p, std::path::Path::new("/var/run/docker.sock"), |r| r);
    assert_eq!(runtime, "colima");
    assert_eq!(reason, "colima (the project's colima instance exists)");
}

#[test]
fn apple_container_is_picked_only_on_macos_26_on_apple_silicon() {
    let p = TestProject::with_tasks("");
    p.install_fake("container");
    p.install_fake("sw_vers");
    let on = |os: &'static str, arch: &'static str, version: &'static str| {
        move |r: Run| {
            r.env("BERTH_HOST_OS", os)
                .env("BERTH_HOST_ARCH", arch)
                .env("FAKE_SW_VERS_VERSION", version)
        }
    };
    assert_eq!(
        picked(&p, &dead_engine(&p), on("macos", "aarch64", "26.1")).0,
        "apple"
    );
    assert_eq!(
        picked(&p, &dead_engine(&p), on("macos", "aarch64", "15.5")).0,
        "native"
    );
    assert_eq!(
        picked(&p, &dead_engine(&p), on("macos", "x86_64", "26.1")).0,
        "native"
    );
    assert_eq!(
        picked(&p, &dead_engine(&p), on("linux", "aarch64", "26.1")).0,
        "native"
    );
}

#[test]
fn with_nothing_installed_only_native_jobs_remain() {
    let p = TestProject::with_tasks("");
    let (runtime, _) = picked(&p, &dead_engine(&p), |r| r);
    assert_eq!(runtime, "native");
    p.berth(["container", "init"])
        .env("BERTH_DOCKER_SOCKET", dead_engine(&p))
        .run()
        .code(1)
        .stderr_has("error: no container runtime was found")
        .stderr_has("help: install one");
}

#[test]
fn an_explicit_runtime_whose_tool_is_missing_says_how_to_install_it() {
    let p = TestProject::with_tasks("");
    for (runtime, tool) in [("colima", "colima"), ("podman", "podman")] {
        p.berth(["--runtime", runtime, "container", "init"])
            .env("BERTH_DOCKER_SOCKET", dead_engine(&p))
            .run()
            .code(1)
            .stderr_has(&format!("`{tool}` was not found on PATH"))
            .stderr_has("help: install");
    }
    p.berth(["--runtime", "apple", "container", "init"])
        .env("BERTH_HOST_OS", "linux")
        .run()
        .code(1)
        .stderr_has("help:");
}

#[test]
fn flag_beats_environment_beats_manifest() {
    let p = TestProject::with_tasks("[tool.berth]\nruntime = \"podman\"\n");
    p.install_fake("podman");
    p.install_fake("colima");
    let engine = dead_engine(&p);
    assert_eq!(
        picked(&p, &engine, |r| r).1,
        "podman (runtime = podman (pixi.toml:7:11))"
    );
    assert_eq!(
        picked(&p, &engine, |r| r.env("BERTH_RUNTIME", "colima")).1,
        "colima (runtime = colima (env BERTH_RUNTIME))"
    );
    let out = p
        .berth(["-v", "--runtime", "native", "container", "status", "--json"])
        .env("BERTH_RUNTIME", "colima")
        .run();
    out.stderr_has("berth: runtime: native (runtime = native (flag --runtime))");
    p.berth(["--runtime", "vmware", "container", "status"])
        .run()
        .code(1)
        .stderr_has("`vmware` is not a valid runtime");
}

#[test]
fn lima_comes_before_colima_and_an_existing_lima_instance_wins() {
    let p = TestProject::with_tasks("");
    p.install_fake("colima");
    p.install_fake("limactl");
    let (runtime, reason) = picked(&p, &dead_engine(&p), |r| r);
    assert_eq!(runtime, "lima");
    assert!(reason.contains("limactl is installed at"), "{reason}");
    p.write(
        ".pixi/lima/demo/lima.yaml",
        "# an instance the project made earlier\n",
    );
    let (runtime, reason) = picked(&p, std::path::Path::new("/var/run/docker.sock"), |r| r);
    assert_eq!(
        (runtime.as_str(), reason.as_str()),
        ("lima", "lima (the project's lima instance exists)")
    );
}
