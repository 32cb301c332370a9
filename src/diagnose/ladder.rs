//! The connection ladder: URL, network, instance, token, then the ACL probes concurrently,
//! then dictionary discovery. Results stream out as they finish.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use secrecy::SecretString;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::cause::{CauseId, Verdict};
use super::dictionary::{
    CHOICE_REQUIRED, DICT_REQUIRED, GLIDE_FIELDS, Prefetch, chain_query_by_name, choice_query,
    dictionary_query, discover_with, glide_query, guess_chain, read_all, read_page,
};
use super::fixes::{self, FixContext};
use super::plan::{self, Assessment};
use super::probes::{self, Outcome, ReadOutcome, access};
use super::{CheckId, CheckResult, CheckStatus, Dictionary, DictionaryError};
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
    /// Who and where, for the fix texts of the assessment.
    pub context: FixContext,
}

/// The table the integration writes to; the ladder proves access for it.
const TARGET_TABLE: &str = "incident";

/// The longest the test incident waits out rate limits; a longer `Retry-After` is reported.
const TEST_INCIDENT_RATE_LIMIT_BUDGET: Duration = Duration::from_secs(15);

impl Diagnosis {
    /// Causes, the admin plan and the verdict of this run (checks and discovery).
    pub fn assessment(&self) -> Assessment {
        self.assessment_with(Vec::new())
    }

    /// [`Diagnosis::assessment`] with causes found elsewhere (the endpoints).
    pub fn assessment_with(&self, mut extra: Vec<super::cause::Cause>) -> Assessment {
        // Discovery that failed for a reason of the instance (429, outage) is a cause even
        // when every probe passed; a denial there already re-finished its check.
        if let Some(Err(DictionaryError::Client(e))) = &self.dictionary
            && let Some(c) = plan::cause_from_error(
                e,
                "the incident dictionary could not be read",
                &self.context,
            )
        {
            extra.insert(0, c);
        }
        plan::assess(&self.results, extra, &self.context)
    }

    /// True when every required check passed (warnings allowed), and a test incident, when
    /// one was asked for, was created.
    pub fn ok(&self) -> bool {
        self.verdict() == Verdict::Works
    }

