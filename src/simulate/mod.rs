//! `scalegen simulate` (SPEC §8): a season rehearsal. It replays the traffic model of
//! §8.1 through a model of KEDA and the Kubernetes HPA (§8.2) in 15-second steps and
//! compares four strategies on the same traffic: `static` (max replicas), `reactive`
//! (the rendered ScaledObject without its cron triggers), `scheduled` (as rendered) and
//! `ideal` (exactly the replicas the demand needs, ready at once).
//!
//! Everything the controller sees comes from the rendered ScaledObject ([`rendered`]):
//! bounds, throughput threshold, HPA behavior and the cron triggers, whose floors come
//! from scalegen's model of KEDA's cron semantics ([`crate::keda`]). The traffic comes
//! from the intended calendar ([`traffic`]). The arithmetic is integer, as §8.2 writes it,
//! so that an independent implementation agrees to the step.
//!
//! Stages: [`traffic`] (demand per minute) → [`controller`] (the HPA) → [`run`] (strategies,
//! step loop) →
//! this module (per deployment and per entry) → [`report`] (text, JSON, CSV) and [`svg`].

pub mod controller;
pub mod rendered;
pub mod report;
pub mod run;
pub mod svg;
pub mod traffic;

use chrono::{Duration, NaiveDate};
use std::path::PathBuf;

use crate::explain::{local_midnight, select};
use crate::keda::Evaluator;
use crate::model::{EntryKind, Model, Territory, TerritoryWorkload};
use crate::schedule::{DeploymentSchedule, Schedule};
use controller::{ControllerParams, STEP_SECONDS};
use rendered::RenderedScaling;
use run::{CronSegment, Signals, Strategy, Tally, Trace};
use traffic::{DemandInputs, Span, TrafficSettings};

/// Arguments of `scalegen simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// First day (local midnight of each territory), `YYYY-MM-DD`.
    #[arg(long)]
    pub from: String,
    /// End day, exclusive (local midnight of each territory), `YYYY-MM-DD`.
    #[arg(long)]
    pub to: String,
    /// Only this territory.
    #[arg(long)]
    pub territory: Option<String>,
    /// Only this workload.
    #[arg(long)]
    pub workload: Option<String>,
    /// Multiply all demand by this factor (> 0), e.g. 5 for the seed's "5× Oktoberfest".
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::cli::Format::Text)]
    pub format: crate::cli::Format,
    /// Draw one local day (`--day`) of every selected deployment as an SVG chart.
    #[arg(long, requires = "day", value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// The local day `--svg` draws, `YYYY-MM-DD`, inside the simulated range.
    #[arg(long, requires = "svg", value_name = "YYYY-MM-DD")]
    pub day: Option<String>,
}

/// A validated simulate request.
#[derive(Debug, Clone)]
pub struct Request {
    /// First local day.
    pub from: NaiveDate,
    /// End local day (exclusive).
    pub to: NaiveDate,
    /// Demand multiplier, > 0.
    pub scale: f64,
    /// Territory filter.
    pub territory: Option<String>,
    /// Workload filter.
    pub workload: Option<String>,
    /// `[traffic]` (phase 2 reads it from the config).
    pub traffic: TrafficSettings,
    /// HPA tolerance in per mille (100 = Kubernetes' 10 %).
    pub tolerance_permille: u64,
    /// The local day to trace for charts.
    pub trace_day: Option<NaiveDate>,
}

impl Request {
    /// A request over `[from, to)` with the defaults of §8.1 and Kubernetes' tolerance.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Request {
        Request {
            from,
            to,
            scale: 1.0,
            territory: None,
            workload: None,
            traffic: TrafficSettings::default(),
            tolerance_permille: 100,
            trace_day: None,
        }
    }
}

