//! No secret ever leaks (issue 7). Every command runs with distinctive secrets against a
//! `snow-connect simulator` process that accepts them: the wizard in a pseudo-terminal (typed
//! into the form, saved inline, saved with environment variables, quit into a draft), `check`
//! and `fields` (human and `--json`, passing and with a wrong password), `send` (human,
//! `--json`, `--dry-run`, and with a wrong password), `config path`, `config show`, and the
//! simulator itself, every one with trace logging, HOME and the XDG directories inside one
//! temporary directory. Then everything is searched: stdout, stderr,
//! every byte written to the terminal, every file under the temporary directory (logs, drafts,
//! the Markdown reports, configs) and the insta snapshots in the repository. The secrets may
//! appear only in the 0600 config file saved with inline secrets; the OAuth tokens nowhere.

use crate::support::fs::files_under;
use crate::support::fs::mode;
use crate::support::pty as pty_support;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pty_support::{ENTER, TAB, Term, WAIT, contains};
use secrecy::SecretString;
use snow_connect::simulator::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME};

const CLIENT_SECRET: &str = "S3cr3t-CLIENT-zq9";
const PASSWORD: &str = "S3cr3t-PASS-xk7";
const WRONG_PASSWORD: &str = "S3cr3t-WRONG-pw4";

/// One temporary directory that is HOME, the XDG directories and the working directory of
/// every command, so that whatever any of them writes can be found and searched.
struct Lab {
    root: tempfile::TempDir,
    /// What the commands printed and wrote to terminals: (label, bytes).
    outputs: Vec<(String, Vec<u8>)>,
}

