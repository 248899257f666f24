//! The spans of time SPEC §2.2 does not judge, and why (see the module docs).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::{
    bounds, days, end_offset_minutes, first_instant_at_or_after, floor_start_minute, local_date,
    offset_changes, starts_on, territory, wall, OffsetChange, Wall,
};
use crate::config::model::{DateRange, Entry, Model};
use crate::schedule::compile::early_start_applies;

/// Why a span is not judged (§2.2 "Not judged", §4.2 dated entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NotJudged {
    /// A window boundary whose wall time does not exist or is ambiguous that day.
    DstEdge,
    /// robfig/cron's search anomalies around an offset change that is not a whole
    /// hour on the hour (Australia/Lord_Howe, Pacific/Chatham) or that skips a local
    /// midnight (America/Santiago, Africa/Cairo, …): the local day before the change
    /// and the day of it.
    DstAnomaly,
    /// A recurring range ending `02-28` (after blackouts: Feb 28 and Feb 29 differ)
    /// whose windows end on the next day: Feb 29 and Mar 1 of leap years.
    LeapEdge,
    /// A dated entry (campaign, dated blackout) recurring on its own month-days
    /// outside its own year (§4.2).
    DatedRecurrence,
}

impl NotJudged {
    /// A short name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            NotJudged::DstEdge => "dst-edge",
            NotJudged::DstAnomaly => "dst-anomaly",
            NotJudged::LeapEdge => "leap-edge",
            NotJudged::DatedRecurrence => "dated-recurrence",
        }
    }
}

/// A span of time that is not judged, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// First instant, inclusive.
    pub start: DateTime<Utc>,
    /// End, exclusive.
    pub end: DateTime<Utc>,
    /// The §2.2 / §4.2 rule that excludes it.
    pub reason: NotJudged,
}

/// The spans of `[from, to)` that are not judged for (territory, workload), sorted by
/// start (they may overlap). Only entries whose floor exceeds the deployment's `min`
/// can make the rendered and intended floors differ, so only they contribute.
pub fn not_judged(
    model: &Model,
    code: &str,
    workload: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Span> {
    let t = territory(model, code);
    let tz = t.timezone;
    let (min, _) = bounds(model, code, workload);
    let relevant: Vec<(usize, &Entry)> = model
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.floor_for(code, workload).is_some_and(|f| f > min))
        .collect();
    let mut out = Vec::new();
    if relevant.is_empty() {
        return out;
    }
    let changes = offset_changes(tz, from - Duration::days(4), to + Duration::days(4));
    let first = local_date(tz, from) - Duration::days(2);
    let last = local_date(tz, to) + Duration::days(2);

    for &(_, e) in &relevant {
        dst_edges(model, e, code, tz, &changes, first, last, &mut out);
    }
    dst_anomalies(tz, &changes, &mut out);
    leap_edges(model, &relevant, code, tz, first, last, &mut out);
    dated_recurrence(model, &relevant, code, tz, first, last, &mut out);

    out.retain(|s| s.start < to && s.end > from && s.start < s.end);
    for s in &mut out {
        s.start = s.start.max(from);
        s.end = s.end.min(to);
    }
    out.sort_by_key(|s| (s.start, s.end, s.reason));
    out.dedup();
    out
}

/// The offset change whose gap or fold contains local wall time `ndt`.
fn change_at_wall(changes: &[OffsetChange], ndt: NaiveDateTime) -> Option<&OffsetChange> {
    changes.iter().find(|c| {
        let (b, a) = (c.wall_before(), c.wall_after());
        if a > b {
            b <= ndt && ndt < a
        } else {
            a <= ndt && ndt < b
        }
    })
}

fn fold_span(c: &OffsetChange) -> (DateTime<Utc>, DateTime<Utc>) {
    let d = Duration::seconds(i64::from((c.before - c.after).abs()));
    (c.at - d, c.at + d)
}

