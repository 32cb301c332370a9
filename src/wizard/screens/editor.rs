//! Screen 7, the endpoint editor: Endpoint Name, Description, Mandatory Fields (Short
//! description and Description from the alert, plus whatever the dictionary makes
//! mandatory), Additional Fields (up to 10) chosen in the picker, each with a value.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::config::{Endpoint, MAX_ADDITIONAL_FIELDS};
use crate::diagnose::Dictionary;
use crate::incident::needs_value;
use crate::wizard::draft::draft_of;
use crate::wizard::keymap::{Action, Binding, Keymap, keys};
use crate::wizard::model::{
    Confirm, ConfirmKind, EditorItem, EditorState, FieldEntry, Modal, Model, Screen, ValueTarget,
};
use crate::wizard::msg::Effect;
use crate::wizard::screens::{picker, value};
use crate::wizard::update::go;
use crate::wizard::widgets::draw::{button, pad, truncate};
use crate::wizard::widgets::text_field::TextField;

/// Elements always filled from the alert.
const FROM_ALERT: [(&str, &str); 2] = [
    ("Short description", "short_description"),
    ("Description", "description"),
];

/// Open the editor on endpoint `index` (or a new one).
pub fn open(m: &mut Model, index: Option<usize>) -> Vec<Effect> {
    let existing = index.and_then(|i| m.endpoints.list.get(i).cloned());
    let mut ed = EditorState {
        index: existing.as_ref().and(index),
        name: TextField::new().limit(100),
        description: TextField::new().limit(500),
        mandatory: Vec::new(),
        unsettable: Vec::new(),
        additional: Vec::new(),
        focus: 0,
        errors: Vec::new(),
        original: existing.clone(),
        value_queue: Vec::new(),
    };
    if let Some(e) = &existing {
        ed.name.set(&e.name);
        ed.description.set(&e.description);
    }
    build_mandatory(&mut ed, m.dict());
    if let Some(e) = existing {
        for f in e.fields {
            let value = Some((f.value.clone(), f.display.clone()));
            if let Some(entry) = ed.mandatory.iter_mut().find(|x| x.element == f.element) {
                entry.value = value;
                continue;
            }
            let entry = FieldEntry {
                field: m.dict().and_then(|d| d.field(&f.element)).cloned(),
                element: f.element,
                kind: f.kind,
                value,
                mandatory: f.mandatory,
            };
            if entry.mandatory {
                ed.mandatory.push(entry);
            } else {
                ed.additional.push(entry);
            }
        }
    }
    m.editor = Some(ed);
    go(m, Screen::Editor)
}

/// Fields the dictionary makes mandatory that the endpoint must fill (beyond the alert's two):
/// the incident plan's own rule, so the editor asks for exactly what `send` will require.
fn build_mandatory(ed: &mut EditorState, dict: Option<&Dictionary>) {
    let Some(dict) = dict else { return };
    for f in dict.fields.iter().filter(|f| needs_value(f)) {
        match f.kind {
            Some(kind) => {
                if !ed.mandatory.iter().any(|x| x.element == f.element) {
                    ed.mandatory.push(FieldEntry::from_field(f, kind, true));
                }
            }
            None => {
                let label = format!("{} ({})", f.label, f.type_label);
                if !ed.unsettable.contains(&label) {
                    ed.unsettable.push(label);
                }
            }
        }
    }
}

/// The dictionary arrived (or changed) while the editor was open: add mandatory fields and
/// attach dictionary details to existing entries.
pub fn refresh_mandatory(m: &mut Model) {
    let Some(ed) = m.editor.as_mut() else { return };
    let dict = m.dictionary.as_ref().and_then(|d| d.as_deref().ok());
    build_mandatory(ed, dict);
    if let Some(d) = dict {
        for e in ed.additional.iter_mut().chain(ed.mandatory.iter_mut()) {
            if e.field.is_none() {
                e.field = d.field(&e.element).cloned();
            }
        }
    }
}

/// Whether the focused item is a text field.
pub fn typing(m: &Model) -> bool {
    m.editor
        .as_ref()
        .is_some_and(|ed| matches!(ed.focused(), EditorItem::Name | EditorItem::Description))
}

