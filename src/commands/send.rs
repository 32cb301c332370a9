//! `snow-connect send`: create an incident through a configured endpoint, after checking the
//! endpoint against the live dictionary. `--dry-run` stops before the insert and prints the
//! exact body.

use std::cell::RefCell;
use std::path::Path;

use serde_json::{Map, Value};

use super::output::{self, Progress};
use super::{Global, connection};
use crate::cli::SendArgs;
use crate::config::{Config, Endpoint};
use crate::diagnose::create_failure;
use crate::diagnose::fixes::{self, FixContext};
use crate::diagnose::{Dictionary, DictionaryError, discover_dictionary};
use crate::exit::Exit;
use crate::incident::send_policy::{
    self, RATE_LIMIT_BUDGET, RateLimitAnswer, RateLimitWait, retry_rate_limited,
};
use crate::incident::{self, Alert, CreatedIncident, Plan};
use crate::sanitize;
use crate::servicenow::{Client, Error, InstanceUrl, field_string};

/// Run `snow-connect send`.
pub fn run(global: &Global, args: SendArgs) -> Exit {
    let mut out = Out::new(args.json);
    let exit = run_with(global, &args, &mut out);
    drop(std::mem::replace(&mut out.progress, Progress::hidden()));
    if exit != Exit::Success {
        out.failure_document();
    }
    exit
}

fn run_with(global: &Global, args: &SendArgs, out: &mut Out) -> Exit {
    if args.short_description.trim().is_empty() {
        out.error("--short-description is empty; give the alert's one-line summary");
        return Exit::Usage;
    }
    let (path, config) = match load_config(global, out) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let Some(endpoint) = config.endpoint(&args.endpoint) else {
        out.error(&unknown_endpoint(&args.endpoint, &config.endpoints, &path));
        return Exit::Usage;
    };
    let client = match connect(global, args, &config, &path) {
        Ok(c) => c,
        Err(msg) => {
            out.error(&msg);
            return Exit::Usage;
        }
    };
    let alert = Alert {
        short_description: args.short_description.clone(),
        description: args.description.clone().unwrap_or_default(),
    };
    let runtime = match super::runtime() {
        Ok(rt) => rt,
        Err(msg) => {
            out.error(&msg);
            return Exit::Usage;
        }
    };
    out.progress = Progress::start("signing in");
    runtime.block_on(send(&client, endpoint, &alert, args.dry_run, out))
}

/// Where output goes: with `--json`, stdout carries one JSON document (on failure too) and
/// people read stderr.
struct Out {
    json: bool,
    /// The spinner for sign-in, discovery and rate-limit waits (stderr, terminals only).
    progress: Progress,
    /// The first error, for the failure document of `--json`.
    failed: RefCell<Option<String>>,
}

impl Out {
    fn new(json: bool) -> Out {
        Out {
            json,
            progress: Progress::hidden(),
            failed: RefCell::new(None),
        }
    }

    /// Text for people: stdout normally, stderr under `--json`.
    fn human(&self, text: &str) {
        self.progress.suspend(|| {
            if self.json {
                output::eprint(&format!("{text}\n"));
            } else {
                output::println(text);
            }
        });
    }

    /// Progress, notes and hints: stderr, dropped by `--quiet`.
    fn info(&self, text: &str) {
        self.progress.suspend(|| output::note(text));
    }

    /// What to do about an error: stderr, kept with `--quiet` (it belongs to the error).
    fn fix(&self, text: &str) {
        self.progress
            .suspend(|| output::eprint(&format!("fix: {text}\n")));
    }

    fn error(&self, text: &str) {
        self.progress.suspend(|| output::error(text));
        self.failed
            .borrow_mut()
            .get_or_insert_with(|| text.to_string());
    }

    /// An error said in words, and what came back (the HTTP status and ServiceNow's message)
    /// on the line below it, kept with `--quiet`; `--json`'s `error` carries both.
    fn error_with_evidence(&self, text: &str, evidence: &str) {
        if evidence.is_empty() {
            return self.error(text);
        }
        self.progress.suspend(|| {
            output::error(text);
            output::eprint(&format!("evidence: {evidence}\n"));
        });
        self.failed
            .borrow_mut()
            .get_or_insert_with(|| format!("{text} Evidence: {evidence}"));
    }

