//! The windows of SPEC §2.2 in real time: the one window generator the compiler's
//! expiries, `explain`, `plan`'s load model and `simulate`'s traffic use.
//!
//! An entry opens a window on each local start day ([`BlackoutDays::starts_on`], which
//! is [`crate::config::model::Model::starts_on`] with the territory's blackout days
//! gathered once); the window
//! runs from the day's start time to its end time (the next day's when the hours cross
//! midnight or end at `24:00`). A boundary whose wall time occurs twice counts at its
//! later instant; a window whose start or end does not exist that day does not open.
//!
//! Each entry has two kinds of windows: its *floor* windows ([`windows`]), which open
//! its lead earlier ([`Entry::floor_hours`]), and its *traffic* windows
//! ([`traffic_windows`]), the plain `hours` in which its `load` applies (SPEC §2.2 "Lead
//! time", §8.1).
//!
//! `schedule::reference` keeps its own copy of this on purpose (see its module docs).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::config::model::{BlackoutDays, Entry, Hours, Model};
use crate::config::zone;

/// One window of an entry, in real time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Local start day.
    pub day: NaiveDate,
    /// First instant, inclusive.
    pub start: DateTime<Utc>,
    /// End, exclusive.
    pub end: DateTime<Utc>,
}

/// The window of `hours` that starts on local day `day` in `tz`, or `None` when its start
/// or end wall time does not exist that day.
pub fn window(tz: Tz, hours: Hours, day: NaiveDate) -> Option<Window> {
    let start = zone::wall(tz, day, hours.start_minute).boundary()?;
    let end = zone::wall(tz, day, hours.end_offset_minutes()).boundary()?;
    Some(Window { day, start, end })
}

/// The local days `first..=last` on which entry `e` opens a window in the territory
/// whose blackout days are `blackouts`.
pub fn start_days<'a>(
    blackouts: &'a BlackoutDays,
    e: &'a Entry,
    first: NaiveDate,
    last: NaiveDate,
) -> impl Iterator<Item = NaiveDate> + 'a {
    first
        .iter_days()
        .take_while(move |d| *d <= last)
        .filter(move |d| blackouts.starts_on(e, *d))
}

/// Every floor window entry `e` opens in the territory with blackout days `blackouts`
/// (zone `tz`) on local start days `first..=last`, in day order: its hours opened its
/// lead earlier.
pub fn windows<'a>(
    blackouts: &'a BlackoutDays,
    e: &'a Entry,
    tz: Tz,
    (first, last): (NaiveDate, NaiveDate),
) -> impl Iterator<Item = Window> + 'a {
    let hours = e.floor_hours();
    start_days(blackouts, e, first, last).filter_map(move |day| window(tz, hours, day))
}

/// Every traffic window entry `e` opens in the territory with blackout days `blackouts`
/// (zone `tz`) on local start days `first..=last`, in day order: the windows of its
/// `hours` (SPEC §8.1, where an entry's `load` applies).
pub fn traffic_windows<'a>(
    blackouts: &'a BlackoutDays,
    e: &'a Entry,
    tz: Tz,
    (first, last): (NaiveDate, NaiveDate),
) -> impl Iterator<Item = Window> + 'a {
    start_days(blackouts, e, first, last).filter_map(move |day| window(tz, e.hours, day))
}

/// The instant the window of `hours` starting on `day` ends, even when its end wall time
/// does not exist (then the end of the gap) — when a dated entry stops mattering.
pub fn end_instant(tz: Tz, hours: Hours, day: NaiveDate) -> DateTime<Utc> {
    let off = hours.end_offset_minutes();
    zone::wall(tz, day, off)
        .boundary()
        .unwrap_or_else(|| zone::first_instant_at_or_after(tz, zone::at_minute(day, off)))
}

/// The first instant after local day `day` in `tz`.
pub fn day_end(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    zone::local_midnight(tz, day + Duration::days(1))
}

/// The floor window of entry `e` that holds `at` while its traffic window has not begun
/// yet (the entry's lead), as `(floor window, traffic window)` of the same start day.
pub fn in_lead(
    model: &Model,
    e: &Entry,
    code: &str,
    tz: Tz,
    at: DateTime<Utc>,
) -> Option<(Window, Window)> {
    if e.floor_lead == 0 {
        return None;
    }
    let day = at.with_timezone(&tz).date_naive();
    let days = (day - Duration::days(1), day);
    let blackouts = BlackoutDays::new(model, code);
    let found = windows(&blackouts, e, tz, days)
        .filter(|w| w.start <= at && at < w.end)
        .find_map(|w| {
            let traffic = window(tz, e.hours, w.day)?;
            (at < traffic.start).then_some((w, traffic))
        });
    found
}
