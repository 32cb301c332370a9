//! A dialog sized to its text: a titled frame in the middle of the area, the body word-wrapped
//! on top (cut, and said so, when the terminal is short), a row of buttons always on the last
//! line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::wizard::theme::Theme;
use crate::wizard::widgets::doc::{self, Block};
use crate::wizard::widgets::draw::{button, centered, modal_frame};

/// Two buttons, `yes` and `no`, one of them focused.
pub fn yes_no(yes: &str, no: &str, on_yes: bool, t: Theme) -> Line<'static> {
    Line::from(vec![
        button(yes, on_yes, t),
        Span::raw(" "),
        button(no, !on_yes, t),
    ])
}

/// Draw a dialog at most `max_w` wide in `area`.
pub fn render(
    f: &mut Frame,
    area: Rect,
    title: &str,
    body: &[Block],
    buttons: Line<'static>,
    max_w: u16,
    t: Theme,
) {
    let w = max_w.min(area.width);
    let lines = doc::wrap(body, usize::from(w.saturating_sub(2)));
    // Body, a blank line, the buttons, and the frame.
    let h = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(4)
        .min(area.height);
    let inner = modal_frame(f, centered(area, w, h), title, t);
    let [body_area, _, buttons_area] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let room = usize::from(body_area.height);
    let cut = lines.len() > room;
    let mut shown: Vec<Line<'static>> = lines.into_iter().take(room).collect();
    if cut && let Some(last) = shown.last_mut() {
        // The longest wording that fits: the hint must not be cut itself.
        let room = usize::from(body_area.width);
        let hint = [
            "… (make the terminal taller to read all)",
            "… (a taller terminal shows all)",
            "… (more above)",
            "…",
        ]
        .into_iter()
        .find(|h| unicode_width::UnicodeWidthStr::width(*h) <= room)
        .unwrap_or("…");
        *last = Line::from(Span::styled(hint, t.dim()));
    }
    f.render_widget(Paragraph::new(shown), body_area);
    f.render_widget(Paragraph::new(buttons), buttons_area);
}
