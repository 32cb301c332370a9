//! `snow-connect check`: the connection ladder without the wizard, the configured endpoints
//! validated against the live dictionary, the root causes and the one admin plan.

use serde::Serialize;
use tokio_util::sync::CancellationToken;
use unicode_width::UnicodeWidthStr;

use super::Global;
use super::connection;
use crate::cli::CheckArgs;
use crate::config::Endpoint;
use crate::diagnose::{
    Assessment, Cause, CheckId, CheckOptions, CheckResult, CheckStatus, Diagnosis, Dictionary,
    EndpointProblem, Verdict, markdown_report_for, plan, run_checks, verdict_sentence,
};
use crate::exit::Exit;
use crate::sanitize;

/// The version of the `--json` documents of `check` and `fields`.
pub use super::output::SCHEMA_VERSION;

/// Text width for wrapped fixes until the output follows the terminal's width.
pub const WIDTH: usize = 100;

/// One endpoint's validation against the live dictionary.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointReport {
    /// The endpoint's name.
    pub name: String,
    /// Valid; `null` when it could not be validated (the dictionary was not read).
    pub ok: Option<bool>,
    /// What to change, per field.
    pub problems: Vec<FieldProblem>,
}

/// One field's problem.
#[derive(Debug, Clone, Serialize)]
pub struct FieldProblem {
    /// The field element (or `table`).
    pub field: String,
    /// What is wrong and what to change.
    pub message: String,
}

/// Everything `check` reports, whatever the format.
#[derive(Debug)]
pub struct CheckReport<'a> {
    /// The ladder's findings.
    pub diag: &'a Diagnosis,
    /// Causes, plan and verdict (endpoints included).
    pub assessment: Assessment,
    /// The configured endpoints, validated.
    pub endpoints: Vec<EndpointReport>,
    /// The integration user.
    pub username: String,
    /// The URL as given.
    pub typed_url: String,
}

/// The `--json` document: exactly these keys (DESIGN.md section 4).
#[derive(Debug, Serialize)]
pub struct CheckDocument<'a> {
    /// When the checks ran (RFC 3339).
    pub checked_at: String,
    /// The normalised URL (or what was given, when it did not parse).
    pub instance_url: String,
    /// The integration will work.
    pub ok: bool,
    /// Every check in ladder order.
    pub checks: &'a [CheckResult],
    /// Every root cause once.
    pub causes: &'a [Cause],
    /// The one admin plan.
    pub plan: &'a crate::diagnose::AdminPlan,
    /// The configured endpoints, validated.
    pub endpoints: &'a [EndpointReport],
    /// Number of selectable Additional Fields, when the dictionary was read.
    pub fields: Option<usize>,
}

/// Validate `endpoints` against the dictionaries that were read (by table).
pub fn validate_endpoints(
    endpoints: &[Endpoint],
    dictionaries: &[(String, Option<&Dictionary>)],
) -> Vec<EndpointReport> {
    endpoints
        .iter()
        .map(|e| {
            let dict = dictionaries
                .iter()
                .find(|(t, _)| *t == e.table)
                .and_then(|(_, d)| *d);
            let Some(dict) = dict else {
                return EndpointReport {
                    name: e.name.clone(),
                    ok: None,
                    problems: Vec::new(),
                };
            };
            // The same validation `send` runs before it creates anything.
            let alert = crate::incident::Alert::connection_test();
            let problems = match crate::incident::plan(e, &alert, dict) {
                Ok(_) => Vec::new(),
                Err(problems) => problems
                    .into_iter()
                    .map(|p| FieldProblem {
                        field: p.field,
                        message: p.message,
                    })
                    .collect(),
            };
            EndpointReport {
                name: e.name.clone(),
                ok: Some(problems.is_empty()),
                problems,
            }
        })
        .collect()
}

