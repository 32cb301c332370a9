//! Step 4, the endpoint editor: Endpoint Name, Description, Mandatory Fields (Short
//! description and Description from the alert, plus whatever the dictionary makes
//! mandatory), Additional Fields (up to 10) chosen in the picker, each with a value.

use crate::sanitize::SafeText;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::config::{Endpoint, EndpointField, MAX_ADDITIONAL_FIELDS};
use crate::diagnose::{Dictionary, Field, FieldKind};
use crate::incident::needs_value;
use crate::wizard::component::{Component, Reply, Request};
use crate::wizard::context::Context;
use crate::wizard::keymap::{Action, Binding, Keymap, keys};
use crate::wizard::popups::{Confirm, ConfirmKind, Picker, ValueSelector, ValueTarget};
use crate::wizard::widgets::draw::{button, pad, truncate};
use crate::wizard::widgets::focus::FocusRing;
use crate::wizard::widgets::rows::Window;
use crate::wizard::widgets::text_field::TextField;

/// Elements always filled from the alert.
const FROM_ALERT: [&str; 2] = ["Short description", "Description"];

/// A field of an endpoint being edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldEntry {
    /// Column name.
    pub element: String,
    /// Value kind.
    pub kind: FieldKind,
    /// Stored value and display value, once chosen.
    pub value: Option<(String, Option<String>)>,
    /// Made mandatory by the instance.
    pub mandatory: bool,
    /// The dictionary's description, when known (choices, max length, reference target).
    pub field: Option<Field>,
}

impl FieldEntry {
    /// An entry for a dictionary field with no value yet.
    pub fn from_field(f: &Field, kind: FieldKind, mandatory: bool) -> FieldEntry {
        FieldEntry {
            element: f.element.clone(),
            kind,
            value: None,
            mandatory,
            field: Some(f.clone()),
        }
    }
    /// The dictionary's label, or the element name when the dictionary is unavailable.
    pub fn label(&self) -> &str {
        self.field.as_ref().map_or(&self.element, |f| &f.label)
    }
    /// The config form of the entry, when it has a value.
    pub fn to_endpoint_field(&self) -> Option<EndpointField> {
        let (value, display) = self.value.clone()?;
        Some(EndpointField {
            element: self.element.clone(),
            kind: self.kind,
            value,
            display,
            mandatory: self.mandatory,
        })
    }
}

/// Focusable items of the editor, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorItem {
    /// Endpoint Name.
    Name,
    /// Description.
    Description,
    /// A mandatory field's value.
    Mandatory(usize),
    /// The "Select Fields" button.
    SelectFields,
    /// An additional field's value.
    Additional(usize),
    /// The "Save endpoint" button.
    Save,
}

/// The endpoint editor.
#[derive(Debug, Clone)]
pub struct Editor {
    /// Which endpoint is edited (`None`: a new one).
    pub index: Option<usize>,
    /// Endpoint Name.
    pub name: TextField,
    /// Description.
    pub description: TextField,
    /// Fields the dictionary makes mandatory (beyond short_description and description).
    pub mandatory: Vec<FieldEntry>,
    /// Mandatory fields that snow-connect cannot set (unsupported types), by label.
    pub unsettable: Vec<String>,
    /// Additional fields, at most 10.
    pub additional: Vec<FieldEntry>,
    /// Which of [`Editor::items`] has the focus.
    focus: FocusRing,
    /// Validation problems from the last save attempt.
    pub errors: Vec<String>,
    /// The endpoint as it was when the editor opened (to detect changes).
    pub original: Option<Endpoint>,
    /// Fields just picked that still need "Select a value", opened one after another.
    value_queue: Vec<String>,
}

