//! The Additional Fields picker: fuzzy multi-select over the incident dictionary (label,
//! element, type, defining table, reference target), at most 10 fields. Tab toggles, Space
//! types into the search. When the dictionary could not be read it explains why (the FAQ
//! answer) and offers the ACL matrix.

use crate::sanitize::SafeText;
use std::cell::Cell as Feedback;
use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row, Table, TableState};

use crate::config::MAX_ADDITIONAL_FIELDS;
use crate::diagnose::{CheckId, Dictionary, DictionaryError, Field, FieldKind};
use crate::wizard::component::{Component, Reply, Request};
use crate::wizard::context::Context;
use crate::wizard::keymap::{Action, Binding, Key, Keymap, keys};
use crate::wizard::msg::{Effect, Slot};
use crate::wizard::screens::editor::Editor;
use crate::wizard::widgets::doc::Block;
use crate::wizard::widgets::draw::{modal_frame, truncate};
use crate::wizard::widgets::picker::{
    FIRST_ROWS, FieldIndex, FilterAnswer, FilterRequest, Highlighter, Matches, highlight,
};
use crate::wizard::widgets::scroll::{self, Scroll};
use crate::wizard::widgets::text_field::TextField;

/// The five read ACLs of the FAQ, in the seed's order.
const READ_ACLS: [&str; 5] = [
    "sys_db_object",
    "sys_db_object.*",
    "sys_dictionary",
    "sys_dictionary.*",
    "sys_glide_object",
];

/// Why the picker has nothing to offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    /// One sentence: what happened.
    pub reason: String,
    /// The read ACLs that failed, e.g. `sys_dictionary.*`.
    pub missing: Vec<String>,
    /// The check to select when jumping to the matrix.
    pub check: Option<CheckId>,
    /// Whether read ACLs are (or may be) what is missing: only then does the explanation list
    /// them (a dictionary over the size budget, a rate limit or no connection is not an ACL
    /// problem, and saying so would send the admin the wrong way).
    pub about_acls: bool,
}

/// Why the picker has nothing to offer, from the dictionary error and the failed checks.
pub fn unavailable(cx: &Context) -> Option<Unavailable> {
    if let Some(Ok(d)) = &cx.dictionary {
        if d.selectable().next().is_some() {
            return None;
        }
        return Some(Unavailable {
            reason: "The dictionary was read, but it offers no fields that can be set.".into(),
            missing: Vec::new(),
            check: None,
            about_acls: true,
        });
    }
    // The missing ACLs come from the root-cause model, as in the matrix: a row skipped
    // because its table is unreadable, or one the instance rate-limited, is not "missing".
    let verdict = crate::wizard::screens::checks::assessment(cx);
    let failed: Vec<(CheckId, String)> = verdict
        .cause(crate::diagnose::CauseId::MissingAcl)
        .map(|c| {
            c.acls
                .iter()
                .filter(|a| READ_ACLS.contains(&a.as_str()))
                .filter_map(|a| CheckId::for_acl(a).map(|id| (id, a.clone())))
                .collect()
        })
        .unwrap_or_default();
    let mut missing: Vec<String> = failed.iter().map(|(_, a)| a.clone()).collect();
    let mut check = failed.first().map(|(id, _)| *id);
    let denied = matches!(&cx.dictionary, Some(Err(DictionaryError::Denied { .. })));
    let reason = match &cx.dictionary {
        Some(Err(DictionaryError::Denied { acl, evidence })) => {
            if !missing.contains(acl) {
                missing.insert(0, acl.clone());
            }
            if check.is_none() {
                check = CheckId::parse(&format!("acl:{acl}"));
            }
            format!("What ServiceNow answered: {}.", SafeText::line(evidence))
        }
        // The root cause's words, not the client error's (which may guess at the account).
        Some(Err(e)) => format!(
            "The dictionary could not be read: {}",
            verdict.causes.first().map_or_else(
                || SafeText::line(&e.to_string()).into_owned(),
                |c| SafeText::line(&c.summary).into_owned()
            )
        ),
        Some(Ok(_)) => String::new(),
        None if !cx.checks.connected && !cx.checks.rows.is_empty() => {
            "snow-connect is not connected to the instance (see the checks).".into()
        }
        None => "The dictionary has not been read yet: run the checks on the Connect screen first."
            .into(),
    };
    Some(Unavailable {
        reason,
        about_acls: denied || !missing.is_empty(),
        missing,
        // No missing ACL: the first row that did not pass says why (a rate limit, a budget).
        check: check
            .or_else(|| first_unpassed(cx))
            .or(Some(CheckId::Oauth))
            .filter(|_| !cx.checks.rows.is_empty()),
    })
}

