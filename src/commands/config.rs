//! `snow-connect config path | show | remove`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use serde::Serialize;

use super::{Global, output};
use crate::cli::ConfigCommand;
use crate::config::{self, Config, ConfigError, EndpointField, SecretRef};
use crate::exit::Exit;
use crate::sanitize;

/// Run a `config` subcommand.
pub fn run(global: &Global, cmd: ConfigCommand) -> Exit {
    let Some(path) = config::resolve_config_path(global.config.as_deref()) else {
        output::error("cannot work out the config directory (is HOME set?); pass --config PATH");
        return Exit::Usage;
    };
    match cmd {
        ConfigCommand::Path => {
            output::println(&path.display().to_string());
            Exit::Success
        }
        ConfigCommand::Show { json: false } => show(&path),
        ConfigCommand::Show { json: true } => show_json(&path),
        ConfigCommand::Remove { yes } => remove(&path, yes),
    }
}

fn fail(e: &ConfigError) -> Exit {
    output::error(&sanitize::text(&e.to_string()));
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
        output::warn(&sanitize::line(&w.message));
    }
    output::print(&sanitize::text(&config::masked_toml(&loaded.config)));
    match env_error {
        Some(e) => fail(&e),
        None => Exit::Success,
    }
}

/// Where a secret comes from, never its value.
#[derive(Debug, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
enum SecretSource {
    /// Written in the file (mode 0600); shown only as a mask.
    Inline { masked: &'static str },
    /// Named by `*_env`: the variable, and whether this shell sets it (non-empty).
    Env { variable: String, set: bool },
    /// Named by `*_command`: its output at run time. The command line itself is not shown
    /// (it may carry a token of its own, e.g. a Vault address with credentials).
    Command,
    /// Named by `*_file`: the path (not a secret) of a private file.
    File { path: String },
}

impl SecretSource {
    fn of(secret: &SecretRef) -> SecretSource {
        match secret {
            SecretRef::Inline(_) => SecretSource::Inline {
                masked: config::MASK,
            },
            SecretRef::Env(name) => SecretSource::Env {
                variable: name.clone(),
                set: std::env::var_os(name).is_some_and(|v| !v.is_empty()),
            },
            SecretRef::Command(_) => SecretSource::Command,
            SecretRef::File(path) => SecretSource::File {
                path: path.display().to_string(),
            },
        }
    }
}

/// `[servicenow]` in the `config show --json` document.
#[derive(Debug, Serialize)]
struct ServiceNowView {
    instance_url: String,
    client_id: String,
    username: String,
    client_secret: SecretSource,
    password: SecretSource,
}

/// One `[[endpoints]]` in the `config show --json` document.
#[derive(Debug, Serialize)]
struct EndpointView<'a> {
    name: &'a str,
    description: &'a str,
    table: &'a str,
    fields: &'a [EndpointField],
}

/// The `config show --json` document; on failure `servicenow` and `endpoints` are absent
/// and `error` says why.
#[derive(Debug, Serialize)]
struct ShowDocument<'a> {
    path: String,
    /// The config loads and every secret it names is available.
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    servicenow: Option<ServiceNowView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    endpoints: Option<Vec<EndpointView<'a>>>,
    warnings: Vec<String>,
    error: Option<String>,
}

fn document<'a>(
    path: &Path,
    config: Option<&'a Config>,
    warnings: Vec<String>,
    error: Option<String>,
) -> ShowDocument<'a> {
    ShowDocument {
        path: path.display().to_string(),
        ok: config.is_some() && error.is_none(),
        servicenow: config.map(|c| ServiceNowView {
            instance_url: c.servicenow.instance_url.clone(),
            client_id: c.servicenow.client_id.clone(),
            username: c.servicenow.username.clone(),
            client_secret: SecretSource::of(&c.servicenow.client_secret),
            password: SecretSource::of(&c.servicenow.password),
        }),
        endpoints: config.map(|c| {
            c.endpoints
                .iter()
                .map(|e| EndpointView {
                    name: &e.name,
                    description: &e.description,
                    table: &e.table,
                    fields: &e.fields,
                })
                .collect()
        }),
        warnings,
        error,
    }
}

/// `config show --json`: one document on stdout, on failure too; messages on stderr.
fn show_json(path: &Path) -> Exit {
    let (loaded, error) = match config::load(path) {
        Ok(loaded) => (Some(loaded), None),
        Err(e @ ConfigError::EnvNotSet { .. }) => (config::load_for_edit(path).ok(), Some(e)),
        Err(e) => (None, Some(e)),
    };
    let warnings: Vec<String> = loaded
        .iter()
        .flat_map(|l| l.warnings.iter().map(|w| w.message.clone()))
        .collect();
    for w in &warnings {
        output::warn(&sanitize::line(w));
    }
    let message = error.as_ref().map(ToString::to_string);
    let doc = document(path, loaded.as_ref().map(|l| &l.config), warnings, message);
    let printed = output::print_json(&doc);
    if let Some(e) = &error {
        output::error(&sanitize::text(&e.to_string()));
    }
    match (printed, error) {
        (Err(exit), _) => exit,
        (Ok(()), Some(_)) => Exit::Usage,
        (Ok(()), None) => Exit::Success,
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
        output::error(&format!(
            "no config at {}: nothing to remove",
            path.display()
        ));
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
        output::error(&format!(
            "refusing to remove {} without confirmation: there is no terminal to ask on; \
             pass --yes to remove it",
            path.display()
        ));
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
            output::println(&format!(
                "Removed {what}: {} and the symlink {}",
                target.display(),
                path.display()
            ));
            Exit::Success
        }
        Ok(config::Removed::LinkOnly(target)) => {
            output::println(&format!(
                "Removed the symlink {}; {} is still there",
                path.display(),
                target.display()
            ));
            Exit::Success
        }
        Ok(config::Removed::File) => {
            output::println(&format!("Removed {what}: {}", path.display()));
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
