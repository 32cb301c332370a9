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
    let link = config::symlink_target(path);
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !yes && !interactive {
        eprintln!(
            "snow-connect: refusing to remove {} without confirmation: there is no terminal \
             to ask on; pass --yes to remove it",
            path.display()
        );
        return Exit::Usage;
    }
    if !yes && !ask(&format!("Delete {what}?\n  {}\n[y/N] ", path.display())) {
        eprintln!("Nothing removed.");
        return Exit::Success;
    }
    // A dotfile manager's symlink: removing only the link would leave the integration in
    // place. --yes removes both; on a terminal the user decides.
    let keep_target = match &link {
        Some(target) if !yes => {
            eprintln!("{} is a symlink to {}.", path.display(), target.display());
            !ask(&format!(
                "Also delete {} (the file that holds the settings)? [y/N] ",
                target.display()
            ))
        }
        _ => false,
    };
    match config::remove(path, keep_target) {
        Ok(config::Removed::LinkAndTarget(target)) => {
            println!(
                "Removed {what}: {} and the symlink {}",
                target.display(),
                path.display()
            );
            Exit::Success
        }
        Ok(config::Removed::LinkOnly(target)) => {
            println!(
                "Removed the symlink {}; {} is still there",
                path.display(),
                target.display()
            );
            Exit::Success
        }
        Ok(config::Removed::File) => {
            println!("Removed {what}: {}", path.display());
            Exit::Success
        }
        Err(e) => fail(&e),
    }
}

/// Ask a yes/no question on stderr; only "y" or "yes" is yes.
fn ask(question: &str) -> bool {
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        answer.clear();
    }
    let answer = answer.trim().to_ascii_lowercase();
    answer == "y" || answer == "yes"
}
