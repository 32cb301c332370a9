//! Value rules: what a column of each [`FieldKind`] accepts. The one place these rules live;
//! the config loader, endpoint validation (`send`, `check`) and the wizard's value prompt all
//! call them, so a value the wizard accepts is a value `send` accepts.

use super::{Field, FieldKind};

/// The smallest value a ServiceNow integer column holds (it is 32-bit).
pub const INTEGER_MIN: i32 = i32::MIN;
/// The largest value a ServiceNow integer column holds.
pub const INTEGER_MAX: i32 = i32::MAX;

/// Why a value does not fit its column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Nothing was given where a value is needed.
    #[error("is empty")]
    Empty,
    /// Longer than the column's `max_length` (counted in characters).
    #[error("is {chars} characters long; at most {max} fit")]
    TooLong {
        /// Characters in the value.
        chars: usize,
        /// The column's `max_length`.
        max: u32,
    },
    /// Not an integer at all.
    #[error("is not a whole number (for example `3`)")]
    NotWholeNumber,
    /// A whole number outside the 32-bit range.
    #[error("is outside the range of a ServiceNow integer ({INTEGER_MIN} to {INTEGER_MAX})")]
    OutOfRange,
    /// Not `true` / `false`.
    #[error("is not `true` or `false`")]
    NotBoolean,
    /// Not 32 lowercase hexadecimal characters.
    #[error("is not a sys_id (32 lowercase hexadecimal characters)")]
    NotSysId,
}

impl ValueError {
    /// The same rule, worded for a person typing into the wizard.
    pub fn hint(&self) -> String {
        match self {
            ValueError::Empty => "Enter a value.".into(),
            ValueError::TooLong { max, .. } => format!("At most {max} characters for this field."),
            ValueError::NotWholeNumber => {
                format!("Enter a whole number from {INTEGER_MIN} to {INTEGER_MAX}, e.g. 3.")
            }
            ValueError::OutOfRange => {
                format!("Enter a whole number from {INTEGER_MIN} to {INTEGER_MAX}.")
            }
            ValueError::NotBoolean => "Enter true or false.".into(),
            ValueError::NotSysId => {
                "Pick a record from the list (or type a 32-character sys_id).".into()
            }
        }
    }
}

/// A sys_id as ServiceNow stores it: 32 lowercase hexadecimal characters.
pub fn is_sys_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `value` fits a column of `max_length` characters (`None` or 0: no limit).
pub fn check_length(value: &str, max_length: Option<u32>) -> Result<(), ValueError> {
    let Some(max) = max_length.filter(|m| *m > 0) else {
        return Ok(());
    };
    let chars = value.chars().count();
    match u32::try_from(chars) {
        Ok(n) if n <= max => Ok(()),
        _ => Err(ValueError::TooLong { chars, max }),
    }
}

/// A 32-bit whole number, written plainly (`3`, `-7`; no spaces, no decimals).
pub fn check_integer(value: &str) -> Result<(), ValueError> {
    let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValueError::NotWholeNumber);
    }
    value
        .parse::<i32>()
        .map(|_| ())
        .map_err(|_| ValueError::OutOfRange)
}

/// Check a stored (config) value against a column of `kind`. An empty value is not judged
/// here: whether a column may be cleared depends on its mandatory flag, not its kind. Choice
/// membership needs the choice list: see [`Field::has_choice`].
pub fn check_value(
    kind: FieldKind,
    max_length: Option<u32>,
    value: &str,
) -> Result<(), ValueError> {
    match kind {
        FieldKind::String | FieldKind::Choice => check_length(value, max_length),
        FieldKind::Integer => check_integer(value),
        FieldKind::Boolean => match value {
            "true" | "false" => Ok(()),
            _ => Err(ValueError::NotBoolean),
        },
        FieldKind::Reference if is_sys_id(value) => Ok(()),
        FieldKind::Reference => Err(ValueError::NotSysId),
    }
}

/// What a person typed, in the form it is stored (trimmed; booleans and sys_ids lower-cased,
/// integers without a sign or leading zeros), or why it does not fit.
pub fn parse_typed(
    kind: FieldKind,
    max_length: Option<u32>,
    raw: &str,
) -> Result<String, ValueError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(ValueError::Empty);
    }
    let stored = match kind {
        FieldKind::Boolean | FieldKind::Reference => s.to_ascii_lowercase(),
        FieldKind::Integer => {
            check_integer(s)?;
            s.parse::<i32>()
                .map(|n| n.to_string())
                .map_err(|_| ValueError::OutOfRange)?
        }
        FieldKind::String | FieldKind::Choice => s.to_string(),
    };
    check_value(kind, max_length, &stored)?;
    Ok(stored)
}

impl Field {
    /// Whether `value` is one of the column's choices (choice membership).
    pub fn has_choice(&self, value: &str) -> bool {
        self.choices.iter().any(|c| c.value == value)
    }

