//! Screen 5, Checks: each check appears as it runs, then the ACL matrix (one row per
//! permission, glyph + word + evidence) with the selected row's fix in full. Actions: retry,
//! back to the form, Markdown report, copy the fix (OSC 52), continue.

use crate::sanitize::SafeText;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::diagnose::fixes::FixContext;
use crate::diagnose::{
    Assessment, CauseKind, CheckEvent, CheckId, CheckResult, CheckStatus, DictionaryError, Verdict,
    plan,
};
use crate::wizard::component::Request;
use crate::wizard::context::Context;
use crate::wizard::draft::draft_of;
use crate::wizard::keymap::{Action, Binding, Key, Keymap, keys, paging};
use crate::wizard::layout::{Sidebar, areas};
use crate::wizard::model::{Model, RowState, Screen};
use crate::wizard::msg::{ChecksOutcome, Effect, Slot};
use crate::wizard::popups::{Confirm, ConfirmKind, Popup};
use crate::wizard::update::go;
use crate::wizard::widgets::doc::Block;
pub use crate::wizard::widgets::draw::SPINNER;
use crate::wizard::widgets::draw::{max_scroll, pad, scrolled, truncate};

/// Keys of the checks screen.
pub fn keymap(m: &Model) -> Keymap {
    if m.cx.checks.running {
        return vec![Binding::new(&[keys::ESC], "cancel", Action::Back)];
    }
    let mut v = vec![
        Binding::new(&[keys::ENTER, Key::ch('c')], "continue", Action::Continue),
        Binding::new(&[keys::DOWN, Key::ch('j')], "next row", Action::Down)
            .labelled("↓/j")
            .hidden(),
        Binding::new(&[keys::UP, Key::ch('k')], "previous row", Action::Up)
            .labelled("↑/k")
            .hidden(),
        Binding::new(&[Key::ch('r')], "retry", Action::Retry),
        Binding::new(&[Key::ch('s')], "report", Action::SaveReport),
        Binding::new(&[Key::ch('y')], "copy fix", Action::CopyFix),
    ];
    v.extend(paging("scroll the fix"));
    v.push(Binding::new(
        &[keys::ESC, Key::ch('b')],
        if m.cx.checks.return_to_editor {
            "back to endpoint"
        } else {
            "back"
        },
        Action::Back,
    ));
    v
}

/// Rows shown in the matrix: every check, except the incident test when it was not run.
pub fn visible_rows(cx: &Context) -> Vec<(CheckId, &RowState)> {
    cx.checks
        .rows
        .iter()
        .filter(|(id, s)| {
            *id != CheckId::IncidentCreate
                || !matches!(s, RowState::Done(r) if r.status == CheckStatus::Skipped)
        })
        .map(|(id, s)| (*id, s))
        .collect()
}

fn selected_result(cx: &Context) -> Option<&CheckResult> {
    match visible_rows(cx).get(cx.checks.selected) {
        Some((_, RowState::Done(r))) => Some(r),
        _ => None,
    }
}

/// Causes, plan and verdict of the finished rows (and of discovery), the same model `check`
/// and the report use.
pub fn assessment(cx: &Context) -> Assessment {
    let ctx = FixContext::new(&cx.checks.username, "");
    let extra = match &cx.dictionary {
        Some(Err(DictionaryError::Client(e))) => {
            plan::cause_from_error(e, "the incident dictionary could not be read", &ctx)
                .into_iter()
                .collect()
        }
        _ => Vec::new(),
    };
    plan::assess(&cx.checks.results(), extra, &ctx)
}

