//! `scalegen plan`: what the calendar costs and saves over a date range.
//!
//! Per deployment it takes the floor timeline of the *generated* cron triggers
//! ([`crate::schedule::keda::timeline`], exact to the minute, computed by jumping between
//! firings) over the territory's local days `[--from 00:00, --to 24:00)`, and adds
//! up replica-hours with interval arithmetic (no minute loop):
//!
//! - floor replica-hours = Σ floor × hours of each interval;
//! - static replica-hours = max × hours (peak provisioning all the time);
//! - saving = 1 − floor / static, in percent.
//!
//! **Load model** (only for territory workloads with `baseline_rps`): the load at t is
//! `baseline_rps × f(t)`, where f(t) is the highest *effective load factor* among the
//! entries whose calendar window (SPEC §2.2: entry dates, `days`, blackouts, hours) is
//! open at t for the territory, and 1 when none is open. An entry's effective factor
//! for territory T mixes its region keys by traffic share:
//! `Σ_r share_r × f(T-r) + (1 − Σ_r share_r) × f(T)`, where `f(T-r)` falls back to
//! `f(T)` and `f(T)` to 1; an entry with no `T` or `T-*` key leaves T's load alone.
//! Window edges at wall times that occur twice count at the later instant; a window
//! whose start or end wall time does not exist that day does not open (as §2.2 says).
//! Expected replicas = `min(max, max(floor, ⌈load / rps_per_replica⌉))`; the hours
//! where `⌈load / rps_per_replica⌉ > max` are the capacity risk.
//!
//! Output: text (a summary table, then per deployment the hours at each floor and the
//! pre-scale windows grouped into runs), JSON (summary and every interval) or CSV
//! (one row per interval). `--svg FILE` draws one lane per deployment. Every format
//! is byte-stable: UTC/offset timestamps, fixed decimals, model order.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::fmt::Write as _;

use crate::config::model::{Entry, EntryKind, Model, Territory};
use crate::report::explain::{local_midnight, select};
use crate::schedule::keda::{Evaluator, FloorInterval};
use crate::schedule::{DeploymentSchedule, Schedule};

/// Longest range plan accepts (ten years of days).
const MAX_DAYS: i64 = 3653;

/// One interval of a deployment's plan.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlanInterval {
    /// Start, UTC.
    pub start: String,
    /// End (exclusive), UTC.
    pub end: String,
    /// Start in the territory's zone.
    pub start_local: String,
    /// End in the territory's zone.
    pub end_local: String,
    /// Length in hours.
    pub hours: f64,
    /// Floor KEDA enforces.
    pub floor: u32,
    /// Names of the active cron triggers.
    pub triggers: Vec<String>,
    /// Load factor of the load model (`null` without `baseline_rps`).
    pub load_factor: Option<f64>,
    /// Expected load in requests per second.
    pub load_rps: Option<f64>,
    /// Expected replicas: `min(max, max(floor, ⌈load / rps_per_replica⌉))`.
    pub expected_replicas: Option<u32>,
    /// Demand exceeds `max`.
    pub capacity_risk: bool,
}

/// Hours spent at one floor.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FloorHours {
    /// The floor.
    pub floor: u32,
    /// Hours at it.
    pub hours: f64,
}

/// Load-model totals of a deployment.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoadSummary {
    /// Off-season load.
    pub baseline_rps: f64,
    /// Throughput one replica handles.
    pub rps_per_replica: f64,
    /// Σ expected replicas × hours.
    pub expected_replica_hours: f64,
    /// Hours in which demand exceeds max.
    pub capacity_risk_hours: f64,
    /// Highest expected load.
    pub peak_load_rps: f64,
    /// Highest demand in replicas (may exceed max).
    pub peak_demand_replicas: u32,
    /// Local start of the first interval with the peak demand.
    pub peak_at: String,
}

/// The plan of one deployment.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeploymentPlan {
    /// Territory code.
    pub territory: String,
    /// Workload name.
    pub workload: String,
    /// Deployment name.
    pub deployment: String,
    /// The territory's zone.
    pub timezone: String,
    /// Local midnight of the first day, UTC.
    pub start: String,
    /// Local midnight after the last day, UTC.
    pub end: String,
    /// Length of the range in hours (DST days make it differ between zones).
    pub hours: f64,
    /// minReplicaCount.
    pub min: u32,
    /// maxReplicaCount.
    pub max: u32,
    /// Σ floor × hours.
    pub floor_replica_hours: f64,
    /// max × hours.
    pub static_replica_hours: f64,
    /// `100 × (1 − floor / static)`, two decimals.
    pub saving_percent: f64,
    /// Hours at each floor, ascending.
    pub hours_by_floor: Vec<FloorHours>,
    /// Things worth knowing, e.g. a dated campaign whose triggers also fire outside its
    /// own dates (cron has no year).
    pub notes: Vec<String>,
    /// Load-model totals (`null` without `baseline_rps`).
    pub load: Option<LoadSummary>,
    /// The timeline.
    pub intervals: Vec<PlanInterval>,
}

