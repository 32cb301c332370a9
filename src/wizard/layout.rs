//! Where things go on screen. Shared by `view` (to draw) and `update` (to clamp scrolling),
//! so both agree. All arithmetic saturates: any size, however small, is safe.

use ratatui::layout::Rect;

/// Below this the wizard shows only "terminal too small".
pub const MIN_W: u16 = 40;
/// Below this the wizard shows only "terminal too small".
pub const MIN_H: u16 = 12;
/// Width of the workflow column.
const SIDEBAR_W: u16 = 22;
/// The workflow column is shown from this terminal width on.
const SIDEBAR_FROM: u16 = 70;

/// The regions of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// Top line: product and step.
    pub header: Rect,
    /// The workflow column, when wide enough.
    pub sidebar: Option<Rect>,
    /// The screen's content.
    pub body: Rect,
    /// The feedback line (zero height when there is no feedback).
    pub status: Rect,
    /// The key hints.
    pub footer: Rect,
    /// Where modals go (everything but header and footer).
    pub modal: Rect,
}

/// Whether the terminal is big enough to draw the wizard.
pub fn big_enough(area: Rect) -> bool {
    area.width >= MIN_W && area.height >= MIN_H
}

/// Split a frame.
pub fn areas(area: Rect, with_status: bool) -> Areas {
    let header = Rect::new(area.x, area.y, area.width, area.height.min(1));
    let footer = Rect::new(
        area.x,
        area.bottom().saturating_sub(1),
        area.width,
        area.height.min(1),
    );
    let status_h = u16::from(with_status).min(area.height.saturating_sub(2));
    let status = Rect::new(
        area.x,
        footer.y.saturating_sub(status_h),
        area.width,
        status_h,
    );
    let mid_y = area.y.saturating_add(1);
    let mid_h = area.height.saturating_sub(2);
    let modal = Rect::new(area.x, mid_y, area.width, mid_h);
    let body_h = mid_h.saturating_sub(status_h);
    let (sidebar, body) = if area.width >= SIDEBAR_FROM {
        let side = Rect::new(area.x, mid_y, SIDEBAR_W, body_h);
        let x = area.x.saturating_add(SIDEBAR_W).saturating_add(2);
        let w = area.width.saturating_sub(SIDEBAR_W).saturating_sub(3);
        (Some(side), Rect::new(x, mid_y, w, body_h))
    } else {
        (
            None,
            Rect::new(
                area.x.saturating_add(1),
                mid_y,
                area.width.saturating_sub(2),
                body_h,
            ),
        )
    };
    Areas {
        header,
        sidebar,
        body,
        status: Rect::new(
            status.x.saturating_add(1),
            status.y,
            status.width.saturating_sub(2),
            status.height,
        ),
        footer,
        modal,
    }
}

/// The body area for a terminal of `size` (for scroll clamping in `update`).
pub fn body_for(size: (u16, u16), with_status: bool) -> Rect {
    areas(Rect::new(0, 0, size.0, size.1), with_status).body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_terminals_get_the_sidebar_and_small_ones_do_not() {
        let a = areas(Rect::new(0, 0, 80, 24), false);
        assert!(a.sidebar.is_some());
        assert_eq!(a.body.x, 24);
        assert_eq!(a.body.right(), 79);
        assert_eq!(a.body.height, 22);
        let b = areas(Rect::new(0, 0, 40, 12), true);
        assert!(b.sidebar.is_none());
        assert_eq!(b.body.height, 9);
        assert_eq!(b.status.y, 10);
    }

    #[test]
    fn degenerate_sizes_do_not_panic() {
        for (w, h) in [(0, 0), (1, 1), (3, 2), (80, 1), (1, 40)] {
            let _ = areas(Rect::new(0, 0, w, h), true);
        }
    }
}
