//! The conventional-CLI contract of the real binary: help, version, completions, the man
//! page, a closed stdout, SIGINT, empty environment variables, the env twins, trust files,
//! the `--json` envelope and the one message prefix.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::bin::BIN;
const CLIENT_ID: &str = "4f1c2b8e9d7a6c5b4a3f2e1d0c9b8a7f";
const CLIENT_SECRET: &str = "demo-secret";
const USERNAME: &str = "finout.integration";
const PASSWORD: &str = "demo-password";

/// Every variable the binary reads, removed so the caller's shell cannot leak in.
const ENV: [&str; 10] = [
    "SNOW_CONNECT_CONFIG",
    "SNOW_INSTANCE",
    "SNOW_CLIENT_ID",
    "SNOW_USERNAME",
    "SNOW_CLIENT_SECRET",
    "SNOW_PASSWORD",
    "SNOW_CONNECT_LOG",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "ALL_PROXY",
];

/// The binary with a private HOME/XDG tree under `dir` and a clean environment.
fn cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = crate::support::bin::command(&dir.join("state"));
    for var in ENV {
        c.env_remove(var);
    }
    c.env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .args(["--log-file"])
        .arg(dir.join("test.log"))
        .args(args)
        .stdin(Stdio::null());
    c
}

fn run(mut c: Command) -> Output {
    c.output().expect("run snow-connect")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn stdout_of(dir: &Path, args: &[&str]) -> String {
    let out = run(cmd(dir, args));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// A `snow-connect simulator` process and its base URL (its first stdout line).
struct Sim {
    child: Child,
    url: String,
}

impl Sim {
    fn start(dir: &Path, args: &[&str]) -> Sim {
        let mut c = crate::support::bin::command(&dir.join("state"));
        c.arg("--log-file")
            .arg(dir.join("sim.log"))
            .arg("simulator")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = c.spawn().expect("spawn simulator");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let url = line.trim().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
        Sim { child, url }
    }

    /// SIGINT, then the exit status (None when it did not end in 10 s).
    fn interrupt(&mut self) -> Option<i32> {
        signal(&self.child, libc::SIGINT);
        wait(&mut self.child, Duration::from_secs(10))
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal(child: &Child, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    // SAFETY: kill(2) on a child this test spawned.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

fn wait(child: &mut Child, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code();
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A config with inline secrets, mode 0600.
fn write_config(dir: &Path, instance: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("snow.toml");
    let body = format!(
        "version = 1\n\n[servicenow]\ninstance_url = \"{instance}\"\nclient_id = \"{CLIENT_ID}\"\n\
         client_secret = \"{CLIENT_SECRET}\"\nusername = \"{USERNAME}\"\npassword_env = \"CLI_TEST_PASSWORD\"\n\n\
         [[endpoints]]\nname = \"FinOps\"\ndescription = \"test\"\ntable = \"incident\"\n"
    );
    std::fs::write(&path, body).expect("write config");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    path
}

// ------------------------------------------------------------------------------ help

const COMMANDS: [&[&str]; 9] = [
    &[],
    &["check"],
    &["fields"],
    &["send"],
    &["simulator"],
    &["config"],
    &["config", "show"],
    &["completions"],
    &["man"],
];

#[test]
fn short_help_is_short_and_keeps_simulator_flags_for_the_simulator() {
    let dir = tempfile::tempdir().expect("tempdir");
    let short = stdout_of(dir.path(), &["-h"]);
    assert!(
        short.lines().count() <= 45,
        "{} lines:\n{short}",
        short.lines().count()
    );
    let long = stdout_of(dir.path(), &["--help"]);
    for help in [&short, &long] {
        assert!(!help.contains("--deny <ACL>"), "{help}");
        assert!(!help.contains("--hibernating"), "{help}");
        assert!(!help.contains("--auth-error-order"), "{help}");
        let words = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains("`snow-connect simulator --help`"), "{help}");
    }
    let sim = stdout_of(dir.path(), &["simulator", "--help"]);
    assert!(
        sim.contains("--deny") && sim.contains("--auth-error-order"),
        "{sim}"
    );
}

#[test]
fn every_help_has_examples_environment_and_exit_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in COMMANDS {
        let mut full: Vec<&str> = args.to_vec();
        full.push("--help");
        let help = stdout_of(dir.path(), &full);
        for section in ["EXAMPLES", "ENVIRONMENT", "EXIT STATUS"] {
            assert!(help.contains(section), "{args:?} has no {section}:\n{help}");
        }
        // A pipe gets help wrapped to 80 columns.
        for line in help.lines() {
            assert!(line.chars().count() <= 80, "{args:?}: {line:?}");
        }
    }
    for args in [&[][..], &["check"], &["fields"], &["send"]] {
        let mut full: Vec<&str> = args.to_vec();
        full.push("--help");
        let help = stdout_of(dir.path(), &full);
        assert!(
            help.contains("SNOW_CLIENT_SECRET") && help.contains("SNOW_PASSWORD"),
            "{args:?}"
        );
        assert!(help.contains("130"), "{args:?}");
    }
    for args in [&[][..], &["check"], &["fields"]] {
        let mut full: Vec<&str> = args.to_vec();
        full.push("--help");
        let help = stdout_of(dir.path(), &full);
        for twin in ["SNOW_INSTANCE", "SNOW_CLIENT_ID", "SNOW_USERNAME"] {
            assert!(help.contains(twin), "{args:?} does not name {twin}");
        }
    }
}

#[test]
fn send_does_not_offer_connection_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let help = stdout_of(dir.path(), &["send", "--help"]);
    for flag in ["--instance", "--client-id", "--username"] {
        assert!(!help.contains(flag), "send --help offers {flag}");
    }
    let out = run(cmd(
        dir.path(),
        &[
            "send",
            "--endpoint",
            "x",
            "--short-description",
            "y",
            "--instance",
            "acme",
        ],
    ));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn version_names_the_commit_and_the_build_date() {
    let dir = tempfile::tempdir().expect("tempdir");
    for flag in ["--version", "-V"] {
        let line = stdout_of(dir.path(), &[flag]);
        let line = line.trim_end();
        let rest = line
            .strip_prefix(&format!(
                "snow-connect {} (commit ",
                env!("CARGO_PKG_VERSION")
            ))
            .unwrap_or_else(|| panic!("{line:?}"));
        let (commit, rest) = rest
            .split_once(", built ")
            .unwrap_or_else(|| panic!("{line:?}"));
        let date = rest.strip_suffix(')').unwrap_or_else(|| panic!("{line:?}"));
        assert!(
            commit == "unknown"
                || (commit.len() >= 7 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
            "{line:?}"
        );
        let b = date.as_bytes();
        assert!(
            date == "unknown"
                || (b.len() == 10
                    && b[4] == b'-'
                    && b[7] == b'-'
                    && date.replace('-', "").bytes().all(|c| c.is_ascii_digit())),
            "{line:?}"
        );
    }
}

// ------------------------------------------------------------ completions, man page

fn has(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Runs `program -n FILE` (a syntax check without executing) on the generated script.
fn syntax_check(program: &str, script: &str, dir: &Path) {
    let file = dir.join(format!("completion.{program}"));
    std::fs::write(&file, script).expect("write script");
    let out = Command::new(program)
        .arg("-n")
        .arg(&file)
        .output()
        .expect("run shell");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{program} -n: {}",
        text(&out.stderr)
    );
}

#[test]
fn completions_parse_in_their_shells() {
    let dir = tempfile::tempdir().expect("tempdir");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout_of(dir.path(), &["completions", shell]);
        assert!(script.contains("snow-connect"), "{shell}");
        assert!(
            script.contains("check") && script.contains("config"),
            "{shell}"
        );
        match shell {
            "bash" => syntax_check("bash", &script, dir.path()),
            "zsh" | "fish" if has(shell) => syntax_check(shell, &script, dir.path()),
            _ => {}
        }
    }
    let bash = stdout_of(dir.path(), &["completions", "bash"]);
    assert!(
        bash.contains("--create-test-incident"),
        "subcommand flags completed"
    );
    let out = run(cmd(dir.path(), &["completions", "tcsh"]));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_man_page_renders_and_covers_every_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = stdout_of(dir.path(), &["man"]);
    assert!(
        page.starts_with(".ie") || page.starts_with(".TH"),
        "{}",
        &page[..80.min(page.len())]
    );
    for name in [
        "CHECK",
        "FIELDS",
        "SEND",
        "SIMULATOR",
        "CONFIG SHOW",
        "COMPLETIONS",
        "MAN",
    ] {
        assert!(
            page.contains(&format!(".SH \"SNOW\\-CONNECT {name}\"")),
            "no {name}"
        );
    }
    let file = dir.path().join("snow-connect.1");
    std::fs::write(&file, &page).expect("write page");
    if has("groff") {
        // -ww: every warning; -z: no output, only the diagnostics.
        let out = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&file)
            .output()
            .expect("groff");
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "groff: {}",
            text(&out.stderr)
        );
    }
    if has("man") {
        let out = Command::new("man")
            .arg("-l")
            .arg(&file)
            .env("MANWIDTH", "80")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .output()
            .expect("man");
        let rendered = text(&out.stdout);
        assert!(out.status.success(), "man -l: {}", text(&out.stderr));
        for words in [
            "SNOW-CONNECT CHECK",
            "--create-test-incident",
            "EXIT STATUS",
            "SNOW_PASSWORD",
        ] {
            assert!(rendered.contains(words), "man -l output lacks {words:?}");
        }
    }
}

// ------------------------------------------------------------- pipes and signals

#[test]
fn a_closed_stdout_ends_a_command_quietly_with_status_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), "https://acme.service-now.com");
    let config = config.to_str().expect("utf-8 path");
    for args in [
        &["--config", config, "config", "show"][..],
        &["--config", config, "config", "show", "--json"],
        &["config", "path"],
        &["man"],
        &["completions", "bash"],
        &["--help"],
    ] {
        let mut c = cmd(dir.path(), args);
        c.env("CLI_TEST_PASSWORD", "x");
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        c.stdout(Stdio::from(writer)).stderr(Stdio::piped());
        let out = c.output().expect("run");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
    // `fields` (a table of about 100 lines) against a simulator, into a closed pipe.
    let sim = Sim::start(dir.path(), &[]);
    let mut c = cmd(dir.path(), &["fields", "--instance", &sim.url]);
    c.args(["--client-id", CLIENT_ID, "--username", USERNAME])
        .env("SNOW_CLIENT_SECRET", CLIENT_SECRET)
        .env("SNOW_PASSWORD", PASSWORD);
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    c.stdout(Stdio::from(writer)).stderr(Stdio::piped());
    let out = c.output().expect("run fields");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "fields: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "fields: {err}"
    );
    // The same through a real shell pipe into `head -c1`.
    let script = format!("set -o pipefail; '{BIN}' man | head -c1 >/dev/null");
    let status = Command::new("bash")
        .args(["-c", &script])
        .status()
        .expect("bash");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sigint_during_check_is_130_with_no_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sim = Sim::start(dir.path(), &["--latency-ms", "5000"]);
    let log = dir.path().join("test.log");
    let mut c = cmd(dir.path(), &["-v"]);
    c.args(["check", "--instance", &sim.url, "--client-id", CLIENT_ID])
        .args(["--username", USERNAME])
        .env("SNOW_CLIENT_SECRET", CLIENT_SECRET)
        .env("SNOW_PASSWORD", PASSWORD)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn check");
    // The log file gets its first line once the command runs (and its handlers are set).
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::metadata(&log).map_or(true, |m| m.len() == 0) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, libc::SIGINT);
    let code = wait(&mut child, Duration::from_secs(10));
    let out = child.wait_with_output().expect("output");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(code, Some(130), "{all}");
    assert!(!all.contains("Result:"), "a verdict after Ctrl-C: {all}");
    // The simulator follows the same rule after shutting down cleanly.
    assert_eq!(sim.interrupt(), Some(130));
}

