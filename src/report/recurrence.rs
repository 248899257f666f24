//! Dated entries outside their dates (SPEC §4.2): cron has no year, so a campaign's
//! triggers fire on its month-days in every year until the entry is removed. This finds,
//! with the KEDA model on the *compiled* triggers, how long each dated entry pre-scales
//! outside its own dates within a horizon — what `validate` warns about — and tells
//! `explain` whether an instant lies outside an entry's dates.

use crate::config::model::{DateRange, Entry, EntryKind, Model};
use crate::config::zone;
use crate::report::ReportError;
use crate::schedule::keda::Evaluator;
use crate::schedule::{DeploymentSchedule, Schedule};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

/// How long a dated entry's triggers hold a floor outside its own dates, per territory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    /// Campaign id.
    pub entry_id: String,
    /// First and last day of the entry.
    pub dates: (NaiveDate, NaiveDate),
    /// (territory, minutes outside the dates), in the entry's floor order.
    pub minutes: Vec<(String, i64)>,
    /// Local years in which those minutes fall, ascending.
    pub years: Vec<i32>,
}

impl Recurrence {
    /// `70 h in 2026, before them (CH, DE)` or `DE 70 h, CH 14 h in 2028, after them
    /// unless it is removed`.
    pub fn summary(&self) -> String {
        let hours = |m: i64| format!("{} h", fmt_hours(m));
        let years: Vec<String> = self
            .years
            .iter()
            .map(|y| {
                let when = if *y < self.dates.0.year() {
                    "before them"
                } else {
                    "after them unless it is removed"
                };
                format!("{y}, {when}")
            })
            .collect();
        let years = years.join("; ");
        let codes: Vec<&str> = self.minutes.iter().map(|(c, _)| c.as_str()).collect();
        match self.minutes.as_slice() {
            [(_, m), rest @ ..] if rest.iter().all(|(_, r)| r == m) => {
                format!("{} in {years} ({})", hours(*m), codes.join(", "))
            }
            _ => {
                let each: Vec<String> = self
                    .minutes
                    .iter()
                    .map(|(c, m)| format!("{c} {}", hours(*m)))
                    .collect();
                format!("{} in {years}", each.join(", "))
            }
        }
    }
}

fn fmt_hours(minutes: i64) -> String {
    if minutes % 60 == 0 {
        (minutes / 60).to_string()
    } else {
        format!("{:.1}", minutes as f64 / 60.0)
    }
}

/// Every dated entry whose compiled triggers hold a floor outside its own dates between
/// local midnight of `today` and two years later, in model order.
pub fn dated_recurrences(
    model: &Model,
    schedule: &Schedule,
    today: NaiveDate,
) -> Result<Vec<Recurrence>, ReportError> {
    let horizon = today
        .checked_add_signed(Duration::days(731))
        .unwrap_or(today);
    let mut out = Vec::new();
    for e in model
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Campaign)
    {
        let DateRange::Dated { from, to } = e.dates else {
            continue;
        };
        let mut minutes = Vec::new();
        let mut years = Vec::new();
        let mut codes: Vec<&str> = e.floors.iter().map(|f| f.territory.as_str()).collect();
        codes.dedup();
        for code in codes {
            let Some(ds) = entry_triggers(schedule, e, code) else {
                continue;
            };
            let ev = Evaluator::new(&ds).map_err(|err| ReportError::Internal(err.to_string()))?;
            let tz = ev.timezone();
            let own = (
                zone::local_midnight(tz, from),
                zone::local_midnight(tz, to + Duration::days(2)),
            );
            let span = (
                zone::local_midnight(tz, today),
                zone::local_midnight(tz, horizon),
            );
            let (intervals, _) = ev.timeline(span.0, span.1);
            let mut total = 0;
            for i in intervals.iter().filter(|i| !i.active.is_empty()) {
                for (s, end) in outside(i.start, i.end, own) {
                    total += (end - s).num_minutes();
                    years.push(s.with_timezone(&tz).year());
                }
            }
            if total > 0 {
                minutes.push((code.to_string(), total));
            }
        }
        if !minutes.is_empty() {
            years.sort_unstable();
            years.dedup();
            out.push(Recurrence {
                entry_id: e.id.clone(),
                dates: (from, to),
                minutes,
                years,
            });
        }
    }
    Ok(out)
}

/// The deployment schedule of the first workload `e` floors in `code`, reduced to `e`'s
/// triggers, with bounds that never hide a trigger.
fn entry_triggers(schedule: &Schedule, e: &Entry, code: &str) -> Option<DeploymentSchedule> {
    let floor = e.floors.iter().find(|f| f.territory == code)?;
    let ds = schedule.deployment(code, &floor.workload)?;
    let mut reduced = ds.clone();
    reduced
        .triggers
        .retain(|t| t.entry_kind == e.kind && t.entry_id == e.id);
    reduced.min = 0;
    reduced.max = u32::MAX;
    (!reduced.triggers.is_empty()).then_some(reduced)
}

/// The parts of `[start, end)` outside `own`.
fn outside(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    own: (DateTime<Utc>, DateTime<Utc>),
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut parts = Vec::new();
    if start < own.0 {
        parts.push((start, end.min(own.0)));
    }
    if end > own.1 {
        parts.push((start.max(own.1), end));
    }
    parts
}

/// Whether a window of dated entry `e` open at local date `day` started outside `e`'s
/// own dates (a window may end the day after its start day).
pub fn outside_own_dates(e: &Entry, day: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let DateRange::Dated { from, to } = e.dates else {
        return None;
    };
    let last = if e.hours.ends_next_day() {
        to + Duration::days(1)
    } else {
        to
    };
    (day < from || day > last).then_some((from, to))
}
