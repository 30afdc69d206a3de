//! `tasks/onboard.sh`, the newcomer's one command, run end to end on this machine.

use crate::harness::{BERTH, TestProject, docker_available};

fn onboard(p: &TestProject) -> crate::harness::Run {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tasks/onboard.sh");
    p.command("sh").env("BERTH", BERTH).arg(script)
}

#[test]
fn onboarding_ends_with_the_engines_docker_info() {
    if !docker_available() {
        return;
    }
    let p = TestProject::with_tasks("");
    let out = onboard(&p).run();
    out.success()
        .stdout_has("ok: docker answers through berth (engine ")
        .stderr_has("==> berth container init");
    let version = std::process::Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
    out.stdout_has(&format!("(engine {version} ("));
    assert!(
        !p.home.join(".docker").exists(),
        "onboarding must not touch ~/.docker"
    );
}

#[test]
fn onboarding_without_an_engine_fails_with_help() {
    let p = TestProject::with_tasks("");
    let dead = p.base().join("no-engine.sock");
    onboard(&p)
        .env("DOCKER_HOST", format!("unix://{}", dead.display()))
        .env("BERTH_DOCKER_SOCKET", &dead)
        .run()
        .code(1)
        .stderr_has("error: no container runtime found")
        .stderr_has("help: ")
        .stderr_has("--install");
}
