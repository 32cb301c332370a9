//! Help: every key of the screen underneath (the same bindings that handle its keys and
//! make its footer), then how typing, pasting and quitting work everywhere.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

use crate::wizard::component::{Component, Reply, no_text_input};
use crate::wizard::context::Context;
use crate::wizard::keymap::{Action, Binding, Key, Keymap, keys};
use crate::wizard::widgets::doc::Block;
use crate::wizard::widgets::draw::{centered, modal_frame};
use crate::wizard::widgets::scroll::{self, Scroll};

/// The help popup.
#[derive(Debug)]
pub struct Help {
    /// What the screen's keys do, key label and hint.
    keys: Vec<(String, &'static str)>,
    scroll: Scroll,
}

impl Help {
    /// Help for a screen with `bindings`.
    pub fn new(bindings: &[Binding]) -> Help {
        Help {
            keys: bindings
                .iter()
                .filter(|b| b.help)
                .map(|b| (b.key_label(), b.hint))
                .collect(),
            scroll: Scroll::default(),
        }
    }

    fn blocks(&self, cx: &Context) -> Vec<Block> {
        let mut v = vec![Block::styled("Keys on this screen", cx.theme.strong())];
        for (key, hint) in &self.keys {
            v.push(Block::item(
                2,
                format!("{key:<11} "),
                vec![Span::raw(*hint)],
            ));
        }
        v.push(Block::Blank);
        v.push(Block::text("Letters typed into a field never trigger shortcuts; there, F1 opens help. Pasting works in every field. Ctrl-C quits and asks first when something is unsaved; what you entered, without secrets, is kept as a draft."));
        v
    }
}

impl Component for Help {
    fn bindings(&self, _cx: &Context) -> Keymap {
        let mut v = vec![Binding::new(
            &[keys::ESC, keys::ENTER, Key::ch('?'), keys::F1],
            "close",
            Action::Back,
        )];
        v.extend(scroll::bindings("scroll"));
        v
    }

    fn action(&mut self, a: Action, _cx: &mut Context) -> Reply {
        if a == Action::Back {
            return Reply::close();
        }
        self.scroll.act(a);
        Reply::none()
    }

    no_text_input!();

    fn view(&self, f: &mut Frame, area: Rect, cx: &Context) {
        let r = centered(area, 64, area.height);
        let inner = modal_frame(f, r, "Help", cx.theme);
        scroll::render(f, inner, &self.blocks(cx), &self.scroll, cx.theme);
    }
}
