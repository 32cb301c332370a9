//! The model of an instance's dictionary: the columns of a table with their kinds, limits,
//! choices and reference targets, as discovery (`crate::diagnose`) reads them.

use serde::Serialize;

use super::Name;

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
    pub internal_type: Name,
    /// Label of the type from sys_glide_object, e.g. `Reference` (the type name when unreadable).
    pub type_label: Name,
    /// The table that defines the column, e.g. `task`.
    pub defined_on: Name,
    /// Reference target table, e.g. `sys_user_group`.
    pub reference: Option<Name>,
    /// `max_length`.
    pub max_length: Option<u32>,
    /// `mandatory`.
    pub mandatory: bool,
    /// `read_only`.
    pub read_only: bool,
    /// Choices (table-specific rows override the parent's); empty when none or unreadable.
    pub choices: Vec<Choice>,
    /// The controlling field of a dependent choice list (`dependent_on_field`), e.g.
    /// `category` for `subcategory`.
    pub dependent_on: Option<String>,
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
    /// The counts of every column when `fields` holds only some of them (see
    /// [`Dictionary::keep_only`]); `None` when `fields` is complete.
    #[serde(skip)]
    pub pruned: Option<FieldCounts>,
}

/// How many columns a dictionary has, kept when its fields are pruned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldCounts {
    /// Columns the picker offers.
    pub selectable: usize,
    /// Hidden columns per reason.
    pub hidden: Vec<(HiddenReason, usize)>,
}

impl Field {
    /// The choices that go with the controlling field's value `controller`: those whose
    /// `dependent_value` is that value, and those that depend on nothing. Every choice when
    /// the field depends on no other field or the controlling field has no value.
    pub fn choices_for(&self, controller: Option<&str>) -> Vec<&Choice> {
        match (&self.dependent_on, controller) {
            (Some(_), Some(ctrl)) => self
                .choices
                .iter()
                .filter(|c| c.dependent_value.as_deref().is_none_or(|d| d == ctrl))
                .collect(),
            _ => self.choices.iter().collect(),
        }
    }

    /// For a dependent choice field: the controlling value that `value` belongs to, when the
    /// controlling field holds another value (`controller`). `None` when they fit, or when
    /// nothing is known (no dependency, no controlling value, not a listed choice).
    pub fn dependency_conflict(&self, value: &str, controller: Option<&str>) -> Option<&str> {
        let ctrl = controller.filter(|_| self.dependent_on.is_some())?;
        let wanted = self
            .choices
            .iter()
            .find(|c| c.value == value)?
            .dependent_value
            .as_deref()?;
        (wanted != ctrl).then_some(wanted)
    }
}

impl Dictionary {
    /// The fields the Additional Fields picker offers.
    pub fn selectable(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.kind.is_some())
    }
    /// How many fields the picker offers (of every column, also after pruning).
    pub fn selectable_count(&self) -> usize {
        match &self.pruned {
            Some(c) => c.selectable,
            None => self.selectable().count(),
        }
    }

    /// Keep only the fields `keep` wants (and the counts of all of them): what `check` does
    /// once the picker's list is not needed, so that validation holds only its own fields.
    pub fn keep_only(&mut self, keep: impl Fn(&Field) -> bool) {
        if self.pruned.is_none() {
            self.pruned = Some(FieldCounts {
                selectable: self.selectable().count(),
                hidden: self.hidden_counts(),
            });
        }
        self.fields.retain(|f| keep(f));
        self.fields.shrink_to_fit();
    }

    /// How many columns are hidden, per reason.
    pub fn hidden_counts(&self) -> Vec<(HiddenReason, usize)> {
        if let Some(c) = &self.pruned {
            return c.hidden.clone();
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn field(element: &str, kind: Option<FieldKind>, hidden: Option<HiddenReason>) -> Field {
        Field {
            element: element.into(),
            label: element.into(),
            internal_type: "string".into(),
            type_label: "String".into(),
            defined_on: "incident".into(),
            reference: None,
            max_length: Some(40),
            mandatory: false,
            read_only: false,
            choices: Vec::new(),
            dependent_on: None,
            kind,
            hidden,
        }
    }

    #[test]
    fn pruning_keeps_the_counts_of_every_column() {
        let mut d = Dictionary {
            table: "incident".into(),
            chain: vec!["incident".into(), "task".into()],
            fields: vec![
                field("category", Some(FieldKind::Choice), None),
                field("impact", Some(FieldKind::Choice), None),
                field("sys_id", None, Some(HiddenReason::System)),
                field("number", None, Some(HiddenReason::ReadOnly)),
            ],
            choices_loaded: true,
            type_labels_loaded: true,
            requests: 4,
            pruned: None,
        };
        let (selectable, hidden) = (d.selectable_count(), d.hidden_counts());
        assert_eq!(selectable, 2);
        d.keep_only(|f| f.element == "impact");
        assert_eq!(d.fields.len(), 1);
        assert_eq!(d.selectable_count(), selectable);
        assert_eq!(d.hidden_counts(), hidden);
        // Pruning again keeps the first counts, not those of what is left.
        d.keep_only(|_| false);
        assert_eq!(d.selectable_count(), 2);
        assert!(d.field("impact").is_none());
    }
}
