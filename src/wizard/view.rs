//! `view`: draws the model. Pure: it reads the model and writes cells, nothing else.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::wizard::layout::{MIN_H, MIN_W, areas, big_enough};
use crate::wizard::model::{Modal, Model, STEPS, Screen};
use crate::wizard::screens::{
    checks, connect, editor, endpoints, guide, modals, picker, review, value, welcome,
};
use crate::wizard::update::active_keymap;
use crate::wizard::widgets::draw::{centered, truncate};
use unicode_width::UnicodeWidthStr;

/// Draw the whole wizard.
pub fn view(m: &Model, f: &mut Frame) {
    let area = f.area();
    let t = m.theme;
    if !big_enough(area) {
        // The size needed is the one thing the user must read: pick the longest wording that
        // fits rather than cutting the numbers off.
        let width = usize::from(area.width);
        let msg = [
            format!("terminal too small (need {MIN_W}x{MIN_H})"),
            format!("too small: need {MIN_W}x{MIN_H}"),
            format!("need {MIN_W}x{MIN_H}"),
        ]
        .into_iter()
        .find(|m| m.width() <= width)
        .unwrap_or_else(|| format!("{MIN_W}x{MIN_H}"));
        let text = truncate(&msg, width);
        let r = centered(area, u16::try_from(text.width()).unwrap_or(area.width), 1);
        f.render_widget(Paragraph::new(Span::styled(text, t.strong())), r);
        return;
    }
    let a = areas(area, m.status.is_some());
    header(m, f, a.header);
    if let Some(s) = a.sidebar {
        sidebar(m, f, s);
    }
    match m.screen {
        Screen::Welcome => welcome::view(m, f, a.body),
        Screen::ChooseUser | Screen::OAuthApp => guide::view(m, f, a.body),
        Screen::Connect => connect::view(m, f, a.body),
        Screen::Checks => checks::view(m, f, a.body),
        Screen::Endpoints => endpoints::view(m, f, a.body),
        Screen::Editor => editor::view(m, f, a.body),
        Screen::Review => review::view(m, f, a.body),
    }
    if let Some(s) = &m.status {
        let style = if s.error { t.error() } else { t.ok() };
        let glyph = if s.error { "✗ " } else { "› " };
        f.render_widget(
            Paragraph::new(Span::styled(
                truncate(
                    &format!("{glyph}{}", crate::sanitize::line(&s.text)),
                    usize::from(a.status.width),
                ),
                style,
            )),
            a.status,
        );
    }
    for modal in &m.modals {
        match modal {
            Modal::Picker(p) => {
                let r = inset(a.modal, 1);
                picker::view(m, p, f, r);
            }
            Modal::Value(v) => {
                let rows = value::rows_needed(v);
                let r = centered(a.modal, 66, rows.saturating_add(2));
                value::view(m, v, f, r);
            }
            other => modals::view(m, other, f, a.modal),
        }
    }
    footer(m, f, a.footer);
}

fn inset(r: Rect, by: u16) -> Rect {
    Rect::new(
        r.x.saturating_add(by),
        r.y,
        r.width.saturating_sub(by.saturating_mul(2)),
        r.height,
    )
}

fn header(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let mut left = vec![
        Span::styled(" snow-connect", t.heading()),
        Span::styled(" · ServiceNow Integration", t.dim()),
    ];
    if m.demo {
        left.push(Span::styled(" · demo", t.warn()));
    }
    let right = match m.screen.step() {
        Some(n) => format!("Step {n}/5 {} ", STEPS[n - 1]),
        None => "Welcome ".to_string(),
    };
    let left_w: usize = left.iter().map(|s| s.content.width()).sum();
    let total = usize::from(area.width);
    if left_w + right.width() < total {
        left.push(Span::raw(" ".repeat(total - left_w - right.width())));
        left.push(Span::styled(right, t.strong()));
    } else if area.width < 60 {
        left.truncate(1);
        let lw: usize = left.iter().map(|s| s.content.width()).sum();
        let r = truncate(&right, total.saturating_sub(lw + 1));
        left.push(Span::raw(" ".repeat(total.saturating_sub(lw + r.width()))));
        left.push(Span::styled(r, t.strong()));
    }
    f.render_widget(Paragraph::new(Line::from(left)), area);
}

fn sidebar(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let current = m.screen.step();
    let mut lines = vec![
        Line::from(""),
        Line::from(Span::styled(" Workflow", t.strong())),
        Line::from(""),
    ];
    for (i, name) in STEPS.iter().enumerate() {
        let n = i + 1;
        let (mark, style) = match current {
            Some(c) if c == n => ("▶", t.current_step()),
            Some(c) if c > n => ("✓", t.dim()),
            _ => (" ", t.text()),
        };
        lines.push(Line::from(vec![
            Span::raw(format!(" {mark} ")),
            Span::styled(format!("{n} {name}"), style),
        ]));
    }
    f.render_widget(Paragraph::new(lines), area);
    // A vertical rule between the column and the body.
    let x = area.right();
    for y in area.y..area.bottom() {
        f.render_widget(
            Paragraph::new(Span::styled("│", t.chrome())),
            Rect::new(x, y, 1, 1),
        );
    }
}

/// The footer: the active keymap's hints in order, as many as fit. Help is kept whenever
/// possible; quit (Ctrl-C works everywhere and is listed in help) goes first when short.
fn footer(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let map = active_keymap(m);
    let hints: Vec<(String, &str)> = map
        .iter()
        .filter(|b| b.footer)
        .map(|b| (b.key_label(), b.hint))
        .collect();
    let width = usize::from(area.width).saturating_sub(1);
    let piece_w = |(k, h): &(String, &str)| k.width() + 1 + h.width() + 2;
    let help = hints.iter().find(|(_, h)| *h == "help");
    let quit = hints.iter().find(|(_, h)| *h == "quit");
    let reserve = help.map(piece_w).unwrap_or(0);
    let mut used = 0usize;
    let mut chosen: Vec<&(String, &str)> = Vec::new();
    for hint in hints.iter().filter(|(_, h)| *h != "help" && *h != "quit") {
        let w = piece_w(hint);
        if used + w + reserve <= width + 2 {
            chosen.push(hint);
            used += w;
        }
    }
    for hint in [help, quit].into_iter().flatten() {
        let w = piece_w(hint);
        if used + w <= width + 2 {
            chosen.push(hint);
            used += w;
        }
    }
    let mut spans = vec![Span::raw(" ")];
    for (k, h) in chosen {
        spans.push(Span::styled(k.clone(), t.strong()));
        spans.push(Span::styled(format!(" {h}  "), t.dim()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
