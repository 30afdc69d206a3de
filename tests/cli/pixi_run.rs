//! `berth run` where a pixi user expects `pixi run` (issue 16): commands that are no task,
//! `--platform`, activation, the cache in an ordinary repository, choosing the environment,
//! pixi's flags, nested shells, and a manifest that is no workspace. pixi v0.77.0's source is
//! the reference each test names.

use crate::harness::TestProject;
use crate::tasks::on_all_platforms as project;

// ---- 1. a word that is no task is a command (`crates/pixi_task/src/task_graph.rs`) ----

#[test]
fn a_command_runs_in_the_callers_directory_in_the_environment_without_a_banner() {
    let p = project("[tasks]\nhello = \"echo from the task\"\n");
    std::fs::create_dir_all(p.path("sub")).unwrap();
    p.berth([
        "run",
        "sh",
        "-c",
        "echo $PWD $PIXI_ENVIRONMENT_NAME $PIXI_PROJECT_NAME",
    ])
    .current_dir(p.path("sub"))
    .run()
    .success()
    .stdout_is(&format!("{} default demo\n", p.path("sub").display()))
    .stderr_lacks("✨");
    // Several words reach the program as they are: `&&` is a word, not an operator.
    p.berth(["run", "echo", "a b", "&&", "it's", "$HOME"])
        .run()
        .success()
        .stdout_is("a b && it's $HOME\n");
    // One word is a command line of its own: its operators work.
    p.berth(["run", "echo one && echo two"])
        .run()
        .success()
        .stdout_is("one\ntwo\n");
    // … and when its first word is a task, the rest are the task's words.
    p.berth(["run", "hello again"])
        .run()
        .success()
        .stdout_is("from the task again\n");
    p.berth(["run", "echo 'unclosed"])
        .run()
        .code(1)
        .stderr_has("could not split task, assuming non valid task");
    // A missing program is the shell's 127, and pixi then lists the tasks.
    p.berth(["run", "no-such-program-here"])
        .run()
        .code(127)
        .stderr_has("no-such-program-here: command not found")
        .stderr_has("Available tasks:\n\thello");
}

#[test]
fn executable_skips_the_tasks_and_templated_renders_the_command() {
    let p = project("[tasks]\necho = \"echo from the task\"\n\n[environments]\nother = []\n");
    p.berth(["run", "echo", "x"])
        .run()
        .success()
        .stdout_is("from the task x\n");
    for flag in ["-x", "--executable"] {
        p.berth(["run", flag, "echo", "x"])
            .run()
            .success()
            .stdout_is("x\n");
    }
    // Without --templated, braces are the command's own (pixi's
    // `test_custom_command_with_braces_no_template`).
    p.berth(["run", "-x", "echo", "{{ pixi.environment.name }}"])
        .run()
        .success()
        .stdout_is("{{ pixi.environment.name }}\n");
    p.berth([
        "run",
        "-x",
        "--templated",
        "-e",
        "other",
        "echo {{ pixi.environment.name }} {{ pixi.is_win }}",
    ])
    .run()
    .success()
    .stdout_is("other False\n");
}

#[test]
fn a_task_of_another_environment_is_not_run_as_a_program() {
    let p = project(
        "[feature.docs.tasks]\nls = \"echo docs ls\"\n\n[environments]\ndocs = [\"docs\"]\nplain = []\n",
    );
    p.berth(["run", "-e", "plain", "ls"])
        .run()
        .code(1)
        .stderr_has("the task 'ls' is not available in environment 'plain'")
        .stderr_has("berth run --environment docs ls");
    p.berth(["run", "ls"])
        .run()
        .success()
        .stdout_is("docs ls\n");
    p.berth(["run", "-e", "plain", "-x", "ls", "pixi.toml"])
        .run()
        .success()
        .stdout_is("pixi.toml\n");
}

// ---- 2. --platform (`crates/pixi_cli/src/run.rs`) ----

