//! KEDA's cron activation evaluated on the generated triggers: the floor a rendered
//! ScaledObject enforces at an instant, and over a range of time.
//!
//! `explain` and `plan` must report what the *manifests* do, not what the calendar
//! meant, so they go through this module: each trigger is active iff KEDA's decision
//! on robfig's `Next` values says so ([`crate::schedule::cron::keda_active`]), and the floor is
//! `min(max(minReplicaCount, desiredReplicas of the active triggers), maxReplicaCount)`
//! (SPEC §4.1, `shared/tools/cron-oracle` "What is computed").
//!
//! A timeline over a year must be fast, so [`timeline`] does not evaluate every
//! minute. Away from UTC-offset changes robfig's `Next(t)` is the first firing after
//! `t`, so both `Next` values — and KEDA's decision — stay the same until the earlier
//! of them; the evaluation jumps there. Near offset changes (±52 h) and New Year
//! (±16 h, robfig's five-year search limit counts calendar years) `Next` is
//! irregular, so every minute is evaluated, like the oracle's guard windows. Before
//! each jump the minute just before the target is evaluated too (a sentinel); a
//! disagreement falls back to every minute of the stretch and is counted in
//! [`Stats::sentinel_misses`], which the tests require to stay zero.
//! [`timeline_brute`] evaluates every minute and is the reference in tests.
//!
//! Evaluating every minute stays cheap because consecutive minutes mostly share the
//! `Next` result: robfig truncates to the first field that does not match and
//! continues from there, so [`crate::schedule::cron::Schedule::next_memo`] reuses the previous
//! answer when that truncated starting point is the same (exact, tested against the
//! plain loop). Offsets come from a per-timeline table of the zone's changes.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::collections::hash_map::{Entry, HashMap};

use crate::schedule::cron::{self, keda_active, Location, NextMemo, Schedule, Zone};
use crate::schedule::DeploymentSchedule;

/// The floor of a deployment at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloorAt {
    /// `min(max(min, desired of the active triggers), max)`.
    pub floor: u32,
    /// Indices (into `DeploymentSchedule::triggers`) of every active trigger, ascending.
    pub active: Vec<usize>,
}

/// A stretch of time with one floor and one set of active triggers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloorInterval {
    /// First instant, inclusive.
    pub start: DateTime<Utc>,
    /// End, exclusive.
    pub end: DateTime<Utc>,
    /// The floor throughout.
    pub floor: u32,
    /// Active trigger indices throughout, ascending.
    pub active: Vec<usize>,
}

/// One trigger's state at an instant, with the two `Next` values it rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TriggerState {
    /// KEDA's decision.
    pub active: bool,
    /// `start.Next(now)`; `None` is Go's zero time.
    pub next_start: Option<DateTime<Utc>>,
    /// `end.Next(now)`; `None` is Go's zero time.
    pub next_end: Option<DateTime<Utc>>,
}

/// Work counters of a fast timeline (for tests and benchmarks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Trigger evaluations (each is two `Next` calls).
    pub evaluations: u64,
    /// Evaluations inside guard windows.
    pub guard_evaluations: u64,
    /// Jumps whose sentinel disagreed (the stretch was then evaluated minute by minute).
    pub sentinel_misses: u64,
}

/// A trigger KEDA (or robfig's parser) would reject, named with its deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected(pub String);

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Rejected {}

/// Change lists `(grid index, active)` of evaluated triggers by (zone, start, end, grid
/// start, grid length), shared by [`Evaluator::timeline_shared`] calls.
#[derive(Debug, Default)]
pub struct ChangeCache(HashMap<ChangeKey, Vec<(i64, bool)>>);

type ChangeKey = (Tz, Schedule, Schedule, i64, i64);

/// The zones the triggers' `Next` runs in, with or without offset tables.
struct Zones(Vec<Zone>);

impl Zones {
    fn get(&self, tz: Tz) -> &Zone {
        self.0
            .iter()
            .find(|z| z.tz() == tz)
            .expect("every trigger zone is in the set")
    }
}

