//! Turning an endpoint plus an alert into an incident: validate against the live dictionary,
//! build the exact JSON body, create it once (never resent blindly), and report its number.
//! Used by `send`, by `check --create-test-incident` and by the wizard's test button.

mod plan;
pub mod send_policy;

use crate::config::Endpoint;
use crate::diagnose::Dictionary;
use crate::servicenow::{Client, Error, Record};

/// The alert text that fills the mandatory fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Goes to `short_description`.
    pub short_description: String,
    /// Goes to `description`.
    pub description: String,
}

impl Alert {
    /// The clearly labelled alert used for connection tests.
    pub fn connection_test() -> Alert {
        Alert {
            short_description: "snow-connect connection test (safe to close)".into(),
            description: "Created by snow-connect to prove that the Finout integration user can \
                          create incidents. No action is needed; close or delete this incident."
                .into(),
        }
    }
}

/// A problem found before sending; names the endpoint, the field and what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("endpoint {endpoint:?}, field {field}: {message}")]
pub struct Problem {
    /// Endpoint name.
    pub endpoint: String,
    /// Field element.
    pub field: String,
    /// What is wrong and what to change.
    pub message: String,
}

/// A validated incident, ready to POST.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The exact JSON body.
    pub body: Record,
    /// Things adjusted on the way (e.g. "short_description truncated to 160 characters").
    pub notes: Vec<String>,
}

/// A created incident.
#[derive(Debug, Clone)]
pub struct CreatedIncident {
    /// `INC0010001`.
    pub number: String,
    /// 32-hex sys_id.
    pub sys_id: String,
    /// `https://INSTANCE/nav_to.do?uri=incident.do?sys_id=...`.
    pub url: String,
    /// The record as ServiceNow returned it.
    pub record: Record,
}

/// Validate `endpoint` against `dictionary` and build the body for `alert`.
pub fn plan(
    endpoint: &Endpoint,
    alert: &Alert,
    dictionary: &Dictionary,
) -> Result<Plan, Vec<Problem>> {
    plan::build(endpoint, alert, dictionary)
}

/// A plan with only the alert text, for connection tests (no endpoint needed).
pub fn plan_test(dictionary: Option<&Dictionary>) -> Plan {
    let _ = dictionary;
    todo!("incident: plan_test")
}

/// POST the plan to `/api/now/table/incident`.
pub async fn create(client: &Client, plan: &Plan) -> Result<CreatedIncident, Error> {
    let _ = (client, plan);
    todo!("incident: create")
}
