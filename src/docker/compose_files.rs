//! What Compose reads before it names a project: the compose files and the env files, found
//! the way each implementation finds them, by reading files only (nothing the repository
//! names is run). berth needs two facts from them: a top-level `name:` in a compose file, and
//! a `COMPOSE_PROJECT_NAME` in an env file.
//!
//! The rules are Compose v2's (docker/compose `cmd/compose/compose.go`, `toProjectOptions`;
//! compose-spec/compose-go `cli/options.go`) and the Python `docker-compose` 1.29's
//! (`compose/cli/command.py`, `compose/config/config.py`, `compose/config/environment.py`),
//! each difference named where it is made.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Which Compose will read the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Implementation {
    /// The `docker compose` plugin (Compose v2 and later).
    Plugin,
    /// The Python `docker-compose` 1.x.
    Standalone,
}

/// A value found in a file: the file, and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub text: String,
}

/// The files Compose would read for these words, from this directory, in this environment.
#[derive(Debug, Default)]
pub struct ComposeFiles {
    /// The compose files, in order; empty when none is found or the file is stdin (`-f -`).
    pub files: Vec<PathBuf>,
    /// `COMPOSE_*` values from the env files, the first file that sets one winning (compose-go
    /// `types/mapping.go`, `Merge`, keeps what is set; python-dotenv reads one file).
    dotenv: HashMap<String, Found>,
}

/// The global flags of a compose command line that decide which files are read.
#[derive(Debug, Default)]
struct Flags {
    files: Vec<String>,
    project_directory: Option<String>,
    env_files: Vec<String>,
}

/// The value-taking global flags of either implementation: v2's `addProjectFlags` and root
/// flags (`cmd/compose/compose.go`), and 1.29's docopt options (`compose/cli/main.py`).
const TAKES_VALUE: &[&str] = &[
    "-f",
    "--file",
    "-p",
    "--project-name",
    "--project-directory",
    "--workdir",
    "--env-file",
    "--profile",
    "--progress",
    "--ansi",
    "--parallel",
    "--insecure-registry",
    "-c",
    "--context",
    "--log-level",
    "-H",
    "--host",
    "--tlscacert",
    "--tlscert",
    "--tlskey",
];

/// Compose v2's default names, in its order of preference (compose-go `cli/options.go`,
/// `DefaultFileNames`, `DefaultOverrideFileNames`).
const V2_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];
const V2_OVERRIDES: &[&str] = &[
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];
/// 1.29's (`compose/config/config.py`, `SUPPORTED_FILENAMES`, `DEFAULT_OVERRIDE_FILENAMES`).
const V1_FILES: &[&str] = &[
    "docker-compose.yml",
    "docker-compose.yaml",
    "compose.yml",
    "compose.yaml",
];
const V1_OVERRIDES: &[&str] = &[
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
    "compose.override.yml",
    "compose.override.yaml",
];

const PROJECT_NAME: &str = "COMPOSE_PROJECT_NAME";

