//! Step 3, Connect: the five inputs in the seed's order, the instance URL normalised live,
//! inline validation, and Connect to start the checks. Credentials the instance rejected
//! before are not sent again without a lockout warning.

use crate::sanitize::SafeText;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use secrecy::{ExposeSecret, SecretString};

use crate::config::{Config, SecretRef, Storage};
use crate::diagnose::{CheckId, ConnectionInput};
use crate::servicenow::{DEFAULT_LOCKOUT_AFTER, InstanceUrl, Rejection};
use crate::wizard::component::{Component, Reply, Request};
use crate::wizard::context::Context;
use crate::wizard::keymap::{Action, Binding, Keymap, keys};
use crate::wizard::model::{ChecksState, RowState, Screen};
use crate::wizard::msg::{ChecksOutcome, Effect};
use crate::wizard::popups::{Confirm, ConfirmKind};
use crate::wizard::widgets::doc::{self, Block};
use crate::wizard::widgets::draw::button;
use crate::wizard::widgets::rows::Window;
use crate::wizard::widgets::text_field::TextField;

/// The five inputs of the form, in the seed's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectField {
    /// ServiceNow Instance URL.
    InstanceUrl,
    /// Client ID of the OAuth application.
    ClientId,
    /// Its client secret (masked).
    ClientSecret,
    /// The integration user.
    Username,
    /// Its password (masked).
    Password,
}

impl ConnectField {
    /// Tab order.
    pub const ALL: [ConnectField; 5] = [
        ConnectField::InstanceUrl,
        ConnectField::ClientId,
        ConnectField::ClientSecret,
        ConnectField::Username,
        ConnectField::Password,
    ];

    /// The seed's label.
    pub fn label(self) -> &'static str {
        match self {
            ConnectField::InstanceUrl => "ServiceNow Instance URL",
            ConnectField::ClientId => "Client ID",
            ConnectField::ClientSecret => "Client Secret",
            ConnectField::Username => "User name",
            ConnectField::Password => "Password",
        }
    }

    /// The label on narrow terminals.
    fn short_label(self) -> &'static str {
        match self {
            ConnectField::InstanceUrl => "Instance URL",
            other => other.label(),
        }
    }

    fn bit(self) -> u8 {
        match self {
            ConnectField::InstanceUrl => 1,
            ConnectField::ClientId => 2,
            ConnectField::ClientSecret => 4,
            ConnectField::Username => 8,
            ConnectField::Password => 16,
        }
    }
}

/// What has the focus: an input or the Connect button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectFocus {
    /// An input.
    Field(ConnectField),
    /// The Connect button.
    Connect,
}

impl ConnectFocus {
    /// Tab order: the inputs, then Connect.
    const ORDER: [ConnectFocus; 6] = [
        ConnectFocus::Field(ConnectField::InstanceUrl),
        ConnectFocus::Field(ConnectField::ClientId),
        ConnectFocus::Field(ConnectField::ClientSecret),
        ConnectFocus::Field(ConnectField::Username),
        ConnectFocus::Field(ConnectField::Password),
        ConnectFocus::Connect,
    ];

    fn step(self, forward: bool) -> ConnectFocus {
        let n = Self::ORDER.len();
        let i = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        let j = if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        };
        Self::ORDER[j]
    }
}

/// The form's values.
#[derive(Debug, Clone)]
pub struct ConnectForm {
    /// ServiceNow Instance URL, as typed.
    pub instance_url: TextField,
    /// Client ID.
    pub client_id: TextField,
    /// Client Secret (masked).
    pub client_secret: TextField,
    /// User name.
    pub username: TextField,
    /// Password (masked).
    pub password: TextField,
}

impl Default for ConnectForm {
    fn default() -> Self {
        ConnectForm {
            instance_url: TextField::new().limit(2048),
            client_id: TextField::new().limit(256),
            client_secret: TextField::masked().limit(1024),
            username: TextField::new().limit(256),
            password: TextField::masked().limit(1024),
        }
    }
}

