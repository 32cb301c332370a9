//! The real binary in a pseudo-terminal (portable-pty + vt100), shared by the suites that
//! drive it: start it, type, wait for text on the screen, read the terminal mode, and the
//! steps of the wizard every script walks through.
#![allow(dead_code)]

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The binary under test.
pub use super::bin::BIN;
/// The longest any single wait may take.
pub const WAIT: Duration = Duration::from_secs(30);
/// Enter.
pub const ENTER: &[u8] = b"\r";
/// Tab.
pub const TAB: &[u8] = b"\t";
/// Arrow down.
pub const DOWN: &[u8] = b"\x1b[B";

/// The real binary in a pseudo-terminal, its output parsed by vt100 and kept raw.
pub struct Term {
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    pub writer: Box<dyn std::io::Write + Send>,
    pub master: Box<dyn portable_pty::MasterPty + Send>,
    pub parser: Arc<Mutex<vt100::Parser>>,
    pub raw: Arc<Mutex<Vec<u8>>>,
}

impl Term {
    /// Start `snow-connect ARGS` at 80x24 with HOME and the XDG directories under `home`.
    pub fn start(args: &[&str], home: &Path, env: &[(&str, &str)]) -> Term {
        Term::spawn(args, home, env, true)
    }

    /// [`Term::start`] with `TERM` unset.
    pub fn start_without_term(args: &[&str], home: &Path) -> Term {
        Term::spawn(args, home, &[], false)
    }

    fn spawn(args: &[&str], home: &Path, env: &[(&str, &str)], term: bool) -> Term {
        let pair = portable_pty::native_pty_system()
            .openpty(portable_pty::PtySize {
                rows: 24,
                cols: 80,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = portable_pty::CommandBuilder::new(BIN);
        cmd.args(args);
        cmd.cwd(home);
        if term {
            cmd.env("TERM", "xterm-256color");
        } else {
            cmd.env_remove("TERM");
        }
        cmd.env("HOME", home);
        cmd.env("XDG_CONFIG_HOME", home.join("config"));
        for var in super::bin::INHERITED {
            cmd.env_remove(var);
        }
        // The state dir follows the XDG state home the caller chose, if it chose one.
        let state_home = env
            .iter()
            .find(|(k, _)| *k == "XDG_STATE_HOME")
            .map_or_else(|| home.join("state"), |(_, v)| PathBuf::from(v));
        for (k, v) in super::bin::state_env(&state_home) {
            cmd.env(k, v);
        }
        // The palette follows these: a test must not inherit the runner's terminal.
        cmd.env_remove("COLORTERM");
        cmd.env_remove("NO_COLOR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let writer = pair.master.take_writer().expect("writer");
        let (Some(rows), Some(cols)) =
            (std::num::NonZeroU16::new(24), std::num::NonZeroU16::new(80))
        else {
            unreachable!("non-zero constants")
        };
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (p, r) = (parser.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut p) = p.lock() {
                    p.process(&buf[..n]);
                }
                if let Ok(mut r) = r.lock() {
                    r.extend_from_slice(&buf[..n]);
                }
            }
        });
        Term {
            child,
            writer,
            master: pair.master,
            parser,
            raw,
        }
    }

    /// The screen as text.
    pub fn screen(&self) -> String {
        self.parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    /// Write bytes as if typed.
    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write");
        self.writer.flush().expect("flush");
    }

