//! A diagnostic: what went wrong, where (a file position), and what to do about it.
//!
//! Any error can carry one; `exit::report` prints it as
//! `error: …` / `  --> pixi.toml:12:5` / `  help: …`.

use std::fmt;
use std::path::{Path, PathBuf};

/// A position in a file, 1-based, as editors show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `source`.
    pub fn at(path: &Path, source: &str, offset: usize) -> Location {
        let offset = offset.min(source.len());
        let before = &source.as_bytes()[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        Location {
            path: path.to_path_buf(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = crate::ui::display_path(&self.path);
        write!(f, "{shown}:{}:{}", self.line, self.column)
    }
}

/// An error berth reports with a location and help lines.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub message: String,
    pub location: Option<Location>,
    pub help: Vec<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            message: message.into(),
            location: None,
            help: Vec::new(),
        }
    }

    pub fn at(mut self, location: Location) -> Diagnostic {
        self.location = Some(location);
        self
    }

    pub fn at_opt(mut self, location: Option<Location>) -> Diagnostic {
        self.location = location;
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help.push(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// Give an error a position if it is a [`Diagnostic`] without one yet.
pub fn locate(err: anyhow::Error, at: Option<Location>) -> anyhow::Error {
    match err.downcast::<Diagnostic>() {
        Ok(diagnostic) if diagnostic.location.is_none() => diagnostic.at_opt(at).into(),
        Ok(diagnostic) => diagnostic.into(),
        Err(err) => err,
    }
}

/// The candidate closest to `word` by edit distance, if any is close enough to be a typo:
/// the "did you mean" of every error naming something unknown.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Shorthand for `Err(Diagnostic::new(..).into())` chains.
pub fn error(message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_suggestions() {
        assert_eq!(closest("cpu", &["cpus", "disk"]), Some("cpus"));
        assert_eq!(closest("zzzzzz", &["cpus", "disk"]), None);
    }
}