/// Keys of the editor.
pub fn keymap(m: &Model) -> Keymap {
    let focused = m.editor.as_ref().map(EditorState::focused);
    let enter = match focused {
        Some(EditorItem::Name | EditorItem::Description) => "next",
        Some(EditorItem::Mandatory(_) | EditorItem::Additional(_)) => "select a value",
        Some(EditorItem::SelectFields) => "select fields",
        _ => "save endpoint",
    };
    let mut v = vec![
        Binding::new(&[keys::ENTER], enter, Action::Activate),
        Binding::new(&[keys::TAB, keys::DOWN], "next", Action::Next),
        Binding::new(&[keys::BACKTAB, keys::UP], "previous", Action::Prev).hidden(),
    ];
    if matches!(focused, Some(EditorItem::Additional(_))) {
        v.push(Binding::new(&[keys::DEL], "remove field", Action::Delete));
    }
    v.push(Binding::new(&[keys::ESC], "back", Action::Back));
    v
}

/// React to an action.
pub fn action(m: &mut Model, a: Action) -> Vec<Effect> {
    let Some(ed) = m.editor.as_mut() else {
        return go(m, Screen::Endpoints);
    };
    let n = ed.items().len();
    match a {
        Action::Next => ed.focus = (ed.focus + 1) % n,
        Action::Prev => ed.focus = (ed.focus + n - 1) % n,
        Action::Delete => {
            if let EditorItem::Additional(i) = ed.focused()
                && i < ed.additional.len()
            {
                ed.additional.remove(i);
                m.unsaved = true;
                let n = ed.items().len();
                ed.focus = ed.focus.min(n.saturating_sub(1));
            }
        }
        Action::Activate => match ed.focused() {
            EditorItem::Name | EditorItem::Description => ed.focus = (ed.focus + 1) % n,
            EditorItem::Mandatory(i) => return value::open(m, ValueTarget::Mandatory(i)),
            EditorItem::Additional(i) => return value::open(m, ValueTarget::Additional(i)),
            EditorItem::SelectFields => return picker::open(m),
            EditorItem::Save => return save(m),
        },
        Action::Back => {
            let changed = match &ed.original {
                Some(orig) => ed.endpoint() != *orig,
                None => {
                    !ed.name.value().trim().is_empty()
                        || !ed.description.value().trim().is_empty()
                        || !ed.additional.is_empty()
                }
            };
            if changed {
                m.modals.push(Modal::Confirm(Confirm {
                    kind: ConfirmKind::DiscardEndpoint,
                    title: "Discard the changes to this endpoint?".into(),
                    body: vec!["The endpoint list keeps the last saved version.".into()],
                    yes: "Discard",
                    no: "Keep editing",
                    on_yes: false,
                }));
                return Vec::new();
            }
            return close(m);
        }
        _ => {}
    }
    Vec::new()
}

/// Leave the editor without saving.
pub fn close(m: &mut Model) -> Vec<Effect> {
    m.editor = None;
    go(m, Screen::Endpoints)
}

/// Typing into Name or Description.
pub fn input_key(m: &mut Model, key: &KeyEvent) -> Vec<Effect> {
    if let Some(ed) = m.editor.as_mut() {
        let field = match ed.focused() {
            EditorItem::Name => &mut ed.name,
            EditorItem::Description => &mut ed.description,
            _ => return Vec::new(),
        };
        if field.edit(key) {
            m.unsaved = true;
        }
    }
    Vec::new()
}

/// Paste into Name or Description.
pub fn paste(m: &mut Model, text: &str) {
    if let Some(ed) = m.editor.as_mut() {
        match ed.focused() {
            EditorItem::Name => ed.name.paste(text),
            EditorItem::Description => ed.description.paste(text),
            _ => return,
        }
        m.unsaved = true;
    }
}

/// Problems that stop the endpoint from being saved, with the item to focus for each.
pub fn problems(m: &Model, ed: &EditorState) -> Vec<(EditorItem, String)> {
    let mut v = Vec::new();
    let name = ed.name.value().trim();
    if name.is_empty() {
        v.push((EditorItem::Name, "Endpoint Name is required.".to_string()));
    } else if m
        .endpoints
        .list
        .iter()
        .enumerate()
        .any(|(i, e)| Some(i) != ed.index && e.name.trim().eq_ignore_ascii_case(name))
    {
        v.push((
            EditorItem::Name,
            format!(
                "An endpoint named \"{}\" already exists; names must be unique.",
                crate::sanitize::line(name)
            ),
        ));
    }
    for (i, e) in ed.mandatory.iter().enumerate() {
        if e.value.is_none() {
            v.push((
                EditorItem::Mandatory(i),
                format!(
                    "{} is mandatory on this instance: select a value.",
                    crate::sanitize::line(e.label())
                ),
            ));
        }
    }
    for (i, e) in ed.additional.iter().enumerate() {
        if e.value.is_none() {
            v.push((
                EditorItem::Additional(i),
                format!(
                    "{}: select a value, or remove the field with Del.",
                    crate::sanitize::line(e.label())
                ),
            ));
        }
    }
    let items = ed
        .mandatory
        .iter()
        .enumerate()
        .map(|(i, e)| (EditorItem::Mandatory(i), e))
        .chain(
            ed.additional
                .iter()
                .enumerate()
                .map(|(i, e)| (EditorItem::Additional(i), e)),
        );
    for (item, e) in items {
        if let Some(message) = dependency_problem(ed, e) {
            v.push((item, message));
        }
    }
    v
}

