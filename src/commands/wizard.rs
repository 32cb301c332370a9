//! The wizard's entry point: refuses without a TTY, starts the demo simulator for `--demo`,
//! then hands the terminal to `crate::wizard`.

use std::io::IsTerminal;
use std::path::PathBuf;

use secrecy::SecretString;

use super::{Global, output};
use crate::config::{ConfigError, DraftStore};
use crate::exit::Exit;
use crate::servicenow::ClientOptions;
use crate::simulator::{SimOptions, Simulator};
use crate::wizard::{DraftState, Existing, LoopExit, Prefill, RunnerOptions, Setup, Theme};

/// The one line printed when there is no terminal.
const NO_TTY: &str = "the wizard needs an interactive terminal; without one use \
`snow-connect check`, `snow-connect fields`, `snow-connect send` or `snow-connect config show`";

/// Run the wizard (optionally against the in-process simulator).
pub fn run(global: &Global, demo: bool, sim: SimOptions) -> Exit {
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        output::error(NO_TTY);
        return Exit::Usage;
    }
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(msg) => {
            output::error(&msg);
            return Exit::Usage;
        }
    };
    let exit = rt.block_on(run_async(global, demo, sim));
    // Background tasks (an HTTP request in flight) must not hold the exit.
    rt.shutdown_timeout(std::time::Duration::from_millis(500));
    match exit {
        Ok(code) => code,
        Err(signal) => std::process::exit(128 + signal),
    }
}

/// Existing config at `path`, classified for the welcome screen.
fn existing_at(path: &std::path::Path) -> Existing {
    if !path.exists() {
        return Existing::None;
    }
    // The wizard can edit a file whose *_env variables are not set in this shell.
    match crate::config::load_for_edit(path) {
        Ok(loaded) => Existing::Loaded {
            config: Box::new(loaded.config),
            warnings: loaded.warnings.into_iter().map(|w| w.message).collect(),
        },
        Err(ConfigError::NotFound { .. }) => Existing::None,
        Err(e) => Existing::Invalid(e.to_string()),
    }
}

/// The draft store for `path` and the draft in it, if any.
fn drafts_for(path: &std::path::Path) -> (Option<DraftStore>, Option<(DraftState, u64)>) {
    let Some(state) = crate::config::state_dir() else {
        return (None, None);
    };
    let store = DraftStore::new(&state, path);
    let draft = match store.load::<DraftState>() {
        Ok(d) => d.map(|d| (d.state, d.saved_at)),
        Err(e) => {
            tracing::warn!("ignoring an unreadable draft: {e}");
            None
        }
    };
    (Some(store), draft)
}

async fn run_async(global: &Global, demo: bool, sim: SimOptions) -> Result<Exit, i32> {
    // The demo's simulator is new on every run: its rejections are not worth keeping.
    let login_dir = if demo {
        None
    } else {
        crate::config::state_dir().map(|d| d.join("login"))
    };
    let mut client = ClientOptions {
        ca_file: global.ca_file.clone(),
        login_guard: Some(crate::servicenow::LoginGuard::open(login_dir)),
        ..ClientOptions::default()
    };
    let mut prefill = None;
    let mut simulator = None;
    let config_path: PathBuf = if demo {
        let s = match Simulator::start(sim).await {
            Ok(s) => s,
            Err(e) => {
                output::error(&format!("cannot start the demo simulator: {e}"));
                return Ok(Exit::Usage);
            }
        };
        if let Some(ca) = s.ca_cert_path() {
            client.ca_file = Some(ca.to_path_buf());
        }
        let o = s.options();
        prefill = Some(Prefill {
            instance_url: s.base_url().to_string(),
            client_id: o.client_id.clone(),
            client_secret: SecretString::from(o.client_secret.clone()),
            username: o.username.clone(),
            password: SecretString::from(o.password.clone()),
        });
        simulator = Some(s);
        global
            .config
            .clone()
            .unwrap_or_else(crate::config::demo_config_path)
    } else {
        match crate::config::resolve_config_path(global.config.as_deref()) {
            Some(p) => p,
            None => {
                output::error("cannot find a config directory on this system; pass --config PATH");
                return Ok(Exit::Usage);
            }
        }
    };
    let existing = existing_at(&config_path);
    let (drafts, draft) = drafts_for(&config_path);
    let setup = Setup {
        config_path,
        existing,
        draft,
        prefill,
        demo,
        theme: Theme::from_env(),
        size: (80, 24),
    };
    let outcome = crate::wizard::run(setup, RunnerOptions { client, drafts }).await;
    if let Some(s) = simulator {
        s.shutdown().await;
    }
    match outcome {
        Ok(o) => {
            match (&o.exit, &o.saved) {
                (LoopExit::Signal(sig), _) => return Err(*sig),
                (_, Some(p)) => output::println(&format!("snow-connect: saved {}", p.display())),
                (LoopExit::InputClosed, None) if o.unsaved => {
                    output::warn("the terminal went away; what you entered was kept as a draft");
                }
                (LoopExit::InputClosed, None) => {}
                (LoopExit::Quit, None) => {}
            }
            Ok(Exit::Success)
        }
        Err(e) => {
            output::error(&format!("terminal error: {e}"));
            Ok(Exit::Usage)
        }
    }
}