impl<'a> CheckReport<'a> {
    /// The report for a diagnosis and its validated endpoints.
    pub fn new(
        diag: &'a Diagnosis,
        endpoints: Vec<EndpointReport>,
        username: &str,
        typed_url: &str,
    ) -> CheckReport<'a> {
        let problems: Vec<EndpointProblem> = endpoints
            .iter()
            .flat_map(|e| {
                e.problems.iter().map(|p| EndpointProblem {
                    endpoint: e.name.clone(),
                    field: p.field.clone(),
                    message: p.message.clone(),
                })
            })
            .collect();
        let assessment = diag.assessment_with(plan::endpoint_cause(problems).into_iter().collect());
        CheckReport {
            diag,
            assessment,
            endpoints,
            username: username.to_string(),
            typed_url: typed_url.to_string(),
        }
    }

    fn url(&self) -> &str {
        self.diag
            .instance_url
            .as_deref()
            .unwrap_or(self.typed_url.trim())
    }

    /// The `--json` document.
    pub fn document(&self) -> CheckDocument<'_> {
        CheckDocument {
            checked_at: crate::diagnose::cause::rfc3339(time::OffsetDateTime::now_utc()),
            instance_url: self.url().to_string(),
            ok: self.assessment.ok(),
            checks: &self.diag.results,
            causes: &self.assessment.causes,
            plan: &self.assessment.plan,
            endpoints: &self.endpoints,
            fields: self.diag.selectable_fields(),
        }
    }

    /// The Markdown admin report (the wizard's `s` writes the same text).
    pub fn markdown(&self) -> String {
        markdown_report_for(
            self.url(),
            &self.username,
            &self.diag.results,
            &self.assessment,
        )
    }

    /// The exit code.
    pub fn exit(&self) -> Exit {
        Exit::from(self.assessment.verdict)
    }
}

/// Greedy word wrap of one paragraph, each line prefixed with `indent`; continuation lines
/// hang by `hang` more columns.
fn wrap(text: &str, indent: &str, hang: usize, width: usize, out: &mut String) {
    let room = width.saturating_sub(indent.width()).max(20);
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let used = line.width();
            if used > 0 && used + 1 + word.width() > room {
                out.push_str(indent);
                out.push_str(&line);
                out.push('\n');
                line = " ".repeat(hang);
            } else if used > 0 && !line.trim().is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
}

fn kind_word(c: &Cause) -> &'static str {
    match c.kind {
        crate::diagnose::CauseKind::Credentials => "credentials",
        crate::diagnose::CauseKind::Configuration => "configuration",
        crate::diagnose::CauseKind::Instance => "instance",
        crate::diagnose::CauseKind::Transient => "transient",
    }
}

