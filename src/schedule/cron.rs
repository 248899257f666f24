//! robfig/cron v3.0.1 as KEDA uses it: the 5-field parser and `SpecSchedule.Next`.
//!
//! KEDA decides whether a cron trigger is active by calling robfig's `Next` on the
//! trigger's start and end expressions (SPEC §4.1). `Next` is not "the smallest
//! firing time after t": it walks months and days in local wall time, hours and
//! minutes in absolute steps, and resolves local times with Go's `time.Date`. On
//! DST days that skips or doubles firings, and with sub-hour shifts
//! (Australia/Lord_Howe) the result even depends on when you ask. `explain` and
//! `plan` must show what the rendered manifests do, so this module replays the
//! algorithm step by step — same field order, same `added` flag, same `WRAP`
//! restarts, same DST fix-ups, same five-year limit — on top of a small model of
//! the Go `time` operations it uses ([`GoClock`]). The differential tests against
//! `shared/tools/cron-oracle` (the real library) keep it honest.
//!
//! Instants are Unix seconds. Sub-second precision never matters: `Next` first
//! moves to the next whole second.

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// Go's zero `time.Time` (0001-01-01T00:00:00Z) in Unix seconds: what `Next` returns
/// when nothing fires within five years. It compares before every real instant.
pub const GO_ZERO_UNIX: i64 = -62_135_596_800;

/// Top bit of a field: the field was written `*` or `?` (robfig's `starBit`).
const STAR_BIT: u64 = 1 << 63;

/// The bounds (and names) of one cron field.
struct Bounds {
    min: u64,
    max: u64,
    names: &'static [(&'static str, u64)],
}

const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
// Sunday is 0 only: robfig rejects 7.
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

/// Which zone a schedule's `Next` works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// No `TZ=`/`CRON_TZ=` prefix (or `TZ=Local`): the zone of the time passed to
    /// `Next`, i.e. the trigger's `timezone`.
    Trigger,
    /// A `TZ=Zone ` / `CRON_TZ=Zone ` prefix, which overrides the trigger's zone.
    Zone(Tz),
}

/// A parsed 5-field cron expression (robfig's `SpecSchedule` with seconds fixed at 0).
///
/// Each field is a bit set (bit n = value n) plus bit 63 (robfig's `starBit`) when written `*`/`?`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Minutes 0–59.
    pub minute: u64,
    /// Hours 0–23.
    pub hour: u64,
    /// Days of the month 1–31.
    pub dom: u64,
    /// Months 1–12.
    pub month: u64,
    /// Days of the week 0–6 (Sunday = 0).
    pub dow: u64,
    /// Zone override from a `TZ=` prefix.
    pub location: Location,
}

/// Why robfig's parser rejects an expression (its message, lightly reworded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

fn err<T>(msg: String) -> Result<T, ParseError> {
    Err(ParseError(msg))
}

/// Parses `spec` as `cron.NewParser(Minute | Hour | Dom | Month | Dow)` does
/// (KEDA trims trigger metadata first; this function does not).
///
/// Accepted: `*`, `?`, numbers, ranges `a-b`, steps `*/n`, `a-b/n`, `a/n` (= `a-max/n`),
/// comma lists (empty list items are dropped, as Go's `FieldsFunc` does), month and
/// weekday names (case-insensitive), and a `TZ=Zone `/`CRON_TZ=Zone ` prefix.
/// Rejected as robfig rejects them: descriptors (`@daily`), 6 fields, weekday `7`,
/// `L`/`W`/`#`, out-of-range values, step 0. `CRON_TZ=UTC` with nothing after it
/// (which makes robfig panic) is an error here.
pub fn parse(spec: &str) -> Result<Schedule, ParseError> {
    if spec.is_empty() {
        return err("empty spec string".into());
    }
    let mut spec = spec;
    let mut location = Location::Trigger;
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        let Some(space) = spec.find(' ') else {
            return err(format!(
                "`{spec}`: a TZ= prefix needs a space and a schedule after it (robfig/cron panics here)"
            ));
        };
        let eq = spec.find('=').unwrap_or(0);
        let name = &spec[eq + 1..space];
        location = match name {
            "" | "UTC" => Location::Zone(Tz::UTC),
            // LoadLocation("Local") returns time.Local, which Next treats as "no override".
            "Local" => Location::Trigger,
            _ => match name.parse::<Tz>() {
                Ok(tz) => Location::Zone(tz),
                Err(_) => return err(format!("provided bad location {name}: unknown time zone")),
            },
        };
        spec = spec[space..].trim();
    }
    if spec.starts_with('@') {
        return err(format!("parser does not accept descriptors: {spec}"));
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return err(format!(
            "expected exactly 5 fields, found {}: [{}]",
            fields.len(),
            fields.join(" ")
        ));
    }
    Ok(Schedule {
        minute: field(fields[0], &MINUTES)?,
        hour: field(fields[1], &HOURS)?,
        dom: field(fields[2], &DOM)?,
        month: field(fields[3], &MONTHS)?,
        dow: field(fields[4], &DOW)?,
        location,
    })
}

