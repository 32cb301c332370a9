//! Why creating an incident failed, explained for a person: the verdict, what happened and
//! what to change. `send` and the wizard's test button create through
//! `crate::incident::send_policy` (which never resends an insert that may have arrived); the
//! words and the fix texts are the diagnosis's, so they live here, next to the other fixes.

use std::time::Duration;

use super::cause::{Verdict, verdict_of_error};
use super::fixes::{self, FixContext, Reader, is_insert_denied};
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

/// Explain why creating the incident failed. `short_description` is the one that was sent;
/// `reader` is where the explanation is read (`send`, or the wizard's test incident), which
/// decides how the fix says to try again.
///
/// The message is a plain sentence naming the cause; what came back (the HTTP status and
/// ServiceNow's own words) is only in `evidence`, shown with it.
pub fn explain_create_error(
    err: &Error,
    client: &Client,
    short_description: &str,
    wait: &RateLimitWait,
    reader: Reader,
) -> CreateFailure {
    let ctx = FixContext::new(client.username(), client.instance().host()).read_by(reader);
    let evidence = |text: &str| crate::sanitize::line(text).into_owned();
    if outcome_unknown(err) {
        return CreateFailure {
            verdict: Verdict::Unreachable,
            message: format!(
                "The request to create the incident was sent, but {}. It is unknown whether the \
                 incident was created; snow-connect does not send it again, because that could \
                 create a duplicate incident.",
                unknown_why(err)
            ),
            // The facts only: the errors' own advice ("retry") invites a duplicate here.
            evidence: evidence(&unknown_evidence(err)),
            fix: Some(duplicate_check_hint(
                client.instance(),
                short_description,
                client.username(),
                reader,
            )),
        };
    }
    let evidence = evidence_of(err);
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
        message: not_created(err),
        evidence,
        fix,
    }
}

/// What came back for `err`, sanitised: the HTTP status and ServiceNow's own message where
/// there was one. A message in words ([`rate_limit_give_up`], [`CreateFailure::message`]) is
/// shown with it.
pub fn evidence_of(err: &Error) -> String {
    crate::sanitize::line(&super::probes::evidence(err)).into_owned()
}

/// Why an insert whose outcome is unknown has no answer, in words (the evidence has the rest).
fn unknown_why(err: &Error) -> &'static str {
    match err {
        Error::Timeout { .. } => "no answer came back in time",
        Error::Interrupted { .. } => "the connection broke before the answer was complete",
        Error::Server { .. } => "the instance answered with a server error",
        _ => "its answer could not be read",
    }
}

/// One sentence for a failed create whose outcome is known (ServiceNow refused it, or it was
/// never sent): who stopped it and why, in words; the HTTP status and ServiceNow's message
/// are the evidence, shown with it.
fn not_created(err: &Error) -> String {
    let refused = |why: &str| format!("ServiceNow refused to create the incident: {why}.");
    let not_sent = |why: &str| format!("The incident was not created: {why}.");
    match err {
        e @ Error::Forbidden(m) => {
            let detail = m.detail.as_deref().unwrap_or_default();
            refused(if is_insert_denied(e) {
                "the integration user lacks a role or ACL that allows creating incidents"
            } else if detail.contains("Access to unscoped api") {
                SCOPED
            } else if detail.contains("Missing required api access scope") {
                "the OAuth client lacks the auth scope that protects the Table API"
            } else if detail.contains("Failed API level ACL Validation") {
                "the integration user lacks the role that the Table API's REST endpoint ACLs \
                 require"
            } else {
                "a business rule, data policy or ACL on incident refused the insert"
            })
        }
        Error::SecurelyScoped(_) => refused(SCOPED),
        Error::NotAuthenticated(_) => refused("the Table API did not accept the token"),
        Error::InvalidTable { .. } => refused("the Table API does not offer the incident table"),
        Error::NotFound(_) => refused("the Table API did not find the incident table"),
        Error::BadRequest { .. } => refused("it rejected the request as invalid"),
        Error::TokenRejected { .. } => not_sent("ServiceNow refused the sign-in"),
        Error::LoginRemembered { .. } => not_sent(
            "the sign-in was not sent, because ServiceNow rejected these exact credentials before",
        ),
        Error::Dns { .. }
        | Error::ConnectionRefused { .. }
        | Error::Connect { .. }
        | Error::Timeout { .. } => not_sent("snow-connect could not reach the instance"),
        Error::Tls { .. } => not_sent("a secure connection to the instance could not be set up"),
        Error::Hibernating => not_sent("the instance is hibernating"),
        Error::Offline => not_sent("the instance is offline"),
        Error::Redirected { .. } | Error::NotJson { .. } => {
            not_sent("the address did not answer like the ServiceNow API")
        }
        Error::Setup(_) => not_sent("the HTTP client could not be set up"),
        Error::RateLimited { .. } => not_sent("ServiceNow is rate limiting this user"),
        // Whether it was created is not known here: say no more than that it failed.
        Error::Cancelled => "The request to create the incident was cancelled.".to_string(),
        Error::Interrupted { .. }
        | Error::Server { .. }
        | Error::InvalidResponse { .. }
        | Error::BodyTooLarge { .. }
        | Error::OverBudget(_) => {
            "Creating the incident failed: the instance's answer could not be used.".to_string()
        }
    }
}

