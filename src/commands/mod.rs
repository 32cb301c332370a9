//! The headless commands (and the wizard's entry point), each in its own file.

pub mod check;
pub mod config;
pub mod connection;
pub mod docs;
pub mod fields;
pub mod output;
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

/// Print `doc` as the one JSON document on stdout, with `schema_version` and `tool_version`
/// (see [`output::print_json`]). A failure is reported and is a usage error (exit 2).
fn print_json(command: &str, doc: &impl Serialize) -> Result<(), Exit> {
    let _ = command;
    output::print_json(doc)
}

/// Make SIGINT end the process at once with status 130 and nothing more printed: no verdict,
/// no half report. Installed for every headless command except `simulator` (which shuts down
/// cleanly and then exits 130 itself) and the wizard (which restores the terminal first).
///
/// Handlers that tokio installs later for SIGINT (a command's own `ctrl_c()`) chain to this
/// one, so a command cannot swallow Ctrl-C and print a verdict by accident.
pub fn exit_130_on_sigint() {
    #[cfg(unix)]
    {
        extern "C" fn on_sigint(_: libc::c_int) {
            // SAFETY: _exit is async-signal-safe; nothing else is touched here.
            unsafe { libc::_exit(i32::from(Exit::Interrupted.code())) }
        }
        let handler: extern "C" fn(libc::c_int) = on_sigint;
        // SAFETY: installs a handler that only calls _exit; sigaction is given a zeroed,
        // fully initialised struct with an empty mask.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
        }
    }
}
