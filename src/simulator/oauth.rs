//! `POST /oauth_token.do`: the password and refresh_token grants, and the tokens they issue.
//!
//! Within an access token's lifetime the same token comes back for the same client and user,
//! as the platform documents; every failure is the same 401 body, because the platform never
//! says which credential was wrong.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::app::Shared;
use super::lockout::{Door, Outcome};
use super::options::TokenJsonBody;
use super::responses::{TOKEN_FAILURE, json, push_str};

/// Bytes of randomness per token: 64 bytes are 86 URL-safe base64 characters.
const TOKEN_BYTES: usize = 64;

struct AccessToken {
    user: String,
    expires: Instant,
}

struct RefreshToken {
    client: String,
    user: String,
    expires: Instant,
}

/// What a successful grant hands out. No `Debug`: it holds tokens.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

/// Every token the simulator has issued and not yet forgotten. No `Debug`: it holds tokens.
#[derive(Default)]
pub(crate) struct TokenStore {
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    /// (client, user) → (current access token, current refresh token).
    current: HashMap<(String, String), (String, String)>,
}

fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whole seconds left, rounded down, minus the one the platform subtracts at issue time.
fn expires_in(expires: Instant, now: Instant) -> u64 {
    let left = expires.saturating_duration_since(now);
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    secs.saturating_sub(1)
}

impl TokenStore {
    /// The user an access token belongs to, while it is valid.
    pub fn validate(&self, token: &str, now: Instant) -> Option<&str> {
        let t = self.access.get(token)?;
        (now < t.expires).then_some(t.user.as_str())
    }

    fn forget_expired(&mut self, now: Instant) {
        self.access.retain(|_, t| now < t.expires);
        self.refresh.retain(|_, t| now < t.expires);
    }

    /// The password grant (credentials already checked): the current tokens if still valid,
    /// otherwise fresh ones.
    pub fn password_grant(
        &mut self,
        client: &str,
        user: &str,
        ttl: Duration,
        refresh_ttl: Duration,
        now: Instant,
    ) -> Issued {
        self.forget_expired(now);
        let key = (client.to_string(), user.to_string());
        let (current_access, current_refresh) = match self.current.get(&key) {
            Some((a, r)) => (
                self.access.contains_key(a).then(|| a.clone()),
                self.refresh.contains_key(r).then(|| r.clone()),
            ),
            None => (None, None),
        };
        let refresh = current_refresh.unwrap_or_else(|| {
            let token = new_token();
            self.refresh.insert(
                token.clone(),
                RefreshToken {
                    client: client.to_string(),
                    user: user.to_string(),
                    expires: now + refresh_ttl,
                },
            );
            token
        });
        let access = current_access.unwrap_or_else(|| self.issue_access(user, ttl, now));
        self.current.insert(key, (access.clone(), refresh.clone()));
        let expires = self.access.get(&access).map_or(now, |t| t.expires);
        Issued {
            access_token: access,
            refresh_token: refresh,
            expires_in: expires_in(expires, now),
        }
    }

    /// The refresh_token grant (client already checked): a new access token, or `None` when
    /// the refresh token is unknown, expired or another client's.
    pub fn refresh_grant(
        &mut self,
        client: &str,
        refresh_token: &str,
        ttl: Duration,
        now: Instant,
    ) -> Option<Issued> {
        self.forget_expired(now);
        let user = {
            let r = self.refresh.get(refresh_token)?;
            if r.client != client {
                return None;
            }
            r.user.clone()
        };
        let access = self.issue_access(&user, ttl, now);
        self.current.insert(
            (client.to_string(), user),
            (access.clone(), refresh_token.to_string()),
        );
        Some(Issued {
            access_token: access,
            refresh_token: refresh_token.to_string(),
            expires_in: expires_in(now + ttl, now),
        })
    }

    fn issue_access(&mut self, user: &str, ttl: Duration, now: Instant) -> String {
        let token = new_token();
        self.access.insert(
            token.clone(),
            AccessToken {
                user: user.to_string(),
                expires: now + ttl,
            },
        );
        token
    }
}

/// The success body, keys in the order real instances send them.
pub(crate) fn success_body(issued: &Issued, with_refresh: bool) -> String {
    let mut out = String::from("{\"access_token\":");
    push_str(&mut out, &issued.access_token);
    if with_refresh {
        out.push_str(",\"refresh_token\":");
        push_str(&mut out, &issued.refresh_token);
    }
    out.push_str(",\"scope\":\"useraccount\",\"token_type\":\"Bearer\",\"expires_in\":");
    out.push_str(&issued.expires_in.to_string());
    out.push('}');
    out
}

fn failure() -> Response {
    json(StatusCode::UNAUTHORIZED, TOKEN_FAILURE)
}

/// Request parameters from a form body (first occurrence wins), or from a JSON object when
/// `--token-json-body accept` is on.
fn parameters(
    shared: &Shared,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<HashMap<String, String>> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut params = HashMap::new();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        for (k, v) in url::form_urlencoded::parse(body) {
            params
                .entry(k.into_owned())
                .or_insert_with(|| v.into_owned());
        }
        return Some(params);
    }
    if content_type.starts_with("application/json")
        && shared.options.token_json_body == TokenJsonBody::Accept
    {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        for (k, v) in value.as_object()? {
            if let Some(s) = v.as_str() {
                params.insert(k.clone(), s.to_string());
            }
        }
        return Some(params);
    }
    None
}

