//! Date-times as encoded queries compare them: stored values (`YYYY-MM-DD HH:MM:SS` or
//! `YYYY-MM-DD`, UTC) and query values, which may also be the `javascript:gs.…()` helpers
//! that filters and client libraries write (`gs.dateGenerate`, `gs.daysAgoStart`, …).
//!
//! Everything becomes seconds since 1970-01-01 UTC. Months, quarters and years in relative
//! conditions are counted as 30, 91 and 365 days: close to the platform's calendar arithmetic,
//! not equal to it.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

const DAY: i64 = 86_400;

/// A `gs.…(n)` helper as a function of (start of today, now, n).
type Helper = fn(i64, i64, i64) -> i64;

/// Which end of a day a date without a time stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    Start,
    End,
}

fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    text.trim().parse().ok()
}

fn date(text: &str) -> Option<Date> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i32 = number(parts.next()?)?;
    let month: u8 = number(parts.next()?)?;
    let day: u8 = number(parts.next()?)?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

fn clock(text: &str) -> Option<Time> {
    let mut parts = text.trim().splitn(3, ':');
    let hour: u8 = number(parts.next()?)?;
    let minute: u8 = number(parts.next()?)?;
    let second: u8 = parts.next().map_or(Some(0), number)?;
    Time::from_hms(hour, minute, second).ok()
}

fn seconds(date: Date, time: Time) -> i64 {
    PrimitiveDateTime::new(date, time)
        .assume_utc()
        .unix_timestamp()
}

/// A stored or literal value: `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD`
/// (the start or end of that day).
pub(crate) fn parse_literal(text: &str, edge: Edge) -> Option<i64> {
    let text = text.trim();
    match text.split_once(' ') {
        Some((d, t)) => Some(seconds(date(d)?, clock(t)?)),
        None => {
            let start = seconds(date(text)?, Time::MIDNIGHT);
            Some(match edge {
                Edge::Start => start,
                Edge::End => start + DAY - 1,
            })
        }
    }
}

fn start_of_day(at: i64) -> i64 {
    at.div_euclid(DAY) * DAY
}

/// The arguments of `name(…)` in `text`, quotes removed.
fn call_args<'a>(text: &'a str, name: &str) -> Option<Vec<&'a str>> {
    let rest = text.strip_prefix(name)?.trim_start().strip_prefix('(')?;
    let inner = rest.trim_end().strip_suffix(')')?;
    Some(
        inner
            .split(',')
            .map(|a| a.trim().trim_matches(|c| c == '\'' || c == '"'))
            .filter(|a| !a.is_empty())
            .collect(),
    )
}

/// Evaluate a query value: a literal, or one of the `javascript:gs.…()` date helpers.
/// `edge` decides what a bare date means. `None` for anything else.
pub(crate) fn evaluate(text: &str, edge: Edge, now: i64) -> Option<i64> {
    let text = text.trim();
    let Some(script) = text.strip_prefix("javascript:") else {
        return parse_literal(text, edge);
    };
    let script = script.trim().trim_end_matches(';');
    let script = script.strip_prefix("gs.").unwrap_or(script);
    let today = start_of_day(now);
    let count = |name: &str| -> Option<i64> {
        let args = call_args(script, name)?;
        args.first().map_or(Some(0), |a| number::<i64>(a))
    };
    if let Some(args) = call_args(script, "dateGenerate") {
        let first = args.first()?;
        // One argument with both parts, as pysnow writes it: dateGenerate("Y-M-D H:M:S").
        if first.contains(' ') {
            return parse_literal(first, edge);
        }
        let day = date(first)?;
        let time = match args.get(1).copied().unwrap_or("start") {
            "start" => Time::MIDNIGHT,
            "end" => Time::from_hms(23, 59, 59).ok()?,
            other => clock(other)?,
        };
        return Some(seconds(day, time));
    }
    let helpers: [(&str, Helper); 12] = [
        ("daysAgoStart", |today, _, n| today - n * DAY),
        ("daysAgoEnd", |today, _, n| today - n * DAY + DAY - 1),
        ("daysAgo", |_, now, n| now - n * DAY),
        ("hoursAgoStart", |_, now, n| {
            (now - n * 3600).div_euclid(3600) * 3600
        }),
        ("hoursAgoEnd", |_, now, n| {
            (now - n * 3600).div_euclid(3600) * 3600 + 3599
        }),
        ("hoursAgo", |_, now, n| now - n * 3600),
        ("minutesAgo", |_, now, n| now - n * 60),
        ("beginningOfToday", |today, _, _| today),
        ("endOfToday", |today, _, _| today + DAY - 1),
        ("beginningOfYesterday", |today, _, _| today - DAY),
        ("endOfYesterday", |today, _, _| today - 1),
        ("nowDateTime", |_, now, _| now),
    ];
    for (name, f) in helpers {
        if let Some(n) = count(name) {
            return Some(f(today, now, n));
        }
    }
    count("now").map(|_| now)
}

