//! A loopback "instance" for the lockout and redaction tests: it counts password grants, can
//! reject, rate-limit or fail the token request, issues tokens with any lifetime, and echoes
//! the secrets and tokens it was sent back in every error (as a WAF or proxy might): raw,
//! form-encoded, `\u`-escaped in JSON, and in an HTML page title.

#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use axum::routing::post;

/// Distinctive values: spaces, `+`, `/`, `&` and `@` so that encoded forms differ from raw.
pub const CLIENT_ID: &str = "0123456789abcdef0123456789abcdef";
/// The client secret.
pub const CLIENT_SECRET: &str = "S3cr+t/CLIENT&zq9 x";
/// The user.
pub const USERNAME: &str = "finout.integration";
/// The right password (until changed with [`Echo::set_password`]).
pub const PASSWORD: &str = "P@ss+WORD/xk7 ok";
/// A wrong password.
pub const WRONG_PASSWORD: &str = "Wr0ng+PASS&pw4 no";
/// The access token the server issues.
pub const TOKEN: &str = "TOKENaccess0123456789abcdefXYZ";
/// The refresh token the server issues.
pub const REFRESH: &str = "REFRESHrefresh0123456789abcdef";

/// How the token endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenMode {
    /// 200 for the right password (with `expires_in` and maybe a refresh token), else 401.
    Accept {
        /// Stated lifetime.
        expires_in: u64,
        /// Whether a refresh token comes with it.
        refresh: bool,
    },
    /// 429 with Retry-After: 1.
    RateLimited,
    /// 503 with an HTML page.
    Unavailable,
}

/// The server's state.
pub struct Echo {
    /// Password grants received.
    pub password_grants: AtomicUsize,
    /// Refresh grants received.
    pub refresh_grants: AtomicUsize,
    /// Authenticated API requests received.
    pub api_requests: AtomicUsize,
    mode: Mutex<TokenMode>,
    password: Mutex<String>,
    /// Answer the API with 200 and no records instead of echoing errors.
    pub api_ok: AtomicBool,
}

impl Echo {
    /// Password grants so far.
    pub fn grants(&self) -> usize {
        self.password_grants.load(Ordering::SeqCst)
    }
    /// Change how the token endpoint answers.
    pub fn set_mode(&self, mode: TokenMode) {
        if let Ok(mut m) = self.mode.lock() {
            *m = mode;
        }
    }
    /// The password the "instance" accepts from now on (an admin reset it).
    pub fn set_password(&self, p: &str) {
        if let Ok(mut m) = self.password.lock() {
            *m = p.to_string();
        }
    }
}

/// A running server.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its state.
    pub state: Arc<Echo>,
}

