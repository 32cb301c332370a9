//! `snow-connect simulator`: run the simulator in the foreground.

use super::Global;
use crate::cli::SimulatorArgs;
use crate::exit::Exit;

/// Run the simulator until killed. First stdout line: the base URL alone.
pub fn run(global: &Global, args: SimulatorArgs) -> Exit {
    let _ = (global, args);
    eprintln!("snow-connect simulator: not implemented yet");
    Exit::Usage
}
