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
    #[error("cannot resolve {host}: check the instance name{}", suggestion.as_ref().map(|s| format!(" (did you mean {s}?)")).unwrap_or_default())]
    Dns {
        /// The host that did not resolve.
        host: String,
        /// A likely intended host, e.g. `acme.service-now.com`.
        suggestion: Option<String>,
    },
    /// Nothing listens on that address/port.
    #[error("connection refused by {host}: nothing is listening there")]
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
    /// TLS handshake or certificate verification failed.
    #[error(
        "TLS with {host} failed: {detail}. If a corporate proxy inspects TLS, trust its CA with --ca-file PEM or SSL_CERT_FILE"
    )]
    Tls {
        /// host[:port]
        host: String,
        /// What rustls said, e.g. "invalid peer certificate: UnknownIssuer".
        detail: String,
    },
    /// No answer within the connect or request timeout.
    #[error("{host} did not answer within {}s", after.as_secs())]
    Timeout {
        /// host[:port]
        host: String,
        /// How long we waited.
        after: Duration,
        /// True when the request may have reached the server (relevant for POST: do not resend).
        request_sent: bool,
    },
    /// The connection broke after the request was sent (no complete answer).
    #[error("the connection to {host} broke before the answer was complete: {detail}")]
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
        "{url} redirected to {location} (HTTP {status}): a login/SSO page or proxy, not the ServiceNow API"
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
    #[error("{url} answered HTTP {status} with {content_type} instead of JSON: {hint}")]
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
    #[error("{url} answered with a body that is not a ServiceNow response: {reason}")]
    InvalidResponse {
        /// The URL requested (no query string).
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The body exceeded the client's size cap.
    #[error("the answer from {url} is larger than {limit} bytes; refusing to read more")]
    BodyTooLarge {
        /// The URL requested (no query string).
        url: String,
        /// The cap in bytes.
        limit: usize,
    },
    /// `/oauth_token.do` refused the password (or refresh) grant. Never retried.
    #[error(
        "ServiceNow refused the token request (HTTP {status}: {description}); it does not say which of client id, client secret, user name or password is wrong"
    )]
    TokenRejected {
        /// Usually 401.
        status: u16,
        /// `error_description` (usually "access_denied").
        description: String,
    },
    /// 401 from the Table API even after one refresh.
    #[error("not authenticated (HTTP 401: {0})")]
    NotAuthenticated(ServiceNowMessage),
    /// Securely scoped OAuth client: 403 "Access to unscoped api is not allowed".
    #[error(
        "the OAuth client is securely scoped (HTTP 403: {0}); set it to broad scope or add the useraccount auth scope"
    )]
    SecurelyScoped(ServiceNowMessage),
    /// Any other 403, with ServiceNow's message and detail.
    #[error("forbidden (HTTP 403: {0})")]
    Forbidden(ServiceNowMessage),
    /// 400 "Invalid table X".
    #[error("the instance has no table {table}")]
    InvalidTable {
        /// The table name.
        table: String,
    },
    /// 404 "No Record found" (missing or hidden by ACL).
    #[error("not found (HTTP 404: {0})")]
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
    #[error("rate limited by the instance{}", retry_after.map(|d| format!("; retry after {}s", d.as_secs())).unwrap_or_default())]
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
    #[error("the instance failed (HTTP {status}: {message})")]
    Server {
        /// HTTP status.
        status: u16,
        /// ServiceNow's message, or a summary of an HTML error page.
        message: String,
    },
    /// The request was cancelled by the caller (e.g. Esc in the wizard).
    #[error("cancelled")]
    Cancelled,
    /// Could not build the HTTP client (bad CA file ...).
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
}

impl Error {
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
