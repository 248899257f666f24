//! The traffic model of SPEC §8.1: demand per UTC minute of one territory workload, in
//! integer milli-requests per second (`D(m)` of §8.2).
//!
//! `demand(m) = scale × baseline_rps × profile(day class, local hour) × F(m)`, evaluated
//! left to right in f64, then `D(m) = ⌊demand(m) × 1000 + 0.5⌋`. F(m) is the largest load
//! factor among the entries with a window open at m in the *intended* calendar (§2.2:
//! hours, days, blackouts, midnight crossing, DST rules; dated entries only in their own
//! dates), so it comes from the window generator ([`crate::schedule::windows`]), never
//! from the cron triggers: a campaign's yearless cron repeat raises floors but brings no
//! traffic.

use chrono::{DateTime, Datelike, Duration, Utc};

use crate::config::model::{BlackoutDays, Entry, Model, Territory, TrafficSettings};
use crate::report::ReportError;
use crate::schedule::cron::Zone;
use crate::schedule::windows;

/// The largest demand `simulate` accepts, in milli-requests per second (about 10⁹ rps):
/// it keeps every product of the integer model inside `u64`.
pub const MAX_MILLI: u64 = 1 << 40;

/// `R = ⌊rps_per_replica × 1000 + 0.5⌋`, or `Err` when it is not in `0..=MAX_MILLI`.
pub fn milli(rps: f64, what: &str) -> Result<u64, ReportError> {
    let x = rps * 1000.0 + 0.5;
    if !(x.is_finite() && x >= 0.0 && x.floor() <= MAX_MILLI as f64) {
        return Err(ReportError::Invalid(format!(
            "{what} of {rps} requests/s is beyond what simulate models (at most about 10⁹)"
        )));
    }
    Ok(x.floor() as u64)
}

/// One window of the intended calendar, in Unix seconds `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First instant, inclusive.
    pub start: i64,
    /// End, exclusive.
    pub end: i64,
}

/// Every traffic window entry `e` opens for territory `t` (§2.2 from `hours.start`, never
/// from a lead: blackouts of `t`; a window whose start or end wall time does not exist
/// does not open; an ambiguous edge counts at its later instant) that overlaps
/// `[from, to)`, in day order.
pub fn entry_windows(model: &Model, e: &Entry, t: &Territory, from: i64, to: i64) -> Vec<Span> {
    let days = local_days(t, from, to);
    let blackouts = BlackoutDays::new(model, &t.code);
    spans(
        windows::traffic_windows(&blackouts, e, t.timezone, days),
        from,
        to,
    )
}

/// Every floor window of entry `e` for territory `t` (its hours opened its lead earlier)
/// that overlaps `[from, to)`, in day order.
pub fn floor_windows(model: &Model, e: &Entry, t: &Territory, from: i64, to: i64) -> Vec<Span> {
    let days = local_days(t, from, to);
    let blackouts = BlackoutDays::new(model, &t.code);
    spans(windows::windows(&blackouts, e, t.timezone, days), from, to)
}

/// The local start days whose windows can overlap `[from, to)`.
fn local_days(t: &Territory, from: i64, to: i64) -> (chrono::NaiveDate, chrono::NaiveDate) {
    (
        local_day(t, from) - Duration::days(2),
        local_day(t, to) + Duration::days(1),
    )
}

fn spans(ws: impl Iterator<Item = windows::Window>, from: i64, to: i64) -> Vec<Span> {
    ws.map(|w| Span {
        start: w.start.timestamp(),
        end: w.end.timestamp(),
    })
    .filter(|w| w.start < w.end && w.start < to && w.end > from)
    .collect()
}

/// Demand of one deployment per UTC minute, `D(m)` in milli-requests per second.
#[derive(Debug, Clone)]
pub struct MinuteDemand {
    /// Unix minute (`unix / 60`) of `milli[0]`.
    pub first_minute: i64,
    /// `D(m)` for every minute from `first_minute` on.
    pub milli: Vec<u64>,
    /// For every minute index, the index of the next minute with another `D` (or the length).
    pub run_end: Vec<u32>,
}

impl MinuteDemand {
    /// A demand series from per-minute values.
    pub fn new(first_minute: i64, milli: Vec<u64>) -> MinuteDemand {
        let mut run_end = vec![0u32; milli.len()];
        let mut end = milli.len() as u32;
        for i in (0..milli.len()).rev() {
            if i + 1 < milli.len() && milli[i + 1] != milli[i] {
                end = (i + 1) as u32;
            }
            run_end[i] = end;
        }
        MinuteDemand {
            first_minute,
            milli,
            run_end,
        }
    }

