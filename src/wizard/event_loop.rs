//! The event loop, generic over the event source and the backend (helix's seam): production
//! feeds `crossterm::event::EventStream` and a `CrosstermBackend`; tests feed scripted events
//! and a `TestBackend` into the same loop, no PTY needed.
//!
//! Redraw on change only: a dirty flag and at most one frame per [`FRAME`] (yazi). The tick
//! runs only while a spinner is visible, so an idle wizard sleeps.

use std::io::{self, Write};
use std::time::Duration;

use base64::Engine;
use crossterm::event::{Event, KeyEventKind};
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend, TestBackend};
use ratatui::buffer::Buffer;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use crate::wizard::draft::draft_of;
use crate::wizard::effects::Runner;
use crate::wizard::model::Model;
use crate::wizard::msg::{Effect, Msg};
use crate::wizard::update::update;
use crate::wizard::view::view;

/// At most one frame per this interval.
pub const FRAME: Duration = Duration::from_millis(10);
/// Spinner speed.
pub const TICK: Duration = Duration::from_millis(100);
/// While the user types, the draft is written at most once per this interval, off the UI
/// thread (the exit paths write it at once).
pub const DRAFT_EVERY: Duration = Duration::from_secs(1);

/// A backend the wizard can also write raw escape sequences to (OSC 52) and tell about
/// resizes.
pub trait WizardBackend: Backend {
    /// Write bytes straight to the terminal (not as cells).
    fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// The terminal was resized (backends that do not ask the OS, like `TestBackend`, follow).
    fn resized(&mut self, _w: u16, _h: u16) {}
}

impl<W: Write> WizardBackend for CrosstermBackend<W> {
    fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_all(bytes)?;
        Write::flush(self)
    }
}

impl WizardBackend for TestBackend {
    fn write_raw(&mut self, _bytes: &[u8]) -> io::Result<()> {
        Ok(())
    }
    fn resized(&mut self, w: u16, h: u16) {
        self.resize(w, h);
    }
}

/// The OSC 52 sequence that puts `text` on the clipboard of the terminal the user sits at
/// (works over SSH). Terminated with ST.
pub fn osc52(text: &str) -> Vec<u8> {
    // The copied fix holds server text: nothing a server echoed may reach the clipboard.
    let text = crate::sanitize::redact(text);
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{b64}\x1b\\").into_bytes()
}

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopExit {
    /// The user quit.
    Quit,
    /// SIGHUP, SIGTERM, SIGINT or SIGQUIT (the signal number); the draft was written.
    Signal(i32),
    /// The event source ended or failed (terminal gone); the draft was written.
    InputClosed,
}

/// Loop settings.
#[derive(Debug, Default)]
pub struct LoopOptions {
    /// Handle signals and Ctrl-Z (production): SIGHUP, SIGTERM, SIGINT and SIGQUIT end the
    /// loop with a draft; SIGTSTP and Ctrl-Z suspend; SIGCONT redraws.
    pub signals: bool,
    /// Publish the text of every rendered frame (tests wait on it).
    pub screen: Option<watch::Sender<String>>,
}

/// The text of a buffer, one line per row (wide characters once).
pub fn buffer_text(buf: &Buffer) -> String {
    let mut out = String::new();
    let area = buf.area;
    for y in area.top()..area.bottom() {
        let mut skip = 0usize;
        for x in area.left()..area.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            let w = unicode_width::UnicodeWidthStr::width(sym);
            skip = w.saturating_sub(1);
            out.push_str(if sym.is_empty() { " " } else { sym });
        }
        out.push('\n');
    }
    out
}

/// What a signal asks of the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignalEvent {
    /// SIGHUP, SIGTERM, SIGINT or SIGQUIT: keep a draft, give the terminal back, exit.
    Exit(i32),
    /// SIGTSTP: give the terminal back and stop until `fg`.
    Suspend,
    /// SIGCONT after someone else stopped us (SIGSTOP): take the terminal again and redraw.
    Continue,
}

