//! Strings from a ServiceNow instance (or any server) are untrusted: before they reach a
//! terminal, control characters are shown escaped (`^[`), never sent; and before they are
//! shown, logged, reported or copied, the secrets and tokens in them are replaced with
//! `[redacted]` (a proxy or WAF may echo the token request, `client_secret=…&password=…`).
//!
//! Redaction has two halves. A [`Redactor`] knows one client's secrets and tokens; the client
//! applies it to every answer as it arrives, so nothing derived from server text (errors,
//! records, evidence, reports, `--json`) can hold them. Every secret a client learns is also
//! registered process-wide ([`register_secret`]); the log writer, the OSC 52 copy and the
//! report apply [`redact`] as a last line of defence.

use std::borrow::Cow;
use std::sync::RwLock;

use aho_corasick::{AhoCorasick, MatchKind};

/// What replaces a secret found in server text.
pub const REDACTED: &str = "[redacted]";

/// Shorter values are not redacted: replacing every "abc" in a message would make it
/// unreadable, and such a value is not much of a secret.
pub const MIN_SECRET_LEN: usize = 4;

/// The forms a secret takes when a server echoes it back: as typed, form-encoded (the token
/// request's body: `+` or `%20` for spaces, upper- or lower-case hex), JSON-escaped (with or
/// without `\/`) and HTML-escaped.
fn variants(secret: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let pct20 = form.replace('+', "%20");
    let lower = |s: &str| {
        // Lower-case only the two hex digits after each `%`.
        let mut out = String::with_capacity(s.len());
        let mut hex = 0;
        for c in s.chars() {
            if hex > 0 {
                out.push(c.to_ascii_lowercase());
                hex -= 1;
            } else {
                if c == '%' {
                    hex = 2;
                }
                out.push(c);
            }
        }
        out
    };
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json
        .strip_prefix('"')
        .and_then(|j| j.strip_suffix('"'))
        .unwrap_or(secret)
        .to_string();
    let html = secret
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    let mut v = vec![
        secret.to_string(),
        lower(&form),
        lower(&pct20),
        json.replace('/', "\\/"),
        form,
        pct20,
        json,
        html,
    ];
    v.retain(|s| s.len() >= MIN_SECRET_LEN);
    v.sort();
    v.dedup();
    v
}

/// A set of secrets to find and replace in text.
#[derive(Default, Clone)]
pub struct Redactor {
    patterns: Vec<String>,
    matcher: Option<AhoCorasick>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("patterns", &self.patterns.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor for these secrets (values shorter than [`MIN_SECRET_LEN`] are ignored).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Redactor {
        let mut r = Redactor::default();
        r.add_all(secrets);
        r
    }

    /// Adds secrets; returns whether anything new was added.
    pub fn add_all<'a>(&mut self, secrets: impl IntoIterator<Item = &'a str>) -> bool {
        let before = self.patterns.len();
        for s in secrets {
            for v in variants(s) {
                if !self.patterns.contains(&v) {
                    self.patterns.push(v);
                }
            }
        }
        if self.patterns.len() == before {
            return false;
        }
        // Longest first, so that an encoded form is replaced whole, not its raw prefix.
        self.matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&self.patterns)
            .ok();
        true
    }

    /// True when there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// `s` with every secret replaced by `[redacted]`.
    pub fn redact<'a>(&self, s: &'a str) -> Cow<'a, str> {
        match &self.matcher {
            Some(m) if m.is_match(s) => {
                Cow::Owned(m.replace_all(s, &vec![REDACTED; self.patterns.len()]))
            }
            _ => Cow::Borrowed(s),
        }
    }

    /// Bytes with every secret replaced by `[redacted]` (a response body as read).
    pub fn redact_bytes<'a>(&self, b: &'a [u8]) -> Cow<'a, [u8]> {
        match &self.matcher {
            Some(m) if m.is_match(b) => {
                Cow::Owned(m.replace_all_bytes(b, &vec![REDACTED.as_bytes(); self.patterns.len()]))
            }
            _ => Cow::Borrowed(b),
        }
    }

    /// Redacts every string (and key) inside a parsed JSON value, in place. A server may
    /// escape a secret in ways the byte search cannot see (`\u0053…`); parsed, it is plain.
    pub fn redact_json(&self, v: &mut serde_json::Value) {
        use serde_json::Value;
        if self.matcher.is_none() {
            return;
        }
        match v {
            Value::String(s) => {
                if let Cow::Owned(o) = self.redact(s) {
                    *s = o;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.redact_json(i)),
            Value::Object(map) => {
                if map.keys().any(|k| matches!(self.redact(k), Cow::Owned(_))) {
                    let old = std::mem::take(map);
                    for (k, mut val) in old {
                        self.redact_json(&mut val);
                        map.insert(self.redact(&k).into_owned(), val);
                    }
                } else {
                    map.values_mut().for_each(|i| self.redact_json(i));
                }
            }
            _ => {}
        }
    }
}

