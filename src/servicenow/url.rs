//! Instance URL normalisation: `acme`, `acme.service-now.com` and
//! `https://acme.service-now.com/now/nav/ui/home` all become `https://acme.service-now.com`.
//!
//! People paste whatever their browser shows (a list view, a portal page, an API URL), type the
//! bare instance name, or add a trailing dot or slash. Only scheme, host and port matter to the
//! client; everything else is dropped. The result parses back to itself, so normalising is
//! idempotent and the wizard can show it while the user types.

use std::fmt;
use std::net::IpAddr;

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

/// The domain every customer instance gets first; a bare name is assumed to live there.
const SERVICE_NOW_DOMAIN: &str = "service-now.com";
/// The domain of government-cloud instances (GCC).
const GOV_DOMAIN: &str = "servicenowservices.com";

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
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(UrlError::Empty);
        }
        let invalid = |reason: &str| UrlError::Invalid {
            input: shorten(trimmed),
            reason: reason.to_string(),
        };

        // Credentials first: `user:pass@host` would otherwise read as scheme `user`.
        if let Some(shown) = without_userinfo(trimmed) {
            return Err(UrlError::Invalid {
                input: shorten(&shown),
                reason: "it contains a user name or password; do not put credentials in the URL, enter them in their own fields".into(),
            });
        }
        let (scheme, rest) = split_scheme(trimmed)?;
        let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
        let authority = &rest[..end];
        if authority.is_empty() {
            return Err(invalid(
                "there is no host name; type your instance, e.g. acme.service-now.com",
            ));
        }
        if authority.chars().any(char::is_whitespace) {
            return Err(invalid(
                "it contains a space; type only the host name, e.g. acme.service-now.com",
            ));
        }

        let parsed = url::Url::parse(&format!("{scheme}://{authority}/"))
            .map_err(|e| invalid(parse_error_reason(e)))?;
        let port = parsed.port();
        if port == Some(0) {
            return Err(invalid("the port must be a number between 1 and 65535"));
        }

        let (host, loopback) = match parsed.host() {
            Some(url::Host::Domain(domain)) => {
                let domain = normalise_domain(domain).map_err(invalid)?;
                let loopback = domain == "localhost";
                (domain, loopback)
            }
            Some(url::Host::Ipv4(ip)) => {
                // The url crate reads `12345` or `0x7f.1` as IPv4; nobody means that.
                let typed = host_part(authority).trim_end_matches('.');
                if typed != ip.to_string() {
                    return Err(invalid(
                        "it looks like a number, not a host name; type your instance name, e.g. acme",
                    ));
                }
                (ip.to_string(), IpAddr::V4(ip).is_loopback())
            }
            Some(url::Host::Ipv6(ip)) => (format!("[{ip}]"), IpAddr::V6(ip).is_loopback()),
            None => return Err(invalid("there is no host name")),
        };

        let host_port = match port {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        if scheme == "http" && !loopback {
            return Err(UrlError::PlainHttp { host: host_port });
        }
        Ok(InstanceUrl {
            base: format!("{scheme}://{host_port}"),
            host,
            loopback,
        })
    }

    /// `https://acme.service-now.com` (no trailing slash).
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The host name (no port; IPv6 addresses in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// True for 127.0.0.0/8, ::1 and `localhost`.
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// When the host is not under a ServiceNow domain (nor loopback, nor an IP address), the
    /// likely intended instance, e.g. `acme.servicenow.com` -> `https://acme.service-now.com`
    /// (used in DNS-failure advice).
    pub fn suggestion(&self) -> Option<String> {
        if self.loopback || self.host.starts_with('[') || self.host.parse::<IpAddr>().is_ok() {
            return None;
        }
        let under = |domain: &str| {
            self.host
                .strip_suffix(domain)
                .is_some_and(|rest| rest.ends_with('.'))
        };
        if under(SERVICE_NOW_DOMAIN) || under(GOV_DOMAIN) {
            return None;
        }
        let first = self.host.split('.').next().filter(|l| !l.is_empty())?;
        Some(format!("https://{first}.{SERVICE_NOW_DOMAIN}"))
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

/// Splits off the scheme (lower-cased, `https` when none was typed) from the rest.
fn split_scheme(s: &str) -> Result<(&'static str, &str), UrlError> {
    let known = |scheme: &str| -> Result<&'static str, UrlError> {
        match scheme.to_ascii_lowercase().as_str() {
            "https" => Ok("https"),
            "http" => Ok("http"),
            other => Err(UrlError::Scheme {
                scheme: shorten(other),
            }),
        }
    };
    if let Some((scheme, rest)) = s.split_once("://")
        && looks_like_scheme(scheme)
    {
        return Ok((known(scheme)?, rest));
    }
    if let Some(rest) = s.strip_prefix("//") {
        return Ok(("https", rest));
    }
    // `https:acme.service-now.com`, `mailto:x` — but not `acme:8443`.
    if let Some((scheme, rest)) = s.split_once(':') {
        let port_follows = rest.starts_with(|c: char| c.is_ascii_digit()) || rest.is_empty();
        if looks_like_scheme(scheme) && !scheme.contains('.') && !port_follows {
            let scheme = known(scheme)?;
            return Ok((scheme, rest.trim_start_matches('/')));
        }
    }
    Ok(("https", s))
}

/// When the authority holds user info (`user:pass@`), the input with it masked.
fn without_userinfo(s: &str) -> Option<String> {
    let (prefix, rest) = match s.split_once("://") {
        Some((scheme, rest)) if looks_like_scheme(scheme) => (&s[..scheme.len() + 3], rest),
        _ => match s.strip_prefix("//") {
            Some(rest) => ("//", rest),
            None => ("", s),
        },
    };
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let (_, host) = rest[..end].rsplit_once('@')?;
    Some(format!("{prefix}***@{host}"))
}

/// RFC 3986 scheme syntax: a letter, then letters, digits, `+`, `-` or `.`.
fn looks_like_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The host of an authority (`host:port` or `[v6]:port`), as typed.
fn host_part(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority.find(']').map_or(authority, |i| &authority[..=i]);
    }
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

/// Checks the labels of a (lower-cased, IDNA-mapped) domain; a bare name gets
/// `.service-now.com`.
fn normalise_domain(domain: &str) -> Result<String, &'static str> {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if domain.is_empty() {
        return Err("there is no host name");
    }
    if domain.len() > 253 {
        return Err("the host name is longer than 253 characters");
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Err("the host name has an empty part (two dots in a row)");
        }
        if label.len() > 63 {
            return Err("a part of the host name is longer than 63 characters");
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(
                "the host name may contain only letters, digits, hyphens and dots; type your instance, e.g. acme.service-now.com",
            );
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a part of the host name starts or ends with a hyphen");
        }
    }
    if !domain.contains('.') && domain != "localhost" {
        return Ok(format!("{domain}.{SERVICE_NOW_DOMAIN}"));
    }
    Ok(domain.to_string())
}

