//! The wizard's entry point: refuses without a TTY (or with `TERM=dumb`), starts the demo
//! simulator for `--demo`, hands the terminal to `crate::wizard`, and once the normal screen
//! is back says how it ended: after a save, the path and the next steps (gh's way); without
//! one, where the draft is, with a non-zero status.
//!
//! Exit status of the wizard (also in `--help` and the README): 0 saved, or quit with nothing
//! entered; 2 no usable terminal; 130 quit with unsaved work; 128 + N for signal N (129 for
//! SIGHUP or a terminal that went away). A draft is kept in every non-zero case but 2.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use secrecy::SecretString;

use super::{Global, output};
use crate::config::{Config, ConfigError, DraftStore, SecretRef};
use crate::exit::Exit;
use crate::servicenow::ClientOptions;
use crate::simulator::{SimOptions, Simulator};
use crate::wizard::theme::usable_term;
use crate::wizard::{DraftState, Existing, LoopExit, Prefill, RunnerOptions, Setup, Theme};

/// The one line printed when there is no terminal.
const NO_TTY: &str = "the wizard needs an interactive terminal; without one use \
`snow-connect check`, `snow-connect fields`, `snow-connect send` or `snow-connect config show`";

/// The signal whose status (128 + 1) a terminal that went away ends with: SIGHUP, which
/// usually comes with it.
const HANGUP: i32 = 1;

/// The refusal for a terminal that cannot draw the wizard: the no-terminal line, with why.
fn dumb_terminal_refusal(term: Option<&std::ffi::OsStr>) -> String {
    let why = match term.map(|t| t.to_string_lossy()) {
        Some(t) if !t.trim().is_empty() => format!("TERM={} cannot draw it", t.trim()),
        _ => "TERM is not set".to_string(),
    };
    NO_TTY.replacen(
        "interactive terminal;",
        &format!("interactive terminal ({why});"),
        1,
    )
}

