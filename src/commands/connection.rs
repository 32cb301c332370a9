//! Where a headless command gets its connection: the config file, or
//! `--instance/--client-id/--username` with the secrets from `SNOW_CLIENT_SECRET` and
//! `SNOW_PASSWORD` (never from argv).

use std::path::Path;
use std::time::Duration;

use secrecy::SecretString;

use super::{Global, output};
use crate::cli::ConnectionArgs;
use crate::config::{Config, ServiceNowConfig};
use crate::diagnose::ConnectionInput;
use crate::exit::Exit;
use crate::servicenow::{ClientOptions, LoginGuard};

/// Environment variable holding the client secret in flag mode.
pub const CLIENT_SECRET_ENV: &str = "SNOW_CLIENT_SECRET";
/// Environment variable holding the password in flag mode.
pub const PASSWORD_ENV: &str = "SNOW_PASSWORD";

/// A resolved connection.
#[derive(Debug)]
pub struct Connection {
    /// What to connect with.
    pub input: ConnectionInput,
    /// Transport settings (timeout, CA file).
    pub options: ClientOptions,
    /// Things worth telling the user (e.g. a config file readable by others).
    pub warnings: Vec<String>,
    /// The config file's endpoints, when the connection came from it (flags mean no config
    /// is used, so none); read with the connection, so the file is loaded once.
    pub endpoints: Vec<crate::config::Endpoint>,
}

const HOW: &str = "pass --instance URL --client-id ID --username NAME and set SNOW_CLIENT_SECRET \
                   and SNOW_PASSWORD in the environment, or run `snow-connect` to save a config";

fn env_secret(name: &str) -> Option<SecretString> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(SecretString::from)
}

fn client_options(global: &Global, args: &ConnectionArgs) -> Result<ClientOptions, String> {
    if args.timeout == 0 {
        return Err("--timeout must be at least 1 second".to_string());
    }
    let request_timeout = Duration::from_secs(args.timeout);
    let defaults = ClientOptions::default();
    check_trust_files(global.ca_file.as_deref())?;
    Ok(ClientOptions {
        request_timeout,
        connect_timeout: defaults.connect_timeout.min(request_timeout),
        ca_file: global.ca_file.clone(),
        login_guard: Some(
            LoginGuard::open(crate::config::state_dir().map(|d| d.join("login")))
                .with_retry(args.retry_login),
        ),
        budget: budget_from_env()?,
        ..defaults
    })
}

/// The limits of one dictionary discovery: the defaults, or `SNOW_CONNECT_MAX_ROWS` and
/// `SNOW_CONNECT_MAX_MIB` when set (empty counts as unset).
pub(crate) fn budget_from_env() -> Result<crate::servicenow::Limits, String> {
    let mut limits = crate::servicenow::Limits::default();
    let read = |name: &str| -> Result<Option<u64>, String> {
        match std::env::var(name).ok().filter(|v| !v.trim().is_empty()) {
            None => Ok(None),
            Some(v) => match v.trim().parse::<u64>() {
                Ok(n) if n > 0 => Ok(Some(n)),
                _ => Err(format!("{name} wants a whole number above 0, not {v:?}")),
            },
        }
    };
    if let Some(rows) = read("SNOW_CONNECT_MAX_ROWS")? {
        limits.rows = rows;
        // Room for short pages at any size: the pages follow the rows.
        limits.pages = limits.pages.max(rows.div_ceil(1000).saturating_add(50));
    }
    if let Some(mib) = read("SNOW_CONNECT_MAX_MIB")? {
        limits.bytes = mib.saturating_mul(1024 * 1024);
    }
    Ok(limits)
}

