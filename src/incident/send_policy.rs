//! How creating an incident behaves when the instance pushes back (`send`,
//! `check --create-test-incident` and the wizard's test button): wait out rate limits within a
//! bound, never resend an insert that may have arrived, and say what the admin must change when
//! the insert is refused.

use std::future::Future;
use std::time::Duration;

use super::{CreatedIncident, Plan};
use crate::diagnose::DictionaryError;
use crate::diagnose::fixes::{self, FixContext, is_insert_denied};
use crate::exit::Exit;
use crate::servicenow::{Client, Error, InstanceUrl};

/// The most time `send` spends waiting for rate limits, over the whole run.
pub const RATE_LIMIT_BUDGET: Duration = Duration::from_secs(60);

/// The wait when a 429 carries no `Retry-After`.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);

/// The shortest wait, so that `Retry-After: 0` cannot make a busy loop.
const MIN_WAIT: Duration = Duration::from_millis(200);

/// More 429s than this in one run means something else is wrong; stop asking.
const MAX_RATE_LIMIT_RETRIES: u32 = 20;

/// An error that may be a rate-limit answer (HTTP 429).
pub trait RateLimitAnswer {
    /// `Some(retry_after)` when this is a 429; the inner `None` means no `Retry-After` header.
    fn rate_limited(&self) -> Option<Option<Duration>>;
}

