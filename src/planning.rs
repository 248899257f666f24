//! `scalegen plan` (placeholder, see issue 3).

use crate::model::Model;
use crate::schedule::Schedule;

/// Arguments of `scalegen plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// First day (local), `YYYY-MM-DD`.
    #[arg(long)]
    pub from: String,
    /// Last day (local, inclusive), `YYYY-MM-DD`.
    #[arg(long)]
    pub to: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::cli::Format::Text)]
    pub format: crate::cli::Format,
    /// Also draw the range as an SVG chart into this file.
    #[arg(long)]
    pub svg: Option<std::path::PathBuf>,
}

/// Runs plan; `Err` is a usage problem (exit 2).
pub fn run(model: &Model, schedule: &Schedule, args: &PlanArgs) -> Result<String, String> {
    let _ = (model, schedule, args);
    Err("plan is not implemented yet".into())
}