/// The human report for a terminal `width` columns wide: the root causes first (each once),
/// one row per check, the one admin plan, the endpoints, then the verdict.
pub fn render_human(report: &CheckReport<'_>, width: usize) -> String {
    let diag = report.diag;
    let a = &report.assessment;
    let mut out = format!(
        "snow-connect check: {} as {}\n\n",
        sanitize::line(report.url()),
        sanitize::line(&report.username)
    );
    if !a.causes.is_empty() {
        out.push_str(if a.causes.len() == 1 {
            "Root cause:\n"
        } else {
            "Root causes:\n"
        });
        for c in &a.causes {
            wrap(
                &format!(
                    "✗ {} ({}): {}",
                    c.id,
                    kind_word(c),
                    sanitize::line(&c.summary)
                ),
                "  ",
                4,
                width,
                &mut out,
            );
            if let Some(at) = &c.retry_at {
                out.push_str(&format!("    Try again after {}\n", sanitize::line(at)));
            }
            if !c.fix.is_empty() {
                for l in sanitize::text(&c.fix).lines() {
                    let hang = crate::diagnose::fixes::step_number(l).map_or(0, |n| n.len() + 2);
                    wrap(l, "    ", hang, width, &mut out);
                }
            }
        }
        out.push('\n');
    }
    let id_width = CheckId::ALL
        .iter()
        .map(|i| i.as_str().len())
        .max()
        .unwrap_or(0);
    for r in &diag.results {
        let time = if r.status == CheckStatus::Skipped {
            String::new()
        } else {
            format!("  ({} ms)", r.elapsed_ms)
        };
        out.push_str(&format!(
            "{} {:<12}  {:<id_width$}  {}{}\n",
            r.status.glyph(),
            r.status.word(),
            r.id.as_str(),
            sanitize::line(&r.summary),
            time
        ));
        if !plan::needs_attention(r) {
            continue;
        }
        let indent = " ".repeat(16);
        if let Some(e) = &r.evidence {
            wrap(
                &format!("Evidence: {}", sanitize::line(e)),
                &indent,
                0,
                width,
                &mut out,
            );
        }
        // A row with a cause is explained once, above; only a finding of its own has a fix here.
        match (&r.fix, r.cause) {
            (Some(fix), None) => {
                out.push_str(&format!("{indent}Fix:\n"));
                for l in sanitize::text(fix).lines() {
                    let hang = crate::diagnose::fixes::step_number(l).map_or(0, |n| n.len() + 2);
                    wrap(l, &format!("{indent}  "), hang, width, &mut out);
                }
            }
            (_, Some(c)) => out.push_str(&format!("{indent}Cause: {c}\n")),
            (None, None) => {}
        }
    }
    out.push('\n');
    if !a.plan.steps.is_empty() {
        out.push_str("What the ServiceNow admin changes (one plan):\n");
        for (i, step) in a.plan.steps.iter().enumerate() {
            for (j, line) in sanitize::text(step).lines().enumerate() {
                if j == 0 {
                    let n = format!("{}. ", i + 1);
                    wrap(&format!("{n}{line}"), "  ", n.len(), width, &mut out);
                } else {
                    wrap(line, "     ", 2, width, &mut out);
                }
            }
        }
        if a.plan.script.is_some() {
            out.push_str(
                "  The same as one background script: `snow-connect check --format markdown`.\n",
            );
        }
        out.push('\n');
    }
    for e in &report.endpoints {
        match e.ok {
            Some(true) => out.push_str(&format!(
                "Endpoint {:?}: ✓ valid for this instance\n",
                sanitize::line(&e.name)
            )),
            Some(false) => {
                out.push_str(&format!(
                    "Endpoint {:?}: ✗ send would refuse it\n",
                    sanitize::line(&e.name)
                ));
                for p in &e.problems {
                    wrap(
                        &format!(
                            "field {}: {}",
                            sanitize::line(&p.field),
                            sanitize::line(&p.message)
                        ),
                        "    ",
                        2,
                        width,
                        &mut out,
                    );
                }
            }
            None => out.push_str(&format!(
                "Endpoint {:?}: – not validated (the dictionary could not be read)\n",
                sanitize::line(&e.name)
            )),
        }
    }
    match &diag.dictionary {
        Some(Ok(d)) => {
            let hidden: usize = d.hidden_counts().iter().map(|(_, n)| n).sum();
            out.push_str(&format!(
                "Fields: {} selectable in the Additional Fields picker ({} hidden); list them with `snow-connect fields`\n",
                d.selectable().count(),
                hidden
            ));
        }
        Some(Err(_)) => out
            .push_str("Fields: the incident dictionary could not be read (see the causes above)\n"),
        None => {}
    }
    if let Some(n) = &diag.test_incident {
        out.push_str(&format!(
            "Test incident: {} (close or delete it)\n",
            sanitize::line(n)
        ));
    }
    let glyph = if a.verdict == Verdict::Works {
        "✓"
    } else {
        "✗"
    };
    out.push_str(&format!("Result: {glyph} {}\n", verdict_sentence(a)));
    out
}

/// Read the dictionaries the endpoints need besides incident's (which the ladder read).
async fn other_dictionaries(
    diag: &Diagnosis,
    endpoints: &[Endpoint],
) -> Vec<(String, Option<Dictionary>)> {
    let mut out: Vec<(String, Option<Dictionary>)> = Vec::new();
    for e in endpoints {
        if e.table == "incident" || out.iter().any(|(t, _)| *t == e.table) {
            continue;
        }
        let d = match &diag.client {
            Some(c) => crate::diagnose::discover_dictionary(c, &e.table).await.ok(),
            None => None,
        };
        out.push((e.table.clone(), d));
    }
    out
}

