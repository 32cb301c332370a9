//! `snow-connect config path | show | remove`.

use super::Global;
use crate::cli::ConfigCommand;
use crate::exit::Exit;

/// Run a `config` subcommand.
pub fn run(global: &Global, cmd: ConfigCommand) -> Exit {
    let _ = (global, cmd);
    eprintln!("snow-connect config: not implemented yet");
    Exit::Usage
}
