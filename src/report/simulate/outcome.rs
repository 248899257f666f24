//! The results of one deployment: the four strategies' totals, the traced day for
//! charts, and per calendar entry the risk in its windows' first hours, the floor that
//! carries its peak and its cron repeat outside its own dates.

use chrono::{Duration, NaiveDate};

use crate::config::model::{floor_held_back_from, EntryKind, Model, Territory};
use crate::config::zone::local_midnight;

use super::controller::{ControllerParams, Tolerance, STEP_SECONDS};
use super::prepare::{step_ceil, Prepared};
use super::run::{self, CronSegment, Signals, Strategy, Tally, Trace};
use super::traffic::{self, Span};
use super::Request;

/// What one strategy did over one deployment's range.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyResult {
    /// Which strategy.
    pub strategy: Strategy,
    /// Σ replicas after each step.
    pub replica_steps: u64,
    /// Steps at risk.
    pub risk_steps: u64,
    /// Highest demand ÷ capacity of any step.
    pub worst_ratio: f64,
    /// Unix time of that step.
    pub worst_at: i64,
}

/// One calendar entry seen from one deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryResult {
    /// Index in `Model::entries`.
    pub index: usize,
    /// Entry id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Season or campaign.
    pub kind: EntryKind,
    /// Windows of the intended calendar inside the range.
    pub windows: usize,
    /// Steps in the first hours of those windows.
    pub first_hour_steps: u64,
    /// `reactive` at-risk steps in the first hours.
    pub reactive_first_hour: u64,
    /// `scheduled` at-risk steps in the first hours.
    pub scheduled_first_hour: u64,
    /// `scheduled` at-risk steps in the windows.
    pub scheduled_windows: u64,
    /// `scheduled` at-risk steps in the first `startup_seconds` of the windows.
    pub scheduled_startup: u64,
    /// `ideal` at-risk steps in the windows.
    pub ideal_windows: u64,
    /// The entry's floor for this deployment, if it has one.
    pub floor: Option<u32>,
    /// Highest `D` in the windows (milli-rps).
    pub peak_milli: u64,
    /// `⌈100·peak / (S·R)⌉`: the fewest ready replicas that carry the peak.
    pub needed_floor: u32,
    /// The floor that carries the peak on its own ([`carrying_floor`]), `None` when `min`
    /// does; may exceed `max`.
    pub carrying_floor: Option<u32>,
    /// The smallest floor that makes `scheduled` risk-free in the entry's windows
    /// (simulated, see [`smallest_safe_floor`]), `None` when no floor is needed; may
    /// exceed `max`.
    pub suggested_floor: Option<u32>,
    /// `scheduled`'s at-risk steps in the windows with the suggested floor (0 unless
    /// even the carrying floor leaves risk: a lead too short for the startup).
    pub suggested_risk_steps: u64,
    /// Minutes the entry's floors open before its hours.
    pub lead_minutes: u32,
    /// Steps in which a rendered trigger of the entry is active outside its floor
    /// windows: a dated entry's yearless cron repeat (scheduled pays for a floor without
    /// its traffic).
    pub repeat_steps: u64,
}

/// The floor whose ready replicas carry a peak that needs `needed` of them on their own,
/// or `None` when `min` already does: `needed`, unless the HPA's scale-up `tolerance`
/// (thousandths) would keep some replica count below `needed` from reaching it (SPEC §8.2
/// step 3), then the next floor that every such count reaches. With a lead of at least
/// the startup time it leaves no risk in the windows, whatever the HPA does.
pub fn carrying_floor(needed: u32, min: u32, tolerance: u64) -> Option<u32> {
    if needed <= min {
        return None;
    }
    let tolerance = u32::try_from(tolerance.min(1_000_000)).expect("bounded");
    // needed × (1 + tolerance) is always reached from every count below `needed`.
    let enough = u64::from(needed) * (1000 + u64::from(tolerance));
    let last = u32::try_from(enough.div_ceil(1000)).unwrap_or(u32::MAX);
    (needed..=last)
        .find(|&f| floor_held_back_from(f, tolerance).is_none_or(|h| h.max(min) >= needed))
}

