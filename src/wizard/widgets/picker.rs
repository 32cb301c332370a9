//! The fuzzy filter behind the Additional Fields picker (nucleo-matcher over label and
//! element name) and the rendering of highlighted matches.
//!
//! [`filter_fields`] is pure and public so the filter can be benchmarked over large
//! dictionaries (`--extra-fields 20000`).

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};
use ratatui::style::Style;
use ratatui::text::Span;
use unicode_width::UnicodeWidthChar;

use crate::diagnose::Field;

/// One field that matches the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMatch {
    /// Index into the slice that was filtered.
    pub index: usize,
    /// nucleo's score (higher is better; 0 for an empty query).
    pub score: u32,
    /// Matched character positions in the (sanitised) label.
    pub label_hits: Vec<u32>,
    /// Matched character positions in the element name.
    pub element_hits: Vec<u32>,
}

/// A reusable filter over one list of fields: the haystacks are built once, the matcher's
/// scratch memory is reused for every keystroke.
pub struct FieldFilter {
    matcher: Matcher,
    haystacks: Vec<Utf32String>,
    label_chars: Vec<u32>,
    indices: Vec<u32>,
}

impl std::fmt::Debug for FieldFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FieldFilter({} fields)", self.haystacks.len())
    }
}

impl FieldFilter {
    /// Index `fields` (label and element name of each).
    pub fn new(fields: &[Field]) -> FieldFilter {
        let mut haystacks = Vec::with_capacity(fields.len());
        let mut label_chars = Vec::with_capacity(fields.len());
        for f in fields {
            let label = crate::sanitize::line(&f.label);
            let element = crate::sanitize::line(&f.element);
            label_chars.push(u32::try_from(label.chars().count()).unwrap_or(u32::MAX));
            haystacks.push(Utf32String::from(format!("{label} {element}")));
        }
        FieldFilter {
            matcher: Matcher::new(Config::DEFAULT),
            haystacks,
            label_chars,
            indices: Vec::new(),
        }
    }

    /// The fields matching `query`, best first (ties keep the original order). An empty query
    /// matches everything in the original order. Words in the query must all match.
    pub fn filter(&mut self, query: &str) -> Vec<FieldMatch> {
        let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
        if pattern.atoms.is_empty() {
            return (0..self.haystacks.len())
                .map(|index| FieldMatch {
                    index,
                    score: 0,
                    label_hits: Vec::new(),
                    element_hits: Vec::new(),
                })
                .collect();
        }
        let mut out = Vec::new();
        for (index, hay) in self.haystacks.iter().enumerate() {
            self.indices.clear();
            let Some(score) = pattern.indices(hay.slice(..), &mut self.matcher, &mut self.indices)
            else {
                continue;
            };
            self.indices.sort_unstable();
            self.indices.dedup();
            let split = self.label_chars[index];
            let mut label_hits = Vec::new();
            let mut element_hits = Vec::new();
            for &i in &self.indices {
                if i < split {
                    label_hits.push(i);
                } else if i > split {
                    element_hits.push(i - split - 1);
                }
            }
            out.push(FieldMatch {
                index,
                score,
                label_hits,
                element_hits,
            });
        }
        // Stable: equal scores keep the dictionary's order (sorted by label).
        out.sort_by_key(|m| std::cmp::Reverse(m.score));
        out
    }
}

/// Filter `fields` by `query` (see [`FieldFilter::filter`]). Builds a fresh index; a picker
/// keeps a [`FieldFilter`] instead.
pub fn filter_fields(fields: &[Field], query: &str) -> Vec<FieldMatch> {
    FieldFilter::new(fields).filter(query)
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

    #[test]
    fn matches_label_or_element_and_reports_positions() {
        let fields = vec![
            field("Assignment group", "assignment_group"),
            field("Category", "category"),
            field("Configuration item", "cmdb_ci"),
        ];
        let m = filter_fields(&fields, "cmdb");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].index, 2);
        assert_eq!(m[0].element_hits, vec![0, 1, 2, 3]);
        assert!(m[0].label_hits.is_empty());

        let m = filter_fields(&fields, "agrp");
        assert_eq!(m.first().map(|m| m.index), Some(0));
        assert_eq!(m[0].label_hits.first(), Some(&0));
    }

    #[test]
    fn empty_query_keeps_everything_in_order() {
        let fields = vec![field("B", "b"), field("A", "a")];
        let m = filter_fields(&fields, "  ");
        assert_eq!(m.iter().map(|m| m.index).collect::<Vec<_>>(), vec![0, 1]);
    }

    #[test]
    fn every_word_must_match() {
        let fields = vec![
            field("Assignment group", "assignment_group"),
            field("Assigned to", "assigned_to"),
        ];
        let m = filter_fields(&fields, "assign group");
        assert_eq!(m.iter().map(|m| m.index).collect::<Vec<_>>(), vec![0]);
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
