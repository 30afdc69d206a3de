//! `berth system clean`: the plan, its sizes, confirmation, --force through limactl, partial
//! failure, and that nothing outside the targets changes.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::harness::{Reaped, TestProject, host_docker as docker, wait_until};

const MIB: usize = 1024 * 1024;

/// One entry of a tree as the test saw it: file bytes, link target, a directory, or
/// something else (a socket a live VM listens on).
#[derive(Debug, PartialEq, Eq)]
pub enum Node {
    Dir,
    File(Vec<u8>),
    Link(PathBuf),
    Other,
}

/// Every entry under `root`, walked without following links.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Node> {
    let mut nodes = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).expect("stat");
        let node = if meta.file_type().is_symlink() {
            Node::Link(std::fs::read_link(&path).unwrap())
        } else if meta.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
            Node::Dir
        } else if meta.is_file() {
            Node::File(std::fs::read(&path).unwrap())
        } else {
            Node::Other
        };
        nodes.insert(path, node);
    }
    nodes
}

/// Assert that `after` holds every entry of `before` unchanged, except those under `removed`,
/// which must be gone.
#[track_caller]
pub fn assert_only_removed(
    before: &BTreeMap<PathBuf, Node>,
    after: &BTreeMap<PathBuf, Node>,
    removed: &[PathBuf],
) {
    for (path, node) in before {
        let under_target = removed.iter().any(|r| path.starts_with(r));
        match (under_target, after.get(path)) {
            (true, Some(_)) => panic!("`{}` should be gone", path.display()),
            (false, None) => panic!("`{}` was removed but is not a target", path.display()),
            (false, Some(now)) => assert_eq!(now, node, "`{}` changed", path.display()),
            (true, None) => {}
        }
    }
}

/// Disk usage as `du -s -B1 -P` reports it: the independent oracle for plan sizes.
fn du(path: &Path) -> u64 {
    let out = Command::new("du")
        .args(["-s", "-B1", "-P"])
        .arg(path)
        .output()
        .expect("run du");
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace().next().unwrap().parse().unwrap()
}

