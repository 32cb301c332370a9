//! Step 5, Review & save: everything that will be written (secrets masked), where the
//! secrets go (inline in the 0600 file, or named: environment variables, a command such as
//! `pass`, or private files), an optional test incident (asked first), and Save (Ctrl-S).

use crate::sanitize::SafeText;
use std::path::PathBuf;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use secrecy::ExposeSecret;

use crate::config::{Base, Config, SecretField, SecretRef, ServiceNowConfig, Storage};
use crate::diagnose::ConnectionInput;
use crate::servicenow::InstanceUrl;
use crate::wizard::component::{Component, Reply};
use crate::wizard::context::Context;
use crate::wizard::keymap::{Action, Binding, Key, Keymap, keys};
use crate::wizard::model::{Existing, Mode, Screen};
use crate::wizard::msg::{CreatedTest, Effect, SaveFailure, Slot, TestFailure};
use crate::wizard::popups::{Confirm, ConfirmKind, DetailView};
use crate::wizard::screens::editor::value_text;
use crate::wizard::screens::endpoints;
use crate::wizard::widgets::doc::{self, Block};
use crate::wizard::widgets::draw::{SPINNER, button, pad, truncate};
use crate::wizard::widgets::focus::FocusRing;
use crate::wizard::widgets::rows::Window;
use crate::wizard::widgets::text_field::{TextField, masked};

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

impl ReviewItem {
    /// The storage a radio row stands for.
    fn storage(self) -> Option<Storage> {
        match self {
            ReviewItem::Inline => Some(Storage::Inline),
            ReviewItem::Env => Some(Storage::Env),
            ReviewItem::Command => Some(Storage::Command),
            ReviewItem::File => Some(Storage::File),
            ReviewItem::SecretVar
            | ReviewItem::PasswordVar
            | ReviewItem::Test
            | ReviewItem::Save => None,
        }
    }
}

/// The review screen.
#[derive(Debug, Clone)]
pub struct Review {
    /// Where the secrets are kept: inline, or named by a variable, a command or a file.
    pub storage: Storage,
    /// `client_secret_env` / `_command` / `_file`, by [`Review::storage`].
    pub secret_var: TextField,
    /// `password_env` / `_command` / `_file`.
    pub password_var: TextField,
    /// Which of [`Review::items`] has the focus.
    focus: FocusRing,
    /// The test incident.
    pub test: TestState,
    /// A save is in progress.
    pub saving: bool,
    /// Where the config was saved.
    pub saved: Option<PathBuf>,
    /// Why the last save failed.
    pub error: Option<String>,
    /// The user saw what changed on disk and chose to overwrite it.
    pub(crate) overwrite: bool,
    /// The connection as the form holds it (handed over when the screen is entered).
    connection: Option<ConnectionInput>,
}

impl Default for Review {
    fn default() -> Self {
        Review {
            storage: Storage::Inline,
            secret_var: TextField::with_value(SecretField::ClientSecret.default_env()).limit(512),
            password_var: TextField::with_value(SecretField::Password.default_env()).limit(512),
            focus: FocusRing::default(),
            test: TestState::Idle,
            saving: false,
            saved: None,
            error: None,
            overwrite: false,
            connection: None,
        }
    }
}

/// What the reference fields start with for each storage: examples the user edits.
fn default_reference(field: SecretField, storage: Storage) -> &'static str {
    match (field, storage) {
        (_, Storage::Inline) => "",
        (f, Storage::Env) => f.default_env(),
        (SecretField::ClientSecret, Storage::Command) => "pass show snow-connect/client-secret",
        (SecretField::Password, Storage::Command) => "pass show snow-connect/password",
        (SecretField::ClientSecret, Storage::File) => {
            "/run/credentials/snow-connect.service/client-secret"
        }
        (SecretField::Password, Storage::File) => "/run/credentials/snow-connect.service/password",
    }
}

/// The secret as the file will keep it, checked.
fn secret_ref(storage: Storage, field: SecretField, reference: &str) -> Result<SecretRef, String> {
    let v = reference.trim();
    let key = field.key(storage);
    match storage {
        Storage::Inline => Err("an inline secret has no reference".into()),
        Storage::Env if crate::config::is_env_name(v) => Ok(SecretRef::Env(v.to_string())),
        Storage::Env => Err(format!(
            "\"{}\" is not a valid environment variable name (letters, digits, _).",
            SafeText::line(v)
        )),
        Storage::Command if !v.is_empty() => Ok(SecretRef::Command(v.to_string())),
        Storage::Command => Err(format!(
            "`{key}` is empty: give the command that prints it."
        )),
        Storage::File if std::path::Path::new(v).is_absolute() => {
            Ok(SecretRef::File(std::path::PathBuf::from(v)))
        }
        Storage::File => Err(format!(
            "`{key}` must be an absolute path, e.g. {}.",
            default_reference(field, Storage::File)
        )),
    }
}