const SCOPED: &str =
    "the OAuth client is securely scoped, so ServiceNow refuses its Table API calls";

/// What to tell the user when the rate limit outlasts the budget.
pub fn rate_limit_give_up(err: &Error, wait: &RateLimitWait) -> String {
    let (retry_after, reset, _) = rate_limit_parts(err);
    // ServiceNow's own words are the evidence, shown with this.
    let mut text = if wait.waited().is_zero() {
        format!(
            "ServiceNow is rate limiting this user and asks for a longer wait than snow-connect \
             allows itself ({}); nothing was created.",
            human_duration(wait.budget()),
        )
    } else {
        format!(
            "ServiceNow is still rate limiting this user after waiting {} (snow-connect waits \
             at most {}); nothing was created.",
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
    reader: Reader,
) -> String {
    let query = duplicate_query(short_description, username);
    let encoded: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let again = match reader {
        Reader::WizardMatrix | Reader::WizardTestIncident => reader.again(),
        // `send` or `check --create-test-incident`: whichever it was.
        Reader::CheckCommand | Reader::CreateCommand => "run the same command again",
    };
    format!(
        "Open this list to see whether it was created (incidents with this short description, newest first):\n  {}\n\
         or query the Table API:\n  GET {}&sysparm_fields=number,sys_id,sys_created_on\n\
         If no incident is there, {again}.",
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
        // ServiceNow's words are the evidence, shown with the message, not inside it.
        assert!(!msg.contains("Rate limit exceeded"), "{msg}");
        assert!(msg.contains("rate limiting this user"), "{msg}");
        assert!(
            evidence_of(&err).starts_with("HTTP 429: Rate limit exceeded"),
            "{}",
            evidence_of(&err)
        );
        assert!(msg.contains("Try again in 60m (after "), "{msg}");
        assert!(
            msg.contains("asks for a longer wait than snow-connect allows itself (1m)"),
            "{msg}"
        );
        assert!(msg.contains("nothing was created"), "{msg}");
    }

    fn client() -> Client {
        let creds = crate::servicenow::Credentials {
            client_id: "id".into(),
            // The client registers its secrets for redaction process-wide: nothing a
            // snapshot could contain.
            client_secret: "create-failure-test-secret-9f2c".to_string().into(),
            username: "finout.integration".into(),
            password: "create-failure-test-password-4b7e".to_string().into(),
        };
        let url = InstanceUrl::parse("https://acme.service-now.com").expect("a valid URL");
        Client::new(url, creds, &crate::servicenow::ClientOptions::default()).expect("a client")
    }

    fn forbidden(detail: &str) -> Error {
        Error::Forbidden(ServiceNowMessage {
            message: "Operation Failed".into(),
            detail: Some(detail.into()),
        })
    }

    /// How deep parentheses nest in `text`.
    fn nesting(text: &str) -> usize {
        let (mut depth, mut most) = (0usize, 0usize);
        for c in text.chars() {
            match c {
                '(' => {
                    depth += 1;
                    most = most.max(depth);
                }
                ')' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        most
    }

    #[test]
    fn each_message_names_its_cause_and_leaves_the_answer_to_the_evidence() {
        let timeout = |request_sent| Error::Timeout {
            host: "acme.service-now.com".into(),
            after: Duration::from_secs(30),
            request_sent,
        };
        let cases = [
            (
                forbidden("ACL Exception Insert Failed due to security constraints"),
                "ServiceNow refused to create the incident: the integration user lacks a role or \
                 ACL that allows creating incidents.",
                "HTTP 403: Operation Failed: ACL Exception Insert Failed due to security \
                 constraints",
                Verdict::MustChange,
            ),
            (
                forbidden("Data Policy Exception: Caller is mandatory"),
                "ServiceNow refused to create the incident: a business rule, data policy or ACL \
                 on incident refused the insert.",
                "HTTP 403: Operation Failed: Data Policy Exception: Caller is mandatory",
                Verdict::MustChange,
            ),
            (
                timeout(true),
                "The request to create the incident was sent, but no answer came back in time. \
                 It is unknown whether the incident was created; snow-connect does not send it \
                 again, because that could create a duplicate incident.",
                "acme.service-now.com did not answer within 30s",
                Verdict::Unreachable,
            ),
            (
                Error::Server {
                    status: 500,
                    message: "Internal Server Error".into(),
                },
                "The request to create the incident was sent, but the instance answered with a \
                 server error. It is unknown whether the incident was created; snow-connect does \
                 not send it again, because that could create a duplicate incident.",
                "HTTP 500: Internal Server Error",
                Verdict::Unreachable,
            ),
            (
                timeout(false),
                "The incident was not created: snow-connect could not reach the instance.",
                "acme.service-now.com did not answer within 30s: check network access to the \
                 instance (firewall, or a proxy set with HTTPS_PROXY) and retry",
                Verdict::Unreachable,
            ),
            (
                rate_limited(Some(3600)),
                "ServiceNow is rate limiting this user and asks for a longer wait than \
                 snow-connect allows itself (1m); nothing was created.",
                "HTTP 429: Rate limit exceeded: Rate limit of 10 requests per hour for Table API \
                 exceeded; Retry-After: 3600; X-RateLimit-Limit: 10",
                Verdict::MustChange,
            ),
        ];
        let client = client();
        let wait = RateLimitWait::new(Duration::from_secs(60));
        for (err, message, evidence, verdict) in cases {
            let f = explain_create_error(&err, &client, "Spend up", &wait, Reader::CreateCommand);
            assert!(f.message.starts_with(message), "{err:?}:\n{}", f.message);
            assert_eq!(f.evidence, evidence, "{err:?}");
            assert_eq!(f.verdict, verdict, "{err:?}");
            assert!(nesting(&f.message) <= 1, "{}", f.message);
            assert!(!f.message.contains(&f.evidence), "{}", f.message);
        }
    }

    #[test]
    fn the_fix_says_how_to_try_again_where_it_is_read() {
        let client = client();
        let wait = RateLimitWait::new(Duration::from_secs(60));
        let denied = forbidden("ACL Exception Insert Failed due to security constraints");
        let lost = Error::Interrupted {
            host: "acme.service-now.com".into(),
            detail: "reset".into(),
        };
        for (reader, again) in [
            (
                Reader::CreateCommand,
                "run `snow-connect check --create-test-incident` (or `send` again).",
            ),
            (
                Reader::WizardTestIncident,
                "send the test incident again (t or the button).",
            ),
        ] {
            let f = explain_create_error(&denied, &client, "x", &wait, reader);
            let fix = f.fix.unwrap_or_default();
            assert!(fix.contains(again), "{reader:?}: {fix}");
            assert!(!fix.contains("run `snow-connect check` again"), "{fix}");
            let f = explain_create_error(&lost, &client, "x", &wait, reader);
            let fix = f.fix.unwrap_or_default();
            let expected = match reader {
                Reader::WizardTestIncident => {
                    "If no incident is there, send the test incident again"
                }
                _ => "If no incident is there, run the same command again.",
            };
            assert!(fix.contains(expected), "{reader:?}: {fix}");
        }
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
