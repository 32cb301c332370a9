//! Every root cause, table-driven: the simulator's fault flags and small loopback fakes for
//! what the simulator does not do (a maintenance page, a token request that never answers, a
//! token the API rejects, REST endpoint ACLs). For each: each check's status, the causes
//! list, the verdict's exit code; then the same through `check --json` and `fields --json`,
//! and an endpoint the instance would refuse.

use std::process::Output;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use secrecy::SecretString;
use snow_connect::diagnose::{
    CauseId, CheckId, CheckOptions, CheckStatus, ConnectionInput, Diagnosis, run_checks,
};
use snow_connect::exit::Exit;
use snow_connect::simulator::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, SimOptions, Simulator,
};
use tokio_util::sync::CancellationToken;

use crate::support::bin::BIN;

fn input(base: &str) -> ConnectionInput {
    ConnectionInput {
        instance_url: base.to_string(),
        client_id: DEMO_CLIENT_ID.to_string(),
        client_secret: SecretString::from(DEMO_CLIENT_SECRET),
        username: DEMO_USERNAME.to_string(),
        password: SecretString::from(DEMO_PASSWORD),
    }
}

/// What a fake instance does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fake {
    /// Every path answers 503 with a maintenance page.
    Maintenance,
    /// The API answers like ServiceNow; the token request never answers.
    TokenHangs,
    /// A token is issued; the Table API answers 401 to it.
    ApiRejectsToken,
    /// A token is issued; the Table API's REST endpoint ACLs refuse the user.
    RestEndpointAcl,
    /// A web server that is not ServiceNow.
    Html,
}

fn envelope(status: StatusCode, message: &str, detail: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        serde_json::json!({"error": {"message": message, "detail": detail}, "status": "failure"})
            .to_string(),
    )
        .into_response()
}

async fn fake(mode: Fake) -> (String, tokio::task::JoinHandle<()>) {
    let app = axum::Router::new()
        .route(
            "/oauth_token.do",
            axum::routing::post(move || async move {
                match mode {
                    Fake::Maintenance => maintenance(),
                    Fake::Html => Html("<html><title>Welcome to nginx!</title></html>").into_response(),
                    Fake::TokenHangs => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        StatusCode::GATEWAY_TIMEOUT.into_response()
                    }
                    Fake::ApiRejectsToken | Fake::RestEndpointAcl => (
                        [("content-type", "application/json")],
                        serde_json::json!({"access_token": "tok-1234567890", "refresh_token": "ref-1234567890", "scope": "useraccount", "token_type": "Bearer", "expires_in": 1799}).to_string(),
                    )
                        .into_response(),
                }
            }),
        )
        .fallback(move |headers: HeaderMap| async move {
            let authed = headers.contains_key("authorization");
            match mode {
                Fake::Maintenance => maintenance(),
                Fake::Html => Html("<html><title>Welcome to nginx!</title></html>").into_response(),
                _ if !authed => envelope(
                    StatusCode::UNAUTHORIZED,
                    "User Not Authenticated",
                    "Required to provide Auth information",
                ),
                Fake::ApiRejectsToken | Fake::TokenHangs => envelope(
                    StatusCode::UNAUTHORIZED,
                    "User Not Authenticated",
                    "Required to provide Auth information",
                ),
                Fake::RestEndpointAcl => envelope(
                    StatusCode::FORBIDDEN,
                    "User Not Authorized",
                    "Failed API level ACL Validation",
                ),
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), task)
}

fn maintenance() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html("<html><head><title>Maintenance</title></head><body>The instance is undergoing maintenance.</body></html>"),
    )
        .into_response()
}

/// Where a case runs.
#[derive(Debug, Clone)]
enum Target {
    Sim(Box<SimOptions>),
    Fake(Fake),
    Closed,
}

struct Case {
    name: &'static str,
    target: Target,
    /// instance_url reachability instance oauth | db db.* dict dict.* glide choice | create
    expect: &'static str,
    exit: Exit,
    causes: &'static [CauseId],
}

