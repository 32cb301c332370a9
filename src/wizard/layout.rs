//! Where things go on screen: header, the workflow column, the body, the feedback line, the
//! footer. All arithmetic saturates: any size, however small, is safe.

use ratatui::layout::{Constraint, Layout, Rect};

/// Below this the wizard shows only "terminal too small".
pub const MIN_W: u16 = 40;
/// Below this the wizard shows only "terminal too small".
pub const MIN_H: u16 = 12;
/// Width of the full workflow column (and its rule).
const SIDEBAR_W: u16 = 24;
/// Width of the collapsed column: a mark and the step number (and its rule).
const RAIL_W: u16 = 4;
/// The full column is shown from this terminal width on.
const SIDEBAR_FROM: u16 = 100;
/// The collapsed column is shown from this terminal width on.
const RAIL_FROM: u16 = 60;
/// The feedback line wraps to at most this many rows.
pub const MAX_STATUS_ROWS: u16 = 3;

/// How the workflow column is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sidebar {
    /// Step names.
    Full,
    /// Step numbers only (narrow terminals, and screens that need the width).
    Rail,
    /// Not at all (very narrow terminals: the header names the step).
    Hidden,
}

impl Sidebar {
    /// The column for a terminal `width` wide; `wide_body` for screens that need the room
    /// (the ACL matrix).
    pub fn for_width(width: u16, wide_body: bool) -> Sidebar {
        if width >= SIDEBAR_FROM && !wide_body {
            Sidebar::Full
        } else if width >= RAIL_FROM {
            Sidebar::Rail
        } else {
            Sidebar::Hidden
        }
    }

    fn width(self) -> u16 {
        match self {
            Sidebar::Full => SIDEBAR_W,
            Sidebar::Rail => RAIL_W,
            Sidebar::Hidden => 0,
        }
    }
}

/// The regions of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// Top line: product and step.
    pub header: Rect,
    /// The workflow column (zero width when hidden), without its rule.
    pub sidebar: Rect,
    /// The column's vertical rule.
    pub rule: Rect,
    /// The screen's content.
    pub body: Rect,
    /// The feedback line(s) (zero height when there is no feedback).
    pub status: Rect,
    /// The key hints.
    pub footer: Rect,
    /// Where popups go (everything but the header, the feedback line and the footer: a popup
    /// never hides what the last key did).
    pub modal: Rect,
}

/// Whether the terminal is big enough to draw the wizard.
pub fn big_enough(area: Rect) -> bool {
    area.width >= MIN_W && area.height >= MIN_H
}

/// Split a frame: `status_rows` rows of feedback, the workflow column as `sidebar`.
pub fn areas(area: Rect, status_rows: u16, sidebar: Sidebar) -> Areas {
    let status_rows = status_rows.min(area.height.saturating_sub(2));
    let [header, middle, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let [main, status] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(status_rows)]).areas(middle);
    let side_w = sidebar.width();
    let [side, rule, _, body, _] = Layout::horizontal([
        Constraint::Length(side_w.saturating_sub(2)),
        Constraint::Length(u16::from(side_w > 0)),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(main);
    let [_, status, _] = Layout::horizontal([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(status);
    Areas {
        header,
        sidebar: side,
        rule,
        body,
        status,
        footer,
        modal: main,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_terminals_get_the_sidebar_narrow_ones_the_rail_and_small_ones_nothing() {
        let a = areas(Rect::new(0, 0, 120, 30), 0, Sidebar::for_width(120, false));
        assert_eq!(a.sidebar.width, 22);
        assert_eq!(a.body.x, 24);
        assert_eq!(a.body.right(), 119);
        let b = areas(Rect::new(0, 0, 80, 24), 1, Sidebar::for_width(80, false));
        assert_eq!(b.sidebar.width, 2, "the rail");
        assert_eq!(b.body.x, 4);
        assert_eq!(b.body.height, 21);
        assert_eq!(b.status.y, 22);
        let c = areas(Rect::new(0, 0, 40, 12), 1, Sidebar::for_width(40, false));
        assert_eq!(c.sidebar.width, 0);
        assert_eq!(c.rule.width, 0);
        assert_eq!(c.body.x, 1);
        assert_eq!(c.body.height, 9);
        assert_eq!(
            Sidebar::for_width(160, true),
            Sidebar::Rail,
            "the matrix keeps the width"
        );
    }

    #[test]
    fn degenerate_sizes_do_not_panic() {
        for (w, h) in [(0, 0), (1, 1), (3, 2), (80, 1), (1, 40)] {
            for s in [Sidebar::Full, Sidebar::Rail, Sidebar::Hidden] {
                let _ = areas(Rect::new(0, 0, w, h), 3, s);
            }
        }
    }
}
