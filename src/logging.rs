//! Logs go to a file via `tracing`, never to the terminal the wizard owns.
//! Secrets never reach a log: they live in `SecretString`, whose `Debug` is redacted, and
//! every line passes [`crate::sanitize::redact_bytes`] on its way to the file, so a secret or
//! token that a server echoed is replaced even if some path forgot to redact it.

use std::fs::OpenOptions;
#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Start logging to `path` (or `snow-connect.log` in the state dir). The filter comes from
/// `-v` (`verbose` 1: debug, 2 or more: trace), else `SNOW_CONNECT_LOG` (unset or empty:
/// `info`). Returns a guard that flushes on drop; `None` when the log file cannot be opened
/// (logging is then off, which is never fatal).
pub fn init(path: Option<&Path>, verbose: u8) -> Option<WorkerGuard> {
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
    let (writer, guard) = tracing_appender::non_blocking(Redacting(file));
    let filter = filter(verbose, std::env::var("SNOW_CONNECT_LOG").ok().as_deref());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}

/// The log filter for `-v` given `verbose` times and the `SNOW_CONNECT_LOG` value.
fn filter(verbose: u8, env: Option<&str>) -> EnvFilter {
    let directives = match (verbose, env.map(str::trim).filter(|v| !v.is_empty())) {
        (0, Some(env)) => env,
        (0, None) => "info",
        (1, _) => "debug",
        _ => "trace",
    };
    EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new("info"))
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

    #[test]
    fn verbose_raises_the_level_and_beats_the_environment() {
        assert_eq!(filter(0, None).to_string(), "info");
        assert_eq!(filter(0, Some("")).to_string(), "info");
        assert_eq!(filter(0, Some("warn")).to_string(), "warn");
        assert_eq!(filter(1, Some("warn")).to_string(), "debug");
        assert_eq!(filter(3, None).to_string(), "trace");
    }

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
