//! What each rung of the ladder observed, classified into check outcomes (status, summary,
//! evidence, fix). Pure functions: the ladder feeds them client results, tests feed them
//! hand-made ones.

use serde_json::Value;

use super::cause::{self, CauseId};
use super::create_failure::outcome_unknown;
use super::fixes::{self, FixContext};
use super::rows::Row;
use super::{CheckId, CheckResult, CheckStatus};
use crate::sanitize;
use crate::servicenow::{Error, ProbeAnswer, Record};

/// A check's outcome before it is stamped with its id and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub status: CheckStatus,
    pub summary: String,
    pub evidence: Option<String>,
    pub fix: Option<String>,
    pub cause: Option<CauseId>,
    pub missing_acls: Vec<String>,
    pub retry_at: Option<time::OffsetDateTime>,
}

impl Outcome {
    fn new(status: CheckStatus, summary: impl Into<String>) -> Outcome {
        Outcome {
            status,
            summary: summary.into(),
            evidence: None,
            fix: None,
            cause: None,
            missing_acls: Vec::new(),
            retry_at: None,
        }
    }
    pub fn passed(summary: impl Into<String>) -> Outcome {
        Outcome::new(CheckStatus::Passed, summary)
    }
    pub fn skipped(reason: impl Into<String>) -> Outcome {
        Outcome::new(CheckStatus::Skipped, reason)
    }
    /// Skipped because `cause` stands in the way (the row points at it).
    pub fn skipped_for(reason: impl Into<String>, cause: Option<CauseId>) -> Outcome {
        Outcome {
            cause,
            ..Outcome::skipped(reason)
        }
    }
    pub fn blocked(
        summary: impl Into<String>,
        evidence: Option<String>,
        fix: Option<String>,
    ) -> Outcome {
        Outcome {
            evidence,
            fix,
            ..Outcome::new(CheckStatus::Blocked, summary)
        }
    }
    /// A read ACL is missing: blocked (or partial), pointing at `missing_acl`.
    pub fn acl_missing(
        status: CheckStatus,
        summary: impl Into<String>,
        evidence: String,
        acl: String,
        ctx: &FixContext,
    ) -> Outcome {
        Outcome {
            evidence: Some(evidence),
            fix: Some(fixes::acl_row(&acl, ctx)),
            cause: Some(CauseId::MissingAcl),
            missing_acls: vec![acl],
            ..Outcome::new(status, summary)
        }
    }
    pub fn with_evidence(mut self, evidence: impl Into<String>) -> Outcome {
        self.evidence = Some(evidence.into());
        self
    }
    /// Stamp with id and time. Server text is sanitised here, once, for every consumer.
    pub fn into_result(self, id: CheckId, elapsed_ms: u64) -> CheckResult {
        CheckResult {
            id,
            status: self.status,
            summary: sanitize::line(&self.summary).into_owned(),
            evidence: self.evidence.map(|e| sanitize::line(&e).into_owned()),
            fix: self.fix.map(|f| sanitize::text(&f).into_owned()),
            cause: self.cause,
            elapsed_ms,
            missing_acls: self.missing_acls,
            retry_at: self.retry_at,
        }
    }
}

