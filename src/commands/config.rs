//! `snow-connect config path | show | remove`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use super::Global;
use crate::cli::ConfigCommand;
use crate::config::{self, ConfigError};
use crate::exit::Exit;
use crate::sanitize;

/// Run a `config` subcommand.
pub fn run(global: &Global, cmd: ConfigCommand) -> Exit {
    let Some(path) = config::resolve_config_path(global.config.as_deref()) else {
        eprintln!(
            "snow-connect: cannot work out the config directory (is HOME set?); pass --config PATH"
        );
        return Exit::Usage;
    };
    match cmd {
        ConfigCommand::Path => {
            println!("{}", path.display());
            Exit::Success
        }
        ConfigCommand::Show => show(&path),
        ConfigCommand::Remove { yes } => remove(&path, yes),
    }
}

fn fail(e: &ConfigError) -> Exit {
    eprintln!("snow-connect: {}", sanitize::text(&e.to_string()));
    Exit::Usage
}

/// Print the config with secrets masked. A missing `*_env` variable does not hide the config,
/// but it is reported and the exit code says the config cannot be used as it is.
fn show(path: &Path) -> Exit {
    let (loaded, env_error) = match config::load(path) {
        Ok(loaded) => (loaded, None),
        Err(e @ ConfigError::EnvNotSet { .. }) => match config::load_for_edit(path) {
            Ok(loaded) => (loaded, Some(e)),
            Err(other) => return fail(&other),
        },
        Err(e) => return fail(&e),
    };
    for w in &loaded.warnings {
        eprintln!("snow-connect: warning: {}", sanitize::line(&w.message));
    }
    print!("{}", sanitize::text(&config::masked_toml(&loaded.config)));
    match env_error {
        Some(e) => fail(&e),
        None => Exit::Success,
    }
}

fn endpoints_phrase(n: usize) -> String {
    match n {
        0 => "no endpoints".to_string(),
        1 => "its 1 endpoint".to_string(),
        n => format!("its {n} endpoints"),
    }
}

/// Delete the file: the integration and every endpoint. Asks first unless `--yes`.
fn remove(path: &Path, yes: bool) -> Exit {
    if std::fs::symlink_metadata(path).is_err() {
        eprintln!(
            "snow-connect: no config at {}: nothing to remove",
            path.display()
        );
        return Exit::Usage;
    }
    // A file that does not load can still be removed: that is one way out of a broken config.
    let what = match config::load_for_edit(path) {
        Ok(loaded) => format!(
            "the ServiceNow integration with {} and {}",
            sanitize::line(&loaded.config.servicenow.instance_url),
            endpoints_phrase(loaded.config.endpoints.len())
        ),
        Err(_) => {
            "the config file (it does not load, so its endpoints could not be counted)".to_string()
        }
    };
    if !yes {
        if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
            eprintln!(
                "snow-connect: refusing to remove {} without confirmation: there is no terminal \
                 to ask on; pass --yes to remove it",
                path.display()
            );
            return Exit::Usage;
        }
        eprint!("Delete {what}?\n  {}\n[y/N] ", path.display());
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        if std::io::stdin().lock().read_line(&mut answer).is_err() {
            answer.clear();
        }
        let answer = answer.trim().to_ascii_lowercase();
        if answer != "y" && answer != "yes" {
            eprintln!("Nothing removed.");
            return Exit::Success;
        }
    }
    match config::remove(path) {
        Ok(()) => {
            println!("Removed {what}: {}", path.display());
            Exit::Success
        }
        Err(e) => fail(&e),
    }
}
