//! The Additional Fields picker: fuzzy multi-select over the incident dictionary (label,
//! element, type, defining table, reference target), at most 10 fields. When the dictionary
//! could not be read it explains why (the FAQ answer) and offers the ACL matrix.

use std::sync::Arc;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::config::MAX_ADDITIONAL_FIELDS;
use crate::diagnose::{CheckId, DictionaryError, Field, FieldKind};
use crate::wizard::keymap::{Action, Binding, Key, Keymap, keys, lookup as find, moving};
use crate::wizard::model::{
    FieldEntry, Modal, Model, PickerState, Screen, Unavailable, ValueTarget,
};
use crate::wizard::msg::{Effect, Slot};
use crate::wizard::screens::value;
use crate::wizard::update::go;
use crate::wizard::widgets::doc::Block;
use crate::wizard::widgets::draw::{modal_frame, pad, scrolled, truncate};
use crate::wizard::widgets::picker::{
    FIRST_ROWS, FieldIndex, FilterAnswer, FilterRequest, Highlighter, Matches, highlight,
};
use crate::wizard::widgets::text_field::TextField;

/// The five read ACLs of the FAQ, in the seed's order.
const READ_ACLS: [&str; 5] = [
    "sys_db_object",
    "sys_db_object.*",
    "sys_dictionary",
    "sys_dictionary.*",
    "sys_glide_object",
];

/// Why the picker has nothing to offer, from the dictionary error and the failed checks.
pub fn unavailable(m: &Model) -> Option<Unavailable> {
    if let Some(Ok(d)) = &m.dictionary {
        if d.selectable().next().is_some() {
            return None;
        }
        return Some(Unavailable {
            reason: "The dictionary was read, but it offers no fields that can be set.".into(),
            missing: Vec::new(),
            check: None,
        });
    }
    // The missing ACLs come from the root-cause model, as in the matrix: a row skipped
    // because its table is unreadable, or one the instance rate-limited, is not "missing".
    let verdict = crate::wizard::screens::checks::assessment(m);
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
    let reason = match &m.dictionary {
        Some(Err(DictionaryError::Denied { acl, evidence })) => {
            if !missing.contains(acl) {
                missing.insert(0, acl.clone());
            }
            if check.is_none() {
                check = CheckId::parse(&format!("acl:{acl}"));
            }
            format!(
                "What ServiceNow answered: {}.",
                crate::sanitize::line(evidence)
            )
        }
        // The root cause's words, not the client error's (which may guess at the account).
        Some(Err(e)) => format!(
            "The dictionary could not be read: {}",
            verdict.causes.first().map_or_else(
                || crate::sanitize::line(&e.to_string()).into_owned(),
                |c| crate::sanitize::line(&c.summary).into_owned()
            )
        ),
        Some(Ok(_)) => String::new(),
        None if !m.checks.connected && !m.checks.rows.is_empty() => {
            "snow-connect is not connected to the instance (see the checks).".into()
        }
        None => "The dictionary has not been read yet: run the checks on the Connect screen first."
            .into(),
    };
    Some(Unavailable {
        reason,
        missing,
        check: check
            .or(Some(CheckId::Oauth))
            .filter(|_| !m.checks.rows.is_empty()),
    })
}

