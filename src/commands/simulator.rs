//! `snow-connect simulator`: run the simulator in the foreground.
//!
//! Scripts start it and read the first stdout line to learn where it listens, so that line is
//! the base URL alone and is flushed at once; the credentials follow one per line.

use std::io::Write;

use super::Global;
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
            eprintln!("snow-connect simulator: cannot start the async runtime: {e}");
            return Exit::Unreachable;
        }
    };
    runtime.block_on(async move {
        let sim = match Simulator::start(args.sim).await {
            Ok(sim) => sim,
            Err(e) => {
                eprintln!("snow-connect simulator: {e}");
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
        eprintln!("snow-connect simulator: serving; press Ctrl-C to stop");
        wait_for_signal().await;
        sim.shutdown().await;
        Exit::Success
    })
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let terminate = signal(SignalKind::terminate());
    match terminate {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
