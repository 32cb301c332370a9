//! Reading an answer (with a size cap) and classifying it: JSON or not, hibernation page,
//! ServiceNow's error envelope, and the status codes of facts section 3.
//!
//! Everything taken from a body or header is untrusted: it is sanitised and shortened before
//! it can reach a message.

use reqwest::header::{self, HeaderMap};
use serde_json::Value;

use super::{Error, ServiceNowMessage};

/// Longest server-provided text kept in a message.
const MAX_TEXT: usize = 200;

/// A complete answer: status, headers and the body as read.
pub(crate) struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body (decompressed).
    pub body: Vec<u8>,
    /// The URL asked for, without its query string (for messages).
    pub url: String,
}

/// What the caller was talking to: the answers differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `/api/now/...` with a token.
    Api,
    /// `/oauth_token.do`.
    Token,
}

impl Answer {
    /// True for 2xx.
    pub fn success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The `Content-Type` header, or "no content type".
    pub fn content_type(&self) -> String {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|s| shorten(&crate::sanitize::line(s), 60))
            .unwrap_or_else(|| "no content type".into())
    }

    pub(crate) fn looks_like_json(&self) -> bool {
        matches!(
            self.body.iter().find(|b| !b.is_ascii_whitespace()),
            Some(b'{' | b'[')
        )
    }

    fn declared_json(&self) -> bool {
        self.content_type().to_ascii_lowercase().contains("json")
    }

    /// The error for a body that is not JSON: hibernation, offline, or some other page.
    pub(crate) fn not_json(&self) -> Error {
        if let Some(e) = page_state(&self.body) {
            return e;
        }
        if self.declared_json() && !self.body.iter().all(u8::is_ascii_whitespace) {
            return Error::InvalidResponse {
                url: self.url.clone(),
                reason: "the body is labelled JSON but is not JSON".into(),
            };
        }
        Error::NotJson {
            url: self.url.clone(),
            status: self.status,
            content_type: self.content_type(),
            hint: page_hint(&self.body),
        }
    }

    /// The body as JSON, or the classified reason it is not.
    pub fn json(&self) -> Result<Value, Error> {
        if !self.looks_like_json() {
            return Err(self.not_json());
        }
        let text = std::str::from_utf8(&self.body).map_err(|e| Error::InvalidResponse {
            url: self.url.clone(),
            reason: format!("the body is not valid UTF-8 (at byte {})", e.valid_up_to()),
        })?;
        serde_json::from_str(text).map_err(|e| Error::InvalidResponse {
            url: self.url.clone(),
            reason: if e.is_eof() {
                format!(
                    "the JSON ends early, after {} bytes (the answer was cut short)",
                    self.body.len()
                )
            } else {
                format!(
                    "the body is not valid JSON (line {}, column {})",
                    e.line(),
                    e.column()
                )
            },
        })
    }

    /// The error for a non-2xx answer (3xx are handled before the body is read).
    pub fn error(&self, endpoint: Endpoint) -> Error {
        let json = self.looks_like_json().then(|| self.json());
        let value = match json {
            Some(Ok(v)) => Some(v),
            Some(Err(e))
                if endpoint == Endpoint::Api && self.status < 500 && self.status != 429 =>
            {
                return e;
            }
            _ => None,
        };
        if value.is_none()
            && let Some(e) = page_state(&self.body)
        {
            return e;
        }
        let envelope = value.as_ref().and_then(envelope_of);

        match self.status {
            429 => self.rate_limited(envelope),
            500..=599 => Error::Server {
                status: self.status,
                message: match (&envelope, &value) {
                    (Some(m), _) => m.to_string(),
                    (None, Some(v)) => shorten(&crate::sanitize::line(&v.to_string()), MAX_TEXT),
                    (None, None) => page_hint(&self.body),
                },
            },
            _ if endpoint == Endpoint::Token => Error::TokenRejected {
                status: self.status,
                description: match &value {
                    Some(v) => token_error_description(v),
                    None if self.looks_like_json() => "an unreadable JSON body".into(),
                    None => page_hint(&self.body),
                },
            },
            _ => {
                let Some(v) = value else {
                    return self.not_json();
                };
                let message = envelope.unwrap_or_else(|| ServiceNowMessage {
                    message: shorten(&crate::sanitize::line(&v.to_string()), MAX_TEXT),
                    detail: None,
                });
                match self.status {
                    401 => Error::NotAuthenticated(message),
                    403 if message
                        .detail
                        .as_deref()
                        .is_some_and(|d| d.contains("Access to unscoped api is not allowed")) =>
                    {
                        Error::SecurelyScoped(message)
                    }
                    403 => Error::Forbidden(message),
                    400 if message.message.starts_with("Invalid table ") => Error::InvalidTable {
                        table: message.message["Invalid table ".len()..].trim().to_string(),
                    },
                    404 => Error::NotFound(message),
                    status => Error::BadRequest { status, message },
                }
            }
        }
    }

    fn rate_limited(&self, envelope: Option<ServiceNowMessage>) -> Error {
        let num = |name: &str| {
            self.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|s| s.trim().parse::<u64>().ok())
        };
        Error::RateLimited {
            retry_after: num("retry-after").map(std::time::Duration::from_secs),
            limit: num("x-ratelimit-limit"),
            reset: num("x-ratelimit-reset"),
            rule: self
                .headers
                .get("x-ratelimit-rule")
                .and_then(|v| v.to_str().ok())
                .map(|s| shorten(&crate::sanitize::line(s.trim()), 64)),
            message: envelope.unwrap_or_else(|| ServiceNowMessage {
                message: "Too Many Requests".into(),
                detail: None,
            }),
        }
    }

    /// A header as text, sanitised.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_string())
    }
}

