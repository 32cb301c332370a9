//! Instance URL normalisation: `acme`, `acme.service-now.com` and
//! `https://acme.service-now.com/now/nav/ui/home` all become `https://acme.service-now.com`.

use std::fmt;

/// Why a typed instance URL was rejected. Each message says what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Nothing was typed.
    #[error("enter your instance URL, e.g. acme.service-now.com")]
    Empty,
    /// `http://` to a host that is not loopback.
    #[error("plain http:// is only allowed for localhost; use https://{host}")]
    PlainHttp {
        /// The host that was typed.
        host: String,
    },
    /// A scheme other than http or https.
    #[error("unsupported scheme {scheme:?}: use https://")]
    Scheme {
        /// The scheme that was typed.
        scheme: String,
    },
    /// Not a URL or host name at all.
    #[error("{input:?} is not a host name or URL: {reason}")]
    Invalid {
        /// What was typed (trimmed).
        input: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A normalised instance base URL: scheme, host and optional port, no path, no trailing slash.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct InstanceUrl {
    base: String,
    host: String,
    loopback: bool,
}

impl InstanceUrl {
    /// Normalise what a user typed or pasted.
    pub fn parse(input: &str) -> Result<InstanceUrl, UrlError> {
        let _ = input;
        todo!("client: url normalisation")
    }

    /// `https://acme.service-now.com` (no trailing slash).
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The host name (no port).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// True for 127.0.0.0/8, ::1 and `localhost`.
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// When the host is not a well-known ServiceNow domain and has no dot, the likely
    /// intended host, e.g. `acme` -> `acme.service-now.com` (used in DNS-failure advice).
    pub fn suggestion(&self) -> Option<String> {
        todo!("client: url suggestion")
    }

    /// `base` + `path` (path starts with `/`).
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl fmt::Display for InstanceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

impl fmt::Debug for InstanceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InstanceUrl({})", self.base)
    }
}
