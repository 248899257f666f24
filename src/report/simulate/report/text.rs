//! The human-readable report: settings, the strategy and scheduled tables, the per-entry
//! sections (`entries`) and the capacity findings.

use std::fmt::Write as _;

use super::super::controller::Tolerance;
use super::super::run::Strategy;
use super::super::{EntryResult, Simulation};
use super::entries::{entry_table, suggestions};
use super::{
    grouped, local, minutes, percent, replica_hours, signed_percent, totals, versus, versus_of,
    Total, Versus,
};

/// The traffic model and controller settings in one line.
fn settings_line(sim: &Simulation) -> String {
    let t = &sim.request.traffic;
    let range = |p: &[f64; 24]| {
        let lo = p.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = p.iter().copied().fold(0.0, f64::max);
        format!("{lo}–{hi}")
    };
    let profile = if t.is_flat() {
        "flat profile".to_string()
    } else {
        format!(
            "hourly profile (weekdays {}, weekends {})",
            range(&t.profile_weekday),
            range(&t.profile_weekend)
        )
    };
    let first = sim
        .deployments
        .first()
        .map_or(sim.request.tolerance, |d| d.tolerance);
    let tolerance = if sim.deployments.iter().all(|d| d.tolerance == first) {
        tolerance_text(first)
    } else {
        "per deployment, as rendered".to_string()
    };
    format!(
        "model: 15-second steps; traffic = scale {} × baseline_rps × {profile} × entry load; \
         startup {} s, saturation {}, metric delay {} s, HPA tolerance {tolerance}",
        sim.request.scale, t.startup_seconds, t.saturation, t.metric_delay_seconds,
    )
}

/// The HPA tolerance as the report names it.
fn tolerance_text(t: Tolerance) -> String {
    let pct = |x: u64| x as f64 / 10.0;
    if t.up == t.down {
        format!("{} %", pct(t.up))
    } else {
        format!("up {} % / down {} %", pct(t.up), pct(t.down))
    }
}

/// The human-readable report.
pub fn text(sim: &Simulation) -> String {
    let mut out = String::new();
    let r = &sim.request;
    let _ = writeln!(
        out,
        "simulate {} – {} (local midnights of each territory; --to exclusive)",
        r.from, r.to
    );
    let _ = writeln!(out, "{}", settings_line(sim));
    let _ = writeln!(
        out,
        "capacity = ready replicas × rps_per_replica × saturation; a step is at risk when demand \
         exceeds it; worst = highest demand ÷ capacity"
    );
    let _ = writeln!(
        out,
        "not simulated: the p95 latency guard trigger (it can only add replicas)\n"
    );
    strategy_table(&mut out, sim);
    scheduled_table(&mut out, sim);
    entry_table(&mut out, sim);
    suggestions(&mut out, sim);
    findings(&mut out, sim);
    out
}

/// Width of the deployment name column (at least 10).
pub(super) fn name_width(sim: &Simulation) -> usize {
    sim.deployments
        .iter()
        .map(|d| d.name.len())
        .max()
        .unwrap_or(0)
        .max(10)
}

/// Replica-hours, risk minutes and worst step of every deployment and strategy, then
/// the totals per strategy.
fn strategy_table(out: &mut String, sim: &Simulation) {
    let w = name_width(sim);
    let _ = writeln!(
        out,
        "{:w$}  {:9}  {:>11}  {:>9}  worst step (local time)",
        "deployment", "strategy", "replica-h", "risk min"
    );
    for d in &sim.deployments {
        for (i, s) in d.strategies.iter().enumerate() {
            let _ = writeln!(
                out,
                "{:w$}  {:9}  {:>11}  {:>9}  {:.2} at {}",
                if i == 0 { d.name.as_str() } else { "" },
                s.strategy.as_str(),
                grouped(replica_hours(s.replica_steps), 1),
                grouped(minutes(s.risk_steps), 1),
                s.worst_ratio,
                local(&d.timezone, s.worst_at)
            );
        }
    }
    for (i, (s, t)) in totals(sim).iter().enumerate() {
        let _ = writeln!(
            out,
            "{:w$}  {:9}  {:>11}  {:>9}",
            if i == 0 { "total" } else { "" },
            s.as_str(),
            grouped(replica_hours(t.replica_steps), 1),
            grouped(minutes(t.risk_steps), 1)
        );
    }
}

