//! Hardening (issue 7), the cases the other suites leave open: faults seen through the real
//! `check` binary and through the whole ladder (SSO redirect, HTML 5xx, a Retry-After of
//! centuries, gzip from the simulator, a token that expires mid-ladder), SIGTERM during the
//! wizard in a pseudo-terminal, SIGKILL during config saves, and property tests of the config
//! loader, the server-string sanitiser and reference links.
//!
//! Every test is bounded in time; waits poll a condition, never sleep blindly.

use crate::support::client as client_support;
use crate::support::model::{EndpointExt, endpoint as named_endpoint, field};
use crate::support::pty as pty_support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use client_support::{http_response, raw_server};
use proptest::prelude::*;
use pty_support::{ENTER, TAB, Term, WAIT, contains, drafts};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use snow_connect::config::{
    Config, ConfigError, DraftStore, Endpoint, EndpointField, SaveOptions, SecretRef,
    ServiceNowConfig,
};
use snow_connect::diagnose::{
    CheckId, CheckOptions, CheckStatus, ConnectionInput, Diagnosis, FieldKind,
};
use snow_connect::servicenow::{ClientOptions, FieldValue, ProxyConfig};
use snow_connect::simulator::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, SimOptions, Simulator,
};

// ---------------------------------------------------------------------------------------
// `check` through the binary
// ---------------------------------------------------------------------------------------

/// What one run of the binary left behind.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// `snow-connect check [extra] --instance URL ...` with the demo credentials, bounded.
async fn check_bin(url: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let out = crate::support::bin::tokio_command(dir.path())
        .arg("check")
        .args(extra)
        .args(["--instance", url, "--client-id", DEMO_CLIENT_ID])
        .args(["--username", DEMO_USERNAME, "--log-file"])
        .arg(dir.path().join("check.log"))
        .env("SNOW_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .env("SNOW_PASSWORD", DEMO_PASSWORD)
        .env("NO_COLOR", "1")
        // Wide enough that each check's row stays on one line for `row()`.
        .env("COLUMNS", "400")
        .env("XDG_CONFIG_HOME", dir.path())
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("check finished within 60 s")
        .expect("run the binary");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: started.elapsed(),
    }
}

/// The row of check `id` in the human report, with the lines under it up to the next row.
fn row<'a>(report: &'a str, id: &str) -> &'a str {
    let start = report
        .lines()
        .position(|l| l.split_whitespace().nth(2) == Some(id))
        .unwrap_or_else(|| panic!("no row for {id}:\n{report}"));
    let offset: usize = report.lines().take(start).map(|l| l.len() + 1).sum();
    let rest = &report[offset..];
    let end = rest
        .lines()
        .skip(1)
        .position(|l| !l.starts_with(' ') && !l.is_empty())
        .map_or(rest.len(), |n| {
            rest.lines().take(n + 1).map(|l| l.len() + 1).sum()
        });
    &rest[..end]
}

/// A redirect to an identity provider (an SSO-fronted instance, or a proxy's login) is not
/// followed: `check` names where it was sent, says what to do, and exits 3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_through_a_redirect_to_single_sign_on_exits_3() {
    let sso = "https://login.microsoftonline.com/common/oauth2/authorize?client_id=abc";
    let answer = http_response(
        "302 Found",
        &[("Location", sso), ("Content-Type", "text/html")],
        b"<html><body>Redirecting to sign in</body></html>",
    );
    let (addr, seen) = client_support::canned(answer).await;
    let run = check_bin(&format!("http://{addr}"), &[]).await;
    assert_eq!(run.code, Some(3), "{}\n{}", run.stdout, run.stderr);
    let instance = row(&run.stdout, "instance");
    assert!(instance.contains("✗ Blocked"), "{instance}");
    assert!(instance.contains("login.microsoftonline.com"), "{instance}");
    assert!(
        instance.to_lowercase().contains("sign-on") || instance.contains("SSO"),
        "the row says it is a single sign-on page:\n{instance}"
    );
    assert!(
        row(&run.stdout, "oauth").contains("Skipped"),
        "{}",
        run.stdout
    );
    // One probe, not followed and never sent credentials to the identity provider.
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].starts_with("GET /api/now/table/"), "{seen:?}");
    assert!(!seen[0].to_lowercase().contains("authorization:"));
    assert!(
        run.stdout
            .contains("the instance could not be reached or is unavailable"),
        "{}",
        run.stdout
    );
}

/// A 500/502/503 whose body is an HTML error page (a load balancer, a maintenance page):
/// `check` summarises it in one line (status and page title, no markup) and exits 3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_against_html_server_errors_exits_3_with_the_status_and_title() {
    for (status, title) in [
        ("500 Internal Server Error", "Internal Error"),
        ("502 Bad Gateway", "502 Bad Gateway"),
        ("503 Service Unavailable", "Service Temporarily Unavailable"),
    ] {
        let body = format!(
            "<!DOCTYPE html><html><head><title>{title}</title><script>x()</script></head>\
             <body><h1>{title}</h1><p>\u{1b}[31mnginx</p></body></html>"
        );
        let answer = http_response(
            status,
            &[("Content-Type", "text/html; charset=utf-8")],
            body.as_bytes(),
        );
        let (addr, _) = client_support::canned(answer).await;
        let run = check_bin(&format!("http://{addr}"), &[]).await;
        let code = &status[..3];
        assert_eq!(
            run.code,
            Some(3),
            "{status}\n{}\n{}",
            run.stdout,
            run.stderr
        );
        let instance = row(&run.stdout, "instance");
        // An outage says nothing about the instance check itself: inconclusive, cause unavailable.
        assert!(instance.contains("? Inconclusive"), "{status}: {instance}");
        assert!(instance.contains(code), "{status}: {instance}");
        assert!(instance.contains(title), "{status}: {instance}");
        assert!(!run.stdout.contains("<script>"), "{}", run.stdout);
        assert!(
            !run.stdout.contains('\u{1b}'),
            "escape sequence reached the terminal"
        );
    }
}

