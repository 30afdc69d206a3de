//! The translation tables checked case by case and by property: what berth emits is always
//! a flag the `container` command accepts, and a refused flag is an error naming it.

use proptest::prelude::*;

use super::*;

fn words(line: &str) -> Vec<OsString> {
    line.split_whitespace().map(OsString::from).collect()
}

fn translated(line: &str) -> String {
    match translate(&words(line)) {
        Ok(out) => out
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" "),
        Err(err) => panic!("`{line}` did not translate: {err} {:?}", err.help),
    }
}

#[test]
fn translates_each_flag_and_command() {
    let cases = [
        // run: every flag, in both spellings where docker has two
        ("run alpine", "run alpine"),
        ("run -v /x:/y alpine", "run --volume /x:/y alpine"),
        (
            "run --volume /x:/y:ro alpine",
            "run --volume /x:/y:ro alpine",
        ),
        ("run --volume=data:/d alpine", "run --volume data:/d alpine"),
        // --mount: the type always written, readonly only when true, tmpfs keys renamed
        (
            "run --mount type=bind,source=/x,target=/y alpine",
            "run --mount type=bind,source=/x,destination=/y alpine",
        ),
        (
            "run --mount type=bind,src=/x,dst=/y,readonly alpine",
            "run --mount type=bind,source=/x,destination=/y,readonly alpine",
        ),
        (
            "run --mount type=bind,src=/x,dst=/y,readonly=false alpine",
            "run --mount type=bind,source=/x,destination=/y alpine",
        ),
        (
            "run --mount Type=Volume,source=data,target=/d,ro=1 alpine",
            "run --mount type=volume,source=data,destination=/d,readonly alpine",
        ),
        (
            "run --mount source=data,target=/d alpine",
            "run --mount type=volume,source=data,destination=/d alpine",
        ),
        (
            "run --mount type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1777 alpine",
            "run --mount type=tmpfs,destination=/t,size=64M,mode=1777 alpine",
        ),
        (
            "run --mount type=bind,src=/x,dst=/y,consistency=cached,bind-propagation=rprivate alpine",
            "run --mount type=bind,source=/x,destination=/y alpine",
        ),
        // --tmpfs PATH:OPTIONS: a tmpfs mount with a size and a mode
        (
            "run --tmpfs /run:rw,size=65536k,mode=1777 alpine",
            "run --mount type=tmpfs,destination=/run,size=64M,mode=1777 alpine",
        ),
        (
            "run --tmpfs /ro:ro alpine",
            "run --mount type=tmpfs,destination=/ro,readonly alpine",
        ),
        // --entrypoint "": the command's first word is the entrypoint
        (
            "run --entrypoint= alpine ls -l",
            "run --entrypoint ls alpine -l",
        ),
        (
            "run --entrypoint sh --entrypoint= alpine ls",
            "run --entrypoint ls alpine",
        ),
        (
            "run --network bridge alpine",
            "run --network default alpine",
        ),
        (
            "run -p [::1]:8080:80/udp alpine",
            "run --publish [::1]:8080:80/udp alpine",
        ),
        ("run -e A=1 alpine", "run --env A=1 alpine"),
        ("run --env A alpine", "run --env A alpine"),
        ("run -e=A=1 alpine", "run --env A=1 alpine"),
        ("run -eA=1 alpine", "run --env A=1 alpine"),
        ("run --env-file .env alpine", "run --env-file .env alpine"),
        ("run -p 8080:80 alpine", "run --publish 8080:80 alpine"),
        (
            "run --publish=127.0.0.1:53:53/udp alpine",
            "run --publish 127.0.0.1:53:53/udp alpine",
        ),
        ("run --cpus 2 alpine", "run --cpus 2 alpine"),
        ("run --cpus=4.0 alpine", "run --cpus 4 alpine"),
        ("run -m 512m alpine", "run --memory 512M alpine"),
        ("run --memory 2gb alpine", "run --memory 2G alpine"),
        ("run --memory=1.5g alpine", "run --memory 1536M alpine"),
        (
            "run --memory 1073741824 alpine",
            "run --memory 1024M alpine",
        ),
        ("run -i alpine", "run -i alpine"),
        ("run -t alpine", "run -t alpine"),
        ("run -it alpine sh", "run -i -t alpine sh"),
        ("run -itd alpine", "run -i -t --detach alpine"),
        ("run -ti --rm alpine", "run -t -i --rm alpine"),
        ("run --rm alpine", "run --rm alpine"),
        ("run --rm=true alpine", "run --rm alpine"),
        ("run --rm=false alpine", "run alpine"),
        ("run -d alpine", "run --detach alpine"),
        ("run --detach alpine", "run --detach alpine"),
        ("run --name web alpine", "run --name web alpine"),
        ("run --name=web alpine", "run --name web alpine"),
        ("run -w /src alpine", "run --workdir /src alpine"),
        ("run --workdir=/src alpine", "run --workdir /src alpine"),
        ("run --entrypoint sh alpine", "run --entrypoint sh alpine"),
        ("run -u 1000:1000 alpine", "run --user 1000:1000 alpine"),
        ("run --user root alpine", "run --user root alpine"),
        (
            "run --network backend alpine",
            "run --network backend alpine",
        ),
        ("run --net=backend alpine", "run --network backend alpine"),
        (
            "run --platform linux/amd64 alpine",
            "run --platform linux/amd64 alpine",
        ),
        ("run -l app=web alpine", "run --label app=web alpine"),
        ("run --label=app=web alpine", "run --label app=web alpine"),
        ("run --restart no alpine", "run alpine"),
        ("run --privileged=false alpine", "run alpine"),
        (
            "run --init --read-only alpine",
            "run --init --read-only alpine",
        ),
        (
            "run --cap-add NET_ADMIN --cap-drop ALL alpine",
            "run --cap-add NET_ADMIN --cap-drop ALL alpine",
        ),
        (
            "run --dns 1.1.1.1 --tmpfs /tmp --shm-size 64m alpine",
            "run --dns 1.1.1.1 --mount type=tmpfs,destination=/tmp --shm-size 64m alpine",
        ),
        ("run --help", "run --help"),
        // the image ends the options: the command is the container's, untouched
        ("run alpine ls -la --rm -c 1", "run alpine ls -la --rm -c 1"),
        ("run --rm alpine -- echo", "run --rm alpine -- echo"),
        ("run --rm -- alpine echo hi", "run --rm alpine echo hi"),
        ("run -- -odd-image", "run -- -odd-image"),
        (
            "create --name db -e A=1 postgres",
            "create --name db --env A=1 postgres",
        ),
        // exec
        ("exec -it web sh", "exec -i -t web sh"),
        (
            "exec -d -e A=1 --env-file f -u root -w /tmp web ls -l",
            "exec --detach --env A=1 --env-file f --user root --workdir /tmp web ls -l",
        ),
        // renamed commands
        ("ps", "list"),
        ("ps -a -q", "list --all -q"),
        ("ps -aq --format json", "list --all -q --format json"),
        ("container ls --all", "list --all"),
        ("images", "image list"),
        ("images -q --format=table", "image list -q --format table"),
        ("image ls", "image list"),
        ("pull alpine:3", "image pull alpine:3"),
        (
            "pull --platform linux/arm64 alpine",
            "image pull --platform linux/arm64 alpine",
        ),
        ("image pull alpine", "image pull alpine"),
        ("push me/app:1", "image push me/app:1"),
        (
            "rmi -f alpine busybox",
            "image delete --force alpine busybox",
        ),
        ("image rm alpine", "image delete alpine"),
        ("tag alpine me/alpine:1", "image tag alpine me/alpine:1"),
        ("rm web", "delete web"),
        ("rm web -f db", "delete --force web db"),
        ("container rm -f web", "delete --force web"),
        ("start -ai web", "start --attach -i web"),
        ("stop web", "stop --time 10 web"),
        ("stop -t 10 web", "stop --time 10 web"),
        (
            "stop --timeout=3 -s SIGTERM web",
            "stop --time 3 --signal SIGTERM web",
        ),
        ("kill -s KILL web", "kill --signal KILL web"),
        ("logs web", "logs web"),
        ("logs -f -n 20 web", "logs -f -n 20 web"),
        ("logs --tail all --follow web", "logs -f web"),
        ("inspect web", "inspect web"),
        ("image inspect alpine", "image inspect alpine"),
        ("stats --no-stream", "stats --no-stream"),
        ("build .", "build ."),
        ("build -o out .", "build -o type=local,dest=out ."),
        (
            "build --output type=tar,dest=app.tar .",
            "build -o type=tar,dest=app.tar .",
        ),
        (
            "build --label a=b --progress tty .",
            "build --label a=b --progress tty .",
        ),
        (
            "push --platform linux/arm64 me/app:1",
            "image push --platform linux/arm64 me/app:1",
        ),
        ("pull -q alpine", "image pull --progress none alpine"),
        ("push -q me/app", "image push --progress none me/app"),
        ("start web", "start web"),
        (
            "build -t app:1 -f Dockerfile.dev --build-arg V=1 --target dev --no-cache --pull .",
            "build -t app:1 -f Dockerfile.dev --build-arg V=1 --target dev --no-cache --pull .",
        ),
        (
            "build -q --platform linux/arm64 --secret id=x --ssh default -o type=oci .",
            "build -q --platform linux/arm64 --secret id=x --ssh default -o type=oci .",
        ),
        ("version", "system version"),
        ("--version", "--version"),
        ("-v", "--version"),
        ("--help", "--help"),
        ("", "--help"),
        ("rm -- -odd", "delete -- -odd"),
    ];
    for (docker, container) in cases {
        assert_eq!(translated(docker), container, "docker {docker}");
    }
}