/// ServiceNow's `{"error":{"message","detail"},"status":"failure"}` in a parsed body,
/// sanitised; `None` when the body is something else.
pub(crate) fn envelope_of(v: &Value) -> Option<ServiceNowMessage> {
    let err = v.get("error")?.as_object()?;
    let text = |key: &str| match err.get(key) {
        Some(Value::String(s)) => Some(shorten(&crate::sanitize::line(s), MAX_TEXT)),
        Some(Value::Null) | None => None,
        Some(other) => Some(shorten(
            &crate::sanitize::line(&other.to_string()),
            MAX_TEXT,
        )),
    };
    Some(ServiceNowMessage {
        message: text("message").unwrap_or_default(),
        detail: text("detail"),
    })
}

/// `error_description` of a token error (RFC 6749 shape, as ServiceNow sends it).
fn token_error_description(v: &Value) -> String {
    let pick = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let text = pick("error_description")
        .or_else(|| pick("error"))
        .map(str::to_string)
        .or_else(|| envelope_of(v).map(|m| m.to_string()))
        .unwrap_or_else(|| "no description".into());
    shorten(&crate::sanitize::line(&text), MAX_TEXT)
}

/// Hibernation and "currently offline" pages, recognised by their text (facts 3.4).
pub(crate) fn page_state(body: &[u8]) -> Option<Error> {
    let window = &body[..body.len().min(256 * 1024)];
    let has = |needle: &[u8]| window.windows(needle.len()).any(|w| w == needle);
    if has(b"instance-hibernating-page") || has(b"Your instance is hibernating") {
        return Some(Error::Hibernating);
    }
    if has(b"currently offline") {
        return Some(Error::Offline);
    }
    None
}