impl Review {
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
        self.focus.get(&self.items()).unwrap_or(ReviewItem::Save)
    }

    /// Focus `item`, when it is on offer.
    pub fn focus_on(&mut self, item: ReviewItem) {
        self.focus.set(&self.items(), &item);
    }

    /// The screen is entered with the connection the form holds now.
    pub fn enter(&mut self, connection: ConnectionInput) {
        self.connection = Some(connection);
    }

    /// Keep the secrets the way a saved config keeps them (editing it).
    pub fn fill_from_config(&mut self, cfg: &Config) {
        let s = &cfg.servicenow;
        let mut storage = Storage::Inline;
        if let Some(reference) = s.client_secret.reference() {
            storage = s.client_secret.storage();
            self.secret_var.set(&reference);
        }
        if let Some(reference) = s.password.reference() {
            if storage == Storage::Inline {
                storage = s.password.storage();
            }
            self.password_var.set(&reference);
        }
        self.storage = storage;
    }

    /// Choose where the secrets are kept. A reference still at another storage's example (or
    /// empty) becomes this storage's example; one the user typed is kept.
    pub fn choose(&mut self, storage: Storage, cx: &mut Context) {
        if self.storage == storage {
            return;
        }
        cx.unsaved = true;
        self.storage = storage;
        for (field, input) in [
            (SecretField::ClientSecret, &mut self.secret_var),
            (SecretField::Password, &mut self.password_var),
        ] {
            let v = input.value().trim();
            let is_example = v.is_empty()
                || Storage::ALL
                    .iter()
                    .any(|s| default_reference(field, *s) == v);
            if is_example && storage != Storage::Inline {
                input.set(default_reference(field, storage));
            }
        }
    }

    fn connection(&self) -> ConnectionInput {
        self.connection.clone().unwrap_or_else(|| ConnectionInput {
            instance_url: String::new(),
            client_id: String::new(),
            client_secret: String::new().into(),
            username: String::new(),
            password: String::new().into(),
        })
    }

    /// The config that Save writes.
    pub fn config(&self, cx: &Context) -> Result<Config, String> {
        let c = self.connection();
        let url = InstanceUrl::parse(&c.instance_url).map_err(|e| format!("Instance URL: {e}"))?;
        let storage = self.storage;
        let (secret, password) = if storage != Storage::Inline {
            (
                secret_ref(storage, SecretField::ClientSecret, self.secret_var.value())?,
                secret_ref(storage, SecretField::Password, self.password_var.value())?,
            )
        } else {
            (
                SecretRef::Inline(c.client_secret.clone()),
                SecretRef::Inline(c.password.clone()),
            )
        };
        if cx.endpoints.is_empty() {
            return Err(
                "Add at least one endpoint: the integration cannot be used without one.".into(),
            );
        }
        Ok(Config {
            servicenow: ServiceNowConfig {
                instance_url: url.as_str().to_string(),
                client_id: c.client_id,
                client_secret: secret,
                username: c.username,
                password,
            },
            endpoints: cx.endpoints.clone(),
        })
    }

    /// Ask before creating a real incident: what it sets, whether it may notify people.
    fn ask_test(&mut self, cx: &mut Context) -> Reply {
        if !cx.checks.connected {
            cx.error(
                "Not connected: run the checks (Connect screen) before sending a test incident.",
            );
            return Reply::none();
        }
        if self.test == TestState::Running {
            cx.info("A test incident is being created; wait for its number.");
            return Reply::none();
        }
        // The instance would refuse what `send` refuses; say what to fix instead of sending.
        if let Some(bad) = endpoints::invalid(cx).first() {
            cx.error(format!(
                "Not sent: endpoint \"{}\" is invalid ({}); fix it in Endpoints first.",
                SafeText::line(&bad.name),
                endpoints::invalid_summary(bad).trim_start_matches("✗ "),
            ));
            return Reply::none();
        }
        // A real incident, on a real instance: say what it sets and ask, Cancel first, every
        // time (a second test right after a success asks again instead of a duplicate).
        let (plan, through) = test_plan(cx);
        let instance = SafeText::line(cx.checks.instance_url.as_deref().unwrap_or("the instance"));
        let mut body: Vec<String> = vec![match &through {
            Some(name) => format!(
                "This creates a real incident on {instance} through the endpoint \"{}\", with:",
                SafeText::line(name)
            ),
            None => format!("This creates a real incident on {instance} with:"),
        }];
        if through.is_some() && cx.endpoints.len() > 1 {
            body.push(
                "(The first endpoint: `snow-connect send --dry-run --endpoint NAME` shows what \
                 the others would create.)"
                    .to_string(),
            );
        }
        for (field, value) in &plan.body {
            let shown = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            body.push(format!(
                "  {} = {}",
                SafeText::line(field),
                crate::wizard::screens::checks::shorten(&SafeText::line(&shown), 160)
            ));
        }
        let pages = plan.body.contains_key("assignment_group")
            || ["urgency", "impact", "priority"].iter().any(|k| {
                plan.body
                    .get(*k)
                    .is_some_and(|v| v.as_str() == Some("1") || v.as_i64() == Some(1))
            });
        if pages {
            body.push(
                "An assignment group or an urgency, impact or priority of 1 may notify people."
                    .to_string(),
            );
        }
        if matches!(self.test, TestState::Done(Ok(_))) {
            body.push("A test incident was already created in this session.".to_string());
        }
        Reply::open(Confirm::new(
            ConfirmKind::SendTestIncident,
            "Create a test incident?",
            body,
            "Create it",
            "Cancel",
        ))
    }

    /// The user said yes to the test incident: send it once.
    pub fn send_test_confirmed(&mut self, cx: &Context) -> Reply {
        if self.test == TestState::Running {
            return Reply::none();
        }
        self.test = TestState::Running;
        Reply::effect(Effect::SendTestIncident {
            plan: Box::new(test_plan(cx).0),
        })
    }

    /// The test incident waits out a rate limit: say so, so the spinner is not a mystery.
    pub fn on_test_waiting(&self, text: &str, cx: &mut Context) {
        if self.test == TestState::Running {
            cx.info(SafeText::line(text).into_owned());
        }
    }

    /// The test incident's outcome.
    pub fn on_test(&mut self, result: Result<CreatedTest, TestFailure>, cx: &mut Context) {
        if self.test != TestState::Running {
            return;
        }
        match &result {
            Ok(c) => cx.info(format!(
                "Created {} (a clearly labelled test; safe to close).",
                SafeText::line(&c.number)
            )),
            Err(_) => cx.error("The test incident failed: v shows why."),
        }
        self.test = TestState::Done(result);
    }

    /// The failed test incident's whole story: what happened, ServiceNow's answer in full,
    /// and what to change (the role fix of `diagnose::create_failure`).
    fn test_detail(&self, cx: &Context) -> Reply {
        let TestState::Done(Err(e)) = &self.test else {
            return Reply::none();
        };
        let t = cx.theme;
        // "Failed", not "not created": after a timeout nobody knows, and the message says so.
        let mut v = vec![
            Block::spans(vec![
                Span::styled("✗ Failed ", t.error()),
                Span::styled("· incident:create", t.dim()),
            ]),
            Block::text(SafeText::line(&e.message).into_owned()),
        ];
        let mut copy = format!("Test incident failed: {}", SafeText::line(&e.message));
        if let Some(ev) = &e.evidence {
            v.push(Block::Blank);
            v.push(Block::styled("Evidence", t.strong()));
            v.push(Block::Para {
                indent: 2,
                spans: vec![Span::raw(SafeText::line(ev).into_owned())],
            });
            copy.push_str(&format!("\nEvidence: {}", SafeText::line(ev)));
        }
        if let Some(fix) = &e.fix {
            v.push(Block::Blank);
            v.push(Block::styled(
                if e.in_servicenow {
                    "What to change in ServiceNow:"
                } else {
                    "What to do:"
                },
                t.strong(),
            ));
            let lines: Vec<String> = fix.lines().map(String::from).collect();
            v.extend(crate::wizard::screens::checks::fix_blocks(&lines, 2));
            copy.push_str(&format!("\n\n{}", SafeText::text(fix)));
        }
        Reply::open(DetailView::new("Test incident", v, copy))
    }

    /// `v` opens why the test incident failed, while a failure is shown.
    fn why_binding(&self) -> Option<Binding> {
        matches!(self.test, TestState::Done(Err(_)))
            .then(|| Binding::new(&[Key::ch('v')], "why it failed", Action::Details))
    }

    /// Leaving the screen cancels a running test; a finished one is forgotten.
    pub fn leave(&mut self) -> Option<Effect> {
        let running = self.test == TestState::Running;
        self.test = TestState::Idle;
        running.then_some(Effect::Cancel(Slot::TestIncident))
    }

    /// Save; `replace` after the user confirmed replacing another instance (which comes
    /// after the question about invalid endpoints).
    pub fn save(&mut self, cx: &mut Context, replace: bool) -> Reply {
        self.save_with(cx, replace, replace)
    }

    /// Save after the user chose to write invalid endpoints anyway.
    pub fn save_invalid(&mut self, cx: &mut Context) -> Reply {
        self.save_with(cx, false, true)
    }

    /// Save over a file that changed on disk (the user saw the changes).
    pub fn overwrite_confirmed(&mut self, cx: &mut Context) -> Reply {
        self.overwrite = true;
        self.save(cx, false)
    }

    fn save_with(&mut self, cx: &mut Context, replace: bool, invalid_ok: bool) -> Reply {
        if self.saving {
            return Reply::none();
        }
        let bad = endpoints::invalid(cx);
        if !invalid_ok && !bad.is_empty() {
            return ask_save_invalid(&bad);
        }
        let cfg = match self.config(cx) {
            Ok(c) => c,
            Err(e) => {
                self.error = Some(e.clone());
                cx.error(e);
                return Reply::none();
            }
        };
        let replace = replace
            || matches!(cx.mode, Mode::Replace)
            || matches!(cx.existing, Existing::Invalid(_));
        if !replace
            && let Some(old) = cx.existing_config()
            && old.servicenow.instance_url != cfg.servicenow.instance_url
        {
            return ask_replace(
                cx,
                &old.servicenow.instance_url,
                &cfg.servicenow.instance_url,
            );
        }
        // What the file held when the wizard read it: a save never drops what someone else
        // wrote since, unless the user saw the changes and chose to overwrite them.
        let base = if std::mem::take(&mut self.overwrite) {
            Base::Any
        } else {
            match &cx.existing {
                Existing::Loaded { config, .. } => Base::Loaded(config.clone()),
                Existing::None => Base::Absent,
                Existing::Invalid(_) => Base::Any,
            }
        };
        self.saving = true;
        self.error = None;
        Reply::effect(Effect::SaveConfig {
            path: cx.config_path.clone(),
            config: Box::new(cfg),
            replace,
            base,
        })
    }

    /// The save finished.
    pub fn on_saved(&mut self, result: Result<PathBuf, SaveFailure>, cx: &mut Context) -> Reply {
        self.saving = false;
        match result {
            Ok(path) => {
                // What is on disk now, for the next save's comparison.
                if let Ok(cfg) = self.config(cx) {
                    cx.existing = Existing::Loaded {
                        config: Box::new(cfg),
                        warnings: Vec::new(),
                    };
                }
                cx.unsaved = false;
                cx.info(format!("Saved to {}. Enter finishes.", path.display()));
                self.saved = Some(path);
                Reply::effect(Effect::ClearDraft)
            }
            Err(SaveFailure::DifferentInstance { existing }) => {
                let new = self.connection().instance_url;
                ask_replace(cx, &existing, &new)
            }
            Err(SaveFailure::ChangedOnDisk { changes }) => {
                let mut body = vec![format!(
                    "{} changed since the wizard read it:",
                    cx.config_path.display()
                )];
                body.extend(changes.iter().map(|c| format!("  • {c}")));
                body.push("Overwriting drops those changes.".to_string());
                Reply::open(Confirm::new(
                    ConfirmKind::OverwriteChanged,
                    "The file changed on disk",
                    body,
                    "Overwrite",
                    "Cancel",
                ))
            }
            Err(SaveFailure::Other(e)) => {
                self.error = Some(e.clone());
                cx.error(format!("Not saved: {e}"));
                Reply::none()
            }
        }
    }

    /// What will be written, as lines.
    fn summary(&self, cx: &Context, w: usize) -> Vec<Line<'static>> {
        let t = cx.theme;
        let label_w = if w >= 50 { 16 } else { 15 };
        let kv = |k: &str, v: String| {
            Line::from(vec![
                Span::styled(format!("  {} ", pad(k, label_w - 1)), t.dim()),
                Span::raw(truncate(&v, w.saturating_sub(label_w + 2))),
            ])
        };
        let c = self.connection();
        let url = InstanceUrl::parse(&c.instance_url)
            .map(|u| u.as_str().to_string())
            .unwrap_or_else(|_| c.instance_url.clone());
        let secret_text = |secret: &secrecy::SecretString, var: &str| {
            let shown = SafeText::line(var.trim());
            match self.storage {
                Storage::Env => format!("from ${shown}"),
                Storage::Command => format!("printed by `{shown}`"),
                Storage::File => format!("read from {shown}"),
                Storage::Inline => format!("{} (in the file)", masked(secret.expose_secret())),
            }
        };
        let mut v = vec![Line::from(Span::styled("5. Review & save", t.heading()))];
        // Saving is allowed after "continue anyway", but never without saying what it means.
        if let Some(warning) = unverified(cx) {
            let block = Block::item(0, "! ", vec![Span::styled(warning, t.warn())]);
            v.extend(doc::wrap(&[block], w));
        }
        v.extend([
            Line::from(Span::styled("ServiceNow", t.strong())),
            kv("Instance URL", SafeText::line(&url).into_owned()),
            kv("Client ID", SafeText::line(&c.client_id).into_owned()),
            kv(
                "Client Secret",
                secret_text(&c.client_secret, self.secret_var.value()),
            ),
            kv("User name", SafeText::line(&c.username).into_owned()),
            kv(
                "Password",
                secret_text(&c.password, self.password_var.value()),
            ),
            Line::from(Span::styled(
                format!("Endpoints ({})", cx.endpoints.len()),
                t.strong(),
            )),
        ]);
        for e in &cx.endpoints {
            let mut head = format!("  {}", SafeText::line(&e.name));
            if !e.description.is_empty() {
                head.push_str(&format!(" — {}", SafeText::line(&e.description)));
            }
            v.push(Line::from(truncate(&head, w)));
            if let Some(bad) = endpoints::verdict(cx, e).filter(|v| !v.ok) {
                v.push(Line::from(Span::styled(
                    truncate(&format!("    {}", endpoints::invalid_summary(&bad)), w),
                    t.error(),
                )));
                for p in &bad.problems {
                    v.push(Line::from(Span::styled(
                        truncate(&format!("      {}", SafeText::line(&p.message)), w),
                        t.error(),
                    )));
                }
            }
            v.push(Line::from(Span::styled(
                truncate("    short_description, description: from the alert", w),
                t.dim(),
            )));
            for f in &e.fields {
                let tag = if f.mandatory { " (mandatory)" } else { "" };
                v.push(Line::from(truncate(
                    &format!(
                        "    {} = {}{tag}",
                        SafeText::line(&f.element),
                        value_text(&f.value, f.display.as_deref())
                    ),
                    w,
                )));
            }
        }
        v
    }
}

