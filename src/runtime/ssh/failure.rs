//! What went wrong between berth and a remote engine, from what ssh and the remote docker
//! CLI said, as errors that name the host and say what to do. The texts matched are
//! OpenSSH's (`sshconnect.c`, `sshconnect2.c`, `ssh.c`, V_9_2_P1 to V_9_9_P1) and the
//! shells' "not found".

use crate::diag::Diagnostic;

/// Why the ssh connection to `host` failed, from ssh's own output. `by_hand` is the command
/// that tries the connection in a terminal.
pub fn connection(host: &str, output: &str, by_hand: &str) -> Diagnostic {
    let lines: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let has = |needle: &str| lines.iter().any(|l| l.contains(needle));
    let line_with = |needle: &str| lines.iter().find(|l| l.contains(needle)).copied();
    let accept_once = format!(
        "accept it once: run `{by_hand}` in a terminal, compare the fingerprint ssh shows \
         with the host's, and answer `yes`"
    );
    let accept_new = "or let ssh accept the key of a host it has never seen: \
                      `StrictHostKeyChecking accept-new` for this host in your ssh config";
    if has("HOST IDENTIFICATION HAS CHANGED") || has("has changed and you have requested") {
        let mut diagnostic = Diagnostic::new(format!(
            "the host key of {host} has changed since ssh accepted it; berth does not connect"
        ))
        .help(
            "someone may be intercepting the connection; if you know the key changed (the \
             host was reinstalled), remove the old one:",
        );
        if let Some(remove) = line_with("ssh-keygen") {
            diagnostic = diagnostic.help(format!("`{remove}`"));
        }
        return diagnostic.help(accept_once);
    }
    if has("Host key verification failed") || has("host key is known for") {
        return Diagnostic::new(format!(
            "the host key of {host} is unknown to ssh, and berth never accepts one unasked"
        ))
        .help(accept_once)
        .help(accept_new);
    }
    if let Some(denied) = line_with("Permission denied") {
        return Diagnostic::new(format!("{host} refused the ssh authentication: {denied}"))
            .help(
                "berth's ssh never prompts (it runs in the background): load your key into \
                 ssh-agent (`ssh-add`), or name it with `IdentityFile` in your ssh config",
            )
            .help(format!("try it by hand: `{by_hand}`"));
    }
    const UNREACHABLE: &[&str] = &[
        "Connection refused",
        "timed out",
        "No route to host",
        "Network is unreachable",
        "Could not resolve hostname",
        "Connection closed by",
        "Connection reset",
        "kex_exchange_identification",
    ];
    if let Some(why) = UNREACHABLE.iter().find_map(|needle| line_with(needle)) {
        return Diagnostic::new(format!("cannot reach {host} over ssh: {}", plain(why)))
            .help("check the host and port in `runtime`, and that sshd runs there and answers")
            .help(format!("try it by hand: `{by_hand}`"));
    }
    let said = lines.last().map_or("(ssh said nothing)", |l| plain(l));
    Diagnostic::new(format!("ssh to {host} failed: {said}"))
        .help(format!("try it by hand: `{by_hand}`"))
}

/// ssh's `ssh: connect to host …` without the `ssh: `.
fn plain(line: &str) -> &str {
    line.strip_prefix("ssh: ").unwrap_or(line)
}

/// What the remote docker CLI answered (`code`, `stderr`) when asked for its engine.
pub fn remote_docker(host: &str, code: i32, stderr: &str) -> Diagnostic {
    let said = stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("(it said nothing)");
    if code == 127
        || said.contains("docker: not found")
        || said.contains("docker: command not found")
    {
        return Diagnostic::new(format!("there is no `docker` on {host}: {said}")).help(format!(
            "install Docker on {host} (https://docs.docker.com/engine/install/), or put its \
                 `docker` on the PATH of non-interactive ssh sessions there (they read no \
                 login profile)"
        ));
    }
    Diagnostic::new(format!(
        "the docker CLI on {host} could not name its engine (exit {code}): {said}"
    ))
    .help(format!(
        "berth runs `docker context inspect` on {host} to find the engine's socket; fix what \
         it says there"
    ))
}