#[test]
fn the_command_lists_match_the_table() {
    for word in TRANSLATED {
        assert!(
            top_level(word).is_some(),
            "{word} is listed but not translated"
        );
    }
    for word in UNTRANSLATED {
        assert!(
            top_level(word).is_none(),
            "{word} is translated but listed as not"
        );
    }
}

#[test]
fn values_keep_their_bytes() {
    use std::os::unix::ffi::OsStringExt;
    let path = OsString::from_vec(b"/caf\xe9:/w".to_vec());
    let args = vec!["run".into(), "-v".into(), path.clone(), "alpine".into()];
    let out = translate(&args).unwrap();
    assert_eq!(
        out.args,
        vec![
            "run".into(),
            "--volume".into(),
            path,
            OsString::from("alpine")
        ]
    );
}

fn refusal(line: &str) -> TranslateError {
    match translate(&words(line)) {
        Ok(out) => panic!("`{line}` translated to {:?}, expected an error", out.args),
        Err(err) => err,
    }
}

#[test]
fn refuses_what_container_cannot_do_and_says_what_to_do() {
    let cases = [
        ("run -c 512 alpine", "flag `-c`", "--cpus"),
        (
            "run --cpu-shares 512 alpine",
            "flag `--cpu-shares`",
            "--cpus",
        ),
        ("run -a stdout alpine", "flag `-a`", "--arch"),
        ("run --attach=stdout alpine", "flag `--attach`", "-d"),
        ("run -P alpine", "flag `-P`", "-p HOST:CONTAINER"),
        (
            "run --publish-all alpine",
            "flag `--publish-all`",
            "-p HOST:CONTAINER",
        ),
        ("run -h box alpine", "flag `-h`", "lima"),
        ("run --hostname box alpine", "flag `--hostname`", "lima"),
        (
            "run --privileged alpine",
            "flag `--privileged`",
            "--cap-add",
        ),
        ("run --gpus all alpine", "flag `--gpus`", "GPU"),
        (
            "run --add-host a:1.2.3.4 alpine",
            "flag `--add-host`",
            "lima",
        ),
        (
            "run --health-cmd true alpine",
            "flag `--health-cmd`",
            "health",
        ),
        (
            "run --no-healthcheck alpine",
            "flag `--no-healthcheck`",
            "health",
        ),
        ("run --restart always alpine", "no restart policy", "#286"),
        (
            "run --restart=unless-stopped alpine",
            "no restart policy",
            "#286",
        ),
        (
            "run --network host alpine",
            "no host network",
            "-p HOST:CONTAINER",
        ),
        ("run --cpus 1.5 alpine", "whole number of CPUs", "--cpus 2"),
        ("run -m lots alpine", "not a memory size", "512m"),
        ("run -it", "needs an image", "IMAGE"),
        ("exec -it", "needs a container", "CONTAINER"),
        ("run --name", "needs a value", ""),
        ("run -e", "needs a value", ""),
        ("run --rm=maybe alpine", "takes true or false", ""),
        (
            "run --security-opt x alpine",
            "flag `--security-opt`",
            "container run --help",
        ),
        (
            "run --nmae x alpine",
            "flag `--nmae`",
            "did you mean `--name`?",
        ),
        (
            "exec --privileged web sh",
            "flag `--privileged`",
            "privileged",
        ),
        ("ps -n 3", "flag `-n`", "container list --help"),
        ("ps --format {{.ID}}", "json", "jq"),
        (
            "ps web",
            "`docker ps web` has no Apple container translation",
            "takes no arguments",
        ),
        (
            "images alpine",
            "has no Apple container translation",
            "`container image list` takes no arguments",
        ),
        ("rm -v web", "flag `-v`", "volume delete"),
        ("inspect -f {{.Id}} web", "flag `-f`", "jq"),
        ("logs --tail x web", "not a line count", ""),
        ("compose up -d", "no Compose support", "lima"),
        (
            "volume ls",
            "`docker volume` has no Apple container translation",
            "container --help",
        ),
        (
            "info",
            "`docker info` has no Apple container translation",
            "",
        ),
        ("container prune", "`docker container prune` has no", ""),
        ("image", "needs a command", "image ls"),
        (
            "rnu alpine",
            "`rnu` is not a docker command",
            "did you mean `docker run`?",
        ),
        (
            "--context other ps",
            "option `--context`",
            "drop the option",
        ),
        ("-H tcp://x ps", "option `-H`", ""),
        ("run --tmpfs /run:noexec alpine", "`noexec`", "size="),
        (
            "run --tmpfs /run:size=100k alpine",
            "whole number of MiB",
            "64m",
        ),
        ("run --tmpfs /a,b alpine", "cannot mount a tmpfs", "without"),
        (
            "run --mount type=bind,src=/x,dst=/y,bind-propagation=rshared alpine",
            "`bind-propagation`",
            "drop",
        ),
        (
            "run --mount type=volume,src=v,dst=/d,volume-opt=o=1 alpine",
            "`volume-opt`",
            "drop",
        ),
        (
            "run --mount type=bind,src=/x,dst=/y,readonly=yes alpine",
            "not a boolean",
            "readonly=false",
        ),
        (
            "run --mount type=npipe,src=x,dst=/y alpine",
            "no `npipe` mounts",
            "type=bind",
        ),
        (
            "run --mount type=bind,src=/x,dst=/y,tmpfs-size=1m alpine",
            "needs `type=tmpfs`",
            "tmpfs",
        ),
        (
            "run --mount size=1,dst=/y alpine",
            "not a docker --mount field",
            "key=value",
        ),
        (
            "run -p 80 alpine",
            "`80` has no host port",
            "-p HOST:CONTAINER",
        ),
        (
            "run -p 127.0.0.1::80/tcp alpine",
            "has no host port",
            "-p HOST:CONTAINER",
        ),
        (
            "run --entrypoint= alpine",
            "needs a command",
            "IMAGE COMMAND",
        ),
        (
            "start a b",
            "one container at a time",
            "berth docker start a && berth docker start b",
        ),
        ("build -o - .", "stdout", "type=tar"),
        ("build -o type=tar,dest=- .", "stdout", "type=tar"),
        (
            "build -o type=registry .",
            "no `registry` build output",
            "type=oci",
        ),
        ("build -o dest=x .", "needs `type=`", "type=local"),
        ("build --ssh id=/k .", "default SSH agent", "--ssh default"),
        ("build --progress quiet .", "no `quiet` progress", "-q"),
        ("build --progress rawjson .", "auto, plain or tty", "plain"),
    ];
    for (docker, message, help) in cases {
        let err = refusal(docker);
        assert!(
            err.message.contains(message),
            "docker {docker}: message {:?} lacks {message:?}",
            err.message
        );
        assert!(
            !err.help.is_empty() && err.help.iter().any(|h| h.contains(help)),
            "docker {docker}: help {:?} lacks {help:?}",
            err.help
        );
    }
}

