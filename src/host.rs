//! Facts about the machine berth runs on, and every environment variable it reads.
//!
//! Nothing else in berth calls `std::env::var` or `dirs`: one place names every input that
//! comes from outside, and tests override the host through the `BERTH_HOST_*` variables.

use std::ffi::OsString;
use std::path::PathBuf;

/// Test seam: `linux` or `macos` instead of the real OS.
pub const BERTH_HOST_OS: &str = "BERTH_HOST_OS";
/// Test seam: `x86_64` or `aarch64` instead of the real architecture.
pub const BERTH_HOST_ARCH: &str = "BERTH_HOST_ARCH";
/// The only Unix socket where a host Docker engine is looked for, instead of
/// `/var/run/docker.sock` and `$XDG_RUNTIME_DIR/docker.sock`: for engines at other paths, and
/// for tests (a path with nothing there simulates a machine without an engine).
pub const BERTH_DOCKER_SOCKET: &str = "BERTH_DOCKER_SOCKET";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    Macos,
    Windows,
}

/// A CPU architecture, named as Rust and Lima name them (also the `arch` setting's values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Arch {
    #[value(name = "x86_64")]
    X86_64,
    Aarch64,
}

impl Os {
    pub fn current() -> Os {
        match var_str(BERTH_HOST_OS).as_deref() {
            Some("macos") => Os::Macos,
            Some("linux") => Os::Linux,
            Some("windows") => Os::Windows,
            _ if cfg!(target_os = "macos") => Os::Macos,
            _ if cfg!(windows) => Os::Windows,
            _ => Os::Linux,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Os::Linux => "linux",
            Os::Macos => "macos",
            Os::Windows => "windows",
        }
    }
}

impl Arch {
    pub fn current() -> Arch {
        match var_str(BERTH_HOST_ARCH).as_deref() {
            Some("aarch64" | "arm64") => Arch::Aarch64,
            Some("x86_64" | "amd64") => Arch::X86_64,
            _ if cfg!(target_arch = "aarch64") => Arch::Aarch64,
            _ => Arch::X86_64,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }
}

/// The conda platform name (`linux-64`, `osx-arm64`, ...) pixi uses for this host.
/// `PIXI_OVERRIDE_PLATFORM` replaces it, as in pixi.
pub fn platform() -> String {
    if let Some(p) = var_str("PIXI_OVERRIDE_PLATFORM").filter(|p| !p.is_empty()) {
        return p;
    }
    let os = match Os::current() {
        Os::Linux => "linux",
        Os::Macos => "osx",
        Os::Windows => "win",
    };
    let arch = match (Os::current(), Arch::current()) {
        (Os::Linux, Arch::Aarch64) => "aarch64",
        (_, Arch::Aarch64) => "arm64",
        (_, Arch::X86_64) => "64",
    };
    format!("{os}-{arch}")
}

/// An environment variable, if set.
pub fn var(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// An environment variable as UTF-8, if set and valid.
pub fn var_str(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The whole environment of this process.
pub fn vars() -> Vec<(OsString, OsString)> {
    std::env::vars_os().collect()
}

/// Whether an environment variable is set to something other than empty.
pub fn var_is_set(name: &str) -> bool {
    var(name).is_some_and(|v| !v.is_empty())
}

pub fn current_dir() -> std::io::Result<PathBuf> {
    std::env::current_dir()
}

/// `$HOME`, when it is set to something usable (not empty, not `/`).
pub fn home_dir() -> Option<PathBuf> {
    let home = PathBuf::from(var("HOME").filter(|h| !h.is_empty())?);
    (home.is_absolute() && home != std::path::Path::new("/")).then_some(home)
}

/// The per-user data directory (`$XDG_DATA_HOME` or `~/.local/share` on Linux,
/// `~/Library/Application Support` on macOS). Follows `HOME`, so tests can sandbox it.
pub fn data_dir() -> Option<PathBuf> {
    match Os::current() {
        Os::Macos => Some(home_dir()?.join("Library/Application Support")),
        _ => xdg("XDG_DATA_HOME").or_else(|| Some(home_dir()?.join(".local/share"))),
    }
}

/// The per-user cache directory (`$XDG_CACHE_HOME` or `~/.cache` on Linux,
/// `~/Library/Caches` on macOS).
pub fn cache_dir() -> Option<PathBuf> {
    match Os::current() {
        Os::Macos => Some(home_dir()?.join("Library/Caches")),
        _ => xdg("XDG_CACHE_HOME").or_else(|| Some(home_dir()?.join(".cache"))),
    }
}

fn xdg(name: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(var(name)?);
    dir.is_absolute().then_some(dir)
}

/// Whether stdin is a terminal.
pub fn stdin_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal()
}

/// The path of the running berth binary (`PIXI_EXE` for tasks).
pub fn current_exe() -> std::io::Result<PathBuf> {
    std::env::current_exe()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arch_has_one_name() {
        use clap::ValueEnum;
        for arch in Arch::value_variants() {
            let clap = arch.to_possible_value().expect("no hidden arch");
            assert_eq!(clap.get_name(), arch.name());
        }
    }
}
