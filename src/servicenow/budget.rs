//! What one dictionary discovery may read at most. An instance (or something posing as one)
//! decides how much it sends: a huge or lying `X-Total-Count`, pages that never end, labels
//! of many megabytes. The budget is shared by every read of one discovery (the concurrent
//! ACL probes included) and stops it with [`Error::OverBudget`], naming the limit and what
//! the instance claimed.

use std::sync::atomic::{AtomicU64, Ordering};

use super::Error;

/// The limits of one discovery. The defaults leave ample room for real dictionaries: the
/// stock incident and task tables have about 230 columns, heavily customised instances a few
/// thousand, and the simulator's maximum (`--extra-fields 50000`) reads about 80,000 rows
/// (50,100 dictionary and 30,100 choice rows) and 18 MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of answers read (after decompression), over every read: 256 MiB.
    pub bytes: u64,
    /// Rows (dictionary, choice and type rows together): 100,000, above the simulator's
    /// largest dictionary and some 30 times a heavily customised real one.
    pub rows: u64,
    /// Requests: 250. A full read of 100,000 rows takes 50 pages of 2,000; the rest is room
    /// for pages that row ACLs leave short.
    pub pages: u64,
    /// One page's body: 16 MiB. A full page of 2,000 dictionary rows is about 0.75 MiB, and
    /// with at most 4 pages in flight this bounds the bodies held at once to 64 MiB.
    pub page_bytes: usize,
}

/// The default bytes budget (256 MiB).
pub const DEFAULT_BYTES: u64 = 256 * 1024 * 1024;
/// The default rows budget.
pub const DEFAULT_ROWS: u64 = 100_000;
/// The default pages budget.
pub const DEFAULT_PAGES: u64 = 250;
/// The default cap on one page's body (16 MiB).
pub const DEFAULT_PAGE_BYTES: usize = 16 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            bytes: DEFAULT_BYTES,
            rows: DEFAULT_ROWS,
            pages: DEFAULT_PAGES,
            page_bytes: DEFAULT_PAGE_BYTES,
        }
    }
}

/// Which limit was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Bytes read.
    Bytes(u64),
    /// Rows.
    Rows(u64),
    /// Requests.
    Pages(u64),
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Limit::Bytes(n) => write!(f, "{} MiB read", n / (1024 * 1024)),
            Limit::Rows(n) => write!(f, "{} rows", thousands(*n)),
            Limit::Pages(n) => write!(f, "{} pages", thousands(*n)),
        }
    }
}

/// The default rows budget as text (`100,000`).
pub fn budget_rows_text() -> String {
    thousands(DEFAULT_ROWS)
}

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A discovery stopped at a limit: which one, on which table, and what the instance claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverBudget {
    /// The limit reached.
    pub limit: Limit,
    /// The table being read, e.g. `sys_dictionary`.
    pub table: String,
    /// That read's `X-Total-Count`, when the instance sent one.
    pub claimed: Option<u64>,
}

impl std::fmt::Display for OverBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let claimed = match self.claimed {
            Some(n) => format!("the instance claims {} rows (X-Total-Count)", thousands(n)),
            None => "the instance sent no X-Total-Count".to_string(),
        };
        write!(
            f,
            "reading {} stopped at the limit of {} per dictionary discovery; {claimed}",
            self.table, self.limit
        )
    }
}

/// The budget of one discovery: its limits and what was used so far (shared by concurrent
/// reads).
#[derive(Debug, Default)]
pub struct Budget {
    limits: Limits,
    bytes: AtomicU64,
    rows: AtomicU64,
    pages: AtomicU64,
}

impl Budget {
    /// A fresh budget.
    pub fn new(limits: Limits) -> Budget {
        Budget {
            limits,
            ..Budget::default()
        }
    }

    /// The limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Rows read so far.
    pub fn rows(&self) -> u64 {
        self.rows.load(Ordering::Relaxed)
    }

    /// The most one more page's body may hold.
    pub(crate) fn page_cap(&self) -> usize {
        let left = self
            .limits
            .bytes
            .saturating_sub(self.bytes.load(Ordering::Relaxed));
        usize::try_from(left)
            .unwrap_or(usize::MAX)
            .min(self.limits.page_bytes)
    }

