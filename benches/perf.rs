//! Speed and size against the network's limit (issue 7). Prints numbers; asserts nothing.
//!
//! `cargo bench --bench perf` (add `-- --quick` for fewer runs). Measures, against the
//! in-process simulator:
//! - `check` (the full ladder with dictionary discovery, as `snow-connect check` runs it) at
//!   simulator latencies 0, 50 and 200 ms: median and min, in ms and as a multiple of the
//!   latency, with the requests the simulator saw; plus the real binary at 200 ms;
//! - dictionary discovery for the stock dictionary and for 20,000 extra fields at latency 0
//!   and 50 ms: wall time, requests, bytes; requests next to pages for 0, 5,000 and 20,000
//!   extra fields;
//! - peak RSS of `snow-connect fields --json` (and of the simulator) as separate processes;
//! - the picker over 20,000 fields: time to open it, filter time per keystroke (on the
//!   filter's worker thread), keystroke to frame on the UI thread, and keystroke to its
//!   results on screen (p50, p99, with thread CPU time). Time to first frame and idle CPU are in `cargo bench --bench wizard`.
//!   `-- --picker` runs only this part (one discovery at latency 0 feeds it).
//!
//! A summary table to copy comes last.

// Test and bench code may stop at a broken fixture: that is where it should stop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use snow_connect::diagnose::{
    CheckOptions, ConnectionInput, Dictionary, discover_dictionary, run_checks,
};
use snow_connect::servicenow::{
    Client, ClientOptions, Credentials, EncodedQuery, InstanceUrl, ProxyConfig, TableQuery,
};
use snow_connect::simulator::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, SimOptions, Simulator,
};
use snow_connect::wizard::component::Request;
use snow_connect::wizard::popups::{Picker, Popup};
use snow_connect::wizard::{
    Effect, Existing, FIRST_ROWS, FieldFilter, FieldIndex, FilterAnswer, FilterWorker, Model, Msg,
    Setup, Theme, filter_fields, update, view,
};

/// The binary measured as a separate process: this build's, or `SNOW_CONNECT_BENCH_BIN` (to
/// measure another build, e.g. the one before a change, with the same harness).
fn bin() -> String {
    std::env::var("SNOW_CONNECT_BENCH_BIN")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_snow-connect").to_string())
}

#[path = "../tests/it/support/hostile.rs"]
mod hostile;

/// Rows of the summary table: (what, value).
type Summary = Vec<(String, String)>;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(v: &[Duration]) -> Duration {
    let mut s = v.to_vec();
    s.sort();
    s.get(s.len() / 2).copied().unwrap_or_default()
}

fn min(v: &[Duration]) -> Duration {
    v.iter().min().copied().unwrap_or_default()
}

