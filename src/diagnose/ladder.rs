//! The connection ladder's runner: the rungs of `rungs.rs` (URL, network, instance, token, the
//! ACL probes concurrently, dictionary discovery, the test incident) in dependency rounds.
//! Results stream out as they finish.

use std::sync::Arc;

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use secrecy::SecretString;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::cause::{CauseId, Verdict};
use super::dictionary::{Prefetch, guess_chain};
use super::fixes::FixContext;
use super::plan::{self, Assessment};
use super::probes::Outcome;
use super::rungs::{self, Env, Found, LADDER, Rung, RungId, TARGET_TABLE};
use super::{CheckId, CheckResult, CheckStatus, Dictionary, DictionaryError};
use crate::servicenow::{Client, ClientOptions, Credentials, Error};

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

/// The test incident the `incident:create` check made, as its outcome shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestIncident {
    /// `INC0010001`.
    pub number: String,
    /// The link a person can open.
    pub url: String,
}

type MakeTestIncident = dyn for<'a> Fn(&'a Client, Option<&'a Dictionary>) -> BoxFuture<'a, Result<TestIncident, Error>>
    + Send
    + Sync;

/// How the `incident:create` check makes its test incident. Making incidents is
/// `crate::incident`'s, a peer layer the ladder does not import (DESIGN.md section 5), so the
/// command that wants one passes this in (`commands::check::test_incident_maker`). It gets the
/// authenticated client and the incident dictionary when discovery read it.
#[derive(Clone)]
pub struct TestIncidentMaker(Arc<MakeTestIncident>);

impl TestIncidentMaker {
    /// A maker from a function: `|client, dictionary| Box::pin(async move { … })`.
    pub fn new<F>(make: F) -> TestIncidentMaker
    where
        F: for<'a> Fn(
                &'a Client,
                Option<&'a Dictionary>,
            ) -> BoxFuture<'a, Result<TestIncident, Error>>
            + Send
            + Sync
            + 'static,
    {
        TestIncidentMaker(Arc::new(make))
    }

    /// Make the test incident.
    pub(crate) fn make<'a>(
        &'a self,
        client: &'a Client,
        dictionary: Option<&'a Dictionary>,
    ) -> BoxFuture<'a, Result<TestIncident, Error>> {
        (self.0)(client, dictionary)
    }
}

impl std::fmt::Debug for TestIncidentMaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestIncidentMaker")
    }
}

/// What to run besides the ladder.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Create a clearly labelled test incident (`incident:create`) with this maker; without
    /// one the check is skipped, saying how to ask for it.
    pub create_test_incident: Option<TestIncidentMaker>,
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
            Some(Ok(d)) => Some(d.selectable_count()),
            _ => None,
        }
    }
}

/// Results as they come, with the events the caller listens to.
struct Ladder {
    events: Option<UnboundedSender<CheckEvent>>,
    results: Vec<Option<CheckResult>>,
}

/// The position of `id` in ladder order.
pub(crate) fn index(id: CheckId) -> usize {
    CheckId::ALL.iter().position(|c| *c == id).unwrap_or(0)
}

fn rung_index(id: RungId) -> usize {
    LADDER.iter().position(|r| r.id == id).unwrap_or(0)
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

    fn statuses(&self) -> Vec<Option<CheckStatus>> {
        self.results
            .iter()
            .map(|r| r.as_ref().map(|r| r.status))
            .collect()
    }

    /// The first check of `rung` that did not pass (warnings pass), with its cause.
    fn failed(&self, rung: &Rung) -> Option<(CheckId, Option<CauseId>)> {
        rung.checks
            .iter()
            .find_map(|id| match &self.results[index(*id)] {
                Some(r) if matches!(r.status, CheckStatus::Passed | CheckStatus::Warning) => None,
                Some(r) => Some((*id, r.cause)),
                None => Some((*id, None)),
            })
    }

    /// Every check of `rung` without a result is skipped for `reason`, pointing at `cause`.
    fn skip(&mut self, rung: &Rung, reason: &str, cause: Option<CauseId>) {
        for id in rung.checks {
            if self.results[index(*id)].is_none() {
                self.finish(*id, Outcome::skipped_for(reason, cause), 0);
            }
        }
    }

    fn into_results(self) -> Vec<CheckResult> {
        self.results.into_iter().flatten().collect()
    }
}