/// A comma-separated list of ranges (robfig's `getField`).
fn field(text: &str, bounds: &Bounds) -> Result<u64, ParseError> {
    let mut bits = 0;
    for expr in text.split(',').filter(|e| !e.is_empty()) {
        bits |= range(expr, bounds)?;
    }
    Ok(bits)
}

/// `number | number "-" number [ "/" number ]`, `*` or `?` (robfig's `getRange`).
fn range(expr: &str, bounds: &Bounds) -> Result<u64, ParseError> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;
    let (start, mut end, mut extra);
    if low_and_high[0] == "*" || low_and_high[0] == "?" {
        // robfig ignores anything after `*-`.
        start = bounds.min;
        end = bounds.max;
        extra = STAR_BIT;
    } else {
        start = int_or_name(low_and_high[0], bounds.names)?;
        end = match low_and_high.len() {
            1 => start,
            2 => int_or_name(low_and_high[1], bounds.names)?,
            _ => return err(format!("too many hyphens: {expr}")),
        };
        extra = 0;
    }
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = int(range_and_step[1])?;
            // `N/step` means `N-max/step`.
            if single {
                end = bounds.max;
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
        _ => return err(format!("too many slashes: {expr}")),
    };
    if start < bounds.min {
        return err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            bounds.min
        ));
    }
    if end > bounds.max {
        return err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            bounds.max
        ));
    }
    if start > end {
        return err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return err(format!("step of range should be a positive number: {expr}"));
    }
    let mut bits = 0u64;
    let mut i = start;
    while i <= end {
        bits |= 1 << i;
        i = i.saturating_add(step);
    }
    Ok(bits | extra)
}

fn int_or_name(expr: &str, names: &[(&str, u64)]) -> Result<u64, ParseError> {
    let lower = expr.to_lowercase();
    if let Some(&(_, v)) = names.iter().find(|(n, _)| *n == lower) {
        return Ok(v);
    }
    int(expr)
}

/// Go's `strconv.Atoi` (optional sign, decimal digits, fits i64), then "not negative".
fn int(expr: &str) -> Result<u64, ParseError> {
    let num: i64 = match expr.parse() {
        Ok(n) => n,
        Err(_) => return err(format!("failed to parse int from {expr}")),
    };
    if num < 0 {
        return err(format!("negative number ({num}) not allowed: {expr}"));
    }
    Ok(num as u64)
}