/// An unusable local trust file is the user's to fix (exit 2), not a failure to reach the
/// instance: `--ca-file` and `SSL_CERT_FILE` must be readable PEM with a certificate, and
/// `SSL_CERT_DIR` a readable directory. Empty variables count as unset.
fn check_trust_files(ca_file: Option<&Path>) -> Result<(), String> {
    if let Some(path) = ca_file {
        crate::servicenow::read_ca_file(path)
            .map_err(|e| format!("--ca-file: {}", setup_text(&e)))?;
    }
    if let Some(path) = nonempty_env_path("SSL_CERT_FILE") {
        crate::servicenow::read_ca_file(&path)
            .map_err(|e| format!("SSL_CERT_FILE: {}", setup_text(&e)))?;
    }
    if let Some(dir) = nonempty_env_path("SSL_CERT_DIR") {
        std::fs::read_dir(&dir).map_err(|e| {
            format!(
                "SSL_CERT_DIR {}: cannot read the directory ({e})",
                dir.display()
            )
        })?;
    }
    Ok(())
}

fn nonempty_env_path(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
}

/// The message of a trust-file error without the HTTP-client preamble.
fn setup_text(err: &crate::servicenow::Error) -> String {
    match err {
        crate::servicenow::Error::Setup(msg) => msg.clone(),
        other => other.to_string(),
    }
}

/// Build the connection from the flags and environment, or else from the config file.
/// The error is a complete sentence naming what to pass (exit code 2).
pub fn resolve(global: &Global, args: &ConnectionArgs) -> Result<Connection, String> {
    let options = client_options(global, args)?;
    if flags_given(args) {
        return from_flags(args, options);
    }
    from_config(global, options)
}

/// [`resolve`] for a command that has already loaded the config at `path` (`send`, which
/// needs its endpoints whichever way it connects): the file is not read a second time.
pub fn resolve_loaded(
    global: &Global,
    args: &ConnectionArgs,
    config: &Config,
    path: &Path,
) -> Result<Connection, String> {
    let options = client_options(global, args)?;
    if flags_given(args) {
        return from_flags(args, options);
    }
    from_servicenow(&config.servicenow, path, options)
}

fn flags_given(args: &ConnectionArgs) -> bool {
    args.instance.is_some() || args.client_id.is_some() || args.username.is_some()
}

fn from_flags(args: &ConnectionArgs, options: ClientOptions) -> Result<Connection, String> {
    let nonempty = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    let instance = nonempty(&args.instance);
    let client_id = nonempty(&args.client_id);
    let username = nonempty(&args.username);
    let secret = env_secret(CLIENT_SECRET_ENV);
    let password = env_secret(PASSWORD_ENV);
    let mut missing = Vec::new();
    if instance.is_none() {
        missing.push("--instance URL");
    }
    if client_id.is_none() {
        missing.push("--client-id ID");
    }
    if username.is_none() {
        missing.push("--username NAME");
    }
    if secret.is_none() {
        missing.push("SNOW_CLIENT_SECRET in the environment");
    }
    if password.is_none() {
        missing.push("SNOW_PASSWORD in the environment");
    }
    match (instance, client_id, username, secret, password) {
        (
            Some(instance_url),
            Some(client_id),
            Some(username),
            Some(client_secret),
            Some(password),
        ) => Ok(Connection {
            input: ConnectionInput {
                instance_url,
                client_id,
                client_secret,
                username,
                password,
            },
            options,
            warnings: Vec::new(),
            endpoints: Vec::new(),
        }),
        _ => Err(format!(
            "missing {} (secrets are read only from the environment, never from the command line)",
            missing.join(", ")
        )),
    }
}

fn from_config(global: &Global, options: ClientOptions) -> Result<Connection, String> {
    let Some(path) = crate::config::resolve_config_path(global.config.as_deref()) else {
        return Err(format!("cannot find a config directory; {HOW}"));
    };
    if !path.exists() {
        return Err(format!("no config at {}; {HOW}", path.display()));
    }
    let loaded = crate::config::load(&path).map_err(|e| e.to_string())?;
    let mut conn = from_servicenow(&loaded.config.servicenow, &path, options)?;
    conn.warnings = loaded.warnings.into_iter().map(|w| w.message).collect();
    conn.endpoints = loaded.config.endpoints;
    Ok(conn)
}