/// Totals over every deployment.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Totals {
    /// Σ floor replica-hours.
    pub floor_replica_hours: f64,
    /// Σ static replica-hours.
    pub static_replica_hours: f64,
    /// Overall saving, two decimals.
    pub saving_percent: f64,
}

/// The whole plan.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Plan {
    /// First local day.
    pub from: String,
    /// Last local day (inclusive).
    pub to: String,
    /// Totals.
    pub totals: Totals,
    /// Per deployment, model order.
    pub deployments: Vec<DeploymentPlan>,
}

fn parse_day(flag: &str, s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("invalid {flag} `{s}`: expected a date YYYY-MM-DD"))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn hours(seconds: i64) -> f64 {
    seconds as f64 / 3600.0
}

fn utc_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn local_text(tz: Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// A calendar window with the entry's effective load factor.
#[derive(Debug, Clone, Copy)]
struct LoadWindow {
    start: i64,
    end: i64,
    factor: f64,
}

/// The effective load factor of `entry` for `territory` (module docs), or `None` when
/// the entry has no load key for it.
fn effective_factor(entry: &Entry, territory: &Territory) -> Option<f64> {
    let keys: Vec<_> = entry
        .load
        .iter()
        .filter(|l| l.territory == territory.code)
        .collect();
    if keys.is_empty() {
        return None;
    }
    let own = keys
        .iter()
        .find(|l| l.region.is_none())
        .map_or(1.0, |l| l.factor);
    let mut shares = 0.0;
    let mut mixed = 0.0;
    for r in &territory.regions {
        let f = keys
            .iter()
            .find(|l| l.region.as_deref() == Some(r.code.as_str()))
            .map_or(own, |l| l.factor);
        shares += r.share;
        mixed += r.share * f;
    }
    Some(mixed + (1.0 - shares).max(0.0) * own)
}

/// A wall-clock window edge as an instant: later occurrence when ambiguous, `None`
/// when it does not exist.
fn edge(tz: Tz, naive: NaiveDateTime) -> Option<i64> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.timestamp()),
        LocalResult::Ambiguous(_, later) => Some(later.timestamp()),
        LocalResult::None => None,
    }
}

/// Every calendar window of entries with a load factor for `territory` that overlaps
/// `[lo, hi)` (days `from - 1 ..= to` cover windows crossing midnight into the range).
fn load_windows(
    model: &Model,
    territory: &Territory,
    days: (NaiveDate, NaiveDate),
    lo: i64,
    hi: i64,
) -> Vec<LoadWindow> {
    let tz = territory.timezone;
    let mut out = Vec::new();
    for entry in &model.entries {
        let Some(factor) = effective_factor(entry, territory) else {
            continue;
        };
        let mut day = days.0 - Duration::days(1);
        while day <= days.1 {
            if entry.dates.contains(day)
                && entry.days.contains(day.weekday())
                && !model.is_blackout(&territory.code, day)
            {
                let (s, e) = (entry.hours.start_minute, entry.hours.end_minute);
                let start = day.and_hms_opt(s / 60, s % 60, 0).expect("valid hour");
                let end = if e == 1440 {
                    (day + Duration::days(1)).and_hms_opt(0, 0, 0)
                } else if e < s {
                    (day + Duration::days(1)).and_hms_opt(e / 60, e % 60, 0)
                } else {
                    day.and_hms_opt(e / 60, e % 60, 0)
                }
                .expect("valid hour");
                if let (Some(a), Some(b)) = (edge(tz, start), edge(tz, end)) {
                    let (a, b) = (a.max(lo), b.min(hi));
                    if a < b {
                        out.push(LoadWindow {
                            start: a,
                            end: b,
                            factor,
                        });
                    }
                }
            }
            day += Duration::days(1);
        }
    }
    out.sort_by_key(|w| (w.start, w.end));
    out
}

/// Demand in replicas for `load` (a tiny tolerance keeps 3.0000000001 at 3).
fn demand(load: f64, rps_per_replica: f64) -> u32 {
    let x = load / rps_per_replica - 1e-9;
    if x <= 0.0 {
        0
    } else {
        x.ceil().min(f64::from(u32::MAX)) as u32
    }
}

