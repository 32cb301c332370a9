//! Planning an incident: check an endpoint's stored fields against the live dictionary and
//! build the exact Table API body. Pure: no I/O, so every rule is unit-tested.
//!
//! Everything wrong with an endpoint is collected in one pass, so that the user fixes the
//! config once instead of discovering problems one `send` at a time.

use serde_json::Value;

use super::{Alert, Plan, Problem};
use crate::config::{Endpoint, EndpointField};
use crate::dictionary::rules::{self, ValueError};
use crate::dictionary::{
    Choice, Dictionary, Field, FieldKind, HiddenReason, Lookup, LookupFailure, Unchecked,
};
use crate::servicenow::Record;

/// Appended to alert text that was cut to fit the column, so a reader of the incident knows.
pub const TRUNCATION_MARKER: &str = "…[truncated]";

/// The alert fields every endpoint fills in.
const ALERT_FIELDS: [&str; 2] = ["short_description", "description"];

/// Mandatory columns that ServiceNow fills in itself on insert.
const SYSTEM_FILLED: [&str; 1] = ["number"];

/// How many choices a message lists before it says "and N more".
const MAX_LISTED_CHOICES: usize = 12;

const FIX_VALUE: &str = "pick another value for the endpoint in the wizard (`snow-connect`) or change `value` in the config";
const FIX_REMOVE: &str = "remove the field from the endpoint in the wizard (`snow-connect`) or delete its [[endpoints.fields]] entry in the config";
const FIX_RESELECT: &str = "select the field again in the wizard (`snow-connect`) so that its type and value are refreshed, or correct `type` and `value` in the config";

/// A reference value that passed the value rules and must still be looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Reference {
    /// The endpoint field, e.g. `caller_id`.
    pub element: String,
    /// The referenced table, e.g. `sys_user`.
    pub table: String,
    /// The sys_id configured.
    pub sys_id: String,
}

/// Everything the offline pass found: the body (valid only when `problems` is empty), notes,
/// problems, and the references that still need a lookup.
pub(super) struct Checked {
    pub body: Record,
    pub notes: Vec<String>,
    pub problems: Vec<Problem>,
    pub references: Vec<Reference>,
}

/// Validate `endpoint` against `dictionary` and build the body for `alert`.
pub(super) fn build(
    endpoint: &Endpoint,
    alert: &Alert,
    dictionary: &Dictionary,
) -> Result<Plan, Vec<Problem>> {
    let c = check(endpoint, alert, dictionary);
    if c.problems.is_empty() {
        Ok(Plan {
            body: c.body,
            notes: c.notes,
        })
    } else {
        Err(c.problems)
    }
}

/// The offline pass: every rule that needs only the dictionary (mandatory fields, types,
/// lengths, choices, dependent choices), collected in one go.
pub(super) fn check(endpoint: &Endpoint, alert: &Alert, dictionary: &Dictionary) -> Checked {
    let mut v = Validator {
        endpoint,
        dictionary,
        problems: Vec::new(),
        notes: Vec::new(),
        references: Vec::new(),
    };
    if dictionary.table != endpoint.table {
        v.problem(
            "table",
            format!(
                "the dictionary that was read is for table `{}`, not the endpoint's table `{}`",
                dictionary.table, endpoint.table
            ),
        );
        return Checked {
            body: Record::new(),
            notes: v.notes,
            problems: v.problems,
            references: Vec::new(),
        };
    }

    let (mut body, alert_notes) = alert_body(alert, Some(dictionary));
    v.notes.extend(alert_notes);

    for (i, field) in endpoint.fields.iter().enumerate() {
        if let Some(earlier) = endpoint.fields[..i]
            .iter()
            .find(|earlier| earlier.element == field.element)
        {
            v.problem(
                &field.element,
                format!(
                    "the field is configured more than once (values `{}` and `{}`); keep one entry",
                    earlier.value, field.value
                ),
            );
            continue;
        }
        if v.check_field(field) {
            body.insert(field.element.clone(), Value::String(field.value.clone()));
        }
    }
    v.check_mandatory_coverage();
    Checked {
        body,
        notes: v.notes,
        problems: v.problems,
        references: v.references,
    }
}

/// What a reference lookup says about `r`: `Ok(None)` when the record exists, `Ok(Some)` a
/// problem (the record does not exist), `Err` a note (the lookup could not be made: never
/// a wrong value).
pub(super) fn judge_reference(r: &Reference, found: &Lookup) -> Result<Option<String>, Unchecked> {
    match found {
        Lookup::Found => Ok(None),
        Lookup::Missing => Ok(Some(format!(
            "no {} record has the sys_id `{}` (it was deleted, or an ACL hides it from the integration user); {FIX_VALUE} (the wizard searches {} for you)",
            r.table, r.sys_id, r.table
        ))),
        Lookup::Unchecked(failure) => {
            let next = match failure {
                LookupFailure::Denied { .. } => format!(
                    "let the integration user read {} to have references checked",
                    r.table
                ),
                LookupFailure::TooMany { .. } => "the value itself was not judged".to_string(),
                _ => "this says nothing about the value; run `snow-connect check` again later"
                    .to_string(),
            };
            Err(Unchecked {
                field: r.element.clone(),
                message: format!(
                    "could not check that the {} record `{}` exists: {failure}; {next}",
                    r.table, r.sys_id
                ),
                failure: failure.clone(),
            })
        }
    }
}

