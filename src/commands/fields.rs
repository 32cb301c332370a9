//! `snow-connect fields`.

use super::Global;
use crate::cli::FieldsArgs;
use crate::exit::Exit;

/// Run `snow-connect fields`.
pub fn run(global: &Global, args: FieldsArgs) -> Exit {
    let _ = (global, args);
    eprintln!("snow-connect fields: not implemented yet");
    Exit::Usage
}
