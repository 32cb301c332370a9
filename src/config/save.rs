//! Atomic saves (temp file, fsync, rename, fsync dir) with mode 0600, keeping comments.

use std::path::Path;

use super::{Config, ConfigError};

/// How to save.
#[derive(Debug, Clone, Copy, Default)]
pub struct SaveOptions {
    /// Allow saving a different instance over the existing file (deletes its endpoints).
    pub replace_instance: bool,
}

/// Save `config` to `path` atomically, keeping the existing file's comments and order where
/// values did not change.
pub fn save(path: &Path, config: &Config, opts: SaveOptions) -> Result<(), ConfigError> {
    let _ = (path, config, opts);
    todo!("config: save")
}

/// Delete the config file (the integration and every endpoint).
pub fn remove(path: &Path) -> Result<(), ConfigError> {
    let _ = path;
    todo!("config: remove")
}
