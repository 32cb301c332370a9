//! Command-line definitions (clap) and dispatch to the wizard or a headless command.
//!
//! Names here are the product contract of DESIGN.md section 1; tests outside the repository
//! depend on them.

mod help;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgAction, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::commands::output;
use crate::exit::Exit;
use crate::simulator::SimOptions;

/// The heading of the options every command accepts.
const GLOBAL: &str = "Global options";

/// `--version`: the version, the git commit and the build date (stamped by build.rs).
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("SNOW_CONNECT_GIT_COMMIT"),
    ", built ",
    env!("SNOW_CONNECT_BUILD_DATE"),
    ")"
);

/// Connect Finout to a ServiceNow instance: a setup wizard plus headless checks.
#[derive(Debug, Parser)]
#[command(
    name = "snow-connect",
    version = LONG_VERSION,
    about,
    long_about = None,
    after_help = help::ROOT_SHORT,
    after_long_help = help::ROOT_LONG
)]
pub struct Cli {
    /// Config file to read and write (default: the platform config dir, config.toml).
    #[arg(long, global = true, env = "SNOW_CONNECT_CONFIG", value_name = "PATH", help_heading = GLOBAL)]
    pub config: Option<PathBuf>,

    /// Write a debug log to this file (default: snow-connect.log in the state dir).
    #[arg(long, global = true, value_name = "PATH", help_heading = GLOBAL)]
    pub log_file: Option<PathBuf>,

    /// Use a config owned by another user or writable by others (refused by default).
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub insecure_config: bool,

    /// Run the wizard against a built-in simulated instance on 127.0.0.1 (it accepts every
    /// simulator flag, see `snow-connect simulator --help`).
    #[arg(long)]
    pub demo: bool,

    /// Extra CA certificate (PEM) to trust, e.g. a corporate TLS-inspection CA.
    #[arg(long, global = true, value_name = "PEM", help_heading = GLOBAL)]
    pub ca_file: Option<PathBuf>,

    /// Print only results and errors: no warnings, notes or progress line.
    #[arg(short, long, global = true, help_heading = GLOBAL)]
    pub quiet: bool,

    /// Log more to the log file (-v debug, -vv trace; overrides SNOW_CONNECT_LOG).
    #[arg(short, long, global = true, action = ArgAction::Count, help_heading = GLOBAL)]
    pub verbose: u8,

    /// Simulator flags, honoured with --demo and hidden from this help (they are listed
    /// under `simulator --help`). Declared last: their help heading would otherwise carry
    /// over to the options after them.
    #[command(flatten)]
    pub sim: SimOptions,

    // Undocumented on purpose here and on the flattened fields below: clap turns doc comments
    // into help text, and these have their own.
    #[allow(missing_docs)]
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The headless commands. Without one, the wizard runs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the connection and ACL checks without the wizard.
    #[command(after_help = help::MORE, after_long_help = help::CHECK)]
    Check(CheckArgs),
    /// List the fields the Additional Fields picker would offer.
    #[command(after_help = help::MORE, after_long_help = help::FIELDS)]
    Fields(FieldsArgs),
    /// Create an incident through a configured endpoint.
    #[command(after_help = help::MORE, after_long_help = help::SEND)]
    Send(SendArgs),
    /// Run the ServiceNow simulator in the foreground.
    #[command(after_help = help::MORE, after_long_help = help::SIMULATOR)]
    Simulator(SimulatorArgs),
    /// Show or remove the saved configuration.
    #[command(subcommand, after_help = help::MORE, after_long_help = help::CONFIG)]
    Config(ConfigCommand),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    #[command(after_help = help::MORE, after_long_help = help::COMPLETIONS)]
    Completions(CompletionsArgs),
    /// Print the man page (roff, every command) on stdout.
    #[command(after_help = help::MORE, after_long_help = help::MAN)]
    Man,
}

/// Connection settings for headless commands when no config file is used.
///
/// Secrets never come from argv: they are read from `SNOW_CLIENT_SECRET` and `SNOW_PASSWORD`.
#[derive(Debug, Clone, Default, Args)]
pub struct ConnectionArgs {
    /// Instance URL (e.g. acme, acme.service-now.com or https://acme.service-now.com).
    #[arg(long, value_name = "URL", env = "SNOW_INSTANCE")]
    pub instance: Option<String>,
    /// OAuth client id from the Application Registry.
    #[arg(long, value_name = "ID", env = "SNOW_CLIENT_ID")]
    pub client_id: Option<String>,
    /// The integration user's User ID.
    #[arg(long, value_name = "NAME", env = "SNOW_USERNAME")]
    pub username: Option<String>,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// Send credentials that ServiceNow rejected before once more (they are remembered and
    /// not resent unchanged, as repeated failures lock the user out).
    #[arg(long)]
    pub retry_login: bool,
}

