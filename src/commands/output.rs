//! Headless output, shared by every command: where text goes, how wide it may be, the one
//! prefix for warnings and errors, `--quiet`, the progress line, and the `--json` envelope.
//!
//! Conventions (documented in `--help` under EXIT STATUS):
//! - Warnings and errors start with one prefix, `snow-connect: warning: …` /
//!   `snow-connect: error: …`, on stderr. Errors are one line (scripts grep them; the wizard's
//!   "no terminal" refusal is one line by contract). Warnings and notes are prose: they wrap
//!   to the terminal's width, continuation lines indented, a backticked command or a path
//!   never split (it moves to the next line whole). `--quiet` drops warnings and notes;
//!   errors are always printed.
//! - Prose meant to be read (fixes, reports) wraps to the width of the stream it goes to:
//!   the terminal's width, or 80 columns when that stream is not a terminal.
//! - A closed stdout (`snow-connect fields | head -1`) ends the command at once, silently,
//!   with status 0, as ripgrep does: the reader has what it wanted, and a broken pipe is not
//!   the user's mistake.

use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::exit::Exit;

/// What every message line starts with.
pub const PREFIX: &str = "snow-connect";

/// The `schema_version` of every `--json` document (bumped on incompatible changes).
pub const SCHEMA_VERSION: u32 = 1;

/// The `tool_version` of every `--json` document.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Width used when the stream is not a terminal.
pub const DEFAULT_WIDTH: usize = 80;

/// Narrowest width wrapping goes down to: below it, words would stand one per line.
const MIN_WIDTH: usize = 20;

static QUIET: AtomicBool = AtomicBool::new(false);

/// Set by `-q` / `--quiet` before any command runs.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `-q` / `--quiet` was given.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// The two streams a command writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Results: what a pipe receives.
    Stdout,
    /// Messages for people.
    Stderr,
}

impl Stream {
    /// Whether the stream is a terminal.
    pub fn is_terminal(self) -> bool {
        match self {
            Stream::Stdout => std::io::stdout().is_terminal(),
            Stream::Stderr => std::io::stderr().is_terminal(),
        }
    }

    /// Columns to wrap at: the terminal's width; when not a terminal, `COLUMNS` if it is set
    /// to a number (as `ls` and friends honour it), else [`DEFAULT_WIDTH`].
    pub fn width(self) -> usize {
        let size = match self {
            Stream::Stdout => terminal_size::terminal_size_of(std::io::stdout()),
            Stream::Stderr => terminal_size::terminal_size_of(std::io::stderr()),
        };
        let fallback = || {
            std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.trim().parse::<usize>().ok())
                .filter(|c| *c > 0)
                .unwrap_or(DEFAULT_WIDTH)
        };
        size.map_or_else(fallback, |(w, _)| usize::from(w.0))
            .max(MIN_WIDTH)
    }
}

/// Wrap `text` to `width` columns. Every line starts with `indent`; a paragraph's
/// continuation lines start with `indent` plus `hang` (for numbered steps). Blank lines and
/// line breaks in `text` are kept: each input line is a paragraph.
///
/// Lines break only at spaces outside backticks: a path, a URL or a `` `command with
/// flags` `` moves to the next line whole, and is cut only when it alone is wider than a
/// line.
pub fn wrap(text: &str, width: usize, indent: &str, hang: &str) -> String {
    wrap_with(text, width, indent, hang, true)
}

