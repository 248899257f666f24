//! The simulate report as text, JSON (the keys of SPEC §8, then more) and CSV.
//!
//! Numbers are derived from integer step counts: replica-hours = replica-steps / 240,
//! risk minutes = at-risk steps / 4. Every format is byte-stable (model order, fixed
//! decimals, no clock). Savings are always named with what they are measured against.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::fmt::Write as _;

use super::controller::Tolerance;
use super::run::Strategy;
use super::{DeploymentResult, EntryResult, Simulation};

/// Replica-hours of `steps` replica-steps (15 s each).
pub fn replica_hours(steps: u64) -> f64 {
    steps as f64 / 240.0
}

/// Minutes of `steps` steps.
pub fn minutes(steps: u64) -> f64 {
    steps as f64 / 4.0
}

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

fn signed_percent(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_string(), |x| format!("{x:+.1} %"))
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_string(), |x| format!("{x:.1} %"))
}

/// The comparisons of `scheduled` with the other strategies' replica-steps.
struct Versus {
    saving_vs_static: Option<f64>,
    extra_vs_reactive: Option<f64>,
    cost_over_ideal: Option<f64>,
}

fn versus(static_: u64, reactive: u64, scheduled: u64, ideal: u64) -> Versus {
    Versus {
        saving_vs_static: saving_percent(scheduled, static_),
        extra_vs_reactive: saving_percent(scheduled, reactive).map(|s| -s),
        cost_over_ideal: (ideal > 0).then(|| scheduled as f64 / ideal as f64),
    }
}

fn versus_of(d: &DeploymentResult) -> Versus {
    versus(
        d.strategy(Strategy::Static).replica_steps,
        d.strategy(Strategy::Reactive).replica_steps,
        d.strategy(Strategy::Scheduled).replica_steps,
        d.strategy(Strategy::Ideal).replica_steps,
    )
}

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

fn name_width(sim: &Simulation) -> usize {
    sim.deployments
        .iter()
        .map(|d| d.name.len())
        .max()
        .unwrap_or(0)
        .max(10)
}

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
fn floor_text(e: &EntryResult, max: u32) -> String {
    let configured = e.floor.map_or_else(|| "–".to_string(), |f| f.to_string());
    let suggested = match e.suggested_floor {
        None => "min".to_string(),
        Some(f) if f > max => format!("{f} > max"),
        Some(f) => f.to_string(),
    };
    let lead_short = if e.suggested_risk_steps > 0 { "*" } else { "" };
    format!("{configured} → {suggested}{lead_short}")
}

fn entry_table(out: &mut String, sim: &Simulation) {
    let w = name_width(sim);
    let startup = sim.request.traffic.startup_seconds;
    let _ = writeln!(
        out,
        "\nper calendar entry (its windows in the intended calendar):\n  \
         first hour  risk minutes in the first hour of each window's hours, reactive / scheduled\n  \
         floor       configured → suggested: the smallest floor with which scheduled has no risk \
         in the windows\n              (simulated; the HPA adds replicas before a peak, so it can \
         be below ⌈peak ÷ (rps × saturation)⌉)\n  \
         scheduled   risk minutes in the windows; in brackets those in a window's first {startup} \
         s, while the\n              floor's new replicas start (a lead of at least that long \
         removes them)"
    );
    let mut lead_short = false;
    for e in entry_ids(sim) {
        let rows: Vec<(&DeploymentResult, &EntryResult)> = sim
            .deployments
            .iter()
            .filter_map(|d| d.entries.iter().find(|x| x.id == e).map(|x| (d, x)))
            .collect();
        let Some((_, first)) = rows.first() else {
            continue;
        };
        let lead = match first.lead_minutes {
            0 => String::new(),
            m => format!(", floors open {m} min ahead of its hours"),
        };
        if rows.iter().any(|(_, x)| x.suggested_risk_steps > 0) {
            lead_short = true;
        }
        let _ = writeln!(
            out,
            "\n{} `{}` ({}): {} window(s) in range{lead}",
            first.kind.as_str(),
            first.id,
            first.name,
            first.windows
        );
        repeats(out, &rows);
        if first.windows == 0 {
            continue;
        }
        let _ = writeln!(
            out,
            "  {:w$}  {:>16}  {:>12}  {:>9}  {:>16}",
            "deployment", "first hour", "floor", "peak rps", "scheduled"
        );
        for (d, x) in rows {
            let _ = writeln!(
                out,
                "  {:w$}  {:>16}  {:>12}  {:>9}  {:>16}",
                d.name,
                format!(
                    "{} / {}",
                    grouped(minutes(x.reactive_first_hour), 1),
                    grouped(minutes(x.scheduled_first_hour), 1)
                ),
                floor_text(x, d.max),
                grouped(x.peak_milli as f64 / 1000.0, 1),
                format!(
                    "{} ({})",
                    grouped(minutes(x.scheduled_windows), 1),
                    grouped(minutes(x.scheduled_startup), 1)
                )
            );
        }
    }
    if lead_short {
        let _ = writeln!(
            out,
            "\n* even the floor that carries the peak alone leaves risk at the windows' starts: \
             its replicas are still\n  starting when the traffic arrives; open the floors \
             earlier (`lead` or `[app] prescale_lead` of at least the startup time)"
        );
    }
}

