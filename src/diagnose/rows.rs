//! The compact rows discovery keeps: each record of a page is decoded straight into one of
//! these (see `servicenow::rows`), with the repeated names (tables, types, reference targets)
//! interned, display strings capped, and the columns nobody reads dropped. The ACL probes
//! classify the same rows ([`Row::has_value`] tells "records came back without fields").

use serde::Deserialize;

use crate::dictionary::{Interner, Name};
use crate::servicenow::rows::{DecodeError, for_each_row};
use crate::servicenow::{Record, Text, cap_text};

/// Longest label (column, choice or type label) kept, in characters; longer ones end in `…`.
pub(crate) const MAX_LABEL: usize = 200;

/// Longest name (table, column, type, choice value) accepted, in bytes. ServiceNow's own
/// limits are far lower (80 for a column name); a row with a longer one is not a real
/// dictionary row and is dropped rather than kept.
pub(crate) const MAX_NAME: usize = 256;

/// A row type a read decodes into.
pub(crate) trait Row: Sized + Send {
    /// The record as parsed, borrowing from the page.
    type Raw<'de>: Deserialize<'de>;
    /// The row to keep; `None` drops a record that cannot be a real one.
    fn compact(raw: Self::Raw<'_>, names: &mut Interner) -> Option<Self>;
    /// Whether `field` has a non-empty value (absent and empty are the same to an ACL).
    fn has_value(&self, field: &str) -> bool;
}

/// The decoder for a budgeted read: every record of a page becomes an `R` in `out`.
pub(crate) fn decoder<'a, R: Row>(
    out: &'a mut Vec<R>,
    names: &'a mut Interner,
) -> impl FnMut(&[u8]) -> Result<usize, DecodeError> + Send + 'a {
    move |body: &[u8]| {
        for_each_row(body, |raw: R::Raw<'_>| {
            if let Some(row) = R::compact(raw, names) {
                out.push(row);
            }
        })
    }
}

/// The text of a value when it is not empty.
fn text(t: Option<Text<'_>>) -> Option<Text<'_>> {
    t.filter(|t| !t.as_str().is_empty())
}

/// An interned, non-empty name; `Err` when it is too long to be one.
fn name(t: Option<Text<'_>>, names: &mut Interner) -> Result<Option<Name>, ()> {
    match text(t) {
        Some(t) if t.as_str().len() > MAX_NAME => Err(()),
        Some(t) => Ok(Some(names.intern(t.as_str()))),
        None => Ok(None),
    }
}

/// A non-empty name kept on its own (one per row); `Err` when too long.
fn owned(t: Option<Text<'_>>) -> Result<Option<Box<str>>, ()> {
    match text(t) {
        Some(t) if t.as_str().len() > MAX_NAME => Err(()),
        Some(t) => Ok(Some(Box::from(t.as_str()))),
        None => Ok(None),
    }
}

/// A non-empty label, capped to [`MAX_LABEL`] characters.
fn label(t: Option<Text<'_>>) -> Option<Box<str>> {
    text(t).map(|t| Box::from(cap_text(t.as_str(), MAX_LABEL).as_ref()))
}

fn is_true(t: &Option<Text<'_>>) -> bool {
    t.as_ref().is_some_and(|t| t.as_str() == "true")
}

/// One `sys_dictionary` row, as discovery uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DictRow {
    /// The table defining the column.
    pub name: Option<Name>,
    pub element: Option<Box<str>>,
    /// `column_label`, capped.
    pub label: Option<Box<str>>,
    pub internal_type: Option<Name>,
    pub max_length: Option<u32>,
    pub mandatory: bool,
    pub read_only: bool,
    /// `active`: true unless it says "false" (an unreadable column counts as active).
    pub active: bool,
    pub is_virtual: bool,
    pub reference: Option<Name>,
    /// The `choice` attribute as sent ("" / "0" none, "1" and "3" lists, "2" suggestions).
    pub choice: Name,
    /// `dependent_on_field`, unless `use_dependent_field` switches it off.
    pub dependent_on: Option<Box<str>>,
}

