//! Step 3, the checks: each check appears as it runs, then the ACL matrix (one row per
//! permission, glyph + word, and what was proven or the evidence), the root causes as one
//! banner above it, and the selected row's story below. Enter (or `v`) opens a row's whole
//! detail. Actions: retry, back to the form, Markdown report, copy the fix (OSC 52), continue.
//!
//! What the checks found (the rows, the connection) is shared in [`Context::checks`]: the
//! picker and the review read it too. This screen keeps what it shows: the selected row and
//! the scroll of its pane.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row, Table, TableState};
use unicode_width::UnicodeWidthStr;

use crate::diagnose::fixes::{FixContext, Reader};
use crate::diagnose::{
    Assessment, Cause, CauseId, CauseKind, CheckEvent, CheckId, CheckResult, CheckStatus,
    DictionaryError, Verdict, plan,
};
use crate::sanitize::SafeText;
use crate::wizard::component::{Component, Reply, Request, no_text_input};
use crate::wizard::context::Context;
use crate::wizard::keymap::{Action, Binding, Key, Keymap, keys};
use crate::wizard::model::{RowState, Screen};
use crate::wizard::msg::{ChecksOutcome, Effect, Slot};
use crate::wizard::popups::{Confirm, ConfirmKind, DetailView};
use crate::wizard::theme::Theme;
use crate::wizard::widgets::doc::Block;
pub use crate::wizard::widgets::draw::SPINNER;
use crate::wizard::widgets::draw::truncate;
use crate::wizard::widgets::scroll::{self, Scroll};

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

