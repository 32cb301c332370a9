//! Keys and the actions they trigger. Each screen and modal builds one keymap; the same list
//! decides what a key does and renders the footer hints, so hints cannot drift from the keys
//! (gitui's `commands()`).

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What a key asks for. Screens interpret the generic ones (`Activate`, `Back` ...) in context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave the wizard (asks first when something is unsaved).
    Quit,
    /// Open the help for this screen.
    Help,
    /// Go back a screen, or close the top modal.
    Back,
    /// Move focus forward.
    Next,
    /// Move focus backward.
    Prev,
    /// Move up in a list or scroll up.
    Up,
    /// Move down in a list or scroll down.
    Down,
    /// Move left (buttons in a row).
    Left,
    /// Move right (buttons in a row).
    Right,
    /// Scroll a page up.
    PageUp,
    /// Scroll a page down.
    PageDown,
    /// To the top (of a text or list).
    Home,
    /// To the bottom.
    End,
    /// Open the selected item's whole detail (a matrix row, a failed test incident).
    Details,
    /// Activate the focused item or go on.
    Activate,
    /// Show or hide the secrets in the form.
    Reveal,
    /// Run the checks again.
    Retry,
    /// Write the Markdown report for the admin.
    SaveReport,
    /// Copy the selected fix to the local clipboard (OSC 52).
    CopyFix,
    /// Continue to the next step.
    Continue,
    /// Add an item.
    Add,
    /// Edit the selected item.
    Edit,
    /// Delete the selected item.
    Delete,
    /// Toggle the selected item (picker).
    Toggle,
    /// Open the ACL matrix (from the picker's explanation).
    JumpToMatrix,
    /// Answer yes in a confirmation.
    Yes,
    /// Answer no in a confirmation.
    No,
    /// Save (Ctrl-S on Review & save).
    Save,
}

/// One key chord.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The key.
    pub code: KeyCode,
    /// Required modifiers (Shift is ignored for characters and Back-Tab).
    pub mods: KeyModifiers,
}

impl Key {
    /// A key without modifiers.
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }
    /// A printable character.
    pub const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }
    /// Ctrl + a character.
    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    /// Whether a key event is this chord.
    pub fn matches(&self, ev: &KeyEvent) -> bool {
        if ev.kind == KeyEventKind::Release {
            return false;
        }
        // Terminals report Shift inconsistently for characters ('?' may or may not carry it)
        // and for Back-Tab, so Shift is not part of the comparison there.
        let shift_free = matches!(self.code, KeyCode::Char(_) | KeyCode::BackTab);
        let mods = if shift_free {
            ev.modifiers - KeyModifiers::SHIFT
        } else {
            ev.modifiers
        };
        let code_eq = match (self.code, ev.code) {
            (KeyCode::Char(a), KeyCode::Char(b)) if self.mods.contains(KeyModifiers::CONTROL) => {
                a.eq_ignore_ascii_case(&b)
            }
            (a, b) => a == b,
        };
        code_eq && mods == self.mods
    }

    /// How the key is written in hints, e.g. `Ctrl-R`, `S-Tab`, `Enter`.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) if self.mods.contains(KeyModifiers::CONTROL) => {
                c.to_ascii_uppercase().to_string()
            }
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::Backspace => "Bksp".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

/// A key binding: the keys, the action, and how it shows in the footer and help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// Any of these keys triggers the action.
    pub keys: Vec<Key>,
    /// What it does, e.g. "retry".
    pub hint: &'static str,
    /// The action.
    pub action: Action,
    /// Shown in the one-line footer (everything is shown in help).
    pub footer: bool,
    /// Overrides the generated key label (e.g. `↑↓` for a pair).
    pub label: Option<&'static str>,
    /// Listed in help (false for the partner of a pair that another binding describes).
    pub help: bool,
}

