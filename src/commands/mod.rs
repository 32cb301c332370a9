//! The headless commands (and the wizard's entry point), each in its own file.

pub mod check;
pub mod config;
pub mod connection;
pub mod fields;
pub mod send;
pub mod simulator;
pub mod wizard;

use std::path::PathBuf;

use serde::Serialize;

use crate::exit::Exit;

/// Options every command shares.
#[derive(Debug, Clone, Default)]
pub struct Global {
    /// `--config` / `SNOW_CONNECT_CONFIG`.
    pub config: Option<PathBuf>,
    /// `--ca-file`.
    pub ca_file: Option<PathBuf>,
}

/// The async runtime a command runs on (two workers: the work is a few HTTP requests).
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Print `doc` as the one JSON document on stdout. A failure is printed as
/// `snow-connect COMMAND: cannot write JSON: ...` and is a usage error (exit 2).
fn print_json(command: &str, doc: &impl Serialize) -> Result<(), Exit> {
    match serde_json::to_string_pretty(doc) {
        Ok(json) => {
            println!("{json}");
            Ok(())
        }
        Err(e) => {
            eprintln!("snow-connect {command}: cannot write JSON: {e}");
            Err(Exit::Usage)
        }
    }
}