    /// The spinner's text, for the step now running.
    fn step(&self, text: &'static str) {
        self.progress.set_message(text);
    }

    /// With `--json`, the one document of a run that failed: `ok: false` and the first error.
    fn failure_document(&self) {
        if !self.json {
            return;
        }
        let error = self.failed.borrow().clone().unwrap_or_default();
        let _ = output::print_json(&serde_json::json!({ "ok": false, "error": error }));
    }
}

fn load_config(global: &Global, out: &Out) -> Result<(std::path::PathBuf, Config), Exit> {
    let Some(path) = crate::config::resolve_config_path(global.config.as_deref()) else {
        out.error(
            "cannot tell where the config lives (no home directory); pass --config PATH or set SNOW_CONNECT_CONFIG",
        );
        return Err(Exit::Usage);
    };
    match crate::config::load(&path) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                super::output::warn(&w.message);
            }
            Ok((path, loaded.config))
        }
        Err(e) => {
            out.error(&e.to_string());
            Err(Exit::Usage)
        }
    }
}

/// The message for `--endpoint NAME` that names no endpoint: the real names, or how to add one.
fn unknown_endpoint(name: &str, endpoints: &[Endpoint], path: &Path) -> String {
    if endpoints.is_empty() {
        return format!(
            "no endpoint named {name:?}: {} has no endpoints yet. Add one with the wizard \
             (`snow-connect --config {}`, step 4 Endpoints)",
            path.display(),
            path.display()
        );
    }
    let names: Vec<String> = endpoints.iter().map(|e| format!("{:?}", e.name)).collect();
    let mut msg = format!(
        "no endpoint named {name:?} in {}; configured endpoints: {}",
        path.display(),
        names.join(", ")
    );
    if let Some(close) = close_name(name, endpoints) {
        msg.push_str(&format!(" (did you mean {close:?}?)"));
    }
    msg
}

/// A configured name that differs only in case or contains what was typed.
fn close_name<'a>(typed: &str, endpoints: &'a [Endpoint]) -> Option<&'a str> {
    let typed = typed.trim().to_lowercase();
    if typed.is_empty() {
        return None;
    }
    endpoints
        .iter()
        .map(|e| e.name.as_str())
        .find(|n| n.to_lowercase() == typed)
        .or_else(|| {
            endpoints
                .iter()
                .map(|e| e.name.as_str())
                .find(|n| n.to_lowercase().contains(&typed))
        })
}

/// The client for the config's instance, or for `--instance/--client-id/--username` with
/// the secrets from the environment (the shared rules of `check` and `fields`).
fn connect(
    global: &Global,
    args: &SendArgs,
    config: &Config,
    path: &Path,
) -> Result<Client, String> {
    let conn = connection::resolve_loaded(global, &args.connection_args(), config, path)?;
    for w in &conn.warnings {
        super::output::warn(w);
    }
    let input = &conn.input;
    let base = InstanceUrl::parse(&input.instance_url)
        .map_err(|e| format!("instance URL {:?}: {e}", input.instance_url))?;
    Client::new(base, input.credentials(), &conn.options).map_err(|e| e.to_string())
}