/// A dependent choice (subcategory) whose value belongs to another value of its controlling
/// field (category) than the one this endpoint sets: the same rule `send` checks.
fn dependency_problem(ed: &EditorState, e: &FieldEntry) -> Option<String> {
    let field = e.field.as_ref()?;
    let ctrl = field.dependent_on.as_deref()?;
    let (value, _) = e.value.as_ref()?;
    let controlling = ed
        .mandatory
        .iter()
        .chain(ed.additional.iter())
        .find(|c| c.element == ctrl)?;
    let (ctrl_value, ctrl_display) = controlling.value.as_ref()?;
    let wanted = field.dependency_conflict(value, Some(ctrl_value))?;
    Some(format!(
        "{}: this choice belongs to {} \"{}\", not \"{}\"; select {} again.",
        crate::sanitize::line(e.label()),
        crate::sanitize::line(controlling.label()),
        crate::sanitize::line(wanted),
        crate::sanitize::line(ctrl_display.as_deref().unwrap_or(ctrl_value)),
        crate::sanitize::line(e.label()),
    ))
}

/// Validate and put the endpoint into the list.
pub fn save(m: &mut Model) -> Vec<Effect> {
    let Some(ed) = m.editor.as_ref() else {
        return Vec::new();
    };
    let problems = problems(m, ed);
    if let Some((item, _)) = problems.first() {
        let item = *item;
        let first = problems[0].1.clone();
        if let Some(ed) = m.editor.as_mut() {
            ed.errors = problems.into_iter().map(|(_, e)| e).collect();
            if let Some(pos) = ed.items().iter().position(|i| *i == item) {
                ed.focus = pos;
            }
        }
        m.error(first);
        return Vec::new();
    }
    let endpoint: Endpoint = ed.endpoint();
    let index = ed.index;
    let name = endpoint.name.clone();
    let pos = match index {
        Some(i) if i < m.endpoints.list.len() => {
            m.endpoints.list[i] = endpoint;
            i
        }
        _ => {
            m.endpoints.list.push(endpoint);
            m.endpoints.list.len() - 1
        }
    };
    m.editor = None;
    m.unsaved = true;
    let mut effects = go(m, Screen::Endpoints);
    m.endpoints.selected = pos;
    m.info(format!(
        "Endpoint \"{}\" is ready; Review & save writes it to the file.",
        crate::sanitize::line(&name)
    ));
    effects.push(Effect::SaveDraft(Box::new(draft_of(m))));
    effects
}

/// A value chosen in the value selector.
pub fn set_value(m: &mut Model, target: ValueTarget, value: (String, Option<String>)) {
    if let Some(ed) = m.editor.as_mut() {
        let entry = match target {
            ValueTarget::Mandatory(i) => ed.mandatory.get_mut(i),
            ValueTarget::Additional(i) => ed.additional.get_mut(i),
        };
        if let Some(e) = entry {
            e.value = Some(value);
            m.unsaved = true;
        }
        ed.errors.clear();
    }
}

/// A stored value and its display value as shown in the editor and the review.
pub fn value_text(value: &str, display: Option<&str>) -> String {
    let v = crate::sanitize::line(value);
    match display {
        Some(d) if d != v.as_ref() => format!("{} ({})", crate::sanitize::line(d), short_id(&v)),
        _ => v.into_owned(),
    }
}

fn short_id(v: &str) -> String {
    if v.len() == 32 && v.chars().all(|c| c.is_ascii_hexdigit()) {
        format!("{}…", &v[..8])
    } else {
        v.to_string()
    }
}

