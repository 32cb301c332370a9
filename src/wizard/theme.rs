//! Colours and text styles. With `NO_COLOR` every state is still visible through reverse,
//! bold and underline, and every status carries a glyph and a word, so colour is never the
//! only signal.
//!
//! The palette follows what the terminal says it can show, never more: 24-bit colour only when
//! `COLORTERM` says so, the 256-colour palette for a `*-256color` `TERM`, else the 16 ANSI
//! colours. A terminal that gets sequences it does not know draws garbage or wrong colours,
//! so guessing high is worse than guessing low.

use std::ffi::OsStr;

use ratatui::style::{Color, Modifier, Style};

use crate::diagnose::CheckStatus;

/// The colours a terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Palette {
    /// No colour at all (`NO_COLOR`): reverse, bold and underline carry every state.
    Mono,
    /// The 16 ANSI colours (the terminal's own palette, whatever its theme makes of them).
    Ansi16,
    /// The xterm 256-colour palette (`TERM=*-256color`).
    Ansi256,
    /// 24-bit colour (`COLORTERM=truecolor` or `24bit`).
    TrueColor,
}

impl Palette {
    /// The palette for these values of `NO_COLOR`, `COLORTERM` and `TERM`.
    ///
    /// `NO_COLOR` set and not empty wins. `COLORTERM` is the one claim of 24-bit colour a
    /// terminal makes: `TERM=xterm-256color` is sent by 24-bit terminals and by many that are
    /// not. Unset, empty or `dumb` `TERM` gets 16 colours here; the
    /// wizard refuses such a terminal before it draws anything (see [`usable_term`]).
    pub fn detect(
        no_color: Option<&OsStr>,
        colorterm: Option<&OsStr>,
        term: Option<&OsStr>,
    ) -> Palette {
        if no_color.is_some_and(|v| !v.is_empty()) {
            return Palette::Mono;
        }
        let colorterm = colorterm.and_then(OsStr::to_str).unwrap_or("");
        if colorterm.eq_ignore_ascii_case("truecolor") || colorterm.eq_ignore_ascii_case("24bit") {
            return Palette::TrueColor;
        }
        let term = term.and_then(OsStr::to_str).unwrap_or("");
        if term.to_ascii_lowercase().ends_with("-256color") {
            return Palette::Ansi256;
        }
        Palette::Ansi16
    }
}

/// Whether `TERM` names a terminal that can draw the full-screen wizard: set, not empty and
/// not `dumb` (the value editors' shells and CI runners set when there is no screen to draw on).
pub fn usable_term(term: Option<&OsStr>) -> bool {
    match term.and_then(OsStr::to_str) {
        Some(t) => !t.trim().is_empty() && !t.trim().eq_ignore_ascii_case("dumb"),
        // Not valid UTF-8: still a name, so let the terminal try.
        None => term.is_some_and(|t| !t.is_empty()),
    }
}

/// A colour of the theme in each palette that has colour. The 24-bit value is the design;
/// the other two are the nearest entries that stay readable (a 256-colour grey ramp step may
/// be nearer, but focused and unfocused fields must still look different).
#[derive(Debug, Clone, Copy)]
struct Swatch {
    true_color: Color,
    ansi256: Color,
    /// `None`: the 16 colours have nothing close enough, so the style uses a modifier.
    ansi16: Option<Color>,
}

/// The background of a text field without focus: a dark slate.
const FIELD_BG: Swatch = Swatch {
    true_color: Color::Rgb(40, 40, 48),
    ansi256: Color::Indexed(236),
    ansi16: None,
};

/// The background of the focused text field: a dark steel blue.
const FIELD_FOCUS_BG: Swatch = Swatch {
    true_color: Color::Rgb(30, 60, 90),
    ansi256: Color::Indexed(24),
    ansi16: Some(Color::Blue),
};

/// The styles every screen draws with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// What the terminal can show.
    pub palette: Palette,
}

impl Theme {
    /// The full-colour theme (24-bit).
    pub const COLOR: Theme = Theme {
        palette: Palette::TrueColor,
    };
    /// The 256-colour theme.
    pub const ANSI256: Theme = Theme {
        palette: Palette::Ansi256,
    };
    /// The 16-colour theme.
    pub const ANSI16: Theme = Theme {
        palette: Palette::Ansi16,
    };
    /// The monochrome theme.
    pub const MONO: Theme = Theme {
        palette: Palette::Mono,
    };

    /// The theme for this terminal, from `NO_COLOR`, `COLORTERM` and `TERM`.
    pub fn from_env() -> Theme {
        Theme {
            palette: Palette::detect(
                std::env::var_os("NO_COLOR").as_deref(),
                std::env::var_os("COLORTERM").as_deref(),
                std::env::var_os("TERM").as_deref(),
            ),
        }
    }

