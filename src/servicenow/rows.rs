//! Table API pages decoded straight into the caller's rows: the `result` list of a page is
//! walked element by element and each record is handed over as it is parsed, so neither a
//! `serde_json::Value` tree of the page nor a list of raw records ever exists. Strings borrow
//! from the body where they have no escapes.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// A field's value as text, whatever shape it came in (facts section 2.2): a plain string;
/// a number or boolean (as their text); for a reference object its `value`, else its
/// `display_value`; null, lists and other objects are empty.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Text<'a>(pub Cow<'a, str>);

impl Text<'_> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text<'a>, D::Error> {
        d.deserialize_any(TextVisitor(std::marker::PhantomData))
    }
}

struct TextVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
    type Value = Text<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Owned(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Owned(v)))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Owned(v.to_string())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Owned(v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Owned(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Owned(
            serde_json::Number::from_f64(v).map_or_else(String::new, |n| n.to_string()),
        )))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Text<'a>, E> {
        Ok(Text::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<Text<'a>, E> {
        Ok(Text::default())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text<'a>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Text::default())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text<'a>, A::Error> {
        // `value` when the key is there (a string, else empty), else `display_value`.
        let mut value: Option<Option<Cow<'a, str>>> = None;
        let mut display: Option<Option<Cow<'a, str>>> = None;
        while let Some(key) = map.next_key::<Cow<'_, str>>()? {
            match key.as_ref() {
                "value" => value = Some(map.next_value::<OnlyStr<'a>>()?.0),
                "display_value" => display = Some(map.next_value::<OnlyStr<'a>>()?.0),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Text(
            value.or(display).flatten().unwrap_or(Cow::Borrowed("")),
        ))
    }
}

/// A string, or `None` for any other JSON value (skipped without keeping it).
struct OnlyStr<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for OnlyStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OnlyStr<'a>, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = OnlyStr<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<OnlyStr<'a>, E> {
                Ok(OnlyStr(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OnlyStr<'a>, E> {
                Ok(OnlyStr(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<OnlyStr<'a>, E> {
                Ok(OnlyStr(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<OnlyStr<'a>, E> {
                Ok(OnlyStr(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<OnlyStr<'a>, E> {
                Ok(OnlyStr(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<OnlyStr<'a>, E> {
                Ok(OnlyStr(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<OnlyStr<'a>, E> {
                Ok(OnlyStr(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OnlyStr<'a>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(OnlyStr(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OnlyStr<'a>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(OnlyStr(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl Serialize for Text<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Why a page could not be decoded.
#[derive(Debug)]
pub(crate) enum DecodeError {
    /// The body has no `result` list.
    NoResult,
    /// The JSON is invalid, or a record is not an object.
    Json(serde_json::Error),
}

/// Decode the `result` list of a page in `body`, handing each record to `each` as soon as
/// it is parsed. Returns how many records there were.
pub(crate) fn for_each_row<'de, R, F>(body: &'de [u8], each: F) -> Result<usize, DecodeError>
where
    R: Deserialize<'de>,
    F: FnMut(R),
{
    let mut de = serde_json::Deserializer::from_slice(body);
    let mut envelope = Envelope {
        each,
        count: None,
        _row: std::marker::PhantomData,
    };
    (&mut envelope)
        .deserialize(&mut de)
        .map_err(DecodeError::Json)?;
    de.end().map_err(DecodeError::Json)?;
    envelope.count.ok_or(DecodeError::NoResult)
}

/// The page object: `result` is walked, every other key skipped.
struct Envelope<R, F> {
    each: F,
    count: Option<usize>,
    _row: std::marker::PhantomData<fn() -> R>,
}

impl<'de, R: Deserialize<'de>, F: FnMut(R)> DeserializeSeed<'de> for &mut Envelope<R, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, R: Deserialize<'de>, F: FnMut(R)> Visitor<'de> for &mut Envelope<R, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Table API answer ({\"result\": [...]})")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "result" && self.count.is_none() {
                let n = map.next_value_seed(Records {
                    each: &mut self.each,
                    _row: std::marker::PhantomData,
                })?;
                self.count = n;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The `result` value: a list of records, each handed to `each`; `None` when it is not a
/// list (a single-record answer, or something else).
struct Records<'f, R, F> {
    each: &'f mut F,
    _row: std::marker::PhantomData<fn() -> R>,
}

impl<'de, R: Deserialize<'de>, F: FnMut(R)> DeserializeSeed<'de> for Records<'_, R, F> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, R: Deserialize<'de>, F: FnMut(R)> Visitor<'de> for Records<'_, R, F> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<usize>, A::Error> {
        let mut n = 0usize;
        while let Some(row) = seq.next_element::<R>()? {
            (self.each)(row);
            n += 1;
        }
        Ok(Some(n))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<usize>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Option<usize>, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<usize>, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Option<usize>, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Option<usize>, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<usize>, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<usize>, E> {
        Ok(None)
    }
}

/// `text` cut to at most `max` characters, the last one replaced by `…` when cut: display
/// strings from an instance are capped before anything keeps them.
pub fn cap_text(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some(_) => {
            let keep = max.saturating_sub(1);
            let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
            let mut s = String::with_capacity(end + 3);
            s.push_str(&text[..end]);
            s.push('…');
            Cow::Owned(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Row<'a> {
        #[serde(borrow)]
        name: Option<Text<'a>>,
        #[serde(borrow)]
        reference: Option<Text<'a>>,
    }

    /// (name, reference) of each row.
    type Pairs = Vec<(Option<String>, Option<String>)>;

    fn rows(body: &str) -> Result<Pairs, DecodeError> {
        let mut out = Vec::new();
        for_each_row(body.as_bytes(), |r: Row<'_>| {
            out.push((
                r.name.map(|t| t.as_str().to_string()),
                r.reference.map(|t| t.as_str().to_string()),
            ));
        })?;
        Ok(out)
    }

    #[test]
    fn every_value_shape_becomes_text_and_absent_keys_stay_absent() {
        let got = rows(
            r#"{"result":[
                {"name":"incident","reference":{"link":"https://x/api/now/table/sys_db_object/1","value":"sys_user"}},
                {"name":"a\"b","reference":{"display_value":"Users","link":"x"}},
                {"name":3,"reference":true},
                {"name":null,"reference":[1,2]},
                {"other":{"deep":[{"x":1}]}},
                {"reference":{"value":{"nested":1},"display_value":"shown"}}
            ],"extra":{"ignored":[1]}}"#,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            got,
            vec![
                (Some("incident".into()), Some("sys_user".into())),
                (Some("a\"b".into()), Some("Users".into())),
                (Some("3".into()), Some("true".into())),
                (None, Some(String::new())),
                (None, None),
                (None, Some(String::new())),
            ]
        );
    }

    #[test]
    fn pages_without_a_result_list_are_refused() {
        assert!(matches!(
            rows(r#"{"result":{}}"#),
            Err(DecodeError::NoResult)
        ));
        assert!(matches!(
            rows(r#"{"error":"x"}"#),
            Err(DecodeError::NoResult)
        ));
        assert!(matches!(
            rows(r#"{"result":[1]}"#),
            Err(DecodeError::Json(_))
        ));
        assert!(matches!(
            rows(r#"{"result":[{}]"#),
            Err(DecodeError::Json(_))
        ));
        assert!(matches!(rows(r#"[]"#), Err(DecodeError::Json(_))));
        assert_eq!(rows(r#"{"result":[]}"#).ok(), Some(Vec::new()));
    }

    #[test]
    fn caps_count_characters_and_end_in_an_ellipsis() {
        assert_eq!(cap_text("short", 200), "short");
        let long = "é".repeat(500);
        let capped = cap_text(&long, 200);
        assert_eq!(capped.chars().count(), 200);
        assert!(capped.ends_with("é…"));
        assert_eq!(cap_text("abcd", 4), "abcd");
        assert_eq!(cap_text("abcde", 4), "abc…");
    }
}