/// One deployment's results.
#[derive(Debug, Clone)]
pub struct DeploymentResult {
    /// Deployment name.
    pub name: String,
    /// Territory code.
    pub territory: String,
    /// Workload name.
    pub workload: String,
    /// Territory zone.
    pub timezone: String,
    /// `minReplicaCount` (rendered).
    pub min: u32,
    /// `maxReplicaCount` (rendered).
    pub max: u32,
    /// Throughput threshold (rendered).
    pub rps_per_replica: f64,
    /// The HPA tolerance in effect (rendered, else the request's).
    pub tolerance: Tolerance,
    /// `baseline_rps`.
    pub baseline_rps: f64,
    /// Unix time of step 0 (local midnight of `--from`).
    pub start: i64,
    /// Unix time of local midnight of `--to`.
    pub end: i64,
    /// Steps simulated.
    pub steps: u64,
    /// `static`, `reactive`, `scheduled`, `ideal`.
    pub strategies: Vec<StrategyResult>,
    /// Entries that floor this deployment or load its territory, in model order.
    pub entries: Vec<EntryResult>,
    /// Highest demand over the range (milli-rps) and the `max` it needs.
    pub peak_milli: u64,
    /// `⌈100·peak / (S·R)⌉`.
    pub needed_max: u32,
    /// One traced local day, when asked for.
    pub day: Option<DayTrace>,
}

impl DeploymentResult {
    /// The result of `strategy`.
    pub fn strategy(&self, strategy: Strategy) -> &StrategyResult {
        self.strategies
            .iter()
            .find(|s| s.strategy == strategy)
            .expect("every strategy is simulated")
    }
}

/// Every step of one local day: demand and each strategy's replicas.
#[derive(Debug, Clone)]
pub struct DayTrace {
    /// The local day.
    pub day: NaiveDate,
    /// Unix time of its first step.
    pub start: i64,
    /// `D` per step (milli-rps).
    pub demand: Vec<u64>,
    /// Per strategy (in [`Strategy::ALL`] order): (replicas, ready) per step.
    pub strategies: Vec<(Strategy, Vec<(u32, u32)>)>,
    /// Zone offset (seconds) at each step, for local hour labels.
    pub offsets: Vec<i64>,
    /// The cron floor `d` per step (0: no trigger active).
    pub floor: Vec<u32>,
    /// `S·R`: capacity of one ready replica in units of `100·D`.
    pub sr: u64,
}

/// The whole simulation.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The request it answers.
    pub request: Request,
    /// Per deployment, model order.
    pub deployments: Vec<DeploymentResult>,
}

/// Runs the four strategies of a prepared deployment and sums up per entry.
pub fn finish(model: &Model, p: &Prepared, req: &Request) -> DeploymentResult {
    let (ds, territory, params, t0, n) = (p.schedule, p.territory, &p.params, p.t0, p.n);
    let sig = p.signals();
    let tz = territory.timezone;
    let day_steps = req.trace_day.map(|day| {
        let lo = step_ceil(t0, local_midnight(tz, day).timestamp()).min(n);
        let hi = step_ceil(t0, local_midnight(tz, day + Duration::days(1)).timestamp()).min(n);
        (day, lo, hi - lo)
    });
    let mut tallies = Vec::with_capacity(4);
    let mut traces = Vec::new();
    for strategy in Strategy::ALL {
        let mut trace = day_steps.map(|(_, lo, len)| Trace::new(lo, len));
        tallies.push((strategy, run::run(strategy, params, &sig, trace.as_mut())));
        if let Some(t) = trace {
            traces.push((strategy, t.steps));
        }
    }
    let entries = entry_results(model, p, &tallies);
    let peak_milli = demand_peak(&sig, 0, n);
    let day = day_steps.map(|(day, lo, len)| DayTrace {
        day,
        start: t0 + STEP_SECONDS * lo as i64,
        demand: (lo..lo + len).map(|k| sig_demand(&sig, k)).collect(),
        offsets: day_offsets(territory, t0 + STEP_SECONDS * lo as i64, len),
        floor: (lo..lo + len).map(|k| cron_at(&p.cron, k)).collect(),
        sr: params.s * params.r,
        strategies: traces,
    });
    DeploymentResult {
        name: ds.name.clone(),
        territory: ds.territory.clone(),
        workload: ds.workload.clone(),
        timezone: territory.timezone_name.clone(),
        min: params.min,
        max: params.max,
        rps_per_replica: p.rps_per_replica,
        tolerance: params.tolerance,
        baseline_rps: p.baseline_rps,
        start: t0,
        end: p.end,
        steps: n,
        strategies: tallies
            .iter()
            .map(|(s, t)| strategy_result(*s, t, t0))
            .collect(),
        entries,
        peak_milli,
        needed_max: needed(peak_milli, params),
        day,
    }
}

