//! Screen 1, Welcome: what will be set up (the seed's overview and workflow), and what to do
//! with an existing config: edit, replace (its endpoints are deleted) or remove.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::wizard::keymap::{Action, Binding, Keymap, keys};
use crate::wizard::model::{Confirm, ConfirmKind, Existing, Modal, Mode, Model, Screen};
use crate::wizard::msg::Effect;
use crate::wizard::screens::{connect, guide};
use crate::wizard::update::{go, request_quit};
use crate::wizard::widgets::doc::Block;
use crate::wizard::widgets::draw::{button_row, scrolled};

/// The welcome screen's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Start a new integration.
    Start,
    /// Edit the existing one.
    Edit,
    /// Replace it with another instance.
    Replace,
    /// Remove it.
    Remove,
    /// Leave.
    Quit,
}

impl Choice {
    fn label(self) -> &'static str {
        match self {
            Choice::Start => "Start",
            Choice::Edit => "Edit",
            Choice::Replace => "Replace",
            Choice::Remove => "Remove",
            Choice::Quit => "Quit",
        }
    }
}

/// The buttons on offer, depending on what exists at the config path.
pub fn choices(m: &Model) -> Vec<Choice> {
    match &m.existing {
        Existing::None => vec![Choice::Start, Choice::Quit],
        Existing::Loaded { .. } => {
            vec![Choice::Edit, Choice::Replace, Choice::Remove, Choice::Quit]
        }
        Existing::Invalid(_) => vec![Choice::Remove, Choice::Quit],
    }
}

/// Keys of the welcome screen.
pub fn keymap(_m: &Model) -> Keymap {
    vec![
        Binding::new(&[keys::ENTER], "choose", Action::Activate),
        Binding::new(&[keys::TAB, keys::RIGHT], "next button", Action::Next).labelled("Tab/→"),
        Binding::new(
            &[keys::BACKTAB, keys::LEFT],
            "previous button",
            Action::Prev,
        )
        .hidden(),
        Binding::new(&[keys::DOWN, keys::PGDN], "scroll", Action::PageDown)
            .labelled("↑↓")
            .hidden(),
        Binding::new(&[keys::UP, keys::PGUP], "scroll up", Action::PageUp).silent(),
        Binding::new(&[keys::ESC], "quit", Action::Quit).hidden(),
    ]
}

/// React to an action.
pub fn action(m: &mut Model, a: Action) -> Vec<Effect> {
    let n = choices(m).len();
    match a {
        Action::Next => m.welcome_focus = (m.welcome_focus + 1) % n.max(1),
        Action::Prev => m.welcome_focus = (m.welcome_focus + n.saturating_sub(1)) % n.max(1),
        Action::PageDown | Action::Down => guide::scroll(m, 3),
        Action::PageUp | Action::Up => guide::scroll(m, -3),
        Action::Activate => {
            let choice = choices(m)
                .get(m.welcome_focus)
                .copied()
                .unwrap_or(Choice::Quit);
            return activate(m, choice);
        }
        _ => {}
    }
    Vec::new()
}

fn endpoint_count(m: &Model) -> usize {
    m.existing_config().map_or(0, |c| c.endpoints.len())
}

fn activate(m: &mut Model, choice: Choice) -> Vec<Effect> {
    match choice {
        Choice::Start => {
            m.mode = Mode::New;
            go(m, Screen::ChooseUser)
        }
        Choice::Edit => {
            if let Some(cfg) = m.existing_config().cloned() {
                m.mode = Mode::Edit;
                connect::fill_from_config(m, &cfg);
                let effects = go(m, Screen::Connect);
                m.info("Editing the saved integration: check the values, then Connect to re-run the checks.");
                return effects;
            }
            Vec::new()
        }
        Choice::Replace => {
            let body = match &m.existing {
                Existing::Loaded { config, .. } => vec![
                    format!(
                        "{} connects {} with {} endpoint(s).",
                        m.config_path.display(),
                        crate::sanitize::line(&config.servicenow.instance_url),
                        config.endpoints.len()
                    ),
                    "Only one instance can be connected. Replacing it deletes the integration and all of its endpoints when you save; nothing changes before that.".into(),
                ],
                _ => Vec::new(),
            };
            m.modals.push(Modal::Confirm(Confirm {
                kind: ConfirmKind::Replace,
                title: "Replace the integration?".into(),
                body,
                yes: "Replace",
                no: "Cancel",
                on_yes: false,
            }));
            Vec::new()
        }
        Choice::Remove => {
            let first = if matches!(m.existing, Existing::Invalid(_)) {
                format!(
                    "This deletes {}, which cannot be read, so that you can start over. To keep it, cancel and fix the file instead.",
                    m.config_path.display()
                )
            } else {
                format!(
                    "This deletes {} and with it all {} endpoint(s).",
                    m.config_path.display(),
                    endpoint_count(m)
                )
            };
            m.modals.push(Modal::Confirm(Confirm {
                kind: ConfirmKind::Remove,
                title: "Remove the integration?".into(),
                body: vec![
                    first,
                    "Nothing changes in ServiceNow: the user and the OAuth application stay."
                        .into(),
                ],
                yes: "Remove",
                no: "Cancel",
                on_yes: false,
            }));
            Vec::new()
        }
        Choice::Quit => request_quit(m),
    }
}

