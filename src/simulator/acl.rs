//! The integration user's missing rights, from `--deny`, and how denials answer.
//!
//! ACLs inherit down the table hierarchy, as on the platform: denying `task.*` also hides the
//! task columns of incident records.

use std::collections::{HashMap, HashSet};

use super::SimError;
use super::store::{Database, DenialKind, Str};

/// The error for an ACL name the simulator does not know, with a suggestion when one is close.
fn unknown_acl(spec: &str, db: &Database) -> SimError {
    let mut candidates: Vec<String> = Vec::new();
    for table in &db.tables {
        let name = &*table.name;
        candidates.extend([
            name.to_string(),
            format!("{name}.*"),
            format!("{name}.read"),
            format!("{name}.create"),
            format!("{name}.write"),
            format!("{name}.delete"),
        ]);
    }
    if let Some((table, _)) = spec.split_once('.')
        && let Some(t) = db.table(table)
    {
        candidates.extend(
            db.tables[t]
                .columns
                .iter()
                .map(|c| format!("{table}.{}", c.element)),
        );
    }
    let best = candidates
        .into_iter()
        .map(|c| (strsim::normalized_levenshtein(spec, &c), c))
        .filter(|(score, _)| *score >= 0.75)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, suggestion)) => SimError::UnknownAclDidYouMean {
            acl: spec.to_string(),
            suggestion,
        },
        None => SimError::UnknownAcl(spec.to_string()),
    }
}

/// What the integration user may not do.
#[derive(Debug, Default)]
pub(crate) struct Acl {
    read_denied: HashSet<usize>,
    create_denied: HashSet<usize>,
    write_denied: HashSet<usize>,
    delete_denied: HashSet<usize>,
    all_fields_denied: HashSet<usize>,
    /// table → elements denied on it.
    fields_denied: HashMap<usize, HashSet<Str>>,
    denial_override: HashMap<usize, DenialKind>,
}

impl Acl {
    /// Read `--deny` and `--table-denial` values against the tables of `db`.
    pub fn parse(deny: &[String], table_denial: &[String], db: &Database) -> Result<Acl, SimError> {
        let mut acl = Acl::default();
        for spec in deny {
            let unknown = || unknown_acl(spec, db);
            match spec.split_once('.') {
                None => {
                    let t = db.table(spec).ok_or_else(unknown)?;
                    acl.read_denied.insert(t);
                }
                Some((table, what)) => {
                    let t = db.table(table).ok_or_else(unknown)?;
                    match what {
                        "*" => {
                            acl.all_fields_denied.insert(t);
                        }
                        "read" => {
                            acl.read_denied.insert(t);
                        }
                        "create" => {
                            acl.create_denied.insert(t);
                        }
                        "write" => {
                            acl.write_denied.insert(t);
                        }
                        "delete" => {
                            acl.delete_denied.insert(t);
                        }
                        field => {
                            db.column(t, field).ok_or_else(unknown)?;
                            acl.fields_denied
                                .entry(t)
                                .or_default()
                                .insert(Str::from(field));
                        }
                    }
                }
            }
        }
        for spec in table_denial {
            let invalid = || {
                SimError::InvalidOption(format!(
                    "--table-denial {spec:?}: expected TABLE=forbidden or TABLE=empty with a \
                     table the simulator knows, e.g. incident=forbidden"
                ))
            };
            let (table, style) = spec.split_once('=').ok_or_else(invalid)?;
            let t = db.table(table).ok_or_else(invalid)?;
            let kind = match style {
                "forbidden" => DenialKind::Forbidden,
                "empty" => DenialKind::Empty,
                _ => return Err(invalid()),
            };
            acl.denial_override.insert(t, kind);
        }
        Ok(acl)
    }

    /// May the user read records of `table` at all?
    pub fn can_read_table(&self, db: &Database, table: usize) -> bool {
        !db.ancestors(table).any(|t| self.read_denied.contains(&t))
    }

    /// How a denied read of `table` answers.
    pub fn denial_kind(&self, db: &Database, table: usize) -> DenialKind {
        self.denial_override
            .get(&table)
            .copied()
            .or_else(|| db.tables.get(table).map(|t| t.denial))
            .unwrap_or(DenialKind::Empty)
    }