#[test]
fn platform_selects_the_targets_and_the_template_platform() {
    let p = project(
        "[tasks]\nwhere = \"echo {{ pixi.platform }} win={{ pixi.is_win }} osx={{ pixi.is_osx }}\"\n\
         t = \"echo plain\"\n\n[target.osx-arm64.tasks]\nt = \"echo mac\"\nmac-only = \"echo only on mac\"\n\n\
         [target.win.tasks]\nt = \"echo windows\"\n",
    );
    for (platform, expected) in [
        ("osx-arm64", "mac"),
        ("win-64", "windows"),
        ("linux-64", "plain"),
    ] {
        p.berth(["run", "--platform", platform, "t"])
            .env("PIXI_OVERRIDE_PLATFORM", "linux-aarch64")
            .run()
            .success()
            .stdout_is(&format!("{expected}\n"));
    }
    p.berth(["run", "-p", "osx-arm64", "where"])
        .run()
        .success()
        .stdout_is("osx-arm64 win=False osx=True\n");
    p.berth(["run", "-p", "win-64", "where"])
        .run()
        .success()
        .stdout_is("win-64 win=True osx=False\n");
    p.berth(["run", "-p", "osx-arm64", "mac-only"])
        .run()
        .success()
        .stdout_is("only on mac\n");
    p.berth(["run", "-p", "linux-64", "mac-only"])
        .run()
        .code(1)
        .stderr_has("the task 'mac-only' is not available for platform 'linux-64'");
}

#[test]
fn an_environments_platforms_limit_the_choice_and_others_are_errors() {
    let p = project(
        "[tasks]\nt = \"echo {{ pixi.platform }} $PIXI_ENVIRONMENT_PLATFORMS\"\n\n\
         [feature.linux]\nplatforms = [\"linux-64\", \"linux-aarch64\"]\n\n\
         [environments]\nlin = [\"linux\"]\n",
    );
    p.berth(["run", "-e", "lin", "-p", "linux-aarch64", "t"])
        .run()
        .success()
        .stdout_is("linux-aarch64 linux-64,linux-aarch64\n");
    p.berth(["run", "-e", "lin", "-p", "osx-arm64", "t"])
        .run()
        .code(1)
        .stderr_has("platform 'osx-arm64' is not part of environment 'lin'")
        .stderr_has("environment 'lin' runs on: linux-64, linux-aarch64");
    p.berth(["run", "-p", "no-such-platform", "t"])
        .run()
        .code(1)
        .stderr_has("workspace does not define a platform named 'no-such-platform'");
    // A subdir the workspace does not declare is no platform of any environment.
    p.berth(["run", "-p", "linux-ppc64le", "t"])
        .run()
        .code(1)
        .stderr_has("platform 'linux-ppc64le' is not part of environment 'default'");
}

#[test]
fn a_named_platform_is_its_name_in_templates_and_its_subdir_in_families() {
    let p = TestProject::with_manifest(
        "[workspace]\nname = \"n\"\nchannels = []\nplatforms = [\"linux-64\", { platform = \"linux-64\", name = \"gpu\" }]\n\n\
         [tasks]\nt = \"echo {{ pixi.platform }} {{ pixi.is_linux }}\"\n\n[target.gpu.tasks]\ng = \"echo on the gpu\"\n",
    );
    p.berth(["run", "-p", "gpu", "t"])
        .run()
        .success()
        .stdout_is("gpu True\n");
    p.berth(["run", "-p", "gpu", "g"])
        .run()
        .success()
        .stdout_is("on the gpu\n");
}

// ---- 3. activation (`crates/pixi_core/src/activation.rs`) ----

#[test]
fn activation_env_and_scripts_reach_tasks_in_pixis_order() {
    let p = project(
        "[activation]\nscripts = [\"setup.sh\"]\n\n[activation.env]\nNAME_AGAIN = \"$PIXI_PROJECT_NAME\"\n\
         FROM_BOTH = \"workspace\"\nAFTER_SCRIPT = \"$SCRIPT_VAR-seen\"\nOVERRIDDEN = \"by activation\"\n\n\
         [feature.f.activation.env]\nFROM_BOTH = \"feature\"\n\n\
         [target.win.activation.env]\nON_WIN = \"yes\"\n\n\
         [tasks]\nshow = { cmd = \"echo $NAME_AGAIN $FROM_BOTH $AFTER_SCRIPT $OVERRIDDEN [$ON_WIN]\", env = { OVERRIDDEN = \"by the task\" } }\n\
         prompt = \"sh show.sh\"\n\n\
         [environments]\nwith-f = [\"f\"]\n",
    );
    p.write(
        "setup.sh",
        "export SCRIPT_VAR=from-script\nexport OVERRIDDEN=by-script\n",
    );
    p.write(
        "show.sh",
        "printf '[%s] %s %s %s\\n' \"$PIXI_PROMPT\" \"$CONDA_DEFAULT_ENV\" \"$CONDA_SHLVL\" \"$PIXI_ENVIRONMENT_PLATFORMS\"\n",
    );
    p.berth(["run", "-e", "default", "show"])
        .env("OVERRIDDEN", "outside")
        .run()
        .success()
        .stdout_is("demo workspace from-script-seen by the task []\n");
    // The first-listed feature wins over the default feature.
    p.berth(["run", "-e", "with-f", "show"])
        .run()
        .success()
        .stdout_is("demo feature from-script-seen by the task []\n");
    // A target's activation applies on its platform.
    p.berth(["run", "-e", "default", "-p", "win-64", "show"])
        .run()
        .success()
        .stdout_is("demo workspace from-script-seen by the task [yes]\n");
    p.berth(["run", "-e", "with-f", "prompt"])
        .run()
        .success()
        .stdout_is(
            "[(demo:with-f) ] demo:with-f 1 linux-64,linux-aarch64,osx-64,osx-arm64,win-64\n",
        );
    p.berth(["run", "-e", "default", "prompt"])
        .run()
        .success()
        .stdout_is("[(demo) ] demo 1 linux-64,linux-aarch64,osx-64,osx-arm64,win-64\n");
}

