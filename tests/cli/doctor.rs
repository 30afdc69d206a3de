//! `berth doctor`: what berth found, what it picked and why, and what is wrong.

use crate::harness::{Output, TestProject, docker_available};

#[test]
fn doctor_on_the_host_engine_is_healthy_and_names_every_source() {
    if !docker_available() {
        return;
    }
    let p = TestProject::with_tasks("[tool.berth]\ncpus = 3\n");
    let out = p
        .berth(["doctor"])
        .env("BERTH_DOCKER_SOCKET", "/var/run/docker.sock")
        .env("BERTH_MEMORY", "2GiB")
        .run();
    out.success()
        .stdout_has("runtime: docker — a Docker engine listens at /var/run/docker.sock")
        .stdout_has(" * docker   running  unix:///var/run/docker.sock")
        .stdout_has("problems: none");
    let setting = |key: &str| {
        out.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no `{key}` line in:\n{}", out.stdout))
            .to_string()
    };
    let cpus = setting("cpus");
    assert!(
        cpus.contains(" 3 ") && cpus.ends_with("pixi.toml:7:8"),
        "{cpus}"
    );
    let memory = setting("memory");
    assert!(
        memory.contains("2GiB") && memory.ends_with("env BERTH_MEMORY"),
        "{memory}"
    );
}

#[test]
fn doctor_json_has_a_stable_shape() {
    let p = TestProject::with_tasks("");
    p.install_fake("colima");
    let out = doctor_json_without_host_engine(&p);
    // Colima is picked, but its profile does not exist yet: a problem, so exit 1.
    out.code(1);
    let json = out.json();
    assert_eq!(json["selected"]["runtime"], "colima");
    assert_eq!(
        json["problems"][0]["message"],
        "colima profile berth-demo does not exist"
    );
    assert_eq!(json["problems"][0]["help"][0], "run `berth container init`");
    let names: Vec<&str> = json["runtimes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["docker", "lima", "colima", "podman", "apple", "native"]
    );
    assert!(
        json["runtimes"][0]["available"].is_null(),
        "the dead engine is not available"
    );
    assert_eq!(json["runtimes"][2]["state"], "absent");
    let colima = json["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "colima")
        .unwrap();
    assert_eq!(colima["path"], p.bin.join("colima").display().to_string());
    let keys: Vec<&str> = json["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&"respect-docker-host") && keys.contains(&"start-timeout"),
        "{keys:?}"
    );
    assert!(
        json["socket_budget"]["length"].as_u64().unwrap()
            < json["socket_budget"]["limit"].as_u64().unwrap()
    );
}

#[test]
fn doctor_fails_when_no_container_runtime_can_work() {
    let p = TestProject::with_tasks("");
    let out = doctor_json_without_host_engine(&p);
    out.code(1);
    let json = out.json();
    assert_eq!(json["selected"]["runtime"], "native");
    let problem = &json["problems"][0];
    assert!(
        problem["message"]
            .as_str()
            .unwrap()
            .contains("no container runtime was found"),
        "{problem}"
    );
    assert!(
        problem["help"][0].as_str().unwrap().starts_with("install"),
        "{problem}"
    );
}

#[test]
fn doctor_reports_a_vm_that_is_not_running() {
    let p = TestProject::with_tasks("[tool.berth]\nruntime = \"lima\"\ninstance = \"demo\"\n");
    p.install_fake("limactl");
    p.berth(["doctor"])
        .run()
        .code(1)
        .stdout_has("runtime: lima — runtime = lima (pixi.toml:7:11)")
        .stdout_has("   - instance `demo` does not exist yet")
        .stdout_has("     help: run `berth container init`");
}

/// `berth doctor --json` with the host engine's socket pointed at nothing.
fn doctor_json_without_host_engine(p: &TestProject) -> Output {
    p.berth(["doctor", "--json"])
        .env("BERTH_DOCKER_SOCKET", p.base().join("dead.sock"))
        .run()
}
