//! The effect runner: performs the I/O that `update` asks for, each job in a tokio task with
//! a cancellation token, and reports back with a `Msg`. A panicking task becomes
//! `Msg::TaskFailed`, never a crash. One `reqwest::Client` serves the whole run.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::{self, UnboundedSender};
use tokio_util::sync::CancellationToken;

use crate::config::{ConfigError, DraftStore, SaveOptions};
use crate::diagnose::create_failure::explain_create_error;
use crate::diagnose::fixes::Reader;
use crate::diagnose::{CheckId, CheckStatus};
use crate::diagnose::{CheckOptions, ConnectionInput};
use crate::dictionary::ReferenceSearch;
use crate::incident::send_policy::{RATE_LIMIT_BUDGET, RateLimitWait, create_with_policy};
use crate::servicenow::{Client, ClientOptions, InstanceUrl, LoginGuard};
use crate::wizard::draft::DraftState;
use crate::wizard::msg::{ChecksOutcome, CreatedTest, Effect, Msg, SaveFailure, Slot, TestFailure};
use crate::wizard::widgets::picker::{FilterRequest, FilterWorker};

/// A draft job.
enum DraftJob {
    /// Write this state.
    Write(Box<DraftState>),
    /// Delete the draft (the config was saved).
    Clear,
}

/// Draft writes and removals in the order they were asked for: each job takes a ticket when
/// it is asked for, and a job older than the last one carried out is dropped (a write that
/// lands after the save that cleared the draft would bring a stale draft back).
#[derive(Clone)]
struct Drafts {
    store: Option<DraftStore>,
    tickets: Arc<AtomicU64>,
    done: Arc<Mutex<u64>>,
    /// The latest encoded draft, for the panic hook.
    panic: Arc<Mutex<Option<Vec<u8>>>>,
}

impl Drafts {
    fn ticket(&self) -> u64 {
        self.tickets.fetch_add(1, Ordering::SeqCst).wrapping_add(1)
    }

    fn perform(&self, ticket: u64, job: DraftJob) {
        let Ok(mut done) = self.done.lock() else {
            return;
        };
        if ticket <= *done {
            return;
        }
        *done = ticket;
        let encoded = match &job {
            DraftJob::Write(d) => DraftStore::encode(&**d).ok(),
            DraftJob::Clear => None,
        };
        if let Ok(mut slot) = self.panic.lock() {
            slot.clone_from(&encoded);
        }
        let Some(store) = &self.store else { return };
        let result = match &encoded {
            Some(bytes) => store.save_raw(bytes),
            None if matches!(job, DraftJob::Clear) => store.clear(),
            None => return,
        };
        if let Err(e) = result {
            tracing::warn!("could not write or remove the draft: {e}");
        }
    }
}

/// How many reference rows a search shows.
const SEARCH_LIMIT: u32 = 20;

/// What the runner needs besides the message channel.
#[derive(Debug, Clone, Default)]
pub struct RunnerOptions {
    /// Transport settings for the one HTTP client.
    pub client: ClientOptions,
    /// Where drafts go (none: drafts are off, e.g. in some tests).
    pub drafts: Option<DraftStore>,
}

/// Performs effects.
pub struct Runner {
    tx: UnboundedSender<Msg>,
    opts: RunnerOptions,
    http: Option<reqwest::Client>,
    session: Arc<Mutex<Option<Client>>>,
    references: Arc<ReferenceSearch>,
    slots: HashMap<Slot, CancellationToken>,
    root: CancellationToken,
    panic_draft: Arc<Mutex<Option<Vec<u8>>>>,
    /// Draft writes, in order, off the UI thread.
    drafts: Drafts,
    /// Remembers rejected credentials across check runs (and, when the options give one on
    /// disk, across sessions and with the headless commands).
    guard: LoginGuard,
    /// The picker's matcher thread, started by the first query.
    filter: Option<FilterWorker>,
}

impl Runner {
    /// A runner that reports on `tx`.
    pub fn new(tx: UnboundedSender<Msg>, opts: RunnerOptions) -> Runner {
        let guard = opts
            .client
            .login_guard
            .clone()
            .unwrap_or_else(LoginGuard::in_memory);
        let panic_draft = Arc::new(Mutex::new(None));
        let drafts = Drafts {
            store: opts.drafts.clone(),
            tickets: Arc::new(AtomicU64::new(0)),
            done: Arc::new(Mutex::new(0)),
            panic: Arc::clone(&panic_draft),
        };
        Runner {
            guard,
            tx,
            opts,
            http: None,
            session: Arc::new(Mutex::new(None)),
            references: Arc::new(ReferenceSearch::default()),
            slots: HashMap::new(),
            root: CancellationToken::new(),
            drafts,
            panic_draft,
            filter: None,
        }
    }

