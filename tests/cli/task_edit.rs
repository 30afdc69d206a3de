//! `berth task add|remove|alias`: the manifest gains or loses exactly the task, written where
//! and as pixi writes it (`crates/pixi_cli/src/task.rs`, `crates/pixi_manifest/src/task.rs`,
//! v0.77.0), and every other byte stays.

use crate::harness::TestProject;

const MESSY: &str = include_str!("../fixtures/messy-pixi.toml");

fn messy() -> TestProject {
    TestProject::with_manifest(MESSY)
}

#[test]
fn add_appends_to_the_tasks_table_and_keeps_every_other_byte() {
    let p = messy();
    p.berth(["task", "add", "lint", "ruff", "check", "src dir"])
        .run()
        .success()
        .stdout_is("")
        .stderr_has("✔ Added task `lint`: ruff check \"src dir\"");
    assert_eq!(
        p.read("pixi.toml"),
        MESSY.replace(
            "build it\" }\n",
            // toml_edit's choice of quotes, as in pixi: a literal string for a `"`.
            "build it\" }\nlint = 'ruff check \"src dir\"'\n"
        )
    );
    // The new task runs.
    p.write("src dir/x", "");
    p.berth(["task", "add", "ls-src", "ls \"src dir\""])
        .run()
        .success();
    p.berth(["run", "ls-src"]).run().success().stdout_is("x\n");
}

#[test]
fn add_writes_pixis_table_form_with_every_option() {
    let p = messy();
    p.berth([
        "task",
        "add",
        "greet",
        "echo 'Hello {{ name | title }}'",
        "--arg",
        "name",
        "--depends-on",
        "build",
        "docker",
        "--cwd",
        "src",
        "--env",
        "A=1",
        "--env",
        "B=two words",
        "--default-environment",
        "default",
        "--description",
        "Says hello",
        "--clean-env",
    ])
    .run()
    .success()
    .stderr_has(
        "✔ Added task `greet`: echo 'Hello {{ name | title }}', depends-on = [build,docker], default_environment = default, env = {\"A\": \"1\", \"B\": \"two words\"}, description = \"Says hello\"",
    );
    assert_eq!(
        p.read("pixi.toml"),
        MESSY.replace(
            "build it\" }\n",
            "build it\" }\ngreet = { cmd = \"echo 'Hello {{ name | title }}'\", args = [\"name\"], default-environment = \"default\", depends-on = [\"build\", \"docker\"], cwd = \"src\", env = { A = \"1\", B = \"two words\" }, description = \"Says hello\" }\n"
        )
    );
}

#[test]
fn add_puts_a_task_under_its_feature_platform_or_environment() {
    let p = messy();
    p.berth(["task", "add", "mac", "echo mac", "--platform", "osx-arm64"])
        .run()
        .success();
    p.berth(["task", "add", "docs", "mkdocs build", "--feature", "docs"])
        .run()
        .success();
    p.berth(["task", "add", "cov", "pytest --cov", "-e", "ci"])
        .run()
        .success();
    assert_eq!(
        p.read("pixi.toml"),
        MESSY.replace(
            "platforms = [\"linux-64\"]",
            "platforms = [\"linux-64\", \"osx-arm64\"]"
        ) + "\n[target.osx-arm64.tasks]\nmac = \"echo mac\"\n\n[feature.docs.tasks]\ndocs = \"mkdocs build\"\n\n[environments.ci.tasks]\ncov = \"pytest --cov\"\n"
    );
    p.berth(["run", "-p", "osx-arm64", "mac"])
        .run()
        .success()
        .stdout_is("mac\n");
    p.berth(["run", "-e", "ci", "echo", "in ci"])
        .run()
        .success()
        .stdout_is("in ci\n");
}

#[test]
fn a_name_that_is_taken_is_an_error_and_nothing_changes() {
    let p = messy();
    p.berth(["task", "add", "build", "make all"])
        .run()
        .code(1)
        .stderr_has("error: task build already exists");
    // The plain table applies on every platform, so the name is taken there too.
    p.berth(["task", "add", "build", "make all", "-p", "linux-64"])
        .run()
        .code(1)
        .stderr_has("task build already exists");
    p.berth(["task", "alias", "docker", "build"])
        .run()
        .code(1)
        .stderr_has("task docker already exists");
    assert_eq!(p.read("pixi.toml"), MESSY);
}