/// The remote docker CLI names an engine berth cannot forward.
pub fn not_a_socket(host: &str, endpoint: &str) -> Diagnostic {
    Diagnostic::new(format!(
        "the docker CLI on {host} talks to `{endpoint}`, and berth forwards only a unix socket"
    ))
    .help(format!(
        "on {host}, point docker at its engine's socket (unset DOCKER_HOST, or `docker context \
         use default`)"
    ))
}

/// The forward works, but no engine answers behind it.
pub fn engine_not_running(host: &str, remote_socket: &str) -> Diagnostic {
    Diagnostic::new(format!(
        "the Docker engine on {host} does not answer at {remote_socket}"
    ))
    .help(format!(
        "start it on {host} (`sudo systemctl start docker`), then run `berth container start`"
    ))
    .help(format!(
        "{remote_socket} is where the docker CLI on {host} looks (its DOCKER_HOST or current \
         context)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_lines(diagnostic: &Diagnostic) -> String {
        format!("{} | {}", diagnostic.message, diagnostic.help.join(" | "))
    }

    #[test]
    fn each_ssh_failure_is_told_apart() {
        let by_hand = "ssh -p 2222 me@h true";
        // OpenSSH 9.2's own words, as this machine's ssh printed them.
        for (output, expected) in [
            (
                "ssh: connect to host 127.0.0.1 port 2300: Connection refused\n",
                "cannot reach me@h over ssh: connect to host 127.0.0.1 port 2300: Connection refused",
            ),
            (
                "Connection timed out during banner exchange\n",
                "cannot reach me@h over ssh: Connection timed out during banner exchange",
            ),
            (
                "ssh: Could not resolve hostname nope.invalid: Name or service not known\n",
                "cannot reach me@h over ssh: Could not resolve hostname",
            ),
            (
                "Host key verification failed.\n",
                "host key of me@h is unknown",
            ),
            (
                "me@127.0.0.1: Permission denied (publickey).\n",
                "me@h refused the ssh authentication: me@127.0.0.1: Permission denied (publickey).",
            ),
            (
                "@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@\n\
                 Offending ED25519 key in /k:1\n  remove with:\n  ssh-keygen -f \"/k\" -R \"[h]:2222\"\n\
                 Host key verification failed.\n",
                "host key of me@h has changed",
            ),
            ("something new\n", "ssh to me@h failed: something new"),
        ] {
            let told = first_lines(&connection("me@h", output, by_hand));
            assert!(told.contains(expected), "{output:?}:\n{told}");
        }
        let changed = first_lines(&connection(
            "h",
            "REMOTE HOST IDENTIFICATION HAS CHANGED\nssh-keygen -f \"/k\" -R \"[h]:2222\"\n",
            by_hand,
        ));
        assert!(
            changed.contains("`ssh-keygen -f \"/k\" -R \"[h]:2222\"`"),
            "{changed}"
        );
        let unknown = first_lines(&connection("h", "Host key verification failed.", by_hand));
        assert!(
            unknown.contains("run `ssh -p 2222 me@h true` in a terminal"),
            "{unknown}"
        );
        assert!(
            unknown.contains("StrictHostKeyChecking accept-new"),
            "{unknown}"
        );
    }

    #[test]
    fn a_missing_docker_is_told_from_other_failures() {
        let missing = remote_docker("h", 127, "bash: line 1: docker: command not found\n");
        assert_eq!(
            missing.message,
            "there is no `docker` on h: bash: line 1: docker: command not found"
        );
        let dash = remote_docker("h", 127, "sh: 1: docker: not found\n");
        assert!(dash.message.starts_with("there is no `docker` on h"));
        let other = remote_docker("h", 1, "context \"x\" does not exist\n");
        assert!(other.message.contains("could not name its engine (exit 1)"));
    }
}
