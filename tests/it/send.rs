//! `snow-connect send` end to end: the real binary against the in-process simulator, with a
//! config in a temp dir and HOME/XDG pointing at temp dirs.

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use snow_connect::simulator::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, SimOptions, Simulator,
};

const ENDPOINT: &str = "FinOps anomalies";

/// A temp home for one test: config dir, HOME and XDG dirs.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("snow-connect.toml")
    }

    fn write_config(&self, text: &str) -> PathBuf {
        let path = self.config_path();
        std::fs::write(&path, text).expect("write config");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .expect("chmod config");
        }
        path
    }

    /// A home whose config connects to `sim` and has the endpoint [`ENDPOINT`] with `fields`.
    fn with_endpoint(sim: &Simulator, fields: &[F]) -> Home {
        Home::with_endpoint_at(sim.base_url(), fields)
    }

    /// A home whose config connects to `instance` and has the endpoint [`ENDPOINT`].
    fn with_endpoint_at(instance: &str, fields: &[F]) -> Home {
        let home = Home::new();
        home.write_config(&config_text(instance, &[(ENDPOINT, fields)]));
        home
    }

    /// Send an alert with this short description through [`ENDPOINT`].
    async fn send_alert(&self, short_description: &str) -> Output {
        self.send_alert_with(short_description, &[]).await
    }

    /// [`Home::send_alert`] with `extra` arguments after the short description.
    async fn send_alert_with(&self, short_description: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "--endpoint",
            ENDPOINT,
            "--short-description",
            short_description,
        ];
        args.extend_from_slice(extra);
        self.send(&args).await
    }

    /// Run the binary with `args` (after `send`), `--config` set to this home's config.
    async fn send(&self, args: &[&str]) -> Output {
        let home = self.dir.path();
        let mut cmd = crate::support::bin::tokio_command(&home.join("xdg-state"));
        cmd.arg("--config")
            .arg(self.config_path())
            .arg("--log-file")
            .arg(home.join("log.txt"))
            .arg("send")
            .args(args)
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("xdg-config"))
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .env("XDG_CACHE_HOME", home.join("xdg-cache"))
            .env_remove("SNOW_CONNECT_CONFIG")
            .env_remove("SNOW_CLIENT_SECRET")
            .env_remove("SNOW_PASSWORD")
            .kill_on_drop(true);
        let fut = cmd.output();
        tokio::time::timeout(Duration::from_secs(120), fut)
            .await
            .expect("snow-connect send finished within 120 s")
            .expect("run snow-connect")
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// One `[[endpoints.fields]]` entry.
struct F<'a> {
    element: &'a str,
    kind: &'a str,
    value: &'a str,
}

/// `element = ..., type = ..., value = ...`.
fn f<'a>(element: &'a str, kind: &'a str, value: &'a str) -> F<'a> {
    F {
        element,
        kind,
        value,
    }
}

fn config_text(instance: &str, endpoints: &[(&str, &[F])]) -> String {
    let mut s = format!(
        "version = 1\n\n[servicenow]\ninstance_url = \"{instance}\"\nclient_id = \"{DEMO_CLIENT_ID}\"\n\
         client_secret = \"{DEMO_CLIENT_SECRET}\"\nusername = \"{DEMO_USERNAME}\"\npassword = \"{DEMO_PASSWORD}\"\n"
    );
    for (name, fields) in endpoints {
        s.push_str(&format!(
            "\n[[endpoints]]\nname = \"{name}\"\ndescription = \"test\"\ntable = \"incident\"\n"
        ));
        for f in fields.iter() {
            s.push_str(&format!(
                "\n[[endpoints.fields]]\nelement = \"{}\"\ntype = \"{}\"\nvalue = \"{}\"\n",
                f.element, f.kind, f.value
            ));
        }
    }
    s
}

