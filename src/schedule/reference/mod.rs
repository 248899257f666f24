//! The intended floor of SPEC §2.2, computed straight from the calendar, without cron.
//!
//! The compile stage turns the calendar into robfig/cron triggers whose behaviour is
//! anything but obvious. This module is the independent reference they are proven
//! against (`tests/calendar_proof.rs`, `tests/oracle_proof.rs`): it enumerates the
//! windows of every entry day by day, converts their local wall times to UTC with the
//! §2.2 rules (an ambiguous boundary counts at its later instant; a window whose start
//! or end does not exist that day does not open) and takes the maximum floor.
//!
//! It also names the spans §2.2 does not judge ([`not_judged`]): DST edges, the search
//! anomalies of robfig/cron in zones whose offset changes are not whole hours on the
//! hour, leap edges, and the recurrence of dated entries outside their own year (§4.2).
//! Each span is as narrow as the behaviour of correctly compiled triggers allows; the
//! proof tests report how many minutes they exclude ([`compare`]).
//!
//! **Independent on purpose.** This module keeps its own copy of the window generator,
//! the local-time resolver, the offset-change scan and the lead-time rule (the compiler
//! uses `schedule::windows`, `config::zone`, the model's start-day queries and
//! `Entry::floor_hours`). A proof that
//! shared those with the compiler could not catch a bug in them: both sides would agree
//! on the same wrong windows. Only the model's types and plain calendar facts
//! (`DateRange::contains`, blackout days) are shared, and the one rule *about* the
//! compiler that the not-judged spans must know, its early start
//! ([`crate::schedule::compile::early_start_applies`]), is imported from it.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono::{Offset, Timelike};
use chrono_tz::Tz;

mod compare;
mod not_judged;

pub use compare::{compare, Comparison};
pub use not_judged::{not_judged, NotJudged, Span};

use crate::config::model::{Entry, Model, Territory};

