//! Logs go to a file via `tracing`, never to the terminal the wizard owns.
//! Secrets never reach a log: they live in `SecretString`, whose `Debug` is redacted.

use std::fs::OpenOptions;
#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Start logging to `path` (or `snow-connect.log` in the state dir). The filter comes from
/// `SNOW_CONNECT_LOG` (default `info`). Returns a guard that flushes on drop; `None` when the
/// log file cannot be opened (logging is then off, which is never fatal).
pub fn init(path: Option<&Path>) -> Option<WorkerGuard> {
    let path: PathBuf = match path {
        Some(p) => p.to_path_buf(),
        None => crate::config::state_dir()?.join("snow-connect.log"),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        builder.mode(0o700);
        let _ = builder.create(dir);
    }
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    options.mode(0o600);
    let file = options.open(&path).ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter =
        EnvFilter::try_from_env("SNOW_CONNECT_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}
