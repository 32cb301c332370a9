//! Headless flows: scripted keys through the real event loop (`run_loop`) with a
//! `TestBackend`, against the in-process simulator. Every wait is bounded.

use crate::support::fs::mode;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;
use tokio::sync::{mpsc, watch};

use snow_connect::config::{DraftStore, SecretRef};
use snow_connect::diagnose::FieldKind;
use snow_connect::servicenow::ClientOptions;
use snow_connect::simulator::{SimOptions, Simulator};
use snow_connect::wizard::screens::review::TestState;
use snow_connect::wizard::{
    DraftState, Existing, LoopExit, LoopOptions, Model, Prefill, Runner, RunnerOptions, Screen,
    Setup, run_loop,
};

const WAIT: Duration = Duration::from_secs(20);

/// The script's handle on the running wizard.
struct Ui {
    tx: mpsc::UnboundedSender<io::Result<Event>>,
    screen: watch::Receiver<String>,
}

impl Ui {
    fn send(&self, ev: Event) {
        self.tx.send(Ok(ev)).expect("the wizard is running");
    }
    fn key(&self, code: KeyCode) {
        self.send(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
    fn keys(&self, codes: &[KeyCode]) {
        for c in codes {
            self.key(*c);
        }
    }
    fn ctrl(&self, c: char) {
        self.send(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        )));
    }
    fn text(&self, s: &str) {
        for c in s.chars() {
            self.key(KeyCode::Char(c));
        }
    }
    fn now(&self) -> String {
        self.screen.borrow().clone()
    }
    /// Wait until the screen shows `needle`.
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
                self.now()
            ),
        }
    }
    /// Press `key` until the screen shows `needle` (at most `max` presses).
    async fn press_until(&mut self, key: KeyCode, needle: &str, max: usize) {
        for _ in 0..max {
            if self.screen.borrow_and_update().contains(needle) {
                return;
            }
            self.key(key);
            // Every handled key causes one render (even when the text stays the same).
            let _ = tokio::time::timeout(WAIT, self.screen.changed()).await;
        }
        assert!(
            self.now().contains(needle),
            "{needle:?} never showed; the screen shows:\n{}",
            self.now()
        );
    }
}

/// Run the wizard from `setup` (drafts in `env`, a terminal of `setup.size`) with a script;
/// returns the final model and why the loop stopped.
async fn run_wizard<F, Fut>(env: &Env, setup: Setup, script: F) -> (Model, LoopExit)
where
    F: FnOnce(Ui) -> Fut,
    Fut: Future<Output = ()>,
{
    let (tx, rx) = mpsc::unbounded_channel::<io::Result<Event>>();
    let events = Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (e, rx))
    }));
    let (screen_tx, screen_rx) = watch::channel(String::new());
    let (msg_tx, mut msg_rx) = mpsc::unbounded_channel();
    let opts = RunnerOptions {
        client: ClientOptions::default(),
        drafts: Some(env.drafts.clone()),
    };
    let mut runner = Runner::new(msg_tx, opts);
    let (width, height) = setup.size;
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("backend");
    let mut model = Model::new(setup);
    let loop_opts = LoopOptions {
        signals: false,
        screen: Some(screen_tx),
    };
    let ui = Ui {
        tx,
        screen: screen_rx,
    };
    let exit = {
        let lp = run_loop(
            &mut terminal,
            events,
            &mut model,
            &mut runner,
            &mut msg_rx,
            &loop_opts,
        );
        let script = script(ui);
        let both = async {
            let (exit, ()) = tokio::join!(lp, script);
            exit
        };
        tokio::time::timeout(Duration::from_secs(120), both)
            .await
            .expect("the flow finished in time")
            .expect("the loop ran without I/O errors")
    };
    (model, exit)
}

struct Env {
    _dir: tempfile::TempDir,
    config: PathBuf,
    drafts: DraftStore,
}

fn env() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    let drafts = DraftStore::new(&dir.path().join("state"), &config);
    Env {
        config,
        drafts,
        _dir: dir,
    }
}