    /// True for the monochrome theme (`NO_COLOR`).
    pub fn mono(self) -> bool {
        self.palette == Palette::Mono
    }

    /// A swatch in this palette (`None` in monochrome, or when 16 colours have no match).
    fn swatch(self, s: Swatch) -> Option<Color> {
        match self.palette {
            Palette::Mono => None,
            Palette::Ansi16 => s.ansi16,
            Palette::Ansi256 => Some(s.ansi256),
            Palette::TrueColor => Some(s.true_color),
        }
    }

    fn fg(self, c: Color) -> Style {
        if self.mono() {
            Style::new()
        } else {
            Style::new().fg(c)
        }
    }

    /// Normal text.
    pub fn text(self) -> Style {
        Style::new()
    }
    /// Headings.
    pub fn heading(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    /// Secondary text (hints, labels of read-only values).
    pub fn dim(self) -> Style {
        if self.mono() {
            Style::new()
        } else {
            Style::new().fg(Color::DarkGray)
        }
    }
    /// Names of menus, fields and values the user must find in ServiceNow.
    pub fn strong(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    /// The selected row of a list or table.
    pub fn selected(self) -> Style {
        if self.mono() {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        }
    }
    /// The focused input or button.
    pub fn focus(self) -> Style {
        if self.mono() {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        }
    }
    /// An input that does not have focus.
    pub fn field(self) -> Style {
        match self.swatch(FIELD_BG) {
            Some(bg) => Style::new().bg(bg),
            None => Style::new().add_modifier(Modifier::UNDERLINED),
        }
    }
    /// The focused text input (the cursor is shown as well).
    pub fn field_focus(self) -> Style {
        match self.swatch(FIELD_FOCUS_BG) {
            Some(bg) => Style::new().bg(bg).fg(Color::White),
            None => Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD),
        }
    }
    /// Fuzzy-matched characters in the picker.
    pub fn matched(self) -> Style {
        if self.mono() {
            Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
        } else {
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
        }
    }
    /// Success messages.
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }
    /// Error messages.
    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    /// Warnings.
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }
    /// The current step in the workflow column.
    pub fn current_step(self) -> Style {
        if self.mono() {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
        }
    }
    /// Borders and the header bar.
    pub fn chrome(self) -> Style {
        self.dim()
    }
    /// A check status (the glyph and word are always drawn too).
    pub fn status(self, s: CheckStatus) -> Style {
        match s {
            CheckStatus::Passed => self.ok(),
            CheckStatus::Blocked => self.error(),
            CheckStatus::Partial | CheckStatus::Warning | CheckStatus::Inconclusive => self.warn(),
            CheckStatus::Skipped => self.dim(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(no_color: Option<&str>, colorterm: Option<&str>, term: Option<&str>) -> Palette {
        Palette::detect(
            no_color.map(OsStr::new),
            colorterm.map(OsStr::new),
            term.map(OsStr::new),
        )
    }

    #[test]
    fn the_palette_follows_colorterm_and_term() {
        use Palette::*;
        /// NO_COLOR, COLORTERM, TERM, and the palette they give.
        type Row = (
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
            Palette,
        );
        let table: &[Row] = &[
            (None, None, Some("xterm"), Ansi16),
            (None, None, Some("xterm-256color"), Ansi256),
            (None, None, Some("screen-256color"), Ansi256),
            (None, None, Some("tmux-256color"), Ansi256),
            (None, None, Some("XTERM-256COLOR"), Ansi256),
            (None, None, Some("linux"), Ansi16),
            (None, None, Some("vt100"), Ansi16),
            (None, None, None, Ansi16),
            // A name that merely contains 256 is no claim.
            (None, None, Some("xterm-256colorful"), Ansi16),
            (None, Some("truecolor"), Some("xterm"), TrueColor),
            (None, Some("24bit"), Some("xterm-256color"), TrueColor),
            (None, Some("TrueColor"), Some("xterm"), TrueColor),
            // Other COLORTERM values (some terminals put their name there) claim nothing.
            (
                None,
                Some("gnome-terminal"),
                Some("xterm-256color"),
                Ansi256,
            ),
            (None, Some("yes"), Some("xterm"), Ansi16),
            (None, Some(""), Some("xterm"), Ansi16),
            // NO_COLOR wins whatever the terminal claims; set but empty counts as unset.
            (Some("1"), Some("truecolor"), Some("xterm-256color"), Mono),
            (Some("0"), None, Some("xterm"), Mono),
            (Some(""), Some("truecolor"), Some("xterm"), TrueColor),
            (Some(""), None, Some("xterm-256color"), Ansi256),
        ];
        for &(no_color, colorterm, term, want) in table {
            assert_eq!(
                detect(no_color, colorterm, term),
                want,
                "NO_COLOR={no_color:?} COLORTERM={colorterm:?} TERM={term:?}"
            );
        }
    }

    #[test]
    fn dumb_or_missing_term_is_not_usable() {
        for (term, usable) in [
            (None, false),
            (Some(""), false),
            (Some("  "), false),
            (Some("dumb"), false),
            (Some("DUMB"), false),
            (Some("xterm"), true),
            (Some("xterm-256color"), true),
            (Some("linux"), true),
        ] {
            assert_eq!(usable_term(term.map(OsStr::new)), usable, "TERM={term:?}");
        }
    }

    /// Every style the theme hands out.
    fn styles(t: Theme) -> Vec<(&'static str, Style)> {
        let mut v = vec![
            ("text", t.text()),
            ("heading", t.heading()),
            ("dim", t.dim()),
            ("strong", t.strong()),
            ("selected", t.selected()),
            ("focus", t.focus()),
            ("field", t.field()),
            ("field_focus", t.field_focus()),
            ("matched", t.matched()),
            ("ok", t.ok()),
            ("error", t.error()),
            ("warn", t.warn()),
            ("current_step", t.current_step()),
            ("chrome", t.chrome()),
        ];
        for s in [
            CheckStatus::Passed,
            CheckStatus::Blocked,
            CheckStatus::Partial,
            CheckStatus::Warning,
            CheckStatus::Skipped,
        ] {
            v.push(("status", t.status(s)));
        }
        v
    }

    fn colours(style: Style) -> Vec<Color> {
        [style.fg, style.bg].into_iter().flatten().collect()
    }

    #[test]
    fn each_palette_uses_only_colours_it_has() {
        for (name, style) in styles(Theme::ANSI16) {
            for c in colours(style) {
                assert!(
                    !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                    "16 colours: {name} uses {c:?}"
                );
            }
        }
        for (name, style) in styles(Theme::ANSI256) {
            for c in colours(style) {
                assert!(
                    !matches!(c, Color::Rgb(..)),
                    "256 colours: {name} uses {c:?}"
                );
            }
        }
        for (name, style) in styles(Theme::MONO) {
            assert!(colours(style).is_empty(), "monochrome: {name} has a colour");
        }
        // The 24-bit theme is the design: it does use 24-bit colour (so the checks above can
        // fail when a swatch is copied wrongly).
        assert!(
            styles(Theme::COLOR)
                .iter()
                .flat_map(|(_, s)| colours(*s))
                .any(|c| matches!(c, Color::Rgb(..)))
        );
    }

    #[test]
    fn a_focused_field_looks_different_in_every_palette() {
        for t in [Theme::MONO, Theme::ANSI16, Theme::ANSI256, Theme::COLOR] {
            assert_ne!(t.field(), t.field_focus(), "{:?}", t.palette);
            assert_ne!(t.text(), t.field(), "{:?}", t.palette);
        }
    }

    /// Squared distance between an xterm-256 entry and an RGB colour.
    fn distance(index: u8, (r, g, b): (u8, u8, u8)) -> u32 {
        let (ir, ig, ib) = xterm256(index);
        let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).unsigned_abs().pow(2);
        d(ir, r) + d(ig, g) + d(ib, b)
    }

    /// The colour of an xterm-256 entry from 16 up (the 6x6x6 cube and the grey ramp).
    fn xterm256(index: u8) -> (u8, u8, u8) {
        const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
        if index >= 232 {
            let v = 8 + 10 * (index - 232);
            return (v, v, v);
        }
        let i = usize::from(index - 16);
        (LEVELS[i / 36], LEVELS[(i / 6) % 6], LEVELS[i % 6])
    }

    #[test]
    fn the_256_colour_swatches_are_near_the_design() {
        for s in [FIELD_BG, FIELD_FOCUS_BG] {
            let (Color::Rgb(r, g, b), Color::Indexed(i)) = (s.true_color, s.ansi256) else {
                panic!("a swatch is 24-bit and indexed: {s:?}");
            };
            let chosen = distance(i, (r, g, b));
            // Within the 8 nearest of the 240 entries: near, with room to stay readable.
            let nearer = (16..=255u8)
                .filter(|&j| distance(j, (r, g, b)) < chosen)
                .count();
            assert!(nearer < 8, "{s:?}: {nearer} entries are nearer");
        }
    }
}
