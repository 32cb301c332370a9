//! Small drawing helpers: buttons, modal frames, truncation, padding.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders, Clear};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::wizard::theme::Theme;

/// Braille spinner frames.
pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// A button: `[ Label ]`, reversed (or coloured) when focused, with `▸` as a focus marker
/// that survives `NO_COLOR`.
pub fn button(label: &str, focused: bool, theme: Theme) -> Span<'static> {
    if focused {
        Span::styled(format!("▸[ {label} ]"), theme.focus())
    } else {
        Span::styled(format!(" [ {label} ]"), theme.text())
    }
}

/// A row of buttons; compact (`[Edit]`) when the full form does not fit in `width`.
pub fn button_row(labels: &[&str], focus: usize, width: usize, theme: Theme) -> Vec<Span<'static>> {
    let full: usize = labels.iter().map(|l| l.width() + 5).sum();
    let compact = full > width;
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let focused = i == focus;
            let text = match (compact, focused) {
                (false, _) => return button(l, focused, theme),
                (true, true) => format!("▸[{l}]"),
                (true, false) => format!(" [{l}]"),
            };
            Span::styled(text, if focused { theme.focus() } else { theme.text() })
        })
        .collect()
}

/// A rectangle of at most `w` x `h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x.saturating_add((area.width.saturating_sub(w)) / 2),
        y: area.y.saturating_add((area.height.saturating_sub(h)) / 2),
        width: w,
        height: h,
    }
}

/// Clear `area` and draw a bordered modal frame titled `title`; returns the inner area.
pub fn modal_frame(f: &mut Frame, area: Rect, title: &str, theme: Theme) -> Rect {
    f.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.heading())
        .title(Span::styled(format!(" {title} "), theme.heading()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    inner
}

/// `s` cut to `width` display cells, with `…` when cut.
pub fn truncate(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// `s` padded with spaces (or cut) to exactly `width` cells.
pub fn pad(s: &str, width: usize) -> String {
    let t = truncate(s, width);
    let w = t.width();
    format!("{t}{}", " ".repeat(width.saturating_sub(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_and_pad_count_cells() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(truncate("abc", 0), "");
    }

    #[test]
    fn centered_never_exceeds_the_area() {
        let r = centered(Rect::new(0, 0, 10, 5), 40, 20);
        assert_eq!(r, Rect::new(0, 0, 10, 5));
        let r = centered(Rect::new(2, 2, 10, 6), 4, 2);
        assert_eq!(r, Rect::new(5, 4, 4, 2));
    }
}
