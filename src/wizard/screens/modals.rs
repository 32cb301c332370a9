//! The small modals: help, quit confirmation, yes/no questions, the draft offer, and the
//! full-width detail view of a matrix row or a failed test incident.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::wizard::draft::{draft_of, restore};
use crate::wizard::keymap::{Action, Binding, Key, Keymap, ends, keys};
use crate::wizard::model::{Confirm, ConfirmKind, Detail, DetailOf, Existing, Modal, Model};
use crate::wizard::msg::Effect;
use crate::wizard::screens::{checks, connect, editor, endpoints, review, welcome};
use crate::wizard::update::screen_keymap;
use crate::wizard::widgets::detail::{self, Move};
use crate::wizard::widgets::doc::{self, Block};
use crate::wizard::widgets::draw::{button, centered, modal_frame, scrolled};

/// Keys of a yes/no modal.
pub fn confirm_keymap() -> Keymap {
    vec![
        Binding::new(&[keys::ENTER], "choose", Action::Activate),
        Binding::new(&[keys::LEFT, keys::RIGHT], "switch", Action::Next).labelled("←→"),
        Binding::new(&[keys::TAB, keys::BACKTAB], "switch", Action::Next).hidden(),
        Binding::new(&[Key::ch('y')], "yes", Action::Yes).hidden(),
        Binding::new(&[Key::ch('n')], "no", Action::No).hidden(),
        Binding::new(&[keys::ESC], "cancel", Action::Back),
    ]
}

/// Keys of the draft offer.
pub fn draft_keymap() -> Keymap {
    vec![
        Binding::new(&[keys::ENTER], "choose", Action::Activate),
        Binding::new(&[keys::LEFT, keys::RIGHT], "switch", Action::Next).labelled("←→"),
        Binding::new(&[keys::TAB, keys::BACKTAB], "switch", Action::Next).hidden(),
        Binding::new(&[Key::ch('r')], "resume", Action::Yes),
        Binding::new(&[Key::ch('d')], "discard", Action::No),
        Binding::new(&[keys::ESC], "decide later", Action::Back),
    ]
}

/// Keys of the help modal.
pub fn help_keymap() -> Keymap {
    vec![
        Binding::new(
            &[keys::ESC, keys::ENTER, Key::ch('?'), keys::F1],
            "close",
            Action::Back,
        ),
        Binding::new(&[keys::DOWN, keys::PGDN], "scroll", Action::Down).labelled("↑↓"),
        Binding::new(&[keys::UP, keys::PGUP], "scroll up", Action::Up).hidden(),
    ]
}

/// Keys of the detail view: every way to move is in the footer (the document is the point).
pub fn detail_keymap() -> Keymap {
    let [home, end] = ends("top/end");
    vec![
        Binding::new(&[keys::ESC, keys::ENTER], "close", Action::Back),
        Binding::new(&[keys::DOWN, Key::ch('j')], "scroll", Action::Down).labelled("↑↓"),
        Binding::new(&[keys::UP, Key::ch('k')], "scroll", Action::Up).silent(),
        Binding::new(&[keys::PGDN, keys::SPACE], "page", Action::PageDown).labelled("PgUp/PgDn"),
        Binding::new(&[keys::PGUP], "page", Action::PageUp).silent(),
        home,
        end,
        Binding::new(&[Key::ch('y')], "copy", Action::CopyFix),
    ]
}

/// The title and document of a detail view.
fn detail_document(m: &Model, of: DetailOf) -> (String, Vec<Block>) {
    match of {
        DetailOf::Check(id) => checks::detail(m, id),
        DetailOf::TestIncident => review::test_detail(m),
    }
}

/// Where the detail view is drawn in `modal` (everything but the header and the footer): all
/// of it but the status line, which says what `y` did.
fn detail_in(m: &Model, modal: Rect) -> Rect {
    Rect {
        height: modal.height.saturating_sub(u16::from(m.status.is_some())),
        ..modal
    }
}

/// [`detail_in`] for the model's terminal size (to clamp scrolling in `update`).
fn detail_area(m: &Model) -> Rect {
    let modal = crate::wizard::layout::areas(Rect::new(0, 0, m.size.0, m.size.1), false).modal;
    detail_in(m, modal)
}

fn detail_action(m: &mut Model, d: Detail, a: Action) -> Vec<Effect> {
    let mv = match a {
        Action::Back => {
            m.modals.pop();
            return Vec::new();
        }
        Action::CopyFix => {
            return match d.of {
                DetailOf::Check(id) => checks::copy(m, id),
                DetailOf::TestIncident => review::copy_test_failure(m),
            };
        }
        Action::Up => Move::Up,
        Action::Down => Move::Down,
        Action::PageUp => Move::PageUp,
        Action::PageDown => Move::PageDown,
        Action::Home => Move::Home,
        Action::End => Move::End,
        _ => return Vec::new(),
    };
    let (_, blocks) = detail_document(m, d.of);
    let scroll = detail::apply(d.scroll, mv, &blocks, detail_area(m));
    if let Some(Modal::Detail(open)) = m.modals.last_mut() {
        open.scroll = scroll;
    }
    Vec::new()
}

