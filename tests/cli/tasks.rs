//! `berth run` and `berth task list`: pixi's task schema, run semantics and listing.

use std::path::Path;

use crate::harness::TestProject;

/// The platforms pixi's own tests declare (`tests/integration_python/common.py`,
/// `ALL_PLATFORMS`), so every environment runs on the machine the tests run on.
pub const ALL_PLATFORMS: &str = r#"["linux-64", "linux-aarch64", "osx-64", "osx-arm64", "win-64"]"#;

/// A project named `demo` on every platform, `rest` after its `[workspace]` (which ends on
/// line 5 of pixi.toml).
pub fn on_all_platforms(rest: &str) -> TestProject {
    TestProject::with_manifest(&format!(
        "[workspace]\nname = \"demo\"\nchannels = []\nplatforms = {ALL_PLATFORMS}\n\n{rest}"
    ))
}

/// A project whose `[tasks]` table is `tasks` (the table starts on line 7 of pixi.toml).
fn tasks(tasks: &str) -> TestProject {
    on_all_platforms(&format!("[tasks]\n{tasks}"))
}

// ---- the three forms and the fields ----

#[test]
fn a_string_task_runs_in_the_root_and_prints_a_banner_on_stderr() {
    let p = tasks("hello = \"echo hello from $PWD\"\n");
    p.berth(["run", "hello"])
        .current_dir(p.path("."))
        .run()
        .success()
        .stdout_is(&format!("hello from {}\n", p.root.display()))
        .stderr_has("✨ berth task (hello): echo hello from $PWD");
    p.berth(["-q", "run", "hello"])
        .run()
        .success()
        .stderr_lacks("berth task");
}

#[test]
fn a_table_task_with_a_cmd_array_joins_words_with_pixis_quote_rule() {
    let p = tasks("t = { cmd = [\"echo\", \"two  spaces\", \"[x]\", \"a;echo\", \"b\"] }\n");
    p.berth(["run", "t"])
        .run()
        .success()
        .stdout_is("two  spaces [x] a\nb\n")
        .stderr_has("echo \"two  spaces\" \"[x]\" a;echo b");
}

#[test]
fn aliases_run_their_dependencies_in_order() {
    let p = tasks(
        "a = \"echo a\"\nb = \"echo b\"\n\
         table = { depends-on = [\"a\", \"b\"], description = \"both\" }\n\
         array = [{ task = \"b\" }, { task = \"a\" }]\n",
    );
    p.berth(["run", "table"])
        .run()
        .success()
        .stdout_is("a\nb\n");
    p.berth(["run", "array"])
        .run()
        .success()
        .stdout_is("b\na\n");
}

#[test]
fn an_array_of_strings_is_an_error_with_a_position() {
    let p = tasks("test = [\"invalid\", \"task\"]\n");
    p.berth(["run", "test"])
        .run()
        .code(1)
        .stderr_has("task `test` is an array of strings")
        .stderr_has("--> pixi.toml:7:9")
        .stderr_has("help:");
}

#[test]
fn unknown_task_keys_are_errors_listing_the_allowed_ones() {
    let p = tasks("t = { cmd = \"echo\", depends = [\"x\"] }\n");
    p.berth(["task", "list"])
        .run()
        .code(1)
        .stderr_has("unexpected key `depends` in task `t`, expected only 'cmd', 'inputs'")
        .stderr_has("--> pixi.toml:7:21")
        .stderr_has("did you mean 'depends-on'?");
    let alias = tasks("t = { depends-on = [\"x\"], cwd = \"sub\" }\n");
    alias.berth(["run", "t"]).run().code(1).stderr_has(
        "unexpected key `cwd` in task `t`, expected only 'depends-on', 'description', 'args'",
    );
}

