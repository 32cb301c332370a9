//! The simulator over real HTTP on loopback, with a plain reqwest client: every behaviour of
//! DESIGN.md section 1 and servicenow-facts.md that the simulator reproduces, and every switch.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use snow_connect::simulator::{
    AuthErrorOrder, AuthScheme, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME,
    EmptyReferenceAll, FieldDenial, InvalidTableDetail, LoginStats, NameKeyedLinks, ReadOnlyWrites,
    SimError, SimOptions, Simulator, SysTableDenial, TakenSysId, TokenJsonBody, UnknownQueryField,
};

const TOKEN_FAILURE: &str = r#"{"error_description":"access_denied","error":"server_error"}"#;
const AUTH_401_DETAIL_FIRST: &str = r#"{"error":{"detail":"Required to provide Auth information","message":"User Not Authenticated"},"status":"failure"}"#;
const AUTH_401_MESSAGE_FIRST: &str = r#"{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}"#;
const JSON_TYPE: &str = "application/json;charset=UTF-8";
const CLOUD_FINOPS: &str = "287ebd7da9fe198100f92cc8d1d2154e";
const INTEGRATION_USER: &str = "3f2ab1c4e0d94e1bb7a6c2d5f8e90a17";
const INC3: &str = "e8caedcbc0a80164017df472f39eaed1";

fn crypto() {
    // reqwest is built without a default TLS provider; any client needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn client() -> reqwest::Client {
    crypto();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

async fn start(options: SimOptions) -> Simulator {
    Simulator::start(options).await.expect("simulator starts")
}

async fn default_sim() -> Simulator {
    start(SimOptions::default()).await
}

fn password_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("grant_type", "password"),
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", DEMO_CLIENT_SECRET),
        ("username", DEMO_USERNAME),
        ("password", DEMO_PASSWORD),
    ]
}

/// A refresh_token grant for the demo client.
fn refresh_form(refresh_token: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("grant_type", "refresh_token"),
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", DEMO_CLIENT_SECRET),
        ("refresh_token", refresh_token),
    ]
}

/// The refresh token of a fresh password grant.
async fn first_refresh_token(sim: &Simulator) -> (Value, String) {
    let first = post_form(sim, &password_form()).await.json();
    let refresh = first["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    (first, refresh)
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.expect("body");
    Answer {
        status,
        headers,
        body,
    }
}

async fn post_form(sim: &Simulator, form: &[(&str, &str)]) -> Answer {
    let r = client()
        .post(format!("{}/oauth_token.do", sim.base_url()))
        .header("Accept", "application/json")
        .form(form)
        .send()
        .await
        .expect("token request");
    answer(r).await
}

/// The demo user's password grant as a JSON body instead of a form.
async fn post_json_token(sim: &Simulator) -> Answer {
    let body = json!({"grant_type": "password", "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET, "username": DEMO_USERNAME, "password": DEMO_PASSWORD});
    let r = client()
        .post(format!("{}/oauth_token.do", sim.base_url()))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("token request");
    answer(r).await
}

async fn token(sim: &Simulator) -> String {
    let a = post_form(sim, &password_form()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.json()["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// GET `path_and_query` with a token.
async fn get(sim: &Simulator, token: &str, path_and_query: &str) -> Answer {
    let r = client()
        .get(format!("{}{path_and_query}", sim.base_url()))
        .bearer_auth(token)
        .header("Accept", "application/json")
        .send()
        .await
        .expect("GET");
    answer(r).await
}

/// GET a collection, returning the result rows.
async fn rows(sim: &Simulator, token: &str, path_and_query: &str) -> Vec<Value> {
    let a = get(sim, token, path_and_query).await;
    assert_eq!(a.status, StatusCode::OK, "{path_and_query}: {}", a.body);
    a.json()["result"].as_array().cloned().unwrap_or_default()
}

fn names(rows: &[Value], key: &str) -> Vec<String> {
    rows.iter()
        .map(|r| r[key].as_str().unwrap_or("?").to_string())
        .collect()
}

async fn post_incident(sim: &Simulator, token: &str, query: &str, body: &Value) -> Answer {
    let r = client()
        .post(format!("{}/api/now/table/incident{query}", sim.base_url()))
        .bearer_auth(token)
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("POST");
    answer(r).await
}

/// Poll `check` every 100 ms until it holds or `limit` passes.
async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn is_token(s: &str) -> bool {
    s.len() == 86
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

// ---------------------------------------------------------------- OAuth

#[tokio::test]
async fn token_success_has_the_real_shape_byte_for_byte() {
    let sim = default_sim().await;
    let a = post_form(&sim, &password_form()).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.header("content-type"), Some(JSON_TYPE));
    let rest = a
        .body
        .strip_prefix(r#"{"access_token":""#)
        .expect("starts with access_token");
    let (access, rest) = rest.split_at(86);
    let rest = rest
        .strip_prefix(r#"","refresh_token":""#)
        .expect("refresh_token second");
    let (refresh, rest) = rest.split_at(86);
    assert_eq!(
        rest,
        r#"","scope":"useraccount","token_type":"Bearer","expires_in":1799}"#
    );
    assert!(is_token(access) && is_token(refresh), "{}", a.body);
    assert_ne!(access, refresh);
}

#[tokio::test]
async fn same_token_twice_and_token_ttl_sets_expires_in() {
    let sim = start(SimOptions {
        token_ttl: 600,
        ..SimOptions::default()
    })
    .await;
    let first = post_form(&sim, &password_form()).await.json();
    let second = post_form(&sim, &password_form()).await.json();
    assert_eq!(first["access_token"], second["access_token"]);
    assert_eq!(first["refresh_token"], second["refresh_token"]);
    assert_eq!(first["expires_in"], 599);
}

#[tokio::test]
async fn client_credentials_may_come_as_http_basic() {
    let sim = default_sim().await;
    let r = client()
        .post(format!("{}/oauth_token.do", sim.base_url()))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .form(&[
            ("grant_type", "password"),
            ("username", DEMO_USERNAME),
            ("password", DEMO_PASSWORD),
        ])
        .send()
        .await
        .expect("request");
    let a = answer(r).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(is_token(a.json()["access_token"].as_str().unwrap_or("")));
}

#[tokio::test]
async fn refresh_grant_issues_a_working_token_and_repeats_the_refresh_token() {
    let sim = default_sim().await;
    let (first, refresh) = first_refresh_token(&sim).await;
    let a = post_form(&sim, &refresh_form(&refresh)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let keys: Vec<String> = a
        .json()
        .as_object()
        .expect("object")
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys.len(), 5);
    let new_access = a.json()["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    assert_ne!(Value::String(new_access.clone()), first["access_token"]);
    assert_eq!(a.json()["refresh_token"].as_str(), Some(refresh.as_str()));
    let rows = rows(&sim, &new_access, "/api/now/table/incident?sysparm_limit=1").await;
    assert_eq!(rows.len(), 1);
}

#[tokio::test]
async fn refresh_response_can_omit_the_refresh_token() {
    let sim = start(SimOptions {
        refresh_omits_refresh_token: true,
        ..SimOptions::default()
    })
    .await;
    let (_, refresh) = first_refresh_token(&sim).await;
    let a = post_form(&sim, &refresh_form(&refresh)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.body
            .ends_with(r#"","scope":"useraccount","token_type":"Bearer","expires_in":1799}"#)
    );
    assert!(a.json().get("refresh_token").is_none());
}

#[tokio::test]
async fn every_token_failure_is_the_same_401_body() {
    let sim = default_sim().await;
    let good = password_form();
    let with = |key: &str, value: &'static str| -> Vec<(&'static str, &'static str)> {
        good.iter()
            .map(|(k, v)| if *k == key { (*k, value) } else { (*k, *v) })
            .collect()
    };
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "wrong client_id",
            with("client_id", "00000000000000000000000000000000"),
        ),
        ("wrong client_secret", with("client_secret", "nope")),
        ("wrong username", with("username", "someone.else")),
        ("wrong password", with("password", "nope")),
        (
            "unsupported grant",
            with("grant_type", "client_credentials"),
        ),
        (
            "missing grant",
            good.iter()
                .filter(|(k, _)| *k != "grant_type")
                .copied()
                .collect(),
        ),
        ("unknown refresh token", refresh_form("not-a-token")),
    ];
    for (why, form) in cases {
        let a = post_form(&sim, &form).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{why}");
        assert_eq!(a.body, TOKEN_FAILURE, "{why}");
        assert_eq!(a.header("content-type"), Some(JSON_TYPE), "{why}");
    }
    // A JSON body, and a GET, fail the same way.
    let a = post_json_token(&sim).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::UNAUTHORIZED, TOKEN_FAILURE)
    );
    let r = client()
        .get(format!("{}/oauth_token.do", sim.base_url()))
        .send()
        .await
        .expect("request");
    let a = answer(r).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::UNAUTHORIZED, TOKEN_FAILURE)
    );
}

#[tokio::test]
async fn json_token_body_can_be_accepted() {
    let sim = start(SimOptions {
        token_json_body: TokenJsonBody::Accept,
        ..SimOptions::default()
    })
    .await;
    let a = post_json_token(&sim).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
}

#[tokio::test]
async fn credential_overrides_replace_the_demo_ones() {
    let sim = start(SimOptions {
        client_id: "0123456789abcdef0123456789abcdef".into(),
        client_secret: "s3cr3t+/=".into(),
        username: "svc.finops".into(),
        password: "p&ss w=rd".into(),
        ..SimOptions::default()
    })
    .await;
    let demo = post_form(&sim, &password_form()).await;
    assert_eq!(demo.status, StatusCode::UNAUTHORIZED);
    let a = post_form(
        &sim,
        &[
            ("grant_type", "password"),
            ("client_id", "0123456789abcdef0123456789abcdef"),
            ("client_secret", "s3cr3t+/="),
            ("username", "svc.finops"),
            ("password", "p&ss w=rd"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let token = a.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let users = rows(
        &sim,
        &token,
        "/api/now/table/sys_user?sysparm_query=user_name=svc.finops&sysparm_fields=user_name",
    )
    .await;
    assert_eq!(names(&users, "user_name"), vec!["svc.finops"]);
}

// ---------------------------------------------------------------- 401 on the Table API

#[tokio::test]
async fn api_without_or_with_a_bad_token_is_401_with_the_captured_body() {
    let sim = default_sim().await;
    let plain = client()
        .get(format!("{}/api/now/table/incident", sim.base_url()))
        .send()
        .await
        .expect("GET");
    let bad = get(&sim, "not-a-token", "/api/now/table/incident").await;
    for a in [answer(plain).await, bad] {
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert_eq!(a.body, AUTH_401_DETAIL_FIRST);
        assert_eq!(
            a.header("www-authenticate"),
            Some("BASIC realm=\"Service-now\"")
        );
        assert_eq!(a.header("content-type"), Some(JSON_TYPE));
        assert_eq!(a.header("x-is-logged-in"), Some("false"));
        let cookies: Vec<&str> = a
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        assert!(
            cookies
                .iter()
                .any(|c| c.starts_with("glide_user=; Max-Age=0")),
            "{cookies:?}"
        );
    }
}

#[tokio::test]
async fn expired_token_is_401() {
    let sim = start(SimOptions {
        token_ttl: 1,
        ..SimOptions::default()
    })
    .await;
    let first = post_form(&sim, &password_form()).await.json();
    assert_eq!(first["expires_in"], 0);
    let token = first["access_token"].as_str().expect("token").to_string();
    let expired = eventually(Duration::from_secs(5), || async {
        get(&sim, &token, "/api/now/table/incident?sysparm_limit=1")
            .await
            .status
            == StatusCode::UNAUTHORIZED
    })
    .await;
    assert!(expired, "the token never expired");
    // A new password grant after expiry hands out a different, working token.
    let again = post_form(&sim, &password_form()).await.json();
    assert_ne!(again["access_token"], first["access_token"]);
}

#[tokio::test]
async fn www_authenticate_and_key_order_switches() {
    let sim = start(SimOptions {
        www_authenticate: AuthScheme::Bearer,
        auth_error_order: AuthErrorOrder::MessageFirst,
        ..SimOptions::default()
    })
    .await;
    let a = get(&sim, "nope", "/api/now/table/incident").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.body, AUTH_401_MESSAGE_FIRST);
    assert_eq!(
        a.header("www-authenticate"),
        Some("BEARER realm=\"Service-now\"")
    );
}

// ---------------------------------------------------------------- Table API reads

#[tokio::test]
async fn realistic_headers_on_a_table_read() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let a = get(&sim, &t, "/api/now/table/incident?sysparm_limit=1").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.header("content-type"), Some(JSON_TYPE));
    assert_eq!(a.header("server"), Some("ServiceNow"));
    assert_eq!(a.header("x-is-logged-in"), Some("true"));
    assert_eq!(a.header("pragma"), Some("no-store,no-cache"));
    assert_eq!(
        a.header("cache-control"),
        Some("no-cache,no-store,must-revalidate,max-age=-1")
    );
    assert_eq!(a.header("expires"), Some("0"));
    let tx = a.header("x-transaction-id").unwrap_or("");
    assert!(
        tx.len() == 12 && tx.chars().all(|c| c.is_ascii_hexdigit()),
        "{tx}"
    );
}

#[tokio::test]
async fn every_value_is_a_string_and_get_by_sys_id_returns_an_object() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let list = rows(&sim, &t, "/api/now/table/incident").await;
    assert_eq!(list.len(), 5);
    for row in &list {
        for (key, value) in row.as_object().expect("object") {
            let ok = value.is_string()
                || value
                    .as_object()
                    .is_some_and(|o| o.values().all(Value::is_string));
            assert!(ok, "{key}: {value}");
        }
    }
    let a = get(&sim, &t, &format!("/api/now/table/incident/{INC3}")).await;
    assert_eq!(a.status, StatusCode::OK);
    let record = &a.json()["result"];
    assert!(record.is_object());
    assert_eq!(record["number"], "INC0000003");
    assert_eq!(record["priority"], "2");
    assert_eq!(record["active"], "true");
}

#[tokio::test]
async fn query_operators() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let numbers = |q: &str| {
        let path = format!(
            "/api/now/table/incident?sysparm_fields=number&sysparm_query={}",
            urlencode(q)
        );
        let sim = &sim;
        let t = &t;
        async move { names(&rows(sim, t, &path).await, "number") }
    };
    let n = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(numbers("priority=1").await, n(&["INC0000002"]));
    assert_eq!(
        numbers("priority!=1^priority!=2^priority!=3").await,
        n(&["INC0000004", "INC0000005"])
    );
    assert_eq!(
        numbers("priorityIN4,5").await,
        n(&["INC0000004", "INC0000005"])
    );
    assert_eq!(
        numbers("priorityNOT IN4,5").await,
        n(&["INC0000001", "INC0000002", "INC0000003"])
    );
    assert_eq!(
        numbers("short_descriptionLIKEemail").await,
        n(&["INC0000001"])
    );
    assert_eq!(
        numbers("short_descriptionSTARTSWITHaws").await,
        n(&["INC0000003"])
    );
    assert_eq!(
        numbers("short_descriptionENDSWITHfailing").await,
        n(&["INC0000004"])
    );
    assert_eq!(numbers("hold_reasonISNOTEMPTY").await, n(&["INC0000002"]));
    assert_eq!(
        numbers("hold_reasonISEMPTY^priority=5").await,
        n(&["INC0000005"])
    );
    assert_eq!(
        numbers("priority=1^ORpriority=5").await,
        n(&["INC0000002", "INC0000005"])
    );
    assert_eq!(
        numbers("priority=1^NQcategory=hardware").await,
        n(&["INC0000002", "INC0000005"])
    );
    assert_eq!(
        numbers("ORDERBYDESCnumber").await,
        n(&[
            "INC0000005",
            "INC0000004",
            "INC0000003",
            "INC0000002",
            "INC0000001"
        ])
    );
    assert_eq!(
        numbers("active=true^ORDERBYpriority").await,
        n(&["INC0000002", "INC0000003", "INC0000001", "INC0000005"])
    );
    // name=value parameters filter like sysparm_query.
    let by_param = rows(
        &sim,
        &t,
        "/api/now/table/incident?category=software&sysparm_fields=number",
    )
    .await;
    assert_eq!(names(&by_param, "number"), n(&["INC0000001"]));
    // Reference targets are searchable by name.
    let groups = rows(
        &sim,
        &t,
        "/api/now/table/sys_user_group?sysparm_query=nameLIKEfin&sysparm_fields=sys_id,name",
    )
    .await;
    assert_eq!(
        groups,
        vec![json!({"sys_id": CLOUD_FINOPS, "name": "Cloud FinOps"})]
    );
    let services = rows(
        &sim,
        &t,
        "/api/now/table/cmdb_ci_service?sysparm_query=nameSTARTSWITHcloud&sysparm_fields=name",
    )
    .await;
    assert_eq!(names(&services, "name"), n(&["Cloud Billing"]));
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn unknown_query_fields_are_ignored_by_default_and_switchable() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let path = "/api/now/table/incident?sysparm_fields=number&sysparm_query=no_such_field%3D1%5Epriority%3D1";
    assert_eq!(
        names(&rows(&sim, &t, path).await, "number"),
        vec!["INC0000002"]
    );
    // Unknown sysparm_fields are ignored too.
    let r = rows(
        &sim,
        &t,
        "/api/now/table/incident?sysparm_fields=number,nope&sysparm_limit=1",
    )
    .await;
    assert_eq!(r, vec![json!({"number": "INC0000001"})]);

    let forbidden = start(SimOptions {
        unknown_query_field: UnknownQueryField::Forbidden,
        ..SimOptions::default()
    })
    .await;
    let t = token(&forbidden).await;
    let a = get(&forbidden, &t, path).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.body,
        r#"{"error":{"message":"Insufficient rights to query records","detail":"Field(s) present in the query do not have permission to be read"},"status":"failure"}"#
    );

    let no_rows = start(SimOptions {
        unknown_query_field: UnknownQueryField::NoRows,
        ..SimOptions::default()
    })
    .await;
    let t = token(&no_rows).await;
    let a = get(&no_rows, &t, path).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, r#"{"result":[]}"#);
    assert_eq!(a.header("x-total-count"), Some("0"));
}