/// Wall-clock fields of an instant in a zone, as Go's `Time` accessors return them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wall {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// 0 = Sunday, as Go's `Weekday()`.
    weekday: u32,
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
    fn constant_over(&self, t: i64, span: i64) -> bool {
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

    fn wall(&self, unix: i64) -> Wall {
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
    fn add_date(&self, t: i64, years: i64, months: i64, days: i64) -> i64 {
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
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
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
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
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

/// The memo of [`Schedule::next_memo`]; start with `NextMemo::default()` per schedule.
#[derive(Debug, Clone, Copy, Default)]
pub struct NextMemo {
    key: Option<(u8, i64)>,
    value: Option<i64>,
}

/// Steps of one unit from `current` to the next value above it whose bit is set in
/// `bits`, or to `units` (the wrap to 0) when there is none.
fn steps_to(bits: u64, current: u32, units: u32) -> i64 {
    let next = (current + 1..units)
        .find(|v| (1u64 << v) & bits != 0)
        .unwrap_or(units);
    i64::from(next - current)
}

impl Schedule {
    /// The zone `Next` works in when the trigger's zone is `trigger_zone`.
    pub fn zone(&self, trigger_zone: Tz) -> Tz {
        match self.location {
            Location::Trigger => trigger_zone,
            Location::Zone(tz) => tz,
        }
    }

    /// robfig's `dayMatches`: day-of-month AND day-of-week when either field was
    /// written with a star (`*`, `?`, `*/1`), otherwise OR.
    fn day_matches(&self, w: &Wall) -> bool {
        let dom_match = (1u64 << w.day) & self.dom != 0;
        let dow_match = (1u64 << w.weekday) & self.dow != 0;
        if self.dom & STAR_BIT != 0 || self.dow & STAR_BIT != 0 {
            dom_match && dow_match
        } else {
            dom_match || dow_match
        }
    }

    /// Whether no instant can ever match (an empty field, e.g. `,`), in which case
    /// robfig searches five years and returns the zero time; answered directly.
    fn never_matches(&self) -> bool {
        let real = |bits: u64| bits & !STAR_BIT;
        real(self.minute) == 0
            || real(self.hour) == 0
            || real(self.month) == 0
            || (real(self.dom) == 0 && real(self.dow) == 0)
            || ((self.dom & STAR_BIT != 0 || self.dow & STAR_BIT != 0)
                && (real(self.dom) == 0 || real(self.dow) == 0))
    }

    /// robfig's `SpecSchedule.Next` for a time given in `trigger_zone`, with `t` in
    /// Unix seconds (any sub-second part already dropped). `None` is Go's zero time.
    /// Builds no offset table; for many calls use [`Schedule::next_in`].
    pub fn next_unix(&self, t: i64, trigger_zone: Tz) -> Option<i64> {
        self.next_in(t, &Zone::new(self.zone(trigger_zone)))
    }

    /// robfig's `SpecSchedule.Next` at `t` (Unix seconds) in `zone`, which must be
    /// [`Schedule::zone`] of the trigger's zone. `None` is Go's zero time.
    ///
    /// The loops are robfig's, in its order, with its `added` flag and `WRAP`
    /// restarts. The hour and minute loops step in absolute hours and minutes; where
    /// `zone` knows the offset stays the same over the steps, the wall clock advances
    /// one hour (minute) per step, so the steps are taken at once with the same result.
    pub fn next_in(&self, t: i64, zone: &Zone) -> Option<i64> {
        if self.never_matches() {
            return None;
        }
        let clock = GoClock::new(zone);
        // Start at the earliest possible time (the upcoming second).
        let mut t = t + 1;
        let mut added = false;
        let year_limit = clock.wall(t).year + 5;
        'wrap: loop {
            if clock.wall(t).year > year_limit {
                return None;
            }
            // Month.
            loop {
                let w = clock.wall(t);
                if (1u64 << w.month) & self.month != 0 {
                    break;
                }
                if !added {
                    added = true;
                    t = clock.date(w.year, i64::from(w.month), 1, 0, 0, 0);
                }
                t = clock.add_date(t, 0, 1, 0);
                if clock.wall(t).month == 1 {
                    continue 'wrap;
                }
            }
            // Day (wall-clock days; fix up midnights moved by DST).
            loop {
                let w = clock.wall(t);
                if self.day_matches(&w) {
                    break;
                }
                if !added {
                    added = true;
                    t = clock.date(w.year, i64::from(w.month), i64::from(w.day), 0, 0, 0);
                }
                t = clock.add_date(t, 0, 0, 1);
                let hour = i64::from(clock.wall(t).hour);
                if hour != 0 {
                    if hour > 12 {
                        t += (24 - hour) * 3600;
                    } else {
                        t -= hour * 3600;
                    }
                }
                if clock.wall(t).day == 1 {
                    continue 'wrap;
                }
            }
            // Hour (absolute one-hour steps).
            let w = clock.wall(t);
            if (1u64 << w.hour) & self.hour == 0 {
                if !added {
                    added = true;
                    t = clock.date(
                        w.year,
                        i64::from(w.month),
                        i64::from(w.day),
                        i64::from(w.hour),
                        0,
                        0,
                    );
                }
                let hour = clock.wall(t).hour;
                let steps = steps_to(self.hour, hour, 24);
                if zone.constant_over(t, steps * 3600) {
                    t += steps * 3600;
                    if i64::from(hour) + steps == 24 {
                        continue 'wrap;
                    }
                } else {
                    loop {
                        t += 3600;
                        let hour = clock.wall(t).hour;
                        if hour == 0 {
                            continue 'wrap;
                        }
                        if (1u64 << hour) & self.hour != 0 {
                            break;
                        }
                    }
                }
            }
            // Minute (absolute one-minute steps; Truncate works on absolute time).
            let w = clock.wall(t);
            if (1u64 << w.minute) & self.minute == 0 {
                if !added {
                    added = true;
                    t -= t.rem_euclid(60);
                }
                let minute = clock.wall(t).minute;
                let steps = steps_to(self.minute, minute, 60);
                if zone.constant_over(t, steps * 60) {
                    t += steps * 60;
                    if i64::from(minute) + steps == 60 {
                        continue 'wrap;
                    }
                } else {
                    loop {
                        t += 60;
                        let minute = clock.wall(t).minute;
                        if minute == 0 {
                            continue 'wrap;
                        }
                        if (1u64 << minute) & self.minute != 0 {
                            break;
                        }
                    }
                }
            }
            // Second: the parser fixes it at 0.
            loop {
                let w = clock.wall(t);
                if w.second == 0 {
                    break;
                }
                added = true;
                t += 1;
                if clock.wall(t).second == 0 {
                    continue 'wrap;
                }
            }
            return Some(t);
        }
    }

    /// [`Schedule::next_in`] with a one-entry memo, for evaluating many nearby instants.
    ///
    /// The first loop of `Next` that does not match truncates `t` (to the month, day,
    /// hour or minute) and from then on depends only on that truncated value, so
    /// instants with the same failing loop and the same truncated value have the same
    /// `Next`. The memo remembers the last such (loop, value) pair and its result.
    pub fn next_memo(&self, t: i64, zone: &Zone, memo: &mut NextMemo) -> Option<i64> {
        let clock = GoClock::new(zone);
        let u = t + 1;
        let w = clock.wall(u);
        let (y, mo, d, h) = (
            w.year,
            i64::from(w.month),
            i64::from(w.day),
            i64::from(w.hour),
        );
        let key = if (1u64 << w.month) & self.month == 0 {
            (0, clock.date(y, mo, 1, 0, 0, 0))
        } else if !self.day_matches(&w) {
            (1, clock.date(y, mo, d, 0, 0, 0))
        } else if (1u64 << w.hour) & self.hour == 0 {
            (2, clock.date(y, mo, d, h, 0, 0))
        } else if (1u64 << w.minute) & self.minute == 0 {
            (3, u - u.rem_euclid(60))
        } else {
            (4, u)
        };
        if memo.key == Some(key) {
            return memo.value;
        }
        let value = self.next_in(t, zone);
        *memo = NextMemo {
            key: Some(key),
            value,
        };
        value
    }

    /// robfig's `Next` for an instant; `None` is Go's zero time ("nothing within five
    /// years").
    pub fn next(&self, t: DateTime<Utc>, trigger_zone: Tz) -> Option<DateTime<Utc>> {
        self.next_unix(t.timestamp(), trigger_zone)
            .and_then(|u| DateTime::from_timestamp(u, 0))
    }
}

/// KEDA's activation decision (cron scaler since 2.16) at `now` from the two `Next`
/// values (`None` = Go's zero time):
/// `if nextStart < nextEnd { now > nextStart && now < nextEnd } else { now > nextStart || now < nextEnd }`.
/// With real values this is "active iff nextEnd ≤ nextStart"; the zero time makes a
/// start that never fires "always active" (when the end fires) and an end that never
/// fires "never active" (when the start fires).
pub fn keda_active(now: i64, next_start: Option<i64>, next_end: Option<i64>) -> bool {
    let ns = next_start.unwrap_or(GO_ZERO_UNIX);
    let ne = next_end.unwrap_or(GO_ZERO_UNIX);
    if ns < ne {
        now > ns && now < ne
    } else {
        now > ns || now < ne
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate};

    fn utc(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    fn fmt(tz: Tz, u: Option<i64>) -> String {
        match u {
            None => "zero".into(),
            Some(u) => DateTime::from_timestamp(u, 0)
                .unwrap()
                .with_timezone(&tz)
                .format("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
        }
    }

    fn next(spec: &str, tz: &str, at: &str) -> String {
        let tz: Tz = tz.parse().unwrap();
        fmt(tz, parse(spec).unwrap().next_unix(utc(at), tz))
    }

    #[test]
    fn civil_round_trips_against_chrono() {
        for days in (-800_000..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            let date = NaiveDate::from_ymd_opt(y as i32, m, d).unwrap();
            assert_eq!(
                date.signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
                    .num_days(),
                days
            );
            assert_eq!(days_from_civil(y, m, d), days);
            assert_eq!(date.year() as i64, y);
        }
    }

    #[test]
    fn parses_robfig_syntax() {
        let s = parse("*/15 8-20 1,15 JAN-mar mon-FRI").unwrap();
        assert_eq!(s.minute, 1 | 1 << 15 | 1 << 30 | 1 << 45);
        assert_eq!(s.hour, ((1u64 << 21) - 1) & !((1 << 8) - 1));
        assert_eq!(s.dom, 1 << 1 | 1 << 15);
        assert_eq!(s.month, 0b1110);
        assert_eq!(s.dow, 0b11_1110);
        assert_eq!(
            parse("5/20 * * * *").unwrap().minute,
            1 << 5 | 1 << 25 | 1 << 45
        );
        assert_eq!(parse("* * * * ?").unwrap().dow, 0x7f | STAR_BIT);
        // `*/1` keeps the star bit, `*/2` clears it.
        assert_eq!(parse("0 0 */1 * *").unwrap().dom & STAR_BIT, STAR_BIT);
        assert_eq!(parse("0 0 */2 * *").unwrap().dom & STAR_BIT, 0);
        // Empty list items are dropped; `*-5` is `*`.
        assert_eq!(parse("1,,2 * * * *").unwrap().minute, 0b110);
        assert_eq!(parse("0 *-5 * * *").unwrap().hour, 0xff_ffff | STAR_BIT);
        assert_eq!(parse("+5 * * * *").unwrap().minute, 1 << 5);
        assert_eq!(
            parse("TZ=Asia/Tokyo 0 9 * * *").unwrap().location,
            Location::Zone(Tz::Asia__Tokyo)
        );
        assert_eq!(
            parse("TZ=Local 0 9 * * *").unwrap().location,
            Location::Trigger
        );
    }

    #[test]
    fn rejects_what_robfig_rejects() {
        for bad in [
            "",
            "0 8 * * 7",
            "0 8 * *",
            "0 0 8 * * *",
            "@daily",
            "0 8 L * *",
            "0 8 * * 1#2",
            "60 * * * *",
            "0 24 * * *",
            "0 0 0 * *",
            "0 0 * 13 *",
            "*/0 * * * *",
            "5-1 * * * *",
            "1-2-3 * * * *",
            "1/2/3 * * * *",
            "-1 * * * *",
            "*/ * * * *",
            "CRON_TZ=UTC",
            "TZ=Mars/Olympus 0 8 * * *",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn dom_and_dow_are_ored_unless_one_is_starred() {
        // 2026-06-01 is a Monday; 2026-06-08 the next.
        assert_eq!(
            next("0 8 1-7 * 1", "UTC", "2026-06-08T09:00:00Z"),
            "2026-06-15T08:00:00+00:00"
        );
        assert_eq!(
            next("0 8 20 * 1", "UTC", "2026-06-02T00:00:00Z"),
            "2026-06-08T08:00:00+00:00"
        );
        assert_eq!(
            next("0 8 */1 * 1", "UTC", "2026-06-02T00:00:00Z"),
            "2026-06-08T08:00:00+00:00"
        );
        // `*/2` is not a star: odd days OR Mondays.
        assert_eq!(
            next("0 8 */2 * 1", "UTC", "2026-06-02T00:00:00Z"),
            "2026-06-03T08:00:00+00:00"
        );
    }

    #[test]
    fn next_is_strictly_after_and_drops_subseconds() {
        assert_eq!(
            next("0 8 * * *", "Europe/Berlin", "2026-06-01T06:00:00Z"),
            "2026-06-02T08:00:00+02:00"
        );
        assert_eq!(
            next("0 8 * * *", "Europe/Berlin", "2026-06-01T05:59:59Z"),
            "2026-06-01T08:00:00+02:00"
        );
    }

    #[test]
    fn berlin_spring_forward_skips_and_fall_back_doubles() {
        assert_eq!(
            next("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z"),
            "2026-03-30T02:30:00+02:00"
        );
        assert_eq!(
            next("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z"),
            "2026-10-25T02:30:00+02:00"
        );
        assert_eq!(
            next("30 2 * * *", "Europe/Berlin", "2026-10-25T00:30:00Z"),
            "2026-10-25T02:30:00+01:00"
        );
    }

    #[test]
    fn robfig_spec_test_dst_cases() {
        // Facts from robfig/cron's own spec_test.go (seconds field dropped).
        let ny = "America/New_York";
        for (at, spec, want) in [
            (
                "2012-03-11T05:00:00Z",
                "0 * * * *",
                "2012-03-11T01:00:00-05:00",
            ),
            (
                "2012-03-11T06:00:00Z",
                "0 * * * *",
                "2012-03-11T03:00:00-04:00",
            ),
            (
                "2012-03-11T06:00:00Z",
                "0 1 * * *",
                "2012-03-12T01:00:00-04:00",
            ),
            (
                "2012-03-11T05:00:00Z",
                "0 2 * * *",
                "2012-03-12T02:00:00-04:00",
            ),
            (
                "2012-11-04T04:00:00Z",
                "30 2 04 Nov *",
                "2012-11-04T02:30:00-05:00",
            ),
            (
                "2012-11-04T05:45:00Z",
                "30 1 04 Nov *",
                "2012-11-04T01:30:00-05:00",
            ),
            (
                "2012-11-04T05:00:00Z",
                "0 * * * *",
                "2012-11-04T01:00:00-05:00",
            ),
            (
                "2012-11-04T04:00:00Z",
                "0 1 * * *",
                "2012-11-04T01:00:00-04:00",
            ),
            (
                "2012-11-04T05:00:00Z",
                "0 1 * * *",
                "2012-11-04T01:00:00-05:00",
            ),
            (
                "2012-11-04T06:00:00Z",
                "0 1 * * *",
                "2012-11-05T01:00:00-05:00",
            ),
            (
                "2012-11-04T04:00:00Z",
                "0 2 * * *",
                "2012-11-04T02:00:00-05:00",
            ),
            (
                "2012-11-04T04:00:00Z",
                "0 3 * * *",
                "2012-11-04T03:00:00-05:00",
            ),
            (
                "2012-11-04T04:00:00Z",
                "0 3 3 * *",
                "2012-12-03T03:00:00-05:00",
            ),
        ] {
            assert_eq!(next(spec, ny, at), want, "{spec} after {at}");
        }
        // robfig issue 157: DST makes midnight not exist in Sao Paulo.
        let sp = "America/Sao_Paulo";
        assert_eq!(
            next("0 9 10 * *", sp, "2018-10-17T09:00:00Z"),
            "2018-11-10T09:00:00-02:00"
        );
        assert_eq!(
            next("0 9 22 * *", sp, "2018-02-14T10:00:00Z"),
            "2018-02-22T09:00:00-03:00"
        );
    }

    #[test]
    fn never_firing_returns_zero_time() {
        assert_eq!(next("0 0 31 2 *", "UTC", "2026-01-01T00:00:00Z"), "zero");
        assert_eq!(next(", * * * *", "UTC", "2026-01-01T00:00:00Z"), "zero");
        // Feb 29 fires within five years.
        assert_eq!(
            next("0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z"),
            "2028-02-29T00:00:00+00:00"
        );
    }

    #[test]
    fn keda_decision_with_zero_times() {
        assert!(keda_active(100, Some(200), Some(150)));
        assert!(!keda_active(100, Some(150), Some(200)));
        assert!(keda_active(100, Some(150), Some(150)));
        assert!(keda_active(100, None, Some(150)));
        assert!(!keda_active(100, Some(150), None));
        assert!(keda_active(100, None, None));
    }

    #[test]
    fn go_date_resolves_gaps_and_overlaps_like_go() {
        let zone = Zone::new(Tz::Europe__Berlin);
        let c = GoClock::new(&zone);
        // 02:30 on the spring-forward day does not exist: Go gives 03:30 CEST (01:30Z).
        assert_eq!(c.date(2026, 3, 29, 2, 30, 0), utc("2026-03-29T01:30:00Z"));
        // 02:30 on the fall-back day exists twice: Go picks the second (CET, 01:30Z).
        assert_eq!(c.date(2026, 10, 25, 2, 30, 0), utc("2026-10-25T01:30:00Z"));
        // Month 13, day 32 normalise.
        assert_eq!(c.date(2026, 13, 32, 0, 0, 0), utc("2027-01-31T23:00:00Z"));
    }

    #[test]
    fn memo_and_offset_table_agree_with_plain_stepping() {
        // Around every offset change of 2026 in awkward zones, every minute: the
        // memoised, table-accelerated `Next` equals robfig's loop stepped one by one.
        let specs = [
            "15 2 * * *",
            "0 1-3 * * *",
            "*/20 * * * *",
            "30 23 * * *",
            "0 0 * * *",
            "45 2 1-7 * 0",
            "0 8 * 10 *",
            "59 1 * 3,4,9,10 *",
        ];
        for tz in [
            Tz::Australia__Lord_Howe,
            Tz::America__St_Johns,
            Tz::Pacific__Chatham,
            Tz::America__Havana,
            Tz::Europe__Berlin,
        ] {
            let lo = utc("2026-01-01T00:00:00Z");
            let hi = utc("2027-01-01T00:00:00Z");
            let table = Zone::with_range(tz, lo - 86_400, hi + 400 * 86_400);
            let plain = Zone::new(tz);
            assert!(!table.changes().is_empty(), "{tz} has DST in 2026");
            for spec in specs {
                let s = parse(spec).unwrap();
                for &c in table.changes().iter().filter(|&&c| lo <= c && c < hi) {
                    let mut memo = NextMemo::default();
                    for t in (c - 30 * 3600..c + 30 * 3600).step_by(60) {
                        let want = s.next_in(t, &plain);
                        assert_eq!(s.next_in(t, &table), want, "{tz} {spec} at {t}");
                        assert_eq!(
                            s.next_memo(t, &table, &mut memo),
                            want,
                            "{tz} {spec} at {t}"
                        );
                    }
                }
            }
        }
    }
}
