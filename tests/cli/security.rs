//! File security: berth's state under `.pixi/` is private (0700 directories, 0600 files), no
//! secret from the environment or the user's `~/.docker/config.json` reaches a file there or
//! any `--json` output, and berth never writes through a symbolic link it did not create.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use crate::harness::{LimaProject, Output, TestProject, docker_available};

/// A project on the fake Lima runtime (so `container init` writes `.pixi/berth/logs/`).
fn lima_project() -> LimaProject {
    LimaProject::with_manifest("[tool.berth]\nruntime = \"lima\"\ninstance = \"sec\"\n")
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Every regular file under `dir`, links not followed.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.map(Result::unwrap) {
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                files.push(entry.path());
            }
        }
    }
    files
}

/// The one job directory under `.pixi/berth/jobs`.
fn job_dir(p: &TestProject) -> PathBuf {
    let mut jobs: Vec<PathBuf> = std::fs::read_dir(p.path(".pixi/berth/jobs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs.pop().unwrap()
}

#[test]
fn berths_directories_and_files_are_private() {
    if !docker_available() {
        return;
    }
    let p = lima_project();
    p.berth(["container", "init"]).run().success();
    p.berth(["env"]).run().success();
    p.berth(["exec", "--json", "--", "echo", "hi"])
        .run()
        .success();

    assert_eq!(mode(&p.path(".pixi/docker")), 0o700);
    assert_eq!(mode(&p.path(".pixi/docker/config.json")), 0o600);
    let logs = p.path(".pixi/berth/logs");
    assert_eq!(mode(&logs), 0o700);
    let log_files = files_under(&logs);
    assert!(
        log_files.iter().any(|f| f.ends_with("lima-create.log")),
        "{log_files:?}"
    );
    for log in &log_files {
        assert_eq!(mode(log), 0o600, "{}", log.display());
    }
    assert_eq!(mode(&p.path(".pixi/berth/jobs")), 0o700);
    let job = job_dir(&p);
    for file in ["stdout.log", "stderr.log", "result.json"] {
        assert_eq!(mode(&job.join(file)), 0o600, "{file}");
    }
}

#[test]
fn loose_permissions_from_before_are_tightened() {
    let p = TestProject::with_tasks("");
    std::fs::create_dir_all(p.path(".pixi/docker")).unwrap();
    std::fs::set_permissions(p.path(".pixi/docker"), PermissionsExt::from_mode(0o755)).unwrap();
    p.berth(["env"]).run().success();
    assert_eq!(mode(&p.path(".pixi/docker")), 0o700);
    assert_eq!(mode(&p.path(".pixi/docker/config.json")), 0o600);
}

const SECRETS: &[&str] = &[
    "s3cr3t-aws-Zq81",
    "s3cr3t-auth-config-Vb27",
    "s3cr3t-home-auth-Kc55",
    "s3cr3t-token-Wm13",
];

fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "{what} holds the secret {secret}:\n{text}"
        );
    }
}

#[test]
fn no_secret_reaches_a_file_under_pixi_or_json_output() {
    if !docker_available() {
        return;
    }
    let p = lima_project();
    std::fs::create_dir_all(p.home.join(".docker")).unwrap();
    // A helper's name is no secret (`berth doctor` names one whose program is missing, as
    // `desktop`'s is here); the logins in `auths` are.
    std::fs::write(
        p.home.join(".docker/config.json"),
        r#"{"auths": {"registry.example": {"auth": "s3cr3t-home-auth-Kc55", "identitytoken": "s3cr3t-token-Wm13"}},
"credsStore": "desktop", "cliPluginsExtraDirs": []}"#,
    )
    .unwrap();
    let with_secrets = |args: &[&str]| -> Output {
        p.berth(args)
            .env("AWS_SECRET_ACCESS_KEY", "s3cr3t-aws-Zq81")
            .env(
                "DOCKER_AUTH_CONFIG",
                r#"{"auths": {"r.example": {"auth": "s3cr3t-auth-config-Vb27"}}}"#,
            )
            .run()
    };
    with_secrets(&["container", "init"]).success();
    with_secrets(&["docker", "info"]).success();
    for args in [
        &["env", "--json"][..],
        &["doctor", "--json"],
        &["container", "status", "--json"],
        &["exec", "--json", "--", "echo", "hi"],
        &["system", "clean", "--dry-run", "--json"],
    ] {
        let out = with_secrets(args);
        out.json();
        assert_no_secret(&format!("`berth {}` stdout", args.join(" ")), &out.stdout);
        assert_no_secret(&format!("`berth {}` stderr", args.join(" ")), &out.stderr);
    }
    let files = files_under(&p.path(".pixi"));
    assert!(files.len() > 5, "berth wrote its state: {files:?}");
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        assert_no_secret(
            &file.display().to_string(),
            &String::from_utf8_lossy(&bytes),
        );
    }
}

