//! Local wall time ↔ real time in a territory's zone: the one resolver of local times
//! (DST gaps and folds) and the zone's offset changes.
//!
//! Every local time of the input is local to a territory's zone (SPEC §2.2), so every
//! stage that turns one into an instant comes here: validation's DST-edge warnings, the
//! window generator (`schedule::windows`), the compiler's expiries and robfig facts,
//! `explain --at` and `plan`'s day boundaries. What an ambiguous or missing wall time
//! *means* is the caller's policy (SPEC §2.2: a window boundary counts at its later
//! instant, a window whose start or end does not exist does not open; `explain`: the first
//! occurrence, or the first instant after the gap); this module only says which case it is.
//!
//! `schedule::reference`, the independent floor the proofs compare against, keeps its own
//! copy of this on purpose.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono::{Offset, Timelike};
use chrono_tz::Tz;

/// How a local wall time maps to real time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wall {
    /// Exactly one instant.
    Unique(DateTime<Utc>),
    /// Repeated by a backward offset change: two instants.
    Ambiguous {
        /// The first occurrence.
        earlier: DateTime<Utc>,
        /// The second occurrence.
        later: DateTime<Utc>,
    },
    /// Skipped by a forward offset change.
    Missing,
}

impl Wall {
    /// The instant §2.2 uses for a window boundary: the later one when ambiguous.
    pub fn boundary(self) -> Option<DateTime<Utc>> {
        match self {
            Wall::Unique(t) => Some(t),
            Wall::Ambiguous { later, .. } => Some(later),
            Wall::Missing => None,
        }
    }

    /// The first instant the wall time occurs, if it does.
    pub fn earliest(self) -> Option<DateTime<Utc>> {
        match self {
            Wall::Unique(t) => Some(t),
            Wall::Ambiguous { earlier, .. } => Some(earlier),
            Wall::Missing => None,
        }
    }
}

/// What local wall time `ndt` is in `tz`.
pub fn resolve(tz: Tz, ndt: NaiveDateTime) -> Wall {
    match tz.from_local_datetime(&ndt) {
        LocalResult::Single(t) => Wall::Unique(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
            Wall::Ambiguous {
                earlier: a.min(b),
                later: a.max(b),
            }
        }
        LocalResult::None => Wall::Missing,
    }
}

/// Local wall time `minute` of `date` (0..; 1440 and more run into the following day).
pub fn wall(tz: Tz, date: NaiveDate, minute: u32) -> Wall {
    resolve(tz, at_minute(date, minute))
}

/// `date` at `minute` past its midnight (possibly on a later day).
pub fn at_minute(date: NaiveDate, minute: u32) -> NaiveDateTime {
    date.and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(i64::from(minute))
}

/// The first instant whose local wall time in `tz` is at or after `ndt`: the instant
/// itself, its first occurrence when it repeats, or the end of the gap that skips it.
pub fn first_instant_at_or_after(tz: Tz, ndt: NaiveDateTime) -> DateTime<Utc> {
    match resolve(tz, ndt) {
        Wall::Unique(t) => t,
        Wall::Ambiguous { earlier, .. } => earlier,
        Wall::Missing => end_of_gap(tz, ndt),
    }
}

/// The first instant of local day `day` in `tz`.
pub fn local_midnight(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    first_instant_at_or_after(tz, at_minute(day, 0))
}

/// The instant the gap containing wall time `naive` ends (the offset change itself).
fn end_of_gap(tz: Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = naive;
    for _ in 0..(48 * 60) {
        probe += Duration::minutes(1);
        if let Some(dt) = tz.from_local_datetime(&probe).earliest() {
            // Walk back to the exact transition: the earliest instant still after the gap.
            let mut instant = dt.with_timezone(&Utc);
            while tz
                .from_utc_datetime(&(instant - Duration::seconds(1)).naive_utc())
                .naive_local()
                > naive
            {
                instant -= Duration::seconds(1);
            }
            return instant;
        }
    }
    // No zone has a gap of two days; fall back to reading the time as UTC.
    Utc.from_utc_datetime(&naive)
}

/// A change of a zone's UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetChange {
    /// The instant of the change.
    pub at: DateTime<Utc>,
    /// Offset in seconds before it.
    pub before: i32,
    /// Offset in seconds from it on.
    pub after: i32,
}

impl OffsetChange {
    /// Local wall time just before the change (in the old offset), e.g. 02:00 in spring.
    pub fn wall_before(&self) -> NaiveDateTime {
        self.at.naive_utc() + Duration::seconds(i64::from(self.before))
    }

    /// Local wall time at the change in the new offset, e.g. 03:00 in spring.
    pub fn wall_after(&self) -> NaiveDateTime {
        self.at.naive_utc() + Duration::seconds(i64::from(self.after))
    }