#[derive(Debug, Clone)]
struct Trigger {
    start: Schedule,
    end: Schedule,
    desired: u32,
}

/// A deployment's triggers parsed and checked the way KEDA checks them.
#[derive(Debug, Clone)]
pub struct Evaluator {
    tz: Tz,
    min: u32,
    max: u32,
    triggers: Vec<Trigger>,
}

/// Grid step of timelines: one minute.
const STEP: i64 = 60;
/// Half-width of the every-minute windows around UTC-offset changes.
const GUARD_OFFSET_CHANGE: i64 = 52 * 3600;
/// Half-width of the every-minute windows around each New Year (UTC).
const GUARD_NEW_YEAR: i64 = 16 * 3600;

impl Evaluator {
    /// Parses every trigger. `Err` names the deployment and trigger and says what
    /// KEDA (or robfig's parser) would reject: an unknown timezone, an unparsable
    /// expression, `start == end`, `desiredReplicas` 0.
    pub fn new(ds: &DeploymentSchedule) -> Result<Evaluator, Rejected> {
        let tz: Tz = ds.timezone.trim().parse().map_err(|_| {
            Rejected(format!(
                "{}: unknown timezone `{}` in the cron triggers",
                ds.name, ds.timezone
            ))
        })?;
        let mut triggers = Vec::with_capacity(ds.triggers.len());
        for t in &ds.triggers {
            let where_ = || format!("{} trigger `{}`", ds.name, t.name);
            let (start, end) = (t.start.trim(), t.end.trim());
            if start == end {
                return Err(Rejected(format!(
                    "{}: start and end are both `{start}` (KEDA rejects this)",
                    where_()
                )));
            }
            if t.desired_replicas == 0 {
                return Err(Rejected(format!(
                    "{}: desiredReplicas 0 (KEDA rejects this)",
                    where_()
                )));
            }
            let parse = |what: &str, spec: &str| {
                cron::parse(spec)
                    .map_err(|e| Rejected(format!("{}: {what} `{spec}`: {e}", where_())))
            };
            triggers.push(Trigger {
                start: parse("start", start)?,
                end: parse("end", end)?,
                desired: t.desired_replicas,
            });
        }
        Ok(Evaluator {
            tz,
            min: ds.min,
            max: ds.max,
            triggers,
        })
    }

    /// The triggers' zone.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// Every zone a trigger's `Next` can run in: the trigger zone and `TZ=` overrides.
    fn zone_list(&self) -> Vec<Tz> {
        let mut out = vec![self.tz];
        for t in &self.triggers {
            for s in [&t.start, &t.end] {
                if let Location::Zone(z) = s.location {
                    if !out.contains(&z) {
                        out.push(z);
                    }
                }
            }
        }
        out
    }

    /// Zones with offset tables covering `[from - 3 days, to + 800 days)`, which holds
    /// nearly every `Next` a timeline over `[from, to)` computes.
    fn zones_for(&self, from: i64, to: i64) -> Zones {
        let (lo, hi) = (from - 3 * 86_400, to + 800 * 86_400);
        Zones(
            self.zone_list()
                .into_iter()
                .map(|tz| Zone::with_range(tz, lo, hi))
                .collect(),
        )
    }

    fn zones_plain(&self) -> Zones {
        Zones(self.zone_list().into_iter().map(Zone::new).collect())
    }

    fn state_unix(&self, i: usize, now: i64, zones: &Zones) -> (bool, Option<i64>, Option<i64>) {
        self.state_memo(i, now, zones, &mut [NextMemo::default(); 2])
    }

