//! A hostile dictionary (`support/hostile.rs`): a huge or lying `X-Total-Count`, pages that
//! never end, a 10 MB label. The real binary must stop at its budget with an error naming the
//! limit and what the instance claimed, exit 1, and stay within a bounded peak RSS (measured
//! with wait4 on the child); labels are capped before they reach a table.

use std::io::Read;
use std::process::{Command, Stdio};

use snow_connect::diagnose::DictionaryError;
use snow_connect::servicenow::{Error, Limit, OverBudget};

use crate::support::bin;
use crate::support::client::{CLIENT_ID, CLIENT_SECRET, PASSWORD, USERNAME};
use crate::support::hostile::{self, Hostile, Rows};

/// Peak RSS a discovery may reach against a hostile instance (the goal). A debug
/// build, as the tests run it, needs a little more than the release build.
const MAX_RSS: u64 = 100 * 1024 * 1024;

/// One run of the real binary: exit status, stdout, stderr and peak RSS (wait4).
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    rss: u64,
}

/// Run `snow-connect ARGS --instance URL ...` and measure it.
///
/// Linux charges a child with the high-water mark of the process it was spawned from (the
/// memory it shares until exec), and this test process is large by now. So a fresh copy of
/// this test binary, still small, starts the command and reads its rusage with wait4
/// ([`rss_launcher`]); stdout and stderr go through files.
fn run(url: &str, args: &[&str], columns: Option<&str>) -> Run {
    let state = bin::scratch();
    let (out, err) = (state.join("stdout"), state.join("stderr"));
    let mut argv: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    argv.extend(
        [
            "--instance",
            url,
            "--client-id",
            CLIENT_ID,
            "--username",
            USERNAME,
        ]
        .map(str::to_string),
    );
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args([
        "--exact",
        "hostile::rss_launcher",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for var in bin::INHERITED {
        cmd.env_remove(var);
    }
    cmd.envs(bin::state_env(&state))
        .env("SNOW_CLIENT_SECRET", CLIENT_SECRET)
        .env("SNOW_PASSWORD", PASSWORD)
        .env("SNOW_CONNECT_LOG", "off")
        .env(
            "HOSTILE_LAUNCH",
            serde_json::json!({"args": argv, "out": out, "err": err}).to_string(),
        )
        .stdin(Stdio::null());
    if let Some(c) = columns {
        cmd.env("COLUMNS", c);
    }
    let launched = cmd.output().expect("run the launcher");
    let said = String::from_utf8_lossy(&launched.stdout).into_owned();
    // libtest prints the test's name on the same line.
    let result: Vec<u64> = said
        .split_once("HOSTILE_RESULT ")
        .map(|(_, rest)| {
            rest.split_whitespace()
                .take(2)
                .filter_map(|w| w.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let [code, rss] = result[..] else {
        panic!(
            "the launcher said {said:?} {}",
            String::from_utf8_lossy(&launched.stderr)
        );
    };
    let read = |p: &std::path::Path| {
        String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned()
    };
    Run {
        code: i32::try_from(code).unwrap_or(-1),
        stdout: read(&out),
        stderr: read(&err),
        rss,
    }
}

/// Launcher mode of [`run`]: start `snow-connect` with `HOSTILE_LAUNCH`'s arguments (its
/// stdout and stderr into the given files, at most 64 MiB each), reap it with wait4 and print
/// `HOSTILE_RESULT exit_code max_rss_bytes`.
#[test]
#[ignore = "started by run() in a fresh process"]
// The child is reaped by wait4, which std cannot see.
#[allow(clippy::zombie_processes)]
fn rss_launcher() {
    let Ok(spec) = std::env::var("HOSTILE_LAUNCH") else {
        return;
    };
    let spec: serde_json::Value = serde_json::from_str(&spec).expect("HOSTILE_LAUNCH");
    let args: Vec<String> = spec["args"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let path = |k: &str| std::path::PathBuf::from(spec[k].as_str().unwrap_or_default());
    let mut child = Command::new(bin::BIN)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn snow-connect");
    // Bounded copies: a runaway output fails the size assertions, not the machine.
    let copy = |mut from: Box<dyn Read + Send>, to: std::path::PathBuf| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = (&mut from).take(64 * 1024 * 1024).read_to_end(&mut buf);
            let _ = std::io::copy(&mut from, &mut std::io::sink());
            let _ = std::fs::write(to, buf);
        })
    };
    let out = copy(Box::new(child.stdout.take().expect("stdout")), path("out"));
    let err = copy(Box::new(child.stderr.take().expect("stderr")), path("err"));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data the kernel fills; the child is reaped exactly once, here
    // (std's Child is never waited on, so it cannot reap it twice).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid, "wait4");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    let _ = (out.join(), err.join());
    // ru_maxrss is in KiB on Linux.
    let rss = u64::try_from(usage.ru_maxrss).unwrap_or(u64::MAX / 1024) * 1024;
    println!("HOSTILE_RESULT {code} {rss}");
}

async fn serve(h: Hostile) -> hostile::HostileServer {
    hostile::start(h).await.expect("start the hostile instance")
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_dictionary_stops_at_the_budget_with_bounded_memory() {
    let ten_mb = 10 * 1000 * 1000;
    let cases = [
        (
            "a huge X-Total-Count, endless pages and a 10 MB label",
            Hostile {
                rows: Rows::Claim(1_000_000_000_000),
                big_label: ten_mb,
            },
            "claims 1,000,000,000,000 rows (X-Total-Count)",
        ),
        (
            "an honest 1,000,000 fields",
            Hostile {
                rows: Rows::Honest(1_000_000),
                big_label: 0,
            },
            "claims 1,000,000 rows (X-Total-Count)",
        ),
        (
            "no X-Total-Count, endless Link pages and a 10 MB label",
            Hostile {
                rows: Rows::Endless,
                big_label: ten_mb,
            },
            "the instance sent no X-Total-Count",
        ),
        (
            "no X-Total-Count, no Link, every page full",
            Hostile {
                rows: Rows::Full,
                big_label: 0,
            },
            "the instance sent no X-Total-Count",
        ),
    ];
    for (what, h, claim) in cases {
        let server = serve(h).await;
        let url = server.url.clone();
        let r = tokio::task::spawn_blocking(move || run(&url, &["fields", "--json"], None))
            .await
            .expect("run");
        eprintln!(
            "{what}: exit {}, peak RSS {:.1} MiB; {}",
            r.code,
            mib(r.rss),
            r.stderr.lines().next().unwrap_or_default()
        );
        assert_eq!(r.code, 1, "{what}: exit 1; stderr: {}", r.stderr);
        let doc: serde_json::Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{what}: one JSON document ({e}): {:.300}", r.stdout));
        assert_eq!(doc["ok"], false, "{what}");
        let causes = doc["causes"].as_array().cloned().unwrap_or_default();
        let cause = causes
            .iter()
            .find(|c| c["id"] == "dictionary_too_large")
            .unwrap_or_else(|| panic!("{what}: no dictionary_too_large cause in {causes:?}"));
        let summary = cause["summary"].as_str().unwrap_or_default();
        assert!(
            summary.contains("100,000 rows") && summary.contains(claim),
            "{what}: the limit and the claim: {summary}"
        );
        assert!(
            r.stderr.contains("100,000 rows") && r.stderr.contains(claim),
            "{what}: people read it on stderr too: {}",
            r.stderr
        );
        assert!(
            r.rss <= MAX_RSS,
            "{what}: peak RSS {:.1} MiB > {:.0} MiB",
            mib(r.rss),
            mib(MAX_RSS)
        );
        // Endless pages end at the budget: 100,000 rows are 50 pages of 2,000.
        assert!(
            server.pages() <= 60,
            "{what}: {} pages read",
            server.pages()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_stops_at_the_budget_too_and_exits_1() {
    let server = serve(Hostile {
        rows: Rows::Claim(5_000_000),
        big_label: 0,
    })
    .await;
    let url = server.url.clone();
    let r = tokio::task::spawn_blocking(move || run(&url, &["check", "--json"], None))
        .await
        .expect("run");
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON document");
    let ids: Vec<&str> = doc["causes"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["id"].as_str()).collect())
        .unwrap_or_default();
    assert!(ids.contains(&"dictionary_too_large"), "{ids:?}");
    assert!(
        r.stdout.contains("claims 5,000,000 rows (X-Total-Count)"),
        "{:.2000}",
        r.stdout
    );
    // The first page came back (HTTP 200 with rows carrying every field asked for): that
    // proves the read ACLs, whatever stopped the read after it. The limit stays the cause
    // of discovery, not of these checks.
    let check = |id: &str| {
        doc["checks"]
            .as_array()
            .and_then(|a| a.iter().find(|c| c["id"] == id))
            .cloned()
            .unwrap_or_else(|| panic!("no check {id}"))
    };
    let table = check("acl:sys_dictionary");
    assert_eq!(table["status"], "passed", "{table}");
    assert_eq!(
        table["summary"],
        "rows readable; the read stopped at snow-connect's limit (dictionary_too_large)"
    );
    assert!(table["cause"].is_null(), "{table}");
    let fields = check("acl:sys_dictionary.*");
    assert_eq!(fields["status"], "passed", "{fields}");
    assert!(
        fields["summary"]
            .as_str()
            .is_some_and(|s| s
                .ends_with("; the read stopped at snow-connect's limit (dictionary_too_large)")),
        "{fields}"
    );
    let cause = doc["causes"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == "dictionary_too_large"))
        .cloned()
        .unwrap_or_default();
    assert!(
        cause["checks"].as_array().is_some_and(|c| c.is_empty()),
        "{cause}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ten_megabyte_label_is_capped_before_any_table() {
    let server = serve(Hostile {
        rows: Rows::Honest(200),
        big_label: 10 * 1000 * 1000,
    })
    .await;
    let url = server.url.clone();
    let human = tokio::task::spawn_blocking(move || run(&url, &["fields"], Some("100")))
        .await
        .expect("run");
    assert_eq!(human.code, 0, "stderr: {}", human.stderr);
    assert!(
        human.stdout.len() < 64 * 1024,
        "output proportional to the data: {} bytes",
        human.stdout.len()
    );
    for line in human.stdout.lines() {
        assert!(
            unicode_width::UnicodeWidthStr::width(line) <= 100,
            "a line wider than the terminal: {line:.120}"
        );
    }
    let row = human
        .stdout
        .lines()
        .find(|l| l.contains("u_hostile_0 "))
        .expect("the row of the long label");
    assert!(row.starts_with("LLL") && row.contains('…'), "{row}");

    let url = server.url.clone();
    let json = tokio::task::spawn_blocking(move || run(&url, &["fields", "--json"], None))
        .await
        .expect("run");
    assert_eq!(json.code, 0, "stderr: {}", json.stderr);
    assert!(
        json.stdout.len() < 1024 * 1024,
        "{} bytes",
        json.stdout.len()
    );
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("one JSON document");
    let fields = doc["fields"].as_array().cloned().unwrap_or_default();
    assert_eq!(fields.len(), 200);
    let label = fields
        .iter()
        .find(|f| f["element"] == "u_hostile_0")
        .and_then(|f| f["label"].as_str())
        .unwrap_or_default()
        .to_string();
    assert_eq!(label.chars().count(), 200, "capped to 200 characters");
    assert!(label.ends_with('…'));
    // One document: the envelope's keys appear exactly once.
    assert_eq!(json.stdout.matches("\"schema_version\"").count(), 1);
    assert_eq!(json.stdout.matches("\"tool_version\"").count(), 1);
}

#[test]
fn the_picker_explains_a_dictionary_over_budget() {
    use snow_connect::wizard::popups::picker;
    use snow_connect::wizard::{Existing, Model, Setup, Theme};
    let mut m = Model::new(Setup {
        config_path: "hostile.toml".into(),
        existing: Existing::None,
        draft: None,
        prefill: None,
        demo: false,
        theme: Theme::COLOR,
        size: (80, 24),
    });
    m.cx.dictionary = Some(Err(DictionaryError::Client(Error::OverBudget(
        OverBudget {
            limit: Limit::Rows(100_000),
            table: "sys_dictionary".into(),
            claimed: Some(1_000_000_000_000),
        },
    ))));
    let why = picker::unavailable(&m.cx).expect("the picker is unavailable");
    assert!(
        why.reason.contains("100,000 rows")
            && why
                .reason
                .contains("claims 1,000,000,000,000 rows (X-Total-Count)"),
        "{}",
        why.reason
    );
    assert!(
        why.missing.is_empty(),
        "not a missing ACL: {:?}",
        why.missing
    );
    assert!(!why.about_acls, "the explanation does not list read ACLs");
}