/// How a local wall time of one day maps to real time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wall {
    /// Exactly one instant.
    Unique(DateTime<Utc>),
    /// Repeated by a backward offset change: two instants.
    Ambiguous {
        /// The first occurrence.
        earlier: DateTime<Utc>,
        /// The second occurrence (the one §2.2 counts).
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

/// Local wall time `minute` (0..=1440; 1440 is the next day's 00:00) of `date` in `tz`.
fn wall(tz: Tz, date: NaiveDate, minute: u32) -> Wall {
    let (date, minute) = if minute >= 1440 {
        (date + Duration::days(1), minute - 1440)
    } else {
        (date, minute)
    };
    let ndt = date
        .and_hms_opt(minute / 60, minute % 60, 0)
        .expect("minute of day is in range");
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

/// The first instant whose local wall time in `tz` is at or after `ndt` (the end of
/// the gap when `ndt` is skipped, the first occurrence when it repeats).
fn first_instant_at_or_after(tz: Tz, ndt: NaiveDateTime) -> DateTime<Utc> {
    for k in 0..=(48 * 60) {
        let probe = ndt + Duration::minutes(k);
        match wall(tz, probe.date(), probe.hour() * 60 + probe.minute()) {
            Wall::Unique(t) => return t,
            Wall::Ambiguous { earlier, .. } => return earlier,
            Wall::Missing => continue,
        }
    }
    // tzdata never skips two days; stay total anyway.
    Utc.from_utc_datetime(&ndt)
}

/// A change of a zone's UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OffsetChange {
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
    /// not skipping midnight); otherwise its search anomalies are not judged (§2.2).
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

/// Every offset change of `tz` in `[from, to)`, found by sampling every 6 hours and
/// bisecting to the second (tzdata never changes an offset and back within 6 hours).
fn offset_changes(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<OffsetChange> {
    let step = 6 * 3600;
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

/// Whether entry `e` opens a window on local day `s` in territory `code` (§2.2 step 2:
/// in the date range, on a `days` weekday, not a blackout day of the territory).
fn starts_on(model: &Model, e: &Entry, code: &str, s: NaiveDate) -> bool {
    e.dates.contains(s) && e.days.contains(s.weekday()) && !model.is_blackout(code, s)
}

/// Minutes from the start day's midnight to the window's end (`hours.end`, on the
/// next day when the hours cross midnight).
fn end_offset_minutes(e: &Entry) -> u32 {
    if e.hours.crosses_midnight() {
        e.hours.end_minute + 1440
    } else {
        e.hours.end_minute
    }
}

/// The minute of its start day at which entry `e`'s floor window opens (SPEC §2.2
/// "Lead time"): `hours.start` minus the entry's own `lead`, or minus the app-wide
/// `prescale_lead` where that can apply (not whole days, not before the day's 00:00,
/// the window staying shorter than a day or becoming exactly the day), else
/// `hours.start`.
fn floor_start_minute(model: &Model, e: &Entry) -> u32 {
    let start = e.hours.start_minute;
    let lead = e.lead.unwrap_or_else(|| {
        let app = model.app.prescale_lead;
        let whole_day = start == 0 && e.hours.end_minute == 1440;
        let becomes_whole_day = start == app && e.hours.end_minute == 1440;
        let overlaps_next = end_offset_minutes(e) - start + app >= 1440 && !becomes_whole_day;
        if whole_day || app > start || overlaps_next {
            0
        } else {
            app
        }
    });
    start.saturating_sub(lead)
}

/// One window of an entry that opens, in real time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Index into `Model::entries`.
    pub entry: usize,
    /// Local start day.
    pub day: NaiveDate,
    /// First instant, inclusive.
    pub start: DateTime<Utc>,
    /// End, exclusive.
    pub end: DateTime<Utc>,
    /// The entry's floor for the deployment.
    pub floor: u32,
}

fn local_date(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

fn territory<'m>(model: &'m Model, code: &str) -> &'m Territory {
    model
        .territory(code)
        .unwrap_or_else(|| panic!("unknown territory {code}"))
}

fn bounds(model: &Model, code: &str, workload: &str) -> (u32, u32) {
    let tw = territory(model, code)
        .workload(workload)
        .unwrap_or_else(|| panic!("unknown workload {workload} in {code}"));
    (tw.min, tw.max)
}

fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// Every window that opens for (territory, workload) and overlaps `[from, to)`, in
/// entry order, then day order.
pub fn windows(
    model: &Model,
    code: &str,
    workload: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Window> {
    let tz = territory(model, code).timezone;
    let first = local_date(tz, from) - Duration::days(2);
    let last = local_date(tz, to) + Duration::days(1);
    let mut out = Vec::new();
    for (i, e) in model.entries.iter().enumerate() {
        let Some(floor) = e.floor_for(code, workload) else {
            continue;
        };
        for s in days(first, last) {
            if !starts_on(model, e, code, s) {
                continue;
            }
            let start = wall(tz, s, floor_start_minute(model, e)).boundary();
            let end = wall(tz, s, end_offset_minutes(e)).boundary();
            let (Some(start), Some(end)) = (start, end) else {
                continue; // §2.2: a window whose start or end does not exist does not open
            };
            if start < end && start < to && end > from {
                out.push(Window {
                    entry: i,
                    day: s,
                    start,
                    end,
                    floor,
                });
            }
        }
    }
    out
}

/// The intended floor of (territory, workload) at `at` (§2.2).
pub fn intended_floor(model: &Model, code: &str, workload: &str, at: DateTime<Utc>) -> u32 {
    let (min, max) = bounds(model, code, workload);
    let top = windows(model, code, workload, at, at + Duration::seconds(1))
        .iter()
        .filter(|w| w.start <= at && at < w.end)
        .map(|w| w.floor)
        .max()
        .unwrap_or(min);
    top.max(min).min(max)
}

/// A stretch of time with one floor: `(start inclusive, end exclusive, floor)`.
pub type Piece = (DateTime<Utc>, DateTime<Utc>, u32);

/// The intended floor of (territory, workload) over `[from, to)` as contiguous pieces
/// (the first starts at `from`, the last ends at `to`, neighbours differ in floor).
pub fn intended_timeline(
    model: &Model,
    code: &str,
    workload: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Piece> {
    let (min, max) = bounds(model, code, workload);
    let ws = windows(model, code, workload, from, to);
    // Sweep over boundaries with a count of open windows per floor.
    let mut events: Vec<(DateTime<Utc>, bool, u32)> = Vec::with_capacity(ws.len() * 2);
    for w in &ws {
        events.push((w.start.max(from), true, w.floor));
        events.push((w.end.min(to), false, w.floor));
    }
    events.sort();
    let mut open: std::collections::BTreeMap<u32, usize> = std::collections::BTreeMap::new();
    let mut out: Vec<Piece> = Vec::new();
    let mut cursor = from;
    let floor_now = |open: &std::collections::BTreeMap<u32, usize>| {
        open.keys()
            .next_back()
            .copied()
            .unwrap_or(min)
            .max(min)
            .min(max)
    };
    let mut i = 0;
    while i < events.len() {
        let t = events[i].0;
        if t > cursor {
            push_piece(&mut out, (cursor, t, floor_now(&open)));
            cursor = t;
        }
        while i < events.len() && events[i].0 == t {
            let (_, opens, f) = events[i];
            if opens {
                *open.entry(f).or_insert(0) += 1;
            } else if let Some(n) = open.get_mut(&f) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&f);
                }
            }
            i += 1;
        }
    }
    if cursor < to {
        push_piece(&mut out, (cursor, to, floor_now(&open)));
    }
    out
}

fn push_piece(out: &mut Vec<Piece>, p: Piece) {
    if p.0 >= p.1 {
        return;
    }
    if let Some(last) = out.last_mut() {
        if last.2 == p.2 && last.1 == p.0 {
            last.1 = p.1;
            return;
        }
    }
    out.push(p);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::{
        Alerts, App, Blackout, DateRange, EntryKind, Events, Floor, Hours, KedaVersion, LoadProbe,
        MonthDay, PromDuration, Resources, TerritoryWorkload, Weekdays, Workload,
    };

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn model(tz: Tz, entries: Vec<Entry>, blackouts: Vec<Blackout>) -> Model {
        Model {
            app: App {
                name: "app".into(),
                namespace: "ns".into(),
                image: "img".into(),
                keda_version: KedaVersion {
                    major: 2,
                    minor: 17,
                },
                prometheus_url: "http://p".into(),
                runbook_url: "http://r".into(),
                migration_version: 1,
                monitoring_labels: vec![],
                prescale_lead: 0,
                scale_up_tolerance: None,
            },
            workloads: vec![Workload {
                name: "q".into(),
                p95_ms: 300,
                port: 8080,
                scale_down_window: PromDuration { seconds: 300 },
                requests: Resources {
                    cpu: "1".into(),
                    memory: "1Gi".into(),
                },
                limits: Resources {
                    cpu: "1".into(),
                    memory: "1Gi".into(),
                },
                loadtest: LoadProbe::default(),
                pod: Default::default(),
            }],
            territories: vec![Territory {
                code: "DE".into(),
                name: "D".into(),
                timezone: tz,
                timezone_name: tz.name().into(),
                regions: vec![],
                workloads: vec![TerritoryWorkload {
                    workload: "q".into(),
                    min: 1,
                    max: 9,
                    rps_per_replica: 1.0,
                    baseline_rps: None,
                    p95_ms: 300,
                }],
            }],
            events: Events {
                channel: "c".into(),
                types: vec![],
                critical: vec![],
                journal_threshold: 0.7,
                critical_threshold: 0.95,
                replay_secret: "s".into(),
                replay_image: "i".into(),
                journal_retention: PromDuration { seconds: 604_800 },
                retention_secret: "r".into(),
            },
            alerts: Alerts {
                emergency_p95_ms: 500,
                notify_queue_warning: 0.7,
                notify_queue_critical: 0.95,
                outbox_lag_seconds: 60,
                prescale_idle_ratio: 0.2,
                prescale_idle_for: PromDuration { seconds: 1800 },
            },
            traffic: Default::default(),
            entries,
            blackouts,
            environments: vec![],
            pods: Default::default(),
        }
    }

    fn season(id: &str, from: (u32, u32), to: (u32, u32), h: (u32, u32), floor: u32) -> Entry {
        Entry {
            kind: EntryKind::Season,
            id: id.into(),
            name: id.into(),
            dates: DateRange::Recurring {
                from: MonthDay {
                    month: from.0,
                    day: from.1,
                },
                to: MonthDay {
                    month: to.0,
                    day: to.1,
                },
            },
            hours: Hours {
                start_minute: h.0,
                end_minute: h.1,
            },
            days: Weekdays::ALL,
            floors: vec![Floor {
                territory: "DE".into(),
                workload: "q".into(),
                replicas: floor,
            }],
            load: vec![],
            lead: None,
            floor_lead: 0,
            file: "c.toml".into(),
        }
    }

    #[test]
    fn window_hours_are_local_and_cross_midnight() {
        let m = model(
            chrono_tz::Europe::Berlin,
            vec![season("s", (10, 31), (10, 31), (22 * 60, 2 * 60), 4)],
            vec![],
        );
        let tl = intended_timeline(
            &m,
            "DE",
            "q",
            utc("2026-10-31T00:00:00Z"),
            utc("2026-11-02T00:00:00Z"),
        );
        assert_eq!(
            tl,
            vec![
                (utc("2026-10-31T00:00:00Z"), utc("2026-10-31T21:00:00Z"), 1),
                (utc("2026-10-31T21:00:00Z"), utc("2026-11-01T01:00:00Z"), 4),
                (utc("2026-11-01T01:00:00Z"), utc("2026-11-02T00:00:00Z"), 1),
            ]
        );
        assert_eq!(
            intended_floor(&m, "DE", "q", utc("2026-10-31T23:00:00Z")),
            4
        );
        assert_eq!(
            intended_floor(&m, "DE", "q", utc("2026-11-01T01:00:00Z")),
            1
        );
    }

    #[test]
    fn dst_rules_later_instant_and_missing_start() {
        // Fall back 2026-10-25: 02:30 happens twice; the window counts from the later one.
        let m = model(
            chrono_tz::Europe::Berlin,
            vec![season("s", (1, 1), (12, 31), (150, 240), 3)],
            vec![],
        );
        let tl = intended_timeline(
            &m,
            "DE",
            "q",
            utc("2026-10-25T00:00:00Z"),
            utc("2026-10-25T06:00:00Z"),
        );
        assert_eq!(
            tl[1],
            (utc("2026-10-25T01:30:00Z"), utc("2026-10-25T03:00:00Z"), 3)
        );
        // Spring forward 2026-03-29: 02:30 does not exist, the window does not open…
        let tl = intended_timeline(
            &m,
            "DE",
            "q",
            utc("2026-03-29T00:00:00Z"),
            utc("2026-03-29T06:00:00Z"),
        );
        assert_eq!(
            tl,
            vec![(utc("2026-03-29T00:00:00Z"), utc("2026-03-29T06:00:00Z"), 1)]
        );
        // …and that is a DST edge: from 01:30 CET (the early start) to 04:00 CEST.
        let nj = not_judged(
            &m,
            "DE",
            "q",
            utc("2026-03-29T00:00:00Z"),
            utc("2026-03-29T06:00:00Z"),
        );
        assert_eq!(nj.len(), 1);
        assert_eq!(
            (nj[0].start, nj[0].end),
            (utc("2026-03-29T00:30:00Z"), utc("2026-03-29T02:00:00Z"))
        );
    }

    #[test]
    fn blackouts_remove_start_days_and_floors_are_clamped() {
        let b = Blackout {
            id: "b".into(),
            name: "b".into(),
            dates: DateRange::Recurring {
                from: MonthDay { month: 12, day: 25 },
                to: MonthDay { month: 12, day: 25 },
            },
            territories: vec!["DE".into()],
        };
        let m = model(
            chrono_tz::UTC,
            vec![season("s", (12, 24), (12, 26), (20 * 60, 60), 12)],
            vec![b],
        );
        let tl = intended_timeline(
            &m,
            "DE",
            "q",
            utc("2026-12-24T00:00:00Z"),
            utc("2026-12-28T00:00:00Z"),
        );
        assert_eq!(
            tl,
            vec![
                (utc("2026-12-24T00:00:00Z"), utc("2026-12-24T20:00:00Z"), 1),
                (utc("2026-12-24T20:00:00Z"), utc("2026-12-25T01:00:00Z"), 9),
                (utc("2026-12-25T01:00:00Z"), utc("2026-12-26T20:00:00Z"), 1),
                (utc("2026-12-26T20:00:00Z"), utc("2026-12-27T01:00:00Z"), 9),
                (utc("2026-12-27T01:00:00Z"), utc("2026-12-28T00:00:00Z"), 1),
            ]
        );
    }

    #[test]
    fn leap_years_take_feb_29_only_inside_the_range() {
        let m = model(
            chrono_tz::UTC,
            vec![season("s", (2, 20), (3, 1), (0, 1440), 2)],
            vec![],
        );
        assert_eq!(
            intended_floor(&m, "DE", "q", utc("2028-02-29T12:00:00Z")),
            2
        );
        let m = model(
            chrono_tz::UTC,
            vec![season("s", (2, 20), (2, 28), (0, 1440), 2)],
            vec![],
        );
        assert_eq!(
            intended_floor(&m, "DE", "q", utc("2028-02-29T12:00:00Z")),
            1
        );
        let nj = not_judged(
            &m,
            "DE",
            "q",
            utc("2028-01-01T00:00:00Z"),
            utc("2029-01-01T00:00:00Z"),
        );
        assert_eq!(nj.len(), 1);
        assert_eq!(nj[0].reason, NotJudged::LeapEdge);
        assert_eq!(
            (nj[0].start, nj[0].end),
            (utc("2028-02-29T00:00:00Z"), utc("2028-03-02T00:00:00Z"))
        );
    }

    #[test]
    fn offset_changes_are_exact() {
        let c = offset_changes(
            chrono_tz::Australia::Lord_Howe,
            utc("2026-01-01T00:00:00Z"),
            utc("2027-01-01T00:00:00Z"),
        );
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].at, utc("2026-10-03T15:30:00Z"));
        assert!(!c[1].is_hour_aligned());
        let c = offset_changes(
            chrono_tz::Europe::Berlin,
            utc("2026-01-01T00:00:00Z"),
            utc("2027-01-01T00:00:00Z"),
        );
        assert_eq!(c[0].at, utc("2026-03-29T01:00:00Z"));
        assert!(c.iter().all(OffsetChange::is_hour_aligned));
    }
}