/// The instance rate limits with a Retry-After of about 31,700 years: `check` must not wait,
/// must not crash on the date arithmetic, and must say when to retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_with_a_retry_after_of_centuries_finishes_and_says_when_to_retry() {
    let sim = Simulator::start(SimOptions {
        // Enough for the probe and the token; the ACL reads are refused.
        rate_limit: Some(1),
        rate_limit_window: 1_000_000_000_000,
        ..SimOptions::default()
    })
    .await
    .expect("simulator");
    let run = check_bin(sim.base_url(), &[]).await;
    assert!(
        run.took < Duration::from_secs(30),
        "took {:?}: the Retry-After was waited on",
        run.took
    );
    // Rate limited: try again later (exit 4), never "fix it in ServiceNow".
    assert_eq!(run.code, Some(4), "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    // Which probe gets the one allowed request varies; the others are refused.
    let limited: Vec<&str> = [
        "acl:sys_db_object",
        "acl:sys_dictionary",
        "acl:sys_glide_object",
    ]
    .into_iter()
    .map(|id| row(&run.stdout, id))
    .filter(|r| r.contains("HTTP 429"))
    .collect();
    assert!(limited.len() >= 2, "{}", run.stdout);
    for r in limited {
        assert!(r.contains("rate limited; retry after"), "{r}");
    }
    // The cause (printed once, as the headline) says when.
    assert!(
        run.stdout.contains("rate_limited (transient)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Retry after 277777778 hours"),
        "{}",
        run.stdout
    );
    sim.shutdown().await;
}

/// A raw instance whose Table API answers 429 with `retry` as Retry-After.
async fn rate_limited_instance(retry: &'static str) -> SocketAddr {
    client_support::instance_answering(http_response(
        "429 Too Many Requests",
        &[("Content-Type", "application/json"), ("Retry-After", retry)],
        br#"{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 10 requests per hour for Table API exceeded"},"status":"failure"}"#,
    ))
    .await
}

/// Retry-After values no date type can hold, or that are not numbers at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absurd_retry_after_values_never_crash_check() {
    for retry in [
        "18446744073709551615",
        "99999999999999999999999",
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "-5",
    ] {
        let addr = rate_limited_instance(retry).await;
        let run = check_bin(&format!("http://{addr}"), &[]).await;
        assert_eq!(
            run.code,
            Some(4),
            "Retry-After {retry}\n{}\n{}",
            run.stdout,
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert!(run.stdout.contains("HTTP 429"), "{}", run.stdout);
        assert!(
            run.stdout.contains("Retry after") || run.stdout.contains("Retry in"),
            "{}",
            run.stdout
        );
    }
}

// ---------------------------------------------------------------------------------------
// The whole ladder through a tap that records the bytes on the wire
// ---------------------------------------------------------------------------------------

/// Bytes of one relayed connection: client to server, server to client.
type Wire = (Arc<Mutex<Vec<u8>>>, Arc<Mutex<Vec<u8>>>);

/// A TCP relay to `upstream` that keeps a copy of every byte, per connection and direction.
struct Tap {
    addr: SocketAddr,
    conns: Arc<Mutex<Vec<Wire>>>,
}

impl Tap {
    async fn start(upstream: SocketAddr) -> Tap {
        let conns: Arc<Mutex<Vec<Wire>>> = Arc::default();
        let all = conns.clone();
        let addr = raw_server(move |client| {
            let all = all.clone();
            async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let wire: Wire = Default::default();
                all.lock().expect("lock").push(wire.clone());
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                tokio::join!(relay(cr, sw, wire.0), relay(sr, cw, wire.1));
            }
        })
        .await;
        Tap { addr, conns }
    }

    /// Everything one direction carried, connection by connection, as lossy text.
    fn text(&self, to_server: bool) -> Vec<String> {
        self.conns
            .lock()
            .expect("lock")
            .iter()
            .map(|(up, down)| {
                let bytes = if to_server { up } else { down };
                String::from_utf8_lossy(&bytes.lock().expect("lock")).into_owned()
            })
            .collect()
    }

    fn bytes_to_client(&self) -> usize {
        self.conns
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, down)| down.lock().map_or(0, |d| d.len()))
            .sum()
    }
}

