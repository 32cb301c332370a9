//! The real binary, started so that it can never touch the runner's home: HOME-independent
//! state (logs, drafts, remembered rejected logins) always goes to the test's own directory,
//! and secrets or a config from the runner's environment never leak in.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_snow-connect");

/// Variables of the runner that would change what the binary does or which files it reads.
pub const INHERITED: &[&str] = &[
    "SNOW_CONNECT_CONFIG",
    "SNOW_CONNECT_STATE_DIR",
    "SNOW_CLIENT_SECRET",
    "SNOW_PASSWORD",
    "SNOW_INSTANCE",
    "SNOW_CLIENT_ID",
    "SNOW_USERNAME",
    // Headless output wraps at COLUMNS when it is not a terminal.
    "COLUMNS",
];

/// The state variables for a process whose XDG state home is `state_home`: the state dir is
/// named explicitly too, so a test never falls back to the real home's and never sees another
/// test's remembered rejections.
pub fn state_env(state_home: &Path) -> [(&'static str, PathBuf); 2] {
    [
        ("XDG_STATE_HOME", state_home.to_path_buf()),
        ("SNOW_CONNECT_STATE_DIR", state_home.join("snow-connect")),
    ]
}

/// `snow-connect` with a clean environment, its state under `state_home`, and stdin closed.
pub fn command(state_home: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    for var in INHERITED {
        cmd.env_remove(var);
    }
    cmd.envs(state_env(state_home)).stdin(Stdio::null());
    cmd
}

/// [`command`] for async tests; killed when the future is dropped (a timeout).
pub fn tokio_command(state_home: &Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::from(command(state_home));
    cmd.kill_on_drop(true);
    cmd
}

/// A fresh directory for a run that has no home of its own, under cargo's per-target scratch
/// dir (kept after the run, so a failure can be looked at; `cargo clean` removes it).
pub fn scratch() -> PathBuf {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("it");
    std::fs::create_dir_all(&base).expect("create the scratch dir");
    tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(&base)
        .expect("make a scratch dir")
        .keep()
}
