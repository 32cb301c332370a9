//! What the screens share: the config file and what was found there, the endpoints being
//! set up, what the checks found (results and the instance's dictionary), the feedback line,
//! whether anything is unsaved. Handed to every component as its [`Context`].

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::{Config, Endpoint};
use crate::diagnose::{Dictionary, DictionaryError};
use crate::wizard::model::{ChecksState, Existing, Mode};
use crate::wizard::theme::Theme;

/// One-line feedback under the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The text.
    pub text: String,
    /// Shown as an error.
    pub error: bool,
}

/// Shared data of one wizard session.
#[derive(Debug)]
pub struct Context {
    /// Where the config is saved.
    pub config_path: PathBuf,
    /// What was there at start (or since the last save or removal).
    pub existing: Existing,
    /// New / edit / replace.
    pub mode: Mode,
    /// `--demo`.
    pub demo: bool,
    /// Colours or monochrome.
    pub theme: Theme,
    /// Terminal size.
    pub size: (u16, u16),
    /// The endpoints, in file order.
    pub endpoints: Vec<Endpoint>,
    /// The checks: results of the latest run, and how it is going.
    pub checks: ChecksState,
    /// The incident dictionary, once checks ran (shared with an open picker, never copied).
    pub dictionary: Option<Result<Arc<Dictionary>, DictionaryError>>,
    /// Feedback line.
    pub status: Option<Status>,
    /// Something changed since the last save.
    pub unsaved: bool,
    /// Spinner frame (advanced by ticks while something runs).
    pub spinner: usize,
    /// The last number handed out by [`Context::next_id`].
    last_id: u64,
    /// Counts feedback lines set, and the count when the current message arrived: a screen
    /// change clears only a line set before it.
    status_set: (u64, u64),
}

impl Context {
    /// A session for `config_path` with nothing entered yet.
    pub fn new(
        config_path: PathBuf,
        existing: Existing,
        demo: bool,
        theme: Theme,
        size: (u16, u16),
    ) -> Context {
        Context {
            config_path,
            existing,
            mode: Mode::New,
            demo,
            theme,
            size,
            endpoints: Vec::new(),
            checks: ChecksState::default(),
            dictionary: None,
            status: None,
            unsaved: false,
            spinner: 0,
            last_id: 0,
            status_set: (0, 0),
        }
    }

    /// A fresh number (for answers that must match their request: searches, pickers).
    pub fn next_id(&mut self) -> u64 {
        self.last_id = self.last_id.wrapping_add(1);
        self.last_id
    }

    /// The existing config, when one loaded.
    pub fn existing_config(&self) -> Option<&Config> {
        match &self.existing {
            Existing::Loaded { config, .. } => Some(config),
            _ => None,
        }
    }

    /// The dictionary, when it was read.
    pub fn dict(&self) -> Option<&Dictionary> {
        self.dictionary
            .as_ref()
            .and_then(|d| d.as_ref().ok())
            .map(|d| &**d)
    }

    /// Show a feedback line.
    pub fn info(&mut self, text: impl Into<String>) {
        self.set_status(text.into(), false);
    }

    /// Show an error line.
    pub fn error(&mut self, text: impl Into<String>) {
        self.set_status(text.into(), true);
    }

    fn set_status(&mut self, text: String, error: bool) {
        self.status = Some(Status { text, error });
        self.status_set.0 = self.status_set.0.wrapping_add(1);
    }

    /// A new message arrives: feedback set from now on is about it.
    pub fn mark_status(&mut self) {
        self.status_set.1 = self.status_set.0;
    }

    /// The screen changed: drop the feedback line unless the current message set it.
    pub fn clear_stale_status(&mut self) {
        if self.status_set.0 == self.status_set.1 {
            self.status = None;
        }
    }
}
