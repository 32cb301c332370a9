//! `update`: the pure state machine. A key goes to the active keymap (the top popup's, else
//! the screen's, plus help and quit); a key no binding claims goes into the focused text
//! field, so letters typed into a field never trigger shortcuts. What a component replies is
//! carried out here, in order: navigation, requests that belong to another component, and
//! effects for the runner. Messages from the runner are routed to the component they are
//! about.

use crate::sanitize::SafeText;
use crossterm::event::{KeyEvent, KeyEventKind};

use crate::wizard::component::{Component, Reply, Request};
use crate::wizard::context::Context;
use crate::wizard::draft::{draft_of, restore};
use crate::wizard::keymap::{Action, Binding, Key, Keymap, keys, lookup};
use crate::wizard::model::{Existing, Mode, Model, Screen};
use crate::wizard::msg::{Effect, Msg, Slot};
use crate::wizard::popups::{Confirm, ConfirmKind, Help, Popup};
use crate::wizard::screens::checks;
use crate::wizard::screens::connect::Connect;
use crate::wizard::screens::editor::Editor;

/// Apply one message; returns the I/O to perform.
pub fn update(m: &mut Model, msg: Msg) -> Vec<Effect> {
    m.cx.mark_status();
    let effects = on_msg(m, msg);
    m.refresh_keymap();
    effects
}

fn on_msg(m: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(k) => on_key(m, &k),
        Msg::Paste(text) => on_paste(m, &text),
        Msg::Resize(w, h) => {
            m.cx.size = (w, h);
            Vec::new()
        }
        Msg::Tick => {
            m.cx.spinner = m.cx.spinner.wrapping_add(1);
            Vec::new()
        }
        Msg::Check { run, event } => {
            checks::on_event(&mut m.cx, run, event);
            Vec::new()
        }
        Msg::ChecksDone { run, outcome } => {
            let current = run == m.cx.checks.run;
            let warning = m.screens.connect.note_login(current, &outcome);
            m.screens.checks.on_done(&mut m.cx, run, *outcome);
            if let Some(c) = warning {
                m.popups.push(Popup::Confirm(c));
            }
            if m.screen == Screen::Editor
                && let Some(ed) = m.screens.editor.as_mut()
            {
                ed.refresh_mandatory(&m.cx);
            }
            Vec::new()
        }
        Msg::References { seq, result } => {
            if let Some(Popup::Value(v)) = m.popups.last_mut() {
                v.on_results(seq, result);
            }
            Vec::new()
        }
        Msg::FieldMatches(answer) => {
            for p in m.popups.iter_mut().rev() {
                if let Popup::Picker(p) = p {
                    p.on_matches(answer);
                    break;
                }
            }
            Vec::new()
        }
        Msg::ReportSaved(r) => {
            match r {
                Ok(p) => m.cx.info(format!(
                    "Report for the ServiceNow admin saved to {}",
                    p.display()
                )),
                Err(e) => m.cx.error(format!("Report not saved: {e}")),
            }
            Vec::new()
        }
        Msg::Saved(r) => {
            let reply = m.screens.review.on_saved(r, &mut m.cx);
            apply(m, reply)
        }
        Msg::Removed(r) => {
            match r {
                Ok(()) => {
                    m.cx.existing = Existing::None;
                    m.cx.endpoints.clear();
                    m.screens.welcome.removed();
                    m.screens.endpoints.reset();
                    m.cx.info(format!(
                        "Removed {}: the integration and its endpoints are gone.",
                        m.cx.config_path.display()
                    ));
                }
                Err(e) => m.cx.error(format!("Not removed: {}", SafeText::line(&e))),
            }
            Vec::new()
        }
        Msg::TestIncident(r) => {
            m.screens.review.on_test(r, &mut m.cx);
            Vec::new()
        }
        Msg::TestIncidentWaiting(text) => {
            m.screens.review.on_test_waiting(&text, &mut m.cx);
            Vec::new()
        }
        Msg::TaskFailed(e) => {
            // A failed task must not leave a spinner running forever.
            m.cx.checks.running = false;
            let review = &mut m.screens.review;
            review.saving = false;
            if review.test == crate::wizard::screens::review::TestState::Running {
                review.test =
                    crate::wizard::screens::review::TestState::Done(Err(e.clone().into()));
            }
            m.cx.error(format!("Internal error (logged): {e}"));
            Vec::new()
        }
    }
}

