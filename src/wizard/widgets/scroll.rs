//! A scroll position for a word-wrapped document, and the widget that draws one. The view
//! reports what fitted (how far the text can scroll, how tall a page is) back into the
//! state, so the next key clamps against what the user saw instead of `update` working out
//! the geometry again (television's UI-state feedback).

use std::cell::Cell;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::wizard::keymap::{Action, Binding, keys};
use crate::wizard::theme::Theme;
use crate::wizard::widgets::doc::{self, Block};

/// Where a document is scrolled to, and what the last frame found.
#[derive(Debug, Clone, Default)]
pub struct Scroll {
    offset: Cell<u16>,
    /// The largest useful offset, once a frame was drawn.
    max: Cell<Option<u16>>,
    /// Rows shown at once, once a frame was drawn.
    page: Cell<u16>,
}

impl Scroll {
    /// The first row shown.
    pub fn offset(&self) -> u16 {
        self.offset.get()
    }

    /// Back to the top.
    pub fn reset(&mut self) {
        self.offset.set(0);
    }

    /// Move by `delta` rows (clamped to what the last frame could show).
    pub fn by(&mut self, delta: i32) {
        let next = i32::from(self.offset.get()).saturating_add(delta).max(0);
        let next = u16::try_from(next).unwrap_or(u16::MAX);
        self.offset
            .set(self.max.get().map_or(next, |max| next.min(max)));
    }

    /// Rows a page key moves: the height shown, less one row of context.
    pub fn page(&self) -> i32 {
        i32::from(self.page.get().saturating_sub(1).max(1))
    }

    /// Apply a movement action; `false` when the action is not a movement.
    pub fn act(&mut self, a: Action) -> bool {
        match a {
            Action::Down => self.by(1),
            Action::Up => self.by(-1),
            Action::PageDown => self.by(self.page()),
            Action::PageUp => self.by(-self.page()),
            Action::Home => self.offset.set(0),
            Action::End => self.offset.set(self.max.get().unwrap_or(u16::MAX)),
            _ => return false,
        }
        true
    }

    /// Whether there is more below what is shown.
    pub fn more_below(&self) -> bool {
        self.max.get().is_some_and(|m| self.offset.get() < m)
    }

    /// The view found `total` rows of text in `height` rows of room.
    pub fn fitted(&self, total: usize, height: u16) {
        let max = u16::try_from(total.saturating_sub(usize::from(height))).unwrap_or(u16::MAX);
        self.max.set(Some(max));
        self.page.set(height);
        if self.offset.get() > max {
            self.offset.set(max);
        }
    }
}

/// The keys that move a scrolled text: ↑↓ (shown as one hint), PgUp/PgDn and Home/End.
pub fn bindings(hint: &'static str) -> [Binding; 6] {
    [
        Binding::new(&[keys::DOWN], hint, Action::Down).labelled("↑↓"),
        Binding::new(&[keys::UP], hint, Action::Up).silent(),
        Binding::new(&[keys::PGDN], "page down/up", Action::PageDown)
            .labelled("PgDn/PgUp")
            .hidden(),
        Binding::new(&[keys::PGUP], "page up", Action::PageUp).silent(),
        Binding::new(&[keys::HOME], "top/bottom", Action::Home)
            .labelled("Home/End")
            .hidden(),
        Binding::new(&[keys::END], "bottom", Action::End).silent(),
    ]
}

/// Draw `blocks` word-wrapped into `area`, scrolled by `scroll`, with `↑` / `↓` in the last
/// column when there is more to see; records what fitted in `scroll`.
pub fn render(f: &mut Frame, area: Rect, blocks: &[Block], scroll: &Scroll, theme: Theme) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    // The last column holds the markers, with a column of air before them.
    let text_w = area.width.saturating_sub(2).max(1);
    let lines = doc::wrap(blocks, usize::from(text_w));
    scroll.fitted(lines.len(), area.height);
    let offset = scroll.offset();
    let visible: Vec<Line<'static>> = lines
        .into_iter()
        .skip(usize::from(offset))
        .take(usize::from(area.height))
        .collect();
    f.render_widget(
        Paragraph::new(visible),
        Rect {
            width: text_w,
            ..area
        },
    );
    let x = area.right().saturating_sub(1);
    if offset > 0 {
        f.render_widget(
            Paragraph::new(Span::styled("↑", theme.strong())),
            Rect::new(x, area.y, 1, 1),
        );
    }
    if scroll.more_below() {
        f.render_widget(
            Paragraph::new(Span::styled("↓", theme.strong())),
            Rect::new(x, area.bottom().saturating_sub(1), 1, 1),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn draw(blocks: &[Block], scroll: &Scroll, w: u16, h: u16) {
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
        term.draw(|f| render(f, f.area(), blocks, scroll, Theme::MONO))
            .expect("draw");
    }

    #[test]
    fn end_and_page_keys_stop_at_what_the_last_frame_could_show() {
        let blocks: Vec<Block> = (0..30).map(|i| Block::text(format!("line {i}"))).collect();
        let mut s = Scroll::default();
        draw(&blocks, &s, 20, 10);
        assert!(s.act(Action::End));
        assert_eq!(s.offset(), 20, "30 lines in 10 rows scroll to 20");
        s.act(Action::PageDown);
        assert_eq!(s.offset(), 20);
        s.act(Action::PageUp);
        assert_eq!(s.offset(), 11, "a page is the height less one row");
        s.act(Action::Home);
        assert_eq!(s.offset(), 0);
        s.act(Action::Up);
        assert_eq!(s.offset(), 0);
        assert!(!s.act(Action::Activate));
    }

    #[test]
    fn a_taller_terminal_pulls_the_offset_back() {
        let blocks: Vec<Block> = (0..30).map(|i| Block::text(format!("line {i}"))).collect();
        let mut s = Scroll::default();
        draw(&blocks, &s, 20, 10);
        s.act(Action::End);
        draw(&blocks, &s, 20, 25);
        assert_eq!(s.offset(), 5);
        assert!(!s.more_below());
    }
}