impl Editor {
    /// The editor on endpoint `index` of the context (or a new one).
    pub fn open(index: Option<usize>, cx: &Context) -> Editor {
        let existing = index.and_then(|i| cx.endpoints.get(i).cloned());
        let mut ed = Editor {
            index: existing.as_ref().and(index),
            name: TextField::new().limit(100),
            description: TextField::new().limit(500),
            mandatory: Vec::new(),
            unsettable: Vec::new(),
            additional: Vec::new(),
            focus: FocusRing::default(),
            errors: Vec::new(),
            original: existing.clone(),
            value_queue: Vec::new(),
        };
        if let Some(e) = &existing {
            ed.name.set(&e.name);
            ed.description.set(&e.description);
        }
        ed.build_mandatory(cx.dict());
        for f in existing.into_iter().flat_map(|e| e.fields) {
            let value = Some((f.value.clone(), f.display.clone()));
            if let Some(entry) = ed.mandatory.iter_mut().find(|x| x.element == f.element) {
                entry.value = value;
                continue;
            }
            let entry = FieldEntry {
                field: cx.dict().and_then(|d| d.field(&f.element)).cloned(),
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
        ed
    }

    /// Focusable items in Tab order.
    pub fn items(&self) -> Vec<EditorItem> {
        let mut v = vec![EditorItem::Name, EditorItem::Description];
        v.extend((0..self.mandatory.len()).map(EditorItem::Mandatory));
        v.push(EditorItem::SelectFields);
        v.extend((0..self.additional.len()).map(EditorItem::Additional));
        v.push(EditorItem::Save);
        v
    }

    /// The focused item.
    pub fn focused(&self) -> EditorItem {
        self.focus.get(&self.items()).unwrap_or(EditorItem::Name)
    }

    /// Focus `item`, when it exists.
    pub fn focus_on(&mut self, item: EditorItem) {
        self.focus.set(&self.items(), &item);
    }

    /// The entry of a value target.
    pub fn entry(&self, target: ValueTarget) -> Option<&FieldEntry> {
        match target {
            ValueTarget::Mandatory(i) => self.mandatory.get(i),
            ValueTarget::Additional(i) => self.additional.get(i),
        }
    }

    /// Every entry, mandatory first.
    pub fn entries(&self) -> impl Iterator<Item = &FieldEntry> {
        self.mandatory.iter().chain(self.additional.iter())
    }

    /// The endpoint as it would be saved now (fields without a value are left out).
    pub fn endpoint(&self) -> Endpoint {
        Endpoint {
            name: self.name.value().trim().to_string(),
            description: self.description.value().trim().to_string(),
            table: "incident".into(),
            fields: self
                .entries()
                .filter_map(FieldEntry::to_endpoint_field)
                .collect(),
        }
    }

    /// Fields the dictionary makes mandatory that the endpoint must fill (beyond the alert's
    /// two): the incident plan's own rule, so the editor asks for exactly what `send` will
    /// require.
    fn build_mandatory(&mut self, dict: Option<&Dictionary>) {
        let Some(dict) = dict else { return };
        for f in dict.fields.iter().filter(|f| needs_value(f)) {
            match f.kind {
                Some(kind) => {
                    if !self.mandatory.iter().any(|x| x.element == f.element) {
                        self.mandatory.push(FieldEntry::from_field(f, kind, true));
                    }
                }
                None => {
                    let label = format!("{} ({})", f.label, f.type_label);
                    if !self.unsettable.contains(&label) {
                        self.unsettable.push(label);
                    }
                }
            }
        }
    }

    /// The dictionary arrived (or changed) while the editor was open: add mandatory fields
    /// and attach dictionary details to existing entries.
    pub fn refresh_mandatory(&mut self, cx: &Context) {
        let dict = cx.dict();
        self.build_mandatory(dict);
        if let Some(d) = dict {
            for e in self.additional.iter_mut().chain(self.mandatory.iter_mut()) {
                if e.field.is_none() {
                    e.field = d.field(&e.element).cloned();
                }
            }
        }
    }

    /// Whether anything differs from what the editor opened with.
    fn changed(&self) -> bool {
        match &self.original {
            Some(orig) => self.endpoint() != *orig,
            None => {
                !self.name.value().trim().is_empty()
                    || !self.description.value().trim().is_empty()
                    || !self.additional.is_empty()
            }
        }
    }

    /// Problems that stop the endpoint from being saved, with the item to focus for each.
    pub fn problems(&self, cx: &Context) -> Vec<(EditorItem, String)> {
        let mut v = Vec::new();
        let name = self.name.value().trim();
        if name.is_empty() {
            v.push((EditorItem::Name, "Endpoint Name is required.".to_string()));
        } else if cx
            .endpoints
            .iter()
            .enumerate()
            .any(|(i, e)| Some(i) != self.index && e.name.trim().eq_ignore_ascii_case(name))
        {
            v.push((
                EditorItem::Name,
                format!(
                    "An endpoint named \"{}\" already exists; names must be unique.",
                    SafeText::line(name)
                ),
            ));
        }
        for (i, e) in self.mandatory.iter().enumerate() {
            if e.value.is_none() {
                v.push((
                    EditorItem::Mandatory(i),
                    format!(
                        "{} is mandatory on this instance: select a value.",
                        SafeText::line(e.label())
                    ),
                ));
            }
        }
        for (i, e) in self.additional.iter().enumerate() {
            if e.value.is_none() {
                v.push((
                    EditorItem::Additional(i),
                    format!(
                        "{}: select a value, or remove the field with Del.",
                        SafeText::line(e.label())
                    ),
                ));
            }
        }
        let items = self
            .mandatory
            .iter()
            .enumerate()
            .map(|(i, e)| (EditorItem::Mandatory(i), e))
            .chain(
                self.additional
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (EditorItem::Additional(i), e)),
            );
        for (item, e) in items {
            if let Some(message) = self.dependency_problem(e) {
                v.push((item, message));
            }
        }
        v
    }

    /// A dependent choice (subcategory) whose value belongs to another value of its
    /// controlling field (category) than the one this endpoint sets: the same rule `send`
    /// checks.
    fn dependency_problem(&self, e: &FieldEntry) -> Option<String> {
        let field = e.field.as_ref()?;
        let ctrl = field.dependent_on.as_deref()?;
        let (value, _) = e.value.as_ref()?;
        let controlling = self.entries().find(|c| c.element == ctrl)?;
        let (ctrl_value, ctrl_display) = controlling.value.as_ref()?;
        let wanted = field.dependency_conflict(value, Some(ctrl_value))?;
        Some(format!(
            "{}: this choice belongs to {} \"{}\", not \"{}\"; select {} again.",
            SafeText::line(e.label()),
            SafeText::line(controlling.label()),
            SafeText::line(wanted),
            SafeText::line(ctrl_display.as_deref().unwrap_or(ctrl_value)),
            SafeText::line(e.label()),
        ))
    }

    /// Validate and put the endpoint into the list.
    fn save(&mut self, cx: &mut Context) -> Reply {
        let problems = self.problems(cx);
        if let Some((item, first)) = problems.first().cloned() {
            self.errors = problems.into_iter().map(|(_, e)| e).collect();
            self.focus_on(item);
            cx.error(first);
            return Reply::none();
        }
        let endpoint = self.endpoint();
        let name = SafeText::line(&endpoint.name).into_owned();
        let pos = match self.index {
            Some(i) if i < cx.endpoints.len() => {
                cx.endpoints[i] = endpoint;
                i
            }
            _ => {
                cx.endpoints.push(endpoint);
                cx.endpoints.len() - 1
            }
        };
        cx.unsaved = true;
        cx.info(format!(
            "Endpoint \"{name}\" is ready; Review & save writes it to the file."
        ));
        Reply::request(Request::CloseEditor { select: Some(pos) }).and(Request::SaveDraft)
    }

    /// A value chosen in the value selector.
    pub fn set_value(
        &mut self,
        target: ValueTarget,
        value: (String, Option<String>),
        cx: &mut Context,
    ) {
        let entry = match target {
            ValueTarget::Mandatory(i) => self.mandatory.get_mut(i),
            ValueTarget::Additional(i) => self.additional.get_mut(i),
        };
        if let Some(e) = entry {
            e.value = Some(value);
            cx.unsaved = true;
        }
        self.errors.clear();
    }

    /// The picker's selection: keep the chosen fields that were there (with their values),
    /// add the new ones, then ask for the new fields' values one by one.
    pub fn apply_picked(&mut self, selected: Vec<String>, cx: &mut Context) -> Reply {
        let mut next: Vec<FieldEntry> = Vec::new();
        let mut added: Vec<String> = Vec::new();
        for element in selected {
            if let Some(existing) = self.additional.iter().find(|e| e.element == element) {
                next.push(existing.clone());
            } else if let Some(f) = cx.dict().and_then(|d| d.field(&element))
                && let Some(kind) = f.kind
            {
                next.push(FieldEntry::from_field(f, kind, false));
                added.push(element);
            }
        }
        if next != self.additional {
            cx.unsaved = true;
        }
        self.additional = next;
        self.errors.clear();
        self.value_queue = added;
        let n = self.items().len();
        self.focus.clamp(n);
        self.open_next_value(cx)
    }

    /// Open "Select a value" for the next picked field that has none.
    pub fn open_next_value(&mut self, cx: &mut Context) -> Reply {
        while !self.value_queue.is_empty() {
            let element = self.value_queue.remove(0);
            if let Some(i) = self
                .additional
                .iter()
                .position(|e| e.element == element && e.value.is_none())
            {
                self.focus_on(EditorItem::Additional(i));
                return self.select_value(ValueTarget::Additional(i), cx);
            }
        }
        Reply::none()
    }

    /// The value selector was cancelled: the rest of the queue waits for the user.
    pub fn value_cancelled(&mut self) {
        self.value_queue.clear();
    }

    fn select_value(&self, target: ValueTarget, cx: &mut Context) -> Reply {
        match ValueSelector::open(self, target, cx) {
            Some((v, effects)) => Reply::open(v).then(Reply::effects(effects)),
            None => Reply::none(),
        }
    }

    fn view_rows(&self, cx: &Context, w: usize, label_w: usize) -> Vec<Row> {
        let t = cx.theme;
        let title = match &self.original {
            Some(o) => format!("Endpoint: {}", SafeText::line(&o.name)),
            None => "New endpoint".to_string(),
        };
        let mut rows = vec![Row::Text(Line::from(Span::styled(title, t.heading())))];
        rows.push(Row::Item(EditorItem::Name));
        rows.push(Row::Item(EditorItem::Description));
        rows.push(Row::Text(Line::from(Span::styled(
            "Mandatory Fields",
            t.strong(),
        ))));
        for label in FROM_ALERT {
            rows.push(Row::Text(Line::from(vec![
                Span::raw(format!("  {} ", pad(label, label_w.saturating_sub(1)))),
                Span::styled("filled from the alert", t.dim()),
            ])));
        }
        rows.extend((0..self.mandatory.len()).map(|i| Row::Item(EditorItem::Mandatory(i))));
        for u in &self.unsettable {
            rows.push(Row::Text(Line::from(Span::styled(
                truncate(
                    &format!(
                        "  ! {} is mandatory; the instance's default is used",
                        SafeText::line(u)
                    ),
                    w,
                ),
                t.warn(),
            ))));
        }
        rows.push(Row::Text(Line::from(vec![
            Span::styled("Additional Fields", t.strong()),
            Span::styled(
                format!(" ({} of {MAX_ADDITIONAL_FIELDS})", self.additional.len()),
                t.dim(),
            ),
        ])));
        // Say before Select Fields is opened that it has nothing to offer, and why.
        if let Some(u) = crate::wizard::popups::picker::unavailable(cx) {
            let block = crate::wizard::widgets::doc::Block::item(
                2,
                "! ",
                vec![Span::styled(
                    if u.missing.is_empty() {
                        format!("No fields to offer. {}", SafeText::line(&u.reason))
                    } else {
                        format!(
                            "No fields to offer: the user lacks the read ACL {} (Select Fields shows what to change).",
                            SafeText::line(&u.missing.join(", "))
                        )
                    },
                    t.warn(),
                )],
            );
            rows.extend(
                crate::wizard::widgets::doc::wrap(&[block], w)
                    .into_iter()
                    .map(Row::Text),
            );
        }
        rows.push(Row::Item(EditorItem::SelectFields));
        rows.extend((0..self.additional.len()).map(|i| Row::Item(EditorItem::Additional(i))));
        rows.push(Row::Text(Line::default()));
        rows.push(Row::Item(EditorItem::Save));
        for e in &self.errors {
            let block = crate::wizard::widgets::doc::Block::item(
                0,
                "✗ ",
                vec![Span::styled(e.clone(), t.error())],
            );
            rows.extend(
                crate::wizard::widgets::doc::wrap(&[block], w)
                    .into_iter()
                    .map(Row::Text),
            );
        }
        rows
    }

    fn item_line(&self, item: EditorItem, w: usize, label_w: usize, cx: &Context) -> Line<'static> {
        let t = cx.theme;
        let is_focus = item == self.focused();
        let entry = |e: &FieldEntry| {
            let marker = if is_focus { "▸ " } else { "  " };
            let label = SafeText::line(e.label()).into_owned();
            let rest = w.saturating_sub(label_w + 3);
            let value = match &e.value {
                Some((v, d)) => Span::styled(
                    truncate(&format!("= {}", value_text(v, d.as_deref())), rest),
                    if is_focus { t.focus() } else { t.text() },
                ),
                None => Span::styled(
                    truncate("[ Select a value ]", rest),
                    if is_focus { t.focus() } else { t.warn() },
                ),
            };
            Line::from(vec![
                Span::raw(marker),
                Span::styled(
                    format!("{} ", pad(&label, label_w.saturating_sub(1))),
                    if is_focus { t.strong() } else { t.text() },
                ),
                value,
            ])
        };
        match item {
            EditorItem::Name | EditorItem::Description => Line::default(),
            EditorItem::Mandatory(i) => self.mandatory.get(i).map(entry).unwrap_or_default(),
            EditorItem::Additional(i) => self.additional.get(i).map(entry).unwrap_or_default(),
            EditorItem::SelectFields => {
                Line::from(vec![Span::raw(" "), button("Select Fields", is_focus, t)])
            }
            EditorItem::Save => Line::from(button("Save endpoint", is_focus, t)),
        }
    }
}

