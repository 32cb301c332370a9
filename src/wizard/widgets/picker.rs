//! The fuzzy filter behind the Additional Fields picker (nucleo-matcher over label and
//! element name), the worker that runs it off the UI thread, and the rendering of
//! highlighted matches.
//!
//! The index ([`FieldIndex`]) is built once per picker and shared (`Arc`) between the UI
//! thread, which computes highlights for the rows on screen ([`Highlighter`]), and the
//! [`FilterWorker`], whose [`FieldFilter`] keeps the hits of the queries typed so far: a
//! keystroke that extends the query rescores only the previous hits; Backspace returns to
//! a result already computed. No result is ever sorted in full: the filter selects the best
//! rows the picker can show ([`best`]) and counts the rest ([`Matches`]).
//!
//! [`filter_fields`] is pure and public so the filter can be benchmarked over large
//! dictionaries (`--extra-fields 20000`); it is also the full-sort reference the tests
//! compare the incremental, partial results with.

use crate::sanitize::SafeText;
use std::cell::RefCell;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Weak};

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str, Utf32String};
use ratatui::style::Style;
use ratatui::text::Span;
use unicode_width::UnicodeWidthChar;

use crate::diagnose::{Dictionary, Field};

/// How many of the best rows a picker asks for at first: some pages of scrolling. Moving
/// further down asks for more ([`FilterRequest::limit`]).
pub const FIRST_ROWS: usize = 256;

/// How a match ranks before nucleo's score is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// The query is the whole label or element name (case, `_` and spacing aside).
    Exact,
    /// The label or element name starts with the query.
    Prefix,
    /// Any other match.
    Fuzzy,
}

/// One field that matches the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldMatch {
    /// Index into the fields that were indexed.
    pub index: usize,
    /// Exact and prefix matches come first.
    pub tier: Tier,
    /// nucleo's score (higher is better; 0 for an empty query).
    pub score: u32,
}

impl FieldMatch {
    /// Sort key: tier, then the higher score, then the dictionary's order (sorted by label).
    /// It is unique (it ends with the index), so any correct sort or selection by it gives
    /// the same rows in the same order.
    fn rank(&self) -> (Tier, std::cmp::Reverse<u32>, usize) {
        (self.tier, std::cmp::Reverse(self.score), self.index)
    }

    fn unscored(index: usize) -> FieldMatch {
        FieldMatch {
            index,
            tier: Tier::Fuzzy,
            score: 0,
        }
    }
}

/// The answer to one query: its best rows, best first, and how many fields matched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matches {
    /// The query as typed.
    pub query: String,
    /// How many fields match (`rows` holds the best of them).
    pub total: usize,
    /// The best `min(total, limit)` matches, best first.
    pub rows: Vec<FieldMatch>,
}

impl Matches {
    /// The answer to an empty query over `fields` fields: all of them, in their order.
    pub fn everything(query: &str, fields: usize, limit: usize) -> Matches {
        Matches {
            query: query.to_string(),
            total: fields,
            rows: (0..fields.min(limit)).map(FieldMatch::unscored).collect(),
        }
    }
}

/// Matched character positions of one field, for highlighting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hits {
    /// Positions in the (sanitised) label.
    pub label: Vec<u32>,
    /// Positions in the (sanitised) element name.
    pub element: Vec<u32>,
}

/// The search text of a list of fields, built once and never changed, so the UI thread
/// and the worker can share it.
pub struct FieldIndex {
    /// "label element" per field, sanitised.
    haystacks: Vec<Utf32String>,
    /// Characters in each label: where the element name starts in the haystack (after one
    /// space).
    label_chars: Vec<u32>,
}

impl std::fmt::Debug for FieldIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FieldIndex({} fields)", self.haystacks.len())
    }
}