fn write(path: &Path, contents: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// A live process standing in for a Lima process of an instance (a host agent without the
/// rest, or the VM a crashed host agent left behind); killed and reaped when dropped. Like
/// `limactl hostagent --pidfile <dir>/ha.pid` and QEMU's `-pidfile <dir>/qemu.pid`, its
/// command line names its pid file (berth takes a live pid whose command line does not name
/// the instance for a stale one), and it writes the file itself once it runs, so berth never
/// reads its command line while `exec` is still replacing it (`python3` may be a shim that
/// execs twice more, and a command line read mid-exec is empty or cut short).
pub fn stand_in(pidfile: &Path) -> Reaped {
    std::fs::create_dir_all(pidfile.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(pidfile);
    let script = "import os, sys, time\n\
                  tmp = sys.argv[2] + '.tmp'\n\
                  with open(tmp, 'w') as f: f.write(f'{os.getpid()}\\n')\n\
                  os.rename(tmp, sys.argv[2])\n\
                  time.sleep(1000)";
    let child = Command::new("python3")
        .args(["-c", script, "--pidfile"])
        .arg(pidfile)
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn python3");
    let child = Reaped(child);
    wait_until("the stand-in wrote its pid file", || {
        std::fs::read_to_string(pidfile).is_ok_and(|pid| pid.trim() == child.pid().to_string())
    });
    child
}

/// A Lima instance the fake `limactl` started (its host agent a real background process);
/// the agent is killed when dropped, however the test ends.
struct Started(PathBuf);

impl Started {
    fn host_agent(&self) -> u32 {
        let text = std::fs::read_to_string(self.0.join("ha.pid")).expect("ha.pid");
        text.trim().parse().expect("a pid")
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        if let Ok(text) = std::fs::read_to_string(self.0.join("ha.pid"))
            && let Ok(pid) = text.trim().parse()
        {
            crate::harness::signal(pid, "KILL");
        }
    }
}

/// A sandboxed HOME with a realistic `~/.lima`, Lima's cache, berth's short-path dirs and
/// neighbours that must survive.
struct Home {
    p: TestProject,
}

impl Home {
    fn new() -> Home {
        let p = TestProject::with_tasks("");
        let h = &p.home;
        let lima = h.join(".lima");
        for name in ["alpha", "beta"] {
            write(
                &lima.join(name).join("lima.yaml"),
                format!("# instance {name}\nvmType: qemu\n"),
            );
            write(&lima.join(name).join("lima-version"), "2.2.0\n");
            write(
                &lima.join(name).join("ssh.config"),
                "Host lima\n  Port 60022\n",
            );
        }
        write(&lima.join("alpha/diffdisk"), vec![7u8; 3 * MIB]);
        write(&lima.join("beta/diffdisk"), vec![9u8; MIB]);
        // A link from inside a target to a file outside: the link goes, the file stays.
        write(&h.join("precious.txt"), "keep me\n");
        std::os::unix::fs::symlink(h.join("precious.txt"), lima.join("alpha/outside-link"))
            .unwrap();
        write(
            &lima.join("_config/user"),
            "-----BEGIN OPENSSH PRIVATE KEY-----\n",
        );
        write(&lima.join("_config/user.pub"), "ssh-ed25519 AAAA lima\n");
        write(&lima.join("_config/networks.yaml"), "paths: {}\n");
        write(
            &lima.join("_templates/mine.yaml"),
            "# the user's own template\n",
        );

        write(
            &h.join(".cache/lima/download/by-url-sha256/abc/data"),
            vec![1u8; 2 * MIB],
        );
        write(
            &h.join(".cache/lima/download/by-url-sha256/abc/url"),
            "https://example.org/img\n",
        );
        write(&h.join(".cache/other-tool/state"), "other tool's cache\n");
        write(&h.join(".lima-notes"), "notes next to ~/.lima\n");

        // A short directory where berth makes them now, of a project that is gone ...
        let short = h.join(".berth/lima");
        write(
            &short.join("gone2/.berth-project-root"),
            "/nonexistent/berth-project-2\n",
        );
        write(&short.join("gone2/web/lima.yaml"), "vmType: vz\n");
        // ... and those an earlier berth made under the data dir.
        let short = h.join(".local/share/berth/lima");
        write(
            &short.join("gone1/.berth-project-root"),
            "/nonexistent/berth-project\n",
        );
        write(&short.join("gone1/_config/user"), "key\n");
        write(&short.join("gone1/dev/lima.yaml"), "vmType: qemu\n");
        write(
            &short.join("live1/.berth-project-root"),
            format!("{}\n", p.root.display()),
        );
        write(&short.join("live1/_config/user"), "key\n");
        write(
            &short.join("unknown1/_config/user"),
            "no marker: not known to be orphaned\n",
        );
        Home { p }
    }

    fn lima(&self, rel: &str) -> PathBuf {
        self.p.home.join(".lima").join(rel)
    }

    /// A short directory under the data dir, where an earlier berth made them.
    fn short(&self, rel: &str) -> PathBuf {
        self.p.home.join(".local/share/berth/lima").join(rel)
    }

    /// A short directory in `~/.berth/lima`, where berth makes them.
    fn new_short(&self, rel: &str) -> PathBuf {
        self.p.home.join(".berth/lima").join(rel)
    }

    /// The planned paths, in the order berth removes them: Lima's own files of `_config`
    /// go, the user's `networks.yaml` stays.
    fn expected_targets(&self) -> Vec<PathBuf> {
        vec![
            self.lima("alpha"),
            self.lima("beta"),
            self.lima("_config/user"),
            self.lima("_config/user.pub"),
            self.p.home.join(".cache/lima"),
            self.new_short("gone2/web"),
            self.new_short("gone2"),
            self.short("gone1/dev"),
            self.short("gone1"),
        ]
    }

    /// `limactl ARGS` (the fake) on `~/.lima`, as the user would run it.
    fn limactl(&self, args: &[&str]) {
        let out = self
            .p
            .command("limactl")
            .args(args)
            .env("LIMA_HOME", self.p.home.join(".lima"))
            .env("BERTH_FAKE_LOG", self.p.base().join("setup-calls.log"))
            .run();
        assert_eq!(out.code, 0, "limactl {args:?}: {}", out.stderr);
    }

    /// A running instance `name` in `~/.lima`, started by the fake `limactl`.
    fn start_instance(&self, name: &str) -> Started {
        self.p.install_fake("limactl");
        write(&self.lima(&format!("{name}/lima.yaml")), "vmType: qemu\n");
        let started = Started(self.lima(name));
        self.limactl(&["start", name]);
        started
    }

    /// A crashed instance `name`: its host agent died (SIGKILL) while its VM lives on, which
    /// Lima calls Broken (`pkg/store/instance.go`).
    fn crash_instance(&self, name: &str) -> Reaped {
        // Dropping the started instance SIGKILLs its host agent: the crash.
        let agent = self.start_instance(name).host_agent();
        crate::harness::wait_until_reaped(agent);
        stand_in(&self.lima(&format!("{name}/qemu.pid")))
    }

    /// The fake `limactl` first on PATH, logging `LIMA_HOME=… limactl ARGS` per call.
    fn install_limactl(&self) {
        self.p.install_fake("limactl");
    }
}

/// `berth ARGS` with PATH limited to the test's bin dir and the system's base dirs, so a
/// limactl installed on the machine can never be reached: only the test's own fake.
fn clean<const N: usize>(p: &TestProject, args: [&str; N]) -> crate::harness::Run {
    let path = format!("{}:/usr/bin:/bin", p.bin.display());
    p.berth(args)
        .env("PATH", path)
        .env("FAKE_LIMA_LOG_HOME", "1")
}

fn plan_paths(json: &Value) -> Vec<PathBuf> {
    json["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| PathBuf::from(e["path"].as_str().unwrap()))
        .collect()
}

fn strings(value: &Value) -> Vec<PathBuf> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| PathBuf::from(v.as_str().unwrap()))
        .collect()
}

#[test]
fn global_plan_lists_every_target_with_its_du_size() {
    let home = Home::new();
    let before = snapshot(home.p.base());
    let out = clean(
        &home.p,
        ["system", "clean", "--global", "--dry-run", "--json"],
    )
    .run();
    out.success();
    let json = out.json();

    assert_eq!(plan_paths(&json), home.expected_targets());
    let plan = json["plan"].as_array().unwrap();
    let expected_bytes = [
        du(&home.lima("alpha")),
        du(&home.lima("beta")),
        du(&home.lima("_config/user")),
        du(&home.lima("_config/user.pub")),
        du(&home.p.home.join(".cache/lima")),
        du(&home.new_short("gone2/web")),
        du(&home.new_short("gone2")) - du(&home.new_short("gone2/web")),
        du(&home.short("gone1/dev")),
        du(&home.short("gone1")) - du(&home.short("gone1/dev")),
    ];
    for (entry, bytes) in plan.iter().zip(expected_bytes) {
        assert_eq!(entry["bytes"], bytes, "{entry}");
    }
    assert!(plan[0]["bytes"].as_u64().unwrap() >= 3 * MIB as u64);
    assert_eq!(json["total_bytes"], expected_bytes.iter().sum::<u64>());
    assert_eq!(plan[0]["kind"], "instance");
    assert_eq!(plan[0]["status"], "stopped");
    assert_eq!(plan[0]["reason"], "Lima instance `alpha` (stopped)");
    assert_eq!(plan[2]["kind"], "lima-config");
    assert_eq!(plan[3]["kind"], "lima-config");
    assert_eq!(plan[4]["kind"], "download-cache");
    assert_eq!(plan[6]["kind"], "orphaned-short-path");
    assert_eq!(plan[8]["kind"], "orphaned-short-path");
    // The user's networks.yaml stays, and the plan says so.
    assert_eq!(
        json["kept"],
        serde_json::json!([{
            "path": home.lima("_config/networks.yaml"),
            "reason": "your Lima network settings (Lima reads, never rewrites them)",
        }])
    );
    assert_eq!(json["scope"], "global");
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["removed"], serde_json::json!([]));
    assert_eq!(json["bytes_freed"], 0);

    // --dry-run removed nothing at all.
    assert_only_removed(&before, &snapshot(home.p.base()), &[]);
}

