//! The fuzzy filter behind the Additional Fields picker (nucleo-matcher over label and
//! element name) and the rendering of highlighted matches.
//!
//! The index is built once per picker: one haystack per field, plus the results of the
//! queries typed so far. A keystroke that extends the query rescores only the previous
//! hits; Backspace returns to a result already computed. Hit positions for highlighting are
//! computed only for the rows on screen ([`FieldFilter::hits`]).
//!
//! [`filter_fields`] is pure and public so the filter can be benchmarked over large
//! dictionaries (`--extra-fields 20000`).

use std::cell::RefCell;

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str, Utf32String};
use ratatui::style::Style;
use ratatui::text::Span;
use unicode_width::UnicodeWidthChar;

use crate::diagnose::Field;

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
    /// Index into the slice that was filtered.
    pub index: usize,
    /// Exact and prefix matches come first.
    pub tier: Tier,
    /// nucleo's score (higher is better; 0 for an empty query).
    pub score: u32,
}

impl FieldMatch {
    /// Sort key: tier, then the higher score, then the dictionary's order (sorted by label).
    fn rank(&self) -> (Tier, std::cmp::Reverse<u32>, usize) {
        (self.tier, std::cmp::Reverse(self.score), self.index)
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

/// The result of one query, kept so a longer query can narrow it and Backspace can return to
/// it without rescoring.
#[derive(Debug)]
struct Level {
    query: String,
    /// Whether every hit of a query extending this one is among these hits (see
    /// [`narrowable`]).
    narrowable: bool,
    matches: Vec<FieldMatch>,
}

/// A reusable filter over one list of fields: the haystacks are built once, the matcher's
/// scratch memory is reused for every keystroke, and results of the query's prefixes are
/// kept (within a budget) to be narrowed or returned to.
pub struct FieldFilter {
    /// "label element" per field, sanitised.
    haystacks: Vec<Utf32String>,
    /// Characters in each label: where the element name starts in the haystack (after one
    /// space).
    label_chars: Vec<u32>,
    /// In a cell so the view can compute highlights from a shared borrow.
    matcher: RefCell<Matcher>,
    indices: RefCell<Vec<u32>>,
    /// The current query, parsed.
    pattern: Pattern,
    /// `levels[0]` is the empty query (everything, in order); each further level's query
    /// extends the one before.
    levels: Vec<Level>,
}

impl std::fmt::Debug for FieldFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "FieldFilter({} fields, {} cached queries)",
            self.haystacks.len(),
            self.levels.len() - 1
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

/// How many cached matches (over all levels) the filter keeps before forgetting the oldest
/// queries: a few full result lists, so memory stays proportional to the dictionary.
fn cache_budget(fields: usize) -> usize {
    fields.max(16 * 1024).saturating_mul(4)
}

impl FieldFilter {
    /// Index `fields` (label and element name of each).
    pub fn new(fields: &[Field]) -> FieldFilter {
        let mut haystacks = Vec::with_capacity(fields.len());
        let mut label_chars = Vec::with_capacity(fields.len());
        let mut text = String::new();
        for f in fields {
            let label = crate::sanitize::line(&f.label);
            let element = crate::sanitize::line(&f.element);
            label_chars.push(u32::try_from(label.chars().count()).unwrap_or(u32::MAX));
            text.clear();
            text.push_str(&label);
            text.push(' ');
            text.push_str(&element);
            haystacks.push(Utf32String::from(text.as_str()));
        }
        let all = (0..fields.len())
            .map(|index| FieldMatch {
                index,
                tier: Tier::Fuzzy,
                score: 0,
            })
            .collect();
        FieldFilter {
            haystacks,
            label_chars,
            matcher: RefCell::new(Matcher::new(Config::DEFAULT)),
            indices: RefCell::new(Vec::new()),
            pattern: Pattern::default(),
            levels: vec![Level {
                query: String::new(),
                narrowable: true,
                matches: all,
            }],
        }
    }

    /// The fields matching `query`, best first: exact label or element matches, then those
    /// the query starts, then by score; ties keep the original order. An empty query matches
    /// everything in the original order. Words in the query must all match.
    pub fn filter(&mut self, query: &str) -> &[FieldMatch] {
        self.pattern
            .reparse(query, CaseMatching::Smart, Normalization::Smart);
        if self.pattern.atoms.is_empty() {
            return &self.levels[0].matches;
        }
        while self.levels.len() > 1
            && self
                .levels
                .last()
                .is_some_and(|l| !query.starts_with(l.query.as_str()))
        {
            self.levels.pop();
        }
        let last = self.levels.len() - 1;
        if self.levels[last].query != query {
            // Every cached level is a prefix of the query; the deepest narrowable one has
            // the fewest hits to rescore.
            let from = (0..=last)
                .rev()
                .find(|&i| self.levels[i].narrowable)
                .unwrap_or(0);
            let matches = self.rescore(query, from);
            self.levels.push(Level {
                query: query.to_string(),
                narrowable: narrowable(query),
                matches,
            });
            self.forget_old_levels();
        }
        let last = self.levels.len() - 1;
        &self.levels[last].matches
    }

    /// Score `query` over the hits of `levels[from]` (a narrowable prefix of it; level 0 is
    /// every field).
    fn rescore(&mut self, query: &str, from: usize) -> Vec<FieldMatch> {
        let key = exact_key(query);
        let matcher = self.matcher.get_mut();
        let pattern = &self.pattern;
        let haystacks = &self.haystacks;
        let label_chars = &self.label_chars;
        let score = |index: usize, matcher: &mut Matcher| -> Option<FieldMatch> {
            let hay = haystacks.get(index)?.slice(..);
            let score = pattern.score(hay, matcher)?;
            let split = label_chars.get(index).copied().unwrap_or(0);
            Some(FieldMatch {
                index,
                tier: tier(hay, split, &key),
                score,
            })
        };
        let source = &self.levels[from];
        let mut out: Vec<FieldMatch> = if from > 0 {
            source
                .matches
                .iter()
                .filter_map(|m| score(m.index, matcher))
                .collect()
        } else {
            (0..haystacks.len())
                .filter_map(|i| score(i, matcher))
                .collect()
        };
        // The rank is unique (it ends with the index), so the unstable sort is deterministic.
        out.sort_unstable_by_key(FieldMatch::rank);
        out
    }

    fn forget_old_levels(&mut self) {
        let budget = cache_budget(self.haystacks.len());
        let mut total: usize = self.levels[1..].iter().map(|l| l.matches.len()).sum();
        // Keep the newest level whatever its size: it is the current result.
        while total > budget && self.levels.len() > 2 {
            total -= self.levels.remove(1).matches.len();
        }
    }

    /// Where the current query matches field `index`, for highlighting.
    pub fn hits(&self, index: usize) -> Hits {
        let mut hits = Hits::default();
        if self.pattern.atoms.is_empty() {
            return hits;
        }
        let (Some(hay), Some(&split)) = (self.haystacks.get(index), self.label_chars.get(index))
        else {
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

/// Filter `fields` by `query` (see [`FieldFilter::filter`]). Builds a fresh index; a picker
/// keeps a [`FieldFilter`] instead.
pub fn filter_fields(fields: &[Field], query: &str) -> Vec<FieldMatch> {
    FieldFilter::new(fields).filter(query).to_vec()
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

    #[test]
    fn matches_label_or_element_and_reports_positions() {
        let fields = vec![
            field("Assignment group", "assignment_group"),
            field("Category", "category"),
            field("Configuration item", "cmdb_ci"),
        ];
        let mut f = FieldFilter::new(&fields);
        let m = f.filter("cmdb").to_vec();
        assert_eq!(indices(&m), vec![2]);
        let hits = f.hits(2);
        assert_eq!(hits.element, vec![0, 1, 2, 3]);
        assert!(hits.label.is_empty());

        let m = f.filter("agrp").to_vec();
        assert_eq!(m.first().map(|m| m.index), Some(0));
        assert_eq!(f.hits(0).label.first(), Some(&0));
    }

    #[test]
    fn empty_query_keeps_everything_in_order() {
        let fields = vec![field("B", "b"), field("A", "a")];
        let m = filter_fields(&fields, "  ");
        assert_eq!(indices(&m), vec![0, 1]);
        assert!(FieldFilter::new(&fields).hits(0).label.is_empty());
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
        let mut f = FieldFilter::new(&fields);
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
            let narrowed = f.filter(q).to_vec();
            assert_eq!(narrowed, filter_fields(&fields, q), "query {q:?}");
        }
        // Narrowing did happen: the cache holds the chain of prefixes.
        for q in ["u", "u_", "u_e"] {
            f.filter(q);
        }
        assert_eq!(f.levels.len(), 4, "{f:?}");
        assert_eq!(f.levels[3].query, "u_e");
    }

    #[test]
    fn the_cache_stays_within_its_budget() {
        let fields: Vec<Field> = (0..20)
            .map(|i| field(&format!("A{i}"), &format!("a_{i}")))
            .collect();
        let mut f = FieldFilter::new(&fields);
        let mut q = String::new();
        for _ in 0..100 {
            q.push('a');
            f.filter(&q);
            q.push(' ');
        }
        let cached: usize = f.levels[1..].iter().map(|l| l.matches.len()).sum();
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
            )
        ) {
            let fields: Vec<Field> = (0..40)
                .map(|i| field(&format!("Extra {i} é{}", i % 7), &format!("u_x{i}_a")))
                .chain([field("Axe", "axe"), field("A", "a"), field("Exa$", "e_x")])
                .collect();
            let mut f = FieldFilter::new(&fields);
            let mut q = String::new();
            for s in steps {
                match s {
                    Some(c) => q.push(c),
                    None => { q.pop(); }
                }
                let got = f.filter(&q).to_vec();
                prop_assert_eq!(got, filter_fields(&fields, &q), "query {:?}", q);
            }
        }
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