/// Per deployment: what scheduled costs and saves against the other strategies.
fn scheduled_table(out: &mut String, sim: &Simulation) {
    let w = name_width(sim);
    let _ = writeln!(
        out,
        "\nscheduled (the rendered ScaledObject) against the others, on the same traffic:"
    );
    let _ = writeln!(
        out,
        "{:w$}  {:>16}  {:>17}  {:>13}  {:>22}",
        "deployment",
        "saving vs static",
        "extra vs reactive",
        "cost ÷ ideal",
        "risk min vs reactive"
    );
    let row = |out: &mut String, name: &str, v: Versus, sched: u64, react: u64| {
        let _ = writeln!(
            out,
            "{:w$}  {:>16}  {:>17}  {:>13}  {:>22}",
            name,
            percent(v.saving_vs_static),
            signed_percent(v.extra_vs_reactive),
            v.cost_over_ideal
                .map_or_else(|| "–".to_string(), |x| format!("{x:.3}")),
            format!(
                "{} vs {}",
                grouped(minutes(sched), 1),
                grouped(minutes(react), 1)
            )
        );
    };
    for d in &sim.deployments {
        row(
            out,
            &d.name,
            versus_of(d),
            d.strategy(Strategy::Scheduled).risk_steps,
            d.strategy(Strategy::Reactive).risk_steps,
        );
    }
    let t = totals(sim);
    let get = |s: Strategy| {
        t.iter()
            .find(|(x, _)| *x == s)
            .map_or(Total::default(), |x| x.1)
    };
    row(
        out,
        "total",
        versus(
            get(Strategy::Static).replica_steps,
            get(Strategy::Reactive).replica_steps,
            get(Strategy::Scheduled).replica_steps,
            get(Strategy::Ideal).replica_steps,
        ),
        get(Strategy::Scheduled).risk_steps,
        get(Strategy::Reactive).risk_steps,
    );
}

/// `configured → suggested` for an entry's floor (`–` without one, `min` when min
/// carries the peak, `> max` beyond the bounds).
pub(super) fn floor_text(e: &EntryResult, max: u32) -> String {
    let configured = e.floor.map_or_else(|| "–".to_string(), |f| f.to_string());
    let suggested = match e.suggested_floor {
        None => "min".to_string(),
        Some(f) if f > max => format!("{f} > max"),
        Some(f) => f.to_string(),
    };
    let lead_short = if e.suggested_risk_steps > 0 { "*" } else { "" };
    format!("{configured} → {suggested}{lead_short}")
}

/// Capacity findings: where even ideal is at risk, or the tolerance holds a floor back.
fn findings(out: &mut String, sim: &Simulation) {
    let mut lines = Vec::new();
    for d in &sim.deployments {
        for e in &d.entries {
            let Some(f) = e
                .suggested_floor
                .filter(|&f| f > d.max && e.needed_floor <= d.max)
            else {
                continue;
            };
            lines.push(format!(
                "{} {} in `{}`: max {} carries the peak, but the HPA's tolerance can hold a floor \
                 of {} back below it; the floor that is always reached is {f}: raise max or set \
                 `[app] scale_up_tolerance = 0.0`",
                d.territory, d.workload, e.id, d.max, e.needed_floor
            ));
        }
        let ideal = d.strategy(Strategy::Ideal).risk_steps;
        if ideal == 0 {
            continue;
        }
        lines.push(format!(
            "{} {} needs max ≥ {} for this load: ideal is at risk for {} min (max is {})",
            d.territory,
            d.workload,
            d.needed_max,
            grouped(minutes(ideal), 1),
            d.max
        ));
        for e in d.entries.iter().filter(|e| e.ideal_windows > 0) {
            lines.push(format!(
                "  in `{}`: max ≥ {} needed, ideal at risk for {} min of its windows",
                e.id,
                e.needed_floor,
                grouped(minutes(e.ideal_windows), 1)
            ));
        }
    }
    let _ = writeln!(out, "\ncapacity findings (even ideal is at risk):");
    if lines.is_empty() {
        let _ = writeln!(out, "  none: max carries the demand of every step");
    }
    for l in lines {
        let _ = writeln!(out, "  {l}");
    }
}
