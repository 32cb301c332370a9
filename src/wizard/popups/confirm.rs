//! A yes/no question. The safe answer ("no") has the focus unless the question says
//! otherwise; yes is carried out by the screen that asked ([`Request::Confirmed`]).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

use crate::wizard::component::{Component, Reply, Request, no_text_input};
use crate::wizard::context::Context;
use crate::wizard::keymap::{Action, Binding, Key, Keymap, keys};
use crate::wizard::widgets::dialog;
use crate::wizard::widgets::doc::Block;

/// What a question is about: says who carries out a yes.
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
    /// Run the checks again although the instance asked to wait (rate limited).
    RetryWhileRateLimited,
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

impl Confirm {
    /// A question with the focus on the safe answer.
    pub fn new(
        kind: ConfirmKind,
        title: impl Into<String>,
        body: Vec<String>,
        yes: &'static str,
        no: &'static str,
    ) -> Confirm {
        Confirm {
            kind,
            title: title.into(),
            body,
            yes,
            no,
            on_yes: false,
        }
    }

    /// The question Ctrl-C asks when something is unsaved.
    pub fn quit() -> Confirm {
        Confirm::new(
            ConfirmKind::Quit,
            "Quit without saving?",
            vec!["What you entered (without secrets) is kept as a draft and offered the next time you start snow-connect.".into()],
            "Quit",
            "Stay",
        )
    }
}

impl Component for Confirm {
    fn bindings(&self, _cx: &Context) -> Keymap {
        vec![
            Binding::new(&[keys::ENTER], "choose", Action::Activate),
            Binding::new(&[keys::LEFT, keys::RIGHT], "switch", Action::Next).labelled("←→"),
            Binding::new(&[keys::TAB, keys::BACKTAB], "switch", Action::Next).hidden(),
            Binding::new(&[Key::ch('y')], "yes", Action::Yes).hidden(),
            Binding::new(&[Key::ch('n')], "no", Action::No).hidden(),
            Binding::new(&[keys::ESC], "cancel", Action::Back),
        ]
    }

    fn action(&mut self, a: Action, _cx: &mut Context) -> Reply {
        match a {
            Action::Next | Action::Prev => {
                self.on_yes = !self.on_yes;
                Reply::none()
            }
            Action::Back | Action::No => Reply::close(),
            Action::Yes | Action::Activate if a == Action::Yes || self.on_yes => {
                Reply::close().and(Request::Confirmed(self.kind))
            }
            Action::Activate => Reply::close(),
            _ => Reply::none(),
        }
    }

    no_text_input!();

    fn view(&self, f: &mut Frame, area: Rect, cx: &Context) {
        let t = cx.theme;
        // Paragraphs are spaced; indented lines (`  field = value`) form one list whose
        // lines hang under their text.
        let mut body = Vec::new();
        let mut listing = false;
        for (i, p) in self.body.iter().enumerate() {
            let item = p.starts_with("  ");
            if i > 0 && !(item && listing) {
                body.push(Block::Blank);
            }
            listing = item;
            if item {
                let text = p.trim_start();
                let lead = " ".repeat(p.len().saturating_sub(text.len()));
                body.push(Block::item(0, lead, vec![Span::raw(text.to_string())]));
            } else {
                body.push(Block::text(p.clone()));
            }
        }
        let buttons = dialog::yes_no(self.yes, self.no, self.on_yes, t);
        dialog::render(f, area, &self.title, &body, buttons, 62, t);
    }
}