enum Row {
    Text(Line<'static>),
    Input(EditorItem),
    Entry(EditorItem),
    Button(EditorItem),
}

/// Draw the editor.
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let Some(ed) = m.editor.as_ref() else { return };
    let t = m.theme;
    let w = usize::from(area.width);
    let label_w: usize = if w >= 50 { 20 } else { 15 };
    let focused = ed.focused();
    let title = match &ed.original {
        Some(o) => format!("Endpoint: {}", crate::sanitize::line(&o.name)),
        None => "New endpoint".to_string(),
    };
    let mut rows = vec![Row::Text(Line::from(Span::styled(title, t.heading())))];
    rows.push(Row::Input(EditorItem::Name));
    rows.push(Row::Input(EditorItem::Description));
    rows.push(Row::Text(Line::from(Span::styled(
        "Mandatory Fields",
        t.strong(),
    ))));
    for (label, _) in FROM_ALERT {
        rows.push(Row::Text(Line::from(vec![
            Span::raw(format!("  {} ", pad(label, label_w.saturating_sub(1)))),
            Span::styled("filled from the alert", t.dim()),
        ])));
    }
    for i in 0..ed.mandatory.len() {
        rows.push(Row::Entry(EditorItem::Mandatory(i)));
    }
    for u in &ed.unsettable {
        rows.push(Row::Text(Line::from(Span::styled(
            format!(
                "  ! {} is mandatory; the instance's default is used",
                crate::sanitize::line(u)
            ),
            t.warn(),
        ))));
    }
    rows.push(Row::Text(Line::from(vec![
        Span::styled("Additional Fields", t.strong()),
        Span::styled(
            format!(" ({} of {MAX_ADDITIONAL_FIELDS})", ed.additional.len()),
            t.dim(),
        ),
    ])));
    rows.push(Row::Button(EditorItem::SelectFields));
    for i in 0..ed.additional.len() {
        rows.push(Row::Entry(EditorItem::Additional(i)));
    }
    rows.push(Row::Text(Line::from("")));
    rows.push(Row::Button(EditorItem::Save));
    for e in &ed.errors {
        rows.push(Row::Text(Line::from(Span::styled(
            format!("✗ {e}"),
            t.error(),
        ))));
    }

    let focus_row = rows
        .iter()
        .position(|r| match r {
            Row::Input(i) | Row::Entry(i) | Row::Button(i) => *i == focused,
            Row::Text(_) => false,
        })
        .unwrap_or(0);
    let height = usize::from(area.height);
    let skip = (focus_row + 2).saturating_sub(height);
    let mut y = area.y;
    for row in rows.into_iter().skip(skip) {
        if y >= area.bottom() {
            break;
        }
        let r = Rect::new(area.x, y, area.width, 1);
        match row {
            Row::Text(line) => f.render_widget(Paragraph::new(line), r),
            Row::Input(item) => {
                let (label, field) = if item == EditorItem::Name {
                    ("Endpoint Name", &ed.name)
                } else {
                    ("Description", &ed.description)
                };
                let is_focus = item == focused;
                f.render_widget(
                    Paragraph::new(Span::styled(
                        pad(label, label_w + 2),
                        if is_focus { t.strong() } else { t.text() },
                    )),
                    r,
                );
                let x = r.x.saturating_add(u16::try_from(label_w + 2).unwrap_or(0));
                let iw = r
                    .width
                    .saturating_sub(u16::try_from(label_w + 2).unwrap_or(0))
                    .min(50);
                field.render(f, Rect::new(x, r.y, iw, 1), is_focus, true, t);
            }
            Row::Entry(item) => {
                let e = match item {
                    EditorItem::Mandatory(i) => ed.mandatory.get(i),
                    EditorItem::Additional(i) => ed.additional.get(i),
                    _ => None,
                };
                if let Some(e) = e {
                    let is_focus = item == focused;
                    let marker = if is_focus { "▸ " } else { "  " };
                    let label = crate::sanitize::line(e.label()).into_owned();
                    let value = e.value.as_ref().map(|(v, d)| value_text(v, d.as_deref()));
                    let rest = w.saturating_sub(label_w + 3);
                    let value_span = match value {
                        Some(v) => Span::styled(
                            truncate(&format!("= {v}"), rest),
                            if is_focus { t.focus() } else { t.text() },
                        ),
                        None => Span::styled(
                            truncate("[ Select a value ]", rest),
                            if is_focus { t.focus() } else { t.warn() },
                        ),
                    };
                    f.render_widget(
                        Paragraph::new(Line::from(vec![
                            Span::raw(marker),
                            Span::styled(
                                format!("{} ", pad(&label, label_w.saturating_sub(1))),
                                if is_focus { t.strong() } else { t.text() },
                            ),
                            value_span,
                        ])),
                        r,
                    );
                }
            }
            Row::Button(item) => {
                let label = if item == EditorItem::Save {
                    "Save endpoint".to_string()
                } else {
                    "Select Fields".to_string()
                };
                let indent = if item == EditorItem::Save { "" } else { " " };
                f.render_widget(
                    Paragraph::new(Line::from(vec![
                        Span::raw(indent),
                        button(&label, item == focused, t),
                    ])),
                    r,
                );
            }
        }
        y = y.saturating_add(1);
    }
}