/// The first check, in ladder order, that did not pass.
fn first_unpassed(cx: &Context) -> Option<CheckId> {
    cx.checks.results().into_iter().find_map(|r| {
        (!matches!(
            r.status,
            crate::diagnose::CheckStatus::Passed | crate::diagnose::CheckStatus::Skipped
        ))
        .then_some(r.id)
    })
}

/// The Additional Fields picker.
#[derive(Debug)]
pub struct Picker {
    /// This picker's number: answers meant for an earlier one are dropped.
    pub id: u64,
    /// The dictionary the fields come from, shared with the context (never copied).
    dict: Option<Arc<Dictionary>>,
    /// Positions in `dict.fields` of the fields on offer; `FieldMatch::index` indexes this.
    candidates: Vec<u32>,
    /// The search text of the candidates, shared with the filter's worker.
    index: Arc<FieldIndex>,
    /// Highlights for the rows shown.
    highlight: Highlighter,
    /// The query.
    pub query: TextField,
    /// The latest answer: the best rows of one query, and how many matched. It may be for
    /// an earlier query than the one typed, until the worker answers.
    pub matches: Matches,
    /// The last filter request sent, and the one `matches` answers.
    sent: u64,
    /// See `sent`.
    shown: u64,
    /// How many of the best rows to ask for (grows as the cursor goes down).
    limit: usize,
    /// Cursor row in `matches.rows`.
    pub cursor: usize,
    /// Selected element names, in selection order.
    pub selected: Vec<String>,
    /// The endpoint had no additional fields when the picker opened: then Enter with nothing
    /// ticked takes the row under the cursor (a quick single pick), instead of confirming an
    /// empty choice.
    started_empty: bool,
    /// Why nothing can be offered, when that is the case.
    pub unavailable: Option<Unavailable>,
    /// A note shown under the query (e.g. the limit was reached).
    pub note: Option<String>,
    /// Scroll of the explanation (when nothing can be offered).
    explanation: Scroll,
    /// Rows of fields the last frame showed (a page for PgUp/PgDn).
    page: Feedback<usize>,
}

impl Picker {
    /// The picker for the editor's additional fields. It shares the context's dictionary and
    /// indexes only label and element name; the empty query needs no matching, so nothing
    /// is sent to the filter's worker until the user types.
    pub fn open(ed: &Editor, cx: &mut Context) -> Picker {
        let selected: Vec<String> = ed.additional.iter().map(|e| e.element.clone()).collect();
        let why = unavailable(cx);
        let dict = match (&why, &cx.dictionary) {
            (None, Some(Ok(d))) => Some(Arc::clone(d)),
            _ => None,
        };
        // What `Dictionary::selectable` offers, by position, less the mandatory fields.
        let candidates: Vec<u32> = dict
            .iter()
            .flat_map(|d| d.fields.iter().enumerate())
            .filter(|(_, f)| f.kind.is_some())
            .filter(|(_, f)| !ed.mandatory.iter().any(|e| e.element == f.element))
            .filter_map(|(i, _)| u32::try_from(i).ok())
            .collect();
        let index = match &dict {
            Some(d) => FieldIndex::shared(d, &candidates),
            None => Arc::new(FieldIndex::new(std::iter::empty())),
        };
        Picker {
            id: cx.next_id(),
            dict,
            matches: Matches::everything("", candidates.len(), FIRST_ROWS),
            candidates,
            highlight: Highlighter::new(Arc::clone(&index)),
            index,
            query: TextField::new().limit(100),
            sent: 0,
            shown: 0,
            limit: FIRST_ROWS,
            cursor: 0,
            started_empty: selected.is_empty(),
            selected,
            unavailable: why,
            note: None,
            explanation: Scroll::default(),
            page: Feedback::new(10),
        }
    }