impl FieldIndex {
    /// Index `fields` (label and element name of each), in their order.
    pub fn new<'a>(fields: impl IntoIterator<Item = &'a Field>) -> FieldIndex {
        let fields = fields.into_iter();
        let mut haystacks = Vec::with_capacity(fields.size_hint().0);
        let mut label_chars = Vec::with_capacity(fields.size_hint().0);
        let mut text = String::new();
        for f in fields {
            let label = SafeText::line(&f.label);
            let element = SafeText::line(&f.element);
            label_chars.push(u32::try_from(label.chars().count()).unwrap_or(u32::MAX));
            text.clear();
            text.push_str(&label);
            text.push(' ');
            text.push_str(&element);
            haystacks.push(Utf32String::from(text.as_str()));
        }
        FieldIndex {
            haystacks,
            label_chars,
        }
    }

    /// The index of `dict.fields[i]` for each `i` of `candidates`, built once: opening the
    /// picker again over the same dictionary and candidates reuses the last index instead of
    /// building it again. The cache holds no dictionary alive (a weak reference), and one
    /// index at most.
    pub fn shared(dict: &Arc<Dictionary>, candidates: &[u32]) -> Arc<FieldIndex> {
        static LAST: Mutex<Option<CachedIndex>> = Mutex::new(None);
        let mut last = match LAST.lock() {
            Ok(l) => l,
            // A panic while building leaves the slot as it was: still usable.
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(c) = last.as_ref()
            && c.dict.upgrade().is_some_and(|d| Arc::ptr_eq(&d, dict))
            && c.candidates == candidates
        {
            return Arc::clone(&c.index);
        }
        let index = Arc::new(FieldIndex::new(
            candidates
                .iter()
                .filter_map(|&i| dict.fields.get(usize::try_from(i).ok()?)),
        ));
        *last = Some(CachedIndex {
            dict: Arc::downgrade(dict),
            candidates: candidates.to_vec(),
            index: Arc::clone(&index),
        });
        index
    }

    /// How many fields are indexed.
    pub fn len(&self) -> usize {
        self.haystacks.len()
    }

    /// Whether no field is indexed.
    pub fn is_empty(&self) -> bool {
        self.haystacks.is_empty()
    }

    fn score(
        &self,
        index: usize,
        pattern: &Pattern,
        key: &[char],
        matcher: &mut Matcher,
    ) -> Option<FieldMatch> {
        let hay = self.haystacks.get(index)?.slice(..);
        let score = pattern.score(hay, matcher)?;
        let split = self.label_chars.get(index).copied().unwrap_or(0);
        Some(FieldMatch {
            index,
            tier: tier(hay, split, key),
            score,
        })
    }
}

/// The last index [`FieldIndex::shared`] built, and what it was built from.
struct CachedIndex {
    dict: Weak<Dictionary>,
    candidates: Vec<u32>,
    index: Arc<FieldIndex>,
}

/// Highlights for the rows on screen, computed on the UI thread with its own matcher (the
/// worker's is busy with the next query).
pub struct Highlighter {
    index: Arc<FieldIndex>,
    /// The query of the rows shown, parsed.
    pattern: Pattern,
    /// In cells so the view can compute highlights from a shared borrow.
    matcher: RefCell<Matcher>,
    indices: RefCell<Vec<u32>>,
}

impl std::fmt::Debug for Highlighter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Highlighter({:?})", self.index)
    }
}

impl Highlighter {
    /// Highlights over `index`, for the empty query until [`Highlighter::set_query`].
    pub fn new(index: Arc<FieldIndex>) -> Highlighter {
        Highlighter {
            index,
            pattern: Pattern::default(),
            matcher: RefCell::new(Matcher::new(Config::DEFAULT)),
            indices: RefCell::new(Vec::new()),
        }
    }

    /// Highlight what `query` matches from now on (the query of the rows shown).
    pub fn set_query(&mut self, query: &str) {
        self.pattern
            .reparse(query, CaseMatching::Smart, Normalization::Smart);
    }

    /// Where the query matches field `index`.
    pub fn hits(&self, index: usize) -> Hits {
        let mut hits = Hits::default();
        if self.pattern.atoms.is_empty() {
            return hits;
        }
        let (Some(hay), Some(&split)) = (
            self.index.haystacks.get(index),
            self.index.label_chars.get(index),
        ) else {
            return hits;
        };
        let (Ok(mut matcher), Ok(mut indices)) =
            (self.matcher.try_borrow_mut(), self.indices.try_borrow_mut())
        else {
            return hits;
        };
        indices.clear();
        if self
            .pattern
            .indices(hay.slice(..), &mut matcher, &mut indices)
            .is_none()
        {
            return hits;
        }
        indices.sort_unstable();
        indices.dedup();
        for &i in indices.iter() {
            if i < split {
                hits.label.push(i);
            } else if i > split {
                hits.element.push(i - split - 1);
            }
        }
        hits
    }
}

/// The hits of one query, kept so a longer query can narrow them and Backspace can return
/// to them without rescoring. Unordered: only [`best`] orders, and only what is shown.
#[derive(Debug)]
struct Level {
    query: String,
    /// Whether every hit of a query extending this one is among these hits (see
    /// [`narrowable`]).
    narrowable: bool,
    hits: Vec<FieldMatch>,
}