#[test]
fn global_plan_is_printed_as_a_table_with_a_total() {
    let home = Home::new();
    let out = clean(&home.p, ["system", "clean", "--global", "--dry-run"]).run();
    out.success()
        .stdout_has("Plan (global):")
        .stdout_has("~/.lima/alpha")
        .stdout_has("Lima instance `alpha` (stopped)")
        .stdout_has("~/.cache/lima")
        .stdout_has("total, 9 paths")
        .stdout_has("Kept:\n  ~/.lima/_config/networks.yaml  your Lima network settings")
        .stderr_has("dry run: nothing was removed");
    assert!(
        !out.stdout.contains("live1") && !out.stdout.contains("unknown1"),
        "{}",
        out.stdout
    );
}

#[test]
fn global_clean_without_yes_or_a_terminal_refuses() {
    let home = Home::new();
    let before = snapshot(home.p.base());
    clean(&home.p, ["system", "clean", "--global"])
        .run()
        .code(1)
        .stdout_has("Plan (global):")
        .stderr_has("refusing to remove 9 paths without confirmation")
        .stderr_has("help: rerun with --yes");
    assert_only_removed(&before, &snapshot(home.p.base()), &[]);
}

#[test]
fn global_clean_removes_the_targets_and_nothing_else() {
    let home = Home::new();
    let before = snapshot(home.p.base());
    let out = clean(&home.p, ["system", "clean", "--global", "--yes", "--json"]).run();
    out.success().stderr_has("Removed ~/.lima/alpha");
    let json = out.json();

    let targets = home.expected_targets();
    assert_eq!(strings(&json["removed"]), targets);
    assert_eq!(json["failed"], serde_json::json!([]));
    assert_eq!(json["not_removed"], serde_json::json!([]));
    assert_eq!(json["bytes_freed"], json["total_bytes"]);
    assert_eq!(json["dry_run"], false);
    assert_only_removed(&before, &snapshot(home.p.base()), &targets);
    // The link's target, the user's template and the neighbours are all still there.
    assert_eq!(
        std::fs::read_to_string(home.p.home.join("precious.txt")).unwrap(),
        "keep me\n"
    );
    assert!(home.lima("_templates/mine.yaml").is_file());
    assert!(home.short("live1/_config/user").is_file());
    assert!(home.short("unknown1/_config/user").is_file());
}

#[test]
fn a_running_instance_is_refused_without_force() {
    let home = Home::new();
    let _agent = home.start_instance("gamma");
    let before = snapshot(home.p.base());
    let out = clean(&home.p, ["system", "clean", "--global", "--yes", "--json"]).run();
    out.code(1)
        .stderr_has("Lima instance `gamma` is running; nothing was removed")
        .stderr_has("rerun with --force");
    assert_only_removed(&before, &snapshot(home.p.base()), &[]);

    let dry = clean(
        &home.p,
        ["system", "clean", "--global", "--dry-run", "--json"],
    )
    .run();
    let json = dry.success().json();
    let gamma = &json["plan"][2];
    assert_eq!(gamma["path"], home.lima("gamma").to_str().unwrap());
    assert_eq!(gamma["status"], "running");
}