#[test]
fn build_ssh_needs_1_2_1_and_rmi_force_says_what_it_does() {
    let needs = |line: &str| translate(&words(line)).unwrap().needs;
    assert_eq!(
        needs("build --ssh default ."),
        Some(Needs {
            release: Release(1, 2, 1),
            what: "`docker build --ssh`"
        })
    );
    assert_eq!(needs("build -t app ."), None);
    let notes = |line: &str| translate(&words(line)).unwrap().notes;
    assert_eq!(notes("rmi -f alpine").len(), 1);
    assert!(notes("rmi alpine").is_empty());
}

#[test]
fn memory_below_a_mebibyte_is_refused_but_suffixed_sizes_pass() {
    assert_eq!(memory("100k").unwrap(), Some("100K".into()));
    assert!(memory("1000").is_err());
    assert!(memory("0.5m").is_err());
}

/// The flags each `container` command accepts (Flags.swift and the command files of
/// apple/container, 1.0.0-1.2.2; `build --ssh` from 1.2.1). Everything berth emits must be
/// in here.
const CONTAINER_FLAGS: &[(&[&str], &[&str])] = &[
    (
        &["run"],
        &[
            "-i",
            "-t",
            "--detach",
            "--rm",
            "--env",
            "--env-file",
            "--volume",
            "--mount",
            "--publish",
            "--cpus",
            "--memory",
            "--name",
            "--workdir",
            "--entrypoint",
            "--user",
            "--network",
            "--platform",
            "--label",
            "--init",
            "--read-only",
            "--cap-add",
            "--cap-drop",
            "--cidfile",
            "--dns",
            "--dns-search",
            "--dns-option",
            "--tmpfs",
            "--shm-size",
            "--ulimit",
            "--help",
        ],
    ),
    (
        &["exec"],
        &[
            "-i",
            "-t",
            "--detach",
            "--env",
            "--env-file",
            "--user",
            "--workdir",
            "--help",
        ],
    ),
    (&["list"], &["--all", "-q", "--format", "--help"]),
    (&["image", "list"], &["-q", "--format", "--help"]),
    (&["image", "pull"], &["--platform", "--progress", "--help"]),
    (&["image", "push"], &["--platform", "--progress", "--help"]),
    (&["image", "tag"], &["--help"]),
    (&["image", "inspect"], &["--help"]),
    (&["image", "delete"], &["--force", "--help"]),
    (&["delete"], &["--force", "--help"]),
    (&["start"], &["--attach", "-i", "--help"]),
    (&["stop"], &["--time", "--signal", "--help"]),
    (&["kill"], &["--signal", "--help"]),
    (&["logs"], &["-f", "-n", "--help"]),
    (&["inspect"], &["--help"]),
    (&["stats"], &["--no-stream", "--format", "--help"]),
    (
        &["build"],
        &[
            "-t",
            "-f",
            "--build-arg",
            "--target",
            "--no-cache",
            "--platform",
            "--pull",
            "-q",
            "--secret",
            "--ssh",
            "-o",
            "--label",
            "--progress",
            "--help",
        ],
    ),
    (&["system", "version"], &["--help"]),
    (&["--help"], &[]),
    (&["--version"], &[]),
];

