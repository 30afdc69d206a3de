//! End-to-end tests of the built `berth` binary. One test binary, one module per area.

mod harness;

mod basics;
mod exec;