/// An environment pixi installed brings its packages' activation (`rattler_shell`'s
/// `Activator::from_path`): `env_vars.d` and `conda-meta/state` first, then `activate.d`.
#[test]
fn the_activation_of_installed_packages_comes_first() {
    let p = project(
        "[activation]\nscripts = [\"project.sh\"]\n\n[tasks]\nshow = \"echo $FROM_JSON $FROM_STATE $ORDER\"\n",
    );
    p.write(
        ".pixi/envs/default/etc/conda/env_vars.d/pkg.json",
        r#"{"FROM_JSON": "json", "IGNORED": 1}"#,
    );
    p.write(
        ".pixi/envs/default/conda-meta/state",
        r#"{"env_vars": {"from_state": "state"}}"#,
    );
    p.write(
        ".pixi/envs/default/etc/conda/activate.d/pkg.sh",
        "export ORDER=package\n",
    );
    p.write(
        ".pixi/envs/default/etc/conda/activate.d/not-for-bash.fish",
        "set -x ORDER fish\n",
    );
    p.write("project.sh", "export ORDER=\"$ORDER,project\"\n");
    p.berth(["run", "show"])
        .run()
        .success()
        .stdout_is("json state package,project\n");
    p.write(
        ".pixi/envs/default/etc/conda/env_vars.d/pkg.json",
        "not json",
    );
    p.berth(["run", "show"])
        .run()
        .code(1)
        .stderr_has("env_vars.d/pkg.json` are not valid JSON");
}

#[test]
fn a_missing_script_warns_and_a_failing_one_stops_the_task() {
    let p = project(
        "[activation]\nscripts = [\"missing.sh\"]\n\n[tasks]\nt = \"echo ran\"\n\n\
         [feature.bad.activation]\nscripts = [\"bad.sh\"]\n\n[feature.bad.tasks]\nb = \"echo never\"\n\n\
         [environments]\nbad = [\"bad\"]\n",
    );
    p.write("bad.sh", "echo broken >&2\nexit 3\n");
    p.berth(["run", "t"])
        .run()
        .success()
        .stdout_is("ran\n")
        .stderr_has("Could not find activation scripts: ");
    p.berth(["run", "b"])
        .run()
        .code(1)
        .stdout_is("")
        .stderr_has("failed to run the activation of environment 'bad' (exit code 3)")
        .stderr_has("bash: broken");
}

// ---- 4. the cache in an ordinary repository (`crates/pixi_task/src/task_hash.rs`) ----

#[test]
fn outputs_in_a_git_ignored_directory_are_cached() {
    let p = project(
        "[tasks]\nbuild = { cmd = \"mkdir -p build && echo ran >> log.txt && cp src/main.c build/main.o\", inputs = [\"src/\"], outputs = [\"build/\"] }\n",
    );
    p.write(".gitignore", "build/\nlog.txt\n");
    p.write("src/main.c", "int main() {}\n");
    p.berth(["run", "build"])
        .run()
        .success()
        .stderr_lacks("cache hit")
        .stderr_lacks("No files matched");
    p.berth(["run", "build"])
        .run()
        .success()
        .stderr_has("Task 'build' can be skipped (cache hit) 🚀");
    assert_eq!(p.read("log.txt"), "ran\n");
    // A changed output makes it run again.
    p.write("build/main.o", "tampered");
    p.berth(["run", "build"])
        .run()
        .success()
        .stderr_lacks("cache hit");
    assert_eq!(p.read("log.txt"), "ran\nran\n");
}

