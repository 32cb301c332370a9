//! Endpoint validation against the simulator's live dictionary: the one function behind
//! `send`, `check` and the wizard (`incident::validate_endpoints`).

use secrecy::SecretString;
use serde_json::Value;
use snow_connect::config::{Endpoint, EndpointField};
use snow_connect::diagnose::discover_dictionary;
use snow_connect::dictionary::{Dictionary, EndpointCheck, FieldKind, LookupFailure};
use snow_connect::incident::validate_endpoints;
use snow_connect::servicenow::{Client, ClientOptions, Credentials, InstanceUrl};
use snow_connect::simulator::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, SimOptions, Simulator,
};

async fn start(options: SimOptions) -> Simulator {
    Simulator::start(options)
        .await
        .unwrap_or_else(|e| panic!("simulator did not start: {e}"))
}

fn client(sim: &Simulator) -> Client {
    let url = InstanceUrl::parse(sim.base_url()).unwrap_or_else(|e| panic!("{e}"));
    let creds = Credentials {
        client_id: DEMO_CLIENT_ID.into(),
        client_secret: SecretString::from(DEMO_CLIENT_SECRET),
        username: DEMO_USERNAME.into(),
        password: SecretString::from(DEMO_PASSWORD),
    };
    Client::new(url, creds, &ClientOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

async fn dictionary(c: &Client) -> Dictionary {
    discover_dictionary(c, "incident")
        .await
        .unwrap_or_else(|e| panic!("discovery: {e}"))
}

/// The sys_id of some record of `table`, read through the client.
async fn any_sys_id(c: &Client, table: &str) -> String {
    use snow_connect::servicenow::TableQuery;
    let page = c
        .get_page(&TableQuery::new(table).fields(&["sys_id"]).limit(1))
        .await
        .unwrap_or_else(|e| panic!("{table}: {e}"));
    page.records
        .first()
        .and_then(|r| r.get("sys_id"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{table} has a record"))
        .to_string()
}

use crate::support::model::{EndpointExt, field as f};

fn endpoint(name: &str, fields: Vec<EndpointField>) -> Endpoint {
    crate::support::model::endpoint(name).with(fields)
}

fn only<'a>(checks: &'a [EndpointCheck], name: &str) -> &'a EndpointCheck {
    checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no verdict for {name}: {checks:#?}"))
}

const NO_SUCH: &str = "0123456789abcdef0123456789abcdef";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_rule_is_reported_with_the_field_and_what_to_change() {
    let sim = start(SimOptions {
        mandatory: vec!["incident.caller_id".into()],
        ..SimOptions::default()
    })
    .await;
    let c = client(&sim);
    let dict = dictionary(&c).await;
    let user = any_sys_id(&c, "sys_user").await;
    let group = any_sys_id(&c, "sys_user_group").await;
    let caller = |v: &str| EndpointField {
        mandatory: true,
        ..f("caller_id", FieldKind::Reference, v)
    };
    let endpoints = vec![
        endpoint(
            "valid",
            vec![
                caller(&user),
                f("assignment_group", FieldKind::Reference, &group),
                f("urgency", FieldKind::Choice, "2"),
            ],
        ),
        endpoint("no caller", vec![f("urgency", FieldKind::Choice, "2")]),
        endpoint(
            "wrong values",
            vec![
                caller(&user),
                f("urgency", FieldKind::Choice, "9"),
                f("correlation_id", FieldKind::String, &"x".repeat(500)),
                f("reopen_count", FieldKind::Integer, "3000000000"),
            ],
        ),
        endpoint(
            "missing records",
            vec![
                caller(NO_SUCH),
                f("assignment_group", FieldKind::Reference, NO_SUCH),
            ],
        ),
    ];
    let before = sim.request_count();
    let checks = validate_endpoints(&c, &endpoints, &dict).await;
    let requests = sim.request_count() - before;
    // Four references over two tables: one request per referenced table.
    assert_eq!(requests, 2, "requests for the lookups");

    let valid = only(&checks, "valid");
    assert!(valid.ok && valid.problems.is_empty(), "{valid:#?}");
    assert!(valid.complete());

    let no_caller = only(&checks, "no caller");
    assert!(!no_caller.ok);
    assert_eq!(no_caller.problems.len(), 1, "{no_caller:#?}");
    assert_eq!(no_caller.problems[0].field, "caller_id");
    assert!(
        no_caller.problems[0]
            .message
            .contains("is mandatory on incident but the endpoint gives it no value"),
        "{no_caller:#?}"
    );

    let wrong = only(&checks, "wrong values");
    let fields: Vec<&str> = wrong.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        ["urgency", "correlation_id", "reopen_count"],
        "{wrong:#?}"
    );
    assert!(
        wrong.problems[0]
            .message
            .contains("is no longer a choice of Urgency")
    );
    assert!(wrong.problems[1].message.contains("500 characters"));
    assert!(
        wrong.problems[2]
            .message
            .contains("-2147483648 to 2147483647"),
        "{:?}",
        wrong.problems[2]
    );

    let missing = only(&checks, "missing records");
    assert_eq!(missing.problems.len(), 2, "{missing:#?}");
    for p in &missing.problems {
        assert!(p.message.contains(NO_SUCH), "{p:?}");
        assert!(p.message.contains("no sys_") && p.message.contains("record has the sys_id"));
    }
    assert!(
        missing.problems[0].message.contains("no sys_user record"),
        "{missing:#?}"
    );
    assert!(
        missing.problems[1]
            .message
            .contains("no sys_user_group record"),
        "{missing:#?}"
    );

    // The shape `check --json` prints.
    let doc = serde_json::to_value(&checks).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc[1]["name"], "no caller");
    assert_eq!(doc[1]["ok"], false);
    assert_eq!(doc[1]["problems"][0]["field"], "caller_id");
    assert!(doc[0].get("unchecked").is_none(), "{doc}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_that_could_not_be_made_is_never_a_wrong_value() {
    // The simulator's records are the same on every start: take a user that exists.
    let sim = start(SimOptions::default()).await;
    let user = any_sys_id(&client(&sim), "sys_user").await;
    sim.shutdown().await;

    // Denied: the user may not read sys_user, so the existing record comes back hidden.
    let sim = start(SimOptions {
        deny: vec!["sys_user".into()],
        ..SimOptions::default()
    })
    .await;
    let c = client(&sim);
    let dict = dictionary(&c).await;
    let eps = [endpoint(
        "caller",
        vec![f("caller_id", FieldKind::Reference, &user)],
    )];
    let checks = validate_endpoints(&c, &eps, &dict).await;
    let v = &checks[0];
    assert!(v.ok, "a denied lookup is no problem with the value: {v:#?}");
    assert_eq!(v.unchecked.len(), 1);
    assert!(matches!(
        v.unchecked[0].failure,
        LookupFailure::Denied { .. }
    ));
    assert!(
        v.unchecked[0]
            .message
            .contains("let the integration user read sys_user"),
        "{v:#?}"
    );
    sim.shutdown().await;

    // Unreachable: the instance went away between discovery and the lookup.
    let sim = start(SimOptions::default()).await;
    let c = client(&sim);
    let dict = dictionary(&c).await;
    sim.shutdown().await;
    let checks = validate_endpoints(&c, &eps, &dict).await;
    let v = &checks[0];
    assert!(v.ok && v.problems.is_empty(), "{v:#?}");
    assert!(v.has_transient_gap(), "{v:#?}");
    assert!(matches!(
        v.unchecked[0].failure,
        LookupFailure::Unreachable { .. }
    ));
    assert!(
        v.unchecked[0]
            .message
            .contains("says nothing about the value"),
        "{v:#?}"
    );
}
