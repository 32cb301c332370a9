//! Rate limits (HTTP 429): the waiting budget shared by every request of one run, and the
//! loop that waits out `Retry-After` within it. A 429 means the instance refused the request
//! without acting on it, so repeating it cannot create a duplicate; every layer that talks to
//! ServiceNow (discovery, reference lookups, the insert) uses this one rule.

use std::future::Future;
use std::time::Duration;

use super::Error;

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
    fn human_durations() {
        assert_eq!(human_duration(Duration::from_millis(200)), "200ms");
        assert_eq!(human_duration(Duration::from_secs(45)), "45s");
        assert_eq!(human_duration(Duration::from_secs(90)), "1m 30s");
        assert_eq!(human_duration(Duration::from_secs(120)), "2m");
    }
}
