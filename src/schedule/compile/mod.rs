//! Compile stage: calendar entries → KEDA cron triggers per deployment (SPEC §4).
//!
//! KEDA's cron trigger is active at `t` iff `end.Next(t) <= start.Next(t)` (robfig/cron
//! v3). Read as a sequence of firings, the trigger is active from one firing up to an
//! *end* firing that follows it, so:
//! - a start firing outside every window is harmless (the next event is another
//!   start, the trigger stays inactive), but a start inside a window closes it;
//! - an end firing outside every window opens one (from the previous firing);
//! - a start whose end never comes (the end day does not exist) opens nothing.
//!
//! The compiler therefore makes the **end** expressions exact. End days are the start
//! days shifted by one when the hours cross midnight, split into `dom × month`
//! rectangles (one trigger each, or one per distinct day set when KEDA ≥ 2.20 allows
//! lists). A window within one day starts on the same days as its end
//! (`0 8 * 9 *` → `0 20 * 9 *`); a window that ends on the next day starts every day
//! at its start time, and each end firing's window opens at the last start before it,
//! its own. The daily start is also used wherever robfig can miss a start that exists
//! (zones whose offset changes are not whole hours on the hour, or skip midnight) or
//! the zone skips the start time: a missed start then costs at most the day before,
//! not a year. Consequences that matter:
//! - month and year ends need no special start days (`0 22 * * *` → `0 2 1-16 10 *`);
//! - leap years: an end on `Feb 29` simply does not fire in common years, so the
//!   window of Feb 28 does not open there instead of running for a year; a range that
//!   contains the end of February gets its Feb 29 window from the `Mar 1` end;
//! - `dom` and `dow` are never both restricted (robfig ORs them): weekday filters use
//!   `* months dow` (whole months, which validation requires);
//! - whole days (`00:00-24:00`) compile to one continuous trigger per run of days
//!   (`0 0 1 9 *` → `0 0 16 10 *`), except in zones that skip midnight on some day:
//!   robfig would miss a skipped run boundary and keep the trigger active for a year,
//!   so there they are per-day windows like any other hours (daily start at 00:00,
//!   ends on the following days; a start and an end at the same instant keep
//!   consecutive days continuous);
//! - a start time that does not exist on some day of the zone (spring forward) also
//!   fires one hour earlier: robfig skips the real one and the end would otherwise
//!   keep the trigger active since the previous day. The early firing is harmless on
//!   every other day (it is outside every window) and bounds the damage on the DST
//!   day, a span §2.2 does not judge.
//!
//! Lead time (SPEC §2.2): everything above compiles an entry's *floor* hours, its
//! `hours` opened its lead earlier on the same start day ([`Entry::floor_hours`]; the
//! window keeps its end). Start expressions, the zone checks of the start minute and
//! the early start all use that minute; validation keeps it on the start day and the
//! window shorter than a day, so the rules above hold unchanged.
//!
//! Dated entries have no year in cron: their triggers name their own month-days and
//! recur there every year (§4.2); [`Expiry`] records when to remove them.

mod fields;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::config::model::{BlackoutDays, DateRange, Entry, Model, Territory};
use crate::config::zone::{self, OffsetChange};
use crate::schedule::windows;
use crate::schedule::{CronTrigger, DeploymentSchedule, Expiry, Schedule};
use fields::{
    common_len, cron_dows, dow_cycles, months_text, next_common, rectangles, runs_text, slots, Grid,
};

/// A trigger's two cron expressions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronPair {
    /// Start expression.
    pub start: String,
    /// End expression.
    pub end: String,
}

