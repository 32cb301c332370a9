//! Atomic saves (temp file, fsync, rename, fsync dir) with mode 0600, keeping comments.

use std::io;
use std::path::{Path, PathBuf};

use super::atomic::{parent_dir, sync_dir, write_atomic};
use super::render::{Secrets, document};
use super::{Config, ConfigError, edit, load, validate};

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
            let old = validate::parse(&old_text, path)?;
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
    let written = validate::parse(&text, path).map_err(|e| rejected(path, e))?;
    if !written.config.same_as(config) {
        return Err(ConfigError::Rejected {
            path: path.to_path_buf(),
            message: "the edited file would not read back as the saved settings (a bug in \
                      snow-connect); nothing was written"
                .to_string(),
        });
    }
    write_atomic(&target, text.as_bytes(), before_rename)?;
    tracing::info!(
        path = %target.display(),
        endpoints = config.endpoints.len(),
        "config saved"
    );
    Ok(())
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
    tracing::info!(path = %path.display(), "config removed");
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Endpoint, SecretRef, ServiceNowConfig};
    use secrecy::SecretString;

    fn config(username: &str) -> Config {
        Config {
            servicenow: ServiceNowConfig {
                instance_url: "https://acme.service-now.com".to_string(),
                client_id: "client".to_string(),
                client_secret: SecretRef::Inline(SecretString::from("s3cret".to_string())),
                username: username.to_string(),
                password: SecretRef::Env("SNOW_PASSWORD".to_string()),
            },
            endpoints: vec![Endpoint {
                name: "FinOps anomalies".to_string(),
                description: String::new(),
                table: "incident".to_string(),
                fields: Vec::new(),
            }],
        }
    }

    fn dir_entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A failure between writing the temporary file and renaming it leaves the old file
    /// byte for byte, and no temporary file behind.
    fn interrupted(err: io::Error, expect_words: &str) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        save(&path, &config("old.user"), SaveOptions::default()).expect("first save");
        let before = std::fs::read_to_string(&path).expect("read");

        let mut err = Some(err);
        let mut calls = 0;
        let result = save_with(
            &path,
            &config("new.user"),
            SaveOptions::default(),
            &mut || {
                calls += 1;
                // The new content is complete on disk at this point: prove the hook runs late.
                let tmp: Vec<String> = dir_entries(dir.path())
                    .into_iter()
                    .filter(|n| n.ends_with(".tmp"))
                    .collect();
                assert_eq!(tmp.len(), 1, "one temporary file while saving: {tmp:?}");
                let text = std::fs::read_to_string(dir.path().join(&tmp[0])).expect("tmp");
                assert!(text.contains("new.user"));
                Err(err.take().expect("called once"))
            },
        );
        assert_eq!(calls, 1);
        let e = result.expect_err("save must fail");
        let msg = e.to_string();
        assert!(matches!(e, ConfigError::Io { .. }), "{e:?}");
        assert!(msg.contains(expect_words), "{msg}");
        assert!(msg.contains("nothing on disk was changed"), "{msg}");
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), before);
        assert_eq!(dir_entries(dir.path()), vec!["config.toml".to_string()]);
    }

    #[test]
    fn disk_full_between_write_and_rename_keeps_the_old_file() {
        interrupted(io::Error::from_raw_os_error(libc::ENOSPC), "disk full");
    }

    #[test]
    fn permission_denied_between_write_and_rename_keeps_the_old_file() {
        interrupted(
            io::Error::from_raw_os_error(libc::EACCES),
            "permission denied",
        );
    }

    #[test]
    fn a_failed_first_save_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        let r = save_with(&path, &config("u"), SaveOptions::default(), &mut || {
            Err(io::Error::from_raw_os_error(libc::ENOSPC))
        });
        assert!(r.is_err());
        assert!(dir_entries(dir.path()).is_empty());
    }

    #[test]
    fn a_config_that_breaks_the_schema_is_not_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        let mut c = config("u");
        c.endpoints.push(c.endpoints[0].clone());
        let e = save(&path, &c, SaveOptions::default()).expect_err("duplicate names");
        assert!(matches!(e, ConfigError::Rejected { .. }), "{e:?}");
        assert!(e.to_string().contains("duplicate endpoint name"), "{e}");
        assert!(!path.exists());
    }

    #[test]
    fn saving_through_a_symlink_keeps_the_link() {
        let dir = tempfile::tempdir().expect("tempdir");
        let real = dir.path().join("real.toml");
        let link = dir.path().join("config.toml");
        save(&real, &config("a"), SaveOptions::default()).expect("save");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        save(&link, &config("b"), SaveOptions::default()).expect("save via link");
        assert!(
            std::fs::symlink_metadata(&link)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
        assert!(
            std::fs::read_to_string(&real)
                .expect("read")
                .contains("username = \"b\"")
        );
    }

    #[test]
    fn same_instance_ignores_case_and_trailing_slash() {
        assert!(same_instance(
            "https://Acme.service-now.com/",
            "https://acme.service-now.com"
        ));
        assert!(!same_instance(
            "https://acme.service-now.com",
            "https://acme-dev.service-now.com"
        ));
    }
}