#[test]
fn force_stops_a_running_instance_through_limactl_first() {
    let home = Home::new();
    let gamma = home.start_instance("gamma");
    let agent = gamma.host_agent();
    let before = snapshot(home.p.base());
    let out = clean(&home.p, ["system", "clean", "--global", "--yes", "--force"]).run();
    out.success().stderr_has("Stopping Lima instance `gamma`");

    let lima_home = home.p.home.join(".lima");
    let env = format!("LIMA_HOME={} limactl", lima_home.display());
    assert_eq!(
        home.p.fake_calls(),
        vec![
            format!("{env} delete alpha"),
            format!("{env} delete beta"),
            format!("{env} stop -f gamma"),
            format!("{env} delete gamma"),
            format!(
                "LIMA_HOME={} limactl delete web",
                home.new_short("gone2").display()
            ),
            format!(
                "LIMA_HOME={} limactl delete dev",
                home.short("gone1").display()
            ),
        ]
    );
    // The host agent really was stopped, not left running.
    assert!(!crate::harness::alive(agent), "the host agent still runs");
    let mut targets = home.expected_targets();
    targets.insert(2, home.lima("gamma"));
    assert_only_removed(&before, &snapshot(home.p.base()), &targets);
}

/// The user's own files in `~/.lima/_config`, which Lima only reads, and their contents.
const USERS_LIMA_CONFIG: [(&str, &str); 4] = [
    ("default.yaml", "cpus: 4\n# my defaults\n"),
    ("override.yaml", "memory: 8GiB\n"),
    ("base.yaml", "base:\n- template:_images/ubuntu-lts\n"),
    ("networks.yaml", "paths: {}\n"),
];

#[test]
fn force_removes_a_stopped_and_a_crashed_instance_and_keeps_the_users_lima_config() {
    let home = Home::new();
    for (name, text) in USERS_LIMA_CONFIG {
        write(&home.lima(&format!("_config/{name}")), text);
    }
    let vm = home.crash_instance("gamma");

    // Without --force: nothing goes, and the help names the stop that works on a crash.
    clean(&home.p, ["system", "clean", "--global", "--yes"])
        .run()
        .code(1)
        .stderr_has("error: Lima instance `gamma` is broken; nothing was removed")
        .stderr_has(&format!(
            "help: stop it first (`LIMA_HOME={} limactl stop -f gamma`), or rerun with --force",
            home.lima("").display().to_string().trim_end_matches('/')
        ));
    let dry = clean(&home.p, ["system", "clean", "--global", "--dry-run"]).run();
    dry.success()
        .stdout_has("Lima instance `gamma` (broken)")
        .stdout_has("Kept:\n  ~/.lima/_config/base.yaml  your own Lima settings")
        .stdout_has("  ~/.lima/_config/networks.yaml  your Lima network settings");

    let out = clean(
        &home.p,
        ["system", "clean", "--global", "--yes", "--force", "--json"],
    )
    .run();
    out.success();
    let json = out.json();
    let kept: Vec<PathBuf> = json["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| PathBuf::from(k["path"].as_str().unwrap()))
        .collect();
    let mut own: Vec<PathBuf> = USERS_LIMA_CONFIG
        .iter()
        .map(|(name, _)| home.lima(&format!("_config/{name}")))
        .collect();
    own.sort();
    assert_eq!(kept, own);
    for instance in ["alpha", "beta", "gamma"] {
        assert!(!home.lima(instance).exists(), "{instance} is still there");
    }
    let calls = home.p.fake_calls();
    let env = format!("LIMA_HOME={} limactl", home.p.home.join(".lima").display());
    assert!(calls.contains(&format!("{env} stop -f gamma")), "{calls:?}");
    assert!(calls.contains(&format!("{env} delete gamma")), "{calls:?}");
    assert!(
        !crate::harness::alive(vm.pid()),
        "the crashed VM still runs"
    );
    // Byte for byte, and nothing else of `_config` is left.
    for (name, text) in USERS_LIMA_CONFIG {
        assert_eq!(
            std::fs::read_to_string(home.lima(&format!("_config/{name}"))).unwrap(),
            text
        );
    }
    let mut left: Vec<String> = std::fs::read_dir(home.lima("_config"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "base.yaml",
            "default.yaml",
            "networks.yaml",
            "override.yaml"
        ]
    );
}

/// Makes one file impossible to remove, and undoes it when dropped so the temp dir can go.
/// As root (here) `chattr +i` is the only thing that stops an unlink; as another user a
/// read-only parent directory does.
struct Undeletable(PathBuf);

impl Undeletable {
    fn make(file: &Path) -> Option<Undeletable> {
        let chattr = Command::new("chattr").arg("+i").arg(file).status();
        if chattr.is_ok_and(|s| s.success()) {
            return Some(Undeletable(file.to_path_buf()));
        }
        if nix_is_root() {
            return None;
        }
        let parent = file.parent().unwrap();
        std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o555)).unwrap();
        Some(Undeletable(file.to_path_buf()))
    }
}

impl Drop for Undeletable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        let parent = self.0.parent().unwrap();
        let _ = std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o755));
    }
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

