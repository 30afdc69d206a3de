//! Many checkouts, one machine: a compose project per checkout, registry credentials reached
//! through the user's credential helpers (never copied), and `berth doctor` naming what
//! berth's commands override.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::harness::{self, Reaped, TEST_IMAGE, TestProject, write_executable};

/// A `DOCKER_HOST` of the user's own, kept: no engine is asked for it.
const RESPECTING: &str = "[tool.berth]\nrespect-docker-host = true\n";
const UNREACHED_HOST: &str = "tcp://127.0.0.1:1";

/// Fake `docker` and `docker-compose` (whichever berth picks on this machine) that log the
/// compose variables they got, then exit 0.
fn install_fake_compose(p: &TestProject) {
    let script = r#"#!/bin/sh
{
  printf 'COMPOSE_PROJECT_NAME=%s\n' "${COMPOSE_PROJECT_NAME-<unset>}"
  printf 'BERTH_COMPOSE_PROJECT_NAME=%s\n' "${BERTH_COMPOSE_PROJECT_NAME-<unset>}"
} >> "$BERTH_FAKE_LOG"
"#;
    write_executable(&p.bin.join("docker"), script);
    write_executable(&p.bin.join("docker-compose"), script);
}

/// The compose variables `berth compose ARGS` gave compose, with `env` set for berth.
fn compose_vars(p: &TestProject, args: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    let _ = std::fs::remove_file(p.fake_log_path());
    let mut run = p
        .berth(std::iter::once("compose").chain(args.iter().copied()))
        .env("DOCKER_HOST", UNREACHED_HOST);
    for (name, value) in env {
        run = run.env(name, value);
    }
    run.run().success();
    p.fake_calls()
}

/// The name berth derives for the checkout of `p` (from `berth env --json`).
fn derived_name(p: &TestProject) -> String {
    let json = p
        .berth(["env", "--json"])
        .env("DOCKER_HOST", UNREACHED_HOST)
        .run()
        .json();
    json["COMPOSE_PROJECT_NAME"]
        .as_str()
        .expect("berth exports a name")
        .to_string()
}

fn vars(project: &str, marker: &str) -> Vec<String> {
    vec![
        format!("COMPOSE_PROJECT_NAME={project}"),
        format!("BERTH_COMPOSE_PROJECT_NAME={marker}"),
    ]
}

#[test]
fn compose_gets_the_checkouts_name_unless_the_user_or_the_files_name_it() {
    let p = TestProject::with_tasks(RESPECTING);
    install_fake_compose(&p);
    p.write("compose.yaml", "services: {}\n");
    let ours = derived_name(&p);
    assert_eq!(compose_vars(&p, &["up", "-d"], &[]), vars(&ours, &ours));
    // Exported by the user: kept as it is.
    assert_eq!(
        compose_vars(&p, &["up"], &[("COMPOSE_PROJECT_NAME", "mine")]),
        vars("mine", "<unset>")
    );
    // Exported by `berth env` in another checkout (the marker says so): replaced.
    let stale = [
        ("COMPOSE_PROJECT_NAME", "demo-ffffffff"),
        ("BERTH_COMPOSE_PROJECT_NAME", "demo-ffffffff"),
    ];
    assert_eq!(compose_vars(&p, &["up"], &stale), vars(&ours, &ours));
    // A compose file with `name:` (here one given with -f) outranks every variable: berth
    // removes them, since compose would let the variable win over the file.
    p.write("other/compose.yml", "name: shop\nservices: {}\n");
    assert_eq!(
        compose_vars(
            &p,
            &["-f", "other/compose.yml", "up"],
            &[("COMPOSE_PROJECT_NAME", "mine")]
        ),
        vars("<unset>", "<unset>")
    );
    // COMPOSE_FILE names it, too.
    assert_eq!(
        compose_vars(&p, &["up"], &[("COMPOSE_FILE", "other/compose.yml")]),
        vars("<unset>", "<unset>")
    );
    // So does the project's `.env`.
    p.write(".env", "COMPOSE_PROJECT_NAME=from-dotenv\n");
    assert_eq!(
        compose_vars(&p, &["up"], &stale),
        vars("<unset>", "<unset>")
    );
}

