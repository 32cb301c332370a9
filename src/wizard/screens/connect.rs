//! Screen 4, Connect: the five inputs in the seed's order, the instance URL normalised live,
//! inline validation, and Enter on Connect to start the checks.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use secrecy::{ExposeSecret, SecretString};

use crate::config::{Config, Storage};
use crate::diagnose::{CheckId, ConnectionInput};
use crate::servicenow::InstanceUrl;
use crate::servicenow::{DEFAULT_LOCKOUT_AFTER, Rejection};
use crate::wizard::draft::draft_of;
use crate::wizard::keymap::{Action, Binding, Keymap, keys};
use crate::wizard::model::{
    ChecksState, Confirm, ConfirmKind, FORM_BUTTON, FORM_LABELS, Modal, Model, RowState, Screen,
};
use crate::wizard::msg::{ChecksOutcome, Effect};
use crate::wizard::update::go;
use crate::wizard::widgets::doc::{self, Block};
use crate::wizard::widgets::draw::button;

/// Short labels for narrow terminals.
const SHORT_LABELS: [&str; 5] = [
    "Instance URL",
    "Client ID",
    "Client Secret",
    "User name",
    "Password",
];

/// Keys of the form. Letters always go into the focused field.
pub fn keymap(m: &Model) -> Keymap {
    let mut v = Vec::new();
    if m.form.focus == FORM_BUTTON {
        v.push(Binding::new(&[keys::ENTER], "connect", Action::Activate));
    } else {
        v.push(Binding::new(&[keys::ENTER], "next field", Action::Activate));
    }
    v.push(Binding::new(&[keys::TAB, keys::DOWN], "next", Action::Next));
    v.push(Binding::new(&[keys::BACKTAB, keys::UP], "previous", Action::Prev).hidden());
    v.push(Binding::new(
        &[keys::CTRL_R],
        if m.form.reveal {
            "hide secrets"
        } else {
            "show secrets"
        },
        Action::Reveal,
    ));
    v.push(Binding::new(&[keys::ESC], "back", Action::Back));
    v
}

/// Why field `i` is not acceptable, if it is not.
fn field_error(m: &Model, i: usize) -> Option<String> {
    let v = m.form.fields.get(i)?.value();
    match i {
        0 => InstanceUrl::parse(v).err().map(|e| e.to_string()),
        1 if v.trim().is_empty() => Some("enter the Client ID from the OAuth application".into()),
        2 if v.is_empty() => Some("enter the Client Secret (the lock icon reveals it)".into()),
        3 if v.trim().is_empty() => Some("enter the integration user's User ID".into()),
        4 if v.is_empty() => Some("enter the integration user's password".into()),
        _ => None,
    }
}

/// A hint that is not an error (the value may still be right).
fn field_hint(m: &Model, i: usize) -> Option<String> {
    let v = m.form.fields[i].value().trim();
    match i {
        1 if !(v.is_empty() || v.len() == 32 && v.chars().all(|c| c.is_ascii_hexdigit())) => {
            Some("Client IDs are usually 32 hexadecimal characters".into())
        }
        3 if v.contains('@') => {
            Some("use the User ID, which is often not the email address".into())
        }
        _ => None,
    }
}

/// React to an action.
pub fn action(m: &mut Model, a: Action) -> Vec<Effect> {
    let f = &mut m.form;
    match a {
        Action::Next => {
            if f.focus < FORM_BUTTON {
                f.touched[f.focus] = true;
            }
            f.focus = (f.focus + 1) % (FORM_BUTTON + 1);
        }
        Action::Prev => {
            if f.focus < FORM_BUTTON {
                f.touched[f.focus] = true;
            }
            f.focus = (f.focus + FORM_BUTTON) % (FORM_BUTTON + 1);
        }
        Action::Reveal => f.reveal = !f.reveal,
        Action::Activate => {
            if f.focus < FORM_BUTTON {
                f.touched[f.focus] = true;
                f.focus += 1;
            } else {
                return start_checks(m);
            }
        }
        Action::Back => {
            m.form.reveal = false;
            return go(m, Screen::OAuthApp);
        }
        _ => {}
    }
    Vec::new()
}

/// Typing into the focused field.
pub fn input_key(m: &mut Model, key: &KeyEvent) -> Vec<Effect> {
    let focus = m.form.focus;
    if let Some(field) = m.form.fields.get_mut(focus)
        && field.edit(key)
    {
        m.unsaved = true;
    }
    Vec::new()
}

/// Bracketed paste into the focused field.
pub fn paste(m: &mut Model, text: &str) {
    let focus = m.form.focus;
    if let Some(field) = m.form.fields.get_mut(focus) {
        field.paste(text);
        m.unsaved = true;
    }
}