/// Computes the plan; `Err` is a usage problem.
pub fn plan(model: &Model, schedule: &Schedule, from: &str, to: &str) -> Result<Plan, String> {
    let first = parse_day("--from", from)?;
    let last = parse_day("--to", to)?;
    if last < first {
        return Err(format!("--to {last} is before --from {first}"));
    }
    if (last - first).num_days() >= MAX_DAYS {
        return Err(format!(
            "the range {first} – {last} is longer than ten years; plan a shorter range"
        ));
    }
    let mut deployments = Vec::new();
    for ds in select(model, schedule, None, None)? {
        deployments.push(deployment_plan(model, ds, first, last)?);
    }
    let floor: f64 = deployments.iter().map(|d| d.floor_replica_hours).sum();
    let stat: f64 = deployments.iter().map(|d| d.static_replica_hours).sum();
    Ok(Plan {
        from: first.to_string(),
        to: last.to_string(),
        totals: Totals {
            floor_replica_hours: round2(floor),
            static_replica_hours: round2(stat),
            saving_percent: saving(floor, stat),
        },
        deployments,
    })
}

fn saving(floor: f64, stat: f64) -> f64 {
    if stat > 0.0 {
        round2(100.0 * (1.0 - floor / stat))
    } else {
        0.0
    }
}

fn deployment_plan(
    model: &Model,
    ds: &DeploymentSchedule,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<DeploymentPlan, String> {
    let ev = Evaluator::new(ds).map_err(|e| format!("internal error: {e}"))?;
    let tz = ev.timezone();
    let territory = model
        .territory(&ds.territory)
        .ok_or_else(|| format!("internal error: unknown territory {}", ds.territory))?;
    let tw = territory
        .workload(&ds.workload)
        .ok_or_else(|| format!("internal error: unknown workload {}", ds.workload))?;
    let start = local_midnight(tz, first);
    let end = local_midnight(tz, last + Duration::days(1));
    let (timeline, _) = ev.timeline(start, end);
    let (lo, hi) = (start.timestamp(), end.timestamp());
    let load_model = tw
        .baseline_rps
        .map(|b| (b, load_windows(model, territory, (first, last), lo, hi)));
    let segments = segments(&timeline, load_model.as_ref().map(|(_, w)| w.as_slice()));

    let mut floor_rs: i64 = 0;
    let mut by_floor: Vec<(u32, i64)> = Vec::new();
    let mut expected_rs: i64 = 0;
    let mut risk_s: i64 = 0;
    let mut peak: Option<(u32, f64, i64)> = None;
    // Seconds in which a campaign's trigger is active on a local day outside its dates.
    let mut outside: Vec<(&str, i64)> = Vec::new();
    let mut intervals: Vec<PlanInterval> = Vec::new();
    for seg in &segments {
        let secs = seg.end - seg.start;
        floor_rs += i64::from(seg.floor) * secs;
        match by_floor.iter_mut().find(|(f, _)| *f == seg.floor) {
            Some((_, s)) => *s += secs,
            None => by_floor.push((seg.floor, secs)),
        }
        let (mut load_rps, mut expected, mut risk) = (None, None, false);
        if let Some((baseline, _)) = &load_model {
            let load = baseline * seg.factor.unwrap_or(1.0);
            let d = demand(load, tw.rps_per_replica);
            let e = seg.floor.max(d).min(ds.max);
            risk = d > ds.max;
            expected_rs += i64::from(e) * secs;
            if risk {
                risk_s += secs;
            }
            if peak.is_none_or(|(pd, pl, _)| (d, load) > (pd, pl)) {
                peak = Some((d, load, seg.start));
            }
            load_rps = Some(load);
            expected = Some(e);
        }
        let day = ts(seg.start).with_timezone(&tz).date_naive();
        for &i in &seg.active {
            let t = &ds.triggers[i];
            let own_dates = model
                .entries
                .iter()
                .find(|e| e.id == t.entry_id && e.kind == t.entry_kind)
                .is_none_or(|e| e.dates.contains(day) || e.dates.contains(day - Duration::days(1)));
            if t.entry_kind == EntryKind::Campaign && !own_dates {
                match outside.iter_mut().find(|(id, _)| *id == t.entry_id) {
                    Some((_, s)) => *s += secs,
                    None => outside.push((&t.entry_id, secs)),
                }
            }
        }
        let triggers: Vec<String> = seg
            .active
            .iter()
            .map(|&i| ds.triggers[i].name.clone())
            .collect();
        let factor = load_model.as_ref().map(|_| seg.factor.unwrap_or(1.0));
        // Join with the previous interval when nothing visible changes.
        if let Some(prev) = intervals.last_mut() {
            if prev.floor == seg.floor
                && prev.triggers == triggers
                && prev.load_factor == factor
                && prev.expected_replicas == expected
                && prev.end == utc_text(ts(seg.start))
            {
                prev.end = utc_text(ts(seg.end));
                prev.end_local = local_text(tz, ts(seg.end));
                prev.hours = round2(prev.hours + hours(secs));
                continue;
            }
        }
        intervals.push(PlanInterval {
            start: utc_text(ts(seg.start)),
            end: utc_text(ts(seg.end)),
            start_local: local_text(tz, ts(seg.start)),
            end_local: local_text(tz, ts(seg.end)),
            hours: round2(hours(secs)),
            floor: seg.floor,
            triggers,
            load_factor: factor.map(|f| (f * 1e6).round() / 1e6),
            load_rps: load_rps.map(|l| (l * 1e3).round() / 1e3),
            expected_replicas: expected,
            capacity_risk: risk,
        });
    }
    by_floor.sort_unstable();
    let total = hi - lo;
    let floor_rh = hours(floor_rs);
    let static_rh = f64::from(ds.max) * hours(total);
    let load = load_model.map(|(baseline, _)| {
        let (d, l, at) = peak.unwrap_or((0, baseline, lo));
        LoadSummary {
            baseline_rps: baseline,
            rps_per_replica: tw.rps_per_replica,
            expected_replica_hours: round2(hours(expected_rs)),
            capacity_risk_hours: round2(hours(risk_s)),
            peak_load_rps: (l * 1e3).round() / 1e3,
            peak_demand_replicas: d,
            peak_at: local_text(tz, ts(at)),
        }
    });
    Ok(DeploymentPlan {
        territory: ds.territory.clone(),
        workload: ds.workload.clone(),
        deployment: ds.name.clone(),
        timezone: ds.timezone.clone(),
        start: utc_text(start),
        end: utc_text(end),
        hours: round2(hours(total)),
        min: ds.min,
        max: ds.max,
        floor_replica_hours: round2(floor_rh),
        static_replica_hours: round2(static_rh),
        saving_percent: saving(floor_rh, static_rh),
        notes: outside
            .iter()
            .map(|(id, secs)| {
                format!(
                    "campaign `{id}` is active for {} h outside its own dates: cron has no \
                     year, so KEDA repeats it on the same month-days until the entry is removed",
                    thousands(round2(hours(*secs)))
                )
            })
            .collect(),
        hours_by_floor: by_floor
            .into_iter()
            .map(|(floor, s)| FloorHours {
                floor,
                hours: round2(hours(s)),
            })
            .collect(),
        load,
        intervals,
    })
}

fn ts(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).expect("instant in range")
}