/// What the fix pane and the clipboard give for a row: the cause's fix for a condition of the
/// instance, the one admin plan for anything the admin changes, else the row's own fix.
fn what_to_change(a: &Assessment, r: &CheckResult) -> Vec<String> {
    let Some(cause) = r.cause.and_then(|c| a.cause(c)) else {
        return r
            .fix
            .as_deref()
            .map(|f| f.lines().map(String::from).collect())
            .unwrap_or_default();
    };
    // The banner above the matrix already says what the cause is; the pane says what to do.
    let mut v = Vec::new();
    if let Some(at) = &cause.retry_at {
        v.push(format!("Try again after {at}."));
    }
    let planned = cause.kind == CauseKind::Configuration && !a.plan.steps.is_empty();
    if planned {
        v.push(format!(
            "Cause {} (above). The ServiceNow admin's one plan, for every cause:",
            cause.id
        ));
        v.extend(a.plan.text().lines().map(String::from));
        if a.plan.script.is_some() {
            v.push("s writes the report with the same plan as one background script.".to_string());
        }
    } else {
        v.push(format!("Cause {} (above):", cause.id));
        v.extend(cause.fix.lines().map(String::from));
    }
    v
}

/// React to an action.
pub fn action(m: &mut Model, a: Action) -> Vec<Effect> {
    if m.cx.checks.running {
        if a == Action::Back {
            m.cx.checks.cancelled = true;
            m.cx.info("Cancelling the checks…");
            return vec![Effect::Cancel(Slot::Checks)];
        }
        return Vec::new();
    }
    let n = visible_rows(&m.cx).len();
    match a {
        Action::Up => {
            m.cx.checks.selected = m.cx.checks.selected.saturating_sub(1);
            m.cx.checks.fix_scroll = 0;
        }
        Action::Down => {
            m.cx.checks.selected = (m.cx.checks.selected + 1).min(n.saturating_sub(1));
            m.cx.checks.fix_scroll = 0;
        }
        Action::PageDown => scroll_fix(m, 4),
        Action::PageUp => scroll_fix(m, -4),
        Action::Retry => {
            return crate::wizard::update::request(m, Request::StartChecks { resend: false });
        }
        Action::Back => {
            if m.cx.checks.return_to_editor && m.screens.editor.is_some() {
                m.cx.checks.return_to_editor = false;
                return go(m, Screen::Editor);
            }
            return go(m, Screen::Connect);
        }
        Action::SaveReport => {
            let dir =
                m.cx.config_path
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .map(|d| d.to_path_buf())
                    .unwrap_or_else(|| std::path::PathBuf::from("."));
            m.cx.info("Writing the report…");
            return vec![Effect::SaveReport {
                dir,
                instance_url: m.cx.checks.instance_url.clone().unwrap_or_else(|| {
                    m.screens
                        .connect
                        .form
                        .instance_url
                        .value()
                        .trim()
                        .to_string()
                }),
                username: m.cx.checks.username.clone(),
                results: m.cx.checks.results(),
            }];
        }
        Action::CopyFix => {
            let verdict = assessment(&m.cx);
            if let Some(r) = selected_result(&m.cx) {
                let change = what_to_change(&verdict, r);
                let text = if change.is_empty() {
                    format!("{}: {}", r.id.title(), r.summary)
                } else {
                    format!("{}: {}\n\n{}", r.id.title(), r.summary, change.join("\n"))
                };
                m.cx.info(format!(
                    "Copied \"{}\" to your clipboard (OSC 52: your terminal must allow it).",
                    r.id.title()
                ));
                return vec![Effect::Clipboard(text)];
            }
        }
        Action::Continue => return continue_on(m),
        _ => {}
    }
    Vec::new()
}

fn scroll_fix(m: &mut Model, delta: i32) {
    let (w, h) = fix_pane_size(m);
    let max = max_scroll(&fix_lines(m), w, h);
    let next = i32::from(m.cx.checks.fix_scroll)
        .saturating_add(delta)
        .clamp(0, i32::from(max));
    m.cx.checks.fix_scroll = u16::try_from(next).unwrap_or(0);
}