/// Causes, plan and verdict of the finished rows (and of discovery), the same model `check`
/// and the report use.
pub fn assessment(cx: &Context) -> Assessment {
    let ctx = FixContext::new(&cx.checks.username, "").read_by(Reader::WizardMatrix);
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

/// The checks screen.
#[derive(Debug, Default)]
pub struct Checks {
    /// Selected row in the matrix.
    selected: usize,
    /// Scroll of the selected row's pane.
    pane: Scroll,
    /// Opened from the picker's explanation: going on (or back) returns to the editor.
    return_to_editor: bool,
}

impl Checks {
    /// The selected row (an index into [`visible_rows`]).
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// Select row `i`.
    pub fn select(&mut self, i: usize) {
        self.selected = i;
        self.pane.reset();
    }

    /// A new run starts: its rows are all pending.
    pub fn started(&mut self) {
        self.select(0);
    }

    /// Open on the row of `check`, coming from the endpoint editor (going on returns there).
    pub fn show(&mut self, cx: &Context, check: Option<CheckId>) {
        self.return_to_editor = true;
        if let Some(id) = check
            && let Some(i) = visible_rows(cx).iter().position(|(r, _)| *r == id)
        {
            self.select(i);
        }
    }

    fn selected_result<'a>(&self, cx: &'a Context) -> Option<&'a CheckResult> {
        match visible_rows(cx).get(self.selected) {
            Some((_, RowState::Done(r))) => Some(r),
            _ => None,
        }
    }

    /// Run `run` finished: fill in every row, select the first that did not pass, say what
    /// to do.
    pub fn on_done(&mut self, cx: &mut Context, run: u64, outcome: ChecksOutcome) {
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
        let first_problem = visible_rows(cx).iter().position(|(_, s)| {
            matches!(s, RowState::Done(r) if !matches!(r.status, CheckStatus::Passed | CheckStatus::Skipped))
        });
        self.select(first_problem.unwrap_or(0));
        if cx.checks.cancelled {
            cx.info("Checks cancelled. r runs them again.");
        } else if cx.checks.required_ok() && causes > 0 {
            // The banner stands for something the required rows do not show (the dictionary
            // read, an optional check): say which, so that the two do not seem to disagree.
            if cx.dict().is_none() {
                cx.info(
                    "The required checks passed, but reading the whole dictionary did not \
                     (the cause above): Additional Fields stay empty until it does. c \
                     continues.",
                );
            } else {
                cx.info(
                    "The required checks passed; the cause above concerns an optional check. \
                     c continues to the endpoints.",
                );
            }
        } else if cx.checks.required_ok() {
            cx.info("All required checks passed. c continues to the endpoints.");
        } else {
            cx.error(match causes {
                0 | 1 => "One root cause (above the matrix). Enter opens a row.".to_string(),
                n => format!("{n} root causes (above the matrix). Enter opens a row."),
            });
        }
    }

    /// Go on to the endpoints, or ask first when something required failed.
    fn continue_on(&mut self, cx: &Context) -> Reply {
        if cx.checks.required_ok() {
            return self.proceed();
        }
        let a = assessment(cx);
        let mut body: Vec<String> = a
            .causes
            .iter()
            .map(|c| format!("{}: {}", c.id, SafeText::line(&c.summary)))
            .collect();
        let fields_missing = cx.dict().is_none();
        body.push(match a.verdict {
            Verdict::RetryLater => format!(
                "Nothing is known to be missing: the instance asked to wait{}. r retries then; if you continue now, {}",
                a.cause(CauseId::RateLimited)
                    .and_then(retry_clock)
                    .map(|t| format!(" (until {t})"))
                    .unwrap_or_default(),
                if fields_missing {
                    "Additional Fields stay empty until the dictionary is read."
                } else {
                    "the unchecked rows stay unverified."
                }
            ),
            Verdict::Unreachable | Verdict::Usage => "The instance could not be checked, so nothing is verified: the saved file will not work until the checks pass.".to_string(),
            _ if !cx.checks.connected => "No token was issued, so nothing is verified: the saved file will not work until the credentials are accepted.".to_string(),
            _ if fields_missing && !a.missing_acls().is_empty() => "Without the read ACLs there are no Additional Fields: endpoints fill only Short description and Description, and fields the instance makes mandatory cannot be found.".to_string(),
            _ => "The integration will fail until the admin makes the changes of the plan (see the matrix).".to_string(),
        });
        Reply::open(Confirm::new(
            ConfirmKind::ContinueAnyway,
            "Continue anyway?",
            body,
            "Continue anyway",
            "Stay",
        ))
    }

    /// Leave the checks for the endpoints (or back to the editor that opened the matrix).
    pub fn proceed(&mut self) -> Reply {
        let to = if std::mem::take(&mut self.return_to_editor) {
            Screen::Editor
        } else {
            Screen::Endpoints
        };
        Reply::go(to).and(Request::SaveDraft)
    }

    /// The detail view of the selected row.
    fn details(&self, cx: &Context) -> Reply {
        let Some(r) = self.selected_result(cx) else {
            return Reply::none();
        };
        let a = assessment(cx);
        Reply::open(
            DetailView::new(r.id.title(), row_detail(&a, r, cx.theme), copy_text(&a, r))
                .with_report(),
        )
    }

    /// The selected row's document for the pane under the matrix.
    fn pane_blocks(&self, cx: &Context, a: &Assessment) -> Vec<Block> {
        match self.selected_result(cx) {
            Some(r) => row_pane(a, r, cx.theme),
            None => vec![Block::styled("Waiting for the checks…", cx.theme.dim())],
        }
    }

    fn geometry(&self, cx: &Context, a: Option<&Assessment>, area: Rect) -> Geometry {
        let rows = visible_rows(cx).len();
        let running = cx.checks.running;
        let banner = match a {
            Some(a) if !running => banner_lines(
                &a.causes,
                usize::from(area.width),
                banner_budget(area.height),
            ),
            _ => Vec::new(),
        };
        let banner_h = u16::try_from(banner.len()).unwrap_or(0);
        let (table_h, rule_h) = if running {
            (area.height.saturating_sub(1), 0)
        } else {
            (split(area.height, rows, banner_h).0, 1)
        };
        let [heading, banner_area, table, rule, pane] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(banner_h),
            Constraint::Length(table_h),
            Constraint::Length(rule_h),
            Constraint::Fill(1),
        ])
        .areas(area);
        Geometry {
            banner,
            heading,
            banner_area,
            table,
            rule,
            pane,
        }
    }
}

impl Component for Checks {
    fn bindings(&self, cx: &Context) -> Keymap {
        if cx.checks.running {
            return vec![Binding::new(&[keys::ESC], "cancel", Action::Back)];
        }
        // Footer order is priority order: what a short footer drops comes last.
        vec![
            Binding::new(&[keys::ENTER, Key::ch('v')], "details", Action::Details)
                .labelled("Enter/v"),
            Binding::new(&[Key::ch('c')], "continue", Action::Continue),
            Binding::new(
                &[keys::ESC, Key::ch('b')],
                if self.return_to_editor {
                    "back to endpoint"
                } else {
                    "back"
                },
                Action::Back,
            ),
            Binding::new(&[keys::DOWN, Key::ch('j')], "next row", Action::Down)
                .labelled("↓/j")
                .hidden(),
            Binding::new(&[keys::UP, Key::ch('k')], "previous row", Action::Up)
                .labelled("↑/k")
                .hidden(),
            Binding::new(&[Key::ch('r')], "retry", Action::Retry),
            Binding::new(&[Key::ch('s')], "report", Action::SaveReport),
            Binding::new(
                &[Key::ch('y')],
                if self
                    .selected_result(cx)
                    .is_some_and(|r| r.status == CheckStatus::Passed)
                {
                    "copy"
                } else {
                    "copy fix"
                },
                Action::CopyFix,
            ),
            Binding::new(&[keys::PGDN], "scroll the fix", Action::PageDown)
                .labelled("PgDn/PgUp")
                .hidden(),
            Binding::new(&[keys::PGUP], "scroll the fix", Action::PageUp).silent(),
        ]
    }

