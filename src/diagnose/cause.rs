//! Root causes: every failure the ladder sees is classified into one cause with a fixed id
//! (DESIGN.md section 4, "Causes"), so that one condition is reported once, with one fix, and
//! the verdict (what the caller should do next) follows from the causes alone.

use serde::Serialize;

use crate::servicenow::Error;

/// A root cause. The ids are fixed; tests and scripts match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CauseId {
    /// The instance URL cannot be used (a usage error, not an instance problem).
    InvalidUrl,
    /// DNS, TCP or TLS failed.
    Unreachable,
    /// No answer in time.
    Timeout,
    /// The host answers with HTML, a login page or an SSO redirect.
    NotServicenow,
    /// A personal developer instance is asleep (or waking up).
    Hibernating,
    /// 5xx or a maintenance page.
    Unavailable,
    /// HTTP 429: the instance asks us to come back later.
    RateLimited,
    /// The token request was refused.
    CredentialsRejected,
    /// `/oauth_token.do` does not answer like the OAuth endpoint while the API does.
    OauthDisabled,
    /// A token is issued, but the Table API rejects it (401).
    TokenRestricted,
    /// The OAuth client is securely scoped (403 "Access to unscoped api is not allowed").
    SecurelyScoped,
    /// A REST API Auth Scope protects the Table API and the client lacks it.
    AuthScopeMissing,
    /// The Table API's REST endpoint ACLs or a table's web-service access refuse the user.
    WebServiceAccess,
    /// One or more read ACLs are missing (one cause listing every one).
    MissingAcl,
    /// The user may not create incidents.
    InsertDenied,
    /// A configured endpoint does not fit the instance's dictionary.
    EndpointInvalid,
    /// Reading the dictionary reached a limit of one discovery (bytes, rows or pages): the
    /// instance sends far more than any dictionary holds.
    DictionaryTooLarge,
}

/// What sort of thing a cause is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CauseKind {
    /// The four credentials.
    Credentials,
    /// Something to change in ServiceNow or in the config.
    Configuration,
    /// The instance itself (cannot be reached, asleep, down, not ServiceNow).
    Instance,
    /// Temporary: try again later.
    Transient,
}

/// What the caller should do, as a value; `commands/` maps it to an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Everything required works.
    Works,
    /// Try again later (rate limited).
    RetryLater,
    /// Something must change in ServiceNow or in the config.
    MustChange,
    /// The instance could not be reached or is unavailable.
    Unreachable,
    /// The input itself is unusable.
    Usage,
}

impl CauseId {
    /// The fixed id string.
    pub fn as_str(self) -> &'static str {
        match self {
            CauseId::InvalidUrl => "invalid_url",
            CauseId::Unreachable => "unreachable",
            CauseId::Timeout => "timeout",
            CauseId::NotServicenow => "not_servicenow",
            CauseId::Hibernating => "hibernating",
            CauseId::Unavailable => "unavailable",
            CauseId::RateLimited => "rate_limited",
            CauseId::CredentialsRejected => "credentials_rejected",
            CauseId::OauthDisabled => "oauth_disabled",
            CauseId::TokenRestricted => "token_restricted",
            CauseId::SecurelyScoped => "securely_scoped",
            CauseId::AuthScopeMissing => "auth_scope_missing",
            CauseId::WebServiceAccess => "web_service_access",
            CauseId::MissingAcl => "missing_acl",
            CauseId::InsertDenied => "insert_denied",
            CauseId::EndpointInvalid => "endpoint_invalid",
            CauseId::DictionaryTooLarge => "dictionary_too_large",
        }
    }

    /// Its kind.
    pub fn kind(self) -> CauseKind {
        match self {
            CauseId::CredentialsRejected => CauseKind::Credentials,
            CauseId::Unreachable
            | CauseId::NotServicenow
            | CauseId::Hibernating
            | CauseId::Unavailable => CauseKind::Instance,
            CauseId::Timeout | CauseId::RateLimited => CauseKind::Transient,
            CauseId::InvalidUrl
            | CauseId::OauthDisabled
            | CauseId::TokenRestricted
            | CauseId::SecurelyScoped
            | CauseId::AuthScopeMissing
            | CauseId::WebServiceAccess
            | CauseId::MissingAcl
            | CauseId::InsertDenied
            | CauseId::EndpointInvalid
            | CauseId::DictionaryTooLarge => CauseKind::Configuration,
        }
    }

    /// What the caller should do when this cause stands in the way.
    pub fn verdict(self) -> Verdict {
        match self {
            CauseId::InvalidUrl => Verdict::Usage,
            CauseId::RateLimited => Verdict::RetryLater,
            CauseId::Unreachable
            | CauseId::Timeout
            | CauseId::NotServicenow
            | CauseId::Hibernating
            | CauseId::Unavailable => Verdict::Unreachable,
            _ => Verdict::MustChange,
        }
    }

    /// True when the cause concerns the whole instance or client rather than one check: its
    /// text is shown once (banner, headline, report section), never on each row.
    pub fn instance_wide(self) -> bool {
        !matches!(
            self,
            CauseId::MissingAcl | CauseId::InsertDenied | CauseId::EndpointInvalid
        )
    }

    /// True when a check that met this cause could not be decided (it is `inconclusive`, never
    /// `blocked`): the condition says nothing about the check's own permission.
    pub fn undecided(self) -> bool {
        matches!(
            self,
            CauseId::Timeout
                | CauseId::RateLimited
                | CauseId::Unavailable
                | CauseId::Hibernating
                | CauseId::SecurelyScoped
                | CauseId::AuthScopeMissing
                | CauseId::TokenRestricted
                | CauseId::WebServiceAccess
                | CauseId::DictionaryTooLarge
        )
    }
}