/// A reusable filter over one [`FieldIndex`]: the matcher's scratch memory is reused for
/// every query, and the hits of the query's prefixes are kept (within a budget) to be
/// narrowed or returned to.
pub struct FieldFilter {
    index: Arc<FieldIndex>,
    matcher: Matcher,
    /// The current query, parsed.
    pattern: Pattern,
    /// Non-empty queries, each extending the one before (the empty query needs no level:
    /// it is every field in order).
    levels: Vec<Level>,
}

impl std::fmt::Debug for FieldFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FieldFilter({} fields, {} cached queries)",
            self.index.len(),
            self.levels.len()
        )
    }
}

/// nucleo's syntax characters. A query with none of them only gets stricter as it grows:
/// appended characters either extend its last word (a longer needle, or a trailing `$`
/// that anchors it) or add words, and every word must match. With one of them, growing can
/// loosen it (`foo$` then `foo$x` is no longer anchored), so the next query is scored in full.
const SYNTAX: [char; 5] = ['!', '^', '$', '\'', '\\'];

fn narrowable(query: &str) -> bool {
    !query.contains(SYNTAX)
}

/// How many cached hits (over all levels) the filter keeps before forgetting the oldest
/// queries: a few full result lists, so memory stays proportional to the dictionary.
fn cache_budget(fields: usize) -> usize {
    fields.max(16 * 1024).saturating_mul(4)
}

/// The `limit` best of `hits`, best first. Selects them in place (`hits` is reordered) and
/// sorts only those: O(n + k log k), where a full sort of 20,000 hits per keystroke was
/// most of the filter's time.
pub fn best(hits: &mut [FieldMatch], limit: usize) -> Vec<FieldMatch> {
    let k = limit.min(hits.len());
    if k == 0 {
        return Vec::new();
    }
    if k < hits.len() {
        hits.select_nth_unstable_by_key(k - 1, FieldMatch::rank);
    }
    let mut top = hits[..k].to_vec();
    top.sort_unstable_by_key(FieldMatch::rank);
    top
}

impl FieldFilter {
    /// A filter over `index`.
    pub fn new(index: Arc<FieldIndex>) -> FieldFilter {
        FieldFilter {
            index,
            matcher: Matcher::new(Config::DEFAULT),
            pattern: Pattern::default(),
            levels: Vec::new(),
        }
    }

    /// The index this filter searches.
    pub fn index(&self) -> &Arc<FieldIndex> {
        &self.index
    }

    /// The best `limit` fields matching `query` and how many match. Best first: exact
    /// label or element matches, then those the query starts, then by score; ties keep the
    /// original order. An empty query matches everything in the original order. Words in
    /// the query must all match.
    pub fn filter(&mut self, query: &str, limit: usize) -> Matches {
        self.pattern
            .reparse(query, CaseMatching::Smart, Normalization::Smart);
        if self.pattern.atoms.is_empty() {
            return Matches::everything(query, self.index.len(), limit);
        }
        while self
            .levels
            .last()
            .is_some_and(|l| !query.starts_with(l.query.as_str()))
        {
            self.levels.pop();
        }
        if self.levels.last().is_none_or(|l| l.query != query) {
            // Every cached level is a prefix of the query; the deepest narrowable one has
            // the fewest hits to rescore.
            let from = self.levels.iter().rposition(|l| l.narrowable);
            let hits = self.rescore(query, from);
            self.levels.push(Level {
                query: query.to_string(),
                narrowable: narrowable(query),
                hits,
            });
            self.forget_old_levels();
        }
        match self.levels.last_mut() {
            Some(level) => Matches {
                query: query.to_string(),
                total: level.hits.len(),
                rows: best(&mut level.hits, limit),
            },
            None => Matches::everything(query, self.index.len(), limit),
        }
    }

    /// Score `query` over the hits of `levels[from]` (a narrowable prefix of it), or over
    /// every field.
    fn rescore(&mut self, query: &str, from: Option<usize>) -> Vec<FieldMatch> {
        let key = exact_key(query);
        let (index, pattern, matcher) = (&self.index, &self.pattern, &mut self.matcher);
        match from.and_then(|i| self.levels.get(i)) {
            Some(source) => source
                .hits
                .iter()
                .filter_map(|m| index.score(m.index, pattern, &key, matcher))
                .collect(),
            None => (0..index.len())
                .filter_map(|i| index.score(i, pattern, &key, matcher))
                .collect(),
        }
    }

