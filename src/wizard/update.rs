//! `update`: the pure state machine. Keys go through the active keymap (top modal first,
//! then the screen); keys no binding claims go into the focused text field, so letters typed
//! into a field never trigger shortcuts.

use crossterm::event::{KeyEvent, KeyEventKind};

use crate::wizard::keymap::{Action, Binding, Key, Keymap, keys, lookup};
use crate::wizard::model::{ConfirmKind, Modal, Model, Screen};
use crate::wizard::msg::{Effect, Msg, Slot};
use crate::wizard::screens::{
    checks, connect, editor, endpoints, guide, modals, picker, review, value, welcome,
};

/// Apply one message; returns the I/O to perform.
pub fn update(m: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(k) => on_key(m, &k),
        Msg::Paste(text) => on_paste(m, &text),
        Msg::Resize(w, h) => {
            m.size = (w, h);
            guide::scroll(m, 0);
            Vec::new()
        }
        Msg::Tick => {
            m.spinner = m.spinner.wrapping_add(1);
            Vec::new()
        }
        Msg::Check { run, event } => {
            checks::on_event(m, run, event);
            Vec::new()
        }
        Msg::ChecksDone { run, outcome } => {
            let held_back = connect::note_login(m, run, &outcome);
            checks::on_done(m, run, *outcome);
            if held_back {
                connect::open_lockout_warning(m);
            }
            if m.screen == Screen::Editor {
                editor::refresh_mandatory(m);
            }
            Vec::new()
        }
        Msg::References { seq, result } => {
            value::on_results(m, seq, result);
            Vec::new()
        }
        Msg::FieldMatches(answer) => picker::on_matches(m, answer),
        Msg::ReportSaved(r) => {
            match r {
                Ok(p) => m.info(format!(
                    "Report for the ServiceNow admin saved to {}",
                    p.display()
                )),
                Err(e) => m.error(format!("Report not saved: {e}")),
            }
            Vec::new()
        }
        Msg::Saved(r) => review::on_saved(m, r),
        Msg::Removed(r) => {
            modals::on_removed(m, r);
            Vec::new()
        }
        Msg::TestIncident(r) => {
            review::on_test(m, r);
            Vec::new()
        }
        Msg::TestIncidentWaiting(text) => {
            review::on_test_waiting(m, text);
            Vec::new()
        }
        Msg::TaskFailed(e) => {
            // A failed task must not leave a spinner running forever.
            m.checks.running = false;
            m.review.saving = false;
            if m.review.test == crate::wizard::model::TestState::Running {
                m.review.test = crate::wizard::model::TestState::Done(Err(e.clone().into()));
            }
            m.error(format!("Internal error (logged): {e}"));
            Vec::new()
        }
    }
}

/// Whether keys currently go into a text field (then `?` types a question mark and only F1
/// opens help).
pub fn typing(m: &Model) -> bool {
    match m.modals.last() {
        Some(Modal::Picker(p)) => p.unavailable.is_none(),
        // Lists filter as you type, so every value dialog takes text.
        Some(Modal::Value(_)) => true,
        Some(_) => false,
        None => match m.screen {
            Screen::Connect => m.form.focus < crate::wizard::model::FORM_BUTTON,
            Screen::Editor => editor::typing(m),
            Screen::Review => review::typing(m),
            _ => false,
        },
    }
}

fn global(m: &Model) -> Vec<Binding> {
    let help = if typing(m) {
        Binding::new(&[keys::F1], "help", Action::Help)
    } else {
        Binding::new(&[Key::ch('?'), keys::F1], "help", Action::Help)
    };
    vec![help, Binding::new(&[keys::CTRL_C], "quit", Action::Quit)]
}

/// The current screen's bindings (ignoring modals), globals included.
pub fn screen_keymap(m: &Model) -> Keymap {
    let mut k = match m.screen {
        Screen::Welcome => welcome::keymap(m),
        Screen::ChooseUser | Screen::OAuthApp => guide::keymap(m),
        Screen::Connect => connect::keymap(m),
        Screen::Checks => checks::keymap(m),
        Screen::Endpoints => endpoints::keymap(m),
        Screen::Editor => editor::keymap(m),
        Screen::Review => review::keymap(m),
    };
    k.extend(global(m));
    k
}