async fn relay(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    log: Arc<Mutex<Vec<u8>>>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let _ = to.shutdown().await;
                return;
            }
            Ok(n) => {
                if let Ok(mut l) = log.lock() {
                    l.extend_from_slice(&buf[..n]);
                }
                if to.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn sim_addr(sim: &Simulator) -> SocketAddr {
    sim.base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("simulator address")
}

fn demo_input(url: &str) -> ConnectionInput {
    ConnectionInput {
        instance_url: url.to_string(),
        client_id: DEMO_CLIENT_ID.into(),
        client_secret: SecretString::from(DEMO_CLIENT_SECRET),
        username: DEMO_USERNAME.into(),
        password: SecretString::from(DEMO_PASSWORD),
    }
}

/// The whole ladder with discovery, as the demo user, through a [`Tap`] in front of `sim`.
async fn ladder_through_tap(sim: &Simulator, client: ClientOptions) -> (Diagnosis, Tap) {
    let tap = Tap::start(sim_addr(sim)).await;
    let options = CheckOptions {
        discover_fields: true,
        client: ClientOptions {
            proxy: ProxyConfig::Direct,
            ..client
        },
        ..CheckOptions::default()
    };
    let d = tokio::time::timeout(
        WAIT,
        snow_connect::diagnose::run_checks(
            &demo_input(&format!("http://{}", tap.addr)),
            &options,
            None,
            CancellationToken::new(),
        ),
    )
    .await
    .expect("ladder finished");
    (d, tap)
}

/// How many custom (`u_`) fields the ladder's dictionary holds.
fn custom_fields(d: &Diagnosis) -> usize {
    match &d.dictionary {
        Some(Ok(dict)) => dict
            .fields
            .iter()
            .filter(|f| f.element.starts_with("u_"))
            .count(),
        other => panic!("no dictionary: {other:?}"),
    }
}

fn count(haystacks: &[String], needle: &str) -> usize {
    haystacks.iter().map(|h| h.matches(needle).count()).sum()
}

/// The simulator compresses its answers; the ladder reads the gzip-encoded dictionary pages
/// and finds every field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_ladder_reads_gzip_encoded_answers_from_the_simulator() {
    let sim = Simulator::start(SimOptions {
        extra_fields: 3000,
        ..SimOptions::default()
    })
    .await
    .expect("simulator");
    let (d, tap) = ladder_through_tap(&sim, ClientOptions::default()).await;
    assert!(d.ok(), "{:#?}", d.results);
    assert_eq!(custom_fields(&d), 3000);
    let requests = tap.text(true);
    let answers = tap.text(false);
    assert!(
        count(&requests, "accept-encoding: gzip") > 0,
        "the client asks for gzip"
    );
    let gzipped = answers
        .iter()
        .map(|a| {
            a.to_ascii_lowercase()
                .matches("content-encoding: gzip")
                .count()
        })
        .sum::<usize>();
    assert!(gzipped >= 2, "{gzipped} gzip answers");
    // Decompressed, the answers are several times what crossed the wire.
    let read = d.client.as_ref().map_or(0, |c| c.stats().bytes);
    let wire = tap.bytes_to_client() as u64;
    assert!(read > 3 * wire, "read {read} bytes, {wire} on the wire");
    sim.shutdown().await;
}

/// A token that expires while the ladder runs is renewed with a refresh grant (never a second
/// password grant, which could count toward a lockout) and every check passes.
///
/// How often the 2 s token runs out depends on how long the ladder takes, which depends on the
/// machine's load; so the test asserts what holds at any speed: the ladder outlived the token
/// (the pages alone take longer), one login, at least one refresh, a refresh only after an
/// expiry, and no more refreshes than the time taken allows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_expires_during_the_ladder_is_refreshed_once() {
    const TTL_SECS: u64 = 2;
    let sim = Simulator::start(SimOptions {
        token_ttl: TTL_SECS,
        latency_ms: 400,
        // Seven dictionary pages read one after another at 0.4 s each outlast the token
        // (issued about 0.4 s in, expired 2 s later) on any machine.
        extra_fields: 12_000,
        ..SimOptions::default()
    })
    .await
    .expect("simulator");
    let client = ClientOptions {
        max_concurrent_pages: 1,
        ..ClientOptions::default()
    };
    let started = Instant::now();
    let (d, tap) = ladder_through_tap(&sim, client).await;
    let elapsed = started.elapsed();
    for r in &d.results {
        if r.id != CheckId::IncidentCreate {
            assert_eq!(r.status, CheckStatus::Passed, "{r:#?}");
        }
    }
    assert_eq!(custom_fields(&d), 12_000);
    let requests = tap.text(true);
    let answers = tap.text(false);
    // Dictionary pages are read one after another at 0.4 s each: the token cannot last.
    assert!(
        elapsed > Duration::from_secs(TTL_SECS),
        "the ladder took {elapsed:?}, less than the token's lifetime: nothing was tested"
    );
    assert_eq!(
        count(&requests, "grant_type=password"),
        1,
        "one login, never a second password grant: {requests:?}"
    );
    let refreshes = count(&requests, "grant_type=refresh_token");
    assert!(refreshes >= 1, "the expired token was never renewed");
    // A lifetime below the floor (issue 10) is not believed: the token is used until the API
    // says 401, and only then refreshed. Every refresh follows an expiry (the probe's 401 is
    // not one), and a 2 s token cannot run out more often than the time taken allows.
    let expiries = count(&answers, "HTTP/1.1 401").saturating_sub(1);
    assert!(
        refreshes <= expiries,
        "{refreshes} refreshes for {expiries} expiries: a refresh without a 401"
    );
    let most = elapsed.as_secs().div_ceil(TTL_SECS) as usize;
    assert!(
        refreshes <= most,
        "{refreshes} refreshes in {elapsed:?}: more than one per expired token"
    );
    assert_eq!(
        count(&requests, "POST /oauth_token.do"),
        1 + refreshes,
        "token requests are the login and the refreshes, nothing else"
    );
    sim.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// SIGTERM during the wizard in a pseudo-terminal
// ---------------------------------------------------------------------------------------

const TERM_SECRET: &str = "S3cr3t-CLIENT-zq9";
const TERM_PASSWORD: &str = "S3cr3t-PASS-xk7";

