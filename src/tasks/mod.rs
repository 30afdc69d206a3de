//! pixi's task model and runner: resolving names, ordering `depends-on`, templating, and
//! running task scripts in deno_task_shell.