    /// Whether the answer shown is the one for the latest query sent to the worker.
    pub fn settled(&self) -> bool {
        self.shown == self.sent
    }

    /// Whether Enter takes the row under the cursor (nothing ticked on an endpoint that had
    /// no additional fields, and a row to take).
    fn picks_cursor_row(&self) -> bool {
        self.started_empty && self.selected.is_empty() && !self.matches.rows.is_empty()
    }

    /// Candidate `i` (a `FieldMatch::index`).
    pub fn field(&self, i: usize) -> Option<&Field> {
        let pos = usize::try_from(*self.candidates.get(i)?).ok()?;
        self.dict.as_ref()?.fields.get(pos)
    }

    /// The fields on offer, in the dictionary's order.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        (0..self.candidates.len()).filter_map(|i| self.field(i))
    }

    fn toggle(&mut self) {
        let Some(mat) = self.matches.rows.get(self.cursor) else {
            return;
        };
        let Some(element) = self.field(mat.index).map(|f| f.element.clone()) else {
            return;
        };
        if let Some(pos) = self.selected.iter().position(|e| *e == element) {
            self.selected.remove(pos);
            self.note = None;
        } else if self.selected.len() >= MAX_ADDITIONAL_FIELDS {
            self.note = Some(format!(
                "At most {MAX_ADDITIONAL_FIELDS} additional fields: unselect one first."
            ));
            return;
        } else {
            self.selected.push(element);
            self.note = None;
        }
        self.cursor = (self.cursor + 1).min(self.matches.rows.len().saturating_sub(1));
    }

    /// Ask for more of the best rows before the cursor reaches the last one the picker has
    /// (the worker selects only as many as asked for).
    fn more_rows(&mut self) -> Reply {
        let have = self.matches.rows.len();
        let page = self.page.get().max(1);
        if self.unavailable.is_some()
            || have >= self.matches.total
            || self.limit > have
            || self.cursor.saturating_add(page.saturating_mul(2)) < have
        {
            return Reply::none();
        }
        self.limit = have.saturating_mul(2).max(FIRST_ROWS);
        self.request()
    }

    /// Ask the worker for the current query's best `limit` rows. A blank query needs no
    /// matching: it is answered here (and answers still on their way become stale).
    fn request(&mut self) -> Reply {
        self.sent = self.sent.wrapping_add(1);
        let query = self.query.value();
        if query.chars().all(|c| c == ' ') {
            let matches = Matches::everything(query, self.candidates.len(), self.limit);
            self.show(self.sent, matches);
            return Reply::none();
        }
        Reply::effect(Effect::FilterFields(FilterRequest {
            picker: self.id,
            seq: self.sent,
            index: Arc::clone(&self.index),
            query: query.to_string(),
            limit: self.limit,
        }))
    }

    /// The filter's worker answered: show it unless a newer answer is shown already.
    pub fn on_matches(&mut self, a: FilterAnswer) {
        if a.picker == self.id {
            self.show(a.seq, a.matches);
        }
    }

    fn show(&mut self, seq: u64, matches: Matches) {
        if seq <= self.shown {
            return;
        }
        self.shown = seq;
        if matches.query != self.matches.query {
            // A new query starts at its best match; more rows of the same query keep the
            // cursor.
            self.highlight.set_query(&matches.query);
            self.cursor = 0;
        }
        self.matches = matches;
        self.cursor = self.cursor.min(self.matches.rows.len().saturating_sub(1));
    }

    fn view_unavailable(&self, u: &Unavailable, f: &mut Frame, inner: Rect, cx: &Context) {
        let t = cx.theme;
        let mut blocks = vec![Block::styled(
            "No fields are available for selection.",
            t.error(),
        )];
        if !u.missing.is_empty() {
            blocks.push(Block::item(
                0,
                "Missing read ACL: ",
                vec![Span::styled(u.missing.join(", "), t.error())],
            ));
        }
        if !u.about_acls {
            blocks.push(Block::Blank);
            if !u.reason.is_empty() {
                blocks.push(Block::text(SafeText::line(&u.reason).into_owned()));
            }
            blocks.push(Block::text("The ACL matrix has the details. Until then endpoints can still fill Short description and Description."));
            scroll::render(f, inner, &blocks, &self.explanation, t);
            return;
        }
        blocks.extend([
            Block::Blank,
            Block::text(if u.missing.is_empty() {
                "The integration user needs the following read ACL permissions:"
            } else {
                "The integration user lacks authorization and requires the following read ACL permissions:"
            }),
        ]);
        for acl in READ_ACLS {
            let missing = u.missing.iter().any(|m| m == acl);
            blocks.push(Block::item(
                2,
                if missing { "✗ " } else { "• " },
                vec![
                    Span::styled(acl, if missing { t.error() } else { t.text() }),
                    Span::styled(if missing { "  missing" } else { "" }, t.error()),
                ],
            ));
        }
        blocks.push(Block::Blank);
        if !u.reason.is_empty() {
            blocks.push(Block::text(SafeText::line(&u.reason).into_owned()));
        }
        blocks.push(Block::text("The ACL matrix says exactly what the ServiceNow admin must change. Until then endpoints can still fill Short description and Description."));
        scroll::render(f, inner, &blocks, &self.explanation, t);
    }
}

