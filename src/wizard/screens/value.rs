//! "Select a value": a list for choice and true/false fields, a live (debounced,
//! cancellable) search of the reference target for references, a validated input otherwise.

use std::time::Duration;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::diagnose::{Choice, Field, FieldKind};
use crate::dictionary::rules;
use crate::wizard::keymap::{Action, Binding, Keymap, keys, moving};
use crate::wizard::model::{FieldEntry, Modal, Model, RefSearch, ValueState, ValueTarget};
use crate::wizard::msg::{Effect, RefRow, Slot};
use crate::wizard::screens::{checks::SPINNER, editor, picker};
use crate::wizard::widgets::draw::{modal_frame, pad, truncate};
use crate::wizard::widgets::text_field::TextField;

/// Typing pauses this long before a reference search starts.
pub const DEBOUNCE: Duration = Duration::from_millis(250);

fn entry(m: &Model, target: ValueTarget) -> Option<&FieldEntry> {
    let ed = m.editor.as_ref()?;
    match target {
        ValueTarget::Mandatory(i) => ed.mandatory.get(i),
        ValueTarget::Additional(i) => ed.additional.get(i),
    }
}

/// The choices to list for `field`, and a note when its list depends on another field: only
/// those that go with the value this endpoint gives the controlling field (subcategory on
/// category), or all of them, said so, when that field has no value here.
fn dependent_choices(m: &Model, field: &Field) -> (Vec<Choice>, Option<String>) {
    let all = || field.choices.clone();
    let Some(ctrl) = field.dependent_on.as_deref() else {
        return (all(), None);
    };
    let entries = m
        .editor
        .as_ref()
        .map(|ed| ed.mandatory.iter().chain(ed.additional.iter()));
    let controlling = entries.and_then(|mut it| it.find(|e| e.element == ctrl));
    let ctrl_label = controlling
        .map(|e| e.label().to_string())
        .or_else(|| {
            m.dict()
                .and_then(|d| d.field(ctrl))
                .map(|f| f.label.clone())
        })
        .unwrap_or_else(|| ctrl.to_string());
    let ctrl_label = crate::sanitize::line(&ctrl_label).into_owned();
    let label = crate::sanitize::line(&field.label).into_owned();
    let Some((value, display)) = controlling.and_then(|e| e.value.clone()) else {
        return (
            all(),
            Some(format!(
                "{label} depends on {ctrl_label}, which this endpoint does not set: all choices are shown."
            )),
        );
    };
    let shown = crate::sanitize::line(display.as_deref().unwrap_or(&value)).into_owned();
    let fitting: Vec<Choice> = field
        .choices_for(Some(&value))
        .into_iter()
        .cloned()
        .collect();
    let note = if fitting.is_empty() {
        format!(
            "No {label} goes with {ctrl_label} \"{shown}\": change {ctrl_label}, or remove {label} (Del)."
        )
    } else {
        format!("Only the {label} choices for {ctrl_label} \"{shown}\".")
    };
    (fitting, Some(note))
}

/// Whether the selector shows a list (choices, true/false) rather than an input.
pub fn is_list(v: &ValueState) -> bool {
    v.search.is_none() && !v.choices.is_empty()
}

/// Indices of the choices the list shows: those whose label or stored value contains every
/// word typed into the filter (any case), in the dictionary's order.
pub fn shown_choices(v: &ValueState) -> Vec<usize> {
    let words: Vec<String> = v
        .input
        .value()
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    v.choices
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            let label = c.label.to_lowercase();
            let value = c.value.to_lowercase();
            words
                .iter()
                .all(|w| label.contains(w.as_str()) || value.contains(w.as_str()))
        })
        .map(|(i, _)| i)
        .collect()
}