fn ndt_of(date: NaiveDate, minute: u32) -> NaiveDateTime {
    date.and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(i64::from(minute))
}

#[allow(clippy::too_many_arguments)]
fn dst_edges(
    model: &Model,
    e: &Entry,
    code: &str,
    tz: Tz,
    changes: &[OffsetChange],
    first: NaiveDate,
    last: NaiveDate,
    out: &mut Vec<Span>,
) {
    if changes.is_empty() {
        return;
    }
    let end_off = end_offset_minutes(e);
    let start = floor_start_minute(model, e);
    for s in days(first, last) {
        if !starts_on(model, e, code, s) {
            continue;
        }
        let sw = wall(tz, s, start);
        let ew = wall(tz, s, end_off);
        let end_real = ew
            .boundary()
            .unwrap_or_else(|| first_instant_at_or_after(tz, ndt_of(s, end_off)));
        for (w, minute) in [(sw, start), (ew, end_off)] {
            if let Wall::Ambiguous { .. } = w {
                if let Some(c) = change_at_wall(changes, ndt_of(s, minute)) {
                    let (a, b) = fold_span(c);
                    out.push(Span {
                        start: a,
                        end: b,
                        reason: NotJudged::DstEdge,
                    });
                }
            }
        }
        if sw == Wall::Missing {
            // KEDA still sees the window's end fire; the window opens at the last start
            // firing that exists: one hour earlier with the compiler's early start, or
            // the day before.
            let early = if early_start_applies(e) {
                wall(tz, s, start - 60).earliest()
            } else {
                None
            };
            let from = early
                .unwrap_or_else(|| first_instant_at_or_after(tz, ndt_of(s - Duration::days(1), 0)));
            out.push(Span {
                start: from,
                end: end_real,
                reason: NotJudged::DstEdge,
            });
        }
        if ew == Wall::Missing && start == 0 && end_off == 1440 {
            // Consecutive whole days compile to one continuous trigger: it stays active
            // over a skipped midnight that §2.2 says closes both days' windows.
            let start = first_instant_at_or_after(tz, ndt_of(s, 0));
            out.push(Span {
                start,
                end: end_real,
                reason: NotJudged::DstEdge,
            });
        }
    }
}

fn dst_anomalies(tz: Tz, changes: &[OffsetChange], out: &mut Vec<Span>) {
    // From the start of the local day before the change to the end of its day. Not
    // only near windows: a trigger's start can fire every day (see `compile`), and
    // robfig's misplaced firings there can activate it on any day.
    for c in changes.iter().filter(|c| !c.is_robfig_regular()) {
        let day = c.wall_before().date();
        let start = first_instant_at_or_after(tz, ndt_of(day - Duration::days(1), 0));
        let end =
            first_instant_at_or_after(tz, ndt_of(c.wall_after().date() + Duration::days(1), 0));
        out.push(Span {
            start,
            end,
            reason: NotJudged::DstAnomaly,
        });
    }
}

/// Whether the compiler counts month-day `(month, day)` (of a leap year) as a start day
/// of recurring entry `e` in territory `code`: in the range, and not a blackout day,
/// dated blackouts counting on their month-days in every year (§4.2).
fn recurring_start_month_day(model: &Model, e: &Entry, code: &str, month: u32, day: u32) -> bool {
    let d = NaiveDate::from_ymd_opt(2028, month, day).expect("valid leap-year month-day");
    e.dates.contains(d) && !blackout_month_day(model, code, month, day)
}

/// Whether a blackout of territory `code` covers month-day `(month, day)` in some year:
/// recurring blackouts by their range, dated ones on their own month-days.
fn blackout_month_day(model: &Model, code: &str, month: u32, day: u32) -> bool {
    model
        .blackouts
        .iter()
        .filter(|b| b.territories.iter().any(|t| t == code))
        .any(|b| match b.dates {
            DateRange::Recurring { .. } => b
                .dates
                .contains(NaiveDate::from_ymd_opt(2028, month, day).expect("valid")),
            DateRange::Dated { from, to } => {
                days(from, to).any(|d| d.month() == month && d.day() == day)
            }
        })
}