    /// Index of the minute containing `unix`.
    #[inline]
    pub fn index(&self, unix: i64) -> usize {
        (unix.div_euclid(60) - self.first_minute) as usize
    }

    /// `D` of the minute containing `unix`; the range must cover it.
    #[inline]
    pub fn at(&self, unix: i64) -> u64 {
        self.milli[self.index(unix)]
    }

    /// Unix time of the first minute after the one containing `unix` whose `D` differs
    /// (or the end of the series).
    #[inline]
    pub fn constant_until(&self, unix: i64) -> i64 {
        (self.first_minute + i64::from(self.run_end[self.index(unix)])) * 60
    }
}

/// What the demand of one deployment depends on.
pub struct DemandInputs<'a> {
    /// The validated configuration (entries, blackouts).
    pub model: &'a Model,
    /// The territory.
    pub territory: &'a Territory,
    /// `baseline_rps` of the deployment.
    pub baseline_rps: f64,
    /// `--scale`.
    pub scale: f64,
    /// `[traffic]`.
    pub traffic: &'a TrafficSettings,
}

/// `D(m)` for every minute containing an instant of `[from, to)`.
///
/// Demand only changes where F(m) or the profile factor does: at window edges and, with
/// a non-constant profile, at local hour boundaries. So it is computed once per run
/// between those cuts and copied over the run's minutes.
pub fn minute_demand(inp: &DemandInputs, from: i64, to: i64) -> Result<MinuteDemand, ReportError> {
    let first = from.div_euclid(60);
    let end = (to + 59).div_euclid(60).max(first);
    let len = (end - first) as usize;
    let windows = load_windows(inp, first, end);
    let zone = Zone::with_range(inp.territory.timezone, first * 60, end * 60);
    let mut cuts: Vec<usize> = vec![0, len];
    for w in &windows {
        cuts.extend([w.0, w.1]);
    }
    if !profile_is_constant(inp.traffic) {
        cuts.extend(hour_boundaries(&zone, first, end));
    }
    cuts.sort_unstable();
    cuts.dedup();
    // Sweep: (minute index, opens, factor), closes before opens at the same minute.
    let mut events: Vec<(usize, bool, f64)> = Vec::with_capacity(windows.len() * 2);
    for &(lo, hi, f) in &windows {
        events.push((lo, true, f));
        events.push((hi, false, f));
    }
    events.sort_by_key(|e| (e.0, e.1));
    let (mut open, mut next_event) = (Vec::<f64>::new(), 0);
    let mut milli = Vec::with_capacity(len);
    for run in cuts.windows(2) {
        let (a, b) = (run[0], run[1]);
        while next_event < events.len() && events[next_event].0 <= a {
            let (_, opens, f) = events[next_event];
            if opens {
                open.push(f);
            } else if let Some(i) = open.iter().position(|&g| g == f) {
                open.swap_remove(i);
            }
            next_event += 1;
        }
        let factor = open.iter().copied().reduce(f64::max).unwrap_or(1.0);
        let unix = (first + a as i64) * 60;
        let demand = inp.scale * inp.baseline_rps * profile_at(inp.traffic, &zone, unix) * factor;
        let d = milli_demand(demand, unix, inp.territory)?;
        milli.resize(b, d);
    }
    Ok(MinuteDemand::new(first, milli))
}

/// Every load window of the territory as minute indices `[lo, hi)` with its factor; a
/// minute is in a window when its first instant is.
fn load_windows(inp: &DemandInputs, first: i64, end: i64) -> Vec<(usize, usize, f64)> {
    let mut out = Vec::new();
    for e in &inp.model.entries {
        let Some(factor) = e.load_factor(inp.territory) else {
            continue;
        };
        for w in entry_windows(inp.model, e, inp.territory, first * 60, end * 60) {
            let lo = (w.start + 59).div_euclid(60).clamp(first, end);
            let hi = (w.end + 59).div_euclid(60).clamp(first, end);
            if lo < hi {
                out.push(((lo - first) as usize, (hi - first) as usize, factor));
            }
        }
    }
    out
}

fn profile_is_constant(t: &TrafficSettings) -> bool {
    let v = t.profile_weekday[0];
    t.profile_weekday
        .iter()
        .chain(&t.profile_weekend)
        .all(|&f| f == v)
}