/// pixi's own case (`tests/integration_python/test_main_cli.py`, `test_pixi_add_task`).
#[test]
fn add_creates_the_tasks_table_and_a_blank_command_with_dependencies_is_an_alias() {
    let p = TestProject::with_manifest(
        "\n[workspace]\nname = \"test\"\nchannels = []\nplatforms = [\"linux-64\", \"win-64\", \"osx-64\", \"osx-arm64\"]\n",
    );
    p.berth([
        "task",
        "add",
        "--arg",
        "name",
        "test",
        "echo 'Hello {{name | title}}'",
    ])
    .run()
    .success();
    // `--depends-on` takes every word up to the next flag, as in pixi.
    p.berth([
        "task",
        "add",
        "--depends-on",
        "test",
        "--manifest-path",
        "pixi.toml",
        "test-alias",
        "",
    ])
    .run()
    .success();
    assert_eq!(
        p.read("pixi.toml"),
        "\n[workspace]\nname = \"test\"\nchannels = []\nplatforms = [\"linux-64\", \"win-64\", \"osx-64\", \"osx-arm64\"]\n\n\
         [tasks]\ntest = { cmd = \"echo 'Hello {{name | title}}'\", args = [\"name\"] }\ntest-alias = [{ task = \"test\" }]\n"
    );
    p.berth(["run", "test", "ada"])
        .run()
        .success()
        .stdout_is("Hello Ada\n");
}

#[test]
fn alias_writes_an_array_of_tasks_or_a_table_with_its_description() {
    let p = messy();
    p.berth(["task", "alias", "all", "build", "docker"])
        .run()
        .success()
        .stderr_has("✔ Added alias `all`: , depends-on = [build,docker]");
    p.berth([
        "task",
        "alias",
        "linux-alias",
        "build",
        "--platform",
        "linux-64",
        "--description",
        "builds",
    ])
    .run()
    .success();
    assert_eq!(
        p.read("pixi.toml"),
        MESSY.replace(
            "build it\" }\n",
            "build it\" }\nall = [{ task = \"build\" }, { task = \"docker\" }]\n"
        ) + "\n[target.linux-64.tasks]\nlinux-alias = { depends-on = [{ task = \"build\" }], description = \"builds\" }\n"
    );
}

#[test]
fn remove_takes_the_tasks_line_and_reports_the_ones_that_do_not_exist() {
    let p = messy();
    p.berth(["task", "remove", "build", "nope"])
        .run()
        .success()
        .stderr_has("❌ Task `nope` does not exist for feature 'default'")
        .stderr_has("✔ Removed task `build` ");
    assert_eq!(
        p.read("pixi.toml"),
        MESSY.replace(
            "build = { cmd = \"make\",   description = \"build it\" }\n",
            ""
        )
    );
    p.berth(["task", "remove", "docker", "-p", "osx-arm64"])
        .run()
        .success()
        .stderr_has("❌ Task 'docker' does not exist on osx-arm64");
    p.berth(["task", "remove", "x", "--feature", "nope"])
        .run()
        .code(1)
        .stderr_has("feature 'nope' does not exist");
    // Removing never declares a platform.
    assert!(!p.read("pixi.toml").contains("osx-arm64"));
}

#[test]
fn a_pyproject_gets_its_tasks_under_tool_pixi() {
    let p = TestProject::empty();
    let source = "[project]\nname = \"py\"\n\n[tool.pixi.workspace]\nchannels = []\nplatforms = [\"linux-64\"]\n\n[tool.pixi.tasks]\nold = \"echo old\"\n";
    p.write("pyproject.toml", source);
    p.berth(["task", "add", "hello", "echo hi"]).run().success();
    p.berth(["task", "add", "mac", "echo mac", "-p", "osx-64"])
        .run()
        .success();
    p.berth(["task", "remove", "old"]).run().success();
    assert_eq!(
        p.read("pyproject.toml"),
        "[project]\nname = \"py\"\n\n[tool.pixi.workspace]\nchannels = []\nplatforms = [\"linux-64\", \"osx-64\"]\n\n[tool.pixi.tasks]\nhello = \"echo hi\"\n\n[tool.pixi.target.osx-64.tasks]\nmac = \"echo mac\"\n"
    );
    p.berth(["run", "hello"]).run().success().stdout_is("hi\n");
}

#[test]
fn a_read_only_manifest_is_refused_and_left_whole() {
    use std::os::unix::fs::PermissionsExt;
    let p = messy();
    let path = p.path("pixi.toml");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = p.berth(["task", "add", "lint", "ruff"]).run();
    // root may write a read-only file; berth refuses it all the same.
    out.code(1).stderr_has("is read-only");
    assert_eq!(p.read("pixi.toml"), MESSY);
}
