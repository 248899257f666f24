//! `scalegen plan`: what the calendar costs and saves over a date range.
//!
//! Per deployment it takes the floor timeline of the *generated* cron triggers
//! ([`crate::schedule::keda::timeline`], exact to the minute, computed by jumping between
//! firings) over the territory's local days `[--from 00:00, --to 24:00)`, and adds
//! up replica-hours with interval arithmetic (no minute loop):
//!
//! - floor replica-hours = Σ floor × hours of each interval;
//! - static replica-hours = max × hours (peak provisioning all the time);
//! - saving = 1 − floor / static, in percent: a saving against static peak provisioning
//!   only. Against plain reactive autoscaling pre-scaling costs replica-hours; the text
//!   says so and points to `simulate` (SPEC §1 plan, §8), which compares both.
//!
//! **Load model** (only for territory workloads with `baseline_rps`): the load at t is
//! `baseline_rps × f(t)`, where f(t) is the highest load factor (SPEC §8.1,
//! [`crate::config::model::Entry::load_factor`]: region keys mixed by traffic share) among
//! the entries whose traffic window (SPEC §2.2: entry dates, `days`, blackouts, hours —
//! a lead opens floors earlier, not traffic) is open at t for the territory, and 1 when
//! none is open; an entry with no `T` or `T-*` key leaves T's load alone.
//! Window edges at wall times that occur twice count at the later instant; a window
//! whose start or end wall time does not exist that day does not open (as §2.2 says).
//! Expected replicas = `min(max, max(floor, ⌈load / rps_per_replica⌉))`; the hours
//! where `⌈load / rps_per_replica⌉ > max` are the capacity risk.
//!
//! Output: text (a summary table, then per deployment the hours at each floor and the
//! pre-scale windows grouped into runs), JSON (summary and every interval) or CSV
//! (one row per interval). `--svg FILE` draws one lane per deployment. Every format
//! is byte-stable: UTC/offset timestamps, fixed decimals, model order.

pub mod load;
pub mod svg;
pub mod text;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, HashMap};

use crate::config::model::{DateRange, Entry, EntryKind, Model, TerritoryWorkload};
use crate::config::zone::local_midnight;
use crate::report::{select, ReportError};
use crate::schedule::keda::{ChangeCache, Evaluator};
use crate::schedule::{DeploymentSchedule, Schedule};
use load::{LoadModel, Segment};

/// Longest range plan accepts (ten years of days).
const MAX_DAYS: i64 = 3653;

/// One interval of a deployment's plan.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlanInterval {
    /// Start, UTC.
    #[serde(serialize_with = "utc_text")]
    pub start: DateTime<Utc>,
    /// End (exclusive), UTC.
    #[serde(serialize_with = "utc_text")]
    pub end: DateTime<Utc>,
    /// Start in the territory's zone.
    #[serde(serialize_with = "local_text")]
    pub start_local: DateTime<Tz>,
    /// End in the territory's zone.
    #[serde(serialize_with = "local_text")]
    pub end_local: DateTime<Tz>,
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
    #[serde(serialize_with = "local_text")]
    pub peak_at: DateTime<Tz>,
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
    #[serde(serialize_with = "utc_text")]
    pub start: DateTime<Utc>,
    /// Local midnight after the last day, UTC.
    #[serde(serialize_with = "utc_text")]
    pub end: DateTime<Utc>,
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
    #[serde(serialize_with = "day_text")]
    pub from: NaiveDate,
    /// Last local day (inclusive).
    #[serde(serialize_with = "day_text")]
    pub to: NaiveDate,
    /// Totals.
    pub totals: Totals,
    /// Per deployment, model order.
    pub deployments: Vec<DeploymentPlan>,
}

fn parse_day(flag: &str, s: &str) -> Result<NaiveDate, ReportError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        ReportError::Invalid(format!("invalid {flag} `{s}`: expected a date YYYY-MM-DD"))
    })
}

/// Serializes an instant as `2026-01-01T00:00:00Z`.
fn utc_text<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&t.format("%Y-%m-%dT%H:%M:%SZ"))
}

/// Serializes a local time as `2026-01-01T00:00:00+01:00`.
fn local_text<S: Serializer>(t: &DateTime<Tz>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&t.format("%Y-%m-%dT%H:%M:%S%:z"))
}

/// Serializes a day as `2026-01-01`.
fn day_text<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn hours(seconds: i64) -> f64 {
    seconds as f64 / 3600.0
}

