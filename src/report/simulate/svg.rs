//! `simulate --svg FILE --day D`: one local day of every selected deployment, one panel
//! each:
//! - demand and the capacity of each strategy (ready replicas × rps_per_replica ×
//!   saturation) over the day, the pre-scale floor's windows shaded;
//! - the steps at which `reactive` and `scheduled` are at risk;
//! - the replicas of each strategy;
//! - a 30-minute detail around the first step at risk (else the first floor change), where
//!   the 15-second dynamics — metric lag, startup, rate limits — are visible.
//!
//! Written by hand like `plan --svg`: a few paths and labels, byte-stable.

use std::fmt::Write as _;

use super::run::Strategy;
use super::{DayTrace, DeploymentResult, Simulation};

const WIDTH: f64 = 1000.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 160.0;
const DEMAND_H: f64 = 190.0;
const RISK_ROW: f64 = 13.0;
const REPLICAS_H: f64 = 90.0;
const DETAIL_H: f64 = 150.0;
/// Title, demand chart, labels, risk rows, replicas chart, labels.
const PANEL_H: f64 = 34.0 + DEMAND_H + 22.0 + 2.0 * RISK_ROW + 14.0 + REPLICAS_H + 40.0;
/// The detail chart with its title and labels.
const DETAIL_PANEL_H: f64 = DETAIL_H + 50.0;
/// Steps in the detail chart (30 minutes).
const DETAIL_STEPS: usize = 120;