// ------------------------------------------------------------------- environment

#[test]
fn empty_variables_count_as_unset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = cmd(dir.path(), &["config", "path"]);
    c.env("SNOW_CONNECT_CONFIG", "");
    let out = run(c);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let path = text(&out.stdout);
    assert!(
        path.trim_end().ends_with("snow-connect/config.toml"),
        "{path}"
    );
    assert!(
        path.starts_with(&dir.path().display().to_string()),
        "{path}"
    );

    // Empty twins do not switch `check` to flag mode: it looks for the config instead.
    let missing = dir.path().join("none.toml");
    let mut c = cmd(
        dir.path(),
        &["--config", missing.to_str().expect("utf-8"), "check"],
    );
    for var in [
        "SNOW_INSTANCE",
        "SNOW_CLIENT_ID",
        "SNOW_USERNAME",
        "SNOW_CLIENT_SECRET",
        "SSL_CERT_FILE",
    ] {
        c.env(var, "");
    }
    let out = run(c);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no config at"), "{err}");
    assert!(!err.contains("missing --"), "{err}");
}

#[test]
fn the_env_twins_stand_for_the_connection_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = Sim::start(dir.path(), &[]);
    let mut c = cmd(dir.path(), &["check", "--json"]);
    c.env("SNOW_INSTANCE", &sim.url)
        .env("SNOW_CLIENT_ID", CLIENT_ID)
        .env("SNOW_USERNAME", USERNAME)
        .env("SNOW_CLIENT_SECRET", CLIENT_SECRET)
        .env("SNOW_PASSWORD", PASSWORD);
    let out = run(c);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["tool_version"], env!("CARGO_PKG_VERSION"));

    // A flag still wins over its twin, and a missing one is named by its flag.
    let mut c = cmd(dir.path(), &["check", "--instance", &sim.url]);
    c.env("SNOW_INSTANCE", "https://elsewhere.service-now.com")
        .env("SNOW_USERNAME", USERNAME)
        .env("SNOW_CLIENT_SECRET", CLIENT_SECRET)
        .env("SNOW_PASSWORD", PASSWORD);
    let out = run(c);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--client-id ID") && !err.contains("--username NAME"),
        "{err}"
    );
    assert!(err.starts_with("snow-connect: error: "), "{err}");
}