/// What the review must say when the checks did not pass (or did not run): the file is saved
/// as typed, but nothing about it is verified.
fn unverified(cx: &Context) -> Option<String> {
    if cx.checks.rows.is_empty() {
        return Some(
            "The checks have not run in this session: nothing here is verified against the \
             instance."
                .to_string(),
        );
    }
    if cx.checks.required_ok() {
        return None;
    }
    let causes: Vec<String> = crate::wizard::screens::checks::assessment(cx)
        .causes
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    let why = if causes.is_empty() {
        String::new()
    } else {
        format!(" ({})", causes.join(", "))
    };
    let endpoints = if cx.dict().is_none() {
        "; the endpoints could not be checked against the instance's dictionary"
    } else {
        ""
    };
    Some(format!(
        "The checks did not pass{why}: this file will not work until they do{endpoints}."
    ))
}

/// The test incident: the alert's clearly labelled test text through the first endpoint (its
/// fields and values, so the test proves what alerts will send), or the text alone when
/// there is no endpoint or no dictionary to build it with. The endpoint's name, when used.
fn test_plan(cx: &Context) -> (crate::incident::Plan, Option<String>) {
    let alert = crate::incident::Alert::connection_test();
    if let (Some(dict), Some(endpoint)) = (cx.dict(), cx.endpoints.first())
        && let Ok(plan) = crate::incident::plan(endpoint, &alert, dict)
    {
        return (plan, Some(endpoint.name.clone()));
    }
    (crate::incident::plan_test(cx.dict()), None)
}

