//! Runs a parsed encoded query against a table of the store.
//!
//! Comparisons follow the platform's database: `=`, `!=` and `IN` compare exactly (numbers
//! and date-times by value); `LIKE`, `STARTSWITH` and `ENDSWITH` ignore case (as its default
//! collation does) and match a reference field's display value; `<`, `>`, `BETWEEN` and
//! ORDERBY compare numbers on numeric columns and moments on date-time columns.

use std::cmp::Ordering;

use super::datetime::{self, Edge};
use super::query::{EncodedQuery, Operator, Term};
use super::store::{Column, Database, FieldPath, RecordId};

/// How a column's values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Time,
}

impl Kind {
    fn of(column: Option<&Column>) -> Kind {
        match column {
            Some(c) if c.is_numeric() => Kind::Number,
            Some(c) if c.is_temporal() => Kind::Time,
            _ => Kind::Text,
        }
    }
}

struct Condition {
    path: FieldPath,
    op: Operator,
    value: String,
    lower: String,
    list: Vec<String>,
    kind: Kind,
    /// String operators on a reference compare the referenced record's display value.
    by_display: bool,
    /// The value as `<`, `>`, `<=`, `>=` compare it; the low end of a range.
    low: Key,
    /// The high end of `BETWEEN`, `ON` and `NOTON`.
    high: Key,
    /// The other field of `SAMEAS`, `NSAMEAS` and the `*_FIELD` operators.
    other: Option<FieldPath>,
    /// `SAMEAS field@day` compares the dates only.
    by_day: bool,
}

struct SortKey {
    path: FieldPath,
    descending: bool,
    kind: Kind,
}

/// A query bound to a table: conditions resolved to columns, unknown pieces set aside.
pub(crate) struct Compiled {
    /// Groups (any) of clauses (all) of alternatives (any).
    groups: Vec<Vec<Vec<Condition>>>,
    order: Vec<SortKey>,
    /// Field names or pieces the table does not know (in query order).
    pub unknown: Vec<String>,
    /// Conditions with a platform operator the simulator does not evaluate.
    pub unsupported: Vec<String>,
}

/// The two ends of a `low@high` value (`ON` values carry a label first).
fn range(op: Operator, value: &str, kind: Kind, now: i64) -> (Key, Key) {
    let ends = match op {
        Operator::On | Operator::NotOn => {
            let mut parts = value.splitn(3, '@').skip(1);
            (parts.next().unwrap_or(""), parts.next().unwrap_or(""))
        }
        _ => value.split_once('@').unwrap_or((value, "")),
    };
    (
        Key::bound(ends.0, kind, Edge::Start, now),
        Key::bound(ends.1, kind, Edge::End, now),
    )
}

