//! Runs a parsed encoded query against a table of the store.
//!
//! Comparisons follow the platform's database: `=`, `!=` and `IN` compare exactly;
//! `LIKE`, `STARTSWITH` and `ENDSWITH` ignore case (as its default collation does); `<`, `>`
//! and ORDERBY compare numbers on numeric columns.

use std::cmp::Ordering;

use super::query::{EncodedQuery, Operator, Term};
use super::store::{Database, FieldPath, RecordId};

struct Condition {
    path: FieldPath,
    op: Operator,
    value: String,
    lower: String,
    list: Vec<String>,
    numeric: bool,
    /// `value` as `<`, `>`, `<=` and `>=` compare it.
    bound: Key,
}

struct SortKey {
    path: FieldPath,
    descending: bool,
    numeric: bool,
}

/// A query bound to a table: conditions resolved to columns, unknown pieces set aside.
pub(crate) struct Compiled {
    /// Groups (any) of clauses (all) of alternatives (any).
    groups: Vec<Vec<Vec<Condition>>>,
    order: Vec<SortKey>,
    /// Field names or pieces the table does not know (in query order).
    pub unknown: Vec<String>,
}

impl Compiled {
    /// Bind `query` to `table`. Unknown fields are dropped from the conditions and listed in
    /// `unknown`; a clause left without alternatives disappears.
    pub fn new(db: &Database, table: usize, query: &EncodedQuery) -> Compiled {
        let mut unknown = Vec::new();
        let mut groups = Vec::new();
        for group in &query.groups {
            let mut clauses = Vec::new();
            for clause in &group.clauses {
                let mut alternatives = Vec::new();
                for term in &clause.terms {
                    match term {
                        Term::Condition(c) => match db.resolve_path(table, &c.field) {
                            Some(path) => {
                                let numeric =
                                    db.path_column(&path).is_some_and(|col| col.is_numeric());
                                alternatives.push(Condition {
                                    path,
                                    op: c.op,
                                    lower: c.value.to_lowercase(),
                                    list: c.value.split(',').map(str::to_string).collect(),
                                    value: c.value.clone(),
                                    numeric,
                                    bound: Key::of(&c.value, numeric),
                                });
                            }
                            None => unknown.push(c.field.clone()),
                        },
                        Term::Invalid(raw) => unknown.push(raw.clone()),
                    }
                }
                if !alternatives.is_empty() {
                    clauses.push(alternatives);
                }
            }
            groups.push(clauses);
        }
        let order = query
            .order
            .iter()
            .filter_map(|o| {
                let path = db.resolve_path(table, &o.field)?;
                let numeric = db.path_column(&path).is_some_and(|col| col.is_numeric());
                Some(SortKey {
                    path,
                    descending: o.descending,
                    numeric,
                })
            })
            .collect();
        Compiled {
            groups,
            order,
            unknown,
        }
    }

    /// Every column path a condition reads (for the field-ACL check).
    pub fn condition_paths(&self) -> impl Iterator<Item = &FieldPath> {
        self.groups.iter().flatten().flatten().map(|c| &c.path)
    }

    /// Does the record match?
    pub fn matches(&self, db: &Database, id: RecordId) -> bool {
        if self.groups.is_empty() {
            return true;
        }
        self.groups.iter().any(|clauses| {
            clauses
                .iter()
                .all(|alternatives| alternatives.iter().any(|c| test(db, id, c)))
        })
    }

    /// The matching records of `table` (and its descendants), sorted.
    pub fn run(&self, db: &Database, table: usize) -> Vec<RecordId> {
        let ids = db
            .records_of(table)
            .into_iter()
            .filter(|id| self.matches(db, *id));
        if self.order.is_empty() {
            return ids.collect();
        }
        // Each record's sort values are read (and lower-cased or parsed) once, not at every
        // comparison.
        let mut keyed: Vec<(Vec<Key>, RecordId)> = ids
            .map(|id| {
                let keys = self
                    .order
                    .iter()
                    .map(|k| Key::of(db.value_at(id, &k.path), k.numeric))
                    .collect();
                (keys, id)
            })
            .collect();
        keyed.sort_by(|(a, _), (b, _)| {
            for ((x, y), key) in a.iter().zip(b).zip(&self.order) {
                let ord = x.compare(y);
                let ord = if key.descending { ord.reverse() } else { ord };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        });
        keyed.into_iter().map(|(_, id)| id).collect()
    }
}

/// A value as `<`, `>` and ORDERBY compare it: a number on numeric columns (text that is not
/// a number sorts first), lower-cased text otherwise.
enum Key {
    Number(Option<f64>),
    Text(String),
}

impl Key {
    fn of(raw: &str, numeric: bool) -> Key {
        if numeric {
            Key::Number(raw.trim().parse::<f64>().ok())
        } else {
            Key::Text(raw.to_lowercase())
        }
    }

