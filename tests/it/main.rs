//! The one integration-test binary. Each former `tests/NAME.rs` is a module here, so the crate
//! is linked once instead of once per file (the slow step on a 2-core CI).
//!
//! Everything runs in one process. Tests that need process-wide state of their own (a global
//! `tracing` subscriber, the environment, a panic hook, resource limits) re-run this binary
//! for just themselves (`--exact module::name`).

// Test and bench code may stop at a broken fixture: that is where it should stop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod causes;
mod cli;
mod client;
mod client_faults;
mod config;
mod diagnose;
mod endpoints;
mod guard;
mod hardening;
mod hostile;
mod secrets;
mod send;
mod simulator;
mod wizard_flow;
mod wizard_pty;
