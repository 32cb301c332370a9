//! The connection ladder: URL, network, instance, token, then the ACL probes concurrently,
//! then dictionary discovery. Results stream out as they finish.

use secrecy::SecretString;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::{CheckId, CheckResult, Dictionary, DictionaryError};
use crate::servicenow::{Client, ClientOptions};

/// What the user typed on the Connect screen (or what the config holds).
#[derive(Clone)]
pub struct ConnectionInput {
    /// As typed; normalised by the `instance_url` check.
    pub instance_url: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: SecretString,
    /// Integration user.
    pub username: String,
    /// Integration user's password.
    pub password: SecretString,
}

impl std::fmt::Debug for ConnectionInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionInput")
            .field("instance_url", &self.instance_url)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// What to run besides the ladder.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Create a clearly labelled test incident (`incident:create`).
    pub create_test_incident: bool,
    /// Read the incident dictionary after the ACL probes (for `fields` and the picker).
    pub discover_fields: bool,
    /// Transport settings.
    pub client: ClientOptions,
    /// The process's one `reqwest::Client`, when the caller already has one.
    pub http: Option<reqwest::Client>,
}

/// Progress, sent as it happens.
#[derive(Debug, Clone)]
pub enum CheckEvent {
    /// A check started (the wizard shows a spinner).
    Started(CheckId),
    /// A check finished.
    Finished(CheckResult),
}

/// Everything the ladder found.
#[derive(Debug)]
pub struct Diagnosis {
    /// The normalised URL, when it parsed.
    pub instance_url: Option<String>,
    /// One result per check id, in ladder order (every id present).
    pub results: Vec<CheckResult>,
    /// The authenticated client, when the token was obtained (reuse it: same token).
    pub client: Option<Client>,
    /// The dictionary, when asked for and readable.
    pub dictionary: Option<Result<Dictionary, DictionaryError>>,
    /// The number of the test incident, when one was created.
    pub test_incident: Option<String>,
}

impl Diagnosis {
    /// True when every required check passed (warnings allowed).
    pub fn ok(&self) -> bool {
        todo!("diagnose")
    }
    /// Exit code per DESIGN.md: 0 ok, 1 instance answered but something is denied, 3 unreachable.
    pub fn exit(&self) -> crate::exit::Exit {
        todo!("diagnose")
    }
    /// The result for one id.
    pub fn result(&self, id: CheckId) -> Option<&CheckResult> {
        self.results.iter().find(|r| r.id == id)
    }
}

/// Run the ladder. Sends [`CheckEvent`]s on `events` as checks start and finish; stops early
/// (remaining checks `skipped`) when `cancel` fires.
pub async fn run_checks(
    input: &ConnectionInput,
    opts: &CheckOptions,
    events: Option<UnboundedSender<CheckEvent>>,
    cancel: CancellationToken,
) -> Diagnosis {
    let _ = (input, opts, events, cancel);
    todo!("diagnose: ladder")
}
