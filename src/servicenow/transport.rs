//! The one `reqwest::Client` and the classification of everything that can fail below HTTP:
//! DNS, TCP, proxies, TLS, timeouts and broken connections.
//!
//! reqwest reports these as one opaque error with a chain of sources; the cause is found by
//! walking that chain (our own DNS error type, `io::ErrorKind`, `rustls::Error`, `hyper::Error`).

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use super::Error;
use super::client::ClientOptions;

/// The name that did not resolve. Our resolver returns it so that a DNS failure can be told
/// apart from other connect errors without matching on message text.
#[derive(Debug)]
pub(crate) struct DnsFailure {
    host: String,
    reason: String,
}

impl std::fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot resolve {}: {}", self.host, self.reason)
    }
}

impl StdError for DnsFailure {}

/// getaddrinfo through tokio, failing with [`DnsFailure`].
struct Resolver;

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let failure = |reason: String| -> Box<dyn StdError + Send + Sync> {
                Box::new(DnsFailure {
                    host: host.clone(),
                    reason,
                })
            };
            match tokio::net::lookup_host((host.as_str(), 0)).await {
                Ok(addrs) => {
                    let addrs: Vec<_> = addrs.collect();
                    if addrs.is_empty() {
                        return Err(failure("no addresses".into()));
                    }
                    Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
                }
                Err(e) => Err(failure(e.to_string())),
            }
        })
    }
}

/// What [`build`] produced besides the client.
pub(crate) struct Built {
    /// The client.
    pub http: reqwest::Client,
    /// Trusted roots (0 means HTTPS cannot work).
    pub roots: usize,
}

/// Builds the one `reqwest::Client` for these options.
pub(crate) fn build(opts: &ClientOptions) -> Result<Built, Error> {
    let tls = super::tls::client_config(opts.ca_file.as_deref())?;
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls.config)
        .user_agent(concat!("snow-connect/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(opts.connect_timeout)
        .timeout(opts.request_timeout)
        // A ServiceNow API never redirects; a 3xx is a login page or a proxy.
        .redirect(reqwest::redirect::Policy::none())
        .gzip(true)
        .dns_resolver(std::sync::Arc::new(Resolver))
        // We read the proxy variables ourselves (see proxy.rs).
        .no_proxy();
    if let Some(settings) = opts.proxy.settings()
        && let Some(proxy) = settings.to_reqwest()?
    {
        builder = builder.proxy(proxy);
    }
    let http = builder
        .build()
        .map_err(|e| Error::Setup(format!("cannot build the HTTP client: {}", deepest(&e))))?;
    Ok(Built {
        http,
        roots: tls.roots,
    })
}

/// Where a failed request was going, for the message.
pub(crate) struct Target<'a> {
    /// `host[:port]` of the instance.
    pub authority: &'a str,
    /// The host alone (for DNS messages).
    pub host: &'a str,
    /// `https` or `http`.
    pub scheme: &'a str,
    /// The proxy in the way, if any, e.g. `proxy p:3128 (from HTTPS_PROXY)`.
    pub proxy: Option<&'a str>,
    /// The likely intended instance, for DNS failures.
    pub suggestion: Option<String>,
    /// Timeouts, to say how long we waited.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// Trusted roots; 0 changes the advice for unknown issuers.
    pub roots: Option<usize>,
}

/// What the source chain of a reqwest error revealed.
#[derive(Default)]
struct Findings {
    dns: Option<(String, String)>,
    tls: Option<rustls::Error>,
    io: Option<io::ErrorKind>,
    hyper_parse: bool,
    hyper_incomplete: bool,
    hyper_closed: bool,
    tunnel: Option<String>,
}

fn investigate(e: &reqwest::Error) -> Findings {
    let mut f = Findings::default();
    let mut cur: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(d) = err.downcast_ref::<DnsFailure>() {
            f.dns = Some((d.host.clone(), d.reason.clone()));
        }
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            f.tls.get_or_insert_with(|| r.clone());
        }
        if let Some(io) = err.downcast_ref::<io::Error>() {
            f.io.get_or_insert(io.kind());
            // `io::Error::source` skips the wrapped error, and TLS errors arrive wrapped twice
            // (io::Error around io::Error around rustls::Error): unwrap by hand.
            let mut wrapped = io.get_ref();
            while let Some(inner) = wrapped {
                if let Some(r) = inner.downcast_ref::<rustls::Error>() {
                    f.tls.get_or_insert_with(|| r.clone());
                }
                if let Some(d) = inner.downcast_ref::<DnsFailure>() {
                    f.dns = Some((d.host.clone(), d.reason.clone()));
                }
                wrapped = inner
                    .downcast_ref::<io::Error>()
                    .and_then(io::Error::get_ref);
            }
        }
        if let Some(h) = err.downcast_ref::<hyper::Error>() {
            f.hyper_parse |= h.is_parse();
            f.hyper_incomplete |= h.is_incomplete_message();
            f.hyper_closed |= h.is_closed() || h.is_canceled();
        }
        // hyper-util does not export its TunnelError; its text is all we have.
        let text = err.to_string();
        if let Some(rest) = text.strip_prefix("tunnel error: ") {
            f.tunnel.get_or_insert(rest.to_string());
        }
        cur = err.source();
    }
    f
}

