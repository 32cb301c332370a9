//! The connection ladder as data: each rung decides some checks, needs other rungs to have
//! passed, and has one probe. The runner (`ladder.rs`) runs every rung whose dependencies are
//! met in the same concurrent round, so the floor stays one unauthenticated probe, one token
//! request and one round of metadata reads. Adding a check is one entry here and its probe.

use std::sync::Mutex;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::cause::CauseId;
use super::dictionary::{
    CHOICE_REQUIRED, DICT_REQUIRED, GLIDE_FIELDS, Prefetch, chain_query_by_name, choice_query,
    dictionary_query, discover_with, glide_query, read_all_keeping, read_page,
};
use super::fixes::{self, FixContext};
use super::ladder::{CheckOptions, ConnectionInput};
use super::probes::{self, Outcome, ReadOk, ReadOutcome, access};
use super::rows::{ChoiceRow, DictRow, GlideRow, Row};
use super::{CheckId, CheckStatus, Dictionary, DictionaryError};
use crate::servicenow::{Budget, Client, EncodedQuery, Error, InstanceUrl, TableQuery};

/// The table the integration writes to; the ladder proves access for it.
pub(crate) const TARGET_TABLE: &str = "incident";

/// A rung of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RungId {
    Url,
    Connect,
    Token,
    DbObject,
    Dictionary,
    Glide,
    Choice,
    Discovery,
    Create,
}

/// One rung: the checks it decides and what it waits for.
#[derive(Debug)]
pub(crate) struct Rung {
    pub id: RungId,
    /// The checks this rung decides (discovery decides none, but may correct one).
    pub checks: &'static [CheckId],
    /// Rungs whose checks must all pass first; otherwise this rung's checks are skipped,
    /// pointing at the cause of the first that did not.
    pub needs: &'static [RungId],
    /// Rungs that must have finished first, whatever their outcome.
    pub after: &'static [RungId],
}

const ACL_PROBES: [RungId; 4] = [
    RungId::DbObject,
    RungId::Dictionary,
    RungId::Glide,
    RungId::Choice,
];

/// The ladder, in the order of DESIGN.md section 4.
pub(crate) const LADDER: &[Rung] = &[
    Rung {
        id: RungId::Url,
        checks: &[CheckId::InstanceUrl],
        needs: &[],
        after: &[],
    },
    Rung {
        id: RungId::Connect,
        checks: &[CheckId::Reachability, CheckId::Instance],
        needs: &[RungId::Url],
        after: &[],
    },
    Rung {
        id: RungId::Token,
        checks: &[CheckId::Oauth],
        needs: &[RungId::Connect],
        after: &[],
    },
    Rung {
        id: RungId::DbObject,
        checks: &[CheckId::AclSysDbObject, CheckId::AclSysDbObjectFields],
        needs: &[RungId::Token],
        after: &[],
    },
    Rung {
        id: RungId::Dictionary,
        checks: &[CheckId::AclSysDictionary, CheckId::AclSysDictionaryFields],
        needs: &[RungId::Token],
        after: &[],
    },
    Rung {
        id: RungId::Glide,
        checks: &[CheckId::AclSysGlideObject],
        needs: &[RungId::Token],
        after: &[],
    },
    Rung {
        id: RungId::Choice,
        checks: &[CheckId::AclSysChoice],
        needs: &[RungId::Token],
        after: &[],
    },
    Rung {
        id: RungId::Discovery,
        checks: &[],
        needs: &[RungId::Token],
        after: &ACL_PROBES,
    },
    Rung {
        id: RungId::Create,
        checks: &[CheckId::IncidentCreate],
        needs: &[RungId::Token],
        after: &[RungId::Discovery],
    },
];

/// What the rungs share: set between rounds by the runner, read by the probes.
pub(crate) struct Env<'a> {
    pub input: &'a ConnectionInput,
    pub opts: &'a CheckOptions,
    pub cancel: &'a CancellationToken,
    pub url: Option<InstanceUrl>,
    pub ctx: FixContext,
    pub client: Option<Client>,
    /// The chain read speculatively when discovery is wanted.
    pub guess: Option<Vec<String>>,
    /// Reads of the ACL probes that discovery reuses.
    pub prefetch: Mutex<Prefetch>,
    /// What the probes' reads and discovery may read together.
    pub budget: Budget,
    /// The status of each finished check, ladder order.
    pub statuses: Vec<Option<CheckStatus>>,
    pub dictionary: Option<Result<Dictionary, DictionaryError>>,
}