#[tokio::test]
async fn pagination_link_header_is_exact_and_followable() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let base = sim.base_url();
    let a = get(
        &sim,
        &t,
        "/api/now/table/incident?sysparm_query=active%3Dtrue&sysparm_fields=number&sysparm_limit=2&sysparm_offset=2",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.header("x-total-count"), Some("4"));
    let url = |offset: u32| {
        format!(
            "<{base}/api/now/table/incident?sysparm_query=active%3Dtrue&sysparm_fields=number&sysparm_offset={offset}&sysparm_limit=2>"
        )
    };
    let expected = format!(
        "{};rel=\"first\",{};rel=\"prev\",{};rel=\"last\"",
        url(0),
        url(0),
        url(2)
    );
    assert_eq!(a.header("link"), Some(expected.as_str()));
    assert_eq!(
        names(
            &a.json()["result"].as_array().cloned().unwrap_or_default(),
            "number"
        ),
        vec!["INC0000003", "INC0000005"]
    );

    // Follow rel="next" from the first page to the end.
    let mut next = Some(format!(
        "{base}/api/now/table/incident?sysparm_fields=number&sysparm_limit=2"
    ));
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(url) = next.take() {
        pages += 1;
        assert!(pages < 10, "pagination does not end");
        let r = client()
            .get(&url)
            .bearer_auth(&t)
            .send()
            .await
            .expect("page");
        let a = answer(r).await;
        assert_eq!(a.header("x-total-count"), Some("5"));
        seen.extend(names(
            a.json()["result"]
                .as_array()
                .map(|v| v.as_slice())
                .unwrap_or(&[]),
            "number",
        ));
        next = a.header("link").and_then(|link| {
            link.split(',')
                .find(|part| part.ends_with("rel=\"next\""))
                .and_then(|part| part.split_once('>'))
                .map(|(u, _)| u.trim_start_matches('<').to_string())
        });
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        vec![
            "INC0000001",
            "INC0000002",
            "INC0000003",
            "INC0000004",
            "INC0000005"
        ]
    );

    // One page: no Link. no_count: no X-Total-Count. suppress: no Link.
    let a = get(&sim, &t, "/api/now/table/incident?sysparm_limit=10").await;
    assert_eq!(a.header("link"), None);
    let a = get(
        &sim,
        &t,
        "/api/now/table/incident?sysparm_limit=1&sysparm_no_count=true",
    )
    .await;
    assert_eq!(a.header("x-total-count"), None);
    assert!(
        a.header("link")
            .is_some_and(|l| !l.contains("rel=\"last\""))
    );
    let a = get(
        &sim,
        &t,
        "/api/now/table/incident?sysparm_limit=1&sysparm_suppress_pagination_header=true",
    )
    .await;
    assert_eq!(a.header("link"), None);
    assert_eq!(a.header("x-total-count"), Some("5"));
}