    /// The latest encoded draft, shared with the panic hook (which cannot reach the model).
    pub fn panic_draft(&self) -> Arc<Mutex<Option<Vec<u8>>>> {
        Arc::clone(&self.panic_draft)
    }

    /// The draft store, if drafts are on.
    pub fn drafts(&self) -> Option<&DraftStore> {
        self.opts.drafts.as_ref()
    }

    /// Write `draft` off the UI thread (typing, a finished step).
    pub fn queue_draft(&self, draft: DraftState) {
        self.draft_job(DraftJob::Write(Box::new(draft)), false);
    }

    /// Write `draft` now, on this thread: it must be on disk before the process ends.
    pub fn save_draft(&self, draft: &DraftState) {
        self.draft_job(DraftJob::Write(Box::new(draft.clone())), true);
    }

    fn draft_job(&self, job: DraftJob, now: bool) {
        let drafts = self.drafts.clone();
        let ticket = drafts.ticket();
        if now {
            drafts.perform(ticket, job);
        } else {
            tokio::task::spawn_blocking(move || drafts.perform(ticket, job));
        }
    }

    /// Stop every task (at exit).
    pub fn shutdown(&mut self) {
        self.root.cancel();
    }

    fn http(&mut self) -> Option<reqwest::Client> {
        if self.http.is_none() {
            match Client::http_client(&self.opts.client) {
                Ok(c) => self.http = Some(c),
                Err(e) => tracing::warn!("cannot build the HTTP client: {e}"),
            }
        }
        self.http.clone()
    }

    fn slot(&mut self, slot: Slot) -> CancellationToken {
        if let Some(old) = self.slots.remove(&slot) {
            old.cancel();
        }
        let token = self.root.child_token();
        self.slots.insert(slot, token.clone());
        token
    }

