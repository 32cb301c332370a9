//! Colours and text styles. With `NO_COLOR` every state is still visible through reverse,
//! bold and underline, and every status carries a glyph and a word, so colour is never the
//! only signal.

use ratatui::style::{Color, Modifier, Style};

use crate::diagnose::CheckStatus;

/// The styles every screen draws with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// True for the monochrome theme (`NO_COLOR`).
    pub mono: bool,
}

impl Theme {
    /// The colour theme.
    pub const COLOR: Theme = Theme { mono: false };
    /// The monochrome theme.
    pub const MONO: Theme = Theme { mono: true };

    /// Pick the theme from the `NO_COLOR` convention (set and not empty means no colour).
    pub fn from_env() -> Theme {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Theme::MONO,
            _ => Theme::COLOR,
        }
    }

    fn fg(self, c: Color) -> Style {
        if self.mono {
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
        if self.mono {
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
        if self.mono {
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
        if self.mono {
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
        if self.mono {
            Style::new().add_modifier(Modifier::UNDERLINED)
        } else {
            Style::new().bg(Color::Rgb(40, 40, 48))
        }
    }
    /// The focused text input (the cursor is shown as well).
    pub fn field_focus(self) -> Style {
        if self.mono {
            Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
        } else {
            Style::new().bg(Color::Rgb(30, 60, 90)).fg(Color::White)
        }
    }
    /// Fuzzy-matched characters in the picker.
    pub fn matched(self) -> Style {
        if self.mono {
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
        if self.mono {
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