#[tokio::test]
async fn default_limit_is_10000() {
    let sim = start(SimOptions {
        extra_fields: 10_000,
        ..SimOptions::default()
    })
    .await;
    let t = token(&sim).await;
    let a = get(
        &sim,
        &t,
        "/api/now/table/sys_dictionary?sysparm_fields=element&sysparm_query=name%3Dincident",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let total: usize = a
        .header("x-total-count")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert_eq!(total, 10_026);
    assert_eq!(a.json()["result"].as_array().map(Vec::len), Some(10_000));
    assert!(
        a.header("link")
            .is_some_and(|l| l.contains("sysparm_offset=10000&sysparm_limit=10000>;rel=\"next\""))
    );
}

#[tokio::test]
async fn display_value_shapes() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let host = sim.base_url().to_string();
    let link = format!("{host}/api/now/table/sys_user_group/{CLOUD_FINOPS}");
    let one = |q: &str| {
        let path = format!(
            "/api/now/table/incident/{INC3}?sysparm_fields=assignment_group,assigned_to,priority{q}"
        );
        let sim = &sim;
        let t = &t;
        async move {
            let a = get(sim, t, &path).await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            a.json()["result"].clone()
        }
    };
    assert_eq!(
        one("").await,
        json!({"assignment_group": {"link": link, "value": CLOUD_FINOPS}, "assigned_to": "", "priority": "2"})
    );
    assert_eq!(
        one("&sysparm_exclude_reference_link=true").await,
        json!({"assignment_group": CLOUD_FINOPS, "assigned_to": "", "priority": "2"})
    );
    assert_eq!(
        one("&sysparm_display_value=true").await,
        json!({"assignment_group": {"display_value": "Cloud FinOps", "link": link}, "assigned_to": "", "priority": "2 - High"})
    );
    assert_eq!(
        one("&sysparm_display_value=true&sysparm_exclude_reference_link=true").await,
        json!({"assignment_group": "Cloud FinOps", "assigned_to": "", "priority": "2 - High"})
    );
    assert_eq!(
        one("&sysparm_display_value=all").await,
        json!({
            "assignment_group": {"display_value": "Cloud FinOps", "link": link, "value": CLOUD_FINOPS},
            "assigned_to": {"display_value": "", "value": ""},
            "priority": {"display_value": "2 - High", "value": "2"}
        })
    );
    // Key order inside a reference is part of the shape.
    let a = get(&sim, &t, &format!("/api/now/table/incident/{INC3}?sysparm_fields=assignment_group&sysparm_display_value=all")).await;
    assert_eq!(
        a.body,
        format!(
            r#"{{"result":{{"assignment_group":{{"display_value":"Cloud FinOps","link":"{link}","value":"{CLOUD_FINOPS}"}}}}}}"#
        )
    );

    let sim2 = start(SimOptions {
        empty_reference_all: EmptyReferenceAll::String,
        ..SimOptions::default()
    })
    .await;
    let t2 = token(&sim2).await;
    let a = get(
        &sim2,
        &t2,
        &format!(
            "/api/now/table/incident/{INC3}?sysparm_fields=assigned_to&sysparm_display_value=all"
        ),
    )
    .await;
    assert_eq!(a.json()["result"], json!({"assigned_to": ""}));
}

#[tokio::test]
async fn name_keyed_references_link_by_name_or_by_sys_id() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let base = sim.base_url();
    let q = "/api/now/table/sys_dictionary?sysparm_query=name%3Dincident%5Eelement%3Dcaller_id&sysparm_fields=internal_type,reference";
    let r = rows(&sim, &t, q).await;
    assert_eq!(
        r,
        vec![json!({
            "internal_type": {"link": format!("{base}/api/now/table/sys_glide_object/reference"), "value": "reference"},
            "reference": {"link": format!("{base}/api/now/table/sys_db_object/sys_user"), "value": "sys_user"}
        })]
    );
    let sim2 = start(SimOptions {
        name_keyed_links: NameKeyedLinks::SysId,
        ..SimOptions::default()
    })
    .await;
    let t2 = token(&sim2).await;
    let r = rows(&sim2, &t2, q).await;
    let user_table = "2ec5f881203221007f441083a8e0b3e5";
    assert_eq!(
        r[0]["reference"],
        json!({"link": format!("{}/api/now/table/sys_db_object/{user_table}", sim2.base_url()), "value": "sys_user"})
    );
}

#[tokio::test]
async fn dot_walking_in_queries_and_fields() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let r = rows(
        &sim,
        &t,
        "/api/now/table/sys_db_object?sysparm_query=name%3Dincident&sysparm_fields=name,label,super_class,super_class.name&sysparm_exclude_reference_link=true",
    )
    .await;
    assert_eq!(
        r,
        vec![
            json!({"name": "incident", "label": "Incident", "super_class": "4e640051203221007f441083a8e0b32b", "super_class.name": "task"})
        ]
    );
    let r = rows(
        &sim,
        &t,
        "/api/now/table/sys_db_object?sysparm_query=super_class.name%3Dtask&sysparm_fields=name",
    )
    .await;
    assert_eq!(
        names(&r, "name"),
        vec!["incident", "problem", "change_request"]
    );
    let r = rows(
        &sim,
        &t,
        "/api/now/table/incident?sysparm_query=caller_id.manager.name%3DBeth%20Anglin&sysparm_fields=number,caller_id.name",
    )
    .await;
    assert_eq!(
        r,
        vec![json!({"number": "INC0000002", "caller_id.name": "David Loo"})]
    );
    // task's own super_class is empty: the walk up ends there.
    let r = rows(
        &sim,
        &t,
        "/api/now/table/sys_db_object?sysparm_query=name%3Dtask&sysparm_fields=super_class",
    )
    .await;
    assert_eq!(r, vec![json!({"super_class": ""})]);
}

#[tokio::test]
async fn the_wizard_dictionary_query() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let r = rows(
        &sim,
        &t,
        "/api/now/table/sys_dictionary?sysparm_query=nameINincident%2Ctask%5EelementISNOTEMPTY\
         &sysparm_fields=name,element,column_label,internal_type,max_length,mandatory,read_only,active,reference\
         &sysparm_exclude_reference_link=true&sysparm_limit=1000",
    )
    .await;
    let sys_ids: Vec<&Value> = r.iter().filter(|x| x["element"] == "sys_id").collect();
    assert_eq!(sys_ids.len(), 2, "sys_id once per table");
    let find = |table: &str, element: &str| {
        r.iter()
            .find(|x| x["name"] == table && x["element"] == element)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        find("incident", "caller_id"),
        json!({"name": "incident", "element": "caller_id", "column_label": "Caller", "internal_type": "reference",
               "max_length": "32", "mandatory": "false", "read_only": "false", "active": "true", "reference": "sys_user"})
    );
    assert_eq!(find("task", "number")["mandatory"], "true");
    assert_eq!(find("task", "short_description")["max_length"], "160");
    assert_eq!(
        find("task", "assignment_group")["reference"],
        "sys_user_group"
    );
    assert_eq!(find("incident", "category")["internal_type"], "string");
    // Every column named in facts 4.5 is there.
    let elements: HashSet<String> = r
        .iter()
        .map(|x| {
            format!(
                "{}.{}",
                x["name"].as_str().unwrap_or(""),
                x["element"].as_str().unwrap_or("")
            )
        })
        .collect();
    for needed in [
        "incident.business_impact",
        "incident.severity",
        "incident.subcategory",
        "incident.hold_reason",
        "incident.origin_table",
        "task.watch_list",
        "task.work_notes",
        "task.sys_domain",
        "task.universal_request",
        "task.sla_due",
        "task.variables",
        "task.route_reason",
    ] {
        assert!(elements.contains(needed), "{needed}");
    }
    // The collection row has an empty element and internal_type collection.
    let collection = rows(
        &sim,
        &t,
        "/api/now/table/sys_dictionary?sysparm_query=name%3Dincident%5EelementISEMPTY&sysparm_fields=internal_type&sysparm_exclude_reference_link=true",
    )
    .await;
    assert_eq!(collection, vec![json!({"internal_type": "collection"})]);
    // Choices: incident overrides.
    let states = rows(
        &sim,
        &t,
        "/api/now/table/sys_choice?sysparm_query=name%3Dincident%5Eelement%3Dstate%5Einactive%3Dfalse%5Elanguage%3Den%5EORDERBYsequence&sysparm_fields=value,label",
    )
    .await;
    assert_eq!(
        names(&states, "label"),
        vec![
            "New",
            "In Progress",
            "On Hold",
            "Resolved",
            "Closed",
            "Canceled"
        ]
    );
    let sub = rows(
        &sim,
        &t,
        "/api/now/table/sys_choice?sysparm_query=name%3Dincident%5Eelement%3Dsubcategory%5Edependent_value%3Dnetwork&sysparm_fields=value",
    )
    .await;
    assert_eq!(
        names(&sub, "value"),
        vec!["dhcp", "dns", "ip address", "vpn", "wireless"]
    );
    // Field types.
    let types = rows(
        &sim,
        &t,
        "/api/now/table/sys_glide_object?sysparm_query=nameINGUID,reference&sysparm_fields=name,label,scalar_type,scalar_length",
    )
    .await;
    assert!(types.contains(
        &json!({"name": "GUID", "label": "Sys ID", "scalar_type": "string", "scalar_length": "32"})
    ));
    assert_eq!(types.len(), 2);
}

#[tokio::test]
async fn querying_task_reads_incidents_too() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let r = rows(
        &sim,
        &t,
        "/api/now/table/task?sysparm_query=sys_class_name%3Dincident&sysparm_fields=number",
    )
    .await;
    assert_eq!(r.len(), 5);
    let a = get(
        &sim,
        &t,
        &format!("/api/now/table/task/{INC3}?sysparm_fields=number,caller_id"),
    )
    .await;
    // caller_id is an incident column: through task it is unknown and left out.
    assert_eq!(a.json()["result"], json!({"number": "INC0000003"}));
}