/// [`wrap`]; with `cut_long` false a word wider than a line is not cut but stands alone on
/// its line, for the terminal to fold (a path or command then copies whole).
fn wrap_with(text: &str, width: usize, indent: &str, hang: &str, cut_long: bool) -> String {
    let width = width.max(MIN_WIDTH);
    let rest = format!("{indent}{hang}");
    let options = textwrap::Options::new(width)
        .initial_indent(indent)
        .subsequent_indent(&rest)
        .word_separator(textwrap::WordSeparator::Custom(words_outside_backticks))
        // Flags, ids and URLs (`--retry-login`, `sys_dictionary.*`) stay whole and greppable.
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(cut_long);
    let mut out = String::new();
    for para in text.lines() {
        if para.trim().is_empty() {
            out.push('\n');
            continue;
        }
        for line in textwrap::wrap(para, &options) {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

/// The words of `line` for [`wrap`]: runs of text ending in spaces, where spaces between
/// two backticks do not end a word. A backtick without a partner (server text) quotes
/// nothing, so it cannot glue the rest of the line into one word.
fn words_outside_backticks(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    let mut words = Vec::new();
    let paired = line.matches('`').count() / 2 * 2;
    let (mut start, mut ticks, mut in_space) = (0, 0, false);
    for (i, c) in line.char_indices() {
        let quoted = ticks % 2 == 1;
        if c == ' ' && !quoted {
            in_space = true;
            continue;
        }
        if in_space {
            words.push(textwrap::core::Word::from(&line[start..i]));
            start = i;
            in_space = false;
        }
        if c == '`' && ticks < paired {
            ticks += 1;
        }
    }
    if start < line.len() {
        words.push(textwrap::core::Word::from(&line[start..]));
    }
    Box::new(words.into_iter())
}

/// `text` cut to `width` columns, its last visible character replaced by `…` when cut.
pub fn truncate(text: &str, width: usize) -> Cow<'_, str> {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if text.width() <= width {
        return Cow::Borrowed(text);
    }
    let room = width.saturating_sub(1);
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    Cow::Owned(out)
}

/// Column widths for a table whose natural widths are `natural`, fitted into `room` columns
/// (gaps included, `gap` between columns): the widest column gives way first, none below its
/// `floors` entry (or its natural width, when narrower; `usize::MAX` never gives way).
pub fn fit_columns(natural: &[usize], gap: usize, room: usize, floors: &[usize]) -> Vec<usize> {
    let mut widths = natural.to_vec();
    let gaps = gap.saturating_mul(widths.len().saturating_sub(1));
    while widths.iter().sum::<usize>().saturating_add(gaps) > room {
        let Some((i, w)) = widths
            .iter()
            .copied()
            .enumerate()
            .filter(|(i, w)| *w > floors.get(*i).copied().unwrap_or(0).min(natural[*i]))
            .max_by_key(|(_, w)| *w)
        else {
            break;
        };
        widths[i] = w - 1;
    }
    widths
}

/// An aligned table of `rows` under `header`, fitted to `width` columns: cells wider than
/// their column end in `…`, so one enormous value cannot pad every row. `floors` are the
/// narrowest each column may get (see [`fit_columns`]).
pub fn table<const N: usize>(
    header: [&str; N],
    rows: &[[String; N]],
    width: usize,
    floors: [usize; N],
) -> String {
    use unicode_width::UnicodeWidthStr;
    let widths = table_widths(
        header,
        rows.iter().map(|r| r.each_ref().map(|c| c.width())),
        width,
        floors,
    );
    let mut out = table_line(header, &widths);
    for r in rows {
        out.push_str(&table_line(std::array::from_fn(|i| r[i].as_str()), &widths));
    }
    out
}

/// The column widths of a table (see [`table`]) from one pass over the widths of its
/// cells, so that the rows can be made again and written one by one ([`table_line`])
/// instead of kept.
pub fn table_widths<const N: usize>(
    header: [&str; N],
    rows: impl Iterator<Item = [usize; N]>,
    width: usize,
    floors: [usize; N],
) -> [usize; N] {
    use unicode_width::UnicodeWidthStr;
    let mut natural = header.map(str::width);
    for r in rows {
        for (w, c) in natural.iter_mut().zip(r.iter()) {
            *w = (*w).max(*c);
        }
    }
    let widths = fit_columns(&natural, 2, width.max(MIN_WIDTH), &floors);
    std::array::from_fn(|i| widths.get(i).copied().unwrap_or(0))
}

/// One line of a table with these column widths (from [`table_widths`]).
pub fn table_line<const N: usize>(cells: [&str; N], widths: &[usize; N]) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut s = String::new();
    for (i, c) in cells.iter().enumerate() {
        let cell = truncate(c, widths[i]);
        s.push_str(&cell);
        if i + 1 < N {
            s.push_str(&" ".repeat(widths[i].saturating_sub(cell.width()) + 2));
        }
    }
    let mut s = s.trim_end().to_string();
    s.push('\n');
    s
}