/// Open the selector for a field of the editor.
pub fn open(m: &mut Model, target: ValueTarget) -> Vec<Effect> {
    let Some(e) = entry(m, target).cloned() else {
        return Vec::new();
    };
    let field = e.field.clone();
    let current = e.value.as_ref().map(|(v, _)| v.clone());
    let mut v = ValueState {
        target,
        label: e.label().to_string(),
        element: e.element.clone(),
        kind: e.kind,
        choices: Vec::new(),
        cursor: 0,
        input: TextField::new().limit(4000),
        // 0 means no limit, as in `incident::plan`.
        max_length: field.as_ref().and_then(|f| f.max_length).filter(|n| *n > 0),
        error: None,
        note: None,
        search: None,
    };
    let mut effects = Vec::new();
    match e.kind {
        FieldKind::Choice => {
            if let Some(f) = &field {
                let (choices, note) = dependent_choices(m, f);
                v.choices = choices;
                v.note = note;
            }
            if v.choices.is_empty() && v.note.is_none() {
                v.error = Some(
                    "The choices could not be read (sys_choice): type the stored value.".into(),
                );
            }
        }
        FieldKind::Boolean => {
            v.choices = ["true", "false"]
                .iter()
                .map(|b| Choice {
                    value: (*b).into(),
                    label: (*b).into(),
                    dependent_value: None,
                })
                .collect();
        }
        FieldKind::Reference => {
            if let Some(table) = field
                .as_ref()
                .and_then(|f| f.reference.as_deref().map(str::to_string))
            {
                m.search_seq = m.search_seq.wrapping_add(1);
                let seq = m.search_seq;
                v.search = Some(RefSearch {
                    table: table.clone(),
                    seq,
                    loading: true,
                    rows: Vec::new(),
                    error: None,
                });
                effects.push(Effect::SearchReference {
                    seq,
                    table,
                    query: String::new(),
                    debounce: Duration::ZERO,
                });
            } else {
                v.error = Some("The reference target is unknown: type the sys_id.".into());
            }
        }
        FieldKind::String | FieldKind::Integer => {}
    }
    if let Some(cur) = current {
        if let Some(i) = v.choices.iter().position(|c| c.value == cur) {
            v.cursor = i;
        } else if v.search.is_none() && v.choices.is_empty() {
            // (In a list the input is the filter: a stale value must not hide the choices.)
            v.input.set(&cur);
        }
    }
    if let Some(max) = v.max_length
        && matches!(v.kind, FieldKind::String)
    {
        v.input = TextField::new().limit(max as usize);
        if let Some((cur, _)) = &e.value {
            v.input.set(cur);
        }
    }
    m.modals.push(Modal::Value(Box::new(v)));
    effects
}

fn state(m: &mut Model) -> Option<&mut ValueState> {
    match m.modals.last_mut() {
        Some(Modal::Value(v)) => Some(v),
        _ => None,
    }
}

/// Keys of the selector.
pub fn keymap(v: &ValueState) -> Keymap {
    let mut k = vec![Binding::new(&[keys::ENTER], "select", Action::Activate)];
    if is_list(v) || v.search.is_some() {
        k.extend(moving("move"));
    }
    k.push(Binding::new(&[keys::ESC], "cancel", Action::Back));
    k
}

/// React to an action.
pub fn action(m: &mut Model, a: Action) -> Vec<Effect> {
    let Some(v) = state(m) else { return Vec::new() };
    let n = match &v.search {
        Some(s) => s.rows.len(),
        None => shown_choices(v).len(),
    };
    match a {
        Action::Up => v.cursor = v.cursor.saturating_sub(1),
        Action::Down => v.cursor = (v.cursor + 1).min(n.saturating_sub(1)),
        Action::PageUp => v.cursor = v.cursor.saturating_sub(8),
        Action::PageDown => v.cursor = (v.cursor + 8).min(n.saturating_sub(1)),
        Action::Back => {
            m.modals.pop();
            if let Some(ed) = m.editor.as_mut() {
                ed.value_queue.clear();
            }
            return vec![Effect::Cancel(Slot::Search)];
        }
        Action::Activate => return accept(m),
        _ => {}
    }
    Vec::new()
}

/// Check a typed value; `Ok` holds what is stored. The rules are the dictionary's (what
/// `send` accepts), worded for the person typing.
pub fn validate(kind: FieldKind, max_length: Option<u32>, raw: &str) -> Result<String, String> {
    rules::parse_typed(kind, max_length, raw).map_err(|e| e.hint())
}

