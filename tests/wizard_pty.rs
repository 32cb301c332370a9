//! The real binary in a pseudo-terminal (portable-pty + vt100): `--demo` to a saved file, the
//! terminal restored afterwards, OSC 52 sent as an escape sequence (never shown), SIGHUP
//! restoring the terminal and leaving a draft, and the refusal without a TTY.

use std::path::Path;

mod pty_support;

use pty_support::{BIN, DOWN, ENTER, TAB, Term as Pty, contains, drafts};

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("file").permissions().mode() & 0o777
}

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
    // Bracketed paste into the URL field.
    t.send(b"\x1b[200~/now/nav/ui/home\x1b[201~");
    t.wait_for("/now/nav/ui/home");
    t.signal(libc::SIGHUP);
    let status = t.wait_exit();
    assert!(!status.success());
    t.wait_modes("the main screen", |s| {
        !s.alternate_screen() && !s.bracketed_paste()
    });
    let files = drafts(dir.path());
    assert_eq!(files.len(), 1, "one draft: {files:?}");
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
    let out = std::process::Command::new(BIN)
        .current_dir(dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path())
        .stdin(std::process::Stdio::null())
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