#[test]
fn compose_project_in_tool_berth_replaces_the_derived_name() {
    let p = TestProject::with_tasks(&format!("{RESPECTING}compose-project = \"shop\"\n"));
    install_fake_compose(&p);
    assert_eq!(compose_vars(&p, &["ps"], &[]), vars("shop", "shop"));
    let doctor = p.berth(["doctor", "--json"]).run().json();
    assert_eq!(doctor["compose_project"]["name"], "shop");
    assert_eq!(
        doctor["compose_project"]["source"],
        "compose-project (pixi.toml:8:19)"
    );
}

#[test]
fn a_compose_project_compose_would_refuse_is_an_error_at_its_place() {
    let p = TestProject::with_tasks("[tool.berth]\ncompose-project = \"My Shop\"\n");
    p.berth(["env"])
        .run()
        .code(1)
        .stderr_has(
            "error: `My Shop` is not a compose project name: only lowercase letters, digits, \
             `_` and `-`, starting with a letter or digit",
        )
        .stderr_has("--> pixi.toml:7:19")
        .stderr_has("help: write it as `compose-project = \"myshop\"`");
}

#[test]
fn env_unsets_the_name_where_the_compose_file_names_the_project() {
    let p = TestProject::with_tasks(RESPECTING);
    p.write("compose.yaml", "name: shop\nservices: {}\n");
    let out = p
        .berth(["env", "--shell", "fish"])
        .env("DOCKER_HOST", UNREACHED_HOST)
        .run();
    out.success()
        .stdout_has("set -e COMPOSE_PROJECT_NAME\n")
        .stdout_has("set -e BERTH_COMPOSE_PROJECT_NAME");
    assert!(
        !out.stdout.contains("set -gx COMPOSE_PROJECT_NAME"),
        "{}",
        out.stdout
    );
    let json = p
        .berth(["env", "--json"])
        .env("DOCKER_HOST", UNREACHED_HOST)
        .run()
        .json();
    assert!(json.get("COMPOSE_PROJECT_NAME").is_none(), "{json}");
}

/// Two git worktrees of one repository in directories of the same name (`app<pid>`: one
/// name for both, its own for each test run), which compose alone would make one project.
struct Worktrees {
    repo: TestProject,
    a: PathBuf,
    b: PathBuf,
}

