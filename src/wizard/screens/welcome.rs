//! Welcome: what will be set up (the seed's overview and workflow), and what to do with an
//! existing config: edit, replace (its endpoints are deleted) or remove.

use crate::sanitize::SafeText;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::wizard::component::{Component, Reply, Request, no_text_input};
use crate::wizard::context::Context;
use crate::wizard::keymap::{Action, Binding, Keymap, keys};
use crate::wizard::model::{Existing, Mode, Screen};
use crate::wizard::msg::Effect;
use crate::wizard::popups::{Confirm, ConfirmKind};
use crate::wizard::widgets::doc::Block;
use crate::wizard::widgets::draw::button_row;
use crate::wizard::widgets::scroll::{self, Scroll};

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

    /// The buttons on offer, depending on what exists at the config path.
    pub fn offered(existing: &Existing) -> &'static [Choice] {
        match existing {
            Existing::None => &[Choice::Start, Choice::Quit],
            Existing::Loaded { .. } => {
                &[Choice::Edit, Choice::Replace, Choice::Remove, Choice::Quit]
            }
            Existing::Invalid(_) => &[Choice::Remove, Choice::Quit],
        }
    }
}

/// The welcome screen.
#[derive(Debug, Default)]
pub struct Welcome {
    /// Focused button.
    focus: usize,
    scroll: Scroll,
    /// Under `--demo`: the simulator's address, to say where the demo connects.
    demo_url: Option<String>,
}

impl Welcome {
    /// The welcome screen; `demo_url` is the built-in simulator's address under `--demo`.
    pub fn new(demo_url: Option<String>) -> Welcome {
        Welcome {
            demo_url,
            ..Welcome::default()
        }
    }

    /// The focused button.
    pub fn focused(&self, cx: &Context) -> Choice {
        let offered = Choice::offered(&cx.existing);
        offered
            .get(self.focus.min(offered.len().saturating_sub(1)))
            .copied()
            .unwrap_or(Choice::Quit)
    }

    /// Start at the top again (when the screen is entered).
    pub fn reset(&mut self) {
        self.scroll.reset();
    }

    /// The config was removed: the buttons change, focus the first.
    pub fn removed(&mut self) {
        self.focus = 0;
    }

    fn activate(&mut self, choice: Choice, cx: &mut Context) -> Reply {
        match choice {
            Choice::Start => {
                cx.mode = Mode::New;
                Reply::go(Screen::ChooseUser)
            }
            Choice::Edit => Reply::request(Request::EditConfig),
            Choice::Replace => {
                let body = match &cx.existing {
                    Existing::Loaded { config, .. } => vec![
                        format!(
                            "{} connects {} with {} endpoint(s).",
                            cx.config_path.display(),
                            SafeText::line(&config.servicenow.instance_url),
                            config.endpoints.len()
                        ),
                        "Only one instance can be connected. Replacing it deletes the integration and all of its endpoints when you save; nothing changes before that.".into(),
                    ],
                    _ => Vec::new(),
                };
                Reply::open(Confirm::new(
                    ConfirmKind::Replace,
                    "Replace the integration?",
                    body,
                    "Replace",
                    "Cancel",
                ))
            }
            Choice::Remove => {
                let first = if matches!(cx.existing, Existing::Invalid(_)) {
                    format!(
                        "This deletes {}, which cannot be read, so that you can start over. To keep it, cancel and fix the file instead.",
                        cx.config_path.display()
                    )
                } else {
                    format!(
                        "This deletes {} and with it all {} endpoint(s).",
                        cx.config_path.display(),
                        cx.existing_config().map_or(0, |c| c.endpoints.len())
                    )
                };
                Reply::open(Confirm::new(
                    ConfirmKind::Remove,
                    "Remove the integration?",
                    vec![
                        first,
                        "Nothing changes in ServiceNow: the user and the OAuth application stay."
                            .into(),
                    ],
                    "Remove",
                    "Cancel",
                ))
            }
            Choice::Quit => Reply::request(Request::Quit),
        }
    }

    /// The user confirmed removing the config.
    pub fn remove_confirmed(&mut self, cx: &mut Context) -> Reply {
        cx.info("Removing…");
        Reply::effect(Effect::RemoveConfig {
            path: cx.config_path.clone(),
        })
    }

    /// The text of the welcome screen.
    fn blocks(&self, cx: &Context) -> Vec<Block> {
        let t = cx.theme;
        let mut v = vec![
            Block::styled("Connect Finout to ServiceNow", t.heading()),
            Block::Blank,
        ];
        match &cx.existing {
            Existing::None => {}
            Existing::Loaded { config, warnings } => {
                v.push(Block::spans(vec![
                    Span::styled("Already connected: ", t.strong()),
                    Span::raw(format!(
                        "{} with {} endpoint(s). Edit it, replace it with another instance (its endpoints are deleted), or remove it.",
                        SafeText::line(&config.servicenow.instance_url),
                        config.endpoints.len()
                    )),
                ]));
                for w in warnings {
                    v.push(Block::item(
                        0,
                        "! ",
                        vec![Span::styled(SafeText::line(w).into_owned(), t.warn())],
                    ));
                }
                v.push(Block::Blank);
            }
            Existing::Invalid(msg) => {
                v.push(Block::styled(
                    "✗ The saved config cannot be read:",
                    t.error(),
                ));
                // One problem per line, each its own item: they never run together.
                for problem in msg.lines().filter(|l| !l.trim().is_empty()) {
                    v.push(Block::item(
                        2,
                        "• ",
                        vec![Span::raw(SafeText::line(problem).into_owned())],
                    ));
                }
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
        if let Some(url) = &self.demo_url {
            v.push(Block::item(
                0,
                "Demo: ",
                vec![Span::styled(
                    format!(
                        "a built-in simulator at {}; the form is pre-filled.",
                        SafeText::line(url)
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
                cx.config_path.display().to_string(),
                t.strong(),
            )],
        ));
        v
    }
}

impl Component for Welcome {
    fn bindings(&self, _cx: &Context) -> Keymap {
        let mut v = vec![
            Binding::new(&[keys::ENTER], "choose", Action::Activate),
            Binding::new(&[keys::TAB, keys::RIGHT], "next button", Action::Next).labelled("Tab/→"),
            Binding::new(
                &[keys::BACKTAB, keys::LEFT],
                "previous button",
                Action::Prev,
            )
            .hidden(),
        ];
        v.extend(scroll::bindings("scroll").map(|b| b.hidden()));
        v.push(Binding::new(&[keys::ESC], "quit", Action::Quit).hidden());
        v
    }

    fn action(&mut self, a: Action, cx: &mut Context) -> Reply {
        let n = Choice::offered(&cx.existing).len().max(1);
        match a {
            Action::Next => self.focus = (self.focus + 1) % n,
            Action::Prev => self.focus = (self.focus + n - 1) % n,
            Action::Activate => {
                let choice = self.focused(cx);
                return self.activate(choice, cx);
            }
            other => {
                self.scroll.act(other);
            }
        }
        Reply::none()
    }

    no_text_input!();

    fn view(&self, f: &mut Frame, area: Rect, cx: &Context) {
        let [text, _, buttons] = Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(area);
        scroll::render(f, text, &self.blocks(cx), &self.scroll, cx.theme);
        let labels: Vec<&str> = Choice::offered(&cx.existing)
            .iter()
            .map(|c| c.label())
            .collect();
        let spans = button_row(&labels, self.focus, usize::from(area.width), cx.theme);
        f.render_widget(Paragraph::new(Line::from(spans)), buttons);
    }
}
