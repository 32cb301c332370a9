//! Turning an endpoint plus an alert into an incident: validate against the live dictionary,
//! build the exact JSON body, create it once (never resent blindly), and report its number.
//! Used by `send`, by `check --create-test-incident` and by the wizard's test button.

mod plan;
pub mod send_policy;

pub use plan::needs_value;

/// The endpoint verdict types, defined in the dictionary layer so every layer can carry them.
pub use crate::dictionary::{EndpointCheck, FieldProblem, Unchecked};

use crate::config::Endpoint;
use crate::dictionary::{Dictionary, LookupRequest, LookupResults};
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
    /// Things adjusted on the way (e.g. that short_description was cut to 160 characters).
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

/// Validate every endpoint against the live dictionary of its table: the dictionary's
/// mandatory fields (beyond short_description/description), types and lengths, choice values
/// (and dependent choices), and that referenced records exist.
///
/// The one validation behind `send`, `check` and the wizard. Reference values are looked up
/// with one `sys_idIN…` request per referenced table for all endpoints together (bounded, see
/// [`crate::dictionary::lookup`]). A lookup that could not be made (rate limit, unreachable,
/// denied) lands in [`EndpointCheck::unchecked`], never in `problems`. Endpoints of another
/// table than `dictionary.table` get a `table` problem. The result is in `endpoints` order.
pub async fn validate_endpoints(
    client: &Client,
    endpoints: &[Endpoint],
    dictionary: &Dictionary,
) -> Vec<EndpointCheck> {
    let checked: Vec<plan::Checked> = endpoints
        .iter()
        .map(|e| plan::check(e, &Alert::connection_test(), dictionary))
        .collect();
    let lookups = look_up(client, &checked).await;
    endpoints
        .iter()
        .zip(checked)
        .map(|(e, c)| verdict(e, c, Some(&lookups)))
        .collect()
}

/// [`validate_endpoints`] without the reference lookups, for when there is no connection (the
/// wizard before or between checks): reference values are checked for their form only.
pub fn validate_offline(endpoint: &Endpoint, dictionary: &Dictionary) -> EndpointCheck {
    let c = plan::check(endpoint, &Alert::connection_test(), dictionary);
    verdict(endpoint, c, None)
}

/// [`plan`], plus the reference lookups of [`validate_endpoints`]: what `send` uses. A
/// reference that does not exist is a problem; one that could not be looked up is a note
/// (ServiceNow stores the value either way, and the insert meets the same condition).
pub async fn plan_checked(
    client: &Client,
    endpoint: &Endpoint,
    alert: &Alert,
    dictionary: &Dictionary,
) -> Result<Plan, Vec<Problem>> {
    let c = plan::check(endpoint, alert, dictionary);
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let lookups = look_up(client, std::slice::from_ref(&c)).await;
    let mut problems = Vec::new();
    let mut notes = c.notes;
    for r in &c.references {
        match plan::judge_reference(r, &lookups.get(&r.table, &r.sys_id)) {
            Ok(None) => {}
            Ok(Some(message)) => problems.push(Problem {
                endpoint: endpoint.name.clone(),
                field: r.element.clone(),
                message,
            }),
            Err(u) => notes.push(format!("{}: {}", u.field, u.message)),
        }
    }
    if problems.is_empty() {
        Ok(Plan {
            body: c.body,
            notes,
        })
    } else {
        Err(problems)
    }
}

/// One lookup for every reference of every checked endpoint.
async fn look_up(client: &Client, checked: &[plan::Checked]) -> LookupResults {
    let mut req = LookupRequest::default();
    for r in checked.iter().flat_map(|c| &c.references) {
        req.add(&r.table, &r.sys_id);
    }
    if req.is_empty() {
        return LookupResults::default();
    }
    req.run(client).await
}

/// Fold the offline pass and (when made) the lookups into the verdict.
fn verdict(
    endpoint: &Endpoint,
    c: plan::Checked,
    lookups: Option<&LookupResults>,
) -> EndpointCheck {
    let mut problems: Vec<FieldProblem> = c
        .problems
        .into_iter()
        .map(|p| FieldProblem {
            field: p.field,
            message: p.message,
        })
        .collect();
    let mut unchecked = Vec::new();
    for r in lookups.map_or(&[][..], |_| &c.references[..]) {
        let found = lookups.map(|l| l.get(&r.table, &r.sys_id));
        match found.as_ref().map(|f| plan::judge_reference(r, f)) {
            Some(Ok(Some(message))) => problems.push(FieldProblem {
                field: r.element.clone(),
                message,
            }),
            Some(Err(u)) => unchecked.push(u),
            Some(Ok(None)) | None => {}
        }
    }
    EndpointCheck {
        name: endpoint.name.clone(),
        ok: problems.is_empty(),
        problems,
        unchecked,
        notes: c.notes,
    }
}

/// A plan with only the alert text, for connection tests (no endpoint needed).
pub fn plan_test(dictionary: Option<&Dictionary>) -> Plan {
    let (body, notes) = plan::alert_body(&Alert::connection_test(), dictionary);
    Plan { body, notes }
}

/// The link a person can open for an incident.
pub fn incident_url(instance: &crate::servicenow::InstanceUrl, sys_id: &str) -> String {
    instance.join(&format!("/nav_to.do?uri=incident.do?sys_id={sys_id}"))
}

/// POST the plan to `/api/now/table/incident`.
pub async fn create(client: &Client, plan: &Plan) -> Result<CreatedIncident, Error> {
    let created = client.create_record("incident", &plan.body).await?;
    let invalid = |reason: &str| Error::InvalidResponse {
        url: client.instance().join("/api/now/table/incident"),
        reason: reason.to_string(),
    };
    let number = crate::servicenow::field_string(&created.record, "number")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| invalid("the created record has no number"))?;
    let sys_id = crate::servicenow::field_string(&created.record, "sys_id")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("the created record has no sys_id"))?;
    // Both end up in a terminal and a URL: accept only what ServiceNow really sends.
    if !sys_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(invalid("the created record's sys_id is not alphanumeric"));
    }
    let number = crate::sanitize::line(&number).into_owned();
    Ok(CreatedIncident {
        url: incident_url(client.instance(), &sys_id),
        number,
        sys_id,
        record: created.record,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_plan_is_clearly_labelled_and_fits() {
        let p = plan_test(None);
        let sd = p.body.get("short_description").and_then(|v| v.as_str());
        assert!(sd.is_some_and(|s| s.contains("snow-connect connection test")));
        assert!(p.body.contains_key("description"));
        assert!(p.notes.is_empty());
    }
}