impl ComposeFiles {
    /// The files `implementation` reads for the compose words `args`, run in `cwd` with the
    /// environment `env`.
    pub fn find(
        cwd: &Path,
        args: &[OsString],
        implementation: Implementation,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> ComposeFiles {
        let flags = Flags::parse(args);
        let mut found = ComposeFiles::default();
        // The directory whose `.env` is read first: v2's `GetWorkingDir` (the project
        // directory, else the first `-f` file's), 1.29's `get_project_dir` (the same, with
        // COMPOSE_FILE from the process's environment counting as `-f`).
        let mut early_files = flags.files.clone();
        if early_files.is_empty() && implementation == Implementation::Standalone {
            early_files = split_files(env("COMPOSE_FILE"), env("COMPOSE_PATH_SEPARATOR"));
        }
        let working_dir = match (&flags.project_directory, early_files.first()) {
            (Some(dir), _) => cwd.join(dir),
            (None, Some(first)) if first != "-" => parent(&cwd.join(first), cwd),
            (None, _) => cwd.to_path_buf(),
        };
        found.read_env_files(&flags, &working_dir, cwd, implementation, env);

        // `-f`, else COMPOSE_FILE (the process's, else an env file's); `-` is stdin, which
        // berth cannot read.
        let listed = if flags.files.is_empty() {
            let lookup = |name: &str| env(name).or_else(|| found.dotenv_value(name));
            split_files(lookup("COMPOSE_FILE"), lookup("COMPOSE_PATH_SEPARATOR"))
        } else {
            flags.files.clone()
        };
        if listed.iter().any(|f| f == "-") {
            return found;
        }
        if !listed.is_empty() {
            found.files = listed.iter().map(|f| cwd.join(f)).collect();
            return found;
        }
        let (names, overrides) = match implementation {
            Implementation::Plugin => (V2_FILES, V2_OVERRIDES),
            Implementation::Standalone => (V1_FILES, V1_OVERRIDES),
        };
        // v2 searches up from its working directory; 1.29 from the current one, then from
        // the project directory (`config.find`).
        let search_from = match implementation {
            Implementation::Plugin => working_dir.clone(),
            Implementation::Standalone => cwd.to_path_buf(),
        };
        found.files = search_up(&search_from, names, overrides)
            .or_else(|| match (implementation, &flags.project_directory) {
                (Implementation::Standalone, Some(dir)) => {
                    search_up(&cwd.join(dir), names, overrides)
                }
                _ => None,
            })
            .unwrap_or_default();
        // v2 reads the env files again from its working directory, now the found file's
        // unless `--project-directory` fixed it (`toProjectOptions` applies `WithEnvFiles`
        // and `WithDotEnv` twice); 1.29 does not.
        if implementation == Implementation::Plugin
            && flags.project_directory.is_none()
            && let Some(first) = found.files.first()
        {
            let dir = parent(first, cwd);
            if dir != working_dir {
                found.read_env_files(&flags, &dir, cwd, implementation, env);
            }
        }
        found
    }

    /// The project name a compose file gives with a top-level `name:` (compose-go
    /// `loader/loader.go`, `projectName`: the last file that names it wins).
    pub fn name_in_files(&self) -> Option<Found> {
        let mut named = None;
        for path in &self.files {
            if let Ok(text) = std::fs::read_to_string(path)
                && let Some(name) = top_level_name(&text)
            {
                named = Some(Found {
                    path: path.clone(),
                    text: name,
                });
            }
        }
        named
    }

    /// The `COMPOSE_PROJECT_NAME` an env file sets, if one does.
    pub fn name_in_env_files(&self) -> Option<Found> {
        self.dotenv
            .get(PROJECT_NAME)
            .filter(|found| !found.text.is_empty())
            .cloned()
    }

    fn dotenv_value(&self, name: &str) -> Option<String> {
        self.dotenv.get(name).map(|found| found.text.clone())
    }

    /// The env files given (`--env-file`, or v2's `COMPOSE_ENV_FILES`), else the `.env` of
    /// `working_dir`.
    fn read_env_files(
        &mut self,
        flags: &Flags,
        working_dir: &Path,
        cwd: &Path,
        implementation: Implementation,
        env: &dyn Fn(&str) -> Option<String>,
    ) {
        let mut given = flags.env_files.clone();
        // v2's `defaultStringArrayVar(ComposeEnvFiles)`: a comma-separated default.
        if given.is_empty()
            && implementation == Implementation::Plugin
            && let Some(files) = env("COMPOSE_ENV_FILES").filter(|v| !v.is_empty())
        {
            given = files.split(',').map(str::to_string).collect();
        }
        if given.is_empty() {
            match implementation {
                Implementation::Plugin => self.read_default_env_file(working_dir, env),
                Implementation::Standalone => self.read_env_file(&working_dir.join(".env")),
            }
        } else {
            for file in given {
                self.read_env_file(&cwd.join(file));
            }
        }
    }

    /// `.env` in `dir`, unless v2's `COMPOSE_DISABLE_ENV_FILE` is true (compose-go
    /// `cli/options.go`, `WithEnvFiles`).
    fn read_default_env_file(&mut self, dir: &Path, env: &dyn Fn(&str) -> Option<String>) {
        if env("COMPOSE_DISABLE_ENV_FILE").is_some_and(|v| go_true(&v)) {
            return;
        }
        self.read_env_file(&dir.join(".env"));
    }

    fn read_env_file(&mut self, path: &Path) {
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        for (key, value) in dotenv_pairs(&text) {
            if key.starts_with("COMPOSE_") {
                self.dotenv.entry(key).or_insert_with(|| Found {
                    path: path.to_path_buf(),
                    text: value,
                });
            }
        }
    }
}

impl Flags {
    /// The global flags before the command word (both implementations stop there: v2's
    /// `SetInterspersed(false)`, docopt's `options_first`).
    fn parse(args: &[OsString]) -> Flags {
        let mut flags = Flags::default();
        let mut words = args.iter().map(|w| w.to_string_lossy().into_owned());
        while let Some(word) = words.next() {
            if !word.starts_with('-') || word == "--" {
                break;
            }
            let (flag, attached) = split_flag(&word);
            if !TAKES_VALUE.contains(&flag) {
                continue;
            }
            let Some(value) = attached.or_else(|| words.next()) else {
                break;
            };
            match flag {
                "-f" | "--file" => flags.files.push(value),
                "--project-directory" | "--workdir" => flags.project_directory = Some(value),
                "--env-file" => flags.env_files.push(value),
                _ => {}
            }
        }
        flags
    }
}

/// A flag and the value written into it: `--file=x`, `-f=x` and `-fx` (pflag's shorthand
/// forms) give `x`.
fn split_flag(word: &str) -> (&str, Option<String>) {
    if let Some((flag, value)) = word.split_once('=')
        && (flag.starts_with("--") || flag.len() == 2)
    {
        return (flag, Some(value.to_string()));
    }
    if !word.starts_with("--") && word.len() > 2 {
        return (&word[..2], Some(word[2..].to_string()));
    }
    (word, None)
}

/// COMPOSE_FILE split at COMPOSE_PATH_SEPARATOR (`:` on Unix, `os.pathsep`).
fn split_files(files: Option<String>, separator: Option<String>) -> Vec<String> {
    let Some(files) = files.filter(|f| !f.is_empty()) else {
        return Vec::new();
    };
    let separator = separator
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| if cfg!(windows) { ";" } else { ":" }.to_string());
    files
        .split(separator.as_str())
        .map(str::to_string)
        .collect()
}