/// The floors to write into the calendar files: per entry and territory, the suggested
/// floor of every simulated workload, where it differs from the configured one.
fn suggestions(out: &mut String, sim: &Simulation) {
    let mut lines = Vec::new();
    for id in entry_ids(sim) {
        let mut territories: Vec<&str> = Vec::new();
        for d in &sim.deployments {
            if d.entries.iter().any(|e| e.id == id && e.windows > 0)
                && !territories.contains(&d.territory.as_str())
            {
                territories.push(&d.territory);
            }
        }
        for code in territories {
            let rows: Vec<(&DeploymentResult, &EntryResult)> = sim
                .deployments
                .iter()
                .filter(|d| d.territory == code)
                .filter_map(|d| d.entries.iter().find(|e| e.id == id).map(|e| (d, e)))
                .collect();
            if rows.iter().all(|(_, e)| e.floor == e.suggested_floor) {
                continue;
            }
            let table = |f: fn(&EntryResult) -> Option<u32>| {
                let parts: Vec<String> = rows
                    .iter()
                    .filter_map(|(d, e)| f(e).map(|n| format!("{} = {n}", d.workload)))
                    .collect();
                (!parts.is_empty()).then(|| format!("{{ {} }}", parts.join(", ")))
            };
            let kind = rows[0].1.kind.as_str();
            let suggested = match table(|e| e.suggested_floor) {
                Some(t) => format!("floor.{code} = {t}"),
                None if rows.iter().all(|(_, e)| e.carrying_floor.is_none()) => {
                    format!("no floor for {code} (min carries the peak)")
                }
                None => format!("no floor for {code} (the HPA keeps up from min)"),
            };
            let configured = table(|e| e.floor).unwrap_or_else(|| "none".to_string());
            let beyond = rows
                .iter()
                .any(|(d, e)| e.suggested_floor.is_some_and(|f| f > d.max));
            lines.push(format!(
                "  {kind} `{id}`: {suggested}   (configured {configured}){}",
                if beyond {
                    "; above max: see the capacity findings"
                } else {
                    ""
                }
            ));
        }
    }
    let everything = sim.request.territory.is_none() && sim.request.workload.is_none();
    for id in entry_ids(sim).into_iter().filter(|_| everything) {
        let rows = sim
            .deployments
            .iter()
            .filter_map(|d| d.entries.iter().find(|e| e.id == id));
        let (mut floored, mut suggested) = (false, false);
        for e in rows {
            floored |= e.floor.is_some();
            suggested |= e.suggested_floor.is_some() || e.windows == 0;
        }
        if floored && !suggested {
            lines.push(format!(
                "  (`{id}` would be left without a floor, which validate rejects: keep its \
                 smallest floor, or drop the entry and its load)"
            ));
        }
    }
    let _ = writeln!(
        out,
        "\nfloors derived from the load (the suggested floors above as calendar lines; a \
         workload left out needs no floor):"
    );
    if lines.is_empty() {
        let _ = writeln!(
            out,
            "  none to change: the configured floors are the suggested ones"
        );
    }
    for l in lines {
        let _ = writeln!(out, "{l}");
    }
}