    /// Run a task; its answer (if any) goes to the channel; a panic becomes `TaskFailed`.
    fn spawn<F>(&self, what: &'static str, fut: F)
    where
        F: Future<Output = Option<Msg>> + Send + 'static,
    {
        let tx = self.tx.clone();
        let inner = tokio::spawn(fut);
        tokio::spawn(async move {
            match inner.await {
                Ok(Some(msg)) => {
                    let _ = tx.send(msg);
                }
                Ok(None) => {}
                Err(e) if e.is_panic() => {
                    tracing::error!("{what} task panicked");
                    let _ = tx.send(Msg::TaskFailed(format!(
                        "the {what} task stopped unexpectedly"
                    )));
                }
                Err(_) => {}
            }
        });
    }

    /// Hand a query to the matcher thread (started on first use). Should it have died, a
    /// new one takes over; should none start, the query is answered here, late but right.
    fn filter_fields(&mut self, req: FilterRequest) {
        let req = match &self.filter {
            Some(w) => match w.filter(req) {
                Ok(()) => return,
                Err(req) => {
                    tracing::error!("the picker's filter thread stopped");
                    let _ = self.tx.send(Msg::TaskFailed(
                        "the field filter stopped unexpectedly; it was restarted".into(),
                    ));
                    self.filter = None;
                    req
                }
            },
            None => req,
        };
        let tx = self.tx.clone();
        match FilterWorker::spawn(move |a| tx.send(Msg::FieldMatches(a)).is_ok()) {
            Ok(w) => {
                if let Err(req) = w.filter(req) {
                    let _ = self.tx.send(Msg::FieldMatches(req.answer_now()));
                }
                self.filter = Some(w);
            }
            Err(e) => {
                tracing::warn!("cannot start the picker's filter thread: {e}");
                let _ = self.tx.send(Msg::FieldMatches(req.answer_now()));
            }
        }
    }

    /// Perform one effect.
    pub fn run(&mut self, effect: Effect) {
        tracing::debug!(effect = effect.name(), "effect");
        match effect {
            Effect::Cancel(Slot::FieldFilter) => {
                if let Some(w) = &self.filter {
                    w.forget();
                }
            }
            Effect::Cancel(slot) => {
                if let Some(t) = self.slots.remove(&slot) {
                    t.cancel();
                }
            }
            Effect::FilterFields(req) => self.filter_fields(req),
            Effect::RunChecks {
                run,
                input,
                retry_login,
            } => self.run_checks(run, input, retry_login),
            Effect::SearchReference {
                seq,
                table,
                query,
                debounce,
            } => {
                let token = self.slot(Slot::Search);
                let session = Arc::clone(&self.session);
                let references = Arc::clone(&self.references);
                self.spawn("search", async move {
                    tokio::select! {
                        _ = token.cancelled() => return None,
                        _ = tokio::time::sleep(debounce) => {}
                    }
                    let client = session.lock().ok().and_then(|s| s.clone());
                    let Some(client) = client else {
                        return Some(Msg::References {
                            seq,
                            result: Err("not connected: run the checks first".into()),
                        });
                    };
                    let result = tokio::select! {
                        _ = token.cancelled() => return None,
                        r = references.search(&client, &table, &query, SEARCH_LIMIT) => r,
                    };
                    let result = result.map_err(|e| e.to_string());
                    Some(Msg::References { seq, result })
                });
            }
            Effect::SaveReport {
                dir,
                instance_url,
                username,
                results,
            } => {
                self.spawn("report", async move {
                    let r = tokio::task::spawn_blocking(move || {
                        let text =
                            crate::diagnose::markdown_report(&instance_url, &username, &results);
                        let text = crate::sanitize::redact(&text).into_owned();
                        let dir = if dir.is_dir() {
                            dir
                        } else {
                            PathBuf::from(".")
                        };
                        // A new 0600 file each time: never through a symlink, never over
                        // an earlier report.
                        crate::config::write_new_private(
                            &dir,
                            "snow-connect-report",
                            "md",
                            text.as_bytes(),
                        )
                        .map_err(|e| e.to_string())
                    })
                    .await
                    .unwrap_or_else(|e| Err(format!("report task failed: {e}")));
                    Some(Msg::ReportSaved(r.map(absolute)))
                });
            }
            Effect::Clipboard(_) => {
                // The event loop writes OSC 52 itself; nothing to do here.
            }
            Effect::SaveDraft(d) => self.draft_job(DraftJob::Write(d), false),
            Effect::ClearDraft => {
                self.draft_job(DraftJob::Clear, false);
            }
            Effect::SaveConfig {
                path,
                config,
                replace,
                base,
            } => {
                self.spawn("save", async move {
                    let p = path.clone();
                    let r = tokio::task::spawn_blocking(move || {
                        crate::config::save(
                            &p,
                            &config,
                            SaveOptions {
                                replace_instance: replace,
                                base,
                            },
                        )
                    })
                    .await;
                    let r = match r {
                        Ok(Ok(())) => Ok(absolute(path)),
                        Ok(Err(ConfigError::DifferentInstance { existing, .. })) => {
                            Err(SaveFailure::DifferentInstance { existing })
                        }
                        Ok(Err(ConfigError::ChangedOnDisk { changes, .. })) => {
                            Err(SaveFailure::ChangedOnDisk { changes })
                        }
                        Ok(Err(e)) => Err(SaveFailure::Other(e.to_string())),
                        Err(e) => Err(SaveFailure::Other(format!("save task failed: {e}"))),
                    };
                    Some(Msg::Saved(r))
                });
            }
            Effect::RemoveConfig { path } => {
                self.spawn("remove", async move {
                    // The wizard removes the integration: through a symlink, the file too.
                    let r =
                        tokio::task::spawn_blocking(move || crate::config::remove(&path, false))
                            .await
                            .map_err(|e| e.to_string())
                            .and_then(|r| r.map(|_| ()).map_err(|e| e.to_string()));
                    Some(Msg::Removed(r))
                });
            }
            Effect::SendTestIncident { plan } => {
                let token = self.slot(Slot::TestIncident);
                let session = Arc::clone(&self.session);
                let tx = self.tx.clone();
                self.spawn("test incident", async move {
                    let client = session.lock().ok().and_then(|s| s.clone());
                    let Some(client) = client else {
                        return Some(Msg::TestIncident(Err(TestFailure::from(
                            "not connected: run the checks first".to_string(),
                        ))));
                    };
                    // The same policy and words as `send`. Cancelling only stops waiting: a POST
                    // that was sent may still create the incident, and it is never resent.
                    let mut wait = RateLimitWait::new(RATE_LIMIT_BUDGET);
                    let say = |text: String| {
                        let _ = tx.send(Msg::TestIncidentWaiting(text));
                    };
                    let r = tokio::select! {
                        _ = token.cancelled() => return None,
                        r = create_with_policy(&client, &plan, &mut wait, say) => r,
                    };
                    Some(Msg::TestIncident(match r {
                        Ok(c) => Ok(CreatedTest {
                            number: c.number,
                            url: c.url,
                        }),
                        Err(e) => {
                            let sent = plan
                                .body
                                .get("short_description")
                                .and_then(serde_json::Value::as_str)
                                .unwrap_or_default();
                            Err(explain_create_error(
                                &e,
                                &client,
                                sent,
                                &wait,
                                Reader::WizardTestIncident,
                            )
                            .into())
                        }
                    }))
                });
            }
        }
    }

    fn run_checks(&mut self, run: u64, input: ConnectionInput, retry_login: bool) {
        let token = self.slot(Slot::Checks);
        let guard = self.guard.with_retry(retry_login);
        let opts = CheckOptions {
            create_test_incident: None,
            discover_fields: true,
            client: ClientOptions {
                login_guard: Some(guard.clone()),
                ..self.opts.client.clone()
            },
            http: self.http(),
        };
        // What the guard knows, keyed as the client keys it (the normalised URL).
        let lookup = {
            let creds = input.credentials();
            let url = InstanceUrl::parse(&input.instance_url).ok();
            move || url.as_ref().and_then(|u| guard.lookup(u.as_str(), &creds))
        };
        let before = lookup();
        let tx = self.tx.clone();
        let session = Arc::clone(&self.session);
        self.spawn("checks", async move {
            let (etx, mut erx) = mpsc::unbounded_channel();
            let ladder = tokio::spawn(async move {
                crate::diagnose::run_checks(&input, &opts, Some(etx), token).await
            });
            tokio::pin!(ladder);
            // Forward progress as it comes; the final message goes after every event.
            let joined = loop {
                tokio::select! {
                    Some(event) = erx.recv() => {
                        let _ = tx.send(Msg::Check { run, event });
                    }
                    d = &mut ladder => break d,
                }
            };
            while let Ok(event) = erx.try_recv() {
                let _ = tx.send(Msg::Check { run, event });
            }
            let diagnosis = match joined {
                Ok(d) => d,
                Err(e) => {
                    tracing::error!("the checks stopped: {e}");
                    return Some(Msg::TaskFailed("the checks stopped unexpectedly".into()));
                }
            };
            let connected = diagnosis.client.is_some();
            if let Ok(mut s) = session.lock() {
                *s = diagnosis.client.clone();
            }
            let rejected_login = lookup();
            // Nothing new was recorded, and the ladder got as far as the token request.
            let reached_oauth = diagnosis
                .results
                .iter()
                .any(|r| r.id == CheckId::Oauth && r.status != CheckStatus::Skipped);
            let login_refused = !retry_login
                && !connected
                && reached_oauth
                && before.is_some()
                && rejected_login.map(|r| r.attempts) == before.map(|r| r.attempts);
            Some(Msg::ChecksDone {
                run,
                outcome: Box::new(ChecksOutcome {
                    instance_url: diagnosis.instance_url,
                    results: diagnosis.results,
                    dictionary: diagnosis.dictionary,
                    connected,
                    rejected_login,
                    login_refused,
                }),
            })
        });
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.root.cancel();
    }
}

fn absolute(p: PathBuf) -> PathBuf {
    std::path::absolute(&p).unwrap_or(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drafts(dir: &std::path::Path) -> Drafts {
        Drafts {
            store: Some(DraftStore::new(dir, &dir.join("config.toml"))),
            tickets: Arc::new(AtomicU64::new(0)),
            done: Arc::new(Mutex::new(0)),
            panic: Arc::new(Mutex::new(None)),
        }
    }

    fn state(url: &str) -> DraftState {
        DraftState {
            screen: "connect".into(),
            mode: crate::wizard::model::Mode::New,
            instance_url: url.into(),
            client_id: String::new(),
            username: String::new(),
            endpoints: Vec::new(),
            secrets_env: false,
            secrets_storage: "inline".into(),
            client_secret_env: String::new(),
            password_env: String::new(),
        }
    }

    /// A write asked for before a save cleared the draft, and carried out after it, must
    /// not bring the stale draft back.
    #[test]
    fn a_late_draft_write_never_undoes_a_later_clear() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = drafts(dir.path());
        let store = d.store.clone().expect("store");
        let early = d.ticket();
        let write_then_clear = d.ticket();
        d.perform(write_then_clear, DraftJob::Write(Box::new(state("new"))));
        assert!(store.path().exists());
        let clear = d.ticket();
        d.perform(clear, DraftJob::Clear);
        assert!(!store.path().exists());
        d.perform(early, DraftJob::Write(Box::new(state("stale"))));
        assert!(!store.path().exists(), "the stale write was dropped");
        assert!(d.panic.lock().expect("slot").is_none());
        // A newer write goes through.
        let later = d.ticket();
        d.perform(later, DraftJob::Write(Box::new(state("later"))));
        let text = std::fs::read_to_string(store.path()).expect("draft");
        assert!(text.contains("later"), "{text}");
        assert!(d.panic.lock().expect("slot").is_some());
    }
}