/// Open the picker from the editor. It shares the model's dictionary and indexes only
/// label and element name; the empty query needs no matching, so nothing is sent to the
/// filter's worker until the user types.
pub fn open(m: &mut Model) -> Vec<Effect> {
    let Some(ed) = m.editor.as_ref() else {
        return Vec::new();
    };
    let selected: Vec<String> = ed.additional.iter().map(|e| e.element.clone()).collect();
    let why = unavailable(m);
    let dict = match (&why, &m.dictionary) {
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
    let bindings = bindings(why.is_some());
    m.pickers_opened = m.pickers_opened.wrapping_add(1);
    m.modals.push(Modal::Picker(Box::new(PickerState {
        id: m.pickers_opened,
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
        selected,
        unavailable: why,
        note: None,
        bindings,
    })));
    Vec::new()
}

fn state(m: &mut Model) -> Option<&mut PickerState> {
    match m.modals.last_mut() {
        Some(Modal::Picker(p)) => Some(p),
        _ => None,
    }
}

/// Keys of the picker (built when it opens, see [`PickerState::bindings`]).
pub fn keymap(p: &PickerState) -> Keymap {
    p.bindings.clone()
}

/// The action of `key` in the picker, from its cached bindings (Ctrl-C quits everywhere).
pub fn lookup(p: &PickerState, key: &KeyEvent) -> Option<Action> {
    find(&p.bindings, key).or_else(|| keys::CTRL_C.matches(key).then_some(Action::Quit))
}

/// The picker's bindings: the explanation's when no field can be offered, else the list's.
/// Space is not bound: it separates words in the search.
fn bindings(unavailable: bool) -> Keymap {
    if unavailable {
        return vec![
            Binding::new(
                &[keys::ENTER, Key::ch('m')],
                "open the ACL matrix",
                Action::JumpToMatrix,
            ),
            Binding::new(&[keys::ESC], "close", Action::Back),
            Binding::new(&[keys::DOWN], "scroll", Action::Down).hidden(),
            Binding::new(&[keys::UP], "scroll up", Action::Up).hidden(),
        ];
    }
    let mut v = vec![
        Binding::new(&[keys::TAB], "toggle", Action::Toggle),
        Binding::new(&[keys::ENTER], "confirm", Action::Activate),
    ];
    v.extend(moving("move"));
    v.push(Binding::new(&[keys::ESC], "cancel", Action::Back));
    v
}

/// React to an action.
pub fn action(m: &mut Model, a: Action) -> Vec<Effect> {
    let page = usize::from(m.size.1.saturating_sub(8).max(1));
    let Some(p) = state(m) else { return Vec::new() };
    // Without fields the cursor scrolls the explanation.
    let n = if p.unavailable.is_some() {
        20
    } else {
        p.matches.rows.len()
    };
    match a {
        Action::Up => p.cursor = p.cursor.saturating_sub(1),
        Action::Down => p.cursor = (p.cursor + 1).min(n.saturating_sub(1)),
        Action::PageUp => p.cursor = p.cursor.saturating_sub(page),
        Action::PageDown => p.cursor = (p.cursor + page).min(n.saturating_sub(1)),
        Action::Toggle => toggle(p),
        Action::Back => {
            m.modals.pop();
            return vec![Effect::Cancel(Slot::FieldFilter)];
        }
        Action::Activate => return confirm(m),
        Action::JumpToMatrix => {
            let check = p.unavailable.as_ref().and_then(|u| u.check);
            m.modals.pop();
            if m.checks.rows.is_empty() {
                m.error("Run the checks first: Esc, then go back to the Connect screen.");
                return Vec::new();
            }
            m.checks.return_to_editor = true;
            let effects = go(m, Screen::Checks);
            if let Some(id) = check {
                let rows = crate::wizard::screens::checks::visible_rows(m);
                if let Some(i) = rows.iter().position(|(r, _)| *r == id) {
                    m.checks.selected = i;
                }
            }
            m.info(
                "The selected row says which ACL to add. r re-runs the checks once it is fixed.",
            );
            return effects;
        }
        _ => {}
    }
    more_rows(p, page)
}

/// Ask for more of the best rows before the cursor reaches the last one the picker has
/// (the worker selects only as many as asked for).
fn more_rows(p: &mut PickerState, page: usize) -> Vec<Effect> {
    let have = p.matches.rows.len();
    if p.unavailable.is_some()
        || have >= p.matches.total
        || p.limit > have
        || p.cursor.saturating_add(page.saturating_mul(2)) < have
    {
        return Vec::new();
    }
    p.limit = have.saturating_mul(2).max(FIRST_ROWS);
    request(p)
}

fn toggle(p: &mut PickerState) {
    let Some(mat) = p.matches.rows.get(p.cursor) else {
        return;
    };
    let Some(field) = p.field(mat.index) else {
        return;
    };
    if let Some(pos) = p.selected.iter().position(|e| *e == field.element) {
        p.selected.remove(pos);
        p.note = None;
    } else if p.selected.len() >= MAX_ADDITIONAL_FIELDS {
        p.note = Some(format!(
            "At most {MAX_ADDITIONAL_FIELDS} additional fields: unselect one first."
        ));
        return;
    } else {
        p.selected.push(field.element.clone());
        p.note = None;
    }
    p.cursor = (p.cursor + 1).min(p.matches.rows.len().saturating_sub(1));
}

/// Typing into the query: it changes at once, its matches follow from the worker.
pub fn input_key(m: &mut Model, key: &KeyEvent) -> Vec<Effect> {
    if let Some(p) = state(m)
        && p.unavailable.is_none()
        && p.query.edit(key)
    {
        p.limit = FIRST_ROWS;
        return request(p);
    }
    Vec::new()
}

/// Paste into the query.
pub fn paste(m: &mut Model, text: &str) -> Vec<Effect> {
    if let Some(p) = state(m)
        && p.unavailable.is_none()
    {
        p.query.paste(text);
        p.limit = FIRST_ROWS;
        return request(p);
    }
    Vec::new()
}

/// Ask the worker for the current query's best `limit` rows. A blank query needs no
/// matching: it is answered here (and answers still on their way become stale).
fn request(p: &mut PickerState) -> Vec<Effect> {
    p.sent = p.sent.wrapping_add(1);
    let query = p.query.value();
    if query.chars().all(|c| c == ' ') {
        let matches = Matches::everything(query, p.candidates.len(), p.limit);
        show(p, p.sent, matches);
        return Vec::new();
    }
    vec![Effect::FilterFields(FilterRequest {
        picker: p.id,
        seq: p.sent,
        index: Arc::clone(&p.index),
        query: query.to_string(),
        limit: p.limit,
    })]
}

/// The filter's worker answered: show it unless a newer answer is shown already.
pub fn on_matches(m: &mut Model, a: FilterAnswer) -> Vec<Effect> {
    let picker = m.modals.iter_mut().rev().find_map(|modal| match modal {
        Modal::Picker(p) if p.id == a.picker => Some(p),
        _ => None,
    });
    if let Some(p) = picker {
        show(p, a.seq, a.matches);
    }
    Vec::new()
}

fn show(p: &mut PickerState, seq: u64, matches: Matches) {
    if seq <= p.shown {
        return;
    }
    p.shown = seq;
    if matches.query != p.matches.query {
        // A new query starts at its best match; more rows of the same query keep the cursor.
        p.highlight.set_query(&matches.query);
        p.cursor = 0;
    }
    p.matches = matches;
    p.cursor = p.cursor.min(p.matches.rows.len().saturating_sub(1));
}

/// Apply the selection to the editor, then ask for the new fields' values one by one.
fn confirm(m: &mut Model) -> Vec<Effect> {
    let Some(Modal::Picker(p)) = m.modals.pop() else {
        return Vec::new();
    };
    let mut effects = vec![Effect::Cancel(Slot::FieldFilter)];
    let Some(ed) = m.editor.as_mut() else {
        return effects;
    };
    let mut next: Vec<FieldEntry> = Vec::new();
    let mut added: Vec<String> = Vec::new();
    for element in &p.selected {
        if let Some(existing) = ed.additional.iter().find(|e| e.element == *element) {
            next.push(existing.clone());
        } else if let Some(f) = p.fields().find(|f| f.element == *element)
            && let Some(kind) = f.kind
        {
            next.push(FieldEntry::from_field(f, kind, false));
            added.push(element.clone());
        }
    }
    if next != ed.additional {
        m.unsaved = true;
    }
    ed.additional = next;
    ed.errors.clear();
    ed.value_queue = added;
    let n = ed.items().len();
    ed.focus = ed.focus.min(n.saturating_sub(1));
    effects.extend(open_next_value(m));
    effects
}

/// Open "Select a value" for the next picked field that has none.
pub fn open_next_value(m: &mut Model) -> Vec<Effect> {
    let Some(ed) = m.editor.as_mut() else {
        return Vec::new();
    };
    while !ed.value_queue.is_empty() {
        let element = ed.value_queue.remove(0);
        if let Some(i) = ed
            .additional
            .iter()
            .position(|e| e.element == element && e.value.is_none())
        {
            if let Some(pos) = ed
                .items()
                .iter()
                .position(|it| *it == crate::wizard::model::EditorItem::Additional(i))
            {
                ed.focus = pos;
            }
            return value::open(m, ValueTarget::Additional(i));
        }
    }
    Vec::new()
}

/// What the Type column says: what the user will enter. A choice field stored as a string or
/// integer says `Choice` (with the storage type, `String·choice`, when that fits in `width`);
/// everything else shows the type label from sys_glide_object.
fn type_column(field: &Field, width: usize) -> String {
    let label = crate::sanitize::line(&field.type_label).into_owned();
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

/// Draw the picker over `area`.
pub fn view(m: &Model, p: &PickerState, f: &mut Frame, area: Rect) {
    let t = m.theme;
    let inner = modal_frame(f, area, "Select Fields", t);
    if inner.height == 0 {
        return;
    }
    if let Some(u) = &p.unavailable {
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
            blocks.push(Block::text(crate::sanitize::line(&u.reason).into_owned()));
        }
        blocks.push(Block::text("The ACL matrix says exactly what the ServiceNow admin must change. Until then endpoints can still fill Short description and Description."));
        scrolled(f, inner, &blocks, u16::try_from(p.cursor).unwrap_or(0), t);
        return;
    }
    // Query line.
    let label = "Search: ";
    f.render_widget(
        Paragraph::new(Span::styled(label, t.strong())),
        Rect::new(inner.x, inner.y, inner.width, 1),
    );
    let qx = inner.x.saturating_add(8);
    p.query.render(
        f,
        Rect::new(qx, inner.y, inner.width.saturating_sub(8).min(40), 1),
        true,
        true,
        t,
    );
    // Counts.
    let counts = format!(
        "{} of {} fields match · {}/{} selected",
        p.matches.total,
        p.candidates.len(),
        p.selected.len(),
        MAX_ADDITIONAL_FIELDS
    );
    let mut y = inner.y.saturating_add(1);
    if y < inner.bottom() {
        let line = match &p.note {
            Some(n) => Line::from(Span::styled(n.clone(), t.warn())),
            None => Line::from(Span::styled(counts, t.dim())),
        };
        f.render_widget(Paragraph::new(line), Rect::new(inner.x, y, inner.width, 1));
        y = y.saturating_add(1);
    }
    let w = usize::from(inner.width);
    // Columns: [x] label element type table reference, narrower screens drop the last ones.
    let check_w = 5usize;
    let rest = w.saturating_sub(check_w);
    let (label_w, elem_w, type_w, table_w, ref_w) = if rest >= 84 {
        // Wide enough to say both what is stored and that it is a choice (`Integer·choice`).
        (20usize, 20usize, 15usize, 9usize, rest - 64)
    } else if rest >= 66 {
        (20, 20, 11, 9, rest - 60)
    } else if rest >= 48 {
        (17, 17, 11, 0, rest - 45)
    } else {
        (rest / 2, rest - rest / 2, 0, 0, 0)
    };
    if y < inner.bottom() && rest >= 48 {
        let mut head = format!(
            "{}{}{}{}",
            " ".repeat(check_w),
            pad("Label", label_w),
            pad("Element", elem_w),
            pad("Type", type_w)
        );
        if table_w > 0 {
            head.push_str(&pad("Table", table_w));
        }
        head.push_str(&pad("Reference", ref_w));
        f.render_widget(
            Paragraph::new(Span::styled(head, t.dim())),
            Rect::new(inner.x, y, inner.width, 1),
        );
        y = y.saturating_add(1);
    }
    let room = usize::from(inner.bottom().saturating_sub(y));
    let skip = (p.cursor + 1).saturating_sub(room);
    for (row, mat) in p.matches.rows.iter().enumerate().skip(skip).take(room) {
        let Some(field) = p.field(mat.index) else {
            continue;
        };
        let is_cursor = row == p.cursor;
        let base = if is_cursor { t.selected() } else { t.text() };
        let hit = t
            .matched()
            .patch(if is_cursor { t.selected() } else { t.text() })
            .patch(t.matched());
        let checked = p.selected.contains(&field.element);
        let mut spans = vec![Span::styled(
            format!(
                "{}[{}] ",
                if is_cursor { "▸" } else { " " },
                if checked { "x" } else { " " }
            ),
            base,
        )];
        let label = crate::sanitize::line(&field.label);
        let element = crate::sanitize::line(&field.element);
        let hits = p.highlight.hits(mat.index);
        spans.extend(highlight(
            &label,
            &hits.label,
            label_w.saturating_sub(1),
            base,
            hit,
        ));
        spans.push(Span::styled(" ", base));
        spans.extend(highlight(
            &element,
            &hits.element,
            elem_w.saturating_sub(1),
            base,
            hit,
        ));
        spans.push(Span::styled(" ", base));
        if type_w > 0 {
            spans.push(Span::styled(
                format!("{} ", pad(&type_column(field, type_w - 1), type_w - 1)),
                base,
            ));
        }
        if table_w > 0 {
            spans.push(Span::styled(
                format!(
                    "{} ",
                    pad(&crate::sanitize::line(&field.defined_on), table_w - 1)
                ),
                base,
            ));
        }
        if ref_w > 0 {
            let r = field
                .reference
                .as_deref()
                .map(|r| crate::sanitize::line(r).into_owned())
                .unwrap_or_default();
            spans.push(Span::styled(pad(&truncate(&r, ref_w), ref_w), base));
        }
        f.render_widget(
            Paragraph::new(Line::from(spans)),
            Rect::new(inner.x, y, inner.width, 1),
        );
        y = y.saturating_add(1);
    }
    if p.matches.total == 0 && y < inner.bottom() {
        f.render_widget(
            Paragraph::new(Span::styled(
                "No field matches; edit the search (Ctrl-U clears it).",
                t.dim(),
            )),
            Rect::new(inner.x, y, inner.width, 1),
        );
    }
}