fn parse_error_reason(e: url::ParseError) -> &'static str {
    match e {
        url::ParseError::EmptyHost => "there is no host name",
        url::ParseError::InvalidPort => "the port must be a number between 1 and 65535",
        url::ParseError::InvalidIpv4Address | url::ParseError::InvalidIpv6Address => {
            "it is not a valid IP address"
        }
        url::ParseError::InvalidDomainCharacter => {
            "the host name contains characters that are not allowed"
        }
        url::ParseError::IdnaError => "the host name is not a valid international domain name",
        _ => "it is not a valid URL",
    }
}

/// Keeps an echoed input short enough for one line of the wizard.
fn shorten(s: &str) -> String {
    super::response::shorten(s, 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> String {
        match InstanceUrl::parse(input) {
            Ok(u) => u.as_str().to_string(),
            Err(e) => panic!("{input:?} was rejected: {e}"),
        }
    }

    #[test]
    fn forms_people_type_or_paste() {
        let acme = "https://acme.service-now.com";
        let cases = [
            "acme",
            "ACME",
            "acme.service-now.com",
            "Acme.Service-Now.com",
            "acme.service-now.com.",
            "acme.service-now.com/",
            "  acme.service-now.com  ",
            "https://acme.service-now.com",
            "https://acme.service-now.com/",
            "https://acme.service-now.com///",
            "HTTPS://ACME.SERVICE-NOW.COM/",
            "https://acme.service-now.com:443/",
            "//acme.service-now.com",
            "https:acme.service-now.com",
            "https://acme.service-now.com/now/nav/ui/home",
            "https://acme.service-now.com/now/nav/ui/classic/params/target/incident_list.do%3Fsysparm_query%3Dactive%253Dtrue",
            "https://acme.service-now.com/nav_to.do?uri=%2Fincident.do%3Fsys_id%3D-1",
            "https://acme.service-now.com/incident.do?sys_id=46c6f9efa9fe198101e06e2a2ff2a0c6",
            "https://acme.service-now.com/sp?id=index",
            "https://acme.service-now.com/esc?id=sc_home",
            "https://acme.service-now.com/api/now/table/incident?sysparm_limit=1",
            "https://acme.service-now.com/oauth_token.do",
            "https://acme.service-now.com#fragment",
            "https://acme.service-now.com\\foo",
            "acme.service-now.com/now/workspace/agent/record/incident/abc",
        ];
        for input in cases {
            assert_eq!(ok(input), acme, "input {input:?}");
        }
    }

    #[test]
    fn other_domains_ports_and_loopback_are_kept() {
        let cases = [
            (
                "gsa.servicenowservices.com",
                "https://gsa.servicenowservices.com",
            ),
            ("support.acme.com/sp", "https://support.acme.com"),
            ("dev12345", "https://dev12345.service-now.com"),
            (
                "acme.service-now.com:8443/x",
                "https://acme.service-now.com:8443",
            ),
            ("acme:8443", "https://acme.service-now.com:8443"),
            ("http://127.0.0.1:40123/", "http://127.0.0.1:40123"),
            ("http://127.1.2.3:8080", "http://127.1.2.3:8080"),
            ("http://localhost:8080/api", "http://localhost:8080"),
            ("HTTP://LOCALHOST:8080", "http://localhost:8080"),
            ("http://[::1]:8080/", "http://[::1]:8080"),
            ("localhost:8080", "https://localhost:8080"),
            ("https://10.0.0.5", "https://10.0.0.5"),
        ];
        for (input, want) in cases {
            assert_eq!(ok(input), want, "input {input:?}");
        }
    }

    #[test]
    fn bad_input_is_rejected_with_a_reason() {
        let plain = InstanceUrl::parse("http://acme.service-now.com/x");
        assert_eq!(
            plain,
            Err(UrlError::PlainHttp {
                host: "acme.service-now.com".into()
            })
        );
        assert!(
            plain
                .unwrap_err()
                .to_string()
                .contains("use https://acme.service-now.com")
        );
        assert_eq!(InstanceUrl::parse("   "), Err(UrlError::Empty));
        assert!(matches!(
            InstanceUrl::parse("ftp://acme.service-now.com"),
            Err(UrlError::Scheme { scheme }) if scheme == "ftp"
        ));
        assert!(matches!(
            InstanceUrl::parse("mailto:admin"),
            Err(UrlError::Scheme { .. })
        ));
        let cases = [
            ("https://admin:secret@acme.service-now.com", "credentials"),
            ("admin@acme.service-now.com", "credentials"),
            ("acme service-now.com", "space"),
            ("https://", "no host"),
            ("https:///path", "no host"),
            ("acme..service-now.com", "empty part"),
            ("acme.service-now.com:99999", "port"),
            ("acme.service-now.com:0", "port"),
            ("acme.service-now.com:abc", "port"),
            ("12345", "number"),
            ("-acme.service-now.com", "hyphen"),
            ("acme!.service-now.com", "letters, digits"),
            ("http://[::1", "IP address"),
        ];
        for (input, needle) in cases {
            match InstanceUrl::parse(input) {
                Err(e @ UrlError::Invalid { .. }) => {
                    let msg = e.to_string();
                    assert!(msg.contains(needle), "{input:?}: {msg}");
                    assert!(!msg.contains("secret@"), "echoes credentials: {msg}");
                }
                other => panic!("{input:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn credentials_are_not_echoed() {
        for input in [
            "https://admin:hunter2@acme.service-now.com/x",
            "admin:hunter2@acme.service-now.com",
            "https://admin:hunter2@x@acme.service-now.com",
        ] {
            let msg = InstanceUrl::parse(input).unwrap_err().to_string();
            assert!(msg.contains("enter them in their own fields"), "{msg}");
            assert!(!msg.contains("hunter2"), "{msg}");
            assert!(msg.contains("***@acme.service-now.com"), "{msg}");
        }
    }

    #[test]
    fn loopback_and_host() {
        let u = InstanceUrl::parse("http://127.0.0.1:4000").unwrap();
        assert!(u.is_loopback());
        assert_eq!(u.host(), "127.0.0.1");
        assert_eq!(
            u.join("/api/now/table/x"),
            "http://127.0.0.1:4000/api/now/table/x"
        );
        let u = InstanceUrl::parse("acme").unwrap();
        assert!(!u.is_loopback());
        assert_eq!(u.host(), "acme.service-now.com");
        assert_eq!(u.to_string(), "https://acme.service-now.com");
    }

    #[test]
    fn suggestion_for_hosts_outside_servicenow_domains() {
        let s = |i: &str| InstanceUrl::parse(i).unwrap().suggestion();
        assert_eq!(
            s("acme.servicenow.com"),
            Some("https://acme.service-now.com".into())
        );
        assert_eq!(
            s("https://acme.service-now.co/x"),
            Some("https://acme.service-now.com".into())
        );
        assert_eq!(s("acme"), None);
        assert_eq!(s("acme.service-now.com"), None);
        assert_eq!(s("gsa.servicenowservices.com"), None);
        assert_eq!(s("http://localhost:3000"), None);
        assert_eq!(s("https://10.1.2.3"), None);
        // A look-alike that merely ends with the same letters is not under the domain.
        assert_eq!(
            s("evilservice-now.com"),
            Some("https://evilservice-now.service-now.com".into())
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Idempotence and the invariants every accepted URL holds.
    fn check(input: &str) -> Result<(), TestCaseError> {
        if let Ok(u) = InstanceUrl::parse(input) {
            let again = InstanceUrl::parse(u.as_str());
            prop_assert_eq!(again.as_ref(), Ok(&u), "not idempotent for {:?}", input);
            prop_assert!(!u.as_str().ends_with('/'));
            prop_assert!(u.as_str().starts_with("https://") || u.is_loopback());
            prop_assert!(!u.as_str().contains('@'));
            prop_assert!(u.as_str().len() <= 8 + 253 + 6 + 2);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_text_never_panics(s in ".*") {
            check(&s)?;
        }

        #[test]
        fn url_shaped_text(
            ws in prop_oneof![Just(""), Just(" "), Just("\t")],
            scheme in prop_oneof![Just(""), Just("https://"), Just("http://"), Just("HTTP://"), Just("ftp://"), Just("//"), Just("https:")],
            user in prop_oneof![Just(""), Just("u:p@")],
            host in prop_oneof![
                "[a-zA-Z0-9-]{1,12}(\\.[a-zA-Z0-9_-]{0,12}){0,3}\\.?",
                Just("localhost".to_string()),
                "127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
                Just("[::1]".to_string()),
                "[0-9]{1,6}",
                "[\\PC]{1,8}",
            ],
            port in prop_oneof![Just(""), Just(":443"), Just(":8080"), Just(":0"), Just(":99999"), Just(":x")],
            path in "(/[a-z0-9?=&%.#]{0,10}){0,3}",
        ) {
            check(&format!("{ws}{scheme}{user}{host}{port}{path}{ws}"))?;
        }
    }
}