/// Go on to the endpoints, or ask first when something required failed.
pub fn continue_on(m: &mut Model) -> Vec<Effect> {
    if m.cx.checks.required_ok() {
        return proceed(m);
    }
    let a = assessment(&m.cx);
    let mut body: Vec<String> = a
        .causes
        .iter()
        .map(|c| format!("{}: {}", c.id, SafeText::line(&c.summary)))
        .collect();
    let fields_missing = m.cx.dict().is_none();
    body.push(match a.verdict {
        Verdict::RetryLater => format!(
            "Nothing is known to be missing: the instance asked to wait{}. r retries then; if you continue now, {}",
            a.cause(crate::diagnose::CauseId::RateLimited)
                .and_then(|c| c.retry_at.as_deref())
                .map(|t| format!(" (until {t})"))
                .unwrap_or_default(),
            if fields_missing {
                "Additional Fields stay empty until the dictionary is read."
            } else {
                "the unchecked rows stay unverified."
            }
        ),
        Verdict::Unreachable | Verdict::Usage => "The instance could not be checked, so nothing is verified: the saved file will not work until the checks pass.".to_string(),
        _ if !m.cx.checks.connected => "No token was issued, so nothing is verified: the saved file will not work until the credentials are accepted.".to_string(),
        _ if fields_missing && !a.missing_acls().is_empty() => "Without the read ACLs there are no Additional Fields: endpoints fill only Short description and Description, and fields the instance makes mandatory cannot be found.".to_string(),
        _ => "The integration will fail until the admin makes the changes of the plan (see the matrix).".to_string(),
    });
    m.popups.push(Popup::Confirm(Confirm {
        kind: ConfirmKind::ContinueAnyway,
        title: "Continue anyway?".into(),
        body,
        yes: "Continue anyway",
        no: "Stay",
        on_yes: false,
    }));
    Vec::new()
}

/// Leave the checks for the endpoints (or back to the editor that opened the matrix).
pub fn proceed(m: &mut Model) -> Vec<Effect> {
    let to = if m.cx.checks.return_to_editor && m.screens.editor.is_some() {
        Screen::Editor
    } else {
        Screen::Endpoints
    };
    m.cx.checks.return_to_editor = false;
    let mut effects = go(m, to);
    if to == Screen::Editor
        && let Some(ed) = m.screens.editor.as_mut()
    {
        ed.refresh_mandatory(&m.cx);
    }
    effects.push(Effect::SaveDraft(Box::new(draft_of(m))));
    effects
}

/// A progress event from run `run`.
pub fn on_event(cx: &mut Context, run: u64, ev: CheckEvent) {
    if run != cx.checks.run {
        return;
    }
    match ev {
        CheckEvent::Started(id) => set_row(cx, id, RowState::Running),
        CheckEvent::Finished(r) => set_row(cx, r.id, RowState::Done(r)),
    }
}

fn set_row(cx: &mut Context, id: CheckId, state: RowState) {
    if let Some(row) = cx.checks.rows.iter_mut().find(|(i, _)| *i == id) {
        row.1 = state;
    } else {
        cx.checks.rows.push((id, state));
    }
}

/// Run `run` finished.
pub fn on_done(cx: &mut Context, run: u64, outcome: ChecksOutcome) {
    if run != cx.checks.run {
        return;
    }
    for r in outcome.results {
        set_row(cx, r.id, RowState::Done(r));
    }
    // A check that never reported is shown as skipped rather than spinning forever.
    for (id, s) in cx.checks.rows.iter_mut() {
        if !matches!(s, RowState::Done(_)) {
            *s = RowState::Done(CheckResult::new(*id, CheckStatus::Skipped, "not run"));
        }
    }
    cx.checks.running = false;
    cx.checks.connected = outcome.connected;
    cx.checks.instance_url = outcome.instance_url;
    cx.dictionary = outcome.dictionary.map(|d| d.map(std::sync::Arc::new));
    let causes = assessment(cx).causes.len();
    let rows = visible_rows(cx);
    let problems: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, (_, s))| {
            matches!(s, RowState::Done(r) if !matches!(r.status, CheckStatus::Passed | CheckStatus::Skipped))
        })
        .map(|(i, _)| i)
        .collect();
    cx.checks.selected = problems.first().copied().unwrap_or(0);
    cx.checks.fix_scroll = 0;
    if cx.checks.cancelled {
        cx.info("Checks cancelled. r runs them again.");
    } else if cx.checks.required_ok() {
        cx.info("All required checks passed. Enter continues to the endpoints.");
    } else {
        cx.error(match causes {
            0 | 1 => {
                "One root cause (above the matrix): the selected row says what to do.".to_string()
            }
            n => format!("{n} root causes (above the matrix): the selected row says what to do."),
        });
    }
}