    fn action(&mut self, a: Action, cx: &mut Context) -> Reply {
        if cx.checks.running {
            if a == Action::Back {
                cx.checks.cancelled = true;
                cx.info("Cancelling the checks…");
                return Reply::effect(Effect::Cancel(Slot::Checks));
            }
            return Reply::none();
        }
        let n = visible_rows(cx).len();
        match a {
            Action::Up | Action::Down => {
                let next = if a == Action::Up {
                    self.selected.saturating_sub(1)
                } else {
                    (self.selected + 1).min(n.saturating_sub(1))
                };
                if next != self.selected {
                    // "Copied …" was about the row left behind; problems stay.
                    if cx.status.as_ref().is_some_and(|s| !s.error) {
                        cx.status = None;
                    }
                    self.select(next);
                }
            }
            Action::PageDown | Action::PageUp => {
                self.pane.act(a);
            }
            Action::Details => return self.details(cx),
            Action::Retry => return retry(cx),
            Action::Back => {
                let to = if std::mem::take(&mut self.return_to_editor) {
                    Screen::Editor
                } else {
                    Screen::Connect
                };
                return Reply::go(to);
            }
            Action::SaveReport => return save_report(cx),
            Action::CopyFix => {
                if let Some(r) = self.selected_result(cx) {
                    let text = copy_text(&assessment(cx), r);
                    let what = if r.status == CheckStatus::Passed {
                        format!("\"{}\"", r.id.title())
                    } else {
                        format!("\"{}\" and what to change", r.id.title())
                    };
                    cx.info(format!(
                        "Copied {what} to your clipboard (OSC 52: your terminal must allow it)."
                    ));
                    return Reply::effect(Effect::Clipboard(text));
                }
            }
            Action::Continue => return self.continue_on(cx),
            _ => {}
        }
        Reply::none()
    }

    no_text_input!();

    fn view(&self, f: &mut Frame, area: Rect, cx: &Context) {
        let t = cx.theme;
        let a = (!cx.checks.running).then(|| assessment(cx));
        let g = self.geometry(cx, a.as_ref(), area);
        let heading = if cx.checks.running {
            "Running the checks"
        } else {
            "Connection and ACL matrix"
        };
        f.render_widget(
            Paragraph::new(Span::styled(heading, t.heading())),
            g.heading,
        );
        let banner: Vec<Line> = g
            .banner
            .iter()
            .map(|l| Line::from(Span::styled(l.clone(), t.error())))
            .collect();
        f.render_widget(Paragraph::new(banner), g.banner_area);
        self.table(cx, f, g.table);
        if let Some(a) = &a {
            let rows = visible_rows(cx).len();
            let shown = usize::from(g.table.height);
            let more = if rows > shown {
                format!("── {}/{} ", self.selected.saturating_add(1), rows)
            } else {
                String::new()
            };
            let w = usize::from(g.rule.width);
            f.render_widget(
                Paragraph::new(Span::styled(
                    format!("{more}{}", "─".repeat(w.saturating_sub(more.width()))),
                    t.chrome(),
                )),
                g.rule,
            );
            scroll::render(f, g.pane, &self.pane_blocks(cx, a), &self.pane, t);
        }
    }
}

/// When a cause says to try again, as people read the clock (`21:54:33 UTC`); the cause
/// keeps RFC 3339 for machines.
fn retry_clock(cause: &Cause) -> Option<String> {
    let at = cause.retry_at.as_deref()?;
    Some(
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .map(crate::diagnose::cause::clock)
            .unwrap_or_else(|_| SafeText::line(at).into_owned()),
    )
}

/// Write the Markdown report for the ServiceNow admin: every check, the causes and the one
/// plan, next to the config file.
pub fn save_report(cx: &mut Context) -> Reply {
    let dir = cx
        .config_path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.to_path_buf())
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    cx.info("Writing the report…");
    Reply::effect(Effect::SaveReport {
        dir,
        instance_url: cx
            .checks
            .instance_url
            .clone()
            .unwrap_or_else(|| cx.checks.typed_url.clone()),
        username: cx.checks.username.clone(),
        results: cx.checks.results(),
    })
}