/// Authenticate, read the dictionary, plan, and (unless `dry_run`) create the incident.
async fn send(
    client: &Client,
    endpoint: &Endpoint,
    alert: &Alert,
    dry_run: bool,
    out: &Out,
) -> Exit {
    let mut wait = RateLimitWait::new(RATE_LIMIT_BUDGET);
    let say = |m: String| {
        out.info(&m);
        out.step("waiting out ServiceNow's rate limit, then trying again");
    };

    // One password grant, never repeated in this run: a 429 or 5xx from the token endpoint
    // is reported, not answered with more logins (each counts, and failed ones lock the
    // user out).
    if let Err(e) = client.authenticate().await {
        if e.rate_limited().is_some() {
            out.error(&create_failure::sign_in_rate_limited(&e));
            return Exit::RetryLater;
        }
        return report_client_error(&e, "sign in", client, &wait, out);
    }
    out.step("reading the dictionary");

    let dictionary = match retry_rate_limited(
        &mut wait,
        "reading the dictionary",
        || discover_dictionary(client, &endpoint.table),
        say,
    )
    .await
    {
        Ok(d) => d,
        Err(e) => return report_dictionary_error(&e, endpoint, client, &wait, out),
    };

    out.step("checking the endpoint's values");
    let plan = match incident::plan_checked(client, endpoint, alert, &dictionary).await {
        Ok(p) => p,
        Err(problems) => {
            out.error(&format!(
                "endpoint {:?} no longer fits the instance's {} dictionary; nothing was sent. {} to change:",
                sanitize::line(&endpoint.name),
                sanitize::line(&dictionary.table),
                if problems.len() == 1 {
                    "1 thing".to_string()
                } else {
                    format!("{} things", problems.len())
                }
            ));
            for p in &problems {
                out.fix(&format!(
                    "  - {}: {}",
                    sanitize::line(&p.field),
                    sanitize::line(&p.message)
                ));
            }
            return Exit::Denied;
        }
    };
    for note in &plan.notes {
        out.info(&format!("note: {}", sanitize::line(note)));
    }

    if dry_run {
        out.info(&format!(
            "dry run: endpoint {:?} is valid; this is the body that would be POSTed to {}. Nothing was created.",
            sanitize::line(&endpoint.name),
            client.instance().join("/api/now/table/incident")
        ));
        // The exact body, as it would be POSTed: no envelope (see `send --help`).
        let body = serde_json::to_string_pretty(&Value::Object(plan.body.clone()))
            .unwrap_or_else(|_| "{}".to_string());
        out.progress.suspend(|| output::println(&body));
        return Exit::Success;
    }

    out.step("creating the incident");
    let created = match send_policy::create_with_policy(client, &plan, &mut wait, say).await {
        Ok(c) => c,
        Err(e) => {
            let sent = plan
                .body
                .get("short_description")
                .and_then(Value::as_str)
                .unwrap_or(&alert.short_description);
            let failure = create_failure::explain_create_error(
                &e,
                client,
                sent,
                &wait,
                fixes::Reader::CreateCommand,
            );
            out.error_with_evidence(&failure.message, &failure.evidence);
            if let Some(fix) = failure.fix {
                out.fix(&fix);
            }
            // Rate limited: nothing was created, and waiting is the fix (exit 4).
            if e.rate_limited().is_some() {
                return Exit::RetryLater;
            }
            return failure.verdict.into();
        }
    };
    report_created(&created, &plan, endpoint, &dictionary, out);
    Exit::Success
}

fn report_created(
    created: &CreatedIncident,
    plan: &Plan,
    endpoint: &Endpoint,
    dictionary: &Dictionary,
    out: &Out,
) {
    let mut fields = Map::new();
    for (element, sent) in &plan.body {
        let sent = sent.as_str().unwrap_or_default();
        match field_string(&created.record, element) {
            Some(stored) => {
                if stored != sent {
                    out.info(&format!(
                        "note: ServiceNow stored {} as {:?}, not the {:?} that was sent (a business rule or write ACL changed it)",
                        label_of(dictionary, element),
                        sanitize::line(&stored),
                        sanitize::line(sent)
                    ));
                }
                fields.insert(element.clone(), Value::String(stored));
            }
            None => {
                out.info(&format!(
                    "note: ServiceNow's answer does not show {} (the integration user may not be allowed to read it), so it could not be confirmed",
                    label_of(dictionary, element)
                ));
                fields.insert(element.clone(), Value::Null);
            }
        }
    }
    let number = sanitize::line(&created.number);
    let sys_id = sanitize::line(&created.sys_id);
    let url = sanitize::line(&created.url);
    out.human(&format!(
        "Created {number} through endpoint {:?}\n  sys_id  {sys_id}\n  open    {url}",
        sanitize::line(&endpoint.name)
    ));
    if out.json {
        // The number and link come from the server: untrusted text, shown sanitised.
        let _ = out.progress.suspend(|| {
            output::print_json(&serde_json::json!({
                "ok": true,
                "number": number,
                "sys_id": sys_id,
                "url": url,
                "fields": fields,
            }))
        });
    }
}

