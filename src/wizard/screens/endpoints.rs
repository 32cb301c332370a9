//! Screen 6, Endpoints: the list (an integration is unusable without one); add, edit,
//! delete (confirmed); then on to review.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::config::Endpoint;
use crate::dictionary::EndpointCheck;
use crate::wizard::draft::draft_of;
use crate::wizard::keymap::{Action, Binding, Key, Keymap, keys};
use crate::wizard::model::{Confirm, ConfirmKind, Modal, Model, Screen};
use crate::wizard::msg::Effect;
use crate::wizard::screens::editor;
use crate::wizard::update::go;
use crate::wizard::widgets::draw::{pad, truncate};

/// `endpoint` checked against the discovered dictionary by the validation `send` and `check`
/// use (without reference lookups: the wizard's references come from its live search).
/// `None` until a dictionary was read.
pub fn verdict(m: &Model, endpoint: &Endpoint) -> Option<EndpointCheck> {
    m.dict()
        .map(|d| crate::incident::validate_offline(endpoint, d))
}

/// The endpoints that are invalid, with their verdicts.
pub fn invalid(m: &Model) -> Vec<EndpointCheck> {
    m.endpoints
        .list
        .iter()
        .filter_map(|e| verdict(m, e))
        .filter(|v| !v.ok)
        .collect()
}

/// One line about what is wrong: `✗ invalid: caller_id, urgency`.
pub fn invalid_summary(v: &EndpointCheck) -> String {
    let mut fields: Vec<&str> = Vec::new();
    for p in &v.problems {
        if !fields.contains(&p.field.as_str()) {
            fields.push(&p.field);
        }
    }
    format!("✗ invalid: {}", crate::sanitize::line(&fields.join(", ")))
}

/// Keys of the endpoint list.
pub fn keymap(m: &Model) -> Keymap {
    let on_endpoint = m.endpoints.selected < m.endpoints.list.len();
    let mut v = vec![Binding::new(
        &[keys::ENTER],
        if on_endpoint {
            "edit"
        } else if m.endpoints.selected == m.endpoints.list.len() {
            "add"
        } else {
            "continue"
        },
        Action::Activate,
    )];
    v.push(Binding::new(&[keys::DOWN], "select", Action::Down).labelled("↑↓"));
    v.push(Binding::new(&[keys::UP, keys::BACKTAB], "previous", Action::Up).hidden());
    v.push(Binding::new(&[keys::TAB], "next", Action::Down).hidden());
    v.push(Binding::new(&[Key::ch('a')], "add", Action::Add));
    if on_endpoint {
        v.push(Binding::new(
            &[Key::ch('d'), keys::DEL],
            "delete",
            Action::Delete,
        ));
    }
    v.push(Binding::new(&[Key::ch('c')], "continue", Action::Continue));
    v.push(Binding::new(&[keys::ESC], "back", Action::Back));
    v
}

/// React to an action.
pub fn action(m: &mut Model, a: Action) -> Vec<Effect> {
    let n = m.endpoints.list.len();
    match a {
        Action::Up => m.endpoints.selected = m.endpoints.selected.saturating_sub(1),
        Action::Down => m.endpoints.selected = (m.endpoints.selected + 1).min(n + 1),
        Action::Add => return editor::open(m, None),
        Action::Activate => {
            let s = m.endpoints.selected;
            if s < n {
                return editor::open(m, Some(s));
            } else if s == n {
                return editor::open(m, None);
            }
            return continue_on(m);
        }
        Action::Delete => {
            let s = m.endpoints.selected;
            if let Some(e) = m.endpoints.list.get(s) {
                let name = crate::sanitize::line(&e.name).into_owned();
                m.modals.push(Modal::Confirm(Confirm {
                    kind: ConfirmKind::DeleteEndpoint(s),
                    title: "Delete the endpoint?".into(),
                    body: vec![format!(
                        "\"{name}\" and its {} field(s) are removed from the integration when you save.",
                        e.fields.len()
                    )],
                    yes: "Delete",
                    no: "Cancel",
                    on_yes: false,
                }));
            }
        }
        Action::Continue => return continue_on(m),
        Action::Back => return go(m, Screen::Checks),
        _ => {}
    }
    Vec::new()
}