/// CPU time this thread has used: unlike wall time, it leaves out the time the scheduler gave
/// to other processes, so percentiles stay meaningful on a loaded machine.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The value at percentile `p` (nearest rank).
fn pct(v: &[Duration], p: f64) -> Duration {
    let mut s = v.to_vec();
    s.sort();
    if s.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

/// KiB below one MiB, MiB above.
fn size(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        kib(bytes)
    } else {
        mib(bytes)
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn kib(bytes: u64) -> String {
    format!("{:.0} KiB", bytes as f64 / 1024.0)
}

async fn simulator(latency_ms: u64, extra_fields: u32) -> Simulator {
    Simulator::start(SimOptions {
        latency_ms,
        extra_fields,
        ..SimOptions::default()
    })
    .await
    .expect("simulator")
}

fn input(sim: &Simulator) -> ConnectionInput {
    ConnectionInput {
        instance_url: sim.base_url().to_string(),
        client_id: DEMO_CLIENT_ID.into(),
        client_secret: SecretString::from(DEMO_CLIENT_SECRET),
        username: DEMO_USERNAME.into(),
        password: SecretString::from(DEMO_PASSWORD),
    }
}

fn client_options() -> ClientOptions {
    ClientOptions {
        proxy: ProxyConfig::Direct,
        ..ClientOptions::default()
    }
}

fn client(sim: &Simulator) -> Client {
    let creds = Credentials {
        client_id: DEMO_CLIENT_ID.into(),
        client_secret: SecretString::from(DEMO_CLIENT_SECRET),
        username: DEMO_USERNAME.into(),
        password: SecretString::from(DEMO_PASSWORD),
    };
    let url = InstanceUrl::parse(sim.base_url()).expect("url");
    Client::new(url, creds, &client_options()).expect("client")
}

// ---------------------------------------------------------------------------------------
// check
// ---------------------------------------------------------------------------------------

fn check_bench(rt: &tokio::runtime::Runtime, quick: bool, summary: &mut Summary) {
    println!("== check: the full ladder with dictionary discovery (a new HTTP client per run)");
    println!(
        "{:>9}  {:>5}  {:>10}  {:>10}  {:>10}  {:>10}  {:>8}",
        "latency", "runs", "median ms", "min ms", "median ×L", "min ×L", "requests"
    );
    for latency in [0u64, 50, 200] {
        let runs = match (quick, latency) {
            (true, _) => 3,
            (false, 0) => 15,
            (false, 50) => 9,
            _ => 7,
        };
        let (times, requests) = rt.block_on(async {
            let sim = simulator(latency, 0).await;
            let opts = CheckOptions {
                discover_fields: true,
                client: client_options(),
                ..CheckOptions::default()
            };
            let mut times = Vec::new();
            let mut requests = Vec::new();
            for _ in 0..runs {
                let before = sim.request_count();
                let t = Instant::now();
                let d = run_checks(&input(&sim), &opts, None, CancellationToken::new()).await;
                times.push(t.elapsed());
                requests.push(sim.request_count() - before);
                assert!(d.ok(), "the ladder failed: {:#?}", d.results);
            }
            sim.shutdown().await;
            (times, requests)
        });
        let (med, lo) = (median(&times), min(&times));
        let ratio = |d: Duration| {
            if latency == 0 {
                "—".to_string()
            } else {
                format!("{:.2}×", ms(d) / latency as f64)
            }
        };
        let req = requests.first().copied().unwrap_or(0);
        let same = requests.iter().all(|r| *r == req);
        println!(
            "{:>7}ms  {:>5}  {:>10.1}  {:>10.1}  {:>10}  {:>10}  {:>8}",
            latency,
            runs,
            ms(med),
            ms(lo),
            ratio(med),
            ratio(lo),
            if same {
                req.to_string()
            } else {
                format!("{requests:?}")
            }
        );
        summary.push((
            format!("check, latency {latency} ms (median / min)"),
            if latency == 0 {
                format!("{:.1} / {:.1} ms, {req} requests", ms(med), ms(lo))
            } else {
                format!(
                    "{:.0} / {:.0} ms = {} / {} of the latency, {req} requests",
                    ms(med),
                    ms(lo),
                    ratio(med),
                    ratio(lo)
                )
            },
        ));
    }

    // The real command, process start and TLS roots included.
    let runs = if quick { 2 } else { 5 };
    let mut sim = spawn_simulator(&["--latency-ms", "200"]);
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let out = connected(&sim.url, &["check", "--json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run check");
        times.push(t.elapsed());
        assert!(out.success(), "check failed: {out:?}");
    }
    sim.stop();
    let (med, lo) = (median(&times), min(&times));
    println!(
        "snow-connect check (process) at 200 ms: median {:.0} ms = {:.2}×, min {:.0} ms = {:.2}× ({runs} runs)",
        ms(med),
        ms(med) / 200.0,
        ms(lo),
        ms(lo) / 200.0
    );
    summary.push((
        "`snow-connect check` process, latency 200 ms (median / min)".into(),
        format!(
            "{:.0} / {:.0} ms = {:.2}× / {:.2}×",
            ms(med),
            ms(lo),
            ms(med) / 200.0,
            ms(lo) / 200.0
        ),
    ));
    println!();
}

// ---------------------------------------------------------------------------------------
// dictionary discovery
// ---------------------------------------------------------------------------------------

/// Rows each discovery query matches, counted with `sysparm_limit=1` (X-Total-Count).
async fn rows(client: &Client) -> [u64; 3] {
    let chain = ["incident", "task"];
    let queries = [
        TableQuery::new("sys_dictionary").query(
            EncodedQuery::new()
                .is_in("name", &chain)
                .is_not_empty("element"),
        ),
        TableQuery::new("sys_glide_object"),
        TableQuery::new("sys_choice").query(
            EncodedQuery::new()
                .is_in("name", &chain)
                .eq("inactive", "false"),
        ),
    ];
    let mut out = [0u64; 3];
    for (o, q) in out.iter_mut().zip(queries) {
        let page = client.get_page(&q.fields(&["name"]).limit(1)).await;
        *o = page.ok().and_then(|p| p.total_count).unwrap_or(0);
    }
    out
}

struct Discovery {
    took: Duration,
    dict: Dictionary,
    sim_requests: u64,
    client_requests: u64,
    client_bytes: u64,
    sim_bytes: u64,
}

/// One discovery with an authenticated client; only discovery's own traffic is counted.
async fn discover_once(sim: &Simulator) -> Discovery {
    let c = client(sim);
    c.authenticate().await.expect("token");
    let (r0, b0, s0, sb0) = (
        c.stats().requests,
        c.stats().bytes,
        sim.request_count(),
        sim.bytes_sent(),
    );
    let t = Instant::now();
    let dict = discover_dictionary(&c, "incident")
        .await
        .expect("dictionary");
    let took = t.elapsed();
    Discovery {
        took,
        dict,
        sim_requests: sim.request_count() - s0,
        client_requests: c.stats().requests - r0,
        client_bytes: c.stats().bytes - b0,
        sim_bytes: sim.bytes_sent() - sb0,
    }
}

fn discovery_bench(rt: &tokio::runtime::Runtime, quick: bool, summary: &mut Summary) -> Dictionary {
    println!("== dictionary discovery (discover_dictionary, token already held)");
    println!(
        "{:>7}  {:>9}  {:>7}  {:>10}  {:>9}  {:>9}  {:>8}  {:>12}",
        "extra", "latency", "columns", "median ms", "min ms", "requests", "sim req", "body bytes"
    );
    let runs = if quick { 2 } else { 5 };
    let mut big = None;
    for extra in [0u32, 20_000] {
        for latency in [0u64, 50] {
            let results: Vec<Discovery> = rt.block_on(async {
                let sim = simulator(latency, extra).await;
                let mut v = Vec::new();
                for _ in 0..runs {
                    v.push(discover_once(&sim).await);
                }
                sim.shutdown().await;
                v
            });
            let times: Vec<Duration> = results.iter().map(|r| r.took).collect();
            let last = &results[results.len() - 1];
            println!(
                "{:>7}  {:>7}ms  {:>7}  {:>10.1}  {:>9.1}  {:>9}  {:>8}  {:>12}",
                extra,
                latency,
                last.dict.fields.len(),
                ms(median(&times)),
                ms(min(&times)),
                last.dict.requests,
                last.sim_requests,
                format!("{} / {}", kib(last.client_bytes), kib(last.sim_bytes)),
            );
            assert_eq!(last.client_requests, last.sim_requests);
            summary.push((
                format!(
                    "discovery, {} at {latency} ms (median / min)",
                    if extra == 0 {
                        "stock dictionary".to_string()
                    } else {
                        format!("+{extra} fields")
                    }
                ),
                format!(
                    "{:.0} / {:.0} ms, {} requests, {} read",
                    ms(median(&times)),
                    ms(min(&times)),
                    last.dict.requests,
                    size(last.client_bytes)
                ),
            ));
            if extra == 20_000 {
                big = results.into_iter().last().map(|r| r.dict);
            }
        }
    }
    println!("(body bytes: read by the client after decompression / sent by the simulator)");
    println!();

    println!("== requests grow with pages, not with fields (page size 2000, latency 0)");
    println!(
        "{:>7}  {:>14}  {:>12}  {:>11}  {:>22}  {:>9}",
        "extra",
        "dictionary rows",
        "choice rows",
        "glide rows",
        "pages (dict+choice+glide)",
        "requests"
    );
    for extra in [0u32, 5_000, 20_000] {
        let (counts, d) = rt.block_on(async {
            let sim = simulator(0, extra).await;
            let c = client(&sim);
            let counts = rows(&c).await;
            let d = discover_once(&sim).await;
            sim.shutdown().await;
            (counts, d)
        });
        let pages: u64 = counts.iter().map(|n| n.div_ceil(2000).max(1)).sum();
        println!(
            "{:>7}  {:>14}  {:>12}  {:>11}  {:>22}  {:>9}",
            extra,
            counts[0],
            counts[2],
            counts[1],
            format!("{pages} + 1 chain read"),
            d.dict.requests
        );
        summary.push((
            format!("discovery requests, +{extra} fields"),
            format!(
                "{} ({} dictionary rows = {} page(s); minimum {} with the chain read)",
                d.dict.requests,
                counts[0],
                counts[0].div_ceil(2000),
                pages + 1
            ),
        ));
    }
    println!();
    big.expect("the 20,000-field dictionary")
}

// ---------------------------------------------------------------------------------------
// peak RSS of separate processes
// ---------------------------------------------------------------------------------------

/// `snow-connect simulator ARGS` as a child, with its base URL.
struct SimChild {
    child: std::process::Child,
    url: String,
}

fn spawn_simulator(args: &[&str]) -> SimChild {
    let mut child = Command::new(bin())
        .arg("simulator")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the simulator");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut url = String::new();
    reader.read_line(&mut url).expect("the simulator's URL");
    // Keep draining so the simulator never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = reader.read_to_end(&mut sink);
    });
    SimChild {
        child,
        url: url.trim().to_string(),
    }
}

