//! The binary's front door: help, version, errors outside a project, usage errors.

use crate::harness::TestProject;

#[test]
fn version_and_help_succeed() {
    let p = TestProject::empty();
    p.berth(["--version"]).run().success().stdout_has("berth");
    p.berth(["--help"]).run().success().stdout_has("run");
}

#[test]
fn outside_a_project_is_an_error_with_help() {
    let p = TestProject::empty();
    p.berth(["task", "list"])
        .run()
        .code(1)
        .stderr_has("error: no pixi.toml found")
        .stderr_has("help:");
}

#[test]
fn a_bad_flag_is_a_usage_error() {
    let p = TestProject::empty();
    p.berth(["--no-such-flag"]).run().code(2);
}

#[test]
fn a_missing_manifest_path_names_it() {
    let p = TestProject::empty();
    p.berth(["--manifest-path", "nope/pixi.toml", "task", "list"])
        .run()
        .code(1)
        .stderr_has("nope/pixi.toml")
        .stderr_has("does not exist");
}

#[test]
fn a_toml_syntax_error_names_file_line_and_column() {
    let p = TestProject::with_manifest("[workspace]\nname = \"x\"\n\n[tasks]\nhello = \n");
    p.berth(["task", "list"])
        .run()
        .code(1)
        .stderr_has("error: failed to parse `pixi.toml`")
        .stderr_has("--> pixi.toml:5:");
}

#[test]
fn unknown_berth_settings_are_errors_with_a_suggestion() {
    let p = TestProject::with_tasks("[tool.berth]\ncpu = 2\n");
    p.berth(["container", "status"])
        .run()
        .code(1)
        .stderr_has("unknown key `cpu` in [tool.berth]")
        .stderr_has("--> pixi.toml:7:1")
        .stderr_has("did you mean `cpus`?");
}
