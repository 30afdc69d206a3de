//! The names of the container runtimes: one enum, so `--runtime`, `BERTH_RUNTIME`,
//! `[tool.berth] runtime`, the JSON outputs and every message spell them alike, and a name
//! berth does not know is refused wherever it is read instead of meaning something else.

use std::fmt;

use clap::ValueEnum;
use serde::Serialize;

use super::Endpoint;

/// A runtime berth can drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeKind {
    /// The project's own Lima VM.
    Lima,
    /// The host's Docker engine.
    Docker,
    /// A Colima profile of the project's.
    Colima,
    /// A Podman machine (or Podman's rootless service).
    Podman,
    /// Apple's `container` CLI.
    Apple,
    /// No container runtime: `berth exec` jobs as local processes.
    Native,
    /// A remote engine, reached through an ssh forward (`runtime = "ssh://…"`). Not a name
    /// of its own: the setting names the endpoint.
    #[value(skip)]
    Ssh,
    /// An engine socket on this machine (`runtime = "unix://…"`).
    #[value(skip)]
    Unix,
}

impl RuntimeKind {
    /// The name as users write it.
    pub fn name(self) -> &'static str {
        match self {
            RuntimeKind::Lima => "lima",
            RuntimeKind::Docker => "docker",
            RuntimeKind::Colima => "colima",
            RuntimeKind::Podman => "podman",
            RuntimeKind::Apple => "apple",
            RuntimeKind::Native => "native",
            RuntimeKind::Ssh => "ssh",
            RuntimeKind::Unix => "unix",
        }
    }
}

impl fmt::Display for RuntimeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The `runtime` setting: `auto` (berth chooses), one runtime by name, or an engine's
/// endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeChoice {
    Auto,
    Only(RuntimeKind),
    Endpoint(Endpoint),
}

impl RuntimeChoice {
    const AUTO: &'static str = "auto";

    /// The choice `name` spells (exactly, as a setting is written), if any.
    pub fn from_name(name: &str) -> Option<RuntimeChoice> {
        if name == Self::AUTO {
            return Some(RuntimeChoice::Auto);
        }
        RuntimeKind::from_str(name, false)
            .ok()
            .map(RuntimeChoice::Only)
    }

    /// Every name the setting accepts, `auto` first, then the endpoints' forms.
    pub fn names() -> Vec<&'static str> {
        std::iter::once(Self::AUTO)
            .chain(RuntimeKind::value_variants().iter().map(|k| k.name()))
            .chain(Endpoint::FORMS)
            .collect()
    }
}

impl fmt::Display for RuntimeChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeChoice::Auto => f.write_str(Self::AUTO),
            RuntimeChoice::Only(kind) => kind.fmt(f),
            RuntimeChoice::Endpoint(endpoint) => endpoint.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runtime_has_one_name_for_clap_serde_and_messages() {
        for kind in RuntimeKind::value_variants() {
            let clap = kind.to_possible_value().expect("no hidden runtime");
            let json = serde_json::to_value(kind).expect("serialises");
            assert_eq!(clap.get_name(), kind.name());
            assert_eq!(json, kind.name());
            assert_eq!(
                RuntimeChoice::from_name(kind.name()),
                Some(RuntimeChoice::Only(*kind))
            );
        }
    }

    #[test]
    fn only_known_names_are_choices() {
        assert_eq!(RuntimeChoice::from_name("auto"), Some(RuntimeChoice::Auto));
        for unknown in [
            "vmware",
            "",
            "Lima",
            "native ",
            "docker-engine",
            "ssh",
            "unix",
        ] {
            assert_eq!(RuntimeChoice::from_name(unknown), None, "{unknown:?}");
        }
        assert_eq!(
            RuntimeChoice::names().join(", "),
            "auto, lima, docker, colima, podman, apple, native, \
             ssh://[user@]host[:port], unix:///path/to/docker.sock"
        );
    }
}