impl ConnectForm {
    /// One input.
    pub fn field(&self, f: ConnectField) -> &TextField {
        match f {
            ConnectField::InstanceUrl => &self.instance_url,
            ConnectField::ClientId => &self.client_id,
            ConnectField::ClientSecret => &self.client_secret,
            ConnectField::Username => &self.username,
            ConnectField::Password => &self.password,
        }
    }

    /// One input, to edit.
    pub fn field_mut(&mut self, f: ConnectField) -> &mut TextField {
        match f {
            ConnectField::InstanceUrl => &mut self.instance_url,
            ConnectField::ClientId => &mut self.client_id,
            ConnectField::ClientSecret => &mut self.client_secret,
            ConnectField::Username => &mut self.username,
            ConnectField::Password => &mut self.password,
        }
    }

    /// What the user typed, as the checks take it.
    pub fn input(&self) -> ConnectionInput {
        ConnectionInput {
            instance_url: self.instance_url.value().trim().to_string(),
            client_id: self.client_id.value().trim().to_string(),
            client_secret: SecretString::from(self.client_secret.value().to_string()),
            username: self.username.value().trim().to_string(),
            password: SecretString::from(self.password.value().to_string()),
        }
    }

    /// Why input `f` is not acceptable, if it is not.
    pub fn error(&self, f: ConnectField) -> Option<String> {
        let v = self.field(f).value();
        match f {
            ConnectField::InstanceUrl => InstanceUrl::parse(v).err().map(|e| e.to_string()),
            ConnectField::ClientId if v.trim().is_empty() => {
                Some("enter the Client ID from the OAuth application".into())
            }
            ConnectField::ClientSecret if v.is_empty() => {
                Some("enter the Client Secret (the lock icon reveals it)".into())
            }
            ConnectField::Username if v.trim().is_empty() => {
                Some("enter the integration user's User ID".into())
            }
            ConnectField::Password if v.is_empty() => {
                Some("enter the integration user's password".into())
            }
            ConnectField::ClientId
            | ConnectField::ClientSecret
            | ConnectField::Username
            | ConnectField::Password => None,
        }
    }

    /// A hint that is not an error (the value may still be right).
    fn hint(&self, f: ConnectField) -> Option<&'static str> {
        let v = self.field(f).value().trim();
        match f {
            ConnectField::ClientId
                if !(v.is_empty() || v.len() == 32 && v.chars().all(|c| c.is_ascii_hexdigit())) =>
            {
                Some("Client IDs are usually 32 hexadecimal characters")
            }
            ConnectField::Username if v.contains('@') => {
                Some("use the User ID, which is often not the email address")
            }
            _ => None,
        }
    }
}

/// The Connect screen.
#[derive(Debug)]
pub struct Connect {
    /// The inputs.
    pub form: ConnectForm,
    focus: ConnectFocus,
    /// Show the secrets in clear text (Ctrl-R).
    reveal: bool,
    /// Inputs the user has left at least once (errors show only for these), as bits.
    touched: u8,
    /// Where the saved config keeps a secret that could not be read here, per secret input
    /// (e.g. "$SNOW_PASSWORD (not set in this shell)").
    unread: Vec<(ConnectField, Unread)>,
    /// Credentials the instance rejected, with what is remembered about it: sending exactly
    /// these again asks first.
    rejected: Option<(ConnectionInput, Rejection)>,
    /// What the current check run was started with.
    running: Option<ConnectionInput>,
    /// Under `--demo`: the running simulator's connection (a saved demo config names one
    /// that stopped with its wizard).
    demo: Option<ConnectionInput>,
}

impl Default for Connect {
    fn default() -> Self {
        Connect {
            form: ConnectForm::default(),
            focus: ConnectFocus::Field(ConnectField::InstanceUrl),
            reveal: false,
            touched: 0,
            unread: Vec::new(),
            rejected: None,
            running: None,
            demo: None,
        }
    }
}

impl Connect {
    /// The form pre-filled with `input` (`--demo`).
    pub fn prefilled(input: &ConnectionInput) -> Connect {
        let mut c = Connect::default();
        c.fill(input);
        c.demo = Some(input.clone());
        // Everything is there: Enter connects at once.
        c.focus_first_empty();
        c
    }

