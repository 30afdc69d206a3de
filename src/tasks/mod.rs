//! pixi's task model and runner: resolving names and platforms, ordering `depends-on`,
//! templating, activating environments, caching, and running task scripts in
//! deno_task_shell.

pub mod activation;
pub mod cache;
pub mod complete;
pub mod environments;
pub mod globs;
pub mod graph;
pub mod launch;
pub mod lockfile;
pub mod platforms;
pub mod runner;
pub mod shell;
pub mod signals;
pub mod template;

#[cfg(test)]
mod parse_properties;