    /// May the user read `element` on records of `table`?
    pub fn can_read_field(&self, db: &Database, table: usize, element: &str) -> bool {
        if self.all_fields_denied.is_empty() && self.fields_denied.is_empty() {
            return true;
        }
        !db.ancestors(table).any(|t| {
            self.all_fields_denied.contains(&t)
                || self
                    .fields_denied
                    .get(&t)
                    .is_some_and(|fields| fields.contains(element))
        })
    }

    /// May the user insert into `table`?
    pub fn can_create(&self, db: &Database, table: usize) -> bool {
        changes_allowed(db, table) && !db.ancestors(table).any(|t| self.create_denied.contains(&t))
    }

    /// May the user update records of `table`?
    pub fn can_write(&self, db: &Database, table: usize) -> bool {
        changes_allowed(db, table) && !db.ancestors(table).any(|t| self.write_denied.contains(&t))
    }

    /// May the user delete records of `table`?
    pub fn can_delete(&self, db: &Database, table: usize) -> bool {
        changes_allowed(db, table) && !db.ancestors(table).any(|t| self.delete_denied.contains(&t))
    }
}

/// The integration user has the rights of an incident fulfiller (itil): it may create,
/// change and delete incidents, and only read everything else.
const CHANGEABLE: &str = "incident";

fn changes_allowed(db: &Database, table: usize) -> bool {
    db.table(CHANGEABLE)
        .is_some_and(|incident| db.is_a(table, incident))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::SimOptions;

    fn db() -> Database {
        crate::simulator::dataset::load(&SimOptions::default()).expect("dataset loads")
    }

    fn deny(specs: &[&str]) -> Result<Acl, SimError> {
        let specs: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
        Acl::parse(&specs, &[], &db())
    }

    #[test]
    fn every_documented_acl_name_parses() {
        let acl = deny(&[
            "sys_db_object",
            "sys_db_object.*",
            "sys_dictionary",
            "sys_dictionary.*",
            "sys_glide_object",
            "sys_choice",
            "incident.create",
            "incident.read",
            "incident.write",
            "incident.delete",
            "task.write",
            "sys_user.email",
        ]);
        assert!(acl.is_ok());
    }

    #[test]
    fn unknown_names_are_rejected() {
        for bad in ["incident.nope", "nope.*", "", "zzz"] {
            assert!(
                matches!(deny(&[bad]), Err(SimError::UnknownAcl(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn misspellings_get_a_suggestion() {
        for (typo, expected) in [
            ("sys_dictonary", "sys_dictionary"),
            ("sys_dictionary.**", "sys_dictionary.*"),
            ("incident.creat", "incident.create"),
            ("incident.delet", "incident.delete"),
            ("incident.caller", "incident.caller_id"),
        ] {
            match deny(&[typo]) {
                Err(SimError::UnknownAclDidYouMean { acl, suggestion }) => {
                    assert_eq!((acl.as_str(), suggestion.as_str()), (typo, expected));
                }
                other => panic!("{typo}: {:?}", other.map(|_| ())),
            }
        }
    }

    #[test]
    fn field_denial_inherits_to_child_tables() {
        let db = db();
        let acl = Acl::parse(&["task.*".into()], &[], &db).expect("parses");
        let incident = db.table("incident").expect("incident");
        assert!(!acl.can_read_field(&db, incident, "short_description"));
        let user = db.table("sys_user").expect("sys_user");
        assert!(acl.can_read_field(&db, user, "name"));
    }

    #[test]
    fn denial_kinds_come_from_the_dataset_and_can_be_overridden() {
        let db = db();
        let incident = db.table("incident").expect("incident");
        let dictionary = db.table("sys_dictionary").expect("sys_dictionary");
        let acl = Acl::default();
        assert_eq!(acl.denial_kind(&db, incident), DenialKind::Empty);
        assert_eq!(acl.denial_kind(&db, dictionary), DenialKind::Forbidden);
        let acl = Acl::parse(&[], &["incident=forbidden".into()], &db).expect("parses");
        assert_eq!(acl.denial_kind(&db, incident), DenialKind::Forbidden);
        assert!(matches!(
            Acl::parse(&[], &["incident=maybe".into()], &db),
            Err(SimError::InvalidOption(_))
        ));
    }
}
