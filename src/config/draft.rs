//! Drafts of an unfinished wizard, so a dropped SSH session loses nothing.
//!
//! The wizard decides what goes in a draft (serde); secrets are never part of it.

use std::path::{Path, PathBuf};

use serde::{Serialize, de::DeserializeOwned};

use super::ConfigError;

/// A stored draft: what the wizard saved and when.
#[derive(Debug, Clone)]
pub struct Draft<T> {
    /// The wizard's state.
    pub state: T,
    /// Unix seconds when it was written.
    pub saved_at: u64,
}

/// Where the draft for one config path lives (0600 file in the state dir).
#[derive(Debug, Clone)]
pub struct DraftStore {
    path: PathBuf,
}

impl DraftStore {
    /// The draft store for the config at `config_path`, under `state_dir`.
    pub fn new(state_dir: &Path, config_path: &Path) -> DraftStore {
        let _ = (state_dir, config_path);
        todo!("config: drafts")
    }
    /// The draft file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// Write the draft atomically (0600). Safe to call from a signal-handling task.
    pub fn save<T: Serialize>(&self, state: &T) -> Result<(), ConfigError> {
        let _ = state;
        todo!("config: drafts")
    }
    /// Write already-serialised draft bytes (used by the panic hook, which cannot allocate much).
    pub fn save_raw(&self, bytes: &[u8]) -> Result<(), ConfigError> {
        let _ = bytes;
        todo!("config: drafts")
    }
    /// Serialise a state the way [`DraftStore::save`] would write it.
    pub fn encode<T: Serialize>(state: &T) -> Result<Vec<u8>, ConfigError> {
        let _ = state;
        todo!("config: drafts")
    }
    /// The draft, if one exists and parses.
    pub fn load<T: DeserializeOwned>(&self) -> Result<Option<Draft<T>>, ConfigError> {
        todo!("config: drafts")
    }
    /// Remove the draft (after a finished save).
    pub fn clear(&self) -> Result<(), ConfigError> {
        todo!("config: drafts")
    }
}
