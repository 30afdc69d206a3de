//! The check a project's `ssh-config` passes before any ssh process reads it: a cloned
//! repository is not trusted to run programs on this machine, so a file (or a file it
//! `Include`s) that makes ssh run or load one is refused, with where and why.
//!
//! The file is read as ssh reads it (OpenSSH `readconf.c` and `misc.c`, V_9_2_P1 to
//! V_9_9_P1): a line's first word is its keyword, in any case, the rest its arguments;
//! words split at whitespace, the keyword also at one `=`; double quotes group words and are
//! removed; `#` starts a comment. Where releases differ (9.4 added `%` tokens and
//! environment variables to `Include`, later ones `Match exec=…`), the check takes the
//! stricter reading.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::diag::{Diagnostic, Location};
use crate::host;

/// Keywords whose value is a program ssh runs or a library it loads, and what they do.
const REFUSED: &[(&str, &str)] = &[
    ("proxycommand", "makes ssh run a command to connect"),
    ("localcommand", "makes ssh run a command after connecting"),
    ("knownhostscommand", "makes ssh run a command for host keys"),
    ("pkcs11provider", "makes ssh load a library"),
    ("smartcarddevice", "makes ssh load a library"),
    ("securitykeyprovider", "makes ssh load a library"),
    (
        "xauthlocation",
        "makes ssh run a program for X11 forwarding",
    ),
];

/// ssh reads `Include`s at most 16 deep (`READCONF_MAX_DEPTH`).
const MAX_DEPTH: usize = 16;

/// Refuse `config` (the project's `ssh-config`) when it, or a file it includes, names a
/// program for ssh to run or load.
pub fn check(config: &Path) -> Result<()> {
    check_file(config, 0)
}

fn check_file(path: &Path, depth: usize) -> Result<()> {
    let bytes = fs_err::read(path).map_err(|err| {
        Diagnostic::new(format!(
            "cannot read the ssh config `{}`: {err}",
            path.display()
        ))
        .help("`ssh-config` in [tool.berth] names a file relative to the project root")
    })?;
    let text = String::from_utf8_lossy(&bytes);
    for (number, line) in (1..).zip(text.split('\n')) {
        let Some(directive) = Directive::parse(line) else {
            continue;
        };
        let location = || Location {
            path: path.to_path_buf(),
            line: number,
            column: directive.column,
        };
        let refused = REFUSED
            .iter()
            .find(|(keyword, _)| *keyword == directive.keyword)
            .map(|(_, what)| (directive.written.clone(), *what));
        let refused = refused.or_else(|| {
            (directive.keyword == "match" && names_exec(&directive.arguments))
                .then(|| ("Match exec".to_string(), "makes ssh run a command to match"))
        });
        if let Some((written, what)) = refused {
            return Err(refusal(&written, what).at(location()).into());
        }
        if directive.keyword == "include" {
            for file in included(&directive.arguments).map_err(|why| why.at(location()))? {
                if depth + 1 > MAX_DEPTH {
                    return Err(Diagnostic::new(format!(
                        "the ssh config includes files more than {MAX_DEPTH} deep"
                    ))
                    .at(location())
                    .help("ssh refuses that too: remove the `Include` loop")
                    .into());
                }
                check_file(&file, depth + 1)?;
            }
        }
    }
    Ok(())
}

fn refusal(written: &str, what: &str) -> Diagnostic {
    Diagnostic::new(format!(
        "the project's ssh config uses `{written}`, which {what} on this machine; berth \
         refuses it"
    ))
    .help(
        "a cloned repository is not trusted to run programs on your machine, and every ssh \
         process berth starts reads this file",
    )
    .help(
        "if you trust that line, move it into your own ~/.ssh/config (for this host) and out \
         of the project's file; with `ssh-config` unset, berth's ssh reads yours",
    )
}

/// One line of an ssh config: its keyword (lower case, as ssh matches it), how it was
/// written, its column, and its arguments.
struct Directive {
    keyword: String,
    written: String,
    column: usize,
    arguments: Vec<String>,
}

impl Directive {
    fn parse(line: &str) -> Option<Directive> {
        // ssh strips trailing whitespace (and a form feed) first.
        let line = line.trim_end_matches([' ', '\t', '\r', '\n', '\x0c']);
        let mut rest = line;
        // A line may start with whitespace (or `=`): the first word is then empty.
        let mut keyword = next_word(&mut rest, true)?;
        if keyword.is_empty() {
            keyword = next_word(&mut rest, true)?;
        }
        if keyword.is_empty() || keyword.starts_with('#') {
            return None;
        }
        let column = line[..line.len() - rest.len()]
            .find(|c: char| !c.is_whitespace() && c != '=')
            .map_or(1, |at| line[..at].chars().count() + 1);
        Some(Directive {
            keyword: keyword.to_ascii_lowercase(),
            written: keyword,
            column,
            arguments: arguments(rest),
        })
    }
}