    /// Whether robfig/cron, which walks local hours in steps of one real hour, keeps
    /// its minute phase across this change: the shift is whole hours and happens on
    /// the hour. Otherwise `Next` can skip or misplace firings near it (§2.2).
    pub fn is_hour_aligned(&self) -> bool {
        let shift = (self.after - self.before).abs();
        let b = self.wall_before();
        shift % 3600 == 0 && b.minute() == 0 && b.second() == 0
    }

    /// Whether this is a forward change whose gap swallows a local midnight. robfig's
    /// hour walk then passes from one day into the next without seeing hour 0, so it
    /// does not check the new day against the day fields and can fire on a day the
    /// expression excludes.
    pub fn skips_midnight(&self) -> bool {
        let (b, a) = (self.wall_before(), self.wall_after());
        let midnight = chrono::NaiveTime::MIN;
        a > b && (b.time() == midnight || (b.date() < a.date() && a.time() != midnight))
    }

    /// Whether robfig/cron's `Next` stays regular around this change (hour-aligned and
    /// not skipping midnight): then a firing that exists is always found.
    pub fn is_robfig_regular(&self) -> bool {
        self.is_hour_aligned() && !self.skips_midnight()
    }
}

fn offset_secs(tz: Tz, unix: i64) -> i32 {
    let t = DateTime::<Utc>::from_timestamp(unix, 0).expect("instant in range");
    tz.offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc()
}

/// Every offset change of `tz` in `[from, to)`, found by sampling every `step_hours`
/// hours and bisecting to the second. tzdata never changes an offset and back within
/// a sampling step of 6 hours; coarser steps are for quick "does this ever happen"
/// scans over many years.
pub fn offset_changes(
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step_hours: i64,
) -> Vec<OffsetChange> {
    let step = step_hours.max(1) * 3600;
    let (lo, hi) = (from.timestamp(), to.timestamp());
    let mut out = Vec::new();
    let mut prev_t = lo;
    let mut prev = offset_secs(tz, lo);
    while prev_t < hi {
        let t = (prev_t + step).min(hi);
        let off = offset_secs(tz, t);
        if off != prev {
            // Bisect: offset at a is `prev`, at b differs.
            let (mut a, mut b) = (prev_t, t);
            while b - a > 1 {
                let m = a + (b - a) / 2;
                if offset_secs(tz, m) == prev {
                    a = m;
                } else {
                    b = m;
                }
            }
            out.push(OffsetChange {
                at: DateTime::<Utc>::from_timestamp(b, 0).expect("in range"),
                before: prev,
                after: offset_secs(tz, b),
            });
        }
        prev_t = t;
        prev = off;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ndt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap()
    }

    #[test]
    fn gaps_resolve_to_their_end_and_folds_to_either_occurrence() {
        let tz = Tz::Europe__Berlin;
        assert_eq!(resolve(tz, ndt("2026-03-29T02:30:00")), Wall::Missing);
        assert_eq!(
            first_instant_at_or_after(tz, ndt("2026-03-29T02:30:00")).to_rfc3339(),
            "2026-03-29T01:00:00+00:00"
        );
        let Wall::Ambiguous { earlier, later } = resolve(tz, ndt("2026-10-25T02:30:00")) else {
            panic!("02:30 repeats on 2026-10-25");
        };
        assert_eq!(earlier.to_rfc3339(), "2026-10-25T00:30:00+00:00");
        assert_eq!(later.to_rfc3339(), "2026-10-25T01:30:00+00:00");
        // Minutes past 24:00 run into the next day.
        assert_eq!(
            wall(tz, NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(), 1440 + 60).boundary(),
            Some(
                DateTime::parse_from_rfc3339("2026-06-02T01:00:00+02:00")
                    .unwrap()
                    .into()
            )
        );
        // Seconds of `--at` are kept: the gap still ends at the change.
        assert_eq!(
            first_instant_at_or_after(tz, ndt("2026-03-29T02:10:30")).to_rfc3339(),
            "2026-03-29T01:00:00+00:00"
        );
    }

    #[test]
    fn offset_changes_are_exact() {
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        let changes = offset_changes(Tz::Australia__Lord_Howe, from, to, 6);
        assert_eq!(changes.len(), 2);
        assert!(changes.iter().all(|c| !c.is_hour_aligned()));
        let berlin = offset_changes(Tz::Europe__Berlin, from, to, 24 * 7);
        assert_eq!(berlin[0].at.to_rfc3339(), "2026-03-29T01:00:00+00:00");
        assert!(berlin.iter().all(OffsetChange::is_robfig_regular));
    }
}