/// One row of the editor's layout.
enum Row {
    Text(Line<'static>),
    Item(EditorItem),
}

impl Component for Editor {
    fn bindings(&self, _cx: &Context) -> Keymap {
        let focused = self.focused();
        let enter = match focused {
            EditorItem::Name | EditorItem::Description => "next",
            EditorItem::Mandatory(_) | EditorItem::Additional(_) => "select a value",
            EditorItem::SelectFields => "select fields",
            EditorItem::Save => "save endpoint",
        };
        let mut v = vec![
            Binding::new(&[keys::ENTER], enter, Action::Activate),
            Binding::new(&[keys::TAB, keys::DOWN], "next", Action::Next),
            Binding::new(&[keys::BACKTAB, keys::UP], "previous", Action::Prev).hidden(),
        ];
        if matches!(focused, EditorItem::Additional(_)) {
            v.push(Binding::new(&[keys::DEL], "remove field", Action::Delete));
        }
        v.push(Binding::new(&[keys::CTRL_S], "save", Action::Save));
        v.push(Binding::new(&[keys::ESC], "back", Action::Back));
        v
    }

    fn action(&mut self, a: Action, cx: &mut Context) -> Reply {
        let n = self.items().len();
        match a {
            Action::Next => self.focus.next(n),
            Action::Prev => self.focus.prev(n),
            Action::Delete => {
                if let EditorItem::Additional(i) = self.focused()
                    && i < self.additional.len()
                {
                    self.additional.remove(i);
                    cx.unsaved = true;
                    let n = self.items().len();
                    self.focus.clamp(n);
                }
            }
            Action::Activate => {
                return match self.focused() {
                    EditorItem::Name | EditorItem::Description => {
                        self.focus.next(n);
                        Reply::none()
                    }
                    EditorItem::Mandatory(i) => self.select_value(ValueTarget::Mandatory(i), cx),
                    EditorItem::Additional(i) => self.select_value(ValueTarget::Additional(i), cx),
                    EditorItem::SelectFields => Reply::open(Picker::open(self, cx)),
                    EditorItem::Save => self.save(cx),
                };
            }
            Action::Save => return self.save(cx),
            Action::Back => {
                if self.changed() {
                    return Reply::open(Confirm::new(
                        ConfirmKind::DiscardEndpoint,
                        "Discard the changes to this endpoint?",
                        vec![if self.original.is_some() {
                            "The endpoint list keeps the last saved version.".into()
                        } else {
                            "The new endpoint is not added.".into()
                        }],
                        "Discard",
                        "Keep editing",
                    ));
                }
                return Reply::request(Request::CloseEditor { select: None });
            }
            _ => {}
        }
        Reply::none()
    }