    /// Under `--demo`, after loading a saved config: point the form back at the simulator
    /// this run started (the saved one stopped with its wizard). Returns the saved URL when
    /// it was replaced.
    pub fn use_running_demo(&mut self) -> Option<String> {
        let demo = self.demo.clone()?;
        let saved = self.form.instance_url.value().trim().to_string();
        self.fill(&demo);
        self.unread.clear();
        self.focus_first_empty();
        (saved != demo.instance_url).then_some(saved)
    }

    fn fill(&mut self, input: &ConnectionInput) {
        let f = &mut self.form;
        f.instance_url.set(&input.instance_url);
        f.client_id.set(&input.client_id);
        f.client_secret.set(input.client_secret.expose_secret());
        f.username.set(&input.username);
        f.password.set(input.password.expose_secret());
    }

    /// What has the focus.
    pub fn focus(&self) -> ConnectFocus {
        self.focus
    }

    /// Move the focus (tests, and drafts that land on the first empty input).
    pub fn set_focus(&mut self, focus: ConnectFocus) {
        self.focus = focus;
    }

    /// Whether the secrets are shown in clear text.
    pub fn revealed(&self) -> bool {
        self.reveal
    }

    /// Leaving the screen hides the secrets again.
    pub fn hide(&mut self) {
        self.reveal = false;
    }

    /// Show every input's error, as after leaving each once.
    pub fn touch_all(&mut self) {
        self.touched = u8::MAX;
    }

    fn touch(&mut self, f: ConnectField) {
        self.touched |= f.bit();
    }

    fn touched(&self, f: ConnectField) -> bool {
        self.touched & f.bit() != 0
    }

    /// Focus the first input that is empty, else Connect.
    pub fn focus_first_empty(&mut self) {
        self.focus = ConnectField::ALL
            .into_iter()
            .find(|f| self.form.field(*f).is_empty())
            .map_or(ConnectFocus::Connect, ConnectFocus::Field);
    }

    /// Fill the form from a saved config, for editing. A secret kept in an environment
    /// variable that is not set in this shell, or by a command (not run here: it may ask on
    /// the terminal the wizard draws on), stays empty and says where it would come from.
    pub fn fill_from_config(&mut self, cfg: &Config) {
        let s = &cfg.servicenow;
        self.form.instance_url.set(&s.instance_url);
        self.form.client_id.set(&s.client_id);
        self.form.username.set(&s.username);
        self.unread.clear();
        for (field, r) in [
            (ConnectField::ClientSecret, &s.client_secret),
            (ConnectField::Password, &s.password),
        ] {
            let resolved = match r.storage() {
                Storage::Command => None,
                _ => r.resolve().ok(),
            };
            match resolved {
                Some(secret) => self.form.field_mut(field).set(secret.expose_secret()),
                None => {
                    self.form.field_mut(field).set("");
                    if let Some(why) = Unread::of(r) {
                        self.unread.push((field, why));
                    }
                }
            }
        }
        self.focus = ConnectField::ALL
            .into_iter()
            .find(|f| self.form.error(*f).is_some())
            .map_or(ConnectFocus::Connect, ConnectFocus::Field);
    }

    /// Where secret input `f` would come from, when the saved config names a source that
    /// could not be read here.
    fn unread(&self, f: ConnectField) -> Option<&Unread> {
        self.unread
            .iter()
            .find(|(g, _)| *g == f)
            .map(|(_, why)| why)
    }

    /// The secrets still missing because their saved source could not be read here.
    fn missing_sources(&self) -> Vec<(ConnectField, &Unread)> {
        self.unread
            .iter()
            .filter(|(f, _)| self.form.field(*f).is_empty())
            .map(|(f, why)| (*f, why))
            .collect()
    }

    /// Validate the form; on a problem, focus it and say so.
    fn check_form(&mut self, cx: &mut Context) -> bool {
        self.touched = u8::MAX;
        let Some(bad) = ConnectField::ALL
            .into_iter()
            .find(|f| self.form.error(*f).is_some())
        else {
            return true;
        };
        self.focus = ConnectFocus::Field(bad);
        let missing = self.missing_sources();
        if let Some((_, why)) = missing.iter().find(|(f, _)| *f == bad) {
            cx.error(format!(
                "{}: {} is {}: type it, or make it available and start snow-connect again.",
                bad.label(),
                why.source,
                why.state
            ));
        } else {
            cx.error(format!("Fix {} first.", bad.label()));
        }
        false
    }

