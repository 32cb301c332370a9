//! All wizard state, with no terminal in it. `update` changes it, `view` draws it.

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::{Config, Endpoint, EndpointField, SecretField, Storage};
use crate::diagnose::{
    CheckId, CheckResult, CheckStatus, Choice, ConnectionInput, Dictionary, DictionaryError, Field,
    FieldKind,
};
use crate::servicenow::Rejection;
use crate::wizard::draft::DraftState;
use crate::wizard::msg::{CreatedTest, RefRow, TestFailure};
use crate::wizard::theme::Theme;
use crate::wizard::widgets::picker::{FieldIndex, Highlighter, Matches};
use crate::wizard::widgets::text_field::TextField;

/// The eight screens, in flow order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Screen {
    /// What will be set up; edit / replace / remove an existing config.
    Welcome,
    /// Step 1: the integration user and its ACLs.
    ChooseUser,
    /// Step 2: the OAuth application.
    OAuthApp,
    /// Step 3: the connection form.
    Connect,
    /// Step 3: live checks and the ACL matrix.
    Checks,
    /// Step 4: the endpoint list.
    Endpoints,
    /// Step 4: one endpoint.
    Editor,
    /// Step 5: review and save.
    Review,
}

impl Screen {
    /// The workflow step (1-5) this screen belongs to.
    pub fn step(self) -> Option<usize> {
        match self {
            Screen::Welcome => None,
            Screen::ChooseUser => Some(1),
            Screen::OAuthApp => Some(2),
            Screen::Connect | Screen::Checks => Some(3),
            Screen::Endpoints | Screen::Editor => Some(4),
            Screen::Review => Some(5),
        }
    }
    /// The screen's name in the draft file.
    pub fn as_str(self) -> &'static str {
        match self {
            Screen::Welcome => "welcome",
            Screen::ChooseUser => "choose_user",
            Screen::OAuthApp => "oauth_application",
            Screen::Connect => "connect",
            Screen::Checks => "checks",
            Screen::Endpoints => "endpoints",
            Screen::Editor => "endpoint_editor",
            Screen::Review => "review",
        }
    }
}

/// The workflow steps shown in the left column.
pub const STEPS: [&str; 5] = [
    "Choose a user",
    "OAuth application",
    "Connect",
    "Endpoints",
    "Review & save",
];

/// What the wizard is doing with the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// No config yet.
    New,
    /// Editing the existing config.
    Edit,
    /// Replacing the existing config (its endpoints are deleted on save).
    Replace,
}

/// What exists at the config path when the wizard starts.
#[derive(Debug, Clone)]
pub enum Existing {
    /// Nothing there.
    None,
    /// A valid config (and warnings such as loose permissions).
    Loaded {
        /// The config.
        config: Box<Config>,
        /// Warnings to show.
        warnings: Vec<String>,
    },
    /// A file that does not load; the message says where and why.
    Invalid(String),
}

/// Values to pre-fill the form with (`--demo`): the connection the demo simulator accepts,
/// in the same shape the checks take (its `Debug` hides the secrets).
pub type Prefill = crate::diagnose::ConnectionInput;

/// Everything the wizard needs to start.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Where the config is saved.
    pub config_path: PathBuf,
    /// What is there now.
    pub existing: Existing,
    /// A draft from an interrupted session and when it was written (Unix seconds).
    pub draft: Option<(DraftState, u64)>,
    /// Form values to start with.
    pub prefill: Option<Prefill>,
    /// Running against the built-in simulator.
    pub demo: bool,
    /// Colours or monochrome.
    pub theme: Theme,
    /// Initial terminal size.
    pub size: (u16, u16),
}

/// The five inputs of the Connect form, in the seed's order.
pub const FORM_LABELS: [&str; 5] = [
    "ServiceNow Instance URL",
    "Client ID",
    "Client Secret",
    "User name",
    "Password",
];
/// Index of the Connect button in the form's focus order.
pub const FORM_BUTTON: usize = 5;

/// The Connect form.
#[derive(Debug, Clone)]
pub struct ConnectForm {
    /// Instance URL, Client ID, Client Secret, User name, Password.
    pub fields: [TextField; 5],
    /// 0-4 the inputs, 5 the Connect button.
    pub focus: usize,
    /// Show the secrets in clear text (Ctrl-R).
    pub reveal: bool,
    /// Fields the user has left at least once (errors show only for these).
    pub touched: [bool; 5],
}

impl Default for ConnectForm {
    fn default() -> Self {
        ConnectForm {
            fields: [
                TextField::new().limit(2048),
                TextField::new().limit(256),
                TextField::masked().limit(1024),
                TextField::new().limit(256),
                TextField::masked().limit(1024),
            ],
            focus: 0,
            reveal: false,
            touched: [false; 5],
        }
    }
}