/// A read's value as a string, whatever its shape (plain string or a reference object).
/// `None` when the key is absent.
pub(crate) fn raw_value(record: &Record, key: &str) -> Option<String> {
    match record.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => Some(
            o.get("value")
                .or_else(|| o.get("display_value"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        ),
        Value::Null => Some(String::new()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(_) => Some(String::new()),
    }
}

/// A non-empty value of `key`, if any.
pub(crate) fn non_empty(record: &Record, key: &str) -> Option<String> {
    raw_value(record, key).filter(|v| !v.is_empty())
}

/// The records (and count) a read returned.
#[derive(Debug, Clone)]
pub(crate) struct ReadOk<R = Record> {
    pub records: Vec<R>,
    pub total: Option<u64>,
    pub requests: usize,
}

/// The result of one Table API read.
pub(crate) type ReadOutcome<R = Record> = Result<ReadOk<R>, Error>;

/// What a read says about the user's access to a table and its fields.
#[derive(Debug, Clone)]
pub(crate) enum Access {
    /// Rows came back. `hidden` lists the requested fields that are absent or empty in every row;
    /// `rows` is how many came back and `total` the `X-Total-Count` of the query, if sent.
    Readable {
        hidden: Vec<&'static str>,
        requested: Vec<&'static str>,
        rows: usize,
        total: Option<u64>,
    },
    /// 403 on the table, or 200 with no rows while `X-Total-Count` says rows exist.
    TableDenied { evidence: String },
    /// No rows and no sign that any exist.
    Empty { evidence: String },
    /// 403 "Field(s) present in the query do not have permission to be read".
    QueryFieldsDenied { evidence: String },
    /// Anything else (scope, rate limit, network ...).
    Failed(Error),
}

const QUERY_FIELDS_DETAIL: &str = "present in the query do not have permission";

/// Classify a read of `table` that asked for `required` fields, each of which must have a value.
pub(crate) fn access<R: Row>(outcome: &ReadOutcome<R>, required: &[&'static str]) -> Access {
    match outcome {
        Ok(ok) if ok.records.is_empty() => match ok.total {
            Some(n) if n > 0 => Access::TableDenied {
                evidence: format!(
                    "HTTP 200 with no records although X-Total-Count is {n}: a read ACL hides every row"
                ),
            },
            Some(n) => Access::Empty {
                evidence: format!("HTTP 200 with no records (X-Total-Count: {n})"),
            },
            None => Access::Empty {
                evidence: "HTTP 200 with no records (no X-Total-Count)".to_string(),
            },
        },
        Ok(ok) => {
            let hidden = required
                .iter()
                .copied()
                .filter(|f| ok.records.iter().all(|r| !r.has_value(f)))
                .collect();
            Access::Readable {
                hidden,
                requested: required.to_vec(),
                rows: ok.records.len(),
                total: ok.total,
            }
        }
        Err(Error::Forbidden(m)) => {
            let detail = m.detail.as_deref().unwrap_or_default();
            if detail.contains(QUERY_FIELDS_DETAIL) {
                Access::QueryFieldsDenied {
                    evidence: format!("HTTP 403: {m}"),
                }
            } else if is_table_denial(m) {
                Access::TableDenied {
                    evidence: format!("HTTP 403: {m}"),
                }
            } else {
                Access::Failed(Error::Forbidden(m.clone()))
            }
        }
        Err(e) => Access::Failed(e.clone()),
    }
}

/// The two bodies ServiceNow uses for a failed table-level read ACL.
fn is_table_denial(m: &crate::servicenow::ServiceNowMessage) -> bool {
    let detail = m.detail.as_deref().unwrap_or_default();
    if detail.contains("Failed API level ACL Validation")
        || detail.contains("Missing required api access scope")
        || detail.contains("Access to unscoped api")
    {
        return false;
    }
    m.message.contains("Insufficient rights to query records")
        || detail.contains("unauthorized to access table")
        || m.message.contains("User Not Authorized")
}

/// The evidence line for an error: HTTP status and ServiceNow's own message where there was one.
pub(crate) fn evidence(err: &Error) -> String {
    match err {
        Error::Forbidden(m) | Error::SecurelyScoped(m) => format!("HTTP 403: {m}"),
        Error::NotAuthenticated(m) => format!("HTTP 401: {m}"),
        Error::NotFound(m) => format!("HTTP 404: {m}"),
        Error::BadRequest { status, message } => format!("HTTP {status}: {message}"),
        Error::InvalidTable { table } => format!("HTTP 400: Invalid table {table}"),
        Error::TokenRejected {
            status,
            description,
        } => format!("HTTP {status} from /oauth_token.do: error_description \"{description}\""),
        Error::RateLimited {
            retry_after,
            limit,
            message,
            ..
        } => {
            let mut s = format!("HTTP 429: {message}");
            if let Some(d) = retry_after {
                s.push_str(&format!("; Retry-After: {}", d.as_secs()));
            }
            if let Some(l) = limit {
                s.push_str(&format!("; X-RateLimit-Limit: {l}"));
            }
            s
        }
        Error::Server { status, message } => format!("HTTP {status}: {message}"),
        Error::Hibernating => {
            "HTTP 200 with the hibernation page (\"Your instance is hibernating\")".to_string()
        }
        Error::OverBudget(o) => o.to_string(),
        other => other.to_string(),
    }
}

/// An error turned into an outcome pointing at its cause: `inconclusive` when the cause says
/// nothing about this check (rate limit, timeout, outage, scope), else `blocked`; skipped for
/// cancellation.
pub(crate) fn failure(summary_prefix: &str, err: &Error, ctx: &FixContext) -> Outcome {
    if matches!(err, Error::Cancelled) {
        return Outcome::skipped("cancelled");
    }
    let cause = cause::cause_of_error(err);
    let summary = match err {
        Error::SecurelyScoped(_) => format!(
            "{summary_prefix}: the OAuth client is securely scoped, ServiceNow refuses Table API calls"
        ),
        Error::RateLimited { retry_after, .. } => match retry_after {
            Some(d) => format!(
                "{summary_prefix}: rate limited; retry after {}",
                fixes::human_duration(*d)
            ),
            None => format!("{summary_prefix}: rate limited; retry in a few minutes"),
        },
        other => format!("{summary_prefix}: {}", short(other)),
    };
    let status = if cause.is_some_and(CauseId::undecided) {
        CheckStatus::Inconclusive
    } else {
        CheckStatus::Blocked
    };
    Outcome {
        status,
        summary,
        evidence: Some(evidence(err)),
        fix: fixes::for_error(err, ctx),
        cause,
        missing_acls: Vec::new(),
        retry_at: cause::retry_at(err),
    }
}

/// A few words for a summary line; the evidence carries the full message.
fn short(err: &Error) -> String {
    match err {
        Error::Dns { host, .. } => format!("cannot resolve {host}"),
        Error::ConnectionRefused { host } => format!("connection refused by {host}"),
        Error::Connect { host, .. } => format!("could not connect to {host}"),
        Error::Tls { host, .. } => format!("TLS with {host} failed"),
        Error::Timeout { host, after, .. } => {
            format!("{host} did not answer within {} s", after.as_secs())
        }
        Error::Interrupted { host, .. } => format!("the connection to {host} broke"),
        Error::Forbidden(m) => format!("HTTP 403: {m}"),
        Error::NotAuthenticated(m) => format!("HTTP 401: {m}"),
        Error::InvalidTable { table } => format!("HTTP 400: Invalid table {table}"),
        Error::Server { status, .. } => format!("server error (HTTP {status})"),
        Error::Setup(_) => "cannot set up the HTTP client".to_string(),
        Error::OverBudget(o) => o.to_string(),
        other => other.to_string(),
    }
}

/// `reachability` and `instance` from `Client::probe()`.
pub(crate) fn probe_outcomes(
    result: &Result<ProbeAnswer, Error>,
    host: &str,
    https: bool,
    ctx: &FixContext,
) -> (Outcome, Outcome) {
    let connected = if https {
        format!("connected to {host} (DNS, TCP and TLS OK)")
    } else {
        format!("connected to {host} (DNS and TCP OK; plain HTTP, no TLS)")
    };
    match result {
        Ok(answer) => (Outcome::passed(connected), instance_proven(answer)),
        Err(Error::Cancelled) => (Outcome::skipped("cancelled"), Outcome::skipped("cancelled")),
        Err(
            e @ (Error::Dns { .. }
            | Error::ConnectionRefused { .. }
            | Error::Connect { .. }
            | Error::Tls { .. }
            | Error::Timeout { .. }
            | Error::Interrupted { .. }
            | Error::Setup(_)),
        ) => {
            let reach = failure("cannot connect", e, ctx);
            let skipped = Outcome::skipped_for(
                format!(
                    "skipped: cannot connect (see cause {})",
                    cause_word(reach.cause)
                ),
                reach.cause,
            );
            (reach, skipped)
        }
        Err(
            e @ (Error::Hibernating
            | Error::Offline
            | Error::Redirected { .. }
            | Error::NotJson { .. }
            | Error::InvalidResponse { .. }
            | Error::BodyTooLarge { .. }
            | Error::Server { .. }),
        ) => {
            let summary = match e {
                Error::Hibernating => "the instance is hibernating".to_string(),
                Error::Offline => "the instance is currently offline".to_string(),
                Error::Server { status, .. } => format!(
                    "not decided: the instance is unavailable (HTTP {status}; maintenance or an outage)"
                ),
                Error::Redirected { .. } => {
                    "redirected to a login or proxy page: not the ServiceNow API".to_string()
                }
                _ => "the host does not answer like a ServiceNow instance".to_string(),
            };
            let mut inst = failure("", e, ctx);
            inst.summary = summary;
            (Outcome::passed(connected), inst)
        }
        // A JSON error envelope (rate limit, 403 from an IP filter ...) still proves it is
        // ServiceNow; the next rungs will say what is wrong.
        Err(e) => (
            Outcome::passed(connected),
            Outcome::passed("answers like ServiceNow: its JSON error envelope")
                .with_evidence(evidence(e)),
        ),
    }
}

/// `instance` passed: what the unauthenticated probe saw that only ServiceNow says.
fn instance_proven(answer: &ProbeAnswer) -> Outcome {
    let status = answer.status;
    match &answer.message {
        Some(m) => Outcome::passed(format!(
            "answers like ServiceNow: its JSON error envelope (HTTP {status}) without a token"
        ))
        .with_evidence(format!("HTTP {status}: {m}")),
        None => Outcome::passed(format!(
            "answers like ServiceNow: a Table API result (HTTP {status}) without a token"
        ))
        .with_evidence(format!("HTTP {status} with a JSON \"result\"")),
    }
}

/// What a read proved about rows: `47 rows readable`, or `rows readable (1 of 130 read)` when
/// the read asked for fewer rows than `X-Total-Count` says match.
fn rows_proven(rows: usize, total: Option<u64>) -> String {
    let plural = |n: u64| if n == 1 { "row" } else { "rows" };
    let read = u64::try_from(rows).unwrap_or(u64::MAX);
    match total {
        Some(n) if n > read => format!("rows readable ({read} of {n} read)"),
        _ => format!("{read} {} readable", plural(read)),
    }
}

/// What a read's evidence is when it passed: the status, the rows and the count header.
fn rows_evidence(rows: usize, total: Option<u64>) -> String {
    match total {
        Some(n) => format!("HTTP 200 with {rows} record(s); X-Total-Count: {n}"),
        None => format!("HTTP 200 with {rows} record(s) (no X-Total-Count)"),
    }
}

/// A token's lifetime, short: `30 min`, `45 s`, `2 h`.
fn lifetime(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs.div_ceil(60)),
        _ => format!("{} h", secs.div_ceil(3600)),
    }
}

/// What a read proved about fields: every requested one had a value in some row.
fn fields_proven(requested: &[&str]) -> String {
    format!(
        "{} field{} readable: {}",
        requested.len(),
        if requested.len() == 1 { "" } else { "s" },
        requested.join(", ")
    )
}

/// A cause id for a sentence, or "above" when there is none.
pub(crate) fn cause_word(cause: Option<CauseId>) -> &'static str {
    cause.map_or("above", CauseId::as_str)
}