/// Whether keys currently go into a text field (then `?` types a question mark and only F1
/// opens help).
pub fn typing(m: &Model) -> bool {
    if let Some(p) = m.top() {
        return p.component().typing();
    }
    m.screen_component().is_some_and(|c| c.typing())
}

fn global(m: &Model) -> Vec<Binding> {
    let help = if typing(m) {
        Binding::new(&[keys::F1], "help", Action::Help)
    } else {
        Binding::new(&[Key::ch('?'), keys::F1], "help", Action::Help)
    };
    vec![help, Binding::new(&[keys::CTRL_C], "quit", Action::Quit)]
}

/// The current screen's bindings (ignoring popups), globals included.
pub fn screen_keymap(m: &Model) -> Keymap {
    let mut k = m
        .screen_component()
        .map(|c| c.bindings(&m.cx))
        .unwrap_or_default();
    k.extend(global(m));
    k
}

/// The bindings that handle keys now (top popup, else the screen). Made once per change
/// ([`Model::keymap`]), not per key or frame.
pub fn active_keymap(m: &Model) -> Keymap {
    let Some(p) = m.top() else {
        return screen_keymap(m);
    };
    let mut k = p.component().bindings(&m.cx);
    k.push(Binding::new(&[keys::CTRL_C], "quit", Action::Quit));
    k
}

fn on_key(m: &mut Model, k: &KeyEvent) -> Vec<Effect> {
    if k.kind == KeyEventKind::Release {
        return Vec::new();
    }
    if let Some(a) = lookup(m.keymap(), k) {
        return dispatch(m, a);
    }
    // No binding: the key belongs to the focused text field, if there is one.
    let reply = match m.popup_component_mut() {
        Some((c, cx)) => edit(c, cx, |f| f.edit(k)),
        None => match m.screen_component_mut() {
            Some((c, cx)) => edit(c, cx, |f| f.edit(k)),
            None => Reply::none(),
        },
    };
    apply(m, reply)
}

fn on_paste(m: &mut Model, text: &str) -> Vec<Effect> {
    let paste = |f: &mut crate::wizard::widgets::text_field::TextField| {
        f.paste(text);
        true
    };
    let reply = match m.popup_component_mut() {
        Some((c, cx)) => edit(c, cx, paste),
        None => match m.screen_component_mut() {
            Some((c, cx)) => edit(c, cx, paste),
            None => Reply::none(),
        },
    };
    apply(m, reply)
}

/// Change the component's focused text field with `change`; tell it when that changed it.
fn edit(
    c: &mut dyn Component,
    cx: &mut Context,
    change: impl FnOnce(&mut crate::wizard::widgets::text_field::TextField) -> bool,
) -> Reply {
    let changed = c.input().is_some_and(change);
    if changed { c.edited(cx) } else { Reply::none() }
}

fn dispatch(m: &mut Model, a: Action) -> Vec<Effect> {
    match a {
        Action::Quit => return request_quit(m),
        Action::Help => {
            if !matches!(m.top(), Some(Popup::Help(_))) {
                let help = Help::new(&screen_keymap(m));
                m.popups.push(Popup::Help(help));
            }
            return Vec::new();
        }
        _ => {}
    }
    let reply = match m.popup_component_mut() {
        Some((c, cx)) => c.action(a, cx),
        None => match m.screen_component_mut() {
            Some((c, cx)) => c.action(a, cx),
            None => Reply::none(),
        },
    };
    apply(m, reply)
}

/// Carry out a reply: its effects first, then its requests in order (which may add more).
pub fn apply(m: &mut Model, reply: Reply) -> Vec<Effect> {
    let mut effects = reply.effects;
    for r in reply.requests {
        effects.extend(request(m, r));
    }
    effects
}