/// Rows of the table and of the detail pane for a body of `height` rows (heading, table,
/// rule, pane): on short terminals the table shrinks (and scrolls) so the fix stays visible.
fn split(height: u16, rows: usize, banner: u16) -> (u16, u16) {
    let rows = u16::try_from(rows).unwrap_or(u16::MAX);
    let avail = height.saturating_sub(2).saturating_sub(banner);
    let table = if avail >= rows.saturating_add(6) {
        rows
    } else {
        rows.min((avail / 2).max(3)).min(avail)
    };
    (table, avail.saturating_sub(table))
}

fn fix_pane_size(m: &Model) -> (u16, u16) {
    let (w, h) = m.cx.size;
    let body = areas(
        ratatui::layout::Rect::new(0, 0, w, h),
        u16::from(m.cx.status.is_some()),
        Sidebar::for_width(w, true),
    )
    .body;
    let (_, pane) = split(
        body.height,
        visible_rows(&m.cx).len(),
        banner_height(&banner(m), body.height),
    );
    (body.width, pane.max(1))
}

/// The detail pane: the selected check's summary, evidence and fix.
fn fix_lines(m: &Model) -> Vec<Block> {
    let t = m.cx.theme;
    let Some(r) = selected_result(&m.cx) else {
        return vec![Block::styled("Waiting for the checks…", t.dim())];
    };
    let mut v = vec![Block::spans(vec![
        Span::styled(
            format!("{} {} ", r.status.glyph(), r.status.word()),
            t.status(r.status),
        ),
        Span::styled(r.id.title().to_string(), t.strong()),
    ])];
    v.push(Block::text(SafeText::line(&r.summary).into_owned()));
    if let Some(e) = &r.evidence {
        v.push(Block::item(
            0,
            "Evidence: ",
            vec![Span::raw(SafeText::line(e).into_owned())],
        ));
    }
    let change = what_to_change(&assessment(&m.cx), r);
    if !change.is_empty() {
        if r.cause.is_none() {
            v.push(Block::styled("What to change in ServiceNow:", t.strong()));
        }
        for l in change {
            v.push(Block::text(SafeText::line(&l).into_owned()));
        }
    } else if r.status == CheckStatus::Passed {
        v.push(Block::styled("Nothing to change.", t.dim()));
    }
    v
}

/// The root causes, one line each, shown once above the matrix.
fn banner(m: &Model) -> Vec<String> {
    if m.cx.checks.running {
        return Vec::new();
    }
    assessment(&m.cx)
        .causes
        .iter()
        .map(|c| {
            let at = c
                .retry_at
                .as_deref()
                .map(|t| format!(" (until {t})"))
                .unwrap_or_default();
            format!("▲ {}: {}{at}", c.id, SafeText::line(&c.summary))
        })
        .collect()
}

/// Rows the banner takes: at most two causes on a short body, then a "more" line.
fn banner_height(lines: &[String], height: u16) -> u16 {
    let max = if height >= 18 { 3 } else { 1 };
    u16::try_from(lines.len().min(max)).unwrap_or(0)
}

fn row_label(id: CheckId) -> String {
    match id.acl() {
        Some(acl) => format!("Read {acl}"),
        None => id.title().to_string(),
    }
}