/// `oauth` from `Client::authenticate()`.
pub(crate) fn oauth_outcome(
    result: &Result<crate::servicenow::TokenInfo, Error>,
    ctx: &FixContext,
) -> Outcome {
    match result {
        Ok(info) => Outcome::passed(format!(
            "token issued, expires in {} (scope {}{})",
            lifetime(info.expires_in),
            if info.scope.is_empty() {
                "not stated"
            } else {
                info.scope.as_str()
            },
            if info.has_refresh_token {
                ", with a refresh token"
            } else {
                ""
            }
        ))
        .with_evidence(format!(
            "HTTP 200 from /oauth_token.do: an access token, expires_in {}",
            info.expires_in
        )),
        Err(e @ Error::TokenRejected { .. }) => Outcome {
            cause: Some(CauseId::CredentialsRejected),
            ..Outcome::blocked(
                "ServiceNow refused the token request (one of client ID, client secret, user name or password is wrong, or the user cannot log in); not retried",
                Some(evidence(e)),
                fixes::for_error(e, ctx),
            )
        },
        // Not sent this time: the evidence is the earlier rejection, remembered on disk.
        Err(
            e @ Error::LoginRemembered {
                rejected_at,
                attempts,
            },
        ) => Outcome {
            cause: Some(CauseId::CredentialsRejected),
            ..Outcome::blocked(
                format!(
                    "not sent: ServiceNow rejected these exact credentials ({attempts} failed attempt{}, last at {rejected_at}); run with --retry-login once they are fixed",
                    if *attempts == 1 { "" } else { "s" }
                ),
                Some(e.to_string()),
                fixes::for_error(e, ctx),
            )
        },
        Err(e @ (Error::NotJson { .. } | Error::Redirected { .. })) => Outcome {
            cause: Some(CauseId::OauthDisabled),
            ..Outcome::blocked(
                "/oauth_token.do did not answer with JSON: OAuth may be off on this instance",
                Some(evidence(e)),
                Some(format!(
                    "{}\nServiceNow admin: check that the OAuth 2.0 plugin (com.snc.platform.security.oauth) is active and the property com.snc.platform.security.oauth.is.active is true.",
                    fixes::for_error(e, ctx).unwrap_or_default()
                )),
            )
        },
        Err(e) => failure("no token", e, ctx),
    }
}

