//! Why creating an incident failed, explained for a person: the verdict, what happened and
//! what to change. `send` and the wizard's test button create through
//! `crate::incident::send_policy` (which never resends an insert that may have arrived); the
//! words and the fix texts are the diagnosis's, so they live here, next to the other fixes.

use std::time::Duration;

use super::cause::{Verdict, verdict_of_error};
use super::fixes::{self, FixContext, is_insert_denied};
use crate::servicenow::{
    Client, Error, InstanceUrl, RateLimitAnswer, RateLimitWait, human_duration,
};

/// A failed create, explained for a person: the verdict, what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateFailure {
    /// Must change when the instance refused, unreachable when the outcome is unknown or
    /// nothing answered; `commands/` turns it into the exit code (1 and 3).
    pub verdict: Verdict,
    /// What happened (server text already sanitised).
    pub message: String,
    /// What came back, whole: the HTTP status and ServiceNow's own message where there was
    /// one, or what was observed instead (sanitised).
    pub evidence: String,
    /// What to change or do next, when there is something.
    pub fix: Option<String>,
}

/// Explain why creating the incident failed. `short_description` is the one that was sent.
pub fn explain_create_error(
    err: &Error,
    client: &Client,
    short_description: &str,
    wait: &RateLimitWait,
) -> CreateFailure {
    let said = crate::sanitize::line(&err.to_string()).into_owned();
    let evidence = crate::sanitize::line(&super::probes::evidence(err)).into_owned();
    let ctx = FixContext::new(client.username(), client.instance().host());
    if is_insert_denied(err) {
        return CreateFailure {
            verdict: Verdict::MustChange,
            message: format!("ServiceNow refused to create the incident ({said})."),
            evidence,
            fix: fixes::for_error(err, &ctx),
        };
    }
    if outcome_unknown(err) {
        let what = match err {
            Error::Timeout { .. } | Error::Interrupted { .. } => "no complete answer came back",
            _ => "the answer was an error or unreadable",
        };
        // The facts only: the errors' own advice ("retry later") invites a duplicate here.
        let said = crate::sanitize::line(&unknown_evidence(err)).into_owned();
        return CreateFailure {
            verdict: Verdict::Unreachable,
            message: format!(
                "The request to create the incident was sent, but {what} ({said}). \
                 It is unknown whether the incident was created; snow-connect does not send it \
                 again, because that could create a duplicate incident."
            ),
            evidence,
            fix: Some(duplicate_check_hint(
                client.instance(),
                short_description,
                client.username(),
            )),
        };
    }
    if err.rate_limited().is_some() {
        return CreateFailure {
            verdict: Verdict::MustChange,
            message: rate_limit_give_up(err, wait),
            evidence,
            fix: None,
        };
    }
    let fix = match err {
        Error::Forbidden(_) => fixes::for_error(err, &ctx).or_else(|| {
            Some(
                "A business rule or data policy on incident aborted the insert; ServiceNow's \
                 message above names it. Ask the ServiceNow admin to adjust that rule for the \
                 integration user, or give the endpoint the values it requires."
                    .to_string(),
            )
        }),
        other => fixes::for_error(other, &ctx),
    };
    CreateFailure {
        verdict: verdict_of_error(err),
        message: format!("ServiceNow did not create the incident: {said}."),
        evidence,
        fix,
    }
}

/// What to tell the user when the rate limit outlasts the budget.
pub fn rate_limit_give_up(err: &Error, wait: &RateLimitWait) -> String {
    let (retry_after, reset, message) = rate_limit_parts(err);
    let message = crate::sanitize::line(&message);
    let mut text = if wait.waited().is_zero() {
        format!(
            "ServiceNow is rate limiting this user ({message}) and asks for a longer wait than \
             snow-connect allows itself ({}); nothing was created.",
            human_duration(wait.budget()),
        )
    } else {
        format!(
            "ServiceNow is still rate limiting this user ({message}) after waiting {} \
             (snow-connect waits at most {}); nothing was created.",
            human_duration(wait.waited()),
            human_duration(wait.budget()),
        )
    };
    text.push_str(&when_to_retry(retry_after, reset));
    text.push_str(
        " If this keeps happening, ask the ServiceNow admin to review the rate limit rule that \
         applies to the integration user (table sys_rate_limit_rules, open sys_rate_limit_rules.list).",
    );
    text
}

