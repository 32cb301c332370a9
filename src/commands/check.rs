//! `snow-connect check`: the connection ladder without the wizard, the configured endpoints
//! validated against the live dictionary, the root causes and the one admin plan.

use serde::Serialize;
use tokio_util::sync::CancellationToken;
use unicode_width::UnicodeWidthStr;

use super::Global;
use super::connection;
use super::output::{self, Progress, Stream};
use crate::cli::CheckArgs;
use crate::config::Endpoint;
use crate::diagnose::{
    Assessment, Cause, CheckEvent, CheckId, CheckOptions, CheckResult, CheckStatus, Diagnosis,
    Dictionary, EndpointProblem, Verdict, markdown_report_for, plan, run_checks, verdict_sentence,
};
use crate::exit::Exit;
use crate::sanitize;

/// The version of the `--json` documents of `check` and `fields`.
pub use super::output::SCHEMA_VERSION;

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

/// Wrap lines of a fix or plan text at `indent`; a numbered step ("3. ...") hangs its
/// continuation lines under its text.
pub(super) fn wrap_steps(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    for l in text.lines() {
        let hang = crate::diagnose::fixes::step_number(l).map_or(0, |n| n.len() + 2);
        out.push_str(&output::wrap(l, width, indent, &" ".repeat(hang)));
    }
    out
}

fn kind_word(c: &Cause) -> &'static str {
    match c.kind {
        crate::diagnose::CauseKind::Credentials => "credentials",
        crate::diagnose::CauseKind::Configuration => "configuration",
        crate::diagnose::CauseKind::Instance => "instance",
        crate::diagnose::CauseKind::Transient => "transient",
    }
}

/// Columns of a row before its summary: glyph, status word, check id.
const STATUS_COLUMN: usize = 12;
/// Below this many columns left for the summary, it goes on a line of its own.
const MIN_SUMMARY: usize = 30;

fn id_column() -> usize {
    CheckId::ALL
        .iter()
        .map(|i| i.as_str().len())
        .max()
        .unwrap_or(0)
}

/// The first line of the report: what is checked, as whom.
pub fn render_header(url: &str, username: &str, width: usize) -> String {
    let mut out = output::wrap(
        &format!(
            "snow-connect check: {} as {}",
            sanitize::line(url),
            sanitize::line(username)
        ),
        width,
        "",
        "  ",
    );
    out.push('\n');
    out
}

/// One check's row for a terminal `width` columns wide: status, id and summary (wrapped
/// under the summary column), then what needs attention (evidence, its cause or fix).
pub fn render_row(r: &CheckResult, width: usize) -> String {
    let id_width = id_column();
    let lead = format!(
        "{} {:<STATUS_COLUMN$}  {:<id_width$}  ",
        r.status.glyph(),
        r.status.word(),
        r.id.as_str(),
    );
    let lead_width = lead.width();
    let time = if r.status == CheckStatus::Skipped {
        String::new()
    } else {
        format!("  ({} ms)", r.elapsed_ms)
    };
    let summary = sanitize::line(&r.summary);
    let (mut out, hang) = if width >= lead_width + MIN_SUMMARY {
        let hang = " ".repeat(lead_width);
        let text = output::wrap(&format!("{lead}{summary}"), width, "", &hang);
        (text, hang)
    } else {
        // Too narrow for columns: the summary goes under the row, indented.
        let mut o = format!("{}\n", lead.trim_end());
        o.push_str(&output::wrap(&summary, width, "    ", ""));
        (o, "    ".to_string())
    };
    // The time stays in one piece: at the end of the last line, or on a line of its own.
    if !time.is_empty() {
        out.pop();
        let last = out.rsplit('\n').next().unwrap_or_default().width();
        if last + time.width() > width {
            out.push('\n');
            out.push_str(&hang);
            out.push_str(time.trim_start());
        } else {
            out.push_str(&time);
        }
        out.push('\n');
    }
    if !plan::needs_attention(r) {
        return out;
    }
    let indent = " ".repeat((STATUS_COLUMN + 4).min(width / 4));
    if let Some(e) = &r.evidence {
        out.push_str(&output::wrap(
            &format!("Evidence: {}", sanitize::line(e)),
            width,
            &indent,
            "  ",
        ));
    }
    // A row with a cause is explained once, below the rows; only a finding of its own has a
    // fix here.
    match (&r.fix, r.cause) {
        (Some(fix), None) => {
            out.push_str(&format!("{indent}Fix:\n"));
            out.push_str(&wrap_steps(
                &sanitize::text(fix),
                width,
                &format!("{indent}  "),
            ));
        }
        (_, Some(c)) => out.push_str(&format!("{indent}Cause: {c}\n")),
        (None, None) => {}
    }
    out
}

