//! `snow-connect check`.

use super::Global;
use crate::cli::CheckArgs;
use crate::exit::Exit;

/// Run `snow-connect check`.
pub fn run(global: &Global, args: CheckArgs) -> Exit {
    let _ = (global, args);
    eprintln!("snow-connect check: not implemented yet");
    Exit::Usage
}