/// Run the checks again; while the instance rate limits the user, ask first: every request
/// counts against the limit and may push the wait further out.
fn retry(cx: &Context) -> Reply {
    let a = assessment(cx);
    let Some(limited) = a.cause(CauseId::RateLimited) else {
        return Reply::request(Request::StartChecks { resend: false });
    };
    let until = retry_clock(limited)
        .map(|t| format!(" until {t}"))
        .unwrap_or_default();
    Reply::open(Confirm::new(
        ConfirmKind::RetryWhileRateLimited,
        "Retry while rate limited?",
        vec![
            format!("The instance asked to wait{until}."),
            "Running the checks now sends every request again; each counts against the limit and may push the wait further out.".to_string(),
        ],
        "Retry now",
        "Wait",
    ))
}

/// What `y` copies for a row: the same story as the detail view, as plain text.
fn copy_text(a: &Assessment, r: &CheckResult) -> String {
    let mut text = format!(
        "{} {}: {}",
        r.status.word(),
        r.id.title(),
        SafeText::line(&r.summary)
    );
    if let Some(e) = &r.evidence {
        text.push_str(&format!("\nEvidence: {}", SafeText::line(e)));
    }
    if let Some(c) = r.cause.and_then(|c| a.cause(c)) {
        text.push_str(&format!("\nCause {}: {}", c.id, SafeText::line(&c.summary)));
    }
    if let Some(change) = what_to_change(a, r) {
        text.push_str(&format!(
            "\n\n{}:\n{}",
            change.heading,
            SafeText::text(&change.lines.join("\n"))
        ));
    }
    text
}

/// Where a row's change is made, which heads its fix: only a cause the ServiceNow admin fixes
/// is headed as a change in ServiceNow; a DNS, TLS, proxy or network fault is on this side,
/// and a temporary condition is something to wait out.
pub fn fix_heading(cause: Option<&Cause>) -> &'static str {
    match cause.map(|c| (c.id, c.kind)) {
        Some((CauseId::InvalidUrl, _)) => "What to change in the instance URL",
        Some((CauseId::EndpointInvalid, _)) => "What to change in the endpoint",
        Some((_, CauseKind::Configuration)) => "What to change in ServiceNow",
        Some((_, CauseKind::Credentials)) => "What to check",
        Some((CauseId::Unreachable | CauseId::NotServicenow, _)) => "What to check on your side",
        Some((_, CauseKind::Instance | CauseKind::Transient)) | None => "What to do",
    }
}

/// What the fix pane, the detail view and the clipboard give for a row: the cause's fix for a
/// condition of the instance, the one admin plan for anything the admin changes, else the
/// row's own fix; under the heading that says where the change is made.
struct Change {
    heading: &'static str,
    /// The lines, plan steps numbered (`1. `) with their items (`   - `).
    lines: Vec<String>,
}

fn what_to_change(a: &Assessment, r: &CheckResult) -> Option<Change> {
    let cause = r.cause.and_then(|c| a.cause(c));
    let heading = fix_heading(cause);
    let Some(cause) = cause else {
        let lines: Vec<String> = r
            .fix
            .as_deref()
            .map(|f| f.lines().map(String::from).collect())
            .unwrap_or_default();
        return (!lines.is_empty()).then_some(Change { heading, lines });
    };
    let mut lines = Vec::new();
    if let Some(shown) = retry_clock(cause) {
        lines.push(format!("Try again after {shown}."));
    }
    let planned = cause.kind == CauseKind::Configuration && !a.plan.steps.is_empty();
    if planned {
        lines.push("The ServiceNow admin's one plan, for every cause:".to_string());
        lines.extend(a.plan.text().lines().map(String::from));
        if a.plan.script.is_some() {
            lines.push(
                "s writes the report with the same plan as one background script.".to_string(),
            );
        }
    } else {
        lines.extend(cause.fix.lines().map(String::from));
    }
    Some(Change { heading, lines })
}

/// Blocks for lines of a fix or plan: numbered steps and `-` items hang under their text.
pub fn fix_blocks(lines: &[String], indent: usize) -> Vec<Block> {
    lines
        .iter()
        .map(|l| {
            let text = SafeText::line(l).into_owned();
            let trimmed = text.trim_start();
            let inner = text.len().saturating_sub(trimmed.len());
            let numbered = trimmed
                .split_once(". ")
                .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
            if let Some((n, rest)) = numbered {
                Block::item(
                    indent + inner,
                    format!("{n}. "),
                    vec![Span::raw(rest.to_string())],
                )
            } else if let Some(rest) = trimmed.strip_prefix("- ") {
                Block::item(indent + inner, "- ", vec![Span::raw(rest.to_string())])
            } else {
                Block::Para {
                    indent: indent + inner,
                    spans: vec![Span::raw(trimmed.to_string())],
                }
            }
        })
        .collect()
}