fn container_flags(command: &[&str]) -> &'static [&'static str] {
    let command = if command == ["create"] {
        &["run"][..]
    } else {
        command
    };
    CONTAINER_FLAGS
        .iter()
        .find(|(c, _)| *c == command)
        .unwrap_or_else(|| panic!("berth emitted an unknown container command {command:?}"))
        .1
}

/// Docker words worth mixing into generated command lines.
const WORDS: &[&str] = &[
    "run",
    "exec",
    "ps",
    "images",
    "pull",
    "rm",
    "rmi",
    "stop",
    "logs",
    "build",
    "container",
    "image",
    "ls",
    "inspect",
    "compose",
    "version",
    "-",
    "--",
    "-it",
    "-itd",
    "-e",
    "-e=A=1",
    "-eA",
    "A=1",
    "-v",
    "/x:/y",
    "--volume=/a:/b",
    "--mount",
    "-p",
    "8080:80",
    "-P",
    "--cpus",
    "2",
    "1.5",
    "-c",
    "-a",
    "-m",
    "1g",
    "--memory=7",
    "--rm",
    "--rm=false",
    "-d",
    "--name",
    "web",
    "-w",
    "/w",
    "--entrypoint",
    "-u",
    "--network",
    "host",
    "--platform",
    "-l",
    "--label=a=b",
    "--restart",
    "no",
    "-h",
    "--privileged",
    "-f",
    "-n",
    "all",
    "--tail",
    "-q",
    "--format",
    "json",
    "-t",
    "-s",
    "alpine",
    "echo",
    "hi",
    "",
    "=",
    "-=",
    "--=x",
    "-é",
    "--help",
];