    fn compare(&self, other: &Key) -> Ordering {
        match (self, other) {
            (Key::Number(a), Key::Number(b)) => match (a, b) {
                (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
            (Key::Text(a), Key::Text(b)) => a.cmp(b),
            // Both sides always come from the same column.
            _ => Ordering::Equal,
        }
    }
}

fn test(db: &Database, id: RecordId, c: &Condition) -> bool {
    let actual = db.value_at(id, &c.path);
    let ordered = || Key::of(actual, c.numeric).compare(&c.bound);
    match c.op {
        Operator::Eq => actual == c.value,
        Operator::NotEq => actual != c.value,
        Operator::In => c.list.iter().any(|v| v == actual),
        Operator::NotIn => !c.list.iter().any(|v| v == actual),
        Operator::Like => actual.to_lowercase().contains(&c.lower),
        Operator::NotLike => !actual.to_lowercase().contains(&c.lower),
        Operator::StartsWith => actual.to_lowercase().starts_with(&c.lower),
        Operator::EndsWith => actual.to_lowercase().ends_with(&c.lower),
        Operator::IsEmpty | Operator::EmptyString => actual.is_empty(),
        Operator::IsNotEmpty => !actual.is_empty(),
        Operator::Anything => true,
        Operator::Gt => !actual.is_empty() && ordered().is_gt(),
        Operator::Ge => !actual.is_empty() && ordered().is_ge(),
        Operator::Lt => !actual.is_empty() && ordered().is_lt(),
        Operator::Le => !actual.is_empty() && ordered().is_le(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::SimOptions;
    use crate::simulator::query::parse;

    fn run(table: &str, query: &str) -> (Vec<String>, Vec<String>) {
        let db = crate::simulator::dataset::load(&SimOptions::default()).expect("dataset");
        let t = db.table(table).expect("table");
        let compiled = Compiled::new(&db, t, &parse(query));
        let col = db
            .column(t, "number")
            .or_else(|| db.column(t, "name"))
            .or_else(|| db.column(t, "element"))
            .expect("a name column");
        let names = compiled
            .run(&db, t)
            .into_iter()
            .map(|id| db.value(id, col).to_string())
            .collect();
        (names, compiled.unknown)
    }

    #[test]
    fn equality_and_in() {
        assert_eq!(run("incident", "priority=1").0, vec!["INC0000002"]);
        assert_eq!(
            run("incident", "priorityIN4,5").0,
            vec!["INC0000004", "INC0000005"]
        );
        assert_eq!(
            run("incident", "priorityNOT IN1,2,3").0,
            vec!["INC0000004", "INC0000005"]
        );
        assert_eq!(
            run("incident", "priority!=1^priority!=2^priority!=3").0,
            vec!["INC0000004", "INC0000005"]
        );
    }

    #[test]
    fn like_is_case_insensitive() {
        assert_eq!(
            run("sys_user_group", "nameLIKEfinops").0,
            vec!["Cloud FinOps"]
        );
        assert_eq!(
            run("sys_user_group", "nameSTARTSWITHcloud").0,
            vec!["Cloud FinOps", "Cloud Platform Engineering"]
        );
        assert_eq!(
            run("sys_user_group", "nameENDSWITHDESK").0,
            vec!["Service Desk"]
        );
    }

    #[test]
    fn or_and_new_query() {
        assert_eq!(
            run("incident", "priority=1^ORpriority=5").0,
            vec!["INC0000002", "INC0000005"]
        );
        assert_eq!(
            run("incident", "priority=1^NQpriority=5").0,
            vec!["INC0000002", "INC0000005"]
        );
        assert_eq!(
            run("incident", "priority=1^priority=5").0,
            Vec::<String>::new()
        );
    }

    #[test]
    fn order_by_numeric_and_desc() {
        assert_eq!(
            run("incident", "ORDERBYDESCpriority^ORDERBYnumber").0,
            vec![
                "INC0000005",
                "INC0000004",
                "INC0000001",
                "INC0000003",
                "INC0000002"
            ]
        );
    }

    #[test]
    fn dot_walk_through_references() {
        assert_eq!(
            run("sys_db_object", "super_class.name=task").0,
            vec!["incident", "problem", "change_request"]
        );
        assert_eq!(
            run("incident", "assignment_group.name=Cloud FinOps").0,
            vec!["INC0000003"]
        );
        assert_eq!(
            run("incident", "caller_id.manager.name=Beth Anglin").0,
            vec!["INC0000002"]
        );
    }

    #[test]
    fn empty_operators() {
        let (names, _) = run("incident", "hold_reasonISNOTEMPTY");
        assert_eq!(names, vec!["INC0000002"]);
        let (names, _) = run("incident", "hold_reasonISEMPTY");
        assert_eq!(names.len(), 4);
    }

    #[test]
    fn unknown_fields_are_dropped_and_reported() {
        let (names, unknown) = run("incident", "bogus=1^priority=1");
        assert_eq!(names, vec!["INC0000002"]);
        assert_eq!(unknown, vec!["bogus"]);
    }

    #[test]
    fn querying_task_includes_incidents() {
        let (names, _) = run("task", "sys_class_name=incident");
        assert_eq!(names.len(), 5);
    }
}