fn strategy_result(strategy: Strategy, t: &Tally, t0: i64) -> StrategyResult {
    StrategyResult {
        strategy,
        replica_steps: t.replica_steps,
        risk_steps: t.risk_steps,
        worst_ratio: t.worst.ratio(),
        worst_at: t0 + STEP_SECONDS * t.worst.step as i64,
    }
}

fn cron_at(cron: &[CronSegment], k: u64) -> u32 {
    cron.iter().find(|c| c.end > k).map_or(0, |c| c.d)
}

fn sig_demand(sig: &Signals, k: u64) -> u64 {
    sig.demand.at(sig.t0 + STEP_SECONDS * k as i64)
}

/// The highest `D` of steps `[lo, hi)` (every minute they touch holds one of them).
fn demand_peak(sig: &Signals, lo: u64, hi: u64) -> u64 {
    if lo >= hi {
        return 0;
    }
    let at = |k: u64| sig.demand.index(sig.t0 + STEP_SECONDS * k as i64);
    sig.demand.milli[at(lo)..=at(hi - 1)]
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
}

/// `⌈100·D / (S·R)⌉`: replicas whose ready capacity carries demand `D`.
fn needed(d: u64, p: &ControllerParams) -> u32 {
    let need = (100 * d).div_ceil(p.s * p.r);
    need.min(u64::from(u32::MAX)) as u32
}

fn day_offsets(t: &Territory, start: i64, len: u64) -> Vec<i64> {
    let zone = crate::schedule::cron::Zone::with_range(
        t.timezone,
        start,
        start + STEP_SECONDS * len as i64,
    );
    (0..len as i64)
        .map(|k| zone.offset_at(start + STEP_SECONDS * k))
        .collect()
}

/// Per entry that floors this deployment or loads its territory: risk in the windows.
fn entry_results(model: &Model, p: &Prepared, tallies: &[(Strategy, Tally)]) -> Vec<EntryResult> {
    let (ds, territory, params, sig) = (p.schedule, p.territory, &p.params, p.signals());
    let tally = |s: Strategy| &tallies.iter().find(|(x, _)| *x == s).expect("simulated").1;
    let end = sig.t0 + STEP_SECONDS * sig.n as i64;
    let startup = STEP_SECONDS * params.startup_steps as i64;
    let steps = |a: i64, b: i64| {
        (
            step_ceil(sig.t0, a).min(sig.n),
            step_ceil(sig.t0, b).min(sig.n),
        )
    };
    let mut out = Vec::new();
    for (index, e) in model.entries.iter().enumerate() {
        let floor = e.floor_for(&ds.territory, &ds.workload);
        if floor.is_none() && e.load_factor(territory).is_none() {
            continue;
        }
        let spans = traffic::entry_windows(model, e, territory, sig.t0, end);
        let mut r = EntryResult {
            index,
            id: e.id.clone(),
            name: e.name.clone(),
            kind: e.kind,
            windows: spans.len(),
            first_hour_steps: 0,
            reactive_first_hour: 0,
            scheduled_first_hour: 0,
            scheduled_windows: 0,
            scheduled_startup: 0,
            ideal_windows: 0,
            floor,
            peak_milli: 0,
            needed_floor: 0,
            carrying_floor: None,
            suggested_floor: None,
            suggested_risk_steps: 0,
            lead_minutes: e.floor_lead,
            repeat_steps: 0,
        };
        for w in &spans {
            let (lo, hi) = steps(w.start, (w.start + 3600).min(w.end));
            r.first_hour_steps += hi - lo;
            r.reactive_first_hour += tally(Strategy::Reactive).risk_steps_in(lo, hi);
            r.scheduled_first_hour += tally(Strategy::Scheduled).risk_steps_in(lo, hi);
            let (lo, hi) = steps(w.start, (w.start + startup).min(w.end));
            r.scheduled_startup += tally(Strategy::Scheduled).risk_steps_in(lo, hi);
            let (lo, hi) = steps(w.start, w.end);
            r.scheduled_windows += tally(Strategy::Scheduled).risk_steps_in(lo, hi);
            r.ideal_windows += tally(Strategy::Ideal).risk_steps_in(lo, hi);
            r.peak_milli = r.peak_milli.max(demand_peak(&sig, lo, hi));
        }
        r.needed_floor = needed(r.peak_milli, params);
        r.carrying_floor = carrying_floor(r.needed_floor, params.min, params.tolerance.up);
        let floor_spans = traffic::floor_windows(model, e, territory, sig.t0, end);
        let as_steps =
            |xs: &[Span]| -> Vec<(u64, u64)> { xs.iter().map(|x| steps(x.start, x.end)).collect() };
        if let Some(upper) = r.carrying_floor {
            let windows = (as_steps(&floor_spans), as_steps(&spans));
            (r.suggested_floor, r.suggested_risk_steps) =
                smallest_safe_floor(p, &e.id, &windows, upper);
        }
        if let Some((_, active)) = p.cron_active.iter().find(|(id, _)| *id == e.id) {
            let count = |xs: &[Span]| {
                xs.iter()
                    .map(|x| {
                        let (lo, hi) = steps(x.start, x.end);
                        hi - lo
                    })
                    .sum::<u64>()
            };
            r.repeat_steps = count(active) - count(&intersect(active, &floor_spans));
        }
        out.push(r);
    }
    out
}