impl SimChild {
    /// Peak resident set size so far (VmHWM), in bytes.
    fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }

    fn stop(&mut self) {
        // SAFETY: a signal to our own child.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// `snow-connect ARGS --instance URL ...` with the demo secrets in the environment.
fn connected(url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(connected_args(url, args))
        .env("SNOW_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .env("SNOW_PASSWORD", DEMO_PASSWORD)
        .env_remove("SNOW_CONNECT_CONFIG")
        .env("SNOW_CONNECT_LOG", "off")
        .stdin(Stdio::null());
    cmd
}

fn connected_args(url: &str, args: &[&str]) -> Vec<String> {
    args.iter()
        .copied()
        .chain([
            "--instance",
            url,
            "--client-id",
            DEMO_CLIENT_ID,
            "--username",
            DEMO_USERNAME,
        ])
        .map(str::to_string)
        .collect()
}

/// The flag that turns this bench binary into the small launcher of [`launcher_main`].
const LAUNCHER: &str = "--rss-launcher";

/// Measure `snow-connect ARGS` (wall time, max RSS, stdout bytes, success).
///
/// Linux charges a child with the resident size of the process it was forked from (the
/// pre-exec memory's high-water mark), and this process holds a 20,000-field dictionary by
/// now. So a freshly started copy of this binary, still small, launches the command and reads
/// its rusage with wait4.
fn measure_process(url: &str, args: &[&str]) -> (Duration, u64, usize, bool) {
    let m = measure(url, args);
    (m.took, m.rss, m.out_bytes, m.code == 0)
}

/// One measured run of the real binary as a separate process.
struct Measured {
    took: Duration,
    /// Peak RSS (wait4's ru_maxrss), bytes.
    rss: u64,
    /// Bytes it wrote to stdout.
    out_bytes: usize,
    /// Its exit status (128 + signal when killed).
    code: i32,
    /// The last line it wrote to stderr (the error, when it failed).
    last_error: String,
}

/// [`measure_process`] with the exit status and the last stderr line.
fn measure(url: &str, args: &[&str]) -> Measured {
    let exe = std::env::current_exe().expect("bench binary");
    let out = Command::new(exe)
        .arg(LAUNCHER)
        .arg(bin())
        .args(connected_args(url, args))
        .env("SNOW_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .env("SNOW_PASSWORD", DEMO_PASSWORD)
        .env_remove("SNOW_CONNECT_CONFIG")
        .env("SNOW_CONNECT_LOG", "off")
        .env("COLUMNS", "100")
        .stdin(Stdio::null())
        .output()
        .expect("run the launcher");
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    let v: Vec<i64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let err = String::from_utf8_lossy(&out.stderr);
    let last_error = err
        .lines()
        .rev()
        .find(|l| l.contains("error:"))
        .or_else(|| err.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect();
    match v.as_slice() {
        [micros, rss, bytes, code] => Measured {
            took: Duration::from_micros(u64::try_from(*micros).unwrap_or(0)),
            rss: u64::try_from(*rss).unwrap_or(0),
            out_bytes: usize::try_from(*bytes).unwrap_or(usize::MAX),
            code: i32::try_from(*code).unwrap_or(-1),
            last_error,
        },
        _ => panic!("the launcher said {line:?}"),
    }
}

/// Launcher mode: run `PROGRAM ARGS...`, count its stdout, reap it with wait4 and print
/// `micros max_rss_bytes stdout_bytes exit_code` (its stderr passes through).
// The child is reaped by wait4, which std cannot see.
#[allow(clippy::zombie_processes)]
fn launcher_main(program: &str, args: &[String]) {
    let t = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 64 * 1024];
        let mut total = 0usize;
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            total += n;
        }
        total
    });
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data filled by the kernel; the child is reaped exactly once,
    // here (std's Child is never waited on).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let took = t.elapsed();
    assert_eq!(rc, pid, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    let bytes = reader.join().unwrap_or(0);
    // ru_maxrss is in KiB on Linux.
    let rss = u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024;
    println!("{} {rss} {bytes} {code}", took.as_micros());
}

fn rss_bench(summary: &mut Summary) {
    println!(
        "== peak memory of separate processes (release binary; max RSS from wait4 in a small launcher, VmHWM for the simulator)"
    );
    for (extra, latency) in [("0", "50"), ("20000", "50"), ("50000", "50")] {
        let mut sim = spawn_simulator(&["--extra-fields", extra, "--latency-ms", latency]);
        let (took, rss, out, ok) = measure_process(&sim.url, &["fields", "--json"]);
        assert!(ok, "fields --json failed");
        let (ctook, crss, _, cok) = measure_process(&sim.url, &["check", "--json"]);
        assert!(cok, "check --json failed");
        let sim_rss = sim.peak_rss();
        sim.stop();
        println!(
            "extra {extra:>5} at {latency} ms: `fields --json` {:.0} ms, peak RSS {}, {} of JSON; \
             `check --json` {:.0} ms, peak RSS {}; simulator peak RSS {}",
            ms(took),
            mib(rss),
            kib(out as u64),
            ms(ctook),
            mib(crss),
            mib(sim_rss)
        );
        summary.push((
            format!("peak RSS of `fields --json`, +{extra} fields at {latency} ms"),
            format!(
                "{} ({:.0} ms, {} of JSON)",
                mib(rss),
                ms(took),
                kib(out as u64)
            ),
        ));
        summary.push((
            format!("peak RSS of `check --json`, +{extra} fields at {latency} ms"),
            mib(crss),
        ));
    }
    println!();
}

/// The real binary against a hostile instance on loopback (`tests/it/support/hostile.rs`).
fn hostile_bench(rt: &tokio::runtime::Runtime, summary: &mut Summary) {
    use hostile::{Hostile, Rows};
    println!("== a hostile instance (loopback; release binary; max RSS from wait4)");
    let cases: [(&str, Hostile, &[&str]); 4] = [
        (
            "hostile: 1,000,000 fields, `fields --json`",
            Hostile {
                rows: Rows::Honest(1_000_000),
                big_label: 0,
            },
            &["fields", "--json"],
        ),
        (
            "hostile: X-Total-Count 10^12, endless pages, `fields --json`",
            Hostile {
                rows: Rows::Claim(1_000_000_000_000),
                big_label: 0,
            },
            &["fields", "--json"],
        ),
        (
            "hostile: no X-Total-Count, endless Link pages, `fields --json`",
            Hostile {
                rows: Rows::Endless,
                big_label: 0,
            },
            &["fields", "--json"],
        ),
        (
            "hostile: one 10 MB label among 200 fields, `fields` (100 columns)",
            Hostile {
                rows: Rows::Honest(200),
                big_label: 10 * 1000 * 1000,
            },
            &["fields"],
        ),
    ];
    for (what, h, args) in cases {
        let server = rt
            .block_on(hostile::start(h))
            .expect("start the hostile instance");
        let m = measure(&server.url, args);
        let pages = server.pages();
        drop(server);
        let result = format!(
            "exit {}, peak RSS {}, {:.0} ms, {} dictionary pages served, {} on stdout{}",
            m.code,
            mib(m.rss),
            ms(m.took),
            pages,
            size(m.out_bytes as u64),
            if m.code == 0 || m.last_error.is_empty() {
                String::new()
            } else {
                format!("; said: {}", m.last_error.trim())
            }
        );
        println!("{what}: {result}");
        summary.push((what.to_string(), result));
    }
    println!();
}

/// The Python that has PySNC: `PYSNC_PYTHON`, else the venv `target/pysnc-venv`
/// (`python3 -m venv target/pysnc-venv && target/pysnc-venv/bin/pip install pysnc
/// requests-oauthlib`).
fn pysnc_python() -> Option<String> {
    if let Ok(p) = std::env::var("PYSNC_PYTHON")
        && !p.is_empty()
    {
        return Some(p);
    }
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/target/pysnc-venv/bin/python");
    std::path::Path::new(venv)
        .exists()
        .then(|| venv.to_string())
}

/// `fields --json` against PySNC reading the same tables (`benches/pysnc/read_dictionary.py`),
/// both as processes over TLS, simulator at 100 ms latency with 2,000 custom fields.
fn pysnc_bench(quick: bool, summary: &mut Summary) {
    println!("== `fields` discovery vs PySNC (100 ms latency, +2,000 fields, TLS, processes)");
    let what = "`fields --json` vs PySNC, 100 ms latency, +2,000 fields (median wall)";
    let Some(python) = pysnc_python() else {
        println!(
            "PySNC not found: set PYSNC_PYTHON, or python3 -m venv target/pysnc-venv && target/pysnc-venv/bin/pip install pysnc requests-oauthlib"
        );
        summary.push((what.into(), "not measured (PySNC not installed)".into()));
        println!();
        return;
    };
    let mut child = Command::new(bin())
        .args([
            "simulator",
            "--tls",
            "--latency-ms",
            "100",
            "--extra-fields",
            "2000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the simulator");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let (mut url, mut ca) = (String::new(), String::new());
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 0 {
        if url.is_empty() {
            url = line.trim().to_string();
        } else if let Some(p) = line.trim().strip_prefix("ca_cert ") {
            ca = p.to_string();
            break;
        }
        line.clear();
    }
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = reader.read_to_end(&mut sink);
    });
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/pysnc/read_dictionary.py"
    );
    let runs = if quick { 1 } else { 3 };
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let ok = connected(&url, &["fields", "--json"])
            .env("SSL_CERT_FILE", &ca)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ours.push(t.elapsed());
        assert!(ok, "fields --json over TLS failed");
        let t = Instant::now();
        let out = Command::new(&python)
            .arg(script)
            .env("SNOW_URL", &url)
            .env("REQUESTS_CA_BUNDLE", &ca)
            .stderr(Stdio::null())
            .output()
            .expect("run PySNC");
        theirs.push(t.elapsed());
        assert!(out.status.success(), "PySNC failed: {out:?}");
    }
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let _ = child.wait();
    let (a, b) = (median(&ours), median(&theirs));
    let result = format!(
        "{:.0} ms vs {:.0} ms = {:.2}× PySNC's time ({runs} runs each)",
        ms(a),
        ms(b),
        ms(a) / ms(b).max(1e-9)
    );
    println!("{result}");
    summary.push((what.into(), result));
    println!();
}