impl Serialize for CauseId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for CauseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The root cause of a failed request: the one mapping from client errors to causes, used by
/// every check, by `fields` and by the exit code of `send`. `None` for errors that are not a
/// condition of the instance (cancelled, 404, other 4xx, an unrecognised 403).
pub fn cause_of_error(err: &Error) -> Option<CauseId> {
    Some(match err {
        Error::Dns { .. }
        | Error::ConnectionRefused { .. }
        | Error::Connect { .. }
        | Error::Tls { .. }
        | Error::Setup(_) => CauseId::Unreachable,
        Error::Timeout { .. } | Error::Interrupted { .. } => CauseId::Timeout,
        Error::Hibernating => CauseId::Hibernating,
        Error::Offline => CauseId::Unavailable,
        Error::Redirected { .. }
        | Error::NotJson { .. }
        | Error::InvalidResponse { .. }
        | Error::BodyTooLarge { .. } => CauseId::NotServicenow,
        Error::Server { .. } => CauseId::Unavailable,
        Error::RateLimited { .. } => CauseId::RateLimited,
        Error::OverBudget(_) => CauseId::DictionaryTooLarge,
        Error::TokenRejected { .. } | Error::LoginRemembered { .. } => CauseId::CredentialsRejected,
        Error::NotAuthenticated(_) => CauseId::TokenRestricted,
        Error::SecurelyScoped(_) => CauseId::SecurelyScoped,
        Error::InvalidTable { .. } => CauseId::WebServiceAccess,
        e @ Error::Forbidden(m) => {
            let detail = m.detail.as_deref().unwrap_or_default();
            if super::fixes::is_insert_denied(e) {
                CauseId::InsertDenied
            } else if detail.contains("Access to unscoped api") {
                CauseId::SecurelyScoped
            } else if detail.contains("Missing required api access scope") {
                CauseId::AuthScopeMissing
            } else if detail.contains("Failed API level ACL Validation") {
                CauseId::WebServiceAccess
            } else {
                return None;
            }
        }
        Error::NotFound(_) | Error::BadRequest { .. } | Error::Cancelled => return None,
    })
}

/// What a failed request means for the caller: its cause's verdict, or must-change when the
/// error is no condition of the instance (a 404, another 4xx, an unrecognised 403).
pub fn verdict_of_error(err: &Error) -> Verdict {
    cause_of_error(err).map_or(Verdict::MustChange, |c| c.verdict())
}