/// SIGTERM (a `kill`, a systemd stop, a closing tmux pane) while an endpoint is being edited:
/// the terminal is given back (raw mode off, main screen, cursor shown, bracketed paste off)
/// and the draft, without secrets, holds what was typed.
#[test]
fn sigterm_during_the_wizard_restores_the_terminal_and_keeps_a_draft() {
    let home = tempfile::tempdir().expect("tempdir");
    let log = home.path().join("wizard.log");
    let log_arg = log.to_string_lossy().into_owned();
    let mut t = Term::start(
        &[
            "--demo",
            "--client-secret",
            TERM_SECRET,
            "--password",
            TERM_PASSWORD,
            "--log-file",
            &log_arg,
        ],
        home.path(),
        &[],
    );
    t.wait_for("Connect Finout to ServiceNow");
    t.wait_cooked(false);
    t.walk_to_the_form();
    t.press_until(TAB, "▸[ Connect ]", 6);
    t.send(ENTER);
    t.wait_for("All required checks passed");
    t.open_new_endpoint();
    t.send(b"Half-typed endpoint");
    t.wait_for("Half-typed endpoint");
    {
        let p = t.parser.lock().expect("parser");
        assert!(p.screen().alternate_screen() && p.screen().bracketed_paste());
    }
    let before = t.raw_len();
    t.signal(libc::SIGTERM);
    let status = t.wait_exit();
    assert_eq!(status.exit_code(), 128 + 15, "{status:?}");
    t.wait_cooked(true);
    t.wait_modes("the terminal restored", |s| {
        !s.alternate_screen() && !s.hide_cursor() && !s.bracketed_paste()
    });
    let tail = t.raw_since(before);
    for (seq, what) in [
        (&b"\x1b[?1049l"[..], "leave the alternate screen"),
        (b"\x1b[?25h", "show the cursor"),
        (b"\x1b[?2004l", "bracketed paste off"),
    ] {
        assert!(contains(&tail, seq), "{what} was not sent after SIGTERM");
    }
    let drafts = drafts(home.path());
    assert_eq!(drafts.len(), 1, "{drafts:?}");
    let draft = std::fs::read_to_string(&drafts[0]).expect("draft");
    assert!(draft.contains("Half-typed endpoint"), "{draft}");
    for secret in [TERM_SECRET, TERM_PASSWORD] {
        assert!(!draft.contains(secret), "a secret is in the draft");
        let logged = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(!logged.contains(secret), "a secret is in the log");
        assert!(
            !contains(&t.raw_since(0), secret.as_bytes()),
            "a secret reached the terminal"
        );
    }
}

// ---------------------------------------------------------------------------------------
// SIGKILL during config saves
// ---------------------------------------------------------------------------------------

const SAVE_LOOP_ENV: &str = "SNOW_CONNECT_TEST_SAVE_LOOP";

fn config_variant(which: char) -> Config {
    let b = which == 'B';
    let mut endpoints = vec![
        named_endpoint("FinOps anomalies")
            .described(&if b { "variant B" } else { "variant A" }.repeat(40))
            .with([field(
                "priority",
                FieldKind::Choice,
                if b { "1" } else { "2" },
            )]),
    ];
    if b {
        endpoints.push(
            named_endpoint("Budget alerts")
                .with((0..10).map(|i| field(&format!("u_extra_{i}"), FieldKind::String, "x"))),
        );
    }
    Config {
        servicenow: ServiceNowConfig {
            instance_url: "https://acme.service-now.com".into(),
            client_id: format!("client-{which}"),
            client_secret: if b {
                SecretRef::Env("SNOW_CLIENT_SECRET".into())
            } else {
                SecretRef::Inline(SecretString::from("secret-a"))
            },
            username: format!("user.{which}"),
            password: SecretRef::Inline(SecretString::from(format!("password-{which}"))),
        },
        endpoints,
    }
}

/// Not a test of its own: the child process of the SIGKILL test, which saves A and B in turn
/// until it is killed. Without the variable it does nothing.
#[test]
#[ignore = "child process of a_config_save_killed_with_sigkill_leaves_a_or_b"]
fn save_loop_child() {
    let Some(path) = std::env::var_os(SAVE_LOOP_ENV) else {
        return;
    };
    let path = PathBuf::from(path);
    let (a, b) = (config_variant('A'), config_variant('B'));
    loop {
        for c in [&a, &b] {
            if let Err(e) = snow_connect::config::save(&path, c, SaveOptions::default()) {
                panic!("save failed: {e}");
            }
        }
    }
}

fn inode(path: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.ino())
}