/// Leave now, keeping a draft of what was entered.
pub fn quit_now(m: &mut Model) -> Vec<Effect> {
    m.quit = true;
    vec![Effect::SaveDraft(Box::new(draft_of(m)))]
}

/// React to an action in the top small modal.
pub fn action(m: &mut Model, a: Action) -> Vec<Effect> {
    match m.modals.last_mut() {
        Some(Modal::Detail(d)) => {
            let d = *d;
            detail_action(m, d, a)
        }
        Some(Modal::Help) => {
            match a {
                Action::Back => {
                    m.modals.pop();
                    m.help_scroll = 0;
                }
                Action::Down | Action::Up => {
                    let area = crate::wizard::layout::areas(
                        ratatui::layout::Rect::new(0, 0, m.size.0, m.size.1),
                        false,
                    )
                    .modal;
                    let w = area.width.min(64).saturating_sub(2);
                    let h = area.height.saturating_sub(2);
                    let max = crate::wizard::widgets::draw::max_scroll(&help_blocks(m), w, h);
                    m.help_scroll = if a == Action::Down {
                        m.help_scroll.saturating_add(3).min(max)
                    } else {
                        m.help_scroll.saturating_sub(3)
                    };
                }
                _ => {}
            }
            Vec::new()
        }
        Some(Modal::Draft { on_resume }) => match a {
            Action::Next | Action::Prev => {
                *on_resume = !*on_resume;
                Vec::new()
            }
            Action::Activate | Action::Yes | Action::No => {
                let resume = match a {
                    Action::Yes => true,
                    Action::No => false,
                    _ => *on_resume,
                };
                m.modals.pop();
                if let Some((d, _)) = m.draft.take() {
                    if resume {
                        if d.mode == crate::wizard::model::Mode::Edit
                            && let Some(cfg) = m.existing_config().cloned()
                        {
                            crate::wizard::screens::connect::fill_from_config(m, &cfg);
                        }
                        let said = restore(m, &d);
                        m.info(said);
                    } else {
                        m.info("Draft discarded.");
                        return vec![Effect::ClearDraft];
                    }
                }
                Vec::new()
            }
            Action::Back => {
                // Deciding later keeps the draft on disk.
                m.modals.pop();
                m.draft = None;
                Vec::new()
            }
            _ => Vec::new(),
        },
        Some(Modal::Confirm(c)) => match a {
            Action::Next | Action::Prev => {
                c.on_yes = !c.on_yes;
                Vec::new()
            }
            Action::Back | Action::No => {
                m.modals.pop();
                Vec::new()
            }
            Action::Yes | Action::Activate => {
                let yes = a == Action::Yes || c.on_yes;
                let kind = c.kind;
                m.modals.pop();
                if yes { confirmed(m, kind) } else { Vec::new() }
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The question Ctrl-C asks when something is unsaved.
pub fn quit_confirm() -> Confirm {
    Confirm {
        kind: ConfirmKind::Quit,
        title: "Quit without saving?".into(),
        body: vec!["What you entered (without secrets) is kept as a draft and offered the next time you start snow-connect.".into()],
        yes: "Quit",
        no: "Stay",
        on_yes: false,
    }
}

fn confirmed(m: &mut Model, kind: ConfirmKind) -> Vec<Effect> {
    match kind {
        ConfirmKind::Quit => quit_now(m),
        ConfirmKind::Remove => {
            m.info("Removing…");
            vec![Effect::RemoveConfig {
                path: m.config_path.clone(),
            }]
        }
        ConfirmKind::Replace => welcome::start_replace(m),
        ConfirmKind::ContinueAnyway => checks::proceed(m),
        ConfirmKind::DeleteEndpoint(i) => endpoints::delete(m, i),
        ConfirmKind::DiscardEndpoint => editor::close(m),
        ConfirmKind::ReplaceOnSave => review::save(m, true),
        ConfirmKind::OverwriteChanged => {
            m.review.overwrite = true;
            review::save(m, false)
        }
        ConfirmKind::SaveInvalid => review::save_invalid(m),
        ConfirmKind::SendTestIncident => review::send_test_confirmed(m),
        ConfirmKind::ResendRejectedLogin => connect::resend_confirmed(m),
    }
}

/// The removal finished.
pub fn on_removed(m: &mut Model, result: Result<(), String>) {
    match result {
        Ok(()) => {
            m.existing = Existing::None;
            m.welcome_focus = 0;
            m.endpoints = Default::default();
            m.info(format!(
                "Removed {}: the integration and its endpoints are gone.",
                m.config_path.display()
            ));
        }
        Err(e) => m.error(format!("Not removed: {}", crate::sanitize::line(&e))),
    }
}

/// A dialog sized to its text: body on top (cut when the terminal is short), the buttons
/// always on the last row.
fn dialog(
    f: &mut Frame,
    area: Rect,
    title: &str,
    body: &[Block],
    buttons: Option<Line<'static>>,
    max_w: u16,
    t: crate::wizard::theme::Theme,
) {
    let w = max_w.min(area.width);
    let inner_w = usize::from(w.saturating_sub(2));
    let lines = doc::wrap(body, inner_w);
    let extra: u16 = if buttons.is_some() { 2 } else { 0 };
    let h = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(extra)
        .saturating_add(2)
        .min(area.height);
    let r = centered(area, w, h);
    let inner = modal_frame(f, r, title, t);
    let body_h = inner.height.saturating_sub(extra);
    let cut = lines.len() > usize::from(body_h);
    let mut shown: Vec<Line<'static>> = lines.into_iter().take(usize::from(body_h)).collect();
    if cut && let Some(last) = shown.last_mut() {
        *last = Line::from(Span::styled(
            "… (make the terminal taller to read all)",
            t.dim(),
        ));
    }
    f.render_widget(
        Paragraph::new(shown),
        Rect {
            height: body_h,
            ..inner
        },
    );
    if let Some(b) = buttons {
        f.render_widget(
            Paragraph::new(b),
            Rect::new(
                inner.x,
                inner.bottom().saturating_sub(1),
                inner.width,
                1.min(inner.height),
            ),
        );
    }
}

/// The help text for the current screen.
fn help_blocks(m: &Model) -> Vec<Block> {
    let t = m.theme;
    let mut v = vec![Block::styled("Keys on this screen", t.strong())];
    for b in screen_keymap(m).into_iter().filter(|b| b.help) {
        v.push(Block::item(
            2,
            format!("{:<11} ", b.key_label()),
            vec![Span::raw(b.hint)],
        ));
    }
    v.push(Block::Blank);
    v.push(Block::text("Letters typed into a field never trigger shortcuts; there, F1 opens help. Pasting works in every field. Ctrl-C quits and asks first when something is unsaved; what you entered, without secrets, is kept as a draft."));
    v
}

/// Draw the top small modal.
pub fn view(m: &Model, modal: &Modal, f: &mut Frame, area: Rect) {
    let t = m.theme;
    match modal {
        Modal::Help => {
            let r = centered(area, 64, area.height);
            let inner = modal_frame(f, r, "Help", t);
            scrolled(f, inner, &help_blocks(m), m.help_scroll, t);
        }
        Modal::Draft { on_resume } => {
            let when = m
                .draft
                .as_ref()
                .map(|(_, at)| format_time(*at))
                .unwrap_or_default();
            let what = m
                .draft
                .as_ref()
                .map(|(d, _)| {
                    let inst = if d.instance_url.is_empty() {
                        "no instance yet".to_string()
                    } else {
                        crate::sanitize::line(&d.instance_url).into_owned()
                    };
                    format!("{inst}, {} endpoint(s)", d.endpoints.len())
                })
                .unwrap_or_default();
            let body = vec![
                Block::text(format!("A draft from {when} was found: {what}.")),
                Block::text(if m.demo {
                    "Resume it? Secrets are never stored in drafts; the demo fills them in again."
                } else {
                    "Resume it? Secrets are never stored in drafts: you type them again."
                }),
            ];
            let buttons = Line::from(vec![
                button("Resume", *on_resume, t),
                Span::raw(" "),
                button("Discard", !*on_resume, t),
            ]);
            dialog(
                f,
                area,
                "Unfinished setup found",
                &body,
                Some(buttons),
                60,
                t,
            );
        }
        Modal::Confirm(c) => {
            // Paragraphs are spaced; indented lines (`  field = value`) form one list whose
            // lines hang under their text.
            let mut body = Vec::new();
            let mut listing = false;
            for (i, p) in c.body.iter().enumerate() {
                let item = p.starts_with("  ");
                if i > 0 && !(item && listing) {
                    body.push(Block::Blank);
                }
                listing = item;
                if item {
                    let text = p.trim_start();
                    let lead = " ".repeat(p.len().saturating_sub(text.len()));
                    body.push(Block::item(0, lead, vec![Span::raw(text.to_string())]));
                } else {
                    body.push(Block::text(p.clone()));
                }
            }
            let buttons = Line::from(vec![
                button(c.yes, c.on_yes, t),
                Span::raw(" "),
                button(c.no, !c.on_yes, t),
            ]);
            dialog(f, area, &c.title, &body, Some(buttons), 62, t);
        }
        Modal::Detail(d) => {
            let (title, blocks) = detail_document(m, d.of);
            detail::render(f, detail_in(m, area), &title, &blocks, d.scroll, t);
        }
        Modal::Picker(_) | Modal::Value(_) => {}
    }
}

/// `2025-01-31 14:05 UTC` for a Unix time.
fn format_time(unix: u64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    i64::try_from(unix)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|d| d.format(&fmt).ok())
        .unwrap_or_else(|| "an earlier session".into())
}