/// What the Type column says: what the user will enter. A choice field stored as a string or
/// integer says `Choice` (with the storage type, `String·choice`, when that fits in `width`);
/// everything else shows the type label from sys_glide_object.
///
/// Without a Reference column (`with_target`), a reference says where it points instead
/// (`→ sys_user_group`): what the user picks from next matters more than the word
/// "Reference".
fn type_column(field: &Field, width: usize, with_target: bool) -> String {
    if with_target
        && field.kind == Some(FieldKind::Reference)
        && let Some(target) = field.reference.as_deref()
    {
        return truncate(&format!("→ {}", SafeText::line(target)), width);
    }
    let mut label = SafeText::line(&field.type_label).into_owned();
    // Without sys_glide_object the type is the internal name (`boolean`): shown like the
    // labels it stands in for.
    if let Some(first) = label.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    if field.kind != Some(FieldKind::Choice) || label.eq_ignore_ascii_case("choice") {
        return label;
    }
    let both = format!("{label}·choice");
    if both.chars().count() <= width {
        both
    } else {
        "Choice".to_string()
    }
}

impl Component for Picker {
    /// The explanation's keys when no field can be offered, else the list's. Space is not
    /// bound: it separates words in the search.
    fn bindings(&self, _cx: &Context) -> Keymap {
        if self.unavailable.is_some() {
            let mut v = vec![
                Binding::new(
                    &[keys::ENTER, Key::ch('m')],
                    "open the ACL matrix",
                    Action::JumpToMatrix,
                ),
                Binding::new(&[keys::ESC], "close", Action::Back),
            ];
            v.extend(scroll::bindings("scroll").map(|b| b.hidden()));
            return v;
        }
        vec![
            Binding::new(&[keys::TAB], "toggle", Action::Toggle),
            Binding::new(
                &[keys::ENTER],
                if self.picks_cursor_row() {
                    "add this field"
                } else {
                    "confirm"
                },
                Action::Activate,
            ),
            Binding::new(&[keys::DOWN], "move", Action::Down).labelled("↑↓"),
            Binding::new(&[keys::UP], "move", Action::Up).silent(),
            Binding::new(&[keys::PGDN], "page down/up", Action::PageDown)
                .labelled("PgDn/PgUp")
                .hidden(),
            Binding::new(&[keys::PGUP], "page up", Action::PageUp).silent(),
            Binding::new(&[keys::ESC], "cancel", Action::Back),
        ]
    }