/// The closest real simulation of a crash during a save: a process saving configs A and B
/// in a tight loop is killed with SIGKILL at random moments. After every kill the file loads
/// and equals A or B exactly (never torn, never empty, never half-edited). A kill between
/// writing the temporary file and renaming it can leave `.config.toml.*.tmp` behind; such a
/// file is never read (loading opens only the config path), which the test proves by filling
/// the leftovers with garbage before loading.
#[test]
fn a_config_save_killed_with_sigkill_leaves_a_or_b() {
    use std::hash::{BuildHasher, RandomState};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    let (a, b) = (config_variant('A'), config_variant('B'));
    snow_connect::config::save(&path, &a, SaveOptions::default()).expect("first save");
    let exe = std::env::current_exe().expect("test binary");
    let random = RandomState::new();
    let mut leftovers = std::collections::HashSet::new();
    let mut saw = (0usize, 0usize);
    for round in 0..30u64 {
        let before = inode(&path);
        let mut child = std::process::Command::new(&exe)
            .args([
                "--exact",
                "hardening::save_loop_child",
                "--ignored",
                "--nocapture",
            ])
            .env(SAVE_LOOP_ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the save loop");
        // Wait until it has replaced the file at least once, then kill it a little later.
        let start = Instant::now();
        while inode(&path) == before {
            assert!(start.elapsed() < WAIT, "the save loop never saved");
            std::thread::sleep(Duration::from_micros(200));
        }
        std::thread::sleep(Duration::from_micros(random.hash_one(round) % 20_000));
        // SAFETY: a signal to our own child.
        let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        assert_eq!(rc, 0);
        let status = child.wait().expect("wait");
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGKILL),
            "round {round}: the loop stopped by itself ({status:?})"
        );

        let text = std::fs::read_to_string(&path).expect("the config is still there");
        let loaded = snow_connect::config::load_str(&text, &path)
            .unwrap_or_else(|e| panic!("round {round}: torn file: {e}\n{text}"));
        if loaded.same_as(&a) {
            saw.0 += 1;
        } else if loaded.same_as(&b) {
            saw.1 += 1;
        } else {
            panic!("round {round}: neither A nor B:\n{text}");
        }
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&path).expect("meta").permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
        for entry in std::fs::read_dir(dir.path()).expect("read dir") {
            let name = entry.expect("entry").file_name();
            let name = name.to_string_lossy();
            // A lock left by the killed save: the next save sees its process is gone.
            if name == "config.toml" || name == "config.toml.lock" {
                continue;
            }
            assert!(
                name.starts_with(".config.toml.") && name.ends_with(".tmp"),
                "unexpected file {name}"
            );
            let leftover = dir.path().join(&*name);
            let mode = std::os::unix::fs::PermissionsExt::mode(
                &std::fs::metadata(&leftover).expect("meta").permissions(),
            );
            assert_eq!(mode & 0o777, 0o600, "{name} may hold secrets");
            leftovers.insert(name.into_owned());
            // Never read: garbage here must change nothing.
            std::fs::write(&leftover, "version = [[[ garbage").expect("write");
        }
        let reloaded = snow_connect::config::load_for_edit(&path).expect("loads despite leftovers");
        assert!(reloaded.config.same_as(&a) || reloaded.config.same_as(&b));
    }
    // Saving still works with leftovers around.
    snow_connect::config::save(&path, &b, SaveOptions::default()).expect("save after kills");
    let last = snow_connect::config::load_for_edit(&path).expect("load");
    assert!(last.config.same_as(&b));
    eprintln!(
        "SIGKILL rounds: file was A {} times, B {} times; {} temporary file(s) left over",
        saw.0,
        saw.1,
        leftovers.len()
    );
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

const VALID: &str = r#"# snow-connect configuration
version = 1

[servicenow]
instance_url  = "https://acme.service-now.com"
client_id     = "4f1c2b8e9d7a6c5b4a3f2e1d0c9b8a7f"
client_secret = "c-secret"            # or client_secret_env
username      = "finout.integration"
password_env  = "SNOW_PASSWORD"

[[endpoints]]
name        = "FinOps anomalies"
description = "Cost anomaly alerts"
table       = "incident"

[[endpoints.fields]]
element = "assignment_group"
type    = "reference"
value   = "287ebd7da9fe198100f92cc8d1d2154e"
display = "Cloud FinOps"

[[endpoints.fields]]
element = "priority"
type = "choice"
value = 2

[[endpoints.fields]]
element = "u_count"
type = "integer"
value = "42"
mandatory = true
"#;

/// Pieces of TOML and of our schema, so that random text reaches deep into the loader.
const TOKENS: &[&str] = &[
    "\n",
    " ",
    "=",
    "\"",
    "'",
    "'''",
    "\"\"\"",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    ",",
    ".",
    "#",
    "\\",
    "\\u",
    "version",
    "1",
    "2",
    "-1",
    "true",
    "1979-05-27",
    "servicenow",
    "endpoints",
    "endpoints.fields",
    "fields",
    "instance_url",
    "client_id",
    "client_secret",
    "client_secret_env",
    "username",
    "password",
    "password_env",
    "name",
    "description",
    "table",
    "element",
    "type",
    "value",
    "display",
    "mandatory",
    "reference",
    "choice",
    "integer",
    "boolean",
    "string",
    "https://acme.service-now.com",
    "http://127.0.0.1:8080",
    "\u{1b}[2J",
    "é",
    "\u{202e}",
    "\r\n",
    "\t",
];

fn toml_soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::sample::select(TOKENS).prop_map(str::to_string),
            1 => any::<String>(),
        ],
        0..80,
    )
    .prop_map(|v| v.concat())
}

const KEYS: &[&str] = &[
    "version",
    "instance_url",
    "client_id",
    "client_secret",
    "client_secret_env",
    "username",
    "password",
    "password_env",
    "pasword",
    "name",
    "description",
    "table",
    "fields",
    "element",
    "type",
    "value",
    "display",
    "mandatory",
    "servicenow",
    "endpoints",
    "servicenow.instance_url",
    "\"quoted key\"",
];

const VALUES: &[&str] = &[
    "1",
    "2",
    "0",
    "-7",
    "1.5",
    "true",
    "false",
    "[]",
    "{}",
    "[1, 2]",
    "{ name = \"x\" }",
    "\"\"",
    "\" \"",
    "\"x\"",
    "\"https://acme.service-now.com\"",
    "\"http://example.com\"",
    "\"acme\"",
    "\"SNOW_PASSWORD\"",
    "\"not a name!\"",
    "\"incident\"",
    "\"reference\"",
    "\"choice\"",
    "\"integer\"",
    "\"boolean\"",
    "\"strin\"",
    "\"287ebd7da9fe198100f92cc8d1d2154e\"",
    "1979-05-27T07:32:00Z",
];