/// `docker container WORD` and `docker image WORD` spellings berth translates.
const CONTAINER_WORDS: &[&str] = &[
    "ls", "list", "run", "create", "exec", "start", "stop", "kill", "rm", "logs", "inspect",
    "stats",
];
const IMAGE_WORDS: &[&str] = &[
    "ls", "list", "pull", "push", "rm", "tag", "inspect", "build",
];

/// Every translated docker command: the words that name it, and its spec.
fn commands() -> Vec<(Vec<&'static str>, &'static Spec)> {
    let top = TRANSLATED.iter().map(|w| (vec![*w], top_level(w).unwrap()));
    let container = CONTAINER_WORDS
        .iter()
        .map(|w| (vec!["container", *w], container_group(w).unwrap()));
    let image = IMAGE_WORDS
        .iter()
        .map(|w| (vec!["image", *w], image_group(w).unwrap()));
    top.chain(container).chain(image).collect()
}

/// Every flag of every table in each spelling docker accepts: `--long`, `--long=VALUE`,
/// `-s`, `-s=VALUE`, `-sVALUE`, and clustered behind another short flag.
fn spelled_flags() -> Vec<String> {
    let mut spelled = Vec::new();
    for (_, spec) in commands() {
        for flag in spec.flags {
            let long = flag.long;
            spelled.extend([
                format!("--{long}"),
                format!("--{long}="),
                format!("--{long}=1g"),
                format!("--{long}=false"),
            ]);
            if let Some(c) = flag.short {
                spelled.extend([
                    format!("-{c}"),
                    format!("-{c}=x"),
                    format!("-{c}2"),
                    format!("-i{c}"),
                ]);
            }
        }
    }
    spelled
}