fn ask_save_invalid(bad: &[crate::dictionary::EndpointCheck]) -> Reply {
    let mut body: Vec<String> = bad
        .iter()
        .map(|v| {
            let first = v.problems.first().map_or(String::new(), |p| {
                format!(
                    " {}: {}",
                    SafeText::line(&p.field),
                    SafeText::line(&p.message)
                )
            });
            format!("✗ \"{}\" is invalid.{first}", SafeText::line(&v.name))
        })
        .collect();
    body.push("`send` refuses an invalid endpoint until it is fixed.".into());
    let title = if bad.len() == 1 {
        "Save an invalid endpoint?".to_string()
    } else {
        format!("Save {} invalid endpoints?", bad.len())
    };
    Reply::open(Confirm::new(
        ConfirmKind::SaveInvalid,
        title,
        body,
        "Save anyway",
        "Cancel",
    ))
}

fn ask_replace(cx: &Context, existing: &str, new: &str) -> Reply {
    Reply::open(Confirm::new(
        ConfirmKind::ReplaceOnSave,
        "Replace the connected instance?",
        vec![
            format!(
                "{} is connected to {}. Only one instance can be connected.",
                cx.config_path.display(),
                SafeText::line(existing)
            ),
            format!(
                "Saving {} replaces it; endpoints that are not in this wizard are deleted.",
                SafeText::line(new)
            ),
        ],
        "Replace",
        "Cancel",
    ))
}