    /// The state with memoised `Next` calls (`memo[0]` start, `memo[1]` end).
    fn state_memo(
        &self,
        i: usize,
        now: i64,
        zones: &Zones,
        memo: &mut [NextMemo; 2],
    ) -> (bool, Option<i64>, Option<i64>) {
        let t = &self.triggers[i];
        let ns = t
            .start
            .next_memo(now, zones.get(t.start.zone(self.tz)), &mut memo[0]);
        let ne = t
            .end
            .next_memo(now, zones.get(t.end.zone(self.tz)), &mut memo[1]);
        (keda_active(now, ns, ne), ns, ne)
    }

    /// KEDA's decision for trigger `i` at `at`.
    pub fn trigger_state(&self, i: usize, at: DateTime<Utc>) -> TriggerState {
        let (active, ns, ne) = self.state_unix(i, at.timestamp(), &self.zones_plain());
        let conv = |u: Option<i64>| u.and_then(|u| DateTime::from_timestamp(u, 0));
        TriggerState {
            active,
            next_start: conv(ns),
            next_end: conv(ne),
        }
    }

    fn floor_of(&self, active: &[usize]) -> u32 {
        let desired = active
            .iter()
            .map(|&i| self.triggers[i].desired)
            .max()
            .unwrap_or(0);
        self.min.max(desired).min(self.max)
    }

    /// The floor at `at`.
    pub fn floor_at(&self, at: DateTime<Utc>) -> FloorAt {
        let now = at.timestamp();
        let zones = self.zones_plain();
        let active: Vec<usize> = (0..self.triggers.len())
            .filter(|&i| self.state_unix(i, now, &zones).0)
            .collect();
        FloorAt {
            floor: self.floor_of(&active),
            active,
        }
    }

