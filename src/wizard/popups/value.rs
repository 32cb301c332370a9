//! "Select a value": a list for choice and true/false fields (filtered as you type), a live
//! (debounced, cancellable) search of the reference target for references, a validated
//! input otherwise.

use crate::sanitize::SafeText;
use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{HighlightSpacing, List, ListItem, ListState, Paragraph, Wrap};

use crate::diagnose::{Choice, Field, FieldKind};
use crate::dictionary::rules::{self, INTEGER_MAX, INTEGER_MIN};
use crate::wizard::component::{Component, Reply, Request};
use crate::wizard::context::Context;
use crate::wizard::keymap::{Action, Binding, Keymap, keys};
use crate::wizard::msg::{Effect, RefRow, Slot};
use crate::wizard::screens::editor::{Editor, FieldEntry};
use crate::wizard::widgets::draw::{SPINNER, centered, modal_frame, pad, truncate};
use crate::wizard::widgets::text_field::TextField;

/// Typing pauses this long before a reference search starts.
pub const DEBOUNCE: Duration = Duration::from_millis(250);

/// Which editor field a value selector edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueTarget {
    /// `Editor::mandatory[i]`.
    Mandatory(usize),
    /// `Editor::additional[i]`.
    Additional(usize),
}

/// The reference search of a value selector.
#[derive(Debug, Clone, Default)]
pub struct RefSearch {
    /// Target table.
    pub table: String,
    /// Number of the latest search.
    pub seq: u64,
    /// A search is pending or running.
    pub loading: bool,
    /// Rows of the latest answer.
    pub rows: Vec<RefRow>,
    /// Why the latest search failed.
    pub error: Option<String>,
}

/// The "Select a value" dialog.
#[derive(Debug, Clone)]
pub struct ValueSelector {
    /// Which field.
    pub target: ValueTarget,
    /// Field label.
    pub label: String,
    /// Field element.
    pub element: String,
    /// Value kind.
    pub kind: FieldKind,
    /// Choices (choice fields) or `true`/`false` (boolean fields).
    pub choices: Vec<Choice>,
    /// Cursor in the list (choices or reference rows).
    pub cursor: usize,
    /// Free input (string, integer, reference search; the filter of a list).
    pub input: TextField,
    /// Max length for strings.
    pub max_length: Option<u32>,
    /// Validation message.
    pub error: Option<String>,
    /// Why the list is what it is (a dependent choice list filtered by its controlling field).
    pub note: Option<String>,
    /// Reference search, for reference fields.
    pub search: Option<RefSearch>,
}