/// Draw the checks and the matrix.
pub fn view(m: &Model, f: &mut Frame, area: Rect) {
    let t = m.cx.theme;
    let heading = if m.cx.checks.running {
        "Running the checks"
    } else {
        "Connection and ACL matrix"
    };
    f.render_widget(
        Paragraph::new(Span::styled(heading, t.heading())),
        Rect::new(area.x, area.y, area.width, 1.min(area.height)),
    );
    let rows = visible_rows(&m.cx);
    let w = usize::from(area.width);
    let causes = banner(m);
    let banner_h = banner_height(&causes, area.height);
    let mut y = area.y.saturating_add(1);
    for (i, line) in causes.iter().take(usize::from(banner_h)).enumerate() {
        let last = i + 1 == usize::from(banner_h) && causes.len() > usize::from(banner_h);
        let text = if last {
            format!("▲ {} root causes: see the rows below", causes.len())
        } else {
            line.clone()
        };
        f.render_widget(
            Paragraph::new(Span::styled(truncate(&text, w), t.error())),
            Rect::new(area.x, y, area.width, 1),
        );
        y = y.saturating_add(1);
    }
    // Columns: marker, status (glyph + word), check, time, evidence. The status column is as
    // wide as the longest word shown ("? Inconclusive" only when a row is).
    let status_w = rows
        .iter()
        .filter_map(|(_, s)| match s {
            RowState::Done(r) => Some(r.status.word().len() + 3),
            _ => None,
        })
        .max()
        .unwrap_or(10)
        .max(10);
    let label_w = if w >= 50 {
        24
    } else {
        w.saturating_sub(status_w + 1).min(22)
    };
    let time_w = if w >= 50 { 7 } else { 0 };
    let evidence_w = w.saturating_sub(1 + status_w + label_w + time_w);
    let (table_h, _) = if m.cx.checks.running {
        (area.height.saturating_sub(1), 0)
    } else {
        split(area.height, rows.len(), banner_h)
    };
    let cursor = if m.cx.checks.running {
        0
    } else {
        m.cx.checks.selected
    };
    let skip = (cursor + 1).saturating_sub(usize::from(table_h));
    for (i, (id, state)) in rows
        .iter()
        .enumerate()
        .skip(skip)
        .take(usize::from(table_h))
    {
        let selected = !m.cx.checks.running && i == m.cx.checks.selected;
        let (status, style, time, evidence) = match state {
            RowState::Pending => ("·".to_string(), t.dim(), String::new(), String::new()),
            RowState::Running => (
                format!("{} running", SPINNER[m.cx.spinner % SPINNER.len()]),
                t.warn(),
                String::new(),
                String::new(),
            ),
            RowState::Done(r) => (
                format!("{} {}", r.status.glyph(), r.status.word()),
                t.status(r.status),
                format!("{} ms", r.elapsed_ms),
                SafeText::line(r.evidence.as_deref().unwrap_or(&r.summary)).into_owned(),
            ),
        };
        // The marker keeps the selection visible without colour or reverse video.
        let marker = if selected { "▸" } else { " " };
        let mut spans = vec![
            Span::raw(marker),
            Span::styled(pad(&status, status_w), style),
            Span::raw(format!(
                "{} ",
                pad(&row_label(*id), label_w.saturating_sub(1))
            )),
        ];
        if time_w > 0 {
            spans.push(Span::styled(
                format!("{:>w$} ", truncate(&time, time_w - 1), w = time_w - 1),
                t.dim(),
            ));
        }
        if evidence_w > 0 {
            spans.push(Span::styled(pad(&evidence, evidence_w), t.dim()));
        }
        let mut line = Line::from(spans);
        if selected {
            line = line.style(t.selected());
        }
        f.render_widget(Paragraph::new(line), Rect::new(area.x, y, area.width, 1));
        y = y.saturating_add(1);
    }
    if m.cx.checks.running {
        return;
    }
    if y < area.bottom() {
        let more = if skip > 0 || skip + usize::from(table_h) < rows.len() {
            format!("── {}/{} ", m.cx.checks.selected + 1, rows.len())
        } else {
            String::new()
        };
        let rule = format!("{more}{}", "─".repeat(w));
        f.render_widget(
            Paragraph::new(Span::styled(truncate(&rule, w), t.chrome())),
            Rect::new(area.x, y, area.width, 1),
        );
        y = y.saturating_add(1);
    }
    let pane = Rect::new(area.x, y, area.width, area.bottom().saturating_sub(y));
    scrolled(f, pane, &fix_lines(m), m.cx.checks.fix_scroll, t);
}