/// The verdict line.
pub fn render_verdict(report: &CheckReport<'_>, width: usize) -> String {
    let a = &report.assessment;
    let glyph = if a.verdict == Verdict::Works {
        "✓"
    } else {
        "✗"
    };
    output::wrap(
        &format!("Result: {glyph} {}", verdict_sentence(a)),
        width,
        "",
        "  ",
    )
}

/// What follows the rows: the root causes (each once), the one admin plan, the endpoints,
/// the fields, then the verdict.
pub fn render_summary(report: &CheckReport<'_>, width: usize) -> String {
    let diag = report.diag;
    let a = &report.assessment;
    let mut out = String::from("\n");
    if !a.causes.is_empty() {
        out.push_str(if a.causes.len() == 1 {
            "Root cause:\n"
        } else {
            "Root causes:\n"
        });
        for c in &a.causes {
            out.push_str(&output::wrap(
                &format!(
                    "✗ {} ({}): {}",
                    c.id,
                    kind_word(c),
                    sanitize::line(&c.summary)
                ),
                width,
                "  ",
                "  ",
            ));
            if let Some(at) = &c.retry_at {
                out.push_str(&format!("    Try again after {}\n", sanitize::line(at)));
            }
            if !c.fix.is_empty() {
                out.push_str(&wrap_steps(&sanitize::text(&c.fix), width, "    "));
            }
        }
        out.push('\n');
    }
    if !a.plan.steps.is_empty() {
        out.push_str("What the ServiceNow admin changes (one plan):\n");
        for (i, step) in a.plan.steps.iter().enumerate() {
            for (j, line) in sanitize::text(step).lines().enumerate() {
                if j == 0 {
                    let n = format!("{}. ", i + 1);
                    out.push_str(&output::wrap(
                        &format!("{n}{line}"),
                        width,
                        "  ",
                        &" ".repeat(n.len()),
                    ));
                } else {
                    out.push_str(&output::wrap(line, width, "     ", "  "));
                }
            }
        }
        if a.plan.script.is_some() {
            out.push_str(&output::wrap(
                "The same as one background script: `snow-connect check --format markdown`.",
                width,
                "  ",
                "  ",
            ));
        }
        out.push('\n');
    }
    for e in &report.endpoints {
        let name = sanitize::line(&e.name);
        let head = match e.ok {
            Some(true) => format!("Endpoint {name:?}: ✓ valid for this instance"),
            Some(false) => format!("Endpoint {name:?}: ✗ send would refuse it"),
            None => {
                format!("Endpoint {name:?}: – not validated (the dictionary could not be read)")
            }
        };
        out.push_str(&output::wrap(&head, width, "", "  "));
        for p in &e.problems {
            out.push_str(&output::wrap(
                &format!(
                    "field {}: {}",
                    sanitize::line(&p.field),
                    sanitize::line(&p.message)
                ),
                width,
                "    ",
                "  ",
            ));
        }
    }
    let fields = match &diag.dictionary {
        Some(Ok(d)) => {
            let hidden: usize = d.hidden_counts().iter().map(|(_, n)| n).sum();
            Some(format!(
                "Fields: {} selectable in the Additional Fields picker ({} hidden); list them with `snow-connect fields`",
                d.selectable_count(),
                hidden
            ))
        }
        Some(Err(_)) => Some(
            "Fields: the incident dictionary could not be read (see the causes above)".to_string(),
        ),
        None => None,
    };
    if let Some(f) = fields {
        out.push_str(&output::wrap(&f, width, "", "  "));
    }
    if let Some(n) = &diag.test_incident {
        out.push_str(&output::wrap(
            &format!("Test incident: {} (close or delete it)", sanitize::line(n)),
            width,
            "",
            "  ",
        ));
    }
    out.push_str(&render_verdict(report, width));
    out
}