#[test]
fn deprecated_depends_on_works_with_a_warning() {
    let p = tasks("a = \"echo a\"\nb = { cmd = \"echo b\", depends_on = [\"a\"] }\n");
    p.berth(["run", "b"])
        .run()
        .success()
        .stdout_is("a\nb\n")
        .stderr_has("`depends_on` field is deprecated")
        .stderr_has("pixi.toml:8:");
}

#[test]
fn cwd_is_relative_to_the_root_and_must_exist() {
    let p = tasks(
        "here = { cmd = \"echo $PWD\", cwd = \"sub/dir\" }\nmissing = { cmd = \"true\", cwd = \"nope\" }\n",
    );
    std::fs::create_dir_all(p.path("sub/dir")).unwrap();
    p.berth(["run", "here"])
        .current_dir(p.path("sub"))
        .run()
        .success()
        .stdout_is(&format!("{}\n", p.path("sub/dir").display()));
    p.berth(["run", "missing"])
        .run()
        .code(1)
        .stderr_has("invalid working directory 'nope'");
}

#[test]
fn env_values_are_templated_exported_in_order_and_escaped() {
    let p = tasks(
        "t = { cmd = \"echo $A / $B\", args = [{ arg = \"v\", default = \"1\" }], \
         env = { A = \"x{{ v }}\", B = \"$A \\\"quoted\\\"\" } }\n",
    );
    p.berth(["run", "t"])
        .env("A", "outside")
        .run()
        .success()
        .stdout_is("x1 / x1 \"quoted\"\n");
    p.berth(["run", "t", "2"])
        .run()
        .success()
        .stdout_is("x2 / x2 \"quoted\"\n");
}

#[test]
fn typed_args_defaults_choices_and_their_errors() {
    let p = tasks(
        "build = { cmd = \"echo {{ target }} {{ mode }}\", args = [\"target\", { arg = \"mode\", default = \"debug\", choices = [\"debug\", \"release\"] }] }\n",
    );
    p.berth(["run", "build", "app"])
        .run()
        .success()
        .stdout_is("app debug\n");
    p.berth(["run", "build", "app", "release", "--", "--verbose", "x y"])
        .run()
        .success()
        .stdout_is("app release --verbose x y\n");
    p.berth(["run", "build"])
        .run()
        .code(1)
        .stderr_has("no value provided for argument 'target' of task 'build'");
    p.berth(["run", "build", "a", "fast"])
        .run()
        .code(1)
        .stderr_has("got 'fast' for argument 'mode' of task 'build', choose from: debug, release");
    p.berth(["run", "build", "a", "debug", "extra"])
        .run()
        .code(1)
        .stderr_has("task 'build' received more arguments than expected")
        .stderr_has("use `--` to separate");
}

#[test]
fn arg_declarations_are_checked() {
    for (args, message) in [
        (
            "[\"python-file\"]",
            "'python-file' is not a valid argument name since it contains the character '-'",
        ),
        (
            "[{ arg = \"a\", default = \"x\" }, \"b\"]",
            "default value required after previous arguments with defaults",
        ),
        (
            "[{ arg = \"m\", default = \"invalid\", choices = [\"debug\", \"release\"] }]",
            "default value 'invalid' is not one of the allowed choices: debug, release",
        ),
    ] {
        let p = tasks(&format!("t = {{ cmd = \"echo\", args = {args} }}\n"));
        p.berth(["task", "list"])
            .run()
            .code(1)
            .stderr_has(message)
            .stderr_has("--> pixi.toml:7:");
    }
}

#[test]
fn extra_words_are_single_quoted_and_a_leading_double_dash_dropped() {
    let p = tasks("e = \"echo\"\n");
    p.berth(["run", "e", "a b", "say \"hi\"", "$HOME", "&&", "x"])
        .run()
        .success()
        .stdout_is("a b say \"hi\" $HOME && x\n");
    p.berth(["run", "e", "--", "--flag", "--", "z"])
        .run()
        .success()
        .stdout_is("--flag -- z\n");
    // pixi leaves a `'` inside a word unescaped and the script no longer parses; berth
    // quotes it, so the word arrives whole.
    p.berth(["run", "e", "it's", "'"])
        .run()
        .success()
        .stdout_is("it's '\n");
}

