//! Process exit codes shared by every command (DESIGN.md section 1).

use std::process::ExitCode;

/// The four outcomes a command can report to its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything required worked.
    Success = 0,
    /// The instance answered, but something required is missing or denied.
    Denied = 1,
    /// Usage, config or input error.
    Usage = 2,
    /// Could not talk to the instance at all.
    Unreachable = 3,
}

impl Exit {
    /// The numeric code, as the shell sees it.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e.code())
    }
}