/// A short, sanitised description of a non-JSON body: "a login page", "a page titled ...".
pub(crate) fn page_hint(body: &[u8]) -> String {
    let head = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let trimmed = head.trim();
    if trimmed.is_empty() {
        return "an empty body".into();
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.contains("samlrequest") || lower.contains("saml2") {
        return "a single sign-on (SAML) page".into();
    }
    let password_field = lower.contains("type=\"password\"") || lower.contains("type='password'");
    if password_field || lower.contains("login.do") || lower.contains("<title>log in") {
        return "a login page".into();
    }
    if let Some(title) = html_title(trimmed, &lower) {
        return format!("a page titled \"{title}\"");
    }
    if lower.starts_with('<') {
        return "an HTML page".into();
    }
    let first_line = trimmed.lines().next().unwrap_or_default();
    format!(
        "text starting \"{}\"",
        shorten(&crate::sanitize::line(first_line), 60)
    )
}

/// The text of `<title>`, whitespace collapsed, sanitised, short. `lower` is the ASCII
/// lower-case copy of `text` (same byte offsets).
fn html_title(text: &str, lower: &str) -> Option<String> {
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let raw = text.get(start..end)?;
    let collapsed = raw
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if collapsed.is_empty() {
        return None;
    }
    Some(shorten(&crate::sanitize::line(&collapsed), 80))
}

/// At most `max` characters, with an ellipsis when cut.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

/// The rel="next" target of a `Link` header in ServiceNow's format
/// (`<url>;rel="first",<url>;rel="next",...`). URLs may hold commas, so the header is read
/// by its angle brackets, not split on commas.
pub(crate) fn link_next(header: &str) -> Option<String> {
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = after.find('>')?;
        let url = &after[..close];
        let params_end = after[close + 1..]
            .find('<')
            .map_or(after.len(), |i| close + 1 + i);
        let params =
            after[close + 1..params_end].trim_end_matches(|c: char| c == ',' || c.is_whitespace());
        let is_next = params.split(';').any(|p| {
            let Some((k, v)) = p.split_once('=') else {
                return false;
            };
            k.trim().eq_ignore_ascii_case("rel")
                && v.trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        });
        if is_next && !url.trim().is_empty() {
            return Some(url.trim().to_string());
        }
        rest = &after[params_end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, ct: &str, body: &str) -> Answer {
        let mut headers = HeaderMap::new();
        if !ct.is_empty() {
            headers.insert(header::CONTENT_TYPE, ct.parse().unwrap());
        }
        Answer {
            status,
            headers,
            body: body.as_bytes().to_vec(),
            url: "https://acme.service-now.com/api/now/table/incident".into(),
        }
    }

    const JSON: &str = "application/json;charset=UTF-8";

    #[test]
    fn link_header_in_the_real_format() {
        let h = "<https://x.service-now.com/api/now/table/cmdb_ci_server?sysparm_query=nameINa,b&sysparm_offset=0&sysparm_limit=10000>;rel=\"first\",<https://x.service-now.com/api/now/table/cmdb_ci_server?sysparm_query=nameINa,b&sysparm_offset=10000&sysparm_limit=10000>;rel=\"next\",<https://x.service-now.com/api/now/table/cmdb_ci_server?sysparm_offset=20000&sysparm_limit=10000>;rel=\"last\"";
        assert_eq!(
            link_next(h).as_deref(),
            Some(
                "https://x.service-now.com/api/now/table/cmdb_ci_server?sysparm_query=nameINa,b&sysparm_offset=10000&sysparm_limit=10000"
            )
        );
        assert_eq!(
            link_next("<https://x/a>;rel=\"first\",<https://x/b>;rel=\"last\""),
            None
        );
        assert_eq!(
            link_next("<https://x/b>; rel=next"),
            Some("https://x/b".into())
        );
        assert_eq!(link_next("garbage <unterminated"), None);
        assert_eq!(link_next(""), None);
    }

    #[test]
    fn envelopes_map_to_typed_errors() {
        let e = answer(
            401,
            JSON,
            r#"{"error":{"detail":"Required to provide Auth information","message":"User Not Authenticated"},"status":"failure"}"#,
        )
        .error(Endpoint::Api);
        assert!(matches!(&e, Error::NotAuthenticated(m) if m.message == "User Not Authenticated"));

        let e = answer(403, JSON, r#"{"error":{"message":"User Not Authorized","detail":"Access to unscoped api is not allowed"},"status":"failure"}"#).error(Endpoint::Api);
        assert!(matches!(e, Error::SecurelyScoped(_)), "{e:?}");

        let e = answer(403, JSON, r#"{"error":{"message":"Insufficient rights to query records","detail":"Field(s) present in the query do not have permission to be read"},"status":"failure"}"#).error(Endpoint::Api);
        assert!(
            matches!(&e, Error::Forbidden(m) if m.detail.as_deref() == Some("Field(s) present in the query do not have permission to be read"))
        );

        let e = answer(400, JSON, r#"{"error":{"message":"Invalid table not_a_real_class","detail":null},"status":"failure"}"#).error(Endpoint::Api);
        assert!(matches!(&e, Error::InvalidTable { table } if table == "not_a_real_class"));

        let e = answer(404, JSON, r#"{"error":{"message":"No Record found","detail":"Record doesn't exist or ACL restricts the record retrieval"},"status":"failure"}"#).error(Endpoint::Api);
        assert!(matches!(e, Error::NotFound(_)));

        let e = answer(
            405,
            JSON,
            r#"{"error":{"message":"Method not Supported","detail":null},"status":"failure"}"#,
        )
        .error(Endpoint::Api);
        assert!(matches!(e, Error::BadRequest { status: 405, .. }));
    }

    #[test]
    fn token_errors_are_rejections() {
        let e = answer(
            401,
            JSON,
            r#"{"error_description":"access_denied","error":"server_error"}"#,
        )
        .error(Endpoint::Token);
        assert!(
            matches!(&e, Error::TokenRejected { status: 401, description } if description == "access_denied")
        );
        let e = answer(400, "text/html", "<html><title>Bad</title></html>").error(Endpoint::Token);
        assert!(
            matches!(&e, Error::TokenRejected { description, .. } if description.contains("Bad"))
        );
        let e = answer(503, "text/html", "<title>Down</title>").error(Endpoint::Token);
        assert!(matches!(e, Error::Server { status: 503, .. }));
    }

    #[test]
    fn pages_are_recognised() {
        let hib = "<html><div class=\"instance-hibernating-page\"><h1>Your instance is hibernating</h1></div></html>";
        assert!(matches!(
            answer(200, "text/html", hib).json(),
            Err(Error::Hibernating)
        ));
        assert!(matches!(
            answer(503, "text/html", hib).error(Endpoint::Api),
            Error::Hibernating
        ));
        assert!(matches!(
            answer(401, "text/html", hib).error(Endpoint::Token),
            Error::Hibernating
        ));
        assert!(matches!(
            answer(
                200,
                "text/html",
                "<p>Your instance is currently offline</p>"
            )
            .json(),
            Err(Error::Offline)
        ));
        let e = answer(
            200,
            "text/html",
            "<html><head><title>\n  Acme &amp; Co\u{1b}[2J  Portal </title></head></html>",
        )
        .json();
        match e {
            Err(Error::NotJson {
                hint, status: 200, ..
            }) => {
                assert_eq!(hint, "a page titled \"Acme & Co^[[2J Portal\"")
            }
            other => panic!("{other:?}"),
        }
        let login = "<html><form action=\"login.do\"><input type=\"password\" name=\"user_password\"></form></html>";
        assert!(
            matches!(answer(200, "text/html", login).json(), Err(Error::NotJson { hint, .. }) if hint == "a login page")
        );
        assert!(
            matches!(answer(200, "", "").json(), Err(Error::NotJson { hint, .. }) if hint == "an empty body")
        );
        assert!(
            matches!(answer(200, "text/plain", "hello\nworld").json(), Err(Error::NotJson { hint, .. }) if hint == "text starting \"hello\"")
        );
    }

    #[test]
    fn broken_json_is_an_invalid_response() {
        let e = answer(200, JSON, r#"{"result":[{"a":"b"},"#).json();
        assert!(
            matches!(&e, Err(Error::InvalidResponse { reason, .. }) if reason.contains("cut short")),
            "{e:?}"
        );
        let mut a = answer(200, JSON, "{\"result\":\"");
        a.body.extend_from_slice(&[0xff, 0xfe]);
        a.body.extend_from_slice(b"\"}");
        assert!(
            matches!(a.json(), Err(Error::InvalidResponse { reason, .. }) if reason.contains("UTF-8"))
        );
        assert!(matches!(
            answer(200, JSON, "nope").json(),
            Err(Error::InvalidResponse { .. })
        ));
    }

    #[test]
    fn server_errors_summarise_html() {
        let page = format!(
            "<html><head><title>502 Bad Gateway</title></head><body>{}</body></html>",
            "x".repeat(5000)
        );
        let e = answer(502, "text/html", &page).error(Endpoint::Api);
        match e {
            Error::Server {
                status: 502,
                message,
            } => assert_eq!(message, "a page titled \"502 Bad Gateway\""),
            other => panic!("{other:?}"),
        }
        let e = answer(
            500,
            JSON,
            r#"{"error":{"message":"boom","detail":"x"},"status":"failure"}"#,
        )
        .error(Endpoint::Api);
        assert!(matches!(e, Error::Server { status: 500, message } if message == "boom: x"));
    }

    #[test]
    fn rate_limit_headers() {
        let mut a = answer(
            429,
            JSON,
            r#"{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 10 requests per hour for Table API exceeded"},"status":"failure"}"#,
        );
        a.headers
            .insert("retry-after", "999999999".parse().unwrap());
        a.headers.insert("x-ratelimit-limit", "10".parse().unwrap());
        a.headers
            .insert("x-ratelimit-reset", "1767225600".parse().unwrap());
        a.headers
            .insert("x-ratelimit-rule", "a1b2".parse().unwrap());
        match a.error(Endpoint::Api) {
            Error::RateLimited {
                retry_after,
                limit,
                reset,
                rule,
                message,
            } => {
                assert_eq!(
                    retry_after,
                    Some(std::time::Duration::from_secs(999_999_999))
                );
                assert_eq!(limit, Some(10));
                assert_eq!(reset, Some(1_767_225_600));
                assert_eq!(rule.as_deref(), Some("a1b2"));
                assert_eq!(message.message, "Rate limit exceeded");
            }
            other => panic!("{other:?}"),
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_answers_never_panic(
            status in 100u16..600,
            ct in proptest::option::of("[ -~]{0,40}"),
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..400),
            text in ".{0,300}",
        ) {
            let mut a = answer(status, "", "");
            if let Some(ct) = ct && let Ok(v) = ct.parse() {
                a.headers.insert(header::CONTENT_TYPE, v);
            }
            for b in [body, text.clone().into_bytes(), format!("<title>{text}</title>").into_bytes()] {
                a.body = b;
                let _ = a.json();
                let e = a.error(Endpoint::Api);
                let shown = e.to_string();
                proptest::prop_assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
                let _ = a.error(Endpoint::Token);
            }
            let _ = link_next(&text);
        }
    }
}