#[test]
fn an_unusable_local_trust_file_is_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").expect("write");
    let junk = junk.to_str().expect("utf-8");
    let conn = [
        "--instance",
        "https://acme.service-now.com",
        "--client-id",
        CLIENT_ID,
        "--username",
        USERNAME,
    ];
    for (label, env, flag) in [
        ("SSL_CERT_FILE missing", Some("/nonexistent/ca.pem"), None),
        ("SSL_CERT_FILE junk", Some(junk), None),
        ("--ca-file junk", None, Some(junk)),
    ] {
        let mut args = vec!["check"];
        args.extend(conn);
        if let Some(f) = flag {
            args.extend(["--ca-file", f]);
        }
        let mut c = cmd(dir.path(), &args);
        c.env("SNOW_CLIENT_SECRET", CLIENT_SECRET)
            .env("SNOW_PASSWORD", PASSWORD);
        if let Some(v) = env {
            c.env("SSL_CERT_FILE", v);
        }
        let out = run(c);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{label}: {err}");
        let named = if env.is_some() {
            "SSL_CERT_FILE"
        } else {
            "--ca-file"
        };
        assert!(err.contains(named), "{label}: {err}");
    }
}

// -------------------------------------------------------------- config show --json

#[test]
fn config_show_json_masks_secrets_and_says_where_they_come_from() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), "https://acme.service-now.com");
    let config = config.to_str().expect("utf-8");
    let mut c = cmd(
        dir.path(),
        &["--config", config, "config", "show", "--json"],
    );
    c.env("CLI_TEST_PASSWORD", PASSWORD);
    let out = run(c);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !stdout.contains(CLIENT_SECRET) && !stdout.contains(PASSWORD),
        "{stdout}"
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["tool_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["ok"], true);
    let sn = &doc["servicenow"];
    assert_eq!(sn["client_secret"]["source"], "inline");
    assert_eq!(sn["password"]["source"], "env");
    assert_eq!(sn["password"]["variable"], "CLI_TEST_PASSWORD");
    assert_eq!(sn["password"]["set"], true);
    assert_eq!(doc["endpoints"][0]["name"], "FinOps");

    // The variable unset: still one document, ok false, exit 2.
    let out = run(cmd(
        dir.path(),
        &["--config", config, "config", "show", "--json"],
    ));
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on failure too");
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["servicenow"]["password"]["set"], false);
    assert!(
        doc["error"]
            .as_str()
            .unwrap_or_default()
            .contains("CLI_TEST_PASSWORD")
    );

    // No file at all: a document with the error.
    let missing = dir.path().join("missing.toml");
    let out = run(cmd(
        dir.path(),
        &[
            "--config",
            missing.to_str().expect("utf-8"),
            "config",
            "show",
            "--json",
        ],
    ));
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["ok"], false);
    assert!(doc.get("servicenow").is_none());
}

