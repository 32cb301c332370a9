//! Records as the Table API returns them, and the several shapes of a field value
//! (plain string, `{"value","link"}`, `{"display_value","link"}`, `{"display_value","value"}`).

use serde_json::Value;

/// One record: field name to JSON value (every value a string or a reference object).
pub type Record = serde_json::Map<String, Value>;

/// A field value, whatever shape it came in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldValue {
    /// The stored value (a sys_id for references), when present.
    pub value: Option<String>,
    /// The display value, when present.
    pub display: Option<String>,
    /// The `link` of a reference, when present.
    pub link: Option<String>,
}

impl FieldValue {
    /// Parse any shape of facts section 2.2. Unknown shapes give an all-`None` value.
    pub fn parse(v: &Value) -> FieldValue {
        let _ = v;
        todo!("client: field value parsing")
    }
}

/// The raw value of `field` in `record` as a string, whatever its shape; `None` when the key
/// is absent (a field-level ACL hides it).
pub fn field_string(record: &Record, field: &str) -> Option<String> {
    record
        .get(field)
        .map(|v| FieldValue::parse(v).value.unwrap_or_default())
}
