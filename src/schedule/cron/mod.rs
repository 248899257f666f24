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

mod clock;
mod next;
mod parse;

pub use clock::{civil_from_days, days_from_civil, GoClock, Zone};
pub use next::NextMemo;
pub use parse::parse;

use chrono_tz::Tz;

/// Go's zero `time.Time` (0001-01-01T00:00:00Z) in Unix seconds: what `Next` returns
/// when nothing fires within five years. It compares before every real instant.
pub const GO_ZERO_UNIX: i64 = -62_135_596_800;

/// Top bit of a field: the field was written `*` or `?` (robfig's `starBit`).
const STAR_BIT: u64 = 1 << 63;

/// Which zone a schedule's `Next` works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    use chrono::DateTime;
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
    fn robfig_spec_test_dst_spring_forward() {
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
        ] {
            assert_eq!(next(spec, ny, at), want, "{spec} after {at}");
        }
    }

    #[test]
    fn robfig_spec_test_dst_fall_back() {
        // Facts from robfig/cron's own spec_test.go (seconds field dropped).
        let ny = "America/New_York";
        for (at, spec, want) in [
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
    }

    #[test]
    fn robfig_spec_test_missing_midnight() {
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