/// When a rate-limited request may be tried again: `Retry-After` from now, else the limit's
/// reset time. `None` when the instance gave neither.
pub fn retry_at(err: &Error) -> Option<time::OffsetDateTime> {
    let Error::RateLimited {
        retry_after, reset, ..
    } = err
    else {
        return None;
    };
    match (retry_after, reset) {
        (Some(d), _) => time::Duration::try_from(*d)
            .ok()
            .and_then(|d| time::OffsetDateTime::now_utc().checked_add(d)),
        (None, Some(r)) => i64::try_from(*r)
            .ok()
            .and_then(|r| time::OffsetDateTime::from_unix_timestamp(r).ok()),
        (None, None) => None,
    }
}

/// `2026-12-04T18:30:00Z`.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `18:30 UTC`, for people.
pub fn clock(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:02}:{:02}:{:02} UTC", t.hour(), t.minute(), t.second())
}

/// One root cause with everything a reader needs: `{id, kind, summary, fix, checks, retry_at?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cause {
    /// Fixed id.
    pub id: CauseId,
    /// Its kind.
    pub kind: CauseKind,
    /// One line: what is wrong.
    pub summary: String,
    /// What to change (or when to try again).
    pub fix: String,
    /// The checks it explains, in ladder order.
    pub checks: Vec<super::CheckId>,
    /// When to try again (RFC 3339), for `rate_limited`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<String>,
    /// The missing read ACLs, for `missing_acl` (e.g. `sys_dictionary.*`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub acls: Vec<String>,
    /// The invalid endpoints' problems, for `endpoint_invalid`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<EndpointProblem>,
}

/// One problem of one endpoint: which field and what to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointProblem {
    /// The endpoint's name.
    pub endpoint: String,
    /// The field element (or `table`).
    pub field: String,
    /// What is wrong and what to change.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servicenow::ServiceNowMessage;
    use std::time::Duration;

    #[test]
    fn every_error_class_has_its_cause_and_verdict() {
        let msg = |d: &str| ServiceNowMessage {
            message: "User Not Authorized".into(),
            detail: Some(d.into()),
        };
        let cases = [
            (
                Error::Timeout {
                    host: "h".into(),
                    after: Duration::from_secs(1),
                    request_sent: true,
                },
                Some(CauseId::Timeout),
                Verdict::Unreachable,
            ),
            (
                Error::Server {
                    status: 503,
                    message: "down".into(),
                },
                Some(CauseId::Unavailable),
                Verdict::Unreachable,
            ),
            (
                Error::RateLimited {
                    retry_after: Some(Duration::from_secs(5)),
                    limit: None,
                    reset: None,
                    rule: None,
                    message: msg("x"),
                },
                Some(CauseId::RateLimited),
                Verdict::RetryLater,
            ),
            (
                Error::NotAuthenticated(msg("x")),
                Some(CauseId::TokenRestricted),
                Verdict::MustChange,
            ),
            (
                Error::Forbidden(msg("Access to unscoped api is not allowed")),
                Some(CauseId::SecurelyScoped),
                Verdict::MustChange,
            ),
            (
                Error::Forbidden(msg("Failed API level ACL Validation")),
                Some(CauseId::WebServiceAccess),
                Verdict::MustChange,
            ),
            (
                Error::Hibernating,
                Some(CauseId::Hibernating),
                Verdict::Unreachable,
            ),
        ];
        for (err, cause, verdict) in cases {
            assert_eq!(cause_of_error(&err), cause, "{err}");
            assert_eq!(cause.map(CauseId::verdict), Some(verdict), "{err}");
        }
        assert_eq!(cause_of_error(&Error::Cancelled), None);
        assert_eq!(
            cause_of_error(&Error::Forbidden(msg("some business rule"))),
            None
        );
    }

    #[test]
    fn retry_at_comes_from_retry_after_or_reset() {
        let e = |retry_after, reset| Error::RateLimited {
            retry_after,
            limit: None,
            reset,
            rule: None,
            message: ServiceNowMessage::default(),
        };
        let soon = retry_at(&e(Some(Duration::from_secs(60)), None));
        assert!(soon.is_some_and(|t| t > time::OffsetDateTime::now_utc()));
        assert_eq!(
            retry_at(&e(None, Some(3600))).map(rfc3339).as_deref(),
            Some("1970-01-01T01:00:00Z")
        );
        assert_eq!(retry_at(&e(None, None)), None);
        assert_eq!(
            retry_at(&e(Some(Duration::from_secs(u64::MAX)), None)),
            None
        );
    }
}