/// The whole human report for a terminal `width` columns wide: the header, one row per
/// check, then [`render_summary`]. `check` prints the same text piece by piece as the
/// checks finish.
pub fn render_human(report: &CheckReport<'_>, width: usize) -> String {
    let mut out = render_header(report.url(), &report.username, width);
    for r in &report.diag.results {
        out.push_str(&render_row(r, width));
    }
    out.push_str(&render_summary(report, width));
    out
}

/// Prune `dict` (of `table`) to what validating the endpoints reads: the fields they set,
/// the fields those depend on, the mandatory ones, and the two the alert fills; the counts
/// of all columns stay.
fn keep_for_validation(dict: &mut Dictionary, endpoints: &[Endpoint], table: &str) {
    let used: std::collections::HashSet<&str> = endpoints
        .iter()
        .filter(|e| e.table == table)
        .flat_map(|e| e.fields.iter().map(|f| f.element.as_str()))
        .collect();
    let controllers: std::collections::HashSet<String> = dict
        .fields
        .iter()
        .filter(|f| used.contains(f.element.as_str()))
        .filter_map(|f| f.dependent_on.clone())
        .collect();
    dict.keep_only(|f| {
        f.mandatory
            || used.contains(f.element.as_str())
            || controllers.contains(&f.element)
            || matches!(f.element.as_str(), "short_description" | "description")
    });
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
    let _ = command;
    let fail = |msg: String| {
        output::error(&msg);
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
        output::warn(w);
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

/// Where the human text goes and how it is streamed: the header at once, each row as soon
/// as it and every row above it are known (ladder order, whatever order the checks finish
/// in), a spinner on stderr in between.
struct Rows<'p> {
    stream: Stream,
    width: usize,
    /// `--quiet` or `--format markdown`: no rows.
    silent: bool,
    progress: &'p Progress,
    pending: Vec<Option<CheckResult>>,
    printed: Vec<bool>,
    running: Vec<CheckId>,
    next: usize,
}

impl<'p> Rows<'p> {
    fn new(stream: Stream, silent: bool, progress: &'p Progress) -> Rows<'p> {
        Rows {
            stream,
            width: stream.width(),
            silent,
            progress,
            pending: vec![None; CheckId::ALL.len()],
            printed: vec![false; CheckId::ALL.len()],
            running: Vec::new(),
            next: 0,
        }
    }

    fn write(&self, text: &str) {
        if self.silent || text.is_empty() {
            return;
        }
        self.progress.suspend(|| match self.stream {
            Stream::Stdout => output::print(text),
            Stream::Stderr => output::eprint(text),
        });
    }

    fn on_event(&mut self, event: CheckEvent) {
        match event {
            CheckEvent::Started(id) => {
                if !self.running.contains(&id) {
                    self.running.push(id);
                }
            }
            CheckEvent::Finished(r) => {
                self.running.retain(|id| *id != r.id);
                let i = CheckId::ALL.iter().position(|id| *id == r.id).unwrap_or(0);
                if self.printed[i] {
                    // A later finding supersedes a row already shown: say so, not silently.
                    let mut text = render_row(&r, self.width);
                    text.push_str(&output::wrap(
                        &format!("(this replaces the {} row above)", r.id.as_str()),
                        self.width,
                        "    ",
                        "",
                    ));
                    self.write(&text);
                } else {
                    self.pending[i] = Some(r);
                }
                self.flush();
            }
        }
        self.progress.set_message(self.activity());
    }

    /// Print the rows whose turn has come.
    fn flush(&mut self) {
        while let Some(Some(r)) = self.pending.get_mut(self.next).map(Option::take) {
            self.write(&render_row(&r, self.width));
            self.printed[self.next] = true;
            self.next += 1;
        }
    }

    /// The spinner's text: what is running now.
    fn activity(&self) -> String {
        if self.running.is_empty() {
            if self.next
                > CheckId::ALL
                    .iter()
                    .position(|i| *i == CheckId::Oauth)
                    .unwrap_or(0)
            {
                return "reading the incident dictionary".to_string();
            }
            return "checking the connection".to_string();
        }
        let ids: Vec<&str> = self.running.iter().map(|i| i.as_str()).collect();
        format!("checking {}", ids.join(", "))
    }
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
    let markdown = args.format.as_deref() == Some("markdown");
    // With --json (or the Markdown report) stdout holds the document; people read stderr.
    let stream = if args.json || markdown {
        Stream::Stderr
    } else {
        Stream::Stdout
    };
    let progress = Progress::start("checking the connection");
    let mut rows = Rows::new(stream, output::quiet() || markdown, &progress);
    let url = crate::servicenow::InstanceUrl::parse(&conn.input.instance_url)
        .map(|u| u.as_str().to_string())
        .unwrap_or_else(|_| conn.input.instance_url.trim().to_string());
    rows.write(&render_header(&url, &conn.input.username, rows.width));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // SIGINT ends the process with 130 before any verdict (see `exit_130_on_sigint`), so
    // nothing here cancels the ladder.
    let (mut diag, mut others) = rt.block_on(async {
        let ladder = run_checks(&conn.input, &opts, Some(tx), CancellationToken::new());
        let stream_rows = async {
            while let Some(event) = rx.recv().await {
                rows.on_event(event);
            }
        };
        let (diag, ()) = tokio::join!(ladder, stream_rows);
        if endpoints.iter().any(|e| e.table != "incident") {
            progress.set_message("reading the dictionaries the endpoints use");
        }
        let others = other_dictionaries(&diag, endpoints).await;
        (diag, others)
    });
    // From here on only the counts and the fields the endpoints use are needed.
    if let Some(Ok(d)) = &mut diag.dictionary {
        keep_for_validation(d, endpoints, "incident");
    }
    for (table, d) in &mut others {
        if let Some(d) = d {
            keep_for_validation(d, endpoints, table);
        }
    }
    // Rows the ladder never reported (it reports every one; this is a safety net).
    for r in &diag.results {
        let i = CheckId::ALL.iter().position(|id| *id == r.id).unwrap_or(0);
        if !rows.printed[i] && rows.pending[i].is_none() {
            rows.pending[i] = Some(r.clone());
        }
    }
    rows.flush();
    drop(rows);
    drop(progress);
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
    let width = stream.width();
    let human = if output::quiet() {
        render_verdict(&report, width)
    } else if markdown {
        String::new()
    } else {
        render_summary(&report, width)
    };
    match stream {
        Stream::Stdout => output::print(&human),
        Stream::Stderr => output::eprint(&human),
    }
    if args.json {
        if let Err(exit) = super::print_json("check", &report.document()) {
            return exit;
        }
    } else if markdown {
        output::print(&report.markdown());
    }
    rt.shutdown_background();
    report.exit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_steps_keeps_width_and_hangs_steps() {
        let long = format!("1. {}", "word ".repeat(40));
        let out = wrap_steps(&long, 80, "    ");
        assert!(out.lines().count() > 1);
        for l in out.lines() {
            assert!(l.width() <= 80, "{l}");
        }
        let second = out.lines().nth(1).unwrap_or_default();
        assert!(second.starts_with("       word"), "{second:?}");
    }
}