    fn forget_old_levels(&mut self) {
        let budget = cache_budget(self.index.len());
        let mut total: usize = self.levels.iter().map(|l| l.hits.len()).sum();
        // Keep the newest level whatever its size: it is the current result.
        while total > budget && self.levels.len() > 1 {
            total -= self.levels.remove(0).hits.len();
        }
    }
}

/// One query for the [`FilterWorker`] (`Effect::FilterFields`).
#[derive(Debug)]
pub struct FilterRequest {
    /// Which picker asks (answers to a closed one are dropped).
    pub picker: u64,
    /// Which of its requests this is (only answers newer than the shown one are used).
    pub seq: u64,
    /// What to search.
    pub index: Arc<FieldIndex>,
    /// The query as typed.
    pub query: String,
    /// How many of the best rows to return.
    pub limit: usize,
}

impl FilterRequest {
    /// Answer here and now with a fresh filter (what the worker answers, without its
    /// cache): for tests, and when no worker thread can be started.
    pub fn answer_now(self) -> FilterAnswer {
        let matches = FieldFilter::new(Arc::clone(&self.index)).filter(&self.query, self.limit);
        self.answer(matches)
    }

    fn answer(self, matches: Matches) -> FilterAnswer {
        FilterAnswer {
            picker: self.picker,
            seq: self.seq,
            matches,
        }
    }
}

/// The worker's answer to a [`FilterRequest`] (`Msg::FieldMatches`).
#[derive(Debug)]
pub struct FilterAnswer {
    /// The picker that asked.
    pub picker: u64,
    /// The request answered.
    pub seq: u64,
    /// The results.
    pub matches: Matches,
}

enum Job {
    Filter(FilterRequest),
    /// The picker closed: drop its filter and cached hits.
    Forget,
}

/// Matching off the UI thread: one thread that keeps the open picker's [`FieldFilter`]
/// (and so its cache) and always answers the newest request, skipping those that queued
/// up behind a slow one. The UI never waits for it: a keystroke only sends the query.
pub struct FilterWorker {
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for FilterWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FilterWorker")
    }
}

impl FilterWorker {
    /// Start the thread; it hands each answer to `reply` and stops when `reply` returns
    /// false or the worker is dropped.
    pub fn spawn<F>(mut reply: F) -> std::io::Result<FilterWorker>
    where
        F: FnMut(FilterAnswer) -> bool + Send + 'static,
    {
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("picker-filter".into())
            .spawn(move || {
                yield_to_the_ui();
                let mut filter: Option<FieldFilter> = None;
                while let Ok(mut job) = rx.recv() {
                    // Typing faster than matching: only the newest request matters.
                    while let Ok(newer) = rx.try_recv() {
                        job = newer;
                    }
                    let req = match job {
                        Job::Forget => {
                            filter = None;
                            continue;
                        }
                        Job::Filter(req) => req,
                    };
                    let f = match &mut filter {
                        Some(f) if Arc::ptr_eq(f.index(), &req.index) => f,
                        _ => filter.insert(FieldFilter::new(Arc::clone(&req.index))),
                    };
                    let matches = f.filter(&req.query, req.limit);
                    if !reply(req.answer(matches)) {
                        return;
                    }
                }
            })?;
        Ok(FilterWorker { jobs })
    }

    /// Queue a request; it comes back when the worker has stopped (it panicked).
    pub fn filter(&self, req: FilterRequest) -> Result<(), FilterRequest> {
        match self.jobs.send(Job::Filter(req)) {
            Ok(()) => Ok(()),
            Err(mpsc::SendError(Job::Filter(req))) => Err(req),
            Err(mpsc::SendError(Job::Forget)) => Ok(()),
        }
    }

    /// The picker closed: free its filter.
    pub fn forget(&self) {
        let _ = self.jobs.send(Job::Forget);
    }
}

/// Lower this thread's scheduling priority: on a busy machine a long match then waits for
/// the UI thread instead of the frame waiting for the match (Linux, where a thread has its
/// own nice value; elsewhere nothing changes).
fn yield_to_the_ui() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no arguments; setpriority only changes this thread's nice value.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid);
            if let Ok(tid) = libc::id_t::try_from(tid) {
                libc::setpriority(libc::PRIO_PROCESS, tid, 10);
            }
        }
    }
}