/// Compiles every entry of `model` into cron triggers per deployment.
pub fn compile(model: &Model) -> Schedule {
    let commas = model.app.keda_version.allows_commas_in_cron();
    let mut gaps = GapCache::default();
    let mut deployments = Vec::new();
    // Each territory's blackout days, gathered once (not per entry × day).
    let blackouts: Vec<BlackoutDays> = model
        .territories
        .iter()
        .map(|t| BlackoutDays::new(model, &t.code))
        .collect();
    for (t, blackout_days) in model.territories.iter().zip(&blackouts) {
        // The cron pairs depend on the entry and the territory, not the workload.
        let mut pairs: BTreeMap<usize, Vec<CronPair>> = BTreeMap::new();
        for w in &model.workloads {
            let Some(tw) = t.workload(&w.name) else {
                continue;
            };
            let mut triggers = Vec::new();
            for (i, e) in model.entries.iter().enumerate() {
                let Some(floor) = e.floor_for(&t.code, &w.name) else {
                    continue;
                };
                if floor <= tw.min {
                    continue; // cannot raise the floor: KEDA would never see it
                }
                let ps = pairs
                    .entry(i)
                    .or_insert_with(|| entry_pairs(e, t, blackout_days, commas, &mut gaps));
                for (n, p) in ps.iter().enumerate() {
                    triggers.push(CronTrigger {
                        name: format!("{}-{}-{}", e.kind.as_str(), e.id, n + 1),
                        start: p.start.clone(),
                        end: p.end.clone(),
                        desired_replicas: floor.min(tw.max),
                        entry_kind: e.kind,
                        entry_id: e.id.clone(),
                    });
                }
            }
            deployments.push(DeploymentSchedule {
                territory: t.code.clone(),
                workload: w.name.clone(),
                name: model.deployment_name(t, &w.name),
                timezone: t.timezone_name.clone(),
                min: tw.min,
                max: tw.max,
                triggers,
            });
        }
    }
    Schedule {
        deployments,
        expiries: expiries(model, &blackouts),
    }
}

/// The cron pairs of entry `e` in territory `t` (whose blackout days are `blackouts`),
/// in a stable order.
pub fn entry_pairs(
    e: &Entry,
    t: &Territory,
    blackouts: &BlackoutDays,
    commas: bool,
    gaps: &mut GapCache,
) -> Vec<CronPair> {
    // Continuous whole-day triggers fire only at the ends of their runs; where the
    // zone skips midnight on some day, robfig would miss such a boundary and keep the
    // trigger active for a year, so those zones get per-day windows (daily starts).
    let hours = e.floor_hours();
    let continuous = hours.is_whole_day() && !gaps.may_skip(t.timezone, 0);
    let pairs = match e.dates {
        DateRange::Recurring { .. } if !e.days.is_all() => {
            weekday_pairs(e, t, blackouts, commas, continuous, gaps)
        }
        DateRange::Recurring { .. } if continuous => {
            recurring_whole_day_pairs(&recurring_days(e, blackouts))
        }
        DateRange::Dated { .. } if continuous => {
            dated_whole_day_pairs(&dated_days(e, blackouts), commas)
        }
        _ => {
            let ends = end_days(e, blackouts);
            let (m, h) = end_time(e);
            let mut rects = rectangles(&ends, commas);
            if rects == [("*".to_string(), "*".to_string())]
                && hours.start_minute == hours.end_minute % 1440
            {
                // Whole days every day, per day: KEDA rejects start == end, so the ends
                // go to two triggers, one per half year.
                rects = vec![("*".into(), "1-6".into()), ("*".into(), "7-12".into())];
            }
            rects
                .into_iter()
                .map(|(dom, month)| {
                    let days = format!("{dom} {month} *");
                    CronPair {
                        start: start_expr(e, t.timezone, &days, commas, gaps),
                        end: format!("{m} {h} {days}"),
                    }
                })
                .collect()
        }
    };
    debug_assert!(
        pairs.iter().all(|p| p.start != p.end),
        "KEDA rejects start == end"
    );
    pairs
}

/// Start month-days of recurring entry `e` in a territory with blackout days
/// `blackouts` (weekdays not applied).
fn recurring_days(e: &Entry, blackouts: &BlackoutDays) -> Grid {
    let mut g = [[false; 31]; 12];
    for m in 1..=12 {
        for d in 1..=slots(m) {
            g[m as usize - 1][d as usize - 1] = blackouts.starts_on_month_day(e, m, d);
        }
    }
    g
}

/// Start dates of dated entry `e` in a territory with blackout days `blackouts`
/// (weekdays and blackouts of their own year applied).
fn dated_days(e: &Entry, blackouts: &BlackoutDays) -> Vec<NaiveDate> {
    let DateRange::Dated { from, to } = e.dates else {
        return Vec::new();
    };
    windows::start_days(blackouts, e, from, to).collect()
}

/// `(minute, hour)` of the window's end time (24:00 is 00:00 of the next day).
fn end_time(e: &Entry) -> (u32, u32) {
    let m = e.hours.end_minute % 1440;
    (m % 60, m / 60)
}