/// One row of the checks list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowState {
    /// Not started.
    Pending,
    /// Running (spinner).
    Running,
    /// Finished.
    Done(CheckResult),
}

/// The Checks screen.
#[derive(Debug, Clone, Default)]
pub struct ChecksState {
    /// Number of the current run (messages from older runs are ignored).
    pub run: u64,
    /// A run is in progress.
    pub running: bool,
    /// Esc was pressed during the run.
    pub cancelled: bool,
    /// One row per check, ladder order.
    pub rows: Vec<(CheckId, RowState)>,
    /// Selected row in the matrix.
    pub selected: usize,
    /// Scroll of the fix pane.
    pub fix_scroll: u16,
    /// Normalised URL of the run.
    pub instance_url: Option<String>,
    /// User of the run.
    pub username: String,
    /// A token was obtained.
    pub connected: bool,
    /// Opened from the picker's explanation: going on returns to the endpoint editor.
    pub return_to_editor: bool,
}

impl ChecksState {
    /// Finished results in ladder order.
    pub fn results(&self) -> Vec<CheckResult> {
        self.rows
            .iter()
            .filter_map(|(_, s)| match s {
                RowState::Done(r) => Some(r.clone()),
                _ => None,
            })
            .collect()
    }
    /// The result of one check, when finished.
    pub fn result(&self, id: CheckId) -> Option<&CheckResult> {
        self.rows.iter().find_map(|(i, s)| match s {
            RowState::Done(r) if *i == id => Some(r),
            _ => None,
        })
    }
    /// The connection and every required read passed (warnings allowed).
    pub fn required_ok(&self) -> bool {
        !self.rows.is_empty()
            && self.rows.iter().all(|(id, s)| match s {
                RowState::Done(r) => {
                    !id.required() || matches!(r.status, CheckStatus::Passed | CheckStatus::Warning)
                }
                _ => !id.required(),
            })
    }
}

/// A field of an endpoint being edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldEntry {
    /// Column name.
    pub element: String,
    /// Value kind.
    pub kind: FieldKind,
    /// Stored value and display value, once chosen.
    pub value: Option<(String, Option<String>)>,
    /// Made mandatory by the instance.
    pub mandatory: bool,
    /// The dictionary's description, when known (choices, max length, reference target).
    pub field: Option<Field>,
}

impl FieldEntry {
    /// An entry for a dictionary field with no value yet.
    pub fn from_field(f: &Field, kind: FieldKind, mandatory: bool) -> FieldEntry {
        FieldEntry {
            element: f.element.clone(),
            kind,
            value: None,
            mandatory,
            field: Some(f.clone()),
        }
    }
    /// The dictionary's label, or the element name when the dictionary is unavailable.
    pub fn label(&self) -> &str {
        self.field.as_ref().map_or(&self.element, |f| &f.label)
    }
    /// The config form of the entry, when it has a value.
    pub fn to_endpoint_field(&self) -> Option<EndpointField> {
        let (value, display) = self.value.clone()?;
        Some(EndpointField {
            element: self.element.clone(),
            kind: self.kind,
            value,
            display,
            mandatory: self.mandatory,
        })
    }
}

/// Focusable items of the endpoint editor, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorItem {
    /// Endpoint Name.
    Name,
    /// Description.
    Description,
    /// A mandatory field's value.
    Mandatory(usize),
    /// The "Select Fields" button.
    SelectFields,
    /// An additional field's value.
    Additional(usize),
    /// The "Save endpoint" button.
    Save,
}

/// The endpoint editor.
#[derive(Debug, Clone)]
pub struct EditorState {
    /// Which endpoint is edited (`None`: a new one).
    pub index: Option<usize>,
    /// Endpoint Name.
    pub name: TextField,
    /// Description.
    pub description: TextField,
    /// Fields the dictionary makes mandatory (beyond short_description and description).
    pub mandatory: Vec<FieldEntry>,
    /// Mandatory fields that snow-connect cannot set (unsupported types), by label.
    pub unsettable: Vec<String>,
    /// Additional fields, at most 10.
    pub additional: Vec<FieldEntry>,
    /// Index into [`EditorState::items`].
    pub focus: usize,
    /// Validation problems from the last save attempt.
    pub errors: Vec<String>,
    /// The endpoint as it was when the editor opened (to detect changes).
    pub original: Option<Endpoint>,
    /// Fields just picked that still need "Select a value", opened one after another.
    pub value_queue: Vec<String>,
}