impl Worktrees {
    fn new() -> Worktrees {
        let repo = TestProject::with_tasks("");
        repo.write(
            "docker-compose.yml",
            &format!(
                "version: \"3\"\nservices:\n  sleeper:\n    image: {TEST_IMAGE}\n    \
                 command: sleep 300\n    stop_grace_period: 1s\n"
            ),
        );
        repo.install_berth();
        let git = |args: &[&str]| {
            repo.command("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(args)
                .run()
                .success();
        };
        git(&["init", "-q", "-b", "main"]);
        git(&["add", "pixi.toml", "docker-compose.yml"]);
        git(&["commit", "-q", "-m", "app"]);
        let name = format!("app{}", std::process::id());
        let a = repo.base().join("a").join(&name);
        let b = repo.base().join("b").join(&name);
        for (dir, branch) in [(&a, "a"), (&b, "b")] {
            git(&[
                "worktree",
                "add",
                "-q",
                "-b",
                branch,
                &dir.display().to_string(),
            ]);
        }
        Worktrees { repo, a, b }
    }

    /// `berth ARGS` in worktree `dir`.
    fn berth(&self, dir: &Path, args: &[&str]) -> harness::Output {
        self.repo.berth(args).current_dir(dir).run()
    }
}

impl Drop for Worktrees {
    fn drop(&mut self) {
        for dir in [&self.a, &self.b] {
            harness::remove_compose_leftovers(&working_dir(dir), &projects_of(dir, true));
        }
    }
}

/// The filter for the containers compose started from directory `dir`.
fn working_dir(dir: &Path) -> String {
    format!(
        "label=com.docker.compose.project.working_dir={}",
        dir.display()
    )
}

/// The compose projects of the containers started from `dir`: the running ones, or all.
fn projects_of(dir: &Path, all: bool) -> Vec<String> {
    let filter = working_dir(dir);
    let mut args = vec!["ps", "--filter", &filter];
    args.extend(["--format", "{{.Label \"com.docker.compose.project\"}}"]);
    if all {
        args.push("-a");
    }
    let mut projects: Vec<String> = harness::host_docker(&args)
        .lines()
        .map(str::to_string)
        .collect();
    projects.dedup();
    projects
}

#[test]
fn two_worktrees_run_the_same_compose_file_side_by_side() {
    if !harness::docker_available() {
        return;
    }
    let trees = Worktrees::new();
    let (a, b) = (&trees.a, &trees.b);
    trees.berth(a, &["compose", "up", "-d"]).success();
    // The other through a shell set up by `berth env`, with plain compose.
    let mut sh = trees.repo.command("sh").current_dir(b);
    sh.command.args([
        "-c",
        r#"eval "$(berth env)" && if docker compose version >/dev/null 2>&1; then docker compose up -d; else docker-compose up -d; fi"#,
    ]);
    sh.run().success();
    let project_a = projects_of(a, false);
    let project_b = projects_of(b, false);
    assert_eq!(
        (project_a.len(), project_b.len()),
        (1, 1),
        "{project_a:?} {project_b:?}"
    );

    trees.berth(a, &["compose", "down"]).success();
    assert_eq!(projects_of(a, false), Vec::<String>::new());
    assert_eq!(
        projects_of(b, false),
        project_b,
        "`down` in one worktree stopped the other's containers"
    );
    // Each is named after its workspace and its own checkout.
    let json = trees.berth(b, &["env", "--json"]).json();
    assert_eq!(json["COMPOSE_PROJECT_NAME"], project_b[0].as_str());
    assert!(project_b[0].starts_with("demo-"), "{project_b:?}");
    assert_ne!(project_a, project_b);
    trees.berth(b, &["compose", "down"]).success();
    assert_eq!(projects_of(b, false), Vec::<String>::new());
}

/// A user logged in to registries once: `~/.docker/config.json` names the credential helper
/// `berth-test` (its program on PATH) as `credsStore`, a helper whose program is gone for one
/// registry, and an old login with its secret in `auths`.
struct LoggedIn {
    p: TestProject,
    /// The helper's store (`$BERTH_FAKE_CREDS`).
    creds: PathBuf,
}

const AUTHS_SECRET: &str = "auths-secret-8d1f";
const HELPER_SECRET: &str = "helper-secret-3c9a";
const LOGIN_SECRET: &str = "login-secret-5e27";

impl LoggedIn {
    fn new(registry: &str) -> LoggedIn {
        let p = TestProject::with_tasks("");
        p.install_fake("docker-credential-berth-test");
        let old_login = base64(&format!("olduser:{AUTHS_SECRET}"));
        std::fs::create_dir_all(p.home.join(".docker")).expect("mkdir");
        std::fs::write(
            p.home.join(".docker/config.json"),
            format!(
                r#"{{"auths": {{"{registry}": {{"auth": "{old_login}"}}}},
                    "credsStore": "berth-test",
                    "credHelpers": {{"gone.example": "berth-test-gone"}}}}"#
            ),
        )
        .expect("write");
        let creds = p.base().join("creds.json");
        std::fs::write(
            &creds,
            format!(
                r#"{{"{registry}": {{"Username": "helperuser", "Secret": "{HELPER_SECRET}"}}}}"#
            ),
        )
        .expect("write");
        LoggedIn { p, creds }
    }

    fn berth(&self, args: &[&str]) -> harness::Run {
        self.p.berth(args).env("BERTH_FAKE_CREDS", &self.creds)
    }

    /// No secret of the user's in any file under `.pixi/`, nor in `text`.
    #[track_caller]
    fn assert_no_secret(&self, text: &str) {
        let secrets = [AUTHS_SECRET, HELPER_SECRET, LOGIN_SECRET];
        let encoded: Vec<String> = ["olduser:", "helperuser:", "newuser:"]
            .iter()
            .zip(secrets)
            .map(|(user, secret)| base64(&format!("{user}{secret}")))
            .collect();
        let leaked = |text: &str| {
            secrets.iter().any(|s| text.contains(s)) || encoded.iter().any(|e| text.contains(e))
        };
        assert!(!leaked(text), "a secret in:\n{text}");
        for file in files_under(&self.p.path(".pixi")) {
            let bytes = std::fs::read(&file).expect("read");
            assert!(
                !leaked(&String::from_utf8_lossy(&bytes)),
                "a secret in {}",
                file.display()
            );
        }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() && !path.is_symlink() {
            files.extend(files_under(&path));
        } else if path.is_file() {
            files.push(path);
        }
    }
    files
}