/// The smallest floor of entry `id` that leaves `scheduled` without risk in its traffic
/// windows, and the risk left at it: `scheduled` runs again with the entry's triggers
/// replaced by each candidate floor over its floor windows (`windows`: floor and traffic
/// windows as step ranges), from none (`min`) up to `upper`, the floor that carries the
/// peak alone. The HPA may add replicas before a window's peak, so a smaller floor can be
/// enough; `upper` is returned when even it leaves risk.
fn smallest_safe_floor(
    p: &Prepared,
    id: &str,
    (floor_windows, traffic_windows): &(StepRanges, StepRanges),
    upper: u32,
) -> (Option<u32>, u64) {
    let base = p.cron_without(id);
    let risk = |floor: u32| {
        let cron = overlay(&base, floor_windows, floor);
        let sig = Signals {
            cron: &cron,
            ..p.signals()
        };
        let tally = run::run(Strategy::Scheduled, &p.params, &sig, None);
        traffic_windows
            .iter()
            .map(|&(lo, hi)| tally.risk_steps_in(lo, hi))
            .sum::<u64>()
    };
    let min = p.params.min;
    let top = upper.min(p.params.max);
    for floor in min..=top {
        if risk(floor) == 0 {
            return ((floor > min).then_some(floor), 0);
        }
    }
    (Some(upper), if upper > top { 0 } else { risk(top) })
}

/// Step index ranges `[lo, hi)`, sorted.
type StepRanges = Vec<(u64, u64)>;

/// `base` raised to at least `floor` in the step ranges `spans` (sorted).
fn overlay(base: &[CronSegment], spans: &[(u64, u64)], floor: u32) -> Vec<CronSegment> {
    let mut cuts: Vec<u64> = base.iter().map(|c| c.end).collect();
    cuts.extend(spans.iter().flat_map(|&(lo, hi)| [lo, hi]));
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::with_capacity(cuts.len());
    let (mut b, mut w, mut from) = (0, 0, 0);
    for end in cuts.into_iter().filter(|&c| c > 0) {
        while b < base.len() && base[b].end <= from {
            b += 1;
        }
        while w < spans.len() && spans[w].1 <= from {
            w += 1;
        }
        let d = base.get(b).map_or(0, |c| c.d);
        let inside = spans.get(w).is_some_and(|&(lo, _)| lo <= from);
        super::prepare::push_segment(&mut out, end, if inside { d.max(floor) } else { d });
        from = end;
    }
    out
}

/// The overlaps of two sorted lists of disjoint spans.
fn intersect(a: &[Span], b: &[Span]) -> Vec<Span> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let (start, end) = (a[i].start.max(b[j].start), a[i].end.min(b[j].end));
        if start < end {
            out.push(Span { start, end });
        }
        if a[i].end < b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}