    /// Validate the form and start the checks (Connect, and `r` on the checks screen).
    /// Credentials the instance rejected before are not sent again unchanged: a warning asks
    /// first; `resend` is its yes.
    pub fn start_checks(&mut self, cx: &mut Context, resend: bool) -> Reply {
        if !self.check_form(cx) {
            return Reply::none();
        }
        if !resend && let Some(r) = self.remembered_rejection() {
            self.reveal = false;
            return Reply::open(lockout_warning(&r));
        }
        self.reveal = false;
        let run = cx.checks.run.wrapping_add(1);
        cx.checks = ChecksState {
            run,
            running: true,
            rows: CheckId::ALL
                .iter()
                .filter(|id| **id != CheckId::IncidentCreate)
                .map(|id| (*id, RowState::Pending))
                .collect(),
            username: self.form.username.value().trim().to_string(),
            typed_url: self.form.instance_url.value().trim().to_string(),
            ..ChecksState::default()
        };
        cx.dictionary = None;
        cx.info("Running the checks… Esc cancels.");
        let input = self.form.input();
        self.running = Some(input.clone());
        Reply::go(Screen::Checks)
            .and(Request::SaveDraft)
            .with(Effect::RunChecks {
                run,
                input,
                retry_login: resend,
            })
    }

    /// What is remembered about the credentials now in the form, when the instance rejected
    /// exactly these five values.
    fn remembered_rejection(&self) -> Option<Rejection> {
        let (input, r) = self.rejected.as_ref()?;
        same_credentials(input, &self.form.input()).then_some(*r)
    }

    /// After check run `run`: remember (or forget) rejected credentials. Returns the lockout
    /// warning to open when the password grant was held back.
    pub fn note_login(&mut self, current: bool, outcome: &ChecksOutcome) -> Option<Confirm> {
        if !current {
            return None;
        }
        let input = self.running.take();
        self.rejected = match (outcome.rejected_login, input) {
            (Some(r), Some(input)) => Some((input, r)),
            _ => None,
        };
        match (&self.rejected, outcome.login_refused) {
            (Some((_, r)), true) => Some(lockout_warning(r)),
            _ => None,
        }
    }
}

/// Whether `note` fits in an empty input of a row `width` wide (after a label `label_w` wide
/// and the cursor).
fn placeholder_fits(note: &str, width: u16, label_w: u16) -> bool {
    let room = usize::from(width.saturating_sub(label_w).saturating_sub(1));
    unicode_width::UnicodeWidthStr::width(note) <= room
}

/// Where the saved config keeps a secret that could not be read here, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Unread {
    /// `$SNOW_PASSWORD`, `` `pass show snow/pw` `` or a path.
    source: String,
    /// "not set in this shell", "not run by the wizard", "not readable here".
    state: &'static str,
}

impl Unread {
    /// `r` as the form explains it, unless it is inline.
    fn of(r: &SecretRef) -> Option<Unread> {
        let reference = SafeText::line(&r.reference()?).into_owned();
        let (source, state) = match r.storage() {
            Storage::Env => (format!("${reference}"), "not set in this shell"),
            // Not run: it may ask on the terminal the wizard draws on.
            Storage::Command => (format!("`{reference}`"), "not run by the wizard"),
            Storage::File => (reference, "not readable here"),
            Storage::Inline => return None,
        };
        Some(Unread { source, state })
    }

