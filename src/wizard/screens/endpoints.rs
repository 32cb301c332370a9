//! Step 4, Endpoints: the list (an integration is unusable without one); add, edit,
//! delete (confirmed); then on to review.

use crate::sanitize::SafeText;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{HighlightSpacing, List, ListItem, ListState, Paragraph, Wrap};

use crate::config::Endpoint;
use crate::dictionary::EndpointCheck;
use crate::wizard::component::{Component, Reply, Request, no_text_input};
use crate::wizard::context::Context;
use crate::wizard::keymap::{Action, Binding, Key, Keymap, keys};
use crate::wizard::model::Screen;
use crate::wizard::popups::{Confirm, ConfirmKind};
use crate::wizard::widgets::draw::{pad, truncate};

/// `endpoint` checked against the discovered dictionary by the validation `send` and `check`
/// use (without reference lookups: the wizard's references come from its live search).
/// `None` until a dictionary was read.
pub fn verdict(cx: &Context, endpoint: &Endpoint) -> Option<EndpointCheck> {
    cx.dict()
        .map(|d| crate::incident::validate_offline(endpoint, d))
}

/// The endpoints that are invalid, with their verdicts.
pub fn invalid(cx: &Context) -> Vec<EndpointCheck> {
    cx.endpoints
        .iter()
        .filter_map(|e| verdict(cx, e))
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
    format!("✗ invalid: {}", SafeText::line(&fields.join(", ")))
}

/// The rows of the list: the endpoints, then two actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    Endpoint(usize),
    Add,
    Continue,
}

/// The Endpoints screen.
#[derive(Debug, Default)]
pub struct Endpoints {
    /// Selected row: an endpoint's index, `len` for "Add", `len + 1` for "Continue".
    selected: usize,
}

impl Endpoints {
    fn item(&self, cx: &Context) -> Item {
        let n = cx.endpoints.len();
        match self.selected {
            s if s < n => Item::Endpoint(s),
            s if s == n => Item::Add,
            _ => Item::Continue,
        }
    }

    /// Select endpoint `i` (after it was saved from the editor).
    pub fn select(&mut self, i: usize) {
        self.selected = i;
    }

    /// Back to the first row (a new list was loaded).
    pub fn reset(&mut self) {
        self.selected = 0;
    }

    /// Delete endpoint `i` (confirmed).
    pub fn delete(&mut self, i: usize, cx: &mut Context) -> Reply {
        if i >= cx.endpoints.len() {
            return Reply::none();
        }
        let e = cx.endpoints.remove(i);
        cx.unsaved = true;
        self.selected = self.selected.min(cx.endpoints.len());
        cx.info(format!("Deleted \"{}\".", SafeText::line(&e.name)));
        Reply::request(Request::SaveDraft)
    }

    fn continue_on(&mut self, cx: &mut Context) -> Reply {
        if cx.endpoints.is_empty() {
            cx.error("Add at least one endpoint: the integration cannot be used without one.");
            self.selected = 0;
            return Reply::none();
        }
        Reply::go(Screen::Review).and(Request::SaveDraft)
    }

    fn ask_delete(&self, i: usize, cx: &Context) -> Reply {
        let Some(e) = cx.endpoints.get(i) else {
            return Reply::none();
        };
        Reply::open(Confirm::new(
            ConfirmKind::DeleteEndpoint(i),
            "Delete the endpoint?",
            vec![format!(
                "\"{}\" and its {} field(s) are removed from the integration when you save.",
                SafeText::line(&e.name),
                e.fields.len()
            )],
            "Delete",
            "Cancel",
        ))
    }
}

impl Component for Endpoints {
    fn bindings(&self, cx: &Context) -> Keymap {
        let item = self.item(cx);
        let enter = match item {
            Item::Endpoint(_) => "edit",
            Item::Add => "add",
            Item::Continue => "continue",
        };
        let mut v = vec![
            Binding::new(&[keys::ENTER], enter, Action::Activate),
            Binding::new(&[keys::DOWN], "select", Action::Down).labelled("↑↓"),
            Binding::new(&[keys::UP, keys::BACKTAB], "previous", Action::Up).hidden(),
            Binding::new(&[keys::TAB], "next", Action::Down).hidden(),
            Binding::new(&[Key::ch('a')], "add", Action::Add),
        ];
        if matches!(item, Item::Endpoint(_)) {
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

    fn action(&mut self, a: Action, cx: &mut Context) -> Reply {
        let last = cx.endpoints.len() + 1;
        match a {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::Add => return Reply::request(Request::EditEndpoint(None)),
            Action::Activate => {
                return match self.item(cx) {
                    Item::Endpoint(i) => Reply::request(Request::EditEndpoint(Some(i))),
                    Item::Add => Reply::request(Request::EditEndpoint(None)),
                    Item::Continue => self.continue_on(cx),
                };
            }
            Action::Delete => {
                if let Item::Endpoint(i) = self.item(cx) {
                    return self.ask_delete(i, cx);
                }
            }
            Action::Continue => return self.continue_on(cx),
            Action::Back => return Reply::go(Screen::Checks),
            _ => {}
        }
        Reply::none()
    }

    no_text_input!();

    fn view(&self, f: &mut Frame, area: Rect, cx: &Context) {
        let t = cx.theme;
        let intro_h: u16 = if area.width >= 60 && area.height > 14 {
            2
        } else {
            0
        };
        let [heading, intro, _, list, empty] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(intro_h),
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(if cx.endpoints.is_empty() { 2 } else { 0 }),
        ])
        .areas(area);
        f.render_widget(
            Paragraph::new(Span::styled(
                "4. ServiceNow Incident Endpoints",
                t.heading(),
            )),
            heading,
        );
        f.render_widget(
            Paragraph::new(Span::styled(
                "An endpoint decides which incident fields an alert fills in. The integration cannot be used without at least one.",
                t.dim(),
            ))
            .wrap(Wrap { trim: true }),
            intro,
        );
        let name_w = (usize::from(area.width) / 2).clamp(10, 30);
        let detail_w = usize::from(list.width).saturating_sub(name_w + 3);
        let mut items: Vec<ListItem> = cx
            .endpoints
            .iter()
            .map(|e| {
                let extra = e.fields.iter().filter(|f| !f.mandatory).count();
                let mand = e.fields.len() - extra;
                let detail = if mand > 0 {
                    format!("{extra} additional, {mand} mandatory field(s)")
                } else {
                    format!("{extra} additional field(s)")
                };
                // State by glyph and word, colour only on top.
                let (detail, style) = match verdict(cx, e) {
                    Some(v) if !v.ok => (invalid_summary(&v), t.error()),
                    _ => (detail, t.dim()),
                };
                ListItem::new(Line::from(vec![
                    Span::styled(pad(&SafeText::line(&e.name), name_w), t.strong()),
                    Span::raw(" "),
                    Span::styled(truncate(&detail, detail_w), style),
                ]))
            })
            .collect();
        items.push(ListItem::new("+ Add an endpoint"));
        items.push(ListItem::new("Continue to Review & save ›"));
        let list_widget = List::new(items)
            .highlight_style(t.selected())
            .highlight_symbol(Line::from("▸ "))
            .highlight_spacing(HighlightSpacing::Always);
        let mut state = ListState::default().with_selected(Some(self.selected));
        f.render_stateful_widget(list_widget, list, &mut state);
        if cx.endpoints.is_empty() {
            f.render_widget(
                Paragraph::new(vec![
                    Line::default(),
                    Line::from(Span::styled("No endpoints yet: add one.", t.warn())),
                ]),
                empty,
            );
        }
    }
}
