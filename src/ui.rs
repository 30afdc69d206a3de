//! Everything berth prints: colour decided once per stream, verbosity, status lines on
//! stderr, results on stdout. No other module prints.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::OnceLock;

use owo_colors::{OwoColorize, Style};

use crate::host;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

struct Settings {
    stdout_color: bool,
    stderr_color: bool,
    verbosity: Verbosity,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Decide colour and verbosity once, at start-up.
pub fn init(color: ColorChoice, verbosity: Verbosity) {
    let decide = |is_terminal: bool| match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if host::var_is_set("NO_COLOR") {
                false
            } else if host::var_is_set("CLICOLOR_FORCE") || host::var_is_set("FORCE_COLOR") {
                true
            } else {
                is_terminal && host::var_str("TERM").as_deref() != Some("dumb")
            }
        }
    };
    let _ = SETTINGS.set(Settings {
        stdout_color: decide(std::io::stdout().is_terminal()),
        stderr_color: decide(std::io::stderr().is_terminal()),
        verbosity,
    });
}

fn settings() -> &'static Settings {
    SETTINGS.get_or_init(|| Settings {
        stdout_color: false,
        stderr_color: false,
        verbosity: Verbosity::Normal,
    })
}

pub fn verbosity() -> Verbosity {
    settings().verbosity
}

pub fn stdout_color() -> bool {
    settings().stdout_color
}

fn paint(text: &str, style: Style, on: bool) -> String {
    if on {
        text.style(style).to_string()
    } else {
        text.to_string()
    }
}

fn eprint_line(line: &str) {
    // A closed stderr is nothing berth can report anywhere.
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// `error: message`, always shown.
pub fn error(message: &str) {
    let label = paint("error", Style::new().red().bold(), settings().stderr_color);
    eprint_line(&format!("{label}: {message}"));
}

/// An indented detail under an error: `  --> file:1:2`, `  help: …`, `  caused by: …`.
pub fn error_detail(label: &str, text: &str) {
    let style = if label == "help:" {
        Style::new().cyan().bold()
    } else {
        Style::new().blue().bold()
    };
    let label = paint(label, style, settings().stderr_color);
    eprint_line(&format!("  {label} {text}"));
}

/// `warning: message`, hidden by `-q`.
pub fn warn(message: &str) {
    if verbosity() >= Verbosity::Normal {
        let label = paint(
            "warning",
            Style::new().yellow().bold(),
            settings().stderr_color,
        );
        eprint_line(&format!("{label}: {message}"));
    }
}

/// `note: message` on stderr, hidden by `-q`.
pub fn note(message: &str) {
    if verbosity() >= Verbosity::Normal {
        let label = paint("note", Style::new().bold(), settings().stderr_color);
        eprint_line(&format!("{label}: {message}"));
    }
}

/// A plain status line on stderr, hidden by `-q`.
pub fn status(message: &str) {
    if verbosity() >= Verbosity::Normal {
        eprint_line(message);
    }
}

/// A status line with a bold prefix (`  Creating instance`), as cargo prints steps.
pub fn step(verb: &str, message: &str) {
    if verbosity() >= Verbosity::Normal {
        let verb = paint(verb, Style::new().green().bold(), settings().stderr_color);
        eprint_line(&format!("{verb} {message}"));
    }
}

/// A line only `-v` shows.
pub fn debug(message: &str) {
    if verbosity() >= Verbosity::Verbose {
        let label = paint("berth", Style::new().dimmed(), settings().stderr_color);
        eprint_line(&format!("{label}: {message}"));
    }
}

/// A result line on stdout. Errors (a closed pipe) go back to the caller.
pub fn out(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.write_all(b"\n")?;
    stdout.flush()
}

/// Pretty JSON on stdout.
pub fn out_json(value: &serde_json::Value) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    out(&text)
}

/// Bold text for stdout, when stdout takes colour.
pub fn bold_stdout(text: &str) -> String {
    paint(text, Style::new().bold(), stdout_color())
}

/// Dimmed text for stdout, when stdout takes colour.
pub fn dim_stdout(text: &str) -> String {
    paint(text, Style::new().dimmed(), stdout_color())
}