    fn action(&mut self, a: Action, _cx: &mut Context) -> Reply {
        if let Some(u) = &self.unavailable {
            return match a {
                Action::Back => Reply::close().with(Effect::Cancel(Slot::FieldFilter)),
                Action::JumpToMatrix => Reply::close().and(Request::ShowCheck(u.check)),
                other => {
                    self.explanation.act(other);
                    Reply::none()
                }
            };
        }
        let page = self.page.get().max(1);
        let last = self.matches.rows.len().saturating_sub(1);
        match a {
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Down => self.cursor = (self.cursor + 1).min(last),
            Action::PageUp => self.cursor = self.cursor.saturating_sub(page),
            Action::PageDown => self.cursor = (self.cursor + page).min(last),
            Action::Toggle => self.toggle(),
            Action::Back => return Reply::close().with(Effect::Cancel(Slot::FieldFilter)),
            Action::Activate => {
                if self.picks_cursor_row() {
                    self.toggle();
                }
                return Reply::close()
                    .and(Request::FieldsPicked(std::mem::take(&mut self.selected)))
                    .with(Effect::Cancel(Slot::FieldFilter));
            }
            _ => {}
        }
        self.more_rows()
    }

    fn input(&mut self) -> Option<&mut TextField> {
        match self.unavailable {
            None => Some(&mut self.query),
            Some(_) => None,
        }
    }

    fn typing(&self) -> bool {
        self.unavailable.is_none()
    }

    /// The query changed: it shows at once, its matches follow from the worker.
    fn edited(&mut self, _cx: &mut Context) -> Reply {
        self.limit = FIRST_ROWS;
        self.request()
    }