/// What a rung found besides its checks' outcomes, applied by the runner after the round.
pub(crate) enum Found {
    Nothing,
    Url(InstanceUrl),
    Client(Client),
    Token,
    Dictionary(Result<Dictionary, DictionaryError>),
    TestIncident(String),
}

/// A rung's outcomes (and what it found), with its wall time.
pub(crate) struct RungOutput {
    pub outcomes: Vec<(CheckId, Outcome)>,
    pub found: Found,
    pub elapsed_ms: u64,
}

pub(crate) fn ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Whether `rung` runs at all with these options; a rung that does not is finished at once
/// with its checks skipped for `reason`.
pub(crate) fn not_wanted(rung: RungId, opts: &CheckOptions) -> Option<&'static str> {
    match rung {
        RungId::Discovery if !opts.discover_fields => Some(""),
        RungId::Create if opts.create_test_incident.is_none() => {
            Some(fixes::how_to_create_test_incident())
        }
        _ => None,
    }
}

/// The reason a check is skipped when `failed` (a check of a needed rung) did not pass.
pub(crate) fn skip_reason(failed: CheckId, cause: Option<CauseId>) -> String {
    let what = match failed {
        CheckId::InstanceUrl => "no usable instance URL",
        CheckId::Reachability => "cannot connect",
        CheckId::Instance => "the instance did not answer like the ServiceNow API",
        CheckId::Oauth => "no token",
        _ => "an earlier check did not pass",
    };
    match cause {
        Some(c) => format!("skipped: {what} (see the cause {c})"),
        None => format!("skipped: {what} ({failed} did not pass)"),
    }
}

/// Run `fut` unless `cancel` fires first.
async fn cancellable<T>(
    cancel: &CancellationToken,
    fut: impl std::future::Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(Error::Cancelled),
        r = fut => r,
    }
}