/// A piece of time with one floor, one active-trigger set and one load factor.
#[derive(Debug, Clone, PartialEq)]
struct Segment {
    start: i64,
    end: i64,
    floor: u32,
    active: Vec<usize>,
    /// Highest factor among open windows; `None` when none is open.
    factor: Option<f64>,
}

/// Splits the floor timeline at load-window edges (a sweep over sorted edges).
fn segments(timeline: &[FloorInterval], windows: Option<&[LoadWindow]>) -> Vec<Segment> {
    let windows = windows.unwrap_or(&[]);
    let mut cuts: Vec<i64> = timeline.iter().map(|i| i.start.timestamp()).collect();
    if let Some(last) = timeline.last() {
        cuts.push(last.end.timestamp());
    }
    let (lo, hi) = match (cuts.first(), cuts.last()) {
        (Some(&lo), Some(&hi)) => (lo, hi),
        _ => return Vec::new(),
    };
    cuts.extend(
        windows
            .iter()
            .flat_map(|w| [w.start, w.end])
            .filter(|&t| lo < t && t < hi),
    );
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::with_capacity(cuts.len());
    let (mut ti, mut wi) = (0, 0);
    let mut open: Vec<LoadWindow> = Vec::new();
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        while timeline[ti].end.timestamp() <= a {
            ti += 1;
        }
        while wi < windows.len() && windows[wi].start <= a {
            open.push(windows[wi]);
            wi += 1;
        }
        open.retain(|w| w.end > a);
        let factor = open.iter().map(|w| w.factor).reduce(f64::max);
        out.push(Segment {
            start: a,
            end: b,
            floor: timeline[ti].floor,
            active: timeline[ti].active.clone(),
            factor,
        });
    }
    out
}

/// `1234.5` → `1,234.5`.
fn thousands(x: f64) -> String {
    let s = format!("{x:.1}");
    let (int, frac) = s.split_once('.').unwrap_or((&s, "0"));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{frac}")
}