fn docker_word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(WORDS).prop_map(str::to_string),
        4 => prop::sample::select(spelled_flags()),
        1 => "-[a-zA-Z]{1,3}(=[a-z0-9]{0,3})?",
        1 => "--[a-z-]{0,10}(=[a-z0-9/:.]{0,6})?",
        1 => any::<String>(),
    ]
}

/// A docker command line: mostly a translated command, then any words.
fn docker_argv() -> impl Strategy<Value = Vec<OsString>> {
    let command = prop_oneof![
        1 => Just(Vec::new()),
        4 => prop::sample::select(commands().into_iter().map(|(words, _)| words).collect::<Vec<_>>()),
    ];
    (command, prop::collection::vec(docker_word(), 0..8)).prop_map(|(command, words)| {
        command
            .into_iter()
            .map(OsString::from)
            .chain(words.into_iter().map(OsString::from))
            .collect()
    })
}

/// A value each converting docker flag (by its long name) accepts.
fn accepted_value(long: &str) -> &'static str {
    match long {
        "cpus" => "2",
        "memory" => "512m",
        "network" | "net" => "default",
        "restart" => "no",
        "tail" => "10",
        "format" => "json",
        "mount" => "type=bind,source=/x,target=/y",
        "tmpfs" => "/tmp:size=64m",
        "publish" => "8080:80",
        "ssh" => "default",
        "output" => "out",
        "progress" => "plain",
        _ => "v",
    }
}

