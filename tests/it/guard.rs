//! Never lock the user out, and never show what a server echoed: password grants counted at
//! a loopback server for the headless commands, the wizard's retry and Connect, token 429 /
//! 5xx answers and short token lifetimes; and every output path searched for the secrets and
//! tokens that server echoes back.

use crate::support::fs::files_under;
use crate::support::guard as guard_support;

use std::io;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use guard_support::{
    CLIENT_ID, CLIENT_SECRET, PASSWORD, REFRESH, TOKEN, TokenMode, USERNAME, WRONG_PASSWORD,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;
use snow_connect::servicenow::{
    Client, ClientOptions, Credentials, Error, InstanceUrl, LoginGuard, TableQuery,
};
use snow_connect::wizard::{
    Effect, LoopOptions, Model, Msg, Prefill, Runner, RunnerOptions, osc52, run_loop, update,
};
use tokio::sync::{mpsc, watch};

const WAIT: Duration = Duration::from_secs(30);
const ENDPOINT: &str = "Guarded";

/// A temp HOME, XDG dirs and state dir; every command's log goes to `logs/LABEL.log`.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("logs")).expect("mkdir");
        Home { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// A config for `url` with one endpoint, secrets by environment variable (the file holds
    /// none, so every file may be searched).
    fn config(&self, url: &str) -> PathBuf {
        let path = self.path("config.toml");
        let text = format!(
            "version = 1\n\n[servicenow]\ninstance_url = \"{url}\"\nclient_id = \"{CLIENT_ID}\"\n\
             client_secret_env = \"SNOW_CLIENT_SECRET\"\nusername = \"{USERNAME}\"\n\
             password_env = \"SNOW_PASSWORD\"\n\n[[endpoints]]\nname = \"{ENDPOINT}\"\n\
             description = \"test\"\ntable = \"incident\"\n"
        );
        std::fs::write(&path, text).expect("write config");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        path
    }

    /// `snow-connect ARGS` with the secrets in the environment, logging at trace level.
    async fn run(&self, label: &str, args: &[&str], password: &str) -> Output {
        let home = self.dir.path();
        let mut cmd = crate::support::bin::tokio_command(&home.join("xdg-state"));
        cmd.arg("--log-file")
            .arg(self.path(&format!("logs/{label}.log")))
            .args(args)
            .current_dir(home)
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("xdg-config"))
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .env("XDG_CACHE_HOME", home.join("xdg-cache"))
            .env("SNOW_CONNECT_STATE_DIR", home.join("state"))
            .env("SNOW_CONNECT_LOG", "trace")
            .env("NO_COLOR", "1")
            .env_remove("SNOW_CONNECT_CONFIG")
            .env("SNOW_CLIENT_SECRET", CLIENT_SECRET)
            .env("SNOW_PASSWORD", password)
            .kill_on_drop(true);
        tokio::time::timeout(Duration::from_secs(120), cmd.output())
            .await
            .expect("finished within 120 s")
            .expect("run snow-connect")
    }
}

