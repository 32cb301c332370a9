//! Test servers for the ServiceNow client: a small fake instance (OAuth + Table API with
//! counters and switches), raw TCP servers for faults no real server would produce on
//! purpose, TLS material from a throw-away CA, and an HTTP CONNECT proxy.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use secrecy::SecretString;
use serde_json::{Value, json};
use snow_connect::servicenow::{ClientOptions, Credentials, InstanceUrl, ProxyConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Every test is bounded: a hang is a failure, not a stuck CI job.
pub async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(30), fut).await {
        Ok(v) => v,
        Err(_) => panic!("test did not finish within 30 s"),
    }
}

pub const CLIENT_ID: &str = "4f1c2b8e9d7a6c5b4a3f2e1d0c9b8a7f";
/// Secrets with every character that breaks naive form encoding.
pub const CLIENT_SECRET: &str = "s&e+c=r%t ü[~";
pub const USERNAME: &str = "finout.integration";
pub const PASSWORD: &str = "p@ss&word=+%20x";

pub fn creds() -> Credentials {
    Credentials {
        client_id: CLIENT_ID.into(),
        client_secret: SecretString::from(CLIENT_SECRET),
        username: USERNAME.into(),
        password: SecretString::from(PASSWORD),
    }
}

pub fn wrong_creds() -> Credentials {
    Credentials {
        password: SecretString::from("wrong-password"),
        ..creds()
    }
}

/// Short timeouts, no proxy from the environment (tests must not depend on the CI's).
pub fn opts() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(3),
        request_timeout: Duration::from_secs(5),
        proxy: ProxyConfig::Direct,
        ..ClientOptions::default()
    }
}

pub fn base(url: &str) -> InstanceUrl {
    InstanceUrl::parse(url).expect("test URL")
}

// ---------------------------------------------------------------------------------------
// Fake instance
// ---------------------------------------------------------------------------------------

/// Switches and counters of the fake instance.
#[derive(Default)]
pub struct Fake {
    pub password_grants: AtomicUsize,
    pub refresh_grants: AtomicUsize,
    pub api_requests: AtomicUsize,
    pub unauthorized: AtomicUsize,
    pub posts: AtomicUsize,
    /// Token lifetime announced in `expires_in`.
    pub expires_in: AtomicU64,
    /// Refresh grants are refused when set.
    pub reject_refresh: AtomicBool,
    /// Refresh answers carry a new refresh token when set.
    pub rotate_refresh: AtomicBool,
    /// Every API call answers 401 whatever the token.
    pub always_401: AtomicBool,
    /// Delay of the token endpoint (to make concurrent callers overlap).
    pub token_delay_ms: AtomicU64,
    /// Delay of each page (to measure concurrency).
    pub page_delay_ms: AtomicU64,
    /// Pagination by `Link` only (no `X-Total-Count`).
    pub link_only: AtomicBool,
    /// Neither count nor link.
    pub bare_pages: AtomicBool,
    /// Drop every third record of a page (row ACLs) while the count stays.
    pub row_acl: AtomicBool,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    pub access_tokens: Mutex<HashSet<String>>,
    pub refresh_tokens: Mutex<HashSet<String>>,
    /// Form of every token request, decoded.
    pub token_forms: Mutex<Vec<Vec<(String, String)>>>,
    /// Headers of every request, in order (path, headers).
    pub seen: Mutex<Vec<(String, HeaderMap)>>,
    /// Raw query strings of table reads.
    pub queries: Mutex<Vec<String>>,
    pub created: Mutex<Vec<Value>>,
    counter: AtomicUsize,
}

impl Fake {
    pub fn expire_access_tokens(&self) {
        self.access_tokens.lock().unwrap().clear();
    }
    fn mint(&self, prefix: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        format!("{prefix}{n:0>80}")
    }
}

/// The records of the fake `incident` table: `INC0000000`..`INC{n-1}`.
pub const RECORDS: usize = 25;

fn record(i: usize) -> Value {
    json!({
        "number": format!("INC{i:07}"),
        "sys_id": format!("{i:032x}"),
        "caller_id": {"link": "https://fake/api/now/table/sys_user/abc", "value": "abc"},
    })
}

fn envelope(message: &str, detail: Option<&str>) -> Value {
    json!({"error": {"message": message, "detail": detail}, "status": "failure"})
}