/// The evidence for rows that came back without the `hidden` fields.
pub(crate) fn hidden_evidence(hidden: &[&str]) -> String {
    format!(
        "HTTP 200: records came back without the fields {}",
        hidden.join(", ")
    )
}

/// Rows came back without some requested fields: blocked when every one is hidden, else partial.
fn fields_hidden(
    table: &str,
    hidden: &[&str],
    requested: &[&str],
    summary: String,
    ctx: &FixContext,
) -> Outcome {
    let status = if hidden.len() == requested.len() {
        CheckStatus::Blocked
    } else {
        CheckStatus::Partial
    };
    Outcome::acl_missing(
        status,
        summary,
        hidden_evidence(hidden),
        format!("{table}.*"),
        ctx,
    )
}

/// The table ACL check and its `.*` companion, from one read.
pub(crate) fn table_pair(table: &str, access: &Access, ctx: &FixContext) -> (Outcome, Outcome) {
    let not_inspected = || {
        Outcome::skipped_for(
            format!("skipped: no rows to inspect until {table} can be read (acl:{table})"),
            Some(CauseId::MissingAcl),
        )
    };
    match access {
        Access::Readable {
            hidden,
            requested,
            rows,
            total,
        } => {
            let table_ok = Outcome::passed(rows_proven(*rows, *total))
                .with_evidence(rows_evidence(*rows, *total));
            let fields = if hidden.is_empty() {
                Outcome::passed(fields_proven(requested))
                    .with_evidence(rows_evidence(*rows, *total))
            } else {
                fields_hidden(
                    table,
                    hidden,
                    requested,
                    format!(
                        "{table} rows came back without {} ({} of {} requested fields hidden)",
                        hidden.join(", "),
                        hidden.len(),
                        requested.len()
                    ),
                    ctx,
                )
            };
            (table_ok, fields)
        }
        Access::TableDenied { evidence } => (
            Outcome::acl_missing(
                CheckStatus::Blocked,
                format!("the user cannot read {table}"),
                evidence.clone(),
                table.to_string(),
                ctx,
            ),
            not_inspected(),
        ),
        Access::Empty { evidence } => (
            Outcome::acl_missing(
                CheckStatus::Blocked,
                format!("{table} returned no rows where rows must exist: the user cannot see them"),
                evidence.clone(),
                table.to_string(),
                ctx,
            ),
            not_inspected(),
        ),
        Access::QueryFieldsDenied { evidence } => (
            Outcome::passed(format!(
                "table readable; the 403 refused only the fields in the query, not {table}"
            ))
            .with_evidence(evidence.clone()),
            Outcome::acl_missing(
                CheckStatus::Blocked,
                format!("the user cannot read {table}'s fields (a query on them was refused)"),
                evidence.clone(),
                format!("{table}.*"),
                ctx,
            ),
        ),
        Access::Failed(e) => {
            // The read was refused before any ACL was evaluated (429, scope, outage): nothing
            // is known about either ACL, and the cause says so once.
            let first = failure(&format!("{table} not checked"), e, ctx);
            let second = if matches!(e, Error::Cancelled) {
                Outcome::skipped("cancelled")
            } else {
                Outcome::skipped_for(
                    format!(
                        "skipped: {table} could not be read (cause {})",
                        cause_word(first.cause)
                    ),
                    first.cause,
                )
            };
            (first, second)
        }
    }
}

/// [`table_pair`] for the rows a read returned before snow-connect's own limit stopped it:
/// what those rows prove (the table, and the fields they carry, are readable), and that the
/// read stopped. The limit is discovery's cause (`dictionary_too_large`), not these checks'.
pub(crate) fn table_pair_stopped(
    table: &str,
    access: &Access,
    ctx: &FixContext,
) -> (Outcome, Outcome) {
    let (t, f) = table_pair(table, access, ctx);
    let f = match access {
        Access::Readable { requested, .. } => stopped(f, &fields_proven(requested)),
        _ => f,
    };
    (stopped(t, "rows readable"), f)
}