/// Carry out one request.
pub fn request(m: &mut Model, r: Request) -> Vec<Effect> {
    match r {
        Request::Go(s) => go(m, s),
        Request::Open(p) => {
            m.popups.push(p);
            Vec::new()
        }
        Request::Close => {
            m.popups.pop();
            Vec::new()
        }
        Request::Quit => request_quit(m),
        Request::QuitNow => quit_now(m),
        Request::SaveDraft => vec![Effect::SaveDraft(Box::new(draft_of(m)))],
        Request::Confirmed(kind) => confirmed(m, kind),
        Request::EditConfig => edit_config(m),
        Request::StartReplace => {
            m.cx.mode = Mode::Replace;
            m.cx.endpoints.clear();
            m.screens.endpoints.reset();
            m.screens.connect = Connect::default();
            m.cx.unsaved = true;
            go(m, Screen::ChooseUser)
        }
        Request::ResumeDraft(d) => {
            if d.mode == Mode::Edit
                && let Some(cfg) = m.cx.existing_config().cloned()
            {
                fill_from_config(m, &cfg);
            }
            let said = restore(m, &d);
            m.cx.info(said);
            Vec::new()
        }
        Request::DiscardDraft => {
            m.cx.info("Draft discarded.");
            vec![Effect::ClearDraft]
        }
        Request::StartChecks { resend } => {
            let reply = m.screens.connect.start_checks(&mut m.cx, resend);
            if m.cx.checks.running {
                m.screens.checks.started();
            }
            apply(m, reply)
        }
        Request::EditEndpoint(i) => {
            m.screens.editor = Some(Editor::open(i, &m.cx));
            go(m, Screen::Editor)
        }
        Request::CloseEditor { select } => {
            m.screens.editor = None;
            let effects = go(m, Screen::Endpoints);
            if let Some(i) = select {
                m.screens.endpoints.select(i);
            }
            effects
        }
        Request::FieldsPicked(selected) => match m.screens.editor.as_mut() {
            Some(ed) => {
                let reply = ed.apply_picked(selected, &mut m.cx);
                apply(m, reply)
            }
            None => Vec::new(),
        },
        Request::ValueChosen(target, value) => match m.screens.editor.as_mut() {
            Some(ed) => {
                ed.set_value(target, value, &mut m.cx);
                let reply = ed.open_next_value(&mut m.cx);
                apply(m, reply)
            }
            None => Vec::new(),
        },
        Request::ValueCancelled => {
            if let Some(ed) = m.screens.editor.as_mut() {
                ed.value_cancelled();
            }
            Vec::new()
        }
        Request::ShowCheck(check) => show_check(m, check),
        Request::SaveReport => {
            let reply = crate::wizard::screens::checks::save_report(&mut m.cx);
            apply(m, reply)
        }
    }
}

/// The user answered yes: the screen that asked carries it out.
fn confirmed(m: &mut Model, kind: ConfirmKind) -> Vec<Effect> {
    let reply = match kind {
        ConfirmKind::Quit => return quit_now(m),
        ConfirmKind::Remove => m.screens.welcome.remove_confirmed(&mut m.cx),
        ConfirmKind::Replace => Reply::request(Request::StartReplace),
        ConfirmKind::ContinueAnyway => m.screens.checks.proceed(),
        ConfirmKind::DeleteEndpoint(i) => m.screens.endpoints.delete(i, &mut m.cx),
        ConfirmKind::DiscardEndpoint => Reply::request(Request::CloseEditor { select: None }),
        ConfirmKind::ReplaceOnSave => m.screens.review.save(&mut m.cx, true),
        ConfirmKind::OverwriteChanged => m.screens.review.overwrite_confirmed(&mut m.cx),
        ConfirmKind::SaveInvalid => m.screens.review.save_invalid(&mut m.cx),
        ConfirmKind::SendTestIncident => m.screens.review.send_test_confirmed(&m.cx),
        ConfirmKind::ResendRejectedLogin => Reply::request(Request::StartChecks { resend: true }),
        ConfirmKind::RetryWhileRateLimited => {
            Reply::request(Request::StartChecks { resend: false })
        }
    };
    apply(m, reply)
}

