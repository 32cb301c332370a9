//! The connection ladder: URL, network, instance, token, then the ACL probes concurrently,
//! then dictionary discovery. Results stream out as they finish.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use secrecy::SecretString;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::dictionary::{
    CHOICE_REQUIRED, DICT_REQUIRED, GLIDE_FIELDS, Prefetch, chain_query_by_name, choice_query,
    dictionary_query, discover_with, glide_query, guess_chain, read_all, read_page,
};
use super::fixes::{self, FixContext};
use super::probes::{self, Outcome, ReadOutcome, access};
use super::{CheckId, CheckResult, CheckStatus, Dictionary, DictionaryError};
use crate::exit::Exit;
use crate::incident::send_policy::{self, RateLimitWait};
use crate::servicenow::{
    Client, ClientOptions, Credentials, EncodedQuery, Error, InstanceUrl, TableQuery,
};

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

impl ConnectionInput {
    /// The four values the token request needs.
    pub fn credentials(&self) -> Credentials {
        Credentials {
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            username: self.username.clone(),
            password: self.password.clone(),
        }
    }
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

/// The table the integration writes to; the ladder proves access for it.
const TARGET_TABLE: &str = "incident";

/// The longest the test incident waits out rate limits; a longer `Retry-After` is reported.
const TEST_INCIDENT_RATE_LIMIT_BUDGET: Duration = Duration::from_secs(15);

impl Diagnosis {
    /// True when every required check passed (warnings allowed), and a test incident, when
    /// one was asked for, was created.
    pub fn ok(&self) -> bool {
        CheckId::ALL
            .iter()
            .all(|id| self.result(*id).is_some_and(CheckResult::is_ok))
    }

    /// Exit code per DESIGN.md: 0 ok, 1 instance answered but something is denied, 2 the URL
    /// is not usable, 3 unreachable.
    pub fn exit(&self) -> Exit {
        let passed = |id| {
            self.result(id)
                .is_some_and(|r| matches!(r.status, CheckStatus::Passed | CheckStatus::Warning))
        };
        if self.ok() {
            Exit::Success
        } else if !passed(CheckId::InstanceUrl) {
            Exit::Usage
        } else if !passed(CheckId::Reachability) || !passed(CheckId::Instance) {
            Exit::Unreachable
        } else {
            Exit::Denied
        }
    }

    /// The result for one id.
    pub fn result(&self, id: CheckId) -> Option<&CheckResult> {
        self.results.iter().find(|r| r.id == id)
    }

    /// Number of fields the Additional Fields picker offers, when the dictionary was read.
    pub fn selectable_fields(&self) -> Option<usize> {
        match &self.dictionary {
            Some(Ok(d)) => Some(d.selectable().count()),
            _ => None,
        }
    }
}

/// Results as they come, with the events the caller listens to.
struct Ladder {
    events: Option<UnboundedSender<CheckEvent>>,
    results: Vec<Option<CheckResult>>,
}

fn index(id: CheckId) -> usize {
    CheckId::ALL.iter().position(|c| *c == id).unwrap_or(0)
}

fn ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl Ladder {
    fn new(events: Option<UnboundedSender<CheckEvent>>) -> Ladder {
        Ladder {
            events,
            results: vec![None; CheckId::ALL.len()],
        }
    }

    fn send(&self, e: CheckEvent) {
        if let Some(tx) = &self.events {
            // A listener that went away (the wizard left the screen) is not an error.
            let _ = tx.send(e);
        }
    }

    fn start(&self, id: CheckId) {
        self.send(CheckEvent::Started(id));
    }

    /// Record a result. A second result for the same id supersedes the first (sent again).
    fn finish(&mut self, id: CheckId, outcome: Outcome, elapsed_ms: u64) {
        let r = outcome.into_result(id, elapsed_ms);
        tracing::info!(
            check = id.as_str(),
            status = r.status.as_str(),
            elapsed_ms,
            summary = %r.summary,
            "check finished"
        );
        self.send(CheckEvent::Finished(r.clone()));
        self.results[index(id)] = Some(r);
    }

    fn status(&self, id: CheckId) -> Option<CheckStatus> {
        self.results[index(id)].as_ref().map(|r| r.status)
    }

    /// Every check without a result is skipped for `reason`.
    fn skip_rest(&mut self, reason: &str) {
        for id in CheckId::ALL {
            if self.results[index(id)].is_none() {
                self.finish(id, Outcome::skipped(reason), 0);
            }
        }
    }

    fn into_results(self) -> Vec<CheckResult> {
        self.results.into_iter().flatten().collect()
    }
}

/// Run `fut` unless `cancel` fires first.
async fn cancellable<T>(
    cancel: &CancellationToken,
    fut: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(Error::Cancelled),
        r = fut => r,
    }
}

