//! Forms taller than the terminal: which rows to show so the focused one (and a few after it)
//! stay in view, with the heading kept on top, and `↑` / `↓` in the last column wherever rows
//! are out of view.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use crate::wizard::theme::Theme;

/// The rows shown of `len` in `height` rows: the first `pinned` always, then a window that
/// holds row `focus` and up to `after` rows below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Row indices to draw, top to bottom.
    pub rows: Vec<usize>,
    /// Rows are hidden between the pinned ones and the window.
    pub above: bool,
    /// Rows are hidden below the window.
    pub below: bool,
}

impl Window {
    /// The window for `len` rows.
    pub fn new(len: usize, height: usize, focus: usize, after: usize, pinned: usize) -> Window {
        let pinned = pinned.min(len).min(height);
        let room = height.saturating_sub(pinned);
        let focus = focus.clamp(pinned, len.saturating_sub(1).max(pinned));
        // Start so that the focused row and `after` more fit, never before the pinned rows.
        let end_wanted = focus.saturating_add(after).saturating_add(1).min(len);
        let start = end_wanted.saturating_sub(room).max(pinned);
        let end = start.saturating_add(room).min(len);
        let mut rows: Vec<usize> = (0..pinned).collect();
        rows.extend(start..end);
        Window {
            rows,
            above: start > pinned,
            below: end < len,
        }
    }

    /// The rows to draw, each with its one-row area in `area`, top to bottom.
    pub fn show<T>(&self, rows: Vec<T>, area: Rect) -> Vec<(T, Rect)> {
        let mut rows: Vec<Option<T>> = rows.into_iter().map(Some).collect();
        let shown: Vec<T> = self
            .rows
            .iter()
            .filter_map(|&i| rows.get_mut(i).and_then(Option::take))
            .collect();
        let cells = Layout::vertical(vec![Constraint::Length(1); shown.len()]).split(area);
        shown.into_iter().zip(cells.iter().copied()).collect()
    }

    /// Draw `↑` / `↓` in the last column of `area` where rows are out of view (`↑` on the first
    /// row after the pinned ones).
    pub fn markers(&self, f: &mut Frame, area: Rect, pinned: usize, theme: Theme) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let x = area.right().saturating_sub(1);
        if self.above {
            let y = area
                .y
                .saturating_add(u16::try_from(pinned).unwrap_or(u16::MAX))
                .min(area.bottom().saturating_sub(1));
            f.render_widget(
                Paragraph::new(Span::styled("↑", theme.strong())),
                Rect::new(x, y, 1, 1),
            );
        }
        if self.below {
            f.render_widget(
                Paragraph::new(Span::styled("↓", theme.strong())),
                Rect::new(x, area.bottom().saturating_sub(1), 1, 1),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_focused_row_and_the_heading_stay_in_view() {
        // Everything fits.
        let w = Window::new(5, 10, 4, 2, 1);
        assert_eq!(w.rows, vec![0, 1, 2, 3, 4]);
        assert!(!w.above && !w.below);
        // Focus near the top of a long form: the rest is below.
        let w = Window::new(30, 10, 2, 2, 1);
        assert_eq!(w.rows, (0..10).collect::<Vec<_>>());
        assert!(!w.above && w.below);
        // Focus at the bottom: the heading stays, the middle is hidden.
        let w = Window::new(30, 10, 29, 2, 1);
        assert_eq!(w.rows[0], 0);
        assert_eq!(w.rows.len(), 10);
        assert_eq!(*w.rows.last().expect("rows"), 29);
        assert!(w.above && !w.below);
        // Focus in the middle keeps `after` rows below it.
        let w = Window::new(30, 10, 15, 2, 1);
        assert_eq!(*w.rows.last().expect("rows"), 17);
        assert!(w.rows.contains(&15));
        assert!(w.above && w.below);
        // Degenerate sizes.
        assert!(Window::new(0, 10, 0, 2, 1).rows.is_empty());
        assert_eq!(Window::new(5, 0, 3, 2, 1).rows, Vec::<usize>::new());
    }
}