#[test]
fn a_failure_midway_reports_progress_and_leaves_the_rest_intact() {
    let home = Home::new();
    let Some(_guard) = Undeletable::make(&home.lima("beta/diffdisk")) else {
        eprintln!("skipped: running as root and `chattr +i` is not supported on this filesystem");
        return;
    };
    let before = snapshot(home.p.base());
    let out = clean(&home.p, ["system", "clean", "--global", "--yes", "--json"]).run();
    out.code(1)
        .stderr_has("failed to remove `~/.lima/beta`")
        .stderr_has("not removed: ~/.lima/_config/user")
        .stderr_has("1 path removed");
    let json = out.json();
    assert_eq!(strings(&json["removed"]), vec![home.lima("alpha")]);
    assert_eq!(
        json["failed"][0]["path"],
        home.lima("beta").to_str().unwrap()
    );
    assert!(
        json["failed"][0]["error"]
            .as_str()
            .unwrap()
            .contains("ermission")
            || json["failed"][0]["error"]
                .as_str()
                .unwrap()
                .contains("not permitted"),
        "{json}"
    );
    assert_eq!(
        strings(&json["not_removed"]),
        home.expected_targets()[2..].to_vec()
    );
    assert_eq!(json["bytes_freed"], json["plan"][0]["bytes"]);

    // Everything after the failure is exactly as it was; the failed directory kept the
    // file that could not go.
    let after = snapshot(home.p.base());
    let mut gone = vec![home.lima("alpha")];
    gone.extend(
        before
            .keys()
            .filter(|p| p.starts_with(home.lima("beta")) && !after.contains_key(*p))
            .cloned(),
    );
    assert_only_removed(&before, &after, &gone);
    assert!(home.lima("beta/diffdisk").is_file());
}

#[test]
fn a_protected_instance_stays_and_keeps_config() {
    let home = Home::new();
    write(&home.lima("beta/protected"), "");
    let out = clean(
        &home.p,
        ["system", "clean", "--global", "--dry-run", "--json"],
    )
    .run();
    out.success()
        .stderr_has("Lima instance `beta` in `~/.lima` is protected")
        .stderr_has("`~/.lima/_config` stays: instance beta remains");
    let paths = plan_paths(&out.json());
    assert!(
        !paths.contains(&home.lima("beta")) && !paths.contains(&home.lima("_config")),
        "{paths:?}"
    );
    assert!(paths.contains(&home.lima("alpha")));
}

#[test]
fn macos_cache_is_under_library_caches() {
    let home = Home::new();
    write(
        &home.p.home.join("Library/Caches/lima/download/x/data"),
        "img",
    );
    let out = clean(
        &home.p,
        ["system", "clean", "--global", "--dry-run", "--json"],
    )
    .env("BERTH_HOST_OS", "macos")
    .run();
    let paths = plan_paths(&out.success().json());
    assert!(
        paths.contains(&home.p.home.join("Library/Caches/lima")),
        "{paths:?}"
    );
    assert!(
        !paths.contains(&home.p.home.join(".cache/lima")),
        "{paths:?}"
    );
}

#[test]
fn global_clean_refuses_without_a_usable_home() {
    let home = Home::new();
    clean(&home.p, ["system", "clean", "--global", "--yes"])
        .env_remove("HOME")
        .run()
        .code(1)
        .stderr_has("HOME is unset or `/`");
    clean(&home.p, ["system", "clean", "--global", "--yes"])
        .env("HOME", "/")
        .run()
        .code(1)
        .stderr_has("HOME is unset or `/`");
    assert!(home.lima("alpha/diffdisk").is_file());
}

// ---- project scope ----

/// A project with berth's state, pixi's state next to it, and a link out of `.pixi/docker`.
fn project_with_state() -> TestProject {
    let p = TestProject::with_tasks("[tasks]\nhello = \"echo hi\"\n");
    p.write(".pixi/lima/demo/lima.yaml", "vmType: qemu\n");
    write(&p.path(".pixi/lima/demo/diffdisk"), vec![5u8; MIB]);
    p.write(".pixi/lima/_config/user", "key\n");
    p.write(".pixi/docker/config.json", "{}\n");
    write(&p.base().join("outside/creds.json"), "secret\n");
    std::os::unix::fs::symlink(
        p.base().join("outside/creds.json"),
        p.path(".pixi/docker/creds.json"),
    )
    .unwrap();
    p.write(".pixi/berth/logs/init.log", "log\n");
    p.write(".pixi/berth/jobs/1/out", "job\n");
    p.write(".pixi/berth/task-cache/hello", "cache\n");
    p.write(".pixi/envs/default/bin/tool", "#!/bin/sh\n");
    p.write(".pixi/task-cache-v0/x.json", "{}\n");
    p.write(".pixi/config.toml", "# pixi's own\n");
    p
}

#[test]
fn project_clean_removes_berth_state_and_leaves_pixi_alone() {
    let p = project_with_state();
    let before = snapshot(p.base());
    let out = clean(&p, ["system", "clean", "--yes", "--json"]).run();
    out.success()
        .stderr_has("limactl was not found; removing the stopped instance `demo` directly");
    let json = out.json();
    let targets: Vec<PathBuf> = [
        ".pixi/lima/demo",
        ".pixi/lima",
        ".pixi/docker",
        ".pixi/berth",
    ]
    .iter()
    .map(|r| p.path(r))
    .collect();
    assert_eq!(json["scope"], "project");
    assert_eq!(plan_paths(&json), targets);
    assert_eq!(strings(&json["removed"]), targets);
    assert_only_removed(&before, &snapshot(p.base()), &targets);
    assert_eq!(
        std::fs::read_to_string(p.base().join("outside/creds.json")).unwrap(),
        "secret\n"
    );
}