/// The four metadata reads that run concurrently once the token is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    DbObject,
    Dictionary,
    Glide,
    Choice,
}

/// One probe read. With `guess` (discovery wanted) the dictionary and choice probes read the
/// whole guessed chain, so that discovery usually needs no further round trip.
async fn run_probe(
    probe: Probe,
    client: &Client,
    cancel: &CancellationToken,
    guess: Option<&[String]>,
) -> (Probe, ReadOutcome, u64) {
    let t = Instant::now();
    let small_chain = [TARGET_TABLE.to_string(), "task".to_string()];
    let read = match (probe, guess) {
        (Probe::DbObject, _) => {
            cancellable(
                cancel,
                read_page(client, &chain_query_by_name(TARGET_TABLE)),
            )
            .await
        }
        (Probe::Dictionary, Some(g)) => {
            cancellable(cancel, read_all(client, &dictionary_query(g))).await
        }
        (Probe::Dictionary, None) => {
            let q = dictionary_query(&small_chain)
                .fields(&DICT_REQUIRED)
                .limit(1);
            cancellable(cancel, read_page(client, &q)).await
        }
        (Probe::Glide, Some(_)) => cancellable(cancel, read_all(client, &glide_query())).await,
        (Probe::Glide, None) => {
            cancellable(cancel, read_page(client, &glide_query().limit(1))).await
        }
        (Probe::Choice, Some(g)) => cancellable(cancel, read_all(client, &choice_query(g))).await,
        (Probe::Choice, None) => {
            let q = TableQuery::new("sys_choice")
                .query(EncodedQuery::new().is_in("name", &small_chain))
                .fields(&CHOICE_REQUIRED)
                .limit(1);
            cancellable(cancel, read_page(client, &q)).await
        }
    };
    (probe, read, ms(t))
}

/// ServiceNow's own sites, which are never a customer's instance.
fn is_servicenow_own_site(host: &str) -> bool {
    matches!(
        host,
        "developer.servicenow.com"
            | "support.servicenow.com"
            | "www.servicenow.com"
            | "servicenow.com"
            | "docs.servicenow.com"
            | "hi.service-now.com"
            | "signon.service-now.com"
    )
}

fn url_outcome(input: &str, url: &InstanceUrl) -> Outcome {
    let typed = input.trim();
    let mut out = if typed == url.as_str() {
        Outcome::passed(url.as_str())
    } else {
        Outcome::passed(format!("{} (normalised from {typed:?})", url.as_str()))
    };
    if is_servicenow_own_site(url.host()) {
        out.status = CheckStatus::Warning;
        out.summary = format!(
            "{}: this is one of ServiceNow's own sites, not your company's instance",
            url.as_str()
        );
        out.fix = Some(
            "Use your instance's address, usually https://NAME.service-now.com (a personal \
             developer instance looks like https://dev12345.service-now.com)."
                .to_string(),
        );
    }
    out
}