/// A passed outcome from rows read before snow-connect's limit stopped the read: `proven`,
/// and that the read stopped. Any other outcome (fields missing from those rows) stands as
/// it is: the rows that came back show it.
pub(crate) fn stopped(mut outcome: Outcome, proven: &str) -> Outcome {
    if outcome.status == CheckStatus::Passed {
        outcome.summary = format!(
            "{proven}; the read stopped at snow-connect's limit ({})",
            CauseId::DictionaryTooLarge
        );
    }
    outcome
}

/// `acl:sys_glide_object`: one check covering the table and its fields (remediation 1.1).
pub(crate) fn glide_outcome(access: &Access, ctx: &FixContext) -> Outcome {
    const T: &str = "sys_glide_object";
    match access {
        Access::Readable {
            hidden,
            rows,
            total,
            ..
        } if hidden.is_empty() => Outcome::passed(format!(
            "{} (field types, with their labels)",
            rows_proven(*rows, *total)
        ))
        .with_evidence(rows_evidence(*rows, *total)),
        Access::Readable {
            hidden, requested, ..
        } => fields_hidden(
            T,
            hidden,
            requested,
            format!("{T} rows came back without {}", hidden.join(", ")),
            ctx,
        ),
        Access::QueryFieldsDenied { evidence } => Outcome::acl_missing(
            CheckStatus::Blocked,
            format!("the user cannot read {T}'s fields"),
            evidence.clone(),
            format!("{T}.*"),
            ctx,
        ),
        other => table_pair(T, other, ctx).0,
    }
}

/// `acl:sys_choice`: optional, so anything short of passed is a warning.
pub(crate) fn choice_outcome(access: &Access, ctx: &FixContext) -> Outcome {
    const T: &str = "sys_choice";
    let (table, fields) = match access {
        // A query that matched nothing still proves the table is readable.
        Access::Empty { evidence } => (
            Outcome::passed("readable: the query matched no rows"),
            Outcome::passed("readable: no choice rows matched the query")
                .with_evidence(evidence.clone()),
        ),
        other => table_pair(T, other, ctx),
    };
    let mut out = if table.status == CheckStatus::Passed {
        fields
    } else {
        table
    };
    // Only a real denial is a warning (choice fields take typed values); a rate limit or an
    // outage leaves the check inconclusive, pointing at its cause.
    if matches!(out.status, CheckStatus::Blocked | CheckStatus::Partial)
        && out.cause == Some(CauseId::MissingAcl)
    {
        out.status = CheckStatus::Warning;
        out.summary = format!(
            "{} (optional: choice fields will take typed values instead of a list)",
            out.summary
        );
    } else if out.status == CheckStatus::Blocked {
        out.status = CheckStatus::Warning;
    }
    if out.status == CheckStatus::Passed
        && let Access::Readable { rows, total, .. } = access
    {
        out.summary = format!("{} with values and labels", rows_proven(*rows, *total));
    }
    out
}

