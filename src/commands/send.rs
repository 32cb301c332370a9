//! `snow-connect send`.

use super::Global;
use crate::cli::SendArgs;
use crate::exit::Exit;

/// Run `snow-connect send`.
pub fn run(global: &Global, args: SendArgs) -> Exit {
    let _ = (global, args);
    eprintln!("snow-connect send: not implemented yet");
    Exit::Usage
}