/// Standard base64 with padding, as docker writes `auths.*.auth` and `Authorization: Basic`.
fn base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn the_projects_config_names_the_users_helpers_and_holds_no_secret() {
    let user = LoggedIn::new("registry.example");
    write_executable(&user.p.bin.join("docker"), "#!/bin/sh\nexit 0\n");
    user.berth(&["docker", "ps"])
        .env("DOCKER_HOST", UNREACHED_HOST)
        .env("BERTH_RESPECT_DOCKER_HOST", "1")
        .run()
        .success();
    let config: serde_json::Value =
        serde_json::from_str(&user.p.read(".pixi/docker/config.json")).expect("JSON");
    // The helper by name, so the docker CLI asks it; the one whose program is gone is left
    // out, and `auths` is not copied.
    assert_eq!(config["credsStore"], "berth-test");
    assert!(config.get("credHelpers").is_none(), "{config}");
    assert!(config.get("auths").is_none(), "{config}");

    let doctor = user.berth(&["doctor", "--json"]).run();
    user.assert_no_secret(&doctor.stdout);
    let doctor = doctor.json();
    assert_eq!(doctor["credentials"]["store"], "berth-test");
    let gone: Vec<&serde_json::Value> = doctor["overridden"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|o| o["setting"] == "credHelpers")
        .collect();
    assert_eq!(gone.len(), 1, "{doctor}");
    assert_eq!(gone[0]["value"], "berth-test-gone");
    assert!(
        gone[0]["help"][0]
            .as_str()
            .unwrap()
            .contains("install `docker-credential-berth-test-gone`"),
        "{}",
        gone[0]
    );
    user.assert_no_secret(&user.berth(&["doctor"]).run().stdout);
    user.assert_no_secret(
        &user
            .berth(&["env", "--json"])
            .env("DOCKER_HOST", UNREACHED_HOST)
            .env("BERTH_RESPECT_DOCKER_HOST", "1")
            .run()
            .stdout,
    );
}

/// The fake registry of `tests/fakes/fakeregistry.py`, on a port of its own.
struct Registry {
    _server: Reaped,
    address: String,
    log: PathBuf,
}

impl Registry {
    fn start(dir: &Path) -> Registry {
        let log = dir.join("registry.log");
        let mut child = Command::new("python3")
            .arg(harness::fakes_dir().join("fakeregistry.py"))
            .arg(&log)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the fake registry");
        let mut port = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
            &mut port,
        )
        .expect("the registry's port");
        Registry {
            _server: Reaped(child),
            address: format!("127.0.0.1:{}", port.trim()),
            log,
        }
    }

    /// The `Authorization` headers the registry received, in order.
    fn authorizations(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| {
                let request: serde_json::Value = serde_json::from_str(line).ok()?;
                Some(request["auth"].as_str()?.to_string())
            })
            .collect()
    }
}