/// Client id and secret from `Authorization: Basic` (each may be form-encoded first, as
/// RFC 6749 asks and requests-oauthlib does).
fn basic_client(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| -> String {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

fn client_matches(
    shared: &Shared,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Option<String> {
    let options = &shared.options;
    let from_body = match (params.get("client_id"), params.get("client_secret")) {
        (Some(id), Some(secret)) => Some((id.clone(), secret.clone())),
        _ => None,
    };
    let (id, secret) = from_body.or_else(|| basic_client(headers))?;
    (id == options.client_id && secret == options.client_secret).then_some(id)
}

/// The handler for `/oauth_token.do`.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        return failure();
    }
    let Some(params) = parameters(&shared, &headers, &body) else {
        tracing::debug!("token request without a form body");
        return failure();
    };
    if params.get("grant_type").map(String::as_str) == Some("password") {
        shared.logins().saw(Door::PasswordGrant);
    }
    let Some(client) = client_matches(&shared, &params, &headers) else {
        tracing::debug!("token request with an unknown client");
        return failure();
    };
    let options = &shared.options;
    let ttl = Duration::from_secs(options.token_ttl);
    let now = Instant::now();
    let grant = params.get("grant_type").map(String::as_str).unwrap_or("");
    let mut tokens = shared.tokens();
    let (issued, with_refresh) = match grant {
        "password" => {
            // Only a wrong password of the integration user counts toward its lockout: an
            // unknown user name has no record to lock.
            if params.get("username") != Some(&options.username) {
                tracing::debug!("password grant for an unknown user");
                return failure();
            }
            let password_ok = params.get("password") == Some(&options.password);
            if shared.logins().attempt(password_ok) == Outcome::Refused {
                tracing::debug!("password grant with a wrong password or a locked user");
                return failure();
            }
            let refresh_ttl = Duration::from_secs(options.refresh_token_ttl);
            (
                tokens.password_grant(&client, &options.username, ttl, refresh_ttl, now),
                true,
            )
        }
        "refresh_token" => {
            let presented = params
                .get("refresh_token")
                .map(String::as_str)
                .unwrap_or("");
            match tokens.refresh_grant(&client, presented, ttl, now) {
                Some(issued) => (issued, !options.refresh_omits_refresh_token),
                None => {
                    tracing::debug!("refresh grant with an unknown or expired refresh token");
                    return failure();
                }
            }
        }
        other => {
            tracing::debug!(grant_type = %other.chars().take(40).collect::<String>(), "unsupported grant");
            return failure();
        }
    };
    json(StatusCode::OK, success_body(&issued, with_refresh))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_86_url_safe_characters() {
        let t = new_token();
        assert_eq!(t.len(), 86);
        assert!(
            t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn same_access_token_within_its_lifetime() {
        let mut store = TokenStore::default();
        let now = Instant::now();
        let ttl = Duration::from_secs(1800);
        let long = Duration::from_secs(8_640_000);
        let a = store.password_grant("c", "u", ttl, long, now);
        assert_eq!(a.expires_in, 1799);
        let b = store.password_grant("c", "u", ttl, long, now + Duration::from_secs(100));
        assert_eq!(a.access_token, b.access_token);
        assert_eq!(a.refresh_token, b.refresh_token);
        assert_eq!(b.expires_in, 1699);
        assert_eq!(
            store.validate(&a.access_token, now + Duration::from_secs(10)),
            Some("u")
        );
        assert_eq!(
            store.validate(&a.access_token, now + Duration::from_secs(1800)),
            None
        );
        let c = store.password_grant("c", "u", ttl, long, now + Duration::from_secs(1801));
        assert_ne!(a.access_token, c.access_token);
        assert_eq!(a.refresh_token, c.refresh_token);
    }

    #[test]
    fn refresh_issues_a_new_access_token_for_the_same_client_only() {
        let mut store = TokenStore::default();
        let now = Instant::now();
        let ttl = Duration::from_secs(60);
        let a = store.password_grant("c", "u", ttl, Duration::from_secs(600), now);
        assert!(
            store
                .refresh_grant("other", &a.refresh_token, ttl, now)
                .is_none()
        );
        assert!(store.refresh_grant("c", "nope", ttl, now).is_none());
        let r = store.refresh_grant("c", &a.refresh_token, ttl, now);
        let r = r.expect("refresh works");
        assert_ne!(r.access_token, a.access_token);
        assert_eq!(r.expires_in, 59);
        let later = now + Duration::from_secs(601);
        assert!(
            store
                .refresh_grant("c", &a.refresh_token, ttl, later)
                .is_none()
        );
    }

    #[test]
    fn success_body_key_order() {
        let issued = Issued {
            access_token: "A".into(),
            refresh_token: "R".into(),
            expires_in: 1799,
        };
        assert_eq!(
            success_body(&issued, true),
            r#"{"access_token":"A","refresh_token":"R","scope":"useraccount","token_type":"Bearer","expires_in":1799}"#
        );
        assert_eq!(
            success_body(&issued, false),
            r#"{"access_token":"A","scope":"useraccount","token_type":"Bearer","expires_in":1799}"#
        );
    }
}
