//! `scalegen explain`: the floor KEDA enforces at one instant, as text or JSON.

use super::{with_model, ExitStatus};
use crate::cli::{ExplainArgs, ExplainFormat, InputArgs};
use crate::config::model::Model;
use crate::report::{explain, ReportError};
use crate::schedule::Schedule;

/// Loads, compiles and explains.
pub fn run(input: &InputArgs, args: &ExplainArgs) -> ExitStatus {
    with_model(input, |l| {
        let schedule = crate::schedule::compile::compile(&l.model);
        output(&l.model, &schedule, args)
    })
}

/// The explanation in the requested format.
pub fn output(
    model: &Model,
    schedule: &Schedule,
    args: &ExplainArgs,
) -> Result<String, ReportError> {
    let report = explain::explain(
        model,
        schedule,
        &args.at,
        args.territory.as_deref(),
        args.workload.as_deref(),
    )?;
    Ok(match args.format {
        ExplainFormat::Text => explain::text(&report),
        ExplainFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&report).expect("report serialises")
        ),
    })
}
