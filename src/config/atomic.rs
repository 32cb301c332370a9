//! Crash-safe replacement of a file: a temporary file in the same directory is written and
//! fsynced, renamed over the target, and the directory is fsynced, so a crash at any point
//! leaves either the old file or the new one, never a torn one.

use std::fs::{self, DirBuilder, File, Permissions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::ConfigError;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};

/// Mode of every file we write: they may hold secrets.
const FILE_MODE: u32 = 0o600;
/// Mode of directories we create.
const DIR_MODE: u32 = 0o700;
/// A temporary file older than this was left by a save that was killed before its rename
/// (a save in progress takes milliseconds, so a live one is never this old).
const STALE_TEMP_AGE: Duration = Duration::from_secs(10 * 60);

/// The directory a path lives in (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Create `dir` and its missing parents with mode 0700.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), ConfigError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(DIR_MODE);
    builder
        .create(dir)
        .map_err(|e| ConfigError::io(dir, "creating the directory", e))
}

/// Replace `target` with `bytes` (mode 0600). `before_rename` runs after the temporary file is
/// written and fsynced and before it is renamed: a seam for tests to inject a failure there.
pub(crate) fn write_atomic(
    target: &Path,
    bytes: &[u8],
    before_rename: &mut dyn FnMut() -> io::Result<()>,
) -> Result<(), ConfigError> {
    let dir = parent_dir(target);
    ensure_dir(&dir)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snow-connect".to_string());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(Permissions::from_mode(FILE_MODE));
    let writing = |e| ConfigError::io(target, "writing", e);
    // On any error below the temporary file is dropped, which deletes it.
    let mut tmp = builder.tempfile_in(&dir).map_err(writing)?;
    tmp.as_file_mut().write_all(bytes).map_err(writing)?;
    tmp.as_file_mut().sync_all().map_err(writing)?;
    before_rename().map_err(writing)?;
    tmp.persist(target)
        .map_err(|e| ConfigError::io(target, "replacing", e.error))?;
    sync_dir(&dir).map_err(|e| ConfigError::io(&dir, "syncing the directory", e))?;
    remove_stale_temps(&dir, &prefix, SystemTime::now());
    Ok(())
}

/// Delete temporary files that a killed save left next to the target: they are never read,
/// but they may hold inline secrets. Best effort: a failure here does not fail the save.
fn remove_stale_temps(dir: &Path, prefix: &str, now: SystemTime) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(prefix) && name.ends_with(".tmp")) {
            continue;
        }
        // symlink_metadata: never follow a link planted under a temp-like name.
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age >= STALE_TEMP_AGE);
        if meta.is_file() && old {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Delete every temporary file of `target` regardless of age. Only for callers that hold the
/// target's lock (see `lock`): every save writes its temporary file under that lock, so any
/// temporary file seen then is a leftover of a killed save.
pub(crate) fn remove_leftover_temps(target: &Path) {
    let Some(name) = target.file_name() else {
        return;
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    remove_stale_temps(
        &parent_dir(target),
        &prefix,
        SystemTime::now() + STALE_TEMP_AGE,
    );
}

/// Make a rename or unlink in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Set a directory we own to 0700 (the drafts directory may predate us with a wider mode).
pub(crate) fn restrict_dir(dir: &Path) -> Result<(), ConfigError> {
    #[cfg(unix)]
    fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))
        .map_err(|e| ConfigError::io(dir, "restricting", e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_save_removes_temp_files_left_by_a_killed_save_but_not_fresh_ones() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("config.toml");
        let stale = dir.path().join(".config.toml.abc123.tmp");
        let fresh = dir.path().join(".config.toml.def456.tmp");
        let unrelated = dir.path().join(".other.toml.ghi789.tmp");
        for p in [&stale, &fresh, &unrelated] {
            fs::write(p, "client_secret = \"left behind\"").expect("write");
        }
        let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
        for p in [&stale, &unrelated] {
            File::options()
                .write(true)
                .open(p)
                .and_then(|f| f.set_modified(an_hour_ago))
                .expect("age the file");
        }
        write_atomic(&target, b"version = 1\n", &mut || Ok(())).expect("save");
        assert_eq!(fs::read(&target).expect("read"), b"version = 1\n");
        assert!(
            !stale.exists(),
            "a stale temp file of this config is removed"
        );
        assert!(
            fresh.exists(),
            "a temp file of a save in progress is left alone"
        );
        assert!(
            unrelated.exists(),
            "another file's temp files are left alone"
        );
    }
}