// ---------------------------------------------------------------------------------------
// the picker
// ---------------------------------------------------------------------------------------

const TYPED: [&str; 5] = [
    "assignment group",
    "u_extra 19999",
    "priority",
    "cmdb ci",
    "xyzzy",
];

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// The open picker's state (the bench drives one picker at a time).
fn picker_state(m: &Model) -> &Picker {
    match m.popups.last() {
        Some(Popup::Picker(p)) => p,
        _ => panic!("the picker is not open"),
    }
}

/// Open the picker over the open editor, as "Select Fields" does.
fn open_picker(m: &mut Model) {
    if let Some(ed) = m.screens.editor.as_ref() {
        let p = Picker::open(ed, &mut m.cx);
        m.popups.push(p.into());
        m.refresh_keymap();
    }
}

/// Hand `effects` to the worker, as the runner does.
fn forward(effects: Vec<Effect>, worker: &FilterWorker) {
    for e in effects {
        if let Effect::FilterFields(req) = e {
            worker.filter(req).expect("the filter worker is running");
        }
    }
}

/// Apply the worker's answers until the picker shows the answer to the last query sent.
fn settle(m: &mut Model, answers: &std::sync::mpsc::Receiver<FilterAnswer>) {
    while !picker_state(m).settled() {
        let a = answers
            .recv_timeout(Duration::from_secs(30))
            .expect("the filter worker answers");
        let _ = update(m, Msg::FieldMatches(a));
    }
}

