//! The diagnosis: the connection ladder of DESIGN.md section 4, ACL probes that say exactly
//! what to change in ServiceNow, root causes and the one admin plan, and dictionary discovery
//! for the Additional Fields picker. Returns verdicts, never exit codes.
//!
//! Plain library code used by the wizard and by `check` / `fields`; no terminal here.

pub mod cause;
mod check;
pub mod create_failure;
mod dictionary;
pub mod fixes;
mod ladder;
pub mod plan;
mod probes;
mod report;
mod rows;
mod rungs;

pub use cause::{
    Cause, CauseId, CauseKind, EndpointProblem, Verdict, cause_of_error, verdict_of_error,
};
pub use check::{CheckId, CheckResult, CheckStatus};
// The dictionary model moved to `crate::dictionary`; these paths stay so callers keep working.
pub use crate::dictionary::{Choice, Dictionary, DictionaryError, Field, FieldKind, HiddenReason};
pub use dictionary::discover_dictionary;
pub use ladder::{
    CheckEvent, CheckOptions, ConnectionInput, Diagnosis, TestIncident, TestIncidentMaker,
    run_checks,
};
pub use plan::{AdminPlan, Assessment, assess};
pub use report::{markdown_report, markdown_report_for, verdict_sentence};