/// The bindings that handle keys now (top modal, else the screen).
pub fn active_keymap(m: &Model) -> Keymap {
    let mut k = match m.modals.last() {
        None => return screen_keymap(m),
        Some(Modal::Help) => modals::help_keymap(),
        Some(Modal::Confirm(_)) => modals::confirm_keymap(),
        Some(Modal::Draft { .. }) => modals::draft_keymap(),
        Some(Modal::Picker(p)) => picker::keymap(p),
        Some(Modal::Value(v)) => value::keymap(v),
        Some(Modal::Detail(_)) => modals::detail_keymap(),
    };
    k.push(Binding::new(&[keys::CTRL_C], "quit", Action::Quit));
    k
}

fn on_key(m: &mut Model, k: &KeyEvent) -> Vec<Effect> {
    if k.kind == KeyEventKind::Release {
        return Vec::new();
    }
    // The picker's keys are built once when it opens: its keystrokes, over dictionaries of
    // 20,000 fields, stay free of keymap building.
    let action = match m.modals.last() {
        Some(Modal::Picker(p)) => picker::lookup(p, k),
        _ => lookup(&active_keymap(m), k),
    };
    if let Some(a) = action {
        return dispatch(m, a);
    }
    // No binding: the key belongs to the focused text field, if there is one.
    match m.modals.last() {
        Some(Modal::Picker(_)) => picker::input_key(m, k),
        Some(Modal::Value(_)) => value::input_key(m, k),
        Some(_) => Vec::new(),
        None => match m.screen {
            Screen::Connect => connect::input_key(m, k),
            Screen::Editor => editor::input_key(m, k),
            Screen::Review => review::input_key(m, k),
            _ => Vec::new(),
        },
    }
}

fn on_paste(m: &mut Model, text: &str) -> Vec<Effect> {
    match m.modals.last() {
        Some(Modal::Picker(_)) => picker::paste(m, text),
        Some(Modal::Value(_)) => value::paste(m, text),
        Some(_) => Vec::new(),
        None => {
            match m.screen {
                Screen::Connect => connect::paste(m, text),
                Screen::Editor => editor::paste(m, text),
                Screen::Review => review::paste(m, text),
                _ => {}
            }
            Vec::new()
        }
    }
}

fn dispatch(m: &mut Model, a: Action) -> Vec<Effect> {
    match a {
        Action::Quit => return request_quit(m),
        Action::Help => {
            if !matches!(m.modals.last(), Some(Modal::Help)) {
                m.modals.push(Modal::Help);
            }
            return Vec::new();
        }
        _ => {}
    }
    match m.modals.last() {
        Some(Modal::Picker(_)) => return picker::action(m, a),
        Some(Modal::Value(_)) => return value::action(m, a),
        Some(_) => return modals::action(m, a),
        None => {}
    }
    match m.screen {
        Screen::Welcome => welcome::action(m, a),
        Screen::ChooseUser | Screen::OAuthApp => guide::action(m, a),
        Screen::Connect => connect::action(m, a),
        Screen::Checks => checks::action(m, a),
        Screen::Endpoints => endpoints::action(m, a),
        Screen::Editor => editor::action(m, a),
        Screen::Review => review::action(m, a),
    }
}

/// Ctrl-C (or Quit): leave at once when nothing is unsaved; otherwise ask, and a second
/// Ctrl-C while asking leaves.
pub fn request_quit(m: &mut Model) -> Vec<Effect> {
    if !m.unsaved {
        m.quit = true;
        return Vec::new();
    }
    if let Some(Modal::Confirm(c)) = m.modals.last()
        && c.kind == ConfirmKind::Quit
    {
        m.modals.pop();
        return modals::quit_now(m);
    }
    m.modals.push(Modal::Confirm(modals::quit_confirm()));
    Vec::new()
}

/// Switch screens. Leaving a screen cancels its work.
pub fn go(m: &mut Model, to: Screen) -> Vec<Effect> {
    let mut effects = Vec::new();
    if m.screen == Screen::Checks && to != Screen::Checks && m.checks.running {
        m.checks.running = false;
        // Messages of the abandoned run are ignored from now on.
        m.checks.run = m.checks.run.wrapping_add(1);
        effects.push(Effect::Cancel(Slot::Checks));
    }
    if m.screen == Screen::Review && to != Screen::Review {
        effects.push(Effect::Cancel(Slot::TestIncident));
        if m.review.test == crate::wizard::model::TestState::Running {
            m.review.test = crate::wizard::model::TestState::Idle;
        }
    }
    if to != m.screen {
        m.text_scroll = 0;
        m.status = None;
    }
    m.screen = to;
    effects
}