/// The `--json` document of a command that could not start (usage or config error).
#[derive(Debug, Serialize)]
pub struct UsageFailure<'a> {
    /// Always false.
    pub ok: bool,
    /// No instance was asked, so no cause.
    pub causes: [Cause; 0],
    /// What to pass or fix.
    pub error: &'a str,
}

/// [`connection::prepare`], printing the one JSON document on failure when `json` is set.
pub(super) fn prepare(
    global: &Global,
    args: &crate::cli::ConnectionArgs,
    command: &str,
    json: bool,
) -> Result<(connection::Connection, tokio::runtime::Runtime), Exit> {
    let fail = |msg: String| {
        eprintln!("snow-connect {command}: {msg}");
        if json {
            let doc = UsageFailure {
                ok: false,
                causes: [],
                error: &msg,
            };
            let _ = super::print_json(command, &doc);
        }
        Exit::Usage
    };
    let conn = connection::resolve(global, args).map_err(fail)?;
    for w in &conn.warnings {
        eprintln!("warning: {w}");
    }
    let rt = super::runtime().map_err(fail)?;
    Ok((conn, rt))
}

/// How `check --create-test-incident` makes its incident: the way `send` does
/// (`crate::incident`), handed to the ladder, which does not import that layer.
pub fn test_incident_maker() -> crate::diagnose::TestIncidentMaker {
    crate::diagnose::TestIncidentMaker::new(|client, dictionary| {
        Box::pin(async move {
            let created =
                crate::incident::send_policy::create_test_incident(client, dictionary).await?;
            Ok(crate::diagnose::TestIncident {
                number: created.number,
                url: created.url,
            })
        })
    })
}

/// Run `snow-connect check`.
pub fn run(global: &Global, args: CheckArgs) -> Exit {
    let (conn, rt) = match prepare(global, &args.conn, "check", args.json) {
        Ok(ready) => ready,
        Err(exit) => return exit,
    };
    let endpoints = &conn.endpoints;
    let opts = CheckOptions {
        create_test_incident: args.create_test_incident.then(test_incident_maker),
        discover_fields: true,
        client: conn.options.clone(),
        http: None,
    };
    let cancel = CancellationToken::new();
    let (diag, others) = rt.block_on(async {
        let on_interrupt = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                on_interrupt.cancel();
            }
        });
        let diag = run_checks(&conn.input, &opts, None, cancel.clone()).await;
        let others = other_dictionaries(&diag, endpoints).await;
        (diag, others)
    });
    let incident = match &diag.dictionary {
        Some(Ok(d)) => Some(d),
        _ => None,
    };
    let mut dicts: Vec<(String, Option<&Dictionary>)> = vec![("incident".to_string(), incident)];
    dicts.extend(others.iter().map(|(t, d)| (t.clone(), d.as_ref())));
    let validated = validate_endpoints(endpoints, &dicts);
    let report = CheckReport::new(
        &diag,
        validated,
        &conn.input.username,
        &conn.input.instance_url,
    );
    let human = render_human(&report, WIDTH);
    if args.json {
        eprint!("{human}");
        if let Err(exit) = super::print_json("check", &report.document()) {
            return exit;
        }
    } else if args.format.as_deref() == Some("markdown") {
        print!("{}", report.markdown());
    } else {
        print!("{human}");
    }
    rt.shutdown_background();
    report.exit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_width_and_hangs_steps() {
        let mut out = String::new();
        let long = format!("1. {}", "word ".repeat(40));
        wrap(&long, "    ", 3, WIDTH, &mut out);
        assert!(out.lines().count() > 1);
        for l in out.lines() {
            assert!(l.width() <= WIDTH, "{l}");
        }
        let second = out.lines().nth(1).unwrap_or_default();
        assert!(second.starts_with("       word"), "{second:?}");
        let mut narrow = String::new();
        wrap(&long, "", 0, 40, &mut narrow);
        assert!(narrow.lines().all(|l| l.width() <= 40), "{narrow}");
    }
}