impl EditorState {
    /// Focusable items in Tab order.
    pub fn items(&self) -> Vec<EditorItem> {
        let mut v = vec![EditorItem::Name, EditorItem::Description];
        v.extend((0..self.mandatory.len()).map(EditorItem::Mandatory));
        v.push(EditorItem::SelectFields);
        v.extend((0..self.additional.len()).map(EditorItem::Additional));
        v.push(EditorItem::Save);
        v
    }
    /// The focused item.
    pub fn focused(&self) -> EditorItem {
        let items = self.items();
        items
            .get(self.focus.min(items.len().saturating_sub(1)))
            .copied()
            .unwrap_or(EditorItem::Name)
    }
    /// The endpoint as it would be saved now (fields without a value are left out).
    pub fn endpoint(&self) -> Endpoint {
        Endpoint {
            name: self.name.value().trim().to_string(),
            description: self.description.value().trim().to_string(),
            table: "incident".into(),
            fields: self
                .mandatory
                .iter()
                .chain(self.additional.iter())
                .filter_map(FieldEntry::to_endpoint_field)
                .collect(),
        }
    }
}

/// The Endpoints screen.
#[derive(Debug, Clone, Default)]
pub struct EndpointsState {
    /// The endpoints, in file order.
    pub list: Vec<Endpoint>,
    /// Selected row; `list.len()` is the "Add an endpoint" row.
    pub selected: usize,
}

/// The test incident button's state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TestState {
    /// Not sent.
    #[default]
    Idle,
    /// Sending.
    Running,
    /// Sent.
    Done(Result<CreatedTest, TestFailure>),
}

/// Focusable items of the review screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewItem {
    /// Secrets inline in the file.
    Inline,
    /// Secrets by environment variable.
    Env,
    /// Secrets printed by a command (`pass`, `vault` ...).
    Command,
    /// Secrets in private files (systemd credentials ...).
    File,
    /// Where the client secret is kept (variable name, command or path).
    SecretVar,
    /// Where the password is kept.
    PasswordVar,
    /// Send a test incident.
    Test,
    /// Save.
    Save,
}

/// The review screen.
#[derive(Debug, Clone)]
pub struct ReviewState {
    /// Where the secrets are kept: inline, or named by a variable, a command or a file.
    pub storage: Storage,
    /// `client_secret_env` / `_command` / `_file`, by [`ReviewState::storage`].
    pub secret_var: TextField,
    /// `password_env` / `_command` / `_file`.
    pub password_var: TextField,
    /// Index into [`ReviewState::items`].
    pub focus: usize,
    /// The test incident.
    pub test: TestState,
    /// A save is in progress.
    pub saving: bool,
    /// Where the config was saved.
    pub saved: Option<PathBuf>,
    /// Why the last save failed.
    pub error: Option<String>,
    /// The user saw what changed on disk and chose to overwrite it.
    pub overwrite: bool,
}

impl Default for ReviewState {
    fn default() -> Self {
        ReviewState {
            storage: Storage::Inline,
            secret_var: TextField::with_value(SecretField::ClientSecret.default_env()).limit(512),
            password_var: TextField::with_value(SecretField::Password.default_env()).limit(512),
            focus: 0,
            test: TestState::Idle,
            saving: false,
            saved: None,
            error: None,
            overwrite: false,
        }
    }
}

impl ReviewState {
    /// Focusable items in Tab order.
    pub fn items(&self) -> Vec<ReviewItem> {
        let mut v = vec![
            ReviewItem::Inline,
            ReviewItem::Env,
            ReviewItem::Command,
            ReviewItem::File,
        ];
        if self.storage != Storage::Inline {
            v.push(ReviewItem::SecretVar);
            v.push(ReviewItem::PasswordVar);
        }
        v.push(ReviewItem::Test);
        v.push(ReviewItem::Save);
        v
    }
    /// The focused item.
    pub fn focused(&self) -> ReviewItem {
        let items = self.items();
        items
            .get(self.focus.min(items.len().saturating_sub(1)))
            .copied()
            .unwrap_or(ReviewItem::Save)
    }
}

/// Why the picker has nothing to offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    /// One sentence: what happened.
    pub reason: String,
    /// The read ACLs that failed, e.g. `sys_dictionary.*`.
    pub missing: Vec<String>,
    /// The check to select when jumping to the matrix.
    pub check: Option<CheckId>,
}

