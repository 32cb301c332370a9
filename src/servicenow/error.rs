//! Everything that can go wrong talking to an instance, told apart so that the diagnosis can
//! say what to change. Messages never contain a secret.

use std::time::Duration;

/// ServiceNow's own error envelope: `{"error":{"message":..,"detail":..},"status":"failure"}`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceNowMessage {
    /// `error.message`, e.g. "Insufficient rights to query records".
    pub message: String,
    /// `error.detail`, which may be null.
    pub detail: Option<String>,
}

impl std::fmt::Display for ServiceNowMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.detail {
            Some(d) if !d.is_empty() => write!(f, "{}: {}", self.message, d),
            _ => f.write_str(&self.message),
        }
    }
}

/// A failed request, classified. `Display` is a sentence a person can act on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The host name does not resolve.
    #[error("cannot resolve {host}: check the instance name{}, or this machine's DNS and proxy settings", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    Dns {
        /// The host that did not resolve.
        host: String,
        /// A likely intended host, e.g. `acme.service-now.com`.
        suggestion: Option<String>,
    },
    /// Nothing listens on that address/port.
    #[error(
        "connection refused by {host}: nothing is listening on that port, or a firewall refused the connection; check the instance URL and port"
    )]
    ConnectionRefused {
        /// host[:port]
        host: String,
    },
    /// Other connect-level failure (reset, unreachable network, proxy refused ...).
    #[error("could not connect to {host}: {detail}")]
    Connect {
        /// host[:port]
        host: String,
        /// The underlying reason, without secrets.
        detail: String,
    },
    /// TLS handshake or certificate verification failed (or one side did not speak TLS).
    #[error("TLS with {host} failed: {detail}")]
    Tls {
        /// host[:port]
        host: String,
        /// rustls' reason in plain words, with what to do (e.g. trust a CA with --ca-file).
        detail: String,
    },
    /// No answer within the connect or request timeout.
    #[error("{host} did not answer within {}{}: check network access to the instance (firewall, or a proxy set with HTTPS_PROXY) and retry", human_duration(*after), if *request_sent { " (the request may have reached it)" } else { "" })]
    Timeout {
        /// host[:port]
        host: String,
        /// How long we waited.
        after: Duration,
        /// True when the request may have reached the server (relevant for POST: do not resend).
        request_sent: bool,
    },
    /// The connection broke after the request was sent (no complete answer).
    #[error(
        "the connection to {host} broke before the answer was complete ({detail}); retry, and if it keeps happening a proxy or firewall may be cutting connections"
    )]
    Interrupted {
        /// host[:port]
        host: String,
        /// The underlying reason.
        detail: String,
    },
    /// The PDI is asleep: every URL answers 200 with the hibernation page.
    #[error(
        "the instance is hibernating: sign in at developer.servicenow.com to wake it, then retry in a few minutes"
    )]
    Hibernating,
    /// The PDI is waking or restarting ("Your instance is currently offline").
    #[error(
        "the instance is currently offline (waking up or restarting): retry in about five minutes"
    )]
    Offline,
    /// A redirect, typically to an SSO or login page: not the API.
    #[error(
        "{url} redirected to {location} (HTTP {status}): a login/SSO page or proxy, not the ServiceNow API; check the instance URL"
    )]
    Redirected {
        /// The URL requested (no query string).
        url: String,
        /// The `Location` header.
        location: String,
        /// 301/302/303/307/308.
        status: u16,
    },
    /// The answer was not JSON (HTML page, proxy page, login page): not a ServiceNow API.
    #[error(
        "{url} answered HTTP {status} with {content_type} instead of JSON ({hint}): this is not the ServiceNow REST API; check the instance URL, or whether a proxy or sign-on page is in the way"
    )]
    NotJson {
        /// The URL requested (no query string).
        url: String,
        /// HTTP status.
        status: u16,
        /// The Content-Type header, or "no content type".
        content_type: String,
        /// What the page looks like (e.g. page title, "a login page"), sanitised and short.
        hint: String,
    },
    /// JSON, but not in the shape ServiceNow uses (or truncated / invalid UTF-8).
    #[error(
        "{url} answered with a body that is not a ServiceNow response ({reason}); retry, and if it persists check for a proxy that alters answers"
    )]
    InvalidResponse {
        /// The URL requested (no query string).
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The body exceeded the client's size cap.
    #[error(
        "the answer from {url} is larger than {limit} bytes; refusing to read more (ask for fewer records per page)"
    )]
    BodyTooLarge {
        /// The URL requested (no query string).
        url: String,
        /// The cap in bytes.
        limit: usize,
    },
    /// `/oauth_token.do` refused the password (or refresh) grant. Never retried.
    #[error(
        "ServiceNow refused the token request (HTTP {status}: {description}); it does not say which of client id, client secret, user name or password is wrong: check all four (snow-connect does not retry, and does not send them again unchanged without being asked to: repeated failures lock the user out)"
    )]
    TokenRejected {
        /// Usually 401.
        status: u16,
        /// `error_description` (usually "access_denied").
        description: String,
    },
    /// 401 from the Table API even after one refresh.
    #[error(
        "not authenticated (HTTP 401: {0}) even with a fresh token; check that the user is active, not locked out, and has no \"password needs reset\" flag"
    )]
    NotAuthenticated(ServiceNowMessage),
    /// Securely scoped OAuth client: 403 "Access to unscoped api is not allowed".
    #[error(
        "the OAuth client is securely scoped (HTTP 403: {0}); set it to broad scope or add the useraccount auth scope"
    )]
    SecurelyScoped(ServiceNowMessage),
    /// Any other 403, with ServiceNow's message and detail.
    #[error("forbidden (HTTP 403: {0}): the integration user lacks a role or ACL for this request")]
    Forbidden(ServiceNowMessage),
    /// 400 "Invalid table X".
    #[error(
        "the instance has no table {table} (HTTP 400 Invalid table); check the name, or that the plugin providing it is active"
    )]
    InvalidTable {
        /// The table name.
        table: String,
    },
    /// 404 "No Record found" (missing or hidden by ACL).
    #[error("not found (HTTP 404: {0}): the record does not exist or an ACL hides it")]
    NotFound(ServiceNowMessage),
    /// Other 4xx.
    #[error("request refused (HTTP {status}: {message})")]
    BadRequest {
        /// HTTP status.
        status: u16,
        /// ServiceNow's message.
        message: ServiceNowMessage,
    },
    /// 429 with `Retry-After` and the `X-RateLimit-*` headers.
    #[error("rate limited by the instance (HTTP 429: {message}){}", retry_after.map(|d| format!("; retry after {}", human_duration(d))).unwrap_or_else(|| "; retry later".to_string()))]
    RateLimited {
        /// `Retry-After`.
        retry_after: Option<Duration>,
        /// `X-RateLimit-Limit`.
        limit: Option<u64>,
        /// `X-RateLimit-Reset` (Unix time).
        reset: Option<u64>,
        /// `X-RateLimit-Rule` (sys_id of the rule).
        rule: Option<String>,
        /// ServiceNow's message.
        message: ServiceNowMessage,
    },
    /// 5xx.
    #[error(
        "the instance failed (HTTP {status}: {message}); retry later, and if it persists check the instance's status"
    )]
    Server {
        /// HTTP status.
        status: u16,
        /// ServiceNow's message, or a summary of an HTML error page.
        message: String,
    },
    /// Not sent: the instance rejected these exact credentials before (remembered across
    /// runs by the login guard), and sending them again unchanged could lock the user out.
    #[error(
        "not sent: ServiceNow rejected these exact credentials before ({attempts} failed {}, last at {rejected_at}). snow-connect does not send them again unchanged, because ServiceNow locks the user after repeated failed logins (by default after {}). It does not say which of client id, client secret, user name or password is wrong: correct them, or, once they have been fixed in ServiceNow, send them once more with --retry-login",
        if *attempts == 1 { "attempt" } else { "attempts" },
        super::login_guard::DEFAULT_LOCKOUT_AFTER
    )]
    LoginRemembered {
        /// When they were last rejected, e.g. `2026-12-04 18:03:11 UTC`.
        rejected_at: String,
        /// How many password grants with them were rejected so far.
        attempts: u32,
    },
    /// A dictionary discovery reached one of its limits (bytes, rows or pages; see
    /// [`super::Limits`]): the instance sends more than any dictionary needs.
    #[error(
        "{0}; snow-connect stops there so that a runaway or hostile instance cannot exhaust memory (raise the limits with SNOW_CONNECT_MAX_ROWS / SNOW_CONNECT_MAX_MIB if the dictionary really is that large)"
    )]
    OverBudget(super::OverBudget),
    /// The request was cancelled by the caller (e.g. Esc in the wizard).
    #[error("cancelled")]
    Cancelled,
    /// Could not build the HTTP client (bad CA file ...).
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
}

