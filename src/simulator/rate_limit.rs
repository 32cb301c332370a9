//! `--rate-limit N`: the platform's inbound REST rate limiting, one fixed window per user.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// sys_id of the (imaginary) `sys_rate_limit_rules` record being enforced.
pub(crate) const RULE_SYS_ID: &str = "7bd3b1a1dba2101058b2f0a4ce96191a";

/// The verdict on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    /// Requests allowed per window.
    pub limit: u32,
    /// Unix time at which the window resets.
    pub reset_unix: u64,
    /// `Some(seconds)` when the request is refused.
    pub retry_after: Option<u64>,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    started_unix: u64,
    count: u32,
}

/// Request counts per user.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    windows: HashMap<String, Window>,
}

impl RateLimiter {
    /// Count one request of `user` and decide.
    pub fn hit(&mut self, user: &str, limit: u32, window: Duration, now: Instant) -> Decision {
        let unix_now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let w = self.windows.entry(user.to_string()).or_insert(Window {
            started: now,
            started_unix: unix_now,
            count: 0,
        });
        if now.saturating_duration_since(w.started) >= window {
            *w = Window {
                started: now,
                started_unix: unix_now,
                count: 0,
            };
        }
        w.count = w.count.saturating_add(1);
        let reset_unix = w.started_unix.saturating_add(window.as_secs().max(1));
        let retry_after = (w.count > limit).then(|| {
            let left = (w.started + window).saturating_duration_since(now);
            (left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1)
        });
        Decision {
            limit,
            reset_unix,
            retry_after,
        }
    }
}

/// The 429 detail, in the platform's words.
pub(crate) fn detail(limit: u32, window: Duration) -> String {
    let period = match window.as_secs() {
        3600 => "hour".to_string(),
        60 => "minute".to_string(),
        1 => "second".to_string(),
        n => format!("{n} seconds"),
    };
    format!("Rate limit of {limit} requests per {period} for Table API exceeded")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_until_the_window_ends() {
        let mut r = RateLimiter::default();
        let now = Instant::now();
        let w = Duration::from_secs(10);
        assert_eq!(r.hit("u", 2, w, now).retry_after, None);
        assert_eq!(r.hit("u", 2, w, now).retry_after, None);
        assert_eq!(
            r.hit("u", 2, w, now + Duration::from_millis(500))
                .retry_after,
            Some(10)
        );
        assert_eq!(r.hit("other", 2, w, now).retry_after, None);
        assert_eq!(
            r.hit("u", 2, w, now + Duration::from_secs(10)).retry_after,
            None
        );
    }

    #[test]
    fn detail_matches_the_documented_text() {
        assert_eq!(
            detail(10, Duration::from_secs(3600)),
            "Rate limit of 10 requests per hour for Table API exceeded"
        );
        assert_eq!(
            detail(3, Duration::from_secs(2)),
            "Rate limit of 3 requests per 2 seconds for Table API exceeded"
        );
    }
}