/// Run the ladder. Sends [`CheckEvent`]s on `events` as checks start and finish; stops early
/// (remaining checks `skipped`) when `cancel` fires. A check that is finished twice (discovery
/// found a denial the probe could not see) is sent again; the later result wins.
pub async fn run_checks(
    input: &ConnectionInput,
    opts: &CheckOptions,
    events: Option<UnboundedSender<CheckEvent>>,
    cancel: CancellationToken,
) -> Diagnosis {
    let mut l = Ladder::new(events);
    let mut diag = Diagnosis {
        instance_url: None,
        results: Vec::new(),
        client: None,
        dictionary: None,
        test_incident: None,
    };
    macro_rules! stop {
        ($reason:expr) => {{
            let reason: &str = if cancel.is_cancelled() {
                "cancelled"
            } else {
                $reason
            };
            l.skip_rest(reason);
            diag.results = l.into_results();
            return diag;
        }};
    }

    // instance_url
    l.start(CheckId::InstanceUrl);
    let t = Instant::now();
    let url = match InstanceUrl::parse(&input.instance_url) {
        Ok(u) => u,
        Err(e) => {
            l.finish(
                CheckId::InstanceUrl,
                Outcome::blocked(
                    format!("the instance URL is not usable: {e}"),
                    Some(format!("typed: {:?}", input.instance_url.trim())),
                    Some(e.to_string()),
                ),
                ms(t),
            );
            stop!("skipped: no usable instance URL (instance_url blocked)");
        }
    };
    l.finish(
        CheckId::InstanceUrl,
        url_outcome(&input.instance_url, &url),
        ms(t),
    );
    diag.instance_url = Some(url.as_str().to_string());
    let ctx = FixContext::new(&input.username, url.host());
    if cancel.is_cancelled() {
        stop!("cancelled");
    }

    // reachability + instance
    l.start(CheckId::Reachability);
    l.start(CheckId::Instance);
    let t = Instant::now();
    let http = match &opts.http {
        Some(h) => Ok(h.clone()),
        None => Client::http_client(&opts.client),
    };
    let (client, probe) = match http {
        Ok(http) => {
            let client = Client::with_http(url.clone(), input.credentials(), http, &opts.client);
            let r = cancellable(&cancel, client.probe()).await;
            (Some(client), r)
        }
        Err(e) => (None, Err(e)),
    };
    // The DNS advice names the likely host even when the transport did not suggest one.
    let probe = match probe {
        Err(Error::Dns {
            host,
            suggestion: None,
        }) => Err(Error::Dns {
            host,
            suggestion: url.suggestion(),
        }),
        other => other,
    };
    let https = url.as_str().starts_with("https://");
    let shown = url
        .as_str()
        .split_once("://")
        .map_or(url.as_str(), |(_, h)| h);
    let (reach, inst) = probes::probe_outcomes(&probe, shown, https, &ctx);
    let elapsed = ms(t);
    let reach_ok = reach.status == CheckStatus::Passed;
    let inst_ok = inst.status == CheckStatus::Passed;
    l.finish(CheckId::Reachability, reach, elapsed);
    l.finish(CheckId::Instance, inst, elapsed);
    if !reach_ok {
        stop!("skipped: cannot connect (reachability blocked)");
    }
    if !inst_ok {
        stop!("skipped: not a ServiceNow API (instance blocked)");
    }
    let Some(client) = client else {
        stop!("skipped: cannot connect (reachability blocked)");
    };

    // oauth: one attempt, never retried (lockout).
    l.start(CheckId::Oauth);
    let t = Instant::now();
    let token = cancellable(&cancel, client.authenticate()).await;
    let outcome = probes::oauth_outcome(&token, &ctx);
    let token_ok = outcome.status == CheckStatus::Passed;
    l.finish(CheckId::Oauth, outcome, ms(t));
    if !token_ok {
        stop!("skipped: no token (oauth blocked)");
    }
    // Handed out only once it holds a token: the caller reuses it.
    diag.client = Some(client.clone());

    // ACL probes, concurrently; results stream out as each read returns.
    for id in CheckId::ALL.into_iter().filter(|id| id.acl().is_some()) {
        l.start(id);
    }
    let guess = if opts.discover_fields {
        guess_chain(TARGET_TABLE)
    } else {
        None
    };
    let mut reads: FuturesUnordered<_> = [
        Probe::DbObject,
        Probe::Dictionary,
        Probe::Glide,
        Probe::Choice,
    ]
    .into_iter()
    .map(|p| run_probe(p, &client, &cancel, guess.as_deref()))
    .collect();
    let mut pre = Prefetch::default();
    while let Some((probe, read, elapsed)) = reads.next().await {
        match probe {
            Probe::DbObject => {
                let (t, f) = probes::table_pair(
                    "sys_db_object",
                    &access(&read, &["name", "super_class"]),
                    &ctx,
                );
                l.finish(CheckId::AclSysDbObject, t, elapsed);
                l.finish(CheckId::AclSysDbObjectFields, f, elapsed);
                pre.chain = Some(read);
            }
            Probe::Dictionary => {
                let (t, f) =
                    probes::table_pair("sys_dictionary", &access(&read, &DICT_REQUIRED), &ctx);
                l.finish(CheckId::AclSysDictionary, t, elapsed);
                l.finish(CheckId::AclSysDictionaryFields, f, elapsed);
                pre.dictionary = guess.clone().map(|g| (g, read));
            }
            Probe::Glide => {
                let o = probes::glide_outcome(&access(&read, &GLIDE_FIELDS), &ctx);
                l.finish(CheckId::AclSysGlideObject, o, elapsed);
                if guess.is_some() {
                    pre.glide = Some(read);
                }
            }
            Probe::Choice => {
                let o = probes::choice_outcome(&access(&read, &CHOICE_REQUIRED), &ctx);
                l.finish(CheckId::AclSysChoice, o, elapsed);
                pre.choices = guess.clone().map(|g| (g, read));
            }
        }
    }
    drop(reads);
    if cancel.is_cancelled() {
        stop!("cancelled");
    }

    // Dictionary discovery, reusing the probes' reads.
    if opts.discover_fields {
        let t = Instant::now();
        let found = tokio::select! {
            biased;
            _ = cancel.cancelled() => Err(DictionaryError::Client(Error::Cancelled)),
            r = discover_with(&client, TARGET_TABLE, pre) => r,
        };
        if let Err(DictionaryError::Denied { acl, evidence }) = &found
            && let Some(id) = CheckId::for_acl(acl)
            && l.status(id) == Some(CheckStatus::Passed)
        {
            l.finish(
                id,
                Outcome::blocked(
                    format!("reading the {TARGET_TABLE} dictionary needs the read ACL {acl}"),
                    Some(evidence.clone()),
                    Some(fixes::missing_acl(acl, &ctx)),
                ),
                ms(t),
            );
        }
        diag.dictionary = Some(found);
        if cancel.is_cancelled() {
            stop!("cancelled");
        }
    }

    // incident:create, only when asked.
    if opts.create_test_incident {
        l.start(CheckId::IncidentCreate);
        let t = Instant::now();
        let known = diag.dictionary.as_ref().and_then(|d| d.as_ref().ok());
        let plan = crate::incident::plan_test(known);
        // The same policy as `send` (wait out a short rate limit, never resend an insert that
        // may have arrived), with a smaller budget: a check should not hang for a minute.
        let mut wait = RateLimitWait::new(TEST_INCIDENT_RATE_LIMIT_BUDGET);
        let created = cancellable(
            &cancel,
            send_policy::create_with_policy(&client, &plan, &mut wait, |m| {
                tracing::info!("{m}");
            }),
        )
        .await;
        let outcome = probes::create_outcome(&created, &ctx);
        if let Ok(c) = &created {
            diag.test_incident = Some(c.number.clone());
        }
        l.finish(CheckId::IncidentCreate, outcome, ms(t));
    } else {
        l.finish(
            CheckId::IncidentCreate,
            Outcome::skipped(fixes::how_to_create_test_incident()),
            0,
        );
    }
    diag.results = l.into_results();
    diag
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(statuses: &[(CheckId, CheckStatus)]) -> Diagnosis {
        let results = CheckId::ALL
            .iter()
            .map(|id| {
                let status = statuses
                    .iter()
                    .find(|(i, _)| i == id)
                    .map(|(_, s)| *s)
                    .unwrap_or(CheckStatus::Passed);
                Outcome {
                    status,
                    summary: String::new(),
                    evidence: None,
                    fix: None,
                }
                .into_result(*id, 0)
            })
            .collect();
        Diagnosis {
            instance_url: None,
            results,
            client: None,
            dictionary: None,
            test_incident: None,
        }
    }

    #[test]
    fn exit_codes_follow_the_ladder() {
        use CheckStatus::*;
        assert_eq!(diag(&[]).exit(), Exit::Success);
        assert_eq!(
            diag(&[
                (CheckId::AclSysChoice, Warning),
                (CheckId::IncidentCreate, Skipped)
            ])
            .exit(),
            Exit::Success
        );
        assert_eq!(
            diag(&[(CheckId::AclSysDictionaryFields, Partial)]).exit(),
            Exit::Denied
        );
        assert_eq!(diag(&[(CheckId::Oauth, Blocked)]).exit(), Exit::Denied);
        assert_eq!(
            diag(&[(CheckId::IncidentCreate, Blocked)]).exit(),
            Exit::Denied
        );
        assert_eq!(
            diag(&[(CheckId::Instance, Blocked)]).exit(),
            Exit::Unreachable
        );
        assert_eq!(
            diag(&[(CheckId::Reachability, Blocked)]).exit(),
            Exit::Unreachable
        );
        assert_eq!(diag(&[(CheckId::InstanceUrl, Blocked)]).exit(), Exit::Usage);
        let mut missing = diag(&[]);
        missing.results.pop();
        assert!(!missing.ok());
    }

    #[test]
    fn the_ladder_can_be_spawned() {
        fn assert_send<T: Send + 'static>(_: T) {}
        // The wizard runs the ladder in a tokio task: its future must be Send and own its data.
        assert_send(async {
            let input = ConnectionInput {
                instance_url: String::new(),
                client_id: String::new(),
                client_secret: SecretString::from(""),
                username: String::new(),
                password: SecretString::from(""),
            };
            run_checks(
                &input,
                &CheckOptions::default(),
                None,
                CancellationToken::new(),
            )
            .await
        });
    }

    #[test]
    fn own_sites_are_flagged() {
        assert!(is_servicenow_own_site("developer.servicenow.com"));
        assert!(!is_servicenow_own_site("acme.service-now.com"));
    }

    #[test]
    fn ladder_skips_everything_after_an_unusable_url() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        let Ok(rt) = rt else { panic!("runtime") };
        let input = ConnectionInput {
            instance_url: String::new(),
            client_id: "id".into(),
            client_secret: SecretString::from("s"),
            username: "u".into(),
            password: SecretString::from("p"),
        };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        // An empty URL is rejected by InstanceUrl::parse before any network use.
        let d = rt.block_on(run_checks(
            &input,
            &CheckOptions::default(),
            Some(tx),
            CancellationToken::new(),
        ));
        let ids: Vec<CheckId> = d.results.iter().map(|r| r.id).collect();
        assert_eq!(ids, CheckId::ALL.to_vec());
        assert_eq!(d.results[0].status, CheckStatus::Blocked);
        assert!(
            d.results[1..]
                .iter()
                .all(|r| r.status == CheckStatus::Skipped)
        );
        assert_eq!(d.exit(), Exit::Usage);
        let mut finished = 0;
        while let Ok(e) = rx.try_recv() {
            if matches!(e, CheckEvent::Finished(_)) {
                finished += 1;
            }
        }
        assert_eq!(finished, CheckId::ALL.len());
    }
}