fn saving(floor: f64, stat: f64) -> f64 {
    if stat > 0.0 {
        round2(100.0 * (1.0 - floor / stat))
    } else {
        0.0
    }
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

/// Computes the plan of every deployment over the local days `from..=to`.
pub fn plan(model: &Model, schedule: &Schedule, from: &str, to: &str) -> Result<Plan, ReportError> {
    let first = parse_day("--from", from)?;
    let last = parse_day("--to", to)?;
    if last < first {
        return Err(ReportError::Invalid(format!(
            "--to {last} is before --from {first}"
        )));
    }
    if (last - first).num_days() >= MAX_DAYS {
        return Err(ReportError::Invalid(format!(
            "the range {first} – {last} is longer than ten years; plan a shorter range"
        )));
    }
    let mut deployments = Vec::new();
    let mut cache = ChangeCache::default();
    for ds in select(model, schedule, None, None)? {
        deployments.push(deployment_plan(model, ds, first, last, &mut cache)?);
    }
    let floor: f64 = deployments.iter().map(|d| d.floor_replica_hours).sum();
    let stat: f64 = deployments.iter().map(|d| d.static_replica_hours).sum();
    Ok(Plan {
        from: first,
        to: last,
        totals: Totals {
            floor_replica_hours: round2(floor),
            static_replica_hours: round2(stat),
            saving_percent: saving(floor, stat),
        },
        deployments,
    })
}

/// The plan of one deployment over the local days `first..=last` of its territory.
fn deployment_plan(
    model: &Model,
    ds: &DeploymentSchedule,
    first: NaiveDate,
    last: NaiveDate,
    cache: &mut ChangeCache,
) -> Result<DeploymentPlan, ReportError> {
    let ev = Evaluator::new(ds).map_err(|e| ReportError::Internal(e.to_string()))?;
    let tz = ev.timezone();
    let territory = model
        .territory(&ds.territory)
        .ok_or_else(|| ReportError::Internal(format!("unknown territory {}", ds.territory)))?;
    let tw = territory
        .workload(&ds.workload)
        .ok_or_else(|| ReportError::Internal(format!("unknown workload {}", ds.workload)))?;
    let start = local_midnight(tz, first);
    let end = local_midnight(tz, last + Duration::days(1));
    let (timeline, _) = ev.timeline_shared(start, end, cache);
    let load = LoadModel::new(model, territory, tw, (first, last), (start, end));
    let mut tally = Tally::new(model, ds, tz, tw);
    for seg in load::segments(&timeline, load.as_ref()) {
        tally.add(&seg, load.as_ref());
    }
    Ok(tally.finish(start, end, load.as_ref()))
}

/// The running sums of [`deployment_plan`] over the segments of the timeline.
struct Tally<'a> {
    ds: &'a DeploymentSchedule,
    tz: Tz,
    bounds: &'a TerritoryWorkload,
    /// Σ floor × seconds.
    floor_rs: i64,
    /// Seconds at each floor.
    by_floor: Vec<(u32, i64)>,
    /// Σ expected replicas × seconds.
    expected_rs: i64,
    /// Seconds in which demand exceeds max.
    risk_s: i64,
    /// (demand, load, start) of the first segment with the highest demand.
    peak: Option<(u32, f64, DateTime<Utc>)>,
    /// Seconds in which a campaign's trigger is active on a local day outside its dates.
    outside: Vec<(&'a str, i64)>,
    /// Position of each campaign id in `outside`.
    outside_at: HashMap<&'a str, usize>,
    /// Per trigger: the dates of its campaign (`None` for seasons and unknown entries).
    campaign_dates: Vec<Option<DateRange>>,
    intervals: Vec<PlanInterval>,
}

impl<'a> Tally<'a> {
    fn new(
        model: &'a Model,
        ds: &'a DeploymentSchedule,
        tz: Tz,
        bounds: &'a TerritoryWorkload,
    ) -> Self {
        // Entry ids are unique; the first entry of an id and kind is its entry.
        let mut entries: BTreeMap<(EntryKind, &str), &Entry> = BTreeMap::new();
        for e in &model.entries {
            entries.entry((e.kind, e.id.as_str())).or_insert(e);
        }
        let campaign_dates = ds
            .triggers
            .iter()
            .map(|t| {
                let e = entries.get(&(t.entry_kind, t.entry_id.as_str()))?;
                (t.entry_kind == EntryKind::Campaign).then_some(e.dates)
            })
            .collect();
        Tally {
            ds,
            tz,
            bounds,
            floor_rs: 0,
            by_floor: Vec::new(),
            expected_rs: 0,
            risk_s: 0,
            peak: None,
            outside: Vec::new(),
            outside_at: HashMap::new(),
            campaign_dates,
            intervals: Vec::new(),
        }
    }

    fn add(&mut self, seg: &Segment, load: Option<&LoadModel>) {
        let secs = (seg.end - seg.start).num_seconds();
        self.floor_rs += i64::from(seg.floor) * secs;
        match self.by_floor.iter_mut().find(|(f, _)| *f == seg.floor) {
            Some((_, s)) => *s += secs,
            None => self.by_floor.push((seg.floor, secs)),
        }
        let expected = load.map(|l| self.expect(seg, l, secs));
        self.count_outside_dates(seg, secs);
        self.push_interval(seg, load.map(|_| seg.factor.unwrap_or(1.0)), expected);
    }

    /// Load-model sums of one segment: `(load, expected replicas, capacity risk)`.
    fn expect(&mut self, seg: &Segment, load: &LoadModel, secs: i64) -> (f64, u32, bool) {
        let rps = load.baseline_rps * seg.factor.unwrap_or(1.0);
        let demand = load::demand(rps, self.bounds.rps_per_replica);
        let expected = seg.floor.max(demand).min(self.ds.max);
        let risk = demand > self.ds.max;
        self.expected_rs += i64::from(expected) * secs;
        if risk {
            self.risk_s += secs;
        }
        if self.peak.is_none_or(|(pd, pl, _)| (demand, rps) > (pd, pl)) {
            self.peak = Some((demand, rps, seg.start));
        }
        (rps, expected, risk)
    }

    /// Campaign triggers active on a local day outside the campaign's own dates.
    fn count_outside_dates(&mut self, seg: &Segment, secs: i64) {
        let day = seg.start.with_timezone(&self.tz).date_naive();
        for &i in &seg.active {
            let Some(dates) = self.campaign_dates[i] else {
                continue;
            };
            if dates.contains(day) || dates.contains(day - Duration::days(1)) {
                continue;
            }
            let id = self.ds.triggers[i].entry_id.as_str();
            match self.outside_at.get(id) {
                Some(&at) => self.outside[at].1 += secs,
                None => {
                    self.outside_at.insert(id, self.outside.len());
                    self.outside.push((id, secs));
                }
            }
        }
    }

    /// Appends the segment as an interval, or extends the previous one when nothing
    /// visible changes.
    fn push_interval(
        &mut self,
        seg: &Segment,
        factor: Option<f64>,
        expected: Option<(f64, u32, bool)>,
    ) {
        let triggers: Vec<String> = seg
            .active
            .iter()
            .map(|&i| self.ds.triggers[i].name.clone())
            .collect();
        let hours_now = hours((seg.end - seg.start).num_seconds());
        if let Some(prev) = self.intervals.last_mut() {
            if prev.floor == seg.floor
                && prev.triggers == triggers
                && prev.load_factor == factor
                && prev.expected_replicas == expected.map(|e| e.1)
                && prev.end == seg.start
            {
                prev.end = seg.end;
                prev.end_local = seg.end.with_timezone(&self.tz);
                prev.hours = round2(prev.hours + hours_now);
                return;
            }
        }
        self.intervals.push(PlanInterval {
            start: seg.start,
            end: seg.end,
            start_local: seg.start.with_timezone(&self.tz),
            end_local: seg.end.with_timezone(&self.tz),
            hours: round2(hours_now),
            floor: seg.floor,
            triggers,
            load_factor: factor.map(|f| (f * 1e6).round() / 1e6),
            load_rps: expected.map(|e| (e.0 * 1e3).round() / 1e3),
            expected_replicas: expected.map(|e| e.1),
            capacity_risk: expected.is_some_and(|e| e.2),
        });
    }

    fn finish(
        mut self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        load: Option<&LoadModel>,
    ) -> DeploymentPlan {
        self.by_floor.sort_unstable();
        let total = (end - start).num_seconds();
        let floor_rh = hours(self.floor_rs);
        let static_rh = f64::from(self.ds.max) * hours(total);
        let load = load.map(|l| {
            let (d, rps, at) = self.peak.unwrap_or((0, l.baseline_rps, start));
            LoadSummary {
                baseline_rps: l.baseline_rps,
                rps_per_replica: self.bounds.rps_per_replica,
                expected_replica_hours: round2(hours(self.expected_rs)),
                capacity_risk_hours: round2(hours(self.risk_s)),
                peak_load_rps: (rps * 1e3).round() / 1e3,
                peak_demand_replicas: d,
                peak_at: at.with_timezone(&self.tz),
            }
        });
        DeploymentPlan {
            territory: self.ds.territory.clone(),
            workload: self.ds.workload.clone(),
            deployment: self.ds.name.clone(),
            timezone: self.ds.timezone.clone(),
            start,
            end,
            hours: round2(hours(total)),
            min: self.ds.min,
            max: self.ds.max,
            floor_replica_hours: round2(floor_rh),
            static_replica_hours: round2(static_rh),
            saving_percent: saving(floor_rh, static_rh),
            notes: self
                .outside
                .iter()
                .map(|(id, secs)| outside_note(id, *secs))
                .collect(),
            hours_by_floor: self
                .by_floor
                .into_iter()
                .map(|(floor, s)| FloorHours {
                    floor,
                    hours: round2(hours(s)),
                })
                .collect(),
            load,
            intervals: self.intervals,
        }
    }
}

/// The note about a campaign active `secs` seconds outside its own dates.
fn outside_note(id: &str, secs: i64) -> String {
    format!(
        "campaign `{id}` is active for {} h outside its own dates: cron has no \
         year, so KEDA repeats it on the same month-days until the entry is removed",
        thousands(round2(hours(secs)))
    )
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
    use super::load::demand;
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
        assert!((e.load_factor(de).unwrap() - 3.0).abs() < 1e-12);
        assert!((e.load_factor(m.territory("CH").unwrap()).unwrap() - 1.5).abs() < 1e-12);
        assert_eq!(e.load_factor(m.territory("AT").unwrap()), None);

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