impl Binding {
    /// A binding shown in the footer.
    pub fn new(keys: &[Key], hint: &'static str, action: Action) -> Binding {
        Binding {
            keys: keys.to_vec(),
            hint,
            action,
            footer: true,
            label: None,
            help: true,
        }
    }
    /// The same binding, listed only in help.
    pub fn hidden(mut self) -> Binding {
        self.footer = false;
        self
    }
    /// The same binding, listed neither in the footer nor in help (its pair is, e.g. `↑↓`).
    pub fn silent(mut self) -> Binding {
        self.footer = false;
        self.help = false;
        self
    }
    /// The same binding with a custom key label.
    pub fn labelled(mut self, label: &'static str) -> Binding {
        self.label = Some(label);
        self
    }
    /// The key label shown in hints.
    pub fn key_label(&self) -> String {
        match self.label {
            Some(l) => l.to_string(),
            None => self.keys.first().map(Key::label).unwrap_or_default(),
        }
    }
}

/// A screen's or modal's bindings, in footer order.
pub type Keymap = Vec<Binding>;

/// The action bound to `ev`, if any.
pub fn lookup(map: &[Binding], ev: &KeyEvent) -> Option<Action> {
    map.iter()
        .find(|b| b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.action)
}

/// Common chords.
pub mod keys {
    use super::Key;
    use crossterm::event::KeyCode;

    /// Enter.
    pub const ENTER: Key = Key::plain(KeyCode::Enter);
    /// Esc.
    pub const ESC: Key = Key::plain(KeyCode::Esc);
    /// Tab.
    pub const TAB: Key = Key::plain(KeyCode::Tab);
    /// Shift-Tab.
    pub const BACKTAB: Key = Key::plain(KeyCode::BackTab);
    /// Up arrow.
    pub const UP: Key = Key::plain(KeyCode::Up);
    /// Down arrow.
    pub const DOWN: Key = Key::plain(KeyCode::Down);
    /// Left arrow.
    pub const LEFT: Key = Key::plain(KeyCode::Left);
    /// Right arrow.
    pub const RIGHT: Key = Key::plain(KeyCode::Right);
    /// Page up.
    pub const PGUP: Key = Key::plain(KeyCode::PageUp);
    /// Page down.
    pub const PGDN: Key = Key::plain(KeyCode::PageDown);
    /// Delete.
    pub const DEL: Key = Key::plain(KeyCode::Delete);
    /// Home.
    pub const HOME: Key = Key::plain(KeyCode::Home);
    /// End.
    pub const END: Key = Key::plain(KeyCode::End);
    /// Ctrl-S.
    pub const CTRL_S: Key = Key::ctrl('s');
    /// F1 (help, also inside text fields).
    pub const F1: Key = Key::plain(KeyCode::F(1));
    /// Ctrl-C.
    pub const CTRL_C: Key = Key::ctrl('c');
    /// Ctrl-R.
    pub const CTRL_R: Key = Key::ctrl('r');
    /// Space.
    pub const SPACE: Key = Key::ch(' ');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn shift_is_ignored_for_characters_but_ctrl_is_not() {
        assert!(Key::ch('?').matches(&ev(KeyCode::Char('?'), KeyModifiers::SHIFT)));
        assert!(!Key::ch('r').matches(&ev(KeyCode::Char('r'), KeyModifiers::CONTROL)));
        assert!(Key::ctrl('r').matches(&ev(KeyCode::Char('r'), KeyModifiers::CONTROL)));
        assert!(Key::ctrl('r').matches(&ev(KeyCode::Char('R'), KeyModifiers::CONTROL)));
        assert!(keys::BACKTAB.matches(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)));
    }

    #[test]
    fn lookup_takes_the_first_binding_that_matches() {
        let map = vec![
            Binding::new(&[keys::ENTER], "go", Action::Activate),
            Binding::new(&[keys::ENTER, keys::ESC], "other", Action::Back),
        ];
        assert_eq!(
            lookup(&map, &ev(KeyCode::Enter, KeyModifiers::NONE)),
            Some(Action::Activate)
        );
        assert_eq!(
            lookup(&map, &ev(KeyCode::Esc, KeyModifiers::NONE)),
            Some(Action::Back)
        );
        assert_eq!(
            lookup(&map, &ev(KeyCode::Char('x'), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn labels_read_like_hints() {
        assert_eq!(keys::CTRL_R.label(), "Ctrl-R");
        assert_eq!(keys::BACKTAB.label(), "S-Tab");
        assert_eq!(keys::SPACE.label(), "Space");
    }
}