fn json_response(status: StatusCode, headers: &[(&str, String)], body: Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        "content-type",
        "application/json;charset=UTF-8".parse().unwrap(),
    );
    for (k, v) in headers {
        resp.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).expect("header name"),
            v.parse().expect("header value"),
        );
    }
    resp
}

fn not_authenticated() -> Response {
    json_response(
        StatusCode::UNAUTHORIZED,
        &[("www-authenticate", "BASIC realm=\"Service-now\"".into())],
        envelope(
            "User Not Authenticated",
            Some("Required to provide Auth information"),
        ),
    )
}

async fn token(State(f): State<Arc<Fake>>, headers: HeaderMap, body: Bytes) -> Response {
    f.seen
        .lock()
        .unwrap()
        .push(("/oauth_token.do".into(), headers));
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    f.token_forms.lock().unwrap().push(form.clone());
    let delay = f.token_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let get = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let denied = || {
        json_response(
            StatusCode::UNAUTHORIZED,
            &[],
            json!({"error_description": "access_denied", "error": "server_error"}),
        )
    };
    if get("client_id") != Some(CLIENT_ID) || get("client_secret") != Some(CLIENT_SECRET) {
        return denied();
    }
    let refresh_out = match get("grant_type") {
        Some("password") => {
            f.password_grants.fetch_add(1, Ordering::SeqCst);
            if get("username") != Some(USERNAME) || get("password") != Some(PASSWORD) {
                return denied();
            }
            let r = f.mint("R");
            f.refresh_tokens.lock().unwrap().insert(r.clone());
            Some(r)
        }
        Some("refresh_token") => {
            f.refresh_grants.fetch_add(1, Ordering::SeqCst);
            let known =
                get("refresh_token").is_some_and(|r| f.refresh_tokens.lock().unwrap().contains(r));
            if !known || f.reject_refresh.load(Ordering::SeqCst) {
                return denied();
            }
            if f.rotate_refresh.load(Ordering::SeqCst) {
                let r = f.mint("R");
                f.refresh_tokens.lock().unwrap().insert(r.clone());
                Some(r)
            } else {
                None
            }
        }
        _ => return denied(),
    };
    let access = f.mint("A");
    f.access_tokens.lock().unwrap().insert(access.clone());
    let mut body = json!({
        "access_token": access,
        "scope": "useraccount",
        "token_type": "Bearer",
        "expires_in": f.expires_in.load(Ordering::SeqCst),
    });
    if let Some(r) = refresh_out {
        body["refresh_token"] = json!(r);
    }
    json_response(StatusCode::OK, &[], body)
}

fn authorised(f: &Fake, headers: &HeaderMap) -> bool {
    if f.always_401.load(Ordering::SeqCst) {
        return false;
    }
    let Some(token) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    f.access_tokens.lock().unwrap().contains(token)
}

struct InFlight<'a>(&'a Fake);