/// The connection a loaded config's `[servicenow]` describes, its secrets resolved.
fn from_servicenow(
    sn: &ServiceNowConfig,
    path: &Path,
    options: ClientOptions,
) -> Result<Connection, String> {
    let in_file = |e: crate::config::ConfigError| format!("{}: {e}", path.display());
    let client_secret = sn.resolve_client_secret().map_err(in_file)?;
    let password = sn.resolve_password().map_err(in_file)?;
    Ok(Connection {
        input: ConnectionInput {
            instance_url: sn.instance_url.clone(),
            client_id: sn.client_id.clone(),
            client_secret,
            username: sn.username.clone(),
            password,
        },
        options,
        warnings: Vec::new(),
        endpoints: Vec::new(),
    })
}

/// What `check` and `fields` start with: the connection (its warnings printed) and a runtime.
/// A failure is printed as `snow-connect: error: ...` and is a usage error (exit 2).
pub fn prepare(
    global: &Global,
    args: &ConnectionArgs,
    command: &str,
) -> Result<(Connection, tokio::runtime::Runtime), Exit> {
    let _ = command;
    let fail = |msg: String| {
        output::error(&msg);
        Exit::Usage
    };
    let conn = resolve(global, args).map_err(fail)?;
    for w in &conn.warnings {
        output::warn(w);
    }
    let rt = super::runtime().map_err(fail)?;
    Ok((conn, rt))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(instance: Option<&str>, id: Option<&str>, user: Option<&str>) -> ConnectionArgs {
        ConnectionArgs {
            instance: instance.map(Into::into),
            client_id: id.map(Into::into),
            username: user.map(Into::into),
            timeout: 30,
            retry_login: false,
        }
    }

    #[test]
    fn missing_flags_are_named() {
        let global = Global::default();
        let err = resolve(&global, &args(Some("acme"), None, Some("u")));
        let msg = err.err().unwrap_or_default();
        assert!(msg.contains("--client-id ID"), "{msg}");
        assert!(!msg.contains("--instance URL"), "{msg}");
        assert!(msg.contains("never from the command line"));
    }

    #[test]
    fn zero_timeout_is_refused() {
        let mut a = args(Some("acme"), Some("id"), Some("u"));
        a.timeout = 0;
        assert!(resolve(&Global::default(), &a).is_err());
    }

    #[test]
    fn unreadable_ca_file_is_a_usage_error() {
        let global = Global {
            config: None,
            ca_file: Some("/nonexistent/ca.pem".into()),
        };
        let msg = resolve(&global, &args(Some("a"), Some("b"), Some("c")))
            .err()
            .unwrap_or_default();
        assert!(msg.starts_with("--ca-file: "), "{msg}");
        assert!(msg.contains("/nonexistent/ca.pem"), "{msg}");
    }

    #[test]
    fn a_ca_file_without_a_certificate_is_a_usage_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").expect("write");
        let global = Global {
            config: None,
            ca_file: Some(path),
        };
        let msg = resolve(&global, &args(Some("a"), Some("b"), Some("c")))
            .err()
            .unwrap_or_default();
        assert!(msg.contains("holds no certificate"), "{msg}");
    }

    #[test]
    fn missing_config_says_what_to_pass() {
        let global = Global {
            config: Some("/nonexistent/dir/config.toml".into()),
            ca_file: None,
        };
        let msg = resolve(
            &global,
            &ConnectionArgs {
                timeout: 30,
                ..Default::default()
            },
        )
        .err()
        .unwrap_or_default();
        assert!(
            msg.contains("no config at /nonexistent/dir/config.toml"),
            "{msg}"
        );
        assert!(msg.contains("--instance URL"));
    }
}
