//! OAuth tokens (facts 1.1–1.4): the grant forms, the success answer, and the shared state
//! that makes concurrent callers share one token request.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::client::{Credentials, TokenInfo};
use super::{Error, response::shorten};

/// Lifetime assumed when the answer has no `expires_in` (ServiceNow's default is 1800 s).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(1800);

/// Below this, a stated lifetime (`expires_in: 0`, `1`, ...) is not believed: the token is
/// used until the API answers 401, then renewed (refresh token first). Believing it would
/// make every request a new password login.
pub(crate) const LIFETIME_FLOOR: Duration = Duration::from_secs(60);

/// An access token and what came with it. Never printed.
pub(crate) struct Token {
    pub access: SecretString,
    pub refresh: Option<SecretString>,
    obtained: Instant,
    lifetime: Duration,
}

impl Token {
    /// Still usable for a request starting now. A token is renewed a little before it
    /// expires (a minute, or a quarter of very short lifetimes) so that a request does not
    /// race its expiry.
    pub fn fresh(&self, now: Instant) -> bool {
        if self.lifetime < LIFETIME_FLOOR {
            return true;
        }
        let margin = (self.lifetime / 4).min(Duration::from_secs(60));
        now.saturating_duration_since(self.obtained) + margin < self.lifetime
    }
}

/// The client's token state, behind one async mutex: whoever holds the lock is the one
/// token request in flight; the others wait and then reuse its result.
#[derive(Default)]
pub(crate) struct TokenState {
    /// The current token.
    pub token: Option<Token>,
    /// Bumped on every new token, so a caller that saw a 401 can tell whether someone else
    /// already renewed it.
    pub generation: u64,
    /// A rejected password grant. Lazy authentication does not send the same credentials
    /// again (repeated failures lock the user out); only an explicit `authenticate()` does.
    pub rejected: Option<Error>,
    /// A 429 or 5xx from the token endpoint. No further grant is sent by this client: a
    /// busy or failing instance is not answered with more logins.
    pub halted: Option<Error>,
}

impl TokenState {
    /// Stores a new token; a refresh answer without `refresh_token` keeps the old one.
    pub fn store(&mut self, mut token: Token) {
        if token.refresh.is_none()
            && let Some(old) = self.token.take()
        {
            token.refresh = old.refresh;
        }
        self.token = Some(token);
        self.generation = self.generation.wrapping_add(1);
        self.rejected = None;
    }

    /// The current access token when it is fresh.
    pub fn current(&self, now: Instant) -> Option<(SecretString, u64)> {
        let t = self.token.as_ref()?;
        t.fresh(now).then(|| (t.access.clone(), self.generation))
    }
}

/// Which grant to ask for.
pub(crate) enum Grant {
    /// `grant_type=password` with the user's credentials.
    Password,
    /// `grant_type=refresh_token`.
    Refresh(SecretString),
}

impl Grant {
    /// For logs.
    pub fn name(&self) -> &'static str {
        match self {
            Grant::Password => "password",
            Grant::Refresh(_) => "refresh_token",
        }
    }

    /// The form fields. The secrets leave their wrappers only here, straight into the
    /// form encoder (which percent-encodes `&`, `+`, `=` and `%`).
    pub fn form<'a>(&'a self, creds: &'a Credentials) -> Vec<(&'static str, &'a str)> {
        let mut form = vec![
            ("grant_type", self.name()),
            ("client_id", creds.client_id.as_str()),
            ("client_secret", creds.client_secret.expose_secret()),
        ];
        match self {
            Grant::Password => {
                form.push(("username", creds.username.as_str()));
                form.push(("password", creds.password.expose_secret()));
            }
            Grant::Refresh(refresh) => form.push(("refresh_token", refresh.expose_secret())),
        }
        form
    }
}

