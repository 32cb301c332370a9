//! How creating an incident behaves when the instance pushes back (`send`,
//! `check --create-test-incident` and the wizard's test button): wait out rate limits within a
//! bound and never resend an insert that may have arrived. Why a create failed, and what to
//! change, is the diagnosis's to say (`crate::diagnose::create_failure`).

use std::time::Duration;

use super::{CreatedIncident, Plan};
use crate::dictionary::Dictionary;
use crate::servicenow::{Client, Error};

// The rate-limit rule lives in `servicenow` (every layer that talks to the instance uses it);
// re-exported here so that callers of the old path keep compiling.
pub use crate::servicenow::{
    DEFAULT_RETRY_AFTER, RateLimitAnswer, RateLimitWait, human_duration, retry_rate_limited,
};

/// The most time `send` spends waiting for rate limits, over the whole run.
pub const RATE_LIMIT_BUDGET: Duration = Duration::from_secs(60);

/// The longest the ladder's test incident waits out rate limits; a longer `Retry-After` is
/// reported: a check should not hang for a minute.
pub const TEST_INCIDENT_RATE_LIMIT_BUDGET: Duration = Duration::from_secs(15);

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

/// Create the clearly labelled connection-test incident (`check --create-test-incident`):
/// the alert text only, fitted to `dictionary` when it was read, with the same policy as
/// `send` and the smaller [`TEST_INCIDENT_RATE_LIMIT_BUDGET`]. Waits are logged.
pub async fn create_test_incident(
    client: &Client,
    dictionary: Option<&Dictionary>,
) -> Result<CreatedIncident, Error> {
    let plan = super::plan_test(dictionary);
    let mut wait = RateLimitWait::new(TEST_INCIDENT_RATE_LIMIT_BUDGET);
    create_with_policy(client, &plan, &mut wait, |m| {
        tracing::info!("{m}");
    })
    .await
}
