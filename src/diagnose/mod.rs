//! The diagnosis: the connection ladder of DESIGN.md section 4, ACL probes that say exactly
//! what to change in ServiceNow, and dictionary discovery for the Additional Fields picker.
//!
//! Plain library code used by the wizard and by `check` / `fields`; no terminal here.

mod check;
mod dictionary;
pub mod fixes;
mod ladder;
mod probes;
mod report;

pub use check::{CheckId, CheckResult, CheckStatus};
// The dictionary model moved to `crate::dictionary`; these paths stay so callers keep working.
pub use crate::dictionary::{Choice, Dictionary, DictionaryError, Field, FieldKind, HiddenReason};
pub use dictionary::discover_dictionary;
pub use ladder::{CheckEvent, CheckOptions, ConnectionInput, Diagnosis, run_checks};
pub use report::markdown_report;
