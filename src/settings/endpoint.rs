//! An engine endpoint the `runtime` setting can name instead of a runtime: a Docker engine on
//! another machine, reached over ssh (`ssh://[user@]host[:port]`), or any engine socket on
//! this one (`unix:///path/to/docker.sock`).

use std::fmt;
use std::path::PathBuf;

use super::RuntimeKind;

/// Where an engine answers, as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A remote engine, through an ssh connection berth keeps open.
    Ssh(SshDestination),
    /// An engine socket on this machine (rootless Docker, Podman's socket, a private engine).
    Unix(PathBuf),
}

/// The ssh destination of an `ssh://` endpoint. User and port are only what the URL says:
/// left out, the ssh configuration (or ssh's defaults) decides them, as for `ssh host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshDestination {
    pub user: Option<String>,
    /// A host name, an ssh configuration alias, or an address (IPv6 without brackets).
    pub host: String,
    pub port: Option<u16>,
}

impl Endpoint {
    /// The runtime serving this endpoint.
    pub fn kind(&self) -> RuntimeKind {
        match self {
            Endpoint::Ssh(_) => RuntimeKind::Ssh,
            Endpoint::Unix(_) => RuntimeKind::Unix,
        }
    }

    /// How the endpoints are written, for help and messages.
    pub const FORMS: [&'static str; 2] =
        ["ssh://[user@]host[:port]", "unix:///path/to/docker.sock"];

    /// The endpoint `text` names: `None` when it is no URL at all (no `://`), else the
    /// endpoint or why it is not a valid one.
    pub fn parse(text: &str) -> Option<Result<Endpoint, String>> {
        let (scheme, rest) = text.split_once("://")?;
        Some(match scheme {
            "ssh" => SshDestination::parse(rest).map(Endpoint::Ssh),
            "unix" if rest.starts_with('/') && !rest.contains('\0') => {
                Ok(Endpoint::Unix(PathBuf::from(rest)))
            }
            "unix" => Err("the socket's path must be absolute (`unix:///path`)".into()),
            "tcp" | "http" | "https" => Err(format!(
                "berth reaches engines over ssh or a local socket, not {scheme}:// (an engine's \
                 TCP port gives whoever reaches it root on that machine)"
            )),
            _ => Err(format!("`{scheme}://` is no endpoint berth knows")),
        })
    }
}

impl SshDestination {
    /// `[user@]host[:port]`, as Docker's `ssh://` URLs are written (docker/cli
    /// `cli/connhelper/ssh/ssh.go`, v29.7.2: no password, path, query or fragment).
    fn parse(rest: &str) -> Result<SshDestination, String> {
        if let Some(at) = rest.find(['/', '?', '#']) {
            return Err(format!(
                "`{}` after the host: an ssh endpoint names only [user@]host[:port]",
                &rest[at..]
            ));
        }
        let (user, host_port) = match rest.rsplit_once('@') {
            Some((user, _)) if user.contains(':') => {
                return Err(
                    "a password in the URL is not supported: berth authenticates \
                            with your ssh keys (ssh-agent or IdentityFile)"
                        .into(),
                );
            }
            Some((user, host_port)) => (Some(user), host_port),
            None => (None, rest),
        };
        let (host, port) = split_port(host_port)?;
        if host.is_empty() {
            return Err("the host is empty".into());
        }
        if let Some(user) = user {
            check_word(user, "user", |c| {
                c.is_ascii_alphanumeric() || "._-".contains(c)
            })?;
        }
        if !host_port.starts_with('[') {
            check_word(host, "host", |c| {
                c.is_ascii_alphanumeric() || "._-".contains(c)
            })?;
        }
        Ok(SshDestination {
            user: user.map(str::to_string),
            host: host.to_string(),
            port,
        })
    }

