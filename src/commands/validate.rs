//! `scalegen validate`: check the input and print every problem.

use super::{load, ExitStatus};
use crate::cli::InputArgs;
use crate::config::validate::Options;

/// Validates; `today` (`YYYY-MM-DD`, default: today) dates the past-entry warnings.
pub fn run(input: &InputArgs, today: Option<&str>) -> ExitStatus {
    let today = match today {
        None => chrono::Utc::now().date_naive(),
        Some(text) => match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(d) => d,
            Err(_) => {
                eprintln!("error: --today must be YYYY-MM-DD, found `{text}`");
                return ExitStatus::InvalidInput;
            }
        },
    };
    let Some(loaded) = load(input, Options { today: Some(today) }) else {
        return ExitStatus::InvalidInput;
    };
    let m = &loaded.model;
    emitln!(
        "ok: {} territories, {} workloads, {} seasons/campaigns, {} blackouts",
        m.territories.len(),
        m.workloads.len(),
        m.entries.len(),
        m.blackouts.len()
    );
    ExitStatus::Success
}
