//! Process exit codes shared by every command (DESIGN.md section 1). The library returns a
//! [`Verdict`]; this is the one place it becomes a number.

use std::process::ExitCode;

use crate::diagnose::{Verdict, verdict_of_error};
use crate::servicenow::Error;

/// The outcomes a command can report to its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything required worked.
    Success = 0,
    /// Something must change in ServiceNow or in the config.
    Denied = 1,
    /// Usage, config or input error.
    Usage = 2,
    /// Could not talk to the instance, or it is unavailable.
    Unreachable = 3,
    /// The instance rate-limited us: try again later.
    RetryLater = 4,
    /// Stopped by SIGINT (Ctrl-C): 128 + 2, as shells report it.
    Interrupted = 130,
}

impl Exit {
    /// The numeric code, as the shell sees it.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The code for a verdict.
    pub fn for_verdict(v: Verdict) -> Exit {
        match v {
            Verdict::Works => Exit::Success,
            Verdict::MustChange => Exit::Denied,
            Verdict::Usage => Exit::Usage,
            Verdict::Unreachable => Exit::Unreachable,
            Verdict::RetryLater => Exit::RetryLater,
        }
    }

    /// The code for a failed request, through its root cause: 3 when the instance could not be
    /// reached or is unavailable, 4 when it rate-limited us, else 1.
    pub fn for_error(err: &Error) -> Exit {
        Exit::for_verdict(verdict_of_error(err))
    }
}

impl From<Verdict> for Exit {
    fn from(v: Verdict) -> Self {
        Exit::for_verdict(v)
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verdict_has_its_code() {
        let codes: Vec<u8> = [
            Verdict::Works,
            Verdict::MustChange,
            Verdict::Usage,
            Verdict::Unreachable,
            Verdict::RetryLater,
        ]
        .into_iter()
        .map(|v| Exit::from(v).code())
        .collect();
        assert_eq!(codes, vec![0, 1, 2, 3, 4]);
        assert_eq!(Exit::for_error(&Error::Hibernating), Exit::Unreachable);
        assert_eq!(Exit::for_error(&Error::Cancelled), Exit::Denied);
    }
}