fn accept(m: &mut Model) -> Vec<Effect> {
    let Some(v) = state(m) else { return Vec::new() };
    let chosen: Result<(String, Option<String>), String> = if let Some(s) = &v.search {
        match s.rows.get(v.cursor) {
            Some(r) => Ok((r.sys_id.clone(), Some(r.display.clone()))),
            None => validate(FieldKind::Reference, None, v.input.value()).map(|id| (id, None)),
        }
    } else if !v.choices.is_empty() {
        let shown = shown_choices(v);
        match shown.get(v.cursor).and_then(|&i| v.choices.get(i)) {
            Some(c) if v.kind == FieldKind::Choice => Ok((c.value.clone(), Some(c.label.clone()))),
            Some(c) => Ok((c.value.clone(), None)),
            None if shown.is_empty() => {
                Err("No value matches the filter: Backspace edits it.".into())
            }
            None => Err("Pick one of the values.".into()),
        }
    } else {
        validate(v.kind, v.max_length, v.input.value()).map(|s| (s, None))
    };
    match chosen {
        Err(e) => {
            v.error = Some(e);
            Vec::new()
        }
        Ok(value) => {
            let target = v.target;
            m.modals.pop();
            editor::set_value(m, target, value);
            let mut effects = vec![Effect::Cancel(Slot::Search)];
            effects.extend(picker::open_next_value(m));
            effects
        }
    }
}

/// Typing into the input (search text or value; the filter of a list).
pub fn input_key(m: &mut Model, key: &KeyEvent) -> Vec<Effect> {
    let Some(v) = state(m) else { return Vec::new() };
    if !v.input.edit(key) {
        return Vec::new();
    }
    v.error = None;
    if is_list(v) {
        v.cursor = 0;
        return Vec::new();
    }
    search(m)
}

/// Paste into the input.
pub fn paste(m: &mut Model, text: &str) -> Vec<Effect> {
    let Some(v) = state(m) else { return Vec::new() };
    v.input.paste(text);
    v.error = None;
    if is_list(v) {
        v.cursor = 0;
        return Vec::new();
    }
    search(m)
}

/// Start a debounced search for the current input (reference fields only).
fn search(m: &mut Model) -> Vec<Effect> {
    m.search_seq = m.search_seq.wrapping_add(1);
    let seq = m.search_seq;
    let Some(v) = state(m) else { return Vec::new() };
    let query = v.input.value().to_string();
    let Some(s) = v.search.as_mut() else {
        return Vec::new();
    };
    s.seq = seq;
    s.loading = true;
    vec![Effect::SearchReference {
        seq,
        table: s.table.clone(),
        query,
        debounce: DEBOUNCE,
    }]
}

/// Search results arrived.
pub fn on_results(m: &mut Model, seq: u64, result: Result<Vec<RefRow>, String>) {
    let Some(v) = state(m) else { return };
    let Some(s) = v.search.as_mut() else { return };
    if s.seq != seq {
        return;
    }
    s.loading = false;
    match result {
        Ok(rows) => {
            s.rows = rows;
            s.error = None;
        }
        Err(e) => {
            s.rows.clear();
            s.error = Some(e);
        }
    }
    v.cursor = 0;
}

/// Rows the selector's content needs (before the frame), so the dialog fits it.
pub fn rows_needed(v: &ValueState) -> u16 {
    let list = match &v.search {
        Some(s) => s.rows.len().max(3) + 1,
        None => v.choices.len(),
    };
    // A list has its filter line where other kinds have their input.
    let input = 1;
    let error = if v.error.is_some() { 2 } else { 0 };
    let note = if v.note.is_some() { 2 } else { 0 };
    u16::try_from(1 + input + error + note + list)
        .unwrap_or(u16::MAX)
        .max(4)
}