/// Longest range simulate accepts (ten years).
const MAX_DAYS: i64 = 3653;

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
    /// `⌈100·peak / (S·R)⌉`: the smallest floor whose ready replicas carry the peak.
    pub needed_floor: u32,
    /// Steps in which a rendered trigger of the entry is active outside its windows: a
    /// dated entry's yearless cron repeat (scheduled pays for a floor without its traffic).
    pub repeat_steps: u64,
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

/// Checks the flags and builds the request (usage errors are `Err`, exit 2).
pub fn request_from_args(args: &SimulateArgs) -> Result<Request, String> {
    let from = parse_day("--from", &args.from)?;
    let to = parse_day("--to", &args.to)?;
    if to <= from {
        return Err(format!(
            "--to {to} must be after --from {from} (--to is exclusive: the range ends at its \
             local midnight)"
        ));
    }
    if (to - from).num_days() > MAX_DAYS {
        return Err(format!(
            "the range {from} – {to} is longer than ten years; simulate a shorter range"
        ));
    }
    if !(args.scale.is_finite() && args.scale > 0.0) {
        return Err(format!(
            "--scale must be a number greater than 0, found {}",
            args.scale
        ));
    }
    let trace_day = match &args.day {
        None => None,
        Some(d) => {
            let day = parse_day("--day", d)?;
            if day < from || day >= to {
                return Err(format!(
                    "--day {day} is outside the simulated range {from} – {to} (exclusive)"
                ));
            }
            Some(day)
        }
    };
    Ok(Request {
        scale: args.scale,
        territory: args.territory.clone(),
        workload: args.workload.clone(),
        trace_day,
        ..Request::new(from, to)
    })
}

fn parse_day(flag: &str, s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("invalid {flag} `{s}`: expected a date YYYY-MM-DD"))
}

/// Runs `scalegen simulate`; `Err` is a usage or input problem (exit 2).
pub fn run(model: &Model, schedule: &Schedule, args: &SimulateArgs) -> Result<String, String> {
    let request = request_from_args(args)?;
    let sim = simulate(model, schedule, &request)?;
    let mut out = match args.format {
        crate::cli::Format::Text => report::text(&sim),
        crate::cli::Format::Json => report::json(&sim),
        crate::cli::Format::Csv => report::csv(&sim),
    };
    if let Some(path) = &args.svg {
        fs_err::write(path, svg::chart(&sim))
            .map_err(|e| format!("cannot write the SVG chart: {e}"))?;
        if args.format == crate::cli::Format::Text {
            out.push_str(&format!("\nchart written to {}\n", path.display()));
        }
    }
    Ok(out)
}

/// An entry id and spans of time (in order, disjoint).
pub type EntrySpans = (String, Vec<Span>);

/// One deployment ready to run: its controller parameters and the signals all four
/// strategies share.
#[derive(Debug, Clone)]
pub struct Prepared<'m> {
    /// The compiled schedule (names, territory, workload).
    pub schedule: &'m DeploymentSchedule,
    /// The territory.
    pub territory: &'m Territory,
    /// `baseline_rps`.
    pub baseline_rps: f64,
    /// Throughput threshold of the rendered ScaledObject.
    pub rps_per_replica: f64,
    /// Controller parameters from the rendered ScaledObject and `[traffic]`.
    pub params: ControllerParams,
    /// `D(m)` from before step 0 (the lagged samples) to the end.
    pub demand: traffic::MinuteDemand,
    /// The cron floor `d` of the rendered triggers over the steps.
    pub cron: Vec<CronSegment>,
    /// Per entry id, the spans in which one of its rendered triggers is active.
    pub cron_active: Vec<EntrySpans>,
    /// Unix time of step 0 (local midnight of `--from`).
    pub t0: i64,
    /// Unix time of local midnight of `--to`.
    pub end: i64,
    /// Steps.
    pub n: u64,
}

impl Prepared<'_> {
    /// The signals of the step loop.
    pub fn signals(&self) -> Signals<'_> {
        Signals {
            demand: &self.demand,
            t0: self.t0,
            n: self.n,
            cron: &self.cron,
        }
    }
}