/// Every secret any client of this process has used or been given.
static KNOWN: RwLock<Option<Redactor>> = RwLock::new(None);

/// Remember `secret` process-wide, so that [`redact`] (logs, clipboard, reports) replaces it.
pub fn register_secret(secret: &str) {
    if secret.len() < MIN_SECRET_LEN {
        return;
    }
    if let Ok(mut known) = KNOWN.write() {
        known
            .get_or_insert_with(Redactor::default)
            .add_all([secret]);
    }
}

/// `s` with every registered secret replaced by `[redacted]`.
pub fn redact(s: &str) -> Cow<'_, str> {
    match KNOWN.read() {
        Ok(known) => match known.as_ref().map(|r| r.redact(s)) {
            Some(Cow::Owned(o)) => Cow::Owned(o),
            _ => Cow::Borrowed(s),
        },
        Err(_) => Cow::Borrowed(s),
    }
}

/// Bytes with every registered secret replaced by `[redacted]` (a log line).
pub fn redact_bytes(b: &[u8]) -> Cow<'_, [u8]> {
    match KNOWN.read() {
        Ok(known) => match known.as_ref().map(|r| r.redact_bytes(b)) {
            Some(Cow::Owned(o)) => Cow::Owned(o),
            _ => Cow::Borrowed(b),
        },
        Err(_) => Cow::Borrowed(b),
    }
}

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

/// Text that is safe to put in front of a person: control characters escaped (see [`line`]
/// and [`text`]) and every registered secret replaced by `[redacted]`. The only way to make
/// one is through the sanitiser, so a view that takes `SafeText` cannot be handed raw server
/// text; the wizard's views take server strings only this way (a test checks).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SafeText(String);

impl SafeText {
    /// One line of display text (tabs and newlines become spaces).
    pub fn line(s: &str) -> SafeText {
        SafeText(line(&redact(s)).into_owned())
    }

    /// Multi-line display text (newlines kept).
    pub fn text(s: &str) -> SafeText {
        SafeText(text(&redact(s)).into_owned())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    pub fn into_owned(self) -> String {
        self.0
    }
}

impl std::ops::Deref for SafeText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SafeText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SafeText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<SafeText> for String {
    fn from(s: SafeText) -> String {
        s.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_text_escapes_and_redacts() {
        register_secret("SafeTextSecret-42");
        let t = SafeText::line("evil\u{1b}[2J echoed SafeTextSecret-42\nnext");
        assert_eq!(t.as_str(), "evil^[[2J echoed [redacted] next");
        assert_eq!(SafeText::text("a\nb").as_str(), "a\nb");
    }

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
    fn every_echoed_form_of_a_secret_is_redacted() {
        let r = Redactor::new(["S3cr+t/&\"é x", "tok123456"]);
        let echoed = [
            "grant_type=password&client_secret=S3cr%2Bt%2F%26%22%C3%A9+x&password=1",
            "client_secret=S3cr%2bt%2f%26%22%c3%a9%20x",
            r#"{"echo":"S3cr+t\/&\"é x"}"#,
            r#"{"echo":"S3cr+t/&\"é x"}"#,
            "<p>S3cr+t/&amp;&quot;é x</p>",
            "raw S3cr+t/&\"é x and Bearer tok123456.",
        ];
        for e in echoed {
            let out = r.redact(e);
            assert!(out.contains(REDACTED), "{e} -> {out}");
            assert!(
                !out.contains("S3cr") && !out.contains("tok123456"),
                "{e} -> {out}"
            );
        }
        assert!(matches!(r.redact("nothing here"), Cow::Borrowed(_)));
        let mut v: serde_json::Value =
            serde_json::from_str(r#"{"a":["\u0074ok123456"],"tok123456":1}"#).unwrap();
        r.redact_json(&mut v);
        assert_eq!(v.to_string(), r#"{"[redacted]":1,"a":["[redacted]"]}"#);
    }

    #[test]
    fn short_values_are_not_redacted() {
        let r = Redactor::new(["abc"]);
        assert!(r.is_empty());
        assert_eq!(r.redact("abc"), "abc");
    }

    #[test]
    fn whitespace_controls_keep_layout() {
        assert_eq!(line("a\tb\nc\rd"), "a b c d");
        assert_eq!(text("a\nb\tc"), "a\nb c");
    }
}
