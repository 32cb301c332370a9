//! A hostile "instance" on loopback: it answers the probe and the token request like
//! ServiceNow, then serves a dictionary built to exhaust the reader — a huge or lying
//! `X-Total-Count`, pages that never end, a label of many megabytes. Shared by the
//! hostile-dictionary tests and `benches/perf.rs` (included there with `#[path]`).

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

/// What the dictionary read answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// `n` rows, with `X-Total-Count: n` (an honest, very large dictionary).
    Honest(u64),
    /// Claims `n` rows in `X-Total-Count`, and every page is full whatever its offset.
    Claim(u64),
    /// No `X-Total-Count`; every page is full, with a `Link` rel="next" to the next one.
    Endless,
    /// No `X-Total-Count` and no `Link`; every page is full (a reader steps the offset).
    Full,
}

/// How the hostile instance behaves.
#[derive(Debug, Clone, Copy)]
pub struct Hostile {
    /// The dictionary rows.
    pub rows: Rows,
    /// The first row's label has this many bytes (0: a normal label).
    pub big_label: usize,
}

struct Shared {
    opts: Hostile,
    base: std::sync::OnceLock<String>,
    /// Dictionary pages served.
    pages: AtomicU64,
}

/// A running hostile instance.
pub struct HostileServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl HostileServer {
    /// Dictionary pages served so far.
    pub fn pages(&self) -> u64 {
        self.shared.pages.load(Ordering::Relaxed)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start serving on 127.0.0.1 (a random port) in the current tokio runtime.
pub async fn start(opts: Hostile) -> std::io::Result<HostileServer> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let shared = Arc::new(Shared {
        opts,
        base: std::sync::OnceLock::new(),
        pages: AtomicU64::new(0),
    });
    let _ = shared.base.set(url.clone());
    let app = Router::new()
        .route("/oauth_token.do", post(token))
        .route("/api/now/table/{table}", get(table))
        .with_state(Arc::clone(&shared));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(HostileServer { url, shared, task })
}

async fn token() -> Response {
    json(
        StatusCode::OK,
        r#"{"access_token":"hostile-access-token","refresh_token":"hostile-refresh-token","scope":"useraccount","token_type":"Bearer","expires_in":1799}"#.to_string(),
        None,
        None,
    )
}

fn json(status: StatusCode, body: String, total: Option<u64>, next: Option<String>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    if let Some(n) = total
        && let Ok(v) = HeaderValue::from_str(&n.to_string())
    {
        headers.insert("x-total-count", v);
    }
    if let Some(link) = next
        && let Ok(v) = HeaderValue::from_str(&format!("<{link}>;rel=\"next\""))
    {
        headers.insert("link", v);
    }
    (status, headers, body).into_response()
}

async fn table(
    State(s): State<Arc<Shared>>,
    Path(table): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !headers.contains_key("authorization") {
        return json(
            StatusCode::UNAUTHORIZED,
            r#"{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}"#.to_string(),
            None,
            None,
        );
    }
    let num = |k: &str, d: u64| q.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(d);
    let (limit, offset) = (
        num("sysparm_limit", 10_000).max(1),
        num("sysparm_offset", 0),
    );
    match table.as_str() {
        "sys_db_object" => json(
            StatusCode::OK,
            r#"{"result":[{"name":"incident","super_class":"t1","super_class.name":"task","super_class.super_class":"","super_class.super_class.name":"","super_class.super_class.super_class":""}]}"#.to_string(),
            Some(1),
            None,
        ),
        "sys_glide_object" => json(
            StatusCode::OK,
            r#"{"result":[{"name":"string","label":"String"}]}"#.to_string(),
            Some(1),
            None,
        ),
        "sys_dictionary" => dictionary(&s, limit, offset),
        _ => json(StatusCode::OK, r#"{"result":[]}"#.to_string(), Some(0), None),
    }
}

fn dictionary(s: &Shared, limit: u64, offset: u64) -> Response {
    s.pages.fetch_add(1, Ordering::Relaxed);
    let (end, total) = match s.opts.rows {
        Rows::Honest(n) => (n.min(offset.saturating_add(limit)), Some(n)),
        Rows::Claim(n) => (offset.saturating_add(limit), Some(n)),
        Rows::Endless | Rows::Full => (offset.saturating_add(limit), None),
    };
    let mut body = String::with_capacity(((end.saturating_sub(offset)) as usize) * 260 + 16);
    body.push_str("{\"result\":[");
    for i in offset..end {
        if i > offset {
            body.push(',');
        }
        let label = if i == 0 && s.opts.big_label > 0 {
            "L".repeat(s.opts.big_label)
        } else {
            format!("Hostile field {i}")
        };
        body.push_str(&format!(
            "{{\"name\":\"incident\",\"element\":\"u_hostile_{i}\",\"column_label\":\"{label}\",\
             \"internal_type\":\"string\",\"max_length\":\"40\",\"mandatory\":\"false\",\
             \"read_only\":\"false\",\"active\":\"true\",\"reference\":\"\",\"choice\":\"0\",\
             \"virtual\":\"false\",\"dependent_on_field\":\"\",\"use_dependent_field\":\"\"}}"
        ));
    }
    body.push_str("]}");
    let next = match s.opts.rows {
        Rows::Endless => s.base.get().map(|b| {
            format!(
                "{b}/api/now/table/sys_dictionary?sysparm_limit={limit}&sysparm_offset={}",
                offset.saturating_add(limit)
            )
        }),
        _ => None,
    };
    json(StatusCode::OK, body, total, next)
}