/// Fill every screen that shows part of a saved config from it (editing it).
fn fill_from_config(m: &mut Model, cfg: &crate::config::Config) {
    m.screens.connect.fill_from_config(cfg);
    m.screens.review.fill_from_config(cfg);
    m.cx.endpoints = cfg.endpoints.clone();
    m.screens.endpoints.reset();
}

fn edit_config(m: &mut Model) -> Vec<Effect> {
    let Some(cfg) = m.cx.existing_config().cloned() else {
        return Vec::new();
    };
    m.cx.mode = Mode::Edit;
    fill_from_config(m, &cfg);
    let stale = m.screens.connect.use_running_demo();
    let effects = go(m, Screen::Connect);
    match stale {
        Some(saved) => m.cx.info(format!(
            "The saved demo instance ({}) stopped with its wizard: the form uses this run's \
             simulator. Connect re-runs the checks.",
            crate::sanitize::SafeText::line(&saved)
        )),
        None => m.cx.info(
            "Editing the saved integration: check the values, then Connect to re-run the checks.",
        ),
    }
    effects
}

/// Open the ACL matrix from the picker's explanation, on the row of `check`.
fn show_check(m: &mut Model, check: Option<crate::diagnose::CheckId>) -> Vec<Effect> {
    if m.cx.checks.rows.is_empty() {
        m.cx.error("Run the checks first: Esc, then go back to the Connect screen.");
        return Vec::new();
    }
    let effects = go(m, Screen::Checks);
    m.screens.checks.show(&m.cx, check);
    let missing_acl = check
        .and_then(|id| m.cx.checks.result(id))
        .is_some_and(|r| r.cause == Some(crate::diagnose::CauseId::MissingAcl));
    m.cx.info(if missing_acl {
        "The selected row says which ACL to add. r re-runs the checks once it is fixed."
    } else {
        "The selected row says why the dictionary could not be read. r re-runs the checks."
    });
    effects
}

/// Ctrl-C (or Quit): leave at once when nothing is unsaved; otherwise ask, and a second
/// Ctrl-C while asking leaves.
pub fn request_quit(m: &mut Model) -> Vec<Effect> {
    if !m.cx.unsaved {
        m.quit = true;
        return Vec::new();
    }
    if let Some(Popup::Confirm(c)) = m.top()
        && c.kind == ConfirmKind::Quit
    {
        m.popups.pop();
        return quit_now(m);
    }
    m.popups.push(Popup::Confirm(Confirm::quit()));
    Vec::new()
}

/// Leave now, keeping a draft of what was entered.
fn quit_now(m: &mut Model) -> Vec<Effect> {
    m.quit = true;
    vec![Effect::SaveDraft(Box::new(draft_of(m)))]
}

/// Switch screens. Leaving a screen cancels its work.
pub fn go(m: &mut Model, to: Screen) -> Vec<Effect> {
    let mut effects = Vec::new();
    if to == m.screen {
        return effects;
    }
    if m.screen == Screen::Checks && m.cx.checks.running {
        m.cx.checks.running = false;
        // Messages of the abandoned run are ignored from now on.
        m.cx.checks.run = m.cx.checks.run.wrapping_add(1);
        effects.push(Effect::Cancel(Slot::Checks));
    }
    match m.screen {
        Screen::Review => effects.extend(m.screens.review.leave()),
        Screen::Connect => m.screens.connect.hide(),
        _ => {}
    }
    match to {
        Screen::Welcome => m.screens.welcome.reset(),
        Screen::ChooseUser => m.screens.choose_user.reset(),
        Screen::OAuthApp => m.screens.oauth.reset(),
        Screen::Review => m.screens.review.enter(m.screens.connect.form.input()),
        // The dictionary may have arrived since the editor opened.
        Screen::Editor => {
            if let Some(ed) = m.screens.editor.as_mut() {
                ed.refresh_mandatory(&m.cx);
            }
        }
        _ => {}
    }
    m.cx.clear_stale_status();
    m.screen = to;
    effects
}