    fn input(&mut self) -> Option<&mut TextField> {
        match self.focused() {
            EditorItem::Name => Some(&mut self.name),
            EditorItem::Description => Some(&mut self.description),
            EditorItem::Mandatory(_)
            | EditorItem::SelectFields
            | EditorItem::Additional(_)
            | EditorItem::Save => None,
        }
    }

    fn typing(&self) -> bool {
        match self.focused() {
            EditorItem::Name | EditorItem::Description => true,
            EditorItem::Mandatory(_)
            | EditorItem::SelectFields
            | EditorItem::Additional(_)
            | EditorItem::Save => false,
        }
    }

    fn view(&self, f: &mut Frame, area: Rect, cx: &Context) {
        let t = cx.theme;
        // The last column is kept for the ↑/↓ markers.
        let w = usize::from(area.width.saturating_sub(1));
        let label_w: usize = if w >= 50 { 20 } else { 15 };
        let rows = self.view_rows(cx, w, label_w);
        let focused = self.focused();
        let focus_row = rows
            .iter()
            .position(|r| matches!(r, Row::Item(i) if *i == focused))
            .unwrap_or(0);
        let height = usize::from(area.height);
        // The heading stays; the rest scrolls to keep the focused row in view.
        let window = Window::new(rows.len(), height, focus_row, 1, 1);
        for (row, r) in window.show(rows, area) {
            match row {
                Row::Text(line) => f.render_widget(Paragraph::new(line), r),
                Row::Item(item @ (EditorItem::Name | EditorItem::Description)) => {
                    let (label, field) = if item == EditorItem::Name {
                        ("Endpoint Name", &self.name)
                    } else {
                        ("Description", &self.description)
                    };
                    let is_focus = item == focused;
                    let label_cols = u16::try_from(label_w + 2).unwrap_or(u16::MAX);
                    let [l, input, _] = Layout::horizontal([
                        Constraint::Length(label_cols),
                        Constraint::Max(50),
                        Constraint::Fill(1),
                    ])
                    .areas(r);
                    f.render_widget(
                        Paragraph::new(Span::styled(
                            label,
                            if is_focus { t.strong() } else { t.text() },
                        )),
                        l,
                    );
                    field.render(f, input, is_focus, true, t);
                }
                Row::Item(item) => {
                    f.render_widget(Paragraph::new(self.item_line(item, w, label_w, cx)), r);
                }
            }
        }
        window.markers(f, area, 1, cx.theme);
    }
}

/// A stored value and its display value as shown in the editor and the review.
pub fn value_text(value: &str, display: Option<&str>) -> String {
    let v = SafeText::line(value);
    match display {
        Some(d) if d != v.as_ref() => format!("{} ({})", SafeText::line(d), short_id(&v)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::test_fixtures::{dictionary, setup};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use std::sync::Arc;

    /// Every focus position either takes typed keys (and says so) or does not; Name and
    /// Description take them.
    #[test]
    fn every_text_item_is_wired_to_typed_keys() {
        let s = setup();
        let mut cx = Context::new(s.config_path, s.existing, false, s.theme, s.size);
        cx.dictionary = Some(Ok(Arc::new(dictionary())));
        let mut ed = Editor::open(None, &cx);
        ed.additional
            .push(ed.mandatory.first().cloned().expect("a mandatory field"));
        for item in ed.items() {
            ed.focus_on(item);
            let typing = ed.typing();
            let took = ed
                .input()
                .map(|f| f.edit(&KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE)));
            assert_eq!(typing, took.is_some(), "{item:?}");
            let text = matches!(item, EditorItem::Name | EditorItem::Description);
            assert_eq!(took, text.then_some(true), "{item:?}");
        }
        assert_eq!(ed.name.value(), "x");
        assert_eq!(ed.description.value(), "x");
    }
}