#[tokio::test]
async fn unknown_table_missing_record_and_versions() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let a = get(&sim, &t, "/api/now/table/not_a_real_class").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        a.body,
        r#"{"error":{"message":"Invalid table not_a_real_class","detail":null},"status":"failure"}"#
    );
    let a = get(
        &sim,
        &t,
        "/api/now/table/incident/00000000000000000000000000000000",
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(
        a.body,
        r#"{"error":{"message":"No Record found","detail":"Record doesn't exist or ACL restricts the record retrieval"},"status":"failure"}"#
    );
    let empty_q = "table/incident?sysparm_query=number%3DINC9999999";
    let latest = get(&sim, &t, &format!("/api/now/{empty_q}")).await;
    assert_eq!(
        (latest.status, latest.body.as_str()),
        (StatusCode::OK, r#"{"result":[]}"#)
    );
    let v2 = get(&sim, &t, &format!("/api/now/v2/{empty_q}")).await;
    assert_eq!(
        (v2.status, v2.body.as_str()),
        (StatusCode::OK, r#"{"result":[]}"#)
    );
    let v1 = get(&sim, &t, &format!("/api/now/v1/{empty_q}")).await;
    assert_eq!(v1.status, StatusCode::NOT_FOUND);
    let v1_full = get(&sim, &t, "/api/now/v1/table/incident?sysparm_limit=1").await;
    assert_eq!(v1_full.status, StatusCode::OK);
    let v9 = get(&sim, &t, "/api/now/v9/table/incident").await;
    assert_eq!(v9.status, StatusCode::BAD_REQUEST);

    let sim2 = start(SimOptions {
        invalid_table_detail: InvalidTableDetail::DoesNotExist,
        ..SimOptions::default()
    })
    .await;
    let t2 = token(&sim2).await;
    let a = get(&sim2, &t2, "/api/now/table/sys_nonexistent").await;
    assert_eq!(
        a.body,
        r#"{"error":{"message":"Invalid table sys_nonexistent","detail":"Table sys_nonexistent does not exist"},"status":"failure"}"#
    );
}

#[tokio::test]
async fn gzip_when_asked() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    crypto();
    let raw = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client");
    let r = raw
        .get(format!("{}/api/now/table/incident", sim.base_url()))
        .bearer_auth(&t)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("GET");
    assert_eq!(
        r.headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
    let bytes = r.bytes().await.expect("body");
    assert_eq!(&bytes[..2], &[0x1f, 0x8b]);
    // Without Accept-Encoding the body is plain JSON.
    let r = raw
        .get(format!("{}/api/now/table/incident", sim.base_url()))
        .bearer_auth(&t)
        .send()
        .await
        .expect("GET");
    assert!(r.headers().get("content-encoding").is_none());
    assert!(r.text().await.expect("text").starts_with("{\"result\":["));
}

// ---------------------------------------------------------------- ACLs

const INSUFFICIENT_NULL: &str = r#"{"error":{"message":"Insufficient rights to query records","detail":null},"status":"failure"}"#;
const FIELDS_403: &str = r#"{"error":{"message":"Insufficient rights to query records","detail":"Field(s) present in the query do not have permission to be read"},"status":"failure"}"#;

fn deny(list: &[&str]) -> SimOptions {
    SimOptions {
        deny: list.iter().map(|s| s.to_string()).collect(),
        ..SimOptions::default()
    }
}

#[tokio::test]
async fn table_denial_is_403_for_platform_tables_and_empty_for_itsm_tables() {
    let sim = start(deny(&[
        "sys_db_object",
        "sys_dictionary",
        "sys_glide_object",
        "sys_choice",
        "incident.read",
        "sys_user",
    ]))
    .await;
    let t = token(&sim).await;
    for table in [
        "sys_db_object",
        "sys_dictionary",
        "sys_glide_object",
        "sys_choice",
    ] {
        let a = get(&sim, &t, &format!("/api/now/table/{table}?sysparm_limit=1")).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{table}");
        assert_eq!(a.body, INSUFFICIENT_NULL, "{table}");
    }
    let a = get(&sim, &t, "/api/now/table/incident").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, r#"{"result":[]}"#);
    assert_eq!(a.header("x-total-count"), Some("5"), "counted before ACLs");
    let a = get(
        &sim,
        &t,
        "/api/now/table/sys_user?sysparm_query=active%3Dtrue",
    )
    .await;
    assert_eq!(a.body, r#"{"result":[]}"#);
    assert_eq!(a.header("x-total-count"), Some("6"));
    let a = get(&sim, &t, &format!("/api/now/table/incident/{INC3}")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    // Readable tables are unaffected.
    assert_eq!(
        rows(&sim, &t, "/api/now/table/sys_user_group").await.len(),
        7
    );
}

#[tokio::test]
async fn table_denial_styles_are_switchable() {
    let sim = start(SimOptions {
        sys_table_denial: SysTableDenial::UserNotAuthorized,
        table_denial: vec!["incident=forbidden".into(), "sys_choice=empty".into()],
        ..deny(&["sys_dictionary", "incident", "sys_choice"])
    })
    .await;
    let t = token(&sim).await;
    let a = get(&sim, &t, "/api/now/table/sys_dictionary").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.body,
        r#"{"error":{"message":"User Not Authorized","detail":"User is unauthorized to access table: sys_dictionary"},"status":"failure"}"#
    );
    let a = get(&sim, &t, "/api/now/table/incident").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = get(&sim, &t, "/api/now/table/sys_choice").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, r#"{"result":[]}"#);
    assert!(a.header("x-total-count").is_some_and(|c| c != "0"));
}

#[tokio::test]
async fn field_denial_leaves_keys_out_and_queries_on_them_are_403() {
    let sim = start(deny(&["sys_dictionary.*", "sys_user.email"])).await;
    let t = token(&sim).await;
    let a = get(&sim, &t, "/api/now/table/sys_dictionary?sysparm_limit=3").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, r#"{"result":[{},{},{}]}"#);
    let a = get(&sim, &t, "/api/now/table/sys_dictionary?sysparm_query=nameINincident%2Ctask%5EelementISNOTEMPTY&sysparm_fields=name,element").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.body, FIELDS_403);
    let users = rows(
        &sim,
        &t,
        "/api/now/table/sys_user?sysparm_query=user_name%3Dabel.tuter&sysparm_fields=name,email",
    )
    .await;
    assert_eq!(users, vec![json!({"name": "Abel Tuter"})]);
    let a = get(
        &sim,
        &t,
        "/api/now/table/sys_user?sysparm_query=emailLIKEabel",
    )
    .await;
    assert_eq!(a.body, FIELDS_403);
    // Dot-walking into an unreadable field leaves the key out as well.
    let r = rows(&sim, &t, "/api/now/table/incident?sysparm_query=number%3DINC0000001&sysparm_fields=number,caller_id.email").await;
    assert_eq!(r, vec![json!({"number": "INC0000001"})]);

    let sim2 = start(SimOptions {
        field_denial: FieldDenial::Empty,
        ..deny(&["sys_user.email"])
    })
    .await;
    let t2 = token(&sim2).await;
    let users = rows(
        &sim2,
        &t2,
        "/api/now/table/sys_user?sysparm_query=user_name%3Dabel.tuter&sysparm_fields=name,email",
    )
    .await;
    assert_eq!(users, vec![json!({"name": "Abel Tuter", "email": ""})]);
}

#[tokio::test]
async fn sys_db_object_field_denial_blocks_the_hierarchy_query() {
    let sim = start(deny(&["sys_db_object.*"])).await;
    let t = token(&sim).await;
    let a = get(&sim, &t, "/api/now/table/sys_db_object?sysparm_query=name%3Dincident&sysparm_fields=name,super_class.name").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.body, FIELDS_403);
}

#[tokio::test]
async fn unknown_acl_names_are_refused_at_start() {
    let err = Simulator::start(deny(&["sys_dictonary"]))
        .await
        .expect_err("must fail");
    assert!(
        matches!(err, SimError::UnknownAclDidYouMean { ref suggestion, .. } if suggestion == "sys_dictionary")
    );
    assert!(
        err.to_string().contains("did you mean \"sys_dictionary\""),
        "{err}"
    );
    let err = Simulator::start(deny(&["no_such_thing"]))
        .await
        .expect_err("must fail");
    assert!(matches!(err, SimError::UnknownAcl(ref s) if s == "no_such_thing"));
    assert!(err.to_string().contains("TABLE.*"), "{err}");
    let err = Simulator::start(SimOptions {
        table_denial: vec!["incident".into()],
        ..SimOptions::default()
    })
    .await
    .expect_err("must fail");
    assert!(matches!(err, SimError::InvalidOption(_)));
}

#[tokio::test]
async fn securely_scoped_client_gets_403_but_its_token_works() {
    let sim = start(SimOptions {
        securely_scoped: true,
        ..SimOptions::default()
    })
    .await;
    let t = token(&sim).await;
    assert!(is_token(&t));
    for path in [
        "/api/now/table/incident",
        "/api/now/table/sys_dictionary?sysparm_limit=1",
        "/api/now/table/not_a_table",
    ] {
        let a = get(&sim, &t, path).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(
            a.body,
            r#"{"error":{"message":"User Not Authorized","detail":"Access to unscoped api is not allowed"},"status":"failure"}"#
        );
    }
    let a = post_incident(&sim, &t, "", &json!({"short_description": "x"})).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // A bad token is still 401 first.
    assert_eq!(
        get(&sim, "bad", "/api/now/table/incident").await.status,
        StatusCode::UNAUTHORIZED
    );
}

// ---------------------------------------------------------------- scenarios

#[tokio::test]
async fn hibernating_instance_answers_html_everywhere() {
    let sim = start(SimOptions {
        hibernating: true,
        ..SimOptions::default()
    })
    .await;
    let token_answer = post_form(&sim, &password_form()).await;
    let api = get(&sim, "whatever", "/api/now/table/incident").await;
    let root = answer(
        client()
            .get(format!("{}/", sim.base_url()))
            .send()
            .await
            .expect("GET"),
    )
    .await;
    for a in [token_answer, api, root] {
        assert_eq!(a.status, StatusCode::OK);
        assert!(
            a.header("content-type")
                .is_some_and(|c| c.starts_with("text/html"))
        );
        assert!(a.body.contains(r#"class="instance-hibernating-page""#));
        assert!(a.body.contains("Your instance is hibernating"));
        assert!(serde_json::from_str::<Value>(&a.body).is_err());
    }
}

#[tokio::test]
async fn rate_limit_answers_429_then_recovers() {
    let sim = start(SimOptions {
        rate_limit: Some(2),
        rate_limit_window: 2,
        ..SimOptions::default()
    })
    .await;
    let t = token(&sim).await;
    let path = "/api/now/table/incident?sysparm_limit=1";
    for _ in 0..2 {
        let a = get(&sim, &t, path).await;
        assert_eq!(a.status, StatusCode::OK);
        assert_eq!(a.header("x-ratelimit-limit"), Some("2"));
        assert!(
            a.header("x-ratelimit-reset")
                .is_some_and(|r| r.parse::<u64>().is_ok())
        );
        assert!(a.header("x-ratelimit-rule").is_some_and(|r| r.len() == 32));
    }
    let a = get(&sim, &t, path).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        a.body,
        r#"{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 2 requests per 2 seconds for Table API exceeded"},"status":"failure"}"#
    );
    let retry: u64 = a
        .header("retry-after")
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    assert_eq!(a.header("x-ratelimit-limit"), Some("2"));
    // The token endpoint is not rate limited.
    assert_eq!(
        post_form(&sim, &password_form()).await.status,
        StatusCode::OK
    );
    let recovered = eventually(Duration::from_secs(6), || async {
        get(&sim, &t, path).await.status == StatusCode::OK
    })
    .await;
    assert!(recovered, "still limited after the window");
}

#[tokio::test]
async fn rate_limit_text_for_the_default_hour_window() {
    let sim = start(SimOptions {
        rate_limit: Some(0),
        ..SimOptions::default()
    })
    .await;
    let t = token(&sim).await;
    let a = get(&sim, &t, "/api/now/table/incident").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        a.body
            .contains("Rate limit of 0 requests per hour for Table API exceeded")
    );
    let retry: u64 = a
        .header("retry-after")
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    assert!(retry > 3500 && retry <= 3600, "{retry}");
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let sim = start(SimOptions {
        latency_ms: 300,
        ..SimOptions::default()
    })
    .await;
    let started = Instant::now();
    let t = token(&sim).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    let a = get(&sim, &t, "/api/now/table/incident?sysparm_limit=1").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn twenty_thousand_extra_fields() {
    let sim = start(SimOptions {
        extra_fields: 20_000,
        ..SimOptions::default()
    })
    .await;
    let t = token(&sim).await;
    let url = format!(
        "{}/api/now/table/sys_dictionary?sysparm_query=nameINincident%2Ctask%5EelementISNOTEMPTY\
         &sysparm_fields=name,element,internal_type,reference,max_length&sysparm_exclude_reference_link=true&sysparm_limit=1000",
        sim.base_url()
    );
    let r = client()
        .get(&url)
        .bearer_auth(&t)
        .send()
        .await
        .expect("GET");
    let a = answer(r).await;
    assert_eq!(a.status, StatusCode::OK);
    // 24 incident columns + sys_id, 73 task columns (sys_id included), 20000 custom.
    assert_eq!(a.header("x-total-count"), Some("20098"));
    assert_eq!(a.json()["result"].as_array().map(Vec::len), Some(1000));
    let customs = rows(
        &sim,
        &t,
        "/api/now/table/sys_dictionary?sysparm_query=name%3Dincident%5EelementSTARTSWITHu_&sysparm_fields=element,internal_type,reference&sysparm_exclude_reference_link=true&sysparm_limit=20000",
    )
    .await;
    assert_eq!(customs.len(), 20_000);
    let kinds: HashSet<&str> = customs
        .iter()
        .filter_map(|c| c["internal_type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        HashSet::from(["string", "integer", "boolean", "reference"])
    );
    assert!(customs.iter().any(|c| c["reference"] == "sys_user_group"));
    let choice = rows(
        &sim,
        &t,
        "/api/now/table/sys_choice?sysparm_query=name%3Dincident%5Eelement%3Du_cost_tier_4&sysparm_fields=value,label",
    )
    .await;
    assert_eq!(names(&choice, "value"), vec!["low", "medium", "high"]);
    // Created incidents carry the custom columns, empty unless set.
    let a = post_incident(
        &sim,
        &t,
        "",
        &json!({"short_description": "scale", "u_cost_tier_4": "high", "u_budget_units_2": 7}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let record = &a.json()["result"];
    assert_eq!(record["u_cost_tier_4"], "high");
    assert_eq!(record["u_budget_units_2"], "7");
    assert_eq!(record["u_cost_note_1"], "");
    assert_eq!(record.as_object().map(|o| o.len()), Some(97 + 20_000));
}

// ---------------------------------------------------------------- creating incidents

#[tokio::test]
async fn post_incident_creates_a_full_record_readable_afterwards() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    assert_eq!(sim.incident_count(), 5);
    let body = json!({"short_description": "Unable to connect to office wifi", "description": "From Finout",
        "assignment_group": CLOUD_FINOPS, "urgency": "2", "impact": "2", "not_a_field": "ignored"});
    let a = post_incident(&sim, &t, "", &body).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.header("content-type"), Some(JSON_TYPE));
    let record = a.json()["result"].clone();
    let sys_id = record["sys_id"].as_str().unwrap_or("").to_string();
    assert!(sys_id.len() == 32 && sys_id.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
    let location = format!("{}/api/now/table/incident/{sys_id}", sim.base_url());
    assert_eq!(a.header("location"), Some(location.as_str()));
    assert_eq!(record["number"], "INC0010001");
    assert_eq!(record["task_effective_number"], "INC0010001");
    assert_eq!(record["priority"], "3");
    for (key, value) in [
        ("state", "1"),
        ("incident_state", "1"),
        ("severity", "3"),
        ("active", "true"),
        ("approval", "not requested"),
        ("upon_approval", "proceed"),
        ("upon_reject", "cancel"),
        ("escalation", "0"),
        ("notify", "1"),
        ("made_sla", "true"),
        ("category", "inquiry"),
        ("contact_type", "phone"),
        ("reassignment_count", "0"),
        ("reopen_count", "0"),
        ("child_incidents", "0"),
        ("sys_class_name", "incident"),
        ("sys_mod_count", "0"),
        ("sys_domain_path", "/"),
        ("caller_id", ""),
        ("assigned_to", ""),
        ("sys_created_by", DEMO_USERNAME),
        ("sys_updated_by", DEMO_USERNAME),
        ("short_description", "Unable to connect to office wifi"),
        ("description", "From Finout"),
    ] {
        assert_eq!(record[key], value, "{key}");
    }
    assert!(record.get("not_a_field").is_none());
    assert_eq!(
        record["opened_by"],
        json!({"link": format!("{}/api/now/table/sys_user/{INTEGRATION_USER}", sim.base_url()), "value": INTEGRATION_USER})
    );
    assert_eq!(record["sys_domain"]["value"], "global");
    assert_eq!(record["assignment_group"]["value"], CLOUD_FINOPS);
    let opened = record["opened_at"].as_str().unwrap_or("");
    assert!(is_timestamp(opened), "{opened}");
    assert_eq!(record["sys_created_on"], record["opened_at"]);
    // Every incident and task column comes back.
    let dictionary = rows(
        &sim,
        &t,
        "/api/now/table/sys_dictionary?sysparm_query=nameINincident%2Ctask%5EelementISNOTEMPTY&sysparm_fields=element&sysparm_limit=1000",
    )
    .await;
    let columns: HashSet<String> = names(&dictionary, "element").into_iter().collect();
    let keys: HashSet<String> = record
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    assert_eq!(keys, columns);
    // Readable by sys_id and by query; numbers go up.
    let back = get(&sim, &t, &format!("/api/now/table/incident/{sys_id}")).await;
    assert_eq!(back.json()["result"], record);
    let q = rows(
        &sim,
        &t,
        "/api/now/table/incident?sysparm_query=number%3DINC0010001&sysparm_fields=sys_id",
    )
    .await;
    assert_eq!(q, vec![json!({"sys_id": sys_id})]);
    let second = post_incident(
        &sim,
        &t,
        "?sysparm_fields=number",
        &json!({"short_description": "second"}),
    )
    .await;
    assert_eq!(second.json()["result"], json!({"number": "INC0010002"}));
    assert_eq!(sim.incident_count(), 7);
}

/// Send a hand-written HTTP/1.1 request (reqwest always adds `Accept: */*`); returns the
/// status code and the body.
async fn raw_http(sim: &Simulator, request: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = sim.base_url().trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut raw))
        .await
        .expect("answer in time")
        .expect("read");
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

#[tokio::test]
async fn priority_follows_impact_and_urgency() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let cases = [
        ("1", "1", "1"),
        ("1", "2", "2"),
        ("2", "1", "2"),
        ("1", "3", "3"),
        ("2", "2", "3"),
        ("3", "1", "3"),
        ("2", "3", "4"),
        ("3", "2", "4"),
        ("3", "3", "5"),
    ];
    for (impact, urgency, priority) in cases {
        let a = post_incident(
            &sim,
            &t,
            "?sysparm_fields=priority,impact,urgency",
            &json!({"short_description": "p", "impact": impact, "urgency": urgency, "priority": "1"}),
        )
        .await;
        assert_eq!(
            a.json()["result"],
            json!({"priority": priority, "impact": impact, "urgency": urgency}),
            "impact {impact} urgency {urgency}"
        );
    }
    // Numbers are accepted and stored as strings; defaults give 3/3 → 5.
    let a = post_incident(
        &sim,
        &t,
        "?sysparm_fields=priority,impact",
        &json!({"impact": 1}),
    )
    .await;
    assert_eq!(a.json()["result"], json!({"priority": "3", "impact": "1"}));
    let a = post_incident(&sim, &t, "?sysparm_fields=priority", &json!({})).await;
    assert_eq!(a.json()["result"], json!({"priority": "5"}));
}

#[tokio::test]
async fn post_references_by_display_value_and_display_modes() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let a = post_incident(
        &sim,
        &t,
        "?sysparm_fields=assignment_group,category&sysparm_display_value=true&sysparm_exclude_reference_link=true&sysparm_input_display_value=true",
        &json!({"assignment_group": "Cloud FinOps", "category": "Software"}),
    )
    .await;
    assert_eq!(
        a.json()["result"],
        json!({"assignment_group": "Cloud FinOps", "category": "Software"})
    );
}

#[tokio::test]
async fn post_needs_accept_and_content_type_and_json() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let url = format!("{}/api/now/table/incident", sim.base_url());
    let body = json!({"short_description": "x"}).to_string();
    let body_len = body.len();
    let no_accept = raw_http(
        &sim,
        &format!(
            "POST /api/now/table/incident HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {t}\r\n\
             Content-Type: application/json\r\nContent-Length: {body_len}\r\nConnection: close\r\n\r\n{body}"
        ),
    )
    .await;
    assert_eq!(no_accept.0, 400, "{}", no_accept.1);
    let missing: Value = serde_json::from_str(&no_accept.1).expect("JSON envelope");
    assert_eq!(missing["status"], "failure");
    let with_accept = raw_http(
        &sim,
        &format!(
            "POST /api/now/table/incident HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {t}\r\n\
             Accept: application/json\r\nContent-Type: application/json\r\nContent-Length: {body_len}\r\n\
             Connection: close\r\n\r\n{body}"
        ),
    )
    .await;
    assert_eq!(with_accept.0, 201, "the raw request itself is well formed");
    assert_eq!(sim.incident_count(), 6);
    let no_type = client()
        .post(&url)
        .bearer_auth(&t)
        .header("Accept", "application/json")
        .body(body.clone())
        .send()
        .await
        .expect("POST");
    let a = answer(no_type).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json()["status"], "failure");
    let bad_json = client()
        .post(&url)
        .bearer_auth(&t)
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("POST");
    assert_eq!(bad_json.status(), StatusCode::BAD_REQUEST);
    assert_eq!(sim.incident_count(), 6, "nothing more was created");
    let no_token = client()
        .post(&url)
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .expect("POST");
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn insert_denied_is_403_operation_failed() {
    let sim = start(deny(&["incident.create"])).await;
    let t = token(&sim).await;
    let a = post_incident(&sim, &t, "", &json!({"short_description": "x"})).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        a.body,
        r#"{"error":{"message":"Operation Failed","detail":"ACL Exception Insert Failed due to security constraints"},"status":"failure"}"#
    );
    assert_eq!(sim.incident_count(), 5);
    // Reads still work.
    assert_eq!(rows(&sim, &t, "/api/now/table/incident").await.len(), 5);
}