/// True when the insert may have reached ServiceNow but its answer does not say what became of
/// it: a timeout or reset after the request left, a 5xx (the instance may fail after the
/// insert, in a business rule or while rendering the answer), or an unreadable answer.
/// Resending could create a duplicate.
pub fn outcome_unknown(err: &Error) -> bool {
    match err {
        Error::Timeout { request_sent, .. } => *request_sent,
        Error::Interrupted { .. }
        | Error::Server { .. }
        | Error::InvalidResponse { .. }
        | Error::BodyTooLarge { .. } => true,
        _ => false,
    }
}

/// What came back (or did not) for an insert whose outcome is unknown.
fn unknown_evidence(err: &Error) -> String {
    match err {
        Error::Timeout { host, after, .. } => {
            format!("{host} did not answer within {}", human_duration(*after))
        }
        Error::Interrupted { host, detail } => {
            format!("the connection to {host} broke before the answer was complete: {detail}")
        }
        Error::Server { status, message } => format!("HTTP {status}: {message}"),
        Error::InvalidResponse { reason, .. } => reason.clone(),
        Error::BodyTooLarge { limit, .. } => format!("an answer larger than {limit} bytes"),
        other => other.to_string(),
    }
}

/// What to tell the user when the token endpoint rate-limits the sign-in: nothing was sent
/// after it, and the login is not repeated in this run.
pub fn sign_in_rate_limited(err: &Error) -> String {
    let (retry_after, reset, message) = rate_limit_parts(err);
    format!(
        "ServiceNow is rate limiting sign-ins for this user ({}); snow-connect does not send the \
         login again in this run (repeated logins count against the limit, and failed ones \
         toward locking the user out), so nothing was created.{}",
        crate::sanitize::line(&message),
        when_to_retry(retry_after, reset)
    )
}

fn rate_limit_parts(err: &Error) -> (Option<Duration>, Option<u64>, String) {
    match err {
        Error::RateLimited {
            retry_after,
            reset,
            message,
            ..
        } => (*retry_after, *reset, message.to_string()),
        other => (None, None, other.to_string()),
    }
}

/// ` Try again in 5m (after 18:03:11 UTC).`, or what is known of it.
fn when_to_retry(retry_after: Option<Duration>, reset: Option<u64>) -> String {
    let now = time::OffsetDateTime::now_utc();
    let when = match (retry_after, reset) {
        (Some(d), _) => Some(now.saturating_add(time_duration(d))),
        (None, Some(unix)) => i64::try_from(unix)
            .ok()
            .and_then(|u| time::OffsetDateTime::from_unix_timestamp(u).ok()),
        (None, None) => None,
    };
    match (retry_after, when) {
        (Some(d), Some(at)) => format!(
            " Try again in {} (after {} UTC).",
            human_duration(d),
            clock(at)
        ),
        (None, Some(at)) => format!(
            " The limit resets at {} UTC; try again after that.",
            clock(at)
        ),
        _ => " Try again later.".to_string(),
    }
}

/// How a person can find out whether an incident with this short description was created:
/// a link to the incident list, newest first, and the equivalent Table API query.
pub fn duplicate_check_hint(
    instance: &InstanceUrl,
    short_description: &str,
    username: &str,
) -> String {
    let query = duplicate_query(short_description, username);
    let encoded: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    format!(
        "Open this list to see whether it was created (incidents with this short description, newest first):\n  {}\n\
         or query the Table API:\n  GET {}&sysparm_fields=number,sys_id,sys_created_on\n\
         If no incident is there, run the same command again.",
        instance.join(&format!("/incident_list.do?sysparm_query={encoded}")),
        instance.join(&format!("/api/now/table/incident?sysparm_query={encoded}")),
    )
}

/// An encoded query that finds the incident: an exact match on the short description, or
/// (when it contains `^`, which separates query terms) a match on the part before it.
fn duplicate_query(short_description: &str, username: &str) -> String {
    let mut terms = Vec::new();
    match short_description.split_once('^') {
        None => terms.push(format!("short_description={short_description}")),
        Some((head, _)) => terms.push(format!("short_descriptionSTARTSWITH{head}")),
    }
    if !username.is_empty() && !username.contains('^') {
        terms.push(format!("sys_created_by={username}"));
    }
    terms.push("ORDERBYDESCsys_created_on".into());
    terms.join("^")
}