/// A `sys_dictionary` record as parsed.
#[derive(Debug, Deserialize)]
pub(crate) struct RawDict<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    element: Option<Text<'a>>,
    #[serde(borrow)]
    column_label: Option<Text<'a>>,
    #[serde(borrow)]
    internal_type: Option<Text<'a>>,
    #[serde(borrow)]
    max_length: Option<Text<'a>>,
    #[serde(borrow)]
    mandatory: Option<Text<'a>>,
    #[serde(borrow)]
    read_only: Option<Text<'a>>,
    #[serde(borrow)]
    active: Option<Text<'a>>,
    #[serde(borrow)]
    reference: Option<Text<'a>>,
    #[serde(borrow)]
    choice: Option<Text<'a>>,
    #[serde(borrow, rename = "virtual")]
    is_virtual: Option<Text<'a>>,
    #[serde(borrow)]
    dependent_on_field: Option<Text<'a>>,
    #[serde(borrow)]
    use_dependent_field: Option<Text<'a>>,
}

impl Row for DictRow {
    type Raw<'de> = RawDict<'de>;

    fn compact(r: RawDict<'_>, names: &mut Interner) -> Option<DictRow> {
        let dependent_on = owned(r.dependent_on_field).ok()?.filter(|_| {
            r.use_dependent_field
                .as_ref()
                .is_none_or(|u| u.as_str() != "false")
        });
        let choice = match &r.choice {
            Some(c) if c.as_str().len() <= MAX_NAME => names.intern(c.as_str()),
            Some(_) => return None,
            None => names.intern(""),
        };
        Some(DictRow {
            name: name(r.name, names).ok()?,
            element: owned(r.element).ok()?,
            label: label(r.column_label),
            internal_type: name(r.internal_type, names).ok()?,
            max_length: r
                .max_length
                .as_ref()
                .and_then(|v| v.as_str().trim().parse().ok()),
            mandatory: is_true(&r.mandatory),
            read_only: is_true(&r.read_only),
            active: r.active.as_ref().is_none_or(|v| v.as_str() != "false"),
            is_virtual: is_true(&r.is_virtual),
            reference: name(r.reference, names).ok()?,
            choice,
            dependent_on,
        })
    }

    fn has_value(&self, field: &str) -> bool {
        match field {
            "name" => self.name.is_some(),
            "element" => self.element.is_some(),
            "column_label" => self.label.is_some(),
            "internal_type" => self.internal_type.is_some(),
            "reference" => self.reference.is_some(),
            "max_length" => self.max_length.is_some(),
            _ => false,
        }
    }
}

/// One `sys_choice` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChoiceRow {
    pub name: Option<Name>,
    pub element: Option<Name>,
    /// The stored value; `Some("")` when sent empty, `None` when absent.
    pub value: Option<Box<str>>,
    /// The label, capped.
    pub label: Option<Box<str>>,
    /// `sequence`; `i64::MAX` when absent or not a number (sorted last).
    pub sequence: i64,
    pub inactive: bool,
    pub dependent_value: Option<Box<str>>,
    pub language: Option<Name>,
}

/// A `sys_choice` record as parsed.
#[derive(Debug, Deserialize)]
pub(crate) struct RawChoice<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    element: Option<Text<'a>>,
    #[serde(borrow)]
    value: Option<Text<'a>>,
    #[serde(borrow)]
    label: Option<Text<'a>>,
    #[serde(borrow)]
    sequence: Option<Text<'a>>,
    #[serde(borrow)]
    inactive: Option<Text<'a>>,
    #[serde(borrow)]
    dependent_value: Option<Text<'a>>,
    #[serde(borrow)]
    language: Option<Text<'a>>,
}

impl Row for ChoiceRow {
    type Raw<'de> = RawChoice<'de>;

    fn compact(r: RawChoice<'_>, names: &mut Interner) -> Option<ChoiceRow> {
        let value = match r.value {
            Some(v) if v.as_str().len() > MAX_NAME => return None,
            Some(v) => Some(Box::from(v.as_str())),
            None => None,
        };
        Some(ChoiceRow {
            name: name(r.name, names).ok()?,
            element: name(r.element, names).ok()?,
            value,
            label: label(r.label),
            sequence: r
                .sequence
                .as_ref()
                .and_then(|s| s.as_str().trim().parse::<i64>().ok())
                .unwrap_or(i64::MAX),
            inactive: is_true(&r.inactive),
            dependent_value: owned(r.dependent_value).ok()?,
            language: name(r.language, names).ok()?,
        })
    }

    fn has_value(&self, field: &str) -> bool {
        match field {
            "name" => self.name.is_some(),
            "element" => self.element.is_some(),
            "value" => self.value.as_deref().is_some_and(|v| !v.is_empty()),
            "label" => self.label.is_some(),
            _ => false,
        }
    }
}