/// One row of the review's layout.
enum Row {
    Text(Line<'static>),
    Var(ReviewItem),
    Test,
    Save,
}

impl Component for Review {
    fn bindings(&self, _cx: &Context) -> Keymap {
        if self.saved.is_some() {
            let mut v = vec![
                Binding::new(&[keys::ENTER], "finish", Action::Quit),
                Binding::new(&[Key::ch('t')], "send test incident", Action::Retry),
            ];
            v.extend(self.why_binding());
            v.push(Binding::new(
                &[keys::ESC],
                "back to endpoints",
                Action::Back,
            ));
            return v;
        }
        let focused = self.focused();
        let enter = match focused {
            ReviewItem::Inline | ReviewItem::Env | ReviewItem::Command | ReviewItem::File => {
                "choose"
            }
            ReviewItem::SecretVar | ReviewItem::PasswordVar => "next",
            ReviewItem::Test => "send test incident",
            ReviewItem::Save => "save",
        };
        let mut v = vec![Binding::new(&[keys::ENTER], enter, Action::Activate)];
        // Letters, so only while no text field has the keys; why a test failed comes right
        // after Enter, so a short footer keeps it.
        if !self.typing() {
            v.extend(self.why_binding());
            v.push(Binding::new(&[Key::ch('t')], "send test incident", Action::Retry).hidden());
        }
        v.extend([
            Binding::new(&[keys::TAB, keys::DOWN], "next", Action::Next),
            Binding::new(&[keys::CTRL_S], "save", Action::Save),
            Binding::new(&[keys::BACKTAB, keys::UP], "previous", Action::Prev).hidden(),
        ]);
        if focused.storage().is_some() {
            v.push(Binding::new(&[keys::SPACE], "choose", Action::Toggle).hidden());
        }
        v.push(Binding::new(&[keys::ESC], "back", Action::Back));
        v
    }