fn time_duration(d: Duration) -> time::Duration {
    time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

fn clock(at: time::OffsetDateTime) -> String {
    let fmt = time::macros::format_description!("[hour]:[minute]:[second]");
    at.format(&fmt)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servicenow::{ServiceNowMessage, retry_rate_limited};
    use std::cell::Cell;

    fn rate_limited(secs: Option<u64>) -> Error {
        Error::RateLimited {
            retry_after: secs.map(Duration::from_secs),
            limit: Some(10),
            reset: None,
            rule: None,
            message: ServiceNowMessage {
                message: "Rate limit exceeded".into(),
                detail: Some("Rate limit of 10 requests per hour for Table API exceeded".into()),
            },
        }
    }

    #[tokio::test]
    async fn gives_up_when_the_wait_would_overrun() {
        let calls = Cell::new(0);
        let mut w = RateLimitWait::new(Duration::from_secs(60));
        let r: Result<(), Error> = retry_rate_limited(
            &mut w,
            "reading the dictionary",
            || {
                calls.set(calls.get() + 1);
                async { Err(rate_limited(Some(3600))) }
            },
            |_| {},
        )
        .await;
        assert_eq!(calls.get(), 1, "no retry when the wait is over budget");
        let err = r.expect_err("rate limited");
        let msg = rate_limit_give_up(&err, &w);
        assert!(msg.contains("Rate limit exceeded"), "{msg}");
        assert!(msg.contains("Try again in 60m (after "), "{msg}");
        assert!(
            msg.contains("asks for a longer wait than snow-connect allows itself (1m)"),
            "{msg}"
        );
        assert!(msg.contains("nothing was created"), "{msg}");
    }

    #[test]
    fn insert_denied_is_recognised() {
        let denied = Error::Forbidden(ServiceNowMessage {
            message: "Operation Failed".into(),
            detail: Some("ACL Exception Insert Failed due to security constraints".into()),
        });
        assert!(is_insert_denied(&denied));
        let rule = Error::Forbidden(ServiceNowMessage {
            message: "Operation Failed".into(),
            detail: Some("Data Policy Exception: Caller is mandatory".into()),
        });
        assert!(!is_insert_denied(&rule));
        let fix = fixes::for_error(
            &denied,
            &FixContext::new("finout.integration", "acme.service-now.com"),
        )
        .unwrap_or_default();
        assert!(
            fix.contains("itil") && fix.contains("sn_incident_write"),
            "{fix}"
        );
        assert!(fix.contains("snc_read_only"), "{fix}");
        assert!(
            fix.contains("User Administration > Users > finout.integration"),
            "{fix}"
        );
        assert_eq!(fixes::for_error(&rule, &FixContext::default()), None);
    }

    #[test]
    fn unknown_outcome_only_after_the_request_left() {
        let sent = Error::Timeout {
            host: "h".into(),
            after: Duration::from_secs(30),
            request_sent: true,
        };
        let not_sent = Error::Timeout {
            host: "h".into(),
            after: Duration::from_secs(10),
            request_sent: false,
        };
        let broke = Error::Interrupted {
            host: "h".into(),
            detail: "reset".into(),
        };
        assert!(outcome_unknown(&sent));
        assert!(!outcome_unknown(&not_sent));
        assert!(outcome_unknown(&broke));
        let failed = Error::Server {
            status: 500,
            message: "boom".into(),
        };
        assert!(outcome_unknown(&failed));
        assert!(!outcome_unknown(&rate_limited(Some(1))));
    }

    #[test]
    fn duplicate_query_matches_the_text_or_its_head() {
        assert_eq!(
            duplicate_query("Spend up 40%", "finout.integration"),
            "short_description=Spend up 40%^sys_created_by=finout.integration^ORDERBYDESCsys_created_on"
        );
        assert_eq!(
            duplicate_query("a^b", ""),
            "short_descriptionSTARTSWITHa^ORDERBYDESCsys_created_on"
        );
    }
}