/// The query as [`tier`] compares it: lower case, `_` read as a space, runs of spaces as
/// one, no leading or trailing space.
fn exact_key(query: &str) -> Vec<char> {
    let mut key: Vec<char> = normalized(query.chars()).collect();
    while key.last() == Some(&' ') {
        key.pop();
    }
    key
}

fn normalized(chars: impl Iterator<Item = char>) -> impl Iterator<Item = char> {
    // Starting as if after a space drops leading spaces.
    let mut after_space = true;
    chars
        .flat_map(char::to_lowercase)
        .map(|c| {
            if c == '_' || c.is_whitespace() {
                ' '
            } else {
                c
            }
        })
        .filter(move |&c| {
            let keep = !(c == ' ' && after_space);
            after_space = c == ' ';
            keep
        })
}

/// Whether the label (the haystack's first `split` characters) or the element name (after
/// the separating space) is the query `key`, or starts with it.
fn tier(hay: Utf32Str<'_>, split: u32, key: &[char]) -> Tier {
    if key.is_empty() {
        return Tier::Fuzzy;
    }
    let label = hay.slice_u32(..split.min(hay.len() as u32));
    let element = hay.slice_u32((split.saturating_add(1)).min(hay.len() as u32)..);
    tier_of(label, key).min(tier_of(element, key))
}

fn tier_of(text: Utf32Str<'_>, key: &[char]) -> Tier {
    let mut it = normalized(text.chars());
    for k in key {
        if it.next() != Some(*k) {
            return Tier::Fuzzy;
        }
    }
    if it.all(|c| c == ' ') {
        Tier::Exact
    } else {
        Tier::Prefix
    }
}

/// Every field of `fields` matching `query`, best first (the order of
/// [`FieldFilter::filter`]), scored from scratch and fully sorted: the one-shot form, and
/// the reference the partial, incremental results are tested against.
pub fn filter_fields(fields: &[Field], query: &str) -> Vec<FieldMatch> {
    let index = FieldIndex::new(fields);
    let mut pattern = Pattern::default();
    pattern.reparse(query, CaseMatching::Smart, Normalization::Smart);
    if pattern.atoms.is_empty() {
        return (0..index.len()).map(FieldMatch::unscored).collect();
    }
    let key = exact_key(query);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut all: Vec<FieldMatch> = (0..index.len())
        .filter_map(|i| index.score(i, &pattern, &key, &mut matcher))
        .collect();
    all.sort_by_key(FieldMatch::rank);
    all
}