/// Whether an endpoint must give `field` a value: the dictionary makes it mandatory and
/// neither the alert (short_description, description) nor ServiceNow (number, sys_ columns,
/// read-only columns) fills it in. The wizard's editor asks for exactly these.
pub fn needs_value(field: &Field) -> bool {
    let element = field.element.as_str();
    field.mandatory
        && !ALERT_FIELDS.contains(&element)
        && !SYSTEM_FILLED.contains(&element)
        && !element.starts_with("sys_")
        && !field.read_only
        && !matches!(
            field.hidden,
            Some(HiddenReason::System | HiddenReason::ReadOnly | HiddenReason::FilledFromAlert)
        )
}

/// The alert fields of a body (short_description, then description), each fitted to its
/// column, and a note for each that was cut. `send` and the connection test share it.
pub(super) fn alert_body(alert: &Alert, dictionary: Option<&Dictionary>) -> (Record, Vec<String>) {
    let mut body = Record::new();
    let mut notes = Vec::new();
    let texts = [&alert.short_description, &alert.description];
    for (element, text) in ALERT_FIELDS.into_iter().zip(texts) {
        let (value, note) = fit_alert_text(element, text, dictionary);
        notes.extend(note);
        body.insert(element.to_string(), Value::String(value));
    }
    (body, notes)
}

/// Fit alert text into the column's `max_length`, cutting on a char boundary and ending with
/// [`TRUNCATION_MARKER`]. Returns the text and, when it was cut, a note saying so.
///
/// Without a dictionary (the test incident before discovery) nothing is known, so nothing
/// is cut.
fn fit_alert_text(
    element: &str,
    text: &str,
    dictionary: Option<&Dictionary>,
) -> (String, Option<String>) {
    let Some(max) = dictionary
        .and_then(|d| d.field(element))
        .and_then(|f| f.max_length)
        .filter(|m| *m > 0)
    else {
        return (text.to_string(), None);
    };
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let len = text.chars().count();
    if len <= max {
        return (text.to_string(), None);
    }
    let marker_len = TRUNCATION_MARKER.chars().count();
    let cut = if max > marker_len {
        let keep = max.saturating_sub(marker_len);
        let mut s: String = text.chars().take(keep).collect();
        s.push_str(TRUNCATION_MARKER);
        s
    } else {
        // A column too short for the marker still gets a value that fits.
        text.chars().take(max).collect()
    };
    let note = format!(
        "{element} was {len} characters; the instance allows {max}, so it was cut and ends with \"{TRUNCATION_MARKER}\""
    );
    (cut, Some(note))
}

struct Validator<'a> {
    endpoint: &'a Endpoint,
    dictionary: &'a Dictionary,
    problems: Vec<Problem>,
    notes: Vec<String>,
    references: Vec<Reference>,
}

