//! Why a dictionary could not be read.

use std::time::Duration;

use crate::servicenow::{Error, RateLimitAnswer};

/// Why the dictionary could not be read; each says which ACL is missing where that is known.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DictionaryError {
    /// The table does not exist (or sys_db_object has no row for it).
    #[error("table {0} not found in sys_db_object")]
    NoSuchTable(String),
    /// A metadata read was denied; `acl` names the missing ACL (e.g. `sys_dictionary.*`).
    #[error(
        "cannot read the dictionary: the integration user lacks the read ACL {acl} ({evidence})"
    )]
    Denied {
        /// The ACL to add, e.g. `sys_dictionary.*`.
        acl: String,
        /// What ServiceNow answered.
        evidence: String,
    },
    /// Transport or protocol failure.
    #[error(transparent)]
    Client(#[from] Error),
}

impl RateLimitAnswer for DictionaryError {
    fn rate_limited(&self) -> Option<Option<Duration>> {
        match self {
            DictionaryError::Client(e) => e.rate_limited(),
            _ => None,
        }
    }
}