fn label_of(dictionary: &Dictionary, element: &str) -> String {
    match dictionary.field(element) {
        Some(f) if !f.label.is_empty() => {
            format!("{} ({element})", sanitize::line(&f.label))
        }
        _ => element.to_string(),
    }
}

/// Errors before the insert: nothing was created, so no duplicate risk.
fn report_client_error(
    err: &Error,
    step: &str,
    client: &Client,
    wait: &RateLimitWait,
    out: &Out,
) -> Exit {
    if err.rate_limited().is_some() {
        out.error_with_evidence(
            &create_failure::rate_limit_give_up(err, wait),
            &create_failure::evidence_of(err),
        );
        return Exit::RetryLater;
    }
    out.error(&format!(
        "could not {step}, so no incident was created: {}",
        sanitize::line(&err.to_string())
    ));
    let ctx = FixContext::new(client.username(), client.instance().host());
    if let Some(fix) = fixes::for_error(err, &ctx) {
        out.fix(&fix);
    }
    Exit::for_error(err)
}

fn report_dictionary_error(
    err: &DictionaryError,
    endpoint: &Endpoint,
    client: &Client,
    wait: &RateLimitWait,
    out: &Out,
) -> Exit {
    match err {
        DictionaryError::Client(e) => {
            report_client_error(e, "read the dictionary", client, wait, out)
        }
        DictionaryError::Denied { acl, .. } => {
            out.error(&format!(
                "cannot check endpoint {:?} before sending, so no incident was created: {}.",
                sanitize::line(&endpoint.name),
                sanitize::line(&err.to_string())
            ));
            let ctx = FixContext::new(client.username(), client.instance().host());
            out.fix(&fixes::missing_acl(acl, &ctx));
            Exit::Denied
        }
        DictionaryError::NoSuchTable(_) => {
            out.error(&format!(
                "endpoint {:?} targets table {:?}, which the instance does not have: {}",
                sanitize::line(&endpoint.name),
                sanitize::line(&endpoint.table),
                sanitize::line(&err.to_string())
            ));
            Exit::Denied
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(name: &str) -> Endpoint {
        Endpoint {
            name: name.into(),
            description: String::new(),
            table: "incident".into(),
            fields: Vec::new(),
        }
    }

    #[test]
    fn unknown_endpoint_lists_the_real_names() {
        let msg = unknown_endpoint(
            "Cost alerts",
            &[ep("FinOps anomalies"), ep("Budget overruns")],
            Path::new("/tmp/c.toml"),
        );
        assert_eq!(
            msg,
            "no endpoint named \"Cost alerts\" in /tmp/c.toml; configured endpoints: \
             \"FinOps anomalies\", \"Budget overruns\""
        );
    }

    #[test]
    fn unknown_endpoint_suggests_a_close_name() {
        let eps = [ep("FinOps anomalies"), ep("Budget overruns")];
        let msg = unknown_endpoint("finops", &eps, Path::new("c.toml"));
        assert!(
            msg.ends_with("(did you mean \"FinOps anomalies\"?)"),
            "{msg}"
        );
        let msg = unknown_endpoint("budget OVERRUNS", &eps, Path::new("c.toml"));
        assert!(
            msg.ends_with("(did you mean \"Budget overruns\"?)"),
            "{msg}"
        );
        let msg = unknown_endpoint("zzz", &eps, Path::new("c.toml"));
        assert!(!msg.contains("did you mean"), "{msg}");
    }

    #[test]
    fn unknown_endpoint_without_any_says_how_to_add_one() {
        let msg = unknown_endpoint("x", &[], Path::new("/tmp/c.toml"));
        assert!(msg.contains("has no endpoints yet"), "{msg}");
        assert!(msg.contains("snow-connect --config /tmp/c.toml"), "{msg}");
    }
}