/// The end days of entry `e` (not whole-day, every weekday) in a territory with
/// blackout days `blackouts`.
fn end_days(e: &Entry, blackouts: &BlackoutDays) -> Grid {
    let shift = e.floor_hours().ends_next_day();
    let mut g = [[false; 31]; 12];
    let mut set = |m: u32, d: u32| g[m as usize - 1][d as usize - 1] = true;
    match e.dates {
        DateRange::Recurring { .. } => {
            let b = recurring_days(e, blackouts);
            let has = |m: u32, d: u32| b[m as usize - 1][d as usize - 1];
            for m in 1..=12 {
                for d in 1..=common_len(m) {
                    if has(m, d) {
                        let (m2, d2) = if shift { next_common(m, d) } else { (m, d) };
                        set(m2, d2);
                    }
                }
            }
            // Feb 29 of leap years: its own window without a shift, or the end of
            // Feb 28's window with one (Feb 29's own window then ends on Mar 1,
            // which Feb 28 already put there in common years).
            if (!shift && has(2, 29)) || (shift && has(2, 28)) {
                set(2, 29);
            }
        }
        DateRange::Dated { .. } => {
            for x in dated_days(e, blackouts) {
                let y = if shift { x + Duration::days(1) } else { x };
                set(y.month(), y.day());
            }
        }
    }
    g
}

/// The start expression of windows that are not whole days, given the day fields
/// (`dom month dow`) of the matching end expression.
///
/// A same-day window starts on its end's days, in zones where robfig always finds a
/// firing that exists: `0 8 * 9 *` → `0 20 * 9 *`. Otherwise the start fires every
/// day (extra starts are harmless, module docs), so a start that robfig skips or
/// misses costs at most the day before instead of a year; where the zone can skip
/// the start time it also fires one hour earlier.
fn start_expr(e: &Entry, tz: Tz, end_days: &str, commas: bool, gaps: &mut GapCache) -> String {
    let hours = e.floor_hours();
    let s = hours.start_minute;
    let (m, h) = (s % 60, s / 60);
    let len = hours.end_offset_minutes() - s;
    let skippable = gaps.may_skip(tz, s);
    if len <= 23 * 60 && skippable {
        if early_start_applies(e) {
            return format!("{m} {}-{h} * * *", h - 1);
        }
        if commas && h == 0 {
            return format!("{m} 0,23 * * *");
        }
    }
    if !hours.ends_next_day() && !skippable && gaps.is_regular(tz) {
        return format!("{m} {h} {end_days}");
    }
    format!("{m} {h} * * *")
}

/// Whether this compiler opens the entry's floor windows one hour early on days when
/// their start does not exist (`start_expr`): the floor hours (lead included) start at
/// 01:00 or later and the window is at most 23 hours long, so the extra start never
/// falls inside a window.
pub fn early_start_applies(e: &Entry) -> bool {
    let hours = e.floor_hours();
    let len = hours.end_offset_minutes() - hours.start_minute;
    !hours.is_whole_day() && hours.start_minute >= 60 && len <= 23 * 60
}

/// Seasons with a weekday filter (validation guarantees whole months and same-day
/// hours, or a whole year): `* months dow` keeps robfig's dom/dow AND semantics.
fn weekday_pairs(
    e: &Entry,
    t: &Territory,
    blackouts: &BlackoutDays,
    commas: bool,
    continuous: bool,
    gaps: &mut GapCache,
) -> Vec<CronPair> {
    let b = recurring_days(e, blackouts);
    let months: Vec<u32> = (1..=12u32)
        .filter(|&m| b[m as usize - 1].iter().any(|&x| x))
        .collect();
    if months.is_empty() {
        return Vec::new();
    }
    let dows = cron_dows(e.days);
    let month_groups: Vec<String> = if commas {
        vec![months_text(&months, true)]
    } else if months.len() == 12 {
        vec!["*".into()]
    } else {
        // Runs of months; December to January is two runs (robfig ranges ascend).
        runs_text(&months)
    };
    if continuous {
        // Only a whole year can end a weekday's window on the next day (validation).
        // One trigger per cyclic run of weekdays: Saturday 00:00 → Monday 00:00.
        return dow_cycles(&dows)
            .into_iter()
            .flat_map(|(a, b)| {
                let end = (b + 1) % 7;
                month_groups.iter().map(move |ms| CronPair {
                    start: format!("0 0 * {ms} {a}"),
                    end: format!("0 0 * {ms} {end}"),
                })
            })
            .collect();
    }
    let shift = e.floor_hours().ends_next_day();
    let end_dows: Vec<u32> = {
        let mut v: Vec<u32> = dows.iter().map(|d| (d + u32::from(shift)) % 7).collect();
        v.sort_unstable();
        v
    };
    let dow_groups: Vec<String> = if commas {
        vec![runs_text(&end_dows).join(",")]
    } else {
        runs_text(&end_dows)
    };
    let (m, h) = end_time(e);
    let mut out = Vec::new();
    for ms in &month_groups {
        for ds in &dow_groups {
            let days = format!("* {ms} {ds}");
            out.push(CronPair {
                start: start_expr(e, t.timezone, &days, commas, gaps),
                end: format!("{m} {h} {days}"),
            });
        }
    }
    out
}