impl Lab {
    fn new() -> Lab {
        let root = tempfile::tempdir().expect("tempdir");
        for d in ["work", "logs", "config", "state", "data", "cache"] {
            std::fs::create_dir_all(root.path().join(d)).expect("mkdir");
        }
        Lab {
            root,
            outputs: Vec::new(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    fn env(&self) -> Vec<(String, String)> {
        let p = |d: &str| self.path(d).to_string_lossy().into_owned();
        vec![
            ("HOME".into(), p("")),
            ("XDG_CONFIG_HOME".into(), p("config")),
            ("XDG_STATE_HOME".into(), p("state")),
            ("XDG_DATA_HOME".into(), p("data")),
            ("XDG_CACHE_HOME".into(), p("cache")),
            ("SNOW_CONNECT_LOG".into(), "trace".into()),
            ("NO_COLOR".into(), "1".into()),
        ]
    }

    /// `snow-connect ARGS`, logging to `logs/LABEL.log` unless `log` is false.
    fn command(&self, label: &str, args: &[&str], log: bool) -> Command {
        let mut cmd = crate::support::bin::command(&self.path("state"));
        cmd.args(args);
        if log {
            cmd.arg("--log-file")
                .arg(self.path(&format!("logs/{label}.log")));
        }
        cmd.current_dir(self.path("work"))
            .envs(self.env())
            .env_remove("SNOW_CONNECT_CONFIG")
            .env_remove("SNOW_CLIENT_SECRET")
            .env_remove("SNOW_PASSWORD")
            .stdin(Stdio::null());
        cmd
    }

    /// Run a command to its end (bounded), keep its output, check its exit code.
    fn run(&mut self, label: &str, mut cmd: Command, code: i32) -> (String, String) {
        let child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let (status, stdout, stderr) = finish(child, Duration::from_secs(60));
        let (out, err) = (
            String::from_utf8_lossy(&stdout).into_owned(),
            String::from_utf8_lossy(&stderr).into_owned(),
        );
        assert_eq!(
            status,
            Some(code),
            "{label}\nstdout:\n{out}\nstderr:\n{err}"
        );
        self.outputs.push((format!("{label} stdout"), stdout));
        self.outputs.push((format!("{label} stderr"), stderr));
        (out, err)
    }
}

/// Drain a child's pipes and wait for it, killing it after `limit`.
fn finish(mut child: Child, limit: Duration) -> (Option<i32>, Vec<u8>, Vec<u8>) {
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the command did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (
        status.code(),
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    )
}

/// `snow-connect simulator` in the background, accepting the distinctive secrets.
struct SimProcess {
    child: Child,
    url: String,
    banner: Vec<String>,
    stdout_rest: std::thread::JoinHandle<Vec<u8>>,
}

impl SimProcess {
    fn start(lab: &Lab) -> SimProcess {
        let mut child = lab
            .command(
                "simulator",
                &[
                    "simulator",
                    "--client-secret",
                    CLIENT_SECRET,
                    "--password",
                    PASSWORD,
                ],
                true,
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the simulator");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        let stdout_rest = std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            // The banner: URL, client_id, client_secret, username, password.
            for _ in 0..5 {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let _ = tx.send(line.trim_end().to_string());
            }
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
            rest
        });
        let banner: Vec<String> = (0..5)
            .map(|_| rx.recv_timeout(WAIT).expect("the simulator's banner"))
            .collect();
        SimProcess {
            child,
            url: banner[0].clone(),
            banner,
            stdout_rest,
        }
    }

    /// SIGTERM, then collect what it printed after the banner and on stderr.
    fn stop(self) -> (Vec<u8>, Vec<u8>) {
        // SAFETY: a signal to our own child.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        assert_eq!(rc, 0);
        // Its stdout is already taken by the banner reader; `finish` drains stderr.
        let (_, _, stderr) = finish(self.child, WAIT);
        (self.stdout_rest.join().unwrap_or_default(), stderr)
    }
}

/// The tokens the simulator hands out for these credentials. Within a token's lifetime it
/// answers every password grant of the same client and user with the same pair, so these are
/// the tokens every command used.
fn tokens(url: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        // The project's own builder installs the TLS provider reqwest needs.
        let http = snow_connect::servicenow::Client::http_client(&Default::default())
            .expect("HTTP client");
        let answer: serde_json::Value = http
            .post(format!("{url}/oauth_token.do"))
            .form(&[
                ("grant_type", "password"),
                ("client_id", DEMO_CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("username", DEMO_USERNAME),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .expect("token request")
            .json()
            .await
            .expect("token JSON");
        ["access_token", "refresh_token"]
            .iter()
            .map(|k| {
                let t = answer[k].as_str().unwrap_or_default().to_string();
                assert!(t.len() >= 32, "no {k} in {answer}");
                t
            })
            .collect()
    })
}

/// Welcome → Choose a user → OAuth application → the form, typed in full, → the checks.
fn wizard_connect(t: &mut Term, url: &str) {
    t.walk_to_the_form();
    for value in [url, DEMO_CLIENT_ID, CLIENT_SECRET, DEMO_USERNAME, PASSWORD] {
        t.send(value.as_bytes());
        t.send(ENTER);
    }
    let form = t.wait_for("▸[ Connect ]");
    // Masked, and not even its length shows.
    assert!(form.contains("Client Secret            ••••••••"), "{form}");
    assert!(!form.contains(CLIENT_SECRET), "{form}");
    assert!(form.contains(DEMO_USERNAME), "{form}");
    t.send(ENTER);
    t.wait_for("All required checks passed");
}

/// From the checks to the review screen with one endpoint named `name`.
fn wizard_endpoint(t: &mut Term, name: &str) {
    t.open_new_endpoint();
    t.send(name.as_bytes());
    t.save_endpoint_and_review();
}

fn wizard(lab: &mut Lab, label: &str, config: &Path, script: impl FnOnce(&mut Term)) {
    let config = config.to_string_lossy().into_owned();
    let log = lab.path(&format!("logs/{label}.log"));
    let log = log.to_string_lossy().into_owned();
    let env = lab.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut t = Term::start(
        &["--config", &config, "--log-file", &log],
        &lab.path("work"),
        &env,
    );
    script(&mut t);
    let status = t.wait_exit();
    // Quitting with unsaved work ends with 130 (the draft is kept); a finished save with 0.
    let expected = if label == "wizard-draft" { 130 } else { 0 };
    assert_eq!(
        status.exit_code(),
        expected,
        "{label}: {status:?}\n{}",
        t.screen()
    );
    lab.outputs
        .push((format!("{label} terminal"), t.raw_since(0)));
}

/// The secrets the snapshot tests render with, read from their source so that a change there
/// cannot make this check vacuous.
fn snapshot_fixture_secrets(repo: &Path) -> Vec<String> {
    let src = std::fs::read_to_string(repo.join("src/wizard/snapshot_tests.rs"))
        .expect("snapshot tests source");
    let line = src
        .lines()
        .find(|l| l.trim_start().starts_with("const SECRETS"))
        .expect("the snapshot tests name their fixture secrets");
    let list = line.split_once('=').map_or("", |(_, r)| r);
    let found: Vec<String> = list
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    assert!(!found.is_empty(), "no fixture secrets in {line}");
    found
}

#[test]
fn secrets_appear_only_in_the_inline_config_file() {
    let mut lab = Lab::new();
    let sim = SimProcess::start(&lab);
    let url = sim.url.clone();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let tokens_before = tokens(&url);
    let conn = [
        "--instance",
        url.as_str(),
        "--client-id",
        DEMO_CLIENT_ID,
        "--username",
        DEMO_USERNAME,
    ];
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .chain(conn.iter())
            .map(|s| s.to_string())
            .collect()
    };

    // Headless commands, secrets from the environment.
    let runs: Vec<(&str, Vec<String>, &str, i32)> = vec![
        ("check", with(&["check"]), PASSWORD, 0),
        ("check-json", with(&["check", "--json"]), PASSWORD, 0),
        (
            "check-incident",
            with(&["check", "--json", "--create-test-incident"]),
            PASSWORD,
            0,
        ),
        ("check-wrong", with(&["check"]), WRONG_PASSWORD, 1),
        (
            "check-wrong-json",
            with(&["check", "--json"]),
            WRONG_PASSWORD,
            1,
        ),
        ("fields", with(&["fields"]), PASSWORD, 0),
        ("fields-json", with(&["fields", "--json"]), PASSWORD, 0),
        ("fields-wrong", with(&["fields"]), WRONG_PASSWORD, 1),
    ];
    for (label, args, password, code) in runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = lab.command(label, &args, true);
        cmd.env("SNOW_CLIENT_SECRET", CLIENT_SECRET)
            .env("SNOW_PASSWORD", password);
        let (out, err) = lab.run(label, cmd, code);
        assert!(
            !out.is_empty() || !err.is_empty(),
            "{label} printed nothing"
        );
    }
    // Without --log-file: the default log in the state directory.
    let mut cmd = lab.command(
        "check-default-log",
        &with(&["check", "--json"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        false,
    );
    cmd.env("SNOW_CLIENT_SECRET", CLIENT_SECRET)
        .env("SNOW_PASSWORD", PASSWORD);
    lab.run("check-default-log", cmd, 0);

    // The wizard: typed secrets, saved inline (with the report and a test incident) ...
    let inline = lab.path("work/inline.toml");
    let env_config = lab.path("work/env.toml");
    let draft_config = lab.path("work/draft.toml");
    wizard(&mut lab, "wizard-inline", &inline, |t| {
        wizard_connect(t, &url);
        t.send(b"s");
        t.wait_for("Report for the ServiceNow admin saved to");
        wizard_endpoint(t, "Secrets test");
        t.press_until(TAB, "▸[ Save ]", 6);
        t.send(ENTER);
        t.wait_for("Saved to");
        t.send(b"t");
        t.wait_for("Create a test incident?");
        t.send(b"y");
        t.wait_for("✓ Created INC");
        t.send(ENTER);
    });
    // ... saved with environment variables ...
    wizard(&mut lab, "wizard-env", &env_config, |t| {
        wizard_connect(t, &url);
        wizard_endpoint(t, "Secrets test");
        t.press_until(TAB, "▸ ( ) environment variables", 6);
        t.send(ENTER);
        t.wait_for("(•) environment variables");
        t.press_until(TAB, "▸[ Save ]", 8);
        t.send(ENTER);
        t.wait_for("Saved to");
        t.send(ENTER);
    });
    // ... and quit half-way, which keeps a draft.
    wizard(&mut lab, "wizard-draft", &draft_config, |t| {
        wizard_connect(t, &url);
        t.open_new_endpoint();
        t.send(b"Unfinished");
        t.wait_for("Unfinished");
        t.send(b"\x03");
        t.wait_for("Quit without saving?");
        t.send(b"y");
    });

    // Commands that read the saved files.
    let inline_s = inline.to_string_lossy().into_owned();
    let env_s = env_config.to_string_lossy().into_owned();
    let (path_out, _) = lab.run(
        "config-path",
        lab.command(
            "config-path",
            &["--config", &inline_s, "config", "path"],
            true,
        ),
        0,
    );
    assert_eq!(path_out.trim(), inline_s);
    let (shown, _) = lab.run(
        "config-show-inline",
        lab.command(
            "config-show-inline",
            &["--config", &inline_s, "config", "show"],
            true,
        ),
        0,
    );
    assert!(
        shown.contains("client_secret") && shown.contains("Secrets test"),
        "{shown}"
    );
    let mut cmd = lab.command(
        "config-show-env",
        &["--config", &env_s, "config", "show"],
        true,
    );
    cmd.env("SNOW_CLIENT_SECRET", CLIENT_SECRET)
        .env("SNOW_PASSWORD", PASSWORD);
    let (shown, _) = lab.run("config-show-env", cmd, 0);
    assert!(shown.contains("client_secret_env"), "{shown}");
    // Secrets from the file alone (none in the environment).
    lab.run(
        "check-config-inline",
        lab.command(
            "check-config-inline",
            &["--config", &inline_s, "check", "--json"],
            true,
        ),
        0,
    );
    let mut cmd = lab.command("check-config-env", &["--config", &env_s, "check"], true);
    cmd.env("SNOW_CLIENT_SECRET", CLIENT_SECRET)
        .env("SNOW_PASSWORD", PASSWORD);
    lab.run("check-config-env", cmd, 0);

    // send: through the inline file (human, --json, --dry-run) and the env file (right and
    // wrong password).
    let send = |config: &str, extra: &[&str]| -> Vec<String> {
        ["--config", config, "send", "--endpoint", "Secrets test"]
            .iter()
            .chain(&["--short-description", "Cost spike on prod-eu"])
            .chain(&["--description", "Daily cost up 40%"])
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };
    for (label, args, password, code) in [
        ("send", send(&inline_s, &[]), None, 0),
        ("send-json", send(&inline_s, &["--json"]), None, 0),
        ("send-dry-run", send(&inline_s, &["--dry-run"]), None, 0),
        (
            "send-dry-run-json",
            send(&inline_s, &["--dry-run", "--json"]),
            None,
            0,
        ),
        ("send-env", send(&env_s, &["--json"]), Some(PASSWORD), 0),
        ("send-wrong", send(&env_s, &[]), Some(WRONG_PASSWORD), 1),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = lab.command(label, &args, true);
        if let Some(p) = password {
            cmd.env("SNOW_CLIENT_SECRET", CLIENT_SECRET)
                .env("SNOW_PASSWORD", p);
        }
        let (out, err) = lab.run(label, cmd, code);
        if code == 0 && !label.contains("dry-run") {
            assert!(
                out.contains("INC") || err.contains("INC"),
                "{label}: {out}\n{err}"
            );
        }
    }

    // A failing diagnosis turned into the admin's Markdown report, in-process.
    let report = failing_report(&url);
    std::fs::write(lab.path("work/failing-report.md"), report).expect("write report");

    let tokens_after = tokens(&url);
    // The same pair throughout: every command in between was handed these very tokens.
    assert_eq!(tokens_before, tokens_after);
    let banner = sim.banner.clone();
    let (sim_stdout_rest, sim_stderr) = sim.stop();

    // --- the search ---------------------------------------------------------------------
    let mut needles: Vec<String> =
        vec![CLIENT_SECRET.into(), PASSWORD.into(), WRONG_PASSWORD.into()];
    needles.extend(tokens_before.iter().cloned());
    needles.extend(tokens_after.iter().cloned());
    needles.dedup();
    let leaks = |what: &str, bytes: &[u8]| -> Vec<String> {
        needles
            .iter()
            .filter(|n| contains(bytes, n.as_bytes()))
            .map(|n| format!("{what} holds {}…", &n[..6]))
            .collect()
    };
    let mut found = Vec::new();

    // The simulator prints the credentials it accepts by design (DESIGN.md section 1: its
    // banner is for the person who started it, like the demo credentials). Exactly those two
    // banner lines are excluded; everything else it printed or logged is searched.
    assert_eq!(banner[2], format!("client_secret {CLIENT_SECRET}"));
    assert_eq!(banner[4], format!("password {PASSWORD}"));
    let banner_rest = [&banner[..2], &banner[3..4]].concat().join("\n");
    found.extend(leaks(
        "simulator banner (other lines)",
        banner_rest.as_bytes(),
    ));
    found.extend(leaks("simulator stdout after the banner", &sim_stdout_rest));
    found.extend(leaks("simulator stderr", &sim_stderr));
    for (label, bytes) in &lab.outputs {
        found.extend(leaks(label, bytes));
    }

    let files = files_under(lab.root.path());
    for f in &files {
        if *f == inline {
            continue;
        }
        let bytes = std::fs::read(f).expect("read");
        found.extend(leaks(&f.display().to_string(), &bytes));
    }
    // Everything that should have been searched was there to search.
    let rel: Vec<String> = files
        .iter()
        .filter_map(|f| f.strip_prefix(lab.root.path()).ok())
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    for expected in [
        "logs/simulator.log",
        "logs/check.log",
        "logs/check-wrong.log",
        "logs/fields.log",
        "logs/wizard-inline.log",
        "logs/wizard-env.log",
        "logs/wizard-draft.log",
        "logs/config-show-inline.log",
        "logs/send.log",
        "logs/send-wrong.log",
        "state/snow-connect/snow-connect.log",
        "work/snow-connect-report.md",
        "work/failing-report.md",
        "work/env.toml",
    ] {
        assert!(
            rel.iter().any(|r| r == expected),
            "{expected} missing: {rel:#?}"
        );
    }
    assert!(
        rel.iter()
            .any(|r| r.starts_with("state/snow-connect/drafts/")),
        "no draft was written: {rel:#?}"
    );
    // `config` commands do no network work and log nothing; every other log has content.
    for log in rel
        .iter()
        .filter(|r| r.ends_with(".log") && !r.starts_with("logs/config-"))
    {
        let text = std::fs::read_to_string(lab.root.path().join(log)).unwrap_or_default();
        assert!(
            !text.trim().is_empty(),
            "{log} is empty: the search proves nothing"
        );
    }

    // Snapshots in the repository: neither these secrets, the demo ones, nor the ones the
    // snapshot tests render with.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut snap_needles: Vec<String> = needles.clone();
    snap_needles.extend([DEMO_CLIENT_SECRET.to_string(), DEMO_PASSWORD.to_string()]);
    snap_needles.extend(snapshot_fixture_secrets(repo));
    let snaps: Vec<PathBuf> = ["src", "tests"]
        .iter()
        .flat_map(|d| files_under(&repo.join(d)))
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".snap") || n.ends_with(".snap.new") || n.ends_with(".pending-snap")
        })
        .collect();
    assert!(snaps.len() > 10, "found only {} snapshots", snaps.len());
    for s in &snaps {
        let bytes = std::fs::read(s).expect("read snapshot");
        for n in &snap_needles {
            if contains(&bytes, n.as_bytes()) {
                found.push(format!("{} holds {n}", s.display()));
            }
        }
    }
    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n"));