/// Fill the form (and the review's secret settings) from a saved config, for editing.
pub fn fill_from_config(m: &mut Model, cfg: &Config) {
    let s = &cfg.servicenow;
    m.form.fields[0].set(&s.instance_url);
    m.form.fields[1].set(&s.client_id);
    m.form.fields[3].set(&s.username);
    let mut storage = Storage::Inline;
    for (idx, r) in [(2usize, &s.client_secret), (4usize, &s.password)] {
        if let Some(reference) = r.reference() {
            if storage == Storage::Inline {
                storage = r.storage();
            }
            if idx == 2 {
                m.review.secret_var.set(&reference);
            } else {
                m.review.password_var.set(&reference);
            }
        }
        // An environment variable may be unset in this shell; then the user types the secret.
        // A command is not run here: it may ask on the terminal the wizard is drawing on.
        if r.storage() != Storage::Command
            && let Ok(secret) = r.resolve()
        {
            m.form.fields[idx].set(secret.expose_secret());
        }
    }
    m.review.storage = storage;
    m.endpoints.list = cfg.endpoints.clone();
    m.endpoints.selected = 0;
    m.form.focus = (0..5)
        .find(|&i| field_error(m, i).is_some())
        .unwrap_or(FORM_BUTTON);
}

/// What the user typed, for the checks.
fn connection_input(m: &Model) -> ConnectionInput {
    let f = &m.form.fields;
    ConnectionInput {
        instance_url: f[0].value().trim().to_string(),
        client_id: f[1].value().trim().to_string(),
        client_secret: SecretString::from(f[2].value().to_string()),
        username: f[3].value().trim().to_string(),
        password: SecretString::from(f[4].value().to_string()),
    }
}

/// Validate the form and start the checks (Connect, and `r` on the checks screen). Credentials
/// the instance rejected before are not sent again unchanged: a warning asks first.
pub fn start_checks(m: &mut Model) -> Vec<Effect> {
    if !form_ok(m) {
        return Vec::new();
    }
    if let Some(r) = remembered_rejection(m) {
        m.form.reveal = false;
        m.modals.push(Modal::Confirm(lockout_warning(&r)));
        return Vec::new();
    }
    run_checks(m, false)
}

/// The user confirmed the lockout warning: send the rejected credentials once more.
pub fn resend_confirmed(m: &mut Model) -> Vec<Effect> {
    if !form_ok(m) {
        return Vec::new();
    }
    run_checks(m, true)
}

fn form_ok(m: &mut Model) -> bool {
    m.form.touched = [true; 5];
    if let Some(bad) = (0..5).find(|&i| field_error(m, i).is_some()) {
        m.form.focus = bad;
        m.error(format!("Fix {} first.", FORM_LABELS[bad]));
        return false;
    }
    true
}

/// What is remembered about the credentials now in the form, when the instance rejected
/// exactly these five values.
fn remembered_rejection(m: &Model) -> Option<Rejection> {
    let (input, r) = m.rejected_login.as_ref()?;
    same_credentials(input, &connection_input(m)).then_some(*r)
}

fn same_credentials(a: &ConnectionInput, b: &ConnectionInput) -> bool {
    let url = |s: &str| {
        InstanceUrl::parse(s)
            .map(|u| u.as_str().to_string())
            .unwrap_or_else(|_| s.trim().to_string())
    };
    url(&a.instance_url) == url(&b.instance_url)
        && a.client_id == b.client_id
        && a.username == b.username
        && a.client_secret.expose_secret() == b.client_secret.expose_secret()
        && a.password.expose_secret() == b.password.expose_secret()
}

/// The warning before rejected credentials are sent again. Cancel is the default.
pub fn lockout_warning(r: &Rejection) -> Confirm {
    let times = if r.attempts == 1 {
        "once".to_string()
    } else {
        format!("{} times", r.attempts)
    };
    Confirm {
        kind: ConfirmKind::ResendRejectedLogin,
        title: "Send rejected credentials again?".into(),
        body: vec![
            format!(
                "ServiceNow rejected these exact credentials {times} (last at {}).",
                r.when()
            ),
            format!(
                "It locks the user after repeated failed logins ({DEFAULT_LOCKOUT_AFTER} by \
                 default) until an admin unlocks it. Attempts so far: {}.",
                r.attempts
            ),
            "It does not say which value is wrong: check the client ID, client secret, user \
             name and password on the form first. Send again only once they are fixed."
                .into(),
        ],
        yes: "Send again",
        no: "Cancel",
        on_yes: false,
    }
}

/// After a check run: remember (or forget) rejected credentials; true when the password
/// grant was held back and the warning should open now.
pub fn note_login(m: &mut Model, run: u64, outcome: &ChecksOutcome) -> bool {
    if run != m.checks.run {
        return false;
    }
    let input = m.checks_input.take();
    m.rejected_login = match (outcome.rejected_login, input) {
        (Some(r), Some(input)) => Some((input, r)),
        _ => None,
    };
    outcome.login_refused && m.rejected_login.is_some()
}

/// Open the lockout warning for the remembered rejection (after a run that held it back).
pub fn open_lockout_warning(m: &mut Model) {
    if let Some((_, r)) = &m.rejected_login {
        let c = lockout_warning(r);
        m.modals.push(Modal::Confirm(c));
    }
}

