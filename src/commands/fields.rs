//! `snow-connect fields`: the fields the Additional Fields picker would offer.

use std::collections::BTreeMap;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::Global;
use super::output::{self, Progress, Stream};
use crate::cli::FieldsArgs;
use crate::diagnose::fixes::FixContext;
use crate::diagnose::{
    Assessment, Cause, CheckOptions, Diagnosis, Dictionary, DictionaryError, Field, HiddenReason,
    discover_dictionary, plan, run_checks,
};
use crate::exit::Exit;
use crate::sanitize;
use unicode_width::UnicodeWidthStr;

/// Words for a hidden reason, as the table footer shows them.
pub fn reason_text(r: HiddenReason) -> &'static str {
    match r {
        HiddenReason::System => "system columns",
        HiddenReason::Journal => "journal fields",
        HiddenReason::List => "list fields",
        HiddenReason::Special => "special (variables, user input, tags)",
        HiddenReason::UnsupportedType => "types the picker cannot set (dates, GUIDs ...)",
        HiddenReason::ReadOnly => "read-only or inactive",
        HiddenReason::FilledFromAlert => "filled from the alert",
    }
}

fn reason_key(r: HiddenReason) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// The `--json` document.
#[derive(Debug, Serialize)]
pub struct FieldsDocument<'a> {
    /// The fields were read.
    pub ok: bool,
    /// The table asked for.
    pub table: &'a str,
    /// The table and its ancestors.
    pub chain: &'a [String],
    /// The selectable fields, sorted by label (serialised one by one, never collected).
    pub fields: Selectable<'a>,
    /// Hidden columns per reason.
    pub hidden: BTreeMap<String, usize>,
    /// Whether choice values could be read.
    pub choices_loaded: bool,
    /// Whether type labels could be read.
    pub type_labels_loaded: bool,
}

/// The fields the picker offers, serialised straight from the dictionary.
#[derive(Debug, Clone, Copy)]
pub struct Selectable<'a>(pub &'a Dictionary);

impl Serialize for Selectable<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.selectable())
    }
}

/// The `--json` document when the fields could not be read: why, as root causes.
#[derive(Debug, Serialize)]
pub struct FieldsFailure<'a> {
    /// Always false.
    pub ok: bool,
    /// The table asked for.
    pub table: &'a str,
    /// Why, each cause once.
    pub causes: &'a [Cause],
    /// A sentence when no cause applies (e.g. the table does not exist).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The `--json` document for a dictionary.
pub fn document(d: &Dictionary) -> FieldsDocument<'_> {
    FieldsDocument {
        ok: true,
        table: &d.table,
        chain: &d.chain,
        fields: Selectable(d),
        hidden: d
            .hidden_counts()
            .into_iter()
            .map(|(r, n)| (reason_key(r), n))
            .collect(),
        choices_loaded: d.choices_loaded,
        type_labels_loaded: d.type_labels_loaded,
    }
}

fn type_text(f: &Field) -> String {
    let kind = f.kind.map(|k| k.as_str()).unwrap_or("-");
    let mut s = if f.type_label.eq_ignore_ascii_case(kind) {
        kind.to_string()
    } else {
        format!("{kind} ({})", f.type_label)
    };
    if !f.choices.is_empty() {
        s.push_str(&format!(", {} choices", f.choices.len()));
    }
    s
}

/// The cells of one field's row, sanitised.
fn cells(f: &Field) -> [String; 5] {
    [
        sanitize::line(&f.label).into_owned(),
        sanitize::line(&f.element).into_owned(),
        sanitize::line(&type_text(f)).into_owned(),
        sanitize::line(&f.defined_on).into_owned(),
        sanitize::line(f.reference.as_deref().unwrap_or("")).into_owned(),
    ]
}

const HEADER: [&str; 5] = ["LABEL", "ELEMENT", "TYPE", "FROM TABLE", "REFERENCE"];
// Element names are what a config holds: never cut. The widest other column gives way.
const FLOORS: [usize; 5] = [10, usize::MAX, 10, 8, 12];