/// A plain HTTP client for reading the simulator directly, independent of the crate's client.
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn new(sim: &Simulator) -> Api {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("reqwest client");
        let base = sim.base_url().to_string();
        let o = sim.options();
        let resp: Value = http
            .post(format!("{base}/oauth_token.do"))
            .form(&[
                ("grant_type", "password"),
                ("client_id", o.client_id.as_str()),
                ("client_secret", o.client_secret.as_str()),
                ("username", o.username.as_str()),
                ("password", o.password.as_str()),
            ])
            .send()
            .await
            .expect("token request")
            .json()
            .await
            .expect("token JSON");
        let token = resp["access_token"]
            .as_str()
            .expect("access_token in the token answer")
            .to_string();
        Api { http, base, token }
    }

    async fn get(&self, path_and_query: &str) -> Value {
        let resp = self
            .http
            .get(format!("{}{path_and_query}", self.base))
            .bearer_auth(&self.token)
            .header("Accept", "application/json")
            .send()
            .await
            .expect("GET");
        assert!(
            resp.status().is_success(),
            "GET {path_and_query}: {}",
            resp.status()
        );
        resp.json().await.expect("JSON")
    }

    async fn incident(&self, sys_id: &str) -> Value {
        let v = self
            .get(&format!(
                "/api/now/table/incident/{sys_id}?sysparm_exclude_reference_link=true"
            ))
            .await;
        v["result"].clone()
    }

    /// The sys_id of some record of `table` (the simulator's seeded reference data).
    async fn any_sys_id(&self, table: &str) -> String {
        let v = self
            .get(&format!(
                "/api/now/table/{table}?sysparm_limit=1&sysparm_fields=sys_id"
            ))
            .await;
        v["result"][0]["sys_id"]
            .as_str()
            .unwrap_or_else(|| panic!("{table} has a record: {v}"))
            .to_string()
    }
}

async fn sim(options: SimOptions) -> Simulator {
    Simulator::start(options).await.expect("simulator starts")
}