impl Validator<'_> {
    fn problem(&mut self, field: &str, message: String) {
        self.problems.push(Problem {
            endpoint: self.endpoint.name.clone(),
            field: field.to_string(),
            message,
        });
    }

    fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    /// Check one configured field; true when it may go into the body.
    fn check_field(&mut self, configured: &EndpointField) -> bool {
        let element = configured.element.as_str();
        if ALERT_FIELDS.contains(&element) {
            self.problem(
                element,
                format!("`{element}` is always filled from the alert text; {FIX_REMOVE}"),
            );
            return false;
        }
        let Some(field) = self.dictionary.field(element) else {
            self.problem(
                element,
                format!(
                    "the field no longer exists on {} (looked in {}); {FIX_REMOVE}",
                    self.dictionary.table,
                    self.dictionary.chain.join(", ")
                ),
            );
            return false;
        };
        if !self.check_writable(configured, field) {
            return false;
        }
        let Some(kind) = self.effective_kind(configured, field) else {
            return false;
        };
        if configured.value.is_empty() {
            if field.mandatory || configured.mandatory {
                self.problem(
                    element,
                    format!(
                        "{} is mandatory but its value is empty; {FIX_VALUE}",
                        field.label
                    ),
                );
                return false;
            }
            // An empty value clears the column, which is valid for every optional type.
            return true;
        }
        self.check_value(configured, field, kind)
    }

    fn check_writable(&mut self, configured: &EndpointField, field: &Field) -> bool {
        let element = configured.element.as_str();
        let message = match field.hidden {
            _ if field.read_only => Some(format!(
                "{} is read-only in the dictionary, so ServiceNow would not take a value for it; {FIX_REMOVE}",
                field.label
            )),
            Some(HiddenReason::ReadOnly) => Some(format!(
                "{} is read-only or inactive in the dictionary, so ServiceNow would not take a value for it; {FIX_REMOVE}",
                field.label
            )),
            Some(HiddenReason::System) => Some(format!(
                "{} is a system field that ServiceNow fills in itself; {FIX_REMOVE}",
                field.label
            )),
            Some(HiddenReason::FilledFromAlert) => Some(format!(
                "`{element}` is always filled from the alert text; {FIX_REMOVE}"
            )),
            Some(
                HiddenReason::Journal
                | HiddenReason::List
                | HiddenReason::Special
                | HiddenReason::UnsupportedType,
            )
            | None => None,
        };
        match message {
            Some(m) => {
                self.problem(element, m);
                false
            }
            None => true,
        }
    }

    /// The kind to validate the value as, or `None` (with a problem) when the configured type
    /// no longer fits the column.
    fn effective_kind(&mut self, configured: &EndpointField, field: &Field) -> Option<FieldKind> {
        let element = configured.element.as_str();
        let Some(live) = field.kind else {
            self.problem(
                element,
                format!(
                    "{} is now a {} field (`{}`), which an endpoint cannot fill; {FIX_REMOVE}",
                    field.label,
                    type_name(field),
                    field.internal_type
                ),
            );
            return None;
        };
        let wanted = configured.kind;
        if wanted == live {
            return Some(live);
        }
        match (wanted, live) {
            // Without sys_choice the dictionary cannot tell a choice column from its storage
            // type; check_choice notes the skipped check and checks the storage type.
            (FieldKind::Choice, FieldKind::String | FieldKind::Integer)
                if !self.dictionary.choices_loaded =>
            {
                Some(FieldKind::Choice)
            }
            // Saved while choices were unreadable, now they are: the value must be a choice.
            (FieldKind::String | FieldKind::Integer, FieldKind::Choice)
                if field.storage_kind() == wanted =>
            {
                Some(FieldKind::Choice)
            }
            _ => {
                self.problem(
                    element,
                    format!(
                        "the config says `type = \"{}\"` but {} is now a {} field (`{}`); {FIX_RESELECT}",
                        wanted.as_str(),
                        field.label,
                        live.as_str(),
                        field.internal_type
                    ),
                );
                None
            }
        }
    }

    fn check_value(&mut self, configured: &EndpointField, field: &Field, kind: FieldKind) -> bool {
        if kind == FieldKind::Choice {
            return self.check_choice(configured, field);
        }
        let element = configured.element.as_str();
        let value = configured.value.as_str();
        let Err(e) = rules::check_value(kind, field.max_length, value) else {
            if kind == FieldKind::Reference
                && let Some(table) = field.reference.as_deref()
            {
                self.references.push(Reference {
                    element: element.to_string(),
                    table: table.to_string(),
                    sys_id: value.to_string(),
                });
            }
            return true;
        };
        let label = &field.label;
        let message = match e {
            ValueError::TooLong { chars, max } => format!(
                "the value is {chars} characters but {label} holds at most {max}; shorten it: {FIX_VALUE}"
            ),
            ValueError::NotSysId => format!(
                "`{value}` {e}, so it cannot reference a {} record; {FIX_VALUE} (the wizard searches {} for you)",
                field.reference.as_deref().unwrap_or("target"),
                field.reference.as_deref().unwrap_or("the referenced table"),
            ),
            ValueError::NotWholeNumber => format!(
                "`{value}` is not a whole number that {label} can hold (for example `3`); {FIX_VALUE}"
            ),
            ValueError::OutOfRange => format!(
                "`{value}` is too large for {label}: a ServiceNow integer holds {} to {}; {FIX_VALUE}",
                rules::INTEGER_MIN,
                rules::INTEGER_MAX
            ),
            ValueError::NotBoolean => {
                format!("`{value}` is not a boolean; {label} takes `true` or `false`; {FIX_VALUE}")
            }
            ValueError::Empty => format!("{label} {e}; {FIX_VALUE}"),
        };
        self.problem(element, message);
        false
    }

    fn check_choice(&mut self, configured: &EndpointField, field: &Field) -> bool {
        let element = configured.element.as_str();
        let value = configured.value.as_str();
        if !self.dictionary.choices_loaded {
            self.note(format!(
                "{element}: the choice value `{value}` was not checked because the choice list \
                 (sys_choice) could not be read; `snow-connect check` shows the missing ACL"
            ));
            return self.check_storage(configured, field);
        }
        if field.choices.is_empty() {
            self.note(format!(
                "{element}: the instance lists no choices for {}, so `{value}` was sent unchecked",
                field.label
            ));
            return self.check_storage(configured, field);
        }
        if field.has_choice(value) {
            return self.check_dependency(configured, field);
        }
        self.problem(
            element,
            format!(
                "choice value `{value}` is no longer a choice of {} (valid: {}); {FIX_VALUE}",
                field.label,
                list_choices(&field.choices)
            ),
        );
        false
    }

    /// A dependent choice (subcategory) must belong to the value the endpoint gives its
    /// controlling field (category); ServiceNow would store it, but the form would not offer it.
    fn check_dependency(&mut self, configured: &EndpointField, field: &Field) -> bool {
        let Some(ctrl) = field.dependent_on.as_deref() else {
            return true;
        };
        let controller = self
            .endpoint
            .fields
            .iter()
            .find(|f| f.element == ctrl)
            .map(|f| f.value.as_str());
        let Some(wanted) = field.dependency_conflict(&configured.value, controller) else {
            return true;
        };
        let ctrl_label = self
            .dictionary
            .field(ctrl)
            .map_or(ctrl, |f| f.label.as_str());
        self.problem(
            &configured.element,
            format!(
                "choice value `{}` of {} belongs to {ctrl_label} `{wanted}`, but the endpoint sets {ctrl_label} to `{}` (valid with it: {}); {FIX_VALUE}",
                configured.value,
                field.label,
                controller.unwrap_or_default(),
                list_choices(field.choices_for(controller)),
            ),
        );
        false
    }

    /// Check a choice value against the column's storage type (integer or string length),
    /// for when the choice list itself is unknown.
    fn check_storage(&mut self, configured: &EndpointField, field: &Field) -> bool {
        match field.storage_kind() {
            FieldKind::Integer => self.check_value(configured, field, FieldKind::Integer),
            _ => self.check_value(configured, field, FieldKind::String),
        }
    }

    /// Every column the dictionary makes mandatory needs a value, except those the alert or
    /// ServiceNow fills in.
    fn check_mandatory_coverage(&mut self) {
        let dictionary = self.dictionary;
        for field in dictionary.fields.iter().filter(|f| needs_value(f)) {
            let element = field.element.as_str();
            if self.endpoint.fields.iter().any(|f| f.element == element) {
                // Present: an empty value was already reported by check_field.
                continue;
            }
            if field.kind.is_none() {
                // The wizard cannot offer it either; the instance must have a default for it.
                self.note(format!(
                    "{} ({element}) is mandatory in the dictionary but is a {} field that \
                     snow-connect cannot fill; the instance's default value will be used",
                    field.label,
                    type_name(field)
                ));
                continue;
            }
            self.problem(
                element,
                format!(
                    "{} is mandatory on {} but the endpoint gives it no value; add it to the endpoint in the wizard (`snow-connect`), or add an [[endpoints.fields]] entry with element = \"{element}\", type = \"{}\", a value and mandatory = true",
                    field.label,
                    dictionary.table,
                    field.kind.map(FieldKind::as_str).unwrap_or("string"),
                ),
            );
        }
    }
}

