//! `--extra-fields N`: custom `u_` columns on incident, like a heavily customised instance.
//!
//! The types rotate through string, integer, boolean, choice (with sys_choice rows) and
//! reference, so scale tests exercise every branch of the field picker.

use super::dataset::{ChoiceRow, ColumnDef};

const CHOICES: &[(&str, &str)] = &[("low", "Low"), ("medium", "Medium"), ("high", "High")];

/// The dictionary entries and choices of `count` custom incident fields.
pub(crate) fn generate(count: u32) -> (Vec<ColumnDef>, Vec<ChoiceRow>) {
    let mut defs = Vec::with_capacity(count as usize);
    let mut choices = Vec::new();
    for i in 1..=count {
        let def = match i % 5 {
            1 => {
                let mut d = ColumnDef::new(
                    &format!("u_cost_note_{i}"),
                    &format!("Cost note {i}"),
                    "string",
                );
                d.max_length = Some(100);
                d
            }
            2 => ColumnDef::new(
                &format!("u_budget_units_{i}"),
                &format!("Budget units {i}"),
                "integer",
            ),
            3 => {
                let mut d = ColumnDef::new(
                    &format!("u_chargeback_{i}"),
                    &format!("Chargeback {i}"),
                    "boolean",
                );
                d.default = "false".into();
                d
            }
            4 => {
                let element = format!("u_cost_tier_{i}");
                let mut d = ColumnDef::new(&element, &format!("Cost tier {i}"), "string");
                d.choice = 1;
                for (value, label) in CHOICES {
                    choices.push(ChoiceRow {
                        table: "incident".into(),
                        element: element.clone(),
                        value: (*value).into(),
                        label: (*label).into(),
                        dependent_value: String::new(),
                    });
                }
                d
            }
            _ => {
                let (element, label, target) = if i % 10 == 0 {
                    (
                        format!("u_cost_owner_{i}"),
                        format!("Cost owner {i}"),
                        "sys_user",
                    )
                } else {
                    (
                        format!("u_cost_team_{i}"),
                        format!("Cost team {i}"),
                        "sys_user_group",
                    )
                };
                let mut d = ColumnDef::new(&element, &label, "reference");
                d.reference = target.into();
                d
            }
        };
        defs.push(def);
    }
    (defs, choices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixes_every_type_and_names_are_unique() {
        let (defs, choices) = generate(20);
        assert_eq!(defs.len(), 20);
        let types: std::collections::BTreeSet<&str> =
            defs.iter().map(|d| d.internal_type.as_str()).collect();
        assert_eq!(
            types.into_iter().collect::<Vec<_>>(),
            vec!["boolean", "integer", "reference", "string"]
        );
        assert_eq!(defs.iter().filter(|d| d.choice == 1).count(), 4);
        assert_eq!(choices.len(), 12);
        let names: std::collections::HashSet<&str> =
            defs.iter().map(|d| d.element.as_str()).collect();
        assert_eq!(names.len(), 20);
        assert!(defs.iter().all(|d| d.element.starts_with("u_")));
    }
}