/// ssh's `strdelim` (`misc.c`): the next word of `rest`, split at whitespace or a double
/// quote, and with `equals` at one `=`; a quoted part is one word without its quotes. `None`
/// at the end of the line or at an unmatched quote.
fn next_word(rest: &mut &str, equals: bool) -> Option<String> {
    let is_delimiter = |c: char| " \t\r\n\"".contains(c) || (equals && c == '=');
    let text = *rest;
    let Some(at) = text.find(is_delimiter) else {
        *rest = "";
        return (!text.is_empty()).then(|| text.to_string());
    };
    if text[at..].starts_with('"') {
        let quoted = &text[at + 1..];
        let end = quoted.find('"')?;
        let word = format!("{}{}", &text[..at], &quoted[..end]);
        *rest = quoted[end + 1..].trim_start_matches([' ', '\t', '\r', '\n']);
        return Some(word);
    }
    let word = text[..at].to_string();
    let mut after = text[at + 1..].trim_start_matches([' ', '\t', '\r', '\n']);
    if equals && !text[at..].starts_with('=') {
        // Whitespace, then one `=`, then whitespace: one separator.
        if let Some(stripped) = after.strip_prefix('=') {
            after = stripped.trim_start_matches([' ', '\t', '\r', '\n']);
        }
    }
    *rest = after;
    Some(word)
}

/// The arguments after the keyword, as ssh's `argv_split` reads them: words at whitespace,
/// double quotes grouping and removed, a backslash escaping a quote, a backslash or a
/// space; a `#` starting a word ends the line.
fn arguments(rest: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('"' | '\'' | '\\'))
                || (!quoted && chars.peek() == Some(&' ')) =>
            {
                word.extend(chars.next());
                in_word = true;
            }
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '#' if !in_word && !quoted => break,
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// Whether a `Match` line's criteria name `exec` (`exec`, `!exec`, `exec=…`, in any case).
/// Every word is looked at, also one that is another criterion's argument (a host named
/// `exec`): a word read wrongly must never hide a command.
fn names_exec(arguments: &[String]) -> bool {
    arguments.iter().any(|word| {
        let word = word.strip_prefix('!').unwrap_or(word);
        let criterion = word.split('=').next().unwrap_or(word);
        criterion.eq_ignore_ascii_case("exec")
    })
}

