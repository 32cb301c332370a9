//! The axum application: shared state, routes, and the layers every answer passes through
//! (compression, counting and logging, latency, hibernation, the platform's headers).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get};
use tower_http::compression::CompressionLayer;

use super::acl::Acl;
use super::lockout::Lockout;
use super::oauth::TokenStore;
use super::options::SimOptions;
use super::rate_limit::RateLimiter;
use super::responses::{self, NO_RESOURCE, append_header, random_hex, set_header};
use super::store::Database;
use super::{insert, oauth, table_api, update};

const HIBERNATING_HTML: &str = include_str!("../../assets/simulator/hibernating.html");

/// State shared by every request.
pub(crate) struct Shared {
    pub options: SimOptions,
    db: RwLock<Database>,
    pub acl: Acl,
    tokens: Mutex<TokenStore>,
    rate: Mutex<RateLimiter>,
    logins: Mutex<Lockout>,
    pub requests: AtomicU64,
    pub bytes_sent: AtomicU64,
    /// `http` or `https`.
    pub scheme: &'static str,
    /// host:port to use in links when a request names no host.
    pub fallback_host: String,
}

impl Shared {
    /// Bundle the state for a simulator about to listen on `fallback_host`.
    pub fn new(
        options: SimOptions,
        db: Database,
        acl: Acl,
        scheme: &'static str,
        fallback_host: String,
    ) -> Shared {
        Shared {
            logins: Mutex::new(Lockout::new(options.lockout_after)),
            options,
            db: RwLock::new(db),
            acl,
            tokens: Mutex::new(TokenStore::default()),
            rate: Mutex::new(RateLimiter::default()),
            requests: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            scheme,
            fallback_host,
        }
    }

    /// Read access to the data. A panic elsewhere cannot leave it half-written (writes are
    /// single pushes), so a poisoned lock is still safe to use.
    pub fn db(&self) -> RwLockReadGuard<'_, Database> {
        self.db.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Write access to the data (creating incidents).
    pub fn db_mut(&self) -> RwLockWriteGuard<'_, Database> {
        self.db.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The token store.
    pub fn tokens(&self) -> MutexGuard<'_, TokenStore> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The integration user's failed-login counter.
    pub fn logins(&self) -> MutexGuard<'_, Lockout> {
        self.logins.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The rate limiter.
    pub fn rate(&self) -> MutexGuard<'_, RateLimiter> {
        self.rate.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `scheme://host` as the client addressed us, for links in answers.
    pub fn base_for(&self, headers: &HeaderMap, uri: &Uri) -> String {
        let plausible = |h: &str| {
            !h.is_empty()
                && h.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_')
                })
        };
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| plausible(h))
            .map(str::to_string)
            .or_else(|| uri.authority().map(|a| a.to_string()))
            .unwrap_or_else(|| self.fallback_host.clone());
        format!("{}://{host}", self.scheme)
    }
}

/// The router with every layer.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/oauth_token.do", any(oauth::token))
        .route(
            "/api/now/table/{table}",
            get(table_api::list_latest)
                .post(insert::create_latest)
                .fallback(method_not_supported),
        )
        .route(
            "/api/now/table/{table}/{sys_id}",
            get(table_api::get_latest)
                .patch(update::write_latest)
                .put(update::write_latest)
                .delete(update::write_latest)
                .fallback(method_not_supported),
        )
        .route(
            "/api/now/{version}/table/{table}",
            get(table_api::list_versioned)
                .post(insert::create_versioned)
                .fallback(method_not_supported),
        )
        .route(
            "/api/now/{version}/table/{table}/{sys_id}",
            get(table_api::get_versioned)
                .patch(update::write_versioned)
                .put(update::write_versioned)
                .delete(update::write_versioned)
                .fallback(method_not_supported),
        )
        .fallback(not_found)
        .layer(middleware::from_fn(platform_headers))
        .layer(middleware::from_fn_with_state(shared.clone(), hibernation))
        .layer(middleware::from_fn_with_state(shared.clone(), latency))
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            count_and_log,
        ))
        .layer(CompressionLayer::new())
        .with_state(shared)
}

async fn method_not_supported() -> Response {
    responses::error(StatusCode::METHOD_NOT_ALLOWED, "Method not Supported", None)
}

async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return responses::error(StatusCode::BAD_REQUEST, NO_RESOURCE, None);
    }
    let mut response = Response::new(Body::from(
        "<!DOCTYPE html><html><head><title>Not Found</title></head><body><h1>Not Found</h1></body></html>\n",
    ));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html;charset=UTF-8"),
    );
    response
}

/// Headers every answer of a real instance carries.
async fn platform_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::SERVER, HeaderValue::from_static("ServiceNow"));
    headers.insert(
        header::PRAGMA,
        HeaderValue::from_static("no-store,no-cache"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache,no-store,must-revalidate,max-age=-1"),
    );
    headers.insert(header::EXPIRES, HeaderValue::from_static("0"));
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=63072000; includeSubDomains"),
    );
    set_header(
        headers,
        HeaderName::from_static("x-transaction-id"),
        &random_hex(6),
    );
    let logged_in = HeaderName::from_static("x-is-logged-in");
    if !headers.contains_key(&logged_in) {
        headers.insert(logged_in, HeaderValue::from_static("false"));
    }
    append_header(
        headers,
        header::SET_COOKIE,
        &format!(
            "JSESSIONID={}; Path=/; HttpOnly;Secure",
            random_hex(16).to_uppercase()
        ),
    );
    response
}

/// `--hibernating`: the sleeping-PDI page on every path, before anything else runs.
async fn hibernation(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if !shared.options.hibernating {
        return next.run(request).await;
    }
    let mut response = Response::new(Body::from(HIBERNATING_HTML));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html;charset=UTF-8"),
    );
    response
}

/// `--latency-ms`: hold every answer back.
async fn latency(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let delay = shared.options.latency_ms;
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    next.run(request).await
}

/// Count answers and their body bytes; log method, path, status and time (never bodies,
/// query strings or headers, which may carry secrets).
async fn count_and_log(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let bytes = response.body().size_hint().exact().unwrap_or(0);
    shared.requests.fetch_add(1, Ordering::Relaxed);
    shared.bytes_sent.fetch_add(bytes, Ordering::Relaxed);
    tracing::info!(
        target: "snow_connect::simulator",
        %method,
        path = %path.chars().take(200).collect::<String>(),
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}
