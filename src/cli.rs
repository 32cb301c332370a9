//! Command-line definitions (clap) and dispatch to the wizard or a headless command.
//!
//! Names here are the product contract of DESIGN.md section 1; tests outside the repository
//! depend on them.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::exit::Exit;
use crate::simulator::SimOptions;

/// Connect Finout to a ServiceNow instance: a setup wizard plus headless checks.
#[derive(Debug, Parser)]
#[command(name = "snow-connect", version, about, long_about = None)]
pub struct Cli {
    /// Config file to read and write (default: the platform config dir, config.toml).
    #[arg(long, global = true, env = "SNOW_CONNECT_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Write a debug log to this file (default: snow-connect.log in the state dir).
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// Run the wizard against a built-in simulated instance on 127.0.0.1.
    #[arg(long)]
    pub demo: bool,

    /// Extra CA certificate (PEM) to trust, e.g. a corporate TLS-inspection CA.
    #[arg(long, global = true, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,

    /// Simulator flags, honoured with --demo. Declared last: their help heading would
    /// otherwise carry over to the options after them.
    #[command(flatten)]
    pub sim: SimOptions,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The headless commands. Without one, the wizard runs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the connection and ACL checks without the wizard.
    Check(CheckArgs),
    /// List the fields the Additional Fields picker would offer.
    Fields(FieldsArgs),
    /// Create an incident through a configured endpoint.
    Send(SendArgs),
    /// Run the ServiceNow simulator in the foreground.
    Simulator(SimulatorArgs),
    /// Show or remove the saved configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
}

/// Connection settings for headless commands when no config file is used.
///
/// Secrets never come from argv: they are read from `SNOW_CLIENT_SECRET` and `SNOW_PASSWORD`.
#[derive(Debug, Clone, Default, Args)]
pub struct ConnectionArgs {
    /// Instance URL (e.g. acme, acme.service-now.com or https://acme.service-now.com).
    #[arg(long, value_name = "URL")]
    pub instance: Option<String>,
    /// OAuth client id from the Application Registry.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The integration user's User ID.
    #[arg(long, value_name = "NAME")]
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
    #[command(flatten)]
    pub conn: ConnectionArgs,
    /// Print one JSON document on stdout (human text goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Also create a clearly labelled test incident.
    #[arg(long)]
    pub create_test_incident: bool,
}

/// `snow-connect fields`.
#[derive(Debug, Clone, Args)]
pub struct FieldsArgs {
    #[command(flatten)]
    pub conn: ConnectionArgs,
    /// Table whose dictionary to read.
    #[arg(long, default_value = "incident")]
    pub table: String,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `snow-connect send`.
#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub conn: ConnectionArgs,
    /// Name of the configured endpoint.
    #[arg(long, value_name = "NAME")]
    pub endpoint: String,
    /// The alert's short description.
    #[arg(long, value_name = "TEXT")]
    pub short_description: String,
    /// The alert's description.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Validate and print the JSON body without creating anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `snow-connect simulator`.
#[derive(Debug, Clone, Args)]
pub struct SimulatorArgs {
    #[command(flatten)]
    pub sim: SimOptions,
}

/// `snow-connect config ...`.
#[derive(Debug, Clone, Subcommand)]
pub enum ConfigCommand {
    /// Print the config file's path.
    Path,
    /// Print the config with secrets masked.
    Show,
    /// Delete the integration and with it every endpoint.
    Remove {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

/// Parse the command line, run what it asks for, and turn the outcome into an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with success, usage errors to stderr.
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage.into()
            } else {
                Exit::Success.into()
            };
        }
    };
    let _log_guard = crate::logging::init(cli.log_file.as_deref());
    run(cli).into()
}

/// Dispatch a parsed command line.
pub fn run(cli: Cli) -> Exit {
    if cli.command.is_some() && cli.demo {
        eprintln!("snow-connect: --demo runs the wizard; it cannot be combined with a command");
        return Exit::Usage;
    }
    if !cli.demo && cli.command.is_none() && cli.sim.is_customised() {
        eprintln!("snow-connect: simulator flags need --demo (or the `simulator` command)");
        return Exit::Usage;
    }
    let global = crate::commands::Global {
        config: cli.config.clone(),
        ca_file: cli.ca_file.clone(),
    };
    match cli.command {
        None => crate::commands::wizard::run(&global, cli.demo, cli.sim),
        Some(Command::Check(args)) => crate::commands::check::run(&global, args),
        Some(Command::Fields(args)) => crate::commands::fields::run(&global, args),
        Some(Command::Send(args)) => crate::commands::send::run(&global, args),
        Some(Command::Simulator(args)) => crate::commands::simulator::run(&global, args),
        Some(Command::Config(cmd)) => crate::commands::config::run(&global, cmd),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn deny_is_repeatable_for_demo() {
        let cli = Cli::try_parse_from([
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
        let r = Cli::try_parse_from(["snow-connect", "check", "--password", "x"]);
        assert!(r.is_err());
    }
}
