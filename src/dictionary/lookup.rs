//! Reference lookup: do these sys_ids exist in the referenced table? One `sys_idIN…` query
//! per table (split into bounded chunks), so many endpoints cost one request per referenced
//! table, not one per value.
//!
//! A lookup that could not be made (rate limit, unreachable instance, a table the user cannot
//! read) is [`Lookup::Unchecked`], never [`Lookup::Missing`]: a temporary condition must not
//! be reported as a wrong value.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use serde::Serialize;

use super::rules::is_sys_id;
use crate::servicenow::{Client, EncodedQuery, Error, TableQuery, field_string};

/// At most this many sys_ids go into one query (33 bytes each: the URL stays near 3.5 KB,
/// well under what proxies and ServiceNow accept).
pub const IDS_PER_REQUEST: usize = 100;

/// At most this many sys_ids are looked up per table in one validation; the rest are
/// reported as unchecked. Bounds the cost of a config with very many endpoints.
pub const MAX_IDS_PER_TABLE: usize = 500;

/// What is known about one referenced sys_id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The record exists (and the integration user can see it).
    Found,
    /// The table was read and has no such record (or a row ACL hides it from this user).
    Missing,
    /// The lookup could not be made; says why.
    Unchecked(LookupFailure),
}

/// Why a reference could not be looked up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum LookupFailure {
    /// HTTP 429; try again after `retry_after_secs` when the instance said.
    RateLimited {
        /// `Retry-After`, in seconds, when given.
        retry_after_secs: Option<u64>,
    },
    /// DNS, TCP, TLS, a timeout, hibernation or a non-ServiceNow answer.
    Unreachable {
        /// What happened.
        message: String,
    },
    /// The user may not read the referenced table (or its sys_id column).
    Denied {
        /// What ServiceNow answered.
        message: String,
    },
    /// More sys_ids than [`MAX_IDS_PER_TABLE`] for one table.
    TooMany {
        /// The bound.
        limit: usize,
    },
    /// Anything else (server error, unexpected answer).
    Failed {
        /// What happened.
        message: String,
    },
}

impl LookupFailure {
    /// True for conditions that pass by themselves (rate limit, unreachable, server error).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            LookupFailure::RateLimited { .. }
                | LookupFailure::Unreachable { .. }
                | LookupFailure::Failed { .. }
        )
    }

    fn of(e: &Error) -> LookupFailure {
        let message = crate::sanitize::line(&e.to_string()).into_owned();
        match e {
            Error::RateLimited { retry_after, .. } => LookupFailure::RateLimited {
                retry_after_secs: retry_after.map(|d: Duration| d.as_secs()),
            },
            Error::Forbidden(_) | Error::SecurelyScoped(_) | Error::InvalidTable { .. } => {
                LookupFailure::Denied { message }
            }
            e if e.is_unreachable() => LookupFailure::Unreachable { message },
            _ => LookupFailure::Failed { message },
        }
    }
}

impl std::fmt::Display for LookupFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LookupFailure::RateLimited {
                retry_after_secs: Some(s),
            } => write!(
                f,
                "ServiceNow is rate limiting this user (HTTP 429); try again in {s}s"
            ),
            LookupFailure::RateLimited { .. } => {
                write!(
                    f,
                    "ServiceNow is rate limiting this user (HTTP 429); try again later"
                )
            }
            LookupFailure::Unreachable { message } => {
                write!(f, "the instance could not be reached ({message})")
            }
            LookupFailure::Denied { message } => write!(
                f,
                "the integration user cannot read the referenced table ({message})"
            ),
            LookupFailure::TooMany { limit } => write!(
                f,
                "more than {limit} references to one table; only the first {limit} were looked up"
            ),
            LookupFailure::Failed { message } => write!(f, "the lookup failed ({message})"),
        }
    }
}

/// The sys_ids to look up, per referenced table.
#[derive(Debug, Default, Clone)]
pub struct LookupRequest {
    tables: BTreeMap<String, BTreeSet<String>>,
}

impl LookupRequest {
    /// Ask whether `sys_id` exists in `table`. Values that are not sys_ids are ignored (the
    /// value rules report them).
    pub fn add(&mut self, table: &str, sys_id: &str) {
        if is_sys_id(sys_id) {
            self.tables
                .entry(table.to_string())
                .or_default()
                .insert(sys_id.to_string());
        }
    }

    /// True when nothing is to be looked up.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// The tables that will be read.
    pub fn tables(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }

    /// Look everything up: per table, one request per [`IDS_PER_REQUEST`] sys_ids (tables
    /// concurrently), at most [`MAX_IDS_PER_TABLE`] per table.
    pub async fn run(&self, client: &Client) -> LookupResults {
        let reads = self
            .tables
            .iter()
            .map(|(table, ids)| lookup_table(client, table, ids));
        let tables = futures::future::join_all(reads).await;
        LookupResults {
            requests: tables.iter().map(|t| t.requests).sum(),
            tables: self.tables.keys().cloned().zip(tables).collect(),
        }
    }
}

/// What one table's lookup found.
#[derive(Debug, Clone, Default)]
struct TableLookup {
    found: HashSet<String>,
    /// sys_ids whose chunk was read successfully.
    checked: HashSet<String>,
    /// Why the other sys_ids were not checked.
    failure: Option<LookupFailure>,
    requests: usize,
}

/// The answers of a [`LookupRequest`].
#[derive(Debug, Clone, Default)]
pub struct LookupResults {
    tables: BTreeMap<String, TableLookup>,
    /// Requests made.
    pub requests: usize,
}

