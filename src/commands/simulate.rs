//! `scalegen simulate`: cost and risk of four scaling strategies on one traffic model, as
//! text, JSON or CSV, optionally with one day drawn as an SVG chart.

use super::{with_model, ExitStatus};
use crate::cli::{InputArgs, SimulateArgs, SimulateFormat};
use crate::config::model::Model;
use crate::report::simulate::{self, report, svg, Flags};
use crate::report::ReportError;
use crate::schedule::Schedule;
use std::fmt::Write as _;

/// Loads, compiles, renders the ScaledObjects and simulates.
pub fn run(input: &InputArgs, args: &SimulateArgs) -> ExitStatus {
    with_model(input, |l| {
        let schedule = crate::schedule::compile::compile(&l.model);
        output(&l.model, &schedule, args)
    })
}

/// The text of every rendered ScaledObject: what the simulated controller reads.
pub fn rendered_scaled_objects(
    model: &Model,
    schedule: &Schedule,
) -> Result<Vec<String>, ReportError> {
    let renderer = crate::render::engine::Renderer::new(model, schedule);
    let files =
        crate::render::k8s::render(&renderer).map_err(|e| ReportError::Internal(e.to_string()))?;
    Ok(files
        .into_iter()
        .filter(|f| f.path.starts_with("keda/"))
        .map(|f| f.contents)
        .collect())
}

/// The simulation in the requested format (and the chart written to `--svg`).
pub fn output(
    model: &Model,
    schedule: &Schedule,
    args: &SimulateArgs,
) -> Result<String, ReportError> {
    let request = simulate::request(
        model,
        &Flags {
            from: &args.from,
            to: &args.to,
            scale: args.scale,
            territory: args.territory.as_deref(),
            workload: args.workload.as_deref(),
            day: args.day.as_deref(),
        },
    )?;
    let keda = rendered_scaled_objects(model, schedule)?;
    let keda: Vec<&str> = keda.iter().map(String::as_str).collect();
    let sim = simulate::simulate(model, schedule, &keda, &request)?;
    let mut out = match args.format {
        SimulateFormat::Text => report::text(&sim),
        SimulateFormat::Json => report::json(&sim),
        SimulateFormat::Csv => report::csv(&sim),
    };
    if let Some(path) = &args.svg {
        fs_err::write(path, svg::chart(&sim))
            .map_err(|e| ReportError::Invalid(format!("cannot write the SVG chart: {e}")))?;
        if args.format == SimulateFormat::Text {
            let _ = writeln!(out, "\nchart written to {}", path.display());
        }
    }
    Ok(out)
}
