//! Atomic saves (temp file, fsync, rename, fsync dir) with mode 0600, keeping comments.

use std::io;
use std::path::{Path, PathBuf};

use secrecy::ExposeSecret;

use super::atomic::{parent_dir, sync_dir, write_atomic};
use super::render::{Secrets, document};
use super::{Config, ConfigError, SecretRef, edit, load};

/// How to save.
#[derive(Debug, Clone, Copy, Default)]
pub struct SaveOptions {
    /// Allow saving a different instance over the existing file (deletes its endpoints).
    ///
    /// Replacing writes a fresh file: nothing of the old one is kept (its endpoints belong to
    /// the old instance's dictionary). Only the endpoints in the saved [`Config`] are written,
    /// so a caller replacing an instance passes the endpoints made for the new one, usually
    /// none (see [`Config::for_new_instance`]).
    pub replace_instance: bool,
}

/// Save `config` to `path` atomically, keeping the existing file's comments and order where
/// values did not change.
///
/// An existing file that does not load is never overwritten: its load error is returned.
/// Saving a different `instance_url` over an existing file needs
/// [`SaveOptions::replace_instance`]. The file is 0600 afterwards, new or edited.
pub fn save(path: &Path, config: &Config, opts: SaveOptions) -> Result<(), ConfigError> {
    save_with(path, config, opts, &mut || Ok(()))
}

/// [`save`], with a hook that runs between writing the temporary file and renaming it.
fn save_with(
    path: &Path,
    config: &Config,
    opts: SaveOptions,
    before_rename: &mut dyn FnMut() -> io::Result<()>,
) -> Result<(), ConfigError> {
    let target = follow_symlink(path);
    let existing = match load::read_text(&target) {
        Ok(text) => Some(text),
        Err(ConfigError::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let text = match existing {
        None => document(config, Secrets::Write, true).to_string(),
        Some(old_text) => {
            let old = load::parse(&old_text, path)?;
            let existing_url = &old.config.servicenow.instance_url;
            let new_url = &config.servicenow.instance_url;
            if same_instance(existing_url, new_url) {
                edit::edit(&old_text, config).map_err(|e| ConfigError::Rejected {
                    path: path.to_path_buf(),
                    message: format!("the existing file could not be edited: {}", e.message()),
                })?
            } else if opts.replace_instance {
                document(config, Secrets::Write, true).to_string()
            } else {
                return Err(ConfigError::DifferentInstance {
                    path: path.to_path_buf(),
                    existing: existing_url.clone(),
                    new: new_url.clone(),
                });
            }
        }
    };
    // Never write a file that would not load back as exactly this config.
    let written = load::parse(&text, path).map_err(|e| rejected(path, e))?;
    if !same_config(&written.config, config) {
        return Err(ConfigError::Rejected {
            path: path.to_path_buf(),
            message: "the edited file would not read back as the saved settings (a bug in \
                      snow-connect); the existing file was not changed"
                .to_string(),
        });
    }
    write_atomic(&target, text.as_bytes(), before_rename)
}

/// Delete the config file (the integration and every endpoint).
pub fn remove(path: &Path) -> Result<(), ConfigError> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(ConfigError::NotFound {
                path: path.to_path_buf(),
            });
        }
        Err(e) => return Err(ConfigError::io(path, "removing", e)),
    }
    let dir = parent_dir(path);
    sync_dir(&dir).map_err(|e| ConfigError::io(&dir, "syncing the directory", e))
}

/// Write through a symlinked config (dotfile managers) instead of replacing the link.
fn follow_symlink(path: &Path) -> PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

/// The same instance, ignoring case and a trailing slash.
pub(crate) fn same_instance(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.trim().trim_end_matches('/').to_ascii_lowercase();
    norm(a) == norm(b)
}

fn rejected(path: &Path, e: ConfigError) -> ConfigError {
    let message = match e {
        ConfigError::Invalid { message, .. } => message,
        other => other.to_string(),
    };
    ConfigError::Rejected {
        path: path.to_path_buf(),
        message,
    }
}

fn same_secret(a: &SecretRef, b: &SecretRef) -> bool {
    match (a, b) {
        (SecretRef::Inline(x), SecretRef::Inline(y)) => x.expose_secret() == y.expose_secret(),
        (SecretRef::Env(x), SecretRef::Env(y)) => x == y,
        _ => false,
    }
}

fn same_config(a: &Config, b: &Config) -> bool {
    let (x, y) = (&a.servicenow, &b.servicenow);
    x.instance_url == y.instance_url
        && x.client_id == y.client_id
        && x.username == y.username
        && same_secret(&x.client_secret, &y.client_secret)
        && same_secret(&x.password, &y.password)
        && a.endpoints == b.endpoints
}