fn type_name(field: &Field) -> &str {
    if field.type_label.is_empty() {
        &field.internal_type
    } else {
        &field.type_label
    }
}

/// `1 - High, 2 - Medium` or `inquiry (Inquiry / Help), software`: values a user can type,
/// with their labels where the label does not already say the value.
fn list_choices<'a>(choices: impl IntoIterator<Item = &'a Choice>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    let mut shown: Vec<String> = Vec::new();
    for c in choices {
        if seen.contains(&c.value.as_str()) {
            continue;
        }
        seen.push(&c.value);
        if shown.len() < MAX_LISTED_CHOICES {
            shown.push(describe_choice(c));
        }
    }
    if shown.is_empty() {
        return "none".to_string();
    }
    let more = seen.len().saturating_sub(shown.len());
    let mut out = shown.join(", ");
    if more > 0 {
        out.push_str(&format!(" and {more} more"));
    }
    out
}

fn describe_choice(c: &Choice) -> String {
    if c.label.is_empty() || c.label.eq_ignore_ascii_case(&c.value) {
        c.value.clone()
    } else if c.label.starts_with(&c.value) {
        c.label.clone()
    } else {
        format!("{} ({})", c.value, c.label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(element: &str, label: &str, internal_type: &str, kind: Option<FieldKind>) -> Field {
        Field {
            element: element.into(),
            label: label.into(),
            internal_type: internal_type.into(),
            type_label: Default::default(),
            defined_on: "task".into(),
            reference: None,
            max_length: None,
            mandatory: false,
            read_only: false,
            choices: Vec::new(),
            dependent_on: None,
            kind,
            hidden: None,
        }
    }

    fn choice(value: &str, label: &str) -> Choice {
        Choice {
            value: value.into(),
            label: label.into(),
            dependent_value: None,
        }
    }

    /// A small incident dictionary shaped like the out-of-the-box one.
    fn dictionary() -> Dictionary {
        let mut short = field("short_description", "Short description", "string", None);
        short.max_length = Some(160);
        short.hidden = Some(HiddenReason::FilledFromAlert);
        let mut description = field("description", "Description", "string", None);
        description.max_length = Some(4000);
        description.hidden = Some(HiddenReason::FilledFromAlert);
        let mut group = field(
            "assignment_group",
            "Assignment group",
            "reference",
            Some(FieldKind::Reference),
        );
        group.reference = Some("sys_user_group".into());
        group.max_length = Some(32);
        let mut urgency = field("urgency", "Urgency", "integer", Some(FieldKind::Choice));
        urgency.choices = vec![
            choice("1", "1 - High"),
            choice("2", "2 - Medium"),
            choice("3", "3 - Low"),
        ];
        let mut category = field("category", "Category", "string", Some(FieldKind::Choice));
        category.max_length = Some(40);
        category.choices = vec![
            choice("inquiry", "Inquiry / Help"),
            choice("software", "Software"),
            choice("hardware", "Hardware"),
        ];
        let mut subcategory = field(
            "subcategory",
            "Subcategory",
            "string",
            Some(FieldKind::Choice),
        );
        subcategory.dependent_on = Some("category".into());
        let dependent = |value: &str, label: &str, on: &str| Choice {
            dependent_value: Some(on.into()),
            ..choice(value, label)
        };
        subcategory.choices = vec![
            dependent("email", "Email", "software"),
            dependent("os", "Operating System", "software"),
            dependent("disk", "Disk", "hardware"),
            choice("other", "Other"),
        ];
        let mut correlation = field(
            "correlation_id",
            "Correlation ID",
            "string",
            Some(FieldKind::String),
        );
        correlation.max_length = Some(100);
        let order = field("order", "Order", "integer", Some(FieldKind::Integer));
        let knowledge = field(
            "knowledge",
            "Knowledge",
            "boolean",
            Some(FieldKind::Boolean),
        );
        let mut number = field("number", "Number", "string", None);
        number.mandatory = true;
        number.hidden = Some(HiddenReason::System);
        let mut priority = field("priority", "Priority", "integer", Some(FieldKind::Choice));
        priority.read_only = true;
        priority.hidden = Some(HiddenReason::ReadOnly);
        let mut created = field("sys_created_on", "Created", "glide_date_time", None);
        created.hidden = Some(HiddenReason::System);
        let mut opened = field("opened_at", "Opened", "glide_date_time", None);
        opened.hidden = Some(HiddenReason::UnsupportedType);
        opened.type_label = "Date/Time".into();
        Dictionary {
            table: "incident".into(),
            chain: vec!["incident".into(), "task".into()],
            fields: vec![
                short,
                description,
                group,
                urgency,
                category,
                subcategory,
                correlation,
                order,
                knowledge,
                number,
                priority,
                created,
                opened,
            ],
            choices_loaded: true,
            type_labels_loaded: true,
            requests: 4,
            pruned: None,
        }
    }

    fn ef(element: &str, kind: FieldKind, value: &str) -> EndpointField {
        EndpointField {
            element: element.into(),
            kind,
            value: value.into(),
            display: None,
            mandatory: false,
        }
    }

    fn endpoint(fields: Vec<EndpointField>) -> Endpoint {
        Endpoint {
            name: "FinOps anomalies".into(),
            description: "Cost anomaly alerts".into(),
            table: "incident".into(),
            fields,
        }
    }

    fn alert() -> Alert {
        Alert {
            short_description: "AWS spend up 40% in eu-west-1".into(),
            description: "Daily EC2 cost rose from $1,200 to $1,680.".into(),
        }
    }

    fn problems(result: Result<Plan, Vec<Problem>>) -> Vec<Problem> {
        match result {
            Ok(p) => panic!("expected problems, got a plan: {:?}", p.body),
            Err(p) => p,
        }
    }

    fn only_problem(result: Result<Plan, Vec<Problem>>) -> Problem {
        let mut p = problems(result);
        assert_eq!(p.len(), 1, "expected exactly one problem: {p:#?}");
        p.remove(0)
    }

    const GROUP: &str = "287ebd7da9fe198100f92cc8d1d2154e";

    #[test]
    fn body_has_alert_text_and_every_field_as_a_string() {
        let ep = endpoint(vec![
            ef("assignment_group", FieldKind::Reference, GROUP),
            ef("urgency", FieldKind::Choice, "2"),
            ef("category", FieldKind::Choice, "software"),
            ef("correlation_id", FieldKind::String, "finout-anomaly-42"),
            ef("order", FieldKind::Integer, "-7"),
            ef("knowledge", FieldKind::Boolean, "false"),
        ]);
        let plan = build(&ep, &alert(), &dictionary()).expect("valid endpoint");
        let expected = serde_json::json!({
            "short_description": "AWS spend up 40% in eu-west-1",
            "description": "Daily EC2 cost rose from $1,200 to $1,680.",
            "assignment_group": GROUP,
            "urgency": "2",
            "category": "software",
            "correlation_id": "finout-anomaly-42",
            "order": "-7",
            "knowledge": "false",
        });
        assert_eq!(Value::Object(plan.body), expected);
        assert!(plan.notes.is_empty(), "{:?}", plan.notes);
    }

    #[test]
    fn removed_field_is_reported_with_the_fix() {
        let ep = endpoint(vec![ef("u_cost_center", FieldKind::String, "CC-1")]);
        let p = only_problem(build(&ep, &alert(), &dictionary()));
        assert_eq!(p.endpoint, "FinOps anomalies");
        assert_eq!(p.field, "u_cost_center");
        assert!(p.message.contains("no longer exists on incident"), "{p}");
        assert!(p.message.contains("incident, task"), "{p}");
        assert!(p.message.contains("remove the field"), "{p}");
    }

    #[test]
    fn read_only_and_inactive_and_system_fields_are_not_writable() {
        let mut dict = dictionary();
        let mut inactive = field("u_old", "Old flag", "string", None);
        inactive.hidden = Some(HiddenReason::ReadOnly);
        dict.fields.push(inactive);
        let ep = endpoint(vec![
            ef("priority", FieldKind::Choice, "1"),
            ef("u_old", FieldKind::String, "x"),
            ef("number", FieldKind::String, "INC0000001"),
        ]);
        let p = problems(build(&ep, &alert(), &dict));
        assert_eq!(p.len(), 3, "{p:#?}");
        assert!(p[0].message.contains("Priority is read-only"), "{}", p[0]);
        assert!(p[1].message.contains("read-only or inactive"), "{}", p[1]);
        assert!(p[2].message.contains("system field"), "{}", p[2]);
    }

    #[test]
    fn alert_fields_cannot_be_configured() {
        let ep = endpoint(vec![ef("description", FieldKind::String, "fixed")]);
        let p = only_problem(build(&ep, &alert(), &dictionary()));
        assert_eq!(p.field, "description");
        assert!(p.message.contains("filled from the alert"), "{p}");
    }

    #[test]
    fn over_long_string_value_is_caught() {
        let long = "x".repeat(101);
        let ep = endpoint(vec![ef("correlation_id", FieldKind::String, &long)]);
        let p = only_problem(build(&ep, &alert(), &dictionary()));
        assert_eq!(p.field, "correlation_id");
        assert!(
            p.message
                .contains("101 characters but Correlation ID holds at most 100"),
            "{p}"
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let exactly = "é".repeat(100);
        let ep = endpoint(vec![ef("correlation_id", FieldKind::String, &exactly)]);
        assert!(build(&ep, &alert(), &dictionary()).is_ok());
    }

    #[test]
    fn removed_choice_lists_the_valid_ones() {
        let ep = endpoint(vec![ef("urgency", FieldKind::Choice, "9")]);
        let p = only_problem(build(&ep, &alert(), &dictionary()));
        assert_eq!(
            p.message,
            "choice value `9` is no longer a choice of Urgency (valid: 1 - High, 2 - Medium, \
             3 - Low); pick another value for the endpoint in the wizard (`snow-connect`) or \
             change `value` in the config"
        );
    }

    #[test]
    fn choice_labels_that_do_not_show_the_value_are_listed_with_it() {
        let ep = endpoint(vec![ef("category", FieldKind::Choice, "network")]);
        let p = only_problem(build(&ep, &alert(), &dictionary()));
        assert!(
            p.message
                .contains("(valid: inquiry (Inquiry / Help), software, hardware)"),
            "{p}"
        );
    }

    #[test]
    fn long_choice_lists_are_capped() {
        let mut dict = dictionary();
        let cat = dict
            .fields
            .iter_mut()
            .find(|f| f.element == "category")
            .expect("category");
        cat.choices = (0..20).map(|i| choice(&format!("c{i}"), "")).collect();
        let ep = endpoint(vec![ef("category", FieldKind::Choice, "nope")]);
        let p = only_problem(build(&ep, &alert(), &dict));
        assert!(p.message.contains("c11 and 8 more"), "{p}");
        assert!(!p.message.contains("c12"), "{p}");
    }

    #[test]
    fn unreadable_choices_skip_the_check_with_a_note() {
        let mut dict = dictionary();
        dict.choices_loaded = false;
        for f in &mut dict.fields {
            f.choices.clear();
        }
        // Discovery without sys_choice sees urgency as a plain integer.
        let urgency = dict
            .fields
            .iter_mut()
            .find(|f| f.element == "urgency")
            .expect("urgency");
        urgency.kind = Some(FieldKind::Integer);
        let ep = endpoint(vec![
            ef("urgency", FieldKind::Choice, "9"),
            ef("category", FieldKind::Choice, "network"),
        ]);
        let plan = build(&ep, &alert(), &dict).expect("choice check skipped, not failed");
        assert_eq!(plan.body["urgency"], "9");
        assert_eq!(plan.notes.len(), 2, "{:?}", plan.notes);
        assert!(plan.notes[0].contains("sys_choice"), "{:?}", plan.notes);
        assert!(plan.notes[0].contains("not checked"), "{:?}", plan.notes);
    }

    #[test]
    fn unreadable_choices_still_check_the_storage_type() {
        let mut dict = dictionary();
        dict.choices_loaded = false;
        let ep = endpoint(vec![
            ef("urgency", FieldKind::Choice, "high"),
            ef("category", FieldKind::Choice, &"y".repeat(41)),
        ]);
        let p = problems(build(&ep, &alert(), &dict));
        assert_eq!(p.len(), 2, "{p:#?}");
        assert!(p[0].message.contains("not a whole number"), "{}", p[0]);
        assert!(p[1].message.contains("at most 40"), "{}", p[1]);
    }

    #[test]
    fn a_string_saved_without_choices_must_now_be_a_choice() {
        let ep = endpoint(vec![ef("category", FieldKind::String, "network")]);
        let p = only_problem(build(&ep, &alert(), &dictionary()));
        assert!(p.message.contains("no longer a choice of Category"), "{p}");
        let ok = endpoint(vec![ef("category", FieldKind::String, "hardware")]);
        assert!(build(&ok, &alert(), &dictionary()).is_ok());
    }

    #[test]
    fn reference_must_be_a_lowercase_sys_id() {
        for bad in [
            "Cloud FinOps",
            "287EBD7DA9FE198100F92CC8D1D2154E",
            "287ebd7da9fe198100f92cc8d1d2154",
            "287ebd7da9fe198100f92cc8d1d2154g",
        ] {
            let ep = endpoint(vec![ef("assignment_group", FieldKind::Reference, bad)]);
            let p = only_problem(build(&ep, &alert(), &dictionary()));
            assert!(p.message.contains("is not a sys_id"), "{p}");
            assert!(p.message.contains("sys_user_group"), "{p}");
        }
    }

    #[test]
    fn integers_must_parse() {
        for bad in ["1.5", "three", " 3"] {
            let ep = endpoint(vec![ef("order", FieldKind::Integer, bad)]);
            let p = only_problem(build(&ep, &alert(), &dictionary()));
            assert!(p.message.contains("not a whole number"), "{bad}: {p}");
        }
        let ep = endpoint(vec![ef("order", FieldKind::Integer, "99999999999")]);
        let p = only_problem(build(&ep, &alert(), &dictionary()));
        assert!(
            p.message.contains(
                "too large for Order: a ServiceNow integer holds -2147483648 to 2147483647"
            ),
            "{p}"
        );
    }

    #[test]
    fn references_that_pass_the_rules_are_collected_for_one_lookup() {
        let ep = endpoint(vec![
            ef("assignment_group", FieldKind::Reference, GROUP),
            ef("urgency", FieldKind::Choice, "2"),
        ]);
        let c = check(&ep, &alert(), &dictionary());
        assert!(c.problems.is_empty());
        assert_eq!(
            c.references,
            vec![Reference {
                element: "assignment_group".into(),
                table: "sys_user_group".into(),
                sys_id: GROUP.into(),
            }]
        );
        // A value that is not a sys_id is a problem, and is not looked up.
        let bad = endpoint(vec![ef("assignment_group", FieldKind::Reference, "Cloud")]);
        assert!(check(&bad, &alert(), &dictionary()).references.is_empty());
    }

    #[test]
    fn a_reference_is_wrong_only_when_the_lookup_says_missing() {
        let r = Reference {
            element: "assignment_group".into(),
            table: "sys_user_group".into(),
            sys_id: GROUP.into(),
        };
        assert_eq!(judge_reference(&r, &Lookup::Found), Ok(None));
        let missing = judge_reference(&r, &Lookup::Missing);
        let message = missing.ok().flatten().unwrap_or_default();
        assert!(
            message.contains("no sys_user_group record has the sys_id"),
            "{message}"
        );
        assert!(message.contains("pick another value"), "{message}");
        for failure in [
            LookupFailure::RateLimited {
                retry_after_secs: Some(30),
            },
            LookupFailure::Unreachable {
                message: "connection refused".into(),
            },
        ] {
            match judge_reference(&r, &Lookup::Unchecked(failure.clone())) {
                Err(u) => {
                    assert!(u.message.starts_with("could not check"), "{}", u.message);
                    assert!(
                        u.message.contains("says nothing about the value"),
                        "{}",
                        u.message
                    );
                    assert!(!u.message.contains("pick another value"), "{}", u.message);
                    assert_eq!(u.failure, failure);
                }
                other => panic!("{failure:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn booleans_are_true_or_false() {
        for bad in ["yes", "True", "1"] {
            let ep = endpoint(vec![ef("knowledge", FieldKind::Boolean, bad)]);
            let p = only_problem(build(&ep, &alert(), &dictionary()));
            assert!(p.message.contains("`true` or `false`"), "{bad}: {p}");
        }
        let ep = endpoint(vec![ef("knowledge", FieldKind::Boolean, "true")]);
        assert!(build(&ep, &alert(), &dictionary()).is_ok());
    }

    #[test]
    fn changed_type_is_reported() {
        let ep = endpoint(vec![ef("correlation_id", FieldKind::Reference, GROUP)]);
        let p = only_problem(build(&ep, &alert(), &dictionary()));
        assert!(
            p.message.contains(
                "the config says `type = \"reference\"` but Correlation ID is now a string field"
            ),
            "{p}"
        );
        assert!(p.message.contains("select the field again"), "{p}");
    }

    #[test]
    fn field_that_became_unsupported_is_reported() {
        let ep = endpoint(vec![ef("opened_at", FieldKind::String, "2024-01-01")]);
        let p = only_problem(build(&ep, &alert(), &dictionary()));
        assert!(p.message.contains("now a Date/Time field"), "{p}");
    }

    #[test]
    fn mandatory_fields_need_values() {
        let mut dict = dictionary();
        for f in &mut dict.fields {
            if matches!(f.element.as_str(), "assignment_group" | "short_description") {
                f.mandatory = true;
            }
        }
        let missing = endpoint(vec![ef("urgency", FieldKind::Choice, "2")]);
        let p = only_problem(build(&missing, &alert(), &dict));
        assert_eq!(p.field, "assignment_group");
        assert!(
            p.message.contains(
                "Assignment group is mandatory on incident but the endpoint gives it no value"
            ),
            "{p}"
        );
        assert!(p.message.contains("type = \"reference\""), "{p}");

        let empty = endpoint(vec![ef("assignment_group", FieldKind::Reference, "")]);
        let p = only_problem(build(&empty, &alert(), &dict));
        assert!(
            p.message.contains("mandatory but its value is empty"),
            "{p}"
        );

        let given = endpoint(vec![ef("assignment_group", FieldKind::Reference, GROUP)]);
        assert!(build(&given, &alert(), &dict).is_ok());
    }

    #[test]
    fn mandatory_fields_the_endpoint_cannot_fill_become_notes() {
        let mut dict = dictionary();
        for f in &mut dict.fields {
            if f.element == "opened_at" {
                f.mandatory = true;
            }
        }
        let plan = build(&endpoint(vec![]), &alert(), &dict).expect("not a failure");
        assert_eq!(plan.notes.len(), 1);
        assert!(plan.notes[0].contains("Opened (opened_at) is mandatory"));
    }

    #[test]
    fn optional_fields_may_be_empty() {
        let ep = endpoint(vec![ef("assignment_group", FieldKind::Reference, "")]);
        let plan = build(&ep, &alert(), &dictionary()).expect("valid");
        assert_eq!(plan.body["assignment_group"], "");
    }

    #[test]
    fn every_problem_is_collected_in_one_pass() {
        let ep = endpoint(vec![
            ef("urgency", FieldKind::Choice, "9"),
            ef("correlation_id", FieldKind::String, &"x".repeat(200)),
            ef("u_gone", FieldKind::String, "x"),
            ef("knowledge", FieldKind::Boolean, "maybe"),
            ef("urgency", FieldKind::Choice, "1"),
        ]);
        let p = problems(build(&ep, &alert(), &dictionary()));
        let fields: Vec<&str> = p.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "urgency",
                "correlation_id",
                "u_gone",
                "knowledge",
                "urgency"
            ]
        );
        assert!(p[4].message.contains("more than once"), "{}", p[4]);
        assert!(p.iter().all(|p| p.endpoint == "FinOps anomalies"));
    }

    #[test]
    fn over_long_alert_text_is_truncated_with_a_marker_and_a_note() {
        let mut a = alert();
        a.short_description = "é".repeat(200);
        let plan = build(&endpoint(vec![]), &a, &dictionary()).expect("never fails on length");
        let short = plan.body["short_description"].as_str().expect("string");
        assert_eq!(short.chars().count(), 160);
        assert!(short.ends_with(TRUNCATION_MARKER));
        assert!(short.starts_with(&"é".repeat(148)));
        assert_eq!(plan.notes.len(), 1);
        assert!(
            plan.notes[0].contains("short_description was 200 characters; the instance allows 160"),
            "{:?}",
            plan.notes
        );
    }

    #[test]
    fn alert_text_that_fits_is_untouched() {
        let mut a = alert();
        a.short_description = "x".repeat(160);
        a.description = "line one\nline two".into();
        let plan = build(&endpoint(vec![]), &a, &dictionary()).expect("valid");
        assert_eq!(plan.body["short_description"], "x".repeat(160).as_str());
        assert_eq!(plan.body["description"], "line one\nline two");
        assert!(plan.notes.is_empty());
    }

    #[test]
    fn tiny_columns_are_cut_without_the_marker() {
        let mut dict = dictionary();
        for f in &mut dict.fields {
            if f.element == "short_description" {
                f.max_length = Some(5);
            }
        }
        let plan = build(&endpoint(vec![]), &alert(), &dict).expect("valid");
        assert_eq!(plan.body["short_description"], "AWS s");
    }

    #[test]
    fn a_dependent_choice_must_belong_to_its_controlling_value() {
        let ep = endpoint(vec![
            ef("category", FieldKind::Choice, "software"),
            ef("subcategory", FieldKind::Choice, "disk"),
        ]);
        let p = only_problem(build(&ep, &alert(), &dictionary()));
        assert_eq!(p.field, "subcategory");
        assert!(
            p.message.contains(
                "`disk` of Subcategory belongs to Category `hardware`, but the endpoint sets Category to `software`"
            ),
            "{p}"
        );
        assert!(
            p.message
                .contains("(valid with it: email, os (Operating System), other)"),
            "lists what fits: {p}"
        );

        let fits = |category: Option<&str>, sub: &str| {
            let mut fields: Vec<EndpointField> = category
                .map(|c| ef("category", FieldKind::Choice, c))
                .into_iter()
                .collect();
            fields.push(ef("subcategory", FieldKind::Choice, sub));
            build(&endpoint(fields), &alert(), &dictionary()).is_ok()
        };
        assert!(fits(Some("software"), "email"));
        assert!(fits(Some("hardware"), "other"), "depends on nothing");
        assert!(fits(None, "disk"), "no controlling value to contradict");
    }

    #[test]
    fn needs_value_is_the_mandatory_rule_minus_what_is_filled_in() {
        let mandatory = |mut f: Field| {
            f.mandatory = true;
            f
        };
        let service = field("business_service", "Service", "reference", None);
        assert!(!needs_value(&service), "not mandatory");
        assert!(needs_value(&mandatory(service)));
        let number = mandatory(field("number", "Number", "string", None));
        assert!(!needs_value(&number), "ServiceNow numbers it");
        let sys = mandatory(field("sys_domain", "Domain", "domain_id", None));
        assert!(!needs_value(&sys));
        let mut short = mandatory(field("short_description", "Short", "string", None));
        assert!(!needs_value(&short), "filled from the alert");
        short.element = "u_note".into();
        short.read_only = true;
        assert!(!needs_value(&short), "read-only");
        let mut inactive = mandatory(field("u_old", "Old", "string", None));
        inactive.hidden = Some(HiddenReason::ReadOnly);
        assert!(!needs_value(&inactive));
    }

    #[test]
    fn the_connection_test_cuts_alert_text_the_same_way() {
        let mut dict = dictionary();
        for f in &mut dict.fields {
            if f.element == "short_description" {
                f.max_length = Some(30);
            }
        }
        let plan = super::super::plan_test(Some(&dict));
        let short = plan.body["short_description"].as_str().expect("string");
        assert_eq!(short.chars().count(), 30);
        assert!(short.ends_with(TRUNCATION_MARKER), "{short}");
        assert!(short.starts_with("snow-connect conne"), "{short}");
        assert_eq!(plan.notes.len(), 1);
        assert!(
            plan.notes[0].starts_with("short_description was "),
            "{:?}",
            plan.notes
        );
    }

    #[test]
    fn a_dictionary_for_another_table_is_refused() {
        let mut dict = dictionary();
        dict.table = "task".into();
        let p = only_problem(build(&endpoint(vec![]), &alert(), &dict));
        assert_eq!(p.field, "table");
    }

    #[test]
    fn sys_id_shape() {
        assert!(rules::is_sys_id(GROUP));
        assert!(!rules::is_sys_id(""));
    }
}