impl Compiled {
    /// Bind `query` to `table`. Unknown fields are dropped from the conditions and listed in
    /// `unknown`; a clause left without alternatives disappears.
    pub fn new(db: &Database, table: usize, query: &EncodedQuery) -> Compiled {
        let now = datetime::now();
        let mut unknown = Vec::new();
        let mut unsupported = Vec::new();
        let mut groups = Vec::new();
        for group in &query.groups {
            let mut clauses = Vec::new();
            for clause in &group.clauses {
                let mut alternatives = Vec::new();
                for term in &clause.terms {
                    let c = match term {
                        Term::Condition(c) => c,
                        Term::Invalid(raw) => {
                            unknown.push(raw.clone());
                            continue;
                        }
                    };
                    if let Operator::Unsupported(name) = c.op {
                        unsupported.push(format!("{}{name}{}", c.field, c.value));
                        continue;
                    }
                    let Some(path) = db.resolve_path(table, &c.field) else {
                        unknown.push(c.field.clone());
                        continue;
                    };
                    let column = db.path_column(&path);
                    let kind = Kind::of(column);
                    let field_ops = matches!(
                        c.op,
                        Operator::SameAs
                            | Operator::NotSameAs
                            | Operator::GtField
                            | Operator::LtField
                            | Operator::GeField
                            | Operator::LeField
                    );
                    let (other_name, unit) = c.value.split_once('@').unwrap_or((&c.value, ""));
                    let other = if field_ops {
                        match db.resolve_path(table, other_name) {
                            Some(p) => Some(p),
                            None => {
                                unknown.push(other_name.to_string());
                                continue;
                            }
                        }
                    } else {
                        None
                    };
                    let (low, high) = match c.op {
                        Operator::Between | Operator::On | Operator::NotOn => {
                            range(c.op, &c.value, kind, now)
                        }
                        Operator::RelativeGt
                        | Operator::RelativeLt
                        | Operator::RelativeGe
                        | Operator::RelativeLe => {
                            let at = datetime::relative(&c.value, now);
                            (Key::Time(at), Key::Time(None))
                        }
                        _ => (
                            Key::bound(&c.value, kind, Edge::Start, now),
                            Key::Text(String::new()),
                        ),
                    };
                    alternatives.push(Condition {
                        by_display: column.is_some_and(Column::is_reference),
                        path,
                        op: c.op,
                        lower: c.value.to_lowercase(),
                        list: c.value.split(',').map(str::to_string).collect(),
                        value: c.value.clone(),
                        kind,
                        low,
                        high,
                        other,
                        by_day: field_ops && unit == "day",
                    });
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
                let kind = Kind::of(db.path_column(&path));
                Some(SortKey {
                    path,
                    descending: o.descending,
                    kind,
                })
            })
            .collect();
        Compiled {
            groups,
            order,
            unknown,
            unsupported,
        }
    }

    /// Every column path a condition reads (for the field-ACL check).
    pub fn condition_paths(&self) -> impl Iterator<Item = &FieldPath> {
        self.groups
            .iter()
            .flatten()
            .flatten()
            .flat_map(|c| std::iter::once(&c.path).chain(c.other.as_ref()))
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
                    .map(|k| Key::stored(db.value_at(id, &k.path), k.kind))
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

/// A value as `<`, `>` and ORDERBY compare it: a number on numeric columns, a moment on
/// date-time columns (text that is neither sorts first), lower-cased text otherwise.
enum Key {
    Number(Option<f64>),
    Time(Option<i64>),
    Text(String),
}

impl Key {
    /// A value read from a record.
    fn stored(raw: &str, kind: Kind) -> Key {
        match kind {
            Kind::Number => Key::Number(raw.trim().parse::<f64>().ok()),
            Kind::Time => Key::Time(datetime::parse_literal(raw, Edge::Start)),
            Kind::Text => Key::Text(raw.to_lowercase()),
        }
    }

    /// A value written in a query (date helpers allowed).
    fn bound(raw: &str, kind: Kind, edge: Edge, now: i64) -> Key {
        match kind {
            Kind::Time => Key::Time(datetime::evaluate(raw, edge, now)),
            _ => Key::stored(raw, kind),
        }
    }

    /// Both sides are real values (not unparseable text on a number or time column).
    fn is_known(&self) -> bool {
        match self {
            Key::Number(n) => n.is_some(),
            Key::Time(t) => t.is_some(),
            Key::Text(_) => true,
        }
    }

    fn compare(&self, other: &Key) -> Ordering {
        fn opt<T: PartialOrd>(a: &Option<T>, b: &Option<T>) -> Ordering {
            match (a, b) {
                (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
        }
        match (self, other) {
            (Key::Number(a), Key::Number(b)) => opt(a, b),
            (Key::Time(a), Key::Time(b)) => opt(a, b),
            (Key::Text(a), Key::Text(b)) => a.cmp(b),
            // Both sides always come from the same column kind.
            _ => Ordering::Equal,
        }
    }
}

/// The text string operators look at: a reference's display value, otherwise the value.
fn text_of<'d>(db: &'d Database, id: RecordId, c: &Condition, actual: &'d str) -> &'d str {
    if !c.by_display || actual.is_empty() {
        return actual;
    }
    let (table, column) = c.path.last();
    let target = db
        .tables
        .get(table)
        .and_then(|t| t.columns.get(column))
        .and_then(|col| col.reference);
    let walked = db
        .walk(id, &c.path)
        .and_then(|(rec, _)| db.follow(table, column, db.value(rec, column)));
    match (target, walked) {
        (Some(t), Some(rec)) => db.display_of(t, rec),
        _ => actual,
    }
}

/// `=` on numbers and moments compares values (`1` equals `1.0`), text compares exactly.
fn equal(actual: &str, c: &Condition) -> bool {
    if actual == c.value {
        return true;
    }
    if c.kind == Kind::Text {
        return false;
    }
    let a = Key::stored(actual, c.kind);
    a.is_known() && c.low.is_known() && a.compare(&c.low).is_eq()
}

fn ordered(actual: &str, c: &Condition, bound: &Key, accept: fn(Ordering) -> bool) -> bool {
    if actual.is_empty() || !bound.is_known() {
        return false;
    }
    let key = Key::stored(actual, c.kind);
    key.is_known() && accept(key.compare(bound))
}

fn between(actual: &str, c: &Condition) -> bool {
    ordered(actual, c, &c.low, Ordering::is_ge) && ordered(actual, c, &c.high, Ordering::is_le)
}

fn field_compare(db: &Database, id: RecordId, c: &Condition, actual: &str) -> Option<Ordering> {
    let other = db.value_at(id, c.other.as_ref()?);
    if c.by_day {
        return Some(
            actual
                .get(..10)
                .unwrap_or(actual)
                .cmp(other.get(..10).unwrap_or(other)),
        );
    }
    let (a, b) = (Key::stored(actual, c.kind), Key::stored(other, c.kind));
    if c.kind != Kind::Text && (!a.is_known() || !b.is_known()) {
        return (actual == other).then_some(Ordering::Equal);
    }
    Some(a.compare(&b))
}

fn test(db: &Database, id: RecordId, c: &Condition) -> bool {
    let actual = db.value_at(id, &c.path);
    let text = || text_of(db, id, c, actual).to_lowercase();
    let relation = || field_compare(db, id, c, actual);
    let nonempty_relation =
        |accept: fn(Ordering) -> bool| !actual.is_empty() && relation().is_some_and(accept);
    match c.op {
        Operator::Eq => equal(actual, c),
        Operator::NotEq => !equal(actual, c),
        Operator::In => c.list.iter().any(|v| v == actual),
        Operator::NotIn => !c.list.iter().any(|v| v == actual),
        Operator::Like => text().contains(&c.lower),
        Operator::NotLike => !text().contains(&c.lower),
        Operator::StartsWith => text().starts_with(&c.lower),
        Operator::EndsWith => text().ends_with(&c.lower),
        Operator::IsEmpty | Operator::EmptyString => actual.is_empty(),
        Operator::IsNotEmpty => !actual.is_empty(),
        Operator::Anything => true,
        Operator::Gt | Operator::RelativeGt => ordered(actual, c, &c.low, Ordering::is_gt),
        Operator::Ge | Operator::RelativeGe => ordered(actual, c, &c.low, Ordering::is_ge),
        Operator::Lt | Operator::RelativeLt => ordered(actual, c, &c.low, Ordering::is_lt),
        Operator::Le | Operator::RelativeLe => ordered(actual, c, &c.low, Ordering::is_le),
        Operator::Between | Operator::On => between(actual, c),
        Operator::NotOn => !between(actual, c),
        Operator::SameAs => relation().is_some_and(Ordering::is_eq),
        Operator::NotSameAs => !relation().is_some_and(Ordering::is_eq),
        Operator::GtField => nonempty_relation(Ordering::is_gt),
        Operator::LtField => nonempty_relation(Ordering::is_lt),
        Operator::GeField => nonempty_relation(Ordering::is_ge),
        Operator::LeField => nonempty_relation(Ordering::is_le),
        // Compiling sets these aside; they never reach a record.
        Operator::Unsupported(_) => false,
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