#[test]
fn templates_render_args_filters_and_pixi_vars() {
    let p = tasks(
        "t = { cmd = \"echo {{ name | title }} {{ pixi.platform }} {{ pixi.environment.name }} {{ pixi.is_linux | lower }} {{ pixi.init_cwd }} {{ pixi.manifest_path }}\", args = [\"name\"] }\n",
    );
    std::fs::create_dir_all(p.path("sub")).unwrap();
    p.berth(["run", "t", "ada lovelace"])
        .current_dir(p.path("sub"))
        .env("PIXI_OVERRIDE_PLATFORM", "linux-aarch64")
        .run()
        .success()
        .stdout_is(&format!(
            "Ada Lovelace linux-aarch64 default true {} {}\n",
            p.path("sub").display(),
            p.path("pixi.toml").display()
        ));
}

#[test]
fn a_template_error_names_the_task_and_the_cmd_position() {
    let p = tasks(
        "ok = \"true\"\nps = \"docker ps --format '{{.Names}}'\"\nundef = \"echo {{ nope }}\"\n",
    );
    p.berth(["run", "ps"])
        .run()
        .code(1)
        .stderr_has("failed to replace argument placeholders in the command of task 'ps'")
        .stderr_has("--> pixi.toml:8:6");
    p.berth(["run", "undef"])
        .run()
        .code(1)
        .stderr_has("task 'undef'")
        .stderr_has("undefined")
        .stderr_has("--> pixi.toml:9:9");
}

// ---- dependencies ----

#[test]
fn dependencies_run_depth_first_once_with_args_and_stop_at_the_first_failure() {
    let p = tasks(
        "root = \"echo root\"\ntask1 = { cmd = \"echo task1\", depends-on = [\"root\"] }\n\
         task2 = { cmd = \"echo task2\", depends-on = \"root\" }\n\
         top = { cmd = \"echo top\", depends-on = [\"task1\", \"task2\"] }\n\
         say = { cmd = \"echo say {{ w }}\", args = [\"w\"] }\n\
         many = { args = [{ arg = \"x\", default = \"X\" }], depends-on = [{ task = \"say\", args = [\"{{ x }}1\"] }, { task = \"say\", args = [{ w = \"{{ x }}2\" }] }, { task = \"say\", args = [\"{{ x }}1\"] }] }\n\
         fails = { cmd = \"exit 7\", depends-on = [\"root\"] }\n\
         after = { cmd = \"echo never\", depends-on = [\"fails\"] }\n\
         missing = { cmd = \"true\", depends-on = [\"nope\"] }\n",
    );
    p.berth(["run", "top", "--test"])
        .run()
        .success()
        .stdout_is("root\ntask1\ntask2\ntop --test\n");
    p.berth(["run", "many", "v"])
        .run()
        .success()
        .stdout_is("say v1\nsay v2\n");
    p.berth(["run", "after"]).run().code(7).stdout_is("root\n");
    p.berth(["run", "--skip-deps", "top"])
        .run()
        .success()
        .stdout_is("top\n");
    p.berth(["run", "missing"])
        .run()
        .code(1)
        .stderr_has("could not find the task 'nope'")
        .stderr_has("--> pixi.toml:");
}

