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
    ///
    /// ServiceNow sends every value as a string; numbers and booleans are accepted anyway
    /// (hand-written proxies and mocks send them) and turned into their text.
    pub fn parse(v: &Value) -> FieldValue {
        match v {
            Value::Object(map) => FieldValue {
                value: map.get("value").and_then(scalar_text),
                display: map.get("display_value").and_then(scalar_text),
                link: map.get("link").and_then(scalar_text),
            },
            other => FieldValue {
                value: scalar_text(other),
                ..FieldValue::default()
            },
        }
    }

    /// The key at the end of `link` (a sys_id, or a name for name-keyed tables). With
    /// `sysparm_display_value=true` a reference carries no `value`; this is the only way to
    /// recover it.
    pub fn link_key(&self) -> Option<&str> {
        let link = self.link.as_deref()?;
        let path = link.split(['?', '#']).next().unwrap_or(link);
        path.rsplit('/').next().filter(|k| !k.is_empty())
    }
}

/// The text of a JSON scalar; `None` for null, arrays and objects.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// The raw value of `field` in `record` as a string, whatever its shape; `None` when the key
/// is absent (a field-level ACL hides it).
pub fn field_string(record: &Record, field: &str) -> Option<String> {
    record
        .get(field)
        .map(|v| FieldValue::parse(v).value.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fv(value: Option<&str>, display: Option<&str>, link: Option<&str>) -> FieldValue {
        FieldValue {
            value: value.map(str::to_string),
            display: display.map(str::to_string),
            link: link.map(str::to_string),
        }
    }

    const LINK: &str =
        "https://acme.service-now.com/api/now/table/sys_user/46c6f9efa9fe198101e06e2a2ff2a0c6";
    const ID: &str = "46c6f9efa9fe198101e06e2a2ff2a0c6";

    #[test]
    fn every_reference_shape() {
        let cases = [
            (json!(ID), fv(Some(ID), None, None)),
            (json!(""), fv(Some(""), None, None)),
            (
                json!({"link": LINK, "value": ID}),
                fv(Some(ID), None, Some(LINK)),
            ),
            (
                json!({"display_value": "Fred Luddy", "link": LINK}),
                fv(None, Some("Fred Luddy"), Some(LINK)),
            ),
            (
                json!({"display_value": "2 - Medium", "value": "2"}),
                fv(Some("2"), Some("2 - Medium"), None),
            ),
            (
                json!({"display_value": "Fred Luddy", "link": LINK, "value": ID}),
                fv(Some(ID), Some("Fred Luddy"), Some(LINK)),
            ),
            (
                json!({"display_value": "", "value": ""}),
                fv(Some(""), Some(""), None),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(FieldValue::parse(&input), want, "{input}");
        }
    }

    #[test]
    fn numbers_bools_and_odd_shapes() {
        assert_eq!(FieldValue::parse(&json!(3)), fv(Some("3"), None, None));
        assert_eq!(
            FieldValue::parse(&json!(true)),
            fv(Some("true"), None, None)
        );
        assert_eq!(FieldValue::parse(&json!(null)), FieldValue::default());
        assert_eq!(FieldValue::parse(&json!([1, 2])), FieldValue::default());
        assert_eq!(
            FieldValue::parse(&json!({"value": {"nested": 1}, "display_value": 7})),
            fv(None, Some("7"), None)
        );
    }

    #[test]
    fn link_key_recovers_the_value() {
        let v = FieldValue::parse(&json!({"display_value": "Fred", "link": LINK}));
        assert_eq!(v.link_key(), Some(ID));
        let v = FieldValue::parse(
            &json!({"link": "https://x/api/now/table/sys_glide_object/string?x=1", "value": "string"}),
        );
        assert_eq!(v.link_key(), Some("string"));
        assert_eq!(FieldValue::parse(&json!("x")).link_key(), None);
    }

    #[test]
    fn field_string_tells_absent_from_empty() {
        let rec: Record = serde_json::from_value(json!({
            "caller_id": {"link": LINK, "value": ID},
            "assigned_to": "",
        }))
        .unwrap();
        assert_eq!(field_string(&rec, "caller_id").as_deref(), Some(ID));
        assert_eq!(field_string(&rec, "assigned_to").as_deref(), Some(""));
        assert_eq!(field_string(&rec, "hidden_by_acl"), None);
    }

    fn arb_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            ".*".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::hash_map(
                    prop_oneof![
                        Just("value".to_string()),
                        Just("display_value".to_string()),
                        Just("link".to_string()),
                        ".*"
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_json_never_panics(v in arb_json()) {
            let parsed = FieldValue::parse(&v);
            let _ = parsed.link_key();
            if let Value::String(s) = &v {
                proptest::prop_assert_eq!(parsed.value.as_deref(), Some(s.as_str()));
            }
        }
    }
}