/// The Additional Fields picker.
#[derive(Debug)]
pub struct PickerState {
    /// This picker's number: answers meant for an earlier one are dropped.
    pub id: u64,
    /// The dictionary the fields come from, shared with the model (never copied).
    pub dict: Option<Arc<Dictionary>>,
    /// Positions in `dict.fields` of the fields on offer; `FieldMatch::index` indexes this.
    pub candidates: Vec<u32>,
    /// The search text of the candidates, shared with the filter's worker.
    pub index: Arc<FieldIndex>,
    /// Highlights for the rows shown.
    pub highlight: Highlighter,
    /// The query.
    pub query: TextField,
    /// The latest answer: the best rows of one query, and how many matched. It may be for
    /// an earlier query than the one typed, until the worker answers.
    pub matches: Matches,
    /// The last filter request sent, and the one `matches` answers.
    pub sent: u64,
    /// See `sent`.
    pub shown: u64,
    /// How many of the best rows to ask for (grows as the cursor goes down).
    pub limit: usize,
    /// Cursor row in `matches.rows`.
    pub cursor: usize,
    /// Selected element names, in selection order.
    pub selected: Vec<String>,
    /// Why nothing can be offered, when that is the case.
    pub unavailable: Option<Unavailable>,
    /// A note shown under the query (e.g. the limit was reached).
    pub note: Option<String>,
    /// The picker's keys, built once when it opens (they never change while it is open).
    pub bindings: crate::wizard::keymap::Keymap,
}

impl PickerState {
    /// Candidate `i` (a `FieldMatch::index`).
    pub fn field(&self, i: usize) -> Option<&Field> {
        let pos = usize::try_from(*self.candidates.get(i)?).ok()?;
        self.dict.as_ref()?.fields.get(pos)
    }

    /// The fields on offer, in the dictionary's order.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        (0..self.candidates.len()).filter_map(|i| self.field(i))
    }
}

/// Which editor field a value selector edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueTarget {
    /// `EditorState::mandatory[i]`.
    Mandatory(usize),
    /// `EditorState::additional[i]`.
    Additional(usize),
}

/// The reference search of a value selector.
#[derive(Debug, Clone, Default)]
pub struct RefSearch {
    /// Target table.
    pub table: String,
    /// Number of the latest search.
    pub seq: u64,
    /// A search is pending or running.
    pub loading: bool,
    /// Rows of the latest answer.
    pub rows: Vec<RefRow>,
    /// Why the latest search failed.
    pub error: Option<String>,
}

/// The "Select a value" dialog.
#[derive(Debug, Clone)]
pub struct ValueState {
    /// Which field.
    pub target: ValueTarget,
    /// Field label.
    pub label: String,
    /// Field element.
    pub element: String,
    /// Value kind.
    pub kind: FieldKind,
    /// Choices (choice fields) or `true`/`false` (boolean fields).
    pub choices: Vec<Choice>,
    /// Cursor in the list (choices or reference rows).
    pub cursor: usize,
    /// Free input (string, integer, reference search, choice fallback).
    pub input: TextField,
    /// Max length for strings.
    pub max_length: Option<u32>,
    /// Validation message.
    pub error: Option<String>,
    /// Why the list is what it is (a dependent choice list filtered by its controlling field).
    pub note: Option<String>,
    /// Reference search, for reference fields.
    pub search: Option<RefSearch>,
}

/// What a confirmation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmKind {
    /// Quit with unsaved changes.
    Quit,
    /// Remove the existing config.
    Remove,
    /// Start a replacement of the existing config.
    Replace,
    /// Continue although checks failed.
    ContinueAnyway,
    /// Delete endpoint `i`.
    DeleteEndpoint(usize),
    /// Leave the editor without saving the endpoint.
    DiscardEndpoint,
    /// Save over a config connected to another instance.
    ReplaceOnSave,
    /// Save over a config that changed on disk since it was read.
    OverwriteChanged,
    /// Save although an endpoint is invalid.
    SaveInvalid,
    /// Create a real test incident on the instance.
    SendTestIncident,
    /// Send credentials the instance rejected before once more (lockout risk).
    ResendRejectedLogin,
}

/// A yes/no question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// What it is about.
    pub kind: ConfirmKind,
    /// Title.
    pub title: String,
    /// Paragraphs: what happens.
    pub body: Vec<String>,
    /// The "yes" button's label.
    pub yes: &'static str,
    /// The "no" button's label.
    pub no: &'static str,
    /// Focus is on "yes" (default: "no", the safe answer).
    pub on_yes: bool,
}

/// What the detail view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailOf {
    /// A row of the ACL matrix.
    Check(CheckId),
    /// The failed test incident of the review screen.
    TestIncident,
}

/// The full-width detail view: which document, scrolled how far. The document is built from
/// the model when drawn, so it never goes stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detail {
    /// What it shows.
    pub of: DetailOf,
    /// First line shown.
    pub scroll: u16,
}