/// Whole-day windows of a recurring entry: one continuous trigger per run of days in
/// the common-year cycle; a run through Feb 28 runs through Feb 29 in leap years.
fn recurring_whole_day_pairs(b: &Grid) -> Vec<CronPair> {
    let mut cycle: Vec<(u32, u32)> = Vec::with_capacity(365);
    for m in 1..=12 {
        for d in 1..=common_len(m) {
            cycle.push((m, d));
        }
    }
    let on: Vec<bool> = cycle
        .iter()
        .map(|&(m, d)| b[m as usize - 1][d as usize - 1])
        .collect();
    let n = cycle.len();
    if on.iter().all(|&x| x) {
        return vec![whole_days((1, 1), (7, 1)), whole_days((7, 1), (1, 1))];
    }
    let mut out = Vec::new();
    for i in 0..n {
        if on[i] && !on[(i + n - 1) % n] {
            let mut j = i;
            while on[(j + 1) % n] {
                j = (j + 1) % n;
            }
            out.push(whole_days(cycle[i], cycle[(j + 1) % n]));
        }
    }
    out
}

fn whole_days(from: (u32, u32), until: (u32, u32)) -> CronPair {
    CronPair {
        start: format!("0 0 {} {} *", from.1, from.0),
        end: format!("0 0 {} {} *", until.1, until.0),
    }
}

/// Whole-day windows of a dated entry: continuous triggers per run of dates (runs of
/// a year or more in pieces). A piece that starts or ends on Feb 29 cannot name that
/// day as a boundary (it would not fire in common years), so it ends per day: every
/// midnight starts, and ends fire on the days after its dates.
fn dated_whole_day_pairs(dates: &[NaiveDate], commas: bool) -> Vec<CronPair> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < dates.len() {
        let mut j = i;
        while j + 1 < dates.len() && dates[j + 1] == dates[j] + Duration::days(1) {
            j += 1;
        }
        let (mut a, last) = (dates[i], dates[j]);
        while a <= last {
            let mut until = (a + Duration::days(180)).min(last + Duration::days(1));
            if until <= last && until.month() == 2 && until.day() == 29 {
                until += Duration::days(1);
            }
            let leap_edge = |d: NaiveDate| d.month() == 2 && d.day() == 29;
            if leap_edge(a) || leap_edge(until) {
                let mut g = [[false; 31]; 12];
                let mut d = a;
                while d < until {
                    let e = d + Duration::days(1);
                    g[e.month() as usize - 1][e.day() as usize - 1] = true;
                    d = e;
                }
                for (dom, month) in rectangles(&g, commas) {
                    out.push(CronPair {
                        start: "0 0 * * *".into(),
                        end: format!("0 0 {dom} {month} *"),
                    });
                }
            } else {
                out.push(whole_days(
                    (a.month(), a.day()),
                    (until.month(), until.day()),
                ));
            }
            a = until;
        }
        i = j + 1;
    }
    out
}

/// What robfig/cron does around each zone's offset changes (2000–2099, tzdata's rules
/// as chrono-tz knows them), memoised per zone.
#[derive(Debug, Default)]
pub struct GapCache {
    zones: BTreeMap<String, Vec<OffsetChange>>,
    /// Answers of [`Self::may_skip`] by (zone, minute) and of [`Self::is_regular`] by
    /// zone: asked per entry and territory, each answer scans a century of changes.
    skips: HashMap<(Tz, u32), bool>,
    regular: HashMap<Tz, bool>,
}