    fn action(&mut self, a: Action, cx: &mut Context) -> Reply {
        if a == Action::Details {
            return self.test_detail(cx);
        }
        if self.saved.is_some() {
            return match a {
                Action::Retry => self.ask_test(cx),
                Action::Back => {
                    self.saved = None;
                    Reply::go(Screen::Endpoints)
                }
                _ => Reply::none(),
            };
        }
        let n = self.items().len();
        match a {
            Action::Next => self.focus.next(n),
            Action::Prev => self.focus.prev(n),
            Action::Save => return self.save(cx, false),
            Action::Retry => return self.ask_test(cx),
            Action::Toggle | Action::Activate => match self.focused() {
                item @ (ReviewItem::Inline
                | ReviewItem::Env
                | ReviewItem::Command
                | ReviewItem::File) => {
                    if let Some(storage) = item.storage() {
                        self.choose(storage, cx);
                    }
                }
                ReviewItem::SecretVar | ReviewItem::PasswordVar => {
                    self.focus.next(n);
                }
                ReviewItem::Test => return self.ask_test(cx),
                ReviewItem::Save => return self.save(cx, false),
            },
            Action::Back => return Reply::go(Screen::Endpoints),
            _ => {}
        }
        Reply::none()
    }

    fn input(&mut self) -> Option<&mut TextField> {
        if self.saved.is_some() {
            return None;
        }
        match self.focused() {
            ReviewItem::SecretVar => Some(&mut self.secret_var),
            ReviewItem::PasswordVar => Some(&mut self.password_var),
            ReviewItem::Inline
            | ReviewItem::Env
            | ReviewItem::Command
            | ReviewItem::File
            | ReviewItem::Test
            | ReviewItem::Save => None,
        }
    }

    fn typing(&self) -> bool {
        self.saved.is_none()
            && match self.focused() {
                ReviewItem::SecretVar | ReviewItem::PasswordVar => true,
                ReviewItem::Inline
                | ReviewItem::Env
                | ReviewItem::Command
                | ReviewItem::File
                | ReviewItem::Test
                | ReviewItem::Save => false,
            }
    }

