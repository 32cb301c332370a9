//! Word-wrapped text with hanging indents (ratatui's wrap starts continuation lines at
//! column 0, which breaks lists and field hints). A document is a list of blocks; wrapping
//! happens at draw time for the width at hand.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

/// One block of a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph; continuation lines start at `indent`.
    Para {
        /// Columns before every line.
        indent: usize,
        /// Styled text.
        spans: Vec<Span<'static>>,
    },
    /// A list item: `lead` (e.g. `• ` or `1. `) at `indent`, continuation lines aligned after it.
    Item {
        /// Columns before the lead.
        indent: usize,
        /// The bullet or number.
        lead: String,
        /// Styled text.
        spans: Vec<Span<'static>>,
    },
    /// An empty line.
    Blank,
}

impl Block {
    /// A plain paragraph.
    pub fn text(s: impl Into<String>) -> Block {
        Block::Para {
            indent: 0,
            spans: vec![Span::raw(s.into())],
        }
    }
    /// A styled paragraph.
    pub fn styled(s: impl Into<String>, style: Style) -> Block {
        Block::Para {
            indent: 0,
            spans: vec![Span::styled(s.into(), style)],
        }
    }
    /// A paragraph of spans.
    pub fn spans(spans: Vec<Span<'static>>) -> Block {
        Block::Para { indent: 0, spans }
    }
    /// A list item.
    pub fn item(indent: usize, lead: impl Into<String>, spans: Vec<Span<'static>>) -> Block {
        Block::Item {
            indent,
            lead: lead.into(),
            spans,
        }
    }
}

/// A piece of text to place: a word or a run of spaces, with its style.
struct Piece {
    text: String,
    style: Style,
    space: bool,
}

fn pieces(spans: &[Span<'static>]) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    for s in spans {
        let mut cur = String::new();
        let mut cur_space = false;
        for c in s.content.chars() {
            let sp = c == ' ';
            if !cur.is_empty() && sp != cur_space {
                out.push(Piece {
                    text: std::mem::take(&mut cur),
                    style: s.style,
                    space: cur_space,
                });
            }
            cur_space = sp;
            cur.push(c);
        }
        if !cur.is_empty() {
            out.push(Piece {
                text: cur,
                style: s.style,
                space: cur_space,
            });
        }
    }
    out
}

/// Wrap `spans` to `width`; the first line starts with `first`, the others with `rest`
/// (both plain prefixes).
fn wrap_spans(
    spans: &[Span<'static>],
    width: usize,
    first: &str,
    rest: &str,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut cur: Vec<Span<'static>> = vec![Span::raw(first.to_string())];
    let mut used = first.width();
    let mut pending: Option<Piece> = None;
    let mut has_word = false;
    let push_line =
        |lines: &mut Vec<Line<'static>>, cur: &mut Vec<Span<'static>>, used: &mut usize| {
            lines.push(Line::from(std::mem::take(cur)));
            cur.push(Span::raw(rest.to_string()));
            *used = rest.width();
        };
    for p in pieces(spans) {
        if p.space {
            pending = Some(p);
            continue;
        }
        let w = p.text.width();
        let sp = pending.as_ref().map_or(0, |s| s.text.width());
        if has_word && used + sp + w > width {
            push_line(&mut lines, &mut cur, &mut used);
            pending = None;
        } else if let Some(s) = pending.take() {
            used += s.text.width();
            cur.push(Span::styled(s.text, s.style));
        }
        // A word longer than a whole line is cut into pieces.
        let mut word = p.text;
        while used + word.width() > width && width > used {
            let room = width - used;
            let mut head = String::new();
            let mut hw = 0;
            for c in word.chars() {
                let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                if hw + cw > room {
                    break;
                }
                hw += cw;
                head.push(c);
            }
            if head.is_empty() {
                break;
            }
            word = word[head.len()..].to_string();
            cur.push(Span::styled(head, p.style));
            push_line(&mut lines, &mut cur, &mut used);
        }
        if !word.is_empty() {
            used += word.width();
            cur.push(Span::styled(word, p.style));
        }
        has_word = true;
    }
    lines.push(Line::from(cur));
    lines
}

/// Wrap a document to `width` columns.
pub fn wrap(blocks: &[Block], width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let mut out = Vec::new();
    for b in blocks {
        match b {
            Block::Blank => out.push(Line::from("")),
            Block::Para { indent, spans } => {
                let pad = " ".repeat((*indent).min(width / 2));
                out.extend(wrap_spans(spans, width, &pad, &pad));
            }
            Block::Item {
                indent,
                lead,
                spans,
            } => {
                let ind = (*indent).min(width / 3);
                let first = format!("{}{lead}", " ".repeat(ind));
                let hang = " ".repeat((ind + lead.width()).min(width / 2));
                out.extend(wrap_spans(spans, width, &first, &hang));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|s| s.content.to_string())
                    .collect::<String>()
            })
            .collect()
    }

    #[test]
    fn items_hang_under_their_text() {
        let b = [Block::item(
            2,
            "• ",
            vec![Span::raw("sys_db_object finds the parent table")],
        )];
        assert_eq!(
            text(&wrap(&b, 20)),
            vec!["  • sys_db_object", "    finds the parent", "    table"]
        );
    }

    #[test]
    fn long_words_are_cut_and_styles_survive() {
        let b = [Block::spans(vec![
            Span::raw("see "),
            Span::styled("abcdefghij", Style::new().bold()),
        ])];
        let lines = wrap(&b, 6);
        assert_eq!(text(&lines), vec!["see", "abcdef", "ghij"]);
        assert!(
            lines[1]
                .spans
                .iter()
                .any(|s| s.style == Style::new().bold())
        );
    }

    #[test]
    fn paragraphs_keep_their_indent() {
        let b = [Block::Para {
            indent: 3,
            spans: vec![Span::raw("one two three")],
        }];
        assert_eq!(text(&wrap(&b, 10)), vec!["   one two", "   three"]);
    }
}