/// The choices to list for `field`, and a note when its list depends on another field: only
/// those that go with the value this endpoint gives the controlling field (subcategory on
/// category), or all of them, said so, when that field has no value here.
fn dependent_choices(ed: &Editor, cx: &Context, field: &Field) -> (Vec<Choice>, Option<String>) {
    let all = || field.choices.clone();
    let Some(ctrl) = field.dependent_on.as_deref() else {
        return (all(), None);
    };
    let controlling = ed.entries().find(|e| e.element == ctrl);
    let ctrl_label = controlling
        .map(|e| e.label().to_string())
        .or_else(|| {
            cx.dict()
                .and_then(|d| d.field(ctrl))
                .map(|f| f.label.clone())
        })
        .unwrap_or_else(|| ctrl.to_string());
    let ctrl_label = SafeText::line(&ctrl_label).into_owned();
    let label = SafeText::line(&field.label).into_owned();
    let Some((value, display)) = controlling.and_then(|e| e.value.clone()) else {
        return (
            all(),
            Some(format!(
                "{label} depends on {ctrl_label}, which this endpoint does not set: all choices are shown."
            )),
        );
    };
    let shown = SafeText::line(display.as_deref().unwrap_or(&value)).into_owned();
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

/// Check a typed value; `Ok` holds what is stored. The rules are the dictionary's (what
/// `send` accepts), worded for the person typing.
pub fn validate(kind: FieldKind, max_length: Option<u32>, raw: &str) -> Result<String, String> {
    rules::parse_typed(kind, max_length, raw).map_err(|e| e.hint())
}

impl ValueSelector {
    /// The selector for `target` of the editor, and the effects it starts with (the first
    /// reference search). `None` when the target does not exist.
    pub fn open(
        ed: &Editor,
        target: ValueTarget,
        cx: &mut Context,
    ) -> Option<(ValueSelector, Vec<Effect>)> {
        let e: &FieldEntry = ed.entry(target)?;
        let field = e.field.clone();
        let current = e.value.as_ref().map(|(v, _)| v.clone());
        let mut v = ValueSelector {
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
                    let (choices, note) = dependent_choices(ed, cx, f);
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
                if let Some(table) = field.as_ref().and_then(|f| f.reference.as_deref()) {
                    let table = table.to_string();
                    let seq = cx.next_id();
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
            && v.kind == FieldKind::String
        {
            v.input = TextField::new().limit(usize::try_from(max).unwrap_or(usize::MAX));
            if let Some((cur, _)) = &e.value {
                v.input.set(cur);
            }
        }
        Some((v, effects))
    }

    /// Whether the selector shows a list (choices, true/false) rather than an input.
    pub fn is_list(&self) -> bool {
        self.search.is_none() && !self.choices.is_empty()
    }

    /// Indices of the choices the list shows: those whose label or stored value contains
    /// every word typed into the filter (any case), in the dictionary's order.
    pub fn shown_choices(&self) -> Vec<usize> {
        let words: Vec<String> = self
            .input
            .value()
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        self.choices
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

    /// A reference search is pending or running (the spinner turns).
    pub fn searching(&self) -> bool {
        self.search.as_ref().is_some_and(|s| s.loading)
    }

    fn accept(&mut self) -> Reply {
        let chosen: Result<(String, Option<String>), String> = if let Some(s) = &self.search {
            match s.rows.get(self.cursor) {
                Some(r) => Ok((r.sys_id.clone(), Some(r.display.clone()))),
                None => {
                    validate(FieldKind::Reference, None, self.input.value()).map(|id| (id, None))
                }
            }
        } else if !self.choices.is_empty() {
            let shown = self.shown_choices();
            match shown.get(self.cursor).and_then(|&i| self.choices.get(i)) {
                Some(c) if self.kind == FieldKind::Choice => {
                    Ok((c.value.clone(), Some(c.label.clone())))
                }
                Some(c) => Ok((c.value.clone(), None)),
                None if shown.is_empty() => {
                    Err("No value matches the filter: Backspace edits it.".into())
                }
                None => Err("Pick one of the values.".into()),
            }
        } else {
            validate(self.kind, self.max_length, self.input.value()).map(|s| (s, None))
        };
        match chosen {
            Err(e) => {
                self.error = Some(e);
                Reply::none()
            }
            Ok(value) => Reply::close()
                .and(Request::ValueChosen(self.target, value))
                .with(Effect::Cancel(Slot::Search)),
        }
    }

    /// Search results arrived.
    pub fn on_results(&mut self, seq: u64, result: Result<Vec<RefRow>, String>) {
        let Some(s) = self.search.as_mut() else {
            return;
        };
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
        self.cursor = 0;
    }

    /// Rows the selector's content needs (inside its frame), so the dialog fits it.
    fn rows_needed(&self) -> u16 {
        let list = match &self.search {
            Some(s) => s.rows.len().max(3) + 1,
            None => self.choices.len(),
        };
        // A list has its filter line where other kinds have their input.
        let error = if self.error.is_some() { 2 } else { 0 };
        let note = if self.note.is_some() { 2 } else { 0 };
        u16::try_from(2 + error + note + list)
            .unwrap_or(u16::MAX)
            .max(4)
    }

    /// What the line under the title says the field takes.
    fn kind_line(&self) -> String {
        let element = SafeText::line(&self.element);
        match (&self.search, self.kind) {
            (Some(s), _) => format!(
                "{element} · reference to {}: type to search",
                SafeText::line(&s.table)
            ),
            (None, FieldKind::Integer) => {
                format!("{element} · a whole number, {INTEGER_MIN} to {INTEGER_MAX}")
            }
            (None, FieldKind::String) => match self.max_length {
                Some(n) => format!(
                    "{element} · text, {}/{n} characters",
                    self.input.value().chars().count()
                ),
                None => format!("{element} · text"),
            },
            (None, FieldKind::Boolean) => format!("{element} · true or false"),
            (None, FieldKind::Choice | FieldKind::Reference) => {
                format!("{element} · choose one (type to filter)")
            }
        }
    }
}

impl Component for ValueSelector {
    fn bindings(&self, _cx: &Context) -> Keymap {
        let mut k = vec![Binding::new(&[keys::ENTER], "select", Action::Activate)];
        if self.is_list() || self.search.is_some() {
            k.extend([
                Binding::new(&[keys::DOWN], "move", Action::Down).labelled("↑↓"),
                Binding::new(&[keys::UP], "move", Action::Up).silent(),
                Binding::new(&[keys::PGDN], "page down/up", Action::PageDown)
                    .labelled("PgDn/PgUp")
                    .hidden(),
                Binding::new(&[keys::PGUP], "page up", Action::PageUp).silent(),
            ]);
        }
        k.push(Binding::new(&[keys::ESC], "cancel", Action::Back));
        k
    }

    fn action(&mut self, a: Action, _cx: &mut Context) -> Reply {
        let n = match &self.search {
            Some(s) => s.rows.len(),
            None => self.shown_choices().len(),
        };
        match a {
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Down => self.cursor = (self.cursor + 1).min(n.saturating_sub(1)),
            Action::PageUp => self.cursor = self.cursor.saturating_sub(8),
            Action::PageDown => self.cursor = (self.cursor + 8).min(n.saturating_sub(1)),
            Action::Back => {
                return Reply::close()
                    .and(Request::ValueCancelled)
                    .with(Effect::Cancel(Slot::Search));
            }
            Action::Activate => return self.accept(),
            _ => {}
        }
        Reply::none()
    }

    fn input(&mut self) -> Option<&mut TextField> {
        Some(&mut self.input)
    }

    fn typing(&self) -> bool {
        true
    }

    /// Typing into a list filters it; into a reference search, searches (debounced).
    fn edited(&mut self, cx: &mut Context) -> Reply {
        self.error = None;
        if self.is_list() {
            self.cursor = 0;
            return Reply::none();
        }
        let seq = cx.next_id();
        let query = self.input.value().to_string();
        let Some(s) = self.search.as_mut() else {
            return Reply::none();
        };
        s.seq = seq;
        s.loading = true;
        Reply::effect(Effect::SearchReference {
            seq,
            table: s.table.clone(),
            query,
            debounce: DEBOUNCE,
        })
    }

    fn view(&self, f: &mut Frame, area: Rect, cx: &Context) {
        let t = cx.theme;
        let area = centered(area, 66, self.rows_needed().saturating_add(2));
        let title = format!("Select a value: {}", SafeText::line(&self.label));
        let inner = modal_frame(
            f,
            area,
            &truncate(&title, usize::from(area.width.saturating_sub(4))),
            t,
        );
        if inner.height == 0 {
            return;
        }
        let w = usize::from(inner.width);
        let status_h = u16::from(self.search.is_some());
        let [kind, input, error, note, status, list] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(if self.error.is_some() { 2 } else { 0 }),
            Constraint::Length(if self.note.is_some() { 2 } else { 0 }),
            Constraint::Length(status_h),
            Constraint::Fill(1),
        ])
        .areas(inner);
        f.render_widget(
            Paragraph::new(Span::styled(truncate(&self.kind_line(), w), t.dim())),
            kind,
        );
        let label = if self.search.is_some() {
            "Search: "
        } else if self.is_list() {
            "Filter: "
        } else {
            "Value:  "
        };
        let [l, field, _] = Layout::horizontal([
            Constraint::Length(8),
            Constraint::Max(50),
            Constraint::Fill(1),
        ])
        .areas(input);
        f.render_widget(Paragraph::new(Span::styled(label, t.strong())), l);
        self.input.render(f, field, true, true, t);
        if let Some(e) = &self.error {
            f.render_widget(
                Paragraph::new(Span::styled(format!("✗ {e}"), t.error())).wrap(Wrap { trim: true }),
                error,
            );
        }
        if let Some(n) = &self.note {
            f.render_widget(
                Paragraph::new(Span::styled(n.clone(), t.warn())).wrap(Wrap { trim: true }),
                note,
            );
        }
        // (shown, stored) of every row; the List only draws the rows on screen.
        let rows: Vec<(&str, &str)> = if let Some(s) = &self.search {
            let (text, style) = if s.loading {
                (
                    format!("{} searching…", SPINNER[cx.spinner % SPINNER.len()]),
                    t.dim(),
                )
            } else if let Some(e) = &s.error {
                (format!("✗ {}", SafeText::line(e)), t.error())
            } else {
                (format!("{} record(s)", s.rows.len()), t.dim())
            };
            f.render_widget(
                Paragraph::new(Span::styled(truncate(&text, w), style)),
                status,
            );
            s.rows
                .iter()
                .map(|r| (r.display.as_str(), r.sys_id.as_str()))
                .collect()
        } else {
            self.shown_choices()
                .into_iter()
                .filter_map(|i| self.choices.get(i))
                .map(|c| (c.label.as_str(), c.value.as_str()))
                .collect()
        };
        if rows.is_empty() && self.is_list() {
            f.render_widget(
                Paragraph::new(Span::styled(
                    truncate("No value matches; Backspace edits the filter.", w),
                    t.dim(),
                )),
                list,
            );
            return;
        }
        let room = usize::from(list.height);
        let skip = (self.cursor + 1).saturating_sub(room);
        // What is stored beside what is shown: a whole sys_id (32 characters) when there is
        // room, else its start.
        let aside_w = if w >= 60 {
            34
        } else if w > 40 {
            18
        } else {
            0
        };
        let main_w = w.saturating_sub(2).saturating_sub(aside_w);
        // Only the rows on screen are sanitised.
        let items: Vec<ListItem> = rows
            .iter()
            .skip(skip)
            .take(room)
            .map(|(main, aside)| {
                let main = SafeText::line(main);
                let aside = SafeText::line(aside);
                let mut spans = vec![Span::raw(pad(&main, main_w))];
                if aside_w > 0 && main != aside {
                    spans.push(Span::styled(
                        pad(
                            &format!(" {}", truncate(&aside, aside_w.saturating_sub(2))),
                            aside_w,
                        ),
                        t.dim(),
                    ));
                }
                ListItem::new(Line::from(spans))
            })
            .collect();
        let show_cursor = self.is_list() || self.search.is_some();
        let widget = List::new(items)
            .highlight_style(t.selected())
            .highlight_symbol(Line::from("▸ "))
            .highlight_spacing(HighlightSpacing::Always);
        let mut state = ListState::default()
            .with_selected(show_cursor.then(|| self.cursor.saturating_sub(skip)));
        f.render_stateful_widget(widget, list, &mut state);
    }
}