struct Signals {
    #[cfg(unix)]
    inner: Vec<(tokio::signal::unix::Signal, SignalEvent)>,
}

impl Signals {
    fn new(enabled: bool) -> io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut inner = Vec::new();
            if enabled {
                // In raw mode Ctrl-C and Ctrl-\ are keys, so these come from outside (kill,
                // a supervisor): they end the wizard the way SIGTERM does.
                for sig in [libc::SIGHUP, libc::SIGTERM, libc::SIGINT, libc::SIGQUIT] {
                    inner.push((signal(SignalKind::from_raw(sig))?, SignalEvent::Exit(sig)));
                }
                inner.push((
                    signal(SignalKind::from_raw(libc::SIGTSTP))?,
                    SignalEvent::Suspend,
                ));
                inner.push((
                    signal(SignalKind::from_raw(libc::SIGCONT))?,
                    SignalEvent::Continue,
                ));
            }
            Ok(Signals { inner })
        }
        #[cfg(not(unix))]
        {
            let _ = enabled;
            Ok(Signals {})
        }
    }

    async fn recv(&mut self) -> SignalEvent {
        #[cfg(unix)]
        if !self.inner.is_empty() {
            let waits = self.inner.iter_mut().map(|(s, ev)| {
                let ev = *ev;
                Box::pin(async move {
                    s.recv().await;
                    ev
                })
            });
            let (ev, _, _) = futures::future::select_all(waits).await;
            return ev;
        }
        std::future::pending().await
    }
}

/// Whether a key is Ctrl-Z (in raw mode the terminal sends it as a key, not as SIGTSTP).
fn is_suspend_key(k: &crossterm::event::KeyEvent) -> bool {
    use crossterm::event::{KeyCode, KeyModifiers};
    k.modifiers.contains(KeyModifiers::CONTROL) && matches!(k.code, KeyCode::Char('z' | 'Z'))
}

/// Stop until `fg`, the terminal given back meanwhile, then take it again and redraw all.
fn suspend<B: WizardBackend>(terminal: &mut Terminal<B>) -> io::Result<()> {
    crate::wizard::terminal::suspend_process()?;
    forget_screen(terminal)
}

/// Blank the screen and make the next frame draw every cell. Not `Terminal::clear`: it asks
/// the terminal for the cursor position, and the answer would go to the event reader.
fn forget_screen<B: WizardBackend>(terminal: &mut Terminal<B>) -> io::Result<()> {
    terminal.backend_mut().clear().map_err(to_io)?;
    // After a draw the current buffer is blank; swapping blanks the other (the last frame).
    terminal.swap_buffers();
    Ok(())
}

fn to_io<E: std::error::Error>(e: E) -> io::Error {
    io::Error::other(e.to_string())
}

/// Apply a message and perform its effects.
fn apply<B: WizardBackend>(
    terminal: &mut Terminal<B>,
    model: &mut Model,
    runner: &mut Runner,
    msg: Msg,
) {
    for effect in update(model, msg) {
        match effect {
            Effect::Clipboard(text) => {
                if let Err(e) = terminal.backend_mut().write_raw(&osc52(&text)) {
                    tracing::warn!("could not write OSC 52: {e}");
                }
            }
            other => runner.run(other),
        }
    }
}

fn render<B: WizardBackend>(
    terminal: &mut Terminal<B>,
    model: &Model,
    screen: Option<&watch::Sender<String>>,
) -> io::Result<()> {
    let frame = terminal.draw(|f| view(model, f)).map_err(to_io)?;
    if let Some(tx) = screen {
        tx.send_replace(buffer_text(frame.buffer));
    }
    Ok(())
}

