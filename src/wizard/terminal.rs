//! Taking over and giving back the terminal: raw mode, alternate screen, bracketed paste on,
//! mouse off. Restoring runs every step even when one fails (bottom), and the panic hook
//! restores the terminal before anything is printed.

use std::io::{self, Stdout, Write};
use std::sync::{Arc, Mutex};

use crossterm::event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute, terminal};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::config::DraftStore;

/// Restores the terminal when dropped.
pub struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Enter raw mode and the alternate screen with bracketed paste; mouse capture stays off.
pub fn setup() -> io::Result<(Terminal<CrosstermBackend<Stdout>>, TerminalGuard)> {
    terminal::enable_raw_mode()?;
    let guard = TerminalGuard;
    let mut out = io::stdout();
    execute!(out, EnterAlternateScreen, EnableBracketedPaste)?;
    let term = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok((term, guard))
}

/// Take the terminal again after a suspension: raw mode, alternate screen, bracketed paste.
pub fn reenter() -> io::Result<()> {
    terminal::enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )
}

/// Ctrl-Z: give the terminal back, stop the process until it is continued (`fg`), then take
/// the terminal again. The caller redraws everything.
pub fn suspend_process() -> io::Result<()> {
    restore();
    #[cfg(unix)]
    {
        // SIGSTOP, not SIGTSTP: our SIGTSTP handler would only call us again, and the kernel
        // discards SIGTSTP for an orphaned process group while SIGSTOP always stops.
        // SAFETY: raise has no preconditions; it returns once we are continued.
        unsafe {
            libc::raise(libc::SIGSTOP);
        }
    }
    reenter()
}

/// Give the terminal back. Every step runs, whatever the others do.
pub fn restore() {
    let mut out = io::stdout();
    let _ = terminal::disable_raw_mode();
    let _ = execute!(out, DisableBracketedPaste);
    let _ = execute!(out, DisableMouseCapture);
    let _ = execute!(out, LeaveAlternateScreen);
    let _ = execute!(out, cursor::Show);
    let _ = out.flush();
}

/// Install a panic hook: on the UI thread it restores the terminal and writes the last draft
/// before the usual message; panics in background tasks are logged only (the runner turns
/// them into a message, and printing would garble the screen).
pub fn install_panic_hook(draft: Arc<Mutex<Option<Vec<u8>>>>, store: Option<DraftStore>) {
    let ui_thread = std::thread::current().id();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui_thread {
            restore();
            if let Some(store) = &store
                && let Ok(guard) = draft.try_lock()
                && let Some(bytes) = guard.as_ref()
            {
                let _ = store.save_raw(bytes);
            }
            previous(info);
        } else {
            tracing::error!("background task panicked: {info}");
        }
    }));
}
