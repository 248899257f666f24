//! `scalegen validate`: check the input and print every problem.

use super::{load, ExitStatus};
use crate::cli::InputArgs;
use crate::config::validate::{Loaded, Options};
use crate::diag::{Diagnostic, Location};
use crate::report::{recurrence, ReportError};

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
    match recurrence_warnings(&loaded, today) {
        Ok(warnings) if !warnings.is_empty() => {
            eprint!("{}", crate::diag::render(&warnings, &loaded.sources));
            if input.deny_warnings {
                eprintln!(
                    "error: {} warning(s) denied by --deny-warnings",
                    warnings.len()
                );
                return ExitStatus::InvalidInput;
            }
        }
        Ok(_) => {}
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("{}", super::INTERNAL_NOTE);
            return ExitStatus::Internal;
        }
    }
    let m = &loaded.model;
    let env = input.env.as_ref().map_or_else(String::new, |name| {
        format!(" (environment `{name}`, namespace {})", m.app.namespace)
    });
    emitln!(
        "ok: {} territories, {} workloads, {} seasons/campaigns, {} blackouts{env}",
        m.territories.len(),
        m.workloads.len(),
        m.entries.len(),
        m.blackouts.len()
    );
    ExitStatus::Success
}

/// A warning per dated entry whose compiled triggers also pre-scale outside its dates within
/// two years of `today` (cron has no year), at the entry's last day.
fn recurrence_warnings(
    loaded: &Loaded,
    today: chrono::NaiveDate,
) -> Result<Vec<Diagnostic>, ReportError> {
    let schedule = crate::schedule::compile::compile(&loaded.model);
    let found = recurrence::dated_recurrences(&loaded.model, &schedule, today)?;
    Ok(found
        .iter()
        .map(|r| {
            let at = loaded.entry_places.get(&r.entry_id).cloned().unwrap_or(Location {
                file: String::new(),
                span: 0..0,
            });
            let (from, to) = r.dates;
            Diagnostic::warning(
                format!("campaign `{}` also pre-scales outside its dates {from} – {to}: {}", r.entry_id, r.summary()),
                at,
            )
            .with_help(format!(
                "cron has no year: its triggers fire on {} – {} of every year until the entry is removed; remove it after {to} (ScalingCalendarEntryExpired fires then) and re-render",
                from.format("%m-%d"),
                to.format("%m-%d")
            ))
        })
        .collect())
}