/// Modal layers; the last one gets the keys.
#[derive(Debug)]
pub enum Modal {
    /// Keys of the current screen.
    Help,
    /// A yes/no question.
    Confirm(Confirm),
    /// Resume or discard a draft.
    Draft {
        /// Focus on "Resume" (else "Discard").
        on_resume: bool,
    },
    /// The Additional Fields picker.
    Picker(Box<PickerState>),
    /// "Select a value".
    Value(Box<ValueState>),
    /// The whole detail of a matrix row or of a failed test incident.
    Detail(Detail),
}

/// One-line feedback under the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The text.
    pub text: String,
    /// Shown as an error.
    pub error: bool,
}

/// The whole wizard.
#[derive(Debug)]
pub struct Model {
    /// The current screen.
    pub screen: Screen,
    /// Modal layers.
    pub modals: Vec<Modal>,
    /// Where the config is saved.
    pub config_path: PathBuf,
    /// What was there at start.
    pub existing: Existing,
    /// New / edit / replace.
    pub mode: Mode,
    /// The draft found at start, until resumed or discarded.
    pub draft: Option<(DraftState, u64)>,
    /// `--demo`.
    pub demo: bool,
    /// Colours or monochrome.
    pub theme: Theme,
    /// Terminal size.
    pub size: (u16, u16),
    /// Focused button on the welcome screen.
    pub welcome_focus: usize,
    /// Scroll of the text screens (welcome, choose a user, OAuth application).
    pub text_scroll: u16,
    /// Scroll of the help modal.
    pub help_scroll: u16,
    /// The Connect form.
    pub form: ConnectForm,
    /// The Checks screen.
    pub checks: ChecksState,
    /// The incident dictionary, once checks ran (shared with an open picker).
    pub dictionary: Option<Result<Arc<Dictionary>, DictionaryError>>,
    /// Credentials the instance rejected, with what is remembered about it: sending exactly
    /// these again asks first.
    pub rejected_login: Option<(ConnectionInput, Rejection)>,
    /// What the current check run was started with.
    pub checks_input: Option<ConnectionInput>,
    /// The Endpoints screen.
    pub endpoints: EndpointsState,
    /// The endpoint editor, while open.
    pub editor: Option<EditorState>,
    /// The review screen.
    pub review: ReviewState,
    /// Feedback line.
    pub status: Option<Status>,
    /// Something changed since the last save.
    pub unsaved: bool,
    /// Reference search counter.
    pub search_seq: u64,
    /// Pickers opened so far (each one's id).
    pub pickers_opened: u64,
    /// Spinner frame.
    pub spinner: usize,
    /// The wizard should exit.
    pub quit: bool,
}

impl Model {
    /// The starting state.
    pub fn new(setup: Setup) -> Model {
        let mut m = Model {
            screen: Screen::Welcome,
            modals: Vec::new(),
            config_path: setup.config_path,
            existing: setup.existing,
            mode: Mode::New,
            draft: setup.draft,
            demo: setup.demo,
            theme: setup.theme,
            size: setup.size,
            welcome_focus: 0,
            text_scroll: 0,
            help_scroll: 0,
            form: ConnectForm::default(),
            checks: ChecksState::default(),
            dictionary: None,
            rejected_login: None,
            checks_input: None,
            endpoints: EndpointsState::default(),
            editor: None,
            review: ReviewState::default(),
            status: None,
            unsaved: false,
            search_seq: 0,
            pickers_opened: 0,
            spinner: 0,
            quit: false,
        };
        if let Some(p) = setup.prefill {
            m.form.fields[0].set(&p.instance_url);
            m.form.fields[1].set(&p.client_id);
            m.form.fields[2].set(secrecy::ExposeSecret::expose_secret(&p.client_secret));
            m.form.fields[3].set(&p.username);
            m.form.fields[4].set(secrecy::ExposeSecret::expose_secret(&p.password));
        }
        if m.draft.is_some() {
            m.modals.push(Modal::Draft { on_resume: true });
        }
        m
    }

    /// The top modal, if any.
    pub fn top(&self) -> Option<&Modal> {
        self.modals.last()
    }

    /// A spinner is on screen (the loop ticks only then).
    pub fn animating(&self) -> bool {
        let searching = self
            .modals
            .iter()
            .any(|m| matches!(m, Modal::Value(v) if v.search.as_ref().is_some_and(|s| s.loading)));
        self.checks.running || searching || self.review.test == TestState::Running
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
        self.status = Some(Status {
            text: text.into(),
            error: false,
        });
    }
    /// Show an error line.
    pub fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: true,
        });
    }
}
