//! The JSON report: SPEC §8's keys first, then more.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::super::run::Strategy;
use super::super::{DeploymentResult, Simulation};
use super::{minutes, replica_hours, round, totals, versus_of, Total};

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

/// Unix seconds as an RFC 3339 UTC timestamp.
pub(super) fn utc(unix: i64) -> String {
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
