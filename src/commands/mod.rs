//! The headless commands (and the wizard's entry point), each in its own file.

pub mod check;
pub mod config;
pub mod connection;
pub mod fields;
pub mod send;
pub mod simulator;
pub mod wizard;

use std::path::PathBuf;

/// Options every command shares.
#[derive(Debug, Clone, Default)]
pub struct Global {
    /// `--config` / `SNOW_CONNECT_CONFIG`.
    pub config: Option<PathBuf>,
    /// `--ca-file`.
    pub ca_file: Option<PathBuf>,
}