    fn view(&self, f: &mut Frame, area: Rect, cx: &Context) {
        let t = cx.theme;
        let area = Rect {
            x: area.x.saturating_add(1),
            width: area.width.saturating_sub(2),
            ..area
        };
        let inner = modal_frame(f, area, "Select Fields", t);
        if inner.height == 0 {
            return;
        }
        if let Some(u) = &self.unavailable {
            self.view_unavailable(u, f, inner, cx);
            return;
        }
        let w = usize::from(inner.width);
        // Columns: [x] label element type table reference; narrower screens drop the last.
        let check_w = 5usize;
        let rest = w.saturating_sub(check_w);
        // The defining table goes first, then the Reference column (its target moves into
        // Type), so a reference target is never cut to `sys_user_g…`.
        let (label_w, elem_w, type_w, table_w, ref_w) = if rest >= 84 {
            // Wide enough to say both what is stored and that it is a choice.
            (20usize, 20usize, 15usize, 9usize, rest - 64)
        } else if rest >= 66 {
            (20, 20, 11, 0, rest - 51)
        } else if rest >= 40 {
            (16, 16, rest - 32, 0, 0)
        } else {
            (rest / 2, rest - rest / 2, 0, 0, 0)
        };
        let [query, counts, list] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(inner);
        let [ql, qf, _] = Layout::horizontal([
            Constraint::Length(8),
            Constraint::Max(40),
            Constraint::Fill(1),
        ])
        .areas(query);
        f.render_widget(Paragraph::new(Span::styled("Search: ", t.strong())), ql);
        self.query.render(f, qf, true, true, t);
        let line = match &self.note {
            Some(n) => Line::from(Span::styled(n.clone(), t.warn())),
            None if w >= 52 => Line::from(Span::styled(
                format!(
                    "{} of {} fields match · {}/{} selected · Tab toggles",
                    self.matches.total,
                    self.candidates.len(),
                    self.selected.len(),
                    MAX_ADDITIONAL_FIELDS
                ),
                t.dim(),
            )),
            None => Line::from(Span::styled(
                format!(
                    "{}/{} match · {}/{} picked",
                    self.matches.total,
                    self.candidates.len(),
                    self.selected.len(),
                    MAX_ADDITIONAL_FIELDS
                ),
                t.dim(),
            )),
        };
        f.render_widget(Paragraph::new(line), counts);
        let header = rest >= 40;
        let room = usize::from(list.height.saturating_sub(u16::from(header)));
        self.page.set(room.saturating_sub(1).max(1));
        if self.matches.total == 0 {
            f.render_widget(
                Paragraph::new(Span::styled(
                    "No field matches; edit the search (Ctrl-U clears it).",
                    t.dim(),
                )),
                list,
            );
            return;
        }
        // Only the rows on screen are built (and their text sanitised).
        let skip = (self.cursor + 1).saturating_sub(room);
        let hit = t.matched();
        let rows: Vec<Row> = self
            .matches
            .rows
            .iter()
            .skip(skip)
            .take(room)
            .filter_map(|mat| {
                let field = self.field(mat.index)?;
                let checked = self.selected.contains(&field.element);
                let hits = self.highlight.hits(mat.index);
                let label = SafeText::line(&field.label);
                let element = SafeText::line(&field.element);
                let mut cells = vec![
                    Cell::from(if checked { "[x]" } else { "[ ]" }),
                    Cell::from(Line::from(highlight(
                        &label,
                        &hits.label,
                        label_w.saturating_sub(1),
                        t.text(),
                        hit,
                    ))),
                    Cell::from(Line::from(highlight(
                        &element,
                        &hits.element,
                        elem_w.saturating_sub(1),
                        t.text(),
                        hit,
                    ))),
                ];
                if type_w > 0 {
                    // The storage type of a choice (`Integer·choice`) only in the widest
                    // layout, so the column reads the same at every other size.
                    let room = if table_w > 0 || field.kind == Some(FieldKind::Reference) {
                        type_w - 1
                    } else {
                        10
                    };
                    cells.push(Cell::from(type_column(field, room, ref_w == 0)));
                }
                if table_w > 0 {
                    cells.push(Cell::from(truncate(
                        &SafeText::line(&field.defined_on),
                        table_w - 1,
                    )));
                }
                if ref_w > 0 {
                    let r = field
                        .reference
                        .as_deref()
                        .map(|r| SafeText::line(r).into_owned())
                        .unwrap_or_default();
                    cells.push(Cell::from(truncate(&r, ref_w)));
                }
                Some(Row::new(cells))
            })
            .collect();
        let to_u16 = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        let mut widths = vec![
            Constraint::Length(3),
            Constraint::Length(to_u16(label_w.saturating_sub(1))),
            Constraint::Length(to_u16(elem_w.saturating_sub(1))),
        ];
        let mut titles = vec!["", "Label", "Element"];
        if type_w > 0 {
            widths.push(Constraint::Length(to_u16(type_w - 1)));
            titles.push("Type");
        }
        if table_w > 0 {
            widths.push(Constraint::Length(to_u16(table_w - 1)));
            titles.push("Table");
        }
        if ref_w > 0 {
            widths.push(Constraint::Fill(1));
            titles.push(if ref_w >= 9 { "Reference" } else { "Ref." });
        }
        let mut table = Table::new(rows, widths)
            .column_spacing(1)
            .highlight_symbol("▸")
            .highlight_spacing(HighlightSpacing::Always)
            .row_highlight_style(t.selected());
        if header {
            table = table.header(Row::new(titles).style(t.dim()));
        }
        let mut state = TableState::default().with_selected(Some(self.cursor.saturating_sub(skip)));
        f.render_stateful_widget(table, list, &mut state);
    }
}
