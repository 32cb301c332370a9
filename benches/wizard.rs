//! Wizard benchmarks (numbers, not assertions): time to first frame of the real binary in a
//! pseudo-terminal, and CPU used while it sits idle for 10 seconds. The picker over 20,000
//! fields is measured in `cargo bench --bench perf`.
//!
//! `cargo bench --bench wizard` (add `-- --quick` for a 2-second idle sample).

// Test and bench code may stop at a broken fixture: that is where it should stop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

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
    // The frame's last bytes (style resets, the cursor) can follow its text in a later read.
    let settle = Instant::now();
    let mut tail = 0usize;
    while settle.elapsed() < Duration::from_millis(200) {
        if let Ok(b) = rx.recv_timeout(Duration::from_millis(20)) {
            tail += b.len();
            parser.process(&b);
        }
    }
    println!("the first frame's tail after its text: {tail} bytes");
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
    pty_bench(if quick {
        Duration::from_secs(2)
    } else {
        Duration::from_secs(10)
    });
}
