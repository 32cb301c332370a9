//! Loading the file: reading it, warning about loose permissions, and checking that the
//! environment variables it names are set. Validation itself is in `validate`.

use std::path::Path;

use super::validate::{line_col, parse};
use super::{Config, ConfigError, Warning, owner};

/// A loaded config plus warnings (e.g. permissions) to show the user.
#[derive(Debug)]
pub struct Loaded {
    /// The config.
    pub config: Config,
    /// Non-fatal findings.
    pub warnings: Vec<Warning>,
}

/// Load and validate the file at `path`, and check that every `*_env` variable it names is set.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let (text, warnings) = read(path)?;
    let parsed = parse(&text, path)?;
    for env in &parsed.env_refs {
        let set = std::env::var_os(&env.var).is_some_and(|v| !v.is_empty());
        if !set {
            return Err(ConfigError::EnvNotSet {
                path: path.to_path_buf(),
                key: env.key.to_string(),
                var: env.var.clone(),
                at: Some(line_col(&text, env.offset)),
            });
        }
    }
    Ok(Loaded {
        config: parsed.config,
        warnings,
    })
}

/// Load and validate the file at `path` without requiring its `*_env` variables to be set
/// (for showing, editing or removing a config in a shell that lacks them).
pub fn load_for_edit(path: &Path) -> Result<Loaded, ConfigError> {
    let (text, warnings) = read(path)?;
    let parsed = parse(&text, path)?;
    Ok(Loaded {
        config: parsed.config,
        warnings,
    })
}

/// Validate TOML text (`path` is only used in messages).
pub fn load_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
    parse(text, path).map(|p| p.config)
}

/// The file's text, plus a warning when other users can read it. A file that another user
/// owns or can write is refused (see `owner`).
pub(crate) fn read(path: &Path) -> Result<(String, Vec<Warning>), ConfigError> {
    let text = read_text(path)?;
    let mut warnings = Vec::new();
    if let Ok(meta) = std::fs::metadata(path) {
        owner::check(path, &meta)?;
        if let Some(w) = permission_warning(path, &meta) {
            warnings.push(w);
        }
    }
    Ok((text, warnings))
}

/// The file as UTF-8 text; a missing file is [`ConfigError::NotFound`].
pub(crate) fn read_text(path: &Path) -> Result<String, ConfigError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfigError::NotFound {
                path: path.to_path_buf(),
            });
        }
        Err(e) => return Err(ConfigError::io(path, "reading", e)),
    };
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let good = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let before = String::from_utf8_lossy(&bytes[..good]);
            let (line, column) = line_col(&before, before.len());
            Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message: "the file is not UTF-8 text; save it as UTF-8".to_string(),
            })
        }
    }
}

#[cfg(unix)]
fn permission_warning(path: &Path, meta: &std::fs::Metadata) -> Option<Warning> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return None;
    }
    let shown = path.display().to_string();
    Some(Warning {
        message: format!(
            "{shown} has mode {mode:04o}: other users on this machine can access it, and it may \
             hold secrets. Restrict it with: `chmod 600 {}`",
            shell_quote(&shown)
        ),
    })
}

#[cfg(not(unix))]
fn permission_warning(_path: &Path, _meta: &std::fs::Metadata) -> Option<Warning> {
    None
}

/// Quote a path so a user can paste the suggested command.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:=@%~".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