impl<'a> InFlight<'a> {
    fn enter(f: &'a Fake) -> Self {
        let now = f.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        f.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(f)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn table(
    State(f): State<Arc<Fake>>,
    Path(table): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    f.api_requests.fetch_add(1, Ordering::SeqCst);
    f.seen
        .lock()
        .unwrap()
        .push((format!("/api/now/table/{table}"), headers.clone()));
    let raw = raw.unwrap_or_default();
    f.queries.lock().unwrap().push(raw.clone());
    if !authorised(&f, &headers) {
        f.unauthorized.fetch_add(1, Ordering::SeqCst);
        return not_authenticated();
    }
    if table != "incident" {
        return json_response(
            StatusCode::BAD_REQUEST,
            &[],
            envelope(&format!("Invalid table {table}"), None),
        );
    }
    let _guard = InFlight::enter(&f);
    let delay = f.page_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let params: HashMap<String, String> = url::form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect();
    let limit: usize = params
        .get("sysparm_limit")
        .and_then(|s| s.parse().ok())
        .unwrap_or(10000);
    let offset: usize = params
        .get("sysparm_offset")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut rows: Vec<Value> = (offset..RECORDS.min(offset + limit)).map(record).collect();
    if f.row_acl.load(Ordering::SeqCst) {
        rows = rows
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % 3 != 2)
            .map(|(_, r)| r)
            .collect();
    }
    let mut out_headers = Vec::new();
    let link_only = f.link_only.load(Ordering::SeqCst);
    let bare = f.bare_pages.load(Ordering::SeqCst);
    if !link_only && !bare {
        out_headers.push(("x-total-count", RECORDS.to_string()));
    }
    if link_only && offset + limit < RECORDS {
        // The real format: no spaces, original parameters first, offset and limit last.
        let link = |o: usize| {
            format!(
                "<https://fake.service-now.com/api/now/table/incident?sysparm_offset={o}&sysparm_limit={limit}>"
            )
        };
        out_headers.push((
            "link",
            format!(
                "{};rel=\"first\",{};rel=\"next\",{};rel=\"last\"",
                link(0),
                link(offset + limit),
                link(RECORDS / limit * limit)
            ),
        ));
    }
    json_response(StatusCode::OK, &out_headers, json!({ "result": rows }))
}

async fn one_record(
    State(f): State<Arc<Fake>>,
    Path((table, sys_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    f.api_requests.fetch_add(1, Ordering::SeqCst);
    if !authorised(&f, &headers) {
        f.unauthorized.fetch_add(1, Ordering::SeqCst);
        return not_authenticated();
    }
    let found = (0..RECORDS)
        .map(record)
        .chain(f.created.lock().unwrap().iter().cloned())
        .find(|r| r["sys_id"] == json!(sys_id));
    match (table.as_str(), found) {
        ("incident", Some(r)) => json_response(StatusCode::OK, &[], json!({ "result": r })),
        _ => json_response(
            StatusCode::NOT_FOUND,
            &[],
            envelope(
                "No Record found",
                Some("Record doesn't exist or ACL restricts the record retrieval"),
            ),
        ),
    }
}

async fn create(
    State(f): State<Arc<Fake>>,
    Path(table): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    f.api_requests.fetch_add(1, Ordering::SeqCst);
    f.posts.fetch_add(1, Ordering::SeqCst);
    f.seen
        .lock()
        .unwrap()
        .push((format!("POST /api/now/table/{table}"), headers.clone()));
    if !authorised(&f, &headers) {
        f.unauthorized.fetch_add(1, Ordering::SeqCst);
        return not_authenticated();
    }
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let accept = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/json") || !accept.contains("application/json") {
        return json_response(
            StatusCode::BAD_REQUEST,
            &[],
            envelope("Missing Accept or Content-Type", None),
        );
    }
    let Ok(Value::Object(mut rec)) = serde_json::from_slice::<Value>(&body) else {
        return json_response(StatusCode::BAD_REQUEST, &[], envelope("Bad JSON", None));
    };
    let n = f.created.lock().unwrap().len();
    let sys_id = format!("{:032x}", 0xc0ffee + n);
    rec.insert("sys_id".into(), json!(sys_id));
    rec.insert("number".into(), json!(format!("INC{:07}", 10001 + n)));
    let rec = Value::Object(rec);
    f.created.lock().unwrap().push(rec.clone());
    json_response(
        StatusCode::CREATED,
        &[(
            "location",
            format!("https://fake.service-now.com/api/now/table/{table}/{sys_id}"),
        )],
        json!({ "result": rec }),
    )
}

/// A running fake instance.
pub struct FakeInstance {
    pub url: String,
    pub state: Arc<Fake>,
}

impl FakeInstance {
    pub async fn start() -> FakeInstance {
        let state = Arc::new(Fake {
            expires_in: AtomicU64::new(1799),
            rotate_refresh: AtomicBool::new(true),
            ..Fake::default()
        });
        let app = Router::new()
            .route("/oauth_token.do", post(token))
            .route("/api/now/table/{table}", get(table).post(create))
            .route("/api/now/table/{table}/{sys_id}", get(one_record))
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeInstance {
            url: format!("http://{addr}"),
            state,
        }
    }

    pub fn client(&self) -> snow_connect::servicenow::Client {
        snow_connect::servicenow::Client::new(base(&self.url), creds(), &opts()).unwrap()
    }
}

// ---------------------------------------------------------------------------------------
// Raw servers
// ---------------------------------------------------------------------------------------

/// Reads one HTTP request (head and, with Content-Length, body). Empty on EOF.
pub async fn read_request<S: AsyncReadExt + Unpin>(s: &mut S) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return String::from_utf8_lossy(&buf).into_owned();
            }
        }
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&buf).into_owned(),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A TCP server running `handler` on every connection.
pub async fn raw_server<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let h = handler.clone();
            tokio::spawn(async move { h(s).await });
        }
    });
    addr
}