/// One `sys_glide_object` row: a type and its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GlideRow {
    pub name: Option<Name>,
    pub label: Option<Name>,
}

/// A `sys_glide_object` record as parsed.
#[derive(Debug, Deserialize)]
pub(crate) struct RawGlide<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    label: Option<Text<'a>>,
}

impl Row for GlideRow {
    type Raw<'de> = RawGlide<'de>;

    fn compact(r: RawGlide<'_>, names: &mut Interner) -> Option<GlideRow> {
        Some(GlideRow {
            name: name(r.name, names).ok()?,
            label: label(r.label).map(|l| names.intern(&l)),
        })
    }

    fn has_value(&self, field: &str) -> bool {
        match field {
            "name" => self.name.is_some(),
            "label" => self.label.is_some(),
            _ => false,
        }
    }
}

/// Whole records, for the few small reads that need arbitrary (dot-walked) keys: the
/// `sys_db_object` chain.
impl Row for Record {
    type Raw<'de> = Record;

    fn compact(raw: Record, _: &mut Interner) -> Option<Record> {
        Some(raw)
    }

    fn has_value(&self, field: &str) -> bool {
        super::probes::non_empty(self, field).is_some()
    }
}

/// Rows from JSON records, decoded as a page would be (for tests).
#[cfg(test)]
pub(crate) fn rows_of<R: Row>(records: &[serde_json::Value]) -> Vec<R> {
    let body = serde_json::json!({ "result": records }).to_string();
    let mut out = Vec::new();
    let mut names = Interner::default();
    let mut decode = decoder(&mut out, &mut names);
    if let Err(e) = decode(body.as_bytes()) {
        panic!("test rows do not decode: {e:?}");
    }
    drop(decode);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dictionary_rows_keep_what_discovery_uses() {
        let rows: Vec<DictRow> = rows_of(&[
            json!({"name": "incident", "element": "caller_id", "column_label": "Caller",
                   "internal_type": {"value": "reference", "link": "x"}, "max_length": "32",
                   "mandatory": "true", "reference": "sys_user", "choice": "0",
                   "dependent_on_field": "company", "use_dependent_field": "false",
                   "unused": {"big": [1, 2, 3]}}),
            json!({"name": "incident", "element": "", "column_label": null}),
            json!({"element": "x".repeat(MAX_NAME + 1), "name": "incident"}),
            json!({"name": "incident", "element": "u_big", "column_label": "L".repeat(10_000),
                   "active": "false", "virtual": "true"}),
        ]);
        assert_eq!(
            rows.len(),
            3,
            "the row with an impossible column name is dropped"
        );
        let caller = &rows[0];
        assert_eq!(caller.internal_type.as_deref(), Some("reference"));
        assert_eq!(caller.reference.as_deref(), Some("sys_user"));
        assert_eq!(caller.max_length, Some(32));
        assert!(caller.mandatory && caller.active && !caller.read_only);
        assert_eq!(caller.dependent_on, None, "use_dependent_field=false");
        assert!(caller.has_value("element") && caller.has_value("column_label"));
        assert!(!rows[1].has_value("element") && !rows[1].has_value("column_label"));
        assert!(rows[1].has_value("name"));
        let big = &rows[2];
        assert_eq!(
            big.label.as_deref().map(|l| l.chars().count()),
            Some(MAX_LABEL)
        );
        assert!(big.label.as_deref().is_some_and(|l| l.ends_with('…')));
        assert!(!big.active && big.is_virtual);
        // Names repeated over rows share one allocation.
        let (a, b) = (rows[0].name.clone(), rows[1].name.clone());
        assert!(a.is_some() && a == b);
    }

    #[test]
    fn choice_and_type_rows() {
        let choices: Vec<ChoiceRow> = rows_of(&[
            json!({"name": "task", "element": "state", "value": "1", "label": "Open",
                   "sequence": " 3 ", "inactive": "false"}),
            json!({"name": "task", "element": "state", "value": "", "sequence": "x"}),
            json!({"name": "task", "element": "state"}),
        ]);
        assert_eq!(choices[0].sequence, 3);
        assert_eq!(choices[1].sequence, i64::MAX);
        assert_eq!(choices[1].value.as_deref(), Some(""));
        assert!(!choices[1].has_value("value"));
        assert_eq!(choices[2].value, None);
        let glide: Vec<GlideRow> = rows_of(&[json!({"name": "string", "label": "String"})]);
        assert_eq!(glide[0].label.as_deref(), Some("String"));
    }
}
