//! Proxy settings: `HTTPS_PROXY` (or `ALL_PROXY`) and `NO_PROXY`, the way curl reads them.
//!
//! reqwest 0.13 reads these variables itself even without its `system-proxy` feature (that
//! feature only adds the macOS and Windows system settings). We read them here instead so
//! that loopback is never proxied (the simulator runs there and a proxy cannot reach our
//! loopback), tests can inject settings without touching the process environment, and error
//! messages can say that a proxy was in the way.
//!
//! SOCKS proxies work too (`ALL_PROXY=socks5h://127.0.0.1:1080`, the `ssh -D` tunnel):
//! `socks5h` and `socks4a` let the proxy resolve the instance's name, as an SSH tunnel into
//! another network needs; `socks5` and `socks4` resolve it here.

use std::fmt;

use super::Error;

/// Where the client's proxy settings come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProxyConfig {
    /// `HTTPS_PROXY`/`https_proxy`, else `ALL_PROXY`/`all_proxy`; `NO_PROXY`/`no_proxy`.
    #[default]
    FromEnv,
    /// Connect directly whatever the environment says.
    Direct,
    /// Explicit settings (tests, or a future `--proxy` flag).
    Manual(ProxySettings),
}

/// A proxy for HTTPS requests and the hosts that bypass it. `Debug` hides proxy passwords.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProxySettings {
    /// Proxy URL, e.g. `http://proxy.corp:3128` (a missing scheme means `http://`).
    pub https: Option<String>,
    /// Comma-separated hosts, domains (`.corp.com`), IPs or CIDRs that go direct; `*` for all.
    pub no_proxy: Option<String>,
    /// Where `https` came from, for messages (e.g. `HTTPS_PROXY`).
    pub source: String,
}

impl fmt::Debug for ProxySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxySettings")
            .field("https", &self.https.as_deref().map(redact_userinfo))
            .field("no_proxy", &self.no_proxy)
            .field("source", &self.source)
            .finish()
    }
}

/// Loopback never goes through a proxy: the proxy's loopback is not ours.
const ALWAYS_DIRECT: &str = "localhost,127.0.0.0/8,::1";

impl ProxySettings {
    /// Reads the settings through `lookup` (normally `std::env::var`), curl's way: the
    /// upper-case name first, empty values ignored.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> ProxySettings {
        let first = |names: &[&str]| {
            names.iter().find_map(|n| {
                lookup(n)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (n.to_string(), v.trim().to_string()))
            })
        };
        let https = first(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]);
        let no_proxy = first(&["NO_PROXY", "no_proxy"]).map(|(_, v)| v);
        ProxySettings {
            source: https.as_ref().map(|(n, _)| n.clone()).unwrap_or_default(),
            https: https.map(|(_, v)| v),
            no_proxy,
        }
    }

    /// Reads the process environment.
    pub fn from_env() -> ProxySettings {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The proxy URL with a scheme, checked: HTTP CONNECT (`http://`, `https://`) or SOCKS.
    fn proxy_url(&self) -> Result<Option<url::Url>, Error> {
        let Some(raw) = self.https.as_deref() else {
            return Ok(None);
        };
        let with_scheme = if raw.contains("://") {
            raw.to_string()
        } else {
            format!("http://{raw}")
        };
        let source = if self.source.is_empty() {
            "the proxy setting"
        } else {
            &self.source
        };
        let parsed = url::Url::parse(&with_scheme).map_err(|e| {
            Error::Setup(format!(
                "{source} is not a valid proxy URL ({}): {e}",
                redact_userinfo(raw)
            ))
        })?;
        match parsed.scheme() {
            "http" | "https" | "socks5" | "socks5h" | "socks4" | "socks4a" => {}
            other => {
                return Err(Error::Setup(format!(
                    "{source} names a {}:// proxy; snow-connect supports http:// and https:// \
                     proxies (HTTP CONNECT) and socks5h://, socks5://, socks4a:// and socks4://",
                    crate::sanitize::line(other)
                )));
            }
        }
        if parsed.host_str().is_none() {
            return Err(Error::Setup(format!(
                "{source} has no proxy host ({})",
                redact_userinfo(raw)
            )));
        }
        Ok(Some(parsed))
    }

    fn no_proxy_list(&self) -> String {
        match self.no_proxy.as_deref() {
            Some(n) if !n.trim().is_empty() => format!("{n},{ALWAYS_DIRECT}"),
            _ => ALWAYS_DIRECT.to_string(),
        }
    }

    /// The reqwest proxy for these settings, `None` when there is no proxy.
    pub(crate) fn to_reqwest(&self) -> Result<Option<reqwest::Proxy>, Error> {
        let Some(url) = self.proxy_url()? else {
            return Ok(None);
        };
        let proxy = reqwest::Proxy::https(url.as_str())
            .map_err(|e| Error::Setup(format!("cannot use the proxy: {e}")))?
            .no_proxy(reqwest::NoProxy::from_string(&self.no_proxy_list()));
        Ok(Some(proxy))
    }

    /// `proxy.corp:3128 (HTTPS_PROXY)` when a request to `base` goes through the proxy.
    pub(crate) fn describe_for(&self, base: &str) -> Option<String> {
        let url = self.proxy_url().ok()??;
        let matcher = hyper_util::client::proxy::matcher::Matcher::builder()
            .https(url.as_str().to_string())
            .no(self.no_proxy_list())
            .build();
        let target: hyper::Uri = base.parse().ok()?;
        matcher.intercept(&target)?;
        let host = url.host_str()?;
        let port = url.port_or_known_default().unwrap_or(80);
        let source = if self.source.is_empty() {
            String::new()
        } else {
            format!(" (from {})", self.source)
        };
        Some(format!("proxy {host}:{port}{source}"))
    }
}

