//! The Go `time` operations robfig's `Next` uses, on Unix seconds: wall-clock fields,
//! `time.Date` with Go's gap and overlap resolution, `AddDate`, and a zone with an
//! optional table of its offset changes.

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// Wall-clock fields of an instant in a zone, as Go's `Time` accessors return them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Wall {
    pub(super) year: i64,
    pub(super) month: u32,
    pub(super) day: u32,
    pub(super) hour: u32,
    pub(super) minute: u32,
    pub(super) second: u32,
    /// 0 = Sunday, as Go's `Weekday()`.
    pub(super) weekday: u32,
}

/// A time zone, optionally with its UTC-offset changes over a range precomputed so
/// that offset lookups are a short binary search and `Next` can tell when a stretch
/// of time has no offset change (then hours and minutes can be skipped in one step
/// with the same result as robfig's one-by-one loop).
#[derive(Debug, Clone)]
pub struct Zone {
    tz: Tz,
    /// The table covers `[lo, hi)`; outside it chrono-tz is asked directly.
    lo: i64,
    hi: i64,
    /// Offset-change instants in `(lo, hi)`, ascending.
    changes: Vec<i64>,
    /// `offsets[i]` holds from `changes[i-1]` (or `lo`) to `changes[i]` (or `hi`).
    offsets: Vec<i64>,
}

impl Zone {
    /// `tz` without a table: every lookup asks chrono-tz, no skipping.
    pub fn new(tz: Tz) -> Zone {
        Zone {
            tz,
            lo: 0,
            hi: 0,
            changes: Vec::new(),
            offsets: Vec::new(),
        }
    }

    /// `tz` with a table of its offset changes in `[lo, hi)`, found by sampling every
    /// 6 hours and bisecting to the second (tzdata never changes an offset and back
    /// within 6 hours).
    pub fn with_range(tz: Tz, lo: i64, hi: i64) -> Zone {
        const SAMPLE: i64 = 6 * 3600;
        let mut zone = Zone::new(tz);
        if hi <= lo {
            return zone;
        }
        let mut prev_t = lo;
        let mut prev = zone.offset_at(lo);
        zone.offsets.push(prev);
        while prev_t < hi - 1 {
            let t = (prev_t + SAMPLE).min(hi - 1);
            let off = zone.offset_at(t);
            if off != prev {
                let (mut a, mut b) = (prev_t, t);
                while b - a > 1 {
                    let m = a + (b - a) / 2;
                    if zone.offset_at(m) == prev {
                        a = m;
                    } else {
                        b = m;
                    }
                }
                zone.changes.push(b);
                zone.offsets.push(off);
                prev = off;
            }
            prev_t = t;
        }
        zone.lo = lo;
        zone.hi = hi;
        zone
    }

    /// The IANA zone.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The offset-change instants inside the table's range.
    pub fn changes(&self) -> &[i64] {
        &self.changes
    }

    /// UTC offset in seconds at instant `unix` (Go's `loc.lookup(unix).offset`).
    pub fn offset_at(&self, unix: i64) -> i64 {
        if self.lo <= unix && unix < self.hi {
            return self.offsets[self.changes.partition_point(|&c| c <= unix)];
        }
        match DateTime::from_timestamp(unix, 0) {
            Some(dt) => i64::from(
                self.tz
                    .offset_from_utc_datetime(&dt.naive_utc())
                    .fix()
                    .local_minus_utc(),
            ),
            None => 0,
        }
    }

    /// Whether the offset is known to be the same at every instant of `[t, t + span]`.
    pub(super) fn constant_over(&self, t: i64, span: i64) -> bool {
        if t < self.lo || t + span >= self.hi {
            return false;
        }
        let i = self.changes.partition_point(|&c| c <= t);
        self.changes.get(i).is_none_or(|&c| c > t + span)
    }
}

/// The Go `time` operations robfig's `Next` uses, in one zone.
#[derive(Debug, Clone, Copy)]
pub struct GoClock<'a> {
    zone: &'a Zone,
}

impl<'a> GoClock<'a> {
    /// A clock in `zone`.
    pub fn new(zone: &'a Zone) -> GoClock<'a> {
        GoClock { zone }
    }

    /// UTC offset in seconds at instant `unix`.
    pub fn offset_at(&self, unix: i64) -> i64 {
        self.zone.offset_at(unix)
    }

    pub(super) fn wall(&self, unix: i64) -> Wall {
        let local = unix + self.offset_at(unix);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Wall {
            year,
            month,
            day,
            hour: (secs / 3600) as u32,
            minute: (secs / 60 % 60) as u32,
            second: (secs % 60) as u32,
            // 1970-01-01 was a Thursday (4).
            weekday: (days + 4).rem_euclid(7) as u32,
        }
    }

    /// Go's `time.Date(year, month, day, hour, min, sec, 0, loc)`: out-of-range
    /// values are normalised (month 13 = January of the next year, day 32 = …), and
    /// a wall time in a DST gap or overlap is resolved the way Go does it: look up
    /// the offset at the wall time read as UTC; if the instant it gives lies outside
    /// that offset's period, use the offset at that instant instead.
    pub fn date(&self, year: i64, month: i64, day: i64, hour: i64, min: i64, sec: i64) -> i64 {
        let m0 = month - 1;
        let year = year + m0.div_euclid(12);
        let month = m0.rem_euclid(12) + 1;
        let min = min + sec.div_euclid(60);
        let sec = sec.rem_euclid(60);
        let hour = hour + min.div_euclid(60);
        let min = min.rem_euclid(60);
        let day = day + hour.div_euclid(24);
        let hour = hour.rem_euclid(24);
        let days = days_from_civil(year, month as u32, 1) + day - 1;
        let unix = days * 86_400 + hour * 3600 + min * 60 + sec;
        // Same period ⇒ same offset; another period ⇒ that period's offset. Periods
        // with equal offsets give equal results, so comparing offsets is enough.
        let guess = self.offset_at(unix);
        if guess == 0 {
            return unix;
        }
        unix - self.offset_at(unix - guess)
    }

    /// Go's `t.AddDate(years, months, days)`: wall-clock date arithmetic via `date`.
    pub(super) fn add_date(&self, t: i64, years: i64, months: i64, days: i64) -> i64 {
        let w = self.wall(t);
        self.date(
            w.year + years,
            i64::from(w.month) + months,
            i64::from(w.day) + days,
            i64::from(w.hour),
            i64::from(w.minute),
            i64::from(w.second),
        )
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1–12, day ≥ 1).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Years start in March so the leap day is the last day of the "year".
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = i64::from((month + 9) % 12);
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