/// Lines shaped like a config (headers and `key = value` from our schema), in random order
/// and combinations, so that most inputs get past the TOML parser into validation.
fn config_lines() -> impl Strategy<Value = String> {
    let header = proptest::sample::select(vec![
        "[servicenow]",
        "[[endpoints]]",
        "[[endpoints.fields]]",
        "[endpoints]",
        "[[servicenow]]",
        "[other]",
    ])
    .prop_map(str::to_string);
    let value = prop_oneof![
        4 => proptest::sample::select(VALUES).prop_map(str::to_string),
        1 => any::<String>().prop_map(|s| toml_edit::Value::from(s).to_string()),
    ];
    let pair = (proptest::sample::select(KEYS), value).prop_map(|(k, v)| format!("{k} = {v}"));
    proptest::collection::vec(prop_oneof![1 => header, 4 => pair], 0..30)
        .prop_map(|lines| lines.join("\n"))
}

/// One edit of a text: delete a range, insert a piece, duplicate or drop a line.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, String),
    DuplicateLine(usize),
    DropLine(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..12usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (
            any::<usize>(),
            prop_oneof![
                proptest::sample::select(TOKENS).prop_map(str::to_string),
                ".{1,4}"
            ]
        )
            .prop_map(|(at, s)| Mutation::Insert(at, s)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        any::<usize>().prop_map(Mutation::DropLine),
    ]
}

/// Nearest char boundary at or before `at % (len + 1)`.
fn boundary(s: &str, at: usize) -> usize {
    let mut i = at % (s.len() + 1);
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &str, m: &Mutation) -> String {
    match m {
        Mutation::Delete(at, n) => {
            let from = boundary(text, *at);
            let to = boundary(text, from.saturating_add(*n).min(text.len()));
            format!("{}{}", &text[..from], &text[to.max(from)..])
        }
        Mutation::Insert(at, piece) => {
            let i = boundary(text, *at);
            format!("{}{piece}{}", &text[..i], &text[i..])
        }
        Mutation::DuplicateLine(at) | Mutation::DropLine(at) => {
            let mut lines: Vec<&str> = text.split('\n').collect();
            let i = at % lines.len().max(1);
            if matches!(m, Mutation::DuplicateLine(_)) {
                let line = lines.get(i).copied().unwrap_or("");
                lines.insert(i, line);
            } else if !lines.is_empty() {
                lines.remove(i);
            }
            lines.join("\n")
        }
    }
}

/// Load `text`; an error must point inside the file, 1-based.
fn assert_loads_or_points_inside(text: &str) -> Result<(), TestCaseError> {
    match snow_connect::config::load_str(text, Path::new("config.toml")) {
        Ok(_) => Ok(()),
        Err(ConfigError::Invalid {
            line,
            column,
            message,
            ..
        }) => {
            prop_assert!(line >= 1 && column >= 1, "{line}:{column} {message}");
            let lines: Vec<&str> = text.split('\n').collect();
            prop_assert!(line <= lines.len(), "line {line} of {}", lines.len());
            let width = lines[line - 1].chars().count();
            prop_assert!(column <= width + 1, "column {column} of {width}: {message}");
            prop_assert!(!message.trim().is_empty());
            Ok(())
        }
        Err(other) => Err(TestCaseError::fail(format!(
            "load_str gave a non-position error: {other}"
        ))),
    }
}

fn kind() -> impl Strategy<Value = FieldKind> {
    proptest::sample::select(vec![
        FieldKind::String,
        FieldKind::Choice,
        FieldKind::Reference,
        FieldKind::Integer,
        FieldKind::Boolean,
    ])
}

fn value_for(kind: FieldKind) -> BoxedStrategy<String> {
    match kind {
        FieldKind::String => any::<String>().boxed(),
        FieldKind::Choice => "[ -~]{0,6}[a-z0-9][ -~]{0,6}".boxed(),
        FieldKind::Reference => "[0-9a-f]{32}".boxed(),
        FieldKind::Integer => any::<i32>().prop_map(|n| n.to_string()).boxed(),
        FieldKind::Boolean => {
            proptest::sample::select(vec!["true".to_string(), "false".into()]).boxed()
        }
    }
}

fn endpoint_field() -> impl Strategy<Value = EndpointField> {
    ("[a-z][a-z0-9_]{0,20}", kind(), any::<bool>())
        .prop_flat_map(|(element, kind, mandatory)| {
            (
                value_for(kind),
                proptest::option::of(any::<String>()),
                Just((element, kind, mandatory)),
            )
        })
        .prop_map(
            |(value, display, (element, kind, mandatory))| EndpointField {
                element,
                kind,
                value,
                display,
                mandatory,
            },
        )
}

fn endpoint() -> impl Strategy<Value = Endpoint> {
    (
        "[^\u{0}]*[A-Za-z0-9][^\u{0}]*",
        any::<String>(),
        proptest::collection::vec(endpoint_field(), 0..6),
    )
        .prop_map(|(name, description, fields)| {
            let mut seen = std::collections::HashSet::new();
            Endpoint {
                name,
                description,
                table: "incident".into(),
                fields: fields
                    .into_iter()
                    .filter(|f| seen.insert(f.element.clone()))
                    .collect(),
            }
        })
}