/// The directory of `file`, absolute.
fn parent(file: &Path, cwd: &Path) -> PathBuf {
    file.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf)
}

/// The first of `names` in `dir` or the nearest parent holding one, with the override file
/// beside it.
fn search_up(dir: &Path, names: &[&str], overrides: &[&str]) -> Option<Vec<PathBuf>> {
    for dir in dir.ancestors() {
        if let Some(file) = names.iter().map(|n| dir.join(n)).find(|p| p.exists()) {
            let mut files = vec![file];
            files.extend(overrides.iter().map(|n| dir.join(n)).find(|p| p.exists()));
            return Some(files);
        }
    }
    None
}

/// Go's `strconv.ParseBool` true values.
fn go_true(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

/// The top-level `name` of a compose file, as written (before interpolation), when it is a
/// plain or quoted scalar on its key's line: block style, which is how compose files are
/// written. A `---` separated stream counts every document, the last `name` winning, as
/// compose-go decodes them. A `name:` in flow style (`{name: x, …}`) or as a block scalar
/// is not seen.
fn top_level_name(text: &str) -> Option<String> {
    let mut name = None;
    for line in text.trim_start_matches('\u{feff}').lines() {
        let rest = ["name", "\"name\"", "'name'"]
            .iter()
            .find_map(|key| line.strip_prefix(key));
        let Some(value) = rest.and_then(|r| r.trim_start_matches([' ', '\t']).strip_prefix(':'))
        else {
            continue;
        };
        // `name:x` is a scalar of its own, not the key `name`.
        if !(value.is_empty() || value.starts_with([' ', '\t'])) {
            continue;
        }
        match scalar(value.trim()) {
            Some(text) if !text.is_empty() => name = Some(text),
            // `name:`, `name: ""`, `name: null`: no name (it decodes to "").
            _ => name = None,
        }
    }
    name
}

/// A YAML scalar on one line: quoted (`"…"` with `\"`, `'…'` with `''`) or plain (to a
/// ` #` comment). `None` for null.
fn scalar(value: &str) -> Option<String> {
    if let Some(quoted) = value.strip_prefix('"') {
        let mut text = String::new();
        let mut chars = quoted.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => text.extend(chars.next()),
                c => text.push(c),
            }
        }
        return Some(text);
    }
    if let Some(quoted) = value.strip_prefix('\'') {
        let mut text = String::new();
        let mut chars = quoted.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                } else {
                    break;
                }
            }
            text.push(c);
        }
        return Some(text);
    }
    let plain = value
        .split_once(" #")
        .map_or(value, |(plain, _)| plain)
        .trim();
    (!matches!(plain, "~" | "null" | "Null" | "NULL")).then(|| plain.to_string())
}