/// Run the ladder. Sends [`CheckEvent`]s on `events` as checks start and finish; stops early
/// (remaining checks `skipped`) when `cancel` fires. A check that is finished twice (discovery
/// found a denial the probe could not see) is sent again; the later result wins.
///
/// One runner for every rung of [`LADDER`]: each round runs, concurrently, every rung whose
/// dependencies are finished; a rung whose needed rung did not pass is skipped, pointing at
/// that rung's cause.
pub async fn run_checks(
    input: &ConnectionInput,
    opts: &CheckOptions,
    events: Option<UnboundedSender<CheckEvent>>,
    cancel: CancellationToken,
) -> Diagnosis {
    let mut l = Ladder::new(events);
    let mut env = Env {
        input,
        opts,
        cancel: &cancel,
        url: None,
        ctx: FixContext::new(&input.username, ""),
        client: None,
        guess: if opts.discover_fields {
            guess_chain(TARGET_TABLE)
        } else {
            None
        },
        prefetch: std::sync::Mutex::new(Prefetch::default()),
        budget: crate::servicenow::Budget::new(opts.client.budget),
        statuses: vec![None; CheckId::ALL.len()],
        dictionary: None,
    };
    let mut connected: Option<Client> = None;
    let mut test_incident = None;
    let mut done = vec![false; LADDER.len()];
    while done.iter().any(|d| !d) {
        let before = done.iter().filter(|d| **d).count();
        let mut ready = Vec::new();
        for (i, rung) in LADDER.iter().enumerate() {
            let waiting = rung
                .needs
                .iter()
                .chain(rung.after)
                .any(|d| !done[rung_index(*d)]);
            if done[i] || waiting {
                continue;
            }
            let blocked = rung
                .needs
                .iter()
                .find_map(|d| l.failed(&LADDER[rung_index(*d)]));
            if cancel.is_cancelled() {
                l.skip(rung, "cancelled", None);
            } else if let Some((failed, cause)) = blocked {
                l.skip(rung, &rungs::skip_reason(failed, cause), cause);
            } else if let Some(reason) = rungs::not_wanted(rung.id, opts) {
                l.skip(rung, reason, None);
            } else {
                ready.push(i);
                continue;
            }
            done[i] = true;
        }
        if ready.is_empty() {
            // Only skips this round; the next one sees them as finished. Dependencies point
            // backwards (a test pins it), so some rung is always finished; stop rather than spin.
            if done.iter().filter(|d| **d).count() == before {
                break;
            }
            continue;
        }
        for i in &ready {
            for id in LADDER[*i].checks {
                l.send(CheckEvent::Started(*id));
            }
        }
        let shared = &env;
        let mut round: FuturesUnordered<_> = ready
            .iter()
            .map(|i| async move { (*i, rungs::run(LADDER[*i].id, shared).await) })
            .collect();
        let mut found = Vec::new();
        while let Some((i, out)) = round.next().await {
            for (id, outcome) in out.outcomes {
                l.finish(id, outcome, out.elapsed_ms);
            }
            // A rung that could not report (no client) leaves its checks for the skip below.
            l.skip(&LADDER[i], "not run", None);
            found.push(out.found);
            done[i] = true;
        }
        drop(round);
        for f in found {
            match f {
                Found::Url(u) => {
                    env.ctx = FixContext::for_url(&input.username, &u);
                    env.url = Some(u);
                }
                Found::Client(c) => env.client = Some(c),
                // Handed out only once it holds a token: the caller reuses it.
                Found::Token => connected = env.client.clone(),
                Found::Dictionary(d) => env.dictionary = Some(d),
                Found::TestIncident(n) => test_incident = Some(n),
                Found::Nothing => {}
            }
        }
        env.statuses = l.statuses();
    }
    for rung in LADDER {
        l.skip(rung, "not run", None);
    }
    Diagnosis {
        instance_url: env.url.as_ref().map(|u| u.as_str().to_string()),
        results: l.into_results(),
        client: connected,
        dictionary: env.dictionary,
        test_incident,
        context: env.ctx,
    }
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