/// The text a passed row shows: what was proven. Any other row shows its evidence (HTTP
/// status and ServiceNow's message), or its summary when nothing came back.
fn row_text(r: &CheckResult) -> String {
    let text = match (r.status, &r.evidence) {
        (CheckStatus::Passed, _) | (_, None) => &r.summary,
        (_, Some(e)) => e,
    };
    SafeText::line(text).into_owned()
}

/// One row's whole story for the detail view: status, summary, the evidence in full, its
/// cause, and what to change (the fix or the one admin plan).
fn row_detail(a: &Assessment, r: &CheckResult, t: Theme) -> Vec<Block> {
    let mut v = vec![
        Block::spans(vec![
            Span::styled(
                format!("{} {} ", r.status.glyph(), r.status.word()),
                t.status(r.status),
            ),
            Span::styled(
                format!("· {} · {} ms", r.id.as_str(), r.elapsed_ms),
                t.dim(),
            ),
        ]),
        Block::text(SafeText::line(&r.summary).into_owned()),
    ];
    let section = |v: &mut Vec<Block>, title: Vec<Span<'static>>, body: String| {
        v.push(Block::Blank);
        v.push(Block::spans(title));
        v.push(Block::Para {
            indent: 2,
            spans: vec![Span::raw(body)],
        });
    };
    if let Some(e) = &r.evidence {
        let e = SafeText::line(e).into_owned();
        section(&mut v, vec![Span::styled("Evidence", t.strong())], e);
    }
    if let Some(cause) = r.cause.and_then(|c| a.cause(c)) {
        let title = vec![Span::styled(format!("Cause {}", cause.id), t.strong())];
        section(&mut v, title, SafeText::line(&cause.summary).into_owned());
    }
    v.push(Block::Blank);
    match what_to_change(a, r) {
        Some(change) => {
            v.push(Block::styled(format!("{}:", change.heading), t.strong()));
            v.extend(fix_blocks(&change.lines, 2));
        }
        None if r.status == CheckStatus::Passed => {
            v.push(Block::styled("Nothing to change.", t.dim()));
        }
        None => v.push(Block::styled("Nothing to change for this check.", t.dim())),
    }
    v
}

/// The selected row in the pane under the matrix, compact: status, title and summary in one
/// paragraph, the whole evidence (the row cuts it), then what to change, headed with its
/// cause. Enter shows the same with room (`row_detail`).
fn row_pane(a: &Assessment, r: &CheckResult, t: Theme) -> Vec<Block> {
    let mut v = vec![Block::spans(vec![
        Span::styled(
            format!("{} {} ", r.status.glyph(), r.status.word()),
            t.status(r.status),
        ),
        Span::styled(format!("{}: ", r.id.title()), t.strong()),
        Span::raw(SafeText::line(&r.summary).into_owned()),
    ])];
    if let Some(e) = &r.evidence {
        let e = SafeText::line(e).into_owned();
        v.push(Block::item(0, "Evidence: ", vec![Span::raw(e)]));
    }
    let cause = r.cause.and_then(|c| a.cause(c)).map(|c| c.id);
    match what_to_change(a, r) {
        Some(change) => {
            let head = match cause {
                Some(c) => format!("{} ({c}):", change.heading),
                None => format!("{}:", change.heading),
            };
            v.push(Block::styled(head, t.strong()));
            v.extend(fix_blocks(&change.lines, 0));
        }
        None if r.status == CheckStatus::Passed => {
            v.push(Block::styled("Nothing to change.", t.dim()));
        }
        None => {}
    }
    v
}

/// Rows of the table and of the detail pane for a body of `height` rows (heading, table,
/// rule, pane): on short terminals the table shrinks (and scrolls) so the fix stays visible.
fn split(height: u16, rows: usize, banner: u16) -> (u16, u16) {
    let rows = u16::try_from(rows).unwrap_or(u16::MAX);
    let avail = height.saturating_sub(2).saturating_sub(banner);
    let table = if avail >= rows.saturating_add(5) {
        rows
    } else {
        rows.min((avail / 2).max(3)).min(avail)
    };
    (table, avail.saturating_sub(table))
}