/// The confirmed replace: start the flow over with an empty form.
pub fn start_replace(m: &mut Model) -> Vec<Effect> {
    m.mode = Mode::Replace;
    m.endpoints = Default::default();
    m.form = Default::default();
    m.unsaved = true;
    go(m, Screen::ChooseUser)
}

/// The text of the welcome screen.
pub fn lines(m: &Model) -> Vec<Block> {
    let t = m.theme;
    let mut v = vec![
        Block::styled("Connect Finout to ServiceNow", t.heading()),
        Block::Blank,
    ];
    match &m.existing {
        Existing::None => {}
        Existing::Loaded { config, warnings } => {
            v.push(Block::spans(vec![
                Span::styled("Already connected: ", t.strong()),
                Span::raw(format!(
                    "{} with {} endpoint(s). Edit it, replace it with another instance (its endpoints are deleted), or remove it.",
                    crate::sanitize::line(&config.servicenow.instance_url),
                    config.endpoints.len()
                )),
            ]));
            for w in warnings {
                v.push(Block::item(
                    0,
                    "! ",
                    vec![Span::styled(
                        crate::sanitize::line(w).into_owned(),
                        t.warn(),
                    )],
                ));
            }
            v.push(Block::Blank);
        }
        Existing::Invalid(msg) => {
            v.push(Block::styled(
                "✗ The saved config cannot be read:",
                t.error(),
            ));
            v.push(Block::item(
                2,
                "",
                vec![Span::raw(crate::sanitize::line(msg).into_owned())],
            ));
            v.push(Block::text(
                "Fix the file and start snow-connect again, or remove it to start over.",
            ));
            v.push(Block::Blank);
        }
    }
    v.extend([
        Block::text("To integrate Finout with your ServiceNow instance, designate a user account that Finout will use to make API calls on your behalf."),
        Block::Blank,
        Block::styled("ServiceNow Configuration Workflow:", t.strong()),
        Block::item(2, "1. ", vec![Span::raw("Choose a User")]),
        Block::item(2, "2. ", vec![Span::raw("OAuth Authentication")]),
        Block::item(2, "3. ", vec![Span::raw("Add ServiceNow credentials, then live checks, endpoints and a review")]),
        Block::Blank,
        Block::item(0, "Note: ", vec![Span::raw("You need administrator-level access to your ServiceNow instance to configure the user and create an OAuth application.")]),
        Block::item(0, "Note: ", vec![Span::raw("You can connect with only one instance.")]),
    ]);
    if m.demo {
        v.push(Block::item(
            0,
            "Demo: ",
            vec![Span::styled(
                format!(
                    "a built-in simulator at {}; the form is pre-filled.",
                    crate::sanitize::line(m.form.fields[0].value())
                ),
                t.warn(),
            )],
        ));
    }
    v.push(Block::Blank);
    v.push(Block::item(
        0,
        "Saves to ",
        vec![Span::styled(
            m.config_path.display().to_string(),
            t.strong(),
        )],
    ));
    v
}

/// Draw the welcome screen.
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let text_area = Rect {
        height: area.height.saturating_sub(2),
        ..area
    };
    scrolled(f, text_area, &lines(m), m.text_scroll, m.theme);
    let labels: Vec<&str> = choices(m).iter().map(|c| c.label()).collect();
    let spans = button_row(&labels, m.welcome_focus, usize::from(area.width), m.theme);
    let row = Rect::new(
        area.x,
        area.bottom().saturating_sub(1),
        area.width,
        1.min(area.height),
    );
    f.render_widget(Paragraph::new(Line::from(spans)), row);
}
