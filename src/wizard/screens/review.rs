//! Screen 8, Review & save: everything that will be written (secrets masked), where the
//! secrets go (inline in the 0600 file, or named: environment variables, a command such as
//! `pass`, or private files), an optional test incident, and Save.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::config::{Base, Config, SecretField, SecretRef, ServiceNowConfig, Storage};
use crate::servicenow::InstanceUrl;
use crate::wizard::keymap::{Action, Binding, Key, Keymap, keys};
use crate::wizard::model::{
    Confirm, ConfirmKind, Detail, DetailOf, Existing, Modal, Mode, Model, ReviewItem, Screen,
    TestState,
};
use crate::wizard::msg::{CreatedTest, Effect, SaveFailure, TestFailure};
use crate::wizard::screens::checks::SPINNER;
use crate::wizard::screens::editor::value_text;
use crate::wizard::screens::endpoints;
use crate::wizard::update::go;
use crate::wizard::widgets::doc::Block;
use crate::wizard::widgets::draw::{button, pad, truncate};
use crate::wizard::widgets::text_field::MASK;

/// Whether the focused item is a text field.
pub fn typing(m: &Model) -> bool {
    m.review.saved.is_none()
        && matches!(
            m.review.focused(),
            ReviewItem::SecretVar | ReviewItem::PasswordVar
        )
}

/// Keys of the review screen.
pub fn keymap(m: &Model) -> Keymap {
    if m.review.saved.is_some() {
        let mut v = vec![
            Binding::new(&[keys::ENTER], "finish", Action::Quit),
            Binding::new(&[Key::ch('t')], "send test incident", Action::Retry),
        ];
        v.extend(why_binding(m));
        v.push(Binding::new(
            &[keys::ESC],
            "back to endpoints",
            Action::Back,
        ));
        return v;
    }
    let enter = match m.review.focused() {
        ReviewItem::Inline | ReviewItem::Env | ReviewItem::Command | ReviewItem::File => "choose",
        ReviewItem::SecretVar | ReviewItem::PasswordVar => "next",
        ReviewItem::Test => "send test incident",
        ReviewItem::Save => "save",
    };
    let mut v = vec![
        Binding::new(&[keys::ENTER], enter, Action::Activate),
        Binding::new(&[keys::TAB, keys::DOWN], "next", Action::Next),
        Binding::new(&[keys::BACKTAB, keys::UP], "previous", Action::Prev).hidden(),
    ];
    // A letter, so only while no text field has the keys.
    if !typing(m) {
        v.extend(why_binding(m));
    }
    if storage_of(m.review.focused()).is_some() {
        v.push(Binding::new(&[keys::SPACE], "choose", Action::Toggle).hidden());
    }
    v.push(Binding::new(&[keys::ESC], "back", Action::Back));
    v
}

/// `v` opens why the test incident failed, while a failure is shown.
fn why_binding(m: &Model) -> Option<Binding> {
    matches!(m.review.test, TestState::Done(Err(_)))
        .then(|| Binding::new(&[Key::ch('v')], "why it failed", Action::Details))
}

/// React to an action.
pub fn action(m: &mut Model, a: Action) -> Vec<Effect> {
    if a == Action::Details {
        if matches!(m.review.test, TestState::Done(Err(_))) {
            m.modals.push(Modal::Detail(Detail {
                of: DetailOf::TestIncident,
                scroll: 0,
            }));
        }
        return Vec::new();
    }
    if m.review.saved.is_some() {
        return match a {
            Action::Retry => send_test(m),
            Action::Back => {
                m.review.saved = None;
                go(m, Screen::Endpoints)
            }
            _ => Vec::new(),
        };
    }
    let n = m.review.items().len();
    match a {
        Action::Next => m.review.focus = (m.review.focus + 1) % n,
        Action::Prev => m.review.focus = (m.review.focus + n - 1) % n,
        Action::Toggle | Action::Activate => match m.review.focused() {
            ReviewItem::Inline | ReviewItem::Env | ReviewItem::Command | ReviewItem::File => {
                if let Some(storage) = storage_of(m.review.focused()) {
                    choose(m, storage);
                }
            }
            ReviewItem::SecretVar | ReviewItem::PasswordVar => {
                m.review.focus = (m.review.focus + 1) % n;
            }
            ReviewItem::Test => return send_test(m),
            ReviewItem::Save => return save(m, false),
        },
        Action::Back => {
            // Leaving the review cancels a running test (see `go`); a finished one is forgotten.
            m.review.test = TestState::Idle;
            return go(m, Screen::Endpoints);
        }
        _ => {}
    }
    Vec::new()
}