    /// What the caller should do next (only `commands/` turns it into an exit code).
    pub fn verdict(&self) -> Verdict {
        let complete = CheckId::ALL.iter().all(|id| self.result(*id).is_some());
        if complete {
            self.assessment().verdict
        } else {
            Verdict::MustChange
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

    /// Every check without a result is skipped for `reason`, pointing at `cause`.
    fn skip_rest(&mut self, reason: &str, cause: Option<CauseId>) {
        for id in CheckId::ALL {
            if self.results[index(id)].is_none() {
                self.finish(id, Outcome::skipped_for(reason, cause), 0);
            }
        }
    }

    fn cause(&self, id: CheckId) -> Option<CauseId> {
        self.results[index(id)].as_ref().and_then(|r| r.cause)
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
        context: FixContext::new(&input.username, ""),
    };
    macro_rules! stop {
        ($reason:expr, $cause:expr) => {{
            let (reason, cause): (&str, Option<CauseId>) = if cancel.is_cancelled() {
                ("cancelled", None)
            } else {
                ($reason, $cause)
            };
            l.skip_rest(reason, cause);
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
                Outcome {
                    cause: Some(CauseId::InvalidUrl),
                    ..Outcome::blocked(
                        format!("the instance URL is not usable: {e}"),
                        Some(format!("typed: {:?}", input.instance_url.trim())),
                        Some(e.to_string()),
                    )
                },
                ms(t),
            );
            stop!(
                "skipped: no usable instance URL (instance_url blocked)",
                Some(CauseId::InvalidUrl)
            );
        }
    };
    l.finish(
        CheckId::InstanceUrl,
        url_outcome(&input.instance_url, &url),
        ms(t),
    );
    diag.instance_url = Some(url.as_str().to_string());
    let ctx = FixContext::for_url(&input.username, &url);
    diag.context = ctx.clone();
    if cancel.is_cancelled() {
        stop!("cancelled", None);
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
        let cause = l.cause(CheckId::Reachability);
        stop!("skipped: cannot connect (see the cause above)", cause);
    }
    if !inst_ok {
        let cause = l.cause(CheckId::Instance);
        stop!(
            "skipped: the instance did not answer like the ServiceNow API (see the cause above)",
            cause
        );
    }
    let Some(client) = client else {
        stop!("skipped: cannot connect", Some(CauseId::Unreachable));
    };

    // oauth: one attempt, never retried (lockout).
    l.start(CheckId::Oauth);
    let t = Instant::now();
    let token = cancellable(&cancel, client.authenticate()).await;
    let outcome = probes::oauth_outcome(&token, &ctx);
    let token_ok = outcome.status == CheckStatus::Passed;
    let token_cause = outcome.cause;
    l.finish(CheckId::Oauth, outcome, ms(t));
    if !token_ok {
        stop!("skipped: no token (see the cause of oauth)", token_cause);
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
        stop!("cancelled", None);
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
                Outcome::acl_missing(
                    CheckStatus::Blocked,
                    format!("reading the {TARGET_TABLE} dictionary needs the read ACL {acl}"),
                    evidence.clone(),
                    acl.clone(),
                    &ctx,
                ),
                ms(t),
            );
        }
        diag.dictionary = Some(found);
        if cancel.is_cancelled() {
            stop!("cancelled", None);
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

    fn diag(statuses: &[(CheckId, CheckStatus, Option<CauseId>)]) -> Diagnosis {
        let results = CheckId::ALL
            .iter()
            .map(|id| {
                let (status, cause) = statuses
                    .iter()
                    .find(|(i, _, _)| i == id)
                    .map(|(_, s, c)| (*s, *c))
                    .unwrap_or((CheckStatus::Passed, None));
                Outcome {
                    cause,
                    ..Outcome::skipped("")
                }
                .into_result(*id, 0)
                .with_status(status)
            })
            .collect();
        Diagnosis {
            instance_url: None,
            results,
            client: None,
            dictionary: None,
            test_incident: None,
            context: FixContext::default(),
        }
    }

    #[test]
    fn verdicts_follow_the_causes() {
        use CheckStatus::*;
        assert_eq!(diag(&[]).verdict(), Verdict::Works);
        assert_eq!(
            diag(&[
                (CheckId::AclSysChoice, Warning, Some(CauseId::MissingAcl)),
                (CheckId::IncidentCreate, Skipped, None)
            ])
            .verdict(),
            Verdict::Works
        );
        let cases = [
            (
                CheckId::AclSysDictionaryFields,
                Partial,
                Some(CauseId::MissingAcl),
                Verdict::MustChange,
            ),
            (
                CheckId::Oauth,
                Blocked,
                Some(CauseId::CredentialsRejected),
                Verdict::MustChange,
            ),
            (
                CheckId::Oauth,
                Inconclusive,
                Some(CauseId::Timeout),
                Verdict::Unreachable,
            ),
            (
                CheckId::Oauth,
                Inconclusive,
                Some(CauseId::RateLimited),
                Verdict::RetryLater,
            ),
            (
                CheckId::IncidentCreate,
                Blocked,
                Some(CauseId::InsertDenied),
                Verdict::MustChange,
            ),
            (
                CheckId::Instance,
                Inconclusive,
                Some(CauseId::Unavailable),
                Verdict::Unreachable,
            ),
            (
                CheckId::Instance,
                Blocked,
                Some(CauseId::NotServicenow),
                Verdict::Unreachable,
            ),
            (
                CheckId::Reachability,
                Blocked,
                Some(CauseId::Unreachable),
                Verdict::Unreachable,
            ),
            (
                CheckId::InstanceUrl,
                Blocked,
                Some(CauseId::InvalidUrl),
                Verdict::Usage,
            ),
            (
                CheckId::AclSysGlideObject,
                Blocked,
                None,
                Verdict::MustChange,
            ),
        ];
        for (id, status, cause, verdict) in cases {
            assert_eq!(
                diag(&[(id, status, cause)]).verdict(),
                verdict,
                "{id} {status:?}"
            );
        }
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
                .all(|r| r.status == CheckStatus::Skipped && r.cause == Some(CauseId::InvalidUrl))
        );
        assert_eq!(d.verdict(), Verdict::Usage);
        let mut finished = 0;
        while let Ok(e) = rx.try_recv() {
            if matches!(e, CheckEvent::Finished(_)) {
                finished += 1;
            }
        }
        assert_eq!(finished, CheckId::ALL.len());
    }
}