/// Each translatable flag of `spec` in every docker spelling, with an accepted value.
fn translatable_spellings(spec: &'static Spec) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for flag in spec.flags {
        let value = match flag.to {
            To::Same(_) => "v",
            To::Convert(..) => accepted_value(flag.long),
            To::Refuse(_) => continue,
        };
        let long = format!("--{}", flag.long);
        if flag.takes_value {
            all.push(vec![long.clone(), value.to_string()]);
            all.push(vec![format!("{long}={value}")]);
        } else {
            all.push(vec![long.clone()]);
            all.push(vec![format!("{long}=true")]);
        }
        if let Some(c) = flag.short {
            if flag.takes_value {
                all.push(vec![format!("-{c}"), value.to_string()]);
                all.push(vec![format!("-{c}{value}")]);
                all.push(vec![format!("-{c}={value}")]);
            } else {
                all.push(vec![format!("-{c}")]);
            }
        }
    }
    all
}

/// A command line that must translate: a command, one of its translatable flags (each
/// (command, spelling) pair equally likely), up to four more, then operands: after `--`
/// anything, else plain names; for `run`/`exec` any command after the image.
fn well_formed_argv() -> impl Strategy<Value = Vec<OsString>> {
    let mut cases = Vec::new();
    for (words, spec) in commands() {
        let spellings = translatable_spellings(spec);
        for first in &spellings {
            cases.push((
                words.clone(),
                first.clone(),
                spellings.clone(),
                spec.operands,
            ));
        }
    }
    prop::sample::select(cases).prop_flat_map(|(words, first, spellings, operands)| {
        let more = prop::collection::vec(prop::sample::select(spellings), 0..5);
        let rest = prop::collection::vec(docker_word(), 0..4);
        (more, any::<bool>(), rest).prop_map(move |(more, dashes, rest)| {
            let mut argv: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            argv.extend(first.iter().cloned());
            argv.extend(more.into_iter().flatten());
            match operands {
                Nothing => {}
                CommandAfterFirst => {
                    if dashes {
                        argv.push("--".into());
                    }
                    argv.push("alpine".into());
                    argv.extend(rest);
                }
                Interspersed if dashes => {
                    argv.push("--".into());
                    argv.extend(rest);
                }
                Interspersed => argv.extend(["web".to_string(), "-".to_string()]),
                One if dashes => {
                    argv.push("--".into());
                    argv.extend(rest.into_iter().take(1));
                }
                One => argv.push("web".into()),
            }
            argv.into_iter().map(OsString::from).collect()
        })
    })
}