#[test]
fn hidden_files_count_only_when_a_glob_names_them() {
    let p = project(
        "[tasks]\nall = { cmd = \"echo ran >> .log-all\", inputs = [\"**\"] }\n\
         env = { cmd = \"echo ran >> .log-env\", inputs = [\".env\"] }\n",
    );
    p.write("a.txt", "a");
    p.write(".env", "ONE=1");
    p.write(".hidden/x.txt", "x");
    p.berth(["run", "all"]).run().success();
    p.berth(["run", "env"]).run().success();
    // `**` does not see hidden entries: changing them keeps the cache.
    p.write(".hidden/x.txt", "changed");
    p.write(".env", "ONE=2");
    p.berth(["run", "all"])
        .run()
        .success()
        .stderr_has("cache hit");
    // A glob that names a hidden file does.
    p.berth(["run", "env"])
        .run()
        .success()
        .stderr_lacks("cache hit");
}

#[test]
fn each_argument_set_of_a_dependency_has_its_own_entry() {
    let p = project(
        "[tasks]\nemit = { cmd = \"echo {{ what }} >> log.txt && echo {{ what }} > out-{{ what }}.txt\", args = [\"what\"], outputs = [\"out-{{ what }}.txt\"] }\n\
         both = { depends-on = [{ task = \"emit\", args = [\"a\"] }, { task = \"emit\", args = [\"b\"] }] }\n",
    );
    p.berth(["run", "both"]).run().success();
    assert_eq!(p.read("log.txt"), "a\nb\n");
    let entries = std::fs::read_dir(p.path(".pixi/berth/task-cache"))
        .unwrap()
        .count();
    assert_eq!(entries, 2, "one cache entry per argument set");
    p.berth(["run", "both"])
        .run()
        .success()
        .stderr_has("Task 'emit' with args what = a can be skipped (cache hit)")
        .stderr_has("Task 'emit' with args what = b can be skipped (cache hit)");
    assert_eq!(p.read("log.txt"), "a\nb\n");
    p.berth(["run", "emit", "c"]).run().success();
    p.berth(["run", "emit", "a"])
        .run()
        .success()
        .stderr_has("Task 'emit' with args what = a can be skipped (cache hit)");
}

#[test]
fn the_locked_packages_of_the_environment_are_part_of_the_key() {
    let p = project("[tasks]\nt = { cmd = \"echo ran >> log.txt\", inputs = [\"in.txt\"] }\n");
    p.write("in.txt", "same");
    let lock = |linux: &str, mac: &str| {
        format!(
            "version: 6\nenvironments:\n  default:\n    channels:\n    - url: https://conda.anaconda.org/conda-forge/\n    packages:\n      linux-64:\n      - conda: https://conda.anaconda.org/conda-forge/linux-64/{linux}.conda\n      osx-arm64:\n      - conda: https://conda.anaconda.org/conda-forge/osx-arm64/{mac}.conda\npackages: []\n"
        )
    };
    let hit = || {
        let out = p
            .berth(["run", "t"])
            .env("PIXI_OVERRIDE_PLATFORM", "linux-64")
            .run();
        out.success();
        out.stderr.contains("cache hit")
    };
    p.write("pixi.lock", &lock("python-3.12.0-h0", "python-3.12.0-h0"));
    assert!(!hit());
    assert!(hit());
    // Another package locked for this platform: the environment changed.
    p.write("pixi.lock", &lock("python-3.13.0-h0", "python-3.12.0-h0"));
    assert!(!hit());
    assert!(hit());
    // Another package for another platform only: it did not.
    p.write("pixi.lock", &lock("python-3.13.0-h0", "python-3.14.0-h0"));
    assert!(hit());
    assert_eq!(p.read("log.txt"), "ran\nran\n");
}

#[test]
fn the_activation_is_part_of_the_key() {
    let manifest = |mode: &str| {
        format!(
            "[activation.env]\nMODE = \"{mode}\"\n\n[tasks]\nt = {{ cmd = \"echo $MODE >> log.txt\", inputs = [\"in.txt\"] }}\n"
        )
    };
    let p = project(&manifest("one"));
    p.write("in.txt", "same");
    p.berth(["run", "t"]).run().success();
    p.berth(["run", "t"])
        .run()
        .success()
        .stderr_has("cache hit");
    let text = p
        .read("pixi.toml")
        .replace("MODE = \"one\"", "MODE = \"two\"");
    p.write("pixi.toml", &text);
    p.berth(["run", "t"])
        .run()
        .success()
        .stderr_lacks("cache hit");
    assert_eq!(p.read("log.txt"), "one\ntwo\n");
}