fn secret_ref() -> impl Strategy<Value = SecretRef> {
    prop_oneof![
        // A secret of white space alone is refused on load as empty, like a missing one.
        "[^\u{0}]*[!-~][^\u{0}]*".prop_map(|s| SecretRef::Inline(SecretString::from(s))),
        "[A-Z_][A-Z0-9_]{0,20}".prop_map(SecretRef::Env),
    ]
}

/// Any config the schema accepts, on one instance.
fn config() -> impl Strategy<Value = Config> {
    (
        "[ -~]*[!-~][ -~]*",
        secret_ref(),
        "[^\u{0}]*[!-~][^\u{0}]*",
        secret_ref(),
        proptest::collection::vec(endpoint(), 0..4),
    )
        .prop_map(
            |(client_id, client_secret, username, password, endpoints)| {
                let mut names = std::collections::HashSet::new();
                Config {
                    servicenow: ServiceNowConfig {
                        instance_url: "https://acme.service-now.com".into(),
                        client_id,
                        client_secret,
                        username,
                        password,
                    },
                    endpoints: endpoints
                        .into_iter()
                        .filter(|e| names.insert(e.name.clone()))
                        .collect(),
                }
            },
        )
}

/// Every Unicode Bidi_Control character (what Trojan Source attacks use).
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Strings rich in what a hostile server would send.
fn hostile() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            3 => any::<char>(),
            2 => proptest::char::range('\u{0}', '\u{1f}'),
            1 => proptest::char::range('\u{7f}', '\u{9f}'),
            1 => proptest::sample::select(vec![
                '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}',
                '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
                '\n', '\r', '\t', '^', '\\', '[',
            ]),
        ],
        0..60,
    )
    .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary text never panics the loader; an error points inside the file.
    #[test]
    fn the_config_loader_survives_arbitrary_text(
        text in prop_oneof![toml_soup(), config_lines()]
    ) {
        assert_loads_or_points_inside(&text)?;
    }

    /// Random edits of a valid file never panic the loader; errors point inside the file.
    #[test]
    fn the_config_loader_survives_edits_of_a_valid_file(
        edits in proptest::collection::vec(mutation(), 1..5)
    ) {
        let text = edits.iter().fold(VALID.to_string(), |t, m| apply(&t, m));
        assert_loads_or_points_inside(&text)?;
    }

    /// `line` leaves no control or bidi character, is idempotent, and keeps printable text.
    #[test]
    fn sanitised_lines_hold_no_control_characters(s in hostile()) {
        let once = snow_connect::sanitize::line(&s);
        prop_assert!(
            !once.chars().any(|c| c.is_control() || is_bidi_control(c)),
            "{once:?}"
        );
        prop_assert_eq!(snow_connect::sanitize::line(&once), once.clone());
        if !s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
            prop_assert_eq!(once, s.as_str());
        }
    }

    /// `text` is the same but keeps newlines.
    #[test]
    fn sanitised_text_keeps_only_newlines(s in hostile()) {
        let once = snow_connect::sanitize::text(&s);
        prop_assert!(
            !once.chars().any(|c| (c.is_control() && c != '\n') || is_bidi_control(c)),
            "{once:?}"
        );
        prop_assert_eq!(once.matches('\n').count(), s.matches('\n').count());
        prop_assert_eq!(snow_connect::sanitize::text(&once), once.clone());
        if !s.chars().any(|c| (c.is_control() && c != '\n') || is_bidi_control(c)) {
            prop_assert_eq!(once, s.as_str());
        }
    }

    /// With `sysparm_display_value=true` a reference has no `value`; its key is recovered
    /// from the link whatever the host, table, query string or fragment.
    #[test]
    fn a_reference_key_is_recovered_from_its_link(
        host in "[a-z0-9.-]{1,30}(:[0-9]{1,5})?",
        table in "[a-z_]{1,20}",
        key in "[A-Za-z0-9_]{1,32}",
        tail in prop_oneof![Just(String::new()), "\\?[ -~]{0,20}", "#[ -~]{0,20}"],
        display in any::<String>(),
    ) {
        let link = format!("https://{host}/api/now/table/{table}/{key}{tail}");
        let v = FieldValue::parse(&serde_json::json!({"display_value": display, "link": link}));
        prop_assert_eq!(v.value.as_deref(), None);
        prop_assert_eq!(v.display.as_deref(), Some(display.as_str()));
        prop_assert_eq!(v.link_key(), Some(key.as_str()));
    }
}

proptest! {
    // Each case writes and fsyncs two files.
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A valid config saves and loads back as itself, fresh and as an edit of another one.
    #[test]
    fn valid_configs_round_trip_through_save_and_load(first in config(), second in config()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        for c in [&first, &second] {
            snow_connect::config::save(&path, c, SaveOptions::default())
                .map_err(|e| TestCaseError::fail(format!("save: {e}")))?;
            let text = std::fs::read_to_string(&path).expect("read");
            let back = snow_connect::config::load_str(&text, &path)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert!(back.same_as(c), "{:?}\n{}", back, text);
        }
    }
}

const PANIC_DIR_ENV: &str = "SNOW_CONNECT_TEST_PANIC_DIR";