/// The files an `Include` line names, as ssh finds them for a user configuration: `~` is
/// `$HOME` (glob(3)'s `GLOB_TILDE`), a relative path is under `~/.ssh`, and globs expand in
/// lexical order. (9.2 also splits a path at `=`: both readings are checked.)
fn included(arguments: &[String]) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut files = Vec::new();
    let mut paths: Vec<&str> = arguments.iter().map(String::as_str).collect();
    for argument in arguments.iter().filter(|a| a.contains('=')) {
        paths.extend(argument.split('=').filter(|part| !part.is_empty()));
    }
    for path in paths {
        if path.contains('%') || path.contains("${") {
            return Err(Diagnostic::new(format!(
                "the project's ssh config includes `{path}`, whose name depends on the \
                 connection; berth cannot check that file, so it refuses it"
            ))
            .help(
                "name the included file plainly, or move the `Include` into your own ~/.ssh/config",
            ));
        }
        let pattern = anchor(path)?;
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: true,
        };
        let matched = glob::glob_with(&pattern.to_string_lossy(), options).map_err(|err| {
            Diagnostic::new(format!(
                "the ssh config's `Include {path}` is not a valid pattern: {err}"
            ))
        })?;
        let mut found: Vec<PathBuf> = matched
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// An `Include` path made absolute as ssh makes it.
fn anchor(path: &str) -> Result<PathBuf, Diagnostic> {
    let home = || {
        host::home_dir().ok_or_else(|| {
            Diagnostic::new(format!(
                "the project's ssh config includes `{path}`, relative to your home, but HOME is not set"
            ))
            .help("set HOME, so berth can check the included file")
        })
    };
    if path == "~" {
        return home();
    }
    if let Some(below) = path.strip_prefix("~/") {
        return Ok(home()?.join(below));
    }
    if path.starts_with('~') {
        return Err(Diagnostic::new(format!(
            "the project's ssh config includes `{path}`, from another user's home; berth does \
             not read it and refuses the file"
        ))
        .help("include files from your own home (`~/…`) or by absolute path"));
    }
    if Path::new(path).is_absolute() {
        return Ok(PathBuf::from(path));
    }
    Ok(home()?.join(".ssh").join(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_in(config: &str) -> Option<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, config).unwrap();
        check(&path).err().map(|err| {
            let diagnostic = err.downcast_ref::<Diagnostic>().expect("a diagnostic");
            let location = diagnostic.location.as_ref().expect("a location");
            format!(
                "{}:{} {}",
                location.line, location.column, diagnostic.message
            )
        })
    }

    #[test]
    fn commands_are_refused_however_the_keyword_is_written() {
        for (config, at, written) in [
            ("ProxyCommand nc %h %p\n", "1:1", "ProxyCommand"),
            ("Host x\n  proxycommand nc %h %p\n", "2:3", "proxycommand"),
            ("PROXYCOMMAND=nc %h %p\n", "1:1", "PROXYCOMMAND"),
            ("\"ProxyCommand\" nc %h %p\n", "1:1", "ProxyCommand"),
            ("Proxy\"Command\" nc\n", "1:1", "ProxyCommand"),
            ("  =LocalCommand touch x\n", "1:4", "LocalCommand"),
            ("KnownHostsCommand /bin/true\n", "1:1", "KnownHostsCommand"),
            ("PKCS11Provider /tmp/x.so\n", "1:1", "PKCS11Provider"),
            ("SmartcardDevice /tmp/x.so\n", "1:1", "SmartcardDevice"),
            (
                "SecurityKeyProvider /tmp/x.so\n",
                "1:1",
                "SecurityKeyProvider",
            ),
            ("XAuthLocation /tmp/x\n", "1:1", "XAuthLocation"),
            (
                "KnownHostsCommand\t\t/bin/true\r\n",
                "1:1",
                "KnownHostsCommand",
            ),
        ] {
            let refused = refused_in(config).unwrap_or_else(|| panic!("{config:?} passed"));
            assert!(
                refused.starts_with(&format!("{at} ")),
                "{config:?}: {refused}"
            );
            assert!(
                refused.contains(&format!("`{written}`")),
                "{config:?}: {refused}"
            );
        }
    }

    #[test]
    fn match_exec_is_refused_in_every_spelling() {
        for config in [
            "Match exec \"test -f /x\"\n",
            "match host foo EXEC true\n",
            "Match !exec true\n",
            "Match exec=true\n",
            "Match=exec true\n",
            "Match \"exec\" true\n",
            "Match e\"xec\" true\n",
        ] {
            let refused = refused_in(config).unwrap_or_else(|| panic!("{config:?} passed"));
            assert!(refused.contains("`Match exec`"), "{config:?}: {refused}");
        }
    }

    #[test]
    fn ordinary_files_pass() {
        assert_eq!(
            refused_in(
                "# ProxyCommand in a comment\nHost build\n  HostName 10.0.0.5\n  User ci\n  \
                 IdentityFile ~/.ssh/id_ed25519\n  ProxyJump bastion\nMatch host x user y\n  \
                 Port 2222\nRemoteCommand none # ProxyCommand\n"
            ),
            None
        );
    }

    #[test]
    fn included_files_are_checked_with_their_globs() {
        let dir = tempfile::tempdir().unwrap();
        let parts = dir.path().join("parts");
        std::fs::create_dir(&parts).unwrap();
        std::fs::write(parts.join("a.conf"), "Host a\n  Port 22\n").unwrap();
        std::fs::write(parts.join("b.conf"), "Host b\n  Match Exec \"id\"\n").unwrap();
        std::fs::write(parts.join(".hidden.conf"), "ProxyCommand x\n").unwrap();
        let config = dir.path().join("config");
        std::fs::write(&config, format!("Include {}/*.conf\n", parts.display())).unwrap();
        let err = check(&config).unwrap_err();
        let diagnostic = err.downcast_ref::<Diagnostic>().unwrap();
        assert_eq!(
            diagnostic
                .location
                .as_ref()
                .map(|l| (l.path.clone(), l.line)),
            Some((parts.join("b.conf"), 2))
        );
        // A missing file is no error (ssh skips it), a file including itself is.
        std::fs::write(&config, "Include /nonexistent/berth-*.conf\n").unwrap();
        check(&config).unwrap();
        std::fs::write(&config, format!("Include \"{}\"\n", config.display())).unwrap();
        let err = check(&config).unwrap_err().to_string();
        assert!(err.contains("more than 16 deep"), "{err}");
        std::fs::write(&config, "Include ~/.ssh/%h.conf\n").unwrap();
        let err = check(&config).unwrap_err().to_string();
        assert!(err.contains("depends on the connection"), "{err}");
    }

    #[test]
    fn words_split_as_ssh_splits_them() {
        let mut rest = "Key=value rest";
        assert_eq!(next_word(&mut rest, true).as_deref(), Some("Key"));
        assert_eq!(rest, "value rest");
        let mut rest = "Key = value";
        assert_eq!(next_word(&mut rest, true).as_deref(), Some("Key"));
        assert_eq!(rest, "value");
        assert_eq!(
            arguments(r#"a "b c" d\ e \"f # g"#),
            ["a", "b c", "d e", "\"f"]
        );
    }
}