    /// How the destination is named in messages: `user@host:port`, as written.
    pub fn display_host(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let user = self
            .user
            .as_ref()
            .map_or(String::new(), |u| format!("{u}@"));
        let port = self.port.map_or(String::new(), |p| format!(":{p}"));
        format!("{user}{host}{port}")
    }
}

/// `host` and its port from `host[:port]` or `[v6 address][:port]`.
fn split_port(host_port: &str) -> Result<(&str, Option<u16>), String> {
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (address, after) = bracketed
            .split_once(']')
            .ok_or("an IPv6 address needs its closing `]`")?;
        if address.is_empty()
            || !address
                .chars()
                .all(|c| c.is_ascii_hexdigit() || ":.".contains(c))
        {
            return Err(format!("`[{address}]` is not an IPv6 address"));
        }
        match after {
            "" => (address, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (address, Some(port)),
                None => return Err(format!("`{after}` after the address")),
            },
        }
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    let port = match port {
        None => None,
        Some(text) => match text.parse::<u16>() {
            Ok(port) if port > 0 => Some(port),
            _ => return Err(format!("`{text}` is not a port (1 to 65535)")),
        },
    };
    Ok((host, port))
}

/// A user or host name made of the characters `allowed`, not starting with `-`: ssh would
/// read a leading `-` as an option.
fn check_word(word: &str, what: &str, allowed: impl Fn(char) -> bool) -> Result<(), String> {
    if word.is_empty() {
        return Err(format!("the {what} is empty"));
    }
    if word.starts_with('-') {
        return Err(format!("the {what} `{word}` starts with `-`"));
    }
    match word.chars().find(|c| !allowed(*c)) {
        Some(c) => Err(format!("the {what} `{word}` contains `{c}`")),
        None => Ok(()),
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Ssh(destination) => write!(f, "ssh://{}", destination.display_host()),
            Endpoint::Unix(path) => write!(f, "unix://{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssh(text: &str) -> SshDestination {
        match Endpoint::parse(text) {
            Some(Ok(Endpoint::Ssh(destination))) => destination,
            other => panic!("{text}: {other:?}"),
        }
    }

    fn refused(text: &str) -> String {
        match Endpoint::parse(text) {
            Some(Err(why)) => why,
            other => panic!("{text} was not refused: {other:?}"),
        }
    }

    #[test]
    fn ssh_destinations_keep_only_what_the_url_says() {
        assert_eq!(
            ssh("ssh://build"),
            SshDestination {
                user: None,
                host: "build".into(),
                port: None
            }
        );
        assert_eq!(
            ssh("ssh://me@10.0.0.5:2222"),
            SshDestination {
                user: Some("me".into()),
                host: "10.0.0.5".into(),
                port: Some(2222)
            }
        );
        let v6 = ssh("ssh://ci@[fe80::1]:22");
        assert_eq!((v6.host.as_str(), v6.port), ("fe80::1", Some(22)));
        for text in [
            "ssh://build",
            "ssh://me@10.0.0.5:2222",
            "ssh://ci@[fe80::1]:22",
        ] {
            let endpoint = Endpoint::parse(text).unwrap().unwrap();
            assert_eq!(endpoint.to_string(), text, "round trip");
        }
    }

    #[test]
    fn what_ssh_could_misread_is_refused() {
        assert!(refused("ssh://-oProxyCommand=x").contains("starts with `-`"));
        assert!(refused("ssh://-l@host").contains("user `-l` starts with `-`"));
        assert!(refused("ssh://me:secret@host").contains("password"));
        assert!(refused("ssh://host/path").contains("`/path` after the host"));
        assert!(refused("ssh://host?x=1").contains("`?x=1`"));
        assert!(refused("ssh://host:0").contains("not a port"));
        assert!(refused("ssh://host:70000").contains("not a port"));
        assert!(refused("ssh://").contains("empty"));
        assert!(refused("ssh://ho st").contains("contains ` `"));
        assert!(refused("ssh://[::1").contains("closing"));
    }

    #[test]
    fn unix_sockets_are_absolute_and_other_schemes_are_refused() {
        assert_eq!(
            Endpoint::parse("unix:///run/user/1000/docker.sock"),
            Some(Ok(Endpoint::Unix("/run/user/1000/docker.sock".into())))
        );
        assert!(refused("unix://docker.sock").contains("absolute"));
        assert!(refused("tcp://10.0.0.5:2375").contains("not tcp://"));
        assert!(refused("npipe:////./pipe/docker").contains("no endpoint"));
        assert_eq!(Endpoint::parse("docker"), None);
    }
}