/// The options of a translation are all flags its `container` command accepts, and no
/// operand can be read as one.
fn check_translation(argv: &[OsString], t: &Translation) -> Result<(), TestCaseError> {
    let known = container_flags(t.command);
    for (flag, _) in &t.options {
        prop_assert!(
            known.contains(flag),
            "{:?} emitted `{}`, which `container {}` does not accept",
            argv,
            flag,
            t.command.join(" ")
        );
    }
    let out = translate(argv).unwrap().args;
    let options = t.command.len()
        + t.options
            .iter()
            .map(|(_, v)| 1 + usize::from(v.is_some()))
            .sum::<usize>();
    let operands = &out[options..];
    if operands.first().is_some_and(|w| w != "--") {
        let read_as_options = match t.kind {
            CommandAfterFirst => &operands[..1],
            _ => operands,
        };
        prop_assert!(
            !read_as_options.iter().any(|o| starts_with_dash(o)),
            "{:?} gave {:?}: an operand reads as a flag",
            argv,
            out
        );
    }
    Ok(())
}

/// A refused flag of some command in one of its spellings, after options that translate
/// and before an operand; and the spelling the error must name.
fn refused_flag_argv() -> impl Strategy<Value = (Vec<OsString>, String)> {
    let mut cases = Vec::new();
    for (words, spec) in commands() {
        let passing: Vec<String> = spec
            .flags
            .iter()
            .filter(|f| matches!(f.to, To::Same(_)))
            .map(|f| match f.takes_value {
                true => format!("--{}=v", f.long),
                false => format!("--{}", f.long),
            })
            .collect();
        for flag in spec.flags.iter().filter(|f| matches!(f.to, To::Refuse(_))) {
            let value = if flag.takes_value { "v" } else { "true" };
            let long = format!("--{}", flag.long);
            let mut spellings = vec![(vec![format!("{long}={value}")], long.clone())];
            let bare = |spelled: String| match flag.takes_value {
                true => vec![spelled, value.to_string()],
                false => vec![spelled],
            };
            spellings.push((bare(long.clone()), long.clone()));
            if let Some(c) = flag.short {
                spellings.push((bare(format!("-{c}")), format!("-{c}")));
                if flag.takes_value {
                    spellings.push((vec![format!("-{c}{value}")], format!("-{c}")));
                }
            }
            for (spelled, shown) in spellings {
                cases.push((words.clone(), passing.clone(), spelled, shown));
            }
        }
    }
    prop::sample::select(cases).prop_flat_map(|(words, passing, spelled, shown)| {
        let before = prop::sample::subsequence(passing.clone(), 0..=passing.len().min(3));
        (before, any::<bool>()).prop_map(move |(before, operand)| {
            let mut argv: Vec<OsString> = words.iter().map(OsString::from).collect();
            argv.extend(before.into_iter().map(OsString::from));
            argv.extend(spelled.iter().map(OsString::from));
            if operand {
                argv.push("alpine".into());
            }
            (argv, shown.clone())
        })
    })
}

proptest! {
    #![proptest_config(crate::proptest_config::cases(256))]

    #[test]
    fn prop_any_argv_translates_to_container_flags_or_an_error(argv in docker_argv()) {
        match translation(&argv) {
            Ok(t) => check_translation(&argv, &t)?,
            Err(err) => prop_assert!(!err.message.is_empty(), "{:?}: an empty error", argv),
        }
    }

    #[test]
    fn prop_every_translatable_flag_becomes_a_container_flag(argv in well_formed_argv()) {
        match translation(&argv) {
            Ok(t) => check_translation(&argv, &t)?,
            Err(err) => prop_assert!(false, "{:?} did not translate: {} {:?}", argv, err, err.help),
        }
    }

    #[test]
    fn prop_a_refused_flag_is_an_error_naming_it((argv, shown) in refused_flag_argv()) {
        match translate(&argv) {
            Ok(out) => prop_assert!(false, "{:?} translated to {:?}", argv, out),
            Err(err) => prop_assert!(
                err.message.contains(&format!("`{shown}`")) && !err.help.is_empty(),
                "{:?}: {} {:?} does not name `{}`", argv, err.message, err.help, shown
            ),
        }
    }
}
