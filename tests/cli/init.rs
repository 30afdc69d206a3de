//! `berth init` and `berth completions`.

use std::os::unix::fs::PermissionsExt;

use crate::harness::TestProject;

/// A user's manifest with comments, odd spacing and a task named like one of berth's.
const MESSY: &str = include_str!("../fixtures/messy-pixi.toml");

#[test]
fn init_without_a_manifest_creates_a_pixi_workspace() {
    let p = TestProject::empty();
    p.berth(["init"])
        .run()
        .success()
        .stderr_has("Created pixi.toml");
    let manifest = p.read("pixi.toml");
    assert!(
        manifest.starts_with(
            "[workspace]\nname = \"project\"\nchannels = [\"conda-forge\"]\nplatforms = [\""
        ),
        "{manifest}"
    );
    assert!(manifest.contains("container-init = { cmd = \"berth container init\""));
    assert!(manifest.contains("[tool.berth]\nruntime = \"auto\""));
    assert_eq!(
        p.read(".gitignore"),
        "# berth and pixi state (VM, docker config, environments)\n.pixi/\n"
    );
    // The result is a manifest berth itself reads.
    p.berth(["task", "list"])
        .run()
        .success()
        .stdout_has("container-init");
}

#[test]
fn init_keeps_every_existing_byte_and_the_projects_own_tasks() {
    let p = TestProject::with_manifest(MESSY);
    p.write(".gitignore", "target/");
    p.berth(["init"])
        .run()
        .success()
        .stderr_has("kept the project's own definition of: docker")
        .stderr_has("Updated pixi.toml");
    let after = p.read("pixi.toml");
    let tasks_end = MESSY.find("\n[dependencies]").unwrap();
    // Everything up to the end of [tasks] is untouched, then berth's tasks follow.
    assert!(after.starts_with(&MESSY[..tasks_end]), "{after}");
    let added = &after[tasks_end..after.find("\n[dependencies]").unwrap()];
    let names: Vec<&str> = added
        .lines()
        .filter_map(|l| l.split(" = ").next())
        .filter(|n| !n.is_empty())
        .collect();
    assert_eq!(
        names,
        [
            "container-init",
            "container-start",
            "container-stop",
            "container-delete",
            "container-status",
            "container-shell",
            "compose",
            "compose-up",
            "compose-down",
            "container-clean"
        ]
    );
    assert!(after.contains("docker = \"my-own-docker-wrapper\"   # kept as it is\n"));
    assert!(after.contains("\n[dependencies]\npython = \">=3.12\"\n\n# berth's settings"));
    assert_eq!(
        p.read(".gitignore"),
        "target/\n# berth and pixi state (VM, docker config, environments)\n.pixi/\n"
    );
}

#[test]
fn a_second_init_changes_nothing() {
    let p = TestProject::with_manifest(MESSY);
    p.berth(["init"]).run().success();
    let once = p.read("pixi.toml");
    p.berth(["init"])
        .run()
        .success()
        .stderr_has("nothing to change");
    assert_eq!(p.read("pixi.toml"), once);
}

#[test]
fn dry_run_prints_a_diff_and_writes_nothing() {
    let p = TestProject::with_manifest(MESSY);
    let out = p.berth(["init", "--dry-run"]).run();
    out.success()
        .stdout_has("--- a/pixi.toml\n+++ b/pixi.toml\n")
        .stdout_has("+container-init = { cmd = \"berth container init\"")
        .stdout_has("--- /dev/null\n+++ b/.gitignore\n")
        .stderr_has("nothing was written");
    assert_eq!(p.read("pixi.toml"), MESSY);
    assert!(!p.path(".gitignore").exists());
}

#[test]
fn pyproject_gets_tool_pixi_tasks() {
    let p = TestProject::empty();
    let source =
        "[project]\nname = \"py-app\"\n\n[tool.pixi.workspace]\nchannels = []\nplatforms = []\n";
    p.write("pyproject.toml", source);
    p.berth(["init"]).run().success();
    let after = p.read("pyproject.toml");
    assert!(after.starts_with(source), "{after}");
    assert!(
        after.contains("[tool.pixi.tasks]\ncontainer-init = "),
        "{after}"
    );
    assert!(after.contains("instance = \"py-app\""), "{after}");
    assert!(!p.path("pixi.toml").exists());
}

#[test]
fn a_read_only_manifest_is_refused_and_left_whole() {
    let p = TestProject::with_manifest(MESSY);
    let path = p.path("pixi.toml");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    p.berth(["init"])
        .run()
        .code(1)
        .stderr_has("error: `pixi.toml` is read-only")
        .stderr_has("help: make it writable");
    assert_eq!(p.read("pixi.toml"), MESSY);
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o444
    );
    let leftovers: Vec<_> = std::fs::read_dir(&p.root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers,
        ["pixi.toml"],
        "no temp file or .gitignore written before the refusal"
    );
}

#[test]
fn a_manifest_that_is_not_utf8_is_refused_at_its_position_and_left_whole() {
    let p = TestProject::empty();
    let manifest = b"[workspace]\nname = \"caf\xe9\"\n";
    std::fs::write(p.path("pixi.toml"), manifest).unwrap();
    p.berth(["init"])
        .run()
        .code(1)
        .stderr_has("error: `pixi.toml` is not valid UTF-8")
        .stderr_has("--> pixi.toml:2:12")
        .stderr_has("help: save the manifest as UTF-8");
    assert_eq!(std::fs::read(p.path("pixi.toml")).unwrap(), manifest);
}