/// `snow-connect check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[allow(missing_docs)]
    #[command(flatten)]
    pub conn: ConnectionArgs,
    /// Print one JSON document on stdout (human text goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Also create a clearly labelled test incident.
    #[arg(long)]
    pub create_test_incident: bool,
    /// Print the admin report instead (`markdown`: the same text as the wizard's report).
    #[arg(long, value_name = "FORMAT", value_parser = ["markdown"], conflicts_with = "json")]
    pub format: Option<String>,
}

/// `snow-connect fields`.
#[derive(Debug, Clone, Args)]
pub struct FieldsArgs {
    #[allow(missing_docs)]
    #[command(flatten)]
    pub conn: ConnectionArgs,
    /// Table whose dictionary to read.
    #[arg(long, default_value = "incident")]
    pub table: String,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `snow-connect send`. It always connects with the saved config, which holds the endpoint,
/// so it offers no connection flags.
#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// Name of the configured endpoint.
    #[arg(long, value_name = "NAME")]
    pub endpoint: String,
    /// The alert's short description.
    #[arg(long, value_name = "TEXT")]
    pub short_description: String,
    /// The alert's description.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Validate and print the exact JSON body that would be POSTed, as is (no
    /// schema_version/tool_version envelope), without creating anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// Send credentials that ServiceNow rejected before once more (they are remembered and
    /// not resent unchanged, as repeated failures lock the user out).
    #[arg(long)]
    pub retry_login: bool,
}

impl SendArgs {
    /// The connection settings `send` has: the config's, with this timeout.
    pub fn connection_args(&self) -> ConnectionArgs {
        ConnectionArgs {
            timeout: self.timeout,
            retry_login: self.retry_login,
            ..ConnectionArgs::default()
        }
    }
}

/// `snow-connect simulator`.
#[derive(Debug, Clone, Args)]
pub struct SimulatorArgs {
    #[allow(missing_docs)]
    #[command(flatten)]
    pub sim: SimOptions,
}

/// `snow-connect completions SHELL`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to print completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `snow-connect config ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum ConfigCommand {
    /// Print the config file's path.
    #[command(after_long_help = help::CONFIG)]
    Path,
    /// Print the config with secrets masked (and where each secret comes from).
    #[command(after_long_help = help::CONFIG)]
    Show {
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Delete the integration and with it every endpoint.
    #[command(after_long_help = help::CONFIG)]
    Remove {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

/// The clap command as the binary uses it: the derive definition, with the simulator's flags
/// hidden at the top level (they stay accepted for `--demo`) and every environment variable
/// that is set but empty treated as unset.
pub fn command() -> clap::Command {
    // Help wraps like the rest of the output: the terminal's width, 80 columns in a pipe.
    let width = output::Stream::Stdout.width().min(100);
    ignore_empty_env(hide_simulator_flags(Cli::command().term_width(width)))
}

fn hide_simulator_flags(mut cmd: clap::Command) -> clap::Command {
    let ids: Vec<clap::Id> = SimOptions::augment_args(clap::Command::new("sim"))
        .get_arguments()
        .map(|a| a.get_id().clone())
        .collect();
    for id in ids {
        cmd = cmd.mut_arg(id, |a| a.hide(true));
    }
    cmd
}

/// An environment variable that is set but empty counts as unset (`SNOW_CONNECT_CONFIG=`),
/// in this command and all of its subcommands.
fn ignore_empty_env(mut cmd: clap::Command) -> clap::Command {
    let empty: Vec<clap::Id> = cmd
        .get_arguments()
        .filter(|a| {
            a.get_env()
                .is_some_and(|name| std::env::var_os(name).is_some_and(|v| v.is_empty()))
        })
        .map(|a| a.get_id().clone())
        .collect();
    for id in empty {
        cmd = cmd.mut_arg(id, |a| a.env(None::<&str>));
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, ignore_empty_env);
    }
    cmd
}

/// Parse `args` with [`command`].
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut cmd = command();
    let matches = cmd.try_get_matches_from_mut(args)?;
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}