/// Write to stdout through a buffer with `write` (a closed pipe or a failed write ends the
/// process as [`print`] does).
pub fn write_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    if let Err(e) = write(&mut w).and_then(|()| w.flush()) {
        stdout_failed(&e);
    }
}

/// Stream `doc` (inside the envelope) as the one JSON document on stdout, serialised onto a
/// buffered stdout as it goes instead of built as text first. Only for documents that always
/// serialise (plain structs: everything that can fail happened before), so the output is
/// always one whole document; a failed write ends the process as [`print`] does.
pub fn stream_json(doc: &(impl Serialize + ?Sized)) {
    write_stdout(|w| {
        let envelope = Envelope {
            schema_version: SCHEMA_VERSION,
            tool_version: TOOL_VERSION,
            doc,
        };
        serde_json::to_writer_pretty(&mut *w, &envelope).map_err(std::io::Error::from)?;
        w.write_all(b"\n")
    });
}

/// Write `text` to stdout as is. A closed pipe ends the process quietly with status 0; any
/// other write failure is reported and ends it with status 2.
pub fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        stdout_failed(&e);
    }
}

/// [`print`] with a newline.
pub fn println(text: &str) {
    let mut line = String::with_capacity(text.len() + 1);
    line.push_str(text);
    line.push('\n');
    print(&line);
}

fn stdout_failed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(i32::from(Exit::Success.code()));
    }
    error(&format!("cannot write to stdout: {e}"));
    std::process::exit(i32::from(Exit::Usage.code()));
}

/// Text for people on stderr (a failed write to stderr has nowhere to be reported).
pub fn eprint(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// `snow-connect: error: MESSAGE` on stderr, printed even with `--quiet`.
pub fn error(message: &str) {
    eprint(&format!("{PREFIX}: error: {message}\n"));
}

/// `snow-connect: warning: MESSAGE` on stderr, unless `--quiet`, wrapped to stderr's width.
pub fn warn(message: &str) {
    if !quiet() {
        eprint(&warning_text(message, Stream::Stderr.width()));
    }
}

/// A note for people on stderr (progress results, hints), unless `--quiet`, wrapped to
/// stderr's width.
pub fn note(message: &str) {
    if !quiet() {
        eprint(&note_text(message, Stream::Stderr.width()));
    }
}

/// What [`warn`] prints at `width` columns: the prefix on the first line, continuation lines
/// indented under it. A path or backticked command wider than a line stands alone on its
/// line, whole, rather than being cut: these notes name things to copy.
pub fn warning_text(message: &str, width: usize) -> String {
    note_text(&format!("{PREFIX}: warning: {message}"), width)
}

/// What [`note`] prints at `width` columns (see [`warning_text`]).
pub fn note_text(message: &str, width: usize) -> String {
    wrap_with(message, width, "", HANG, false)
}

/// The indent of a wrapped warning's or note's continuation lines.
const HANG: &str = "  ";

/// The `--json` envelope: `schema_version` and `tool_version` first, then the document's
/// own keys. The document must serialise as a map (a struct or an object).
#[derive(Serialize)]
struct Envelope<'a, T: Serialize + ?Sized> {
    schema_version: u32,
    tool_version: &'static str,
    #[serde(flatten)]
    doc: &'a T,
}

