//! The connection ladder against the in-process simulator (and two servers that are not
//! ServiceNow): every check's status, the exit code, and that each fix names the right ACL.
//! Then `fields`, the `--json` documents, and that no secret ever reaches the output.

use std::collections::HashSet;
use std::process::Output;
use std::time::Duration;

use secrecy::SecretString;
use snow_connect::diagnose::{
    CauseId, CheckEvent, CheckId, CheckOptions, CheckStatus, ConnectionInput, Diagnosis,
    DictionaryError, run_checks,
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

fn opts(create: bool) -> CheckOptions {
    CheckOptions {
        create_test_incident: create.then(snow_connect::commands::check::test_incident_maker),
        discover_fields: true,
        ..CheckOptions::default()
    }
}

/// The whole ladder (with discovery) against `sim` as the demo user.
async fn checks_against(sim: &Simulator, create_test_incident: bool) -> Diagnosis {
    run_checks(
        &input(sim.base_url()),
        &opts(create_test_incident),
        None,
        CancellationToken::new(),
    )
    .await
}

async fn start(sim: SimOptions) -> Simulator {
    match Simulator::start(sim).await {
        Ok(s) => s,
        Err(e) => panic!("simulator did not start: {e}"),
    }
}

/// A client for the simulator's demo user.
fn demo_client(sim: &Simulator) -> snow_connect::servicenow::Client {
    use snow_connect::servicenow::{Client, ClientOptions, Credentials, InstanceUrl};
    let url = InstanceUrl::parse(sim.base_url()).unwrap_or_else(|e| panic!("{e}"));
    let creds = Credentials {
        client_id: DEMO_CLIENT_ID.into(),
        client_secret: SecretString::from(DEMO_CLIENT_SECRET),
        username: DEMO_USERNAME.into(),
        password: SecretString::from(DEMO_PASSWORD),
    };
    Client::new(url, creds, &ClientOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// A port that was just free: bound, then let go, so nothing listens on it.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    l.local_addr()
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The exit code a command maps the diagnosis's verdict to.
fn exit_of(d: &Diagnosis) -> Exit {
    Exit::from(d.verdict())
}

/// `P`assed, `B`locked, `A` partial, `W`arning, `I`nconclusive, `S`kipped, one letter per check
/// in ladder order.
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

fn fix_of(d: &Diagnosis, id: CheckId) -> String {
    d.result(id).and_then(|r| r.fix.clone()).unwrap_or_default()
}

/// What goes wrong in a case.
#[derive(Clone, Copy)]
enum Break {
    None,
    Deny(&'static str),
    WrongSecret,
    WrongPassword,
    Hibernating,
    SecurelyScoped,
}

struct Case {
    name: &'static str,
    brk: Break,
    create: bool,
    /// Ladder order: instance_url reachability instance oauth | db db.* dict dict.* glide choice |
    /// incident:create
    expect: &'static str,
    exit: Exit,
    /// The root causes, in order.
    causes: &'static [CauseId],
    /// (check, text its fix must contain)
    fixes: &'static [(CheckId, &'static str)],
}

const CASES: &[Case] = &[
    Case {
        name: "healthy",
        brk: Break::None,
        create: false,
        expect: "PPPPPPPPPPS",
        exit: Exit::Success,
        causes: &[],
        fixes: &[],
    },
    Case {
        name: "healthy with a test incident",
        brk: Break::None,
        create: true,
        expect: "PPPPPPPPPPP",
        exit: Exit::Success,
        causes: &[],
        fixes: &[],
    },
    Case {
        name: "sys_db_object denied",
        brk: Break::Deny("sys_db_object"),
        create: false,
        expect: "PPPPBSPPPPS",
        exit: Exit::Denied,
        causes: &[CauseId::MissingAcl],
        fixes: &[(CheckId::AclSysDbObject, "Name sys_db_object / -- None --")],
    },
    Case {
        name: "sys_db_object.* denied",
        brk: Break::Deny("sys_db_object.*"),
        create: false,
        expect: "PPPPPBPPPPS",
        exit: Exit::Denied,
        causes: &[CauseId::MissingAcl],
        fixes: &[(CheckId::AclSysDbObjectFields, "Name sys_db_object / *")],
    },
    Case {
        name: "sys_dictionary denied",
        brk: Break::Deny("sys_dictionary"),
        create: false,
        expect: "PPPPPPBSPPS",
        exit: Exit::Denied,
        causes: &[CauseId::MissingAcl],
        fixes: &[(
            CheckId::AclSysDictionary,
            "Name sys_dictionary / -- None --",
        )],
    },
    Case {
        name: "sys_dictionary.* denied",
        brk: Break::Deny("sys_dictionary.*"),
        create: false,
        expect: "PPPPPPPBPPS",
        exit: Exit::Denied,
        causes: &[CauseId::MissingAcl],
        fixes: &[(CheckId::AclSysDictionaryFields, "Name sys_dictionary / *")],
    },
    Case {
        name: "sys_glide_object denied",
        brk: Break::Deny("sys_glide_object"),
        create: false,
        expect: "PPPPPPPPBPS",
        exit: Exit::Denied,
        causes: &[CauseId::MissingAcl],
        fixes: &[(
            CheckId::AclSysGlideObject,
            "Name sys_glide_object / -- None --",
        )],
    },
    Case {
        name: "sys_choice denied is only a warning",
        brk: Break::Deny("sys_choice"),
        create: false,
        expect: "PPPPPPPPPWS",
        exit: Exit::Success,
        causes: &[CauseId::MissingAcl],
        fixes: &[(CheckId::AclSysChoice, "Name sys_choice / -- None --")],
    },
    Case {
        name: "incident.create denied",
        brk: Break::Deny("incident.create"),
        create: true,
        expect: "PPPPPPPPPPB",
        exit: Exit::Denied,
        causes: &[CauseId::InsertDenied],
        fixes: &[(CheckId::IncidentCreate, "itil")],
    },
    Case {
        name: "wrong client secret",
        brk: Break::WrongSecret,
        create: false,
        expect: "PPPBSSSSSSS",
        exit: Exit::Denied,
        causes: &[CauseId::CredentialsRejected],
        fixes: &[(CheckId::Oauth, "did not retry")],
    },
    Case {
        name: "wrong password",
        brk: Break::WrongPassword,
        create: false,
        expect: "PPPBSSSSSSS",
        exit: Exit::Denied,
        causes: &[CauseId::CredentialsRejected],
        fixes: &[(
            CheckId::Oauth,
            "client ID, client secret, user name or password",
        )],
    },
    Case {
        name: "hibernating",
        brk: Break::Hibernating,
        create: false,
        expect: "PPISSSSSSSS",
        exit: Exit::Unreachable,
        causes: &[CauseId::Hibernating],
        fixes: &[(CheckId::Instance, "developer.servicenow.com")],
    },
    Case {
        name: "securely scoped",
        brk: Break::SecurelyScoped,
        create: false,
        expect: "PPPPISISIIS",
        exit: Exit::Denied,
        causes: &[CauseId::SecurelyScoped],
        fixes: &[
            (CheckId::AclSysDbObject, "Scope Restriction"),
            (CheckId::AclSysChoice, "Scope Restriction"),
        ],
    },
];

async fn run_case(case: &Case) -> Diagnosis {
    let mut sim_opts = SimOptions::default();
    match case.brk {
        Break::Deny(acl) => sim_opts.deny.push(acl.to_string()),
        Break::Hibernating => sim_opts.hibernating = true,
        Break::SecurelyScoped => sim_opts.securely_scoped = true,
        _ => {}
    }
    let sim = start(sim_opts).await;
    let mut inp = input(sim.base_url());
    match case.brk {
        Break::WrongSecret => inp.client_secret = SecretString::from("not-the-secret"),
        Break::WrongPassword => inp.password = SecretString::from("not-the-password"),
        _ => {}
    }
    let d = run_checks(&inp, &opts(case.create), None, CancellationToken::new()).await;
    sim.shutdown().await;
    d
}

fn assert_case(
    name: &str,
    d: &Diagnosis,
    expect: &str,
    exit: Exit,
    causes: &[CauseId],
    fixes: &[(CheckId, &str)],
) {
    let ids: Vec<CheckId> = d.results.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        CheckId::ALL.to_vec(),
        "{name}: every check, in ladder order"
    );
    assert_eq!(
        letters(d),
        expect,
        "{name}: statuses (PBAWS); results: {:#?}",
        d.results
    );
    assert_eq!(exit_of(d), exit, "{name}: exit code");
    let a = d.assessment();
    let ids: Vec<CauseId> = a.causes.iter().map(|c| c.id).collect();
    assert_eq!(ids, causes, "{name}: causes {:#?}", a.causes);
    for c in &a.causes {
        let rows: Vec<CheckId> = d
            .results
            .iter()
            .filter(|r| r.cause == Some(c.id))
            .map(|r| r.id)
            .collect();
        assert_eq!(c.checks, rows, "{name}: the checks of {}", c.id);
        assert!(!c.summary.is_empty() && !c.fix.is_empty(), "{name}: {c:#?}");
    }
    // Never blocked for a condition that says nothing about the check itself.
    for r in &d.results {
        if let Some(c) = r.cause
            && c.undecided()
        {
            assert_ne!(
                r.status,
                CheckStatus::Blocked,
                "{name}: {} blocked by {c}",
                r.id
            );
        }
    }
    for (id, needle) in fixes {
        let fix = fix_of(d, *id);
        assert!(
            fix.contains(needle),
            "{name}: fix of {id} lacks {needle:?}: {fix}"
        );
    }
    for r in &d.results {
        match r.status {
            CheckStatus::Blocked | CheckStatus::Partial | CheckStatus::Warning => {
                assert!(r.fix.is_some(), "{name}: {} has no fix", r.id);
                assert!(r.evidence.is_some(), "{name}: {} has no evidence", r.id);
            }
            CheckStatus::Inconclusive => {
                assert!(r.cause.is_some(), "{name}: {} has no cause", r.id);
                assert!(r.evidence.is_some(), "{name}: {} has no evidence", r.id);
            }
            CheckStatus::Skipped => assert!(!r.summary.is_empty(), "{name}: {} no reason", r.id),
            CheckStatus::Passed => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ladder_against_the_simulator() {
    for case in CASES {
        let d = run_case(case).await;
        assert_case(
            case.name,
            &d,
            case.expect,
            case.exit,
            case.causes,
            case.fixes,
        );
        match (case.name, &d.dictionary) {
            ("healthy", Some(Ok(dict))) => assert!(dict.selectable().count() > 20),
            ("healthy", other) => panic!("healthy: dictionary not read: {other:?}"),
            ("sys_dictionary.* denied", Some(Err(DictionaryError::Denied { acl, .. }))) => {
                assert_eq!(acl, "sys_dictionary.*")
            }
            ("sys_dictionary.* denied", other) => panic!("expected a denial, got {other:?}"),
            _ => {}
        }
        if case.create && case.exit == Exit::Success {
            let n = d.test_incident.clone().unwrap_or_default();
            assert!(
                n.starts_with("INC"),
                "{}: test incident number {n:?}",
                case.name
            );
            let summary = d
                .result(CheckId::IncidentCreate)
                .map(|r| r.summary.clone())
                .unwrap_or_default();
            assert!(summary.contains(&n) && summary.contains("nav_to.do?uri=incident.do?sys_id="));
        }
        let reached = d
            .result(CheckId::Oauth)
            .is_some_and(|r| r.status == CheckStatus::Passed);
        if !case.create && reached {
            let r = d.result(CheckId::IncidentCreate);
            assert!(
                r.is_some_and(|r| r.summary.contains("--create-test-incident")),
                "{}: the skipped create check says how to run it",
                case.name
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_token_is_asked_for_once() {
    let sim = start(SimOptions::default()).await;
    let mut inp = input(sim.base_url());
    inp.password = SecretString::from("wrong");
    let before = sim.request_count();
    let d = run_checks(&inp, &opts(false), None, CancellationToken::new()).await;
    // probe + one token request, nothing more.
    assert_eq!(sim.request_count() - before, 2, "{:#?}", d.results);
    let skipped = d
        .result(CheckId::AclSysDictionary)
        .map(|r| r.summary.clone());
    assert_eq!(
        skipped.as_deref(),
        Some("skipped: no token (see the cause credentials_rejected)")
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_instance_says_when_to_retry() {
    // Enough for the probe and the token; the metadata reads hit the limit.
    let sim = start(SimOptions {
        rate_limit: Some(1),
        ..SimOptions::default()
    })
    .await;
    let d = checks_against(&sim, false).await;
    assert_eq!(&letters(&d)[..4], "PPPP", "{:#?}", d.results);
    // Try again later, never "fixed in ServiceNow": no row is blocked, one cause says when.
    assert_eq!(exit_of(&d), Exit::RetryLater);
    assert!(!letters(&d).contains('B'), "{:#?}", d.results);
    let a = d.assessment();
    assert_eq!(
        a.causes.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![CauseId::RateLimited]
    );
    assert!(a.causes[0].retry_at.is_some(), "{:#?}", a.causes);
    assert!(a.plan.steps.is_empty(), "nothing for the admin to change");
    let limited: Vec<_> = d
        .results
        .iter()
        .filter(|r| {
            r.evidence
                .as_deref()
                .is_some_and(|e| e.contains("HTTP 429"))
        })
        .collect();
    assert!(!limited.is_empty(), "{:#?}", d.results);
    for r in limited {
        let fix = r.fix.clone().unwrap_or_default();
        assert!(fix.contains("Retry after"), "{}: {fix}", r.id);
        assert!(r.summary.contains("retry"), "{}", r.summary);
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_choice_check_says_so_instead_of_blaming_an_acl() {
    // Every Table API read is refused (the probe and the token are not Table API calls).
    let sim = start(SimOptions {
        rate_limit: Some(0),
        ..SimOptions::default()
    })
    .await;
    let d = checks_against(&sim, false).await;
    assert_eq!(&letters(&d)[..4], "PPPP", "{:#?}", d.results);
    // The optional choice check says what happened, not that the user cannot read sys_choice.
    let choice = d
        .result(CheckId::AclSysChoice)
        .unwrap_or_else(|| panic!("no acl:sys_choice"));
    assert_eq!(choice.status, CheckStatus::Inconclusive);
    assert_eq!(choice.cause, Some(CauseId::RateLimited));
    assert!(
        choice
            .summary
            .starts_with("sys_choice not checked: rate limited; retry after "),
        "{}",
        choice.summary
    );
    assert!(
        !choice.summary.contains("typed values"),
        "{}",
        choice.summary
    );
    assert!(
        choice
            .fix
            .as_deref()
            .is_some_and(|f| f.contains("Retry after")),
        "{choice:#?}"
    );
    assert!(
        matches!(
            d.dictionary,
            Some(Err(DictionaryError::Client(
                snow_connect::servicenow::Error::RateLimited { .. }
            )))
        ),
        "{:?}",
        d.dictionary
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_incident_waits_out_a_short_rate_limit() {
    // The four ACL probes fill the window (discovery reuses their reads); the insert gets a
    // 429 with a Retry-After of at most two seconds and goes through after waiting, once.
    let sim = start(SimOptions {
        rate_limit: Some(4),
        rate_limit_window: 2,
        ..SimOptions::default()
    })
    .await;
    let before = sim.incident_count();
    let d = checks_against(&sim, true).await;
    let create = d
        .result(CheckId::IncidentCreate)
        .unwrap_or_else(|| panic!("no incident:create"));
    assert_eq!(create.status, CheckStatus::Passed, "{create:#?}");
    assert!(d.test_incident.is_some());
    assert_eq!(sim.incident_count(), before + 1, "created once");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_discovery_is_an_error_not_an_unreadable_choice_list() {
    use snow_connect::diagnose::discover_dictionary;
    use snow_connect::servicenow::Error;
    // Discovery makes four concurrent reads; the limit lets three through. Whichever one is
    // refused (often sys_choice or sys_glide_object), the 429 must come back as an error:
    // a dictionary without choices would make `send` skip the choice check and blame an ACL.
    let sim = start(SimOptions {
        rate_limit: Some(3),
        ..SimOptions::default()
    })
    .await;
    let client = demo_client(&sim);
    match discover_dictionary(&client, "incident").await {
        Err(DictionaryError::Client(Error::RateLimited { retry_after, .. })) => {
            assert!(retry_after.is_some(), "the simulator sends Retry-After");
        }
        other => panic!("expected the 429 back, got {other:?}"),
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_listening_is_unreachable() {
    let port = closed_port();
    let d = run_checks(
        &input(&format!("http://127.0.0.1:{port}")),
        &opts(false),
        None,
        CancellationToken::new(),
    )
    .await;
    assert_case(
        "nothing listening",
        &d,
        "PBSSSSSSSSS",
        Exit::Unreachable,
        &[CauseId::Unreachable],
        &[(CheckId::Reachability, "Nothing accepted the connection")],
    );
}

/// A web server that is not ServiceNow: HTML for every path.
async fn html_server() -> (String, tokio::task::JoinHandle<()>) {
    use axum::response::Html;
    let app = axum::Router::new().fallback(|| async {
        Html("<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>It works</body></html>")
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_server_that_is_not_servicenow() {
    let (base, task) = html_server().await;
    let d = run_checks(&input(&base), &opts(false), None, CancellationToken::new()).await;
    assert_case(
        "plain HTTP server",
        &d,
        "PPBSSSSSSSS",
        Exit::Unreachable,
        &[CauseId::NotServicenow],
        &[(CheckId::Instance, "not the ServiceNow API")],
    );
    let ev = d.result(CheckId::Instance).and_then(|r| r.evidence.clone());
    assert!(ev.is_some_and(|e| e.contains("text/html")));
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_stream_and_cancellation_skips_the_rest() {
    let sim = start(SimOptions {
        latency_ms: 150,
        ..SimOptions::default()
    })
    .await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let inp = input(sim.base_url());
    let o = opts(false);
    let ladder = run_checks(&inp, &o, Some(tx), cancel.clone());
    let watcher = async {
        let mut seen = Vec::new();
        while let Some(e) = rx.recv().await {
            if let CheckEvent::Finished(r) = &e
                && r.id == CheckId::Oauth
            {
                // The ACL reads are now in flight (each answer takes 150 ms).
                cancel.cancel();
            }
            seen.push(e);
        }
        seen
    };
    let (d, seen) = tokio::time::timeout(Duration::from_secs(20), async {
        tokio::join!(ladder, watcher)
    })
    .await
    .unwrap_or_else(|_| panic!("ladder did not stop"));
    assert_eq!(&letters(&d)[..4], "PPPP");
    for r in &d.results[4..] {
        assert_eq!(r.status, CheckStatus::Skipped, "{r:?}");
        assert_eq!(r.summary, "cancelled");
    }
    // Every id starts (or is skipped) before it finishes, and each one finishes.
    for id in CheckId::ALL {
        let started = seen
            .iter()
            .position(|e| matches!(e, CheckEvent::Started(i) if *i == id));
        let finished = seen
            .iter()
            .position(|e| matches!(e, CheckEvent::Finished(r) if r.id == id));
        let Some(f) = finished else {
            panic!("{id} never finished")
        };
        if let Some(s) = started {
            assert!(s < f, "{id} finished before it started");
        }
    }
    sim.shutdown().await;
}

/// Every out-of-the-box incident and task column (facts file 4.5).
const OOB_COLUMNS: &[&str] = &[
    "business_impact",
    "business_stc",
    "calendar_stc",
    "caller_id",
    "category",
    "cause",
    "caused_by",
    "child_incidents",
    "close_code",
    "hold_reason",
    "incident_state",
    "notify",
    "origin_id",
    "origin_table",
    "parent_incident",
    "problem_id",
    "reopen_count",
    "reopened_by",
    "reopened_time",
    "resolved_at",
    "resolved_by",
    "rfc",
    "severity",
    "subcategory",
    "sys_id",
    "active",
    "activity_due",
    "additional_assignee_list",
    "approval",
    "approval_history",
    "approval_set",
    "assigned_to",
    "assignment_group",
    "business_duration",
    "business_service",
    "calendar_duration",
    "close_notes",
    "closed_at",
    "closed_by",
    "cmdb_ci",
    "comments",
    "comments_and_work_notes",
    "company",
    "contact_type",
    "contract",
    "correlation_display",
    "correlation_id",
    "delivery_plan",
    "delivery_task",
    "description",
    "due_date",
    "escalation",
    "expected_start",
    "follow_up",
    "group_list",
    "impact",
    "knowledge",
    "location",
    "made_sla",
    "number",
    "opened_at",
    "opened_by",
    "order",
    "parent",
    "priority",
    "reassignment_count",
    "rejection_goto",
    "route_reason",
    "service_offering",
    "short_description",
    "skills",
    "sla_due",
    "state",
    "sys_class_name",
    "sys_created_by",
    "sys_created_on",
    "sys_domain",
    "sys_domain_path",
    "sys_mod_count",
    "sys_tags",
    "sys_updated_by",
    "sys_updated_on",
    "task_effective_number",
    "task_for",
    "time_worked",
    "universal_request",
    "upon_approval",
    "upon_reject",
    "urgency",
    "user_input",
    "variables",
    "watch_list",
    "wf_activity",
    "work_end",
    "work_start",
    "work_notes",
    "work_notes_list",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dictionary_is_the_full_incident_and_task_set() {
    use snow_connect::diagnose::{FieldKind, HiddenReason, discover_dictionary};
    let sim = start(SimOptions::default()).await;
    let client = demo_client(&sim);
    let d = discover_dictionary(&client, "incident")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.chain, vec!["incident", "task"]);
    let mut seen = HashSet::new();
    for f in &d.fields {
        assert!(seen.insert(f.element.as_str()), "duplicate {}", f.element);
    }
    for c in OOB_COLUMNS {
        assert!(seen.contains(c), "missing column {c}");
    }
    let sys_id = d.field("sys_id").unwrap_or_else(|| panic!("no sys_id"));
    assert_eq!(sys_id.defined_on, "incident");
    assert_eq!(sys_id.hidden, Some(HiddenReason::System));
    let group = d
        .field("assignment_group")
        .unwrap_or_else(|| panic!("no assignment_group"));
    assert_eq!(group.kind, Some(FieldKind::Reference));
    assert_eq!(group.reference.as_deref(), Some("sys_user_group"));
    assert_eq!(group.defined_on, "task");
    // incident's own state choices override task's.
    let state = d.field("state").unwrap_or_else(|| panic!("no state"));
    assert_eq!(state.kind, Some(FieldKind::Choice));
    assert!(
        state.choices.iter().any(|c| c.value == "6"),
        "{:?}",
        state.choices
    );
    assert!(
        !state.choices.iter().any(|c| c.value == "-5"),
        "{:?}",
        state.choices
    );
    let sd = d
        .field("short_description")
        .unwrap_or_else(|| panic!("no short_description"));
    assert_eq!(sd.hidden, Some(HiddenReason::FilledFromAlert));
    assert_eq!(sd.max_length, Some(160));
    assert!(d.choices_loaded && d.type_labels_loaded);
    assert_eq!(
        d.field("approval_history").and_then(|f| f.hidden),
        Some(HiddenReason::Journal)
    );
    assert_eq!(
        d.field("watch_list").and_then(|f| f.hidden),
        Some(HiddenReason::List)
    );
    // Subcategory's choices depend on category.
    let sub = d
        .field("subcategory")
        .unwrap_or_else(|| panic!("no subcategory"));
    assert_eq!(sub.dependent_on.as_deref(), Some("category"));
    assert!(
        sub.choices
            .iter()
            .any(|c| c.value == "dns" && c.dependent_value.as_deref() == Some("network")),
        "{:?}",
        sub.choices
    );
    assert_eq!(
        d.field("category").and_then(|f| f.dependent_on.clone()),
        None
    );
    // One round trip of four reads for incident (the chain is known in advance).
    assert_eq!(d.requests, 4, "requests made by discovery");
    sim.shutdown().await;
}

/// `snow-connect COMMAND` against `sim` with the demo user's flags and secrets.
async fn run_as_demo_user(command: &str, sim: &Simulator) -> Output {
    let args = [
        command,
        "--instance",
        sim.base_url(),
        "--client-id",
        DEMO_CLIENT_ID,
        "--username",
        DEMO_USERNAME,
    ];
    run_bin(&args, DEMO_CLIENT_SECRET, DEMO_PASSWORD).await
}

/// Run the binary with the given args and secrets in the environment.
async fn run_bin(args: &[&str], secret: &str, password: &str) -> Output {
    let log = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log_file = log.path().join("log.txt");
    let mut cmd = crate::support::bin::tokio_command(log.path());
    cmd.args(args)
        .arg("--log-file")
        .arg(&log_file)
        .env("SNOW_CLIENT_SECRET", secret)
        .env("SNOW_PASSWORD", password)
        .env_remove("SNOW_CONNECT_CONFIG")
        .env("NO_COLOR", "1")
        // Wide enough that no phrase these tests look for is wrapped across lines.
        .env("COLUMNS", "400");
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("binary did not finish"))
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
    // The log must not hold a secret either.
    let logged = std::fs::read_to_string(&log_file).unwrap_or_default();
    for s in [secret, password].into_iter().filter(|s| s.len() >= 8) {
        assert!(!logged.contains(s), "secret in the log file");
    }
    out
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SECRET: &str = "Zq8-client-SECRET-xyzzy-4471";
const PASSWORD: &str = "Pw9-PASSWORD-plugh-0032";

async fn secret_sim() -> Simulator {
    start(SimOptions {
        client_secret: SECRET.into(),
        password: PASSWORD.into(),
        ..SimOptions::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_json_document_and_no_secret_in_any_output() {
    let sim = secret_sim().await;
    let base = sim.base_url().to_string();
    let conn = [
        "--instance",
        base.as_str(),
        "--client-id",
        DEMO_CLIENT_ID,
        "--username",
        DEMO_USERNAME,
    ];
    let runs: Vec<(Vec<&str>, &str, &str, i32)> = vec![
        (vec!["check", "--json"], SECRET, PASSWORD, 0),
        (vec!["check"], SECRET, PASSWORD, 0),
        (
            vec!["check", "--json", "--create-test-incident"],
            SECRET,
            PASSWORD,
            0,
        ),
        // A wrong secret: the wrong value and the right ones must all stay out of the output.
        (vec!["check", "--json"], "Wrong-SECRET-quux-9", PASSWORD, 1),
        (vec!["fields", "--json"], SECRET, PASSWORD, 0),
        (vec!["fields"], SECRET, PASSWORD, 0),
    ];
    for (args, secret, password, code) in runs {
        let mut all: Vec<&str> = args.clone();
        all.extend_from_slice(&conn);
        let out = run_bin(&all, secret, password).await;
        let (stdout, stderr) = text(&out);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}\n{stdout}\n{stderr}"
        );
        for s in [secret, password, SECRET, PASSWORD] {
            assert!(!stdout.contains(s), "{args:?}: secret on stdout");
            assert!(!stderr.contains(s), "{args:?}: secret on stderr");
        }
        if args.contains(&"--json") {
            let v: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
                panic!("{args:?}: stdout is not one JSON document: {e}\n{stdout}")
            });
            if args[0] == "check" {
                let keys: Vec<&str> = v
                    .as_object()
                    .map(|o| o.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                let mut sorted = keys.clone();
                sorted.sort_unstable();
                assert_eq!(
                    sorted,
                    vec![
                        "causes",
                        "checked_at",
                        "checks",
                        "endpoints",
                        "fields",
                        "instance_url",
                        "ok",
                        "plan",
                        "schema_version",
                        "tool_version"
                    ]
                );
                assert_eq!(v["schema_version"], serde_json::json!(1));
                let causes = v["causes"].as_array().cloned().unwrap_or_default();
                if code == 0 {
                    assert!(causes.is_empty(), "{v}");
                } else {
                    assert_eq!(causes.len(), 1, "{v}");
                    assert_eq!(causes[0]["id"], serde_json::json!("credentials_rejected"));
                    assert_eq!(causes[0]["kind"], serde_json::json!("credentials"));
                    assert_eq!(causes[0]["checks"][0], serde_json::json!("oauth"));
                }
                assert_eq!(v["instance_url"], serde_json::json!(base));
                assert_eq!(v["ok"], serde_json::json!(code == 0));
                let checks = v["checks"].as_array().cloned().unwrap_or_default();
                assert_eq!(checks.len(), CheckId::ALL.len());
                for (c, id) in checks.iter().zip(CheckId::ALL) {
                    let mut k: Vec<&str> = c
                        .as_object()
                        .map(|o| o.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    k.sort_unstable();
                    assert_eq!(
                        k,
                        vec![
                            "cause",
                            "elapsed_ms",
                            "evidence",
                            "fix",
                            "id",
                            "status",
                            "summary"
                        ]
                    );
                    assert_eq!(c["id"], serde_json::json!(id.as_str()));
                }
                if code == 0 {
                    assert!(v["fields"].as_u64().is_some_and(|n| n > 20), "{v}");
                } else {
                    assert!(v["fields"].is_null());
                }
                // Human text goes to stderr with --json.
                assert!(stderr.contains("Result:"), "{stderr}");
            } else {
                let fields = v["fields"].as_array().cloned().unwrap_or_default();
                let mut seen = HashSet::new();
                for f in &fields {
                    let e = f["element"].as_str().unwrap_or_default().to_string();
                    assert!(seen.insert(e.clone()), "duplicate {e}");
                    assert!(f["kind"].is_string(), "{f}");
                }
                assert!(seen.contains("assignment_group") && seen.contains("caller_id"));
                assert!(!seen.contains("sys_id") && !seen.contains("short_description"));
                assert!(v["hidden"]["system"].as_u64().is_some_and(|n| n > 5), "{v}");
            }
        } else if args[0] == "check" {
            assert!(
                stdout.contains("✓ Passed") && stdout.contains("instance_url"),
                "{stdout}"
            );
            assert!(
                stdout.contains("Result: ✓ the integration will work."),
                "{stdout}"
            );
        } else {
            assert!(
                stdout.contains("LABEL") && stdout.contains("Assignment group"),
                "{stdout}"
            );
            assert!(stdout.contains("Hidden:"), "{stdout}");
        }
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_human_output_shows_the_cause_once_and_the_plan() {
    let sim = start(SimOptions {
        deny: vec!["sys_dictionary".into()],
        ..SimOptions::default()
    })
    .await;
    let out = run_as_demo_user("check", &sim).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let cause = stdout
        .find("✗ missing_acl (configuration): finout.integration lacks 1 read ACL: sys_dictionary")
        .unwrap_or_else(|| panic!("no root cause headline:\n{stdout}"));
    let row = stdout
        .find("✗ Blocked       acl:sys_dictionary ")
        .unwrap_or_else(|| panic!("no blocked row:\n{stdout}"));
    let after = &stdout[row..];
    let evidence = after.find("Evidence: HTTP 403").unwrap_or(usize::MAX);
    let pointer = after.find("Cause: missing_acl").unwrap_or(usize::MAX);
    let next_row = after.find("acl:sys_dictionary.*").unwrap_or(usize::MAX);
    assert!(
        row < cause,
        "the rows stream first, the cause follows:\n{stdout}"
    );
    assert!(evidence < pointer && pointer < next_row, "{stdout}");
    let plan = stdout
        .find("What the ServiceNow admin changes (one plan):")
        .unwrap_or_else(|| panic!("no plan:\n{stdout}"));
    let plan = &stdout[plan..];
    assert!(
        plan.contains("Name sys_dictionary / -- None --"),
        "{stdout}"
    );
    assert!(plan.contains("Name sys_dictionary / *"), "{stdout}");
    assert_eq!(
        stdout.matches("Elevate to security_admin").count(),
        1,
        "{stdout}"
    );
    assert!(
        stdout.contains("– Skipped       acl:sys_dictionary.*"),
        "{stdout}"
    );
    assert!(stdout.contains("Result: ✗"), "{stdout}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_connection_details_are_a_usage_error() {
    let out = run_bin(&["check", "--instance", "acme"], "s", "p").await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("--client-id ID") && stderr.contains("--username NAME"),
        "{stderr}"
    );
    let out = run_bin(
        &[
            "check",
            "--instance",
            "acme",
            "--client-id",
            "x",
            "--username",
            "u",
        ],
        "",
        "",
    )
    .await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("SNOW_CLIENT_SECRET") && stderr.contains("SNOW_PASSWORD"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_instance_exits_3() {
    let port = closed_port();
    let url = format!("http://127.0.0.1:{port}");
    for cmd in ["check", "fields"] {
        let out = run_bin(
            &[
                cmd,
                "--instance",
                &url,
                "--client-id",
                "id",
                "--username",
                "u",
            ],
            "s",
            "p",
        )
        .await;
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(3), "{cmd}\n{stdout}\n{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_without_dictionary_acl_exits_1_with_the_fix() {
    let sim = start(SimOptions {
        deny: vec!["sys_dictionary.*".into()],
        ..SimOptions::default()
    })
    .await;
    let out = run_as_demo_user("fields", &sim).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("sys_dictionary.*"), "{stderr}");
    assert!(stderr.contains("Name sys_dictionary / *"), "{stderr}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_certificate_explains_how_to_trust_a_ca() {
    let sim = start(SimOptions {
        tls: true,
        ..SimOptions::default()
    })
    .await;
    assert!(sim.base_url().starts_with("https://"));
    let d = checks_against(&sim, false).await;
    assert_case(
        "untrusted certificate",
        &d,
        "PBSSSSSSSSS",
        Exit::Unreachable,
        &[CauseId::Unreachable],
        &[
            (CheckId::Reachability, "--ca-file"),
            (CheckId::Reachability, "SSL_CERT_FILE"),
        ],
    );
    // Trusting the simulator's CA makes the same instance healthy.
    let trusted = CheckOptions {
        client: snow_connect::servicenow::ClientOptions {
            ca_file: sim.ca_cert_path().map(Into::into),
            ..Default::default()
        },
        ..opts(false)
    };
    let d = run_checks(
        &input(sim.base_url()),
        &trusted,
        None,
        CancellationToken::new(),
    )
    .await;
    assert_case("trusted CA", &d, "PPPPPPPPPPS", Exit::Success, &[], &[]);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reads_the_config_file_with_secrets_inline_or_from_env() {
    use std::os::unix::fs::PermissionsExt;
    let sim = secret_sim().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let inline = dir.path().join("inline.toml");
    let by_env = dir.path().join("env.toml");
    let head = format!(
        "version = 1\n\n[servicenow]\ninstance_url = \"{}\"\nclient_id = \"{DEMO_CLIENT_ID}\"\nusername = \"{DEMO_USERNAME}\"\n",
        sim.base_url()
    );
    let files = [
        (
            &inline,
            format!("{head}client_secret = \"{SECRET}\"\npassword = \"{PASSWORD}\"\n"),
        ),
        (
            &by_env,
            format!(
                "{head}client_secret_env = \"SNOW_CLIENT_SECRET\"\npassword_env = \"SNOW_PASSWORD\"\n"
            ),
        ),
    ];
    for (path, body) in &files {
        std::fs::write(path, body).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .unwrap_or_else(|e| panic!("{e}"));
        let p = path.to_string_lossy().into_owned();
        let out = run_bin(&["--config", &p, "check", "--json"], SECRET, PASSWORD).await;
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{p}\n{stdout}\n{stderr}");
        for s in [SECRET, PASSWORD] {
            assert!(
                !stdout.contains(s) && !stderr.contains(s),
                "secret in output"
            );
        }
    }
    // The variable named by password_env is unset: a usage error naming it.
    let p = by_env.to_string_lossy().into_owned();
    let out = run_bin(&["--config", &p, "check"], SECRET, "").await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("SNOW_PASSWORD"), "{stderr}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_dictionaries_are_read_page_by_page_without_loss() {
    use snow_connect::diagnose::discover_dictionary;
    let sim = start(SimOptions {
        extra_fields: 4500,
        ..SimOptions::default()
    })
    .await;
    let client = demo_client(&sim);
    // Spawned: the discovery future must be Send.
    let d = tokio::spawn(async move { discover_dictionary(&client, "incident").await })
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    let custom: HashSet<&str> = d
        .fields
        .iter()
        .map(|f| f.element.as_str())
        .filter(|e| e.starts_with("u_"))
        .collect();
    assert_eq!(custom.len(), 4500, "every custom field, once");
    let all: HashSet<&str> = d.fields.iter().map(|f| f.element.as_str()).collect();
    assert_eq!(all.len(), d.fields.len(), "no duplicates");
    // 4500 + ~100 dictionary rows are three pages of 2000.
    assert!(d.requests >= 6, "requests {}", d.requests);
    sim.shutdown().await;
}