fn leap_edges(
    model: &Model,
    relevant: &[(usize, &Entry)],
    code: &str,
    tz: Tz,
    first: NaiveDate,
    last: NaiveDate,
    out: &mut Vec<Span>,
) {
    let affected = relevant.iter().any(|(_, e)| {
        !e.dates.is_dated()
            && end_offset_minutes(e) >= 1440
            && recurring_start_month_day(model, e, code, 2, 28)
                != recurring_start_month_day(model, e, code, 2, 29)
    });
    if !affected {
        return;
    }
    for y in first.year()..=last.year() {
        if let Some(feb29) = NaiveDate::from_ymd_opt(y, 2, 29) {
            out.push(Span {
                start: first_instant_at_or_after(tz, ndt_of(feb29, 0)),
                end: first_instant_at_or_after(tz, ndt_of(feb29 + Duration::days(2), 0)),
                reason: NotJudged::LeapEdge,
            });
        }
    }
}

/// The span where dated day `x`'s window (ending `extra` days later) recurs in
/// `year`: from its month-day to the day after its end's month-day. Feb 29 of a
/// common year widens to Feb 28 (start) or Mar 1 (end).
fn recurrence_span(tz: Tz, year: i32, x: NaiveDate, extra: i64) -> Option<Span> {
    let project = |d: NaiveDate, y: i32, late: bool| {
        NaiveDate::from_ymd_opt(y, d.month(), d.day()).or_else(|| {
            let day = if late { (3, 1) } else { (2, 28) };
            NaiveDate::from_ymd_opt(y, day.0, day.1)
        })
    };
    let last = x + Duration::days(extra);
    let a = project(x, year, false)?;
    let b = project(last, year + (last.year() - x.year()), true)?;
    Some(Span {
        start: first_instant_at_or_after(tz, ndt_of(a, 0)),
        end: first_instant_at_or_after(tz, ndt_of(b + Duration::days(1), 0)),
        reason: NotJudged::DatedRecurrence,
    })
}

fn dated_recurrence(
    model: &Model,
    relevant: &[(usize, &Entry)],
    code: &str,
    tz: Tz,
    first: NaiveDate,
    last: NaiveDate,
    out: &mut Vec<Span>,
) {
    let years: Vec<i32> = (first.year()..=last.year()).collect();
    for &(_, e) in relevant {
        // A window may end on the next day: widen by one day then.
        let extra = i64::from(
            end_offset_minutes(e) > 1440
                || e.hours.end_minute == 1440
                || e.hours.crosses_midnight(),
        );
        match e.dates {
            DateRange::Dated { from, to } => {
                for x in days(from, to) {
                    if !starts_on(model, e, code, x) {
                        continue;
                    }
                    for &y in years.iter().filter(|&&y| y != x.year()) {
                        out.extend(recurrence_span(tz, y, x, extra));
                    }
                }
            }
            DateRange::Recurring { .. } => {
                // Dated blackouts remove the season's windows on their month-days in
                // every year; outside the blackout's own year that is its recurrence.
                for b in model
                    .blackouts
                    .iter()
                    .filter(|b| b.territories.iter().any(|t| t == code))
                {
                    let DateRange::Dated { from, to } = b.dates else {
                        continue;
                    };
                    for x in days(from, to) {
                        let md = NaiveDate::from_ymd_opt(2028, x.month(), x.day()).expect("valid");
                        if !e.dates.contains(md) {
                            continue;
                        }
                        for &y in years.iter().filter(|&&y| y != x.year()) {
                            out.extend(recurrence_span(tz, y, x, extra));
                        }
                    }
                }
            }
        }
    }
}
