//! The real binary in a pseudo-terminal (portable-pty + vt100): `--demo` to a saved file and
//! its closing summary, the terminal restored afterwards, OSC 52 sent as an escape sequence
//! (never shown), SIGHUP and an unsaved quit leaving a named draft with a non-zero status,
//! the palette following TERM and COLORTERM, and the refusals without a TTY or with
//! `TERM=dumb`.

use crate::support::fs::mode;

use crate::support::pty as pty_support;

use pty_support::{DOWN, ENTER, TAB, Term as Pty, after_alternate_screen, contains, drafts};

/// Ctrl-C.
const CTRL_C: &[u8] = b"\x03";

#[test]
fn demo_runs_to_a_saved_file_and_restores_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t = Pty::start(&["--demo"], dir.path(), &[]);
    t.walk_to_the_form();
    // The demo pre-fills the form; the secrets are masked.
    let form = t.wait_for("→ http://127.0.0.1:");
    assert!(!form.contains("demo-secret") && !form.contains("demo-password"));
    t.press_until(TAB, "▸[ Connect ]", 6);
    t.send(ENTER);
    t.wait_for("All required checks passed");
    // Copy the selected row with OSC 52: it goes out as an escape sequence, not as text.
    t.send(b"y");
    t.wait_for("clipboard");
    assert!(contains(&t.raw(), b"\x1b]52;c;"), "OSC 52 was written");
    assert!(!t.screen().contains("52;c"));
    t.open_new_endpoint();
    t.send(b"PTY endpoint");
    t.press_until(TAB, "▸[ Select Fields ]", 12);
    t.send(ENTER);
    t.wait_for("fields match");
    t.send(b"priority");
    t.wait_for("▸[ ] Priority");
    t.send(TAB);
    t.wait_for("1/10 selected");
    t.send(ENTER);
    t.wait_for("Select a value: Priority");
    t.press_until(DOWN, "▸ 2 - High", 6);
    t.send(ENTER);
    t.wait_for("= 2 - High");
    t.save_endpoint_and_review();
    t.press_until(TAB, "▸[ Save ]", 6);
    t.send(ENTER);
    t.wait_for("Saved to");
    t.send(ENTER);
    let status = t.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    // The terminal is back: main screen, bracketed paste off, cursor shown.
    t.wait_modes("the main screen", |s| {
        !s.alternate_screen() && !s.bracketed_paste()
    });
    let demo = dir.path().join("snow-connect-demo.toml");
    // The closing lines on the normal screen: the path and what to run next with this file.
    let end = after_alternate_screen(&t.raw());
    let shown = std::fs::canonicalize(&demo).expect("saved");
    assert!(
        end.contains(&format!("✓ Saved {}", shown.display())),
        "{end}"
    );
    assert!(
        end.contains(&format!(
            "snow-connect check --config {}\n",
            shown.display()
        )),
        "{end}"
    );
    assert!(
        end.contains("--dry-run \\\n           --endpoint 'PTY endpoint' "),
        "{end}"
    );
    assert!(
        end.contains("The demo instance (http://127.0.0.1:"),
        "{end}"
    );
    assert!(
        end.contains("snow-connect simulator --listen 127.0.0.1:"),
        "{end}"
    );
    assert!(!end.contains("demo-secret") && !end.contains("demo-password"));
    let text = std::fs::read_to_string(&demo).expect("the demo saves to ./snow-connect-demo.toml");
    assert_eq!(mode(&demo), 0o600);
    assert!(text.contains("name = \"PTY endpoint\""), "{text}");
    assert!(text.contains("element = \"priority\""), "{text}");
    assert!(text.contains("value = \"2\""), "{text}");
    // The user's real config was not touched.
    assert!(
        !dir.path()
            .join("config")
            .join("snow-connect")
            .join("config.toml")
            .exists()
    );
    assert!(
        drafts(dir.path()).is_empty(),
        "a finished save leaves no draft"
    );
}