fn deny(acls: &[&str]) -> Target {
    Target::Sim(Box::new(SimOptions {
        deny: acls.iter().map(|a| a.to_string()).collect(),
        ..SimOptions::default()
    }))
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "two missing ACLs",
            target: deny(&["sys_glide_object", "sys_dictionary.*"]),
            expect: "PPPPPPPBBPS",
            exit: Exit::Denied,
            causes: &[CauseId::MissingAcl],
        },
        Case {
            name: "credentials rejected",
            target: Target::Sim(Box::new(SimOptions {
                password: "another-password".into(),
                ..SimOptions::default()
            })),
            expect: "PPPBSSSSSSS",
            exit: Exit::Denied,
            causes: &[CauseId::CredentialsRejected],
        },
        Case {
            name: "securely scoped",
            target: Target::Sim(Box::new(SimOptions {
                securely_scoped: true,
                ..SimOptions::default()
            })),
            expect: "PPPPISISIIS",
            exit: Exit::Denied,
            causes: &[CauseId::SecurelyScoped],
        },
        Case {
            name: "hibernating",
            target: Target::Sim(Box::new(SimOptions {
                hibernating: true,
                ..SimOptions::default()
            })),
            expect: "PPISSSSSSSS",
            exit: Exit::Unreachable,
            causes: &[CauseId::Hibernating],
        },
        Case {
            name: "rate limited",
            target: Target::Sim(Box::new(SimOptions {
                rate_limit: Some(0),
                ..SimOptions::default()
            })),
            expect: "PPPPISISIIS",
            exit: Exit::RetryLater,
            causes: &[CauseId::RateLimited],
        },
        Case {
            name: "maintenance page",
            target: Target::Fake(Fake::Maintenance),
            expect: "PPISSSSSSSS",
            exit: Exit::Unreachable,
            causes: &[CauseId::Unavailable],
        },
        Case {
            name: "token request times out",
            target: Target::Fake(Fake::TokenHangs),
            expect: "PPPISSSSSSS",
            exit: Exit::Unreachable,
            causes: &[CauseId::Timeout],
        },
        Case {
            name: "token restricted",
            target: Target::Fake(Fake::ApiRejectsToken),
            expect: "PPPPISISIIS",
            exit: Exit::Denied,
            causes: &[CauseId::TokenRestricted],
        },
        Case {
            name: "REST endpoint ACLs",
            target: Target::Fake(Fake::RestEndpointAcl),
            expect: "PPPPISISIIS",
            exit: Exit::Denied,
            causes: &[CauseId::WebServiceAccess],
        },
        Case {
            name: "not ServiceNow",
            target: Target::Fake(Fake::Html),
            expect: "PPBSSSSSSSS",
            exit: Exit::Unreachable,
            causes: &[CauseId::NotServicenow],
        },
        Case {
            name: "nothing listening",
            target: Target::Closed,
            expect: "PBSSSSSSSSS",
            exit: Exit::Unreachable,
            causes: &[CauseId::Unreachable],
        },
    ]
}

fn letters(d: &Diagnosis) -> String {
    d.results
        .iter()
        .map(|r| match r.status {
            CheckStatus::Passed => 'P',
            CheckStatus::Blocked => 'B',
            CheckStatus::Partial => 'A',
            CheckStatus::Warning => 'W',
            CheckStatus::Inconclusive => 'I',
            CheckStatus::Skipped => 'S',
        })
        .collect()
}

/// A running target and how to stop it.
enum Running {
    Sim(Simulator),
    Task(tokio::task::JoinHandle<()>),
    None,
}

async fn start(target: &Target) -> (String, Running) {
    match target {
        Target::Sim(o) => match Simulator::start(o.as_ref().clone()).await {
            Ok(s) => (s.base_url().to_string(), Running::Sim(s)),
            Err(e) => panic!("simulator did not start: {e}"),
        },
        Target::Fake(f) => {
            let (base, task) = fake(*f).await;
            (base, Running::Task(task))
        }
        Target::Closed => {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
            let port = l.local_addr().map(|a| a.port()).unwrap_or(1);
            drop(l);
            (format!("http://127.0.0.1:{port}"), Running::None)
        }
    }
}

async fn stop(r: Running) {
    match r {
        Running::Sim(s) => s.shutdown().await,
        Running::Task(t) => t.abort(),
        Running::None => {}
    }
}

