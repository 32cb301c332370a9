//! `view`: draws the model. Pure: it reads the model and writes cells (screens may note what
//! fitted, see `widgets::scroll`). The chrome is drawn here (header, the workflow column, the
//! feedback line, the footer made from the active keymap); the screen and the popups draw
//! themselves.

use crate::sanitize::SafeText;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::wizard::layout::{MAX_STATUS_ROWS, MIN_H, MIN_W, Sidebar, areas, big_enough};
use crate::wizard::model::{Model, STEPS, Screen};
use crate::wizard::widgets::doc::{self, Block};
use crate::wizard::widgets::draw::{centered, truncate};

/// Draw the whole wizard.
pub fn view(m: &Model, f: &mut Frame) {
    let area = f.area();
    let t = m.cx.theme;
    if !big_enough(area) {
        too_small(m, f, area);
        return;
    }
    let status = status_lines(m, area.width.saturating_sub(2));
    let sidebar = Sidebar::for_width(area.width, m.screen == Screen::Checks);
    let a = areas(
        area,
        u16::try_from(status.len()).unwrap_or(MAX_STATUS_ROWS),
        sidebar,
    );
    header(m, f, a.header);
    workflow(m, f, a.sidebar, sidebar);
    if a.rule.width > 0 {
        let rule: Vec<Line> = (0..a.rule.height)
            .map(|_| Line::from(Span::styled("│", t.chrome())))
            .collect();
        f.render_widget(Paragraph::new(rule), a.rule);
    }
    if let Some(c) = m.screen_component() {
        c.view(f, a.body, &m.cx);
    }
    f.render_widget(Paragraph::new(status), a.status);
    for p in &m.popups {
        p.component().view(f, a.modal, &m.cx);
    }
    footer(m, f, a.footer);
}

/// Below the minimum size: one centred line, the size needed being the one thing to read.
fn too_small(m: &Model, f: &mut Frame, area: Rect) {
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
    f.render_widget(Paragraph::new(Span::styled(text, m.cx.theme.strong())), r);
}

/// The feedback line, word-wrapped to at most [`MAX_STATUS_ROWS`] rows (the last one ends
/// in `…` when the text is longer).
fn status_lines(m: &Model, width: u16) -> Vec<Line<'static>> {
    let Some(s) = &m.cx.status else {
        return Vec::new();
    };
    let t = m.cx.theme;
    let (glyph, style) = if s.error {
        ("✗ ", t.error())
    } else {
        ("› ", t.ok())
    };
    let block = Block::item(
        0,
        glyph,
        vec![Span::styled(SafeText::line(&s.text).into_owned(), style)],
    );
    let mut lines = doc::wrap(&[block], usize::from(width.max(1)));
    let max = usize::from(MAX_STATUS_ROWS);
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            let text: String = last.spans.iter().map(|s| s.content.as_ref()).collect();
            *last = Line::from(Span::styled(
                truncate(&format!("{text} …"), usize::from(width)),
                style,
            ));
        }
    }
    for l in &mut lines {
        l.style = style;
    }
    lines
}

/// The top line: the product on the left, the step on the right. When both do not fit the
/// product's name gives way first; the step stays.
fn header(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.cx.theme;
    let total = usize::from(area.width);
    let step = match m.screen.step() {
        Some(n) => [
            format!("Step {n}/5 {} ", STEPS[n - 1]),
            format!("Step {n}/5 "),
        ],
        None => ["Welcome ".to_string(), "Welcome ".to_string()],
    };
    let demo = if m.cx.demo { " · demo" } else { "" };
    let lefts = [
        format!(" snow-connect · ServiceNow Integration{demo}"),
        format!(" snow-connect{demo}"),
        " snow-connect".to_string(),
        String::new(),
    ];
    let (left, right) = step
        .iter()
        .flat_map(|r| lefts.iter().map(move |l| (l, r)))
        .find(|(l, r)| l.width() + r.width() < total)
        .map(|(l, r)| (l.clone(), r.clone()))
        .unwrap_or_else(|| (String::new(), truncate(&step[1], total)));
    let gap = total.saturating_sub(left.width() + right.width());
    let mut spans = Vec::new();
    if let Some(rest) = left.strip_prefix(" snow-connect") {
        spans.push(Span::styled(" snow-connect", t.heading()));
        match rest.strip_suffix(" · demo") {
            Some(name) => {
                spans.push(Span::styled(name.to_string(), t.dim()));
                spans.push(Span::styled(" · demo", t.warn()));
            }
            None => spans.push(Span::styled(rest.to_string(), t.dim())),
        }
    }
    spans.push(Span::raw(" ".repeat(gap)));
    spans.push(Span::styled(right, t.strong()));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The workflow column: step names, or only their numbers when collapsed.
fn workflow(m: &Model, f: &mut Frame, area: Rect, sidebar: Sidebar) {
    if area.width == 0 {
        return;
    }
    let t = m.cx.theme;
    let current = m.screen.step();
    let full = sidebar == Sidebar::Full;
    let mut lines = vec![Line::default()];
    if full {
        lines.push(Line::from(Span::styled(" Workflow", t.strong())));
        lines.push(Line::default());
    }
    for (i, name) in STEPS.iter().enumerate() {
        let n = i + 1;
        let (mark, style) = match current {
            Some(c) if c == n => ("▶", t.current_step()),
            Some(c) if c > n => ("✓", t.dim()),
            _ => (" ", t.text()),
        };
        lines.push(if full {
            Line::from(vec![
                Span::raw(format!(" {mark} ")),
                Span::styled(format!("{n} {name}"), style),
            ])
        } else {
            Line::from(vec![Span::raw(mark), Span::styled(n.to_string(), style)])
        });
    }
    f.render_widget(Paragraph::new(lines), area);
}

/// The footer: the active keymap's hints in order, as many as fit. Help is kept whenever
/// possible; quit (Ctrl-C works everywhere and is listed in help) goes first when short.
fn footer(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.cx.theme;
    let hints: Vec<(String, &str)> = m
        .keymap()
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
