//! The offer to resume an unfinished setup found at start: resume, discard, or decide later
//! (the draft stays on disk).

use crate::sanitize::SafeText;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use crate::wizard::component::{Component, Reply, Request, no_text_input};
use crate::wizard::context::Context;
use crate::wizard::draft::DraftState;
use crate::wizard::keymap::{Action, Binding, Key, Keymap, keys};
use crate::wizard::widgets::dialog;
use crate::wizard::widgets::doc::Block;

/// The draft offer.
#[derive(Debug)]
pub struct DraftOffer {
    /// The draft found.
    pub draft: DraftState,
    /// When it was written (Unix seconds).
    pub written: u64,
    /// Focus on "Resume" (else "Discard").
    pub on_resume: bool,
}

impl DraftOffer {
    /// Offer `draft`, written at `written`; Resume has the focus.
    pub fn new(draft: DraftState, written: u64) -> DraftOffer {
        DraftOffer {
            draft,
            written,
            on_resume: true,
        }
    }

    fn decide(&self, resume: bool) -> Reply {
        let r = if resume {
            Request::ResumeDraft(Box::new(self.draft.clone()))
        } else {
            Request::DiscardDraft
        };
        Reply::close().and(r)
    }
}

impl Component for DraftOffer {
    fn bindings(&self, _cx: &Context) -> Keymap {
        vec![
            Binding::new(&[keys::ENTER], "choose", Action::Activate),
            Binding::new(&[keys::LEFT, keys::RIGHT], "switch", Action::Next).labelled("←→"),
            Binding::new(&[keys::TAB, keys::BACKTAB], "switch", Action::Next).hidden(),
            Binding::new(&[Key::ch('r')], "resume", Action::Yes),
            Binding::new(&[Key::ch('d')], "discard", Action::No),
            Binding::new(&[keys::ESC], "decide later", Action::Back),
        ]
    }

    fn action(&mut self, a: Action, _cx: &mut Context) -> Reply {
        match a {
            Action::Next | Action::Prev => {
                self.on_resume = !self.on_resume;
                Reply::none()
            }
            Action::Activate => self.decide(self.on_resume),
            Action::Yes => self.decide(true),
            Action::No => self.decide(false),
            // Deciding later keeps the draft on disk.
            Action::Back => Reply::close(),
            _ => Reply::none(),
        }
    }

    no_text_input!();

    fn view(&self, f: &mut Frame, area: Rect, cx: &Context) {
        let t = cx.theme;
        let d = &self.draft;
        let inst = if d.instance_url.is_empty() {
            "no instance yet".to_string()
        } else {
            SafeText::line(&d.instance_url).into_owned()
        };
        let body = vec![
            Block::text(format!(
                "A draft from {} was found: {inst}, {} endpoint(s).",
                format_time(self.written),
                d.endpoints.len()
            )),
            Block::text(if cx.demo {
                "Resume it? Secrets are never stored in drafts; the demo fills them in again."
            } else {
                "Resume it? Secrets are never stored in drafts: you type them again."
            }),
        ];
        let buttons: Line<'static> = dialog::yes_no("Resume", "Discard", self.on_resume, t);
        dialog::render(f, area, "Unfinished setup found", &body, buttons, 60, t);
    }
}

/// `2025-01-31 14:05 UTC` for a Unix time.
fn format_time(unix: u64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    i64::try_from(unix)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|d| d.format(&fmt).ok())
        .unwrap_or_else(|| "an earlier session".into())
}