/// Colour, width and dash pattern of each strategy's lines; `reactive` is drawn wide and
/// pale under `scheduled` so both stay visible where they agree.
fn style(s: Strategy) -> (&'static str, f64, &'static str, f64) {
    match s {
        Strategy::Static => ("#7f7f7f", 1.4, "6 4", 1.0),
        Strategy::Reactive => ("#e6550d", 4.0, "", 0.55),
        Strategy::Scheduled => ("#1f6fd1", 1.8, "", 1.0),
        Strategy::Ideal => ("#2ca02c", 1.8, "2 3", 1.0),
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart as SVG text.
pub fn chart(sim: &Simulation) -> String {
    let panels: Vec<(&DeploymentResult, &DayTrace)> = sim
        .deployments
        .iter()
        .filter_map(|d| d.day.as_ref().map(|t| (d, t)))
        .collect();
    let heights: Vec<f64> = panels
        .iter()
        .map(|(_, t)| PANEL_H + detail_step(t).map_or(20.0, |_| DETAIL_PANEL_H))
        .collect();
    let height = 70.0 + heights.iter().sum::<f64>().max(PANEL_H);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {WIDTH:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    let day = panels
        .first()
        .map_or_else(String::new, |(_, t)| t.day.to_string());
    let _ = writeln!(
        s,
        "<title>scalegen simulate {day}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
    );
    let _ = writeln!(
        s,
        "<text x=\"{LEFT}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">Season rehearsal, \
         {day} (local time of each territory), demand × {}</text>",
        sim.request.scale
    );
    let _ = writeln!(
        s,
        "<text x=\"{LEFT}\" y=\"42\" fill=\"#444\">capacity = ready replicas × rps_per_replica × \
         saturation {} · shaded: a cron floor is active · red: steps at risk (demand above \
         capacity)</text>\n<text x=\"{LEFT}\" y=\"57\" fill=\"#444\">startup {} s, metric delay \
         {} s, 15-second steps · the p95 latency guard trigger is not simulated (it can only add \
         replicas)</text>",
        sim.request.traffic.saturation,
        sim.request.traffic.startup_seconds,
        sim.request.traffic.metric_delay_seconds
    );
    let mut top = 64.0;
    for ((d, t), h) in panels.iter().zip(&heights) {
        panel(&mut s, d, t, top);
        top += h;
    }
    s.push_str("</svg>\n");
    s
}

/// A stretch of steps drawn across the plot width.
struct Frame {
    /// First step index (into the day's vectors).
    lo: usize,
    /// End step index (exclusive).
    hi: usize,
    top: f64,
    height: f64,
    ymax: f64,
}

impl Frame {
    fn x(&self, k: usize) -> f64 {
        LEFT + (k - self.lo) as f64 * (WIDTH - LEFT - RIGHT) / (self.hi - self.lo).max(1) as f64
    }

    fn y(&self, v: f64) -> f64 {
        self.top + self.height - v / self.ymax * self.height
    }

    fn right(&self) -> f64 {
        WIDTH - RIGHT
    }

    fn bottom(&self) -> f64 {
        self.top + self.height
    }
}

/// A step function as an SVG path: `values[k]` holds over `[x(k), x(k + 1))`.
fn step_path(f: &Frame, values: &[f64]) -> String {
    let mut p = String::new();
    let mut last: Option<f64> = None;
    for (k, &v) in values.iter().enumerate().take(f.hi).skip(f.lo) {
        match last {
            None => {
                let _ = write!(p, "M{:.1},{:.1}", f.x(k), f.y(v));
            }
            Some(prev) if prev != v => {
                let _ = write!(p, "H{:.1}V{:.1}", f.x(k), f.y(v));
            }
            _ => {}
        }
        last = Some(v);
    }
    let _ = write!(p, "H{:.1}", f.x(f.hi));
    p
}

/// A "nice" axis maximum and tick step for values up to `max`.
fn nice(max: f64) -> (f64, f64) {
    let max = max.max(1.0);
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((max / step).ceil() * step, step)
}

fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

/// Local seconds of the day at step `k`.
fn local_seconds(t: &DayTrace, k: usize) -> i64 {
    (t.start + 15 * k as i64 + t.offsets[k]).rem_euclid(86_400)
}

/// Grid, y labels and x labels: every `every_min` local minutes a line, labelled every
/// `label_min` minutes.
fn axes(s: &mut String, f: &Frame, t: &DayTrace, ystep: f64, label: &str, x_min: (i64, i64)) {
    let (every, label_every) = (x_min.0 * 60, x_min.1 * 60);
    let mut v = 0.0;
    while v <= f.ymax + 1e-9 {
        let yy = f.y(v);
        let _ = writeln!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\" stroke=\"#e4e4e4\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#444\">{}</text>",
            f.right(),
            LEFT - 6.0,
            yy + 4.0,
            trim(v)
        );
        v += ystep;
    }
    let mut last_label = f64::NEG_INFINITY;
    for k in f.lo..f.hi {
        let local = local_seconds(t, k);
        if local % every != 0 {
            continue;
        }
        let xx = f.x(k);
        let _ = writeln!(
            s,
            "<line x1=\"{xx:.1}\" y1=\"{:.1}\" x2=\"{xx:.1}\" y2=\"{:.1}\" stroke=\"#efefef\"/>",
            f.top,
            f.bottom()
        );
        // On the day clocks go back an hour repeats: its label would overprint.
        if local % label_every == 0 && xx - last_label > 40.0 {
            last_label = xx;
            let _ = writeln!(
                s,
                "<text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#444\">{:02}:{:02}</text>",
                f.bottom() + 13.0,
                local / 3600,
                local % 3600 / 60
            );
        }
    }
    let _ = writeln!(
        s,
        "<rect x=\"{LEFT}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"none\" stroke=\"#888\"/>\
         <text transform=\"translate({:.1},{:.1}) rotate(-90)\" text-anchor=\"middle\" fill=\"#444\">{label}</text>",
        f.top,
        f.right() - LEFT,
        f.height,
        LEFT - 44.0,
        f.top + f.height / 2.0
    );
}

fn lines(s: &mut String, f: &Frame, t: &DayTrace, value: impl Fn(u32, u32) -> f64) {
    for strategy in Strategy::ALL {
        let Some((_, v)) = t.strategies.iter().find(|(x, _)| *x == strategy) else {
            continue;
        };
        let (colour, width, dash, opacity) = style(strategy);
        let values: Vec<f64> = v.iter().map(|&(r, ready)| value(r, ready)).collect();
        let _ = writeln!(
            s,
            "<path d=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"{width}\" \
             stroke-dasharray=\"{dash}\" stroke-opacity=\"{opacity}\"/>",
            step_path(f, &values)
        );
    }
}

/// Capacity in requests per second of `ready` replicas.
fn capacity(t: &DayTrace, ready: u32) -> f64 {
    (t.sr * u64::from(ready)) as f64 / 100_000.0
}

/// Demand and capacities over `[f.lo, f.hi)`, with the floor's windows shaded.
fn demand_chart(s: &mut String, f: &Frame, t: &DayTrace, ystep: f64, x_min: (i64, i64)) {
    shade_floor(s, f, t);
    axes(s, f, t, ystep, "requests/s", x_min);
    lines(s, f, t, |_, ready| capacity(t, ready));
    let demand: Vec<f64> = t.demand.iter().map(|&m| m as f64 / 1000.0).collect();
    let _ = writeln!(
        s,
        "<path d=\"{}\" fill=\"none\" stroke=\"#111\" stroke-width=\"2.2\"/>",
        step_path(f, &demand)
    );
}

fn panel(s: &mut String, d: &DeploymentResult, t: &DayTrace, top: f64) {
    let n = t.demand.len();
    if n == 0 {
        return;
    }
    let top_value = t
        .strategies
        .iter()
        .flat_map(|(_, v)| v.iter().map(|&(_, r)| capacity(t, r)))
        .chain(t.demand.iter().map(|&m| m as f64 / 1000.0))
        .fold(0.0, f64::max);
    let (ymax, ystep) = nice(top_value * 1.05);
    let _ = writeln!(
        s,
        "<text x=\"{LEFT}\" y=\"{:.1}\" font-size=\"13\" font-weight=\"bold\">{} ({}, {})</text>",
        top + 22.0,
        xml(&d.name),
        xml(&d.territory),
        xml(&d.timezone)
    );
    let day = Frame {
        lo: 0,
        hi: n,
        top: top + 34.0,
        height: DEMAND_H,
        ymax,
    };
    demand_chart(s, &day, t, ystep, (60, 120));
    legend(s, day.top, d);
    let risk_top = day.bottom() + 22.0;
    risk_rows(s, &day, t, risk_top);
    let (rmax, rstep) = nice(f64::from(d.max) + 0.5);
    let replicas = Frame {
        top: risk_top + 2.0 * RISK_ROW + 14.0,
        height: REPLICAS_H,
        ymax: rmax,
        ..day
    };
    axes(
        s,
        &replicas,
        t,
        rstep.max(1.0).round(),
        "replicas",
        (60, 120),
    );
    lines(s, &replicas, t, |r, _| f64::from(r));
    detail(s, t, replicas.bottom() + 40.0, (ymax, ystep));
}

/// The step the detail centres on: the first at risk (`true`), else the first floor change.
fn detail_step(t: &DayTrace) -> Option<(usize, bool)> {
    let n = t.demand.len();
    let first_risk = t
        .strategies
        .iter()
        .filter(|(x, _)| matches!(x, Strategy::Reactive | Strategy::Scheduled))
        .filter_map(|(_, v)| (0..n).find(|&k| at_risk(t, v, k)))
        .min();
    let first_change = (1..n).find(|&k| t.floor[k] != t.floor[k - 1]);
    first_risk
        .map(|k| (k, true))
        .or(first_change.map(|k| (k, false)))
}

/// The 30 minutes around the first step at risk (else the first floor change).
fn detail(s: &mut String, t: &DayTrace, top: f64, (ymax, ystep): (f64, f64)) {
    let n = t.demand.len();
    let Some((k0, risk)) = detail_step(t) else {
        let _ = writeln!(
            s,
            "<text x=\"{LEFT}\" y=\"{:.1}\" fill=\"#444\">no step at risk and no floor change on \
             this day: no detail to show</text>",
            top
        );
        return;
    };
    let lo = k0.saturating_sub(DETAIL_STEPS / 6);
    let hi = (lo + DETAIL_STEPS).min(n);
    let f = Frame {
        lo,
        hi,
        top: top + 8.0,
        height: DETAIL_H,
        ymax,
    };
    let what = if risk {
        "the first step at risk"
    } else {
        "the first floor change"
    };
    let _ = writeln!(
        s,
        "<text x=\"{LEFT}\" y=\"{:.1}\" fill=\"#222\" font-weight=\"bold\">detail: 30 minutes \
         around {what}, 15-second steps</text>",
        top
    );
    demand_chart(s, &f, t, ystep, (1, 5));
}

fn at_risk(t: &DayTrace, v: &[(u32, u32)], k: usize) -> bool {
    100 * t.demand[k] > t.sr * u64::from(v[k].1)
}

fn shade_floor(s: &mut String, f: &Frame, t: &DayTrace) {
    let mut k = f.lo;
    while k < f.hi {
        if t.floor[k] == 0 {
            k += 1;
            continue;
        }
        let start = k;
        while k < f.hi && t.floor[k] != 0 {
            k += 1;
        }
        let _ = writeln!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#1f6fd1\" \
             fill-opacity=\"0.08\"/>",
            f.x(start),
            f.top,
            f.x(k) - f.x(start),
            f.height
        );
    }
}

fn legend(s: &mut String, top: f64, d: &DeploymentResult) {
    let lx = WIDTH - RIGHT + 16.0;
    let _ = writeln!(
        s,
        "<line x1=\"{lx}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#111\" stroke-width=\"2.2\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\">demand</text>",
        top + 8.0,
        lx + 22.0,
        top + 8.0,
        lx + 28.0,
        top + 12.0
    );
    for (i, strategy) in Strategy::ALL.iter().enumerate() {
        let (colour, width, dash, opacity) = style(*strategy);
        let yy = top + 26.0 + 16.0 * i as f64;
        let _ = writeln!(
            s,
            "<line x1=\"{lx}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\" stroke=\"{colour}\" \
             stroke-width=\"{width}\" stroke-dasharray=\"{dash}\" stroke-opacity=\"{opacity}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{} capacity</text>",
            lx + 22.0,
            lx + 28.0,
            yy + 4.0,
            strategy.as_str()
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{lx}\" y=\"{:.1}\" fill=\"#444\">min {} · max {}</text>\
         <text x=\"{lx}\" y=\"{:.1}\" fill=\"#444\">{} rps per replica</text>",
        top + 104.0,
        d.min,
        d.max,
        top + 118.0,
        trim(d.rps_per_replica)
    );
}

/// One row of red marks per controlled strategy: the steps at risk.
fn risk_rows(s: &mut String, f: &Frame, t: &DayTrace, top: f64) {
    for (row, strategy) in [Strategy::Reactive, Strategy::Scheduled].iter().enumerate() {
        let Some((_, v)) = t.strategies.iter().find(|(x, _)| x == strategy) else {
            continue;
        };
        let yy = top + row as f64 * RISK_ROW;
        let minutes = (f.lo..f.hi).filter(|&k| at_risk(t, v, k)).count() as f64 / 4.0;
        let _ = writeln!(
            s,
            "<rect x=\"{LEFT}\" y=\"{yy:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#f4f4f4\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#444\">{} at risk {} min</text>",
            f.right() - LEFT,
            RISK_ROW - 2.0,
            f.right() + 16.0,
            yy + 9.0,
            strategy.as_str(),
            minutes
        );
        let mut k = f.lo;
        while k < f.hi {
            if !at_risk(t, v, k) {
                k += 1;
                continue;
            }
            let start = k;
            while k < f.hi && at_risk(t, v, k) {
                k += 1;
            }
            let _ = writeln!(
                s,
                "<rect x=\"{:.1}\" y=\"{yy:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#d62728\"/>",
                f.x(start),
                (f.x(k) - f.x(start)).max(2.0),
                RISK_ROW - 2.0
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_axes() {
        assert_eq!(nice(480.0), (500.0, 100.0));
        assert_eq!(nice(6.5), (8.0, 2.0));
        assert_eq!(nice(0.0), (1.0, 0.2));
    }

    #[test]
    fn step_paths_only_turn_at_changes() {
        let f = Frame {
            lo: 0,
            hi: 3,
            top: 0.0,
            height: 10.0,
            ymax: 10.0,
        };
        let p = step_path(&f, &[1.0, 1.0, 2.0]);
        let x = |k: usize| f.x(k);
        assert_eq!(p, format!("M{:.1},9.0H{:.1}V8.0H{:.1}", x(0), x(2), x(3)));
    }
}