    /// What stands in the empty field: `from $SNOW_PASSWORD (not set in this shell)`.
    fn placeholder(&self) -> String {
        format!("from {} ({})", self.source, self.state)
    }
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
    Confirm::new(
        ConfirmKind::ResendRejectedLogin,
        "Send rejected credentials again?",
        vec![
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
        "Send again",
        "Cancel",
    )
}

impl Component for Connect {
    fn bindings(&self, _cx: &Context) -> Keymap {
        let enter = match self.focus {
            ConnectFocus::Connect => "connect",
            ConnectFocus::Field(_) => "next field",
        };
        vec![
            Binding::new(&[keys::ENTER], enter, Action::Activate),
            Binding::new(&[keys::TAB, keys::DOWN], "next", Action::Next),
            Binding::new(&[keys::BACKTAB, keys::UP], "previous", Action::Prev).hidden(),
            Binding::new(
                &[keys::CTRL_R],
                if self.reveal {
                    "hide secrets"
                } else {
                    "show secrets"
                },
                Action::Reveal,
            ),
            Binding::new(&[keys::ESC], "back", Action::Back),
        ]
    }

    fn action(&mut self, a: Action, cx: &mut Context) -> Reply {
        match a {
            Action::Next | Action::Prev => {
                if let ConnectFocus::Field(f) = self.focus {
                    self.touch(f);
                }
                self.focus = self.focus.step(a == Action::Next);
            }
            Action::Reveal => self.reveal = !self.reveal,
            Action::Activate => match self.focus {
                ConnectFocus::Field(f) => {
                    self.touch(f);
                    self.focus = self.focus.step(true);
                }
                ConnectFocus::Connect => return self.start_checks(cx, false),
            },
            Action::Back => {
                self.reveal = false;
                return Reply::go(Screen::OAuthApp);
            }
            _ => {}
        }
        Reply::none()
    }

    fn input(&mut self) -> Option<&mut TextField> {
        match self.focus {
            ConnectFocus::Field(f) => Some(self.form.field_mut(f)),
            ConnectFocus::Connect => None,
        }
    }

    fn typing(&self) -> bool {
        match self.focus {
            ConnectFocus::Field(_) => true,
            ConnectFocus::Connect => false,
        }
    }

    fn view(&self, f: &mut Frame, area: Rect, cx: &Context) {
        let t = cx.theme;
        // Short labels below 70 columns leave the inputs room for a whole client ID.
        let narrow = area.width < 70;
        let label_w: u16 = if narrow { 14 } else { 25 };
        // The last column is kept for the ↑/↓ markers.
        let width = usize::from(area.width.saturating_sub(1));
        // On narrow terminals hints start near the left edge so they stay readable.
        let indent = if area.width < 50 {
            2
        } else {
            usize::from(label_w)
        };
        let roomy = area.height > 14;
        let mut rows: Vec<Row> = vec![Row::Text(Line::from(Span::styled(
            "3. Add ServiceNow credentials",
            t.heading(),
        )))];
        if roomy {
            rows.push(Row::Text(Line::default()));
        }
        let mut focus_row = 0usize;
        let hint = |rows: &mut Vec<Row>, span: Span<'static>| {
            let block = Block::Para {
                indent,
                spans: vec![span],
            };
            rows.extend(doc::wrap(&[block], width).into_iter().map(Row::Text));
        };
        for field in ConnectField::ALL {
            if self.focus == ConnectFocus::Field(field) {
                focus_row = rows.len();
            }
            rows.push(Row::Field(field));
            let value = self.form.field(field).value();
            if field == ConnectField::InstanceUrl {
                let span = match InstanceUrl::parse(value) {
                    Ok(u) => Span::styled(format!("→ {}", SafeText::line(u.as_str())), t.ok()),
                    Err(_) if value.trim().is_empty() => {
                        Span::styled("e.g. acme or acme.service-now.com", t.dim())
                    }
                    Err(e) => Span::styled(format!("✗ {e}"), t.error()),
                };
                hint(&mut rows, span);
            } else if let (Some(why), true) = (self.unread(field), value.is_empty()) {
                // The field itself says where the secret would come from, when that fits.
                let note = why.placeholder();
                if !placeholder_fits(&note, area.width, label_w) {
                    hint(&mut rows, Span::styled(format!("! {note}"), t.warn()));
                }
            } else if self.touched(field)
                && let Some(e) = self.form.error(field)
            {
                hint(&mut rows, Span::styled(format!("✗ {e}"), t.error()));
            } else if let Some(h) = self.form.hint(field) {
                hint(&mut rows, Span::styled(format!("! {h}"), t.warn()));
            }
        }
        if roomy {
            rows.push(Row::Text(Line::default()));
            let note = Block::item(
                0,
                "Note: ",
                vec![Span::raw(
                    "The username and password should belong to the dedicated user created for the integration.",
                )],
            );
            rows.extend(doc::wrap(&[note], width).into_iter().map(Row::Text));
            rows.push(Row::Text(Line::default()));
        }
        if self.focus == ConnectFocus::Connect {
            focus_row = rows.len();
        }
        rows.push(Row::Button);
        // Connect says what it still needs, and why the saved file did not provide it.
        for (field, why) in self.missing_sources() {
            let text = format!(
                "✗ {}: {} is {}; type it above.",
                field.label(),
                why.source,
                why.state
            );
            hint(&mut rows, Span::styled(text, t.error()));
        }