/// The aligned table (fitted to `width` columns) and the hidden counts.
pub fn render_table(d: &Dictionary, width: usize) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = write_table(&mut out, d, width);
    String::from_utf8_lossy(&out).into_owned()
}

/// [`render_table`] written as it goes: one pass over the fields for the column widths,
/// then each row is made and written on its own, so the output is never held whole.
pub fn write_table(
    w: &mut dyn std::io::Write,
    d: &Dictionary,
    width: usize,
) -> std::io::Result<()> {
    let widths = output::table_widths(
        HEADER,
        d.selectable().map(|f| cells(f).map(|c| c.width())),
        width,
        FLOORS,
    );
    let chain = d
        .chain
        .iter()
        .map(|t| sanitize::line(t).into_owned())
        .collect::<Vec<_>>()
        .join(" > ");
    w.write_all(
        output::wrap(
            &format!(
                "{} fields the Additional Fields picker offers for {} ({chain}):",
                d.selectable_count(),
                sanitize::line(&d.table)
            ),
            width,
            "",
            "  ",
        )
        .as_bytes(),
    )?;
    w.write_all(b"\n")?;
    w.write_all(output::table_line(HEADER, &widths).as_bytes())?;
    for f in d.selectable() {
        let c = cells(f);
        let line = output::table_line(std::array::from_fn(|i| c[i].as_str()), &widths);
        w.write_all(line.as_bytes())?;
    }
    let counts = d.hidden_counts();
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let parts: Vec<String> = counts
        .iter()
        .map(|(r, n)| format!("{n} {}", reason_text(*r)))
        .collect();
    w.write_all(b"\n")?;
    let mut footer = format!("Hidden: {total} columns ({})", parts.join(", "));
    if !d.type_labels_loaded {
        footer.push_str(
            "\nNote: type labels are unavailable (sys_glide_object is not readable); run `snow-connect check` for the fix.",
        );
    }
    if !d.choices_loaded {
        footer.push_str(
            "\nNote: choice values are unavailable (sys_choice is not readable); run `snow-connect check` for the fix.",
        );
    }
    w.write_all(output::wrap(&footer, width, "", "  ").as_bytes())
}

/// Why the fields could not be read: the causes (each once), the exit code, and a sentence
/// when no cause applies.
fn failure(diag: &Diagnosis, table: &str, ctx: &FixContext) -> (Assessment, Exit, Option<String>) {
    let mut extra = Vec::new();
    let mut error = None;
    let mut usage = false;
    match &diag.dictionary {
        Some(Err(DictionaryError::NoSuchTable(t))) => {
            error = Some(format!(
                "the instance has no table {t:?} (sys_db_object has no row for it); check the name"
            ));
            usage = true;
        }
        // The ladder re-finishes the incident check that a denial belongs to; another table's
        // denial is only known here.
        Some(Err(DictionaryError::Denied { acl, evidence })) if table != "incident" => {
            extra.extend(plan::denied_cause(acl, evidence, ctx));
        }
        Some(Err(DictionaryError::Client(e))) if table != "incident" => {
            extra.extend(plan::cause_from_error(
                e,
                &format!("the {table} dictionary could not be read"),
                ctx,
            ));
        }
        _ => {}
    }
    let a = diag.assessment_with(extra);
    let exit = if usage {
        Exit::Usage
    } else {
        match Exit::from(a.verdict) {
            // Nothing failed, yet there are no fields: something must still change.
            Exit::Success => Exit::Denied,
            other => other,
        }
    };
    if a.causes.is_empty() && error.is_none() {
        error = Some(match &diag.dictionary {
            Some(Err(e)) => sanitize::line(&e.to_string()).into_owned(),
            _ => "the dictionary was not read".to_string(),
        });
    }
    (a, exit, error)
}