/// The innermost message of an error chain (no URL, unlike reqwest's own `Display`).
pub(crate) fn deepest(e: &(dyn StdError + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Turns a reqwest error into the typed error a person can act on.
pub(crate) fn classify(e: &reqwest::Error, t: &Target<'_>) -> Error {
    let f = investigate(e);
    let via = |what: &str| match t.proxy {
        Some(p) => format!("{what} via {p}"),
        None => what.to_string(),
    };

    if e.is_timeout() {
        let connecting = e.is_connect();
        return Error::Timeout {
            host: via(t.authority),
            after: if connecting {
                t.connect_timeout
            } else {
                t.request_timeout
            },
            request_sent: !connecting,
        };
    }

    if let Some((name, reason)) = f.dns {
        if name.eq_ignore_ascii_case(t.host) || t.proxy.is_none() {
            return Error::Dns {
                host: name,
                suggestion: t.suggestion.clone(),
            };
        }
        return Error::Connect {
            host: t.proxy.unwrap_or(t.authority).to_string(),
            detail: format!("the proxy host {name} does not resolve ({reason}); check HTTPS_PROXY"),
        };
    }

    if let Some(tunnel) = f.tunnel.as_deref() {
        let proxy = t.proxy.unwrap_or("the proxy").to_string();
        let detail = match tunnel {
            "proxy authorization required" => {
                "the proxy requires a user name and password (HTTP 407); put them in the proxy URL: HTTPS_PROXY=http://user:password@proxy:port".to_string()
            }
            "unsuccessful" => format!(
                "the proxy refused to open a tunnel to {}: the name may not exist{}, or the proxy blocks it (ask whoever runs the proxy to allow this host on port 443)",
                t.authority,
                t.suggestion
                    .as_ref()
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default()
            ),
            _ if f.io == Some(io::ErrorKind::ConnectionRefused) => {
                return Error::ConnectionRefused { host: proxy };
            }
            other => format!("the proxy tunnel failed: {other}"),
        };
        return Error::Connect {
            host: proxy,
            detail,
        };
    }

    if let Some(tls) = f.tls {
        return Error::Tls {
            host: via(t.authority),
            detail: tls_in_words(&tls, t),
        };
    }

    if f.io == Some(io::ErrorKind::ConnectionRefused) {
        return Error::ConnectionRefused {
            host: t.proxy.unwrap_or(t.authority).to_string(),
        };
    }

    if f.hyper_parse {
        if t.scheme == "http" {
            return Error::Tls {
                host: t.authority.to_string(),
                detail: format!(
                    "the server did not answer in plain HTTP; it probably expects TLS: use https://{}",
                    t.authority
                ),
            };
        }
        return Error::InvalidResponse {
            url: t.authority.to_string(),
            reason: "the answer is not valid HTTP".into(),
        };
    }

    if e.is_connect() {
        let detail = match f.io {
            Some(io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted) => {
                "the connection was reset while it was being set up (often a firewall)".into()
            }
            Some(io::ErrorKind::UnexpectedEof) => {
                "the server closed the connection during set-up (TLS handshake); check the port and any firewall".into()
            }
            Some(io::ErrorKind::NetworkUnreachable | io::ErrorKind::HostUnreachable) => {
                "the network or host is unreachable from this machine".into()
            }
            _ => deepest(e),
        };
        return Error::Connect {
            host: via(t.authority),
            detail,
        };
    }

    if e.is_decode()
        && matches!(
            f.io,
            Some(io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput)
        )
    {
        return Error::InvalidResponse {
            url: t.authority.to_string(),
            reason: "the compressed body could not be decoded".into(),
        };
    }

    let reading_body = e.is_body() || e.is_decode();
    let detail =
        if reading_body && (f.hyper_incomplete || f.io == Some(io::ErrorKind::UnexpectedEof)) {
            "the server closed the connection in the middle of the answer".to_string()
        } else if f.hyper_incomplete || f.hyper_closed {
            "the server closed the connection without answering".to_string()
        } else {
            match f.io {
                Some(io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted) => {
                    "the connection was reset".to_string()
                }
                _ => deepest(e),
            }
        };
    Error::Interrupted {
        host: via(t.authority),
        detail,
    }
}

/// rustls' verdict in words a person can act on.
fn tls_in_words(e: &rustls::Error, t: &Target<'_>) -> String {
    use rustls::CertificateError as C;
    let trust_advice =
        "if a corporate proxy inspects TLS, trust its CA with --ca-file PEM or SSL_CERT_FILE";
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => {
                if t.roots == Some(0) {
                    format!(
                        "the certificate cannot be checked: no trusted root certificates were found on this machine (install the ca-certificates package, or point SSL_CERT_FILE or --ca-file at a PEM bundle); {trust_advice}"
                    )
                } else {
                    format!(
                        "the certificate was issued by an authority this machine does not trust (unknown issuer); {trust_advice}"
                    )
                }
            }
            C::Expired | C::ExpiredContext { .. } => {
                "the server's certificate has expired (or this machine's clock is wrong)".into()
            }
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "the server's certificate is not valid yet; check this machine's clock".into()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => format!(
                "the certificate is not valid for {} (hostname mismatch); check the instance URL, or whether a proxy answers in the instance's place",
                t.host
            ),
            C::Revoked => "the server's certificate has been revoked".into(),
            other => format!("the server's certificate was rejected ({other:?}); {trust_advice}"),
        },
        rustls::Error::InvalidMessage(_) => format!(
            "the server did not answer in TLS; the port probably speaks plain HTTP (for a local simulator without --tls use http://{})",
            t.authority
        ),
        rustls::Error::AlertReceived(alert) => format!(
            "the server ended the TLS handshake ({alert:?}); it may not support TLS 1.2 or 1.3"
        ),
        rustls::Error::PeerIncompatible(p) => {
            format!("the server's TLS is incompatible with this client ({p:?})")
        }
        other => format!("TLS failed: {other}"),
    }
}
