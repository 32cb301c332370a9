//! The client: one `reqwest::Client`, OAuth token handling, Table API reads and inserts.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::Method;
use reqwest::header::{self, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::login_guard::{Fingerprint, LoginGuard};
use super::proxy::ProxyConfig;
use super::response::{Answer, Endpoint, envelope_of, link_next, shorten};
use super::rows::DecodeError;
use super::token::{Grant, TokenState};
use super::transport::{self, Target};
use super::{Budget, Error, InstanceUrl, Limits, Record, ServiceNowMessage, TableQuery};
use crate::sanitize::Redactor;

/// The most pages one `get_all` reads; beyond that the answer is not a dictionary but a
/// runaway (or hostile) count.
const MAX_PAGES: u64 = 1000;

/// Transport settings. One set per process; the `reqwest::Client` is built once from it.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout (headers and body).
    pub request_timeout: Duration,
    /// Cap on a response body; larger answers fail with [`Error::BodyTooLarge`].
    pub max_body_bytes: usize,
    /// Extra CA certificates (PEM) to trust besides the OS store (`--ca-file`);
    /// `SSL_CERT_FILE` is honoured as well.
    pub ca_file: Option<PathBuf>,
    /// Page size for paginated reads.
    pub page_size: u32,
    /// How many pages to fetch at once when the total count is known.
    pub max_concurrent_pages: usize,
    /// Proxy settings (default: `HTTPS_PROXY`/`NO_PROXY` from the environment).
    pub proxy: ProxyConfig,
    /// Remembers rejected credentials across runs and refuses to resend them (headless
    /// commands and the wizard set one; `None` only keeps this client's own memory).
    pub login_guard: Option<LoginGuard>,
    /// The limits of one dictionary discovery (see [`Limits`]).
    pub budget: Limits,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 64 * 1024 * 1024,
            ca_file: None,
            page_size: 2000,
            max_concurrent_pages: 4,
            proxy: ProxyConfig::FromEnv,
            login_guard: None,
            budget: Limits::default(),
        }
    }
}

/// The four values the password grant needs. `Debug` never prints the secrets.
#[derive(Clone)]
pub struct Credentials {
    /// OAuth client id (32 hex characters on real instances).
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: SecretString,
    /// The integration user's User ID.
    pub username: String,
    /// The integration user's password.
    pub password: SecretString,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

/// What the unauthenticated probe of [`Client::probe`] saw from a ServiceNow instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeAnswer {
    /// The HTTP status (401 on a real instance).
    pub status: u16,
    /// ServiceNow's error envelope (sanitised), when it answered with one.
    pub message: Option<ServiceNowMessage>,
}

/// What a successful token request told us (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// `scope`, normally `useraccount`.
    pub scope: String,
    /// `expires_in` seconds.
    pub expires_in: u64,
    /// Whether a refresh token came back.
    pub has_refresh_token: bool,
}

/// One page of a Table API read.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The records (possibly fewer than the limit: row ACLs drop rows silently).
    pub records: Vec<Record>,
    /// `X-Total-Count`, counted by ServiceNow before ACLs; `None` when absent.
    pub total_count: Option<u64>,
    /// The `Link` header's rel="next" URL, when present.
    pub next: Option<String>,
    /// Size of the body in bytes (as read, after decompression).
    pub body_bytes: usize,
}

/// What a budgeted read ([`Client::get_all_rows`]) found besides its rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadInfo {
    /// `X-Total-Count` of the first page, when sent.
    pub total: Option<u64>,
    /// Requests made.
    pub requests: usize,
    /// Records decoded.
    pub rows: usize,
}

/// One answer of a budgeted read, before decoding.
struct RawPage {
    answer: Answer,
    total: Option<u64>,
    next: Option<String>,
}

/// Counters for benchmarks and reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP requests sent (token requests included).
    pub requests: u64,
    /// Response body bytes read (after decompression).
    pub bytes: u64,
}

/// A record created by POST.
#[derive(Debug, Clone)]
pub struct Created {
    /// The full record from the 201 body.
    pub record: Record,
    /// `Location` header.
    pub location: Option<String>,
}