#[test]
fn cycles_of_every_length_are_errors_showing_the_path() {
    for (manifest, expected) in [
        ("a = { cmd = \"true\", depends-on = [\"a\"] }\n", "a -> a"),
        (
            "a = { cmd = \"true\", depends-on = [\"b\"] }\nb = { cmd = \"true\", depends-on = [\"a\"] }\n",
            "a -> b -> a",
        ),
        (
            "a = { cmd = \"true\", depends-on = [\"b\"] }\nb = { cmd = \"true\", depends-on = [\"c\"] }\nc = { depends-on = [\"a\"] }\n",
            "a -> b -> c -> a",
        ),
    ] {
        let p = tasks(manifest);
        p.berth(["run", "a"])
            .run()
            .code(1)
            .stdout_is("")
            .stderr_has(&format!("cycle: {expected}"))
            .stderr_has("--> pixi.toml:");
    }
}

// ---- environment of a task ----

#[test]
fn pixi_variables_and_init_cwd_are_set() {
    let p = TestProject::with_manifest(
        "[workspace]\nname = \"vars\"\nversion = \"1.2.3\"\nchannels = []\nplatforms = []\n\n[tasks]\n\
         show = \"echo $PIXI_PROJECT_ROOT $PIXI_PROJECT_NAME $PIXI_PROJECT_MANIFEST $PIXI_PROJECT_VERSION $PIXI_ENVIRONMENT_NAME $PIXI_IN_SHELL $INIT_CWD $PIXI_EXE\"\n\
         path = \"echo $PATH\"\n",
    );
    std::fs::create_dir_all(p.path("deep/er")).unwrap();
    let out = p
        .berth(["run", "show"])
        .current_dir(p.path("deep/er"))
        .env("INIT_CWD", "/stale")
        .run();
    out.success().stdout_is(&format!(
        "{root} vars {root}/pixi.toml 1.2.3 default 1 {root}/deep/er {exe}\n",
        root = p.root.display(),
        exe = Path::new(crate::harness::BERTH)
            .canonicalize()
            .unwrap()
            .display()
    ));
    std::fs::create_dir_all(p.path(".pixi/envs/default/bin")).unwrap();
    let path = p.berth(["run", "path"]).run();
    assert!(
        path.stdout
            .starts_with(&format!("{}:", p.path(".pixi/envs/default/bin").display())),
        "PATH: {}",
        path.stdout
    );
}

#[test]
fn clean_env_keeps_only_pixis_list() {
    let p = tasks(
        "clean = { cmd = \"echo [$SECRET] [$HOME]\", clean-env = true }\ndirty = \"echo [$SECRET]\"\n",
    );
    let home = p.home.display().to_string();
    p.berth(["run", "clean"])
        .env("SECRET", "s3")
        .run()
        .success()
        .stdout_is(&format!("[] [{home}]\n"));
    p.berth(["run", "dirty"])
        .env("SECRET", "s3")
        .run()
        .success()
        .stdout_is("[s3]\n");
    p.berth(["run", "--clean-env", "dirty"])
        .env("SECRET", "s3")
        .run()
        .success()
        .stdout_is("[]\n");
}

// ---- overrides: targets, features, environments ----

#[test]
fn target_tasks_override_by_platform_and_declaration_order() {
    let p = tasks(
        "test = \"echo plain\"\n\n[target.unix.tasks]\ntest = \"echo unix\"\n\n\
         [target.linux-64.tasks]\ntest = \"echo linux-64\"\n\n[target.win.tasks]\ntest = \"echo win\"\n\n\
         [target.\"osx-*\".tasks]\nglob = \"echo osx glob\"\n",
    );
    for (platform, expected) in [
        ("linux-64", "linux-64"),
        ("osx-64", "unix"),
        ("win-64", "win"),
        ("linux-aarch64", "unix"),
    ] {
        p.berth(["run", "test"])
            .env("PIXI_OVERRIDE_PLATFORM", platform)
            .run()
            .success()
            .stdout_is(&format!("{expected}\n"));
    }
    p.berth(["run", "glob"])
        .env("PIXI_OVERRIDE_PLATFORM", "osx-arm64")
        .run()
        .success()
        .stdout_is("osx glob\n");
    // A task of another platform is not run as a program of that name.
    p.berth(["run", "glob"])
        .env("PIXI_OVERRIDE_PLATFORM", "linux-64")
        .run()
        .code(1)
        .stderr_has("the task 'glob' is not available on this machine")
        .stderr_has("the task is defined in environment(s): default");
    // The later-declared matching selector wins, whatever its kind.
    let reversed = tasks(
        "[target.linux-64.tasks]\nt = \"echo subdir\"\n\n[target.unix.tasks]\nt = \"echo family\"\n",
    );
    reversed
        .berth(["run", "t"])
        .env("PIXI_OVERRIDE_PLATFORM", "linux-64")
        .run()
        .success()
        .stdout_is("family\n");
}