/// The moment a relative condition (`@hour@ago@1`) points at.
pub(crate) fn relative(value: &str, now: i64) -> Option<i64> {
    let mut parts = value.trim_start_matches('@').split('@');
    let unit = match parts.next()? {
        "second" => 1,
        "minute" => 60,
        "hour" => 3600,
        "day" => DAY,
        "week" => 7 * DAY,
        "month" => 30 * DAY,
        "quarter" => 91 * DAY,
        "year" => 365 * DAY,
        _ => return None,
    };
    let sign = match parts.next()? {
        "ago" => -1,
        "ahead" => 1,
        _ => return None,
    };
    let n: i64 = number(parts.next()?)?;
    Some(now + sign * n.saturating_mul(unit))
}

/// Seconds since 1970 now.
pub(crate) fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOON_2024_03_10: i64 = 1_710_072_000;

    #[test]
    fn literals() {
        assert_eq!(
            parse_literal("2024-03-10 12:00:00", Edge::Start),
            Some(NOON_2024_03_10)
        );
        assert_eq!(
            parse_literal("2024-03-10", Edge::Start),
            Some(NOON_2024_03_10 - 12 * 3600)
        );
        assert_eq!(
            parse_literal("2024-03-10", Edge::End),
            Some(NOON_2024_03_10 + 12 * 3600 - 1)
        );
        assert_eq!(parse_literal("2024-02-30", Edge::Start), None);
        assert_eq!(parse_literal("soon", Edge::Start), None);
    }

    #[test]
    fn script_helpers() {
        let now = NOON_2024_03_10;
        let midnight = now - 12 * 3600;
        assert_eq!(
            evaluate(
                "javascript:gs.dateGenerate('2024-03-10','12:00:00')",
                Edge::Start,
                now
            ),
            Some(now)
        );
        assert_eq!(
            evaluate(
                "javascript:gs.dateGenerate('2024-03-10','end')",
                Edge::Start,
                now
            ),
            Some(midnight + DAY - 1)
        );
        assert_eq!(
            evaluate(
                "javascript:gs.dateGenerate(\"2024-03-10 12:00:00\")",
                Edge::End,
                now
            ),
            Some(now)
        );
        assert_eq!(
            evaluate("javascript:gs.daysAgoStart(1)", Edge::Start, now),
            Some(midnight - DAY)
        );
        assert_eq!(
            evaluate("javascript:gs.daysAgoEnd(0)", Edge::Start, now),
            Some(midnight + DAY - 1)
        );
        assert_eq!(
            evaluate("javascript:gs.beginningOfToday()", Edge::Start, now),
            Some(midnight)
        );
        assert_eq!(evaluate("javascript:alert(1)", Edge::Start, now), None);
    }

    #[test]
    fn relative_moments() {
        let now = NOON_2024_03_10;
        assert_eq!(relative("@hour@ago@1", now), Some(now - 3600));
        assert_eq!(relative("@day@ahead@2", now), Some(now + 2 * DAY));
        assert_eq!(relative("@fortnight@ago@1", now), None);
    }
}