/// A ServiceNow client for one instance and one set of credentials. Cheap to clone
/// (everything is shared); clones share the token.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    base: InstanceUrl,
    creds: Credentials,
    http: reqwest::Client,
    opts: ClientOptions,
    /// The proxy requests to `base` go through, for messages.
    proxy: Option<String>,
    /// Trusted roots, when this client built its own `reqwest::Client`.
    roots: Option<usize>,
    token: tokio::sync::Mutex<TokenState>,
    /// This client's secrets and every token it was given: replaced in all server text.
    redactor: std::sync::RwLock<Arc<Redactor>>,
    requests: AtomicU64,
    bytes: AtomicU64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.inner.base)
            .field("username", &self.inner.creds.username)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Build a client (and its one `reqwest::Client`).
    pub fn new(
        base: InstanceUrl,
        creds: Credentials,
        opts: &ClientOptions,
    ) -> Result<Client, Error> {
        let built = transport::build(opts)?;
        Ok(Self::assemble(
            base,
            creds,
            built.http,
            opts,
            Some(built.roots),
        ))
    }

    /// Build a client sharing an existing `reqwest::Client` (built by [`Client::http_client`]).
    pub fn with_http(
        base: InstanceUrl,
        creds: Credentials,
        http: reqwest::Client,
        opts: &ClientOptions,
    ) -> Client {
        Self::assemble(base, creds, http, opts, None)
    }

    fn assemble(
        base: InstanceUrl,
        creds: Credentials,
        http: reqwest::Client,
        opts: &ClientOptions,
        roots: Option<usize>,
    ) -> Client {
        let proxy = opts
            .proxy
            .settings()
            .and_then(|s| s.describe_for(base.as_str()));
        let secrets = [
            creds.client_secret.expose_secret(),
            creds.password.expose_secret(),
        ];
        for s in secrets {
            crate::sanitize::register_secret(s);
        }
        let redactor = std::sync::RwLock::new(Arc::new(Redactor::new(secrets)));
        Client {
            inner: Arc::new(Inner {
                base,
                creds,
                http,
                opts: opts.clone(),
                proxy,
                roots,
                token: tokio::sync::Mutex::new(TokenState::default()),
                redactor,
                requests: AtomicU64::new(0),
                bytes: AtomicU64::new(0),
            }),
        }
    }

    /// Build the one `reqwest::Client` for these options (TLS roots, timeouts, no redirects,
    /// gzip, proxies from `HTTPS_PROXY`/`NO_PROXY`).
    pub fn http_client(opts: &ClientOptions) -> Result<reqwest::Client, Error> {
        transport::build(opts).map(|b| b.http)
    }

    /// The instance this client talks to.
    pub fn instance(&self) -> &InstanceUrl {
        &self.inner.base
    }

    /// The limits of one dictionary discovery with this client.
    pub fn budget_limits(&self) -> Limits {
        self.inner.opts.budget
    }

    /// Requests made and bytes read so far by this client and its clones.
    pub fn stats(&self) -> ClientStats {
        ClientStats {
            requests: self.inner.requests.load(Ordering::Relaxed),
            bytes: self.inner.bytes.load(Ordering::Relaxed),
        }
    }

    /// The user name the client authenticates as.
    pub fn username(&self) -> &str {
        &self.inner.creds.username
    }

    /// An unauthenticated GET of the Table API that proves the host is a ServiceNow instance:
    /// a real instance answers 401 with the JSON "User Not Authenticated" envelope.
    /// What it answered when it does; the classified error otherwise (DNS, TLS, HTML page,
    /// hibernation ...).
    pub async fn probe(&self) -> Result<ProbeAnswer, Error> {
        let url = self.url("/api/now/table/sys_db_object")?;
        let query = [("sysparm_limit", "1"), ("sysparm_fields", "sys_id")];
        let a = self
            .exchange(Method::GET, url, |r| {
                r.query(&query).header(header::ACCEPT, "application/json")
            })
            .await?;
        if a.success() {
            let v = a.json()?;
            return match v.get("result") {
                Some(_) => Ok(ProbeAnswer {
                    status: a.status,
                    message: None,
                }),
                None => Err(Error::InvalidResponse {
                    url: a.url.clone(),
                    reason: "JSON, but not a Table API answer (no \"result\")".into(),
                }),
            };
        }
        if matches!(a.status, 429 | 500..=599) {
            return Err(a.error(Endpoint::Api));
        }
        // Whatever the status, ServiceNow's error envelope proves it is an instance.
        match envelope_of(&a.json()?) {
            Some(m) => Ok(ProbeAnswer {
                status: a.status,
                message: Some(m),
            }),
            None => Err(Error::InvalidResponse {
                url: a.url.clone(),
                reason: format!(
                    "HTTP {} with JSON that is not ServiceNow's error envelope",
                    a.status
                ),
            }),
        }
    }

    /// Password grant at `/oauth_token.do`. Never retried on rejection; refused without
    /// sending when the login guard remembers these credentials as rejected, or when the
    /// token endpoint already answered 429 or 5xx to this client.
    pub async fn authenticate(&self) -> Result<TokenInfo, Error> {
        let mut st = self.inner.token.lock().await;
        if let Some(e) = &st.halted {
            return Err(e.clone());
        }
        self.password_grant(&mut st).await
    }

    /// One page of a read. Authenticates first if needed; on a 401 refreshes once and retries
    /// once.
    pub async fn get_page(&self, q: &TableQuery) -> Result<Page, Error> {
        let url = self.table_url(&q.table, None)?;
        let pairs = q.to_pairs();
        let a = self.api(Method::GET, url, &pairs, None).await?;
        page_of(a)
    }

    /// Every page of a read. Uses `X-Total-Count` to fetch the remaining pages concurrently
    /// (bounded by `max_concurrent_pages`), else follows `Link` rel="next", else steps the
    /// offset until a short page. Returns the records in order, the total count when known,
    /// and the number of page requests made. No budget beyond the client's body cap and
    /// [`MAX_PAGES`]: discovery reads through [`Client::get_all_rows`] instead.
    pub async fn get_all(
        &self,
        q: &TableQuery,
    ) -> Result<(Vec<Record>, Option<u64>, usize), Error> {
        let budget = Budget::new(Limits {
            bytes: u64::MAX,
            rows: u64::MAX,
            pages: u64::MAX,
            page_bytes: self.inner.opts.max_body_bytes,
        });
        let mut records = Vec::new();
        let info = self
            .get_all_rows(q, &budget, |body: &[u8]| {
                super::rows::for_each_row(body, |r: Record| records.push(r))
            })
            .await?;
        Ok((records, info.total, info.requests))
    }

    /// One page of a read within `budget`, its records handed to `decode` straight from the
    /// body (see [`super::rows::for_each_row`]); the body is dropped once decoded.
    pub(crate) async fn get_page_rows<F>(
        &self,
        q: &TableQuery,
        budget: &Budget,
        mut decode: F,
    ) -> Result<ReadInfo, Error>
    where
        F: FnMut(&[u8]) -> Result<usize, DecodeError> + Send,
    {
        let url = self.table_url(&q.table, None)?;
        let page = self
            .budgeted(url, &q.to_pairs(), budget, &q.table, None)
            .await?;
        let rows = self.decoded(&page, budget, &q.table, &mut decode)?;
        Ok(ReadInfo {
            total: page.total,
            requests: 1,
            rows,
        })
    }

    /// Every page of a read within `budget`, as [`Client::get_all`] reads them (concurrently
    /// when `X-Total-Count` is known, else by `Link` or by offset), each decoded by `decode`
    /// in order as it arrives and then dropped. A count that would not fit the budget is
    /// refused after the first page, before anything else is fetched.
    pub(crate) async fn get_all_rows<F>(
        &self,
        q: &TableQuery,
        budget: &Budget,
        mut decode: F,
    ) -> Result<ReadInfo, Error>
    where
        F: FnMut(&[u8]) -> Result<usize, DecodeError> + Send,
    {
        let table = q.table.as_str();
        let page_size = q.limit.unwrap_or(self.inner.opts.page_size).max(1);
        let url = self.table_url(table, None)?;
        let first = self
            .budgeted(
                url.clone(),
                &q.clone().limit(page_size).to_pairs(),
                budget,
                table,
                None,
            )
            .await?;
        let total = first.total;
        let mut info = ReadInfo {
            total,
            requests: 1,
            rows: self.decoded(&first, budget, table, &mut decode)?,
        };
        let next = first.next.clone();
        let first_len = info.rows;
        drop(first);

        if let Some(total) = total {
            budget.claim(table, total, first_len as u64)?;
            let start = u64::from(q.offset) + u64::from(page_size);
            let remaining = total.saturating_sub(start).div_ceil(u64::from(page_size));
            if remaining > MAX_PAGES {
                return Err(self.too_many_pages(total));
            }
            let mut pairs = Vec::with_capacity(remaining as usize);
            for offset in (start..total).step_by(page_size as usize) {
                let offset = u32::try_from(offset).map_err(|_| self.too_many_pages(total))?;
                pairs.push(q.clone().limit(page_size).offset(offset).to_pairs());
            }
            // Built up front: a borrowing closure alive across the await would make this
            // future !Send, and callers spawn it.
            let fetches: Vec<_> = pairs
                .iter()
                .map(|p| self.budgeted(url.clone(), p, budget, table, Some(total)))
                .collect();
            let mut pages = futures::stream::iter(fetches)
                .buffered(self.inner.opts.max_concurrent_pages.max(1));
            while let Some(page) = pages.next().await {
                let page = page?;
                info.rows += self.decoded(&page, budget, table, &mut decode)?;
                info.requests += 1;
            }
            return Ok(info);
        }

        if let Some(mut next) = next {
            let mut seen = std::collections::HashSet::new();
            loop {
                if !seen.insert(next.clone()) || info.requests as u64 >= MAX_PAGES {
                    return Err(Error::InvalidResponse {
                        url: self.inner.base.join(&format!("/api/now/table/{table}")),
                        reason: "the Link header keeps pointing at pages already read".into(),
                    });
                }
                let url = self.rebase(&next)?;
                let page = self.budgeted(url, &[], budget, table, None).await?;
                info.requests += 1;
                let n = self.decoded(&page, budget, table, &mut decode)?;
                info.rows += n;
                match page.next {
                    Some(n2) if n > 0 => next = n2,
                    _ => break,
                }
            }
            return Ok(info);
        }

        let mut last_len = first_len;
        let mut offset = u64::from(q.offset);
        while last_len == page_size as usize {
            if info.requests as u64 >= MAX_PAGES {
                return Err(self.too_many_pages(offset));
            }
            offset += u64::from(page_size);
            let offset32 = u32::try_from(offset).map_err(|_| self.too_many_pages(offset))?;
            let pairs = q.clone().limit(page_size).offset(offset32).to_pairs();
            let page = self
                .budgeted(url.clone(), &pairs, budget, table, None)
                .await?;
            info.requests += 1;
            last_len = self.decoded(&page, budget, table, &mut decode)?;
            info.rows += last_len;
        }
        Ok(info)
    }

    /// One GET of a budgeted read: counted against the pages, its body capped by what is
    /// left of the bytes (and by the page cap).
    async fn budgeted(
        &self,
        url: url::Url,
        pairs: &[(String, String)],
        budget: &Budget,
        table: &str,
        claimed: Option<u64>,
    ) -> Result<RawPage, Error> {
        budget.request(table, claimed)?;
        let cap = budget.page_cap();
        let a = match self.api_capped(Method::GET, url, pairs, None, cap).await {
            Err(Error::BodyTooLarge { .. }) if budget.bytes_bound() => {
                return Err(budget.body_over(table, claimed));
            }
            other => other?,
        };
        if !a.success() {
            return Err(a.error(Endpoint::Api));
        }
        Ok(RawPage {
            total: a
                .header("x-total-count")
                .and_then(|s| s.parse::<u64>().ok()),
            next: a.header("link").as_deref().and_then(link_next),
            answer: a,
        })
    }

    /// Decode a page with `decode` and charge it to the budget.
    fn decoded<F>(
        &self,
        page: &RawPage,
        budget: &Budget,
        table: &str,
        decode: &mut F,
    ) -> Result<usize, Error>
    where
        F: FnMut(&[u8]) -> Result<usize, DecodeError>,
    {
        let a = &page.answer;
        if !a.looks_like_json() {
            return Err(a.not_json());
        }
        let rows = decode(&a.body).map_err(|e| Error::InvalidResponse {
            url: a.url.clone(),
            reason: match e {
                DecodeError::NoResult => "the JSON has no \"result\" list".to_string(),
                DecodeError::Json(e) if e.is_eof() => format!(
                    "the JSON ends early, after {} bytes (the answer was cut short)",
                    a.body.len()
                ),
                DecodeError::Json(e) if e.is_data() => format!(
                    "\"result\" holds something other than records (line {}, column {})",
                    e.line(),
                    e.column()
                ),
                DecodeError::Json(e) => format!(
                    "the body is not valid JSON (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            },
        })?;
        budget.charge(table, a.body.len(), rows, page.total)?;
        Ok(rows)
    }

    /// GET `/api/now/table/{table}/{sys_id}`.
    pub async fn get_record(
        &self,
        table: &str,
        sys_id: &str,
        fields: &[&str],
    ) -> Result<Record, Error> {
        let url = self.table_url(table, Some(sys_id))?;
        let mut pairs = Vec::new();
        if !fields.is_empty() {
            pairs.push(("sysparm_fields".to_string(), fields.join(",")));
        }
        let a = self.api(Method::GET, url, &pairs, None).await?;
        if !a.success() {
            return Err(a.error(Endpoint::Api));
        }
        record_of(&a)
    }

    /// POST `/api/now/table/{table}` with a JSON object body. Never retried automatically once
    /// the request may have been sent (a retry could create a duplicate).
    pub async fn create_record(&self, table: &str, body: &Record) -> Result<Created, Error> {
        let url = self.table_url(table, None)?;
        // Only a 401 is retried (after a token refresh): it means nothing was created.
        let a = self.api(Method::POST, url, &[], Some(body)).await?;
        if !a.success() {
            return Err(a.error(Endpoint::Api));
        }
        let record = record_of(&a)?;
        let location = a
            .header("location")
            .map(|l| shorten(&crate::sanitize::line(&l), 300));
        Ok(Created { record, location })
    }

    // ---- plumbing ----

    fn url(&self, path: &str) -> Result<url::Url, Error> {
        url::Url::parse(&self.inner.base.join(path))
            .map_err(|e| Error::Setup(format!("cannot build a URL from {}: {e}", self.inner.base)))
    }

    /// `/api/now/table/{table}[/{sys_id}]`, each segment percent-encoded.
    fn table_url(&self, table: &str, sys_id: Option<&str>) -> Result<url::Url, Error> {
        let mut url = self.url("/api/now/table")?;
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.push(table);
            if let Some(id) = sys_id {
                segs.push(id);
            }
        }
        Ok(url)
    }

    /// A `Link` target on our own base: only its path and query are used, so a token is
    /// never sent to a host the user did not choose (the instance may name itself by another
    /// host, e.g. behind a custom URL).
    fn rebase(&self, link: &str) -> Result<url::Url, Error> {
        let base = self.url("/")?;
        let parsed = base.join(link).map_err(|_| Error::InvalidResponse {
            url: base.to_string(),
            reason: "the Link header holds an invalid URL".into(),
        })?;
        if !parsed.path().starts_with("/api/") {
            return Err(Error::InvalidResponse {
                url: base.to_string(),
                reason: "the Link header points outside the API".into(),
            });
        }
        let mut url = base;
        url.set_path(parsed.path());
        url.set_query(parsed.query());
        Ok(url)
    }

    fn too_many_pages(&self, total: u64) -> Error {
        Error::InvalidResponse {
            url: self.inner.base.to_string(),
            reason: format!(
                "the instance reports {total} records; snow-connect reads at most {MAX_PAGES} pages at once"
            ),
        }
    }

    fn target(&self) -> Target<'_> {
        let base = self.inner.base.as_str();
        let (scheme, authority) = base.split_once("://").unwrap_or(("https", base));
        Target {
            authority,
            host: self.inner.base.host(),
            scheme,
            proxy: self.inner.proxy.as_deref(),
            suggestion: self.inner.base.suggestion(),
            connect_timeout: self.inner.opts.connect_timeout,
            request_timeout: self.inner.opts.request_timeout,
            roots: self.inner.roots,
        }
    }

    /// Sends one request and reads the whole answer (up to the cap). 3xx answers are
    /// errors: the API never redirects.
    async fn exchange(
        &self,
        method: Method,
        url: url::Url,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<Answer, Error> {
        let cap = self.inner.opts.max_body_bytes;
        self.exchange_as(method, url, build, false, cap).await
    }

    /// [`Client::exchange`]; with `token_answer`, a 200 body is left as it came (it holds
    /// the new tokens, which are registered for redaction before anything else reads it).
    async fn exchange_as(
        &self,
        method: Method,
        url: url::Url,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
        token_answer: bool,
        cap: usize,
    ) -> Result<Answer, Error> {
        let shown = format!("{}{}", self.inner.base, url.path());
        let started = Instant::now();
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let redactor = self.redactor();
        let result = match self.exchange_inner(&method, url, &shown, build, cap).await {
            Ok(a) if token_answer && a.status == 200 => Ok(a),
            Ok(a) => Ok(redact_answer(a, &redactor)),
            Err(e) => Err(e.map_text(|t| redactor.redact(t).into_owned())),
        };
        let ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(a) => tracing::debug!(
                method = %method, path = %shown, status = a.status, ms, bytes = a.body.len(),
                "servicenow request"
            ),
            Err(e) => tracing::debug!(
                method = %method, path = %shown, ms, error = %e, "servicenow request failed"
            ),
        }
        result
    }

    async fn exchange_inner(
        &self,
        method: &Method,
        url: url::Url,
        shown: &str,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
        cap: usize,
    ) -> Result<Answer, Error> {
        let request = build(self.inner.http.request(method.clone(), url.clone()));
        let mut resp = request
            .send()
            .await
            .map_err(|e| transport::classify(&e, &self.target()))?;
        let status = resp.status().as_u16();
        if (300..400).contains(&status) {
            let location = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(|l| shown_location(&url, l))
                .unwrap_or_else(|| "nowhere (no Location header)".into());
            return Err(Error::Redirected {
                url: shown.to_string(),
                location,
                status,
            });
        }
        let too_large = || Error::BodyTooLarge {
            url: shown.to_string(),
            limit: cap,
        };
        if resp.content_length().is_some_and(|n| n > cap as u64) {
            return Err(too_large());
        }
        let headers = resp.headers().clone();
        let mut body = Vec::with_capacity(
            resp.content_length()
                .map_or(8 * 1024, |n| n as usize)
                .min(cap),
        );
        loop {
            let chunk = resp
                .chunk()
                .await
                .map_err(|e| transport::classify(&e, &self.target()))?;
            let Some(chunk) = chunk else { break };
            self.inner
                .bytes
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
            if body.len().saturating_add(chunk.len()) > cap {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            headers,
            body,
            url: shown.to_string(),
        })
    }

    /// The current redactor (secrets plus every token seen so far).
    fn redactor(&self) -> Arc<Redactor> {
        match self.inner.redactor.read() {
            Ok(r) => Arc::clone(&r),
            // A panic while adding a token cannot leave the set half-built: it is replaced
            // whole. Use what is there.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Adds tokens to the redactor (and process-wide, for logs and the clipboard).
    fn learn_tokens(&self, token: &super::token::Token) {
        let mut new: Vec<&str> = vec![token.access.expose_secret()];
        if let Some(r) = &token.refresh {
            new.push(r.expose_secret());
        }
        for t in &new {
            crate::sanitize::register_secret(t);
        }
        let mut next = (*self.redactor()).clone();
        if next.add_all(new.iter().copied())
            && let Ok(mut slot) = self.inner.redactor.write()
        {
            *slot = Arc::new(next);
        }
    }

    /// Get a token now unless one is held: what `send` does before its insert, so that a
    /// failure here is known to have created nothing.
    pub async fn ensure_token(&self) -> Result<(), Error> {
        self.bearer(None).await.map(|_| ())
    }

    /// An authenticated API request: lazy token, and on a 401 one renewal and one retry.
    async fn api(
        &self,
        method: Method,
        url: url::Url,
        query: &[(String, String)],
        body: Option<&Record>,
    ) -> Result<Answer, Error> {
        let cap = self.inner.opts.max_body_bytes;
        self.api_capped(method, url, query, body, cap).await
    }

    /// [`Client::api`] with its own cap on the answer's body.
    async fn api_capped(
        &self,
        method: Method,
        url: url::Url,
        query: &[(String, String)],
        body: Option<&Record>,
        cap: usize,
    ) -> Result<Answer, Error> {
        let (token, generation) = self.bearer(None).await?;
        let a = self
            .send_api(method.clone(), url.clone(), query, body, &token, cap)
            .await?;
        if a.status != 401 {
            return Ok(a);
        }
        tracing::debug!("401 from the API: renewing the token once");
        let (token, _) = self.bearer(Some(generation)).await?;
        self.send_api(method, url, query, body, &token, cap).await
    }

    async fn send_api(
        &self,
        method: Method,
        url: url::Url,
        query: &[(String, String)],
        body: Option<&Record>,
        token: &SecretString,
        cap: usize,
    ) -> Result<Answer, Error> {
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| Error::InvalidResponse {
                url: self.inner.base.join("/oauth_token.do"),
                reason: "the access token cannot be sent in a header".into(),
            })?;
        auth.set_sensitive(true);
        self.exchange_as(
            method,
            url,
            move |r| {
                let r = r
                    .header(header::ACCEPT, "application/json")
                    .header(header::AUTHORIZATION, auth);
                let r = if query.is_empty() { r } else { r.query(query) };
                match body {
                    Some(b) => r.json(b),
                    None => r,
                }
            },
            false,
            cap,
        )
        .await
    }

    /// A fresh access token and its generation, asking for one when needed. After a 401,
    /// `stale` is the generation that drew it: that token is not reused, but one renewed by
    /// someone else meanwhile is. Concurrent callers queue on the state lock, so only one
    /// token request is in flight and the rest reuse its answer.
    async fn bearer(&self, stale: Option<u64>) -> Result<(SecretString, u64), Error> {
        let mut st = self.inner.token.lock().await;
        if let Some((token, generation)) = st.current(Instant::now())
            && stale != Some(generation)
        {
            return Ok((token, generation));
        }
        if let Some(e) = st.rejected.as_ref().or(st.halted.as_ref()) {
            return Err(e.clone());
        }
        self.renew(&mut st).await?;
        // A token that is short-lived on arrival is still used once: the server just
        // issued it.
        st.token
            .as_ref()
            .map(|t| (t.access.clone(), st.generation))
            .ok_or_else(|| self.no_token())
    }

    /// Unreachable in practice: `renew` either stores a token or fails.
    fn no_token(&self) -> Error {
        Error::InvalidResponse {
            url: self.inner.base.join("/oauth_token.do"),
            reason: "no token after a successful token request".into(),
        }
    }

    /// Refresh grant when there is a refresh token; if that is rejected (or there is none),
    /// one password grant.
    async fn renew(&self, st: &mut TokenState) -> Result<(), Error> {
        if let Some(refresh) = st.token.as_ref().and_then(|t| t.refresh.clone()) {
            match self.grant(Grant::Refresh(refresh)).await {
                Ok((token, _)) => {
                    st.store(token);
                    return Ok(());
                }
                Err(Error::TokenRejected { .. }) => {
                    tracing::debug!("refresh token rejected; trying the password grant once");
                    st.token = None;
                }
                Err(e) => {
                    if halts(&e) {
                        st.halted = Some(e.clone());
                    }
                    return Err(e);
                }
            }
        }
        self.password_grant(st).await.map(|_| ())
    }

    async fn password_grant(&self, st: &mut TokenState) -> Result<TokenInfo, Error> {
        let guard = self.inner.opts.login_guard.as_ref();
        let fingerprint: Option<Fingerprint> = match guard {
            Some(g) => match g.before_grant(self.inner.base.as_str(), &self.inner.creds) {
                Ok(fp) => fp,
                Err(r) => {
                    tracing::info!(
                        attempts = r.attempts,
                        "password grant not sent: these credentials were rejected before"
                    );
                    let e = Error::LoginRemembered {
                        rejected_at: r.when(),
                        attempts: r.attempts,
                    };
                    st.rejected = Some(e.clone());
                    return Err(e);
                }
            },
            None => None,
        };
        let remember = |f: &dyn Fn(&LoginGuard, &Fingerprint)| {
            if let (Some(g), Some(fp)) = (guard, fingerprint.as_ref()) {
                f(g, fp);
            }
        };
        match self.grant(Grant::Password).await {
            Ok((token, info)) => {
                remember(&|g, fp| g.accepted(fp));
                st.store(token);
                Ok(info)
            }
            Err(e @ Error::TokenRejected { .. }) => {
                remember(&|g, fp| {
                    g.rejected(fp);
                });
                st.token = None;
                st.rejected = Some(e.clone());
                Err(e)
            }
            Err(e) => {
                if halts(&e) {
                    st.halted = Some(e.clone());
                }
                Err(e)
            }
        }
    }

    /// One POST to `/oauth_token.do`. The body holds secrets: it is never logged.
    async fn grant(&self, grant: Grant) -> Result<(super::token::Token, TokenInfo), Error> {
        let url = self.url("/oauth_token.do")?;
        tracing::debug!(grant = grant.name(), "token request");
        let creds = &self.inner.creds;
        let form = grant.form(creds);
        let a = self
            .exchange_as(
                Method::POST,
                url,
                |r| r.header(header::ACCEPT, "application/json").form(&form),
                true,
                self.inner.opts.max_body_bytes,
            )
            .await?;
        if a.status != 200 {
            return Err(a.error(Endpoint::Token));
        }
        // The raw answer holds the new tokens: learn them first, then read everything else
        // (the scope, or the reason it is unusable) through the redactor.
        let parsed = a
            .json()
            .and_then(|v| super::token::parse(&v, &a.url).map(|t| (v, t)));
        let (token, mut info) = match parsed {
            Ok((_, (token, info))) => {
                self.learn_tokens(&token);
                (token, info)
            }
            Err(e) => {
                let redactor = self.redactor();
                return Err(e.map_text(|t| redactor.redact(t).into_owned()));
            }
        };
        info.scope = self.redactor().redact(&info.scope).into_owned();
        if !info.has_refresh_token && matches!(grant, Grant::Refresh(_)) {
            info.has_refresh_token = true; // the old one is kept
        }
        Ok((token, info))
    }
}

