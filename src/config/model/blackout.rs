//! Blackouts: days on which no pre-scale window starts, and [`BlackoutDays`], one
//! territory's blackout days gathered for table look-ups.

use chrono::{Datelike, NaiveDate};

use super::{DateRange, Entry, Model};

/// Days on which no pre-scale window starts, for some territories.
#[derive(Debug, Clone)]
pub struct Blackout {
    /// Unique id.
    pub id: String,
    /// Display name (defaults to the id).
    pub name: String,
    /// Recurring or dated days (whole days).
    pub dates: DateRange,
    /// Territory codes it applies to (all when not configured), sorted.
    pub territories: Vec<String>,
}

impl Blackout {
    /// Whether the blackout applies to territory `code` (bisection: the codes are sorted).
    pub fn applies_to(&self, code: &str) -> bool {
        self.territories
            .binary_search_by(|t| t.as_str().cmp(code))
            .is_ok()
    }
}

/// The blackout days of one territory, gathered once so that each question is a table
/// look-up instead of a scan of every blackout: [`Self::contains`] answers
/// [`Model::is_blackout`] and [`Self::month_day`] answers [`Model::blackout_month_day`]
/// (the definitions; tests keep the two equal). Compile, validation and the window
/// generator ask these questions per entry × day, so a scan there made the work grow
/// with entries × blackouts.
#[derive(Debug, Clone)]
pub struct BlackoutDays {
    /// Month-days (of a leap year, `[month - 1][day - 1]`) a recurring blackout covers.
    recurring: [[bool; 31]; 12],
    /// Month-days on which some dated blackout falls in some year.
    dated_month_days: [[bool; 31]; 12],
    /// Dated blackout ranges, sorted by start and merged where they overlap or touch.
    dated: Vec<(NaiveDate, NaiveDate)>,
}

impl BlackoutDays {
    /// The blackout days of territory `code` in `model`.
    pub fn new(model: &Model, code: &str) -> BlackoutDays {
        let mut days = BlackoutDays {
            recurring: [[false; 31]; 12],
            dated_month_days: [[false; 31]; 12],
            dated: Vec::new(),
        };
        for b in model.blackouts.iter().filter(|b| b.applies_to(code)) {
            match b.dates {
                DateRange::Recurring { .. } => {
                    for (m, row) in (1..=12).zip(days.recurring.iter_mut()) {
                        for (d, cell) in (1..=days_in_leap_month(m)).zip(row.iter_mut()) {
                            *cell |= b.dates.contains_month_day(m, d);
                        }
                    }
                }
                DateRange::Dated { from, to } => days.dated.push((from, to)),
            }
        }
        days.dated.sort_unstable();
        let mut merged: Vec<(NaiveDate, NaiveDate)> = Vec::with_capacity(days.dated.len());
        for &(from, to) in &days.dated {
            match merged.last_mut() {
                Some(last) if from <= last.1.succ_opt().unwrap_or(last.1) => {
                    last.1 = last.1.max(to)
                }
                _ => merged.push((from, to)),
            }
        }
        for &(from, to) in &merged {
            mark_month_days(&mut days.dated_month_days, from, to);
        }
        days.dated = merged;
        days
    }

    /// Whether local date `d` is a blackout day ([`Model::is_blackout`]).
    pub fn contains(&self, d: NaiveDate) -> bool {
        if self.recurring[d.month0() as usize][d.day0() as usize] {
            return true;
        }
        let i = self.dated.partition_point(|r| r.1 < d);
        self.dated.get(i).is_some_and(|r| r.0 <= d)
    }

    /// Whether a blackout covers month-day `(month, day)` in some year
    /// ([`Model::blackout_month_day`]).
    pub fn month_day(&self, month: u32, day: u32) -> bool {
        let (m, d) = (month as usize - 1, day as usize - 1);
        self.recurring[m][d] || self.dated_month_days[m][d]
    }

    /// Whether entry `e` opens a window on local day `day` ([`Model::starts_on`]).
    pub fn starts_on(&self, e: &Entry, day: NaiveDate) -> bool {
        e.dates.contains(day) && e.days.contains(day.weekday()) && !self.contains(day)
    }

    /// Whether month-day `(month, day)` is a start day of recurring entry `e` as yearless
    /// cron sees it ([`Model::starts_on_month_day`]).
    pub fn starts_on_month_day(&self, e: &Entry, month: u32, day: u32) -> bool {
        e.dates.contains_month_day(month, day) && !self.month_day(month, day)
    }
}

/// Marks every month-day the dates `from..=to` fall on: the first year of days covers
/// every month-day but Feb 29, which needs a leap day in the range.
fn mark_month_days(grid: &mut [[bool; 31]; 12], from: NaiveDate, to: NaiveDate) {
    for d in from.iter_days().take(366).take_while(|d| *d <= to) {
        grid[d.month0() as usize][d.day0() as usize] = true;
    }
    let leap_day = (from.year()..=to.year())
        .filter_map(|y| NaiveDate::from_ymd_opt(y, 2, 29))
        .any(|d| from <= d && d <= to);
    if leap_day {
        grid[1][28] = true;
    }
}

/// Days of month `m` in a leap year.
fn days_in_leap_month(m: u32) -> u32 {
    match m {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}