/// The hours an entry's cron triggers are active outside its windows, per deployment.
fn repeats(out: &mut String, rows: &[(&DeploymentResult, &EntryResult)]) {
    let repeated: Vec<_> = rows.iter().filter(|(_, x)| x.repeat_steps > 0).collect();
    if repeated.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  its cron triggers are also active outside its windows (cron has no year), so \
         scheduled pays\n  for its floor without its traffic:"
    );
    for (d, x) in repeated {
        let _ = writeln!(
            out,
            "    {}  {} h",
            d.name,
            grouped(replica_hours(x.repeat_steps), 1)
        );
    }
}

/// Entry ids of every deployment, in model order.
fn entry_ids(sim: &Simulation) -> Vec<String> {
    let mut ids: Vec<(usize, String)> = Vec::new();
    for d in &sim.deployments {
        for e in &d.entries {
            if !ids.iter().any(|(_, id)| *id == e.id) {
                ids.push((e.index, e.id.clone()));
            }
        }
    }
    ids.sort();
    ids.into_iter().map(|(_, id)| id).collect()
}

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

#[derive(Serialize)]
struct JsonSimulation<'a> {
    from: String,
    to: String,
    scale: f64,
    deployments: Vec<JsonDeployment<'a>>,
    total: JsonTotals,
    settings: JsonSettings,
    notes: Vec<&'static str>,
}

#[derive(Serialize)]
struct JsonSettings {
    profile_weekday: [f64; 24],
    profile_weekend: [f64; 24],
    startup_seconds: u32,
    saturation: f64,
    metric_delay_seconds: u32,
    tolerance_up: f64,
    tolerance_down: f64,
    step_seconds: u32,
}

#[derive(Serialize)]
struct JsonDeployment<'a> {
    name: &'a str,
    territory: &'a str,
    workload: &'a str,
    strategies: JsonStrategies,
    timezone: &'a str,
    start: String,
    end: String,
    steps: u64,
    min: u32,
    max: u32,
    rps_per_replica: f64,
    baseline_rps: f64,
    peak_rps: f64,
    needed_max: u32,
    hpa_tolerance_up: f64,
    hpa_tolerance_down: f64,
    scheduled_vs: JsonVersus,
    entries: Vec<JsonEntry<'a>>,
}

#[derive(Serialize)]
struct JsonStrategies {
    #[serde(rename = "static")]
    static_: JsonStrategy,
    reactive: JsonStrategy,
    scheduled: JsonStrategy,
    ideal: JsonStrategy,
}

#[derive(Serialize)]
struct JsonStrategy {
    replica_hours: f64,
    risk_minutes: f64,
    worst_ratio: f64,
    worst_at: String,
}

#[derive(Serialize)]
struct JsonVersus {
    saving_vs_static_percent: Option<f64>,
    extra_vs_reactive_percent: Option<f64>,
    cost_over_ideal: Option<f64>,
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    id: &'a str,
    kind: &'static str,
    windows: usize,
    first_hour_minutes: f64,
    reactive_first_hour_risk_minutes: f64,
    scheduled_first_hour_risk_minutes: f64,
    scheduled_window_risk_minutes: f64,
    scheduled_startup_risk_minutes: f64,
    ideal_window_risk_minutes: f64,
    floor: Option<u32>,
    peak_rps: f64,
    needed_floor: u32,
    carrying_floor: Option<u32>,
    suggested_floor: Option<u32>,
    suggested_risk_minutes: f64,
    lead_minutes: u32,
    cron_repeat_hours: f64,
}

#[derive(Serialize)]
struct JsonTotals {
    #[serde(rename = "static")]
    static_: JsonTotal,
    reactive: JsonTotal,
    scheduled: JsonTotal,
    ideal: JsonTotal,
}

#[derive(Serialize)]
struct JsonTotal {
    replica_hours: f64,
    risk_minutes: f64,
}

fn utc(unix: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix, 0)
        .expect("instant in range")
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn json_strategy(d: &DeploymentResult, s: Strategy) -> JsonStrategy {
    let r = d.strategy(s);
    JsonStrategy {
        replica_hours: round(replica_hours(r.replica_steps), 3),
        risk_minutes: minutes(r.risk_steps),
        worst_ratio: round(r.worst_ratio, 4),
        worst_at: utc(r.worst_at),
    }
}

