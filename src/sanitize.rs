//! Strings from a ServiceNow instance (or any server) are untrusted: before they reach a
//! terminal, control characters are shown escaped (`^[`), never sent.

use std::borrow::Cow;

/// Bidirectional-override and isolate characters can reorder what a terminal shows: the whole
/// Unicode Bidi_Control set, the Arabic letter mark included.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

fn needs_escape(c: char, keep_newlines: bool) -> bool {
    (c.is_control() && !(keep_newlines && c == '\n')) || is_bidi_control(c)
}

fn escape_into(out: &mut String, c: char, keep_newlines: bool) {
    match c {
        '\n' if keep_newlines => out.push('\n'),
        // Whitespace controls become one space so layout stays on one line.
        '\t' | '\n' | '\r' => out.push(' '),
        '\u{7f}' => out.push_str("^?"),
        c if (c as u32) < 0x20 => {
            out.push('^');
            out.push(char::from(b'@' + c as u8));
        }
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

fn sanitize(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| needs_escape(c, keep_newlines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c, keep_newlines) {
            escape_into(&mut out, c, keep_newlines);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line of display text: tabs and newlines become spaces, other control characters are
/// shown in caret notation (`^[`), C1 and bidi controls as `\u{..}`.
pub fn line(s: &str) -> Cow<'_, str> {
    sanitize(s, false)
}

/// Multi-line display text: like [`line`] but newlines are kept.
pub fn text(s: &str) -> Cow<'_, str> {
    sanitize(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(
            line("Assignment group"),
            Cow::Borrowed("Assignment group")
        ));
    }

    #[test]
    fn escape_sequences_are_shown_not_sent() {
        assert_eq!(line("a\u{1b}[2Jb"), "a^[[2Jb");
        assert_eq!(line("nul\0"), "nul^@");
        assert_eq!(line("del\u{7f}"), "del^?");
        assert_eq!(line("c1\u{9b}"), "c1\\u{9b}");
        assert_eq!(line("evil\u{202e}txt"), "evil\\u{202e}txt");
        assert_eq!(line("alm\u{61c}"), "alm\\u{61c}");
    }

    #[test]
    fn whitespace_controls_keep_layout() {
        assert_eq!(line("a\tb\nc\rd"), "a b c d");
        assert_eq!(text("a\nb\tc"), "a\nb c");
    }
}