/// Run the wizard (optionally against the in-process simulator).
pub fn run(global: &Global, demo: bool, sim: SimOptions) -> Exit {
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        output::error(NO_TTY);
        return Exit::Usage;
    }
    let term = std::env::var_os("TERM");
    if !usable_term(term.as_deref()) {
        output::error(&dumb_terminal_refusal(term.as_deref()));
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
    // Before loading, so a month-old draft of this very config is not offered either.
    crate::config::prune_drafts(&state, crate::config::DRAFT_MAX_AGE, SystemTime::now());
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
    // An unusable limit is refused before the screen is up, as the headless commands do.
    let budget = match super::connection::budget_from_env() {
        Ok(b) => b,
        Err(e) => {
            output::error(&e);
            return Ok(Exit::Usage);
        }
    };
    let mut client = ClientOptions {
        ca_file: global.ca_file.clone(),
        login_guard: Some(crate::servicenow::LoginGuard::open(login_dir)),
        budget,
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
    let draft_path = drafts.as_ref().map(|d| d.path().to_path_buf());
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
    let demo_url = simulator.as_ref().map(|s| s.base_url().to_string());
    if let Some(s) = simulator {
        s.shutdown().await;
    }
    let o = match outcome {
        Ok(o) => o,
        Err(e) => {
            output::error(&format!("terminal error: {e}"));
            return Ok(Exit::Usage);
        }
    };
    let not_saved = || {
        output::warn(&draft_note(
            draft_path.as_deref().filter(|p| p.exists()),
            &resume_command(global, demo),
        ));
    };
    match (o.exit, &o.saved) {
        (LoopExit::Signal(sig), _) => {
            if o.unsaved {
                not_saved();
            }
            Err(sig)
        }
        (LoopExit::InputClosed, _) if o.unsaved => {
            not_saved();
            Err(HANGUP)
        }
        // The terminal is gone: nobody would read a summary.
        (LoopExit::InputClosed, _) => Ok(Exit::Success),
        (LoopExit::Quit, _) if o.unsaved => {
            not_saved();
            Ok(Exit::Interrupted)
        }
        (LoopExit::Quit, Some(path)) => {
            // What is on disk now is what `check` will read, so describe that.
            let config = match crate::config::load_for_edit(path) {
                Ok(loaded) => Some(loaded.config),
                Err(e) => {
                    tracing::warn!("cannot re-read the saved config for the summary: {e}");
                    None
                }
            };
            let ending = Ending {
                path,
                config: config.as_ref(),
                config_flag: config_flag(path),
                ca_file: global.ca_file.as_deref(),
                demo_url: demo_url.as_deref(),
                width: output::Stream::Stdout.width(),
            };
            output::print(&ending.text());
            Ok(Exit::Success)
        }
        (LoopExit::Quit, None) => Ok(Exit::Success),
    }
}

/// The line that says the work was not saved and where the draft is.
fn draft_note(draft: Option<&Path>, resume: &str) -> String {
    match draft {
        Some(p) => format!(
            // The path ends the note: nothing trails it, so a path wider than the terminal
            // folds alone and copies whole.
            "not saved; what you entered (without secrets) is kept as a draft, which \
             `{resume}` offers again: {}",
            p.display()
        ),
        None => "not saved, and no draft could be kept (see the log)".to_string(),
    }
}

/// The command that starts the same wizard again (its draft is keyed to the config path).
fn resume_command(global: &Global, demo: bool) -> String {
    let mut cmd = String::from("snow-connect");
    if demo {
        cmd.push_str(" --demo");
    }
    if let Some(p) = &global.config {
        cmd.push_str(" --config ");
        cmd.push_str(&shell_quote(&p.to_string_lossy()));
    }
    cmd
}

/// `--config PATH` for the next-step commands, unless `path` is where they look anyway.
fn config_flag(path: &Path) -> Option<PathBuf> {
    let default = crate::config::default_config_path();
    let same = default.as_deref().is_some_and(|d| {
        d == path || std::fs::canonicalize(d).ok() == std::fs::canonicalize(path).ok()
    });
    (!same).then(|| path.to_path_buf())
}

/// Where a saved secret is kept, as the closing lines tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SecretHome<'a> {
    /// In the 0600 file.
    Inline,
    /// In this environment variable.
    Env(&'a str),
    /// The output of this command.
    Command(&'a str),
    /// In this file.
    File(&'a Path),
}

impl<'a> SecretHome<'a> {
    fn of(r: &'a SecretRef) -> SecretHome<'a> {
        match r {
            SecretRef::Inline(_) => SecretHome::Inline,
            SecretRef::Env(var) => SecretHome::Env(var),
            SecretRef::Command(c) => SecretHome::Command(c),
            SecretRef::File(p) => SecretHome::File(p),
        }
    }
}

/// What a finished save tells the user on the normal screen.
struct Ending<'a> {
    /// The saved file.
    path: &'a Path,
    /// The saved file as read back (`None`: it could not be, so only the path is certain).
    config: Option<&'a Config>,
    /// `--config PATH` the commands need (not the default path).
    config_flag: Option<PathBuf>,
    /// `--ca-file` the wizard ran with (the commands need it too).
    ca_file: Option<&'a Path>,
    /// The demo simulator's URL, when this was `--demo` (it has stopped by now).
    demo_url: Option<&'a str>,
    /// Columns the prose wraps at (commands are never wrapped: they are copied).
    width: usize,
}

/// The short description the suggested `send --dry-run` uses.
const TRY_DESCRIPTION: &str = "Test from snow-connect";

impl Ending<'_> {
    /// The flags every suggested command needs to find this config and trust its instance.
    fn flags(&self) -> String {
        let mut f = String::new();
        if let Some(p) = &self.config_flag {
            f.push_str(" --config ");
            f.push_str(&shell_quote(&p.to_string_lossy()));
        }
        if let Some(ca) = self.ca_file {
            f.push_str(" --ca-file ");
            f.push_str(&shell_quote(&ca.to_string_lossy()));
        }
        f
    }

    /// The whole text, ending in a newline.
    fn text(&self) -> String {
        let mut out = format!("✓ Saved {}\n", self.path.display());
        let Some(config) = self.config else {
            out.push_str(&format!(
                "\nNext: check the connection with\n    snow-connect check{}\n",
                self.flags()
            ));
            return out;
        };
        let sn = &config.servicenow;
        self.next_steps(
            &mut out,
            config,
            [
                SecretHome::of(&sn.client_secret),
                SecretHome::of(&sn.password),
            ],
        );
        out
    }

    /// The numbered next steps, for the client secret and the password kept in `homes`.
    fn next_steps(&self, out: &mut String, config: &Config, homes: [SecretHome<'_>; 2]) {
        let sn = &config.servicenow;
        let password = format!("the password of {}", sn.username);
        let secrets = [
            ("the OAuth client secret", homes[0]),
            (password.as_str(), homes[1]),
        ];
        out.push_str("\nNext steps:\n");
        let mut step = 0;
        let width = self.width;
        let mut next = |out: &mut String, title: &str| {
            step += 1;
            out.push_str(&output::wrap(
                &format!("{step}. {title}"),
                width,
                "  ",
                "   ",
            ));
        };
        let env: Vec<_> = secrets
            .iter()
            .filter_map(|(what, h)| match h {
                SecretHome::Env(var) => Some((*what, *var)),
                _ => None,
            })
            .collect();
        if !env.is_empty() {
            next(
                out,
                "Set the secrets where snow-connect runs (the file names only the variables):",
            );
            let width = env.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
            for (what, var) in &env {
                let pad = " ".repeat(width - var.len());
                out.push_str(&format!("       export {var}='…'{pad}   # {what}\n"));
            }
        }
        for (what, home) in &secrets {
            match home {
                SecretHome::Command(cmd) => {
                    next(
                        out,
                        &format!(
                            "Make sure this prints {what} in the shell that runs snow-connect:"
                        ),
                    );
                    out.push_str(&format!("       {cmd}\n"));
                }
                SecretHome::File(p) => next(
                    out,
                    &format!(
                        "Put {what} in {} (mode 0600, owned by the user that runs snow-connect).",
                        p.display()
                    ),
                ),
                SecretHome::Inline | SecretHome::Env(_) => {}
            }
        }
        if secrets.iter().all(|(_, h)| *h == SecretHome::Inline) {
            out.push_str(&output::wrap(
                "The secrets are in the file itself; only you can read it (mode 0600).",
                width,
                "  ",
                "",
            ));
        }
        next(out, "Check the connection and the permissions:");
        out.push_str(&format!("       snow-connect check{}\n", self.flags()));
        match config.endpoints.first() {
            Some(e) => {
                next(out, "See what an alert would create, without creating it:");
                out.push_str(&format!(
                    "       snow-connect send{} --dry-run \\\n           --endpoint {} --short-description {}\n",
                    self.flags(),
                    shell_quote(&e.name),
                    shell_quote(TRY_DESCRIPTION),
                ));
            }
            None => next(
                out,
                "Add an endpoint (run the wizard again): alerts need one to create incidents.",
            ),
        }
        if let Some(url) = self.demo_url {
            out.push_str(&demo_note(url, &sn.instance_url, self.width));
        }
    }
}

/// For a demo config: its instance stopped with the wizard; how to bring one back.
fn demo_note(demo_url: &str, saved_url: &str, width: usize) -> String {
    let prose = |text: &str| output::wrap(text, width, "", "");
    let mut out = String::from("\n");
    out.push_str(&prose(&format!(
        "The demo instance ({demo_url}) stopped with the wizard, so these commands cannot \
         reach it now."
    )));
    let listen = url::Url::parse(saved_url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)));
    match listen {
        Some(addr) => {
            out.push_str(&prose(
                "To use this file, start a simulator at the same address in another terminal:",
            ));
            out.push_str(&format!(
                "    snow-connect simulator --listen {}\n",
                shell_quote(&addr)
            ));
        }
        None => {
            out.push_str(&prose(
                "To use this file, start a simulator in another terminal:",
            ));
            out.push_str("    snow-connect simulator\n");
        }
    }
    out.push_str(&prose(
        "It takes the same --deny flags as --demo and prints its URL and credentials; without \
         --listen it picks a free port: then put the URL it prints as instance_url in the file.",
    ));
    out
}

/// `s` as one shell word: as is when it is plainly safe, else single-quoted.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Endpoint, ServiceNowConfig};

    fn config(secret: SecretRef, password: SecretRef, endpoints: &[&str]) -> Config {
        Config {
            servicenow: ServiceNowConfig {
                instance_url: "http://127.0.0.1:40123".into(),
                client_id: "4f1c".into(),
                client_secret: secret,
                username: "finout.integration".into(),
                password,
            },
            endpoints: endpoints
                .iter()
                .map(|name| Endpoint {
                    name: (*name).into(),
                    description: String::new(),
                    table: "incident".into(),
                    fields: Vec::new(),
                })
                .collect(),
        }
    }

    fn inline(s: &str) -> SecretRef {
        SecretRef::Inline(SecretString::from(s.to_string()))
    }

    fn ending<'a>(path: &'a Path, config: Option<&'a Config>) -> Ending<'a> {
        Ending {
            path,
            config,
            config_flag: None,
            ca_file: None,
            demo_url: None,
            width: 80,
        }
    }

    #[test]
    fn inline_secrets_need_no_exports_and_are_never_shown() {
        let c = config(
            inline("s3cret-value"),
            inline("pa55word"),
            &["Major incidents"],
        );
        let path = Path::new("/home/u/.config/snow-connect/config.toml");
        let text = ending(path, Some(&c)).text();
        assert!(
            text.starts_with("✓ Saved /home/u/.config/snow-connect/config.toml\n"),
            "{text}"
        );
        assert!(!text.contains("export"), "{text}");
        assert!(text.contains("mode 0600"), "{text}");
        assert!(text.contains("  1. Check the connection"), "{text}");
        assert!(text.contains("       snow-connect check\n"), "{text}");
        assert!(
            text.contains(
                "snow-connect send --dry-run \\\n           --endpoint 'Major incidents' \
                 --short-description 'Test from snow-connect'\n"
            ),
            "{text}"
        );
        assert!(!text.contains("s3cret-value") && !text.contains("pa55word"));
        assert!(!text.contains("demo"), "{text}");
    }

    #[test]
    fn env_secrets_get_their_export_lines_first() {
        let c = config(
            SecretRef::Env("SNOW_CLIENT_SECRET".into()),
            SecretRef::Env("SNOW_PASSWORD".into()),
            &["p1"],
        );
        let text = ending(Path::new("/c.toml"), Some(&c)).text();
        let export = text
            .find("1. Set the secrets")
            .expect("step 1 sets the secrets");
        assert!(
            text[export..].contains(
                "       export SNOW_CLIENT_SECRET='…'   # the OAuth client secret\n       \
             export SNOW_PASSWORD='…'        # the password of finout.integration\n"
            ),
            "{text}"
        );
        assert!(text.contains("2. Check the connection"), "{text}");
        assert!(text.contains("3. See what an alert would create"), "{text}");
        assert!(text.contains("--endpoint p1 --short-description"), "{text}");
        assert!(!text.contains("mode 0600"), "{text}");
    }

    #[test]
    fn command_and_file_secrets_are_named_with_their_source() {
        let c = config(inline("x"), inline("y"), &["p1"]);
        let e = ending(Path::new("/c.toml"), Some(&c));
        let mut text = String::new();
        e.next_steps(
            &mut text,
            &c,
            [
                SecretHome::Command("pass show snow/finout"),
                SecretHome::File(Path::new("/run/credentials/snow.password")),
            ],
        );
        assert!(
            text.contains("1. Make sure this prints the OAuth client secret"),
            "{text}"
        );
        assert!(text.contains("       pass show snow/finout\n"), "{text}");
        assert!(
            text.contains("2. Put the password of finout.integration in"),
            "{text}"
        );
        assert!(text.contains("/run/credentials/snow.password"), "{text}");
        assert!(text.contains("3. Check the connection"), "{text}");
        assert!(
            !text.contains("export") && !text.contains("itself"),
            "{text}"
        );
        // Prose wraps at the width; the command lines are whole.
        assert!(
            text.lines()
                .all(|l| l.chars().count() <= 80 || l.contains("snow-connect send"))
        );
    }

    #[test]
    fn a_config_elsewhere_is_named_in_every_command_quoted() {
        let c = config(inline("x"), inline("y"), &["it's mine"]);
        let mut e = ending(Path::new("/tmp/my dir/demo.toml"), Some(&c));
        e.config_flag = Some(PathBuf::from("/tmp/my dir/demo.toml"));
        e.ca_file = Some(Path::new("/etc/corp-ca.pem"));
        let text = e.text();
        assert!(
            text.contains(
                "snow-connect check --config '/tmp/my dir/demo.toml' --ca-file /etc/corp-ca.pem\n"
            ),
            "{text}"
        );
        let send = "snow-connect send --config '/tmp/my dir/demo.toml' --ca-file \
                    /etc/corp-ca.pem --dry-run \\\n           --endpoint 'it'\\''s mine' ";
        assert!(text.contains(send), "{text}");
    }

    #[test]
    fn a_demo_config_says_its_instance_stopped_and_how_to_start_one() {
        let c = config(inline("x"), inline("y"), &["p1"]);
        let mut e = ending(Path::new("/w/snow-connect-demo.toml"), Some(&c));
        e.demo_url = Some("http://127.0.0.1:40123");
        let text = e.text();
        assert!(
            text.contains("The demo instance (http://127.0.0.1:40123) stopped"),
            "{text}"
        );
        assert!(
            text.contains("    snow-connect simulator --listen 127.0.0.1:40123\n"),
            "{text}"
        );
        assert!(text.contains("instance_url"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    }

    /// The text printed after Save, at the widths the wizard is read at (80, 60 and 40
    /// columns; the height does not matter on the normal screen): a demo file with its
    /// secrets in environment variables, and the inline default.
    #[test]
    fn closing_summary_snapshots() {
        let env = config(
            SecretRef::Env("SNOW_CLIENT_SECRET".into()),
            SecretRef::Env("SNOW_PASSWORD".into()),
            &["FinOps anomalies"],
        );
        let inline = config(inline("s3cret!"), inline("pa55word"), &["FinOps anomalies"]);
        let demo = Path::new("/home/op/snow-connect-demo.toml");
        let home = Path::new("/home/op/.config/snow-connect/config.toml");
        for width in [80, 60, 40] {
            let mut e = ending(demo, Some(&env));
            e.config_flag = Some(demo.to_path_buf());
            e.demo_url = Some("http://127.0.0.1:40123");
            e.width = width;
            let text = e.text();
            assert!(!text.contains("s3cret!") && !text.contains("pa55word"));
            insta::assert_snapshot!(format!("closing_summary_demo_env_w{width}"), text);
            let mut e = ending(home, Some(&inline));
            e.width = width;
            let text = e.text();
            assert!(!text.contains("s3cret!") && !text.contains("pa55word"));
            insta::assert_snapshot!(format!("closing_summary_inline_w{width}"), text);
        }
    }

    #[test]
    fn without_endpoints_the_next_step_is_adding_one() {
        let c = config(inline("x"), inline("y"), &[]);
        let text = ending(Path::new("/c.toml"), Some(&c)).text();
        assert!(!text.contains("snow-connect send"), "{text}");
        assert!(text.contains("2. Add an endpoint"), "{text}");
    }

    #[test]
    fn an_unreadable_saved_file_still_gets_its_path_and_check() {
        let text = ending(Path::new("/c.toml"), None).text();
        assert_eq!(
            text,
            "✓ Saved /c.toml\n\nNext: check the connection with\n    snow-connect check\n"
        );
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        for (raw, quoted) in [
            ("p1", "p1"),
            ("Major-incidents_2", "Major-incidents_2"),
            ("/tmp/x.toml", "/tmp/x.toml"),
            ("PTY endpoint", "'PTY endpoint'"),
            ("it's", r"'it'\''s'"),
            ("$HOME", "'$HOME'"),
            ("a;rm -rf /", "'a;rm -rf /'"),
            ("", "''"),
            ("é", "'é'"),
        ] {
            assert_eq!(shell_quote(raw), quoted, "{raw:?}");
        }
    }

    #[test]
    fn the_draft_note_names_the_draft_and_the_command_that_resumes_it() {
        let note = draft_note(
            Some(Path::new("/s/drafts/config.toml-00ff.json")),
            "snow-connect --demo",
        );
        assert!(note.contains("/s/drafts/config.toml-00ff.json"), "{note}");
        assert!(note.contains("`snow-connect --demo`"), "{note}");
        assert!(note.starts_with("not saved"), "{note}");
        assert!(!note.contains('\n'));
        assert!(draft_note(None, "snow-connect").contains("no draft could be kept"));
        let global = Global {
            config: Some(PathBuf::from("/tmp/a b.toml")),
            ca_file: None,
        };
        assert_eq!(
            resume_command(&global, true),
            "snow-connect --demo --config '/tmp/a b.toml'"
        );
    }

    #[test]
    fn the_quit_note_fits_80_columns_and_keeps_the_command_whole() {
        use unicode_width::UnicodeWidthStr;
        let draft = Path::new(
            "/home/op/.local/state/snow-connect/drafts/config.toml-5f3a9c2e71d04b8a.json",
        );
        let note = draft_note(Some(draft), "snow-connect --demo");
        assert!(
            format!("snow-connect: warning: {note}").width() > 80,
            "one line would be wrapped by the terminal"
        );
        // What `output::warn` prints at 80 columns.
        let text = output::warning_text(&note, 80);
        assert!(text.lines().count() > 1, "{text}");
        assert!(text.lines().all(|l| l.width() <= 80), "{text}");
        assert!(
            text.lines().any(|l| l.contains("`snow-connect --demo`")),
            "the command on one line:\n{text}"
        );
        assert!(
            text.lines()
                .any(|l| l.contains(&draft.display().to_string())),
            "the path on one line:\n{text}"
        );
        assert!(
            text.starts_with("snow-connect: warning: not saved"),
            "{text}"
        );
        // The demo's drafts (named after snow-connect-demo.toml) are wider than 80 columns
        // under a usual home: the path stands alone, whole, for the terminal to fold, and
        // every other line fits.
        let long = Path::new(
            "/home/operator/.local/state/snow-connect/drafts/snow-connect-demo.toml-5f3a9c2e71d04b8a.json",
        );
        let text = output::warning_text(
            &draft_note(Some(long), "snow-connect --demo --config /tmp/x.toml"),
            80,
        );
        let alone = long.display().to_string();
        assert!(text.lines().any(|l| l.trim() == alone), "{text}");
        assert!(
            text.lines().all(|l| l.width() <= 80 || l.trim() == alone),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|l| l.contains("`snow-connect --demo --config /tmp/x.toml`")),
            "{text}"
        );
    }

    #[test]
    fn a_dumb_terminal_gets_the_no_terminal_line_with_why() {
        use std::ffi::OsStr;
        let line = dumb_terminal_refusal(Some(OsStr::new("dumb")));
        assert!(line.starts_with("the wizard needs an interactive terminal (TERM=dumb cannot draw it); without one use `snow-connect check`"), "{line}");
        assert!(!line.contains('\n'));
        assert!(dumb_terminal_refusal(None).contains("(TERM is not set)"));
        assert!(dumb_terminal_refusal(Some(OsStr::new(""))).contains("(TERM is not set)"));
    }
}