    fn view(&self, f: &mut Frame, area: Rect, cx: &Context) {
        let t = cx.theme;
        // The last column is kept for the ↑/↓ markers.
        let w = usize::from(area.width.saturating_sub(1));
        let focused = self.focused();
        let saved = self.saved.is_some();
        let mut rows: Vec<Row> = self.summary(cx, w).into_iter().map(Row::Text).collect();
        rows.push(Row::Text(Line::from(Span::styled("Secrets", t.strong()))));
        let mut focus_row = 0usize;
        for (item, text) in [
            (ReviewItem::Inline, "inline in the file (mode 0600)"),
            (ReviewItem::Env, "environment variables"),
            (
                ReviewItem::Command,
                "commands that print them (pass, vault …)",
            ),
            (
                ReviewItem::File,
                "files of mode 0600 (systemd credentials …)",
            ),
        ] {
            let is_focus = !saved && focused == item;
            if is_focus {
                focus_row = rows.len();
            }
            let mark = if item.storage() == Some(self.storage) {
                "(•)"
            } else {
                "( )"
            };
            rows.push(Row::Text(Line::from(vec![
                Span::raw(if is_focus { "▸ " } else { "  " }),
                Span::styled(
                    format!("{mark} {text}"),
                    if is_focus { t.focus() } else { t.text() },
                ),
            ])));
        }
        if self.storage != Storage::Inline {
            for item in [ReviewItem::SecretVar, ReviewItem::PasswordVar] {
                if focused == item {
                    focus_row = rows.len();
                }
                rows.push(Row::Var(item));
            }
        }
        rows.push(Row::Text(Line::default()));
        if focused == ReviewItem::Test {
            focus_row = rows.len();
        }
        rows.push(Row::Test);
        match &self.test {
            TestState::Idle => {}
            TestState::Running => rows.push(Row::Text(Line::from(Span::styled(
                format!(
                    "  {} creating the test incident…",
                    SPINNER[cx.spinner % SPINNER.len()]
                ),
                t.warn(),
            )))),
            TestState::Done(Ok(c)) => {
                // The link whole, wrapped: it is what the user opens.
                let block = Block::item(
                    2,
                    "✓ ",
                    vec![Span::styled(
                        format!(
                            "Created {} {}",
                            SafeText::line(&c.number),
                            SafeText::line(&c.url)
                        ),
                        t.ok(),
                    )],
                );
                rows.extend(doc::wrap(&[block], w).into_iter().map(Row::Text));
            }
            // The whole story does not fit a line at any width: say what happened and how to
            // read it.
            TestState::Done(Err(e)) => {
                // The status ServiceNow answered with, when it answered: "(HTTP 403)".
                let status = e
                    .evidence
                    .as_deref()
                    .and_then(|ev| ev.split(':').next())
                    .filter(|s| s.starts_with("HTTP ") && s.len() <= 8)
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default();
                rows.push(Row::Text(Line::from(Span::styled(
                    truncate(&format!("  ✗ The test incident failed{status}."), w),
                    t.error(),
                ))));
                rows.push(Row::Text(Line::from(vec![
                    Span::raw("    "),
                    Span::styled("v", t.strong()),
                    Span::raw(truncate(
                        " shows why and what to change.",
                        w.saturating_sub(5),
                    )),
                ])));
            }
        }
        if focused == ReviewItem::Save || saved {
            focus_row = rows.len();
        }
        rows.push(Row::Save);
        rows.push(Row::Text(Line::from(Span::styled(
            truncate(&format!("File: {}", cx.config_path.display()), w),
            t.dim(),
        ))));
        if let Some(e) = &self.error {
            let block = Block::item(0, "✗ ", vec![Span::styled(e.clone(), t.error())]);
            rows.extend(doc::wrap(&[block], w).into_iter().map(Row::Text));
        }

        let height = usize::from(area.height);
        // The heading stays; the rest scrolls to keep the focused row in view.
        let window = Window::new(rows.len(), height, focus_row, 2, 1);
        for (row, r) in window.show(rows, area) {
            match row {
                Row::Text(line) => f.render_widget(Paragraph::new(line), r),
                Row::Var(item) => {
                    let (field, input) = if item == ReviewItem::SecretVar {
                        (SecretField::ClientSecret, &self.secret_var)
                    } else {
                        (SecretField::Password, &self.password_var)
                    };
                    let [label, value, _] = Layout::horizontal([
                        Constraint::Length(28),
                        Constraint::Max(60),
                        Constraint::Fill(1),
                    ])
                    .areas(r);
                    f.render_widget(
                        Paragraph::new(Span::styled(
                            format!("      {}", pad(field.key(self.storage), 22)),
                            t.dim(),
                        )),
                        label,
                    );
                    input.render(f, value, !saved && focused == item, true, t);
                }
                Row::Test => f.render_widget(
                    Paragraph::new(button(
                        "Send a test incident",
                        !saved && focused == ReviewItem::Test,
                        t,
                    )),
                    r,
                ),
                Row::Save => {
                    let label = if saved {
                        "Saved ✓"
                    } else if self.saving {
                        "Saving…"
                    } else {
                        "Save"
                    };
                    f.render_widget(
                        Paragraph::new(button(label, saved || focused == ReviewItem::Save, t)),
                        r,
                    );
                }
            }
        }
        window.markers(f, area, 1, cx.theme);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    /// Every focus position either takes typed keys (and says so) or does not; the two
    /// references take them.
    #[test]
    fn every_text_item_is_wired_to_typed_keys() {
        let mut r = Review {
            storage: Storage::Env,
            ..Review::default()
        };
        for item in r.items() {
            r.focus_on(item);
            r.secret_var.set("");
            r.password_var.set("");
            let typing = r.typing();
            let took = r
                .input()
                .map(|f| f.edit(&KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE)));
            assert_eq!(typing, took.is_some(), "{item:?}");
            let text = matches!(item, ReviewItem::SecretVar | ReviewItem::PasswordVar);
            assert_eq!(took, text.then_some(true), "{item:?}");
        }
    }