/// `850 ms`, `30s`, `1.5s`, `2h 5m`: short and exact enough for a message.
pub(crate) fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms} ms");
    }
    let secs = d.as_secs();
    if secs >= 3600 {
        return format!("{}h {}m", secs / 3600, (secs % 3600) / 60);
    }
    if secs >= 120 {
        return format!("{}m {}s", secs / 60, secs % 60);
    }
    if ms.is_multiple_of(1000) {
        format!("{secs}s")
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

impl Error {
    /// The same error with `f` applied to every text that may hold server (or transport)
    /// text: the client redacts secrets and tokens with it before an error leaves.
    pub(crate) fn map_text(self, f: impl Fn(&str) -> String) -> Error {
        let m = |msg: ServiceNowMessage| ServiceNowMessage {
            message: f(&msg.message),
            detail: msg.detail.as_deref().map(&f),
        };
        match self {
            Error::Dns { host, suggestion } => Error::Dns {
                host: f(&host),
                suggestion: suggestion.as_deref().map(&f),
            },
            Error::ConnectionRefused { host } => Error::ConnectionRefused { host: f(&host) },
            Error::Connect { host, detail } => Error::Connect {
                host: f(&host),
                detail: f(&detail),
            },
            Error::Tls { host, detail } => Error::Tls {
                host: f(&host),
                detail: f(&detail),
            },
            Error::Timeout {
                host,
                after,
                request_sent,
            } => Error::Timeout {
                host: f(&host),
                after,
                request_sent,
            },
            Error::Interrupted { host, detail } => Error::Interrupted {
                host: f(&host),
                detail: f(&detail),
            },
            Error::Redirected {
                url,
                location,
                status,
            } => Error::Redirected {
                url: f(&url),
                location: f(&location),
                status,
            },
            Error::NotJson {
                url,
                status,
                content_type,
                hint,
            } => Error::NotJson {
                url: f(&url),
                status,
                content_type: f(&content_type),
                hint: f(&hint),
            },
            Error::InvalidResponse { url, reason } => Error::InvalidResponse {
                url: f(&url),
                reason: f(&reason),
            },
            Error::BodyTooLarge { url, limit } => Error::BodyTooLarge {
                url: f(&url),
                limit,
            },
            Error::TokenRejected {
                status,
                description,
            } => Error::TokenRejected {
                status,
                description: f(&description),
            },
            Error::NotAuthenticated(msg) => Error::NotAuthenticated(m(msg)),
            Error::SecurelyScoped(msg) => Error::SecurelyScoped(m(msg)),
            Error::Forbidden(msg) => Error::Forbidden(m(msg)),
            Error::InvalidTable { table } => Error::InvalidTable { table: f(&table) },
            Error::NotFound(msg) => Error::NotFound(m(msg)),
            Error::BadRequest { status, message } => Error::BadRequest {
                status,
                message: m(message),
            },
            Error::RateLimited {
                retry_after,
                limit,
                reset,
                rule,
                message,
            } => Error::RateLimited {
                retry_after,
                limit,
                reset,
                rule: rule.as_deref().map(&f),
                message: m(message),
            },
            Error::Server { status, message } => Error::Server {
                status,
                message: f(&message),
            },
            Error::Setup(detail) => Error::Setup(f(&detail)),
            Error::OverBudget(mut o) => {
                o.table = f(&o.table);
                Error::OverBudget(o)
            }
            e @ (Error::Hibernating
            | Error::Offline
            | Error::LoginRemembered { .. }
            | Error::Cancelled) => e,
        }
    }

    /// The HTTP status the instance answered with, when there was an answer.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Redirected { status, .. }
            | Error::NotJson { status, .. }
            | Error::TokenRejected { status, .. }
            | Error::BadRequest { status, .. }
            | Error::Server { status, .. } => Some(*status),
            Error::NotAuthenticated(_) => Some(401),
            Error::SecurelyScoped(_) | Error::Forbidden(_) => Some(403),
            Error::InvalidTable { .. } => Some(400),
            Error::NotFound(_) => Some(404),
            Error::RateLimited { .. } => Some(429),
            Error::Hibernating => Some(200),
            _ => None,
        }
    }

    /// True when no ServiceNow instance answered at all (exit code 3 territory).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Error::Dns { .. }
                | Error::ConnectionRefused { .. }
                | Error::Connect { .. }
                | Error::Tls { .. }
                | Error::Timeout { .. }
                | Error::Interrupted { .. }
                | Error::Hibernating
                | Error::Offline
                | Error::Redirected { .. }
                | Error::NotJson { .. }
                | Error::InvalidResponse { .. }
                | Error::BodyTooLarge { .. }
                | Error::Setup(_)
        )
    }
}
