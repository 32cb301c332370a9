//! `snow-connect fields`: the fields the Additional Fields picker would offer.

use std::collections::BTreeMap;

use serde::Serialize;
use tokio_util::sync::CancellationToken;
use unicode_width::UnicodeWidthStr;

use super::Global;
use crate::cli::FieldsArgs;
use crate::diagnose::fixes::FixContext;
use crate::diagnose::{
    Assessment, Cause, CheckOptions, Diagnosis, Dictionary, DictionaryError, Field, HiddenReason,
    discover_dictionary, plan, run_checks,
};
use crate::exit::Exit;
use crate::sanitize;

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
    /// The selectable fields, sorted by label.
    pub fields: Vec<&'a Field>,
    /// Hidden columns per reason.
    pub hidden: BTreeMap<String, usize>,
    /// Whether choice values could be read.
    pub choices_loaded: bool,
    /// Whether type labels could be read.
    pub type_labels_loaded: bool,
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
        fields: d.selectable().collect(),
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

fn pad(s: &str, width: usize) -> String {
    let w = s.width();
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

/// The aligned table and the hidden counts.
pub fn render_table(d: &Dictionary) -> String {
    let rows: Vec<[String; 5]> = d
        .selectable()
        .map(|f| {
            [
                sanitize::line(&f.label).into_owned(),
                sanitize::line(&f.element).into_owned(),
                sanitize::line(&type_text(f)).into_owned(),
                sanitize::line(&f.defined_on).into_owned(),
                sanitize::line(f.reference.as_deref().unwrap_or("")).into_owned(),
            ]
        })
        .collect();
    let header = ["LABEL", "ELEMENT", "TYPE", "FROM TABLE", "REFERENCE"];
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.width());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i == cells.len() - 1 {
                s.push_str(c);
            } else {
                s.push_str(&pad(c, widths[i]));
                s.push_str("  ");
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let chain = d
        .chain
        .iter()
        .map(|t| sanitize::line(t).into_owned())
        .collect::<Vec<_>>()
        .join(" > ");
    let mut out = format!(
        "{} fields the Additional Fields picker offers for {} ({chain}):\n\n",
        rows.len(),
        sanitize::line(&d.table)
    );
    out.push_str(&line(header));
    for r in &rows {
        out.push_str(&line([&r[0], &r[1], &r[2], &r[3], &r[4]]));
    }
    let counts = d.hidden_counts();
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let parts: Vec<String> = counts
        .iter()
        .map(|(r, n)| format!("{n} {}", reason_text(*r)))
        .collect();
    out.push_str(&format!(
        "\nHidden: {total} columns ({})\n",
        parts.join(", ")
    ));
    if !d.type_labels_loaded {
        out.push_str(
            "Note: type labels are unavailable (sys_glide_object is not readable); run `snow-connect check` for the fix.\n",
        );
    }
    if !d.choices_loaded {
        out.push_str(
            "Note: choice values are unavailable (sys_choice is not readable); run `snow-connect check` for the fix.\n",
        );
    }
    out
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
        eprintln!("snow-connect fields: {msg}");
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
    let diag = rt.block_on(async {
        let mut diag = run_checks(&conn.input, &opts, None, CancellationToken::new()).await;
        if !is_incident && let Some(client) = &diag.client {
            diag.dictionary = Some(discover_dictionary(client, &table).await);
        }
        diag
    });
    let exit = match &diag.dictionary {
        Some(Ok(d)) => {
            if args.json {
                if let Err(exit) = super::print_json("fields", &document(d)) {
                    return exit;
                }
            } else {
                print!("{}", render_table(d));
            }
            Exit::Success
        }
        _ => {
            let (a, exit, error) = failure(&diag, &table, &diag.context);
            let causes = &a.causes;
            eprintln!(
                "snow-connect fields: cannot read the {} dictionary",
                sanitize::line(&table)
            );
            if let Some(e) = &error {
                eprintln!("  {e}");
            }
            for c in causes {
                eprintln!("✗ {} : {}", c.id, sanitize::line(&c.summary));
                if let Some(at) = &c.retry_at {
                    eprintln!("  Try again after {}", sanitize::line(at));
                }
                if !c.fix.is_empty() {
                    eprintln!("  Fix:");
                    for l in sanitize::text(&c.fix).lines() {
                        eprintln!("    {l}");
                    }
                }
            }
            if !a.plan.steps.is_empty() {
                eprintln!("What the ServiceNow admin changes (one plan):");
                for l in sanitize::text(&a.plan.text()).lines() {
                    eprintln!("  {l}");
                }
            }
            if a.plan.script.is_some() {
                eprintln!(
                    "The same as one background script: `snow-connect check --format markdown`."
                );
            }
            if args.json {
                let doc = FieldsFailure {
                    ok: false,
                    table: &table,
                    causes,
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