#[test]
fn project_clean_keeps_a_lima_config_file_written_by_hand() {
    let p = project_with_state();
    p.write(".pixi/lima/_config/networks.yaml", "# written by Lima\n");
    p.write(".pixi/lima/_config/override.yaml", "cpus: 8\n");
    let before = snapshot(p.base());
    let out = clean(&p, ["system", "clean", "--yes", "--json"]).run();
    let json = out.success().json();
    let targets: Vec<PathBuf> = [
        ".pixi/lima/demo",
        ".pixi/lima/_config/networks.yaml",
        ".pixi/lima/_config/user",
        ".pixi/docker",
        ".pixi/berth",
    ]
    .iter()
    .map(|r| p.path(r))
    .collect();
    assert_eq!(strings(&json["removed"]), targets);
    assert_eq!(
        json["kept"],
        serde_json::json!([{
            "path": p.path(".pixi/lima/_config/override.yaml"),
            "reason": "your own Lima settings (Lima reads them; it never writes them)",
        }])
    );
    assert_only_removed(&before, &snapshot(p.base()), &targets);
    assert_eq!(p.read(".pixi/lima/_config/override.yaml"), "cpus: 8\n");
}

#[test]
fn project_plan_sizes_match_du() {
    let p = project_with_state();
    let json = clean(&p, ["system", "clean", "--dry-run", "--json"])
        .run()
        .success()
        .json();
    let lima_rest = du(&p.path(".pixi/lima")) - du(&p.path(".pixi/lima/demo"));
    let expected = [
        du(&p.path(".pixi/lima/demo")),
        lima_rest,
        du(&p.path(".pixi/docker")),
        du(&p.path(".pixi/berth")),
    ];
    for (entry, bytes) in json["plan"].as_array().unwrap().iter().zip(expected) {
        assert_eq!(entry["bytes"], bytes, "{entry}");
    }
    assert_eq!(json["total_bytes"], expected.iter().sum::<u64>());
    assert!(p.path(".pixi/lima/demo/diffdisk").is_file());
}

#[test]
fn project_instance_is_deleted_through_limactl_with_the_project_lima_home() {
    let p = project_with_state();
    let home = Home { p };
    home.install_limactl();
    clean(&home.p, ["system", "clean", "--yes"]).run().success();
    assert_eq!(
        home.p.fake_calls(),
        vec![format!(
            "LIMA_HOME={} limactl delete demo",
            home.p.path(".pixi/lima").display()
        )]
    );
    assert!(!home.p.path(".pixi/lima").exists());
    assert!(home.p.path(".pixi/envs/default/bin/tool").is_file());
}

#[test]
fn project_running_instance_needs_force() {
    let p = project_with_state();
    let _agent = stand_in(&p.path(".pixi/lima/demo/ha.pid"));
    clean(&p, ["system", "clean", "--yes"])
        .run()
        .code(1)
        .stderr_has("Lima instance `demo` is running")
        .stderr_has("limactl stop demo");
    assert!(p.path(".pixi/lima/demo/diffdisk").is_file());
    // --force without limactl cannot stop it: say how to get limactl, remove nothing.
    clean(&p, ["system", "clean", "--yes", "--force"])
        .run()
        .code(1)
        .stderr_has("`limactl` was not found on PATH")
        .stderr_has("only limactl can stop it");
    assert!(p.path(".pixi/lima/demo/diffdisk").is_file());
}

#[test]
fn the_recorded_short_path_is_removed_with_its_link() {
    // Where berth makes short directories, and where an earlier berth made them.
    for root in [".berth/lima", ".local/share/berth/lima"] {
        let p = project_with_state();
        std::fs::remove_dir_all(p.path(".pixi/lima")).unwrap();
        let short_root = p.home.join(root);
        let short = short_root.join("a1b2c3");
        write(&short.join("demo/lima.yaml"), "vmType: qemu\n");
        write(&short.join("_config/user"), "key\n");
        write(
            &short.join(".berth-project-root"),
            format!("{}\n", p.root.display()),
        );
        write(
            &short_root.join("other/_config/user"),
            "another project's\n",
        );
        std::os::unix::fs::symlink(&short, p.path(".pixi/lima")).unwrap();
        p.write(
            ".pixi/berth/lima-home-target",
            &format!("{}\n", short.display()),
        );
        let before = snapshot(p.base());

        let json = clean(&p, ["system", "clean", "--yes", "--json"])
            .run()
            .success()
            .json();
        let targets = vec![
            short.join("demo"),
            short.clone(),
            p.path(".pixi/lima"),
            p.path(".pixi/docker"),
            p.path(".pixi/berth"),
        ];
        assert_eq!(plan_paths(&json), targets, "{root}");
        assert_eq!(json["plan"][1]["kind"], "short-path");
        assert_eq!(json["plan"][2]["kind"], "lima-home-link");
        assert_only_removed(&before, &snapshot(p.base()), &targets);
        assert!(short_root.join("other/_config/user").is_file());
    }
}

