//! The `snow-connect` binary: parses the command line and hands over to the library.

fn main() -> std::process::ExitCode {
    snow_connect::cli::main()
}
