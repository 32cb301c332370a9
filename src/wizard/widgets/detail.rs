//! The detail viewer: a titled, scrollable, word-wrapped document in a frame, with where you
//! are in it (`12–20/41`) on the bottom edge. Screens feed it a list of [`Block`]s (a matrix
//! row's status, evidence, cause and fix; a failed test incident) and keep only the scroll.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block as Border, BorderType, Clear, Paragraph};

use crate::wizard::theme::Theme;
use crate::wizard::widgets::doc::{self, Block};
use crate::wizard::widgets::scroll::Scroll;

/// The text area inside the frame drawn in `area`: the border, and a column of margin on
/// each side so the text does not touch it.
pub fn text_area(area: Rect) -> Rect {
    Rect {
        x: area.x.saturating_add(2),
        y: area.y.saturating_add(1),
        width: area.width.saturating_sub(4),
        height: area.height.saturating_sub(2),
    }
}

/// The document wrapped for the text area of `area`.
fn wrapped(blocks: &[Block], area: Rect) -> Vec<Line<'static>> {
    doc::wrap(blocks, usize::from(text_area(area).width.max(1)))
}

/// Where the view is: `12–20/41` (first and last line shown, of all), `1–9/9` when it all fits.
pub fn position(scroll: u16, height: u16, lines: usize) -> String {
    if lines == 0 {
        return "0/0".to_string();
    }
    let first = usize::from(scroll)
        .min(lines.saturating_sub(1))
        .saturating_add(1);
    let last = first
        .saturating_add(usize::from(height))
        .saturating_sub(1)
        .min(lines);
    format!("{first}–{last}/{lines}")
}

/// Draw the document `blocks` titled `title` over `area` (full width, as tall as the document
/// needs, at most all of it), scrolled by `scroll` (clamped; the view notes what fitted).
pub fn render(f: &mut Frame, area: Rect, title: &str, blocks: &[Block], scroll: &Scroll, t: Theme) {
    if area.width < 6 || area.height < 3 {
        return;
    }
    let lines = wrapped(blocks, area);
    let needed = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    let area = Rect {
        height: area.height.min(needed.max(3)),
        ..area
    };
    let inner = text_area(area);
    scroll.fitted(lines.len(), inner.height);
    let scroll = scroll.offset();
    let at = position(scroll, inner.height, lines.len());
    let frame = Border::bordered()
        .border_type(BorderType::Rounded)
        .border_style(t.heading())
        .title_top(Line::from(Span::styled(format!(" {title} "), t.heading())))
        .title_bottom(Line::from(Span::styled(format!(" {at} "), t.strong())).right_aligned());
    f.render_widget(Clear, area);
    f.render_widget(frame, area);
    let shown: Vec<Line<'static>> = lines
        .into_iter()
        .skip(usize::from(scroll))
        .take(usize::from(inner.height))
        .collect();
    f.render_widget(Paragraph::new(shown), inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::keymap::Action;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn doc(n: usize) -> Vec<Block> {
        (1..=n).map(|i| Block::text(format!("line {i}"))).collect()
    }

    #[test]
    fn moves_stay_inside_the_document() {
        // 10 rows of frame: 8 rows of text; 20 lines: scroll 0..=12.
        let mut term = Terminal::new(TestBackend::new(30, 10)).expect("term");
        let d = doc(20);
        let mut s = Scroll::default();
        let mut draw = |s: &Scroll| {
            term.draw(|f| render(f, f.area(), "Detail", &d, s, Theme::MONO))
                .expect("draw");
        };
        draw(&s);
        s.act(Action::Up);
        assert_eq!(s.offset(), 0);
        s.act(Action::Down);
        assert_eq!(s.offset(), 1);
        s.act(Action::PageDown);
        assert_eq!(s.offset(), 8);
        s.act(Action::PageDown);
        assert_eq!(s.offset(), 12, "never past the end");
        s.act(Action::Home);
        assert_eq!(s.offset(), 0);
        s.act(Action::End);
        assert_eq!(s.offset(), 12);
        // A document that fits never scrolls.
        let short = doc(3);
        let mut s = Scroll::default();
        term.draw(|f| render(f, f.area(), "Detail", &short, &s, Theme::MONO))
            .expect("draw");
        s.act(Action::End);
        assert_eq!(s.offset(), 0);
    }

    #[test]
    fn the_position_names_the_lines_shown() {
        assert_eq!(position(11, 9, 41), "12–20/41");
        assert_eq!(position(0, 9, 5), "1–5/5");
        assert_eq!(position(0, 9, 0), "0/0");
    }

    #[test]
    fn long_words_wrap_and_the_position_is_on_the_bottom_edge() {
        let mut term = Terminal::new(TestBackend::new(26, 6)).expect("term");
        let d = vec![Block::text(
            "HTTP 403: Insufficient rights to query records",
        )];
        let frame = term
            .draw(|f| render(f, f.area(), "Detail", &d, &Scroll::default(), Theme::MONO))
            .expect("draw");
        let text = crate::wizard::event_loop::buffer_text(frame.buffer);
        assert!(text.contains("│ HTTP 403: Insufficient │"), "{text}");
        assert!(text.contains("│ rights to query        │"), "{text}");
        assert!(text.contains("│ records                │"), "{text}");
        assert!(text.contains("1–3/3 ╯"), "{text}");
        assert!(text.contains(" Detail "), "{text}");
    }
}