/// A path as the user should read it: relative to the current directory when inside it,
/// with `~` for the home directory otherwise.
pub fn display_path(path: &Path) -> String {
    if let Ok(cwd) = host::current_dir()
        && let Ok(relative) = path.strip_prefix(&cwd)
        && !relative.as_os_str().is_empty()
    {
        return relative.display().to_string();
    }
    if let Some(home) = host::home_dir()
        && let Ok(relative) = path.strip_prefix(&home)
    {
        return format!("~/{}", relative.display());
    }
    path.display().to_string()
}

/// Ask on the terminal which of `items` to use: a numbered list, the first the default.
/// `None` when stdin is not a terminal, or the answer is no item's number.
pub fn choose(question: &str, items: &[&str]) -> Option<usize> {
    if !host::stdin_is_terminal() || items.is_empty() {
        return None;
    }
    let mut prompt = format!("{question}\n");
    for (i, item) in items.iter().enumerate() {
        prompt.push_str(&format!("  {}) {item}\n", i + 1));
    }
    prompt.push_str(&format!("[1-{}, default 1]: ", items.len()));
    // Not `eprint!`, which panics when stderr is a closed pipe.
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "{prompt}").and_then(|()| stderr.flush());
    drop(stderr);
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).ok()?;
    match answer.trim() {
        "" => Some(0),
        number => number
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=items.len()).contains(n))
            .map(|n| n - 1),
    }
}

/// Ask a yes/no question on the terminal. `None` when stdin is not a terminal.
pub fn confirm(question: &str) -> Option<bool> {
    if !host::stdin_is_terminal() {
        return None;
    }
    // Not `eprint!`, which panics when stderr is a closed pipe.
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "{question} [y/N] ").and_then(|()| stderr.flush());
    drop(stderr);
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).ok()?;
    Some(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// `1m 05s`, `42s`: an elapsed time as a person reads it.
pub fn format_elapsed(elapsed: std::time::Duration) -> String {
    let secs = elapsed.as_secs();
    if secs >= 60 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

/// The current step of a long operation (a VM's first boot takes minutes). On a terminal, one
/// line redrawn in place with a spinner and the elapsed time; otherwise one plain line per
/// step. Hidden by `-q`.
pub struct Progress {
    shared: std::sync::Arc<std::sync::Mutex<ProgressState>>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

struct ProgressState {
    step: String,
    started: std::time::Instant,
    done: bool,
}

impl Progress {
    pub fn start() -> Progress {
        let shared = std::sync::Arc::new(std::sync::Mutex::new(ProgressState {
            step: String::new(),
            started: std::time::Instant::now(),
            done: false,
        }));
        let live = std::io::stderr().is_terminal() && verbosity() == Verbosity::Normal;
        let ticker = live.then(|| {
            let shared = std::sync::Arc::clone(&shared);
            std::thread::spawn(move || {
                const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
                for frame in FRAMES.iter().cycle() {
                    let Ok(state) = shared.lock() else { return };
                    if state.done {
                        return;
                    }
                    if !state.step.is_empty() {
                        let elapsed = format_elapsed(state.started.elapsed());
                        let _ = write!(
                            std::io::stderr().lock(),
                            "\r\x1b[2K{frame} {} ({elapsed})",
                            state.step
                        );
                    }
                    drop(state);
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            })
        });
        Progress { shared, ticker }
    }

    /// Show `step` (`booting the VM`) if it is not the current one already.
    pub fn step(&self, step: &str) {
        let Ok(mut state) = self.shared.lock() else {
            return;
        };
        if state.step == step {
            return;
        }
        state.step = step.to_string();
        if self.ticker.is_none() && verbosity() >= Verbosity::Normal {
            let elapsed = format_elapsed(state.started.elapsed());
            eprint_line(&format!("{step}… [{elapsed}]"));
        }
    }

    pub fn elapsed(&self) -> std::time::Duration {
        self.shared
            .lock()
            .map(|s| s.started.elapsed())
            .unwrap_or_default()
    }

    /// Stop drawing and clear the live line.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Ok(mut state) = self.shared.lock() {
            state.done = true;
        }
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One of berth's own output streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Bytes a child printed, passed on unchanged (as they arrive) to berth's stdout or stderr.
pub fn pass_through(stream: Stream, bytes: &[u8]) -> std::io::Result<()> {
    match stream {
        Stream::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()
        }
        Stream::Stderr => std::io::stderr().lock().write_all(bytes),
    }
}