fn run_checks(m: &mut Model, retry_login: bool) -> Vec<Effect> {
    m.form.reveal = false;
    let run = m.checks.run.wrapping_add(1);
    let return_to_editor = m.checks.return_to_editor;
    m.checks = ChecksState {
        run,
        running: true,
        rows: CheckId::ALL
            .iter()
            .filter(|id| **id != CheckId::IncidentCreate)
            .map(|id| (*id, RowState::Pending))
            .collect(),
        username: m.form.fields[3].value().trim().to_string(),
        return_to_editor,
        ..ChecksState::default()
    };
    m.dictionary = None;
    let mut effects = go(m, Screen::Checks);
    m.info("Running the checks… Esc cancels.");
    effects.push(Effect::SaveDraft(Box::new(draft_of(m))));
    let input = connection_input(m);
    m.checks_input = Some(input.clone());
    effects.push(Effect::RunChecks {
        run,
        input,
        retry_login,
    });
    effects
}

enum Row {
    Text(Line<'static>),
    Field(usize),
    Button,
}

/// Wrapped lines of a hint under a field, indented to the input column.
fn hint(rows: &mut Vec<Row>, indent: usize, width: usize, span: Span<'static>) {
    for line in doc::wrap(
        &[Block::Para {
            indent,
            spans: vec![span],
        }],
        width,
    ) {
        rows.push(Row::Text(line));
    }
}

/// Draw the form.
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let narrow = area.width < 50;
    let labels = if narrow { SHORT_LABELS } else { FORM_LABELS };
    let label_w: u16 = if narrow { 14 } else { 25 };
    let width = usize::from(area.width);
    // On narrow terminals hints start near the left edge so they stay readable.
    let indent = if narrow { 2 } else { usize::from(label_w) };
    let mut rows: Vec<Row> = vec![Row::Text(Line::from(Span::styled(
        "3. Add ServiceNow credentials",
        t.heading(),
    )))];
    if area.height > 14 {
        rows.push(Row::Text(Line::from("")));
    }
    let mut focus_row = 0usize;
    for i in 0..5 {
        if m.form.focus == i {
            focus_row = rows.len();
        }
        rows.push(Row::Field(i));
        if i == 0 {
            let v = m.form.fields[0].value();
            let span = match InstanceUrl::parse(v) {
                Ok(u) => Span::styled(format!("→ {}", crate::sanitize::line(u.as_str())), t.ok()),
                Err(_) if v.trim().is_empty() => {
                    Span::styled("e.g. acme or acme.service-now.com", t.dim())
                }
                Err(e) => Span::styled(format!("✗ {e}"), t.error()),
            };
            hint(&mut rows, indent, width, span);
            continue;
        }
        if m.form.touched[i]
            && let Some(e) = field_error(m, i)
        {
            hint(
                &mut rows,
                indent,
                width,
                Span::styled(format!("✗ {e}"), t.error()),
            );
        } else if let Some(h) = field_hint(m, i) {
            hint(
                &mut rows,
                indent,
                width,
                Span::styled(format!("! {h}"), t.warn()),
            );
        }
    }
    if area.height > 14 {
        rows.push(Row::Text(Line::from("")));
        for line in doc::wrap(
            &[Block::item(
                0,
                "Note: ",
                vec![Span::raw(
                    "The username and password should belong to the dedicated user created for the integration.",
                )],
            )],
            width,
        ) {
            rows.push(Row::Text(line));
        }
        rows.push(Row::Text(Line::from("")));
    }
    if m.form.focus == FORM_BUTTON {
        focus_row = rows.len();
    }
    rows.push(Row::Button);

    // Keep the focused row (and the line under it) visible on short terminals.
    let height = usize::from(area.height);
    let skip = (focus_row + 2).saturating_sub(height);
    for (n, row) in rows.into_iter().skip(skip).take(height).enumerate() {
        let y = area.y.saturating_add(u16::try_from(n).unwrap_or(u16::MAX));
        let r = Rect::new(area.x, y, area.width, 1);
        match row {
            Row::Text(line) => f.render_widget(Paragraph::new(line), r),
            Row::Field(i) => {
                let focused = m.form.focus == i;
                let label_style = if focused { t.strong() } else { t.text() };
                f.render_widget(
                    Paragraph::new(Span::styled(labels[i], label_style)),
                    Rect::new(r.x, r.y, label_w.min(r.width), 1),
                );
                let input_w = r.width.saturating_sub(label_w).min(60);
                let input = Rect::new(r.x.saturating_add(label_w), r.y, input_w, 1);
                m.form.fields[i].render(f, input, focused, m.form.reveal, t);
            }
            Row::Button => {
                let x = r.x.saturating_add(label_w).saturating_sub(1);
                f.render_widget(
                    Paragraph::new(button("Connect", m.form.focus == FORM_BUTTON, t)),
                    Rect::new(
                        x.min(r.right()),
                        r.y,
                        r.width.saturating_sub(x.saturating_sub(r.x)),
                        1,
                    ),
                );
            }
        }
    }
}