/// Rows the banner may take in a body of `height` rows.
fn banner_budget(height: u16) -> usize {
    match height {
        20.. => 4,
        16..=19 => 3,
        13..=15 => 2,
        _ => 1,
    }
}

/// `line` ending at a word with ` …`, within `width` cells (cut inside the word only when
/// it has no space to end at).
fn with_ellipsis(line: &str, width: usize) -> String {
    let mut s = line.trim_end().to_string();
    while s.width().saturating_add(2) > width {
        match s.rfind(' ') {
            Some(i) if !s[..i].trim().is_empty() => s.truncate(i),
            _ => return truncate(&s, width),
        }
        s.truncate(s.trim_end().len());
    }
    format!("{s} …")
}

/// `text` wrapped to `width` (continuation lines indented under the text) in at most `rows`
/// lines; when it needs more, the last one ends at a word with ` …`.
fn fit(text: &str, width: usize, rows: usize) -> Vec<String> {
    let opts = textwrap::Options::new(width.max(1)).subsequent_indent("  ");
    let mut lines: Vec<String> = textwrap::wrap(text, opts)
        .into_iter()
        .map(|l| l.into_owned())
        .collect();
    if lines.len() > rows {
        lines.truncate(rows);
        if let Some(last) = lines.last_mut() {
            *last = with_ellipsis(last, width);
        }
    }
    lines
}

/// The banner: each root cause once (`▲ id: summary`), wrapped under its text in at most `max`
/// rows all told. A cause that needs more rows than it gets ends at a word with `…` (Enter on
/// its row shows every word); when there are more causes than rows, the last row names the rest.
fn banner_lines(causes: &[Cause], width: usize, max: usize) -> Vec<String> {
    if causes.is_empty() || max == 0 {
        return Vec::new();
    }
    let text = |c: &Cause| format!("▲ {}: {}", c.id, SafeText::line(&c.summary));
    if causes.len() > max {
        let shown = max.saturating_sub(1);
        let mut v: Vec<String> = causes
            .iter()
            .take(shown)
            .flat_map(|c| fit(&text(c), width, 1))
            .collect();
        let rest: Vec<&str> = causes.iter().skip(shown).map(|c| c.id.as_str()).collect();
        let lead = if shown == 0 {
            format!("▲ {} causes: ", causes.len())
        } else {
            format!("▲ {} more: ", rest.len())
        };
        v.extend(fit(&format!("{lead}{}", rest.join(", ")), width, 1));
        return v;
    }
    // Three rows at most for one cause: a banner, not a page.
    let per = max / causes.len();
    let mut spare = max % causes.len();
    causes
        .iter()
        .flat_map(|c| {
            let rows = (per + usize::from(spare > 0)).min(3);
            spare = spare.saturating_sub(1);
            fit(&text(c), width, rows)
        })
        .collect()
}

/// How the body is divided: heading, banner, table, rule and the selected row's pane.
struct Geometry {
    banner: Vec<String>,
    heading: Rect,
    banner_area: Rect,
    table: Rect,
    rule: Rect,
    pane: Rect,
}

/// The matrix's name for a check: short, so the evidence keeps its room; `narrow` leaves the
/// ACL's name alone (the heading says these are read ACLs).
fn row_label(id: CheckId, narrow: bool) -> String {
    match (id, id.acl()) {
        (CheckId::Reachability, _) => "Network".to_string(),
        (CheckId::Instance, _) => "ServiceNow API".to_string(),
        (_, Some(acl)) if narrow => acl.to_string(),
        (_, Some(acl)) => format!("Read {acl}"),
        (other, None) => other.title().to_string(),
    }
}

/// `s` within `width` cells: cut at a word with `…` when one ends late enough, else in the word.
pub fn shorten(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let cut = truncate(s, width);
    let head = cut.trim_end_matches('…');
    match head.rfind(' ') {
        Some(i) if i >= width * 2 / 3 => format!("{}…", head[..i].trim_end()),
        _ => cut,
    }
}

