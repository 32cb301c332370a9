//! Atomic saves (temp file, fsync, rename, fsync dir) with mode 0600, keeping comments.

use std::io;
use std::path::{Path, PathBuf};

use super::atomic::{self, parent_dir, sync_dir, write_atomic};
use super::render::{Secrets, document};
use super::{Config, ConfigError, edit, load, lock, validate};

/// What the saver believes is on disk, so that a save never silently drops what someone
/// else wrote meanwhile (another wizard, a hand edit).
#[derive(Debug, Clone, Default)]
pub enum Base {
    /// No check (tests, and saves the user confirmed after seeing what changed).
    #[default]
    Any,
    /// There was no file when the editing started.
    Absent,
    /// The file said this when it was loaded. Edits that do not change the settings (comments,
    /// spacing) do not count: the save edits the file in place and keeps them.
    Loaded(Box<Config>),
}

/// How to save.
#[derive(Debug, Clone, Default)]
pub struct SaveOptions {
    /// Allow saving a different instance over the existing file (deletes its endpoints).
    ///
    /// Replacing writes a fresh file: nothing of the old one is kept (its endpoints belong to
    /// the old instance's dictionary). Only the endpoints in the saved [`Config`] are written,
    /// so a caller replacing an instance passes the endpoints made for the new one, usually
    /// none (see [`Config::for_new_instance`]).
    pub replace_instance: bool,
    /// What the file is expected to hold; a difference is [`ConfigError::ChangedOnDisk`].
    pub base: Base,
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
    let _lock = lock::Lock::acquire(&target)?;
    let existing = match load::read_text(&target) {
        Ok(text) => Some(text),
        Err(ConfigError::NotFound { .. }) => None,
        Err(e) => return Err(e),
    };
    let changes = changes_since(&opts.base, existing.as_deref(), path);
    if !changes.is_empty() {
        return Err(ConfigError::ChangedOnDisk {
            path: path.to_path_buf(),
            changes,
        });
    }
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
    // Under the lock no other save is writing, so any temporary file left is a killed save's.
    atomic::remove_leftover_temps(&target);
    tracing::info!(
        path = %target.display(),
        endpoints = config.endpoints.len(),
        "config saved"
    );
    Ok(())
}

/// What differs between `base` and the file's current text, one sentence each; empty when
/// the save may go ahead.
fn changes_since(base: &Base, now: Option<&str>, path: &Path) -> Vec<String> {
    match (base, now) {
        (Base::Any, _) | (Base::Absent, None) => Vec::new(),
        (Base::Absent, Some(text)) => match validate::parse(text, path) {
            Ok(p) => vec![format!(
                "the file was created meanwhile, connected to {} with {} endpoint(s)",
                crate::sanitize::line(&p.config.servicenow.instance_url),
                p.config.endpoints.len()
            )],
            Err(_) => vec!["the file was created meanwhile (and does not load)".to_string()],
        },
        (Base::Loaded(_), None) => vec!["the file was deleted".to_string()],
        (Base::Loaded(old), Some(text)) => match validate::parse(text, path) {
            Ok(p) => describe_changes(old, &p.config),
            Err(_) => vec!["the file was edited and no longer loads".to_string()],
        },
    }
}

/// The differences between two configs in words; secrets are only said to have changed.
pub(crate) fn describe_changes(old: &Config, new: &Config) -> Vec<String> {
    let mut out = Vec::new();
    let (a, b) = (&old.servicenow, &new.servicenow);
    let line = |s: &str| crate::sanitize::line(s).into_owned();
    for (what, x, y) in [
        ("instance_url", &a.instance_url, &b.instance_url),
        ("client_id", &a.client_id, &b.client_id),
        ("username", &a.username, &b.username),
    ] {
        if x != y {
            out.push(format!(
                "{what} changed from \"{}\" to \"{}\"",
                line(x),
                line(y)
            ));
        }
    }
    if !a.client_secret.same_as(&b.client_secret) {
        out.push("the client secret (or where it is kept) changed".to_string());
    }
    if !a.password.same_as(&b.password) {
        out.push("the password (or where it is kept) changed".to_string());
    }
    for e in &new.endpoints {
        match old.endpoint(&e.name) {
            None => out.push(format!("endpoint \"{}\" was added", line(&e.name))),
            Some(o) if o != e => out.push(format!("endpoint \"{}\" was changed", line(&e.name))),
            Some(_) => {}
        }
    }
    for e in &old.endpoints {
        if new.endpoint(&e.name).is_none() {
            out.push(format!("endpoint \"{}\" was removed", line(&e.name)));
        }
    }
    if out.is_empty() && old.endpoints != new.endpoints {
        out.push("the endpoints were reordered".to_string());
    }
    out
}

/// What [`remove`] deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// A plain file.
    File,
    /// A symlink and the file it pointed to.
    LinkAndTarget(PathBuf),
    /// Only the symlink; the file it points to is still there.
    LinkOnly(PathBuf),
}

/// Delete the config (the integration and every endpoint), and any temporary file a killed
/// save left next to it (they may hold inline secrets). When `path` is a symlink, the file it
/// points to is deleted too unless `keep_target` (see [`symlink_target`]).
pub fn remove(path: &Path, keep_target: bool) -> Result<Removed, ConfigError> {
    let target = symlink_target(path);
    let removed = match &target {
        Some(t) if !keep_target => {
            remove_file(t)?;
            remove_file(path)?;
            Removed::LinkAndTarget(t.clone())
        }
        Some(t) => {
            remove_file(path)?;
            Removed::LinkOnly(t.clone())
        }
        None => {
            remove_file(path)?;
            Removed::File
        }
    };
    tracing::info!(path = %path.display(), "config removed");
    for p in std::iter::once(path).chain(target.as_deref()) {
        atomic::remove_leftover_temps(p);
        let dir = parent_dir(p);
        sync_dir(&dir).map_err(|e| ConfigError::io(&dir, "syncing the directory", e))?;
    }
    Ok(removed)
}

/// Where a symlinked config really is (`None` for a plain file).
pub fn symlink_target(path: &Path) -> Option<PathBuf> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => std::fs::canonicalize(path).ok(),
        _ => None,
    }
}

fn remove_file(path: &Path) -> Result<(), ConfigError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(ConfigError::NotFound {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(ConfigError::io(path, "removing", e)),
    }
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
