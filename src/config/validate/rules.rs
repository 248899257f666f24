//! Rules across calendar entries: what yearless cron triggers can express (SPEC §2.2,
//! §4.2), and the warnings of `scalegen validate` about past entries and window edges in
//! DST changes.

use super::Validator;
use crate::config::model::{Blackout, BlackoutDays, DateRange, Entry, Model, MonthDay};
use crate::config::values::days_in_month;
use crate::config::zone::{self, Wall};
use crate::diag::{Diagnostic, Location};
use chrono::{Datelike, NaiveDate};

impl Validator {
    /// Reports every entry [`check_expressible`] finds, at the entry's `days`.
    pub(super) fn report_inexpressible(&mut self, model: &Model) {
        for problem in check_expressible(model) {
            let at = self
                .places
                .get(&("days", problem.entry_id.clone()))
                .cloned()
                .unwrap_or(Location {
                    file: String::new(),
                    span: 0..0,
                });
            self.error(problem.message, at).help = Some(problem.help);
        }
    }

    /// SPEC §2.2: weekday filters on recurring seasons need whole months, same-day hours
    /// and no blackout that removes only part of those months.
    pub(super) fn check_days_filters(
        &mut self,
        base: &Model,
        entries: &[Entry],
        blackouts: &[Blackout],
    ) {
        let _ = base;
        // Which months each blackout splits, worked out once (not per entry).
        let mut splits: Vec<Option<u16>> = vec![None; blackouts.len()];
        for e in entries {
            let DateRange::Recurring { from, to } = e.dates else {
                continue;
            };
            if e.days.is_all() {
                continue;
            }
            let at = Location {
                file: e.file.clone(),
                span: 0..0,
            };
            let at = self.entry_location(e).unwrap_or(at);
            if !is_whole_months(from, to) {
                self.error(format!("season `{}` has a `days` filter on a range that is not made of whole months ({from}..{to})", e.id), at.clone())
                    .help = Some("cron cannot express weekdays of part of a month every year; use whole months (e.g. 10-01..10-31) or dated campaigns".into());
                continue;
            }
            if e.hours.crosses_midnight() {
                self.error(format!("season `{}` has a `days` filter with hours crossing midnight ({})", e.id, e.hours), at.clone())
                    .help = Some("cron cannot express e.g. Friday 22:00 to Saturday 02:00 every year; split the hours at midnight or use dated campaigns".into());
                continue;
            }
            let months = month_mask(from, to);
            for (b, split) in blackouts.iter().zip(&mut splits) {
                let split = *split.get_or_insert_with(|| split_months(b));
                if split & months == 0 || !b.territories.iter().any(|t| e.floors_territory(t)) {
                    continue;
                }
                let d = Diagnostic::error(format!("blackout `{}` removes only part of a month of season `{}`, which has a `days` filter", b.id, e.id), at.clone())
                    .with_help("cron cannot express \"weekdays except some days\" every year; black out whole months or use dated campaigns");
                self.diags.push(d);
            }
        }
    }

    pub(super) fn entry_location(&self, e: &Entry) -> Option<Location> {
        self.places.get(&("days", e.id.clone())).cloned()
    }

    pub(super) fn warn_past_entries(&mut self, model: &Model) {
        let Some(today) = self.options.today else {
            return;
        };
        let past = |r: &DateRange| matches!(r, DateRange::Dated { to, .. } if *to < today);
        let place = |id: &str| {
            self.places
                .get(&("to", id.to_string()))
                .cloned()
                .unwrap_or(Location {
                    file: String::new(),
                    span: 0..0,
                })
        };
        let mut warnings = Vec::new();
        for e in model.entries.iter().filter(|e| past(&e.dates)) {
            warnings.push(
                Diagnostic::warning(
                    format!("campaign `{}` ended before {today}", e.id),
                    place(&e.id),
                )
                .with_help(
                    "remove it and re-render: cron has no year, KEDA would repeat it next year",
                ),
            );
        }
        for b in model.blackouts.iter().filter(|b| past(&b.dates)) {
            warnings.push(
                Diagnostic::warning(
                    format!("blackout `{}` ended before {today}", b.id),
                    place(&b.id),
                )
                .with_help("remove it and re-render"),
            );
        }
        self.diags.extend(warnings);
    }