// ---- 5. choosing the environment (`crates/pixi_cli/src/run.rs`, `disambiguate_task_interactive`) ----

#[test]
fn an_ambiguous_task_without_a_terminal_is_an_error_listing_the_environments() {
    let p = project(
        "[feature.a.tasks]\nt = \"echo a\"\n\n[feature.b.tasks]\nt = \"echo b\"\n\n\
         [environments]\nea = [\"a\"]\neb = [\"b\"]\n",
    );
    p.berth(["run", "t"])
        .run()
        .code(1)
        .stdout_is("")
        .stderr_has("the task 't' is ambiguous")
        .stderr_has("these environments provide the task 't': ea, eb")
        .stderr_has("berth run --environment ea t");
}

#[test]
fn a_candidate_that_names_its_own_environment_as_default_is_chosen() {
    let p = project(
        "[feature.a.tasks]\nt = \"echo a\"\n\n[feature.b.tasks]\nt = { cmd = \"echo b\", default-environment = \"eb\" }\n\n\
         [environments]\nea = [\"a\"]\neb = [\"b\"]\n",
    );
    p.berth(["run", "t"]).run().success().stdout_is("b\n");
}

#[test]
fn on_a_terminal_berth_asks_which_environment() {
    let p = project(
        "[tasks]\ntop = { cmd = \"echo top\", depends-on = [\"t\"] }\n\n\
         [feature.a.tasks]\nt = \"echo in $PIXI_ENVIRONMENT_NAME\"\n\n[feature.b.tasks]\nt = \"echo in $PIXI_ENVIRONMENT_NAME\"\n\n\
         [environments]\nea = [\"a\"]\neb = [\"b\"]\n",
    );
    let steps = [("output:[1-2, default 1]: ".to_string(), "2\r")];
    let (code, output) = crate::signals::on_a_terminal(&p, &steps, &["run", "t"]);
    assert_eq!(code, 0, "the terminal showed:\n{output}");
    assert!(
        output.contains("The task 't' can be run in multiple environments.")
            && output.contains("  1) ea")
            && output.contains("  2) eb"),
        "the terminal showed:\n{output}"
    );
    assert!(output.contains("in eb"), "the terminal showed:\n{output}");
    // A dependency asks too, naming the task that needs it; Enter takes the first.
    let steps = [("output:[1-2, default 1]: ".to_string(), "\r")];
    let (code, output) = crate::signals::on_a_terminal(&p, &steps, &["run", "top"]);
    assert_eq!(code, 0, "the terminal showed:\n{output}");
    assert!(
        output.contains("The task 't' (depended on by 'top') can be run in multiple environments."),
        "the terminal showed:\n{output}"
    );
    assert!(
        output.contains("in ea") && output.contains("top"),
        "the terminal showed:\n{output}"
    );
}

// ---- 8. flags (`crates/pixi_cli/src/run.rs`, `Args`) ----

#[test]
fn an_unknown_flag_before_the_task_is_a_usage_error_and_pixis_install_flags_do_nothing() {
    let p = project("[tasks]\nt = \"echo ran\"\n");
    p.berth(["run", "--frozen2", "t"])
        .run()
        .code(2)
        .stdout_is("")
        .stderr_has("unexpected argument '--frozen2'");
    p.berth([
        "run",
        "--frozen",
        "--locked",
        "--no-install",
        "--as-is",
        "t",
    ])
    .run()
    .success()
    .stdout_is("ran\n");
    // After the task every word is the task's, berth's own flags included.
    p.berth(["run", "t", "--frozen2", "-e", "x", "--help", "-v"])
        .run()
        .success()
        .stdout_is("ran --frozen2 -e x --help -v\n");
    let help = p.berth(["run", "--help"]).run();
    help.success();
    for flag in [
        "--platform",
        "--executable",
        "--templated",
        "--environment",
        "--skip-deps",
        "--clean-env",
        "--dry-run",
        "--frozen",
        "--locked",
        "--no-install",
        "--as-is",
    ] {
        assert!(
            help.stdout.contains(flag),
            "`berth run --help` lacks {flag}"
        );
    }
}

