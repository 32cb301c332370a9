//! Logs go to a file via `tracing`, never to the terminal the wizard owns.
//! Secrets never reach a log: they live in `SecretString`, whose `Debug` is redacted, and
//! every line passes [`crate::sanitize::redact_bytes`] on its way to the file, so a secret or
//! token that a server echoed is replaced even if some path forgot to redact it.

use std::fs::OpenOptions;
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
        let _ = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir);
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(Redacting(file));
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

/// A writer that redacts every registered secret from what passes through it. The fmt
/// layer writes each event in one call, so a secret is never split across two writes.
struct Redacting<W>(W);

impl<W: std::io::Write> std::io::Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(&crate::sanitize::redact_bytes(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn registered_secrets_never_reach_the_file() {
        crate::sanitize::register_secret("log-TOKEN-93f1c2");
        let mut w = Redacting(Vec::new());
        w.write_all(b"error: echo Bearer log-TOKEN-93f1c2 done\n")
            .unwrap();
        let text = String::from_utf8(w.0).unwrap();
        assert_eq!(text, "error: echo Bearer [redacted] done\n");
    }
}