/// True for token-endpoint answers that must not be met with another grant in this run:
/// rate limiting and server failures.
fn halts(e: &Error) -> bool {
    matches!(e, Error::RateLimited { .. } | Error::Server { .. })
}

/// The answer with every secret and token in its body and headers replaced. JSON bodies
/// that escape characters (`\u0053`) are parsed and redacted value by value, since the byte
/// search cannot see through escapes.
fn redact_answer(mut a: Answer, r: &Redactor) -> Answer {
    if r.is_empty() {
        return a;
    }
    if let std::borrow::Cow::Owned(b) = r.redact_bytes(&a.body) {
        a.body = b;
    }
    if a.body.windows(2).any(|w| w == b"\\u")
        && let Ok(mut v) = serde_json::from_slice::<Value>(&a.body)
    {
        let before = v.clone();
        r.redact_json(&mut v);
        if v != before
            && let Ok(b) = serde_json::to_vec(&v)
        {
            a.body = b;
        }
    }
    let mut headers = header::HeaderMap::with_capacity(a.headers.len());
    for (name, value) in a.headers.iter() {
        let value = match value.to_str().map(|t| r.redact(t)) {
            Ok(std::borrow::Cow::Owned(t)) => {
                HeaderValue::from_str(&t).unwrap_or_else(|_| HeaderValue::from_static("[redacted]"))
            }
            _ => value.clone(),
        };
        headers.append(name.clone(), value);
    }
    a.headers = headers;
    a
}