/// The human-readable plan.
pub fn text(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "plan {} – {} (local days of each territory; floors of the generated cron triggers)\n",
        plan.from, plan.to
    );
    let name_w = plan
        .deployments
        .iter()
        .map(|d| d.deployment.len())
        .max()
        .unwrap_or(10)
        .max(10);
    let _ = writeln!(
        out,
        "{:name_w$}  {:>12}  {:>12}  {:>8}  {:>14}  {:>9}",
        "deployment", "floor r·h", "static r·h", "saving", "expected r·h", "risk h"
    );
    for d in &plan.deployments {
        let (exp, risk) = match &d.load {
            Some(l) => (
                thousands(l.expected_replica_hours),
                thousands(l.capacity_risk_hours),
            ),
            None => ("–".into(), "–".into()),
        };
        let _ = writeln!(
            out,
            "{:name_w$}  {:>12}  {:>12}  {:>6.1} %  {:>14}  {:>9}",
            d.deployment,
            thousands(d.floor_replica_hours),
            thousands(d.static_replica_hours),
            d.saving_percent,
            exp,
            risk
        );
    }
    let _ = writeln!(
        out,
        "{:name_w$}  {:>12}  {:>12}  {:>6.1} %",
        "total",
        thousands(plan.totals.floor_replica_hours),
        thousands(plan.totals.static_replica_hours),
        plan.totals.saving_percent
    );
    for d in &plan.deployments {
        let _ = writeln!(
            out,
            "\n{} ({} {}, {}, min {}, max {})",
            d.deployment, d.territory, d.workload, d.timezone, d.min, d.max
        );
        let by_floor: Vec<String> = d
            .hours_by_floor
            .iter()
            .map(|f| format!("floor {} for {} h", f.floor, thousands(f.hours)))
            .collect();
        let _ = writeln!(out, "  {}", by_floor.join(" · "));
        let runs = runs(d);
        if runs.is_empty() {
            let _ = writeln!(out, "  no pre-scale window in this range");
        }
        for r in runs {
            let _ = writeln!(out, "  {r}");
        }
        for note in &d.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        if let Some(l) = &d.load {
            let _ = writeln!(
                out,
                "  load model: baseline {} rps, {} rps/replica: expected {} r·h, capacity risk {} h, \
                 peak {} rps = {} replica(s) at {}",
                l.baseline_rps,
                l.rps_per_replica,
                thousands(l.expected_replica_hours),
                thousands(l.capacity_risk_hours),
                l.peak_load_rps,
                l.peak_demand_replicas,
                short(&l.peak_at)
            );
        }
    }
    out
}

fn short(rfc: &str) -> String {
    DateTime::parse_from_rfc3339(rfc)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| rfc.to_string())
}

fn hhmm(rfc: &str) -> &str {
    rfc.get(11..16).unwrap_or("")
}

/// A run of pre-scale windows with the same floor and active triggers.
struct Run<'a> {
    floor: u32,
    triggers: &'a [String],
    /// (start local, end local, hours) of each window; touching intervals are joined.
    windows: Vec<(&'a str, &'a str, f64)>,
    last_end: i64,
}

/// Pre-scale intervals (floor above min or any trigger active) grouped into runs of
/// the same floor and triggers with gaps of at most a week, one line each.
fn runs(d: &DeploymentPlan) -> Vec<String> {
    let mut runs: Vec<Run> = Vec::new();
    for i in d
        .intervals
        .iter()
        .filter(|i| !i.triggers.is_empty() || i.floor > d.min)
    {
        let (start, end) = (parse_ts(&i.start), parse_ts(&i.end));
        let slot = runs.iter().rposition(|r| {
            r.floor == i.floor
                && r.triggers == i.triggers.as_slice()
                && start - r.last_end <= 7 * 86_400
        });
        match slot {
            Some(p) => {
                let run = &mut runs[p];
                match run.windows.last_mut() {
                    Some(w) if run.last_end == start => {
                        w.1 = &i.end_local;
                        w.2 += i.hours;
                    }
                    _ => run.windows.push((&i.start_local, &i.end_local, i.hours)),
                }
                run.last_end = end;
            }
            None => runs.push(Run {
                floor: i.floor,
                triggers: &i.triggers,
                windows: vec![(&i.start_local, &i.end_local, i.hours)],
                last_end: end,
            }),
        }
    }
    runs.into_iter().map(|r| run_line(&r)).collect()
}

fn run_line(r: &Run) -> String {
    let first = r.windows[0];
    let last = r.windows[r.windows.len() - 1];
    let total: f64 = r.windows.iter().map(|w| w.2).sum();
    let same_hours = r
        .windows
        .iter()
        .all(|w| hhmm(w.0) == hhmm(first.0) && hhmm(w.1) == hhmm(first.1));
    let pattern = match r.windows.len() {
        1 => "1 window".to_string(),
        n if same_hours => format!("{n} windows {}–{}", hhmm(first.0), hhmm(first.1)),
        n => format!("{n} windows"),
    };
    let why = if r.triggers.is_empty() {
        String::new()
    } else {
        format!("  ({})", r.triggers.join(", "))
    };
    format!(
        "floor {}  {} → {}  {pattern}, {} h{why}",
        r.floor,
        short(first.0),
        short(last.1),
        thousands(round2(total))
    )
}

fn parse_ts(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s).map_or(0, |t| t.timestamp())
}

