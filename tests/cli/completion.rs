//! Shell completion through clap_complete's dynamic completion: `berth completions SHELL`
//! prints the line that registers it, `COMPLETE=<shell> berth` the script that line sources,
//! and the script asks berth again for the words, which for `berth run` are the manifest's
//! task names and for `-e` its environments.

use crate::harness::TestProject;

fn project() -> TestProject {
    TestProject::with_tasks(
        "[tasks]\nbuild = { cmd = \"make\", description = \"Build  it\" }\nbench = \"make bench\"\ntest = \"make test\"\n_hidden = \"true\"\n\n\
         [feature.docs.tasks]\ndocs = \"mkdocs build\"\n\n[environments]\ndocs = [\"docs\"]\nci = []\n",
    )
}

/// What berth answers fish's completion request for the words `line` (the last one being
/// completed), one candidate per line with its help after a tab.
fn complete(p: &TestProject, line: &[&str]) -> Vec<String> {
    let out = p.berth(["--"]).args(line).env("COMPLETE", "fish").run();
    out.success();
    out.stdout.lines().map(str::to_string).collect()
}

#[test]
fn run_completes_the_task_names_of_the_manifest_here() {
    let p = project();
    assert_eq!(
        complete(&p, &["berth", "run", ""])
            .into_iter()
            .filter(|c| !c.starts_with('-'))
            .collect::<Vec<_>>(),
        ["bench", "build\tBuild it", "docs", "test"],
        "every environment's visible tasks, with their descriptions"
    );
    assert_eq!(
        complete(&p, &["berth", "run", "b"]),
        ["bench", "build\tBuild it"]
    );
    // After the task, its words are its own: no task names there.
    assert!(
        complete(&p, &["berth", "run", "build", ""])
            .iter()
            .all(|c| c.starts_with('-')),
        "{:?}",
        complete(&p, &["berth", "run", "build", ""])
    );
    // From a directory below the root too, and nothing (but no error) without a manifest.
    std::fs::create_dir_all(p.path("src/deep")).unwrap();
    let out = p
        .berth(["--", "berth", "run", "te"])
        .env("COMPLETE", "fish")
        .current_dir(p.path("src/deep"))
        .run();
    out.success().stdout_is("test\n");
    let elsewhere = TestProject::empty();
    let out = elsewhere
        .berth(["--", "berth", "run", "b"])
        .env("COMPLETE", "fish")
        .run();
    out.success().stdout_is("");
    assert_eq!(out.stderr, "", "no error while completing");
}

#[test]
fn environment_flags_complete_the_environment_names() {
    let p = project();
    assert_eq!(
        complete(&p, &["berth", "run", "-e", ""]),
        ["default", "docs", "ci"]
    );
    assert_eq!(
        complete(&p, &["berth", "run", "--environment", "d"]),
        ["default", "docs"]
    );
    assert_eq!(complete(&p, &["berth", "task", "list", "-e", "c"]), ["ci"]);
}

#[test]
fn completions_print_the_registration_line_for_each_shell() {
    let p = TestProject::empty();
    for (shell, line) in [
        ("bash", "source <(COMPLETE=bash berth)\n"),
        ("zsh", "source <(COMPLETE=zsh berth)\n"),
        ("fish", "COMPLETE=fish berth | source\n"),
        ("elvish", "eval (E:COMPLETE=elvish berth | slurp)\n"),
        (
            "powershell",
            "$env:COMPLETE = \"powershell\"; berth | Out-String | Invoke-Expression; Remove-Item Env:\\COMPLETE\n",
        ),
    ] {
        p.berth(["completions", shell])
            .run()
            .success()
            .stdout_is(line);
        // The line's command prints the script the shell sources, which calls berth back.
        let script = p.berth(Vec::<&str>::new()).env("COMPLETE", shell).run();
        script.success();
        assert!(
            script.stdout.contains("COMPLETE") && script.stdout.contains("berth"),
            "{shell}: {}",
            script.stdout
        );
    }
    p.berth(["completions", "tcsh"]).run().code(2);
}