/// Delete endpoint `i` (confirmed).
pub fn delete(m: &mut Model, i: usize) -> Vec<Effect> {
    if i < m.endpoints.list.len() {
        let e = m.endpoints.list.remove(i);
        m.unsaved = true;
        m.endpoints.selected = m.endpoints.selected.min(m.endpoints.list.len());
        m.info(format!("Deleted \"{}\".", crate::sanitize::line(&e.name)));
        return vec![Effect::SaveDraft(Box::new(draft_of(m)))];
    }
    Vec::new()
}

fn continue_on(m: &mut Model) -> Vec<Effect> {
    if m.endpoints.list.is_empty() {
        m.error("Add at least one endpoint: the integration cannot be used without one.");
        m.endpoints.selected = 0;
        return Vec::new();
    }
    let mut effects = go(m, Screen::Review);
    effects.push(Effect::SaveDraft(Box::new(draft_of(m))));
    effects
}

/// Draw the list.
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let mut y = area.y;
    let put = |f: &mut Frame, line: Line<'static>, y: &mut u16| {
        if *y < area.bottom() {
            f.render_widget(Paragraph::new(line), Rect::new(area.x, *y, area.width, 1));
            *y = y.saturating_add(1);
        }
    };
    put(
        f,
        Line::from(Span::styled(
            "4. ServiceNow Incident Endpoints",
            t.heading(),
        )),
        &mut y,
    );
    let intro = "An endpoint decides which incident fields an alert fills in. The integration cannot be used without at least one.";
    let intro_h: u16 = if area.width >= 60 && area.height > 14 {
        2
    } else {
        0
    };
    if intro_h > 0 && y < area.bottom() {
        f.render_widget(
            Paragraph::new(Span::styled(intro, t.dim())).wrap(Wrap { trim: true }),
            Rect::new(area.x, y, area.width, intro_h.min(area.bottom() - y)),
        );
        y = y.saturating_add(intro_h);
    }
    y = y.saturating_add(1).min(area.bottom());
    let w = usize::from(area.width);
    let name_w = (w / 2).clamp(10, 30);
    let n = m.endpoints.list.len();
    // Keep the selection visible in a long list.
    let room = usize::from(area.bottom().saturating_sub(y));
    let skip = (m.endpoints.selected + 1).saturating_sub(room);
    let rows = (0..n + 2).skip(skip);
    for i in rows {
        let selected = i == m.endpoints.selected;
        let marker = if selected { "▸ " } else { "  " };
        let mut line = if let Some(e) = m.endpoints.list.get(i) {
            let extra = e.fields.iter().filter(|f| !f.mandatory).count();
            let mand = e.fields.len() - extra;
            let detail = if mand > 0 {
                format!("{extra} additional, {mand} mandatory field(s)")
            } else {
                format!("{extra} additional field(s)")
            };
            // State by glyph and word, colour only on top.
            let (detail, style) = match verdict(m, e) {
                Some(v) if !v.ok => (invalid_summary(&v), t.error()),
                _ => (detail, t.dim()),
            };
            Line::from(vec![
                Span::raw(marker),
                Span::styled(pad(&crate::sanitize::line(&e.name), name_w), t.strong()),
                Span::raw(" "),
                Span::styled(truncate(&detail, w.saturating_sub(name_w + 3)), style),
            ])
        } else if i == n {
            Line::from(vec![Span::raw(marker), Span::raw("+ Add an endpoint")])
        } else {
            Line::from(vec![
                Span::raw(marker),
                Span::raw("Continue to Review & save ›"),
            ])
        };
        if selected {
            line = line.style(t.selected());
        }
        put(f, line, &mut y);
    }
    if n == 0 {
        y = y.saturating_add(1);
        put(
            f,
            Line::from(Span::styled("No endpoints yet: add one.", t.warn())),
            &mut y,
        );
    }
}
