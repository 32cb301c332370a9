//! Config errors: each says where in the file (line and column) and what was expected.

use std::io;
use std::path::{Path, PathBuf};

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
    #[error("{}", env_not_set(path, key, var, *at))]
    EnvNotSet {
        /// The file (empty when the secret was resolved outside of loading a file).
        path: PathBuf,
        /// The key, e.g. `password_env` (empty when unknown).
        key: String,
        /// The variable name.
        var: String,
        /// 1-based (line, column) of the variable's name in the file, when known.
        at: Option<(usize, usize)>,
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
    /// The config handed to `save` breaks a rule of the schema; nothing was written.
    #[error("not saved to {path}: {message}")]
    Rejected {
        /// The file that was not written.
        path: PathBuf,
        /// The rule that was broken.
        message: String,
    },
    /// A wizard draft exists but cannot be used (damaged, or from another format version).
    #[error("{}", draft_unusable(path, message))]
    Draft {
        /// The draft file.
        path: PathBuf,
        /// What is wrong with it and what to do.
        message: String,
    },
    /// A config that another user owns or can write (refused as ssh refuses such keys).
    #[error("refusing to use {path}: {message}; if you trust it, pass --insecure-config")]
    Unsafe {
        /// The file.
        path: PathBuf,
        /// Who owns it or what its mode is, and how to fix that.
        message: String,
    },
    /// A secret kept in a command or a file could not be had. Never holds the secret or the
    /// command's output.
    #[error("`{key}`: {message}")]
    Secret {
        /// The key that names the source, e.g. `password_command`.
        key: String,
        /// What went wrong.
        message: String,
    },
    /// The file changed on disk since it was loaded; saving would drop those changes.
    #[error("{}", changed_on_disk(path, changes))]
    ChangedOnDisk {
        /// The file.
        path: PathBuf,
        /// What differs between the loaded file and the one on disk, one line each.
        changes: Vec<String>,
    },
    /// Another snow-connect is saving this file right now.
    #[error("{path} is being saved by another snow-connect (lock {lock}); try again in a moment")]
    Locked {
        /// The file.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// I/O failure reading or writing (disk full, permission denied ...).
    #[error("{action} {path} failed: {}", explain(source, action))]
    Io {
        /// The file.
        path: PathBuf,
        /// "reading", "writing", "renaming" ...
        action: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

impl ConfigError {
    /// An I/O error on `path` during `action`.
    pub(crate) fn io(path: &Path, action: &'static str, source: io::Error) -> ConfigError {
        ConfigError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }

    /// Fill in the key of an [`ConfigError::EnvNotSet`] raised without one.
    pub(crate) fn with_key(self, name: &str) -> ConfigError {
        match self {
            ConfigError::EnvNotSet { path, key, var, at } if key.is_empty() => {
                ConfigError::EnvNotSet {
                    path,
                    key: name.to_string(),
                    var,
                    at,
                }
            }
            ConfigError::Secret { key, message } if key.is_empty() => ConfigError::Secret {
                key: name.to_string(),
                message,
            },
            other => other,
        }
    }
}

fn env_not_set(path: &Path, key: &str, var: &str, at: Option<(usize, usize)>) -> String {
    let mut out = String::new();
    if !path.as_os_str().is_empty() {
        out.push_str(&path.display().to_string());
        if let Some((line, column)) = at {
            out.push_str(&format!(":{line}:{column}"));
        }
        out.push_str(": ");
    }
    out.push_str(&format!("environment variable {var}"));
    if !key.is_empty() {
        out.push_str(&format!(" (named by `{key}`)"));
    }
    out.push_str(" is not set or is empty: export it before running snow-connect");
    if let Some(inline) = key.strip_suffix("_env") {
        out.push_str(&format!(", or put the secret in the file as `{inline}`"));
    }
    out
}

fn changed_on_disk(path: &Path, changes: &[String]) -> String {
    let mut out = format!(
        "{} changed on disk since it was loaded; not saved, so those changes are kept",
        path.display()
    );
    for c in changes {
        out.push_str("\n  ");
        out.push_str(c);
    }
    out
}

fn draft_unusable(path: &Path, message: &str) -> String {
    if path.as_os_str().is_empty() {
        format!("wizard draft: {message}")
    } else {
        format!(
            "the saved wizard draft {} cannot be used: {message}",
            path.display()
        )
    }
}

/// Plain words for the I/O errors people meet when saving, plus what happened to the old file.
fn explain(err: &io::Error, action: &str) -> String {
    let what = match err.kind() {
        io::ErrorKind::StorageFull => "disk full (no space left on device)".to_string(),
        io::ErrorKind::QuotaExceeded => "disk quota exceeded".to_string(),
        io::ErrorKind::PermissionDenied => {
            "permission denied: check the owner and mode of the file and its directory".to_string()
        }
        io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only".to_string(),
        io::ErrorKind::FileTooLarge => {
            "the file would exceed the file-size limit of this process (see `ulimit -f`)"
                .to_string()
        }
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        _ => err.to_string(),
    };
    if matches!(action, "writing" | "replacing") {
        format!("{what}; nothing on disk was changed")
    } else {
        what
    }
}

/// Something worth telling the user that does not stop loading (e.g. a 0644 file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// One or two sentences, including how to fix it (e.g. `chmod 600 PATH`).
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