    /// The kind a choice column stores its values as (integer or string).
    pub fn storage_kind(&self) -> FieldKind {
        match self.internal_type.as_str() {
            "integer" | "longint" => FieldKind::Integer,
            _ => FieldKind::String,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_length_counts_characters_and_zero_means_no_limit() {
        assert_eq!(check_length(&"é".repeat(100), Some(100)), Ok(()));
        assert_eq!(
            check_length(&"x".repeat(101), Some(100)),
            Err(ValueError::TooLong {
                chars: 101,
                max: 100
            })
        );
        assert_eq!(check_length(&"x".repeat(5000), Some(0)), Ok(()));
        assert_eq!(check_length(&"x".repeat(5000), None), Ok(()));
        let e = check_value(FieldKind::Choice, Some(3), "abcd").unwrap_err();
        assert_eq!(e.to_string(), "is 4 characters long; at most 3 fit");
    }

    #[test]
    fn integers_are_32_bit_and_the_message_gives_the_range() {
        for ok in ["0", "3", "-7", "+5", "2147483647", "-2147483648"] {
            assert_eq!(check_integer(ok), Ok(()), "{ok}");
        }
        for bad in ["", "1.5", "three", " 3", "3 ", "-", "1e3", "0x10"] {
            assert_eq!(
                check_integer(bad),
                Err(ValueError::NotWholeNumber),
                "{bad:?}"
            );
        }
        for big in ["2147483648", "-2147483649", "99999999999"] {
            assert_eq!(check_integer(big), Err(ValueError::OutOfRange), "{big}");
        }
        let msg = ValueError::OutOfRange.to_string();
        assert!(msg.contains("-2147483648 to 2147483647"), "{msg}");
        assert!(ValueError::OutOfRange.hint().contains("2147483647"));
    }

    #[test]
    fn booleans_are_lowercase_true_or_false() {
        assert_eq!(check_value(FieldKind::Boolean, None, "true"), Ok(()));
        assert_eq!(check_value(FieldKind::Boolean, None, "false"), Ok(()));
        for bad in ["True", "yes", "1", ""] {
            assert_eq!(
                check_value(FieldKind::Boolean, None, bad),
                Err(ValueError::NotBoolean),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn references_are_lowercase_sys_ids() {
        let id = "287ebd7da9fe198100f92cc8d1d2154e";
        assert!(is_sys_id(id));
        assert_eq!(check_value(FieldKind::Reference, None, id), Ok(()));
        for bad in [
            "Cloud FinOps",
            "287EBD7DA9FE198100F92CC8D1D2154E",
            "287ebd7da9fe198100f92cc8d1d2154",
            "287ebd7da9fe198100f92cc8d1d2154g",
            "ééééééééééééééééééééééééééééééé",
        ] {
            assert_eq!(
                check_value(FieldKind::Reference, None, bad),
                Err(ValueError::NotSysId),
                "{bad}"
            );
        }
    }

    #[test]
    fn typed_values_are_normalised_then_checked_by_the_same_rule() {
        let t = |k, max, raw| parse_typed(k, max, raw);
        assert_eq!(t(FieldKind::Integer, None, " 12 "), Ok("12".into()));
        assert_eq!(t(FieldKind::Integer, None, "+007"), Ok("7".into()));
        assert_eq!(
            t(FieldKind::Integer, None, "3000000000"),
            Err(ValueError::OutOfRange)
        );
        assert_eq!(t(FieldKind::Boolean, None, "TRUE"), Ok("true".into()));
        assert_eq!(
            t(
                FieldKind::Reference,
                None,
                "287EBD7DA9FE198100F92CC8D1D2154E"
            ),
            Ok("287ebd7da9fe198100f92cc8d1d2154e".into())
        );
        assert_eq!(t(FieldKind::String, None, "  "), Err(ValueError::Empty));
        assert_eq!(t(FieldKind::String, Some(4), "abcd"), Ok("abcd".into()));
        assert!(matches!(
            t(FieldKind::String, Some(3), "abcd"),
            Err(ValueError::TooLong { .. })
        ));
        // What parse_typed stores, check_value accepts.
        for (k, raw) in [
            (FieldKind::Integer, " -0 "),
            (FieldKind::Boolean, "False"),
            (FieldKind::Reference, "287EBD7DA9FE198100F92CC8D1D2154E"),
        ] {
            let stored = t(k, None, raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(check_value(k, None, &stored), Ok(()), "{raw} -> {stored}");
        }
    }

    #[test]
    fn choice_membership() {
        let f = Field {
            element: "urgency".into(),
            label: "Urgency".into(),
            internal_type: "integer".into(),
            type_label: "Integer".into(),
            defined_on: "task".into(),
            reference: None,
            max_length: Some(40),
            mandatory: false,
            read_only: false,
            choices: vec![super::super::Choice {
                value: "1".into(),
                label: "1 - High".into(),
                dependent_value: None,
            }],
            dependent_on: None,
            kind: Some(FieldKind::Choice),
            hidden: None,
        };
        assert!(f.has_choice("1"));
        assert!(!f.has_choice("9"));
        assert_eq!(f.storage_kind(), FieldKind::Integer);
    }
}