/// Selects the deployments, checks `baseline_rps`, reads the rendered ScaledObjects and
/// prepares the signals of each.
pub fn prepare<'m>(
    model: &'m Model,
    schedule: &'m Schedule,
    req: &Request,
) -> Result<Vec<Prepared<'m>>, String> {
    let selected = select(
        model,
        schedule,
        req.territory.as_deref(),
        req.workload.as_deref(),
    )?;
    let missing: Vec<String> = selected
        .iter()
        .filter(|ds| bounds(model, ds).is_ok_and(|(_, tw)| tw.baseline_rps.is_none()))
        .map(|ds| format!("{} (territories.{}.{})", ds.name, ds.territory, ds.workload))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "simulate needs `baseline_rps` on every simulated deployment; missing on {}",
            missing.join(", ")
        ));
    }
    let objects = rendered_objects(model, schedule)?;
    selected
        .into_iter()
        .map(|ds| {
            let object = objects
                .iter()
                .find(|o| o.name == ds.name)
                .ok_or_else(|| format!("internal error: no rendered ScaledObject {}", ds.name))?;
            prepare_one(model, ds, object, req)
        })
        .collect()
}

/// Simulates every selected deployment.
pub fn simulate(model: &Model, schedule: &Schedule, req: &Request) -> Result<Simulation, String> {
    let deployments = prepare(model, schedule, req)?
        .iter()
        .map(|p| finish(model, p, req))
        .collect();
    Ok(Simulation {
        request: req.clone(),
        deployments,
    })
}

fn bounds<'m>(
    model: &'m Model,
    ds: &DeploymentSchedule,
) -> Result<(&'m Territory, &'m TerritoryWorkload), String> {
    let t = model
        .territory(&ds.territory)
        .ok_or_else(|| format!("internal error: unknown territory {}", ds.territory))?;
    let tw = t
        .workload(&ds.workload)
        .ok_or_else(|| format!("internal error: unknown workload {}", ds.workload))?;
    Ok((t, tw))
}

/// Every rendered ScaledObject, parsed.
fn rendered_objects(model: &Model, schedule: &Schedule) -> Result<Vec<RenderedScaling>, String> {
    let renderer = crate::render::Renderer::new(model, schedule);
    let files = crate::k8s::render(&renderer).map_err(|e| format!("internal error: {e}"))?;
    files
        .iter()
        .filter(|f| f.path.starts_with("keda/"))
        .map(|f| rendered::parse(&f.contents).map_err(|e| format!("internal error: {e}")))
        .collect()
}

/// The controller parameters of a rendered object under `req`.
pub fn params(object: &RenderedScaling, req: &Request) -> Result<ControllerParams, String> {
    let r = traffic::milli(object.threshold, "rps_per_replica")?;
    if r == 0 {
        return Err(format!(
            "{}: rps_per_replica {} rounds to 0 milli-requests/s",
            object.name, object.threshold
        ));
    }
    Ok(ControllerParams {
        min: object.min,
        max: object.max,
        r,
        s: req.traffic.saturation_percent(),
        startup_steps: u64::from(req.traffic.startup_seconds).div_ceil(STEP_SECONDS as u64),
        delay_steps: u64::from(req.traffic.metric_delay_seconds).div_ceil(STEP_SECONDS as u64),
        behavior: object.behavior.clone(),
        tolerance_permille: req.tolerance_permille,
    })
}

