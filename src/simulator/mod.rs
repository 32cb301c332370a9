//! A ServiceNow simulator (axum) that behaves like a real instance as described in
//! `servicenow-facts.md`: OAuth password grant, Table API, ACL denials, hibernation, rate limits.
//!
//! Library first: [`Simulator::start`] runs it in-process on a loopback port for tests and
//! `--demo`; `snow-connect simulator` runs the same thing in the foreground.
//! It knows nothing of the client in `crate::servicenow`.
//!
//! From synchronous code, start it on a multi-threaded tokio runtime that outlives it:
//! `let sim = runtime.block_on(Simulator::start(options))?;` — it keeps serving on the
//! runtime's workers until dropped.

mod acl;
mod app;
mod dataset;
mod datetime;
mod extra_fields;
mod filter;
mod guard;
mod insert;
mod lockout;
mod negotiate;
mod oauth;
mod options;
mod query;
mod rate_limit;
mod render;
mod responses;
mod server;
mod store;
mod table_api;
mod tls;
mod update;

pub use lockout::LoginStats;
pub use options::{
    AuthErrorOrder, AuthScheme, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME,
    EmptyReferenceAll, FieldDenial, InvalidTableDetail, NameKeyedLinks, ReadOnlyWrites, SimOptions,
    SysTableDenial, TakenSysId, TokenJsonBody, UnknownQueryField,
};

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Largest `--extra-fields` accepted: far beyond any real instance, still fits in memory.
pub const MAX_EXTRA_FIELDS: u32 = 50_000;

/// How long [`Simulator::shutdown`] waits for open requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listen address is not loopback and `--public` was not given.
    #[error(
        "refusing to listen on {addr}: it is not a loopback address (add --public to allow it)"
    )]
    NotLoopback {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// The listen address could not be parsed.
    #[error("invalid listen address {input:?}: {reason}")]
    BadListen {
        /// What the user typed.
        input: String,
        /// Why it is not an address.
        reason: String,
    },
    /// A `--deny` value that names nothing the simulator knows.
    #[error(
        "unknown ACL {0:?} for --deny: use TABLE, TABLE.*, TABLE.FIELD, TABLE.read, \
         TABLE.create, TABLE.write or TABLE.delete with a table the simulator has (e.g. \
         sys_dictionary, sys_dictionary.*, sys_db_object, sys_glide_object, sys_choice, \
         incident.create, incident.read, incident.write, incident.delete)"
    )]
    UnknownAcl(String),
    /// A `--deny` value that looks like a misspelling of one the simulator knows.
    #[error(
        "unknown ACL {acl:?} for --deny: did you mean {suggestion:?}? (use TABLE, TABLE.*, \
         TABLE.FIELD, TABLE.read, TABLE.create, TABLE.write or TABLE.delete)"
    )]
    UnknownAclDidYouMean {
        /// What the user typed.
        acl: String,
        /// The closest ACL the simulator knows.
        suggestion: String,
    },
    /// Another flag has a value the simulator cannot use.
    #[error("{0}")]
    InvalidOption(String),
    /// Binding or serving failed.
    #[error("simulator I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The bundled dataset under assets/ is broken (a build problem, not a user one).
    #[error("simulator dataset is invalid: {0}")]
    Dataset(String),
    /// Generating the TLS certificate failed.
    #[error("could not set up TLS: {0}")]
    Tls(String),
}

/// A running simulator. Dropping it stops the server.
pub struct Simulator {
    base_url: String,
    shared: Arc<app::Shared>,
    stop: CancellationToken,
    tracker: TaskTracker,
    /// With `--tls`: the CA PEM, kept on disk for as long as the simulator runs.
    ca_file: Option<tempfile::NamedTempFile>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.base_url)
            .field("ca_cert", &self.ca_cert_path())
            .finish_non_exhaustive()
    }
}

/// `IP:PORT`, `[IPv6]:PORT`, a bare port (on 127.0.0.1), `localhost:PORT` or a bare IP.
fn parse_listen(input: &str) -> Result<SocketAddr, SimError> {
    let text = input.trim();
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let parsed = text
        .parse::<SocketAddr>()
        .ok()
        .or_else(|| {
            text.parse::<u16>()
                .ok()
                .map(|p| SocketAddr::new(loopback, p))
        })
        .or_else(|| {
            text.strip_prefix("localhost:")
                .and_then(|p| p.parse::<u16>().ok())
                .map(|p| SocketAddr::new(loopback, p))
        })
        .or_else(|| text.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 0)));
    parsed.ok_or_else(|| SimError::BadListen {
        input: input.to_string(),
        reason: "expected IP:PORT such as 127.0.0.1:8080, [::1]:8080 or a port number".into(),
    })
}

fn validate(options: &SimOptions) -> Result<(), SimError> {
    let positive = [
        (options.token_ttl, "--token-ttl"),
        (options.refresh_token_ttl, "--refresh-token-ttl"),
        (options.rate_limit_window, "--rate-limit-window"),
    ];
    for (value, flag) in positive {
        if value == 0 {
            return Err(SimError::InvalidOption(format!(
                "{flag} must be at least 1 second"
            )));
        }
    }
    if options.extra_fields > MAX_EXTRA_FIELDS {
        return Err(SimError::InvalidOption(format!(
            "--extra-fields {} is more than the simulator supports ({MAX_EXTRA_FIELDS})",
            options.extra_fields
        )));
    }
    Ok(())
}