impl Checks {
    /// The matrix itself: marker, status (glyph + word), check, time when there is room, and what
    /// was proven (passed rows) or the evidence (the others).
    fn table(&self, cx: &Context, f: &mut Frame, area: Rect) {
        let t = cx.theme;
        let rows = visible_rows(cx);
        let w = usize::from(area.width);
        let status_w = rows
            .iter()
            .filter_map(|(_, s)| match s {
                RowState::Done(r) => Some(r.status.word().width() + 2),
                _ => None,
            })
            .max()
            .unwrap_or(9)
            .max(9);
        let narrow = w < 70;
        let label_w = rows
            .iter()
            .map(|(id, _)| row_label(*id, narrow).width())
            .max()
            .unwrap_or(0);
        // Marker, and one space after each of the status and label columns.
        let fixed = 1 + status_w + 1 + label_w + 1;
        let rest = w.saturating_sub(fixed);
        let time_w = if rest >= 30 { 7 } else { 0 };
        let text_w = rest.saturating_sub(if time_w > 0 { time_w + 1 } else { 0 });
        let text_w = if text_w >= 8 { text_w } else { 0 };
        let label_w = label_w.min(w.saturating_sub(1 + status_w + 1));
        let body: Vec<Row> = rows
            .iter()
            .map(|(id, state)| {
                let (status, style, time, text) = match state {
                    RowState::Pending => ("·".to_string(), t.dim(), String::new(), String::new()),
                    RowState::Running => (
                        format!("{} running", SPINNER[cx.spinner % SPINNER.len()]),
                        t.warn(),
                        String::new(),
                        String::new(),
                    ),
                    RowState::Done(r) => (
                        format!("{} {}", r.status.glyph(), r.status.word()),
                        t.status(r.status),
                        format!("{} ms", r.elapsed_ms),
                        row_text(r),
                    ),
                };
                let mut cells = vec![
                    Cell::from(Span::styled(status, style)),
                    Cell::from(truncate(&row_label(*id, narrow), label_w)),
                ];
                if time_w > 0 {
                    cells.push(Cell::from(
                        Line::from(Span::styled(time, t.dim())).right_aligned(),
                    ));
                }
                if text_w > 0 {
                    cells.push(Cell::from(Span::styled(shorten(&text, text_w), t.dim())));
                }
                Row::new(cells)
            })
            .collect();
        let to_u16 = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        let mut widths = vec![
            Constraint::Length(to_u16(status_w)),
            Constraint::Length(to_u16(label_w)),
        ];
        if time_w > 0 {
            widths.push(Constraint::Length(to_u16(time_w)));
        }
        if text_w > 0 {
            widths.push(Constraint::Fill(1));
        }
        // The marker keeps the selection visible without colour or reverse video.
        let table = Table::new(body, widths)
            .column_spacing(1)
            .highlight_symbol("▸")
            .highlight_spacing(HighlightSpacing::Always)
            .row_highlight_style(t.selected());
        let mut state =
            TableState::default().with_selected((!cx.checks.running).then_some(self.selected));
        f.render_stateful_widget(table, area, &mut state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::model::Model;
    use crate::wizard::popups::Popup;
    use crate::wizard::test_fixtures::*;
    use crossterm::event::KeyCode;

    fn matrix(results: Vec<CheckResult>) -> Model {
        checked(results, None)
    }

    #[test]
    fn a_dns_error_is_never_headed_as_a_change_in_servicenow() {
        let mut results = results_ok();
        results[1] = CheckResult {
            evidence: Some("dns error: failed to lookup address information".into()),
            fix: Some(crate::diagnose::fixes::dns(
                "acme",
                Some("acme.service-now.com"),
            )),
            cause: Some(CauseId::Unreachable),
            ..CheckResult::new(
                CheckId::Reachability,
                CheckStatus::Blocked,
                "cannot connect: cannot resolve acme",
            )
        };
        let mut m = matrix(results);
        assert_eq!(
            visible_rows(&m.cx)[m.screens.checks.selected()].0,
            CheckId::Reachability
        );
        let pane = render(&mut m, 80, 24);
        assert!(pane.contains("What to check on your side"), "{pane}");
        assert!(!pane.contains("in ServiceNow"), "{pane}");
        send(&mut m, [key(KeyCode::Enter)]);
        let detail = render(&mut m, 80, 24);
        assert!(detail.contains("What to check on your side:"), "{detail}");
        assert!(
            detail.contains("Did you mean acme.service-now.com?"),
            "{detail}"
        );
        assert!(!detail.contains("in ServiceNow"), "{detail}");
        // A missing ACL is a change in ServiceNow.
        let mut m = matrix(results_glide_denied());
        assert!(render(&mut m, 80, 24).contains("What to change in ServiceNow"));
    }

    #[test]
    fn headings_follow_the_kind_of_cause() {
        let cause = |id: CauseId| Cause {
            id,
            kind: id.kind(),
            summary: String::new(),
            fix: String::new(),
            checks: Vec::new(),
            retry_at: None,
            acls: Vec::new(),
            endpoints: Vec::new(),
        };
        let h = |id| fix_heading(Some(&cause(id)));
        assert_eq!(h(CauseId::MissingAcl), "What to change in ServiceNow");
        assert_eq!(h(CauseId::SecurelyScoped), "What to change in ServiceNow");
        for local in [CauseId::Unreachable, CauseId::NotServicenow] {
            assert_eq!(h(local), "What to check on your side");
        }
        for wait in [CauseId::RateLimited, CauseId::Timeout, CauseId::Hibernating] {
            assert_eq!(h(wait), "What to do");
        }
        assert_eq!(h(CauseId::InvalidUrl), "What to change in the instance URL");
        assert_eq!(fix_heading(None), "What to do");
    }

    #[test]
    fn passed_rows_show_their_proof_and_the_others_their_evidence() {
        let mut m = matrix(results_glide_denied());
        let text = render(&mut m, 120, 30);
        assert!(text.contains("97 rows readable"), "{text}");
        assert!(text.contains("token issued, expires in 30 min"), "{text}");
        // The passed instance row proves itself in words; its 401 is only in its detail.
        let instance = text
            .lines()
            .find(|l| l.contains("ServiceNow API"))
            .unwrap_or_default();
        assert!(instance.contains("answers like ServiceNow"), "{instance}");
        // What it proved, not the raw exchange (`HTTP 401: User Not Authenticated`).
        assert!(!instance.contains("HTTP 401:"), "{instance}");
        let glide = text
            .lines()
            .find(|l| l.contains("▸✗ Blocked"))
            .unwrap_or_default();
        assert!(glide.contains("HTTP 403: Insufficient rights"), "{glide}");
    }

    #[test]
    fn the_banner_wraps_or_ends_at_a_word_within_its_width() {
        let m = matrix(results_two_causes());
        let causes = assessment(&m.cx).causes;
        assert_eq!(causes.len(), 2);
        for (width, max) in [(55, 4), (58, 3), (38, 1), (38, 2), (20, 4)] {
            let lines = banner_lines(&causes, width, max);
            assert!(!lines.is_empty() && lines.len() <= max, "{lines:?}");
            for l in &lines {
                assert!(l.width() <= width, "{width}: {l:?}");
                // Cut only after a whole word.
                if let Some(head) = l.strip_suffix(" …") {
                    assert!(!head.ends_with(' '), "{l:?}");
                }
                assert!(
                    !l.ends_with("…") || l.ends_with(" …"),
                    "cut mid-word: {l:?}"
                );
            }
        }
        // At 80 columns (a 55-column body) each cause is whole on two lines.
        let lines = banner_lines(&causes, 55, 4);
        assert!(lines.iter().all(|l| !l.contains('…')), "{lines:?}");
        assert!(lines.concat().contains("20:37:38 UTC"), "{lines:?}");
    }

    #[test]
    fn the_detail_scrolls_with_the_footer_keys_and_copies() {
        let mut m = matrix(results_glide_denied());
        m.cx.size = (80, 24);
        send(&mut m, [key(KeyCode::Char('v'))]);
        // As in the event loop, a frame is drawn after every key: the view tells the scroll
        // how far the document goes.
        let press = |m: &mut Model, k: KeyCode| {
            send(m, [key(k)]);
            let _ = render(m, 80, 24);
            match m.top() {
                Some(Popup::Detail(d)) => d.offset(),
                other => panic!("expected the detail view, got {other:?}"),
            }
        };
        let _ = render(&mut m, 80, 24);
        assert_eq!(press(&mut m, KeyCode::Down), 1);
        let end = press(&mut m, KeyCode::End);
        assert!(end > 1);
        assert_eq!(press(&mut m, KeyCode::PageDown), end, "never past the end");
        assert!(press(&mut m, KeyCode::PageUp) < end);
        assert_eq!(press(&mut m, KeyCode::Home), 0);
        let footer = render(&mut m, 80, 24);
        let last = footer.lines().last().unwrap_or_default();
        for hint in ["Esc close", "↑↓ scroll", "PgUp/PgDn", "Home/End", "y copy"] {
            assert!(last.contains(hint), "{last}");
        }
        let effects = send(&mut m, [key(KeyCode::Char('y'))]);
        match effects.as_slice() {
            [crate::wizard::msg::Effect::Clipboard(text)] => {
                assert!(
                    text.contains("Evidence: HTTP 403: Insufficient rights"),
                    "{text}"
                );
                assert!(text.contains("What to change in ServiceNow:"), "{text}");
            }
            other => panic!("expected one clipboard effect, got {other:?}"),
        }
        send(&mut m, [key(KeyCode::Esc)]);
        assert!(m.popups.is_empty());
        assert_eq!(m.screen, Screen::Checks);
    }
}