impl GapCache {
    fn changes(&mut self, tz: Tz) -> &[OffsetChange] {
        self.zones.entry(tz.name().to_string()).or_insert_with(|| {
            let from = Utc
                .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
                .single()
                .expect("valid");
            let to = Utc
                .with_ymd_and_hms(2100, 1, 1, 0, 0, 0)
                .single()
                .expect("valid");
            century_changes(tz, from, to)
        })
    }

    /// Whether local minute-of-day `minute` does not exist on some day in `tz`.
    pub fn may_skip(&mut self, tz: Tz, minute: u32) -> bool {
        let key = (tz, minute);
        if let Some(&known) = self.skips.get(&key) {
            return known;
        }
        let skips = self.scan_skips(tz, minute);
        self.skips.insert(key, skips);
        skips
    }

    fn scan_skips(&mut self, tz: Tz, minute: u32) -> bool {
        self.changes(tz)
            .iter()
            .filter(|c| c.after > c.before)
            .any(|c| {
                let (b, a) = (c.wall_before(), c.wall_after());
                [b.date(), a.date()].iter().any(|d| {
                    let w = d.and_hms_opt(0, 0, 0).expect("midnight")
                        + Duration::minutes(i64::from(minute));
                    b <= w && w < a
                })
            })
    }

    /// Whether every offset change of `tz` keeps robfig's `Next` regular (whole hours
    /// on the hour, no skipped midnight): then a firing that exists is always found.
    pub fn is_regular(&mut self, tz: Tz) -> bool {
        if let Some(&known) = self.regular.get(&tz) {
            return known;
        }
        let regular = self.changes(tz).iter().all(OffsetChange::is_robfig_regular);
        self.regular.insert(tz, regular);
        regular
    }
}

/// `zone::offset_changes(tz, from, to, 168)`, the two halves of the range scanned on two
/// threads: the halves meet on a sampling instant, so they sample and bisect exactly as
/// one scan does (the scan is most of a small configuration's compile time).
fn century_changes(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<OffsetChange> {
    const STEP_HOURS: i64 = 24 * 7;
    let steps = (to - from).num_hours() / STEP_HOURS;
    let mid = from + Duration::hours(steps / 2 * STEP_HOURS);
    let (mut first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| zone::offset_changes(tz, mid, to, STEP_HOURS));
        let first = zone::offset_changes(tz, from, mid, STEP_HOURS);
        (
            first,
            second
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        )
    });
    first.extend(second);
    first
}