fn setup(env: &Env, prefill: Option<Prefill>) -> Setup {
    crate::support::model::setup(&env.config)
        .prefill(prefill)
        .build()
}

fn prefill(sim: &Simulator) -> Prefill {
    let o = sim.options();
    Prefill {
        instance_url: sim.base_url().to_string(),
        client_id: o.client_id.clone(),
        client_secret: SecretString::from(o.client_secret.clone()),
        username: o.username.clone(),
        password: SecretString::from(o.password.clone()),
    }
}

/// Welcome → Choose a user → OAuth application → Connect → run the checks.
async fn connect(ui: &mut Ui) {
    ui.wait_for("Connect Finout to ServiceNow").await;
    ui.key(KeyCode::Enter);
    ui.wait_for("1. Choose a User").await;
    ui.key(KeyCode::Enter);
    ui.wait_for("2. OAuth Authentication").await;
    ui.key(KeyCode::Enter);
    ui.wait_for("3. Add ServiceNow credentials").await;
    ui.press_until(KeyCode::Tab, "▸[ Connect ]", 6).await;
    ui.key(KeyCode::Enter);
}

/// Connect, pass the checks and open the editor on a new endpoint.
async fn open_new_endpoint(ui: &mut Ui) {
    connect(ui).await;
    ui.wait_for("All required checks passed").await;
    ui.key(KeyCode::Char('c'));
    ui.wait_for("+ Add an endpoint").await;
    ui.key(KeyCode::Enter);
    ui.wait_for("New endpoint").await;
}

/// Save the endpoint being edited and go on to the review screen.
async fn save_endpoint_and_review(ui: &mut Ui) {
    ui.press_until(KeyCode::Tab, "▸[ Save endpoint ]", 12).await;
    ui.key(KeyCode::Enter);
    ui.wait_for("is ready").await;
    ui.key(KeyCode::Char('c'));
    ui.wait_for("5. Review & save").await;
}