fn opts() -> CheckOptions {
    CheckOptions {
        discover_fields: true,
        client: snow_connect::servicenow::ClientOptions {
            request_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(2),
            ..Default::default()
        },
        ..CheckOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cause_has_its_statuses_causes_and_exit_code() {
    for case in cases() {
        let (base, running) = start(&case.target).await;
        let d = run_checks(&input(&base), &opts(), None, CancellationToken::new()).await;
        stop(running).await;
        let name = case.name;
        assert_eq!(letters(&d), case.expect, "{name}: {:#?}", d.results);
        assert_eq!(Exit::from(d.verdict()), case.exit, "{name}");
        let a = d.assessment();
        let ids: Vec<CauseId> = a.causes.iter().map(|c| c.id).collect();
        assert_eq!(ids, case.causes, "{name}: {:#?}", a.causes);
        for c in &a.causes {
            assert_eq!(c.kind, c.id.kind(), "{name}");
            assert!(!c.summary.is_empty() && !c.fix.is_empty(), "{name}: {c:#?}");
            let rows: Vec<CheckId> = d
                .results
                .iter()
                .filter(|r| r.cause == Some(c.id))
                .map(|r| r.id)
                .collect();
            assert_eq!(c.checks, rows, "{name}: checks of {}", c.id);
            assert_eq!(c.retry_at.is_some(), c.id == CauseId::RateLimited, "{name}");
        }
        for r in &d.results {
            // A temporary or instance-wide condition never blocks a check.
            if r.cause.is_some_and(CauseId::undecided) {
                assert_ne!(r.status, CheckStatus::Blocked, "{name}: {}", r.id);
            }
            // Advice for an http:// URL never talks about HTTPS.
            let text = format!("{} {}", r.summary, r.fix.clone().unwrap_or_default());
            assert!(!text.contains("over HTTPS"), "{name}: {}: {text}", r.id);
            assert!(
                !text.contains("fixed in ServiceNow") || case.exit == Exit::Denied,
                "{name}: {text}"
            );
        }
        // The instance check is blamed only when the host is not ServiceNow.
        let instance = d.result(CheckId::Instance).map(|r| r.status);
        if instance == Some(CheckStatus::Blocked) {
            assert_eq!(case.causes, &[CauseId::NotServicenow], "{name}");
        }
        match case.causes {
            [CauseId::MissingAcl] => {
                let text = a.plan.text();
                assert_eq!(
                    text.matches("Elevate to security_admin").count(),
                    1,
                    "{text}"
                );
                assert_eq!(text.matches("User Administration > Roles > New").count(), 1);
                assert_eq!(text.matches("Roles related list").count(), 1, "{text}");
                assert_eq!(text.matches("Manage Tokens").count(), 1, "{text}");
                assert!(text.contains("Name sys_dictionary / *"), "{text}");
                assert!(
                    text.contains("Name sys_glide_object / -- None --"),
                    "{text}"
                );
                assert_eq!(a.missing_acls(), ["sys_dictionary.*", "sys_glide_object"]);
                let script = a.plan.script.clone().unwrap_or_default();
                assert!(script.contains("\"sys_dictionary.*\""), "{script}");
                assert!(!script.contains("\"sys_db_object\""), "{script}");
            }
            [CauseId::SecurelyScoped] => {
                assert!(a.plan.text().contains("Scope Restriction"));
                assert!(a.plan.script.is_none(), "no ACL fixes a scope");
            }
            [CauseId::RateLimited] | [CauseId::Timeout] | [CauseId::Unavailable] => {
                assert!(a.plan.steps.is_empty(), "{name}: {:#?}", a.plan);
            }
            _ => {}
        }
    }
}

fn conn_args(base: &str) -> Vec<String> {
    [
        "--instance",
        base,
        "--client-id",
        DEMO_CLIENT_ID,
        "--username",
        DEMO_USERNAME,
        "--timeout",
        "2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

async fn run_bin(args: &[String], config: Option<&std::path::Path>) -> Output {
    let mut cmd = crate::support::bin::tokio_command(&crate::support::bin::scratch());
    cmd.args(args)
        .env("SNOW_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .env("SNOW_PASSWORD", DEMO_PASSWORD)
        .env("NO_COLOR", "1");
    match config {
        Some(p) => cmd.env("SNOW_CONNECT_CONFIG", p),
        None => cmd.env_remove("SNOW_CONNECT_CONFIG"),
    };
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("binary did not finish"))
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"))
}

fn json_of(out: &Output, what: &str) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: stdout is not one JSON document: {e}\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_and_fields_json_name_the_causes_with_the_same_exit_code() {
    for case in cases() {
        let (base, running) = start(&case.target).await;
        for command in ["check", "fields"] {
            let mut args = vec![command.to_string(), "--json".to_string()];
            args.extend(conn_args(&base));
            let out = run_bin(&args, None).await;
            let what = format!("{} / {command}", case.name);
            let v = json_of(&out, &what);
            assert_eq!(out.status.code(), Some(case.exit as i32), "{what}: {v}");
            assert_eq!(v["schema_version"], serde_json::json!(1), "{what}");
            assert_eq!(v["ok"], serde_json::json!(false), "{what}");
            let ids: Vec<&str> = v["causes"]
                .as_array()
                .map(|a| a.iter().filter_map(|c| c["id"].as_str()).collect())
                .unwrap_or_default();
            let want: Vec<&str> = case.causes.iter().map(|c| c.as_str()).collect();
            assert_eq!(ids, want, "{what}: {v}");
            if case.causes == [CauseId::RateLimited] {
                assert!(v["causes"][0]["retry_at"].is_string(), "{what}: {v}");
            }
            if command == "check" {
                let checks = v["checks"].as_array().cloned().unwrap_or_default();
                assert_eq!(checks.len(), CheckId::ALL.len(), "{what}");
                assert!(checks.iter().all(|c| c.get("cause").is_some()), "{what}");
                assert!(v["plan"]["steps"].is_array(), "{what}: {v}");
            }
            // After an API 401 with a valid token, nothing contradicts the oauth check.
            let stderr = String::from_utf8_lossy(&out.stderr);
            if case.causes == [CauseId::TokenRestricted] {
                assert!(!stderr.contains("not locked"), "{what}: {stderr}");
                assert!(!stderr.contains("is active"), "{what}: {stderr}");
            }
        }
        stop(running).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_without_a_mandatory_field_fails_check() {
    let sim = match Simulator::start(SimOptions {
        mandatory: vec!["incident.caller_id".into()],
        ..SimOptions::default()
    })
    .await
    {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("config.toml");
    let text = format!(
        "version = 1\n\n[servicenow]\ninstance_url = \"{}\"\nclient_id = \"{DEMO_CLIENT_ID}\"\n\
         client_secret = \"{DEMO_CLIENT_SECRET}\"\nusername = \"{DEMO_USERNAME}\"\npassword = \"{DEMO_PASSWORD}\"\n\n\
         [[endpoints]]\nname = \"Default\"\ndescription = \"test\"\ntable = \"incident\"\n",
        sim.base_url()
    );
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    let out = run_bin(&["check".into(), "--json".into()], Some(&path)).await;
    let v = json_of(&out, "check with an invalid endpoint");
    assert_eq!(out.status.code(), Some(1), "{v}");
    assert_eq!(v["ok"], serde_json::json!(false));
    assert_eq!(v["endpoints"][0]["name"], serde_json::json!("Default"));
    assert_eq!(v["endpoints"][0]["ok"], serde_json::json!(false));
    let problem = &v["endpoints"][0]["problems"][0];
    assert_eq!(problem["field"], serde_json::json!("caller_id"), "{v}");
    assert!(problem["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(v["causes"][0]["id"], serde_json::json!("endpoint_invalid"));
    let human = run_bin(&["check".into()], Some(&path)).await;
    let stdout = String::from_utf8_lossy(&human.stdout);
    assert_eq!(human.status.code(), Some(1), "{stdout}");
    assert!(!stdout.contains("will work"), "{stdout}");
    assert!(stdout.contains("caller_id"), "{stdout}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_json_is_one_document_on_usage_errors_too() {
    let out = run_bin(
        &[
            "fields".into(),
            "--json".into(),
            "--table".into(),
            "no such".into(),
        ],
        None,
    )
    .await;
    let v = json_of(&out, "bad table name");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(v["ok"], serde_json::json!(false));
    let out = run_bin(
        &[
            "fields".into(),
            "--json".into(),
            "--instance".into(),
            "acme".into(),
        ],
        None,
    )
    .await;
    let v = json_of(&out, "missing flags");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("--client-id")),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_format_markdown_is_the_admin_report_with_one_plan() {
    let sim = match Simulator::start(SimOptions {
        deny: vec!["sys_glide_object".into(), "sys_dictionary.*".into()],
        ..SimOptions::default()
    })
    .await
    {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let mut args = vec!["check".to_string(), "--format".into(), "markdown".into()];
    args.extend(conn_args(sim.base_url()));
    let out = run_bin(&args, None).await;
    let md = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{md}");
    assert!(md.starts_with("# snow-connect diagnosis"), "{md}");
    assert_eq!(md.matches("### `missing_acl`").count(), 1, "{md}");
    assert_eq!(md.matches("Elevate to security_admin").count(), 1, "{md}");
    assert!(md.contains("```javascript"), "{md}");
    sim.shutdown().await;
}
