//! Preparing one deployment: what the controller reads from the rendered ScaledObject,
//! the demand per minute from the traffic model, and the cron floor over the steps from
//! the KEDA model of the rendered triggers. All four strategies share the result.

use crate::config::model::{Model, Territory, TerritoryWorkload};
use crate::config::zone::local_midnight;
use crate::report::{select, ReportError};
use crate::schedule::keda::Evaluator;
use crate::schedule::{DeploymentSchedule, Schedule};

use super::controller::{self, ControllerParams, STEP_SECONDS};
use super::rendered::{self, RenderedScaling};
use super::run::{CronSegment, Signals};
use super::traffic::{self, DemandInputs, Span};
use super::Request;

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
    /// The KEDA timeline of the rendered triggers: up to which step each stretch lasts
    /// and the (entry id, desiredReplicas) of the triggers active in it.
    pub cron_timeline: Vec<(u64, Vec<(String, u32)>)>,
    /// Unix time of step 0 (local midnight of `--from`).
    pub t0: i64,
    /// Unix time of local midnight of `--to`.
    pub end: i64,
    /// Steps.
    pub n: u64,
}

impl Prepared<'_> {
    /// The cron floor `d` over the steps with entry `id`'s rendered triggers left out.
    pub fn cron_without(&self, id: &str) -> Vec<CronSegment> {
        let mut out: Vec<CronSegment> = Vec::new();
        for (end, active) in &self.cron_timeline {
            let d = active
                .iter()
                .filter(|(e, _)| e != id)
                .map(|&(_, d)| d)
                .max()
                .unwrap_or(0);
            push_segment(&mut out, *end, d);
        }
        out
    }

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

/// Selects the deployments, checks `baseline_rps` (naming every deployment without it),
/// reads the rendered ScaledObjects (`keda`: the text of each) and prepares the signals
/// of each.
pub fn prepare<'m>(
    model: &'m Model,
    schedule: &'m Schedule,
    keda: &[&str],
    req: &Request,
) -> Result<Vec<Prepared<'m>>, ReportError> {
    prepare_each(model, schedule, keda, req, |p| p)
}

/// [`prepare`] one deployment at a time, handing each to `f` before the next is
/// prepared (a long range's signals are large; only one deployment's are alive at once).
pub fn prepare_each<'m, T>(
    model: &'m Model,
    schedule: &'m Schedule,
    keda: &[&str],
    req: &Request,
    mut f: impl FnMut(Prepared<'m>) -> T,
) -> Result<Vec<T>, ReportError> {
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
        return Err(ReportError::Invalid(format!(
            "simulate needs `baseline_rps` on every simulated deployment; missing on {}",
            missing.join(", ")
        )));
    }
    let objects = keda
        .iter()
        .map(|text| rendered::parse(text).map_err(ReportError::Internal))
        .collect::<Result<Vec<RenderedScaling>, _>>()?;
    selected
        .into_iter()
        .map(|ds| {
            let object = objects.iter().find(|o| o.name == ds.name).ok_or_else(|| {
                ReportError::Internal(format!("no rendered ScaledObject {}", ds.name))
            })?;
            prepare_one(model, ds, object, req).map(&mut f)
        })
        .collect()
}

fn bounds<'m>(
    model: &'m Model,
    ds: &DeploymentSchedule,
) -> Result<(&'m Territory, &'m TerritoryWorkload), ReportError> {
    let t = model
        .territory(&ds.territory)
        .ok_or_else(|| ReportError::Internal(format!("unknown territory {}", ds.territory)))?;
    let tw = t
        .workload(&ds.workload)
        .ok_or_else(|| ReportError::Internal(format!("unknown workload {}", ds.workload)))?;
    Ok((t, tw))
}

/// The controller parameters of a rendered object under `req`.
pub fn params(object: &RenderedScaling, req: &Request) -> Result<ControllerParams, ReportError> {
    let r = traffic::milli(object.threshold, "rps_per_replica")?;
    if r == 0 {
        return Err(ReportError::Invalid(format!(
            "{}: rps_per_replica {} rounds to 0 milli-requests/s",
            object.name, object.threshold
        )));
    }
    Ok(ControllerParams {
        min: object.min,
        max: object.max,
        r,
        s: req.traffic.saturation_percent(),
        startup_steps: u64::from(req.traffic.startup_seconds).div_ceil(STEP_SECONDS as u64),
        delay_steps: u64::from(req.traffic.metric_delay_seconds).div_ceil(STEP_SECONDS as u64),
        behavior: object.behavior.clone(),
        tolerance: controller::Tolerance {
            up: object.behavior.up_tolerance.unwrap_or(req.tolerance.up),
            down: object.behavior.down_tolerance.unwrap_or(req.tolerance.down),
        },
    })
}

/// The cron floor `d` over the steps, from the KEDA model of the rendered triggers, and
/// per entry id the spans (Unix seconds) in which one of its triggers is active.
fn cron_segments(
    cron: &DeploymentSchedule,
    t0: i64,
    n: u64,
    end: i64,
) -> Result<CronSignals, ReportError> {
    let ev = Evaluator::new(cron).map_err(|e| ReportError::Internal(e.to_string()))?;
    let (timeline, _) = ev.timeline(ts(t0 - t0.rem_euclid(60)), ts(end));
    let mut out: Vec<CronSegment> = Vec::new();
    let mut active: Vec<EntrySpans> = Vec::new();
    let mut steps: CronTimeline = Vec::new();
    for iv in &timeline {
        let d = iv
            .active
            .iter()
            .map(|&i| cron.triggers[i].desired_replicas)
            .max()
            .unwrap_or(0);
        let end_step = step_ceil(t0, iv.end.timestamp()).min(n);
        push_segment(&mut out, end_step, d);
        let triggers = iv.active.iter().map(|&i| &cron.triggers[i]);
        steps.push((
            end_step,
            triggers
                .map(|t| (t.entry_id.clone(), t.desired_replicas))
                .collect(),
        ));
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
    Ok((out, active, steps))
}

/// What [`cron_segments`] finds: the cron floor, each entry's active spans, the timeline.
type CronSignals = (Vec<CronSegment>, Vec<EntrySpans>, CronTimeline);

/// Stretches of steps (end step, active triggers as (entry id, desiredReplicas)).
type CronTimeline = Vec<(u64, Vec<(String, u32)>)>;

/// Appends the floor `d` up to step `end`, merging it into the last segment when equal.
pub(crate) fn push_segment(out: &mut Vec<CronSegment>, end: u64, d: u32) {
    match out.last_mut() {
        Some(last) if last.d == d => last.end = end,
        _ => out.push(CronSegment { end, d }),
    }
}

pub(crate) fn ts(unix: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(unix, 0).expect("instant in chrono's range")
}

/// The first step index whose time is at or after `t`.
pub(crate) fn step_ceil(t0: i64, t: i64) -> u64 {
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
) -> Result<Prepared<'m>, ReportError> {
    let (territory, tw) = bounds(model, ds)?;
    if !object.one_timezone() {
        return Err(ReportError::Internal(format!(
            "{} has cron triggers in several zones",
            ds.name
        )));
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
    let (cron, cron_active, cron_timeline) = cron_segments(&object.cron_schedule(ds), t0, n, end)?;
    Ok(Prepared {
        schedule: ds,
        territory,
        baseline_rps,
        rps_per_replica: object.threshold,
        params,
        demand,
        cron,
        cron_active,
        cron_timeline,
        t0,
        end,
        n,
    })
}
