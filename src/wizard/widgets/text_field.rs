//! A one-line text input on top of `tui-input`, optionally masked (•) for secrets.
//! A masked field's `Debug` never shows its value.

use crate::sanitize::SafeText;
use crossterm::event::{Event, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use secrecy::SecretString;
use tui_input::backend::crossterm::to_input_request;
use tui_input::{Input, InputRequest};

use crate::wizard::theme::Theme;

/// The mask character for secrets.
pub const MASK: char = '•';

/// How a secret shows when its field is not being typed into: a fixed number of dots, so the
/// screen (or a screenshot of it) does not tell the secret's length.
pub fn masked(secret: &str) -> String {
    if secret.is_empty() {
        String::new()
    } else {
        std::iter::repeat_n(MASK, 8).collect()
    }
}

/// A single-line text field.
#[derive(Clone, Default)]
pub struct TextField {
    input: Input,
    masked: bool,
    max_chars: Option<usize>,
}

impl std::fmt::Debug for TextField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.masked {
            f.write_str("TextField([redacted])")
        } else {
            write!(f, "TextField({:?})", self.input.value())
        }
    }
}

impl TextField {
    /// An empty plain field.
    pub fn new() -> TextField {
        TextField::default()
    }
    /// An empty masked field (secrets).
    pub fn masked() -> TextField {
        TextField {
            masked: true,
            ..TextField::default()
        }
    }
    /// A plain field holding `value`.
    pub fn with_value(value: &str) -> TextField {
        let mut f = TextField::new();
        f.set(value);
        f
    }
    /// Limit the length in characters (typing and pasting stop there).
    pub fn limit(mut self, max_chars: usize) -> TextField {
        self.max_chars = Some(max_chars);
        self
    }
    /// Whether the field masks its value.
    pub fn is_masked(&self) -> bool {
        self.masked
    }
    /// The raw value.
    pub fn value(&self) -> &str {
        self.input.value()
    }
    /// The value as a secret (for masked fields once they leave the input).
    pub fn secret(&self) -> SecretString {
        SecretString::from(self.input.value().to_string())
    }
    /// Replace the value; the cursor goes to the end.
    pub fn set(&mut self, value: &str) {
        let v: String = match self.max_chars {
            Some(n) => value.chars().take(n).collect(),
            None => value.to_string(),
        };
        self.input = Input::new(v);
    }
    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.input.value().is_empty()
    }

    fn room(&self) -> usize {
        match self.max_chars {
            Some(n) => n.saturating_sub(self.input.value().chars().count()),
            None => usize::MAX,
        }
    }

    /// Apply an editing key. Returns `true` when the key was an editing key (consumed),
    /// whether or not the value changed.
    pub fn handle_key(&mut self, key: &KeyEvent) -> bool {
        let Some(req) = to_input_request(&Event::Key(*key)) else {
            return false;
        };
        if matches!(req, InputRequest::InsertChar(_)) && self.room() == 0 {
            return true;
        }
        self.input.handle(req);
        true
    }

    /// Apply an editing key; `true` when the value changed (not just the cursor).
    pub fn edit(&mut self, key: &KeyEvent) -> bool {
        let before = self.input.value().to_string();
        self.handle_key(key) && self.input.value() != before
    }

    /// Insert pasted text at the cursor. Line breaks are dropped (a pasted URL or secret often
    /// ends with one); other control characters are dropped too.
    pub fn paste(&mut self, text: &str) {
        let mut room = self.room();
        for c in text.chars().filter(|c| !c.is_control()) {
            if room == 0 {
                break;
            }
            self.input.handle(InputRequest::InsertChar(c));
            room = room.saturating_sub(1);
        }
    }

    /// Draw the field into `area` (one row). `reveal` shows a masked value in clear text.
    pub fn render(&self, f: &mut Frame, area: Rect, focused: bool, reveal: bool, theme: Theme) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let style = if focused {
            theme.field_focus()
        } else {
            theme.field()
        };
        let width = usize::from(area.width.saturating_sub(1)).max(1);
        if !focused {
            // Without focus the start of the value is the most useful part.
            let text = if self.masked && !reveal {
                masked(self.input.value())
            } else {
                SafeText::line(self.input.value()).into_owned()
            };
            let text = crate::wizard::widgets::draw::truncate(&text, usize::from(area.width));
            f.render_widget(Paragraph::new(Span::styled(text, style)).style(style), area);
            return;
        }
        let (shown, cursor_col): (String, usize) = if self.masked && !reveal {
            let n = self.input.value().chars().count();
            let cur = self.input.cursor();
            let scroll = cur.saturating_sub(width);
            (
                std::iter::repeat_n(MASK, n.saturating_sub(scroll)).collect(),
                cur.saturating_sub(scroll),
            )
        } else {
            let scroll = self.input.visual_scroll(width);
            let mut acc = 0usize;
            let shown: String = self
                .input
                .value()
                .chars()
                .skip_while(|c| {
                    if acc < scroll {
                        acc += unicode_width::UnicodeWidthChar::width(*c).unwrap_or(0);
                        true
                    } else {
                        false
                    }
                })
                .collect();
            // What the user typed may contain control characters pasted from elsewhere;
            // show them escaped like any other untrusted text.
            let shown = SafeText::line(&shown).into_owned();
            (shown, self.input.visual_cursor().saturating_sub(scroll))
        };
        let line = Line::from(Span::styled(shown, style));
        f.render_widget(Paragraph::new(line).style(style), area);
        if focused {
            let x = area
                .x
                .saturating_add(u16::try_from(cursor_col).unwrap_or(u16::MAX))
                .min(area.right().saturating_sub(1));
            f.set_cursor_position(Position::new(x, area.y));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    #[test]
    fn a_masked_value_never_shows_its_length() {
        assert_eq!(masked("x"), masked("a much longer secret value"));
        assert_eq!(masked(""), "");
    }

    #[test]
    fn debug_of_a_masked_field_hides_the_value() {
        let mut f = TextField::masked();
        f.set("hunter2");
        assert!(!format!("{f:?}").contains("hunter2"));
        let mut p = TextField::new();
        p.set("visible");
        assert!(format!("{p:?}").contains("visible"));
    }

    #[test]
    fn paste_drops_line_breaks_and_respects_the_limit() {
        let mut f = TextField::new().limit(5);
        f.paste("ab\r\ncdefg\n");
        assert_eq!(f.value(), "abcde");
        let mut typed = TextField::new().limit(2);
        for c in ['x', 'y', 'z'] {
            typed.handle_key(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        assert_eq!(typed.value(), "xy");
    }

    #[test]
    fn tab_and_enter_are_not_editing_keys() {
        let mut f = TextField::new();
        assert!(!f.handle_key(&KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
        assert!(!f.handle_key(&KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        assert!(f.handle_key(&KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE)));
    }

    #[test]
    fn edit_says_whether_the_value_changed() {
        let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
        let mut f = TextField::with_value("ab");
        assert!(
            !f.edit(&key(KeyCode::Left)),
            "the cursor moved, the value did not"
        );
        assert!(f.edit(&key(KeyCode::Char('x'))));
        assert_eq!(f.value(), "axb");
        assert!(!f.edit(&key(KeyCode::Tab)));
        let mut full = TextField::with_value("ab").limit(2);
        assert!(!full.edit(&key(KeyCode::Char('c'))), "no room");
    }
}
