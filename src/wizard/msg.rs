//! Messages into `update` and effects out of it. Effects are descriptions of I/O; the runner
//! (`effects.rs`) performs them and answers with messages.

use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::KeyEvent;

use crate::config::Config;
use crate::diagnose::create_failure::CreateFailure;
use crate::diagnose::{CheckEvent, CheckResult, ConnectionInput, Dictionary, DictionaryError};
use crate::incident::Plan;
use crate::servicenow::Rejection;
use crate::wizard::draft::DraftState;
use crate::wizard::widgets::picker::{FilterAnswer, FilterRequest};

/// Everything that can happen to the wizard.
#[derive(Debug)]
pub enum Msg {
    /// A key press.
    Key(KeyEvent),
    /// Bracketed paste: the whole pasted text at once.
    Paste(String),
    /// The terminal's new size.
    Resize(u16, u16),
    /// Animation tick (only while a spinner is visible).
    Tick,
    /// Progress of check run `run`.
    Check {
        /// The run this belongs to (older runs are ignored).
        run: u64,
        /// What happened.
        event: CheckEvent,
    },
    /// Check run `run` finished (or was cancelled).
    ChecksDone {
        /// The run this belongs to.
        run: u64,
        /// The results.
        outcome: Box<ChecksOutcome>,
    },
    /// Results of reference search `seq`.
    References {
        /// The search this answers (older searches are ignored).
        seq: u64,
        /// Rows found, or why the search failed.
        result: Result<Vec<RefRow>, String>,
    },
    /// The Markdown report was written (or not).
    ReportSaved(Result<PathBuf, String>),
    /// The config was written (or not).
    Saved(Result<PathBuf, SaveFailure>),
    /// The config was removed (or not).
    Removed(Result<(), String>),
    /// The test incident was created (or not).
    TestIncident(Result<CreatedTest, TestFailure>),
    /// The test incident is waiting out a rate limit; the text says for how long.
    TestIncidentWaiting(String),
    /// The picker's filter answered a query.
    FieldMatches(FilterAnswer),
    /// A background task failed unexpectedly (panicked); the wizard carries on.
    TaskFailed(String),
}

/// Why a save failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveFailure {
    /// The file is connected to another instance; saving needs an explicit replace.
    DifferentInstance {
        /// The instance in the file.
        existing: String,
    },
    /// The file changed since the wizard read it (another wizard, a hand edit).
    ChangedOnDisk {
        /// What changed, one line each.
        changes: Vec<String>,
    },
    /// Anything else, as a sentence.
    Other(String),
}

/// What a finished check run produced.
#[derive(Debug)]
pub struct ChecksOutcome {
    /// The normalised URL, when it parsed.
    pub instance_url: Option<String>,
    /// One result per check, ladder order.
    pub results: Vec<CheckResult>,
    /// The incident dictionary, when it was read (or why not).
    pub dictionary: Option<Result<Dictionary, DictionaryError>>,
    /// Whether a token was obtained (the runner keeps the authenticated client).
    pub connected: bool,
    /// What the login guard remembers about these credentials after the run: rejected, how
    /// often and when (`None` when they were accepted or never tried).
    pub rejected_login: Option<Rejection>,
    /// The password grant was not sent because these credentials were rejected before.
    pub login_refused: bool,
}

/// One row of a reference search: the record's sys_id and its display value.
pub use crate::dictionary::Reference as RefRow;

/// A created test incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTest {
    /// e.g. `INC0010001`.
    pub number: String,
    /// Link to the record.
    pub url: String,
}

/// Why the test incident was not created: what happened, what came back and what to change
/// (the words of `diagnose::create_failure`, server text already sanitised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestFailure {
    /// What happened, in a sentence or two.
    pub message: String,
    /// The HTTP status and ServiceNow's own message, whole, when a request got an answer.
    pub evidence: Option<String>,
    /// What to change or do next.
    pub fix: Option<String>,
    /// Something must change in ServiceNow (else: wait, or look on this side).
    pub in_servicenow: bool,
}

impl From<String> for TestFailure {
    /// A failure with nothing but a message (no request was answered).
    fn from(message: String) -> TestFailure {
        TestFailure {
            message,
            evidence: None,
            fix: None,
            in_servicenow: false,
        }
    }
}

impl From<CreateFailure> for TestFailure {
    fn from(f: CreateFailure) -> TestFailure {
        TestFailure {
            in_servicenow: f.verdict == crate::diagnose::Verdict::MustChange && f.fix.is_some(),
            message: f.message,
            evidence: Some(f.evidence).filter(|e| !e.is_empty()),
            fix: f.fix,
        }
    }
}

/// Work slots: starting work in a slot cancels what ran there before; leaving a screen
/// cancels its slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    /// The check ladder.
    Checks,
    /// The reference search of the value selector.
    Search,
    /// The test incident.
    TestIncident,
    /// The picker's filter (cancelling frees its cached results).
    FieldFilter,
}

/// I/O that `update` asks for. `Debug` never shows a secret (`ConnectionInput` and
/// `Config` redact theirs).
#[derive(Debug)]
pub enum Effect {
    /// Run the connection ladder and dictionary discovery.
    RunChecks {
        /// Run number, echoed in the messages.
        run: u64,
        /// What the user typed.
        input: ConnectionInput,
        /// The user confirmed sending credentials that were rejected before (once).
        retry_login: bool,
    },
    /// Cancel whatever runs in a slot.
    Cancel(Slot),
    /// Search a reference target after a debounce.
    SearchReference {
        /// Search number, echoed in the answer.
        seq: u64,
        /// The target table, e.g. `sys_user_group`.
        table: String,
        /// What the user typed.
        query: String,
        /// Wait this long first (typing cancels the previous search).
        debounce: Duration,
    },
    /// Write the Markdown report for the admin into `dir`.
    SaveReport {
        /// The config's directory; the working directory when that does not exist.
        dir: PathBuf,
        /// Instance shown in the report.
        instance_url: String,
        /// User shown in the report.
        username: String,
        /// The results.
        results: Vec<CheckResult>,
    },
    /// Put text on the local clipboard with OSC 52 (performed by the event loop, which owns
    /// the terminal).
    Clipboard(String),
    /// Write the draft (no secrets in it).
    SaveDraft(Box<DraftState>),
    /// Remove the draft (after a successful save).
    ClearDraft,
    /// Save the config file.
    SaveConfig {
        /// Where.
        path: PathBuf,
        /// What.
        config: Box<Config>,
        /// Allow replacing a different instance.
        replace: bool,
        /// What the file held when the wizard read it (a change since is not overwritten).
        base: crate::config::Base,
    },
    /// Delete the config file.
    RemoveConfig {
        /// Which file.
        path: PathBuf,
    },
    /// Create the clearly labelled test incident.
    SendTestIncident {
        /// The test incident's body, fitted to the dictionary when it was read.
        plan: Box<Plan>,
    },
    /// Match the picker's query off the UI thread; the answer is `Msg::FieldMatches`.
    FilterFields(FilterRequest),
}

impl Effect {
    /// A short name for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Effect::RunChecks { .. } => "run checks",
            Effect::Cancel(_) => "cancel",
            Effect::SearchReference { .. } => "search reference",
            Effect::SaveReport { .. } => "save report",
            Effect::Clipboard(_) => "clipboard",
            Effect::SaveDraft(_) => "save draft",
            Effect::ClearDraft => "clear draft",
            Effect::SaveConfig { .. } => "save config",
            Effect::RemoveConfig { .. } => "remove config",
            Effect::SendTestIncident { .. } => "send test incident",
            Effect::FilterFields(_) => "filter fields",
        }
    }
}