/// Reads a 200 answer of `/oauth_token.do`.
pub(crate) fn parse(v: &Value, url: &str) -> Result<(Token, TokenInfo), Error> {
    let invalid = |reason: &str| Error::InvalidResponse {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let text = |key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let access =
        text("access_token").ok_or_else(|| invalid("the token answer has no access_token"))?;
    if !access.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            "the access token holds characters that cannot be sent in a header",
        ));
    }
    let refresh = text("refresh_token").map(|s| SecretString::from(s.to_string()));
    let expires_in = match v.get("expires_in") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    let lifetime = expires_in.map_or(DEFAULT_LIFETIME, Duration::from_secs);
    let info = TokenInfo {
        scope: text("scope")
            .map(|s| shorten(&crate::sanitize::line(s), 80))
            .unwrap_or_default(),
        expires_in: lifetime.as_secs(),
        has_refresh_token: refresh.is_some(),
    };
    let token = Token {
        access: SecretString::from(access.to_string()),
        refresh,
        obtained: Instant::now(),
        lifetime,
    };
    Ok((token, info))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_official_answer() {
        let v = json!({"access_token": "a".repeat(86), "refresh_token": "r".repeat(86), "scope": "useraccount", "token_type": "Bearer", "expires_in": 1799});
        let (t, info) = parse(&v, "u").unwrap();
        assert_eq!(
            info,
            TokenInfo {
                scope: "useraccount".into(),
                expires_in: 1799,
                has_refresh_token: true
            }
        );
        assert!(t.fresh(Instant::now()));
        assert_eq!(t.access.expose_secret(), "a".repeat(86));
    }

    #[test]
    fn defensive_about_shapes() {
        let (_, info) = parse(&json!({"access_token": "x", "expires_in": "60"}), "u").unwrap();
        assert_eq!(info.expires_in, 60);
        assert!(!info.has_refresh_token);
        assert!(parse(&json!({"access_token": ""}), "u").is_err());
        assert!(parse(&json!({"token": "x"}), "u").is_err());
        assert!(parse(&json!({"access_token": "a b"}), "u").is_err());
    }

    #[test]
    fn freshness_margin() {
        let t = |secs| Token {
            access: SecretString::from("x"),
            refresh: None,
            obtained: Instant::now(),
            lifetime: Duration::from_secs(secs),
        };
        assert!(t(1799).fresh(Instant::now()));
        let later = Instant::now() + Duration::from_secs(1740);
        assert!(!t(1799).fresh(later), "renewed a minute before expiry");
        assert!(!t(60).fresh(Instant::now() + Duration::from_secs(50)));
        // Below the floor the stated lifetime is not believed: used until a 401.
        for secs in [0, 1, 59] {
            assert!(t(secs).fresh(later), "expires_in {secs}");
        }
    }

    #[test]
    fn refresh_without_refresh_token_keeps_the_old_one() {
        let mut st = TokenState::default();
        let tok = |refresh: Option<&str>| Token {
            access: SecretString::from("a"),
            refresh: refresh.map(|r| SecretString::from(r.to_string())),
            obtained: Instant::now(),
            lifetime: Duration::from_secs(100),
        };
        let refresh = |st: &TokenState| {
            st.token
                .as_ref()
                .and_then(|t| t.refresh.as_ref())
                .map(|r| r.expose_secret().to_string())
        };
        st.store(tok(Some("r1")));
        st.store(tok(None));
        assert_eq!(refresh(&st).as_deref(), Some("r1"));
        st.store(tok(Some("r2")));
        assert_eq!(refresh(&st).as_deref(), Some("r2"));
        assert_eq!(st.generation, 3);
    }

    #[test]
    fn form_holds_every_field() {
        let creds = Credentials {
            client_id: "id".into(),
            client_secret: SecretString::from("s&+=%"),
            username: "u".into(),
            password: SecretString::from("p w"),
        };
        let g = Grant::Password;
        let f = g.form(&creds);
        assert_eq!(
            f,
            vec![
                ("grant_type", "password"),
                ("client_id", "id"),
                ("client_secret", "s&+=%"),
                ("username", "u"),
                ("password", "p w")
            ]
        );
        let g = Grant::Refresh(SecretString::from("rt"));
        assert_eq!(g.form(&creds)[3], ("refresh_token", "rt"));
    }
}
