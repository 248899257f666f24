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
use std::path::PathBuf;

use crate::model::Model;
use crate::schedule::Schedule;
use traffic::TrafficSettings;

pub use outcome::{DayTrace, DeploymentResult, EntryResult, Simulation, StrategyResult};
pub use prepare::{params, prepare, EntrySpans, Prepared};

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
    /// HPA tolerance where the rendered behavior sets none (Kubernetes' 10 % both ways).
    pub tolerance: controller::Tolerance,
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
            tolerance: controller::Tolerance::default(),
            trace_day: None,
        }
    }
}

/// Longest range simulate accepts (ten years).
const MAX_DAYS: i64 = 3653;

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

/// Simulates every selected deployment.
pub fn simulate(model: &Model, schedule: &Schedule, req: &Request) -> Result<Simulation, String> {
    let deployments =
        prepare::prepare_each(model, schedule, req, |p| outcome::finish(model, &p, req))?;
    Ok(Simulation {
        request: req.clone(),
        deployments,
    })
}