/// A server that answers every request with the same bytes and counts requests.
pub async fn canned(response: Vec<u8>) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let response = Arc::new(response);
    let addr = raw_server(move |mut s| {
        let response = response.clone();
        let seen = seen2.clone();
        async move {
            loop {
                let req = read_request(&mut s).await;
                if req.is_empty() {
                    return;
                }
                seen.lock().unwrap().push(req);
                if s.write_all(&response).await.is_err() {
                    return;
                }
            }
        }
    })
    .await;
    (addr, seen)
}

/// A raw instance whose token endpoint grants a token: a request without a bearer token (the
/// unauthenticated probe) gets [`real_401`], every other request gets `api`.
pub async fn instance_answering(api: Vec<u8>) -> SocketAddr {
    let api = Arc::new(api);
    raw_server(move |mut s| {
        let api = api.clone();
        async move {
            loop {
                let req = read_request(&mut s).await;
                if req.is_empty() {
                    return;
                }
                let answer = if req.starts_with("POST /oauth_token.do") {
                    http_response(
                        "200 OK",
                        &[("Content-Type", "application/json;charset=UTF-8")],
                        br#"{"access_token":"tok","refresh_token":"ref","scope":"useraccount","token_type":"Bearer","expires_in":1799}"#,
                    )
                } else if !req.to_lowercase().contains("authorization: bearer") {
                    real_401()
                } else {
                    api.to_vec()
                };
                if s.write_all(&answer).await.is_err() {
                    return;
                }
            }
        }
    })
    .await
}

/// `HTTP/1.1 {status}` with headers and body (Content-Length set).
pub fn http_response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A port with nothing listening on it.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------------------

/// A throw-away CA and a server certificate it signed.
pub struct TlsMaterial {
    pub ca_pem: String,
    pub server: Arc<rustls::ServerConfig>,
}

pub fn tls_material(names: &[&str], expired: bool) -> TlsMaterial {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "snow-connect test CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);

    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut leaf = CertificateParams::new(names).unwrap();
    if expired {
        let now = time::OffsetDateTime::now_utc();
        leaf.not_before = now - time::Duration::days(30);
        leaf.not_after = now - time::Duration::days(1);
    }
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![leaf_cert.der().clone()], key)
    .unwrap();
    TlsMaterial {
        ca_pem: ca_cert.pem(),
        server: Arc::new(server),
    }
}

/// A TLS server that answers every request with `response`.
pub async fn tls_canned(config: Arc<rustls::ServerConfig>, response: Vec<u8>) -> SocketAddr {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let response = Arc::new(response);
    raw_server(move |s| {
        let acceptor = acceptor.clone();
        let response = response.clone();
        async move {
            let Ok(mut tls) = acceptor.accept(s).await else {
                return;
            };
            loop {
                let req = read_request(&mut tls).await;
                if req.is_empty() || tls.write_all(&response).await.is_err() {
                    return;
                }
            }
        }
    })
    .await
}

/// Writes `pem` to a temporary file kept alive by the returned handle.
pub fn pem_file(pem: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut f, pem.as_bytes()).unwrap();
    f
}

/// The 401 answer of a real instance to a request without credentials.
pub fn real_401() -> Vec<u8> {
    http_response(
        "401 Unauthorized",
        &[
            ("Content-Type", "application/json;charset=UTF-8"),
            ("WWW-Authenticate", "BASIC realm=\"Service-now\""),
        ],
        br#"{"error":{"detail":"Required to provide Auth information","message":"User Not Authenticated"},"status":"failure"}"#,
    )
}

// ---------------------------------------------------------------------------------------
// Proxy
// ---------------------------------------------------------------------------------------

/// An HTTP CONNECT proxy that tunnels every request to `upstream` (whatever host was asked
/// for) and records the request heads it received.
pub struct ConnectProxy {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<String>>>,
}

pub async fn connect_proxy(upstream: SocketAddr, answer: Option<&'static str>) -> ConnectProxy {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let addr = raw_server(move |mut s| {
        let seen = seen2.clone();
        async move {
            let head = read_request(&mut s).await;
            seen.lock().unwrap().push(head);
            if let Some(status) = answer {
                let _ = s.write_all(&http_response(status, &[], b"")).await;
                return;
            }
            let Ok(mut up) = TcpStream::connect(upstream).await else {
                return;
            };
            if s.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await
                .is_err()
            {
                return;
            }
            let _ = tokio::io::copy_bidirectional(&mut s, &mut up).await;
        }
    })
    .await;
    ConnectProxy { addr, seen }
}