        // Keep the focused row (and the line under it) visible on short terminals.
        let height = usize::from(area.height);
        // The heading stays; the rest scrolls to keep the focused row in view.
        let window = Window::new(rows.len(), height, focus_row, 3, 1);
        for (row, r) in window.show(rows, area) {
            match row {
                Row::Text(line) => f.render_widget(Paragraph::new(line), r),
                Row::Field(field) => self.field_row(f, r, field, label_w, narrow, cx),
                Row::Button => {
                    let [_, b] = Layout::horizontal([
                        Constraint::Length(label_w.saturating_sub(1)),
                        Constraint::Fill(1),
                    ])
                    .areas(r);
                    f.render_widget(
                        Paragraph::new(button("Connect", self.focus == ConnectFocus::Connect, t)),
                        b,
                    );
                }
            }
        }
        window.markers(f, area, 1, cx.theme);
    }
}

/// One row of the form's layout.
enum Row {
    Text(Line<'static>),
    Field(ConnectField),
    Button,
}

impl Connect {
    fn field_row(
        &self,
        f: &mut Frame,
        r: Rect,
        field: ConnectField,
        label_w: u16,
        narrow: bool,
        cx: &Context,
    ) {
        let t = cx.theme;
        let focused = self.focus == ConnectFocus::Field(field);
        let [label, input, _] = Layout::horizontal([
            Constraint::Length(label_w),
            Constraint::Max(60),
            Constraint::Fill(1),
        ])
        .areas(r);
        let text = if narrow {
            field.short_label()
        } else {
            field.label()
        };
        f.render_widget(
            Paragraph::new(Span::styled(
                text,
                if focused { t.strong() } else { t.text() },
            )),
            label,
        );
        let value = self.form.field(field);
        value.render(f, input, focused, self.reveal, t);
        if value.is_empty()
            && let Some(why) = self.unread(field)
            && placeholder_fits(&why.placeholder(), r.width, label_w)
        {
            // The source stands in the empty field (after the cursor when it has the focus,
            // and past the field's end when it is longer).
            let skip = u16::from(focused);
            let rest = Rect {
                x: input.x.saturating_add(skip),
                width: r.right().saturating_sub(input.x.saturating_add(skip)),
                ..input
            };
            f.render_widget(
                Paragraph::new(Span::styled(why.placeholder(), t.dim().patch(t.field()))),
                rest,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    /// Every input takes typed keys: Tab reaches each, and a letter lands in it.
    #[test]
    fn every_input_is_wired_to_typed_keys() {
        let mut c = Connect::default();
        for _ in 0..ConnectFocus::ORDER.len() {
            let typing = c.typing();
            let focus = c.focus;
            match (c.input(), focus) {
                (Some(field), ConnectFocus::Field(f)) => {
                    assert!(typing, "{f:?} takes keys, so typing() must say so");
                    assert!(field.edit(&KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE)));
                    assert_eq!(c.form.field(f).value(), "x", "{f:?}");
                }
                (None, ConnectFocus::Connect) => assert!(!typing),
                (got, focus) => panic!("{focus:?} is wired to {:?}", got.is_some()),
            }
            c.focus = c.focus.step(true);
        }
        assert_eq!(c.focus, ConnectFocus::ORDER[0], "Tab comes round");
        assert_eq!(ConnectField::ALL.len() + 1, ConnectFocus::ORDER.len());
    }
}