impl LookupResults {
    /// What is known about `sys_id` in `table`. A value that was never asked about is
    /// unchecked.
    pub fn get(&self, table: &str, sys_id: &str) -> Lookup {
        let Some(t) = self.tables.get(table) else {
            return Lookup::Unchecked(LookupFailure::Failed {
                message: format!("{table} was not looked up"),
            });
        };
        if t.found.contains(sys_id) {
            Lookup::Found
        } else if t.checked.contains(sys_id) {
            Lookup::Missing
        } else {
            Lookup::Unchecked(t.failure.clone().unwrap_or(LookupFailure::Failed {
                message: format!("{sys_id} was not looked up"),
            }))
        }
    }
}

/// A table name as the Table API takes it in its path.
fn is_table_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The query for one chunk: `sys_idINa,b,c`, only the sys_id column. The count stays on:
/// ServiceNow counts before ACLs, so a count above the rows returned means an ACL hides some.
pub(crate) fn chunk_query(table: &str, ids: &[&String]) -> TableQuery {
    TableQuery::new(table)
        .query(EncodedQuery::new().is_in("sys_id", ids))
        .fields(&["sys_id"])
        .exclude_reference_link()
        .limit(u32::try_from(ids.len()).unwrap_or(u32::MAX))
}

async fn lookup_table(client: &Client, table: &str, ids: &BTreeSet<String>) -> TableLookup {
    let mut out = TableLookup::default();
    if !is_table_name(table) {
        out.failure = Some(LookupFailure::Failed {
            message: format!(
                "the dictionary names the reference table {:?}, which is not a table name",
                crate::sanitize::line(table)
            ),
        });
        return out;
    }
    let wanted: Vec<&String> = ids.iter().take(MAX_IDS_PER_TABLE).collect();
    if ids.len() > MAX_IDS_PER_TABLE {
        out.failure = Some(LookupFailure::TooMany {
            limit: MAX_IDS_PER_TABLE,
        });
    }
    for chunk in wanted.chunks(IDS_PER_REQUEST) {
        out.requests = out.requests.saturating_add(1);
        let page = match client.get_page(&chunk_query(table, chunk)).await {
            Ok(p) => p,
            Err(e) => {
                // Stop at the first failure: the next chunk would meet the same condition.
                out.failure = Some(LookupFailure::of(&e));
                return out;
            }
        };
        let ids: Vec<Option<String>> = page
            .records
            .iter()
            .map(|r| field_string(r, "sys_id"))
            .collect();
        // Rows without their sys_id mean a field ACL hides it: nothing can be concluded.
        if ids.iter().any(Option::is_none) {
            out.failure = Some(LookupFailure::Denied {
                message: format!("HTTP 200, but {table} records came back without sys_id"),
            });
            return out;
        }
        // Rows that exist but came back hidden: which ones is unknown, so none is judged.
        let returned = u64::try_from(ids.len()).unwrap_or(u64::MAX);
        if page.total_count.is_some_and(|n| n > returned) {
            out.found.extend(ids.into_iter().flatten());
            out.failure = Some(LookupFailure::Denied {
                message: format!(
                    "HTTP 200 with fewer {table} records than ServiceNow counted: a read ACL hides some"
                ),
            });
            return out;
        }
        out.found.extend(ids.into_iter().flatten());
        out.checked.extend(chunk.iter().map(|s| (*s).clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_query_per_chunk_asks_only_for_sys_id() {
        let a = "a".repeat(32);
        let b = "b".repeat(32);
        let q = chunk_query("sys_user", &[&a, &b]);
        assert_eq!(q.table, "sys_user");
        assert_eq!(q.query.as_encoded(), format!("sys_idIN{a},{b}"));
        assert_eq!(q.fields, vec!["sys_id".to_string()]);
        assert_eq!(q.limit, Some(2));
        assert!(
            !q.no_count,
            "the count tells a hidden record from a missing one"
        );
    }

    #[test]
    fn requests_are_grouped_by_table_and_ignore_non_sys_ids() {
        let mut r = LookupRequest::default();
        r.add("sys_user", &"a".repeat(32));
        r.add("sys_user", &"a".repeat(32));
        r.add("sys_user", &"b".repeat(32));
        r.add("sys_user_group", &"c".repeat(32));
        r.add("cmdb_ci", "Cloud FinOps");
        let tables: Vec<&str> = r.tables().collect();
        assert_eq!(tables, ["sys_user", "sys_user_group"]);
        assert_eq!(r.tables.get("sys_user").map(BTreeSet::len), Some(2));
    }

    #[test]
    fn unknown_values_are_unchecked_not_missing() {
        let mut results = LookupResults::default();
        let mut t = TableLookup::default();
        t.checked.insert("a".repeat(32));
        t.found.insert("b".repeat(32));
        t.checked.insert("b".repeat(32));
        t.failure = Some(LookupFailure::RateLimited {
            retry_after_secs: Some(30),
        });
        results.tables.insert("sys_user".into(), t);
        assert_eq!(results.get("sys_user", &"a".repeat(32)), Lookup::Missing);
        assert_eq!(results.get("sys_user", &"b".repeat(32)), Lookup::Found);
        match results.get("sys_user", &"c".repeat(32)) {
            Lookup::Unchecked(f) => {
                assert!(f.is_transient());
                assert!(f.to_string().contains("HTTP 429"), "{f}");
            }
            other => panic!("expected unchecked, got {other:?}"),
        }
        assert!(matches!(
            results.get("cmdb_ci", &"a".repeat(32)),
            Lookup::Unchecked(_)
        ));
    }

    #[test]
    fn table_names_are_checked_before_they_reach_a_url() {
        assert!(is_table_name("sys_user_group"));
        assert!(is_table_name("u_cost_center2"));
        assert!(!is_table_name("sys_user/../x"));
        assert!(!is_table_name(""));
        assert!(!is_table_name("Sys User"));
    }
}
