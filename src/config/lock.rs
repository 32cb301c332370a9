//! A lock file held while a config is read, compared and written, so that two savers never
//! interleave: the second waits, then sees what the first wrote.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::ConfigError;

/// How long a save waits for another one to finish (saves take milliseconds).
const WAIT: Duration = Duration::from_secs(3);
/// A lock older than this was left by a killed process.
const STALE: Duration = Duration::from_secs(30);

/// `config.toml.lock` next to the file; deleted when dropped.
pub(crate) struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Take the lock for `target`, waiting a little for another saver.
    pub(crate) fn acquire(target: &Path) -> Result<Lock, ConfigError> {
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let path = target.with_file_name(name);
        super::atomic::ensure_dir(&super::atomic::parent_dir(target))?;
        let started = Instant::now();
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    let _ = writeln!(f, "{}", std::process::id());
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if is_stale(&path) {
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    if started.elapsed() >= WAIT {
                        return Err(ConfigError::Locked {
                            path: target.to_path_buf(),
                            lock: path,
                        });
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(ConfigError::io(&path, "locking", e)),
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A lock whose process is gone (killed mid-save), or one too old to be a live save's.
fn is_stale(path: &Path) -> bool {
    let age = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok());
    if age.is_some_and(|age| age >= STALE) {
        return true;
    }
    let pid = std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok());
    match pid {
        Some(pid) => !process_alive(pid),
        // Killed between creating the lock and writing its pid.
        None => age.is_some_and(|age| age >= Duration::from_secs(1)),
    }
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks whether the process exists; nothing is sent.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}
