//! `snow-connect check`: the connection ladder without the wizard.

use serde::Serialize;
use tokio_util::sync::CancellationToken;
use unicode_width::UnicodeWidthStr;

use super::Global;
use super::connection;
use crate::cli::CheckArgs;
use crate::diagnose::{
    CheckId, CheckOptions, CheckResult, CheckStatus, Diagnosis, fixes, run_checks,
};
use crate::exit::Exit;
use crate::sanitize;

/// Text width for wrapped fixes (a terminal's width is the wizard's business).
const WIDTH: usize = 100;

/// The `--json` document: exactly these keys (DESIGN.md section 4).
#[derive(Debug, Serialize)]
pub struct CheckDocument<'a> {
    /// The normalised URL (or what was given, when it did not parse).
    pub instance_url: String,
    /// Every required check passed.
    pub ok: bool,
    /// Every check in ladder order.
    pub checks: &'a [CheckResult],
    /// Number of selectable Additional Fields, when the dictionary was read.
    pub fields: Option<usize>,
}

/// The `--json` document for a diagnosis.
pub fn document<'a>(diag: &'a Diagnosis, typed_url: &str) -> CheckDocument<'a> {
    CheckDocument {
        instance_url: diag
            .instance_url
            .clone()
            .unwrap_or_else(|| typed_url.trim().to_string()),
        ok: diag.ok(),
        checks: &diag.results,
        fields: diag.selectable_fields(),
    }
}

/// Greedy word wrap of one paragraph, each line prefixed with `indent`.
fn wrap(text: &str, indent: &str, out: &mut String) {
    let room = WIDTH.saturating_sub(indent.width()).max(20);
    for para in text.lines() {
        // Numbered steps hang their continuation lines under the text.
        let hang = fixes::step_number(para).map_or(0, |n| n.len() + 2);
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

/// The human report: one row per check (glyph and word), evidence and fix under each row that
/// needs attention, then the verdict.
pub fn render_human(diag: &Diagnosis, username: &str, typed_url: &str) -> String {
    let url = diag.instance_url.as_deref().unwrap_or(typed_url.trim());
    let mut out = format!(
        "snow-connect check: {} as {}\n\n",
        sanitize::line(url),
        sanitize::line(username)
    );
    let id_width = CheckId::ALL
        .iter()
        .map(|i| i.as_str().len())
        .max()
        .unwrap_or(0);
    let mut printed_fixes: Vec<(&str, CheckId)> = Vec::new();
    for r in &diag.results {
        let time = if r.status == CheckStatus::Skipped {
            String::new()
        } else {
            format!("  ({} ms)", r.elapsed_ms)
        };
        out.push_str(&format!(
            "{} {:<7}  {:<id_width$}  {}{}\n",
            r.status.glyph(),
            r.status.word(),
            r.id.as_str(),
            sanitize::line(&r.summary),
            time
        ));
        let needs_attention = matches!(
            r.status,
            CheckStatus::Blocked | CheckStatus::Partial | CheckStatus::Warning
        );
        if !needs_attention {
            continue;
        }
        let indent = " ".repeat(11);
        if let Some(e) = &r.evidence {
            wrap(
                &format!("Evidence: {}", sanitize::line(e)),
                &indent,
                &mut out,
            );
        }
        if let Some(fix) = &r.fix {
            match printed_fixes.iter().find(|(f, _)| *f == fix.as_str()) {
                Some((_, first)) => {
                    out.push_str(&format!("{indent}Fix: the same as for {first} above.\n"));
                }
                None => {
                    out.push_str(&format!("{indent}Fix:\n"));
                    wrap(&sanitize::text(fix), &format!("{indent}  "), &mut out);
                    printed_fixes.push((fix.as_str(), r.id));
                }
            }
        }
        out.push('\n');
    }
    if !out.ends_with("\n\n") {
        out.push('\n');
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
        Some(Err(e)) => out.push_str(&format!(
            "Fields: the incident dictionary could not be read: {}\n",
            sanitize::line(&e.to_string())
        )),
        None => {}
    }
    if let Some(n) = &diag.test_incident {
        out.push_str(&format!(
            "Test incident: {} (close or delete it)\n",
            sanitize::line(n)
        ));
    }
    out.push_str(&match diag.exit() {
        Exit::Success => "Result: ✓ the integration will work.\n".to_string(),
        Exit::Usage => "Result: ✗ the integration will not work: the instance URL is not usable.\n".to_string(),
        Exit::Unreachable => format!(
            "Result: ✗ the integration will not work: could not talk to a ServiceNow instance at {}.\n",
            sanitize::line(url)
        ),
        Exit::Denied => "Result: ✗ the integration will not work until the items marked ✗ or ◐ above are fixed in ServiceNow.\n".to_string(),
        // A diagnosis never ends interrupted: SIGINT exits before a verdict is printed.
        Exit::Interrupted => String::new(),
    });
    out
}

/// Run `snow-connect check`.
pub fn run(global: &Global, args: CheckArgs) -> Exit {
    let (conn, rt) = match connection::prepare(global, &args.conn, "check") {
        Ok(ready) => ready,
        Err(exit) => return exit,
    };
    let opts = CheckOptions {
        create_test_incident: args.create_test_incident,
        discover_fields: true,
        client: conn.options.clone(),
        http: None,
    };
    let cancel = CancellationToken::new();
    let diag = rt.block_on(async {
        let on_interrupt = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                on_interrupt.cancel();
            }
        });
        run_checks(&conn.input, &opts, None, cancel.clone()).await
    });
    let human = render_human(&diag, &conn.input.username, &conn.input.instance_url);
    if args.json {
        eprint!("{human}");
        if let Err(exit) = super::print_json("check", &document(&diag, &conn.input.instance_url)) {
            return exit;
        }
    } else {
        print!("{human}");
    }
    rt.shutdown_background();
    diag.exit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_width_and_hangs_steps() {
        let mut out = String::new();
        let long = format!("1. {}", "word ".repeat(40));
        wrap(&long, "    ", &mut out);
        assert!(out.lines().count() > 1);
        for l in out.lines() {
            assert!(l.width() <= WIDTH, "{l}");
        }
        let second = out.lines().nth(1).unwrap_or_default();
        assert!(second.starts_with("       word"), "{second:?}");
    }
}
