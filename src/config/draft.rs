//! Drafts of an unfinished wizard, so a dropped SSH session loses nothing.
//!
//! The wizard decides what goes in a draft (serde); secrets are never part of it.
//!
//! A draft is a JSON file, 0600, in `<state dir>/drafts/` (0700), named after the config file
//! plus a hash of its canonical path, so each config has its own draft. It is written
//! atomically, like the config, so a signal or crash during a write leaves the previous draft.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::ConfigError;
use super::atomic::{ensure_dir, parent_dir, restrict_dir, sync_dir, write_atomic};

/// The draft file format this build writes and reads.
pub const DRAFT_FORMAT: u32 = 1;

/// Drafts older than this are deleted when the wizard starts: a month-old half-setup is more
/// likely to mislead than to help, and nobody else ever cleans the state directory.
pub const DRAFT_MAX_AGE: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// A stored draft: what the wizard saved and when.
#[derive(Debug, Clone)]
pub struct Draft<T> {
    /// The wizard's state.
    pub state: T,
    /// Unix seconds when it was written.
    pub saved_at: u64,
}

/// Where the draft for one config path lives (0600 file in the state dir).
///
/// **Drafts never contain secrets.** The state type the wizard stores must leave out the
/// client secret and the password (keep, at most, whether they were entered or which
/// environment variable names them): the draft outlives the session that typed them and sits
/// outside the config file whose mode the user controls.
#[derive(Debug, Clone)]
pub struct DraftStore {
    path: PathBuf,
}

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    format: u32,
    saved_at: u64,
    state: &'a T,
}

#[derive(Deserialize)]
struct EnvelopeIn {
    format: u32,
    saved_at: u64,
    state: serde_json::Value,
}

impl DraftStore {
    /// The draft store for the config at `config_path`, under `state_dir`.
    pub fn new(state_dir: &Path, config_path: &Path) -> DraftStore {
        let canonical = canonical(config_path);
        let hash = fnv1a(canonical.as_os_str().as_encoded_bytes());
        let stem: String = config_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        DraftStore {
            path: state_dir
                .join("drafts")
                .join(format!("{stem}-{hash:016x}.json")),
        }
    }

    /// The draft file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write the draft atomically (0600). Safe to call from a signal-handling task.
    pub fn save<T: Serialize>(&self, state: &T) -> Result<(), ConfigError> {
        let bytes = Self::encode(state)?;
        self.save_raw(&bytes)
    }

    /// Write already-serialised draft bytes (used by the panic hook, which cannot allocate much).
    pub fn save_raw(&self, bytes: &[u8]) -> Result<(), ConfigError> {
        let dir = parent_dir(&self.path);
        ensure_dir(&dir)?;
        restrict_dir(&dir)?;
        write_atomic(&self.path, bytes, &mut || Ok(()))?;
        tracing::debug!(path = %self.path.display(), bytes = bytes.len(), "draft saved");
        Ok(())
    }

    /// Serialise a state the way [`DraftStore::save`] would write it (`saved_at` is now).
    pub fn encode<T: Serialize>(state: &T) -> Result<Vec<u8>, ConfigError> {
        let envelope = EnvelopeOut {
            format: DRAFT_FORMAT,
            saved_at: now(),
            state,
        };
        serde_json::to_vec_pretty(&envelope).map_err(|e| ConfigError::Draft {
            path: PathBuf::new(),
            message: format!("the wizard state could not be serialised: {e}"),
        })
    }

    /// The draft, if one exists and parses.
    ///
    /// A damaged draft, or one from another draft format, is an error (never a panic); the
    /// file is left in place so the caller can tell the user and [`DraftStore::clear`] it.
    pub fn load<T: DeserializeOwned>(&self) -> Result<Option<Draft<T>>, ConfigError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(ConfigError::io(&self.path, "reading", e)),
        };
        let unusable = |message: String| ConfigError::Draft {
            path: self.path.clone(),
            message,
        };
        let envelope: EnvelopeIn = serde_json::from_slice(&bytes)
            .map_err(|e| unusable(format!("it is damaged ({e}); start over or delete it")))?;
        if envelope.format != DRAFT_FORMAT {
            return Err(unusable(format!(
                "it was written by another version of snow-connect (draft format {}, this one \
                 reads {DRAFT_FORMAT}); start over or delete it",
                envelope.format
            )));
        }
        let state = serde_json::from_value(envelope.state).map_err(|e| {
            unusable(format!(
                "it does not match this version's wizard ({e}); start over or delete it"
            ))
        })?;
        Ok(Some(Draft {
            state,
            saved_at: envelope.saved_at,
        }))
    }

    /// Remove the draft (after a finished save).
    pub fn clear(&self) -> Result<(), ConfigError> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(ConfigError::io(&self.path, "removing", e)),
        }
        let dir = parent_dir(&self.path);
        sync_dir(&dir).map_err(|e| ConfigError::io(&dir, "syncing the directory", e))
    }
}

