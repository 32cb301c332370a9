//! The verdict on one endpoint against the live dictionary, as `check --json` prints it in
//! `endpoints` and as the wizard flags it. Defined here, below every layer that reports it.

use serde::Serialize;

use super::LookupFailure;

/// One endpoint's verdict: `{name, ok, problems: [{field, message}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointCheck {
    /// The endpoint's name.
    pub name: String,
    /// True when nothing is wrong with the endpoint (`problems` is empty). Unchecked
    /// references do not make it false: they are not wrong values.
    pub ok: bool,
    /// What must change, one per field, each saying what to change.
    pub problems: Vec<FieldProblem>,
    /// Checks that could not be made (a reference lookup rate limited, unreachable or
    /// denied); not wrong values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unchecked: Vec<Unchecked>,
    /// Things worth knowing that need no change (a skipped choice check, cut alert text).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A wrong value: the field and what to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// The field's element, e.g. `caller_id` (or `table`).
    pub field: String,
    /// What is wrong and what to change.
    pub message: String,
}

/// A check that could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unchecked {
    /// The field's element.
    pub field: String,
    /// What could not be checked and why.
    pub message: String,
    /// Why, as data (`reason`: rate_limited, unreachable, denied, too_many, failed).
    pub failure: LookupFailure,
}

impl EndpointCheck {
    /// True when every check was made (no unchecked reference).
    pub fn complete(&self) -> bool {
        self.unchecked.is_empty()
    }

    /// True when an unchecked reference was stopped by a temporary condition.
    pub fn has_transient_gap(&self) -> bool {
        self.unchecked.iter().any(|u| u.failure.is_transient())
    }
}
