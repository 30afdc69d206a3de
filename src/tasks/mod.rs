//! pixi's task model and runner: resolving names, ordering `depends-on`, templating, and
//! running task scripts in deno_task_shell.

pub mod cache;
pub mod environments;
pub mod graph;
pub mod launch;
pub mod runner;
pub mod shell;
pub mod template;

#[cfg(test)]
mod parse_properties;
