//! What a job is: its command, environment, files in and out, and limits, parsed from the
//! words a user typed.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use crate::diag::Diagnostic;
use crate::units::{self, BareUnit, ByteSize};

/// One job, ready to run anywhere.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub command: Vec<OsString>,
    /// Variables added to the job's minimal environment.
    pub env: Vec<(String, String)>,
    /// Absolute paths copied into the work directory, each under its own name.
    pub inputs: Vec<PathBuf>,
    /// Globs, relative to the work directory, of files to copy back.
    pub outputs: Vec<String>,
    pub output_dir: PathBuf,
    /// `--json`: the job's output goes only to its log files.
    pub logs_only: bool,
    /// The container network; `none` unless given.
    pub network: Option<String>,
    pub limits: JobLimits,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct JobLimits {
    pub memory_bytes: Option<u64>,
    pub cpus: Option<f64>,
    pub timeout: Option<Duration>,
    /// Native jobs: CPU seconds per process, given or derived from cpus × timeout.
    pub cpu_time: Option<Duration>,
}

impl JobLimits {
    /// The CPU time a native job's processes may use: `--cpu-time`, else `--cpus` × `--timeout`
    /// rounded up (the most CPU the job could use running at its CPU limit until the timeout).
    pub fn native_cpu_seconds(&self) -> Option<u64> {
        if let Some(cpu_time) = self.cpu_time {
            return Some(cpu_time.as_secs().max(1));
        }
        let seconds = self.cpus? * self.timeout?.as_secs_f64();
        // Saturating float-to-int conversion; a positive product is at least one second.
        Some((seconds.ceil() as u64).max(1))
    }
}

/// A memory limit such as `512m`, `2g`, `64MiB` or `1048576` (bytes): [`ByteSize`]'s
/// grammar, a bare number counting bytes as docker's `--memory` does.
pub fn parse_memory(text: &str) -> Result<u64> {
    match ByteSize::parse(text, BareUnit::Bytes) {
        Some(size) => Ok(size.bytes()),
        None => Err(Diagnostic::new(format!("`{text}` is not a memory size"))
            .help(format!(
                "write a size such as `512m` or `2g` (units: {})",
                ByteSize::UNITS
            ))
            .into()),
    }
}

/// A CPU count such as `1.5`.
pub fn parse_cpus(text: &str) -> Result<f64> {
    match text.trim().parse::<f64>() {
        Ok(cpus) if cpus.is_finite() && cpus > 0.0 => Ok(cpus),
        _ => Err(Diagnostic::new(format!("`{text}` is not a CPU count"))
            .help("write a positive number such as `1` or `1.5`")
            .into()),
    }
}

/// A duration such as `30s`, `5m` or `1h` (a bare number is seconds).
pub fn parse_duration(flag: &str, text: &str) -> Result<Duration> {
    match units::parse_duration(text) {
        Some(duration) => Ok(duration),
        None => Err(
            Diagnostic::new(format!("`{text}` is not a duration for {flag}"))
                .help("write a duration such as `30s`, `5m` or `1h`")
                .into(),
        ),
    }
}

/// `K=V` for `--env`.
pub fn parse_env(text: &str) -> Result<(String, String)> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(Diagnostic::new(format!("`{text}` is not `NAME=VALUE`"))
            .help("pass variables as `--env NAME=VALUE`")
            .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_memory("512m").unwrap(), 512 << 20);
        assert_eq!(parse_memory("2g").unwrap(), 2 << 30);
        assert_eq!(parse_memory("1.5GiB").unwrap(), 3 << 29);
        assert_eq!(parse_memory("4096").unwrap(), 4096);
        assert_eq!(parse_memory("1t").unwrap(), 1 << 40);
        assert!(parse_memory("lots").is_err());
        assert!(parse_memory("0m").is_err());
        assert!(parse_memory("5q").is_err());
    }

    #[test]
    fn cpus_and_env() {
        assert_eq!(parse_cpus("1.5").unwrap(), 1.5);
        assert!(parse_cpus("0").is_err());
        assert!(parse_cpus("-1").is_err());
        assert_eq!(
            parse_env("A=b=c").unwrap(),
            ("A".to_string(), "b=c".to_string())
        );
        assert!(parse_env("=x").is_err());
        assert!(parse_env("novalue").is_err());
    }

    #[test]
    fn native_cpu_time_is_given_or_cpus_times_timeout() {
        let mut limits = JobLimits {
            cpus: Some(1.5),
            timeout: Some(Duration::from_secs(3)),
            ..JobLimits::default()
        };
        assert_eq!(limits.native_cpu_seconds(), Some(5));
        limits.cpu_time = Some(Duration::from_secs(1));
        assert_eq!(limits.native_cpu_seconds(), Some(1));
        assert_eq!(JobLimits::default().native_cpu_seconds(), None);
    }
}