/// One CSV row per interval, RFC 4180 quoting where needed.
pub fn csv(plan: &Plan) -> String {
    let mut out = String::from(
        "deployment,territory,workload,start,end,start_local,end_local,hours,floor,min,max,\
         load_factor,load_rps,expected_replicas,capacity_risk,triggers\n",
    );
    let opt = |x: Option<String>| x.unwrap_or_default();
    for d in &plan.deployments {
        for i in &d.intervals {
            let fields = [
                d.deployment.clone(),
                d.territory.clone(),
                d.workload.clone(),
                i.start.clone(),
                i.end.clone(),
                i.start_local.clone(),
                i.end_local.clone(),
                format!("{:.2}", i.hours),
                i.floor.to_string(),
                d.min.to_string(),
                d.max.to_string(),
                opt(i.load_factor.map(|f| format!("{f:.4}"))),
                opt(i.load_rps.map(|f| format!("{f:.3}"))),
                opt(i.expected_replicas.map(|e| e.to_string())),
                i.capacity_risk.to_string(),
                i.triggers.join(";"),
            ];
            let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            let _ = writeln!(out, "{}", row.join(","));
        }
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Fill colour of a floor at `ratio` = floor / max.
fn colour(ratio: f64) -> &'static str {
    if ratio >= 0.999 {
        "#b2182b"
    } else if ratio >= 0.75 {
        "#ef8a62"
    } else if ratio >= 0.5 {
        "#fddbc7"
    } else {
        "#d1e5f0"
    }
}

/// The chart: one lane per deployment, time on x, floor as height and colour, season
/// bands labelled on top. Deterministic: fixed decimals, model order.
pub fn svg(model: &Model, plan: &Plan) -> String {
    const LEFT: f64 = 230.0;
    const WIDTH: f64 = 1400.0;
    const LANE: f64 = 38.0;
    const GAP: f64 = 8.0;
    const BAND: f64 = 16.0;
    let plot_w = WIDTH - LEFT - 20.0;
    let t0 = plan
        .deployments
        .iter()
        .map(|d| parse_ts(&d.start))
        .min()
        .unwrap_or(0);
    let t1 = plan
        .deployments
        .iter()
        .map(|d| parse_ts(&d.end))
        .max()
        .unwrap_or(t0 + 1)
        .max(t0 + 1);
    let x = |t: i64| LEFT + (t - t0) as f64 / (t1 - t0) as f64 * plot_w;
    let first = NaiveDate::parse_from_str(&plan.from, "%Y-%m-%d").expect("plan dates");
    let last = NaiveDate::parse_from_str(&plan.to, "%Y-%m-%d").expect("plan dates");
    let day_x = |d: NaiveDate| {
        x(d.and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp())
    };

    // Entry bands: spans of consecutive days of the range that lie in the entry's dates.
    let mut bands: Vec<(&Entry, Vec<(NaiveDate, NaiveDate)>)> = Vec::new();
    for e in &model.entries {
        let mut spans: Vec<(NaiveDate, NaiveDate)> = Vec::new();
        let mut day = first;
        while day <= last {
            if e.dates.contains(day) {
                match spans.last_mut() {
                    Some(s) if s.1 + Duration::days(1) == day => s.1 = day,
                    _ => spans.push((day, day)),
                }
            }
            day += Duration::days(1);
        }
        if !spans.is_empty() {
            bands.push((e, spans));
        }
    }
    let top = 56.0;
    let lanes_top = top + bands.len() as f64 * BAND + 12.0;
    let height = lanes_top + plan.deployments.len() as f64 * (LANE + GAP) + 40.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {WIDTH:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    let _ = writeln!(
        s,
        "<title>scalegen plan {} – {}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>",
        xml(&plan.from),
        xml(&plan.to)
    );
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">Replica floors {} – {}: \
         {:.1} % below static max</text>",
        xml(&plan.from),
        xml(&plan.to),
        plan.totals.saving_percent
    );
    // Month grid.
    let mut m = NaiveDate::from_ymd_opt(first.year(), first.month(), 1).expect("month start");
    let long = (last - first).num_days() > 400;
    while m <= last {
        if m >= first {
            let xm = day_x(m);
            let label = if long || m.month() == 1 {
                m.format("%b %Y").to_string()
            } else {
                m.format("%b").to_string()
            };
            let _ = writeln!(
                s,
                "<line x1=\"{xm:.2}\" y1=\"{:.2}\" x2=\"{xm:.2}\" y2=\"{:.2}\" stroke=\"#dddddd\"/>\
                 <text x=\"{:.2}\" y=\"{:.2}\" fill=\"#555555\">{}</text>",
                top - 12.0,
                height - 30.0,
                xm + 2.0,
                top - 2.0,
                xml(&label)
            );
        }
        m = if m.month() == 12 {
            NaiveDate::from_ymd_opt(m.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(m.year(), m.month() + 1, 1)
        }
        .expect("month start");
    }
    // Entry bands.
    for (row, (e, spans)) in bands.iter().enumerate() {
        let y = top + row as f64 * BAND;
        let fill = match e.kind {
            EntryKind::Season => "#4d9221",
            EntryKind::Campaign => "#762a83",
        };
        for (a, b) in spans {
            let (xa, xb) = (day_x(*a), day_x(*b + Duration::days(1)));
            let _ = writeln!(
                s,
                "<rect x=\"{xa:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"{fill}\" \
                 fill-opacity=\"0.25\"><title>{} {} ({}–{})</title></rect>",
                y + 2.0,
                (xb - xa).max(0.5),
                BAND - 4.0,
                e.kind.as_str(),
                xml(&e.name),
                a,
                b
            );
        }
        let _ = writeln!(
            s,
            "<text x=\"{:.2}\" y=\"{:.2}\" fill=\"{fill}\">{}</text>",
            day_x(spans[0].0) + 3.0,
            y + BAND - 4.0,
            xml(&e.name)
        );
        let _ = writeln!(
            s,
            "<text x=\"10\" y=\"{:.2}\" fill=\"#555555\">{}</text>",
            y + BAND - 4.0,
            xml(e.kind.as_str())
        );
    }
    // Lanes.
    for (li, d) in plan.deployments.iter().enumerate() {
        let y = lanes_top + li as f64 * (LANE + GAP);
        let (xa, xb) = (x(parse_ts(&d.start)), x(parse_ts(&d.end)));
        let max = f64::from(d.max.max(1));
        let _ = writeln!(
            s,
            "<text x=\"10\" y=\"{:.2}\">{} {}</text><text x=\"10\" y=\"{:.2}\" fill=\"#555555\">\
             {}–{} replicas, saving {:.1} %</text>",
            y + 15.0,
            xml(&d.territory),
            xml(&d.workload),
            y + 29.0,
            d.min,
            d.max,
            d.saving_percent
        );
        let _ = writeln!(
            s,
            "<rect x=\"{xa:.2}\" y=\"{y:.2}\" width=\"{:.2}\" height=\"{LANE:.2}\" fill=\"#f4f4f4\"/>",
            xb - xa
        );
        let base_h = LANE * f64::from(d.min) / max;
        let _ = writeln!(
            s,
            "<rect x=\"{xa:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{base_h:.2}\" fill=\"{}\"/>",
            y + LANE - base_h,
            xb - xa,
            colour(f64::from(d.min) / max)
        );
        for i in d.intervals.iter().filter(|i| i.floor != d.min) {
            let (a, b) = (x(parse_ts(&i.start)), x(parse_ts(&i.end)));
            let h = LANE * f64::from(i.floor) / max;
            let _ = writeln!(
                s,
                "<rect x=\"{a:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{h:.2}\" fill=\"{}\"/>",
                y + LANE - h,
                (b - a).max(0.3),
                colour(f64::from(i.floor) / max)
            );
        }
    }
    // Legend.
    let ly = height - 14.0;
    for (k, (ratio, label)) in [
        (0.25, "floor < 50 % of max"),
        (0.5, "≥ 50 %"),
        (0.75, "≥ 75 %"),
        (1.0, "at max"),
    ]
    .iter()
    .enumerate()
    {
        let lx = LEFT + k as f64 * 150.0;
        let _ = writeln!(
            s,
            "<rect x=\"{lx:.2}\" y=\"{:.2}\" width=\"12\" height=\"10\" fill=\"{}\"/>\
             <text x=\"{:.2}\" y=\"{ly:.2}\">{}</text>",
            ly - 9.0,
            colour(*ratio),
            lx + 16.0,
            xml(label)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// The test model (default territories, one Oktoberfest season with load factors) and
/// the schedule the compiler is expected to produce for it, built by hand.
#[cfg(test)]
pub(crate) mod fixture {
    use super::*;
    use crate::schedule::CronTrigger;

    pub(crate) fn model() -> Model {
        crate::config::validate::model_from_strs(
            include_str!("../../../territories.toml"),
            &[(
                "calendars/test.toml",
                r#"
[[season]]
id = "oktoberfest"
name = "Oktoberfest"
from = "09-01"
to = "10-15"
hours = "08:00-20:00"
floor.DE = { queries = 6, commands = 4 }
load = { DE = 2.0, "DE-BY" = 6.0, CH = 1.5 }
"#,
            )],
        )
        .expect("test model is valid")
    }

    /// The schedule the compiler is expected to produce for `model()` (by hand).
    pub(crate) fn schedule(model: &Model) -> Schedule {
        let mut deployments = Vec::new();
        for t in &model.territories {
            for w in &t.workloads {
                let mut triggers = Vec::new();
                if t.code == "DE" {
                    let desired = if w.workload == "queries" { 6 } else { 4 };
                    for (n, (start, end)) in [
                        ("0 8 * 9 *", "0 20 * 9 *"),
                        ("0 8 1-15 10 *", "0 20 1-15 10 *"),
                    ]
                    .iter()
                    .enumerate()
                    {
                        triggers.push(CronTrigger {
                            name: format!("season-oktoberfest-{}", n + 1),
                            start: start.to_string(),
                            end: end.to_string(),
                            desired_replicas: desired,
                            entry_kind: EntryKind::Season,
                            entry_id: "oktoberfest".into(),
                        });
                    }
                }
                deployments.push(DeploymentSchedule {
                    territory: t.code.clone(),
                    workload: w.workload.clone(),
                    name: model.deployment_name(t, &w.workload),
                    timezone: t.timezone_name.clone(),
                    min: w.min,
                    max: w.max,
                    triggers,
                });
            }
        }
        Schedule {
            deployments,
            expiries: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::{model, schedule};
    use super::*;

    #[test]
    fn replica_hours_and_saving_by_interval_arithmetic() {
        let m = model();
        let p = plan(&m, &schedule(&m), "2026-01-01", "2026-12-31").unwrap();
        let de_q = p
            .deployments
            .iter()
            .find(|d| d.deployment == "freshplan-api-queries-de")
            .unwrap();
        // 2026 in Berlin: 8760 h; 45 windows of 12 h at 6, the rest at 2.
        assert_eq!(de_q.hours, 8760.0);
        assert_eq!(
            de_q.floor_replica_hours,
            45.0 * 12.0 * 6.0 + (8760.0 - 540.0) * 2.0
        );
        assert_eq!(de_q.static_replica_hours, 8760.0 * 6.0);
        assert_eq!(
            de_q.hours_by_floor,
            vec![
                FloorHours {
                    floor: 2,
                    hours: 8220.0
                },
                FloorHours {
                    floor: 6,
                    hours: 540.0
                }
            ]
        );
        let expected_saving = round2(100.0 * (1.0 - de_q.floor_replica_hours / (8760.0 * 6.0)));
        assert_eq!(de_q.saving_percent, expected_saving);
        // AT has no trigger: floor = min all year.
        let at_q = p
            .deployments
            .iter()
            .find(|d| d.deployment == "freshplan-api-queries-at")
            .unwrap();
        assert_eq!(at_q.floor_replica_hours, 8760.0);
        assert_eq!(at_q.intervals.len(), 1);
    }

    #[test]
    fn load_model_mixes_regions_and_flags_capacity_risk() {
        let m = model();
        let de = m.territory("DE").unwrap();
        let e = &m.entries[0];
        // BY 0.25 × 6 + BW 0.20 × 2 + 0.55 × 2 = 3.0
        assert!((effective_factor(e, de).unwrap() - 3.0).abs() < 1e-12);
        assert!((effective_factor(e, m.territory("CH").unwrap()).unwrap() - 1.5).abs() < 1e-12);
        assert_eq!(effective_factor(e, m.territory("AT").unwrap()), None);

        let p = plan(&m, &schedule(&m), "2026-09-01", "2026-09-01").unwrap();
        let de_q = &p
            .deployments
            .iter()
            .find(|d| d.territory == "DE" && d.workload == "queries")
            .unwrap();
        let load = de_q.load.as_ref().unwrap();
        // 120 rps × 3 = 360 rps → ⌈4.5⌉ = 5 ≤ 6 during the window, floor 6 anyway.
        assert_eq!(load.peak_demand_replicas, 5);
        assert_eq!(load.capacity_risk_hours, 0.0);
        assert_eq!(load.expected_replica_hours, 12.0 * 6.0 + 12.0 * 2.0);
        // DE commands: 25 × 3 = 75 rps / 30 → 3 ≤ 4. CH queries: 60 × 1.5 = 90 / 60 → 2.
        let ch_q = p
            .deployments
            .iter()
            .find(|d| d.territory == "CH" && d.workload == "queries")
            .unwrap();
        let l = ch_q.load.as_ref().unwrap();
        assert_eq!(l.peak_demand_replicas, 2);
        assert_eq!(l.expected_replica_hours, 12.0 * 2.0 + 12.0 * 1.0);
        assert_eq!(demand(120.0 * 3.0, 80.0), 5);
        assert_eq!(demand(240.0, 80.0), 3);
        assert_eq!(demand(0.0, 80.0), 0);
    }

    #[test]
    fn rejects_bad_ranges() {
        let m = model();
        let s = schedule(&m);
        for (from, to) in [
            ("2026-12-31", "2026-01-01"),
            ("2026-1-1x", "2026-12-31"),
            ("2026-01-01", "2040-01-01"),
        ] {
            assert!(plan(&m, &s, from, to).is_err(), "{from} {to}");
        }
    }
}