/// The cron floor `d` over the steps, from the KEDA model of the rendered triggers, and
/// per entry id the spans (Unix seconds) in which one of its triggers is active.
fn cron_segments(
    cron: &DeploymentSchedule,
    t0: i64,
    n: u64,
    end: i64,
) -> Result<(Vec<CronSegment>, Vec<EntrySpans>), String> {
    let ev = Evaluator::new(cron).map_err(|e| format!("internal error: {e}"))?;
    let (timeline, _) = ev.timeline(ts(t0 - t0.rem_euclid(60)), ts(end));
    let mut out: Vec<CronSegment> = Vec::new();
    let mut active: Vec<EntrySpans> = Vec::new();
    for iv in &timeline {
        let d = iv
            .active
            .iter()
            .map(|&i| cron.triggers[i].desired_replicas)
            .max()
            .unwrap_or(0);
        let end_step = step_ceil(t0, iv.end.timestamp()).min(n);
        match out.last_mut() {
            Some(last) if last.d == d => last.end = end_step,
            _ => out.push(CronSegment { end: end_step, d }),
        }
        let span = Span {
            start: iv.start.timestamp().max(t0),
            end: iv.end.timestamp(),
        };
        for &i in &iv.active {
            let id = &cron.triggers[i].entry_id;
            let spans = match active.iter().position(|(e, _)| e == id) {
                Some(p) => &mut active[p].1,
                None => {
                    active.push((id.clone(), Vec::new()));
                    &mut active.last_mut().expect("just pushed").1
                }
            };
            match spans.last_mut() {
                Some(last) if last.end >= span.start => last.end = last.end.max(span.end),
                _ => spans.push(span),
            }
        }
    }
    Ok((out, active))
}

fn ts(unix: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(unix, 0).expect("instant in chrono's range")
}

/// The first step index whose time is at or after `t`.
fn step_ceil(t0: i64, t: i64) -> u64 {
    if t <= t0 {
        0
    } else {
        ((t - t0) as u64).div_ceil(STEP_SECONDS as u64)
    }
}

fn prepare_one<'m>(
    model: &'m Model,
    ds: &'m DeploymentSchedule,
    object: &RenderedScaling,
    req: &Request,
) -> Result<Prepared<'m>, String> {
    let (territory, tw) = bounds(model, ds)?;
    if !object.one_timezone() {
        return Err(format!(
            "internal error: {} has cron triggers in several zones",
            ds.name
        ));
    }
    let params = params(object, req)?;
    let tz = territory.timezone;
    let t0 = local_midnight(tz, req.from).timestamp();
    let end = local_midnight(tz, req.to).timestamp();
    let n = step_ceil(t0, end);
    let lead_in = STEP_SECONDS * (params.delay_steps as i64 + controller::SAMPLES as i64);
    let baseline_rps = tw.baseline_rps.unwrap_or(0.0);
    let inputs = DemandInputs {
        model,
        territory,
        baseline_rps,
        scale: req.scale,
        traffic: &req.traffic,
    };
    let demand = traffic::minute_demand(&inputs, t0 - lead_in, t0 + STEP_SECONDS * n as i64)?;
    let (cron, cron_active) = cron_segments(&object.cron_schedule(ds), t0, n, end)?;
    Ok(Prepared {
        schedule: ds,
        territory,
        baseline_rps,
        rps_per_replica: object.threshold,
        params,
        demand,
        cron,
        cron_active,
        t0,
        end,
        n,
    })
}

/// Runs the four strategies of a prepared deployment and sums up per entry.
fn finish(model: &Model, p: &Prepared, req: &Request) -> DeploymentResult {
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
    let zone = crate::cron::Zone::with_range(t.timezone, start, start + STEP_SECONDS * len as i64);
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
        if floor.is_none() && traffic::entry_factor(e, territory).is_none() {
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
        if let Some((_, active)) = p.cron_active.iter().find(|(id, _)| *id == e.id) {
            let count = |xs: &[Span]| {
                xs.iter()
                    .map(|x| {
                        let (lo, hi) = steps(x.start, x.end);
                        hi - lo
                    })
                    .sum::<u64>()
            };
            r.repeat_steps = count(active) - count(&intersect(active, &spans));
        }
        out.push(r);
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