/// `doc` as the pretty-printed JSON text every `--json` printer uses.
pub fn json_text(doc: &(impl Serialize + ?Sized)) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&Envelope {
        schema_version: SCHEMA_VERSION,
        tool_version: TOOL_VERSION,
        doc,
    })
}

/// Print `doc` (inside the envelope) as the one JSON document on stdout. A document that
/// cannot be serialised is reported and is exit 2.
pub fn print_json(doc: &(impl Serialize + ?Sized)) -> Result<(), Exit> {
    match json_text(doc) {
        Ok(json) => {
            println(&json);
            Ok(())
        }
        Err(e) => {
            error(&format!("cannot write JSON: {e}"));
            Err(Exit::Usage)
        }
    }
}

/// A spinner line on stderr for discovery and long waits. It draws only when stderr is a
/// terminal and `--quiet` is off; otherwise every method does nothing. Dropping it clears it.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// Start showing `message`.
    pub fn start(message: impl Into<Cow<'static, str>>) -> Progress {
        if quiet() || !Stream::Stderr.is_terminal() {
            return Progress { bar: None };
        }
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {wide_msg}") {
            bar.set_style(style);
        }
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar: Some(bar) }
    }

    /// A progress that never draws (for callers that decide themselves).
    pub fn hidden() -> Progress {
        Progress { bar: None }
    }

    /// Whether anything is drawn.
    pub fn is_visible(&self) -> bool {
        self.bar.is_some()
    }

    /// Replace the message.
    pub fn set_message(&self, message: impl Into<Cow<'static, str>>) {
        if let Some(bar) = &self.bar {
            bar.set_message(message);
        }
    }

    /// Print `line` on stderr above the spinner without garbling it.
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprint(&format!("{line}\n"))),
            None => eprint(&format!("{line}\n")),
        }
    }

    /// Run `f` with the spinner taken off the screen: for writing anything (stdout rows
    /// included) to a terminal the spinner shares.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Remove the line.
    pub fn finish(self) {}
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn wrap_fits_the_width_and_hangs_continuations() {
        let text = format!("1. {}", "word ".repeat(40));
        let out = wrap(&text, 40, "    ", "   ");
        assert!(out.lines().count() > 3, "{out}");
        for line in out.lines() {
            assert!(line.width() <= 40, "{line:?}");
            assert!(line.starts_with("    "), "{line:?}");
        }
        assert!(
            out.lines()
                .nth(1)
                .unwrap_or_default()
                .starts_with("       word")
        );
    }

    #[test]
    fn wrap_keeps_paragraphs_and_blank_lines() {
        let out = wrap("one\n\ntwo", 80, "", "");
        assert_eq!(out, "one\n\ntwo\n");
    }

    #[test]
    fn wrap_never_goes_below_the_minimum_width() {
        let out = wrap("alpha beta gamma delta", 3, "", "");
        assert!(out.lines().all(|l| l.width() <= MIN_WIDTH), "{out}");
        assert!(out.contains("alpha beta gamma"), "{out}");
    }

    #[test]
    fn wrap_moves_a_backticked_command_or_a_path_whole() {
        let path = "/home/operator/.local/state/snow-connect/drafts/config.toml-00ff.json";
        let command = "`snow-connect --demo --config '/tmp/a b.toml'`";
        let text = format!("not saved; the draft is in {path}; {command} offers it again");
        for width in [72, 80, 100, 120] {
            let out = wrap(&text, width, "", "  ");
            assert!(out.lines().all(|l| l.width() <= width), "{width}:\n{out}");
            assert!(out.lines().any(|l| l.contains(path)), "{width}:\n{out}");
            assert!(out.lines().any(|l| l.contains(command)), "{width}:\n{out}");
        }
        // Too wide for any line: cut, as before, rather than overflow.
        let out = wrap(&format!("see {command}"), 30, "", "");
        assert!(out.lines().all(|l| l.width() <= 30), "{out}");
        // A lone backtick (server text) quotes nothing: the words after it still wrap.
        let out = wrap(
            "a `b cc dd ee ff gg hh ii jj kk ll mm nn oo pp qq",
            20,
            "",
            "",
        );
        assert!(out.lines().count() > 1, "{out}");
        for line in out.lines() {
            assert!(line.width() <= 20, "{out}");
            assert!(line.split(' ').all(|w| w.len() <= 2 || w == "`b"), "{out}");
        }
    }

    #[test]
    fn warnings_wrap_under_their_prefix() {
        let text = warning_text(&"word ".repeat(40), 60);
        let mut lines = text.lines();
        assert!(
            lines
                .next()
                .is_some_and(|l| l.starts_with("snow-connect: warning: word"))
        );
        assert!(text.lines().count() > 2, "{text}");
        for line in lines {
            assert!(line.starts_with("  word"), "{text}");
        }
        assert!(text.lines().all(|l| l.width() <= 60), "{text}");
        assert_eq!(note_text("short", 80), "short\n");
        // A path wider than the line is never cut: it stands alone, whole.
        let path = format!("/tmp/{}/draft.json", "d".repeat(70));
        let text = warning_text(&format!("kept as a draft in {path}; resume with it"), 60);
        assert!(
            text.lines().any(|l| l.trim() == format!("{path};")),
            "{text}"
        );
        assert!(
            text.lines()
                .all(|l| l.width() <= 60 || l.trim() == format!("{path};")),
            "{text}"
        );
    }

    #[test]
    fn truncate_marks_the_cut_with_an_ellipsis() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abcdefghij", 5), "abcd…");
        assert_eq!(truncate("日本語テキスト", 5).width(), 5);
    }

    #[test]
    fn a_table_fits_the_width_whatever_one_cell_holds() {
        let long = "L".repeat(300);
        let rows = vec![
            [
                long.clone(),
                "caller_id".to_string(),
                "reference".to_string(),
            ],
            ["Short".to_string(), "x".to_string(), "string".to_string()],
        ];
        let out = table(["LABEL", "ELEMENT", "TYPE"], &rows, 80, [6, usize::MAX, 6]);
        for line in out.lines() {
            assert!(line.width() <= 80, "{}: {line}", line.width());
        }
        assert!(out.contains('…'), "{out}");
        assert!(
            out.contains("caller_id") && out.contains("reference"),
            "{out}"
        );
        // The short row is not padded out to the long label.
        let short = out.lines().nth(2).unwrap_or_default();
        assert!(
            short.width() <= 80 && short.ends_with("string"),
            "{short:?}"
        );
        // Nothing to cut when it fits.
        let small = table(
            ["A", "B"],
            &[["x".to_string(), "y".to_string()]],
            80,
            [1, 1],
        );
        assert_eq!(small, "A  B\nx  y\n");
    }

    #[derive(Serialize)]
    struct Doc {
        ok: bool,
        name: &'static str,
    }

    #[test]
    fn json_documents_carry_schema_and_tool_version_first() {
        let text = json_text(&Doc {
            ok: true,
            name: "x",
        })
        .unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(value["schema_version"], SCHEMA_VERSION);
        assert_eq!(value["tool_version"], TOOL_VERSION);
        assert_eq!(value["ok"], true);
        assert_eq!(value["name"], "x");
        let schema = text.find("schema_version").unwrap_or(usize::MAX);
        let ok = text.find("\"ok\"").unwrap_or(0);
        assert!(schema < ok, "{text}");
    }

    #[test]
    fn a_document_that_is_not_a_map_is_an_error() {
        assert!(json_text(&[1, 2, 3]).is_err());
    }

    #[test]
    fn progress_is_hidden_without_a_terminal() {
        // Tests run with stderr captured, not on a terminal.
        if !Stream::Stderr.is_terminal() {
            assert!(!Progress::start("reading").is_visible());
        }
    }
}