    // The one place they belong: the inline config, 0600, with both secrets and no token.
    let text = std::fs::read_to_string(&inline).expect("inline config");
    assert_eq!(mode(&inline), 0o600);
    assert_eq!(
        text.matches(CLIENT_SECRET).count(),
        1,
        "{}",
        inline.display()
    );
    assert_eq!(text.matches(PASSWORD).count(), 1, "{}", inline.display());
    for t in tokens_before.iter().chain(&tokens_after) {
        assert!(!text.contains(t.as_str()), "a token in the config");
    }
    // With environment variables chosen, the file names them and holds no secret (searched
    // above with every other file).
    let text = std::fs::read_to_string(&env_config).expect("env config");
    assert_eq!(mode(&env_config), 0o600);
    assert!(
        text.contains("client_secret_env = \"SNOW_CLIENT_SECRET\""),
        "{text}"
    );
    assert!(text.contains("password_env = \"SNOW_PASSWORD\""), "{text}");
}

/// The ladder with a wrong password, and the Markdown report an admin would get from it.
fn failing_report(url: &str) -> String {
    use snow_connect::diagnose::{CheckOptions, ConnectionInput, markdown_report, run_checks};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let input = ConnectionInput {
        instance_url: url.to_string(),
        client_id: DEMO_CLIENT_ID.into(),
        client_secret: SecretString::from(CLIENT_SECRET),
        username: DEMO_USERNAME.into(),
        password: SecretString::from(WRONG_PASSWORD),
    };
    let d = rt.block_on(run_checks(
        &input,
        &CheckOptions::default(),
        None,
        tokio_util::sync::CancellationToken::new(),
    ));
    let report = markdown_report(url, DEMO_USERNAME, &d.results);
    assert!(report.contains("oauth"), "{report}");
    // Debug output of everything the ladder returned goes in too.
    format!("{report}\n\n{d:#?}\n{input:#?}\n")
}

