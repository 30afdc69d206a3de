//! The layouts berth promises, pinned whole: the error report (`error:` / `-->` / `help:`),
//! `container status`, `doctor`, the `system clean` plan and `task list`. Each output is
//! compared with a snapshot under `tests/cli/snapshots/` (insta) after the test's temp
//! directory becomes `[TMP]`; a changed layout fails until its snapshot is reviewed
//! (`INSTA_UPDATE=always cargo test --test cli outputs::` rewrites them, `git diff` shows how).

use crate::harness::{LimaProject, Output, Run, TestProject};

/// `out`'s exit code, stdout and stderr as one text, with the test's temp directory as
/// `[TMP]`.
fn whole(p: &TestProject, out: &Output) -> String {
    let text = format!(
        "exit code: {}\n--- stdout\n{}--- stderr\n{}",
        out.code, out.stdout, out.stderr
    );
    text.replace(&p.base().display().to_string(), "[TMP]")
}

#[test]
fn an_error_names_its_place_and_what_to_do() {
    let p = TestProject::with_tasks("[tool.berth]\ncpu = 2\n");
    let out = p.berth(["container", "status"]).run();
    insta::assert_snapshot!("error_unknown_key", whole(&p, &out));

    let p = TestProject::with_tasks("[tool.berth]\n");
    let out = p
        .berth(["container", "status"])
        .env("BERTH_CPUS", "many")
        .run();
    insta::assert_snapshot!("error_from_the_environment", whole(&p, &out));

    let p = TestProject::with_tasks("[tool.berth]\nmounts = [\"~/src\", 3]\n");
    let out = p.berth(["container", "status"]).run();
    insta::assert_snapshot!("error_in_part_of_a_value", whole(&p, &out));
}

#[test]
fn container_status_reads_as_a_few_lines() {
    let p = LimaProject::with_manifest("[tool.berth]\nruntime = \"lima\"\ninstance = \"demo\"\n");
    let absent = p.berth(["container", "status"]).run();
    p.berth(["container", "init"]).run().success();
    let running = p.berth(["container", "status"]).run();
    p.berth(["container", "stop"]).run().success();
    let stopped = p.berth(["container", "status"]).run();
    let absent_running_stopped: Vec<String> = [absent, running, stopped]
        .iter()
        .map(|out| whole(&p, out))
        .collect();
    insta::assert_snapshot!("container_status", absent_running_stopped.join("\n"));
}

#[test]
fn doctor_lists_runtimes_tools_settings_and_problems() {
    let p = TestProject::with_tasks("[tool.berth]\ncpus = 3\ninstance = \"demo\"\n");
    let out = doctor_of_no_machine(&p).env("BERTH_MEMORY", "8g").run();
    insta::assert_snapshot!("doctor", doctor_text(&p, &out));
}

/// `berth doctor` with nothing of this machine's: no tool on PATH, no engine, a fixed host.
fn doctor_of_no_machine(p: &TestProject) -> Run {
    p.berth(["doctor"])
        .env("PATH", &p.bin)
        .env("BERTH_DOCKER_SOCKET", p.base().join("no-engine.sock"))
        .env("BERTH_HOST_OS", "linux")
        .env("BERTH_HOST_ARCH", "x86_64")
}

/// What the user set that berth's commands override, each with a `help:`: an exported
/// DOCKER_CONTEXT and DOCKER_HOST, the docker config's `currentContext`, a credential store
/// whose program is gone, and a COMPOSE_PROJECT_NAME that the compose file's `name:` outranks.
#[test]
fn doctor_names_what_berth_overrides() {
    let p = TestProject::with_tasks("[tool.berth]\ninstance = \"demo\"\n");
    p.write("compose.yaml", "name: shop\nservices: {}\n");
    std::fs::create_dir_all(p.home.join(".docker")).expect("mkdir");
    std::fs::write(
        p.home.join(".docker/config.json"),
        r#"{"auths": {"registry.example": {"auth": "dXNlcjpzZWNyZXQ="}},
            "credsStore": "desktop", "currentContext": "remote"}"#,
    )
    .expect("write");
    let out = doctor_of_no_machine(&p)
        .env("DOCKER_CONTEXT", "remote")
        .env("DOCKER_HOST", "tcp://10.0.0.5:2376")
        .env("COMPOSE_PROJECT_NAME", "mine")
        .run();
    insta::assert_snapshot!("doctor_overrides", doctor_text(&p, &out));
}

/// doctor's whole output, with what depends on the machine or the temp directory's name
/// replaced: the compose plugin's line (docker's own plugin directories are searched whatever
/// PATH says) and the hash of the project's root in the compose project name.
fn doctor_text(p: &TestProject, out: &Output) -> String {
    let plugin = "   docker compose (plugin)  ";
    let root_id = regex_automata::meta::Regex::new(r"demo-[0-9a-f]{8}").expect("regex");
    whole(p, out)
        .lines()
        .map(|line| match line.strip_prefix(plugin) {
            Some(_) => format!("{plugin}[found or not, as this machine has it]"),
            None => {
                let mut text = line.to_string();
                if let Some(found) = root_id.find(line) {
                    text.replace_range(found.range(), "demo-[ROOT-ID]");
                }
                text
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_clean_plan_is_a_table_of_sizes_paths_and_reasons() {
    let p = LimaProject::with_manifest("[tool.berth]\nruntime = \"lima\"\ninstance = \"demo\"\n");
    p.berth(["container", "init"]).run().success();
    p.berth(["container", "stop"]).run().success();
    let out = p.berth(["system", "clean", "--dry-run"]).run();
    // Sizes are the filesystem's block counts, which differ between filesystems: the column
    // stays, its numbers go.
    let sizes_hidden: String = whole(&p, &out)
        .lines()
        .map(|line| match line.get(..12) {
            Some(size) if line.starts_with("  ") && size.trim_end().ends_with('B') => {
                format!("  {:>10}{}", "[SIZE]", &line[12..])
            }
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("clean_plan", sizes_hidden);
}

#[test]
fn task_list_shows_names_and_descriptions() {
    let p = TestProject::with_tasks(
        r#"[tasks]
build = { cmd = "cargo build", description = "Build everything" }
test = { cmd = "cargo test", depends-on = ["build"] }
lint = "cargo clippy"
_hidden = "true"

[feature.docs.tasks]
docs = { cmd = "mdbook build", description = "The book" }

[environments]
docs = ["docs"]
"#,
    );
    let out = p.berth(["task", "list"]).run();
    insta::assert_snapshot!("task_list", whole(&p, &out));
}