#[test]
fn sighup_restores_the_terminal_and_keeps_a_draft() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t = Pty::start(&["--demo"], dir.path(), &[("NO_COLOR", "1")]);
    t.walk_to_the_form();
    // The demo's complete form focuses Connect; Tab goes round to the URL field.
    t.wait_for("▸[ Connect ]");
    t.send(TAB);
    // Bracketed paste into the URL field.
    t.send(b"\x1b[200~/now/nav/ui/home\x1b[201~");
    t.wait_for("/now/nav/ui/home");
    t.signal(libc::SIGHUP);
    let status = t.wait_exit();
    assert_eq!(status.exit_code(), 129, "128 + SIGHUP");
    t.wait_modes("the main screen", |s| {
        !s.alternate_screen() && !s.bracketed_paste()
    });
    let files = drafts(dir.path());
    assert_eq!(files.len(), 1, "one draft: {files:?}");
    // The terminal is still there in this test, so the note about the draft can be read.
    let end = after_alternate_screen(&t.raw());
    assert!(end.contains(&files[0].display().to_string()), "{end}");
    let draft = std::fs::read_to_string(&files[0]).expect("draft");
    assert!(draft.contains("/now/nav/ui/home"), "{draft}");
    assert!(!draft.contains("demo-secret") && !draft.contains("demo-password"));
    // The next start offers it.
    let mut again = Pty::start(&["--demo"], dir.path(), &[]);
    again.wait_for("Unfinished setup found");
    again.send(b"\x03");
    again.wait_exit();
}

#[test]
fn without_a_terminal_the_wizard_names_the_headless_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = crate::support::bin::command(dir.path())
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    for cmd in [
        "snow-connect check",
        "snow-connect fields",
        "snow-connect send",
        "snow-connect config show",
    ] {
        assert!(err.contains(cmd), "{err}");
    }
    assert!(out.stdout.is_empty());
}

#[test]
fn quitting_with_unsaved_work_exits_non_zero_and_names_the_draft() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t = Pty::start(&["--demo"], dir.path(), &[]);
    t.walk_to_the_form();
    t.wait_for("▸[ Connect ]");
    t.send(TAB);
    t.send(b"\x1b[200~/typed\x1b[201~");
    t.wait_for("/typed");
    t.send(CTRL_C);
    t.wait_for("Quit without saving?");
    // A second Ctrl-C while asking leaves.
    t.send(CTRL_C);
    let status = t.wait_exit();
    assert_eq!(status.exit_code(), 130, "quit with unsaved work");
    t.wait_modes("the main screen", |s| !s.alternate_screen());
    let files = drafts(dir.path());
    assert_eq!(files.len(), 1, "one draft: {files:?}");
    let end = after_alternate_screen(&t.raw());
    assert!(end.contains("not saved"), "{end}");
    assert!(end.contains(&files[0].display().to_string()), "{end}");
    assert!(end.contains("`snow-connect --demo`"), "{end}");
    assert!(!end.contains("✓ Saved"), "{end}");
}

#[test]
fn quitting_with_nothing_entered_is_success_and_quiet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t = Pty::start(&[], dir.path(), &[]);
    t.wait_for("Connect Finout to ServiceNow");
    t.send(CTRL_C);
    let status = t.wait_exit();
    assert!(status.success(), "{status:?}");
    let end = after_alternate_screen(&t.raw());
    assert!(!end.contains("draft") && !end.contains("Saved"), "{end}");
    assert!(drafts(dir.path()).is_empty());
}

/// Everything the wizard wrote up to the Connect form, with this TERM / COLORTERM.
fn bytes_up_to_the_form(env: &[(&str, &str)]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t = Pty::start(&[], dir.path(), env);
    t.walk_to_the_form();
    // Tab into the form so a focused field and an unfocused one are both drawn.
    t.send(TAB);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let raw = t.raw();
    t.send(CTRL_C);
    t.wait_exit();
    raw
}