impl RateLimitAnswer for Error {
    fn rate_limited(&self) -> Option<Option<Duration>> {
        match self {
            Error::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
}

impl RateLimitAnswer for DictionaryError {
    fn rate_limited(&self) -> Option<Option<Duration>> {
        match self {
            DictionaryError::Client(e) => e.rate_limited(),
            _ => None,
        }
    }
}

/// The waiting budget for rate limits, shared by every request of one run.
#[derive(Debug, Clone)]
pub struct RateLimitWait {
    budget: Duration,
    waited: Duration,
    retries: u32,
}

impl RateLimitWait {
    /// A budget of `budget` in total.
    pub fn new(budget: Duration) -> RateLimitWait {
        RateLimitWait {
            budget,
            waited: Duration::ZERO,
            retries: 0,
        }
    }

    /// How long to wait before retrying a rate-limited request, or `None` to give up because
    /// the wait would overrun the budget. Counts the wait as spent.
    pub fn next_wait(&mut self, retry_after: Option<Duration>) -> Option<Duration> {
        let wait = retry_after.unwrap_or(DEFAULT_RETRY_AFTER).max(MIN_WAIT);
        let total = self.waited.saturating_add(wait);
        if total > self.budget || self.retries >= MAX_RATE_LIMIT_RETRIES {
            return None;
        }
        self.waited = total;
        self.retries = self.retries.saturating_add(1);
        Some(wait)
    }

    /// Time spent waiting so far.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// The budget this wait was created with.
    pub fn budget(&self) -> Duration {
        self.budget
    }
}

/// Run `op`, and while it is answered with 429, wait `Retry-After` (within `wait`'s budget)
/// and run it again. A 429 means the instance refused the request without acting on it, so
/// repeating it cannot create a duplicate. `say` is told about every wait.
pub async fn retry_rate_limited<T, E, F, Fut>(
    wait: &mut RateLimitWait,
    what: &str,
    mut op: F,
    mut say: impl FnMut(String),
) -> Result<T, E>
where
    E: RateLimitAnswer,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    loop {
        let err = match op().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let Some(retry_after) = err.rate_limited() else {
            return Err(err);
        };
        let Some(pause) = wait.next_wait(retry_after) else {
            return Err(err);
        };
        say(format!(
            "ServiceNow is rate limiting this user (HTTP 429) while {what}; waiting {} as it asked, then trying again",
            human_duration(pause)
        ));
        tokio::time::sleep(pause).await;
    }
}

/// Create the planned incident once, waiting out rate limits within `wait`'s budget.
/// A timeout or a broken connection after the request left is returned as is, never resent.
pub async fn create_with_policy(
    client: &Client,
    plan: &Plan,
    wait: &mut RateLimitWait,
    say: impl FnMut(String),
) -> Result<CreatedIncident, Error> {
    retry_rate_limited(
        wait,
        "creating the incident",
        || super::create(client, plan),
        say,
    )
    .await
}

/// A failed create, explained for a person: the exit code, what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateFailure {
    /// 1 when the instance refused, 3 when the outcome is unknown or nothing answered.
    pub exit: Exit,
    /// What happened (server text already sanitised).
    pub message: String,
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
    let ctx = FixContext::new(client.username(), client.instance().host());
    if is_insert_denied(err) {
        return CreateFailure {
            exit: Exit::Denied,
            message: format!("ServiceNow refused to create the incident ({said})."),
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
            exit: Exit::Unreachable,
            message: format!(
                "The request to create the incident was sent, but {what} ({said}). \
                 It is unknown whether the incident was created; snow-connect does not send it \
                 again, because that could create a duplicate incident."
            ),
            fix: Some(duplicate_check_hint(
                client.instance(),
                short_description,
                client.username(),
            )),
        };
    }
    if err.rate_limited().is_some() {
        return CreateFailure {
            exit: Exit::Denied,
            message: rate_limit_give_up(err, wait),
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
        exit: Exit::for_error(err),
        message: format!("ServiceNow did not create the incident: {said}."),
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

/// `45s`, `1m 30s`.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = d.as_secs();
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m {s}s"),
    }
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
    use crate::servicenow::ServiceNowMessage;
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

    #[test]
    fn waits_what_the_instance_asks_within_the_budget() {
        let mut w = RateLimitWait::new(Duration::from_secs(60));
        assert_eq!(
            w.next_wait(Some(Duration::from_secs(30))),
            Some(Duration::from_secs(30))
        );
        assert_eq!(w.next_wait(None), Some(DEFAULT_RETRY_AFTER));
        // 35 s spent; 30 more would overrun 60.
        assert_eq!(w.next_wait(Some(Duration::from_secs(30))), None);
        assert_eq!(w.waited(), Duration::from_secs(35));
        assert_eq!(
            w.next_wait(Some(Duration::from_secs(25))),
            Some(Duration::from_secs(25))
        );
    }

    #[test]
    fn zero_retry_after_cannot_spin_forever() {
        let mut w = RateLimitWait::new(Duration::from_secs(60));
        let mut n = 0;
        while let Some(d) = w.next_wait(Some(Duration::ZERO)) {
            assert!(d >= MIN_WAIT);
            n += 1;
        }
        assert_eq!(n, MAX_RATE_LIMIT_RETRIES);
    }

    #[tokio::test]
    async fn retries_after_429_then_succeeds() {
        let calls = Cell::new(0);
        let mut said = Vec::new();
        let mut w = RateLimitWait::new(Duration::from_secs(5));
        let r: Result<u32, Error> = retry_rate_limited(
            &mut w,
            "creating the incident",
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move {
                    if n < 3 {
                        Err(rate_limited(Some(0)))
                    } else {
                        Ok(n)
                    }
                }
            },
            |m| said.push(m),
        )
        .await;
        assert_eq!(r.ok(), Some(3));
        assert_eq!(said.len(), 2);
        assert!(said[0].contains("HTTP 429"), "{said:?}");
        assert!(said[0].contains("creating the incident"), "{said:?}");
        assert!(said[0].contains("waiting 200ms"), "{said:?}");
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

    #[tokio::test]
    async fn other_errors_are_not_retried() {
        let calls = Cell::new(0);
        let mut w = RateLimitWait::new(Duration::from_secs(60));
        let r: Result<(), Error> = retry_rate_limited(
            &mut w,
            "x",
            || {
                calls.set(calls.get() + 1);
                async {
                    Err(Error::Timeout {
                        host: "h".into(),
                        after: Duration::from_secs(30),
                        request_sent: true,
                    })
                }
            },
            |_| {},
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls.get(), 1);
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

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(Duration::from_millis(200)), "200ms");
        assert_eq!(human_duration(Duration::from_secs(45)), "45s");
        assert_eq!(human_duration(Duration::from_secs(90)), "1m 30s");
        assert_eq!(human_duration(Duration::from_secs(120)), "2m");
    }
}