/// Save on the review screen, then leave the wizard.
async fn save_and_leave(ui: &mut Ui) {
    ui.press_until(KeyCode::Tab, "▸[ Save ]", 6).await;
    ui.key(KeyCode::Enter);
    ui.wait_for("Saved to").await;
    ui.key(KeyCode::Enter);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_saves_a_toml_with_a_choice_and_a_reference_field() {
    let sim = Simulator::start(SimOptions::default())
        .await
        .expect("simulator");
    let env = env();
    let (model, exit) = run_wizard(
        &env,
        setup(&env, Some(prefill(&sim))),
        |mut ui| async move {
            open_new_endpoint(&mut ui).await;
            ui.text("FinOps anomalies");
            ui.key(KeyCode::Tab);
            ui.text("Cost anomaly alerts");
            ui.press_until(KeyCode::Tab, "▸[ Select Fields ]", 12).await;
            ui.key(KeyCode::Enter);
            ui.wait_for("fields match").await;
            ui.text("priority");
            ui.wait_for("▸[ ] Priority").await;
            // Tab toggles, also while typing (Space separates search words).
            ui.key(KeyCode::Tab);
            ui.wait_for("1/10 selected").await;
            ui.ctrl('u');
            ui.text("assignment group");
            ui.wait_for("▸[ ] Assignment group").await;
            ui.key(KeyCode::Up);
            ui.key(KeyCode::Tab);
            ui.wait_for("2/10 selected").await;
            ui.key(KeyCode::Enter);
            ui.wait_for("Select a value: Priority").await;
            ui.wait_for("2 - High").await;
            ui.press_until(KeyCode::Down, "▸ 2 - High", 6).await;
            ui.key(KeyCode::Enter);
            ui.wait_for("Select a value: Assignment group").await;
            ui.wait_for("Cloud FinOps").await;
            ui.text("Cloud Fin");
            ui.wait_for("1 record(s)").await;
            ui.key(KeyCode::Enter);
            ui.wait_for("= Cloud FinOps").await;
            save_endpoint_and_review(&mut ui).await;
            save_and_leave(&mut ui).await;
        },
    )
    .await;
    assert_eq!(exit, LoopExit::Quit);
    assert_eq!(model.screen, Screen::Review);
    let text = std::fs::read_to_string(&env.config).expect("saved file");
    assert!(!text.contains("demo-password") || mode(&env.config) == 0o600);
    assert_eq!(mode(&env.config), 0o600);
    let loaded = snow_connect::config::load(&env.config).expect("the saved file loads");
    let cfg = loaded.config;
    assert_eq!(cfg.servicenow.instance_url, sim.base_url());
    assert!(matches!(cfg.servicenow.client_secret, SecretRef::Inline(_)));
    assert_eq!(cfg.endpoints.len(), 1);
    let e = &cfg.endpoints[0];
    assert_eq!(e.name, "FinOps anomalies");
    assert_eq!(e.description, "Cost anomaly alerts");
    let priority = e
        .fields
        .iter()
        .find(|f| f.element == "priority")
        .expect("priority");
    assert_eq!(priority.kind, FieldKind::Choice);
    assert_eq!(priority.value, "2");
    let group = e
        .fields
        .iter()
        .find(|f| f.element == "assignment_group")
        .expect("group");
    assert_eq!(group.kind, FieldKind::Reference);
    assert_eq!(group.value, "287ebd7da9fe198100f92cc8d1d2154e");
    assert_eq!(group.display.as_deref(), Some("Cloud FinOps"));
    assert!(!group.mandatory);
    // A finished save leaves no draft behind.
    assert!(
        env.drafts
            .load::<DraftState>()
            .expect("draft store")
            .is_none()
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_dictionary_fields_show_the_matrix_and_the_pickers_explanation() {
    let sim = Simulator::start(SimOptions {
        deny: vec!["sys_dictionary.*".into()],
        ..SimOptions::default()
    })
    .await
    .expect("simulator");
    let env = env();
    let (model, exit) = run_wizard(
        &env,
        setup(&env, Some(prefill(&sim))),
        |mut ui| async move {
            connect(&mut ui).await;
            let matrix = ui.wait_for("Connection and ACL matrix").await;
            let matrix = if matrix.contains("root cause") {
                matrix
            } else {
                ui.wait_for("root cause").await
            };
            assert!(matrix.contains("sys_dictionary.*"), "{matrix}");
            assert!(
                matrix.contains("✗ Blocked") || matrix.contains("◐ Partial"),
                "{matrix}"
            );
            // Enter opens the selected (failing) row in full: the evidence and the one plan.
            ui.key(KeyCode::Enter);
            let detail = ui.wait_for("one plan, for every cause").await;
            assert!(detail.contains("Evidence"), "{detail}");
            assert!(detail.contains("Read sys_dictionary fields"), "{detail}");
            ui.key(KeyCode::Esc);
            ui.wait_for("Enter/v details").await;
            ui.key(KeyCode::Char('c'));
            ui.wait_for("Continue anyway?").await;
            ui.key(KeyCode::Char('y'));
            ui.wait_for("+ Add an endpoint").await;
            ui.key(KeyCode::Char('a'));
            ui.wait_for("New endpoint").await;
            ui.press_until(KeyCode::Tab, "▸[ Select Fields ]", 12).await;
            ui.key(KeyCode::Enter);
            let why = ui.wait_for("No fields are available for selection").await;
            assert!(why.contains("Missing read ACL: sys_dictionary.*"), "{why}");
            ui.key(KeyCode::Enter);
            let back = ui.wait_for("Connection and ACL matrix").await;
            assert!(
                back.contains("▸✗") || back.contains("▸◐"),
                "the failing row is selected:\n{back}"
            );
            assert!(back.contains("back to endpoint"));
            ui.key(KeyCode::Esc);
            ui.wait_for("New endpoint").await;
            // Back to Endpoint Name, type something, then quit: the wizard asks first.
            ui.keys(&[KeyCode::BackTab, KeyCode::BackTab]);
            ui.text("Cost anomalies");
            ui.wait_for("Cost anomalies").await;
            ui.ctrl('c');
            ui.wait_for("Quit without saving?").await;
            ui.ctrl('c');
        },
    )
    .await;
    assert_eq!(exit, LoopExit::Quit);
    assert_eq!(model.screen, Screen::Editor);
    assert!(!env.config.exists(), "nothing was saved");
    // Quitting kept a draft, without secrets.
    let raw = std::fs::read_to_string(env.drafts.path()).expect("draft written");
    assert!(!raw.contains("demo-secret") && !raw.contains("demo-password"));
    let d = env
        .drafts
        .load::<DraftState>()
        .expect("store")
        .expect("draft");
    assert_eq!(d.state.instance_url, sim.base_url());
    assert_eq!(d.state.endpoints[0].name, "Cost anomalies");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resizing_below_the_minimum_keeps_handling_keys_and_paste_reaches_the_field() {
    let env = env();
    let mut s = setup(&env, None);
    s.demo = false;
    let (model, exit) = run_wizard(&env, s, |mut ui| async move {
        ui.wait_for("Connect Finout to ServiceNow").await;
        ui.send(Event::Resize(30, 8));
        ui.wait_for("need 40x12").await;
        // Keys still work while the terminal is too small.
        ui.key(KeyCode::Enter);
        ui.key(KeyCode::Enter);
        ui.key(KeyCode::Enter);
        ui.send(Event::Resize(50, 15));
        ui.wait_for("3. Add ServiceNow credentials").await;
        ui.send(Event::Paste("acme.service-now.com\n".into()));
        ui.wait_for("→ https://acme.service-now.com").await;
        ui.send(Event::Resize(0, 0));
        ui.send(Event::Resize(200, 60));
        ui.wait_for("ServiceNow Instance URL").await;
        ui.ctrl('c');
        ui.wait_for("Quit without saving?").await;
        ui.key(KeyCode::Char('y'));
    })
    .await;
    assert_eq!(exit, LoopExit::Quit);
    assert_eq!(
        model.screens.connect.form.instance_url.value(),
        "acme.service-now.com"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_input_closing_keeps_a_draft() {
    let env = env();
    let mut s = setup(&env, None);
    s.demo = false;
    let (_model, exit) = run_wizard(&env, s, |mut ui| async move {
        ui.wait_for("Connect Finout to ServiceNow").await;
        ui.keys(&[KeyCode::Enter, KeyCode::Enter, KeyCode::Enter]);
        ui.wait_for("3. Add ServiceNow credentials").await;
        ui.text("acme");
        ui.wait_for("→ https://acme.service-now.com").await;
        drop(ui);
    })
    .await;
    assert_eq!(exit, LoopExit::InputClosed);
    let d = env
        .drafts
        .load::<DraftState>()
        .expect("store")
        .expect("draft");
    assert_eq!(d.state.instance_url, "acme");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_an_existing_config_keeps_its_endpoints_and_comments() {
    use snow_connect::config::{Config, Endpoint, EndpointField, SaveOptions, ServiceNowConfig};
    let sim = Simulator::start(SimOptions::default())
        .await
        .expect("simulator");
    let env = env();
    let o = sim.options().clone();
    let cfg = Config {
        servicenow: ServiceNowConfig {
            instance_url: sim.base_url().to_string(),
            client_id: o.client_id.clone(),
            client_secret: SecretRef::Inline(SecretString::from(o.client_secret.clone())),
            username: o.username.clone(),
            password: SecretRef::Inline(SecretString::from(o.password.clone())),
        },
        endpoints: vec![Endpoint {
            name: "Existing".into(),
            description: "kept".into(),
            table: "incident".into(),
            fields: vec![EndpointField {
                element: "priority".into(),
                kind: FieldKind::Choice,
                value: "3".into(),
                display: Some("3 - Moderate".into()),
                mandatory: false,
            }],
        }],
    };
    snow_connect::config::save(&env.config, &cfg, SaveOptions::default()).expect("save");
    let mut text = std::fs::read_to_string(&env.config).expect("read");
    text.push_str("\n# a note the operator wrote\n");
    std::fs::write(&env.config, text).expect("write");
    let loaded = snow_connect::config::load(&env.config).expect("load");
    let mut s = setup(&env, None);
    s.demo = false;
    s.existing = Existing::Loaded {
        config: Box::new(loaded.config),
        warnings: vec![],
    };
    let (_model, exit) = run_wizard(&env, s, |mut ui| async move {
        ui.wait_for("Already connected").await;
        ui.key(KeyCode::Enter);
        let form = ui.wait_for("Editing the saved integration").await;
        assert!(
            form.contains("▸[ Connect ]"),
            "a complete form focuses Connect:\n{form}"
        );
        assert!(!form.contains("demo-secret"));
        ui.key(KeyCode::Enter);
        ui.wait_for("All required checks passed").await;
        ui.key(KeyCode::Char('c'));
        ui.wait_for("Existing").await;
        ui.key(KeyCode::Char('c'));
        ui.wait_for("5. Review & save").await;
        save_and_leave(&mut ui).await;
    })
    .await;
    assert_eq!(exit, LoopExit::Quit);
    let after = std::fs::read_to_string(&env.config).expect("read");
    assert!(after.contains("# a note the operator wrote"), "{after}");
    let reloaded = snow_connect::config::load(&env.config).expect("load");
    assert_eq!(reloaded.config.endpoints.len(), 1);
    assert_eq!(reloaded.config.endpoints[0].fields[0].value, "3");
    sim.shutdown().await;
}

/// Use up the demo user's rate-limit window with cheap reads, so the next request gets 429.
async fn exhaust_rate_limit(sim: &Simulator) {
    use snow_connect::servicenow::{Client, Credentials, Error, InstanceUrl, TableQuery};
    let o = sim.options();
    let creds = Credentials {
        client_id: o.client_id.clone(),
        client_secret: SecretString::from(o.client_secret.clone()),
        username: o.username.clone(),
        password: SecretString::from(o.password.clone()),
    };
    let url = InstanceUrl::parse(sim.base_url()).expect("base URL");
    let client = Client::new(url, creds, &ClientOptions::default()).expect("client");
    let q = TableQuery::new("sys_user_group").limit(1);
    for _ in 0..100 {
        if let Err(Error::RateLimited { .. }) = client.get_page(&q).await {
            return;
        }
    }
    panic!("the simulator never rate limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_incident_waits_out_a_rate_limit_like_send() {
    let sim = Simulator::start(SimOptions {
        rate_limit: Some(6),
        rate_limit_window: 2,
        ..SimOptions::default()
    })
    .await
    .expect("simulator");
    let before = sim.incident_count();
    let env = env();
    let sim_ref = &sim;
    let (model, _exit) = run_wizard(
        &env,
        setup(&env, Some(prefill(&sim))),
        |mut ui| async move {
            open_new_endpoint(&mut ui).await;
            ui.text("Rate limited");
            save_endpoint_and_review(&mut ui).await;
            ui.press_until(KeyCode::Tab, "▸[ Send a test incident ]", 8)
                .await;
            ui.key(KeyCode::Enter);
            ui.wait_for("Create a test incident?").await;
            exhaust_rate_limit(sim_ref).await;
            ui.key(KeyCode::Char('y'));
            ui.wait_for("rate limiting this user (HTTP 429)").await;
            ui.wait_for("✓ Created INC").await;
        },
    )
    .await;
    assert!(
        model
            .cx
            .status
            .as_ref()
            .is_some_and(|s| s.text.starts_with("Created INC")),
        "{:?}",
        model.cx.status
    );
    assert_eq!(
        sim.incident_count(),
        before + 1,
        "created once, never resent"
    );
    sim.shutdown().await;
}

/// Every fix the matrix can show for the finished checks (what its pane, detail view and
/// clipboard give): the causes' fixes, the one plan, and the own fix of a row without a cause.
fn matrix_fixes(model: &Model) -> Vec<String> {
    let a = snow_connect::wizard::screens::checks::assessment(&model.cx);
    let mut texts: Vec<String> = a.causes.iter().map(|c| c.fix.clone()).collect();
    texts.push(a.plan.text());
    texts.extend(
        model
            .cx
            .checks
            .results()
            .into_iter()
            .filter(|r| r.cause.is_none())
            .filter_map(|r| r.fix),
    );
    texts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_matrix_says_to_press_r_not_to_run_check() {
    // Missing ACLs (the plan's new-session step) and a securely scoped client (a fix the
    // ladder wrote for `check`, read in the matrix).
    let scenarios = [
        SimOptions {
            deny: vec!["sys_dictionary.*".into(), "sys_glide_object".into()],
            ..SimOptions::default()
        },
        SimOptions {
            securely_scoped: true,
            ..SimOptions::default()
        },
    ];
    for options in scenarios {
        let sim = Simulator::start(options).await.expect("simulator");
        let env = env();
        let (model, _exit) = run_wizard(
            &env,
            setup(&env, Some(prefill(&sim))),
            |mut ui| async move {
                connect(&mut ui).await;
                ui.wait_for("Connection and ACL matrix").await;
                ui.wait_for("above the matrix").await;
                ui.key(KeyCode::Enter);
                ui.wait_for("Evidence").await;
                ui.key(KeyCode::Esc);
                ui.wait_for("Enter/v details").await;
                ui.ctrl('c');
            },
        )
        .await;
        let texts = matrix_fixes(&model);
        let all = texts.join("\n");
        assert!(all.contains("press r to run the checks again"), "{all}");
        for text in &texts {
            assert!(!text.contains("snow-connect check"), "{text}");
        }
        sim.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_test_incident_says_to_send_it_again_and_shows_the_evidence_apart() {
    let sim = Simulator::start(SimOptions {
        deny: vec!["incident.create".into()],
        ..SimOptions::default()
    })
    .await
    .expect("simulator");
    let env = env();
    let (model, _exit) = run_wizard(
        &env,
        setup(&env, Some(prefill(&sim))),
        |mut ui| async move {
            open_new_endpoint(&mut ui).await;
            ui.text("Refused");
            save_endpoint_and_review(&mut ui).await;
            ui.press_until(KeyCode::Tab, "▸[ Send a test incident ]", 8)
                .await;
            ui.key(KeyCode::Enter);
            ui.wait_for("Create a test incident?").await;
            ui.key(KeyCode::Char('y'));
            ui.wait_for("The test incident failed").await;
            ui.key(KeyCode::Char('v'));
            let detail = ui.wait_for("Evidence").await;
            assert!(
                detail.contains("ServiceNow refused to create the incident"),
                "{detail}"
            );
            ui.key(KeyCode::Esc);
            ui.ctrl('c');
            ui.wait_for("Quit without saving?").await;
            ui.ctrl('c');
        },
    )
    .await;
    let TestState::Done(Err(failure)) = &model.screens.review.test else {
        panic!("the test incident failed: {:?}", model.screens.review.test);
    };
    assert_eq!(
        failure.message,
        "ServiceNow refused to create the incident: the integration user lacks a role or ACL \
         that allows creating incidents."
    );
    let evidence = failure.evidence.as_deref().unwrap_or_default();
    assert!(
        evidence.starts_with("HTTP 403: Operation Failed: ACL Exception Insert Failed"),
        "{evidence}"
    );
    let fix = failure.fix.as_deref().unwrap_or_default();
    assert!(
        fix.contains("then send the test incident again (t or the button)."),
        "{fix}"
    );
    assert!(!fix.contains("snow-connect check"), "{fix}");
    sim.shutdown().await;
}
