//! Dictionary discovery: walk `sys_db_object.super_class` from a table up, read the dictionary
//! of the whole chain in one paginated query, join type labels and choices, and classify what
//! the Additional Fields picker may offer.

use serde::Serialize;

use crate::servicenow::{Client, Error};

/// What kind of value an Additional Field takes; also the `type` written to the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    /// Free text up to `max_length`.
    String,
    /// One of the field's choices.
    Choice,
    /// A sys_id of a record in the reference target.
    Reference,
    /// A whole number.
    Integer,
    /// `true` / `false`.
    Boolean,
}

impl FieldKind {
    /// `string`, `choice` ...
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::String => "string",
            FieldKind::Choice => "choice",
            FieldKind::Reference => "reference",
            FieldKind::Integer => "integer",
            FieldKind::Boolean => "boolean",
        }
    }
}

/// One choice of a choice field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// Stored value, e.g. `2`.
    pub value: String,
    /// Label, e.g. `2 - Medium`.
    pub label: String,
    /// For dependent choices (subcategory on category), the controlling value.
    pub dependent_value: Option<String>,
}

/// Why a column is not offered in the picker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HiddenReason {
    /// `sys_*` system columns.
    System,
    /// Journal fields (comments, work notes ...).
    Journal,
    /// List fields (glide_list).
    List,
    /// Variables, user input, tags and other special types.
    Special,
    /// GUID, document_id, table_name, dates, durations and other types we cannot set safely.
    UnsupportedType,
    /// Read-only or inactive in the dictionary.
    ReadOnly,
    /// short_description and description: always filled from the alert.
    FilledFromAlert,
}

/// One column of the table, as the dictionary describes it (most-derived definition).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// Column name, e.g. `assignment_group`.
    pub element: String,
    /// Label, e.g. `Assignment group`.
    pub label: String,
    /// `internal_type`, e.g. `reference`.
    pub internal_type: String,
    /// Label of the type from sys_glide_object, e.g. `Reference` (the type name when unreadable).
    pub type_label: String,
    /// The table that defines the column, e.g. `task`.
    pub defined_on: String,
    /// Reference target table, e.g. `sys_user_group`.
    pub reference: Option<String>,
    /// `max_length`.
    pub max_length: Option<u32>,
    /// `mandatory`.
    pub mandatory: bool,
    /// `read_only`.
    pub read_only: bool,
    /// Choices (table-specific rows override the parent's); empty when none or unreadable.
    pub choices: Vec<Choice>,
    /// What the picker offers it as; `None` when hidden.
    pub kind: Option<FieldKind>,
    /// Why it is hidden, when it is.
    pub hidden: Option<HiddenReason>,
}

/// The result of discovery for one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dictionary {
    /// The table asked for, e.g. `incident`.
    pub table: String,
    /// The chain from the table up, e.g. `["incident", "task"]`.
    pub chain: Vec<String>,
    /// Every column, de-duplicated (child wins), sorted by label.
    pub fields: Vec<Field>,
    /// Whether choices could be read (sys_choice readable).
    pub choices_loaded: bool,
    /// Whether type labels could be read (sys_glide_object readable).
    pub type_labels_loaded: bool,
    /// Requests made during discovery.
    pub requests: usize,
}

impl Dictionary {
    /// The fields the Additional Fields picker offers.
    pub fn selectable(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.kind.is_some())
    }
    /// How many columns are hidden, per reason.
    pub fn hidden_counts(&self) -> Vec<(HiddenReason, usize)> {
        let mut counts: std::collections::BTreeMap<HiddenReason, usize> = Default::default();
        for f in &self.fields {
            if let Some(r) = f.hidden {
                *counts.entry(r).or_default() += 1;
            }
        }
        counts.into_iter().collect()
    }
    /// Look a column up by element name.
    pub fn field(&self, element: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.element == element)
    }
}

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

/// Discover the dictionary of `table` (incident: incident + task).
pub async fn discover_dictionary(
    client: &Client,
    table: &str,
) -> Result<Dictionary, DictionaryError> {
    let _ = (client, table);
    todo!("diagnose: dictionary discovery")
}
