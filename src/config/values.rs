//! The value formats of the input files: dates, hours, weekdays, durations, Kubernetes
//! quantities, versions and the name patterns of SPEC §2. Each parser says what is wrong
//! in words; validation adds where.

use crate::config::model::{Hours, KedaVersion, MonthDay, PromDuration, Weekdays};
use crate::diag::{did_you_mean, Closeness};
use chrono::{Datelike, NaiveDate};

/// A date as written: `MM-DD` or `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateText {
    /// `MM-DD`.
    Recurring(MonthDay),
    /// `YYYY-MM-DD`.
    Dated(NaiveDate),
}

/// Why a value does not parse: what is wrong, and how to write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// What is wrong, one line.
    pub message: String,
    /// How to write the value.
    pub help: &'static str,
}

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ValueError {}

fn value_error(message: impl Into<String>, help: &'static str) -> ValueError {
    ValueError {
        message: message.into(),
        help,
    }
}

const DATE_HELP: &str =
    "use `MM-DD` (e.g. `09-01`) for seasons and recurring blackouts, `YYYY-MM-DD` for campaigns";

fn two_digits(s: &str) -> Option<u32> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Parses `MM-DD` (never `02-29`) or `YYYY-MM-DD`.
pub fn parse_date_text(s: &str) -> Result<DateText, ValueError> {
    let bad = |message: String| value_error(message, DATE_HELP);
    let parts: Vec<&str> = s.split('-').collect();
    match parts.as_slice() {
        [m, d] => {
            let (Some(m), Some(d)) = (two_digits(m), two_digits(d)) else {
                return Err(bad("expected `MM-DD` with two-digit month and day".into()));
            };
            if m == 2 && d == 29 {
                return Err(value_error(
                    "`02-29` is not allowed in a recurring range",
                    "recurring ranges cannot name Feb 29; a range that contains the end of February includes Feb 29 in leap years",
                ));
            }
            if !(1..=12).contains(&m) || d < 1 || d > days_in_month(2025, m) {
                return Err(bad(format!("month {m:02} has no day {d:02}")));
            }
            Ok(DateText::Recurring(MonthDay { month: m, day: d }))
        }
        [y, m, d] => {
            let year_ok = y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit());
            let (true, Some(mm), Some(dd)) = (year_ok, two_digits(m), two_digits(d)) else {
                return Err(bad("expected `YYYY-MM-DD`".into()));
            };
            let year: i32 = y.parse().map_err(|_| bad("bad year".into()))?;
            if year < 1970 {
                return Err(bad("years before 1970 are not supported".into()));
            }
            NaiveDate::from_ymd_opt(year, mm, dd)
                .map(DateText::Dated)
                .ok_or_else(|| bad(format!("{y}-{m} has no day {d}")))
        }
        _ => Err(bad("expected `MM-DD` or `YYYY-MM-DD`".into())),
    }
}

/// Days in `month` of `year`.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .map_or(31, |d| d.day())
}

fn hhmm(s: &str) -> Option<(u32, u32)> {
    let (h, m) = s.split_once(':')?;
    Some((two_digits(h)?, two_digits(m)?))
}

/// Parses `HH:MM-HH:MM`; `24:00` only as an end; start = end is an error.
pub fn parse_hours(s: &str) -> Result<Hours, ValueError> {
    let bad = |message: String| {
        value_error(
            message,
            "use `HH:MM-HH:MM` with hours 00-23 and minutes 00-59, e.g. `08:00-20:00`; `00:00-24:00` is whole days",
        )
    };
    let Some((a, b)) = s.split_once('-') else {
        return Err(bad("expected `HH:MM-HH:MM`".into()));
    };
    let (Some((ah, am)), Some((bh, bm))) = (hhmm(a), hhmm(b)) else {
        return Err(bad("expected two-digit `HH:MM` on both sides".into()));
    };
    if ah > 23 || am > 59 {
        return Err(bad(format!("start `{a}` is not a time of day")));
    }
    if bm > 59 || bh > 24 || (bh == 24 && bm != 0) {
        return Err(bad(format!(
            "end `{b}` is not a time of day (24:00 is the only time after 23:59)"
        )));
    }
    let (start, end) = (ah * 60 + am, bh * 60 + bm);
    if start == end {
        return Err(value_error(
            "start and end are equal",
            "use `00:00-24:00` for whole days; an empty window does nothing",
        ));
    }
    Ok(Hours {
        start_minute: start,
        end_minute: end,
    })
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Parses a weekday filter: names, wrapping ranges and commas; no empty or duplicate days.
pub fn parse_weekdays(s: &str) -> Result<Weekdays, ValueError> {
    let bad = |message: String| {
        value_error(
            message,
            "use lower-case three-letter names, ranges and commas: `mon-fri`, `sat,sun`, `fri-mon`",
        )
    };
    let day = |n: &str| {
        DAY_NAMES.iter().position(|d| *d == n).ok_or_else(|| {
            bad(
                match did_you_mean(&n.to_ascii_lowercase(), DAY_NAMES, Closeness::Spelling) {
                    Some(sug) => format!("unknown day `{n}` (did you mean `{sug}`?)"),
                    None => format!("unknown day `{n}`"),
                },
            )
        })
    };
    let mut bits = 0u8;
    for part in s.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err(bad("empty day name".into()));
        }
        let days: Vec<usize> = match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a.trim())?, day(b.trim())?);
                let len = (b + 7 - a) % 7 + 1;
                (0..len).map(|i| (a + i) % 7).collect()
            }
            None => vec![day(part)?],
        };
        for d in days {
            if bits & (1 << d) != 0 {
                return Err(bad(format!("`{}` is named more than once", DAY_NAMES[d])));
            }
            bits |= 1 << d;
        }
    }
    Ok(Weekdays(bits))
}