#[tokio::test]
async fn x_no_response_body_suppresses_the_body() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let r = client()
        .post(format!("{}/api/now/table/incident", sim.base_url()))
        .bearer_auth(&t)
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .header("X-no-response-body", "true")
        .body(json!({"short_description": "quiet"}).to_string())
        .send()
        .await
        .expect("POST");
    let a = answer(r).await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert!(a.body.is_empty());
    assert!(a.header("location").is_some());
    assert_eq!(sim.incident_count(), 6);
}

// ---------------------------------------------------------------- server

#[tokio::test]
async fn tls_with_the_generated_ca() {
    let sim = start(SimOptions {
        tls: true,
        ..SimOptions::default()
    })
    .await;
    assert!(sim.base_url().starts_with("https://127.0.0.1:"));
    let ca_path = sim.ca_cert_path().expect("CA file").to_path_buf();
    let pem = std::fs::read(&ca_path).expect("CA readable");
    assert!(pem.starts_with(b"-----BEGIN CERTIFICATE-----"));
    crypto();
    let trusting = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).expect("PEM")])
        .build()
        .expect("client");
    let r = trusting
        .post(format!("{}/oauth_token.do", sim.base_url()))
        .form(&password_form())
        .send()
        .await
        .expect("TLS request with the CA");
    assert_eq!(r.status(), StatusCode::OK);
    let localhost = sim.base_url().replace("127.0.0.1", "localhost");
    let r = trusting
        .get(format!("{localhost}/api/now/table/incident"))
        .send()
        .await
        .expect("TLS by name");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // A client that trusts another CA (another simulator's) must fail the handshake.
    let other = start(SimOptions {
        tls: true,
        ..SimOptions::default()
    })
    .await;
    let other_pem = std::fs::read(other.ca_cert_path().expect("CA")).expect("read");
    let stranger = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&other_pem).expect("PEM")])
        .build()
        .expect("client");
    let err = stranger
        .get(format!("{}/api/now/table/incident", sim.base_url()))
        .send()
        .await
        .expect_err("untrusted certificate must fail");
    assert!(err.is_connect() || err.is_request(), "{err:?}");
    // The CA file lives as long as the simulator.
    drop(sim);
    assert!(!ca_path.exists());
}