/// Run `snow-connect fields`.
pub fn run(global: &Global, args: FieldsArgs) -> Exit {
    let table = args.table.trim().to_string();
    if table.is_empty()
        || !table
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        let msg = "--table wants a table name such as incident";
        output::error(msg);
        if args.json {
            let doc = FieldsFailure {
                ok: false,
                table: &table,
                causes: &[],
                error: Some(msg.to_string()),
            };
            let _ = super::print_json("fields", &doc);
        }
        return Exit::Usage;
    }
    let (conn, rt) = match super::check::prepare(global, &args.conn, "fields", args.json) {
        Ok(ready) => ready,
        Err(exit) => return exit,
    };
    let is_incident = table == "incident";
    let opts = CheckOptions {
        create_test_incident: None,
        discover_fields: is_incident,
        client: conn.options.clone(),
        http: None,
    };
    let progress = Progress::start(format!(
        "signing in and reading the {} dictionary",
        sanitize::line(&table)
    ));
    let diag = rt.block_on(async {
        let mut diag = run_checks(&conn.input, &opts, None, CancellationToken::new()).await;
        if !is_incident && let Some(client) = &diag.client {
            diag.dictionary = Some(discover_dictionary(client, &table).await);
        }
        diag
    });
    drop(progress);
    let exit = match &diag.dictionary {
        Some(Ok(d)) => {
            if args.json {
                // Everything that can fail has happened: the document is streamed whole.
                output::stream_json(&document(d));
            } else {
                let width = Stream::Stdout.width();
                output::write_stdout(|w| write_table(w, d, width));
            }
            Exit::Success
        }
        _ => {
            let (a, exit, error) = failure(&diag, &table, &diag.context);
            explain_failure(&a, &table, error.as_deref());
            if args.json {
                let doc = FieldsFailure {
                    ok: false,
                    table: &table,
                    causes: &a.causes,
                    error,
                };
                if let Err(exit) = super::print_json("fields", &doc) {
                    return exit;
                }
            }
            exit
        }
    };
    rt.shutdown_background();
    exit
}

/// Why the dictionary could not be read, on stderr: one error line, then (unless `--quiet`)
/// each cause once and the one admin plan, wrapped to stderr's width.
fn explain_failure(a: &Assessment, table: &str, error: Option<&str>) {
    let mut head = format!("cannot read the {} dictionary", sanitize::line(table));
    // A limit reached is said on the error line itself, also under --quiet: which limit, and
    // what the instance claimed.
    let over = a
        .causes
        .iter()
        .find(|c| c.id == crate::diagnose::CauseId::DictionaryTooLarge)
        .map(|c| sanitize::line(&c.summary).into_owned());
    if let Some(e) = error.map(str::to_string).or(over) {
        head.push_str(": ");
        head.push_str(&e);
    }
    output::error(&head);
    if output::quiet() {
        return;
    }
    let width = Stream::Stderr.width();
    let mut out = String::new();
    for c in &a.causes {
        out.push_str(&output::wrap(
            &format!("✗ {}: {}", c.id, sanitize::line(&c.summary)),
            width,
            "",
            "    ",
        ));
        if let Some(at) = &c.retry_at {
            out.push_str(&format!("  Try again after {}\n", sanitize::line(at)));
        }
        if !c.fix.is_empty() {
            out.push_str("  Fix:\n");
            out.push_str(&super::check::wrap_steps(
                &sanitize::text(&c.fix),
                width,
                "    ",
            ));
        }
    }
    if !a.plan.steps.is_empty() {
        out.push_str("What the ServiceNow admin changes (one plan):\n");
        out.push_str(&super::check::wrap_steps(
            &sanitize::text(&a.plan.text()),
            width,
            "  ",
        ));
    }
    if a.plan.script.is_some() {
        out.push_str(
            "The same as one background script: `snow-connect check --format markdown`.\n",
        );
    }
    output::eprint(&out);
}
