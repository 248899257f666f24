//! The human-readable plan (a summary table, then per deployment the hours at each
//! floor and the pre-scale windows grouped into runs) and the CSV export.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::fmt::Write as _;

use super::{round2, thousands, DeploymentPlan, Plan};

/// The human-readable plan.
pub fn text(plan: &Plan) -> String {
    let mut out = String::new();
    summary(&mut out, plan);
    for d in &plan.deployments {
        deployment_text(&mut out, d);
    }
    out
}

/// The heading and the table of every deployment's replica-hours, with the total.
fn summary(out: &mut String, plan: &Plan) {
    let _ = writeln!(
        out,
        "plan {} – {} (local days of each territory; floors of the generated cron triggers)\n",
        plan.from, plan.to
    );
    let name_w = plan
        .deployments
        .iter()
        .map(|d| d.deployment.len())
        .max()
        .unwrap_or(10)
        .max(10);
    let _ = writeln!(
        out,
        "{:name_w$}  {:>12}  {:>12}  {:>8}  {:>14}  {:>9}",
        "deployment", "floor r·h", "static r·h", "saving", "expected r·h", "risk h"
    );
    for d in &plan.deployments {
        let (exp, risk) = match &d.load {
            Some(l) => (
                thousands(l.expected_replica_hours),
                thousands(l.capacity_risk_hours),
            ),
            None => ("–".into(), "–".into()),
        };
        let _ = writeln!(
            out,
            "{:name_w$}  {:>12}  {:>12}  {:>6.1} %  {:>14}  {:>9}",
            d.deployment,
            thousands(d.floor_replica_hours),
            thousands(d.static_replica_hours),
            d.saving_percent,
            exp,
            risk
        );
    }
    let _ = writeln!(
        out,
        "{:name_w$}  {:>12}  {:>12}  {:>6.1} %",
        "total",
        thousands(plan.totals.floor_replica_hours),
        thousands(plan.totals.static_replica_hours),
        plan.totals.saving_percent
    );
    let _ = writeln!(
        out,
        "\nsaving = 1 − floor ÷ static: against `max` replicas all the time (static peak \
         provisioning), nothing more.\nAgainst plain reactive autoscaling pre-scaling costs \
         replica-hours and buys latency: `scalegen simulate`\nshows cost and risk minutes of \
         both on the same traffic."
    );
}

/// One deployment: hours at each floor, the pre-scale runs, notes and the load model.
fn deployment_text(out: &mut String, d: &DeploymentPlan) {
    let _ = writeln!(
        out,
        "\n{} ({} {}, {}, min {}, max {})",
        d.deployment, d.territory, d.workload, d.timezone, d.min, d.max
    );
    let by_floor: Vec<String> = d
        .hours_by_floor
        .iter()
        .map(|f| format!("floor {} for {} h", f.floor, thousands(f.hours)))
        .collect();
    let _ = writeln!(out, "  {}", by_floor.join(" · "));
    let runs = runs(d);
    if runs.is_empty() {
        let _ = writeln!(out, "  no pre-scale window in this range");
    }
    for r in runs {
        let _ = writeln!(out, "  {r}");
    }
    for note in &d.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    if let Some(l) = &d.load {
        let _ = writeln!(
            out,
            "  load model: baseline {} rps, {} rps/replica: expected {} r·h, capacity risk {} h, \
             peak {} rps = {} replica(s) at {}",
            l.baseline_rps,
            l.rps_per_replica,
            thousands(l.expected_replica_hours),
            thousands(l.capacity_risk_hours),
            l.peak_load_rps,
            l.peak_demand_replicas,
            short(&l.peak_at)
        );
    }
}

/// `2026-10-03 08:00` (local).
fn short(t: &DateTime<Tz>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// `08:00` (local).
fn hhmm(t: &DateTime<Tz>) -> String {
    t.format("%H:%M").to_string()
}

/// A run of pre-scale windows with the same floor and active triggers.
struct Run<'a> {
    floor: u32,
    triggers: &'a [String],
    /// (start local, end local, hours) of each window; touching intervals are joined.
    windows: Vec<(&'a DateTime<Tz>, &'a DateTime<Tz>, f64)>,
    last_end: DateTime<Utc>,
}

/// Pre-scale intervals (floor above min or any trigger active) grouped into runs of
/// the same floor and triggers with gaps of at most a week, one line each.
fn runs(d: &DeploymentPlan) -> Vec<String> {
    let mut runs: Vec<Run> = Vec::new();
    for i in d
        .intervals
        .iter()
        .filter(|i| !i.triggers.is_empty() || i.floor > d.min)
    {
        let (start, end) = (i.start, i.end);
        let slot = runs.iter().rposition(|r| {
            r.floor == i.floor
                && r.triggers == i.triggers.as_slice()
                && (start - r.last_end).num_seconds() <= 7 * 86_400
        });
        match slot {
            Some(p) => {
                let run = &mut runs[p];
                match run.windows.last_mut() {
                    Some(w) if run.last_end == start => {
                        w.1 = &i.end_local;
                        w.2 += i.hours;
                    }
                    _ => run.windows.push((&i.start_local, &i.end_local, i.hours)),
                }
                run.last_end = end;
            }
            None => runs.push(Run {
                floor: i.floor,
                triggers: &i.triggers,
                windows: vec![(&i.start_local, &i.end_local, i.hours)],
                last_end: end,
            }),
        }
    }
    runs.into_iter().map(|r| run_line(&r)).collect()
}

fn run_line(r: &Run) -> String {
    let first = r.windows[0];
    let last = r.windows[r.windows.len() - 1];
    let total: f64 = r.windows.iter().map(|w| w.2).sum();
    let same_hours = r
        .windows
        .iter()
        .all(|w| hhmm(w.0) == hhmm(first.0) && hhmm(w.1) == hhmm(first.1));
    let pattern = match r.windows.len() {
        1 => "1 window".to_string(),
        n if same_hours => format!("{n} windows {}–{}", hhmm(first.0), hhmm(first.1)),
        n => format!("{n} windows"),
    };
    let why = if r.triggers.is_empty() {
        String::new()
    } else {
        format!("  ({})", r.triggers.join(", "))
    };
    format!(
        "floor {}  {} → {}  {pattern}, {} h{why}",
        r.floor,
        short(first.0),
        short(last.1),
        thousands(round2(total))
    )
}

/// One CSV row per interval, RFC 4180 quoting where needed.
pub fn csv(plan: &Plan) -> String {
    let mut out = String::from(
        "deployment,territory,workload,start,end,start_local,end_local,hours,floor,min,max,\
         load_factor,load_rps,expected_replicas,capacity_risk,triggers\n",
    );
    let opt = |x: Option<String>| x.unwrap_or_default();
    for d in &plan.deployments {
        for i in &d.intervals {
            let fields = [
                d.deployment.clone(),
                d.territory.clone(),
                d.workload.clone(),
                i.start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                i.end.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                i.start_local.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                i.end_local.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                format!("{:.2}", i.hours),
                i.floor.to_string(),
                d.min.to_string(),
                d.max.to_string(),
                opt(i.load_factor.map(|f| format!("{f:.4}"))),
                opt(i.load_rps.map(|f| format!("{f:.3}"))),
                opt(i.expected_replicas.map(|e| e.to_string())),
                i.capacity_risk.to_string(),
                i.triggers.join(";"),
            ];
            let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            let _ = writeln!(out, "{}", row.join(","));
        }
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