    /// Poll the screen (every 20 ms, bounded) until `cond` holds.
    pub fn wait_until(&self, what: &str, cond: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if cond(&s) {
                return s;
            }
            assert!(
                start.elapsed() < WAIT,
                "timed out waiting for {what}; the screen shows:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Wait (bounded) until the screen shows `needle`.
    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_until(&format!("{needle:?}"), |s| s.contains(needle))
    }

    /// Wait (bounded) until the terminal's modes (alternate screen, cursor, bracketed paste)
    /// satisfy `cond`.
    pub fn wait_modes(&self, what: &str, cond: impl Fn(&vt100::Screen) -> bool) {
        self.wait_until(what, |_| {
            self.parser
                .lock()
                .map(|p| cond(p.screen()))
                .unwrap_or(false)
        });
    }

    /// Press `key` until `needle` shows. After each press wait for the screen or the cursor to
    /// change (every focus move changes one), so that a slow machine never gets a second press
    /// that would move past the target.
    pub fn press_until(&mut self, key: &[u8], needle: &str, max: usize) {
        for _ in 0..max {
            let before = self.state();
            if before.0.contains(needle) {
                return;
            }
            self.send(key);
            let start = Instant::now();
            while self.state() == before {
                assert!(
                    start.elapsed() < WAIT,
                    "no change after a key:\n{}",
                    before.0
                );
                std::thread::sleep(Duration::from_millis(10));
            }
            // A frame can arrive in pieces: let it finish before looking at it.
            let mut last = self.state();
            loop {
                std::thread::sleep(Duration::from_millis(30));
                let now = self.state();
                if now == last || start.elapsed() > WAIT {
                    break;
                }
                last = now;
            }
        }
        // The last press may have brought it.
        if self.state().0.contains(needle) {
            return;
        }
        panic!("{needle:?} never showed:\n{}", self.screen());
    }

    /// The screen text and the cursor position.
    pub fn state(&self) -> (String, (u16, u16)) {
        self.parser
            .lock()
            .map(|p| (p.screen().contents(), p.screen().cursor_position()))
            .unwrap_or_default()
    }

    /// Send `signal` to the program.
    pub fn signal(&self, signal: libc::c_int) {
        let pid = self.child.process_id().expect("pid");
        // SAFETY: a signal to our own child.
        let rc = unsafe { libc::kill(pid as libc::pid_t, signal) };
        assert_eq!(rc, 0);
    }

    /// Wait (bounded) for the process to end.
    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(start.elapsed() < WAIT, "the wizard did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the terminal is in canonical mode with echo (what a shell expects), read with
    /// tcgetattr on the pseudo-terminal (its line discipline is shared by both ends).
    pub fn cooked(&self) -> bool {
        let Some(fd) = self.master.as_raw_fd() else {
            panic!("no descriptor for the pseudo-terminal");
        };
        // SAFETY: termios is plain data; tcgetattr fills it from a descriptor we own.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::tcgetattr(fd, &mut t) };
        assert_eq!(rc, 0, "tcgetattr failed");
        t.c_lflag & libc::ICANON != 0 && t.c_lflag & libc::ECHO != 0
    }

    /// Wait (bounded) until the terminal is (or is not) in cooked mode.
    pub fn wait_cooked(&self, want: bool) {
        let start = Instant::now();
        while self.cooked() != want {
            assert!(start.elapsed() < WAIT, "terminal cooked={want} never came");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Every byte the program wrote from offset `from` on.
    pub fn raw_since(&self, from: usize) -> Vec<u8> {
        self.raw
            .lock()
            .map(|r| r.get(from..).map(<[u8]>::to_vec).unwrap_or_default())
            .unwrap_or_default()
    }

    /// Every byte the program wrote.
    pub fn raw(&self) -> Vec<u8> {
        self.raw_since(0)
    }

    /// How many bytes the program has written.
    pub fn raw_len(&self) -> usize {
        self.raw.lock().map_or(0, |r| r.len())
    }
}

/// Steps of the wizard that the scripts share.
impl Term {
    /// Welcome → Choose a user → OAuth application → the Connect form.
    pub fn walk_to_the_form(&mut self) {
        self.wait_for("Connect Finout to ServiceNow");
        self.send(ENTER);
        self.wait_for("1. Choose a User");
        self.send(ENTER);
        self.wait_for("2. OAuth Authentication");
        self.send(ENTER);
        self.wait_for("3. Add ServiceNow credentials");
        // The whole form, down to its button.
        self.wait_for("[ Connect ]");
    }

    /// From the passed checks to the editor of a new endpoint (c continues; Enter would open
    /// the selected row).
    pub fn open_new_endpoint(&mut self) {
        self.send(b"c");
        self.wait_for("+ Add an endpoint");
        self.send(ENTER);
        self.wait_for("New endpoint");
    }

    /// Save the endpoint being edited and go on to the review screen.
    pub fn save_endpoint_and_review(&mut self) {
        self.press_until(TAB, "▸[ Save endpoint ]", 12);
        self.send(ENTER);
        self.wait_for("is ready");
        self.send(b"c");
        self.wait_for("5. Review & save");
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}

/// What the program wrote to the normal screen after it last left the alternate screen (the
/// closing lines), `\r` removed. Read from the raw bytes, so long lines are whole.
pub fn after_alternate_screen(raw: &[u8]) -> String {
    const LEAVE: &[u8] = b"\x1b[?1049l";
    let start = raw
        .windows(LEAVE.len())
        .rposition(|w| w == LEAVE)
        .map_or(0, |i| i + LEAVE.len());
    String::from_utf8_lossy(&raw[start..]).replace('\r', "")
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The drafts the wizard left under `home` (started by [`Term::start`]).
pub fn drafts(home: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(home.join("state").join("snow-connect").join("drafts"))
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}
