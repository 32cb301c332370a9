//! Config errors: each says where in the file (line and column) and what was expected.

use std::path::PathBuf;

/// Why a config could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No file at the path.
    #[error("no config at {path}: run `snow-connect` to create one, or pass --config")]
    NotFound {
        /// The path looked at.
        path: PathBuf,
    },
    /// The file is not valid (syntax, types, unknown keys, limits ...), with position.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong and what was expected (e.g. "unknown key `pasword`, did you mean `password`?").
        message: String,
    },
    /// An `*_env` variable named in the file is not set.
    #[error("{path}: environment variable {var} (named by {key}) is not set")]
    EnvNotSet {
        /// The file.
        path: PathBuf,
        /// The key, e.g. `password_env`.
        key: String,
        /// The variable name.
        var: String,
    },
    /// Saving a different instance over an existing config without an explicit replace.
    #[error(
        "{path} is connected to {existing}; replacing it with {new} deletes every endpoint (choose replace)"
    )]
    DifferentInstance {
        /// The file.
        path: PathBuf,
        /// The instance in the file.
        existing: String,
        /// The instance being saved.
        new: String,
    },
    /// I/O failure reading or writing (disk full, permission denied ...).
    #[error("{path}: {action} failed: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// "reading", "writing", "renaming" ...
        action: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Something worth telling the user that does not stop loading (e.g. a 0644 file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// One or two sentences, including how to fix it (e.g. `chmod 600 PATH`).
    pub message: String,
}