#[test]
fn warnings_share_one_prefix_and_quiet_drops_them() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), "https://acme.service-now.com");
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let config = config.to_str().expect("utf-8");
    let mut c = cmd(dir.path(), &["--config", config, "config", "show"]);
    c.env("CLI_TEST_PASSWORD", PASSWORD);
    let out = run(c);
    let err = text(&out.stderr);
    assert!(!err.is_empty(), "a 0644 config with an inline secret warns");
    // Each warning starts with the prefix; a long one wraps at 80 columns (stderr is a
    // pipe), its continuation lines indented under it.
    assert!(err.starts_with("snow-connect: warning: "), "{err}");
    for line in err.lines() {
        assert!(
            line.starts_with("snow-connect: warning: ") || line.starts_with("  "),
            "{line:?}"
        );
        assert!(line.chars().count() <= 80, "{line:?}");
    }
    let mut c = cmd(dir.path(), &["-q", "--config", config, "config", "show"]);
    c.env("CLI_TEST_PASSWORD", PASSWORD);
    let out = run(c);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("[servicenow]"));

    // clap's own usage errors carry the prefix too.
    let out = run(cmd(dir.path(), &["nonsense"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("snow-connect: error: "),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn simulator_flags_are_accepted_with_demo_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(cmd(dir.path(), &["--deny", "sys_choice"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("need --demo"),
        "{}",
        text(&out.stderr)
    );
    // With --demo the flags parse; without a terminal the wizard then refuses (exit 2, one line).
    let out = run(cmd(
        dir.path(),
        &["--demo", "--deny", "sys_choice", "--latency-ms", "5"],
    ));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("interactive terminal"),
        "{}",
        text(&out.stderr)
    );
}

// ------------------------------------------------------------ output fits the terminal

/// The connection flags and secrets for the simulator at `url`.
fn against(c: &mut Command, url: &str) {
    c.args(["--instance", url, "--client-id", CLIENT_ID])
        .args(["--username", USERNAME])
        .env("SNOW_CLIENT_SECRET", CLIENT_SECRET)
        .env("SNOW_PASSWORD", PASSWORD);
}

fn widest(text: &str) -> (usize, String) {
    use unicode_width::UnicodeWidthStr;
    text.lines()
        .map(|l| (l.width(), l.to_string()))
        .max_by_key(|(w, _)| *w)
        .unwrap_or_default()
}

#[test]
fn check_output_fits_80_columns_in_a_pipe_and_quiet_keeps_only_the_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = Sim::start(
        dir.path(),
        &["--deny", "sys_glide_object", "--deny", "sys_dictionary.*"],
    );
    let mut c = cmd(dir.path(), &["check"]);
    against(&mut c, &sim.url);
    let out = run(c);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let (width, line) = widest(&stdout);
    assert!(width <= 80, "{width} columns: {line:?}\n{stdout}");
    // Fixes and the plan are printed, and the summaries that needed it were wrapped.
    assert!(stdout.contains("What the ServiceNow admin changes (one plan):"));
    assert!(stdout.lines().count() > 41, "{stdout}");
    // The rows come first (they stream as the checks finish), the causes and verdict after.
    let row = stdout.find("acl:sys_glide_object").unwrap_or(usize::MAX);
    let cause = stdout.find("Root cause:").unwrap_or(0);
    let verdict = stdout.find("Result: ✗").unwrap_or(0);
    assert!(row < cause && cause < verdict, "{stdout}");
    // Each check's row once, in ladder order.
    let ids = ["instance_url", "reachability", "oauth", "acl:sys_choice"];
    let at: Vec<usize> = ids
        .iter()
        .map(|id| stdout.find(&format!(" {id} ")).unwrap_or(usize::MAX))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}\n{stdout}");

    // -q: the verdict line only.
    let mut c = cmd(dir.path(), &["-q", "check"]);
    against(&mut c, &sim.url);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    let quiet = text(&out.stdout);
    assert!(quiet.starts_with("Result: ✗"), "{quiet}");
    assert!(
        !quiet.contains("Passed") && !quiet.contains("Root cause"),
        "{quiet}"
    );
    assert!(quiet.lines().count() <= 2, "{quiet}");
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));

    // -q --json: the document on stdout, the verdict on stderr, nothing else.
    let mut c = cmd(dir.path(), &["-q", "check", "--json"]);
    against(&mut c, &sim.url);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(doc["ok"], false);
    let err = text(&out.stderr);
    assert!(
        err.starts_with("Result: ✗") && !err.contains("Passed"),
        "{err}"
    );
}

