//! The load model of `plan` (see the `plan` module docs): each entry's calendar windows
//! (from the one window generator, `schedule::windows`) with its effective load factor
//! for the territory, cut into the floor timeline.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::config::model::{BlackoutDays, Model, Territory, TerritoryWorkload};
use crate::schedule::keda::FloorInterval;
use crate::schedule::windows;

/// The load model of one deployment: its baseline load and the windows that raise it.
#[derive(Debug, Clone)]
pub struct LoadModel {
    /// Off-season requests per second.
    pub baseline_rps: f64,
    /// Windows with a load factor, sorted by (start, end), clipped to the range.
    windows: Vec<LoadWindow>,
}

impl LoadModel {
    /// The load model of `territory`'s workload `bounds` over the local days
    /// `days` (real time `range`), or `None` without `baseline_rps`.
    pub fn new(
        model: &Model,
        territory: &Territory,
        bounds: &TerritoryWorkload,
        days: (NaiveDate, NaiveDate),
        range: (DateTime<Utc>, DateTime<Utc>),
    ) -> Option<LoadModel> {
        let baseline_rps = bounds.baseline_rps?;
        Some(LoadModel {
            baseline_rps,
            windows: load_windows(model, territory, days, range),
        })
    }
}

/// A calendar window with the entry's effective load factor.
#[derive(Debug, Clone, Copy)]
struct LoadWindow {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    factor: f64,
}

/// Every calendar window of entries with a load factor for `territory` that overlaps
/// `range` (days `from - 1 ..= to` cover windows crossing midnight into the range).
fn load_windows(
    model: &Model,
    territory: &Territory,
    (first, last): (NaiveDate, NaiveDate),
    (lo, hi): (DateTime<Utc>, DateTime<Utc>),
) -> Vec<LoadWindow> {
    let days = (first - Duration::days(1), last);
    let blackouts = BlackoutDays::new(model, &territory.code);
    let mut out = Vec::new();
    for entry in &model.entries {
        let Some(factor) = entry.load_factor(territory) else {
            continue;
        };
        for w in windows::traffic_windows(&blackouts, entry, territory.timezone, days) {
            let (start, end) = (w.start.max(lo), w.end.min(hi));
            if start < end {
                out.push(LoadWindow { start, end, factor });
            }
        }
    }
    out.sort_by_key(|w| (w.start, w.end));
    out
}

/// Demand in replicas for `load` (a tiny tolerance keeps 3.0000000001 at 3).
pub fn demand(load: f64, rps_per_replica: f64) -> u32 {
    let x = load / rps_per_replica - 1e-9;
    if x <= 0.0 {
        0
    } else {
        x.ceil().min(f64::from(u32::MAX)) as u32
    }
}

/// A piece of time with one floor, one active-trigger set and one load factor.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// First instant, inclusive.
    pub start: DateTime<Utc>,
    /// End, exclusive.
    pub end: DateTime<Utc>,
    /// The floor throughout.
    pub floor: u32,
    /// Active trigger indices throughout.
    pub active: Vec<usize>,
    /// Highest factor among open windows; `None` when none is open.
    pub factor: Option<f64>,
}

/// Splits the floor timeline at load-window edges (a sweep over sorted edges).
pub fn segments(timeline: &[FloorInterval], load: Option<&LoadModel>) -> Vec<Segment> {
    let windows = load.map_or(&[][..], |l| l.windows.as_slice());
    let mut cuts: Vec<DateTime<Utc>> = timeline.iter().map(|i| i.start).collect();
    if let Some(last) = timeline.last() {
        cuts.push(last.end);
    }
    let (lo, hi) = match (cuts.first(), cuts.last()) {
        (Some(&lo), Some(&hi)) => (lo, hi),
        _ => return Vec::new(),
    };
    cuts.extend(
        windows
            .iter()
            .flat_map(|w| [w.start, w.end])
            .filter(|&t| lo < t && t < hi),
    );
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::with_capacity(cuts.len());
    let (mut ti, mut wi) = (0, 0);
    let mut open: Vec<LoadWindow> = Vec::new();
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        while timeline[ti].end <= a {
            ti += 1;
        }
        while wi < windows.len() && windows[wi].start <= a {
            open.push(windows[wi]);
            wi += 1;
        }
        open.retain(|w| w.end > a);
        let factor = open.iter().map(|w| w.factor).reduce(f64::max);
        out.push(Segment {
            start: a,
            end: b,
            floor: timeline[ti].floor,
            active: timeline[ti].active.clone(),
            factor,
        });
    }
    out
}