impl Simulator {
    /// Start the simulator on `options.listen` (default `127.0.0.1:0`) and return once it
    /// accepts connections.
    pub async fn start(options: SimOptions) -> Result<Simulator, SimError> {
        let addr = parse_listen(&options.listen)?;
        if !options.public && !addr.ip().is_loopback() {
            return Err(SimError::NotLoopback { addr });
        }
        validate(&options)?;
        let load_options = options.clone();
        let (db, acl) = tokio::task::spawn_blocking(move || {
            let db = dataset::load(&load_options)?;
            let acl = acl::Acl::parse(&load_options.deny, &load_options.table_denial, &db)?;
            Ok::<_, SimError>((db, acl))
        })
        .await
        .map_err(|e| SimError::Io(std::io::Error::other(e)))??;
        let tls = if options.tls {
            Some(tls::setup(&options.tls_name)?)
        } else {
            None
        };
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        // Listening on every interface (--public): local clients reach it through loopback.
        let host = match local {
            SocketAddr::V4(a) if a.ip().is_unspecified() => format!("127.0.0.1:{}", a.port()),
            SocketAddr::V4(a) => format!("{}:{}", a.ip(), a.port()),
            SocketAddr::V6(a) if a.ip().is_unspecified() => format!("[::1]:{}", a.port()),
            SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
        };
        let base_url = format!("{scheme}://{host}");
        let shared = Arc::new(app::Shared::new(options, db, acl, scheme, host));
        let router = app::router(shared.clone());
        let stop = CancellationToken::new();
        let tracker = TaskTracker::new();
        let (acceptor, ca_file) = match tls {
            Some(setup) => (Some(setup.acceptor), Some(setup.ca_file)),
            None => (None, None),
        };
        tracker.spawn(server::serve(
            listener,
            router,
            acceptor,
            stop.clone(),
            tracker.clone(),
        ));
        tracing::info!(target: "snow_connect::simulator", %base_url, "simulator listening");
        Ok(Simulator {
            base_url,
            shared,
            stop,
            tracker,
            ca_file,
        })
    }

    /// Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// With `--tls`: the PEM file of the CA that signed the server certificate.
    pub fn ca_cert_path(&self) -> Option<&std::path::Path> {
        self.ca_file.as_ref().map(|f| f.path())
    }

    /// The options it runs with (credentials included).
    pub fn options(&self) -> &SimOptions {
        &self.shared.options
    }

    /// How many incidents exist now (seeded demo data plus created ones).
    pub fn incident_count(&self) -> usize {
        let db = self.shared.db();
        db.table("incident")
            .and_then(|t| db.tables.get(t))
            .map_or(0, |t| t.rows.len())
    }

    /// How many HTTP requests the simulator has answered so far (all paths).
    pub fn request_count(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// Login counters: password grants and Basic attempts received, failed logins, and
    /// whether `--lockout-after` has locked the integration user.
    pub fn login_stats(&self) -> LoginStats {
        self.shared.logins().stats()
    }

    /// How many `grant_type=password` requests `/oauth_token.do` has received, whatever
    /// their outcome (shorthand for `login_stats().password_grants`).
    pub fn password_grant_count(&self) -> u64 {
        self.login_stats().password_grants
    }

    /// Total bytes of response bodies sent so far (before compression).
    pub fn bytes_sent(&self) -> u64 {
        self.shared.bytes_sent.load(Ordering::Relaxed)
    }

    /// Stop serving and wait for in-flight requests to end.
    pub async fn shutdown(self) {
        self.stop.cancel();
        self.tracker.close();
        let tracker = self.tracker.clone();
        if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(target: "snow_connect::simulator", "shutdown grace period ran out");
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_forms() {
        let ok = |s: &str| parse_listen(s).map(|a| a.to_string()).ok();
        assert_eq!(ok("127.0.0.1:8080").as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(ok("8080").as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(ok("localhost:9").as_deref(), Some("127.0.0.1:9"));
        assert_eq!(ok("[::1]:7").as_deref(), Some("[::1]:7"));
        assert_eq!(ok("0.0.0.0").as_deref(), Some("0.0.0.0:0"));
        assert!(matches!(
            parse_listen("example.com:80"),
            Err(SimError::BadListen { .. })
        ));
    }

    #[test]
    fn zero_lifetimes_are_refused() {
        let options = SimOptions {
            token_ttl: 0,
            ..SimOptions::default()
        };
        assert!(matches!(
            validate(&options),
            Err(SimError::InvalidOption(_))
        ));
        let options = SimOptions {
            extra_fields: MAX_EXTRA_FIELDS + 1,
            ..SimOptions::default()
        };
        assert!(matches!(
            validate(&options),
            Err(SimError::InvalidOption(_))
        ));
    }
}
