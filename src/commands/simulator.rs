//! `snow-connect simulator`: run the simulator in the foreground.
//!
//! Scripts start it and read the first stdout line to learn where it listens, so that line is
//! the base URL alone and is flushed at once; the credentials follow one per line.

use std::io::Write;

use super::{Global, output};
use crate::cli::SimulatorArgs;
use crate::exit::Exit;
use crate::simulator::{SimError, Simulator};

/// The lines printed after start-up: base URL first, then `name value` pairs.
pub fn banner(sim: &Simulator) -> Vec<String> {
    let options = sim.options();
    let mut lines = vec![
        sim.base_url().to_string(),
        format!("client_id {}", options.client_id),
        format!("client_secret {}", options.client_secret),
        format!("username {}", options.username),
        format!("password {}", options.password),
    ];
    if let Some(ca) = sim.ca_cert_path() {
        lines.push(format!("ca_cert {}", ca.display()));
    }
    lines
}

/// Run the simulator until killed. First stdout line: the base URL alone.
pub fn run(global: &Global, args: SimulatorArgs) -> Exit {
    let _ = global;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            output::error(&format!("cannot start the async runtime: {e}"));
            return Exit::Unreachable;
        }
    };
    runtime.block_on(async move {
        let progress = output::Progress::start("starting the simulator");
        let started = Simulator::start(args.sim).await;
        drop(progress);
        let sim = match started {
            Ok(sim) => sim,
            Err(e) => {
                output::error(&e.to_string());
                return match e {
                    SimError::Dataset(_) | SimError::Tls(_) => Exit::Denied,
                    _ => Exit::Usage,
                };
            }
        };
        // A reader that takes only the first line and closes the pipe must not stop the
        // simulator, so write errors are ignored and serving goes on.
        let mut stdout = std::io::stdout().lock();
        for line in banner(&sim) {
            let _ = writeln!(stdout, "{line}").and_then(|_| stdout.flush());
        }
        drop(stdout);
        output::note("snow-connect simulator: serving; press Ctrl-C to stop");
        let stopped_by = wait_for_signal().await;
        sim.shutdown().await;
        stopped_by
    })
}

/// Wait for SIGINT (exit 130, as for every command) or SIGTERM (a service stop: exit 0).
async fn wait_for_signal() -> Exit {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => Exit::Interrupted,
                _ = term.recv() => Exit::Success,
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    Exit::Interrupted
}
