//! `berth env`'s output: lines that set and unset variables, quoted for one shell, so that
//! `eval "$(berth env)"` (or fish's `| source`, PowerShell's `| Invoke-Expression`) applies them.

/// A shell family with its own syntax for setting variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    /// sh, bash, zsh, dash, ksh: `export NAME='value'`.
    Posix,
    Fish,
    Powershell,
}

impl Shell {
    /// The shell a program path names (`$SHELL`), by its file name; POSIX when unknown.
    pub fn from_program(program: &str) -> Shell {
        let name = program
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(program)
            .trim_end_matches(".exe");
        match name {
            "fish" => Shell::Fish,
            "pwsh" | "powershell" => Shell::Powershell,
            _ => Shell::Posix,
        }
    }
}

/// The lines that set each of `set` and remove each of `unset`, one a line.
pub fn render(shell: Shell, set: &[(&str, &str)], unset: &[&str]) -> String {
    let mut lines = Vec::with_capacity(set.len() + unset.len());
    for (name, value) in set {
        lines.push(match shell {
            Shell::Posix => format!("export {name}={}", quote_posix(value)),
            Shell::Fish => format!("set -gx {name} {}", quote_fish(value)),
            Shell::Powershell => format!("$Env:{name} = {}", quote_powershell(value)),
        });
    }
    for name in unset {
        lines.push(match shell {
            Shell::Posix => format!("unset {name}"),
            Shell::Fish => format!("set -e {name}"),
            // Without SilentlyContinue, removing a variable that is not set is an error.
            Shell::Powershell => {
                format!("Remove-Item Env:{name} -ErrorAction SilentlyContinue")
            }
        });
    }
    lines.join("\n")
}

/// Single quotes take everything literally in POSIX shells except `'` itself, which closes
/// the quote, is escaped, and reopens it.
fn quote_posix(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// In fish's single quotes only `\` and `'` are special, both escaped with a backslash.
fn quote_fish(value: &str) -> String {
    format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
}

/// In PowerShell's single quotes a quote is doubled; the typographic single quotes count as
/// quotes too, so they are doubled as well.
fn quote_powershell(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            quoted.push(c);
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: &[(&str, &str)] = &[
        ("DOCKER_HOST", "unix:///p/.pixi/lima/x/sock/docker.sock"),
        ("DOCKER_CONFIG", "/it's a \\ path/$HOME"),
    ];
    const UNSET: &[&str] = &["DOCKER_CONTEXT"];

    #[test]
    fn posix() {
        assert_eq!(
            render(Shell::Posix, SET, UNSET),
            "export DOCKER_HOST='unix:///p/.pixi/lima/x/sock/docker.sock'\n\
             export DOCKER_CONFIG='/it'\\''s a \\ path/$HOME'\n\
             unset DOCKER_CONTEXT"
        );
    }

    #[test]
    fn fish() {
        assert_eq!(
            render(Shell::Fish, SET, UNSET),
            "set -gx DOCKER_HOST 'unix:///p/.pixi/lima/x/sock/docker.sock'\n\
             set -gx DOCKER_CONFIG '/it\\'s a \\\\ path/$HOME'\n\
             set -e DOCKER_CONTEXT"
        );
    }

    #[test]
    fn powershell() {
        assert_eq!(
            render(Shell::Powershell, SET, UNSET),
            "$Env:DOCKER_HOST = 'unix:///p/.pixi/lima/x/sock/docker.sock'\n\
             $Env:DOCKER_CONFIG = '/it''s a \\ path/$HOME'\n\
             Remove-Item Env:DOCKER_CONTEXT -ErrorAction SilentlyContinue"
        );
        assert_eq!(quote_powershell("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
    }

    #[test]
    fn the_shell_comes_from_the_programs_name() {
        assert_eq!(Shell::from_program("/usr/bin/fish"), Shell::Fish);
        assert_eq!(
            Shell::from_program("/opt/microsoft/powershell/7/pwsh"),
            Shell::Powershell
        );
        assert_eq!(
            Shell::from_program(r"C:\Windows\powershell.exe"),
            Shell::Powershell
        );
        assert_eq!(Shell::from_program("/bin/zsh"), Shell::Posix);
        assert_eq!(Shell::from_program(""), Shell::Posix);
    }
}
