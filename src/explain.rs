//! `scalegen explain` (placeholder, see issue 3).

use crate::model::Model;
use crate::schedule::Schedule;

/// Arguments of `scalegen explain`.
#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// Instant to explain: `2026-10-03T09:15` (local to each territory) or with an offset.
    #[arg(long)]
    pub at: String,
    /// Only this territory.
    #[arg(long)]
    pub territory: Option<String>,
    /// Only this workload.
    #[arg(long)]
    pub workload: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::cli::Format::Text)]
    pub format: crate::cli::Format,
}

/// Runs explain; `Err` is a usage problem (exit 2).
pub fn run(model: &Model, schedule: &Schedule, args: &ExplainArgs) -> Result<String, String> {
    let _ = (model, schedule, args);
    Err("explain is not implemented yet".into())
}