#[test]
fn the_palette_follows_term_and_colorterm() {
    let has_24_bit = |raw: &[u8]| contains(raw, b"38;2;") || contains(raw, b"48;2;");
    let has_256 = |raw: &[u8]| contains(raw, b"48;5;236") || contains(raw, b"48;5;24m");
    // TERM=xterm without COLORTERM: the 16 ANSI colours, and colour is still on.
    let xterm = bytes_up_to_the_form(&[("TERM", "xterm")]);
    assert!(!has_24_bit(&xterm), "TERM=xterm got 24-bit colour");
    assert!(!has_256(&xterm), "TERM=xterm got 256-colour swatches");
    assert!(contains(&xterm, b"38;5;"), "TERM=xterm still gets colour");
    // TERM=xterm-256color: 256 colours, still no 24-bit.
    let xterm256 = bytes_up_to_the_form(&[("TERM", "xterm-256color")]);
    assert!(!has_24_bit(&xterm256), "xterm-256color got 24-bit colour");
    assert!(
        has_256(&xterm256),
        "xterm-256color uses the 256-colour swatches"
    );
    // COLORTERM=truecolor is the claim that allows 24-bit (so the checks above can fail).
    let truecolor = bytes_up_to_the_form(&[("TERM", "xterm"), ("COLORTERM", "truecolor")]);
    assert!(
        has_24_bit(&truecolor),
        "COLORTERM=truecolor gets 24-bit colour"
    );
}

#[test]
fn a_dumb_or_missing_term_refuses_with_the_no_terminal_line() {
    for term in [Some("dumb"), None] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut t = match term {
            Some(v) => Pty::start(&[], dir.path(), &[("TERM", v)]),
            None => Pty::start_without_term(&[], dir.path()),
        };
        let status = t.wait_exit();
        assert_eq!(status.exit_code(), 2, "TERM={term:?}");
        // Let the reader thread take the last bytes.
        std::thread::sleep(std::time::Duration::from_millis(100));
        let raw = t.raw();
        assert!(
            !contains(&raw, b"\x1b[?1049h"),
            "the full screen never started"
        );
        let text = String::from_utf8_lossy(&raw).replace('\r', "");
        assert_eq!(text.matches('\n').count(), 1, "one line: {text:?}");
        assert!(text.ends_with('\n'), "{text:?}");
        assert!(
            text.contains("the wizard needs an interactive terminal"),
            "{text}"
        );
        for cmd in [
            "snow-connect check",
            "snow-connect send",
            "snow-connect config show",
        ] {
            assert!(text.contains(cmd), "{text}");
        }
    }
}

#[test]
fn enter_on_the_first_failing_row_shows_servicenows_message_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t = Pty::start(&["--demo", "--deny", "sys_glide_object"], dir.path(), &[]);
    t.walk_to_the_form();
    t.press_until(TAB, "▸[ Connect ]", 6);
    t.send(ENTER);
    let matrix = t.wait_for("(above the matrix)");
    // The matrix opens on the first row that did not pass.
    assert!(
        matrix
            .lines()
            .any(|l| l.contains("▸✗ Blocked") && l.contains("sys_glide_object")),
        "the failing row is selected:\n{matrix}"
    );
    t.send(ENTER);
    let detail = t.wait_for("Esc close");
    assert!(
        detail
            .lines()
            .any(|l| l.contains("HTTP 403: Insufficient rights to query records")),
        "ServiceNow's message on one line:\n{detail}"
    );
    assert!(!detail.contains("Continue anyway?"), "{detail}");
    // The plan is further down: End reaches the last line, and the position says so.
    t.send(b"\x1b[F");
    let end = t.wait_for("s writes the report");
    // The frame's bottom edge says `first–last/total`: at the end, last is total.
    let at = end
        .lines()
        .find_map(|l| {
            l.split_whitespace()
                .find(|w| w.contains('–') && w.contains('/'))
        })
        .unwrap_or_else(|| panic!("no position shown:\n{end}"));
    let (last, total) = at
        .split_once('–')
        .and_then(|(_, r)| r.split_once('/'))
        .unwrap_or_else(|| panic!("position {at:?}"));
    assert_eq!(last, total, "End shows the last line: {at}");
    t.send(b"\x1b");
    t.wait_for("Enter/v details");
    t.send(CTRL_C);
    t.wait_exit();
}