/// Start the server on a random loopback port.
pub async fn start(mode: TokenMode) -> Server {
    let state = Arc::new(Echo {
        password_grants: AtomicUsize::new(0),
        refresh_grants: AtomicUsize::new(0),
        api_requests: AtomicUsize::new(0),
        mode: Mutex::new(mode),
        password: Mutex::new(PASSWORD.to_string()),
        api_ok: AtomicBool::new(false),
    });
    let app = Router::new()
        .route("/oauth_token.do", post(token))
        .fallback(api)
        .with_state(Arc::clone(&state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server {
        url: format!("http://{addr}"),
        state,
    }
}

/// Every character as a JSON `\uXXXX` escape.
pub fn u_escape(s: &str) -> String {
    s.encode_utf16().map(|c| format!("\\u{c:04x}")).collect()
}

/// Form-encoded, as in the token request's body.
pub fn form(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn reply(status: u16, ctype: &str, headers: &[(&str, String)], body: String) -> Response<Body> {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", ctype);
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    b.body(Body::from(body)).unwrap_or_default()
}

async fn token(State(s): State<Arc<Echo>>, body: String) -> Response<Body> {
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let grant = get("grant_type");
    if grant == "password" {
        s.password_grants.fetch_add(1, Ordering::SeqCst);
    } else {
        s.refresh_grants.fetch_add(1, Ordering::SeqCst);
    }
    let mode = s.mode.lock().map(|m| *m).unwrap_or(TokenMode::Unavailable);
    // The echo of the whole request, the way a WAF reports what it saw.
    let echo = format!("request was: {body}");
    match mode {
        TokenMode::RateLimited => reply(
            429,
            "application/json",
            &[("retry-after", "1".into())],
            format!(
                r#"{{"error":{{"message":"Too many logins","detail":{}}},"status":"failure"}}"#,
                json_string(&echo)
            ),
        ),
        TokenMode::Unavailable => reply(
            503,
            "text/html",
            &[],
            format!("<html><head><title>Maintenance {echo}</title></head></html>"),
        ),
        TokenMode::Accept {
            expires_in,
            refresh,
        } => {
            let good = s.password.lock().map(|p| p.clone()).unwrap_or_default();
            let ok = get("client_secret") == CLIENT_SECRET
                && if grant == "password" {
                    get("password") == good
                } else {
                    get("refresh_token") == REFRESH
                };
            if !ok {
                return reply(
                    401,
                    "application/json",
                    &[],
                    format!(
                        r#"{{"error":"access_denied","error_description":{}}}"#,
                        json_string(&echo)
                    ),
                );
            }
            let refresh = if refresh {
                format!(r#","refresh_token":"{REFRESH}""#)
            } else {
                String::new()
            };
            reply(
                200,
                "application/json",
                &[],
                format!(
                    r#"{{"access_token":"{TOKEN}"{refresh},"scope":"useraccount {TOKEN}","token_type":"Bearer","expires_in":{expires_in}}}"#
                ),
            )
        }
    }
}

async fn api(
    State(s): State<Arc<Echo>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response<Body> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if auth != format!("Bearer {TOKEN}") {
        // A real instance's unauthenticated answer (the probe), echoing what came.
        return reply(
            401,
            "application/json",
            &[],
            format!(
                r#"{{"error":{{"message":"User Not Authenticated","detail":{}}},"status":"failure"}}"#,
                json_string(&format!("Required to provide Auth information ({auth})"))
            ),
        );
    }
    s.api_requests.fetch_add(1, Ordering::SeqCst);
    if s.api_ok.load(Ordering::SeqCst) {
        return reply(
            200,
            "application/json",
            &[("x-total-count", "0".into())],
            r#"{"result":[]}"#.into(),
        );
    }
    let path = uri.path().to_string();
    if path.contains("sys_choice") || method == Method::POST {
        return reply(
            500,
            "text/html",
            &[],
            format!("<html><head><title>Failure for {auth} {CLIENT_SECRET}</title></head></html>"),
        );
    }
    let message = format!("Insufficient rights to query records (you sent {auth})");
    // The detail escapes every character of the secrets and the refresh token: the byte
    // search cannot see them, only the parsed value can.
    let detail = format!(
        "{} / {} / {} / {} / {}",
        u_escape(CLIENT_SECRET),
        u_escape(PASSWORD),
        u_escape(REFRESH),
        form(CLIENT_SECRET),
        form(PASSWORD)
    );
    reply(
        403,
        "application/json",
        &[("x-echo", auth.clone())],
        format!(
            r#"{{"error":{{"message":{},"detail":"{detail}"}},"status":"failure"}}"#,
            json_string(&message)
        ),
    )
}

/// Every form in which a secret or token could leak: raw, form-encoded, JSON-escaped.
pub fn needles(values: &[&str]) -> Vec<String> {
    let mut v = Vec::new();
    for s in values {
        v.push(s.to_string());
        v.push(form(s));
        v.push(form(s).replace('+', "%20"));
        let j = json_string(s);
        v.push(j.trim_matches('"').to_string());
    }
    v.sort();
    v.dedup();
    v
}

/// The needles found in `bytes`, named for the failure message.
pub fn leaks(label: &str, bytes: &[u8], needles: &[String]) -> Vec<String> {
    needles
        .iter()
        .filter(|n| bytes.windows(n.len()).any(|w| w == n.as_bytes()))
        .map(|n| format!("{label} holds {}…", n.chars().take(8).collect::<String>()))
        .collect()
}