/// How often `key` appears as a key in the raw JSON text (serde_json keeps the last of two
/// duplicate keys silently, so a parsed document cannot tell).
fn key_count(json: &str, key: &str) -> usize {
    json.matches(&format!("\"{key}\":")).count()
}

#[test]
fn every_json_document_has_schema_and_tool_version_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = Sim::start(dir.path(), &[]);
    let config = write_config(dir.path(), &sim.url);
    let config = config.to_str().expect("utf-8");
    let connected = |args: &[&str]| {
        let mut c = cmd(dir.path(), args);
        against(&mut c, &sim.url);
        c
    };
    let with_config = |args: &[&str]| {
        let mut all = vec!["--config", config];
        all.extend_from_slice(args);
        let mut c = cmd(dir.path(), &all);
        c.env("CLI_TEST_PASSWORD", PASSWORD);
        c
    };
    let cases: Vec<(&str, Command, i32)> = vec![
        ("check", connected(&["check", "--json"]), 0),
        ("fields", connected(&["fields", "--json"]), 0),
        (
            "fields on a table that does not exist",
            connected(&["fields", "--json", "--table", "no_such_table"]),
            2,
        ),
        (
            "fields with a bad table",
            connected(&["fields", "--json", "--table", "a b"]),
            2,
        ),
        ("config show", with_config(&["config", "show", "--json"]), 0),
        (
            "send",
            with_config(&[
                "send",
                "--json",
                "--endpoint",
                "FinOps",
                "--short-description",
                "x",
            ]),
            0,
        ),
        (
            "send to an unknown endpoint",
            with_config(&[
                "send",
                "--json",
                "--endpoint",
                "nope",
                "--short-description",
                "x",
            ]),
            2,
        ),
    ];
    for (what, c, code) in cases {
        let out = run(c);
        let json = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{what}: {json}{}",
            text(&out.stderr)
        );
        let doc: serde_json::Value =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{what}: {e}: {json}"));
        assert_eq!(key_count(&json, "schema_version"), 1, "{what}: {json}");
        assert_eq!(key_count(&json, "tool_version"), 1, "{what}: {json}");
        assert_eq!(doc["schema_version"], 1, "{what}");
        assert_eq!(doc["tool_version"], env!("CARGO_PKG_VERSION"), "{what}");
        if what == "check" {
            assert_eq!(key_count(&json, "checked_at"), 1, "{json}");
            let at = doc["checked_at"].as_str().unwrap_or_default();
            assert!(at.len() >= 20 && at.contains('T'), "{at}");
        }
        if what == "send" {
            assert_eq!(doc["ok"], true, "{json}");
            assert!(
                doc["number"].as_str().is_some_and(|n| n.starts_with("INC")),
                "{json}"
            );
        }
        if code != 0 {
            assert_eq!(doc["ok"], false, "{what}: {json}");
        }
    }
    // --dry-run prints the exact body that would be POSTed: no envelope.
    let out = run(with_config(&[
        "send",
        "--json",
        "--dry-run",
        "--endpoint",
        "FinOps",
        "--short-description",
        "x",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the body");
    assert_eq!(body["short_description"], "x");
    assert!(body.get("schema_version").is_none(), "{body}");
}

#[test]
fn fields_into_head_is_quiet_and_fits_80_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = Sim::start(dir.path(), &["--extra-fields", "40"]);
    let mut c = cmd(dir.path(), &["fields"]);
    against(&mut c, &sim.url);
    let out = run(c);
    let table = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (width, line) = widest(&table);
    assert!(width <= 80, "{width}: {line:?}\n{table}");
    assert!(table.contains("Cost note 1 "), "{table}");

    // A real shell pipe into `head -c1`: no panic hook is left to catch a broken pipe.
    let script = format!(
        "set -o pipefail; '{BIN}' --log-file '{}' fields --instance '{}' --client-id {CLIENT_ID} \
         --username {USERNAME} | head -c1 >/dev/null",
        dir.path().join("pipe.log").display(),
        sim.url
    );
    let out = Command::new("bash")
        .args(["-c", &script])
        .env("HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("SNOW_CLIENT_SECRET", CLIENT_SECRET)
        .env("SNOW_PASSWORD", PASSWORD)
        .env_remove("SNOW_CONNECT_CONFIG")
        .output()
        .expect("bash");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_300_character_label_is_cut_to_the_width_not_padded_into_every_row() {
    use secrecy::SecretString;
    use snow_connect::servicenow::{Client, ClientOptions, Credentials, InstanceUrl};
    use snow_connect::simulator::{SimOptions, Simulator};
    let sim = Simulator::start(SimOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = InstanceUrl::parse(sim.base_url()).unwrap_or_else(|e| panic!("{e}"));
    let creds = Credentials {
        client_id: CLIENT_ID.into(),
        client_secret: SecretString::from(CLIENT_SECRET),
        username: USERNAME.into(),
        password: SecretString::from(PASSWORD),
    };
    let client =
        Client::new(url, creds, &ClientOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let mut d = snow_connect::diagnose::discover_dictionary(&client, "incident")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let long = format!("Caller {}", "x".repeat(293));
    let caller = d
        .fields
        .iter_mut()
        .find(|f| f.element == "caller_id")
        .expect("caller_id");
    caller.label = long.clone();
    for width in [80, 120] {
        let table = snow_connect::commands::fields::render_table(&d, width);
        let (w, line) = widest(&table);
        assert!(w <= width, "{w} > {width}: {line:?}");
        let row = table
            .lines()
            .find(|l| l.contains("caller_id"))
            .expect("the caller row");
        assert!(row.contains('…') && !row.contains(&long), "{row}");
        // Other rows are not padded out to the long label.
        let active = table
            .lines()
            .find(|l| l.starts_with("Active "))
            .expect("the active row");
        assert!(active.len() < width, "{active:?}");
    }
    sim.shutdown().await;
}
