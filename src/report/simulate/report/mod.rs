//! The simulate report as text, JSON (the keys of SPEC §8, then more) and CSV.
//!
//! Numbers are derived from integer step counts: replica-hours = replica-steps / 240,
//! risk minutes = at-risk steps / 4. Every format is byte-stable (model order, fixed
//! decimals, no clock). Savings are always named with what they are measured against.
//!
//! One submodule per format — `text` (with its per-entry sections in `entries`), `json`,
//! `csv` — and the units, number formats and strategy comparisons they share here.

mod csv;
mod entries;
mod json;
mod text;

pub use csv::csv;
pub use json::json;
pub use text::text;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::run::Strategy;
use super::{DeploymentResult, Simulation};

/// Replica-hours of `steps` replica-steps (15 s each).
pub fn replica_hours(steps: u64) -> f64 {
    steps as f64 / 240.0
}

/// Minutes of `steps` steps.
pub fn minutes(steps: u64) -> f64 {
    steps as f64 / 4.0
}

/// `x` rounded to `decimals` decimals.
fn round(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// `1234.5` → `1,234.5` with `decimals` decimals.
fn grouped(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::from(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Unix seconds as local `YYYY-MM-DD HH:MM` in zone `tz_name` (UTC with `Z` if unknown).
fn local(tz_name: &str, unix: i64) -> String {
    let t = DateTime::<Utc>::from_timestamp(unix, 0).expect("instant in range");
    match tz_name.parse::<Tz>() {
        Ok(tz) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => t.format("%Y-%m-%d %H:%MZ").to_string(),
    }
}

/// Sums of one strategy over every deployment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Total {
    /// Σ replica-steps.
    pub replica_steps: u64,
    /// Σ at-risk steps.
    pub risk_steps: u64,
}

/// Totals per strategy, in [`Strategy::ALL`] order.
pub fn totals(sim: &Simulation) -> Vec<(Strategy, Total)> {
    Strategy::ALL
        .iter()
        .map(|&s| {
            let mut t = Total::default();
            for d in &sim.deployments {
                let r = d.strategy(s);
                t.replica_steps += r.replica_steps;
                t.risk_steps += r.risk_steps;
            }
            (s, t)
        })
        .collect()
}

/// `100 × (1 − a / b)`, or `None` when `b` is 0.
fn saving_percent(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| 100.0 * (1.0 - a as f64 / b as f64))
}

/// `+12.3 %`, or `–` for none.
fn signed_percent(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_string(), |x| format!("{x:+.1} %"))
}

/// `12.3 %`, or `–` for none.
fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_string(), |x| format!("{x:.1} %"))
}

/// The comparisons of `scheduled` with the other strategies' replica-steps.
struct Versus {
    saving_vs_static: Option<f64>,
    extra_vs_reactive: Option<f64>,
    cost_over_ideal: Option<f64>,
}

/// Scheduled compared with static, reactive and ideal replica-steps.
fn versus(static_: u64, reactive: u64, scheduled: u64, ideal: u64) -> Versus {
    Versus {
        saving_vs_static: saving_percent(scheduled, static_),
        extra_vs_reactive: saving_percent(scheduled, reactive).map(|s| -s),
        cost_over_ideal: (ideal > 0).then(|| scheduled as f64 / ideal as f64),
    }
}

/// [`versus`] of one deployment's strategies.
fn versus_of(d: &DeploymentResult) -> Versus {
    versus(
        d.strategy(Strategy::Static).replica_steps,
        d.strategy(Strategy::Reactive).replica_steps,
        d.strategy(Strategy::Scheduled).replica_steps,
        d.strategy(Strategy::Ideal).replica_steps,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_numbers() {
        assert_eq!(grouped(192_720.0, 1), "192,720.0");
        assert_eq!(grouped(1792.5, 1), "1,792.5");
        assert_eq!(grouped(-1234.0, 0), "-1,234");
        assert_eq!(grouped(12.0, 1), "12.0");
    }

    #[test]
    fn versus_names_its_baselines() {
        let v = versus(200, 90, 100, 80);
        assert_eq!(v.saving_vs_static, Some(50.0));
        assert!((v.extra_vs_reactive.unwrap() - 11.111).abs() < 1e-3);
        assert_eq!(v.cost_over_ideal, Some(1.25));
    }
}