/// ServiceNow's own sites, which are never a customer's instance.
pub(crate) fn is_servicenow_own_site(host: &str) -> bool {
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

/// Run one rung's probe.
pub(crate) async fn run(rung: RungId, env: &Env<'_>) -> RungOutput {
    let t = Instant::now();
    let (outcomes, found) = match rung {
        RungId::Url => url(env),
        RungId::Connect => connect(env).await,
        RungId::Token => token(env).await,
        RungId::DbObject | RungId::Dictionary | RungId::Glide | RungId::Choice => {
            acl_probe(rung, env).await
        }
        RungId::Discovery => discovery(env).await,
        RungId::Create => create(env).await,
    };
    RungOutput {
        outcomes,
        found,
        elapsed_ms: ms(t),
    }
}

fn url(env: &Env<'_>) -> (Vec<(CheckId, Outcome)>, Found) {
    let typed = &env.input.instance_url;
    match InstanceUrl::parse(typed) {
        Ok(u) => (
            vec![(CheckId::InstanceUrl, url_outcome(typed, &u))],
            Found::Url(u),
        ),
        Err(e) => (
            vec![(
                CheckId::InstanceUrl,
                Outcome {
                    cause: Some(CauseId::InvalidUrl),
                    ..Outcome::blocked(
                        format!("the instance URL is not usable: {e}"),
                        Some(format!("typed: {:?}", typed.trim())),
                        Some(e.to_string()),
                    )
                },
            )],
            Found::Nothing,
        ),
    }
}

async fn connect(env: &Env<'_>) -> (Vec<(CheckId, Outcome)>, Found) {
    let Some(url) = env.url.clone() else {
        return (Vec::new(), Found::Nothing);
    };
    let http = match &env.opts.http {
        Some(h) => Ok(h.clone()),
        None => Client::http_client(&env.opts.client),
    };
    let (client, probe) = match http {
        Ok(http) => {
            let client =
                Client::with_http(url.clone(), env.input.credentials(), http, &env.opts.client);
            let r = cancellable(env.cancel, client.probe()).await;
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
    let (reach, inst) = probes::probe_outcomes(&probe, shown, https, &env.ctx);
    let found = client.map_or(Found::Nothing, Found::Client);
    (
        vec![(CheckId::Reachability, reach), (CheckId::Instance, inst)],
        found,
    )
}

async fn token(env: &Env<'_>) -> (Vec<(CheckId, Outcome)>, Found) {
    let Some(client) = &env.client else {
        return (Vec::new(), Found::Nothing);
    };
    // One attempt, never retried (lockout).
    let token = cancellable(env.cancel, client.authenticate()).await;
    let outcome = probes::oauth_outcome(&token, &env.ctx);
    let found = if outcome.status == CheckStatus::Passed {
        Found::Token
    } else {
        Found::Nothing
    };
    (vec![(CheckId::Oauth, outcome)], found)
}

/// Keep a probe's read for discovery.
fn stash(env: &Env<'_>, put: impl FnOnce(&mut Prefetch)) {
    if let Ok(mut pre) = env.prefetch.lock() {
        put(&mut pre);
    }
}

/// One metadata read per rung, within the discovery's budget. With `guess` (discovery
/// wanted) the dictionary, type and choice probes read the whole guessed chain, so that
/// discovery usually needs no further round trip; those reads are kept for it.
async fn acl_probe(rung: RungId, env: &Env<'_>) -> (Vec<(CheckId, Outcome)>, Found) {
    let Some(client) = &env.client else {
        return (Vec::new(), Found::Nothing);
    };
    let (cancel, budget, ctx) = (env.cancel, &env.budget, &env.ctx);
    let small_chain = [TARGET_TABLE.to_string(), "task".to_string()];
    let guess = env.guess.clone();
    let outcomes = match rung {
        RungId::DbObject => {
            let q = chain_query_by_name(TARGET_TABLE);
            let r: ReadOutcome = cancellable(cancel, read_page(client, &q, budget)).await;
            let (t, f) =
                probes::table_pair("sys_db_object", &access(&r, &["name", "super_class"]), ctx);
            stash(env, |p| p.chain = Some(r));
            vec![
                (CheckId::AclSysDbObject, t),
                (CheckId::AclSysDbObjectFields, f),
            ]
        }
        RungId::Dictionary => {
            let (r, before): (ReadOutcome<DictRow>, _) = match &guess {
                Some(g) => read_all_proving(env, client, &dictionary_query(g)).await,
                None => {
                    let q = dictionary_query(&small_chain)
                        .fields(&DICT_REQUIRED)
                        .limit(1);
                    (
                        cancellable(cancel, read_page(client, &q, budget)).await,
                        None,
                    )
                }
            };
            let (t, f) = match before {
                Some(b) => probes::table_pair_stopped(
                    "sys_dictionary",
                    &access(&Ok(b), &DICT_REQUIRED),
                    ctx,
                ),
                None => probes::table_pair("sys_dictionary", &access(&r, &DICT_REQUIRED), ctx),
            };
            if let Some(g) = guess {
                stash(env, |p| p.dictionary = Some((g, r)));
            }
            vec![
                (CheckId::AclSysDictionary, t),
                (CheckId::AclSysDictionaryFields, f),
            ]
        }
        RungId::Glide => {
            let (r, before): (ReadOutcome<GlideRow>, _) = match &guess {
                Some(_) => read_all_proving(env, client, &glide_query()).await,
                None => (
                    cancellable(cancel, read_page(client, &glide_query().limit(1), budget)).await,
                    None,
                ),
            };
            let outcome = match before {
                Some(b) => probes::stopped(
                    probes::glide_outcome(&access(&Ok(b), &GLIDE_FIELDS), ctx),
                    "rows readable",
                ),
                None => probes::glide_outcome(&access(&r, &GLIDE_FIELDS), ctx),
            };
            if guess.is_some() {
                stash(env, |p| p.glide = Some(r));
            }
            vec![(CheckId::AclSysGlideObject, outcome)]
        }
        _ => {
            let (r, before): (ReadOutcome<ChoiceRow>, _) = match &guess {
                Some(g) => read_all_proving(env, client, &choice_query(g)).await,
                None => {
                    let q = TableQuery::new("sys_choice")
                        .query(EncodedQuery::new().is_in("name", &small_chain))
                        .fields(&CHOICE_REQUIRED)
                        .limit(1);
                    (
                        cancellable(cancel, read_page(client, &q, budget)).await,
                        None,
                    )
                }
            };
            let outcome = match before {
                Some(b) => probes::stopped(
                    probes::choice_outcome(&access(&Ok(b), &CHOICE_REQUIRED), ctx),
                    "rows readable",
                ),
                None => probes::choice_outcome(&access(&r, &CHOICE_REQUIRED), ctx),
            };
            if let Some(g) = guess {
                stash(env, |p| p.choices = Some((g, r)));
            }
            vec![(CheckId::AclSysChoice, outcome)]
        }
    };
    (outcomes, Found::Nothing)
}

/// A whole read (for discovery to reuse) within the discovery's budget, unless cancelled;
/// with the rows that came back before snow-connect's limit stopped it, if it did (see
/// [`read_all_keeping`]).
async fn read_all_proving<R: Row>(
    env: &Env<'_>,
    client: &Client,
    q: &TableQuery,
) -> (ReadOutcome<R>, Option<ReadOk<R>>) {
    tokio::select! {
        biased;
        _ = env.cancel.cancelled() => (Err(Error::Cancelled), None),
        r = read_all_keeping(client, q, &env.budget) => r,
    }
}

async fn discovery(env: &Env<'_>) -> (Vec<(CheckId, Outcome)>, Found) {
    let Some(client) = &env.client else {
        return (Vec::new(), Found::Nothing);
    };
    let pre = env
        .prefetch
        .lock()
        .map(|mut p| std::mem::take(&mut *p))
        .unwrap_or_default();
    let found = tokio::select! {
        biased;
        _ = env.cancel.cancelled() => Err(DictionaryError::Client(Error::Cancelled)),
        r = discover_with(client, TARGET_TABLE, pre, &env.budget) => r,
    };
    let mut outcomes = Vec::new();
    // Discovery can see a denial the probe could not (a row-level ACL on a parent table):
    // the check it belongs to is finished again.
    if let Err(DictionaryError::Denied { acl, evidence }) = &found
        && let Some(id) = CheckId::for_acl(acl)
        && env.statuses[super::ladder::index(id)] == Some(CheckStatus::Passed)
    {
        outcomes.push((
            id,
            Outcome::acl_missing(
                CheckStatus::Blocked,
                format!("reading the {TARGET_TABLE} dictionary needs the read ACL {acl}"),
                evidence.clone(),
                acl.clone(),
                &env.ctx,
            ),
        ));
    }
    (outcomes, Found::Dictionary(found))
}

async fn create(env: &Env<'_>) -> (Vec<(CheckId, Outcome)>, Found) {
    let (Some(client), Some(maker)) = (&env.client, &env.opts.create_test_incident) else {
        return (Vec::new(), Found::Nothing);
    };
    let known = env.dictionary.as_ref().and_then(|d| d.as_ref().ok());
    let created = cancellable(env.cancel, maker.make(client, known)).await;
    // Plain `check` creates nothing: a failed create is verified by creating again.
    let ctx = env.ctx.clone().read_by(fixes::Reader::CreateCommand);
    let outcome = probes::create_outcome(&created, &ctx);
    let found = match created {
        Ok(c) => Found::TestIncident(c.number),
        Err(_) => Found::Nothing,
    };
    (vec![(CheckId::IncidentCreate, outcome)], found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_is_decided_by_exactly_one_rung_in_ladder_order() {
        let ids: Vec<CheckId> = LADDER
            .iter()
            .flat_map(|r| r.checks.iter().copied())
            .collect();
        assert_eq!(ids, CheckId::ALL.to_vec());
    }

    #[test]
    fn dependencies_point_backwards() {
        for (i, r) in LADDER.iter().enumerate() {
            for d in r.needs.iter().chain(r.after) {
                let at = LADDER.iter().position(|x| x.id == *d);
                assert!(at.is_some_and(|at| at < i), "{:?} waits for {d:?}", r.id);
            }
        }
    }

    #[test]
    fn own_sites_are_flagged() {
        assert!(is_servicenow_own_site("developer.servicenow.com"));
        assert!(!is_servicenow_own_site("acme.service-now.com"));
    }
}
