//! Who may have written the config: like ssh with its keys, a file that another user owns or
//! can write is refused, because the file decides where secrets are sent (an `*_env` key can
//! name any variable of the environment, a `*_command` runs a program).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use super::ConfigError;

/// Set once at start by `--insecure-config`. A process-wide switch rather than a parameter:
/// every command loads the config, and the choice is the user's for the whole run.
static INSECURE: AtomicBool = AtomicBool::new(false);

/// Accept configs owned by another user or writable by others (`--insecure-config`).
pub fn allow_insecure_config(allow: bool) {
    INSECURE.store(allow, Ordering::Relaxed);
}

/// The user this process acts as.
#[cfg(unix)]
pub(crate) fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Refuse a config that someone else could have written, unless `--insecure-config`.
#[cfg(unix)]
pub(crate) fn check(path: &Path, meta: &std::fs::Metadata) -> Result<(), ConfigError> {
    use std::os::unix::fs::MetadataExt;
    if INSECURE.load(Ordering::Relaxed) {
        return Ok(());
    }
    let me = effective_uid();
    let owner = meta.uid();
    let mode = meta.mode() & 0o777;
    // root-owned files are accepted as ssh does: root can change anything anyway.
    let message = if owner != me && owner != 0 {
        format!(
            "it is owned by uid {owner}, not by you (uid {me}), and it decides where your \
             secrets are sent; take it over with: chown {me} {}",
            path.display()
        )
    } else if mode & 0o022 != 0 {
        format!(
            "it has mode {mode:04o}, so other users can change it, and it decides where your \
             secrets are sent; restrict it with: chmod 600 {}",
            path.display()
        )
    } else {
        return Ok(());
    };
    Err(ConfigError::Unsafe {
        path: path.to_path_buf(),
        message,
    })
}

#[cfg(not(unix))]
pub(crate) fn check(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), ConfigError> {
    Ok(())
}