    /// Floor intervals over the minute grid `from + k·1min < to` (see [`timeline`]).
    pub fn timeline(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> (Vec<FloorInterval>, Stats) {
        self.timeline_shared(from, to, &mut ChangeCache::default())
    }

    /// [`Self::timeline`], reusing (and filling) `cache`: triggers with the same two
    /// expressions in the same zone over the same grid have the same change list (the
    /// desired replicas do not enter KEDA's decision), so each distinct one is evaluated
    /// once per cache — across the deployments of a `plan`, say.
    pub fn timeline_shared(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        cache: &mut ChangeCache,
    ) -> (Vec<FloorInterval>, Stats) {
        let grid = Grid::new(from, to);
        let zones = self.zones_for(grid.from, grid.end());
        let mut stats = Stats::default();
        let mut per: Vec<Vec<(i64, bool)>> = Vec::with_capacity(self.triggers.len());
        for (i, t) in self.triggers.iter().enumerate() {
            let key = (self.tz, t.start.clone(), t.end.clone(), grid.from, grid.n);
            let changes = match cache.0.entry(key) {
                Entry::Occupied(known) => known.get().clone(),
                Entry::Vacant(slot) => slot
                    .insert(self.eval_fast(i, &grid, &zones, &mut stats))
                    .clone(),
            };
            per.push(changes);
        }
        (self.merge(&grid, &per), stats)
    }

    /// Floor intervals evaluating every minute (the reference for [`Self::timeline`]).
    pub fn timeline_brute(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<FloorInterval> {
        let grid = Grid::new(from, to);
        let zones = self.zones_for(grid.from, grid.end());
        let per: Vec<Vec<(i64, bool)>> = (0..self.triggers.len())
            .map(|i| {
                let mut out = Vec::new();
                let mut memo = [NextMemo::default(); 2];
                for k in 0..grid.n {
                    let active = self.state_memo(i, grid.at(k), &zones, &mut memo).0;
                    push_change(&mut out, k, active);
                }
                out
            })
            .collect();
        self.merge(&grid, &per)
    }

    /// Every-minute windows for trigger `i` as grid index ranges `[lo, hi)`, sorted,
    /// merged: ±52 h around each offset change of its zones, ±16 h around each New Year.
    fn guard_windows(&self, i: usize, grid: &Grid, zones: &Zones) -> Vec<(i64, i64)> {
        let t = &self.triggers[i];
        let mut tzs = vec![self.tz, t.start.zone(self.tz), t.end.zone(self.tz)];
        tzs.dedup();
        let lo = grid.from - GUARD_OFFSET_CHANGE;
        let hi = grid.end() + GUARD_OFFSET_CHANGE;
        let mut centres: Vec<(i64, i64)> = Vec::new();
        for (n, tz) in tzs.iter().enumerate() {
            if tzs[..n].contains(tz) {
                continue;
            }
            for &c in zones.get(*tz).changes() {
                if lo <= c && c <= hi {
                    centres.push((c, GUARD_OFFSET_CHANGE));
                }
            }
        }
        for y in year_of(lo) - 1..=year_of(hi) + 1 {
            centres.push((cron::days_from_civil(y, 1, 1) * 86_400, GUARD_NEW_YEAR));
        }
        let mut ranges: Vec<(i64, i64)> = centres
            .into_iter()
            .filter_map(|(c, w)| {
                let lo = grid.ceil_index(c - w);
                let hi = (grid.ceil_index(c + w) + 1).min(grid.n);
                (lo < hi).then_some((lo, hi))
            })
            .collect();
        ranges.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::new();
        for (lo, hi) in ranges {
            match merged.last_mut() {
                Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        merged
    }

    /// Change list `(grid index, active)` of trigger `i`, jumping between firings.
    fn eval_fast(
        &self,
        i: usize,
        grid: &Grid,
        zones: &Zones,
        stats: &mut Stats,
    ) -> Vec<(i64, bool)> {
        let guards = self.guard_windows(i, grid, zones);
        let mut memo = [NextMemo::default(); 2];
        let mut out = Vec::new();
        let mut gi = 0;
        let mut k = 0;
        while k < grid.n {
            while gi < guards.len() && guards[gi].1 <= k {
                gi += 1;
            }
            if gi < guards.len() && guards[gi].0 <= k {
                while k < guards[gi].1 {
                    let active = self.state_memo(i, grid.at(k), zones, &mut memo).0;
                    push_change(&mut out, k, active);
                    stats.evaluations += 1;
                    stats.guard_evaluations += 1;
                    k += 1;
                }
                continue;
            }
            let (active, ns, ne) = self.state_unix(i, grid.at(k), zones);
            stats.evaluations += 1;
            push_change(&mut out, k, active);
            let mut next = grid.n;
            for x in [ns, ne].into_iter().flatten() {
                next = next.min(grid.ceil_index(x));
            }
            if gi < guards.len() {
                next = next.min(guards[gi].0);
            }
            next = next.max(k + 1);
            if next - 1 > k {
                stats.evaluations += 1;
                if self.state_unix(i, grid.at(next - 1), zones).0 != active {
                    stats.sentinel_misses += 1;
                    for j in k + 1..next {
                        let active = self.state_memo(i, grid.at(j), zones, &mut memo).0;
                        push_change(&mut out, j, active);
                        stats.evaluations += 1;
                    }
                }
            }
            k = next;
        }
        out
    }

    /// Merges per-trigger change lists into floor intervals with equal
    /// (floor, active set) runs joined.
    fn merge(&self, grid: &Grid, per: &[Vec<(i64, bool)>]) -> Vec<FloorInterval> {
        let mut points: Vec<i64> = per.iter().flatten().map(|&(k, _)| k).collect();
        points.push(0);
        points.sort_unstable();
        points.dedup();
        let mut pos = vec![0usize; per.len()];
        let mut runs: Vec<(i64, u32, Vec<usize>)> = Vec::new();
        for &k in &points {
            if k >= grid.n {
                break;
            }
            let mut active = Vec::new();
            for (ti, changes) in per.iter().enumerate() {
                while pos[ti] + 1 < changes.len() && changes[pos[ti] + 1].0 <= k {
                    pos[ti] += 1;
                }
                if changes.get(pos[ti]).is_some_and(|c| c.0 <= k && c.1) {
                    active.push(ti);
                }
            }
            let floor = self.floor_of(&active);
            match runs.last() {
                Some((_, f, a)) if *f == floor && *a == active => {}
                _ => runs.push((k, floor, active)),
            }
        }
        let mut out = Vec::with_capacity(runs.len());
        for (idx, (k, floor, active)) in runs.iter().enumerate() {
            let end = runs.get(idx + 1).map_or(grid.to, |r| grid.at(r.0));
            out.push(FloorInterval {
                start: utc(grid.at(*k)),
                end: utc(end),
                floor: *floor,
                active: active.clone(),
            });
        }
        out
    }
}

fn push_change(out: &mut Vec<(i64, bool)>, k: i64, v: bool) {
    if out.last().map(|c| c.1) != Some(v) {
        out.push((k, v));
    }
}

fn utc(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).expect("instant in chrono's range")
}

fn year_of(unix: i64) -> i64 {
    cron::civil_from_days(unix.div_euclid(86_400)).0
}

/// The instants `from + k·STEP` for `0 <= k < n`, all before `to`.
struct Grid {
    from: i64,
    to: i64,
    n: i64,
}

impl Grid {
    fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Grid {
        let (from, to) = (from.timestamp(), to.timestamp());
        let n = if to > from {
            (to - from + STEP - 1) / STEP
        } else {
            0
        };
        Grid { from, to, n }
    }

    fn at(&self, k: i64) -> i64 {
        self.from + k * STEP
    }

    fn end(&self) -> i64 {
        self.at(self.n)
    }

    /// The smallest k in `[0, n]` with `at(k) >= t`.
    fn ceil_index(&self, t: i64) -> i64 {
        if t <= self.from {
            return 0;
        }
        ((t - self.from + STEP - 1) / STEP).min(self.n)
    }
}

/// The floor KEDA enforces for `ds` at `at`, with the active triggers.
///
/// # Panics
/// When the schedule holds a trigger KEDA would reject (see [`Evaluator::new`]);
/// compiled schedules never do. Use [`Evaluator`] to handle that case.
pub fn floor_at(ds: &DeploymentSchedule, at: DateTime<Utc>) -> FloorAt {
    evaluator(ds).floor_at(at)
}

/// The floor of `ds` over the minute grid `from, from + 1min, … < to`, as contiguous
/// intervals (the first starts at `from`, the last ends at `to`), each a maximal run
/// of equal floor and active-trigger set. Exact at every grid minute; see the module
/// docs for how it avoids evaluating them all.
///
/// # Panics
/// As [`floor_at`].
pub fn timeline(
    ds: &DeploymentSchedule,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<FloorInterval> {
    evaluator(ds).timeline(from, to).0
}

/// [`timeline`] computed by evaluating every grid minute (slow; the reference in tests).
///
/// # Panics
/// As [`floor_at`].
pub fn timeline_brute(
    ds: &DeploymentSchedule,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<FloorInterval> {
    evaluator(ds).timeline_brute(from, to)
}

fn evaluator(ds: &DeploymentSchedule) -> Evaluator {
    Evaluator::new(ds).unwrap_or_else(|e| panic!("invalid compiled schedule: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::EntryKind;
    use crate::schedule::CronTrigger;

    fn ds(tz: &str, min: u32, max: u32, triggers: &[(&str, &str, u32)]) -> DeploymentSchedule {
        DeploymentSchedule {
            territory: "XX".into(),
            workload: "queries".into(),
            name: "app-queries-xx".into(),
            timezone: tz.into(),
            min,
            max,
            triggers: triggers
                .iter()
                .enumerate()
                .map(|(i, &(start, end, desired))| CronTrigger {
                    name: format!("season-test-{}", i + 1),
                    start: start.into(),
                    end: end.into(),
                    desired_replicas: desired,
                    entry_kind: EntryKind::Season,
                    entry_id: "test".into(),
                })
                .collect(),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn floor_is_clamped_max_of_active_triggers() {
        let d = ds(
            "Europe/Berlin",
            2,
            6,
            &[
                ("0 8 * * *", "0 20 * * *", 4),
                ("0 9 * * *", "0 10 * * *", 9),
            ],
        );
        assert_eq!(
            floor_at(&d, at("2026-06-01T07:30:00+02:00")),
            FloorAt {
                floor: 2,
                active: vec![]
            }
        );
        assert_eq!(
            floor_at(&d, at("2026-06-01T08:00:00+02:00")),
            FloorAt {
                floor: 4,
                active: vec![0]
            }
        );
        assert_eq!(
            floor_at(&d, at("2026-06-01T09:59:00+02:00")),
            FloorAt {
                floor: 6,
                active: vec![0, 1]
            }
        );
        assert_eq!(floor_at(&d, at("2026-06-01T20:00:00+02:00")).floor, 2);
    }

    #[test]
    fn midnight_crossing_days_restricted_end_is_active_for_a_year() {
        let d = ds(
            "Europe/Berlin",
            1,
            5,
            &[("0 22 1-15 10 *", "0 2 1-15 10 *", 5)],
        );
        assert_eq!(floor_at(&d, at("2026-10-16T12:00:00+02:00")).floor, 5);
        assert_eq!(floor_at(&d, at("2027-03-01T12:00:00+01:00")).floor, 5);
        assert_eq!(floor_at(&d, at("2026-10-02T12:00:00+02:00")).floor, 1);
    }

    #[test]
    fn berlin_window_across_the_spring_gap_does_not_happen() {
        let d = ds("Europe/Berlin", 1, 3, &[("30 0 * * *", "30 2 * * *", 3)]);
        assert_eq!(floor_at(&d, at("2026-03-29T01:00:00+01:00")).floor, 1);
        assert_eq!(floor_at(&d, at("2026-03-28T01:00:00+01:00")).floor, 3);
        assert_eq!(floor_at(&d, at("2026-10-25T02:15:00+01:00")).floor, 3);
    }

    #[test]
    fn rejects_what_keda_rejects() {
        assert!(Evaluator::new(&ds("Europe/Berln", 1, 2, &[])).is_err());
        assert!(Evaluator::new(&ds("UTC", 1, 2, &[("0 8 * * *", " 0 8 * * * ", 2)])).is_err());
        assert!(Evaluator::new(&ds("UTC", 1, 2, &[("0 8 * * *", "0 9 * * *", 0)])).is_err());
        assert!(Evaluator::new(&ds("UTC", 1, 2, &[("0 8 * * 7", "0 9 * * *", 2)])).is_err());
    }

    #[test]
    fn timeline_is_contiguous_and_merged() {
        let d = ds("Europe/Berlin", 1, 4, &[("0 8 * 6 *", "0 20 * 6 *", 3)]);
        let tl = timeline(&d, at("2026-06-01T00:00:00Z"), at("2026-06-03T00:00:00Z"));
        let got: Vec<(String, u32)> = tl
            .iter()
            .map(|i| (i.start.format("%d %H:%M").to_string(), i.floor))
            .collect();
        assert_eq!(
            got,
            [
                ("01 00:00".to_string(), 1),
                ("01 06:00".into(), 3),
                ("01 18:00".into(), 1),
                ("02 06:00".into(), 3),
                ("02 18:00".into(), 1)
            ]
        );
        for w in tl.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
        assert_eq!(tl.last().unwrap().end, at("2026-06-03T00:00:00Z"));
    }

    #[test]
    fn offset_changes_of_berlin_2026() {
        let zone = Zone::with_range(
            Tz::Europe__Berlin,
            at("2026-01-01T00:00:00Z").timestamp(),
            at("2027-01-01T00:00:00Z").timestamp(),
        );
        assert_eq!(
            zone.changes(),
            [
                at("2026-03-29T01:00:00Z").timestamp(),
                at("2026-10-25T01:00:00Z").timestamp()
            ]
        );
    }
}