/// Spans for `text` with the characters at `hits` styled `hit`, cut to `width` cells with an
/// ellipsis. `text` must already be sanitised (the hit positions refer to it).
pub fn highlight(
    text: &str,
    hits: &[u32],
    width: usize,
    base: Style,
    hit: Style,
) -> Vec<Span<'static>> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let total: usize = text.chars().map(|c| c.width().unwrap_or(0)).sum();
    let limit = if total > width {
        width.saturating_sub(1)
    } else {
        width
    };
    let mut used = 0usize;
    let mut cur = String::new();
    let mut cur_hit = false;
    for (i, c) in text.chars().enumerate() {
        let w = c.width().unwrap_or(0);
        if used + w > limit {
            break;
        }
        used += w;
        let is_hit = u32::try_from(i).is_ok_and(|i| hits.binary_search(&i).is_ok());
        if is_hit != cur_hit && !cur.is_empty() {
            spans.push(Span::styled(
                std::mem::take(&mut cur),
                if cur_hit { hit } else { base },
            ));
        }
        cur_hit = is_hit;
        cur.push(c);
    }
    if !cur.is_empty() {
        spans.push(Span::styled(cur, if cur_hit { hit } else { base }));
    }
    if total > width && width > 0 {
        spans.push(Span::styled("…", base));
        used += 1;
    }
    if used < width {
        spans.push(Span::styled(" ".repeat(width - used), base));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::FieldKind;
    use proptest::prelude::*;

    fn field(label: &str, element: &str) -> Field {
        Field {
            element: element.into(),
            label: label.into(),
            internal_type: "string".into(),
            type_label: "String".into(),
            defined_on: "incident".into(),
            reference: None,
            max_length: Some(40),
            mandatory: false,
            read_only: false,
            choices: vec![],
            dependent_on: None,
            kind: Some(FieldKind::String),
            hidden: None,
        }
    }

    fn indices(m: &[FieldMatch]) -> Vec<usize> {
        m.iter().map(|m| m.index).collect()
    }

    fn filter_over(fields: &[Field]) -> FieldFilter {
        FieldFilter::new(Arc::new(FieldIndex::new(fields)))
    }

    /// Everything `f` finds for `q`, checked against its count.
    fn all(f: &mut FieldFilter, q: &str) -> Vec<FieldMatch> {
        let m = f.filter(q, usize::MAX);
        assert_eq!(m.total, m.rows.len(), "query {q:?}");
        assert_eq!(m.query, q);
        m.rows
    }

    #[test]
    fn matches_label_or_element_and_reports_positions() {
        let fields = vec![
            field("Assignment group", "assignment_group"),
            field("Category", "category"),
            field("Configuration item", "cmdb_ci"),
        ];
        let index = Arc::new(FieldIndex::new(&fields));
        let mut f = FieldFilter::new(Arc::clone(&index));
        let mut h = Highlighter::new(index);
        let m = all(&mut f, "cmdb");
        assert_eq!(indices(&m), vec![2]);
        assert!(h.hits(2).element.is_empty(), "no query, no highlight");
        h.set_query("cmdb");
        let hits = h.hits(2);
        assert_eq!(hits.element, vec![0, 1, 2, 3]);
        assert!(hits.label.is_empty());

        let m = all(&mut f, "agrp");
        assert_eq!(m.first().map(|m| m.index), Some(0));
        h.set_query("agrp");
        assert_eq!(h.hits(0).label.first(), Some(&0));
    }

    #[test]
    fn empty_query_keeps_everything_in_order() {
        let fields = vec![field("B", "b"), field("A", "a")];
        let m = filter_fields(&fields, "  ");
        assert_eq!(indices(&m), vec![0, 1]);
        let m = filter_over(&fields).filter("  ", 1);
        assert_eq!((m.total, indices(&m.rows)), (2, vec![0]));
        let mut h = Highlighter::new(Arc::new(FieldIndex::new(&fields)));
        h.set_query("  ");
        assert!(h.hits(0).label.is_empty());
    }

    #[test]
    fn every_word_must_match() {
        let fields = vec![
            field("Assignment group", "assignment_group"),
            field("Assigned to", "assigned_to"),
        ];
        let m = filter_fields(&fields, "assign group");
        assert_eq!(indices(&m), vec![0]);
    }

    #[test]
    fn an_exact_label_or_element_ranks_first_then_prefixes() {
        // Sorted by label, as the dictionary is: without tiers "Business impact" came first.
        let fields = vec![
            field("Business impact", "business_impact"),
            field("Impact", "impact"),
            field("Impact level", "u_impact_level"),
            field("Risk", "u_impact"),
        ];
        let m = filter_fields(&fields, "impact");
        assert_eq!(m[0].index, 1, "{m:?}");
        assert_eq!(m[0].tier, Tier::Exact);
        // The element `u_impact` is not the query; "Impact level" starts with it.
        assert_eq!(m[1].index, 2);
        assert_eq!(m[1].tier, Tier::Prefix);
        assert_eq!(
            m.iter().filter(|m| m.tier == Tier::Fuzzy).count(),
            2,
            "{m:?}"
        );
        // Case, `_` and spacing do not matter; the element name counts as much as the label.
        let m = filter_fields(&fields, "Impact  ");
        assert_eq!((m[0].index, m[0].tier), (1, Tier::Exact));
        let m = filter_fields(&fields, "u impact");
        assert_eq!((m[0].index, m[0].tier), (3, Tier::Exact));
        let m = filter_fields(&fields, "business_impact");
        assert_eq!((m[0].index, m[0].tier), (0, Tier::Exact));
    }

    #[test]
    fn narrowing_and_backspace_give_what_a_full_rescore_gives() {
        let fields: Vec<Field> = (0..300)
            .map(|i| field(&format!("Extra field {i}"), &format!("u_extra_{i}")))
            .chain([field("Impact", "impact"), field("Exact$", "u_dollar")])
            .collect();
        let mut f = filter_over(&fields);
        let typed = [
            "u",
            "u_",
            "u_e",
            "u_ex",
            "u_ext",
            "u_extra",
            "u_extra ",
            "u_extra 1",
            "u_extra 12",
            "u_extra 1",
            "u_extra",
            "u_extra 2",
            "u_extra 29",
            "u_extra 299",
            "u",
            "",
            "e",
            "ex",
            "ex$",
            "ex$a",
            "ex$",
            "ex",
            "!",
            "!1",
            "!1 ",
            "!1 2",
            "'",
            "'1",
            "^",
            "^e",
        ];
        for q in typed {
            let narrowed = all(&mut f, q);
            assert_eq!(narrowed, filter_fields(&fields, q), "query {q:?}");
        }
        // Narrowing did happen: the cache holds the chain of prefixes.
        for q in ["u", "u_", "u_e"] {
            f.filter(q, 10);
        }
        assert_eq!(f.levels.len(), 3, "{f:?}");
        assert_eq!(f.levels[2].query, "u_e");
    }

    #[test]
    fn the_cache_stays_within_its_budget() {
        let fields: Vec<Field> = (0..20)
            .map(|i| field(&format!("A{i}"), &format!("a_{i}")))
            .collect();
        let mut f = filter_over(&fields);
        let mut q = String::new();
        for _ in 0..100 {
            q.push('a');
            f.filter(&q, 5);
            q.push(' ');
        }
        let cached: usize = f.levels.iter().map(|l| l.hits.len()).sum();
        assert!(cached <= cache_budget(fields.len()).max(fields.len()));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Whatever is typed or deleted, the cached/narrowed result is the full rescore.
        #[test]
        fn incremental_results_equal_a_full_rescore(
            steps in proptest::collection::vec(
                prop_oneof![
                    3 => proptest::sample::select(vec!['a', 'e', 'x', 'i', '1', '2', '_', ' ', 'A', 'é']).prop_map(Some),
                    1 => proptest::sample::select(vec!['!', '^', '$', '\'', '\\']).prop_map(Some),
                    1 => Just(None),
                ],
                1..24,
            ),
            limit in prop_oneof![Just(usize::MAX), 0usize..50],
        ) {
            let fields: Vec<Field> = (0..40)
                .map(|i| field(&format!("Extra {i} é{}", i % 7), &format!("u_x{i}_a")))
                .chain([field("Axe", "axe"), field("A", "a"), field("Exa$", "e_x")])
                .collect();
            let mut f = filter_over(&fields);
            let mut q = String::new();
            for s in steps {
                match s {
                    Some(c) => q.push(c),
                    None => { q.pop(); }
                }
                let got = f.filter(&q, limit);
                let full = filter_fields(&fields, &q);
                prop_assert_eq!(got.total, full.len(), "query {:?}", q);
                prop_assert_eq!(&got.rows[..], &full[..full.len().min(limit)], "query {:?}", q);
            }
        }

        /// The partial selection gives exactly the first k of a full sort, ties included.
        #[test]
        fn best_k_equals_the_first_k_of_a_full_sort(
            hits in proptest::collection::vec((0u8..3, 0u32..6), 0..300),
            k in 0usize..320,
        ) {
            let tiers = [Tier::Exact, Tier::Prefix, Tier::Fuzzy];
            // Shuffled indices, so the order of the input is not the order of the result.
            let mut hits: Vec<FieldMatch> = hits
                .iter()
                .enumerate()
                .map(|(i, &(t, score))| FieldMatch {
                    index: (i * 7919) % 1009,
                    tier: tiers[usize::from(t)],
                    score,
                })
                .collect();
            let mut sorted = hits.clone();
            sorted.sort_by(|a, b| {
                a.tier
                    .cmp(&b.tier)
                    .then(b.score.cmp(&a.score))
                    .then(a.index.cmp(&b.index))
            });
            let top = best(&mut hits, k);
            prop_assert_eq!(&top[..], &sorted[..k.min(sorted.len())]);
            // Selecting reorders but keeps every hit.
            hits.sort_by_key(FieldMatch::rank);
            prop_assert_eq!(hits, sorted);
        }
    }

    #[test]
    fn the_top_rows_of_twenty_thousand_fields_are_those_of_a_full_sort() {
        let fields: Vec<Field> = (0..20_000)
            .map(|i| field(&format!("Extra field {i}"), &format!("u_extra_{i}")))
            .chain([field("Extra", "u_extra"), field("Impact", "impact")])
            .collect();
        let mut f = filter_over(&fields);
        for q in ["e", "ex", "extra", "u_extra 19", "1", "impact", "zzz"] {
            let full = filter_fields(&fields, q);
            let got = f.filter(q, FIRST_ROWS);
            assert_eq!(got.total, full.len(), "query {q:?}");
            assert_eq!(
                got.rows[..],
                full[..full.len().min(FIRST_ROWS)],
                "query {q:?}"
            );
        }
        assert_eq!(f.filter("extra", 3).rows[0].tier, Tier::Exact);
    }

    #[test]
    fn the_worker_answers_the_newest_request_and_answers_like_the_filter() {
        let fields: Vec<Field> = (0..500)
            .map(|i| field(&format!("Extra field {i}"), &format!("u_extra_{i}")))
            .collect();
        let index = Arc::new(FieldIndex::new(&fields));
        let (tx, rx) = mpsc::channel();
        let worker = FilterWorker::spawn(move |a| tx.send(a).is_ok()).expect("thread");
        let request = |seq: u64, query: &str| FilterRequest {
            picker: 7,
            seq,
            index: Arc::clone(&index),
            query: query.into(),
            limit: 20,
        };
        for (seq, q) in ["e", "ex", "ext", "extra 4"].iter().enumerate() {
            worker.filter(request(seq as u64 + 1, q)).expect("running");
        }
        // Whatever was skipped, the last answer is for the last request and is right.
        let mut last = None;
        while let Ok(a) = rx.recv_timeout(std::time::Duration::from_secs(10)) {
            assert_eq!(a.picker, 7);
            let done = a.seq == 4;
            last = Some(a);
            if done {
                break;
            }
        }
        let last = last.expect("an answer");
        assert_eq!(last.seq, 4);
        assert_eq!(last.matches, request(4, "extra 4").answer_now().matches);
        assert_eq!(last.matches.total, filter_fields(&fields, "extra 4").len());
        worker.forget();
        worker.filter(request(5, "extra 49")).expect("running");
        let a = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("answer");
        assert_eq!((a.seq, a.matches.query.as_str()), (5, "extra 49"));
    }

    #[test]
    fn the_index_is_built_once_per_dictionary_and_candidates() {
        let dict = |n: usize| {
            Arc::new(Dictionary {
                table: "incident".into(),
                chain: vec!["incident".into()],
                fields: (0..n)
                    .map(|i| field(&format!("Field {i}"), &format!("u_f{i}")))
                    .collect(),
                choices_loaded: true,
                type_labels_loaded: true,
                requests: 1,
                pruned: None,
            })
        };
        let (a, b) = (dict(30), dict(30));
        let all: Vec<u32> = (0..30).collect();
        let first = FieldIndex::shared(&a, &all);
        assert_eq!(first.len(), 30);
        assert!(Arc::ptr_eq(&first, &FieldIndex::shared(&a, &all)), "reused");
        let fewer = FieldIndex::shared(&a, &all[1..]);
        assert_eq!(fewer.len(), 29, "other candidates, another index");
        let other = FieldIndex::shared(&b, &all);
        assert!(
            !Arc::ptr_eq(&first, &other),
            "another dictionary, another index"
        );
    }

    #[test]
    fn an_exact_match_is_the_first_row_the_worker_answers_among_twenty_thousand() {
        // As the picker asks: the best FIRST_ROWS rows, from a dictionary sorted by label in
        // which "Business impact" and twenty thousand fuzzy matches come before "Impact".
        let fields: Vec<Field> = (0..20_000)
            .map(|i| field(&format!("A impact related {i}"), &format!("u_imp_act_{i}")))
            .chain([
                field("Business impact", "business_impact"),
                field("Impact", "impact"),
            ])
            .collect();
        let index = Arc::new(FieldIndex::new(&fields));
        let answer = FilterRequest {
            picker: 1,
            seq: 1,
            index,
            query: "impact".into(),
            limit: FIRST_ROWS,
        }
        .answer_now();
        let first = answer.matches.rows[0];
        assert_eq!(fields[first.index].element, "impact", "{first:?}");
        assert_eq!(first.tier, Tier::Exact);
        assert_eq!(answer.matches.total, fields.len(), "every field matches");
        assert!(
            answer.matches.rows[1..]
                .iter()
                .all(|m| m.tier != Tier::Exact)
        );
    }

    #[test]
    fn highlight_cuts_with_an_ellipsis_and_pads() {
        let spans = highlight("abcdef", &[0, 5], 4, Style::new(), Style::new());
        let text: String = spans.iter().map(|s| s.content.to_string()).collect();
        assert_eq!(text, "abc…");
        let spans = highlight("ab", &[1], 4, Style::new(), Style::new());
        let text: String = spans.iter().map(|s| s.content.to_string()).collect();
        assert_eq!(text, "ab  ");
        assert_eq!(spans.len(), 3);
    }
}
