//! End-to-end tests of the built `berth` binary. One test binary, one module per area.

mod harness;

mod apple;
mod basics;
mod checkouts;
mod clean;
mod cluster;
mod completion;
mod corpus;
mod docker;
mod doctor;
mod exec;
mod faults;
mod init;
mod lima;
mod onboard;
mod outputs;
mod pixi_run;
mod runtimes;
mod security;
mod selection;
mod signals;
mod ssh;
mod sshd;
mod swarm;
mod task_edit;
mod tasks;