/// Run the wizard until it quits, a signal arrives or the input ends.
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    mut events: S,
    model: &mut Model,
    runner: &mut Runner,
    rx: &mut UnboundedReceiver<Msg>,
    opts: &LoopOptions,
) -> io::Result<LoopExit>
where
    B: WizardBackend,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    let size = terminal.size().map_err(to_io)?;
    apply(
        terminal,
        model,
        runner,
        Msg::Resize(size.width, size.height),
    );
    let mut signals = Signals::new(opts.signals)?;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut dirty = true;
    let mut last_render: Option<Instant> = None;
    let keep_draft = |model: &Model, runner: &Runner| {
        if model.cx.unsaved {
            runner.save_draft(&draft_of(model));
        }
    };
    // When the draft is due to be written (typing changed something).
    let mut draft_due: Option<Instant> = None;
    loop {
        let now = Instant::now();
        let due = last_render.map_or(now, |t| t + FRAME);
        if dirty && now >= due {
            render(terminal, model, opts.screen.as_ref())?;
            last_render = Some(now);
            dirty = false;
        }
        if model.quit {
            keep_draft(model, runner);
            runner.shutdown();
            return Ok(LoopExit::Quit);
        }
        let animating = model.animating();
        tokio::select! {
            biased;
            sig = signals.recv() => match sig {
                SignalEvent::Exit(sig) => {
                    keep_draft(model, runner);
                    runner.shutdown();
                    return Ok(LoopExit::Signal(sig));
                }
                SignalEvent::Suspend => {
                    keep_draft(model, runner);
                    suspend(terminal)?;
                    dirty = true;
                }
                SignalEvent::Continue => {
                    crate::wizard::terminal::reenter()?;
                    forget_screen(terminal)?;
                    dirty = true;
                }
            },
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k)))
                    if opts.signals && k.kind != KeyEventKind::Release && is_suspend_key(&k) =>
                {
                    keep_draft(model, runner);
                    suspend(terminal)?;
                    dirty = true;
                }
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => {
                    apply(terminal, model, runner, Msg::Key(k));
                    dirty = true;
                    if model.cx.unsaved && draft_due.is_none() {
                        draft_due = Some(Instant::now() + DRAFT_EVERY);
                    }
                }
                Some(Ok(Event::Paste(text))) => {
                    apply(terminal, model, runner, Msg::Paste(text));
                    dirty = true;
                    if model.cx.unsaved && draft_due.is_none() {
                        draft_due = Some(Instant::now() + DRAFT_EVERY);
                    }
                }
                Some(Ok(Event::Resize(w, h))) => {
                    terminal.backend_mut().resized(w, h);
                    let _ = terminal.autoresize();
                    apply(terminal, model, runner, Msg::Resize(w, h));
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::warn!("terminal input failed: {e}");
                    keep_draft(model, runner);
                    runner.shutdown();
                    return Ok(LoopExit::InputClosed);
                }
                None => {
                    keep_draft(model, runner);
                    runner.shutdown();
                    return Ok(LoopExit::InputClosed);
                }
            },
            Some(msg) = rx.recv() => {
                apply(terminal, model, runner, msg);
                // Take whatever else is already queued before drawing once.
                while let Ok(msg) = rx.try_recv() {
                    apply(terminal, model, runner, msg);
                }
                dirty = true;
            }
            _ = tokio::time::sleep_until(due), if dirty => {}
            _ = tokio::time::sleep_until(draft_due.unwrap_or(due)), if draft_due.is_some() => {
                draft_due = None;
                if model.cx.unsaved {
                    runner.queue_draft(draft_of(model));
                }
            }
            _ = tick.tick(), if animating => {
                apply(terminal, model, runner, Msg::Tick);
                dirty = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_is_one_escape_sequence_with_base64() {
        let s = String::from_utf8(osc52("fix: add ACL")).expect("ascii");
        assert!(s.starts_with("\x1b]52;c;"));
        assert!(s.ends_with("\x1b\\"));
        assert!(s.contains("Zml4OiBhZGQgQUNM"));
        assert!(!s.contains("fix"));
    }
}