/// The `KEY=VALUE` lines of an env file: `export ` before the key is allowed, a value may be
/// quoted (one line), an unquoted one ends at ` #`; comments and blank lines are skipped
/// (compose-go `dotenv/parser.go`; python-dotenv reads the same lines alike).
fn dotenv_pairs(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for line in text.trim_start_matches('\u{feff}').lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = match line.strip_prefix("export") {
            Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start(),
            _ => line,
        };
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim_end();
        if key.is_empty() || key.contains(char::is_whitespace) {
            continue;
        }
        let value = value.trim_start();
        let value = match value.chars().next() {
            Some(quote @ ('"' | '\'')) => value[1..]
                .split_once(quote)
                .map_or(&value[1..], |(inside, _)| inside)
                .to_string(),
            _ => value
                .split_once(" #")
                .map_or(value, |(plain, _)| plain)
                .trim_end()
                .to_string(),
        };
        pairs.push((key.to_string(), value));
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn the_global_flags_before_the_command_decide() {
        let flags = Flags::parse(&words(&[
            "--ansi",
            "never",
            "-f",
            "a.yml",
            "--file=b.yml",
            "-fc.yml",
            "-p",
            "x",
            "--env-file",
            "e",
            "--project-directory=/d",
            "up",
            "-f",
            "not-a-global-flag.yml",
        ]));
        assert_eq!(flags.files, ["a.yml", "b.yml", "c.yml"]);
        assert_eq!(flags.env_files, ["e"]);
        assert_eq!(flags.project_directory.as_deref(), Some("/d"));
    }

    #[test]
    fn the_default_file_is_found_up_the_tree_in_each_implementations_order() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path();
        write(&root.join("compose.yaml"), "");
        write(&root.join("docker-compose.yml"), "");
        write(&root.join("docker-compose.override.yml"), "");
        let sub = root.join("sub/deeper");
        std::fs::create_dir_all(&sub).expect("mkdir");
        let v2 = ComposeFiles::find(&sub, &[], Implementation::Plugin, &no_env);
        assert_eq!(
            v2.files,
            [
                root.join("compose.yaml"),
                root.join("docker-compose.override.yml")
            ]
        );
        let v1 = ComposeFiles::find(&sub, &[], Implementation::Standalone, &no_env);
        assert_eq!(
            v1.files,
            [
                root.join("docker-compose.yml"),
                root.join("docker-compose.override.yml")
            ]
        );
    }

    #[test]
    fn given_files_and_compose_file_win_over_the_default() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path();
        write(&root.join("compose.yaml"), "");
        let given = ComposeFiles::find(
            root,
            &words(&["-f", "x/a.yml", "up"]),
            Implementation::Plugin,
            &no_env,
        );
        assert_eq!(given.files, [root.join("x/a.yml")]);
        let env = |name: &str| (name == "COMPOSE_FILE").then(|| "a.yml:b.yml".to_string());
        let listed = ComposeFiles::find(root, &[], Implementation::Plugin, &env);
        assert_eq!(listed.files, [root.join("a.yml"), root.join("b.yml")]);
        // COMPOSE_FILE from the project's `.env`, read by both.
        write(&root.join(".env"), "COMPOSE_FILE=c.yml\n");
        for implementation in [Implementation::Plugin, Implementation::Standalone] {
            let dotenv = ComposeFiles::find(root, &[], implementation, &no_env);
            assert_eq!(dotenv.files, [root.join("c.yml")], "{implementation:?}");
        }
        let stdin = ComposeFiles::find(root, &words(&["-f", "-"]), Implementation::Plugin, &no_env);
        assert!(stdin.files.is_empty());
    }

    #[test]
    fn the_env_file_beside_a_found_compose_file_is_v2s_only() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path();
        write(&root.join("compose.yaml"), "services: {}\n");
        write(
            &root.join(".env"),
            "export COMPOSE_PROJECT_NAME='shared' # a comment\n",
        );
        let sub = root.join("sub");
        std::fs::create_dir_all(&sub).expect("mkdir");
        let v2 = ComposeFiles::find(&sub, &[], Implementation::Plugin, &no_env);
        assert_eq!(
            v2.name_in_env_files(),
            Some(Found {
                path: root.join(".env"),
                text: "shared".into()
            })
        );
        let v1 = ComposeFiles::find(&sub, &[], Implementation::Standalone, &no_env);
        assert_eq!(v1.name_in_env_files(), None);
        let from_root = ComposeFiles::find(root, &[], Implementation::Standalone, &no_env);
        assert_eq!(
            from_root.name_in_env_files().map(|f| f.text),
            Some("shared".into())
        );
        let disabled = |name: &str| (name == "COMPOSE_DISABLE_ENV_FILE").then(|| "true".into());
        let v2 = ComposeFiles::find(root, &[], Implementation::Plugin, &disabled);
        assert_eq!(v2.name_in_env_files(), None);
    }

    #[test]
    fn a_top_level_name_is_read_as_yaml_writes_it() {
        for (text, name) in [
            ("name: app\nservices: {}\n", Some("app")),
            ("services:\n  name: no\n", None),
            ("\"name\": \"my app\" # c\n", Some("my app")),
            ("name: 'it''s'\n", Some("it's")),
            ("name : spaced\n", Some("spaced")),
            ("name: ${NAME:-app}\n", Some("${NAME:-app}")),
            ("name:\nservices: {}\n", None),
            ("name: ~\n", None),
            ("name: \"\"\n", None),
            ("names: x\n", None),
            ("name:x\n", None),
            ("name: a\n---\nname: b\n", Some("b")),
        ] {
            assert_eq!(top_level_name(text).as_deref(), name, "{text:?}");
        }
    }

    #[test]
    fn env_files_are_read_line_by_line() {
        let pairs = dotenv_pairs(
            "# comment\n\nA=1\nexport B = \"two words\" # c\nC=three # c\nD='x#y'\nE\nF G=1\n",
        );
        assert_eq!(
            pairs,
            [
                ("A".into(), "1".into()),
                ("B".into(), "two words".into()),
                ("C".into(), "three".into()),
                ("D".into(), "x#y".into()),
            ]
        );
    }
}