#[test]
fn features_and_inline_environments_override_in_pixis_order() {
    let p = tasks(
        "t = \"echo default\"\n\n[feature.a.tasks]\nt = \"echo a\"\nonly-a = \"echo only a\"\n\n\
         [feature.b.tasks]\nt = \"echo b\"\n\n[feature.b.target.linux.tasks]\nt = \"echo b linux\"\n\n\
         [environments]\nab = [\"a\", \"b\"]\nba = { features = [\"b\", \"a\"] }\n\
         bare = { features = [], no-default-feature = true }\n\
         inline = { features = [\"a\"], tasks = { t = \"echo inline\" } }\n",
    );
    let run = |env: &str| {
        p.berth(["run", "-e", env, "t"])
            .env("PIXI_OVERRIDE_PLATFORM", "linux-64")
            .run()
    };
    run("ab").success().stdout_is("a\n");
    run("ba").success().stdout_is("b linux\n");
    run("inline").success().stdout_is("inline\n");
    run("default").success().stdout_is("default\n");
    run("bare")
        .code(1)
        .stderr_has("the task 't' is not available in environment 'bare'");
    run("nope").code(1).stderr_has("unknown environment 'nope'");
    p.berth(["run", "t"])
        .run()
        .code(1)
        .stderr_has("the task 't' is ambiguous")
        .stderr_has("berth run --environment");
    // Inside a task of this workspace, its environment is the default choice.
    p.berth(["run", "t"])
        .env("PIXI_IN_SHELL", "1")
        .env("PIXI_ENVIRONMENT_NAME", "ab")
        .env("PIXI_PROJECT_ROOT", &p.root)
        .run()
        .success()
        .stdout_is("a\n");
    // only-a is in the ab, ba and inline environments with one definition: still ambiguous.
    p.berth(["run", "only-a"])
        .run()
        .code(1)
        .stderr_has("ambiguous");
}

#[test]
fn default_environment_and_dependency_environments_are_honoured() {
    let p = tasks(
        "where = { cmd = \"echo in {{ pixi.environment.name }}\", default-environment = \"other\" }\n\
         plain = \"echo plain in $PIXI_ENVIRONMENT_NAME\"\n\
         pinned = { cmd = \"echo parent\", depends-on = [{ task = \"plain\", environment = \"other\" }] }\n\n\
         [feature.x.tasks]\nonly-x = \"echo x\"\n\n[environments]\nother = [\"x\"]\n",
    );
    p.berth(["run", "where"])
        .run()
        .success()
        .stdout_is("in other\n")
        .stderr_has("(where in other)");
    p.berth(["run", "-e", "default", "where"])
        .run()
        .success()
        .stdout_is("in default\n");
    p.berth(["run", "pinned"])
        .run()
        .success()
        .stdout_is("plain in other\nparent\n");
    p.berth(["run", "only-x"]).run().success().stdout_is("x\n");
}

// ---- caching ----