fn is_sys_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_incident_carries_every_configured_field_and_the_alert() {
    let sim = sim(SimOptions::default()).await;
    let api = Api::new(&sim).await;
    let group = api.any_sys_id("sys_user_group").await;
    let fields = [
        f("assignment_group", "reference", &group),
        f("urgency", "choice", "2"),
        f("impact", "choice", "1"),
        f("category", "choice", "software"),
        f("correlation_id", "string", "finout-anomaly-4711"),
    ];
    let home = Home::with_endpoint(&sim, &fields);
    let before = sim.incident_count();

    let out = home
        .send_alert_with(
            "AWS spend up 40% in eu-west-1",
            &[
                "--description",
                "Daily EC2 cost rose from $1,200 to $1,680.\nSee Finout.",
                "--json",
            ],
        )
        .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("stdout is one JSON document");
    let keys: Vec<&str> = doc
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    for k in ["number", "sys_id", "url", "fields"] {
        assert!(keys.contains(&k), "missing {k}: {doc}");
    }
    let number = doc["number"].as_str().expect("number");
    assert!(
        number.starts_with("INC") && number.len() == 10,
        "number {number}"
    );
    let sys_id = doc["sys_id"].as_str().expect("sys_id");
    assert!(is_sys_id(sys_id), "sys_id {sys_id}");
    assert_eq!(
        doc["url"],
        format!(
            "{}/nav_to.do?uri=incident.do?sys_id={sys_id}",
            sim.base_url()
        )
    );
    assert_eq!(sim.incident_count(), before + 1);

    let record = api.incident(sys_id).await;
    assert_eq!(record["number"], number);
    assert_eq!(record["short_description"], "AWS spend up 40% in eu-west-1");
    assert_eq!(
        record["description"],
        "Daily EC2 cost rose from $1,200 to $1,680.\nSee Finout."
    );
    for f in &fields {
        assert_eq!(record[f.element], f.value, "{} in {record}", f.element);
        assert_eq!(doc["fields"][f.element], f.value, "--json fields: {doc}");
    }
    // The human text went to stderr, not into the JSON document.
    assert!(stderr(&out).contains(number), "stderr: {}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn human_output_names_the_incident_and_a_link() {
    let sim = sim(SimOptions::default()).await;
    let fields = [f("urgency", "choice", "3")];
    let home = Home::with_endpoint(&sim, &fields);
    let out = home.send_alert("Budget alert").await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Created INC"), "{text}");
    assert!(
        text.contains(&format!(
            "{}/nav_to.do?uri=incident.do?sys_id=",
            sim.base_url()
        )),
        "{text}"
    );
    assert!(!text.contains(DEMO_PASSWORD) && !text.contains(DEMO_CLIENT_SECRET));
    assert!(!stderr(&out).contains(DEMO_PASSWORD) && !stderr(&out).contains(DEMO_CLIENT_SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_prints_the_body_and_creates_nothing() {
    let sim = sim(SimOptions::default()).await;
    let fields = [
        f("urgency", "choice", "2"),
        f("correlation_id", "string", "abc"),
    ];
    let home = Home::with_endpoint(&sim, &fields);
    let before = sim.incident_count();
    let out = home
        .send_alert_with("Dry", &["--description", "Only a test", "--dry-run"])
        .await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let body: Value = serde_json::from_str(&stdout(&out)).expect("stdout is the JSON body");
    assert_eq!(
        body,
        serde_json::json!({
            "short_description": "Dry",
            "description": "Only a test",
            "urgency": "2",
            "correlation_id": "abc",
        })
    );
    assert!(
        stderr(&out).contains("Nothing was created"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sim.incident_count(), before, "a dry run must not create");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_denied_exits_1_with_the_fix() {
    let sim = sim(SimOptions {
        deny: vec!["incident.create".into()],
        ..SimOptions::default()
    })
    .await;
    let home = Home::with_endpoint(&sim, &[]);
    let before = sim.incident_count();
    let out = home.send_alert("Denied").await;
    assert_eq!(code(&out), 1, "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("itil"), "{err}");
    assert!(err.contains("sn_incident_write"), "{err}");
    assert!(err.contains("snc_read_only"), "{err}");
    assert!(err.contains(DEMO_USERNAME), "{err}");
    // The error says why in words; ServiceNow's answer, whole, is the line below it.
    let mut lines = err.lines();
    assert_eq!(
        lines.next(),
        Some(
            "snow-connect: error: ServiceNow refused to create the incident: the integration \
             user lacks a role or ACL that allows creating incidents."
        ),
        "{err}"
    );
    assert_eq!(
        lines.next(),
        Some(
            "evidence: HTTP 403: Operation Failed: ACL Exception Insert Failed due to security \
             constraints"
        ),
        "{err}"
    );
    // Plain `check` would not create anything: the fix names what does.
    assert!(
        err.contains("run `snow-connect check --create-test-incident` (or `send` again)"),
        "{err}"
    );
    assert!(!err.contains("run `snow-connect check` again"), "{err}");

    // --json: one document whose `error` carries the evidence too.
    let out = home.send_alert_with("Denied", &["--json"]).await;
    assert_eq!(code(&out), 1, "stderr: {}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert_eq!(doc["ok"], false);
    let error = doc["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("ServiceNow refused to create the incident: ")
            && error.ends_with(
                "Evidence: HTTP 403: Operation Failed: ACL Exception Insert Failed due to \
                 security constraints"
            ),
        "{error}"
    );
    assert_eq!(sim.incident_count(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_choice_and_over_long_value_are_caught_before_sending() {
    let sim = sim(SimOptions::default()).await;
    let long = "x".repeat(101);
    let fields = [
        f("urgency", "choice", "9"),
        f("correlation_id", "string", &long),
        f("u_removed_field", "string", "x"),
    ];
    let home = Home::with_endpoint(&sim, &fields);
    let before = sim.incident_count();
    let out = home.send_alert("Check").await;
    assert_eq!(code(&out), 1, "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("nothing was sent"), "{err}");
    assert!(err.contains("3 things"), "{err}");
    assert!(
        err.contains("urgency: choice value `9` is no longer a choice of Urgency (valid: 1 - High"),
        "{err}"
    );
    assert!(
        err.contains("correlation_id: the value is 101 characters"),
        "{err}"
    );
    assert!(
        err.contains("u_removed_field: the field no longer exists"),
        "{err}"
    );
    assert_eq!(sim.incident_count(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_long_alert_text_is_truncated_and_said() {
    let sim = sim(SimOptions::default()).await;
    let api = Api::new(&sim).await;
    let home = Home::with_endpoint(&sim, &[]);
    let long = "Spend anomaly ".repeat(20);
    let out = home.send_alert_with(&long, &["--json"]).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("short_description was 280 characters"),
        "{}",
        stderr(&out)
    );
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let record = api.incident(doc["sys_id"].as_str().expect("sys_id")).await;
    let stored = record["short_description"].as_str().expect("string");
    assert_eq!(stored.chars().count(), 160, "{stored}");
    assert!(stored.ends_with("…[truncated]"), "{stored}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_endpoint_lists_the_configured_names() {
    let home = Home::new();
    home.write_config(&config_text(
        "http://127.0.0.1:9",
        &[("FinOps anomalies", &[]), ("Budget overruns", &[])],
    ));
    let out = home
        .send(&["--endpoint", "Nope", "--short-description", "x"])
        .await;
    assert_eq!(code(&out), 2, "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("no endpoint named \"Nope\""), "{err}");
    assert!(
        err.contains("\"FinOps anomalies\", \"Budget overruns\""),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_endpoints_says_how_to_add_one() {
    let home = Home::new();
    home.write_config(&config_text("http://127.0.0.1:9", &[]));
    let out = home
        .send(&["--endpoint", "Any", "--short-description", "x"])
        .await;
    assert_eq!(code(&out), 2, "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("has no endpoints yet"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_config_is_a_usage_error() {
    let home = Home::new();
    let out = home
        .send(&["--endpoint", "Any", "--short-description", "x"])
        .await;
    assert_eq!(code(&out), 2, "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains(&home.config_path().display().to_string()),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_instance_exits_3() {
    // Bind then drop a listener so the port is very likely closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let home = Home::with_endpoint_at(&format!("http://127.0.0.1:{port}"), &[]);
    let out = home.send_alert("x").await;
    assert_eq!(code(&out), 3, "stderr: {}", stderr(&out));
}

/// What the test proxy does to the incident insert (`POST /api/now/table/incident`).
#[derive(Clone, Copy, PartialEq)]
enum OnInsert {
    /// Let it through but drop the connection before the answer: the incident exists, the
    /// client never hears of it.
    DropAnswer,
    /// Let it through, then answer with a 500 instead of the server's 201: the incident
    /// exists, the client hears only of a failure.
    Answer500,
    /// Answer the first one with ServiceNow's 401 (as for an expired token) without passing
    /// it on; later ones go through.
    RejectFirstAsExpired,
}

const EXPIRED_401: &str = "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json;charset=UTF-8\r\n\
    WWW-Authenticate: BASIC realm=\"Service-now\"\r\nConnection: close\r\nContent-Length: 113\r\n\r\n\
    {\"error\":{\"detail\":\"Required to provide Auth information\",\"message\":\"User Not Authenticated\"},\"status\":\"failure\"}";

const FAILED_500: &str = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json;charset=UTF-8\r\n\
    Connection: close\r\nContent-Length: 107\r\n\r\n\
    {\"error\":{\"message\":\"Transaction cancelled\",\"detail\":\"maximum execution time exceeded\"},\"status\":\"failure\"}";

/// The length of a complete HTTP request at the start of `buf`, once it has fully arrived.
fn complete_request_len(buf: &[u8]) -> Option<usize> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let body_len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    (buf.len() >= head_end + body_len).then_some(head_end + body_len)
}

/// A byte-level proxy in front of the simulator that interferes with incident inserts.
/// Returns its base URL and a counter of the inserts it saw.
async fn insert_proxy(
    upstream: &str,
    mode: OnInsert,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let upstream = upstream.trim_start_matches("http://").to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind proxy");
    let addr = listener.local_addr().expect("proxy addr");
    let inserts = Arc::new(AtomicUsize::new(0));
    let seen_total = inserts.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            let seen_total = seen_total.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let insert_seen = Arc::new(tokio::sync::Notify::new());
                let seen = insert_seen.clone();
                // Client to server; the 401 goes back through a channel to the writer below.
                let (reject_tx, mut reject_rx) = tokio::sync::mpsc::channel::<()>(1);
                let up = tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        if buf[..n].starts_with(b"POST /api/now/table/incident") {
                            let nth = seen_total.fetch_add(1, Ordering::SeqCst);
                            if mode == OnInsert::RejectFirstAsExpired && nth == 0 {
                                // Swallow the whole request, then answer it ourselves.
                                let mut req = buf[..n].to_vec();
                                while complete_request_len(&req).is_none() {
                                    match cr.read(&mut buf).await {
                                        Ok(0) | Err(_) => return,
                                        Ok(m) => req.extend_from_slice(&buf[..m]),
                                    }
                                }
                                let _ = reject_tx.send(()).await;
                                return;
                            }
                            seen.notify_one();
                        }
                        if sw.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    tokio::select! {
                        biased;
                        Some(()) = reject_rx.recv() => {
                            let _ = cw.write_all(EXPIRED_401.as_bytes()).await;
                            let _ = cw.shutdown().await;
                            break;
                        }
                        _ = insert_seen.notified(), if mode == OnInsert::DropAnswer => {
                            // Let the server act on the insert, then cut both sides.
                            let _ = sr.read(&mut buf).await;
                            break;
                        }
                        _ = insert_seen.notified(), if mode == OnInsert::Answer500 => {
                            // The server acts on the insert; its answer is replaced.
                            let _ = sr.read(&mut buf).await;
                            let _ = cw.write_all(FAILED_500.as_bytes()).await;
                            let _ = cw.shutdown().await;
                            break;
                        }
                        r = sr.read(&mut buf) => {
                            let n = match r { Ok(0) | Err(_) => break, Ok(n) => n };
                            if cw.write_all(&buf[..n]).await.is_err() { break; }
                        }
                    }
                }
                up.abort();
            });
        }
    });
    (format!("http://{addr}"), inserts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answer_is_never_resent_and_says_how_to_check() {
    let sim = sim(SimOptions::default()).await;
    let (proxy, inserts) = insert_proxy(sim.base_url(), OnInsert::DropAnswer).await;
    let home = Home::with_endpoint_at(&proxy, &[]);
    let before = sim.incident_count();
    let out = home
        .send_alert_with("Spend up 40%", &["--timeout", "5"])
        .await;
    assert_eq!(code(&out), 3, "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("does not send it again"), "{err}");
    assert!(
        err.contains(&format!(
            "{proxy}/incident_list.do?sysparm_query=short_description%3DSpend+up+40%25"
        )),
        "{err}"
    );
    assert_eq!(
        sim.incident_count(),
        before + 1,
        "created exactly once, never resent"
    );
    assert_eq!(inserts.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_after_the_insert_is_unknown_never_not_created() {
    let sim = sim(SimOptions::default()).await;
    let (proxy, inserts) = insert_proxy(sim.base_url(), OnInsert::Answer500).await;
    let home = Home::with_endpoint_at(&proxy, &[]);
    let before = sim.incident_count();
    let out = home.send_alert("Spend up 40%").await;
    assert_eq!(code(&out), 3, "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("HTTP 500"), "{err}");
    assert!(
        err.contains("It is unknown whether the incident was created"),
        "{err}"
    );
    assert!(
        !err.contains("did not create") && !err.contains("not created"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{proxy}/api/now/table/incident?sysparm_query=short_description%3DSpend+up+40%25"
        )),
        "{err}"
    );
    assert_eq!(sim.incident_count(), before + 1, "it was created, once");
    assert_eq!(inserts.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_rejected_as_expired_at_insert_is_refreshed_once() {
    let sim = sim(SimOptions::default()).await;
    let (proxy, inserts) = insert_proxy(sim.base_url(), OnInsert::RejectFirstAsExpired).await;
    let home = Home::with_endpoint_at(&proxy, &[]);
    let before = sim.incident_count();
    let out = home.send_alert_with("Refresh", &["--json"]).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(
        inserts.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "one insert refused with 401, one retry after the refresh"
    );
    assert_eq!(sim.incident_count(), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_lived_tokens_do_not_break_a_run() {
    // Tokens that live one second while every answer takes 300 ms: the token runs out
    // several times during one send.
    let sim = sim(SimOptions {
        token_ttl: 1,
        latency_ms: 300,
        ..SimOptions::default()
    })
    .await;
    let home = Home::with_endpoint(&sim, &[]);
    let before = sim.incident_count();
    let out = home.send_alert("Refresh").await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    assert_eq!(sim.incident_count(), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subcategory_of_another_category_is_refused_before_sending() {
    let sim = sim(SimOptions::default()).await;
    let fields = [
        f("category", "choice", "software"),
        f("subcategory", "choice", "dns"),
    ];
    let home = Home::with_endpoint(&sim, &fields);
    let before = sim.incident_count();
    let out = home.send_alert("x").await;
    assert_eq!(code(&out), 1, "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "subcategory: choice value `dns` of Subcategory belongs to Category `network`, but the endpoint sets Category to `software`"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "(valid with it: antivirus, email, internal application, os (Operating System))"
        ),
        "{err}"
    );
    assert_eq!(sim.incident_count(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_with_a_short_retry_after_succeeds_after_waiting() {
    // Discovery's four concurrent reads fit in the window; the insert, the fifth request,
    // gets the 429 and waits. (A window smaller than one discovery could never succeed:
    // discovery is repeated whole, and a refused read is never taken as "not readable".)
    let sim = sim(SimOptions {
        rate_limit: Some(4),
        rate_limit_window: 2,
        ..SimOptions::default()
    })
    .await;
    let home = Home::with_endpoint(&sim, &[]);
    let before = sim.incident_count();
    let out = home.send_alert_with("Busy", &["--json"]).await;
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("rate limiting this user (HTTP 429)"), "{err}");
    assert!(err.contains("waiting "), "{err}");
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("one JSON document");
    assert!(doc["number"].as_str().is_some_and(|n| n.starts_with("INC")));
    assert_eq!(sim.incident_count(), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_beyond_the_bound_gives_up_and_says_when() {
    let sim = sim(SimOptions {
        rate_limit: Some(2),
        rate_limit_window: 3600,
        ..SimOptions::default()
    })
    .await;
    let home = Home::with_endpoint(&sim, &[]);
    let before = sim.incident_count();
    let out = home.send_alert("Busy").await;
    // Rate limited: try again later (exit 4), not "change something".
    assert_eq!(code(&out), 4, "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("\nevidence: HTTP 429: Rate limit exceeded"),
        "{err}"
    );
    assert!(err.contains("Try again in "), "{err}");
    assert!(err.contains("nothing was created"), "{err}");
    assert_eq!(sim.incident_count(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_the_instance_makes_mandatory_must_be_configured() {
    let sim = sim(SimOptions {
        mandatory: vec!["incident.business_service".into()],
        ..SimOptions::default()
    })
    .await;
    let home = Home::with_endpoint(&sim, &[]);
    let before = sim.incident_count();
    let out = home.send_alert("x").await;
    assert_eq!(code(&out), 1, "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "business_service: Service is mandatory on incident but the endpoint gives it no value"
        ),
        "{err}"
    );
    assert_eq!(sim.incident_count(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_dictionary_stops_before_sending_with_the_acl_fix() {
    let sim = sim(SimOptions {
        deny: vec!["sys_dictionary.*".into()],
        ..SimOptions::default()
    })
    .await;
    let home = Home::with_endpoint(&sim, &[]);
    let before = sim.incident_count();
    let out = home.send_alert("x").await;
    assert_eq!(code(&out), 1, "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("lacks the read ACL sys_dictionary.*"), "{err}");
    assert!(err.contains("Name sys_dictionary / *"), "{err}");
    assert_eq!(sim.incident_count(), before);
}