#[test]
fn an_unrecorded_lima_link_is_removed_but_not_followed() {
    let p = project_with_state();
    std::fs::remove_dir_all(p.path(".pixi/lima")).unwrap();
    let elsewhere = p.base().join("elsewhere");
    write(&elsewhere.join("demo/lima.yaml"), "vmType: qemu\n");
    std::os::unix::fs::symlink(&elsewhere, p.path(".pixi/lima")).unwrap();
    let before = snapshot(p.base());

    let out = clean(&p, ["system", "clean", "--yes", "--json"]).run();
    out.success()
        .stderr_has("is a symlink berth did not record; only the link is removed");
    let targets = vec![
        p.path(".pixi/lima"),
        p.path(".pixi/docker"),
        p.path(".pixi/berth"),
    ];
    assert_eq!(plan_paths(&out.json()), targets);
    assert_only_removed(&before, &snapshot(p.base()), &targets);
}

#[test]
fn a_pixi_dir_that_resolves_outside_the_project_is_refused() {
    let p = TestProject::with_tasks("");
    let outside = p.base().join("elsewhere-pixi");
    write(&outside.join("berth/logs/x.log"), "log\n");
    std::os::unix::fs::symlink(&outside, p.path(".pixi")).unwrap();
    clean(&p, ["system", "clean", "--yes"])
        .run()
        .code(1)
        .stderr_has("refusing to remove")
        .stderr_has("outside");
    assert!(outside.join("berth/logs/x.log").is_file());
}

#[test]
fn nothing_to_clean_is_success() {
    let p = TestProject::with_tasks("");
    p.write(".pixi/envs/default/bin/tool", "#!/bin/sh\n");
    clean(&p, ["system", "clean"])
        .run()
        .success()
        .stdout_is("Nothing to clean (project).\n");
    assert!(p.path(".pixi/envs/default/bin/tool").is_file());
}

/// `berth system clean` with a terminal for stdin (util-linux `script` provides one), the
/// answer typed in advance.
fn clean_on_a_terminal(p: &TestProject, answer: &str) -> Option<crate::harness::Output> {
    if Command::new("script").arg("--version").output().is_err() {
        crate::harness::skip(
            "`script` (Debian: bsdutils) is not installed, so no terminal to test with",
        );
        return None;
    }
    let command_line = format!("{} system clean", crate::harness::BERTH);
    let run = p
        .command("script")
        .arg("-qec")
        .arg(&command_line)
        .arg("/dev/null")
        .stdin(answer)
        .run();
    Some(run)
}

#[test]
fn on_a_terminal_the_answer_decides() {
    let p = project_with_state();
    let Some(declined) = clean_on_a_terminal(&p, "n\n") else {
        return;
    };
    declined
        .code(1)
        .stdout_has("Remove 4 paths")
        .stdout_has("nothing was removed");
    assert!(p.path(".pixi/berth/logs/init.log").is_file());

    let accepted = clean_on_a_terminal(&p, "y\n").unwrap();
    accepted.success().stdout_has("Freed");
    assert!(!p.path(".pixi/berth").exists() && !p.path(".pixi/lima").exists());
    assert!(p.path(".pixi/envs/default/bin/tool").is_file());
}

// ---- pool containers ----

/// The full ids of every container (running or not) `docker ps --filter FILTER` lists, sorted.
fn ids(filter: &str) -> Vec<String> {
    let listed = docker(&["ps", "-aq", "--no-trunc", "--filter", filter]);
    let mut ids: Vec<String> = listed.split_whitespace().map(str::to_string).collect();
    ids.sort();
    ids
}

/// Removes the named containers when dropped, so a failing test leaves none behind.
struct Containers(Vec<String>);

impl Drop for Containers {
    fn drop(&mut self) {
        let mut args = vec!["rm", "-f"];
        args.extend(self.0.iter().map(String::as_str));
        docker(&args);
    }
}

/// The `berth.pool` label value of project `p`, as `pool status` reports it.
fn pool_key(p: &TestProject) -> String {
    let status = p.berth(["pool", "status", "--json"]).run().success().json();
    status["pool"].as_str().unwrap().to_string()
}