/// One per dated entry: campaigns (entry order), then dated blackouts (blackout order);
/// `blackouts` holds each territory's blackout days, in model order.
fn expiries(model: &Model, blackouts: &[BlackoutDays]) -> Vec<Expiry> {
    let mut out = Vec::new();
    for e in &model.entries {
        let DateRange::Dated { to, .. } = e.dates else {
            continue;
        };
        let mut latest: Option<DateTime<Utc>> = None;
        for (t, days) in model
            .territories
            .iter()
            .zip(blackouts)
            .filter(|(t, _)| e.floors_territory(&t.code))
        {
            let tz = t.timezone;
            let last_window = dated_days(e, days).into_iter().next_back();
            let end = match last_window {
                Some(day) => windows::end_instant(tz, e.hours, day),
                None => windows::day_end(tz, to),
            };
            latest = latest.max(Some(end));
        }
        out.push(Expiry {
            kind: e.kind.as_str().to_string(),
            entry_id: e.id.clone(),
            entry_name: e.name.clone(),
            last_day: to,
            expires_at_unix: latest.map_or(0, |t| t.timestamp()),
        });
    }
    for b in &model.blackouts {
        let DateRange::Dated { to, .. } = b.dates else {
            continue;
        };
        let latest = model
            .territories
            .iter()
            .filter(|t| b.applies_to(&t.code))
            .map(|t| windows::day_end(t.timezone, to))
            .max();
        out.push(Expiry {
            kind: "blackout".into(),
            entry_id: b.id.clone(),
            entry_name: b.name.clone(),
            last_day: to,
            expires_at_unix: latest.map_or(0, |t| t.timestamp()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::validate::rules::check_expressible;

    const TERRITORIES: &str = r#"
[app]
name = "t"
namespace = "t"
image = "img:1"
keda_version = "KEDA"
runbook_url = "https://example.com/rb"

[workloads.queries]
p95_ms = 300

[events]
channel = "t"
types = ["a.b"]

[territories.DE]
name = "DE"
timezone = "Europe/Berlin"
queries = { min = 1, max = 9, rps_per_replica = 10 }
"#;

    fn model(keda: &str, calendar: &str) -> Model {
        crate::config::validate::model_from_strs(
            &TERRITORIES.replace("KEDA", keda),
            &[("c.toml", calendar)],
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn pairs(m: &Model) -> Vec<(String, String, String)> {
        compile(m).deployments[0]
            .triggers
            .iter()
            .map(|t| (t.name.clone(), t.start.clone(), t.end.clone()))
            .collect()
    }

    fn p(name: &str, start: &str, end: &str) -> (String, String, String) {
        (name.into(), start.into(), end.into())
    }

    #[test]
    fn same_day_hours_end_on_their_own_days() {
        let m = model("2.17", "[[season]]\nid = \"okt\"\nfrom = \"09-01\"\nto = \"10-15\"\nhours = \"08:00-20:00\"\nfloor.DE = { queries = 6 }\n");
        assert_eq!(
            pairs(&m),
            vec![
                p("season-okt-1", "0 8 * 9 *", "0 20 * 9 *"),
                p("season-okt-2", "0 8 1-15 10 *", "0 20 1-15 10 *")
            ]
        );
    }

    #[test]
    fn midnight_crossing_ends_shift_over_month_and_year_ends() {
        let m = model("2.17", "[[season]]\nid = \"n\"\nfrom = \"12-30\"\nto = \"01-31\"\nhours = \"22:00-02:00\"\nfloor.DE = { queries = 6 }\n");
        assert_eq!(
            pairs(&m),
            vec![
                p("season-n-1", "0 22 * * *", "0 2 * 1 *"),
                p("season-n-2", "0 22 * * *", "0 2 1 2 *"),
                p("season-n-3", "0 22 * * *", "0 2 31 12 *"),
            ]
        );
        // KEDA ≥ 2.20: one trigger per distinct day set.
        let m = model("2.20", "[[season]]\nid = \"n\"\nfrom = \"12-30\"\nto = \"01-31\"\nhours = \"22:00-02:00\"\nfloor.DE = { queries = 6 }\n");
        assert_eq!(pairs(&m)[0], p("season-n-1", "0 22 * * *", "0 2 * 1 *"));
        assert!(pairs(&m).len() == 3);
    }

    #[test]
    fn whole_days_are_one_continuous_trigger() {
        let m = model("2.17", "[[season]]\nid = \"w\"\nfrom = \"12-15\"\nto = \"01-10\"\nhours = \"00:00-24:00\"\nfloor.DE = { queries = 6 }\n");
        assert_eq!(
            pairs(&m),
            vec![p("season-w-1", "0 0 15 12 *", "0 0 11 1 *")]
        );
        let m = model("2.17", "[[season]]\nid = \"w\"\nfrom = \"01-01\"\nto = \"12-31\"\nhours = \"00:00-24:00\"\nfloor.DE = { queries = 6 }\n");
        assert_eq!(
            pairs(&m),
            vec![
                p("season-w-1", "0 0 1 1 *", "0 0 1 7 *"),
                p("season-w-2", "0 0 1 7 *", "0 0 1 1 *")
            ]
        );
    }

    #[test]
    fn weekday_filters_keep_dom_a_star_and_avoid_commas_before_2_20() {
        let cal = "[[season]]\nid = \"we\"\nfrom = \"12-01\"\nto = \"01-31\"\nhours = \"09:00-17:00\"\ndays = \"sat,sun\"\nfloor.DE = { queries = 4 }\n";
        let got = pairs(&model("2.17", cal));
        assert_eq!(
            got,
            vec![
                p("season-we-1", "0 9 * 1 0", "0 17 * 1 0"),
                p("season-we-2", "0 9 * 1 6", "0 17 * 1 6"),
                p("season-we-3", "0 9 * 12 0", "0 17 * 12 0"),
                p("season-we-4", "0 9 * 12 6", "0 17 * 12 6"),
            ]
        );
        assert!(got
            .iter()
            .all(|(_, s, e)| !s.contains(',') && !e.contains(',')));
        assert_eq!(
            pairs(&model("2.20", cal)),
            vec![p("season-we-1", "0 9 * 1,12 0,6", "0 17 * 1,12 0,6")]
        );
    }

    #[test]
    fn a_start_the_zone_can_skip_also_fires_an_hour_earlier() {
        let m = model("2.17", "[[season]]\nid = \"g\"\nfrom = \"03-01\"\nto = \"03-31\"\nhours = \"02:30-05:00\"\nfloor.DE = { queries = 6 }\n");
        assert_eq!(
            pairs(&m),
            vec![p("season-g-1", "30 1-2 * * *", "0 5 * 3 *")]
        );
    }

    #[test]
    fn february_end_days_follow_leap_years() {
        // Contains the end of February: Feb 28's window ends Feb 29 (leap) or Mar 1.
        let m = model("2.17", "[[season]]\nid = \"c\"\nfrom = \"02-20\"\nto = \"03-02\"\nhours = \"22:00-02:00\"\nfloor.DE = { queries = 6 }\n");
        assert_eq!(
            pairs(&m),
            vec![
                p("season-c-1", "0 22 * * *", "0 2 21-31 2 *"),
                p("season-c-2", "0 22 * * *", "0 2 1-3 3 *")
            ]
        );
    }

    #[test]
    fn floors_at_or_below_min_make_no_trigger_and_desired_is_the_floor() {
        let m = model("2.17", "[[season]]\nid = \"a\"\nfrom = \"01-01\"\nto = \"01-31\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 1 }\n\n[[season]]\nid = \"b\"\nfrom = \"01-01\"\nto = \"01-31\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }\n");
        let s = compile(&m);
        assert_eq!(s.deployments[0].triggers.len(), 1);
        assert_eq!(s.deployments[0].triggers[0].desired_replicas, 3);
        assert_eq!(s.deployments[0].triggers[0].entry_id, "b");
    }

    #[test]
    fn dated_entries_expire_when_their_last_window_closes() {
        let m = model("2.17", "[[campaign]]\nid = \"bw\"\nfrom = \"2026-11-23\"\nto = \"2026-11-27\"\nhours = \"22:00-02:00\"\nfloor.DE = { queries = 6 }\n\n[[blackout]]\nid = \"x\"\nfrom = \"2026-12-24\"\nto = \"2026-12-24\"\n");
        let s = compile(&m);
        assert_eq!(
            pairs(&m),
            vec![p("campaign-bw-1", "0 22 * * *", "0 2 24-28 11 *")]
        );
        assert_eq!(s.expiries.len(), 2);
        // Nov 28 02:00 CET = 01:00 UTC; Dec 25 00:00 CET = Dec 24 23:00 UTC.
        assert_eq!(s.expiries[0].expires_at_unix, 1_795_827_600);
        assert_eq!(
            (s.expiries[1].kind.as_str(), s.expiries[1].expires_at_unix),
            ("blackout", 1_798_153_200)
        );
    }

    #[test]
    fn the_split_century_scan_finds_what_one_scan_finds() {
        let from = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
        for tz in [
            Tz::Europe__Berlin,
            Tz::Australia__Lord_Howe,
            Tz::America__St_Johns,
            Tz::Pacific__Chatham,
            Tz::Asia__Kolkata,
        ] {
            let whole = zone::offset_changes(tz, from, to, 24 * 7);
            assert!(!whole.is_empty() || tz == Tz::Asia__Kolkata, "{tz}");
            assert_eq!(century_changes(tz, from, to), whole, "{tz}");
        }
    }

    #[test]
    fn weekday_filters_ending_at_midnight_need_the_whole_year() {
        // Validation rejects such a season (it calls check_expressible), so build it by hand.
        let mut part = model("2.17", "[[season]]\nid = \"w\"\nfrom = \"10-01\"\nto = \"10-31\"\nhours = \"00:00-23:00\"\ndays = \"mon-fri\"\nfloor.DE = { queries = 6 }\n");
        part.entries[0].hours.end_minute = 1440;
        let problems = check_expressible(&part);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].entry_id, "w");
        let year = model("2.17", "[[season]]\nid = \"w\"\nfrom = \"01-01\"\nto = \"12-31\"\nhours = \"18:00-24:00\"\ndays = \"mon-fri\"\nfloor.DE = { queries = 6 }\n");
        assert!(check_expressible(&year).is_empty());
        assert_eq!(
            pairs(&year),
            vec![p("season-w-1", "0 18 * * *", "0 0 * * 2-6")]
        );
    }
}