/// The storage a radio row stands for.
fn storage_of(item: ReviewItem) -> Option<Storage> {
    match item {
        ReviewItem::Inline => Some(Storage::Inline),
        ReviewItem::Env => Some(Storage::Env),
        ReviewItem::Command => Some(Storage::Command),
        ReviewItem::File => Some(Storage::File),
        _ => None,
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

/// Choose where the secrets are kept. A reference still at another storage's example (or
/// empty) becomes this storage's example; one the user typed is kept.
fn choose(m: &mut Model, storage: Storage) {
    if m.review.storage == storage {
        return;
    }
    m.unsaved = true;
    m.review.storage = storage;
    for (field, input) in [
        (SecretField::ClientSecret, &mut m.review.secret_var),
        (SecretField::Password, &mut m.review.password_var),
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

/// The secret as the file will keep it, checked.
fn secret_ref(storage: Storage, field: SecretField, reference: &str) -> Result<SecretRef, String> {
    let v = reference.trim();
    let key = field.key(storage);
    match storage {
        Storage::Inline => Err("an inline secret has no reference".into()),
        Storage::Env if crate::config::is_env_name(v) => Ok(SecretRef::Env(v.to_string())),
        Storage::Env => Err(format!(
            "\"{}\" is not a valid environment variable name (letters, digits, _).",
            crate::sanitize::line(v)
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

/// Typing into a variable name.
pub fn input_key(m: &mut Model, key: &KeyEvent) -> Vec<Effect> {
    let field = match m.review.focused() {
        ReviewItem::SecretVar => &mut m.review.secret_var,
        ReviewItem::PasswordVar => &mut m.review.password_var,
        _ => return Vec::new(),
    };
    if field.edit(key) {
        m.unsaved = true;
    }
    Vec::new()
}

/// Paste into a variable name.
pub fn paste(m: &mut Model, text: &str) {
    let field = match m.review.focused() {
        ReviewItem::SecretVar => &mut m.review.secret_var,
        ReviewItem::PasswordVar => &mut m.review.password_var,
        _ => return,
    };
    field.paste(text);
    m.unsaved = true;
}

fn send_test(m: &mut Model) -> Vec<Effect> {
    if !m.checks.connected {
        m.error("Not connected: run the checks (Connect screen) before sending a test incident.");
        return Vec::new();
    }
    if m.review.test == TestState::Running {
        m.info("A test incident is being created; wait for its number.");
        return Vec::new();
    }
    // The instance would refuse what `send` refuses; say what to fix instead of sending.
    if let Some(bad) = endpoints::invalid(m).first() {
        m.error(format!(
            "Not sent: endpoint \"{}\" is invalid ({}); fix it in Endpoints first.",
            crate::sanitize::line(&bad.name),
            endpoints::invalid_summary(bad).trim_start_matches("✗ "),
        ));
        return Vec::new();
    }
    // A real incident, on a real instance: say what it sets and ask, Cancel first, every time
    // (a second test right after a success asks again instead of creating a duplicate).
    let plan = crate::incident::plan_test(m.dict());
    let mut body: Vec<String> = vec![format!(
        "This creates a real incident on {} with:",
        crate::sanitize::line(m.checks.instance_url.as_deref().unwrap_or("the instance"))
    )];
    for (field, value) in &plan.body {
        let shown = match value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        body.push(format!(
            "  {} = {}",
            crate::sanitize::line(field),
            crate::wizard::screens::checks::shorten(&crate::sanitize::line(&shown), 160)
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
    if matches!(m.review.test, TestState::Done(Ok(_))) {
        body.push("A test incident was already created in this session.".to_string());
    }
    m.modals.push(Modal::Confirm(Confirm {
        kind: ConfirmKind::SendTestIncident,
        title: "Create a test incident?".into(),
        body,
        yes: "Create it",
        no: "Cancel",
        on_yes: false,
    }));
    Vec::new()
}

/// The user said yes to the test incident: send it once.
pub fn send_test_confirmed(m: &mut Model) -> Vec<Effect> {
    if m.review.test == TestState::Running {
        return Vec::new();
    }
    m.review.test = TestState::Running;
    vec![Effect::SendTestIncident {
        plan: Box::new(crate::incident::plan_test(m.dict())),
    }]
}

/// The test incident waits out a rate limit: say so, so the spinner is not a mystery.
pub fn on_test_waiting(m: &mut Model, text: String) {
    if m.review.test == TestState::Running {
        m.info(crate::sanitize::line(&text).into_owned());
    }
}

/// The test incident's outcome.
pub fn on_test(m: &mut Model, result: Result<CreatedTest, TestFailure>) {
    if m.review.test != TestState::Running {
        return;
    }
    match &result {
        Ok(c) => m.info(format!(
            "Created {} (a clearly labelled test; safe to close).",
            crate::sanitize::line(&c.number)
        )),
        Err(_) => m.error("The test incident failed: v shows why."),
    }
    m.review.test = TestState::Done(result);
}

/// The detail view of the failed test incident: what happened, ServiceNow's answer in full,
/// and what to change (the role fix of `diagnose::create_failure`).
pub fn test_detail(m: &Model) -> (String, Vec<Block>) {
    let t = m.theme;
    let title = "Test incident".to_string();
    let TestState::Done(Err(e)) = &m.review.test else {
        return (
            title,
            vec![Block::styled("No failed test incident.", t.dim())],
        );
    };
    // "Failed", not "not created": after a timeout nobody knows, and the message says so.
    let mut v = vec![
        Block::spans(vec![
            Span::styled("✗ Failed ", t.error()),
            Span::styled("· incident:create", t.dim()),
        ]),
        Block::text(crate::sanitize::line(&e.message).into_owned()),
    ];
    if let Some(ev) = &e.evidence {
        v.push(Block::Blank);
        v.push(Block::styled("Evidence", t.strong()));
        v.push(Block::Para {
            indent: 2,
            spans: vec![Span::raw(crate::sanitize::line(ev).into_owned())],
        });
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
    }
    (title, v)
}

/// Copy the failed test incident's story to the clipboard (OSC 52).
pub fn copy_test_failure(m: &mut Model) -> Vec<Effect> {
    let TestState::Done(Err(e)) = &m.review.test else {
        return Vec::new();
    };
    let mut text = format!(
        "Test incident failed: {}",
        crate::sanitize::line(&e.message)
    );
    if let Some(ev) = &e.evidence {
        text.push_str(&format!("\nEvidence: {}", crate::sanitize::line(ev)));
    }
    if let Some(fix) = &e.fix {
        text.push_str(&format!("\n\n{}", crate::sanitize::text(fix)));
    }
    m.info("Copied the test incident's failure to your clipboard (OSC 52: your terminal must allow it).");
    vec![Effect::Clipboard(text)]
}

/// The config that Save writes.
pub fn config(m: &Model) -> Result<Config, String> {
    let url =
        InstanceUrl::parse(m.form.fields[0].value()).map_err(|e| format!("Instance URL: {e}"))?;
    let storage = m.review.storage;
    let (secret, password) = if storage != Storage::Inline {
        (
            secret_ref(
                storage,
                SecretField::ClientSecret,
                m.review.secret_var.value(),
            )?,
            secret_ref(
                storage,
                SecretField::Password,
                m.review.password_var.value(),
            )?,
        )
    } else {
        (
            SecretRef::Inline(m.form.fields[2].secret()),
            SecretRef::Inline(m.form.fields[4].secret()),
        )
    };
    if m.endpoints.list.is_empty() {
        return Err(
            "Add at least one endpoint: the integration cannot be used without one.".into(),
        );
    }
    Ok(Config {
        servicenow: ServiceNowConfig {
            instance_url: url.as_str().to_string(),
            client_id: m.form.fields[1].value().trim().to_string(),
            client_secret: secret,
            username: m.form.fields[3].value().trim().to_string(),
            password,
        },
        endpoints: m.endpoints.list.clone(),
    })
}

/// Save; `replace` after the user confirmed replacing another instance (which comes after
/// the question about invalid endpoints).
pub fn save(m: &mut Model, replace: bool) -> Vec<Effect> {
    save_with(m, replace, replace)
}

/// Save after the user chose to write invalid endpoints anyway.
pub fn save_invalid(m: &mut Model) -> Vec<Effect> {
    save_with(m, false, true)
}

fn save_with(m: &mut Model, replace: bool, invalid_ok: bool) -> Vec<Effect> {
    if m.review.saving {
        return Vec::new();
    }
    let bad = endpoints::invalid(m);
    if !invalid_ok && !bad.is_empty() {
        ask_save_invalid(m, &bad);
        return Vec::new();
    }
    let cfg = match config(m) {
        Ok(c) => c,
        Err(e) => {
            m.review.error = Some(e.clone());
            m.error(e);
            return Vec::new();
        }
    };
    let replace =
        replace || matches!(m.mode, Mode::Replace) || matches!(m.existing, Existing::Invalid(_));
    if !replace
        && let Some(old) = m.existing_config()
        && old.servicenow.instance_url != cfg.servicenow.instance_url
    {
        let existing = old.servicenow.instance_url.clone();
        ask_replace(m, &existing, &cfg.servicenow.instance_url);
        return Vec::new();
    }
    // What the file held when the wizard read it: a save never drops what someone else
    // wrote since, unless the user saw the changes and chose to overwrite them.
    let base = if std::mem::take(&mut m.review.overwrite) {
        Base::Any
    } else {
        match &m.existing {
            Existing::Loaded { config, .. } => Base::Loaded(config.clone()),
            Existing::None => Base::Absent,
            Existing::Invalid(_) => Base::Any,
        }
    };
    m.review.saving = true;
    m.review.error = None;
    vec![Effect::SaveConfig {
        path: m.config_path.clone(),
        config: Box::new(cfg),
        replace,
        base,
    }]
}

fn ask_save_invalid(m: &mut Model, bad: &[crate::dictionary::EndpointCheck]) {
    let mut body: Vec<String> = bad
        .iter()
        .map(|v| {
            let first = v.problems.first().map_or(String::new(), |p| {
                format!(
                    " {}: {}",
                    crate::sanitize::line(&p.field),
                    crate::sanitize::line(&p.message)
                )
            });
            format!(
                "✗ \"{}\" is invalid.{first}",
                crate::sanitize::line(&v.name)
            )
        })
        .collect();
    body.push("`send` refuses an invalid endpoint until it is fixed.".into());
    m.modals.push(Modal::Confirm(Confirm {
        kind: ConfirmKind::SaveInvalid,
        title: if bad.len() == 1 {
            "Save an invalid endpoint?".into()
        } else {
            format!("Save {} invalid endpoints?", bad.len())
        },
        body,
        yes: "Save anyway",
        no: "Cancel",
        on_yes: false,
    }));
}

fn ask_replace(m: &mut Model, existing: &str, new: &str) {
    m.modals.push(Modal::Confirm(Confirm {
        kind: ConfirmKind::ReplaceOnSave,
        title: "Replace the connected instance?".into(),
        body: vec![
            format!(
                "{} is connected to {}. Only one instance can be connected.",
                m.config_path.display(),
                crate::sanitize::line(existing)
            ),
            format!(
                "Saving {} replaces it; endpoints that are not in this wizard are deleted.",
                crate::sanitize::line(new)
            ),
        ],
        yes: "Replace",
        no: "Cancel",
        on_yes: false,
    }));
}

/// The save finished.
pub fn on_saved(m: &mut Model, result: Result<std::path::PathBuf, SaveFailure>) -> Vec<Effect> {
    m.review.saving = false;
    match result {
        Ok(path) => {
            // What is on disk now, for the next save's comparison.
            if let Ok(cfg) = config(m) {
                m.existing = Existing::Loaded {
                    config: Box::new(cfg),
                    warnings: Vec::new(),
                };
            }
            m.unsaved = false;
            m.info(format!("Saved to {}. Enter finishes.", path.display()));
            m.review.saved = Some(path);
            vec![Effect::ClearDraft]
        }
        Err(SaveFailure::DifferentInstance { existing }) => {
            let new = m.form.fields[0].value().trim().to_string();
            ask_replace(m, &existing, &new);
            Vec::new()
        }
        Err(SaveFailure::ChangedOnDisk { changes }) => {
            let mut body = vec![format!(
                "{} changed since the wizard read it:",
                m.config_path.display()
            )];
            body.extend(changes.iter().map(|c| format!("  • {c}")));
            body.push("Overwriting drops those changes.".to_string());
            m.modals.push(Modal::Confirm(Confirm {
                kind: ConfirmKind::OverwriteChanged,
                title: "The file changed on disk".into(),
                body,
                yes: "Overwrite",
                no: "Cancel",
                on_yes: false,
            }));
            Vec::new()
        }
        Err(SaveFailure::Other(e)) => {
            m.review.error = Some(e.clone());
            m.error(format!("Not saved: {e}"));
            Vec::new()
        }
    }
}

fn mask(n: usize) -> String {
    std::iter::repeat_n(MASK, n.clamp(4, 12)).collect()
}

/// What will be written, as lines.
fn summary_lines(m: &Model, w: usize) -> Vec<Line<'static>> {
    let t = m.theme;
    let label_w = if w >= 50 { 16 } else { 15 };
    let kv = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("  {} ", pad(k, label_w - 1)), t.dim()),
            Span::raw(truncate(&v, w.saturating_sub(label_w + 2))),
        ])
    };
    let url = InstanceUrl::parse(m.form.fields[0].value())
        .map(|u| u.as_str().to_string())
        .unwrap_or_else(|_| m.form.fields[0].value().trim().to_string());
    let secret_text = |idx: usize, var: &str| {
        let shown = crate::sanitize::line(var.trim());
        match m.review.storage {
            Storage::Env => format!("from ${shown}"),
            Storage::Command => format!("printed by `{shown}`"),
            Storage::File => format!("read from {shown}"),
            Storage::Inline => format!(
                "{} (in the file)",
                mask(m.form.fields[idx].value().chars().count())
            ),
        }
    };
    let mut v = vec![
        Line::from(Span::styled("5. Review & save", t.heading())),
        Line::from(Span::styled("ServiceNow", t.strong())),
        kv("Instance URL", crate::sanitize::line(&url).into_owned()),
        kv(
            "Client ID",
            crate::sanitize::line(m.form.fields[1].value().trim()).into_owned(),
        ),
        kv("Client Secret", secret_text(2, m.review.secret_var.value())),
        kv(
            "User name",
            crate::sanitize::line(m.form.fields[3].value().trim()).into_owned(),
        ),
        kv("Password", secret_text(4, m.review.password_var.value())),
        Line::from(Span::styled(
            format!("Endpoints ({})", m.endpoints.list.len()),
            t.strong(),
        )),
    ];
    for e in &m.endpoints.list {
        let mut head = format!("  {}", crate::sanitize::line(&e.name));
        if !e.description.is_empty() {
            head.push_str(&format!(" — {}", crate::sanitize::line(&e.description)));
        }
        v.push(Line::from(truncate(&head, w)));
        if let Some(bad) = endpoints::verdict(m, e).filter(|v| !v.ok) {
            v.push(Line::from(Span::styled(
                truncate(&format!("    {}", endpoints::invalid_summary(&bad)), w),
                t.error(),
            )));
            for p in &bad.problems {
                v.push(Line::from(Span::styled(
                    truncate(&format!("      {}", crate::sanitize::line(&p.message)), w),
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
                    crate::sanitize::line(&f.element),
                    value_text(&f.value, f.display.as_deref())
                ),
                w,
            )));
        }
    }
    v
}

/// Draw the review.
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let w = usize::from(area.width);
    let mut lines = summary_lines(m, w);
    lines.push(Line::from(Span::styled("Secrets", t.strong())));
    let focused = m.review.focused();
    let saved = m.review.saved.is_some();
    let radio = |on: bool, item: ReviewItem, text: &str| {
        let is_focus = !saved && focused == item;
        let mark = if on { "(•)" } else { "( )" };
        Line::from(vec![
            Span::raw(if is_focus { "▸ " } else { "  " }),
            Span::styled(
                format!("{mark} {text}"),
                if is_focus { t.focus() } else { t.text() },
            ),
        ])
    };
    let mut focus_line = 0usize;
    if focused == ReviewItem::Inline {
        focus_line = lines.len();
    }
    lines.push(radio(
        m.review.storage == Storage::Inline,
        ReviewItem::Inline,
        "inline in the file (mode 0600)",
    ));
    for (item, storage, text) in [
        (ReviewItem::Env, Storage::Env, "environment variables"),
        (
            ReviewItem::Command,
            Storage::Command,
            "commands that print them (pass, vault …)",
        ),
        (
            ReviewItem::File,
            Storage::File,
            "files of mode 0600 (systemd credentials …)",
        ),
    ] {
        if focused == item {
            focus_line = lines.len();
        }
        lines.push(radio(m.review.storage == storage, item, text));
    }
    // Reference inputs are drawn over these placeholder rows.
    let mut var_rows = Vec::new();
    if m.review.storage != Storage::Inline {
        for item in [ReviewItem::SecretVar, ReviewItem::PasswordVar] {
            if focused == item {
                focus_line = lines.len();
            }
            var_rows.push((lines.len(), item));
            lines.push(Line::from(""));
        }
    }
    lines.push(Line::from(""));
    let test_row = lines.len();
    if focused == ReviewItem::Test {
        focus_line = lines.len();
    }
    lines.push(Line::from(""));
    match &m.review.test {
        TestState::Idle => {}
        TestState::Running => lines.push(Line::from(Span::styled(
            format!(
                "  {} creating the test incident…",
                SPINNER[m.spinner % SPINNER.len()]
            ),
            t.warn(),
        ))),
        TestState::Done(Ok(c)) => lines.push(Line::from(Span::styled(
            truncate(
                &format!(
                    "  ✓ Created {} {}",
                    crate::sanitize::line(&c.number),
                    crate::sanitize::line(&c.url)
                ),
                w,
            ),
            t.ok(),
        ))),
        // The whole story does not fit a line at any width: say what happened and how to read it.
        TestState::Done(Err(_)) => {
            lines.push(Line::from(Span::styled(
                truncate("  ✗ The test incident failed.", w),
                t.error(),
            )));
            lines.push(Line::from(vec![
                Span::raw("    "),
                Span::styled("v", t.strong()),
                Span::raw(truncate(
                    " shows why and what to change.",
                    w.saturating_sub(5),
                )),
            ]));
        }
    }
    let save_row = lines.len();
    if focused == ReviewItem::Save || saved {
        focus_line = lines.len();
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        truncate(&format!("File: {}", m.config_path.display()), w),
        t.dim(),
    )));
    if let Some(e) = &m.review.error {
        lines.push(Line::from(Span::styled(format!("✗ {e}"), t.error())));
    }

    let height = usize::from(area.height);
    let skip = (focus_line + 3).saturating_sub(height);
    for (i, line) in lines.into_iter().enumerate().skip(skip) {
        let row = i - skip;
        if row >= height {
            break;
        }
        let y = area
            .y
            .saturating_add(u16::try_from(row).unwrap_or(u16::MAX));
        let r = Rect::new(area.x, y, area.width, 1);
        if let Some((_, item)) = var_rows.iter().find(|(li, _)| *li == i) {
            let (label, field) = if *item == ReviewItem::SecretVar {
                (
                    SecretField::ClientSecret.key(m.review.storage),
                    &m.review.secret_var,
                )
            } else {
                (
                    SecretField::Password.key(m.review.storage),
                    &m.review.password_var,
                )
            };
            let is_focus = !saved && focused == *item;
            f.render_widget(
                Paragraph::new(Span::styled(format!("      {}", pad(label, 22)), t.dim())),
                r,
            );
            field.render(
                f,
                Rect::new(
                    r.x.saturating_add(28),
                    y,
                    r.width.saturating_sub(29).min(60),
                    1,
                ),
                is_focus,
                true,
                t,
            );
        } else if i == test_row {
            f.render_widget(
                Paragraph::new(button(
                    "Send a test incident",
                    !saved && focused == ReviewItem::Test,
                    t,
                )),
                r,
            );
        } else if i == save_row {
            let label = if saved {
                "Saved ✓"
            } else if m.review.saving {
                "Saving…"
            } else {
                "Save"
            };
            f.render_widget(
                Paragraph::new(button(label, saved || focused == ReviewItem::Save, t)),
                r,
            );
        } else {
            f.render_widget(Paragraph::new(line), r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::test_fixtures::*;
    use crossterm::event::KeyCode;

    /// The review screen after passed checks, with one endpoint.
    fn review() -> Model {
        let mut m = filled_form();
        m.form.focus = crate::wizard::model::FORM_BUTTON;
        send(&mut m, [key(KeyCode::Enter)]);
        send(
            &mut m,
            [crate::wizard::msg::Msg::ChecksDone {
                run: 1,
                outcome: outcome(results_ok(), Some(Ok(dictionary()))),
            }],
        );
        send(&mut m, [key(KeyCode::Char('c'))]);
        m.endpoints.list.push(crate::config::Endpoint {
            name: "FinOps anomalies".into(),
            description: String::new(),
            table: "incident".into(),
            fields: Vec::new(),
        });
        m.screen = Screen::Review;
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
        assert!(m.modals.is_empty());
        m.review.test = TestState::Running;
        send(
            &mut m,
            [crate::wizard::msg::Msg::TestIncident(Err(failure()))],
        );
        let screen = render(&m, 80, 24);
        assert!(screen.contains("✗ The test incident failed."), "{screen}");
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
        assert!(matches!(
            m.top(),
            Some(Modal::Detail(Detail {
                of: DetailOf::TestIncident,
                ..
            }))
        ));
        let detail = render(&m, 80, 24);
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
        assert!(m.modals.is_empty());
    }

    #[test]
    fn v_types_into_a_reference_field_even_after_a_failure() {
        let mut m = review();
        m.review.test = TestState::Done(Err(failure()));
        m.review.storage = Storage::Env;
        m.review.secret_var.set("SNOW_");
        m.review.focus = m
            .review
            .items()
            .iter()
            .position(|i| *i == ReviewItem::SecretVar)
            .unwrap_or(0);
        send(&mut m, [key(KeyCode::Char('v'))]);
        assert!(m.modals.is_empty(), "no detail while typing");
        assert_eq!(m.review.secret_var.value(), "SNOW_v");
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
