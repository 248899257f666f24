//! Two floor timelines compared at every grid minute, outside the spans not judged.

use chrono::{DateTime, Duration, Utc};

use super::{NotJudged, Piece, Span};

/// The outcome of comparing two floor timelines minute by minute.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Grid minutes compared (judged).
    pub compared: i64,
    /// Grid minutes excluded as not judged, per reason.
    pub excluded: Vec<(NotJudged, i64)>,
    /// Judged grid minutes on which the floors differ.
    pub differing: i64,
    /// The first judged minute that differs: `(instant, expected, actual)`.
    pub first_difference: Option<(DateTime<Utc>, u32, u32)>,
}

impl Comparison {
    /// Total excluded minutes.
    pub fn excluded_total(&self) -> i64 {
        self.excluded.iter().map(|(_, n)| n).sum()
    }
}

/// Compares `expected` and `actual` (contiguous pieces over `[from, to)`) at every grid
/// minute `from + k·1min`, skipping minutes inside `excluded` spans. Works on the
/// pieces' boundaries, not minute by minute.
pub fn compare(
    expected: &[Piece],
    actual: &[Piece],
    excluded: &[Span],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Comparison {
    let mut cuts: Vec<DateTime<Utc>> = vec![from, to];
    for p in expected.iter().chain(actual) {
        cuts.push(p.0);
        cuts.push(p.1);
    }
    for s in excluded {
        cuts.push(s.start);
        cuts.push(s.end);
    }
    cuts.retain(|t| *t >= from && *t <= to);
    cuts.sort();
    cuts.dedup();
    let grid = |t: DateTime<Utc>| -> i64 { ((t - from).num_seconds() + 59).div_euclid(60) };
    let floor_in = |ps: &[Piece], t: DateTime<Utc>| -> Option<u32> {
        let i = ps.partition_point(|p| p.1 <= t);
        ps.get(i).filter(|p| p.0 <= t).map(|p| p.2)
    };
    let mut cmp = Comparison::default();
    let mut per_reason: std::collections::BTreeMap<NotJudged, i64> = Default::default();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let n = grid(b) - grid(a);
        if n <= 0 {
            continue;
        }
        if let Some(s) = excluded.iter().find(|s| s.start <= a && b <= s.end) {
            *per_reason.entry(s.reason).or_insert(0) += n;
            continue;
        }
        cmp.compared += n;
        let (x, y) = (floor_in(expected, a), floor_in(actual, a));
        if x != y {
            cmp.differing += n;
            if cmp.first_difference.is_none() {
                let first_minute = from + Duration::minutes(grid(a));
                cmp.first_difference = Some((first_minute, x.unwrap_or(0), y.unwrap_or(0)));
            }
        }
    }
    cmp.excluded = per_reason.into_iter().collect();
    cmp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn compare_counts_grid_minutes() {
        let (a, b, c) = (
            utc("2026-01-01T00:00:00Z"),
            utc("2026-01-01T01:00:00Z"),
            utc("2026-01-01T02:00:00Z"),
        );
        let x = vec![(a, c, 1)];
        let y = vec![(a, b, 1), (b, c, 2)];
        let r = compare(&x, &y, &[], a, c);
        assert_eq!((r.compared, r.differing), (120, 60));
        assert_eq!(r.first_difference, Some((b, 1, 2)));
        let ex = [Span {
            start: b,
            end: c,
            reason: NotJudged::DstEdge,
        }];
        let r = compare(&x, &y, &ex, a, c);
        assert_eq!((r.compared, r.differing, r.excluded_total()), (60, 0, 60));
    }
}