fn json_deployment(d: &DeploymentResult) -> JsonDeployment<'_> {
    let v = versus_of(d);
    JsonDeployment {
        name: &d.name,
        territory: &d.territory,
        workload: &d.workload,
        strategies: JsonStrategies {
            static_: json_strategy(d, Strategy::Static),
            reactive: json_strategy(d, Strategy::Reactive),
            scheduled: json_strategy(d, Strategy::Scheduled),
            ideal: json_strategy(d, Strategy::Ideal),
        },
        timezone: &d.timezone,
        start: utc(d.start),
        end: utc(d.end),
        steps: d.steps,
        min: d.min,
        max: d.max,
        rps_per_replica: d.rps_per_replica,
        baseline_rps: d.baseline_rps,
        peak_rps: d.peak_milli as f64 / 1000.0,
        needed_max: d.needed_max,
        hpa_tolerance_up: d.tolerance.up as f64 / 1000.0,
        hpa_tolerance_down: d.tolerance.down as f64 / 1000.0,
        scheduled_vs: JsonVersus {
            saving_vs_static_percent: v.saving_vs_static.map(|x| round(x, 2)),
            extra_vs_reactive_percent: v.extra_vs_reactive.map(|x| round(x, 2)),
            cost_over_ideal: v.cost_over_ideal.map(|x| round(x, 4)),
        },
        entries: d
            .entries
            .iter()
            .map(|e| JsonEntry {
                id: &e.id,
                kind: e.kind.as_str(),
                windows: e.windows,
                first_hour_minutes: minutes(e.first_hour_steps),
                reactive_first_hour_risk_minutes: minutes(e.reactive_first_hour),
                scheduled_first_hour_risk_minutes: minutes(e.scheduled_first_hour),
                scheduled_window_risk_minutes: minutes(e.scheduled_windows),
                scheduled_startup_risk_minutes: minutes(e.scheduled_startup),
                ideal_window_risk_minutes: minutes(e.ideal_windows),
                floor: e.floor,
                peak_rps: e.peak_milli as f64 / 1000.0,
                needed_floor: e.needed_floor,
                carrying_floor: e.carrying_floor,
                suggested_floor: e.suggested_floor,
                suggested_risk_minutes: minutes(e.suggested_risk_steps),
                lead_minutes: e.lead_minutes,
                cron_repeat_hours: round(replica_hours(e.repeat_steps), 3),
            })
            .collect(),
    }
}

/// The JSON report: SPEC §8's keys first, then more.
pub fn json(sim: &Simulation) -> String {
    let t = totals(sim);
    let total = |s: Strategy| {
        let x = t
            .iter()
            .find(|(y, _)| *y == s)
            .map_or(Total::default(), |x| x.1);
        JsonTotal {
            replica_hours: round(replica_hours(x.replica_steps), 3),
            risk_minutes: minutes(x.risk_steps),
        }
    };
    let tr = &sim.request.traffic;
    let doc = JsonSimulation {
        from: sim.request.from.to_string(),
        to: sim.request.to.to_string(),
        scale: sim.request.scale,
        deployments: sim.deployments.iter().map(json_deployment).collect(),
        total: JsonTotals {
            static_: total(Strategy::Static),
            reactive: total(Strategy::Reactive),
            scheduled: total(Strategy::Scheduled),
            ideal: total(Strategy::Ideal),
        },
        settings: JsonSettings {
            profile_weekday: tr.profile_weekday,
            profile_weekend: tr.profile_weekend,
            startup_seconds: tr.startup_seconds,
            saturation: tr.saturation,
            metric_delay_seconds: tr.metric_delay_seconds,
            tolerance_up: sim.request.tolerance.up as f64 / 1000.0,
            tolerance_down: sim.request.tolerance.down as f64 / 1000.0,
            step_seconds: 15,
        },
        notes: vec!["the p95 latency guard trigger is not simulated (it can only add replicas)"],
    };
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).expect("the report serialises")
    )
}

/// CSV: one row per deployment × strategy.
pub fn csv(sim: &Simulation) -> String {
    let mut out = String::from(
        "deployment,territory,workload,strategy,replica_hours,risk_minutes,worst_ratio,worst_at\n",
    );
    for d in &sim.deployments {
        for s in &d.strategies {
            let _ = writeln!(
                out,
                "{},{},{},{},{:.3},{:.2},{:.4},{}",
                d.name,
                d.territory,
                d.workload,
                s.strategy.as_str(),
                replica_hours(s.replica_steps),
                minutes(s.risk_steps),
                s.worst_ratio,
                utc(s.worst_at)
            );
        }
    }
    out
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
