//! The whole story of one thing, full width: a matrix row (status, the complete evidence,
//! the cause, the fix or the admin's plan) or a failed test incident. Scrollable with every
//! key in the footer; `y` copies it.

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::wizard::component::{Component, Reply, Request, no_text_input};
use crate::wizard::context::Context;
use crate::wizard::keymap::{Action, Binding, Key, Keymap, keys};
use crate::wizard::msg::Effect;
use crate::wizard::widgets::detail;
use crate::wizard::widgets::doc::Block;
use crate::wizard::widgets::scroll::Scroll;

/// The detail view. It holds its document: what it describes does not change while it is
/// open.
#[derive(Debug)]
pub struct DetailView {
    /// What it describes, e.g. "Read sys_glide_object".
    pub title: String,
    /// The document.
    pub blocks: Vec<Block>,
    /// What `y` copies (plain text).
    copy: String,
    /// `s` writes the Markdown report (a matrix row: its plan says so).
    report: bool,
    scroll: Scroll,
}

impl DetailView {
    /// A view titled `title` of `blocks`; `y` copies `copy`.
    pub fn new(title: impl Into<String>, blocks: Vec<Block>, copy: String) -> DetailView {
        DetailView {
            title: title.into(),
            blocks,
            copy,
            report: false,
            scroll: Scroll::default(),
        }
    }

    /// The same view, where `s` writes the report for the ServiceNow admin.
    pub fn with_report(mut self) -> DetailView {
        self.report = true;
        self
    }

    /// The first line shown.
    pub fn offset(&self) -> u16 {
        self.scroll.offset()
    }
}

impl Component for DetailView {
    /// Every way to move is in the footer: the document is the point.
    fn bindings(&self, _cx: &Context) -> Keymap {
        let mut v = vec![
            Binding::new(&[keys::ESC, keys::ENTER], "close", Action::Back),
            Binding::new(&[keys::DOWN, Key::ch('j')], "scroll", Action::Down).labelled("↑↓"),
            Binding::new(&[keys::UP, Key::ch('k')], "scroll", Action::Up).silent(),
            Binding::new(&[keys::PGDN, keys::SPACE], "page", Action::PageDown)
                .labelled("PgUp/PgDn"),
            Binding::new(&[keys::PGUP], "page", Action::PageUp).silent(),
            Binding::new(&[keys::HOME], "top/end", Action::Home).labelled("Home/End"),
            Binding::new(&[keys::END], "top/end", Action::End).silent(),
            Binding::new(&[Key::ch('y')], "copy", Action::CopyFix),
        ];
        if self.report {
            v.push(Binding::new(&[Key::ch('s')], "report", Action::SaveReport));
        }
        v
    }

    fn action(&mut self, a: Action, cx: &mut Context) -> Reply {
        match a {
            Action::Back => Reply::close(),
            Action::SaveReport if self.report => Reply::request(Request::SaveReport),
            Action::CopyFix => {
                cx.info(format!(
                    "Copied \"{}\" to your clipboard (OSC 52: your terminal must allow it).",
                    self.title
                ));
                Reply::effect(Effect::Clipboard(self.copy.clone()))
            }
            other => {
                self.scroll.act(other);
                Reply::none()
            }
        }
    }

    no_text_input!();

    fn view(&self, f: &mut Frame, area: Rect, cx: &Context) {
        detail::render(f, area, &self.title, &self.blocks, &self.scroll, cx.theme);
    }
}