#[test]
fn inputs_and_outputs_skip_unchanged_tasks_and_rerun_after_a_change() {
    let p = tasks(
        "build = { cmd = \"echo ran >> log.txt && cp in.txt out.txt && echo\", inputs = [\"in.txt\"], outputs = [\"out.txt\"] }\n\
         never = { cmd = \"echo ran >> never.txt\", outputs = [\"does-not-appear.txt\"] }\n",
    );
    p.write("in.txt", "one");
    p.berth(["run", "build"])
        .run()
        .success()
        .stderr_lacks("cache hit");
    p.berth(["run", "build"])
        .run()
        .success()
        .stderr_has("Task 'build' can be skipped (cache hit)");
    assert_eq!(p.read("log.txt"), "ran\n");
    p.write("in.txt", "two");
    p.berth(["run", "build"])
        .run()
        .success()
        .stderr_lacks("cache hit");
    assert_eq!(p.read("log.txt"), "ran\nran\n");
    assert_eq!(p.read("out.txt"), "two");
    // Extra words are part of the key.
    p.berth(["run", "build", "x"])
        .run()
        .success()
        .stderr_lacks("cache hit");
    assert!(p.path(".pixi/berth/task-cache").read_dir().unwrap().count() >= 2);
    // Outputs that never appear mean the task never caches.
    p.berth(["run", "never"])
        .run()
        .success()
        .stderr_has("No files matched the output globs");
    p.berth(["run", "never"])
        .run()
        .success()
        .stderr_lacks("cache hit");
    assert_eq!(p.read("never.txt"), "ran\nran\n");
}

#[test]
fn a_failed_run_is_not_cached() {
    let p = tasks("t = { cmd = \"echo ran >> log.txt && exit 3\", inputs = [\"pixi.toml\"] }\n");
    p.berth(["run", "t"]).run().code(3);
    p.berth(["run", "t"])
        .run()
        .code(3)
        .stderr_lacks("cache hit");
    assert_eq!(p.read("log.txt"), "ran\nran\n");
}

// ---- the command line ----

#[test]
fn run_without_a_task_lists_the_visible_ones() {
    let p = tasks("b = \"true\"\na = \"true\"\n_hidden = \"true\"\n");
    p.berth(["run"])
        .run()
        .success()
        .stdout_is("")
        .stderr_has("Available tasks:\n\ta\n\tb\n")
        .stderr_lacks("_hidden");
}

#[test]
fn a_word_that_is_no_task_runs_as_a_command_and_a_missing_one_suggests_the_closest_task() {
    let p = tasks("build = \"true\"\n");
    p.berth(["run", "biuld"])
        .run()
        .code(127)
        .stderr_has("biuld: command not found")
        .stderr_has("Available tasks:\n\tbuild\n")
        .stderr_has("Did you mean the task 'build'?");
    // A dependency is never a command: a missing one is an error.
    let dep = tasks("t = { cmd = \"true\", depends-on = [\"biuld\"] }\nbuild = \"true\"\n");
    dep.berth(["run", "t"])
        .run()
        .code(1)
        .stderr_has("could not find the task 'biuld'")
        .stderr_has("did you mean 'build'?");
}

#[test]
fn dry_run_prints_banners_and_runs_nothing() {
    let p = tasks(
        "dep = \"echo dep > dep.txt\"\nt = { cmd = \"echo $DRY_RUN_VAR\", depends-on = [\"dep\"] }\n",
    );
    p.berth(["run", "-n", "t"])
        .run()
        .success()
        .stdout_is("")
        .stderr_has("Dry-run mode enabled")
        .stderr_has("✨ berth task (dep): echo dep > dep.txt")
        .stderr_has("✨ berth task (t): echo $DRY_RUN_VAR");
    assert!(!p.path("dep.txt").exists());
}

#[test]
fn a_hidden_task_runs_but_is_not_listed() {
    let p = tasks(
        "_secret = \"echo secret\"\nshown = { cmd = \"echo shown\", depends-on = [\"_secret\"] }\n",
    );
    p.berth(["run", "_secret"])
        .run()
        .success()
        .stdout_is("secret\n");
    p.berth(["run", "shown"])
        .run()
        .success()
        .stdout_is("secret\nshown\n");
    p.berth(["task", "list"])
        .run()
        .success()
        .stdout_is("Task   Description\nshown\n");
}