/// How many test incidents the demo instance at `base` (`http://127.0.0.1:PORT`) holds.
fn test_incidents(base: &str) -> u64 {
    use base64::Engine;
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let auth = base64::engine::general_purpose::STANDARD.encode("finout.integration:demo-password");
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the demo instance");
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    write!(
        s,
        "GET /api/now/table/incident?sysparm_query=short_descriptionSTARTSWITHsnow-connect%20connection%20test&sysparm_fields=number&sysparm_limit=100 HTTP/1.1\r\n\
         Host: {addr}\r\nAccept: application/json\r\nAuthorization: Basic {auth}\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    answer
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("x-total-count")
                .then(|| v.trim().parse().ok())
                .flatten()
        })
        .unwrap_or_else(|| panic!("no X-Total-Count:\n{answer}"))
}

#[test]
fn the_test_incident_is_created_only_after_its_confirmation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t = Pty::start(&["--demo"], dir.path(), &[]);
    t.walk_to_the_form();
    let form = t.wait_for("→ http://127.0.0.1:");
    let base = form
        .lines()
        .find_map(|l| l.split("→ ").nth(1))
        .map(|u| u.trim().to_string())
        .expect("the demo URL on the form");
    t.press_until(TAB, "▸[ Connect ]", 6);
    t.send(ENTER);
    t.wait_for("All required checks passed");
    t.open_new_endpoint();
    t.send(b"PTY endpoint");
    t.save_endpoint_and_review();
    let before = test_incidents(&base);
    t.press_until(TAB, "▸[ Send a test incident ]", 8);
    // Esc on the question creates nothing.
    t.send(ENTER);
    t.wait_for("Create a test incident?");
    t.send(b"\x1b");
    t.wait_until("the question closed", |s| {
        !s.contains("Create a test incident?")
    });
    // Enter takes the default, Cancel: nothing either.
    t.send(ENTER);
    let asked = t.wait_for("Create a test incident?");
    assert!(
        asked.contains("▸[ Cancel ]"),
        "Cancel is the default:\n{asked}"
    );
    t.send(ENTER);
    t.wait_until("the question closed", |s| {
        !s.contains("Create a test incident?")
    });
    assert_eq!(test_incidents(&base), before, "nothing was created");
    assert!(!t.screen().contains("Created INC"));
    // Yes creates exactly one (so the count above could have moved).
    t.send(ENTER);
    t.wait_for("Create a test incident?");
    t.send(b"y");
    t.wait_for("✓ Created INC");
    assert_eq!(test_incidents(&base), before + 1);
    t.send(CTRL_C);
    t.wait_for("Quit without saving?");
    t.send(CTRL_C);
    t.wait_exit();
}

#[test]
fn an_unusable_discovery_limit_is_refused_before_the_screen_is_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t = Pty::start(
        &["--demo"],
        dir.path(),
        &[("SNOW_CONNECT_MAX_ROWS", "lots")],
    );
    let status = t.wait_exit();
    assert_eq!(status.exit_code(), 2, "a usage error");
    let out = String::from_utf8_lossy(&t.raw()).into_owned();
    assert!(
        out.contains("SNOW_CONNECT_MAX_ROWS wants a whole number above 0"),
        "{out}"
    );
    assert!(
        !contains(&t.raw(), b"\x1b[?1049h"),
        "the screen never came up"
    );
}
