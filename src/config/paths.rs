//! Where files live: config (`directories`), drafts and logs (state dir).

use std::path::{Path, PathBuf};

use directories::ProjectDirs;

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "snow-connect")
}

/// `config.toml` in the platform config dir for "snow-connect".
pub fn default_config_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

/// `--config`, else `SNOW_CONNECT_CONFIG` (clap already merges these), else the default.
pub fn resolve_config_path(flag: Option<&Path>) -> Option<PathBuf> {
    match flag {
        Some(p) => Some(p.to_path_buf()),
        None => default_config_path(),
    }
}

/// `./snow-connect-demo.toml`, where `--demo` saves unless `--config` is given.
pub fn demo_config_path() -> PathBuf {
    PathBuf::from("snow-connect-demo.toml")
}

/// The state dir for drafts, logs and the rejected-login record. `SNOW_CONNECT_STATE_DIR`
/// points it elsewhere (tests, sandboxes); else Linux has a state dir, elsewhere the local
/// data dir. Not created here: writers create it (0700) when they first need it.
pub fn state_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(crate::servicenow::STATE_DIR_ENV).filter(|d| !d.is_empty())
    {
        return Some(PathBuf::from(dir));
    }
    let dirs = project_dirs()?;
    Some(
        dirs.state_dir()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| dirs.data_local_dir().to_path_buf()),
    )
}
