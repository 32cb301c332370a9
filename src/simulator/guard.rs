//! What every Table API call passes before it reaches a table: the credentials (a Bearer
//! token, or HTTP Basic unless `--bearer-only`), the rate limit and the OAuth client's scope
//! restriction.

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::app::Shared;
use super::lockout::{Door, Outcome};
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

/// User name and password of `Authorization: Basic`; `None` when the header is another
/// scheme or not valid base64 of `user:password`.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

fn is_basic(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_whitespace().next())
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("basic"))
}

/// The user a request authenticates as, if any.
fn authenticate(shared: &Shared, headers: &HeaderMap, now: Instant) -> Option<String> {
    if is_basic(headers) {
        shared.logins().saw(Door::Basic);
        // An instance whose access policy allows OAuth only refuses Basic before looking
        // at the password, so such attempts do not count toward the lockout.
        if shared.options.bearer_only {
            return None;
        }
        let (user, password) = basic(headers)?;
        if user != shared.options.username {
            return None;
        }
        let password_ok = password == shared.options.password;
        return (shared.logins().attempt(password_ok) == Outcome::Accepted).then_some(user);
    }
    bearer(headers).and_then(|token| shared.tokens().validate(token, now).map(str::to_string))
}

/// Authenticate, count against the rate limit, and refuse a securely scoped client.
/// The refusal is boxed: a `Response` is large and the happy path should stay small.
pub(crate) fn check(shared: &Shared, headers: &HeaderMap) -> Result<Caller, Box<Response>> {
    let now = Instant::now();
    let user =
        authenticate(shared, headers, now).ok_or_else(|| Box::new(not_authenticated(shared)))?;
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
