//! berth: a container runtime per repository, and a pixi-compatible task runner.

mod app;
mod clean;
mod cli;
mod diag;
mod docker;
mod docker_api;
mod du;
mod exit;
mod host;
mod jobs;
#[cfg(test)]
mod layers;
mod manifest;
mod private_fs;
mod process;
mod project;
#[cfg(test)]
mod proptest_config;
mod runtime;
mod settings;
mod tasks;
mod ui;
mod units;

use std::process::ExitCode;

fn main() -> ExitCode {
    // `COMPLETE=<shell> berth …` asks for completions; it returns at once otherwise.
    clap_complete::CompleteEnv::with_factory(cli::completion_command).complete();
    let cli = cli::Cli::parse_args();
    let verbosity = match (cli.global.quiet, cli.global.verbose) {
        (true, _) => ui::Verbosity::Quiet,
        (_, true) => ui::Verbosity::Verbose,
        _ => ui::Verbosity::Normal,
    };
    ui::init(cli.global.color, verbosity);
    let status = app::run(cli).unwrap_or_else(|err| exit::report(&err));
    status.into()
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::panic::AssertUnwindSafe;

    /// Linked statically on Linux (.cargo/config.toml), berth carries GCC's unwinder itself
    /// rather than loading libgcc_s: a panic still unwinds, running destructors (the job
    /// guards that remove containers rely on them), and a backtrace still walks the stack.
    #[test]
    fn a_panic_unwinds_and_a_backtrace_walks_the_stack() {
        struct SetOnDrop<'a>(&'a Cell<bool>);
        impl Drop for SetOnDrop<'_> {
            fn drop(&mut self) {
                self.0.set(true);
            }
        }
        let dropped = Cell::new(false);
        let caught = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let _guard = SetOnDrop(&dropped);
            panic!("unwinding through the linked unwinder");
        }));
        assert!(caught.is_err());
        assert!(dropped.get());
        let backtrace = std::backtrace::Backtrace::force_capture().to_string();
        assert!(
            backtrace.contains("a_panic_unwinds_and_a_backtrace_walks_the_stack"),
            "{backtrace}"
        );
    }
}