impl ProxyConfig {
    /// The settings this configuration stands for (`None` for direct connections).
    pub(crate) fn settings(&self) -> Option<ProxySettings> {
        match self {
            ProxyConfig::FromEnv => Some(ProxySettings::from_env()),
            ProxyConfig::Direct => None,
            ProxyConfig::Manual(s) => Some(s.clone()),
        }
    }
}

/// `http://user:pass@host` -> `http://***@host`.
fn redact_userinfo(raw: &str) -> String {
    let (prefix, rest) = match raw.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), raw),
    };
    let end = rest.find('/').unwrap_or(rest.len());
    match rest[..end].rsplit_once('@') {
        Some((_, host)) => format!("{prefix}***@{host}{}", &rest[end..]),
        None => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> ProxySettings {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ProxySettings::from_lookup(|n| map.get(n).cloned())
    }

    #[test]
    fn reads_variables_like_curl() {
        let s = settings(&[("https_proxy", "proxy:3128"), ("ALL_PROXY", "other:1")]);
        assert_eq!(s.https.as_deref(), Some("proxy:3128"));
        assert_eq!(s.source, "https_proxy");
        let s = settings(&[("HTTPS_PROXY", " "), ("all_proxy", "http://p:8080")]);
        assert_eq!(s.https.as_deref(), Some("http://p:8080"));
        assert_eq!(s.source, "all_proxy");
        let s = settings(&[("no_proxy", ".corp.com")]);
        assert_eq!(s.https, None);
        assert_eq!(s.no_proxy.as_deref(), Some(".corp.com"));
        // HTTP_PROXY alone does not apply: instances are https-only.
        assert_eq!(settings(&[("HTTP_PROXY", "p:1")]).https, None);
    }

    #[test]
    fn decides_which_hosts_are_proxied() {
        let s = settings(&[
            ("HTTPS_PROXY", "http://u:pw@proxy.corp:3128"),
            ("NO_PROXY", "internal.acme.com,10.0.0.0/8"),
        ]);
        assert_eq!(
            s.describe_for("https://acme.service-now.com").as_deref(),
            Some("proxy proxy.corp:3128 (from HTTPS_PROXY)")
        );
        for direct in [
            "http://127.0.0.1:4000",
            "http://localhost:4000",
            "http://[::1]:4000",
            "https://snow.internal.acme.com",
            "https://10.1.2.3",
        ] {
            assert_eq!(s.describe_for(direct), None, "{direct}");
        }
        let all_direct = settings(&[("HTTPS_PROXY", "proxy:1"), ("NO_PROXY", "*")]);
        assert_eq!(
            all_direct.describe_for("https://acme.service-now.com"),
            None
        );
        assert!(s.to_reqwest().unwrap().is_some());
        assert!(settings(&[]).to_reqwest().unwrap().is_none());
    }

    #[test]
    fn socks_is_accepted_and_garbage_is_explained() {
        let s = settings(&[("ALL_PROXY", "socks5h://127.0.0.1:1080")]);
        assert!(s.to_reqwest().unwrap().is_some());
        assert_eq!(
            s.describe_for("https://acme.service-now.com").as_deref(),
            Some("proxy 127.0.0.1:1080 (from ALL_PROXY)")
        );
        assert_eq!(s.describe_for("http://127.0.0.1:4000"), None);
        let e = settings(&[("ALL_PROXY", "gopher://p:70")])
            .to_reqwest()
            .unwrap_err()
            .to_string();
        assert!(e.contains("ALL_PROXY") && e.contains("gopher"), "{e}");
        let e = settings(&[("HTTPS_PROXY", "http://user:s3cret@[bad")])
            .to_reqwest()
            .unwrap_err()
            .to_string();
        assert!(e.contains("HTTPS_PROXY") && !e.contains("s3cret"), "{e}");
    }

    #[test]
    fn debug_hides_the_proxy_password() {
        let s = settings(&[("HTTPS_PROXY", "http://user:s3cret@proxy:3128/")]);
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("***@proxy:3128"), "{shown}");
    }
}