    /// Warns (validate only: needs `--today`) about window boundaries whose local time
    /// does not exist or is ambiguous on some day of this or next year (SPEC §2.2: those
    /// minutes are not judged; KEDA opens no window whose start or end does not exist).
    pub(super) fn warn_dst_edges(&mut self, model: &Model) {
        let Some(today) = self.options.today else {
            return;
        };
        let mut warnings = Vec::new();
        for e in &model.entries {
            let mut codes: Vec<&str> = e.floors.iter().map(|f| f.territory.as_str()).collect();
            codes.dedup();
            for code in codes {
                let Some(t) = model.territory(code) else {
                    continue;
                };
                if let Some((day, what)) = first_dst_edge(e, t.timezone, today.year()) {
                    let at =
                        self.places
                            .get(&("days", e.id.clone()))
                            .cloned()
                            .unwrap_or(Location {
                                file: e.file.clone(),
                                span: 0..0,
                            });
                    warnings.push(
                        Diagnostic::warning(
                            format!("`{}` in {code}: the window's {what} on {day} falls into a DST change of {}", e.id, t.timezone_name),
                            at,
                        )
                        .with_help("a start or end that does not exist opens no window that day; an ambiguous one counts at its later instant. Move the hours away from the change if that matters"),
                    );
                }
            }
        }
        self.diags.extend(warnings);
    }
}

/// The first day (in `year` and `year + 1`) on which a window of `e` starts or ends at a
/// local time that does not exist or is ambiguous in `tz`.
fn first_dst_edge(e: &Entry, tz: chrono_tz::Tz, year: i32) -> Option<(NaiveDate, &'static str)> {
    let changes =
        |day: NaiveDate, minute: u32| !matches!(zone::wall(tz, day, minute), Wall::Unique(_));
    let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
    let last = NaiveDate::from_ymd_opt(year + 1, 12, 31)?;
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .find_map(|day| {
            if !e.dates.contains(day) || !e.days.contains(day.weekday()) {
                return None;
            }
            if changes(day, e.floor_hours().start_minute) {
                return Some((day, "start"));
            }
            let end_day = day + chrono::Duration::days(i64::from(e.hours.ends_next_day()));
            changes(day, e.hours.end_offset_minutes()).then_some((end_day, "end"))
        })
}

/// Whether `from..to` (recurring) is made of whole months. A range ending `02-28`
/// is not: it leaves out Feb 29 in leap years.
fn is_whole_months(from: MonthDay, to: MonthDay) -> bool {
    from.day == 1 && to.month != 2 && to.day == days_in_month(2025, to.month)
}

/// The months (bit `m`) the month range of `from..to` touches.
fn month_mask(from: MonthDay, to: MonthDay) -> u16 {
    let months: Vec<u32> = if from.month <= to.month {
        (from.month..=to.month).collect()
    } else {
        (from.month..=12).chain(1..=to.month).collect()
    };
    months.iter().fold(0, |mask, m| mask | 1 << m)
}

/// The months (bit `m`) of which blackout `b` covers some but not all days, in some year.
fn split_months(b: &Blackout) -> u16 {
    let years: Vec<i32> = match b.dates {
        DateRange::Dated { from, to } => (from.year()..=to.year()).collect(),
        // A leap and a common year cover every month-day pattern.
        DateRange::Recurring { .. } => vec![2027, 2028],
    };
    let splits = |m: u32| {
        years.iter().any(|&y| {
            let days = days_in_month(y, m);
            let hit = (1..=days)
                .filter(|&d| {
                    b.dates
                        .contains(NaiveDate::from_ymd_opt(y, m, d).expect("valid"))
                })
                .count() as u32;
            hit > 0 && hit < days
        })
    };
    (1..=12u32)
        .filter(|&m| splits(m))
        .fold(0, |mask, m| mask | 1 << m)
}

/// A calendar entry cron cannot express every year, found with calendar knowledge the
/// per-field checks of validation lack. Validation reports each as an error at the
/// entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inexpressible {
    /// Id of the season or campaign.
    pub entry_id: String,
    /// What is wrong, one line.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// Entries the compiler cannot express exactly beyond the rules validation already
/// checks (§2.2 `days` filters: whole months, no midnight crossing, no partial
/// blackouts): a weekday-filtered season whose windows end at `24:00` (including
/// whole days) on a range that is not the whole year — a window on the last filtered
/// day of the range would have to end on the next day only in the years that day is
/// a filtered weekday, which no yearless cron expression can say.
pub fn check_expressible(model: &Model) -> Vec<Inexpressible> {
    let mut out = Vec::new();
    for e in &model.entries {
        if e.dates.is_dated() || e.days.is_all() || e.hours.end_minute != 1440 {
            continue;
        }
        let partial = model
            .territories
            .iter()
            .filter(|t| e.floors_territory(&t.code))
            .any(|t| {
                let blackouts = BlackoutDays::new(model, &t.code);
                (1..=12u32).any(|m| {
                    (1..=days_in_month(2028, m)).any(|d| !blackouts.starts_on_month_day(e, m, d))
                })
            });
        if partial {
            out.push(Inexpressible {
                entry_id: e.id.clone(),
                message: format!(
                    "season `{}` has a `days` filter with hours ending at 24:00 ({}) on part of the year",
                    e.id, e.hours
                ),
                help: "a window on the last filtered day of the range ends on the next day only in some years, which cron cannot express; end the hours at 23:59, cover the whole year, or use dated campaigns".into(),
            });
        }
    }
    out
}