/// Draw the selector over `area`.
pub fn view(m: &Model, v: &ValueState, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let title = format!("Select a value: {}", crate::sanitize::line(&v.label));
    let inner = modal_frame(
        f,
        area,
        &truncate(&title, usize::from(area.width.saturating_sub(4))),
        t,
    );
    if inner.height == 0 {
        return;
    }
    let mut y = inner.y;
    let kind_line = match (&v.search, v.kind) {
        (Some(s), _) => format!(
            "{} · reference to {}: type to search",
            crate::sanitize::line(&v.element),
            crate::sanitize::line(&s.table)
        ),
        (None, FieldKind::Integer) => {
            format!("{} · a whole number", crate::sanitize::line(&v.element))
        }
        (None, FieldKind::String) => match v.max_length {
            Some(n) => format!(
                "{} · text, {}/{n} characters",
                crate::sanitize::line(&v.element),
                v.input.value().chars().count()
            ),
            None => format!("{} · text", crate::sanitize::line(&v.element)),
        },
        (None, FieldKind::Boolean) => {
            format!("{} · true or false", crate::sanitize::line(&v.element))
        }
        (None, _) => format!(
            "{} · choose one (type to filter)",
            crate::sanitize::line(&v.element)
        ),
    };
    f.render_widget(
        Paragraph::new(Span::styled(kind_line, t.dim())),
        Rect::new(inner.x, y, inner.width, 1),
    );
    y = y.saturating_add(1);
    if y < inner.bottom() {
        let label = if v.search.is_some() {
            "Search: "
        } else if is_list(v) {
            "Filter: "
        } else {
            "Value:  "
        };
        f.render_widget(
            Paragraph::new(Span::styled(label, t.strong())),
            Rect::new(inner.x, y, 8.min(inner.width), 1),
        );
        v.input.render(
            f,
            Rect::new(
                inner.x.saturating_add(8),
                y,
                inner.width.saturating_sub(8).min(50),
                1,
            ),
            true,
            true,
            t,
        );
        y = y.saturating_add(1);
    }
    if let Some(e) = &v.error
        && y < inner.bottom()
    {
        let h = 2.min(inner.bottom() - y);
        f.render_widget(
            Paragraph::new(Span::styled(format!("✗ {e}"), t.error())).wrap(Wrap { trim: true }),
            Rect::new(inner.x, y, inner.width, h),
        );
        y = y.saturating_add(h);
    }
    if let Some(n) = &v.note
        && y < inner.bottom()
    {
        let h = 2.min(inner.bottom() - y);
        f.render_widget(
            Paragraph::new(Span::styled(n.clone(), t.warn())).wrap(Wrap { trim: true }),
            Rect::new(inner.x, y, inner.width, h),
        );
        y = y.saturating_add(h);
    }
    let w = usize::from(inner.width);
    // (shown, stored) of every row; only the rows on screen are sanitised below.
    let rows: Vec<(&str, &str)> = if let Some(s) = &v.search {
        if y < inner.bottom() {
            let status = if s.loading {
                format!("{} searching…", SPINNER[m.spinner % SPINNER.len()])
            } else if let Some(e) = &s.error {
                format!("✗ {}", crate::sanitize::line(e))
            } else {
                format!("{} record(s)", s.rows.len())
            };
            let style = if s.error.is_some() {
                t.error()
            } else {
                t.dim()
            };
            f.render_widget(
                Paragraph::new(Span::styled(truncate(&status, w), style)),
                Rect::new(inner.x, y, inner.width, 1),
            );
            y = y.saturating_add(1);
        }
        s.rows
            .iter()
            .map(|r| (r.display.as_str(), r.sys_id.as_str()))
            .collect()
    } else {
        let shown: Vec<(&str, &str)> = shown_choices(v)
            .into_iter()
            .filter_map(|i| v.choices.get(i))
            .map(|c| (c.label.as_str(), c.value.as_str()))
            .collect();
        if shown.is_empty() && is_list(v) && y < inner.bottom() {
            f.render_widget(
                Paragraph::new(Span::styled(
                    truncate("No value matches; Backspace edits the filter.", w),
                    t.dim(),
                )),
                Rect::new(inner.x, y, inner.width, 1),
            );
        }
        shown
    };
    let room = usize::from(inner.bottom().saturating_sub(y));
    let skip = (v.cursor + 1).saturating_sub(room);
    let show_cursor = is_list(v) || v.search.is_some();
    for (i, (main, aside)) in rows.iter().enumerate().skip(skip).take(room) {
        let main = crate::sanitize::line(main);
        let aside = crate::sanitize::line(aside);
        let sel = show_cursor && i == v.cursor;
        let style = if sel { t.selected() } else { t.text() };
        let main_w = w
            .saturating_sub(2)
            .saturating_sub(if w > 40 { 18 } else { 0 });
        let mut spans = vec![
            Span::styled(if sel { "▸ " } else { "  " }, style),
            Span::styled(pad(&main, main_w), style),
        ];
        if w > 40 && main != aside {
            spans.push(Span::styled(
                pad(&format!(" {}", truncate(&aside, 16)), 18),
                t.dim().patch(style),
            ));
        }
        f.render_widget(
            Paragraph::new(Line::from(spans)),
            Rect::new(inner.x, y, inner.width, 1),
        );
        y = y.saturating_add(1);
    }
}