/// A file outside the project that a planted link points to; it must stay as it is.
fn outside_file(p: &TestProject) -> PathBuf {
    let target = p.base().join("outside.json");
    std::fs::write(&target, "{\"auths\": {\"mine\": {}}}\n").unwrap();
    target
}

fn assert_refused(out: &Output, link: &Path) {
    out.code(1)
        .stderr_has(&format!("error: `{}` is a symbolic link", link.display()))
        .stderr_has(&format!("help: remove the link (`rm {}`)", link.display()));
}

#[test]
fn a_planted_docker_config_link_is_refused_and_its_target_kept() {
    let p = TestProject::with_tasks("");
    let target = outside_file(&p);
    let link = p.path(".pixi/docker/config.json");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    symlink(&target, &link).unwrap();
    assert_refused(&p.berth(["env"]).run(), &link);
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "{\"auths\": {\"mine\": {}}}\n"
    );
    assert!(link.is_symlink(), "the user's link is theirs to remove");
}

#[test]
fn a_planted_docker_config_directory_link_is_refused() {
    let p = TestProject::with_tasks("");
    let outside = p.base().join("outside-dir");
    std::fs::create_dir(&outside).unwrap();
    std::fs::create_dir_all(p.path(".pixi")).unwrap();
    let link = p.path(".pixi/docker");
    symlink(&outside, &link).unwrap();
    assert_refused(&p.berth(["env"]).run(), &link);
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

/// `container init` on a Lima project with a link planted at `relative` (to a file outside the
/// project) refuses it and leaves the file as it was.
fn assert_init_refuses_a_file_link(relative: &str) -> (LimaProject, PathBuf, PathBuf) {
    let p = lima_project();
    let target = outside_file(&p);
    let link = p.path(relative);
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    symlink(&target, &link).unwrap();
    assert_refused(&p.berth(["container", "init"]).run(), &link);
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "{\"auths\": {\"mine\": {}}}\n"
    );
    (p, target, link)
}

#[test]
fn a_planted_log_link_is_refused_and_its_target_kept() {
    assert_init_refuses_a_file_link(".pixi/berth/logs/lima-create.log");
}

#[test]
fn a_planted_jobs_directory_link_is_refused() {
    let p = TestProject::with_tasks("");
    let outside = p.base().join("outside-jobs");
    std::fs::create_dir(&outside).unwrap();
    std::fs::create_dir_all(p.path(".pixi/berth")).unwrap();
    let link = p.path(".pixi/berth/jobs");
    symlink(&outside, &link).unwrap();
    assert_refused(
        &p.berth(["exec", "--runtime", "native", "--", "echo", "hi"])
            .run(),
        &link,
    );
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

#[test]
fn a_planted_lock_file_link_is_refused_and_its_target_kept() {
    let (p, target, link) = assert_init_refuses_a_file_link(".pixi/berth/lifecycle.lock");
    // A dangling link would have created its target through O_CREAT.
    std::fs::remove_file(&target).unwrap();
    assert_refused(&p.berth(["container", "init"]).run(), &link);
    assert!(!target.exists(), "nothing was created through the link");
}