fn flags(url: &str) -> Vec<String> {
    [
        "--instance",
        url,
        "--client-id",
        CLIENT_ID,
        "--username",
        USERNAME,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn with<'a>(head: &[&'a str], tail: &'a [String]) -> Vec<&'a str> {
    head.iter()
        .copied()
        .chain(tail.iter().map(String::as_str))
        .collect()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_commands_do_not_resend_rejected_credentials() {
    let srv = guard_support::start(TokenMode::Accept {
        expires_in: 1799,
        refresh: true,
    })
    .await;
    let home = Home::new();
    let f = flags(&srv.url);
    let config = home.config(&srv.url);
    let config = config.to_string_lossy().into_owned();

    let first = home
        .run("check-1", &with(&["check"], &f), WRONG_PASSWORD)
        .await;
    assert_eq!(first.status.code(), Some(1), "{}", text(&first));
    assert_eq!(srv.state.grants(), 1);

    // Every later headless run refuses, says when and names --retry-login.
    let second = home
        .run("check-2", &with(&["check", "--json"], &f), WRONG_PASSWORD)
        .await;
    assert_eq!(second.status.code(), Some(1), "{}", text(&second));
    let shown = text(&second);
    assert!(shown.contains("--retry-login"), "{shown}");
    assert!(
        shown.contains("rejected these exact credentials before (1 failed attempt, last at 20"),
        "{shown}"
    );
    let fields = home
        .run("fields", &with(&["fields"], &f), WRONG_PASSWORD)
        .await;
    assert_ne!(fields.status.code(), Some(0), "{}", text(&fields));
    assert!(text(&fields).contains("--retry-login"), "{}", text(&fields));
    let send = home
        .run(
            "send",
            &[
                "--config",
                &config,
                "send",
                "--endpoint",
                ENDPOINT,
                "--short-description",
                "x",
            ],
            WRONG_PASSWORD,
        )
        .await;
    assert_eq!(send.status.code(), Some(1), "{}", text(&send));
    assert!(text(&send).contains("--retry-login"), "{}", text(&send));
    assert!(
        text(&send).contains("no incident was created"),
        "{}",
        text(&send)
    );
    assert_eq!(srv.state.grants(), 1, "no unconfirmed repeat");

    // The record: 0600 files in the state dir, no secret in them.
    let state = files_under(&home.path("state"));
    assert!(state.len() >= 2, "{state:?}");
    for p in &state {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", p.display());
        let bytes = std::fs::read(p).expect("read");
        let found = guard_support::leaks(
            &p.display().to_string(),
            &bytes,
            &guard_support::needles(&[CLIENT_SECRET, WRONG_PASSWORD, PASSWORD]),
        );
        assert!(found.is_empty(), "{found:?}");
    }

    // --retry-login sends once more, exactly once.
    let retry = home
        .run(
            "check-3",
            &with(&["check", "--retry-login"], &f),
            WRONG_PASSWORD,
        )
        .await;
    assert_eq!(retry.status.code(), Some(1), "{}", text(&retry));
    assert_eq!(srv.state.grants(), 2);
    let after = home
        .run("check-4", &with(&["check"], &f), WRONG_PASSWORD)
        .await;
    assert!(
        text(&after).contains("2 failed attempts"),
        "{}",
        text(&after)
    );
    assert_eq!(srv.state.grants(), 2);

    // Other credentials go straight through.
    srv.state
        .api_ok
        .store(true, std::sync::atomic::Ordering::SeqCst);
    home.run("check-right", &with(&["check"], &f), PASSWORD)
        .await;
    assert_eq!(srv.state.grants(), 3);

    // The admin sets the password to the one that was rejected: one retry succeeds, and the
    // success clears the record, so the next run sends without asking.
    srv.state.set_password(WRONG_PASSWORD);
    home.run(
        "check-fixed",
        &with(&["check", "--retry-login"], &f),
        WRONG_PASSWORD,
    )
    .await;
    assert_eq!(srv.state.grants(), 4);
    let cleared = home
        .run("check-cleared", &with(&["check"], &f), WRONG_PASSWORD)
        .await;
    assert_eq!(srv.state.grants(), 5);
    assert!(
        !text(&cleared).contains("--retry-login"),
        "{}",
        text(&cleared)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_record_never_blocks() {
    let srv = guard_support::start(TokenMode::Accept {
        expires_in: 1799,
        refresh: true,
    })
    .await;
    let home = Home::new();
    let f = flags(&srv.url);
    home.run("check-1", &with(&["check"], &f), WRONG_PASSWORD)
        .await;
    for p in files_under(&home.path("state")) {
        std::fs::write(&p, b"\xff{garbage").expect("corrupt");
    }
    let again = home
        .run("check-2", &with(&["check"], &f), WRONG_PASSWORD)
        .await;
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    // Treated as not remembered (the key was replaced): sent, and remembered anew.
    assert_eq!(srv.state.grants(), 2);
    let third = home
        .run("check-3", &with(&["check"], &f), WRONG_PASSWORD)
        .await;
    assert!(text(&third).contains("--retry-login"), "{}", text(&third));
    assert_eq!(srv.state.grants(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_on_a_token_429_sends_one_password_grant() {
    let srv = guard_support::start(TokenMode::RateLimited).await;
    let home = Home::new();
    let config = home.config(&srv.url);
    let config = config.to_string_lossy().into_owned();
    let out = home
        .run(
            "send-429",
            &[
                "--config",
                &config,
                "send",
                "--endpoint",
                ENDPOINT,
                "--short-description",
                "x",
            ],
            PASSWORD,
        )
        .await;
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(srv.state.grants(), 1, "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("rate limiting sign-ins"), "{shown}");
    assert!(shown.contains("nothing was created"), "{shown}");
    assert!(shown.contains("Try again in 1s"), "{shown}");
}

fn creds(password: &str) -> Credentials {
    Credentials {
        client_id: CLIENT_ID.into(),
        client_secret: SecretString::from(CLIENT_SECRET),
        username: USERNAME.into(),
        password: SecretString::from(password.to_string()),
    }
}

fn client(url: &str, password: &str, guard: Option<LoginGuard>) -> Client {
    let opts = ClientOptions {
        login_guard: guard,
        ..ClientOptions::default()
    };
    Client::new(
        InstanceUrl::parse(url).expect("url"),
        creds(password),
        &opts,
    )
    .expect("client")
}

#[tokio::test]
async fn a_token_429_or_5xx_is_not_answered_with_another_grant() {
    for mode in [TokenMode::RateLimited, TokenMode::Unavailable] {
        let srv = guard_support::start(mode).await;
        let c = client(&srv.url, PASSWORD, None);
        let first = c.authenticate().await.expect_err("refused");
        assert!(
            matches!(first, Error::RateLimited { .. } | Error::Server { .. }),
            "{first:?}"
        );
        // Lazy and explicit sign-ins alike: the run does not log in again.
        let q = TableQuery::new("incident").limit(1);
        for _ in 0..3 {
            assert!(c.get_page(&q).await.is_err());
            assert!(c.authenticate().await.is_err());
        }
        assert_eq!(srv.state.grants(), 1, "{mode:?}");
    }
}

#[tokio::test]
async fn a_short_token_lifetime_does_not_make_every_request_a_login() {
    for (expires_in, refresh) in [(0, false), (1, false), (0, true)] {
        let srv = guard_support::start(TokenMode::Accept {
            expires_in,
            refresh,
        })
        .await;
        srv.state
            .api_ok
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let c = client(&srv.url, PASSWORD, None);
        let q = TableQuery::new("incident").limit(1);
        for _ in 0..10 {
            c.get_page(&q).await.expect("read");
            tokio::time::sleep(Duration::from_millis(120)).await;
        }
        assert_eq!(srv.state.grants(), 1, "expires_in {expires_in}");
        assert_eq!(
            srv.state
                .refresh_grants
                .load(std::sync::atomic::Ordering::SeqCst),
            0
        );
        assert_eq!(
            srv.state
                .api_requests
                .load(std::sync::atomic::Ordering::SeqCst),
            10
        );
    }
}

#[tokio::test]
async fn a_remembered_rejection_is_the_oauth_steps_error() {
    let srv = guard_support::start(TokenMode::Accept {
        expires_in: 1799,
        refresh: true,
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let guard = LoginGuard::open(Some(dir.path().to_path_buf()));
    let c = client(&srv.url, WRONG_PASSWORD, Some(guard.clone()));
    assert!(matches!(
        c.authenticate().await,
        Err(Error::TokenRejected { .. })
    ));
    let again = client(&srv.url, WRONG_PASSWORD, Some(guard.clone()));
    match again.authenticate().await {
        Err(e @ Error::LoginRemembered { attempts: 1, .. }) => {
            let said = e.to_string();
            assert!(said.contains("--retry-login"), "{said}");
            assert!(said.contains("by default after 5"), "{said}");
            assert!(said.contains(" UTC)"), "{said}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(srv.state.grants(), 1);
}

/// Scripted keys into the real event loop, the screen text back.
struct Ui {
    tx: mpsc::UnboundedSender<io::Result<Event>>,
    screen: watch::Receiver<String>,
}

impl Ui {
    fn key(&self, code: KeyCode) {
        let _ = self
            .tx
            .send(Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))));
    }
    fn keys(&self, codes: &[KeyCode]) {
        for c in codes {
            self.key(*c);
        }
    }
    fn ctrl(&self, c: char) {
        let _ = self.tx.send(Ok(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        ))));
    }
    async fn wait_for(&mut self, needle: &str) -> String {
        let found = tokio::time::timeout(WAIT, async {
            loop {
                let s = self.screen.borrow_and_update().clone();
                if s.contains(needle) {
                    return s;
                }
                if self.screen.changed().await.is_err() {
                    return String::new();
                }
            }
        })
        .await;
        match found {
            Ok(s) if !s.is_empty() => s,
            _ => panic!(
                "timed out waiting for {needle:?}; the screen shows:\n{}",
                self.screen.borrow().clone()
            ),
        }
    }
    async fn press_until(&mut self, key: KeyCode, needle: &str, max: usize) {
        for _ in 0..max {
            if self.screen.borrow_and_update().contains(needle) {
                return;
            }
            self.key(key);
            let _ = tokio::time::timeout(WAIT, self.screen.changed()).await;
        }
        assert!(
            self.screen.borrow().contains(needle),
            "{needle:?} never showed"
        );
    }
    /// Welcome → Choose a user → OAuth application → the form → Connect.
    async fn connect(&mut self) {
        self.wait_for("Connect Finout to ServiceNow").await;
        self.key(KeyCode::Enter);
        self.wait_for("1. Choose a User").await;
        self.key(KeyCode::Enter);
        self.wait_for("2. OAuth Authentication").await;
        self.key(KeyCode::Enter);
        self.wait_for("3. Add ServiceNow credentials").await;
        self.press_until(KeyCode::Tab, "▸[ Connect ]", 6).await;
        self.key(KeyCode::Enter);
    }
}

async fn wizard<F, Fut>(
    dir: &Path,
    url: &str,
    password: &str,
    guard: Option<LoginGuard>,
    script: F,
) -> Model
where
    F: FnOnce(Ui) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (tx, rx) = mpsc::unbounded_channel::<io::Result<Event>>();
    let events = Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (e, rx))
    }));
    let (screen_tx, screen_rx) = watch::channel(String::new());
    let (msg_tx, mut msg_rx) = mpsc::unbounded_channel();
    let opts = RunnerOptions {
        client: ClientOptions {
            login_guard: guard,
            ..ClientOptions::default()
        },
        drafts: None,
    };
    let mut runner = Runner::new(msg_tx, opts);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("backend");
    let mut model = Model::new(
        crate::support::model::setup(&dir.join("config.toml"))
            .prefill(Prefill {
                instance_url: url.to_string(),
                client_id: CLIENT_ID.into(),
                client_secret: SecretString::from(CLIENT_SECRET),
                username: USERNAME.into(),
                password: SecretString::from(password.to_string()),
            })
            .build(),
    );
    let loop_opts = LoopOptions {
        signals: false,
        screen: Some(screen_tx),
    };
    let ui = Ui {
        tx,
        screen: screen_rx,
    };
    {
        let lp = run_loop(
            &mut terminal,
            events,
            &mut model,
            &mut runner,
            &mut msg_rx,
            &loop_opts,
        );
        let both = async {
            let (exit, ()) = tokio::join!(lp, script(ui));
            exit
        };
        tokio::time::timeout(Duration::from_secs(120), both)
            .await
            .expect("the flow finished in time")
            .expect("the loop ran");
    }
    model
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wizard_asks_before_resending_rejected_credentials() {
    let srv = guard_support::start(TokenMode::Accept {
        expires_in: 1799,
        refresh: true,
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let state = srv.state.clone();
    let grants = move || state.grants();
    let g = grants.clone();
    let guard = LoginGuard::open(Some(dir.path().join("login")));
    wizard(
        dir.path(),
        &srv.url,
        WRONG_PASSWORD,
        Some(guard.clone()),
        |mut ui| async move {
            ui.connect().await;
            ui.wait_for("(above the matrix)").await;
            assert_eq!(g(), 1);

            // r: the warning, Cancel focused; Enter cancels.
            ui.key(KeyCode::Char('r'));
            let s = ui.wait_for("Send rejected credentials again?").await;
            assert!(s.contains("Attempts so far: 1"), "{s}");
            assert!(
                s.contains("It locks the user after repeated failed logins (5 by"),
                "{s}"
            );
            ui.key(KeyCode::Enter);
            ui.press_until(KeyCode::Null, "Connection and ACL matrix", 1)
                .await;
            // Esc cancels too.
            ui.key(KeyCode::Char('r'));
            ui.wait_for("Send rejected credentials again?").await;
            ui.key(KeyCode::Esc);
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert_eq!(g(), 1, "cancel sends nothing");

            // An explicit yes sends once; the next warning counts two attempts.
            ui.key(KeyCode::Char('r'));
            ui.wait_for("Send rejected credentials again?").await;
            ui.key(KeyCode::Char('y'));
            ui.wait_for("Running the checks").await;
            ui.wait_for("(above the matrix)").await;
            assert_eq!(g(), 2);
            ui.key(KeyCode::Char('r'));
            let s = ui.wait_for("Send rejected credentials again?").await;
            assert!(s.contains("Attempts so far: 2"), "{s}");
            ui.key(KeyCode::Char('n'));

            // Back on the form, Connect with the same values asks too.
            ui.key(KeyCode::Char('b'));
            ui.wait_for("3. Add ServiceNow credentials").await;
            ui.press_until(KeyCode::Tab, "▸[ Connect ]", 6).await;
            ui.key(KeyCode::Enter);
            ui.wait_for("Send rejected credentials again?").await;
            ui.key(KeyCode::Enter);
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert_eq!(g(), 2);

            // A changed password goes straight through.
            // Keys are handled in order: from the button back to the password, one more
            // character, forward to the button again, Connect.
            ui.keys(&[
                KeyCode::BackTab,
                KeyCode::Char('z'),
                KeyCode::Tab,
                KeyCode::Enter,
            ]);
            ui.wait_for("(above the matrix)").await;
            assert_eq!(g(), 3);
            ui.ctrl('c');
            ui.key(KeyCode::Char('y'));
        },
    )
    .await;
    assert_eq!(grants(), 3);

    // A new session with the same guard (the state dir): Connect does not send, and asks.
    let g = grants.clone();
    wizard(
        dir.path(),
        &srv.url,
        WRONG_PASSWORD,
        Some(guard),
        |mut ui| async move {
            ui.connect().await;
            let s = ui.wait_for("Send rejected credentials again?").await;
            assert!(s.contains("Attempts so far: 2"), "{s}");
            assert_eq!(g(), 3);
            ui.key(KeyCode::Enter);
            ui.ctrl('c');
            ui.key(KeyCode::Char('y'));
        },
    )
    .await;
    assert_eq!(grants(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_output_path_shows_an_echoed_secret_or_token() {
    let srv = guard_support::start(TokenMode::Accept {
        expires_in: 1799,
        refresh: true,
    })
    .await;
    let home = Home::new();
    let f = flags(&srv.url);
    let config = home.config(&srv.url);
    let config = config.to_string_lossy().into_owned();
    let send = |extra: &[&'static str]| -> Vec<String> {
        let mut v: Vec<String> = ["--config", &config, "send", "--endpoint", ENDPOINT]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(["--short-description".into(), "Cost spike".into()]);
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let runs: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "check",
            with(&["check"], &f).iter().map(|s| s.to_string()).collect(),
            PASSWORD,
        ),
        (
            "check-json",
            with(&["check", "--json"], &f)
                .iter()
                .map(|s| s.to_string())
                .collect(),
            PASSWORD,
        ),
        (
            "fields",
            with(&["fields"], &f)
                .iter()
                .map(|s| s.to_string())
                .collect(),
            PASSWORD,
        ),
        (
            "fields-json",
            with(&["fields", "--json"], &f)
                .iter()
                .map(|s| s.to_string())
                .collect(),
            PASSWORD,
        ),
        ("send", send(&[]), PASSWORD),
        ("send-json", send(&["--json"]), PASSWORD),
        (
            "check-wrong",
            with(&["check"], &f).iter().map(|s| s.to_string()).collect(),
            WRONG_PASSWORD,
        ),
        (
            "check-wrong-json",
            with(&["check", "--json", "--retry-login"], &f)
                .iter()
                .map(|s| s.to_string())
                .collect(),
            WRONG_PASSWORD,
        ),
        ("send-wrong", send(&["--retry-login"]), WRONG_PASSWORD),
    ];
    let mut outputs: Vec<(String, Vec<u8>)> = Vec::new();
    for (label, args, password) in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = home.run(label, &args, password).await;
        assert!(o.status.code().is_some(), "{label} crashed");
        assert!(
            !o.stdout.is_empty() || !o.stderr.is_empty(),
            "{label} printed nothing"
        );
        outputs.push((format!("{label} stdout"), o.stdout));
        outputs.push((format!("{label} stderr"), o.stderr));
    }
    // The server did echo: a check against it shows its (redacted) words.
    let shown = String::from_utf8_lossy(&outputs[0].1).into_owned()
        + &String::from_utf8_lossy(&outputs[1].1);
    assert!(shown.contains("[redacted]"), "{shown}");

    // The wizard in-process: the matrix, the report (s) and the copied fix (y).
    let wdir = home.path("wizard");
    std::fs::create_dir_all(&wdir).expect("mkdir");
    let model = wizard(&wdir, &srv.url, PASSWORD, None, |mut ui| async move {
        ui.connect().await;
        let s = ui.wait_for("(above the matrix)").await;
        ui.key(KeyCode::Char('s'));
        ui.wait_for("Report for the ServiceNow admin saved").await;
        for _ in 0..8 {
            ui.key(KeyCode::Char('j'));
        }
        let _ = s;
        ui.ctrl('c');
        ui.key(KeyCode::Char('y'));
    })
    .await;
    let mut model = model;
    model.quit = false;
    model.popups.clear();
    let mut copied = Vec::new();
    for row in 0..12 {
        model.screens.checks.select(row);
        for e in update(
            &mut model,
            Msg::Key(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE)),
        ) {
            if let Effect::Clipboard(text) = e {
                outputs.push((format!("copied fix {row}"), text.clone().into_bytes()));
                copied.push(osc52(&text));
            }
        }
    }
    assert!(copied.len() > 3, "nothing was copied");
    for (i, c) in copied.into_iter().enumerate() {
        use base64::Engine;
        let b64 = String::from_utf8_lossy(&c)
            .trim_start_matches("\x1b]52;c;")
            .trim_end_matches("\x1b\\")
            .to_string();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64");
        outputs.push((format!("OSC 52 {i}"), decoded));
    }
    let screen = {
        let mut t = Terminal::new(TestBackend::new(80, 24)).expect("backend");
        let frame = t
            .draw(|fr| snow_connect::wizard::view(&model, fr))
            .expect("draw");
        snow_connect::wizard::buffer_text(frame.buffer)
    };
    outputs.push(("wizard screen".into(), screen.into_bytes()));

    // The report from a failing diagnosis, in-process.
    let input = snow_connect::diagnose::ConnectionInput {
        instance_url: srv.url.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: SecretString::from(CLIENT_SECRET),
        username: USERNAME.into(),
        password: SecretString::from(PASSWORD),
    };
    let d = snow_connect::diagnose::run_checks(
        &input,
        &snow_connect::diagnose::CheckOptions::default(),
        None,
        tokio_util::sync::CancellationToken::new(),
    )
    .await;
    let report = snow_connect::diagnose::markdown_report(&srv.url, USERNAME, &d.results);
    outputs.push(("report".into(), report.into_bytes()));
    outputs.push((
        "diagnosis debug".into(),
        format!("{:#?}", d.results).into_bytes(),
    ));

    let needles =
        guard_support::needles(&[CLIENT_SECRET, PASSWORD, WRONG_PASSWORD, TOKEN, REFRESH]);
    let mut found = Vec::new();
    for (label, bytes) in &outputs {
        found.extend(guard_support::leaks(label, bytes, &needles));
    }
    let files = files_under(home.dir.path());
    assert!(
        files.iter().any(|p| p.ends_with("snow-connect-report.md")),
        "{files:?}"
    );
    for p in &files {
        let bytes = std::fs::read(p).expect("read");
        found.extend(guard_support::leaks(
            &p.display().to_string(),
            &bytes,
            &needles,
        ));
    }
    // The trace logs are there to search, with content.
    for label in ["check", "check-wrong", "send", "fields"] {
        let log =
            std::fs::read_to_string(home.path(&format!("logs/{label}.log"))).unwrap_or_default();
        assert!(
            log.contains("TRACE") || log.contains("DEBUG"),
            "{label}.log: {log}"
        );
    }
    assert!(found.is_empty(), "leaked:\n{}", found.join("\n"));
}