    /// Whether the bytes limit (rather than the page cap) is what `page_cap` was bound by.
    pub(crate) fn bytes_bound(&self) -> bool {
        self.limits
            .bytes
            .saturating_sub(self.bytes.load(Ordering::Relaxed))
            < self.limits.page_bytes as u64
    }

    fn over(&self, limit: Limit, table: &str, claimed: Option<u64>) -> Error {
        Error::OverBudget(OverBudget {
            limit,
            table: table.to_string(),
            claimed,
        })
    }

    /// Before a request: refuse it when the pages are used up.
    pub(crate) fn request(&self, table: &str, claimed: Option<u64>) -> Result<(), Error> {
        let pages = self.pages.fetch_add(1, Ordering::Relaxed) + 1;
        if pages > self.limits.pages {
            return Err(self.over(Limit::Pages(self.limits.pages), table, claimed));
        }
        Ok(())
    }

    /// A read whose `X-Total-Count` says it will not fit: refused before any more is read.
    pub(crate) fn claim(&self, table: &str, total: u64, read: u64) -> Result<(), Error> {
        let left = self
            .limits
            .rows
            .saturating_sub(self.rows() - read.min(self.rows()));
        if total > left {
            return Err(self.over(Limit::Rows(self.limits.rows), table, Some(total)));
        }
        Ok(())
    }

    /// After a page: count its bytes and rows.
    pub(crate) fn charge(
        &self,
        table: &str,
        bytes: usize,
        rows: usize,
        claimed: Option<u64>,
    ) -> Result<(), Error> {
        let bytes = self.bytes.fetch_add(bytes as u64, Ordering::Relaxed) + bytes as u64;
        let rows = self.rows.fetch_add(rows as u64, Ordering::Relaxed) + rows as u64;
        if bytes > self.limits.bytes {
            return Err(self.over(Limit::Bytes(self.limits.bytes), table, claimed));
        }
        if rows > self.limits.rows {
            return Err(self.over(Limit::Rows(self.limits.rows), table, claimed));
        }
        Ok(())
    }

    /// The error for a body larger than what is left of the budget.
    pub(crate) fn body_over(&self, table: &str, claimed: Option<u64>) -> Error {
        self.over(Limit::Bytes(self.limits.bytes), table, claimed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Budget {
        Budget::new(Limits {
            bytes: 1000,
            rows: 10,
            pages: 3,
            page_bytes: 400,
        })
    }

    #[test]
    fn each_limit_stops_with_its_name_and_the_claim() {
        let b = small();
        assert!(b.request("sys_dictionary", None).is_ok());
        assert!(b.charge("sys_dictionary", 100, 6, Some(7)).is_ok());
        match b.charge("sys_dictionary", 100, 6, Some(7)) {
            Err(Error::OverBudget(o)) => {
                assert_eq!(o.limit, Limit::Rows(10));
                assert_eq!(o.claimed, Some(7));
                let text = o.to_string();
                assert!(text.contains("10 rows"), "{text}");
                assert!(text.contains("claims 7 rows (X-Total-Count)"), "{text}");
            }
            other => panic!("{other:?}"),
        }
        let b = small();
        for _ in 0..3 {
            assert!(b.request("t", None).is_ok());
        }
        assert!(matches!(
            b.request("t", None),
            Err(Error::OverBudget(OverBudget {
                limit: Limit::Pages(3),
                ..
            }))
        ));
        let b = small();
        assert_eq!(b.page_cap(), 400);
        assert!(b.charge("t", 800, 0, None).is_ok());
        assert_eq!(b.page_cap(), 200);
        assert!(b.bytes_bound());
        assert!(matches!(
            b.charge("t", 300, 0, None),
            Err(Error::OverBudget(OverBudget {
                limit: Limit::Bytes(1000),
                ..
            }))
        ));
    }

    #[test]
    fn a_claim_beyond_the_rows_left_is_refused_at_once() {
        let b = small();
        assert!(b.claim("t", 10, 0).is_ok());
        assert!(b.charge("t", 10, 4, Some(10)).is_ok());
        // The first page's 4 rows are part of the claim.
        assert!(b.claim("t", 10, 4).is_ok());
        assert!(b.claim("t", 11, 4).is_err());
        let text = match b.claim("t", 1_000_000_000_000, 4) {
            Err(e) => e.to_string(),
            Ok(()) => String::new(),
        };
        assert!(text.contains("1,000,000,000,000 rows"), "{text}");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(999), "999");
    }
}