// ---- 9. nested shells (`crates/pixi_core/src/workspace/discovery.rs`) ----

#[test]
fn inside_another_projects_shell_the_local_manifest_wins_and_the_environment_variable_is_the_fallback()
 {
    let p = project(
        "[tasks]\nwhere = \"echo local $PIXI_ENVIRONMENT_NAME\"\n\n[environments]\ndev = []\n",
    );
    p.write(
        "other/pixi.toml",
        "[workspace]\nname = \"other\"\nchannels = []\nplatforms = []\n\n[tasks]\nwhere = \"echo other\"\n",
    );
    let other = p.path("other/pixi.toml");
    let outside = p.base().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    // Inside this project, with another project's shell variables: this project, a warning,
    // and the other shell's environment name is not this project's.
    p.berth(["run", "where"])
        .env("PIXI_PROJECT_MANIFEST", &other)
        .env("PIXI_PROJECT_ROOT", p.path("other"))
        .env("PIXI_IN_SHELL", "1")
        .env("PIXI_ENVIRONMENT_NAME", "dev")
        .run()
        .success()
        .stdout_is("local default\n")
        .stderr_has(&format!(
            "Using local manifest {} rather than {} from environment variable `PIXI_PROJECT_MANIFEST`",
            p.path("pixi.toml").display(),
            other.display()
        ));
    // In this project's own shell, its environment is the one to use.
    p.berth(["run", "where"])
        .env("PIXI_PROJECT_MANIFEST", p.path("pixi.toml"))
        .env("PIXI_PROJECT_ROOT", &p.root)
        .env("PIXI_IN_SHELL", "1")
        .env("PIXI_ENVIRONMENT_NAME", "dev")
        .run()
        .success()
        .stdout_is("local dev\n")
        .stderr_lacks("Using local manifest");
    // Outside any project, the shell's manifest is used.
    p.berth(["run", "where"])
        .current_dir(&outside)
        .env("PIXI_PROJECT_MANIFEST", &other)
        .env("PIXI_IN_SHELL", "1")
        .run()
        .success()
        .stdout_is("other\n");
}

// ---- 12. a manifest that is no workspace (`crates/pixi_manifest/src/discovery.rs`) ----

#[test]
fn an_empty_or_table_less_manifest_is_pixis_error_at_its_first_character() {
    let p = TestProject::empty();
    for manifest in ["", "# just a comment\n", "[tasks]\nt = \"echo\"\n"] {
        p.write("pixi.toml", manifest);
        for args in [&["run", "t"][..], &["task", "list"], &["init", "--dry-run"]] {
            p.berth(args)
                .run()
                .code(1)
                .stdout_is("")
                .stderr_has("error: Missing table in manifest pixi.toml: any of [workspace], [project], [package] is required")
                .stderr_has("  --> pixi.toml:1:1")
                .stderr_has("help: ");
        }
        assert_eq!(
            p.read("pixi.toml"),
            manifest,
            "the manifest is left as it was"
        );
    }
    p.write("pixi.toml", "[package]\nname = \"pkg\"\n");
    p.write(
        "pyproject.toml",
        "[project]\nname = \"py\"\n\n[tool.pixi.tasks]\nt = \"echo\"\n",
    );
    // A package-only pixi.toml is skipped; the pyproject beside it has pixi tables but no
    // workspace.
    p.berth(["run", "t"])
        .run()
        .code(1)
        .stderr_has("Missing table in manifest pyproject.toml: any of [tool.pixi.workspace], [tool.pixi.project], [tool.pixi.package] is required")
        .stderr_has("  --> pyproject.toml:1:1");
}

// ---- 10. pixi's phrases (`crates/pixi_manifest/src/task.rs`) ----

#[test]
fn the_tojson_filter_and_pixis_template_error_phrase() {
    let p = project(
        "[tasks]\nj = { cmd = \"echo '{{ ({'name': name, 'tags': ['a', 'b']}) | tojson }}'\", args = [\"name\"] }\n\
         bad = \"echo {{ nope }}\"\n",
    );
    p.berth(["run", "j", "x"])
        .run()
        .success()
        .stdout_is("{\"name\":\"x\",\"tags\":[\"a\",\"b\"]}\n");
    p.berth(["run", "bad"])
        .run()
        .code(1)
        .stderr_has("failed to replace argument placeholders");
}
