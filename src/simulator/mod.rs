//! A ServiceNow simulator (axum) that behaves like a real instance as described in
//! `servicenow-facts.md`: OAuth password grant, Table API, ACL denials, hibernation, rate limits.
//!
//! Library first: [`Simulator::start`] runs it in-process on a loopback port for tests and
//! `--demo`; `snow-connect simulator` runs the same thing in the foreground.
//! It knows nothing of the client in `crate::servicenow`.

mod options;

pub use options::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, SimOptions};

use std::net::SocketAddr;
use std::path::PathBuf;

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
        "unknown ACL {0:?} for --deny (try sys_dictionary, sys_dictionary.*, incident.create ...)"
    )]
    UnknownAcl(String),
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
    ca_cert: Option<PathBuf>,
    options: SimOptions,
}

impl Simulator {
    /// Start the simulator on `options.listen` (default `127.0.0.1:0`) and return once it
    /// accepts connections.
    pub async fn start(options: SimOptions) -> Result<Simulator, SimError> {
        let _ = options;
        todo!("simulator")
    }

    /// Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// With `--tls`: the PEM file of the CA that signed the server certificate.
    pub fn ca_cert_path(&self) -> Option<&std::path::Path> {
        self.ca_cert.as_deref()
    }

    /// The options it runs with (credentials included).
    pub fn options(&self) -> &SimOptions {
        &self.options
    }

    /// How many incidents exist now (seeded demo data plus created ones).
    pub fn incident_count(&self) -> usize {
        todo!("simulator")
    }

    /// How many HTTP requests the simulator has answered so far (all paths).
    pub fn request_count(&self) -> u64 {
        todo!("simulator")
    }

    /// Total bytes of response bodies sent so far (before compression).
    pub fn bytes_sent(&self) -> u64 {
        todo!("simulator")
    }

    /// Stop serving and wait for in-flight requests to end.
    pub async fn shutdown(self) {
        todo!("simulator")
    }
}