/// A `Location` for a message: absolute, without query or fragment (SSO URLs carry long
/// signed requests), sanitised.
fn shown_location(request: &url::Url, location: &str) -> String {
    match request.join(location) {
        Ok(mut u) => {
            u.set_query(None);
            u.set_fragment(None);
            shorten(&crate::sanitize::line(u.as_str()), 120)
        }
        Err(_) => shorten(&crate::sanitize::line(location), 120),
    }
}

/// A page from a list answer: records, `X-Total-Count`, `Link` rel="next".
fn page_of(a: Answer) -> Result<Page, Error> {
    if !a.success() {
        return Err(a.error(Endpoint::Api));
    }
    let wrong = |reason: &str| Error::InvalidResponse {
        url: a.url.clone(),
        reason: reason.to_string(),
    };
    let result = match a.json()? {
        Value::Object(mut body) => body.remove("result"),
        _ => None,
    };
    let Some(Value::Array(items)) = result else {
        return Err(wrong("the JSON has no \"result\" list"));
    };
    // The records move out of the parsed body: a page holds thousands of them.
    let records = items
        .into_iter()
        .map(|item| match item {
            Value::Object(map) => Ok(map),
            _ => Err(wrong("\"result\" holds something other than records")),
        })
        .collect::<Result<Vec<Record>, Error>>()?;
    Ok(Page {
        records,
        total_count: a
            .header("x-total-count")
            .and_then(|s| s.parse::<u64>().ok()),
        next: a.header("link").as_deref().and_then(link_next),
        body_bytes: a.body.len(),
    })
}

/// The record of a single-record answer (`{"result":{...}}`).
fn record_of(a: &Answer) -> Result<Record, Error> {
    match a.json()? {
        Value::Object(mut map) => match map.remove("result") {
            Some(Value::Object(record)) => Ok(record),
            _ => Err(Error::InvalidResponse {
                url: a.url.clone(),
                reason: "the JSON has no \"result\" record".into(),
            }),
        },
        _ => Err(Error::InvalidResponse {
            url: a.url.clone(),
            reason: "the JSON is not an object".into(),
        }),
    }
}