fn picker_bench(dict: Dictionary, quick: bool, summary: &mut Summary) {
    let fields: Vec<_> = dict.selectable().cloned().collect();
    println!(
        "== picker over {} selectable fields ({} columns)",
        fields.len(),
        dict.fields.len()
    );
    let rounds = if quick { 2 } else { 10 };

    // The filter as the picker's worker runs it: one index, one filter call per keystroke,
    // selecting the best FIRST_ROWS. Typing narrows the previous hits; Backspace returns to
    // cached hits (timed apart).
    let t = (Instant::now(), thread_cpu());
    let index = Arc::new(FieldIndex::new(&fields));
    println!(
        "build the search index of {} fields: {:.2} ms (thread CPU time {:.2} ms)",
        index.len(),
        ms(t.0.elapsed()),
        ms(thread_cpu().saturating_sub(t.1))
    );
    let mut filter = FieldFilter::new(Arc::clone(&index));
    let mut per_key = Vec::new();
    let mut per_key_cpu = Vec::new();
    let mut per_backspace = Vec::new();
    for _ in 0..rounds {
        for q in TYPED {
            for n in 1..=q.len() {
                let (t, c) = (Instant::now(), thread_cpu());
                std::hint::black_box(filter.filter(&q[..n], FIRST_ROWS));
                per_key.push(t.elapsed());
                per_key_cpu.push(thread_cpu().saturating_sub(c));
            }
            for n in (0..q.len()).rev() {
                let t = Instant::now();
                std::hint::black_box(filter.filter(&q[..n], FIRST_ROWS));
                per_backspace.push(t.elapsed());
            }
        }
    }
    // Every query from scratch (a fresh filter each, made untimed): what a keystroke costs
    // when nothing can be narrowed.
    let mut rescore = Vec::new();
    let mut rescore_cpu = Vec::new();
    for q in TYPED {
        for n in (1..=q.len()).step_by(if quick { 4 } else { 1 }) {
            let mut fresh = FieldFilter::new(Arc::clone(&index));
            let (t, c) = (Instant::now(), thread_cpu());
            std::hint::black_box(fresh.filter(&q[..n], FIRST_ROWS));
            rescore.push(t.elapsed());
            rescore_cpu.push(thread_cpu().saturating_sub(c));
        }
    }
    println!(
        "filter per keystroke (FieldFilter, best {FIRST_ROWS} rows, on the worker, {} keys): \
         p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (thread CPU time: p50 {:.2} ms, p99 {:.2} ms)",
        per_key.len(),
        ms(pct(&per_key, 50.0)),
        ms(pct(&per_key, 99.0)),
        ms(pct(&per_key, 100.0)),
        ms(pct(&per_key_cpu, 50.0)),
        ms(pct(&per_key_cpu, 99.0))
    );
    println!(
        "filter per Backspace (cached prefixes, {} keys): p50 {:.2} ms, p99 {:.2} ms",
        per_backspace.len(),
        ms(pct(&per_backspace, 50.0)),
        ms(pct(&per_backspace, 99.0))
    );
    println!(
        "filter, full rescore of one query (no narrowing, {} queries): p50 {:.2} ms, p99 {:.2} ms \
         (thread CPU time: p50 {:.2} ms, p99 {:.2} ms)",
        rescore.len(),
        ms(pct(&rescore, 50.0)),
        ms(pct(&rescore, 99.0)),
        ms(pct(&rescore_cpu, 50.0)),
        ms(pct(&rescore_cpu, 99.0))
    );
    summary.push((
        format!(
            "picker filter per keystroke over {} fields (worker thread)",
            fields.len()
        ),
        format!(
            "p50 {:.2} ms, p99 {:.2} ms (CPU p50 {:.2} ms, p99 {:.2} ms)",
            ms(pct(&per_key, 50.0)),
            ms(pct(&per_key, 99.0)),
            ms(pct(&per_key_cpu, 50.0)),
            ms(pct(&per_key_cpu, 99.0))
        ),
    ));

    // filter_fields builds a fresh index and sorts every match (the one-shot reference).
    let mut cold = Vec::new();
    for _ in 0..rounds {
        for q in TYPED {
            let t = Instant::now();
            std::hint::black_box(filter_fields(&fields, q));
            cold.push(t.elapsed());
        }
    }
    println!(
        "filter_fields (index + filter + full sort), {} calls: p50 {:.2} ms, p99 {:.2} ms",
        cold.len(),
        ms(pct(&cold, 50.0)),
        ms(pct(&cold, 99.0))
    );

    // The picker as the user drives it: a key through `update`, its filter request handed
    // to the worker (as the runner does), then one frame. The worker's answer comes back as
    // a message: applying it and drawing again is the "results on screen" time.
    let mut m = Model::new(Setup {
        config_path: "bench.toml".into(),
        existing: Existing::None,
        draft: None,
        prefill: None,
        demo: false,
        theme: Theme::COLOR,
        size: (80, 24),
    });
    let dict = Arc::new(dict);
    m.cx.dictionary = Some(Ok(Arc::clone(&dict)));
    let _ = snow_connect::wizard::update::request(&mut m, Request::EditEndpoint(None));
    // Opening shares the dictionary and builds the index (once per dictionary): each cold
    // run hands the model a dictionary it has not indexed yet (a copy, made untimed), each
    // warm run closes the picker (Esc) and reopens it over the same dictionary.
    let mut opens = Vec::new();
    let mut opens_cpu = Vec::new();
    for _ in 0..rounds.max(3) {
        m.cx.dictionary = Some(Ok(Arc::new((*dict).clone())));
        let (t, c) = (Instant::now(), thread_cpu());
        open_picker(&mut m);
        opens.push(t.elapsed());
        opens_cpu.push(thread_cpu().saturating_sub(c));
        let _ = update(&mut m, key(KeyCode::Esc));
    }
    let mut reopens = Vec::new();
    for _ in 0..rounds.max(3) {
        let t = Instant::now();
        open_picker(&mut m);
        reopens.push(t.elapsed());
        let _ = update(&mut m, key(KeyCode::Esc));
    }
    println!(
        "reopen the picker over the same dictionary (the index is reused), {} runs: p50 {:.2} ms, max {:.2} ms",
        reopens.len(),
        ms(pct(&reopens, 50.0)),
        ms(pct(&reopens, 100.0))
    );
    open_picker(&mut m);
    println!(
        "open the picker (cold: builds the index of {} fields), {} runs: p50 {:.2} ms, max {:.2} ms \
         (thread CPU time: p50 {:.2} ms, max {:.2} ms)",
        fields.len(),
        opens.len(),
        ms(pct(&opens, 50.0)),
        ms(pct(&opens, 100.0)),
        ms(pct(&opens_cpu, 50.0)),
        ms(pct(&opens_cpu, 100.0))
    );
    summary.push((
        format!(
            "opening the picker over {} fields (p50 / max)",
            fields.len()
        ),
        format!(
            "{:.2} / {:.2} ms (CPU {:.2} / {:.2} ms)",
            ms(pct(&opens, 50.0)),
            ms(pct(&opens, 100.0)),
            ms(pct(&opens_cpu, 50.0)),
            ms(pct(&opens_cpu, 100.0))
        ),
    ));
    let (tx, answers) = std::sync::mpsc::channel();
    let worker = FilterWorker::spawn(move |a| tx.send(a).is_ok()).expect("filter thread");
    let mut term = Terminal::new(TestBackend::new(80, 24)).expect("backend");
    term.draw(|f| view(&m, f)).expect("draw");
    let mut updates = Vec::new();
    let mut frames = Vec::new();
    let mut whole_cpu = Vec::new();
    let mut results = Vec::new();
    let mut results_cpu = Vec::new();
    for _ in 0..rounds {
        for q in TYPED {
            for c in q.chars() {
                let cpu = thread_cpu();
                let t = Instant::now();
                let effects = update(&mut m, key(KeyCode::Char(c)));
                forward(effects, &worker);
                updates.push(t.elapsed());
                let f = Instant::now();
                term.draw(|f| view(&m, f)).expect("draw");
                frames.push(f.elapsed());
                whole_cpu.push(thread_cpu().saturating_sub(cpu));
                let cpu = thread_cpu();
                settle(&mut m, &answers);
                term.draw(|f| view(&m, f)).expect("draw");
                results.push(t.elapsed());
                results_cpu.push(thread_cpu().saturating_sub(cpu));
            }
            for _ in q.chars() {
                forward(update(&mut m, key(KeyCode::Backspace)), &worker);
                settle(&mut m, &answers);
            }
        }
    }
    let whole: Vec<Duration> = updates.iter().zip(&frames).map(|(a, b)| *a + *b).collect();
    println!(
        "picker keystroke, update (query + filter request), {} keys: p50 {:.2} ms, p99 {:.2} ms",
        updates.len(),
        ms(pct(&updates, 50.0)),
        ms(pct(&updates, 99.0))
    );
    println!(
        "render one frame 80x24 with the picker open: p50 {:.2} ms, p99 {:.2} ms",
        ms(pct(&frames, 50.0)),
        ms(pct(&frames, 99.0))
    );
    println!(
        "keystroke to frame (update + render): p50 {:.2} ms, p99 {:.2} ms",
        ms(pct(&whole, 50.0)),
        ms(pct(&whole, 99.0))
    );
    println!(
        "keystroke to frame, thread CPU time: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(pct(&whole_cpu, 50.0)),
        ms(pct(&whole_cpu, 99.0)),
        ms(pct(&whole_cpu, 100.0))
    );
    println!(
        "keystroke to its results on screen (worker + answer + render): p50 {:.2} ms, \
         p99 {:.2} ms, max {:.2} ms (UI thread CPU time for the answer and its frame: \
         p50 {:.2} ms, p99 {:.2} ms)",
        ms(pct(&results, 50.0)),
        ms(pct(&results, 99.0)),
        ms(pct(&results, 100.0)),
        ms(pct(&results_cpu, 50.0)),
        ms(pct(&results_cpu, 99.0))
    );
    summary.push((
        "picker render per frame (80x24)".into(),
        format!(
            "p50 {:.2} ms, p99 {:.2} ms",
            ms(pct(&frames, 50.0)),
            ms(pct(&frames, 99.0))
        ),
    ));
    summary.push((
        "picker keystroke to frame (update + render)".into(),
        format!(
            "p50 {:.2} ms, p99 {:.2} ms (CPU p50 {:.2} ms, p99 {:.2} ms)",
            ms(pct(&whole, 50.0)),
            ms(pct(&whole, 99.0)),
            ms(pct(&whole_cpu, 50.0)),
            ms(pct(&whole_cpu, 99.0))
        ),
    ));
    summary.push((
        "picker keystroke to its results on screen (worker + answer + render)".into(),
        format!(
            "p50 {:.2} ms, p99 {:.2} ms",
            ms(pct(&results, 50.0)),
            ms(pct(&results, 99.0))
        ),
    ));
    println!();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(LAUNCHER) {
        let program = args.get(2).expect("program");
        launcher_main(program, &args[3..]);
        return;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    if std::env::args().any(|a| a == "--picker") {
        picker_only(quick);
        return;
    }
    if std::env::args().any(|a| a == "--pysnc") {
        let mut summary = Summary::new();
        pysnc_bench(quick, &mut summary);
        return;
    }
    if std::env::args().any(|a| a == "--processes") {
        processes_only();
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut summary = Summary::new();
    check_bench(&rt, quick, &mut summary);
    let dict = discovery_bench(&rt, quick, &mut summary);
    rss_bench(&mut summary);
    hostile_bench(&rt, &mut summary);
    pysnc_bench(quick, &mut summary);
    picker_bench(dict, quick, &mut summary);

    let width = summary.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    println!("== summary (cargo bench --bench perf; {} cores)", cores());
    println!("| {:<width$} | result |", "measure");
    println!("|{}|--------|", "-".repeat(width + 2));
    for (k, v) in &summary {
        println!("| {k:<width$} | {v} |");
    }
}

/// `-- --processes`: the rows measured on separate processes alone (peak RSS, the hostile
/// instance), e.g. for another build with `SNOW_CONNECT_BENCH_BIN`.
fn processes_only() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut summary = Summary::new();
    rss_bench(&mut summary);
    hostile_bench(&rt, &mut summary);
    pysnc_bench(false, &mut summary);
    for (k, v) in &summary {
        println!("| {k} | {v} |");
    }
}

/// `-- --picker`: the picker rows alone, over one discovery of +20,000 fields at latency 0.
fn picker_only(quick: bool) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dict = rt.block_on(async {
        let sim = simulator(0, 20_000).await;
        let d = discover_once(&sim).await.dict;
        sim.shutdown().await;
        d
    });
    let mut summary = Summary::new();
    picker_bench(dict, quick, &mut summary);
    for (k, v) in &summary {
        println!("| {k} | {v} |");
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