#[test]
fn the_manifest_path_flag_and_pyproject_toml_work() {
    let p = TestProject::empty();
    p.write(
        "py/pyproject.toml",
        "[project]\nname = \"pyproj\"\nversion = \"0.3.0\"\n\n[tool.pixi.workspace]\nchannels = []\nplatforms = []\n\n\
         [tool.pixi.tasks.hello]\ncmd = \"echo hello from $PIXI_PROJECT_NAME $PIXI_PROJECT_VERSION\"\n",
    );
    p.berth(["run", "hello"])
        .current_dir(p.path("py"))
        .run()
        .success()
        .stdout_is("hello from pyproj 0.3.0\n");
    p.berth(["--manifest-path", "py/pyproject.toml", "run", "hello"])
        .run()
        .success()
        .stdout_is("hello from pyproj 0.3.0\n");
    p.write(
        "py/pyproject.toml",
        "[tool.pixi.workspace]\nchannels = []\n[tool.pixi.tasks]\nbad = { cmd = 1 }\n",
    );
    p.berth(["--manifest-path", "py", "task", "list"])
        .run()
        .code(1)
        .stderr_has("--> py/pyproject.toml:4:15");
}

// ---- task list ----

#[test]
fn task_list_prints_a_sorted_table_and_pixis_json() {
    let p = tasks(
        "zeta = \"echo z\"\nalpha = { cmd = [\"echo\", \"a b\"], description = \"First\\n  of   all\", depends-on = [{ task = \"zeta\", args = [\"p\", { n = \"v\" }], environment = \"e\" }, \"_hidden\"], cwd = \"sub\", env = { K = \"V\" }, inputs = [\"i\"], outputs = [\"o\"], clean-env = true, default-environment = \"e\", args = [\"n\", { arg = \"m\", default = \"d\", choices = [\"d\"] }] }\n\
         _hidden = \"true\"\n\n[feature.f.tasks]\nonly-f = \"echo f\"\n\n[environments]\ne = { features = [\"f\"], tasks = { inline = \"echo i\" } }\n",
    );
    p.berth(["task", "list"])
        .run()
        .success()
        .stdout_is("Task    Description\nalpha   First of all\ninline\nonly-f\nzeta\n");
    p.berth(["task", "list", "-e", "default"])
        .run()
        .success()
        .stdout_is("Task   Description\nalpha  First of all\nzeta\n");
    let json = p.berth(["task", "list", "--json"]).run().success().json();
    let alpha = serde_json::json!({
        "name": "alpha", "cmd": "echo \"a b\"", "description": "First\n  of   all",
        "depends_on": [
            { "task_name": "zeta", "args": [{ "Positional": "p" }, { "Named": ["n", "v"] }], "environment": "e" },
            { "task_name": "_hidden", "args": null, "environment": null }
        ],
        "args": [{ "name": "n", "default": null, "choices": null }, { "name": "m", "default": "d", "choices": ["d"] }],
        "cwd": "sub", "env": { "K": "V" }, "default_environment": "e", "clean_env": true,
        "inputs": ["i"], "outputs": ["o"]
    });
    let plain = |name: &str, cmd: &str| {
        serde_json::json!({
            "name": name, "cmd": cmd, "description": null, "depends_on": [], "args": null,
            "cwd": null, "env": null, "default_environment": null, "clean_env": false,
            "inputs": null, "outputs": null
        })
    };
    // pixi's shape: environments by name, each with its inline tasks and its features' tasks,
    // hidden tasks included (`crates/pixi_cli/src/task.rs`, `EnvTasks`).
    let default_feature = serde_json::json!({
        "name": "default",
        "tasks": [plain("_hidden", "true"), alpha.clone(), plain("zeta", "echo z")]
    });
    assert_eq!(
        json,
        serde_json::json!([
            { "environment": "default", "tasks": [], "features": [default_feature.clone()] },
            {
                "environment": "e",
                "tasks": [plain("inline", "echo i")],
                "features": [{ "name": "f", "tasks": [plain("only-f", "echo f")] }, default_feature]
            }
        ])
    );
}