#[tokio::test]
async fn non_loopback_addresses_are_refused_without_public() {
    for listen in ["0.0.0.0:0", "192.0.2.10:8080", "[::]:0"] {
        let err = Simulator::start(SimOptions {
            listen: listen.into(),
            ..SimOptions::default()
        })
        .await
        .expect_err("refused");
        assert!(
            matches!(err, SimError::NotLoopback { .. }),
            "{listen}: {err}"
        );
        assert!(err.to_string().contains("--public"));
    }
    let err = Simulator::start(SimOptions {
        listen: "nonsense".into(),
        ..SimOptions::default()
    })
    .await
    .expect_err("refused");
    assert!(matches!(err, SimError::BadListen { .. }));
    // IPv6 loopback is fine.
    if let Ok(sim) = Simulator::start(SimOptions {
        listen: "[::1]:0".into(),
        ..SimOptions::default()
    })
    .await
    {
        assert!(sim.base_url().starts_with("http://[::1]:"));
        assert_eq!(
            post_form(&sim, &password_form()).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn counters_and_shutdown() {
    let sim = default_sim().await;
    assert_eq!((sim.request_count(), sim.bytes_sent()), (0, 0));
    let t = token(&sim).await;
    let a = get(&sim, &t, "/api/now/table/incident?sysparm_limit=1").await;
    assert_eq!(sim.request_count(), 2);
    assert!(sim.bytes_sent() >= a.body.len() as u64);
    let base = sim.base_url().to_string();
    sim.shutdown().await;
    let after = client()
        .get(format!("{base}/api/now/table/incident"))
        .send()
        .await;
    assert!(after.is_err(), "still serving after shutdown");
}

#[tokio::test]
async fn non_api_paths() {
    let sim = default_sim().await;
    let r = client()
        .get(format!("{}/api/now/stats/incident", sim.base_url()))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = client()
        .get(format!("{}/nav_to.do", sim.base_url()))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let t = token(&sim).await;
    // A record answers GET, PATCH, PUT and DELETE; POST belongs to the collection.
    let r = client()
        .post(format!("{}/api/now/table/incident/{INC3}", sim.base_url()))
        .bearer_auth(&t)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(sim.incident_count(), 5);
}

// ---------------------------------------------------------------- the command

fn spawn_simulator(args: &[&str]) -> (std::process::Child, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("sim.log");
    let child = crate::support::bin::command(dir.path())
        .arg("--log-file")
        .arg(&log)
        .arg("simulator")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn snow-connect");
    (child, dir)
}

/// Read stdout lines until `count` arrived or the time is up.
fn read_lines(child: &mut std::process::Child, count: usize) -> Vec<String> {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let reader = std::io::BufReader::new(stdout);
        // Keep draining after the receiver is gone, like a reader that ignores the rest.
        for line in reader.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines = Vec::new();
    while lines.len() < count {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => lines.push(line),
            Err(_) => break,
        }
    }
    lines
}

#[tokio::test]
async fn simulator_command_prints_the_base_url_first_then_credentials() {
    let (mut child, dir) = spawn_simulator(&["--tls", "--username", "svc.test"]);
    let lines = read_lines(&mut child, 6);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(lines.len(), 6, "{lines:?}");
    let first = &lines[0];
    let port = first
        .strip_prefix("https://127.0.0.1:")
        .expect("base URL first");
    assert!(port.parse::<u16>().is_ok(), "{first}");
    assert_eq!(lines[1], format!("client_id {DEMO_CLIENT_ID}"));
    assert_eq!(lines[2], format!("client_secret {DEMO_CLIENT_SECRET}"));
    assert_eq!(lines[3], "username svc.test");
    assert_eq!(lines[4], format!("password {DEMO_PASSWORD}"));
    assert!(
        lines[5].starts_with("ca_cert /") && lines[5].ends_with(".pem"),
        "{}",
        lines[5]
    );
    drop(dir);
}

#[tokio::test]
async fn simulator_command_serves_and_stops_on_sigterm() {
    let (mut child, _dir) = spawn_simulator(&[]);
    let lines = read_lines(&mut child, 1);
    let base = lines.first().cloned().unwrap_or_default();
    assert!(base.starts_with("http://127.0.0.1:"), "{lines:?}");
    let sim_like = client()
        .post(format!("{base}/oauth_token.do"))
        .form(&password_form())
        .send()
        .await
        .expect("token from the command's simulator");
    assert_eq!(sim_like.status(), StatusCode::OK);
    let pid = child.id() as libc::pid_t;
    // SAFETY: kill(2) on the child we spawned; no memory is shared.
    let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(sent, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.and_then(|s| s.code()), Some(0));
}

#[tokio::test]
async fn simulator_command_rejects_bad_flags_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (args, expected) in [
        (
            vec!["--deny", "sys_dictonary"],
            "did you mean \"sys_dictionary\"",
        ),
        (vec!["--deny", "nothing_like_it"], "unknown ACL"),
        (vec!["--listen", "0.0.0.0:0"], "--public"),
        (vec!["--token-ttl", "0"], "--token-ttl"),
        (vec!["--field-denial", "sometimes"], "invalid value"),
    ] {
        // Bounded: a flag that were accepted would start a simulator that never exits.
        let run = crate::support::bin::tokio_command(dir.path())
            .arg("--log-file")
            .arg(dir.path().join("sim.log"))
            .arg("simulator")
            .args(&args)
            .output();
        let out = tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .unwrap_or_else(|_| panic!("{args:?}: still running after 30 s"))
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

// ---------------------------------------------------------------- writes

const NO_RECORD_BODY: &str = r#"{"error":{"message":"No Record found","detail":"Record doesn't exist or ACL restricts the record retrieval"},"status":"failure"}"#;
const UPDATE_DENIED_BODY: &str = r#"{"error":{"message":"Operation Failed","detail":"ACL Exception Update Failed due to security constraints"},"status":"failure"}"#;
const DELETE_DENIED_BODY: &str = r#"{"error":{"message":"Operation Failed","detail":"ACL Exception Delete Failed due to security constraints"},"status":"failure"}"#;

/// PATCH, PUT or DELETE with the usual headers (DELETE sends no body).
async fn write(
    sim: &Simulator,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Answer {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = client()
        .request(method, format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .header("Accept", "application/json");
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    answer(request.send().await.expect("write request")).await
}

#[tokio::test]
async fn patch_put_and_delete_in_every_url_form_stay_consistent() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let path = format!("/api/now/table/incident/{INC3}");
    let before = get(&sim, &t, &path).await.json()["result"].clone();
    assert_eq!(before["priority"], "2");
    let a = write(
        &sim,
        &t,
        "PATCH",
        &path,
        Some(&json!({"urgency": "3", "short_description": "patched once",
            "sys_created_by": "mallory", "calendar_stc": "99", "not_a_field": "x"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.header("content-type"), Some(JSON_TYPE));
    let patched = a.json()["result"].clone();
    assert_eq!(patched["short_description"], "patched once");
    assert_eq!(patched["urgency"], "3");
    assert_eq!(
        patched["priority"], "4",
        "impact 2 and urgency 3 give priority 4"
    );
    assert_eq!(patched["sys_mod_count"], "1");
    assert_eq!(patched["sys_updated_by"], DEMO_USERNAME);
    assert_eq!(
        patched["sys_created_by"], before["sys_created_by"],
        "sys_ fields are the platform's"
    );
    assert_eq!(
        patched["calendar_stc"], before["calendar_stc"],
        "read-only in the dictionary"
    );
    assert!(is_timestamp(
        patched["sys_updated_on"].as_str().unwrap_or("")
    ));
    // The answer has the shape of GET, and GET and queries see the change.
    let read = get(&sim, &t, &path).await.json()["result"].clone();
    assert_eq!(read, patched);
    let found = rows(&sim, &t, "/api/now/table/incident?sysparm_fields=number&sysparm_query=short_description%3Dpatched%20once").await;
    assert_eq!(names(&found, "number"), vec!["INC0000003"]);
    // PUT on v1, PATCH on v2, with sysparm_fields.
    let a = write(
        &sim,
        &t,
        "PUT",
        &format!("/api/now/v1/table/incident/{INC3}?sysparm_fields=impact,priority,sys_mod_count"),
        Some(&json!({"impact": "1"})),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(
        a.json(),
        json!({"result": {"impact": "1", "priority": "3", "sys_mod_count": "2"}})
    );
    let a = write(
        &sim,
        &t,
        "PATCH",
        &format!("/api/now/v2/table/incident/{INC3}?sysparm_fields=state,incident_state,active"),
        Some(&json!({"state": "7"})),
    )
    .await;
    assert_eq!(
        a.json(),
        json!({"result": {"state": "7", "incident_state": "7", "active": "false"}}),
        "the business rules run on updates too"
    );
    // DELETE: 204 without a body, then 404 everywhere and one row fewer.
    let a = write(
        &sim,
        &t,
        "DELETE",
        &format!("/api/now/v2/table/incident/{INC3}"),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert!(a.body.is_empty());
    assert_eq!(sim.incident_count(), 4);
    let gone = get(&sim, &t, &path).await;
    assert_eq!(
        (gone.status, gone.body.as_str()),
        (StatusCode::NOT_FOUND, NO_RECORD_BODY)
    );
    let list = get(&sim, &t, "/api/now/table/incident?sysparm_fields=number").await;
    assert_eq!(list.header("x-total-count"), Some("4"));
    assert!(
        !names(
            &list.json()["result"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
            "number"
        )
        .contains(&"INC0000003".to_string())
    );
    for (method, url) in [
        ("DELETE", format!("/api/now/table/incident/{INC3}")),
        ("DELETE", format!("/api/now/v1/table/incident/{INC3}")),
        ("PATCH", format!("/api/now/table/incident/{INC3}")),
        (
            "PUT",
            "/api/now/v2/table/incident/0123456789abcdef0123456789abcdef".to_string(),
        ),
    ] {
        let body = (method != "DELETE").then(|| json!({"urgency": "1"}));
        let a = write(&sim, &t, method, &url, body.as_ref()).await;
        assert_eq!(
            (a.status, a.body.as_str()),
            (StatusCode::NOT_FOUND, NO_RECORD_BODY),
            "{method} {url}"
        );
    }
    let bad = write(
        &sim,
        &t,
        "PATCH",
        &format!("/api/now/table/not_a_table/{INC3}"),
        Some(&json!({})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // A created record can be changed and deleted like a seeded one.
    let created = post_incident(&sim, &t, "", &json!({"short_description": "new"}))
        .await
        .json();
    let id = created["result"]["sys_id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let a = write(
        &sim,
        &t,
        "PATCH",
        &format!("/api/now/table/incident/{id}"),
        Some(&json!({"short_description": "newer"})),
    )
    .await;
    assert_eq!(a.json()["result"]["short_description"], "newer");
    let a = write(
        &sim,
        &t,
        "DELETE",
        &format!("/api/now/table/incident/{id}"),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert_eq!(sim.incident_count(), 4);
}

#[tokio::test]
async fn writes_need_accept_and_content_type_like_post() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let body = r#"{"urgency":"1"}"#;
    let len = body.len();
    let request = |method: &str, headers: &str, with_body: bool| {
        let payload = if with_body { body } else { "" };
        let length = if with_body { len } else { 0 };
        format!(
            "{method} /api/now/table/incident/{INC3} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {t}\r\n\
             {headers}Content-Length: {length}\r\nConnection: close\r\n\r\n{payload}"
        )
    };
    for method in ["PATCH", "PUT"] {
        let (status, text) = raw_http(
            &sim,
            &request(method, "Content-Type: application/json\r\n", true),
        )
        .await;
        assert_eq!(status, 400, "{method} without Accept: {text}");
        let (status, _) =
            raw_http(&sim, &request(method, "Accept: application/json\r\n", true)).await;
        assert_eq!(status, 400, "{method} without Content-Type");
        let (status, _) = raw_http(
            &sim,
            &request(
                method,
                "Accept: application/json\r\nContent-Type: text/plain\r\n",
                true,
            ),
        )
        .await;
        assert_eq!(status, 415, "{method} with a non-JSON body");
        let (status, _) = raw_http(
            &sim,
            &request(
                method,
                "Accept: text/html\r\nContent-Type: application/json\r\n",
                true,
            ),
        )
        .await;
        assert_eq!(status, 406, "{method} asking for HTML");
    }
    let (status, _) = raw_http(&sim, &request("DELETE", "", false)).await;
    assert_eq!(status, 400, "DELETE without Accept");
    let record = get(&sim, &t, &format!("/api/now/table/incident/{INC3}"))
        .await
        .json();
    assert_eq!(record["result"]["urgency"], "1", "nothing changed");
    assert_eq!(record["result"]["sys_mod_count"], "0");
    // The documented DELETE sends Accept only, and that is enough.
    let (status, text) = raw_http(
        &sim,
        &request("DELETE", "Accept: application/json\r\n", false),
    )
    .await;
    assert_eq!((status, text.as_str()), (204, ""));
}

#[tokio::test]
async fn denied_writes_and_deletes_answer_the_acl_bodies() {
    let sim = start(deny(&["incident.write", "incident.delete"])).await;
    let t = token(&sim).await;
    let path = format!("/api/now/table/incident/{INC3}");
    let a = write(&sim, &t, "PATCH", &path, Some(&json!({"urgency": "3"}))).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::FORBIDDEN, UPDATE_DENIED_BODY)
    );
    let a = write(&sim, &t, "PUT", &path, Some(&json!({"urgency": "3"}))).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::FORBIDDEN, UPDATE_DENIED_BODY)
    );
    let a = write(&sim, &t, "DELETE", &path, None).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::FORBIDDEN, DELETE_DENIED_BODY)
    );
    assert_eq!(sim.incident_count(), 5);
    assert_eq!(get(&sim, &t, &path).await.json()["result"]["urgency"], "1");
    // Creating is a separate right and still works.
    let a = post_incident(&sim, &t, "", &json!({"short_description": "still allowed"})).await;
    assert_eq!(a.status, StatusCode::CREATED);
    // The integration user changes incidents only: other tables are read-only to it.
    let sim = default_sim().await;
    let t = token(&sim).await;
    let user = format!("/api/now/table/sys_user/{INTEGRATION_USER}");
    let a = write(&sim, &t, "PATCH", &user, Some(&json!({"name": "x"}))).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::FORBIDDEN, UPDATE_DENIED_BODY)
    );
    let a = write(&sim, &t, "DELETE", &user, None).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::FORBIDDEN, DELETE_DENIED_BODY)
    );
    // Bad ACL names are still refused, and the new ones are known.
    assert!(matches!(
        Simulator::start(deny(&["incident.writ"])).await,
        Err(SimError::UnknownAclDidYouMean { .. })
    ));
}

#[tokio::test]
async fn read_only_fields_can_be_made_writable() {
    let sim = start(SimOptions {
        read_only_writes: ReadOnlyWrites::Allow,
        ..SimOptions::default()
    })
    .await;
    let t = token(&sim).await;
    let a = write(
        &sim,
        &t,
        "PATCH",
        &format!("/api/now/table/incident/{INC3}?sysparm_fields=calendar_stc"),
        Some(&json!({"calendar_stc": "99"})),
    )
    .await;
    assert_eq!(a.json(), json!({"result": {"calendar_stc": "99"}}));
}

#[tokio::test]
async fn post_keeps_a_supplied_sys_id_and_refuses_a_taken_one() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let mine = "0123456789abcdef0123456789abcdef";
    let a = post_incident(
        &sim,
        &t,
        "",
        &json!({"sys_id": mine, "short_description": "idempotent"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.json()["result"]["sys_id"], mine);
    let location = format!("{}/api/now/table/incident/{mine}", sim.base_url());
    assert_eq!(a.header("location"), Some(location.as_str()));
    assert_eq!(
        get(&sim, &t, &format!("/api/now/table/incident/{mine}"))
            .await
            .status,
        StatusCode::OK
    );
    let again = post_incident(
        &sim,
        &t,
        "",
        &json!({"sys_id": mine, "short_description": "twice"}),
    )
    .await;
    assert_eq!(
        (again.status, again.body.as_str()),
        (
            StatusCode::FORBIDDEN,
            r#"{"error":{"message":"Operation Failed","detail":"Error during insert of incident (INC0010002)"},"status":"failure"}"#
        )
    );
    let seeded = post_incident(&sim, &t, "", &json!({"sys_id": INC3})).await;
    assert_eq!(seeded.status, StatusCode::FORBIDDEN);
    assert_eq!(sim.incident_count(), 6);
    // Not a sys_id: the platform makes one.
    let a = post_incident(
        &sim,
        &t,
        "",
        &json!({"sys_id": "short", "short_description": "x"}),
    )
    .await;
    let given = a.json()["result"]["sys_id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(given.len() == 32 && given != "short");
    // The switch: a taken sys_id gets a fresh one instead.
    let sim = start(SimOptions {
        taken_sys_id: TakenSysId::NewSysId,
        ..SimOptions::default()
    })
    .await;
    let t = token(&sim).await;
    let a = post_incident(
        &sim,
        &t,
        "",
        &json!({"sys_id": INC3, "short_description": "x"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_ne!(a.json()["result"]["sys_id"], INC3);
}

// ---------------------------------------------------------------- Basic auth and lockout

async fn basic_get(sim: &Simulator, user: &str, password: &str) -> Answer {
    let r = client()
        .get(format!(
            "{}/api/now/table/incident?sysparm_limit=1",
            sim.base_url()
        ))
        .basic_auth(user, Some(password))
        .header("Accept", "application/json")
        .send()
        .await
        .expect("GET");
    answer(r).await
}

fn wrong_password_form() -> Vec<(&'static str, &'static str)> {
    let mut form = password_form();
    form[4] = ("password", "not-the-password");
    form
}

#[tokio::test]
async fn basic_auth_works_by_default_and_bearer_only_refuses_it() {
    let sim = default_sim().await;
    let ok = basic_get(&sim, DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json()["result"].as_array().map(Vec::len), Some(1));
    assert_eq!(ok.header("x-is-logged-in"), Some("true"));
    for (user, password) in [(DEMO_USERNAME, "wrong"), ("someone.else", DEMO_PASSWORD)] {
        let bad = basic_get(&sim, user, password).await;
        assert_eq!(
            (bad.status, bad.body.as_str()),
            (StatusCode::UNAUTHORIZED, AUTH_401_DETAIL_FIRST)
        );
        assert_eq!(
            bad.header("www-authenticate"),
            Some("BASIC realm=\"Service-now\"")
        );
    }
    // Basic writes too, as `curl -u` would.
    let r = client()
        .patch(format!("{}/api/now/table/incident/{INC3}", sim.base_url()))
        .basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD))
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body(r#"{"urgency":"2"}"#)
        .send()
        .await
        .expect("PATCH");
    assert_eq!(r.status(), StatusCode::OK);
    let stats = sim.login_stats();
    assert_eq!(
        (stats.basic_attempts, stats.failed_logins, stats.locked_out),
        (4, 1, false)
    );
    let sim = start(SimOptions {
        bearer_only: true,
        ..SimOptions::default()
    })
    .await;
    let refused = basic_get(&sim, DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(
        (refused.status, refused.body.as_str()),
        (StatusCode::UNAUTHORIZED, AUTH_401_DETAIL_FIRST)
    );
    assert_eq!(
        sim.login_stats().failed_logins,
        0,
        "refused before the password is checked"
    );
    let t = token(&sim).await;
    assert_eq!(
        get(&sim, &t, "/api/now/table/incident?sysparm_limit=1")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn lockout_counts_password_grants_and_basic_together() {
    let sim = start(SimOptions {
        lockout_after: Some(3),
        ..SimOptions::default()
    })
    .await;
    // Two failures, then a success resets the count.
    assert_eq!(
        post_form(&sim, &wrong_password_form()).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        basic_get(&sim, DEMO_USERNAME, "wrong").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(sim.login_stats().failed_in_a_row, 2);
    let early = token(&sim).await;
    assert_eq!(sim.login_stats().failed_in_a_row, 0);
    // Three in a row lock the user.
    let a = post_form(&sim, &wrong_password_form()).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::UNAUTHORIZED, TOKEN_FAILURE)
    );
    assert_eq!(
        basic_get(&sim, DEMO_USERNAME, "wrong").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post_form(&sim, &wrong_password_form()).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(sim.login_stats().locked_out);
    // Once locked, the right password gets the same answers a wrong one does.
    let a = post_form(&sim, &password_form()).await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (StatusCode::UNAUTHORIZED, TOKEN_FAILURE)
    );
    let b = basic_get(&sim, DEMO_USERNAME, DEMO_PASSWORD).await;
    assert_eq!(
        (b.status, b.body.as_str()),
        (StatusCode::UNAUTHORIZED, AUTH_401_DETAIL_FIRST)
    );
    assert_eq!(
        sim.login_stats(),
        LoginStats {
            password_grants: 5,
            basic_attempts: 3,
            failed_logins: 7,
            failed_in_a_row: 5,
            locked_out: true,
        }
    );
    assert_eq!(sim.password_grant_count(), 5);
    // A token issued before the lockout keeps working until it expires.
    assert_eq!(
        get(&sim, &early, "/api/now/table/incident?sysparm_limit=1")
            .await
            .status,
        StatusCode::OK
    );
    // Off by default: any number of failures, then the right password works.
    let sim = default_sim().await;
    for _ in 0..10 {
        assert_eq!(
            post_form(&sim, &wrong_password_form()).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        post_form(&sim, &password_form()).await.status,
        StatusCode::OK
    );
    assert_eq!(sim.password_grant_count(), 11);
    assert!(!sim.login_stats().locked_out);
}

// ---------------------------------------------------------------- the query language

#[tokio::test]
async fn the_whole_encoded_query_language() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let numbers = |q: &str| {
        let path = format!(
            "/api/now/table/incident?sysparm_fields=number&sysparm_query={}",
            urlencode(q)
        );
        let sim = &sim;
        let t = &t;
        async move { names(&rows(sim, t, &path).await, "number") }
    };
    let n = |v: &[u8]| {
        v.iter()
            .map(|i| format!("INC000000{i}"))
            .collect::<Vec<_>>()
    };
    let cases: &[(&str, &[u8])] = &[
        // Numbers compare as numbers.
        ("priorityBETWEEN2@4^ORDERBYnumber", &[1, 3, 4]),
        ("priority<3", &[2, 3]),
        ("priority>=4", &[4, 5]),
        ("priority<=1.0", &[2]),
        ("priority=2.0", &[3]),
        // Date-times compare as date-times, literals and script helpers alike.
        (
            "opened_atBETWEEN2024-03-05 00:00:00@2024-03-06 23:59:59",
            &[2, 3],
        ),
        (
            "opened_atBETWEENjavascript:gs.dateGenerate('2024-03-05','00:00:00')@javascript:gs.dateGenerate('2024-03-07','23:59:59')",
            &[2, 3, 4],
        ),
        ("opened_at>2024-03-07", &[4, 5]),
        (
            "opened_at<=javascript:gs.dateGenerate('2024-03-05','end')",
            &[1, 2],
        ),
        (
            "opened_atONMarch 6@javascript:gs.dateGenerate('2024-03-06','start')@javascript:gs.dateGenerate('2024-03-06','end')",
            &[3],
        ),
        (
            "opened_atNOTONMarch 6@2024-03-06@2024-03-06^ORDERBYnumber",
            &[1, 2, 4, 5],
        ),
        ("opened_atRELATIVELT@day@ago@30", &[1, 2, 3, 4, 5]),
        ("opened_atRELATIVEGT@day@ago@30", &[]),
        ("ORDERBYDESCopened_at", &[5, 4, 3, 2, 1]),
        // Field against field.
        ("impactSAMEASurgency", &[1, 2, 5]),
        ("impactNSAMEASurgency", &[3, 4]),
        ("impactGT_FIELDurgency", &[3, 4]),
        ("impactLT_FIELDurgency", &[]),
        ("impactGT_OR_EQUALS_FIELDurgency", &[1, 2, 3, 4, 5]),
        ("impactLT_OR_EQUALS_FIELDurgency", &[1, 2, 5]),
        ("opened_atSAMEASopened_at@day", &[1, 2, 3, 4, 5]),
        // Strings, shorthands and new queries.
        ("short_descriptionNOT LIKEe^NQpriority=1", &[2]),
        ("short_description*keyboard", &[5]),
        ("short_description!*a", &[]),
        ("short_description%failing", &[4]),
        ("short_descriptionENDSWITHISSUE", &[2]),
        ("hold_reasonEMPTYSTRING^priority=5", &[5]),
        ("hold_reasonANYTHING^priority=5", &[5]),
        // A reference's string operators read its display value; dot-walking works in
        // every operator.
        ("caller_idSTARTSWITHabel", &[1, 4]),
        ("caller_idLIKEluddy", &[5]),
        ("caller_id.nameBETWEENb@e", &[2, 3]),
        ("caller_id.nameENDSWITHloo", &[2]),
        ("caller_id.nameSAMEAScaller_id.name", &[1, 2, 3, 4, 5]),
        ("caller_id.user_nameINabel.tuter,fred.luddy", &[1, 4, 5]),
        ("caller_id.user_nameNOT INabel.tuter,fred.luddy", &[2, 3]),
        ("caller_id.nameISNOTEMPTY^caller_id.name>E", &[5]),
    ];
    for (query, expected) in cases {
        assert_eq!(numbers(query).await, n(expected), "{query}");
    }
}

#[tokio::test]
async fn unknown_operators_follow_the_invalid_query_switch_and_unsupported_ones_are_refused() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let url = |q: &str| {
        format!(
            "/api/now/table/incident?sysparm_fields=number&sysparm_query={}",
            urlencode(q)
        )
    };
    // The platform drops the piece it cannot read and runs the rest.
    assert_eq!(
        rows(&sim, &t, &url("priorityFOO3^priority=1")).await.len(),
        1
    );
    assert_eq!(rows(&sim, &t, &url("priorityFOO3")).await.len(), 5);
    let a = get(
        &sim,
        &t,
        &url("sla_dueDATEPARTMonday@javascript:gs.datePart('dayofweek','monday','EE')"),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json()["error"]["message"], "Unsupported query operator");
    assert!(a.body.contains("DATEPART"), "{}", a.body);
    // glide.invalid_query.returns_no_rows=true.
    let sim = start(SimOptions {
        unknown_query_field: UnknownQueryField::NoRows,
        ..SimOptions::default()
    })
    .await;
    let t = token(&sim).await;
    assert_eq!(rows(&sim, &t, &url("priorityFOO3")).await.len(), 0);
}

// ---------------------------------------------------------------- content negotiation

async fn get_accept(sim: &Simulator, token: &str, path: &str, accept: &str) -> Answer {
    let r = client()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .header("Accept", accept)
        .send()
        .await
        .expect("GET");
    answer(r).await
}

const XML_TYPE: &str = "application/xml;charset=UTF-8";
const PROLOG: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

#[tokio::test]
async fn accept_xml_gets_the_platform_xml_shape() {
    let sim = default_sim().await;
    let t = token(&sim).await;
    let list = get_accept(
        &sim,
        &t,
        "/api/now/table/incident?sysparm_fields=number,assigned_to&sysparm_query=priority%3C3%5EORDERBYnumber",
        "application/xml",
    )
    .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.header("content-type"), Some(XML_TYPE));
    assert_eq!(list.header("x-total-count"), Some("2"));
    assert_eq!(
        list.body,
        format!(
            "{PROLOG}<response><result><number>INC0000002</number><assigned_to/></result><result><number>INC0000003</number><assigned_to/></result></response>"
        )
    );
    let one = get_accept(
        &sim,
        &t,
        &format!("/api/now/table/incident/{INC3}?sysparm_fields=number,assignment_group,short_description"),
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    )
    .await;
    let link = format!(
        "{}/api/now/table/sys_user_group/{CLOUD_FINOPS}",
        sim.base_url()
    );
    assert_eq!(
        one.body,
        format!(
            "{PROLOG}<response><result><number>INC0000003</number><assignment_group><link>{link}</link><value>{CLOUD_FINOPS}</value></assignment_group><short_description>AWS spend anomaly in eu-west-1</short_description></result></response>"
        ),
        "a browser gets XML"
    );
    let all = get_accept(
        &sim,
        &t,
        &format!(
            "/api/now/table/incident/{INC3}?sysparm_fields=priority&sysparm_display_value=all"
        ),
        "application/xml",
    )
    .await;
    assert_eq!(
        all.body,
        format!(
            "{PROLOG}<response><result><priority><display_value>2 - High</display_value><value>2</value></priority></result></response>"
        )
    );
    let missing = get_accept(
        &sim,
        &t,
        "/api/now/table/incident/0123456789abcdef0123456789abcdef",
        "application/xml",
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.header("content-type"), Some(XML_TYPE));
    assert_eq!(
        missing.body,
        format!(
            "{PROLOG}<response><error><detail>Record doesn&apos;t exist or ACL restricts the record retrieval</detail><message>No Record found</message></error><status>failure</status></response>"
        )
    );
    // Escaping: a value with markup in it.
    let r = client()
        .patch(format!(
            "{}/api/now/table/incident/{INC3}?sysparm_fields=short_description",
            sim.base_url()
        ))
        .bearer_auth(&t)
        .header("Accept", "application/xml")
        .header("Content-Type", "application/json")
        .body(r#"{"short_description":"<b>&\"x\""}"#)
        .send()
        .await
        .expect("PATCH");
    let a = answer(r).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        a.body,
        format!(
            "{PROLOG}<response><result><short_description>&lt;b&gt;&amp;&quot;x&quot;</short_description></result></response>"
        )
    );
    let r = client()
        .post(format!(
            "{}/api/now/table/incident?sysparm_fields=number",
            sim.base_url()
        ))
        .bearer_auth(&t)
        .header("Accept", "application/xml")
        .header("Content-Type", "application/json")
        .body(r#"{"short_description":"xml insert"}"#)
        .send()
        .await
        .expect("POST");
    let a = answer(r).await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(
        a.body,
        format!("{PROLOG}<response><result><number>INC0010001</number></result></response>")
    );
    // Unsupported types get 406; JSON stays the default.
    for accept in ["text/html", "text/plain", "application/json;q=0"] {
        let a = get_accept(&sim, &t, "/api/now/table/incident?sysparm_limit=1", accept).await;
        assert_eq!(a.status, StatusCode::NOT_ACCEPTABLE, "{accept}");
    }
    for accept in [
        "*/*",
        "application/json",
        "application/xml;q=0.5, application/json",
    ] {
        let a = get_accept(&sim, &t, "/api/now/table/incident?sysparm_limit=1", accept).await;
        assert_eq!(a.header("content-type"), Some(JSON_TYPE), "{accept}");
    }
}

// ---------------------------------------------------------------- a client in another language

#[tokio::test]
async fn python_standard_library_client_flow_against_the_real_binary() {
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output();
    if !python.is_ok_and(|o| o.status.success()) {
        eprintln!(
            "SKIPPED python_standard_library_client_flow_against_the_real_binary: python3 is not installed"
        );
        return;
    }
    let (mut child, _dir) = spawn_simulator(&[]);
    let lines = read_lines(&mut child, 5);
    let base = lines.first().cloned().unwrap_or_default();
    assert!(base.starts_with("http://127.0.0.1:"), "{lines:?}");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/fixtures/simulator_stdlib_client.py"
    );
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new("python3")
            .arg(script)
            .args([
                &base,
                DEMO_CLIENT_ID,
                DEMO_CLIENT_SECRET,
                DEMO_USERNAME,
                DEMO_PASSWORD,
            ])
            .kill_on_drop(true)
            .output(),
    )
    .await;
    let _ = child.kill();
    let _ = child.wait();
    let output = output
        .expect("python finished in time")
        .expect("python ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert_eq!(stdout.trim(), "ok");
}