    use crate::wizard::model::{Model, Screen};
    use crate::wizard::popups::Popup;
    use crate::wizard::test_fixtures::*;

    /// The review screen after passed checks, with one endpoint.
    fn review() -> Model {
        let mut m = checked(results_ok(), Some(Ok(dictionary())));
        send(&mut m, [key(KeyCode::Char('c'))]);
        m.cx.endpoints.push(crate::config::Endpoint {
            name: "FinOps anomalies".into(),
            description: String::new(),
            table: "incident".into(),
            fields: Vec::new(),
        });
        send(&mut m, [key(KeyCode::Char('c'))]);
        assert_eq!(m.screen, Screen::Review);
        m
    }

    fn failure() -> TestFailure {
        TestFailure {
            message: "ServiceNow refused to create the incident.".into(),
            evidence: Some(
                "HTTP 403: Operation Failed: ACL Exception Insert Failed due to security constraints"
                    .into(),
            ),
            fix: Some("ServiceNow admin: let u create incidents.\n1. Give u the itil role (or the narrower sn_incident_write).".into()),
            in_servicenow: true,
        }
    }

    #[test]
    fn a_failed_test_incident_says_how_to_read_it_and_v_opens_it_whole() {
        let mut m = review();
        // Nothing to open before a failure.
        send(&mut m, [key(KeyCode::Char('v'))]);
        assert!(m.popups.is_empty());
        m.screens.review.test = TestState::Running;
        send(
            &mut m,
            [crate::wizard::msg::Msg::TestIncident(Err(failure()))],
        );
        let screen = render(&mut m, 80, 24);
        assert!(
            screen.contains("✗ The test incident failed (HTTP 403)."),
            "{screen}"
        );
        assert!(
            screen.contains("v shows why and what to change."),
            "{screen}"
        );
        assert!(
            screen
                .lines()
                .last()
                .unwrap_or_default()
                .contains("v why it failed"),
            "{screen}"
        );
        send(&mut m, [key(KeyCode::Char('v'))]);
        assert!(matches!(m.top(), Some(Popup::Detail(d)) if d.title == "Test incident"));
        let detail = render(&mut m, 80, 24);
        assert!(
            detail.lines().any(|l| l.contains(
                "HTTP 403: Operation Failed: ACL Exception Insert Failed due to security"
            )),
            "{detail}"
        );
        assert!(detail.contains("What to change in ServiceNow:"), "{detail}");
        assert!(detail.contains("sn_incident_write"), "{detail}");
        let effects = send(&mut m, [key(KeyCode::Char('y'))]);
        assert!(
            matches!(effects.as_slice(), [Effect::Clipboard(t)] if t.contains("itil")),
            "{effects:?}"
        );
        send(&mut m, [key(KeyCode::Esc)]);
        assert!(m.popups.is_empty());
    }

    #[test]
    fn v_types_into_a_reference_field_even_after_a_failure() {
        let mut m = review();
        let r = &mut m.screens.review;
        r.test = TestState::Done(Err(failure()));
        r.storage = Storage::Env;
        r.secret_var.set("SNOW_");
        r.focus_on(ReviewItem::SecretVar);
        send(&mut m, [key(KeyCode::Char('v'))]);
        assert!(m.popups.is_empty(), "no detail while typing");
        assert_eq!(m.screens.review.secret_var.value(), "SNOW_v");
    }

    #[test]
    fn a_create_failure_keeps_its_evidence_and_where_the_fix_is_made() {
        use crate::diagnose::Verdict;
        use crate::diagnose::create_failure::CreateFailure;
        let refused = TestFailure::from(CreateFailure {
            verdict: Verdict::MustChange,
            message: "refused".into(),
            evidence: "HTTP 403: Operation Failed".into(),
            fix: Some("give the role".into()),
        });
        assert!(refused.in_servicenow);
        assert_eq!(
            refused.evidence.as_deref(),
            Some("HTTP 403: Operation Failed")
        );
        let unknown = TestFailure::from(CreateFailure {
            verdict: Verdict::Unreachable,
            message: "no answer".into(),
            evidence: String::new(),
            fix: Some("look for it first".into()),
        });
        assert!(!unknown.in_servicenow);
        assert_eq!(unknown.evidence, None);
    }
}