/// `incident:create` from the create call.
pub(crate) fn create_outcome(
    result: &Result<super::TestIncident, Error>,
    ctx: &FixContext,
) -> Outcome {
    match result {
        Ok(created) => Outcome::passed(format!(
            "created test incident {} ({}); close or delete it",
            created.number, created.url
        )),
        Err(e @ Error::Forbidden(m)) => {
            let fix = fixes::for_error(e, ctx).unwrap_or_else(|| fixes::insert_denied(ctx));
            let summary = if fixes::is_insert_denied(e) {
                "the user may not create incidents".to_string()
            } else {
                format!("creating an incident was refused: {m}")
            };
            Outcome {
                cause: cause::cause_of_error(e).or(Some(CauseId::InsertDenied)),
                ..Outcome::blocked(summary, Some(evidence(e)), Some(fix))
            }
        }
        Err(e) if outcome_unknown(e) => Outcome {
            status: CheckStatus::Inconclusive,
            cause: cause::cause_of_error(e),
            ..Outcome::blocked(
                "no answer after the create request was sent; it was not resent",
                Some(evidence(e)),
                Some(
                    "The incident may or may not exist: search for incidents whose short description starts with \"snow-connect connection test\" before trying again (a resend could create a duplicate)."
                        .to_string(),
                ),
            )
        },
        Err(e) => failure("could not create a test incident", e, ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servicenow::ServiceNowMessage;
    use serde_json::json;
    use std::time::Duration;

    fn ctx() -> FixContext {
        FixContext::new("finout.integration", "acme.service-now.com")
    }

    fn msg(message: &str, detail: Option<&str>) -> ServiceNowMessage {
        ServiceNowMessage {
            message: message.into(),
            detail: detail.map(Into::into),
        }
    }

    fn rec(v: serde_json::Value) -> Record {
        v.as_object().cloned().unwrap_or_default()
    }

    fn ok(records: Vec<Record>, total: Option<u64>) -> ReadOutcome {
        Ok(ReadOk {
            records,
            total,
            requests: 1,
        })
    }

    #[test]
    fn table_403_insufficient_rights_is_table_denial() {
        let o: ReadOutcome = Err(Error::Forbidden(msg(
            "Insufficient rights to query records",
            None,
        )));
        let (t, f) = table_pair("sys_db_object", &access(&o, &["name"]), &ctx());
        assert_eq!(t.status, CheckStatus::Blocked);
        assert_eq!(
            t.evidence.as_deref(),
            Some("HTTP 403: Insufficient rights to query records")
        );
        assert!(
            t.fix
                .as_deref()
                .is_some_and(|f| f.contains("Name sys_db_object / -- None --"))
        );
        assert_eq!(f.status, CheckStatus::Skipped);
        assert!(f.summary.starts_with("skipped:"));
    }

    #[test]
    fn user_not_authorized_to_access_table_is_table_denial() {
        let o: ReadOutcome = Err(Error::Forbidden(msg(
            "User Not Authorized",
            Some("User is unauthorized to access table: sys_dictionary"),
        )));
        let (t, _) = table_pair("sys_dictionary", &access(&o, &["name"]), &ctx());
        assert_eq!(t.status, CheckStatus::Blocked);
        assert!(
            t.evidence
                .as_deref()
                .is_some_and(|e| e.contains("unauthorized to access table"))
        );
    }

    #[test]
    fn rows_read_before_the_limit_prove_the_acls_and_say_the_read_stopped() {
        let required = ["name", "element"];
        let rows = ok(
            vec![rec(json!({"name": "incident", "element": "u_x"}))],
            Some(5_000_000),
        );
        let (t, f) = table_pair_stopped("sys_dictionary", &access(&rows, &required), &ctx());
        assert_eq!(t.status, CheckStatus::Passed);
        assert_eq!(
            t.summary,
            "rows readable; the read stopped at snow-connect's limit (dictionary_too_large)"
        );
        assert_eq!(t.cause, None, "the limit is discovery's cause");
        assert_eq!(
            t.evidence.as_deref(),
            Some("HTTP 200 with 1 record(s); X-Total-Count: 5000000")
        );
        assert_eq!(f.status, CheckStatus::Passed);
        assert_eq!(
            f.summary,
            "2 fields readable: name, element; the read stopped at snow-connect's limit \
             (dictionary_too_large)"
        );
        // Rows without the fields prove the field ACL missing, limit or not.
        let hidden = ok(vec![rec(json!({"name": "incident"}))], Some(5_000_000));
        let (t, f) = table_pair_stopped("sys_dictionary", &access(&hidden, &required), &ctx());
        assert_eq!(t.status, CheckStatus::Passed);
        assert_eq!(f.status, CheckStatus::Partial);
        assert_eq!(f.cause, Some(CauseId::MissingAcl));
        assert!(!f.summary.contains("stopped"), "{}", f.summary);
    }

    #[test]
    fn empty_result_with_count_is_table_denial() {
        let o = ok(vec![], Some(130));
        let (t, f) = table_pair("sys_dictionary", &access(&o, &["name"]), &ctx());
        assert_eq!(t.status, CheckStatus::Blocked);
        assert!(
            t.evidence
                .as_deref()
                .is_some_and(|e| e.contains("X-Total-Count is 130"))
        );
        assert_eq!(f.status, CheckStatus::Skipped);
    }

    #[test]
    fn missing_keys_are_field_denial_blocked_or_partial() {
        let required = ["name", "element", "internal_type"];
        let all_hidden = ok(vec![rec(json!({})), rec(json!({"sys_id": "x"}))], Some(2));
        let (t, f) = table_pair("sys_dictionary", &access(&all_hidden, &required), &ctx());
        assert_eq!(t.status, CheckStatus::Passed);
        assert_eq!(f.status, CheckStatus::Blocked);
        assert!(
            f.fix
                .as_deref()
                .is_some_and(|x| x.contains("Name sys_dictionary / *"))
        );
        assert!(
            f.evidence
                .as_deref()
                .is_some_and(|x| x.contains("without the fields"))
        );

        let some_hidden = ok(
            vec![rec(
                json!({"name": "incident", "element": "", "internal_type": "GUID"}),
            )],
            Some(1),
        );
        let (_, f) = table_pair("sys_dictionary", &access(&some_hidden, &required), &ctx());
        assert_eq!(f.status, CheckStatus::Partial);
        assert!(f.summary.contains("without element"));

        let none_hidden = ok(
            vec![rec(
                json!({"name": "incident", "element": "sys_id", "internal_type": {"value": "GUID", "link": "x"}}),
            )],
            Some(1),
        );
        let (_, f) = table_pair("sys_dictionary", &access(&none_hidden, &required), &ctx());
        assert_eq!(f.status, CheckStatus::Passed);
    }

    #[test]
    fn query_on_unreadable_fields_blames_the_star_acl() {
        let o: ReadOutcome = Err(Error::Forbidden(msg(
            "Insufficient rights to query records",
            Some("Field(s) present in the query do not have permission to be read"),
        )));
        let (t, f) = table_pair("sys_db_object", &access(&o, &["name"]), &ctx());
        assert_eq!(t.status, CheckStatus::Passed);
        assert_eq!(f.status, CheckStatus::Blocked);
        let fix = f.fix.unwrap_or_default();
        assert!(fix.contains("Name sys_db_object / *"));
        assert!(!fix.contains("-- None --"));
    }

    #[test]
    fn securely_scoped_decides_no_acl_and_points_at_one_cause() {
        let o: ReadOutcome = Err(Error::SecurelyScoped(msg(
            "User Not Authorized",
            Some("Access to unscoped api is not allowed"),
        )));
        let (t, f) = table_pair("sys_dictionary", &access(&o, &["name"]), &ctx());
        assert_eq!(t.status, CheckStatus::Inconclusive);
        assert_eq!(f.status, CheckStatus::Skipped);
        assert_eq!(t.cause, Some(CauseId::SecurelyScoped));
        assert_eq!(f.cause, Some(CauseId::SecurelyScoped));
        assert!(t.missing_acls.is_empty());
        let fix = t.fix.unwrap_or_default();
        assert!(fix.contains("Scope Restriction"));
        assert!(!fix.contains("Access Control (ACL)"));
        // Also when the client reports it as a plain 403.
        let o: ReadOutcome = Err(Error::Forbidden(msg(
            "User Not Authorized",
            Some("Access to unscoped api is not allowed"),
        )));
        let (t, f) = table_pair("sys_db_object", &access(&o, &["name"]), &ctx());
        assert_eq!(
            (t.status, f.status),
            (CheckStatus::Inconclusive, CheckStatus::Skipped)
        );
        assert_eq!(t.cause, Some(CauseId::SecurelyScoped));
        assert!(t.fix.unwrap_or_default().contains("Scope Restriction"));
    }

    #[test]
    fn rate_limit_says_when_to_retry() {
        let o: ReadOutcome = Err(Error::RateLimited {
            retry_after: Some(Duration::from_secs(30)),
            limit: Some(10),
            reset: None,
            rule: None,
            message: msg(
                "Rate limit exceeded",
                Some("Rate limit of 10 requests per hour for Table API exceeded"),
            ),
        });
        let (t, f) = table_pair("sys_db_object", &access(&o, &["name"]), &ctx());
        assert_eq!(t.status, CheckStatus::Inconclusive);
        assert_eq!(t.cause, Some(CauseId::RateLimited));
        assert!(t.retry_at.is_some());
        assert!(
            t.summary.contains("retry after 30 seconds"),
            "{}",
            t.summary
        );
        assert!(
            t.evidence
                .as_deref()
                .is_some_and(|e| e.contains("HTTP 429: Rate limit exceeded"))
        );
        assert!(t.fix.unwrap_or_default().contains("Retry after 30 seconds"));
        assert_eq!(f.status, CheckStatus::Skipped);

        let c = choice_outcome(&access(&o, &["value", "label"]), &ctx());
        assert_eq!(c.status, CheckStatus::Inconclusive);
        assert_eq!(
            c.summary,
            "sys_choice not checked: rate limited; retry after 30 seconds"
        );
        assert!(c.fix.unwrap_or_default().contains("Retry after 30 seconds"));
    }

    #[test]
    fn choice_failures_are_warnings_never_blocks() {
        let denied: ReadOutcome = Err(Error::Forbidden(msg(
            "Insufficient rights to query records",
            None,
        )));
        let o = choice_outcome(&access(&denied, &["value"]), &ctx());
        assert_eq!(o.status, CheckStatus::Warning);
        assert!(
            o.fix
                .unwrap_or_default()
                .contains("Name sys_choice / -- None --")
        );
        let hidden = ok(vec![rec(json!({}))], Some(1));
        let o = choice_outcome(&access(&hidden, &["value", "label"]), &ctx());
        assert_eq!(o.status, CheckStatus::Warning);
        assert!(o.fix.unwrap_or_default().contains("Name sys_choice / *"));
        let fine = ok(vec![rec(json!({"value": "1", "label": "High"}))], Some(1));
        assert_eq!(
            choice_outcome(&access(&fine, &["value", "label"]), &ctx()).status,
            CheckStatus::Passed
        );
    }

    #[test]
    fn glide_table_denial_names_the_missing_acl() {
        let denied: ReadOutcome = Err(Error::Forbidden(msg(
            "Insufficient rights to query records",
            None,
        )));
        let o = glide_outcome(&access(&denied, &["name", "label"]), &ctx());
        assert_eq!(o.status, CheckStatus::Blocked);
        assert_eq!(o.cause, Some(CauseId::MissingAcl));
        assert_eq!(o.missing_acls, vec!["sys_glide_object"]);
        let fix = o.fix.unwrap_or_default();
        assert!(fix.contains("Name sys_glide_object / -- None --"));
        let hidden = ok(vec![rec(json!({"name": "string"}))], Some(1));
        let o = glide_outcome(&access(&hidden, &["name", "label"]), &ctx());
        assert_eq!(o.status, CheckStatus::Partial);
        assert_eq!(o.missing_acls, vec!["sys_glide_object.*"]);
    }

    #[test]
    fn probe_errors_split_network_from_not_servicenow() {
        let c = ctx();
        let dns = Err(Error::Dns {
            host: "acme".into(),
            suggestion: Some("acme.service-now.com".into()),
        });
        let (r, i) = probe_outcomes(&dns, "acme", true, &c);
        assert_eq!(
            (r.status, i.status),
            (CheckStatus::Blocked, CheckStatus::Skipped)
        );
        assert!(r.fix.unwrap_or_default().contains("acme.service-now.com"));

        let tls = Err(Error::Tls {
            host: "acme.service-now.com".into(),
            detail: "invalid peer certificate: UnknownIssuer".into(),
        });
        let (r, _) = probe_outcomes(&tls, "acme.service-now.com", true, &c);
        let fix = r.fix.unwrap_or_default();
        assert!(fix.contains("--ca-file") && fix.contains("SSL_CERT_FILE"));

        let (r, i) = probe_outcomes(&Err(Error::Hibernating), "dev1.service-now.com", true, &c);
        assert_eq!(
            (r.status, i.status),
            (CheckStatus::Passed, CheckStatus::Inconclusive)
        );
        assert_eq!(i.cause, Some(CauseId::Hibernating));
        let maintenance = Err(Error::Server {
            status: 503,
            message: "Maintenance".into(),
        });
        let (mr, mi) = probe_outcomes(&maintenance, "acme.service-now.com", true, &c);
        assert_eq!(
            (mr.status, mi.status, mi.cause),
            (
                CheckStatus::Passed,
                CheckStatus::Inconclusive,
                Some(CauseId::Unavailable)
            )
        );
        assert!(
            i.fix
                .unwrap_or_default()
                .contains("developer.servicenow.com")
        );

        let html = Err(Error::NotJson {
            url: "http://127.0.0.1:1/api/now/table/incident".into(),
            status: 200,
            content_type: "text/html".into(),
            hint: "Welcome to nginx".into(),
        });
        let (r, i) = probe_outcomes(&html, "127.0.0.1", false, &c);
        assert_eq!(
            (r.status, i.status),
            (CheckStatus::Passed, CheckStatus::Blocked)
        );
        assert!(i.evidence.unwrap_or_default().contains("text/html"));

        let redirect = Err(Error::Redirected {
            url: "https://acme.service-now.com/api/now/table/incident".into(),
            location: "https://sso.acme.com/login".into(),
            status: 302,
        });
        let (_, i) = probe_outcomes(&redirect, "acme.service-now.com", true, &c);
        assert!(i.fix.unwrap_or_default().contains("sso.acme.com"));
    }

    #[test]
    fn token_rejection_is_blocked_with_the_credential_checklist() {
        let e = Err(Error::TokenRejected {
            status: 401,
            description: "access_denied".into(),
        });
        let o = oauth_outcome(&e, &ctx());
        assert_eq!(o.status, CheckStatus::Blocked);
        assert!(o.summary.contains("not retried"));
        assert_eq!(
            o.evidence.as_deref(),
            Some("HTTP 401 from /oauth_token.do: error_description \"access_denied\"")
        );
        assert!(o.fix.unwrap_or_default().contains("about 5 failures"));
    }

    #[test]
    fn insert_denied_gives_the_role_fix() {
        let e = Err(Error::Forbidden(msg(
            "Operation Failed",
            Some("ACL Exception Insert Failed due to security constraints"),
        )));
        let o = create_outcome(&e, &ctx());
        assert_eq!(o.status, CheckStatus::Blocked);
        assert!(o.fix.unwrap_or_default().contains("itil"));
    }

    #[test]
    fn passed_results_state_what_was_observed() {
        // The instance row names the status and message it actually got.
        let answer = Ok(ProbeAnswer {
            status: 401,
            message: Some(msg(
                "User Not Authenticated",
                Some("Required to provide Auth information"),
            )),
        });
        let (_, i) = probe_outcomes(&answer, "acme.service-now.com", true, &ctx());
        assert_eq!(i.status, CheckStatus::Passed);
        assert!(
            i.summary.starts_with("answers like ServiceNow"),
            "{}",
            i.summary
        );
        assert!(i.summary.contains("HTTP 401"), "{}", i.summary);
        assert_eq!(
            i.evidence.as_deref(),
            Some("HTTP 401: User Not Authenticated: Required to provide Auth information")
        );
        let open = Ok(ProbeAnswer {
            status: 200,
            message: None,
        });
        let (_, i) = probe_outcomes(&open, "acme.service-now.com", true, &ctx());
        assert!(i.summary.contains("HTTP 200"), "{}", i.summary);
        assert!(!i.evidence.unwrap_or_default().contains("401"));

        // Rows: the count that came back, and X-Total-Count when it says more exist.
        let rows = |n: usize, total| {
            let records = (0..n)
                .map(|i| rec(json!({"name": format!("t{i}"), "super_class": "x"})))
                .collect();
            table_pair(
                "sys_db_object",
                &access(&ok(records, total), &["name"]),
                &ctx(),
            )
        };
        let (t, f) = rows(47, Some(47));
        assert_eq!(t.summary, "47 rows readable");
        assert_eq!(
            t.evidence.as_deref(),
            Some("HTTP 200 with 47 record(s); X-Total-Count: 47")
        );
        assert_eq!(f.summary, "1 field readable: name");
        let (t, _) = rows(1, Some(130));
        assert_eq!(t.summary, "rows readable (1 of 130 read)");
        let (t, _) = rows(1, None);
        assert_eq!(t.summary, "1 row readable");

        // A 403 about the query's fields passes the table check, and says so.
        let o: ReadOutcome = Err(Error::Forbidden(msg(
            "Insufficient rights to query records",
            Some("Field(s) present in the query do not have permission to be read"),
        )));
        let (t, _) = table_pair("sys_dictionary", &access(&o, &["name"]), &ctx());
        assert_eq!(t.status, CheckStatus::Passed);
        assert!(t.summary.starts_with("table readable"), "{}", t.summary);
        assert!(
            t.summary.contains("refused only the fields"),
            "{}",
            t.summary
        );

        // The token: its lifetime, short, and what came back.
        let token = Ok(crate::servicenow::TokenInfo {
            scope: "useraccount".into(),
            expires_in: 1799,
            has_refresh_token: true,
        });
        let o = oauth_outcome(&token, &ctx());
        assert!(
            o.summary.starts_with("token issued, expires in 30 min"),
            "{}",
            o.summary
        );
        assert!(o.evidence.unwrap_or_default().contains("expires_in 1799"));
        assert_eq!(lifetime(45), "45 s");
        assert_eq!(lifetime(7200), "2 h");
    }

    #[test]
    fn server_text_is_sanitised_in_results() {
        let o = Outcome::blocked("bad \u{1b}[2J", Some("ev\u{7}".into()), None);
        let r = o.into_result(CheckId::Instance, 1);
        assert_eq!(r.summary, "bad ^[[2J");
        assert_eq!(r.evidence.as_deref(), Some("ev^G"));
    }
}
