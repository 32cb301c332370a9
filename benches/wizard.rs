//! Wizard benchmarks (numbers, not assertions): per-keystroke picker latency over a
//! 20,000-field dictionary from the simulator (`--extra-fields 20000`), time to first frame
//! of the real binary in a pseudo-terminal, and CPU used while it sits idle for 10 seconds.
//!
//! `cargo bench --bench wizard` (add `-- --quick` for a 2-second idle sample).

use std::io::Read;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use snow_connect::diagnose::{CheckOptions, ConnectionInput, run_checks};
use snow_connect::simulator::{SimOptions, Simulator};
use snow_connect::wizard::screens::{editor, picker};
use snow_connect::wizard::{Existing, Model, Msg, Setup, Theme, filter_fields, update, view};

fn stats(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let n = v.len().max(1);
    let sum: Duration = v.iter().sum();
    let pct = |p: usize| {
        v.get((v.len() * p / 100).min(v.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{name:<46} n={:<4} mean={:>9.3?} p50={:>9.3?} p95={:>9.3?} max={:>9.3?}",
        v.len(),
        sum / u32::try_from(n).unwrap_or(1),
        pct(50),
        pct(95),
        v.last().copied().unwrap_or_default()
    );
}

fn picker_bench(rt: &tokio::runtime::Runtime) {
    let (dict, discover) = rt.block_on(async {
        let sim = Simulator::start(SimOptions {
            extra_fields: 20_000,
            ..SimOptions::default()
        })
        .await
        .expect("simulator");
        let o = sim.options().clone();
        let input = ConnectionInput {
            instance_url: sim.base_url().to_string(),
            client_id: o.client_id.clone(),
            client_secret: SecretString::from(o.client_secret.clone()),
            username: o.username.clone(),
            password: SecretString::from(o.password.clone()),
        };
        let start = Instant::now();
        let d = run_checks(
            &input,
            &CheckOptions {
                discover_fields: true,
                ..CheckOptions::default()
            },
            None,
            CancellationToken::new(),
        )
        .await;
        let took = start.elapsed();
        sim.shutdown().await;
        (d.dictionary.and_then(Result::ok).expect("dictionary"), took)
    });
    let offered = dict.selectable().count();
    println!(
        "checks + discovery over {} columns ({offered} selectable): {discover:.1?}",
        dict.fields.len()
    );

    // The pure filter, fresh index each call (what a benchmark of `filter_fields` sees).
    let fields: Vec<_> = dict.selectable().cloned().collect();
    let mut cold = Vec::new();
    for q in ["a", "cost", "u_extra 1999", "assignment group"] {
        let t = Instant::now();
        let m = filter_fields(&fields, q);
        cold.push(t.elapsed());
        std::hint::black_box(m);
    }
    stats("filter_fields (index + filter), 4 queries", cold);

    // The picker as the user drives it: one key = update (filter) + one frame.
    let mut m = Model::new(Setup {
        config_path: "bench.toml".into(),
        existing: Existing::None,
        draft: None,
        prefill: None,
        demo: false,
        theme: Theme::COLOR,
        size: (80, 24),
    });
    m.dictionary = Some(Ok(dict));
    let _ = editor::open(&mut m, None);
    let t = Instant::now();
    let _ = picker::open(&mut m);
    println!(
        "open the picker (index {} fields): {:.3?}",
        fields.len(),
        t.elapsed()
    );
    let mut term = Terminal::new(TestBackend::new(80, 24)).expect("backend");
    let mut per_key = Vec::new();
    let mut filter_only = Vec::new();
    for round in 0..5 {
        for c in "extra field 12".chars() {
            let t = Instant::now();
            let _ = update(
                &mut m,
                Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
            );
            let f = t.elapsed();
            term.draw(|fr| view(&m, fr)).expect("draw");
            per_key.push(t.elapsed());
            filter_only.push(f);
        }
        for _ in 0.."extra field 12".len() {
            let _ = update(
                &mut m,
                Msg::Key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE)),
            );
        }
        let _ = round;
    }
    stats("picker keystroke: update (filter)", filter_only);
    stats("picker keystroke: update + render 80x24", per_key);
}

fn pty_bench(idle: Duration) {
    let bin = env!("CARGO_BIN_EXE_snow-connect");
    let dir = tempfile::tempdir().expect("tempdir");
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("pty");
    let mut cmd = CommandBuilder::new(bin);
    cmd.arg("--demo");
    cmd.cwd(dir.path());
    cmd.env("TERM", "xterm-256color");
    cmd.env("XDG_CONFIG_HOME", dir.path().join("config"));
    cmd.env("XDG_STATE_HOME", dir.path().join("state"));
    let start = Instant::now();
    let mut child = pair.slave.spawn_command(cmd).expect("spawn");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("reader");
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let (Some(rows), Some(cols)) = (std::num::NonZeroU16::new(24), std::num::NonZeroU16::new(80))
    else {
        unreachable!()
    };
    let mut parser = vt100::Parser::new(rows, cols, 0);
    let first = loop {
        if let Ok(bytes) = rx.recv_timeout(Duration::from_secs(30)) {
            parser.process(&bytes);
        }
        if parser
            .screen()
            .contents()
            .contains("Connect Finout to ServiceNow")
        {
            break start.elapsed();
        }
        assert!(start.elapsed() < Duration::from_secs(30), "no first frame");
    };
    println!("time to first frame (spawn --demo to welcome screen): {first:.1?}");
    // Let the rest of that frame (down to the footer) arrive before measuring idleness.
    while !parser.screen().contents().contains("Ctrl-C quit") {
        if let Ok(bytes) = rx.recv_timeout(Duration::from_secs(30)) {
            parser.process(&bytes);
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no complete first frame"
        );
    }
    let pid = child.process_id().expect("pid");
    let cpu = || -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after = stat.rsplit_once(')')?.1;
        let f: Vec<&str> = after.split_whitespace().collect();
        Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
    };
    // SAFETY: sysconf has no preconditions.
    let ticks = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) })
        .unwrap_or(100)
        .max(1);
    let before = cpu().unwrap_or(0);
    let mut bytes_idle = 0usize;
    let t = Instant::now();
    while t.elapsed() < idle {
        if let Ok(b) = rx.recv_timeout(Duration::from_millis(100)) {
            bytes_idle += b.len();
        }
    }
    let used = cpu().unwrap_or(0).saturating_sub(before);
    println!(
        "idle {:.0?}: CPU {} ms, {} bytes written to the terminal",
        idle,
        used * 1000 / ticks,
        bytes_idle
    );
    let _ = child.kill();
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    picker_bench(&rt);
    pty_bench(if quick {
        Duration::from_secs(2)
    } else {
        Duration::from_secs(10)
    });
}
