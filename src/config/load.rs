//! Loading and validating the file.

use std::path::Path;

use super::{Config, ConfigError, Warning};

/// A loaded config plus warnings (e.g. permissions) to show the user.
#[derive(Debug)]
pub struct Loaded {
    /// The config.
    pub config: Config,
    /// Non-fatal findings.
    pub warnings: Vec<Warning>,
}

/// Load and validate the file at `path`.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let _ = path;
    todo!("config: load")
}

/// Validate TOML text (`path` is only used in messages).
pub fn load_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let _ = (text, path);
    todo!("config: load_str")
}