/// Parses a Prometheus duration (`30s`, `5m`, `1h30m`, `1d`, `2w`, `1y`): units in
/// descending order, each at most once, integers only.
pub fn parse_duration(s: &str) -> Option<PromDuration> {
    const UNITS: [(&str, u64); 6] = [
        ("y", 31_536_000),
        ("w", 604_800),
        ("d", 86_400),
        ("h", 3_600),
        ("m", 60),
        ("s", 1),
    ];
    if s.is_empty() {
        return None;
    }
    let mut rest = s;
    let mut next_unit = 0;
    let mut seconds: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (i, (unit, size)) = UNITS
            .iter()
            .enumerate()
            .skip(next_unit)
            .find(|(_, (u, _))| rest.starts_with(u) && !rest.starts_with("ms"))?;
        rest = &rest[unit.len()..];
        next_unit = i + 1;
        seconds = seconds.checked_add(n.checked_mul(*size)?)?;
    }
    Some(PromDuration { seconds })
}

/// The value of a Kubernetes quantity (`250m`, `1`, `512Mi`, `1e3`), or `None` if malformed.
pub fn quantity_value(s: &str) -> Option<f64> {
    let num_len = s
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (num, suffix) = s.split_at(num_len);
    if num.is_empty() || num == "." || num.matches('.').count() > 1 {
        return None;
    }
    let base: f64 = num.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        e if e.starts_with(['e', 'E']) => {
            let exp = &e[1..];
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 3
            {
                return None;
            }
            10f64.powi(exp.parse().ok()?)
        }
        _ => return None,
    };
    Some(base * factor)
}

/// Parses a `MAJOR.MINOR` KEDA version.
pub fn parse_keda_version(s: &str) -> Option<KedaVersion> {
    let (a, b) = s.split_once('.')?;
    let num = |x: &str| {
        (!x.is_empty() && x.len() <= 6 && x.bytes().all(|c| c.is_ascii_digit()))
            .then(|| x.parse().ok())
            .flatten()
    };
    Some(KedaVersion {
        major: num(a)?,
        minor: num(b)?,
    })
}

/// A DNS-1123 label: lower-case letters, digits and `-`, at most 63 characters, no `-` at either end.
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A DNS-1035 label: a DNS-1123 label starting with a letter.
pub fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.as_bytes()[0].is_ascii_lowercase()
}

/// `^[a-z][a-z0-9]*$`.
pub fn is_workload_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_lowercase())
        && b.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// `^[A-Z]{2}$`.
pub fn is_territory_code(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// `^[A-Z0-9]{1,3}$`.
pub fn is_region_code(s: &str) -> bool {
    (1..=3).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// `^[a-z_][a-z0-9_]{0,62}$` (a lower-case SQL identifier that needs no quoting).
pub fn is_channel(s: &str) -> bool {
    let mut b = s.bytes();
    s.len() <= 63
        && b.next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == b'_')
        && b.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// `^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`: at least two dot-separated segments.
pub fn is_event_type(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() >= 2 && parts.iter().all(|p| is_workload_name_with_underscore(p))
}

fn is_workload_name_with_underscore(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_lowercase())
        && b.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// `^[a-z0-9][a-z0-9-]*$`, at most 40 characters.
pub fn is_entry_id(s: &str) -> bool {
    let mut b = s.bytes();
    s.len() <= 40
        && b.next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && b.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
}

/// Control characters and invisible formatting characters (zero-width, bidi) that a display name must not contain.
pub fn is_forbidden_in_name(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}' | '\u{2028}' | '\u{2029}' | '\u{00AD}' | '\u{180E}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules_match_the_spec_patterns() {
        assert!(is_territory_code("UK"));
        assert!(!is_territory_code("de"));
        assert!(!is_territory_code("DEU"));
        assert!(!is_territory_code("D'"));
        assert!(is_channel("_x"));
        assert!(is_channel(&"a".repeat(63)));
        assert!(!is_channel(&"a".repeat(64)));
        assert!(!is_channel("9lives"));
        assert!(!is_channel("Events"));
        assert!(!is_channel(""));
        assert!(!is_channel("a$b"));
        assert!(is_event_type("order_line.item_2.added"));
        assert!(!is_event_type("lead"));
        assert!(!is_event_type("lead."));
        assert!(!is_event_type(".lead.x"));
        assert!(!is_event_type("lead..x"));
        assert!(!is_event_type("lead.2x"));
        assert!(!is_event_type("lead.x'; DROP TABLE t; --"));
    }
}