#[test]
fn syntax_errors_on_a_secrets_line_never_echo_it() {
    // Syntax errors on the secret's own line: a parser message must not quote the line
    // (tests/config.rs covers secrets in the wrong key, of the wrong type, and in the URL).
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        format!(
            "version = 1\n[servicenow]\ninstance_url = \"https://acme.service-now.com\"\n\
             client_id = \"x\"\nclient_secret = {CLIENT_SECRET}\nusername = \"u\"\n\
             password = \"{PASSWORD}\"\n"
        ),
        format!(
            "version = 1\n[servicenow]\ninstance_url = \"https://acme.service-now.com\"\n\
             client_id = \"x\"\nclient_secret = \"{CLIENT_SECRET}\nusername = \"u\"\n\
             password = \"{PASSWORD}\"\n"
        ),
    ];
    for (i, text) in cases.iter().enumerate() {
        let path = dir.path().join(format!("c{i}.toml"));
        std::fs::write(&path, text).expect("write");
        let out = crate::support::bin::command(dir.path())
            .args(["--config"])
            .arg(&path)
            .args(["config", "show", "--log-file"])
            .arg(dir.path().join("log"))
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "case {i}");
        let all = [out.stdout, out.stderr].concat();
        let shown = String::from_utf8_lossy(&all);
        assert!(shown.contains(&format!("c{i}.toml:")), "case {i}: {shown}");
        for s in [CLIENT_SECRET, PASSWORD] {
            assert!(!shown.contains(s), "case {i} echoes a secret:\n{shown}");
        }
    }
}
