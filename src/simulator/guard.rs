//! What every Table API call passes before it reaches a table: the Bearer token, the rate
//! limit and the OAuth client's scope restriction.

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::app::Shared;
use super::options::{AuthErrorOrder, AuthScheme};
use super::rate_limit::{self, Decision, RULE_SYS_ID};
use super::responses::{
    self, AUTH_REQUIRED, NOT_AUTHENTICATED, NOT_AUTHORIZED, RATE_LIMITED, UNSCOPED_API,
    append_header, envelope, set_header,
};

/// An authenticated caller; [`Caller::finish`] stamps its answer.
pub(crate) struct Caller {
    rate: Option<Decision>,
}

impl Caller {
    /// Add the headers an authenticated answer carries (rate-limit counters, logged-in flag).
    pub fn finish(&self, mut response: Response) -> Response {
        let headers = response.headers_mut();
        headers.insert(
            HeaderName::from_static("x-is-logged-in"),
            HeaderValue::from_static("true"),
        );
        if let Some(decision) = &self.rate {
            rate_headers(headers, decision);
        }
        response
    }
}

fn rate_headers(headers: &mut HeaderMap, decision: &Decision) {
    set_header(
        headers,
        HeaderName::from_static("x-ratelimit-limit"),
        &decision.limit.to_string(),
    );
    set_header(
        headers,
        HeaderName::from_static("x-ratelimit-reset"),
        &decision.reset_unix.to_string(),
    );
    set_header(
        headers,
        HeaderName::from_static("x-ratelimit-rule"),
        RULE_SYS_ID,
    );
}

/// The 401 of a missing, unknown or expired token, headers as captured from a real instance.
pub(crate) fn not_authenticated(shared: &Shared) -> Response {
    let detail_first = shared.options.auth_error_order == AuthErrorOrder::DetailFirst;
    let mut response = responses::json(
        StatusCode::UNAUTHORIZED,
        envelope(NOT_AUTHENTICATED, Some(AUTH_REQUIRED), detail_first),
    );
    let headers = response.headers_mut();
    let scheme = match shared.options.www_authenticate {
        AuthScheme::Basic => "BASIC",
        AuthScheme::Bearer => "BEARER",
    };
    set_header(
        headers,
        header::WWW_AUTHENTICATE,
        &format!("{scheme} realm=\"Service-now\""),
    );
    for cookie in ["glide_user", "glide_user_session"] {
        append_header(
            headers,
            header::SET_COOKIE,
            &format!(
                "{cookie}=; Max-Age=0; Expires=Thu, 01-Jan-1970 00:00:10 GMT; Path=/; HttpOnly;Secure"
            ),
        );
    }
    response
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Authenticate, count against the rate limit, and refuse a securely scoped client.
/// The refusal is boxed: a `Response` is large and the happy path should stay small.
pub(crate) fn check(shared: &Shared, headers: &HeaderMap) -> Result<Caller, Box<Response>> {
    let now = Instant::now();
    let user = bearer(headers)
        .and_then(|token| shared.tokens().validate(token, now).map(str::to_string))
        .ok_or_else(|| Box::new(not_authenticated(shared)))?;
    let options = &shared.options;
    let rate = options.rate_limit.map(|limit| {
        let window = Duration::from_secs(options.rate_limit_window.max(1));
        shared.rate().hit(&user, limit, window, now)
    });
    let caller = Caller { rate };
    if let Some(decision) = &caller.rate
        && let Some(retry_after) = decision.retry_after
    {
        let window = Duration::from_secs(options.rate_limit_window.max(1));
        let detail = rate_limit::detail(decision.limit, window);
        let mut response =
            responses::error(StatusCode::TOO_MANY_REQUESTS, RATE_LIMITED, Some(&detail));
        set_header(
            response.headers_mut(),
            header::RETRY_AFTER,
            &retry_after.to_string(),
        );
        return Err(Box::new(caller.finish(response)));
    }
    if options.securely_scoped {
        let response = responses::error(StatusCode::FORBIDDEN, NOT_AUTHORIZED, Some(UNSCOPED_API));
        return Err(Box::new(caller.finish(response)));
    }
    Ok(caller)
}