#[test]
fn pull_and_login_go_through_the_users_credential_helper() {
    if !harness::docker_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let registry = Registry::start(dir.path());
    let user = LoggedIn::new(&registry.address);

    // A pull of a private image reaches the registry with the login the helper holds.
    let image = format!("{}/private/app:1", registry.address);
    user.berth(&["docker", "pull", &image])
        .run()
        .code(1)
        .stderr_has("manifest unknown");
    let helper_login = format!("Basic {}", base64(&format!("helperuser:{HELPER_SECRET}")));
    assert!(
        registry.authorizations().contains(&helper_login),
        "{:?}",
        registry.authorizations()
    );
    assert!(
        user.p.fake_calls().contains(&format!(
            "docker-credential-berth-test get {}",
            registry.address
        )),
        "{:?}",
        user.p.fake_calls()
    );

    // `berth docker login` stores the new login through the same helper.
    user.berth(&[
        "docker",
        "login",
        &registry.address,
        "-u",
        "newuser",
        "--password-stdin",
    ])
    .stdin(LOGIN_SECRET)
    .run()
    .success()
    .stdout_has("Login Succeeded");
    let creds: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&user.creds).expect("read")).expect("JSON");
    assert_eq!(
        creds[&registry.address],
        serde_json::json!({"Username": "newuser", "Secret": LOGIN_SECRET})
    );
    let config: serde_json::Value =
        serde_json::from_str(&user.p.read(".pixi/docker/config.json")).expect("JSON");
    assert_eq!(config["auths"][&registry.address], serde_json::json!({}));
    user.assert_no_secret("");
}

/// The `setting` of each `overridden` entry of `berth doctor --json`.
fn overridden(out: &harness::Output) -> Vec<String> {
    out.json()["overridden"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|o| o["setting"].as_str().expect("a setting").to_string())
        .collect()
}

#[test]
fn doctor_json_lists_the_contexts_and_hosts_berth_overrides() {
    let p = TestProject::with_tasks("");
    std::fs::create_dir_all(p.home.join(".docker")).expect("mkdir");
    std::fs::write(
        p.home.join(".docker/config.json"),
        r#"{"currentContext": "remote"}"#,
    )
    .expect("write");
    let doctor = |respect: &str| {
        p.berth(["doctor", "--json"])
            .env("BERTH_DOCKER_SOCKET", p.base().join("no-engine.sock"))
            .env("DOCKER_CONTEXT", "colima")
            .env("DOCKER_HOST", "tcp://10.0.0.5:2376")
            .env("BERTH_RESPECT_DOCKER_HOST", respect)
            .run()
    };
    let out = doctor("0");
    assert_eq!(
        overridden(&out),
        ["DOCKER_CONTEXT", "DOCKER_HOST", "currentContext"]
    );
    let json = out.json();
    assert_eq!(json["overridden"][0]["value"], "colima");
    assert_eq!(json["overridden"][0]["source"], "environment");
    assert_eq!(json["overridden"][2]["source"], "~/.docker/config.json");
    assert!(
        json["overridden"][2]["help"][0]
            .as_str()
            .unwrap()
            .contains("docker context inspect remote"),
        "{}",
        json["overridden"][2]
    );
    // A DOCKER_HOST berth keeps is not overridden.
    assert_eq!(
        overridden(&doctor("1")),
        ["DOCKER_CONTEXT", "currentContext"]
    );
    // The default context is no override.
    std::fs::write(
        p.home.join(".docker/config.json"),
        r#"{"currentContext": "default"}"#,
    )
    .expect("write");
    assert_eq!(overridden(&doctor("1")), ["DOCKER_CONTEXT"]);
}