/// The profile factor at `unix`: the local hour's, weekday or weekend.
fn profile_at(t: &TrafficSettings, zone: &Zone, unix: i64) -> f64 {
    let local = unix + zone.offset_at(unix);
    let hour = (local.rem_euclid(86_400) / 3600) as usize;
    // 1970-01-01 was a Thursday: day 0 is weekday 3 counted from Monday.
    let weekend = (local.div_euclid(86_400) + 3).rem_euclid(7) >= 5;
    if weekend {
        t.profile_weekend[hour]
    } else {
        t.profile_weekday[hour]
    }
}

/// Minute indices (from `first`) where a local hour begins or the offset changes.
fn hour_boundaries(zone: &Zone, first: i64, end: i64) -> Vec<usize> {
    let mut out = Vec::new();
    let mut edges: Vec<i64> = vec![first * 60];
    edges.extend(zone.changes().iter().map(|&c| c.div_euclid(60) * 60));
    edges.push(end * 60);
    for span in edges.windows(2) {
        let (a, b) = (span[0], span[1]);
        out.push((a.div_euclid(60) - first) as usize);
        let offset = zone.offset_at(a);
        let mut t = a + (3600 - (a + offset).rem_euclid(3600)) % 3600;
        while t < b {
            out.push((t.div_euclid(60) - first) as usize);
            t += 3600;
        }
    }
    out
}

fn milli_demand(demand: f64, unix: i64, territory: &Territory) -> Result<u64, ReportError> {
    let x = demand * 1000.0 + 0.5;
    if x.is_finite() && x >= 0.0 && x.floor() <= MAX_MILLI as f64 {
        return Ok(x.floor() as u64);
    }
    let at = DateTime::<Utc>::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%MZ").to_string())
        .unwrap_or_default();
    Err(ReportError::Invalid(format!(
        "demand of {demand} requests/s in {} at {at} is beyond what simulate models (at most \
         about 10⁹)",
        territory.code
    )))
}

/// Local date of `unix` in `territory`'s zone.
pub fn local_day(territory: &Territory, unix: i64) -> chrono::NaiveDate {
    DateTime::<Utc>::from_timestamp(unix, 0)
        .expect("instant in chrono's range")
        .with_timezone(&territory.timezone)
        .date_naive()
}

/// Whether `d` is a Saturday or Sunday (the weekend profile's days).
pub fn is_weekend(d: chrono::NaiveDate) -> bool {
    d.weekday().number_from_monday() >= 6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::example::{CALENDARS, TERRITORIES};
    use crate::config::model::{LoadFactor, Region};
    use crate::config::validate::model_from_strs;

    fn territory(regions: &[(&str, f64)]) -> Territory {
        let model = model_from_strs(TERRITORIES, CALENDARS).unwrap();
        let mut t = model.territory("DE").unwrap().clone();
        t.regions = regions
            .iter()
            .map(|&(code, share)| Region {
                code: code.into(),
                share,
            })
            .collect();
        t
    }

    fn entry_with(load: &[(&str, Option<&str>, f64)]) -> Entry {
        let model = model_from_strs(TERRITORIES, CALENDARS).unwrap();
        let mut e = model.entries[0].clone();
        e.load = load
            .iter()
            .map(|&(t, r, factor)| LoadFactor {
                territory: t.into(),
                region: r.map(Into::into),
                factor,
            })
            .collect();
        e
    }

    #[test]
    fn regional_factors_mix_by_share_as_the_spec_examples_say() {
        let t = territory(&[("BW", 0.20), ("BY", 0.25)]);
        let bw_only = entry_with(&[("DE", Some("BW"), 3.0)]);
        assert!((bw_only.load_factor(&t).unwrap() - 1.4).abs() < 1e-12);
        let okt = entry_with(&[("DE", None, 2.0), ("DE", Some("BY"), 6.0)]);
        assert!((okt.load_factor(&t).unwrap() - 3.0).abs() < 1e-12);
        let other = entry_with(&[("CH", None, 2.0)]);
        assert_eq!(other.load_factor(&t), None);
        let quiet = entry_with(&[("DE", None, 0.5)]);
        assert_eq!(quiet.load_factor(&t), Some(0.5));
    }

    #[test]
    fn milli_rounds_half_up_and_rejects_the_unmodellable() {
        assert_eq!(milli(80.0, "x").unwrap(), 80_000);
        assert_eq!(milli(0.0005, "x").unwrap(), 1);
        assert_eq!(milli(0.0004, "x").unwrap(), 0);
        assert!(milli(1e300, "x").is_err());
        assert!(milli(f64::NAN, "x").is_err());
        assert_eq!(
            crate::config::model::TrafficSettings::default().saturation_percent(),
            125
        );
    }
}