/// Delete every draft under `state_dir` older than `max_age` at `now`; returns the paths
/// removed. A draft's age is its `saved_at` (what the user last did), or the file's mtime when
/// it does not parse (a damaged draft, or a temporary file a killed write left). Only regular
/// files directly in the drafts directory are considered, and symlinks are never followed.
/// Failures are logged, not returned: pruning must never keep the wizard from starting.
pub fn prune_drafts(state_dir: &Path, max_age: Duration, now: SystemTime) -> Vec<PathBuf> {
    let dir = state_dir.join("drafts");
    let entries = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) => {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(dir = %dir.display(), "cannot list the drafts: {e}");
            }
            return Vec::new();
        }
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.file_type().is_file() {
            continue;
        }
        let written = saved_at_of(&path)
            .map(|secs| UNIX_EPOCH + Duration::from_secs(secs))
            .or_else(|| meta.modified().ok());
        let Some(written) = written else {
            continue;
        };
        // A clock set back makes a draft "from the future": keep it.
        let old = now.duration_since(written).is_ok_and(|age| age > max_age);
        if !old {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => {
                tracing::info!(path = %path.display(), "pruned an old draft");
                removed.push(path);
            }
            Err(e) => tracing::warn!(path = %path.display(), "cannot prune an old draft: {e}"),
        }
    }
    if !removed.is_empty()
        && let Err(e) = sync_dir(&dir)
    {
        tracing::warn!(dir = %dir.display(), "cannot sync the drafts directory: {e}");
    }
    removed
}

/// The `saved_at` of a draft file, when it is one this build can read the envelope of.
fn saved_at_of(path: &Path) -> Option<u64> {
    #[derive(Deserialize)]
    struct SavedAt {
        saved_at: u64,
    }
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice::<SavedAt>(&bytes)
        .ok()
        .map(|s| s.saved_at)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The config path as the same file will be named next time, even before it exists.
fn canonical(path: &Path) -> PathBuf {
    if let Ok(c) = std::fs::canonicalize(path) {
        return c;
    }
    if let Some(name) = path.file_name()
        && let Ok(dir) = std::fs::canonicalize(parent_dir(path))
    {
        return dir.join(name);
    }
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// FNV-1a: a stable hash, so a draft's name does not change between builds.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(24 * 60 * 60);

    fn draft_at(dir: &Path, name: &str, saved_at: SystemTime) -> PathBuf {
        let secs = saved_at
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        let path = dir.join("drafts").join(name);
        std::fs::create_dir_all(dir.join("drafts")).expect("mkdir");
        let text = format!(r#"{{"format":{DRAFT_FORMAT},"saved_at":{secs},"state":{{}}}}"#);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn drafts_older_than_the_limit_are_pruned_and_newer_ones_kept() {
        let state = tempfile::tempdir().expect("tempdir");
        let now = SystemTime::now();
        let old = draft_at(state.path(), "old.json", now - 31 * DAY);
        let recent = draft_at(state.path(), "recent.json", now - 29 * DAY);
        let future = draft_at(state.path(), "future.json", now + DAY);
        let removed = prune_drafts(state.path(), DRAFT_MAX_AGE, now);
        assert_eq!(removed, vec![old.clone()]);
        assert!(!old.exists());
        assert!(recent.exists());
        assert!(future.exists(), "a draft from a clock set back is kept");
    }

    #[test]
    fn the_age_is_the_drafts_saved_at_not_its_mtime() {
        let state = tempfile::tempdir().expect("tempdir");
        let now = SystemTime::now();
        // Written just now (fresh mtime), but it says it was saved 40 days ago.
        let restored = draft_at(state.path(), "restored.json", now - 40 * DAY);
        assert_eq!(
            prune_drafts(state.path(), DRAFT_MAX_AGE, now),
            vec![restored]
        );
    }

    #[test]
    fn an_unreadable_draft_is_aged_by_its_mtime() {
        let state = tempfile::tempdir().expect("tempdir");
        let dir = state.path().join("drafts");
        std::fs::create_dir_all(&dir).expect("mkdir");
        let damaged = dir.join("damaged.json");
        std::fs::write(&damaged, b"{ not json").expect("write");
        let now = SystemTime::now();
        assert!(prune_drafts(state.path(), DRAFT_MAX_AGE, now).is_empty());
        // Seen from 31 days on, its mtime is old enough.
        assert_eq!(
            prune_drafts(state.path(), DRAFT_MAX_AGE, now + 31 * DAY),
            vec![damaged]
        );
    }

    #[test]
    fn pruning_never_follows_a_symlink_or_enters_a_directory() {
        let state = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        let target = draft_at(outside.path(), "target.json", SystemTime::now() - 90 * DAY);
        let dir = state.path().join("drafts");
        std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, dir.join("link.json")).expect("symlink");
        let removed = prune_drafts(state.path(), DRAFT_MAX_AGE, SystemTime::now() + 90 * DAY);
        assert!(removed.is_empty(), "{removed:?}");
        assert!(target.exists());
        assert!(dir.join("sub").exists());
    }

    #[test]
    fn no_drafts_directory_is_nothing_to_prune() {
        let state = tempfile::tempdir().expect("tempdir");
        assert!(prune_drafts(state.path(), DRAFT_MAX_AGE, SystemTime::now()).is_empty());
    }

    #[test]
    fn a_saved_draft_is_cleared() {
        let state = tempfile::tempdir().expect("tempdir");
        let store = DraftStore::new(state.path(), &state.path().join("config.toml"));
        store
            .save(&serde_json::json!({"screen": "connect"}))
            .expect("save");
        assert!(store.path().exists());
        store.clear().expect("clear");
        assert!(!store.path().exists());
        // Clearing again (no draft) is fine.
        store.clear().expect("clear again");
    }
}
