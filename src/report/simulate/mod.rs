//! `scalegen simulate` (SPEC §8): a season rehearsal. It replays the traffic model of
//! §8.1 through a model of KEDA and the Kubernetes HPA (§8.2) in 15-second steps and
//! compares four strategies on the same traffic: `static` (max replicas), `reactive`
//! (the rendered ScaledObject without its cron triggers), `scheduled` (as rendered) and
//! `ideal` (exactly the replicas the demand needs, ready at once).
//!
//! Everything the controller sees comes from the rendered ScaledObject ([`rendered`],
//! whose text the caller renders and hands in): bounds, throughput threshold, HPA
//! behavior and the cron triggers, whose floors come from scalegen's model of KEDA's
//! cron semantics ([`crate::schedule::keda`]). The traffic comes from the intended
//! calendar ([`traffic`], through the window generator of [`crate::schedule::windows`]).
//! The arithmetic is integer, as §8.2 writes it, so that an independent implementation
//! agrees to the step.
//!
//! Stages: [`traffic`] (demand per minute) and [`rendered`] → [`prepare`] (the signals of
//! each deployment) → [`controller`] (the HPA) and [`run`] (strategies, step loop) →
//! [`outcome`] (per deployment and per entry) → [`report`] (text, JSON, CSV) and [`svg`].

pub mod controller;
pub mod outcome;
pub mod prepare;
pub mod rendered;
pub mod report;
pub mod run;
pub mod svg;
pub mod traffic;

use chrono::NaiveDate;

use crate::config::model::{Model, TrafficSettings};
use crate::report::ReportError;
use crate::schedule::Schedule;

pub use outcome::{DayTrace, DeploymentResult, EntryResult, Simulation, StrategyResult};
pub use prepare::{params, prepare, EntrySpans, Prepared};

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
    /// `[traffic]` of the configuration.
    pub traffic: TrafficSettings,
    /// HPA tolerance where the rendered behavior sets none (Kubernetes' 10 % both ways).
    pub tolerance: controller::Tolerance,
    /// The local day to trace for charts.
    pub trace_day: Option<NaiveDate>,
}

impl Request {
    /// A request over `[from, to)` with the model's `[traffic]` and Kubernetes' tolerance.
    pub fn new(model: &Model, from: NaiveDate, to: NaiveDate) -> Request {
        Request {
            from,
            to,
            scale: 1.0,
            territory: None,
            workload: None,
            traffic: model.traffic.clone(),
            tolerance: controller::Tolerance::default(),
            trace_day: None,
        }
    }
}

/// Longest range simulate accepts (ten years).
const MAX_DAYS: i64 = 3653;

/// The flags of `scalegen simulate` as typed, before they are checked.
#[derive(Debug, Clone, Copy)]
pub struct Flags<'a> {
    /// `--from`, `YYYY-MM-DD`.
    pub from: &'a str,
    /// `--to` (exclusive), `YYYY-MM-DD`.
    pub to: &'a str,
    /// `--scale`.
    pub scale: f64,
    /// `--territory`.
    pub territory: Option<&'a str>,
    /// `--workload`.
    pub workload: Option<&'a str>,
    /// `--day` (the traced day of `--svg`).
    pub day: Option<&'a str>,
}

/// Checks the flags and builds the request (usage errors are [`ReportError::Invalid`]).
pub fn request(model: &Model, flags: &Flags) -> Result<Request, ReportError> {
    let invalid = ReportError::Invalid;
    let from = parse_day("--from", flags.from)?;
    let to = parse_day("--to", flags.to)?;
    if to <= from {
        return Err(invalid(format!(
            "--to {to} must be after --from {from} (--to is exclusive: the range ends at its \
             local midnight)"
        )));
    }
    if (to - from).num_days() > MAX_DAYS {
        return Err(invalid(format!(
            "the range {from} – {to} is longer than ten years; simulate a shorter range"
        )));
    }
    if !(flags.scale.is_finite() && flags.scale > 0.0) {
        return Err(invalid(format!(
            "--scale must be a number greater than 0, found {}",
            flags.scale
        )));
    }
    let trace_day = match flags.day {
        None => None,
        Some(d) => {
            let day = parse_day("--day", d)?;
            if day < from || day >= to {
                return Err(invalid(format!(
                    "--day {day} is outside the simulated range {from} – {to} (exclusive)"
                )));
            }
            Some(day)
        }
    };
    Ok(Request {
        scale: flags.scale,
        territory: flags.territory.map(str::to_string),
        workload: flags.workload.map(str::to_string),
        trace_day,
        ..Request::new(model, from, to)
    })
}

fn parse_day(flag: &str, s: &str) -> Result<NaiveDate, ReportError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        ReportError::Invalid(format!("invalid {flag} `{s}`: expected a date YYYY-MM-DD"))
    })
}

/// Simulates every selected deployment; `keda` holds the text of every rendered
/// ScaledObject (what `render` writes under `keda/`).
pub fn simulate(
    model: &Model,
    schedule: &Schedule,
    keda: &[&str],
    req: &Request,
) -> Result<Simulation, ReportError> {
    let deployments = prepare::prepare_each(model, schedule, keda, req, |p| {
        outcome::finish(model, &p, req)
    })?;
    Ok(Simulation {
        request: req.clone(),
        deployments,
    })
}