/// A panic on the UI thread: the hook gives the terminal back before the panic message is
/// printed, and the last draft reaches the disk. Run in a child process because panic hooks
/// are process-wide.
#[test]
fn a_panic_on_the_ui_thread_restores_the_terminal_and_writes_the_draft() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "hardening::panic_hook_child",
            "--ignored",
            "--nocapture",
        ])
        .env(PANIC_DIR_ENV, dir.path())
        .output()
        .expect("child runs");
    assert!(!out.status.success(), "the child must die of its panic");
    let stdout = out.stdout;
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (what, seq) in [
        ("leave the alternate screen", &b"\x1b[?1049l"[..]),
        ("show the cursor", &b"\x1b[?25h"[..]),
        ("bracketed paste off", &b"\x1b[?2004l"[..]),
    ] {
        assert!(contains(&stdout, seq), "the hook did not {what}");
    }
    assert!(
        stderr.contains("deliberate panic for the hook test"),
        "the usual panic message still follows: {stderr}"
    );
    let store = DraftStore::new(&dir.path().join("state"), &dir.path().join("config.toml"));
    let draft = store
        .load::<serde_json::Value>()
        .expect("the draft parses")
        .expect("the hook wrote the draft");
    assert_eq!(draft.state["endpoint"], "half-typed endpoint");
}

/// Not a test of its own: the child process of the panic-hook test.
#[test]
#[ignore = "child process of a_panic_on_the_ui_thread_restores_the_terminal_and_writes_the_draft"]
fn panic_hook_child() {
    let Some(dir) = std::env::var_os(PANIC_DIR_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let store = DraftStore::new(&dir.join("state"), &dir.join("config.toml"));
    let bytes = DraftStore::encode(&serde_json::json!({"endpoint": "half-typed endpoint"}))
        .expect("encode");
    snow_connect::wizard::terminal::install_panic_hook(
        Arc::new(Mutex::new(Some(bytes))),
        Some(store),
    );
    panic!("deliberate panic for the hook test");
}

// ---------------------------------------------------------------------------------------
// Job control and outside signals in the wizard
// ---------------------------------------------------------------------------------------

/// The process state letter from /proc (`T` when stopped).
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The state follows the command name, which is in parentheses and may contain spaces.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

fn wait_state(t: &Term, want: impl Fn(char) -> bool, what: &str) {
    let pid = t.child.process_id().expect("pid");
    let start = Instant::now();
    while !proc_state(pid).is_some_and(&want) {
        assert!(
            start.elapsed() < WAIT,
            "{what}: state {:?}",
            proc_state(pid)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Suspend (Ctrl-Z, or SIGTSTP from outside), check that the terminal was given back and the
/// process stopped, continue it, and check that it took the terminal again and redrew.
fn suspend_and_resume(t: &mut Term, how: &str, suspend: impl Fn(&mut Term)) {
    let before = t.raw_len();
    suspend(t);
    wait_state(t, |s| s == 'T', &format!("{how}: the wizard stopped"));
    t.wait_cooked(true);
    t.wait_modes(&format!("{how}: the terminal given back"), |s| {
        !s.alternate_screen() && !s.hide_cursor() && !s.bracketed_paste()
    });
    assert!(contains(&t.raw_since(before), b"\x1b[?1049l"), "{how}");
    let resumed = t.raw_len();
    t.signal(libc::SIGCONT);
    wait_state(t, |s| s != 'T', &format!("{how}: the wizard continued"));
    t.wait_cooked(false);
    t.wait_modes(&format!("{how}: the terminal taken again"), |s| {
        s.alternate_screen() && s.bracketed_paste()
    });
    let start = Instant::now();
    // Spaces are not sent after a clear (they are cursor moves), so look for one word.
    while !contains(&t.raw_since(resumed), b"credentials") {
        assert!(
            start.elapsed() < WAIT,
            "{how}: no redraw after fg: {:?}",
            String::from_utf8_lossy(&t.raw_since(resumed))
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(contains(&t.raw_since(resumed), b"\x1b[?1049h"), "{how}");
    t.wait_for("3. Add ServiceNow credentials");
}

#[test]
fn ctrl_z_and_sigtstp_suspend_the_wizard_and_fg_redraws_it() {
    let home = tempfile::tempdir().expect("tempdir");
    let mut t = Term::start(&["--demo"], home.path(), &[]);
    t.walk_to_the_form();
    t.wait_cooked(false);
    suspend_and_resume(&mut t, "Ctrl-Z", |t| t.send(b"\x1a"));
    suspend_and_resume(&mut t, "SIGTSTP", |t| t.signal(libc::SIGTSTP));
    // Still working afterwards: keys reach it.
    t.send(b"\x1b");
    t.wait_for("2. OAuth Authentication");
}

#[test]
fn sigint_and_sigquit_from_outside_restore_the_terminal_and_keep_a_draft() {
    for (sig, name) in [(libc::SIGINT, "SIGINT"), (libc::SIGQUIT, "SIGQUIT")] {
        let home = tempfile::tempdir().expect("tempdir");
        let mut t = Term::start(&["--demo"], home.path(), &[]);
        t.walk_to_the_form();
        t.wait_cooked(false);
        // The demo's form opens on Connect: Tab goes round to the URL field.
        t.send(TAB);
        t.send(b"typed-before-the-signal");
        t.wait_for("typed-before-the-signal");
        t.signal(sig);
        let status = t.wait_exit();
        assert_eq!(status.exit_code(), 128 + sig as u32, "{name}: {status:?}");
        t.wait_cooked(true);
        t.wait_modes(&format!("{name}: the terminal restored"), |s| {
            !s.alternate_screen() && !s.hide_cursor() && !s.bracketed_paste()
        });
        let drafts = drafts(home.path());
        assert_eq!(drafts.len(), 1, "{name}: {drafts:?}");
        let draft = std::fs::read_to_string(&drafts[0]).expect("draft");
        assert!(draft.contains("typed-before-the-signal"), "{name}: {draft}");
    }
}
