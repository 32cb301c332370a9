//! Process exit codes shared by every command (DESIGN.md section 1).

use std::process::ExitCode;

use crate::servicenow::Error;

/// The outcomes a command can report to its caller.
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
    /// Stopped by SIGINT (Ctrl-C): 128 + 2, as shells report it.
    Interrupted = 130,
}

impl Exit {
    /// The numeric code, as the shell sees it.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The code for a failed request: 3 when no ServiceNow instance answered at all, else 1
    /// (the instance answered and refused).
    pub fn for_error(err: &Error) -> Exit {
        if err.is_unreachable() {
            Exit::Unreachable
        } else {
            Exit::Denied
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e.code())
    }
}
