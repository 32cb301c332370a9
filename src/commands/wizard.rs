//! The wizard's entry point: refuses without a TTY, starts the demo simulator for `--demo`,
//! then hands the terminal to `crate::wizard`.

use super::Global;
use crate::exit::Exit;
use crate::simulator::SimOptions;

/// Run the wizard (optionally against the in-process simulator).
pub fn run(global: &Global, demo: bool, sim: SimOptions) -> Exit {
    let _ = (global, demo, sim);
    eprintln!("snow-connect: the wizard is not implemented yet");
    Exit::Usage
}