#[test]
fn project_clean_removes_its_pool_containers_and_no_others() {
    if !crate::harness::docker_available() {
        return;
    }
    let image = crate::harness::TEST_IMAGE;
    let p = TestProject::with_tasks("");
    let other = TestProject::with_tasks("");
    let (key, other_key) = (pool_key(&p), pool_key(&other));
    // Containers this test may leave behind: both pools, a label sharing the key as a prefix,
    // and one without labels.
    let lookalike = format!("{key}-x");
    let unlabelled = format!("berth-test-unlabelled-{other_key}");
    let _cleanup = Containers(
        ids(&format!("label=berth.pool={key}"))
            .into_iter()
            .chain([
                format!("berth-pool-{key}-0"),
                format!("berth-pool-{key}-1"),
                format!("berth-pool-{other_key}-0"),
                format!("berth-test-lookalike-{other_key}"),
                unlabelled.clone(),
            ])
            .collect(),
    );
    p.berth(["pool", "start", "--size", "2", "--image", image])
        .run()
        .success();
    other
        .berth(["pool", "start", "--size", "1", "--image", image])
        .run()
        .success();
    docker(&[
        "run",
        "-d",
        "--name",
        &format!("berth-test-lookalike-{other_key}"),
        "--label",
        &format!("berth.pool={lookalike}"),
        image,
        "sleep",
        "600",
    ]);
    docker(&["run", "-d", "--name", &unlabelled, image, "sleep", "600"]);
    let ours = ids(&format!("label=berth.pool={key}"));
    assert_eq!(ours.len(), 2);
    let others = || {
        [
            ids(&format!("label=berth.pool={other_key}")),
            ids(&format!("label=berth.pool={lookalike}")),
            ids(&format!("name={unlabelled}")),
        ]
    };
    let untouched = others();
    assert!(untouched.iter().all(|ids| ids.len() == 1), "{untouched:?}");

    // The plan lists both containers first, by name and id; a dry run removes nothing.
    let dry = p
        .berth(["system", "clean", "--dry-run", "--json"])
        .run()
        .success()
        .json();
    let planned: Vec<&Value> = dry["plan"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "pool-container")
        .collect();
    assert_eq!(planned.len(), 2, "{dry:#}");
    assert_eq!(dry["plan"][0]["kind"], "pool-container");
    for (slot, entry) in planned.iter().enumerate() {
        assert_eq!(entry["container"], format!("berth-pool-{key}-{slot}"));
        let id = entry["id"].as_str().unwrap();
        assert!(
            ours.iter().any(|full| full.starts_with(id)),
            "{id} not in {ours:?}"
        );
        assert_eq!(entry["status"], "running");
        assert!(entry["reason"].as_str().unwrap().contains("berth pool"));
    }
    assert_eq!(ids(&format!("label=berth.pool={key}")), ours);
    p.berth(["system", "clean", "--dry-run"])
        .run()
        .success()
        .stdout_has(&format!("berth-pool-{key}-0 ("))
        .stdout_has("and 2 pool containers");

    let done = p.berth(["system", "clean", "--yes", "--json"]).run();
    done.success()
        .stderr_has(&format!("Removed pool container berth-pool-{key}-1"));
    let done = done.json();
    let removed: Vec<&str> = done["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(
        &removed[..2],
        [format!("berth-pool-{key}-0"), format!("berth-pool-{key}-1")]
    );
    assert_eq!(
        ids(&format!("label=berth.pool={key}")),
        Vec::<String>::new()
    );
    assert!(!p.path(".pixi/berth").exists());
    assert!(
        !p.path(".pixi/docker").exists(),
        "clean left DOCKER_CONFIG behind"
    );
    assert_eq!(others(), untouched, "other containers were touched");
}

#[test]
fn without_an_engine_the_plan_says_pool_containers_were_not_checked() {
    let p = TestProject::with_tasks("");
    p.write(".pixi/berth/logs/init.log", "log\n");
    p.berth(["--runtime", "docker", "system", "clean", "--yes"])
        .env("BERTH_DOCKER_SOCKET", p.base().join("no-engine.sock"))
        .run()
        .success()
        .stderr_has(
            "note: pool containers and job services could not be checked: no Docker engine answers",
        );
    let left: Vec<_> = std::fs::read_dir(p.path(".pixi")).unwrap().collect();
    assert!(left.is_empty(), "clean wrote state of its own: {left:?}");
}

#[test]
fn looking_for_pool_containers_writes_nothing() {
    if !crate::harness::docker_available() {
        return;
    }
    let p = TestProject::with_tasks("");
    p.berth(["--runtime", "docker", "system", "clean", "--dry-run"])
        .run()
        .success()
        .stdout_is("Nothing to clean (project).\n");
    assert!(!p.path(".pixi").exists(), "clean wrote state of its own");
}

/// A job that runs keeps its files in `.pixi/berth/jobs`: a clean that would remove them
/// removes nothing, even with `--force`, and says which job to wait for; once the job has
/// ended, the same clean removes everything.
#[test]
fn a_clean_while_a_job_runs_removes_nothing_and_names_the_job() {
    use nix::sys::signal::{Signal, kill};
    let p = TestProject::with_tasks("");
    let job = p.berth(["exec", "--", "sh", "-c", "sleep 60"]).start();
    // Its logs are made after its directory and owner lock.
    let started = || {
        let mut jobs = std::fs::read_dir(p.path(".pixi/berth/jobs")).ok()?;
        let job = jobs.next()?.ok()?.path();
        job.join("stdout.log").is_file().then_some(job)
    };
    crate::harness::wait_until("the job to start", || started().is_some());
    let id = started()
        .unwrap()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let before = snapshot(&p.path(".pixi"));

    let refused = p.berth(["system", "clean", "--yes", "--force"]).run();
    refused
        .code(1)
        .stderr_has(&format!(
            "error: job {id} is running, and its files are in `.pixi/berth/jobs`, which the plan removes"
        ))
        .stderr_has("help: wait for it to end (or stop it with Ctrl-C where it runs)");
    // Nothing was removed or changed (the clean's own lifecycle lock may be new).
    let after = snapshot(&p.path(".pixi"));
    for (path, node) in &before {
        assert_eq!(after.get(path), Some(node), "{}", path.display());
    }

    kill(nix::unistd::Pid::from_raw(job.id() as i32), Signal::SIGINT).unwrap();
    assert_eq!(crate::harness::finish(job).code, 130);
    p.berth(["system", "clean", "--yes"])
        .run()
        .success()
        .stderr_has("Removed .pixi/berth");
    assert!(!p.path(".pixi/berth").exists());
}
