//! The small modals: help, quit confirmation, yes/no questions and the draft offer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::wizard::draft::{draft_of, restore};
use crate::wizard::keymap::{Action, Binding, Keymap, Key, keys};
use crate::wizard::model::{Confirm, ConfirmKind, Existing, Modal, Model};
use crate::wizard::msg::Effect;
use crate::wizard::screens::{checks, editor, endpoints, review, welcome};
use crate::wizard::update::screen_keymap;
use crate::wizard::widgets::draw::{button, centered, modal_frame};

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
    vec![Binding::new(&[keys::ESC, keys::ENTER, Key::ch('?'), keys::F1], "close", Action::Back)]
}

/// Leave now, keeping a draft of what was entered.
pub fn quit_now(m: &mut Model) -> Vec<Effect> {
    m.quit = true;
    vec![Effect::SaveDraft(Box::new(draft_of(m)))]
}

/// React to an action in the top small modal.
pub fn action(m: &mut Model, a: Action) -> Vec<Effect> {
    match m.modals.last_mut() {
        Some(Modal::Help) => {
            if a == Action::Back {
                m.modals.pop();
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
                        restore(m, &d);
                        m.info("Draft restored: type the Client Secret and Password again, then Connect.");
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

/// Draw the top small modal.
pub fn view(m: &Model, modal: &Modal, f: &mut Frame, area: Rect) {
    let t = m.theme;
    match modal {
        Modal::Help => {
            let r = centered(area, 64, 22);
            let inner = modal_frame(f, r, "Help", t);
            let mut lines = vec![
                Line::from(Span::styled("Keys on this screen", t.strong())),
            ];
            for b in screen_keymap(m) {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {:<14}", b.key_label()), t.strong()),
                    Span::raw(b.hint),
                ]));
            }
            lines.push(Line::from(""));
            lines.push(Line::from("Letters typed into a field never trigger shortcuts; use F1 for help there. Paste works in every field. Ctrl-C quits (asks first when something is unsaved; what you typed, without secrets, is kept as a draft)."));
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        }
        Modal::Draft { on_resume } => {
            let r = centered(area, 60, 10);
            let inner = modal_frame(f, r, "Unfinished setup found", t);
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
            let lines = vec![
                Line::from(format!("A draft from {when} was found: {what}.")),
                Line::from("Resume it? Secrets are never stored in drafts: you type them again."),
                Line::from(""),
                Line::from(vec![
                    button("Resume", *on_resume, t),
                    Span::raw(" "),
                    button("Discard", !*on_resume, t),
                ]),
            ];
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        }
        Modal::Confirm(c) => {
            let r = centered(area, 62, 12);
            let inner = modal_frame(f, r, &c.title, t);
            let mut lines: Vec<Line> = Vec::new();
            for p in &c.body {
                lines.push(Line::from(p.clone()));
                lines.push(Line::from(""));
            }
            lines.push(Line::from(vec![
                button(c.yes, c.on_yes, t),
                Span::raw(" "),
                button(c.no, !c.on_yes, t),
            ]));
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        }
        Modal::Picker(_) | Modal::Value(_) => {}
    }
}

/// `2025-01-31 14:05 UTC` for a Unix time.
pub fn format_time(unix: u64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    i64::try_from(unix)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|d| d.format(&fmt).ok())
        .unwrap_or_else(|| "an earlier session".into())
}