#[test]
fn task_list_summary_names_each_environment_and_how_it_runs_here() {
    let p = TestProject::with_manifest(&format!(
        "[workspace]\nname = \"s\"\nchannels = []\nplatforms = {ALL_PLATFORMS}\n\n[tasks]\nb = \"true\"\na = \"true\"\n_h = \"true\"\n\n\
         [feature.win]\nplatforms = [\"win-64\"]\n[feature.win.dependencies]\npython = \"*\"\n[feature.win.tasks]\nw = \"true\"\n\n\
         [feature.bare]\nplatforms = [\"win-64\"]\n\n[environments]\nwin = [\"win\"]\nbare = [\"bare\"]\n"
    ));
    // berth runs on Linux and macOS, so the Windows-only environments do not run here.
    for flag in ["--summary", "-s"] {
        p.berth(["task", "list", flag])
            .run()
            .success()
            .stdout_is("")
            .stderr_has(
                "Tasks per environment:\n----------------------\n\
                 default (by design): a, b\n\
                 win (not runnable here): a, b, w\n\
                 bare (no dependency): a, b\n",
            );
    }
}

#[test]
fn task_list_without_tasks_prints_the_header_as_pixi_does() {
    let p = tasks("");
    p.berth(["task", "list"])
        .run()
        .success()
        .stdout_is("Task  Description\n");
}

#[test]
fn task_list_into_a_closed_pipe_exits_zero_quietly() {
    let many: String = (0..3000)
        .map(|i| format!("task-{i:05} = {{ cmd = \"true\", description = \"number {i}\" }}\n"))
        .collect();
    let p = tasks(&many);
    let out = p
        .command("bash")
        .args(["-c", "set -o pipefail; \"$0\" task list | head -1"])
        .arg(crate::harness::BERTH)
        .run();
    out.success().stdout_is("Task        Description\n");
    assert!(!out.stderr.contains("error"), "stderr: {}", out.stderr);
}

// ---- pixi's own example, rewritten ----

#[test]
fn the_pixi_tasks_fixture_runs_end_to_end() {
    let p = TestProject::with_manifest(include_str!("../fixtures/pixi-tasks/pixi.toml"));
    let out = p.berth(["run", "run-all"]).run();
    out.success();
    for line in [
        "plain string task",
        "inline table task",
        "multi-line inline table",
        "hidden task ran first\nafter the hidden one",
        "first\nsecond\nthird",
        "plain string task\ninline table task",
        "plain string task\nmulti-line inline table",
        "hello hello-again",
        &format!("parent dir is {}/../", p.root.display()),
        "Hello, named world!",
        "Good day, friend.",
        "Good morning, you.",
        "Hello, positional world!\nGood evening, friend.\nGood morning, named.",
        "QUIET WORDS / Quiet Words / 42",
        "LOUD WORDS / Loud Words / 42",
        "not on windows",
        "item=one item=two item=three",
        "running in extra\nback in default",
    ] {
        out.stdout_has(line);
    }
    out.stdout_has(&format!(
        "env=default version={}",
        env!("CARGO_PKG_VERSION")
    ))
    .stdout_has(&format!("manifest={}/pixi.toml", p.root.display()))
    .stderr_has("(plain in default)")
    .stderr_has("Task 'cached' can be skipped (cache hit)");
    assert_eq!(p.read("generated.txt"), "generated\n");
    p.berth(["task", "list"])
        .run()
        .success()
        .stdout_has("run-all")
        .stdout_has("Run every example");
}