/// Parse the command line, run what it asks for, and turn the outcome into an exit code.
pub fn main() -> ExitCode {
    crate::harden::at_start();
    let cli = match parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => {
            if !e.use_stderr() {
                // Help and version go to stdout with success.
                let _ = e.print();
                return Exit::Success.into();
            }
            // clap's "error: ..." under the one prefix every message has.
            output::eprint(&format!("{}: {}", output::PREFIX, e.render()));
            return Exit::Usage.into();
        }
    };
    let _log_guard = crate::logging::init(cli.log_file.as_deref(), cli.verbose);
    run(cli).into()
}

/// Dispatch a parsed command line.
pub fn run(cli: Cli) -> Exit {
    output::set_quiet(cli.quiet);
    if cli.command.is_some() && cli.demo {
        output::error("--demo runs the wizard; it cannot be combined with a command");
        return Exit::Usage;
    }
    if !cli.demo && cli.command.is_none() && cli.sim.is_customised() {
        output::error(
            "simulator flags need --demo (or the `simulator` command); see `snow-connect simulator --help`",
        );
        return Exit::Usage;
    }
    crate::config::allow_insecure_config(cli.insecure_config);
    let global = crate::commands::Global {
        config: cli.config.clone(),
        ca_file: cli.ca_file.clone(),
    };
    // The wizard restores the terminal on SIGINT and the simulator shuts down cleanly; every
    // other command simply ends with 130.
    if !matches!(cli.command, None | Some(Command::Simulator(_))) {
        crate::commands::exit_130_on_sigint();
    }
    use crate::commands as c;
    match cli.command {
        None => c::wizard::run(&global, cli.demo, cli.sim),
        Some(Command::Check(args)) => c::check::run(&global, args),
        Some(Command::Fields(args)) => c::fields::run(&global, args),
        Some(Command::Send(args)) => c::send::run(&global, args),
        Some(Command::Simulator(args)) => c::simulator::run(&global, args),
        Some(Command::Config(cmd)) => c::config::run(&global, cmd),
        Some(Command::Completions(args)) => c::docs::completions(args.shell),
        Some(Command::Man) => c::docs::man(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
        command().debug_assert();
    }

    #[test]
    fn deny_is_repeatable_for_demo() {
        let cli = parse_from([
            "snow-connect",
            "--demo",
            "--deny",
            "sys_dictionary.*",
            "--deny",
            "sys_choice",
        ])
        .expect("parses");
        assert!(cli.demo);
        assert_eq!(cli.sim.deny, vec!["sys_dictionary.*", "sys_choice"]);
    }

    #[test]
    fn secrets_are_not_accepted_on_argv_for_headless_commands() {
        let r = parse_from(["snow-connect", "check", "--password", "x"]);
        assert!(r.is_err());
    }

    #[test]
    fn send_offers_no_connection_flags() {
        for flag in ["--instance", "--client-id", "--username"] {
            let r = parse_from([
                "snow-connect",
                "send",
                "--endpoint",
                "e",
                "--short-description",
                "s",
                flag,
                "x",
            ]);
            assert!(r.is_err(), "{flag} accepted by send");
        }
    }

    #[test]
    fn simulator_flags_are_hidden_at_the_top_but_listed_under_simulator() {
        let mut cmd = command();
        let top = cmd.render_long_help().to_string();
        assert!(!top.contains("--auth-error-order"), "{top}");
        assert!(!top.contains("--deny <ACL>"), "{top}");
        assert!(top.contains("simulator --help"), "{top}");
        let mut cmd = command();
        let sim = cmd
            .find_subcommand_mut("simulator")
            .map(|s| s.render_long_help().to_string())
            .unwrap_or_default();
        assert!(sim.contains("--deny"), "{sim}");
        assert!(sim.contains("--auth-error-order"), "{sim}");
    }

    #[test]
    fn version_names_the_commit_and_build_date() {
        assert!(LONG_VERSION.starts_with(env!("CARGO_PKG_VERSION")));
        assert!(LONG_VERSION.contains(" (commit "), "{LONG_VERSION}");
        assert!(LONG_VERSION.contains(", built "), "{LONG_VERSION}");
    }
}
