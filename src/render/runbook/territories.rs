//! The per-territory sections of the runbook: the targets and bounds of each deployment
//! and one playbook per territory.

use crate::config::model::{Entry, Model, Territory};
use crate::render::promql;
use minijinja::Value;
use serde::Serialize;

use super::calendar::{calendar_table_for, dates_text};
use super::markdown::{cell, code, inline, raw_ident, safe, table};

/// A territory's playbook.
#[derive(Serialize)]
pub(super) struct Playbook {
    /// Heading text (`DE — Deutschland`), escaped.
    heading: Value,
    /// Territory code as a code span.
    code: Value,
    /// Territory code raw, for use inside code spans.
    code_raw: Value,
    /// Timezone as a code span.
    timezone: Value,
    /// Targets and bounds of its deployments.
    targets_table: Value,
    /// Entries with floors for it, or `None`.
    entries_table: Option<Value>,
    /// Blackout days that apply to it, in words, or `None`.
    blackouts: Option<Value>,
    /// Label selector for kubectl (`territory=DE`) as a code span.
    selector: Value,
    /// The deployment with the largest max − min headroom, in words.
    headroom: Value,
}

/// The playbook of territory `t`.
pub(super) fn playbook(model: &Model, t: &Territory) -> Playbook {
    let entries: Vec<&Entry> = model
        .entries
        .iter()
        .filter(|e| e.floors_territory(&t.code))
        .collect();
    let blackouts: Vec<String> = model
        .blackouts
        .iter()
        .filter(|b| b.applies_to(&t.code))
        .map(|b| format!("{} ({})", b.name, dates_text(&b.dates)))
        .collect();
    let headroom = t
        .workloads
        .iter()
        .max_by_key(|w| (w.max - w.min, std::cmp::Reverse(w.workload.clone())))
        .map(|w| {
            format!(
                "{} can grow from {} to {} replicas ({} to {} req/s at {} req/s per replica)",
                w.workload,
                w.min,
                w.max,
                promql::decimal(f64::from(w.min) * w.rps_per_replica),
                promql::decimal(f64::from(w.max) * w.rps_per_replica),
                promql::decimal(w.rps_per_replica)
            )
        })
        .unwrap_or_default();
    Playbook {
        heading: inline(&format!("{} — {}", t.code, t.name)),
        code: code(&t.code),
        code_raw: raw_ident(&t.code),
        timezone: code(&t.timezone_name),
        targets_table: safe(targets_table(model, std::slice::from_ref(t))),
        entries_table: (!entries.is_empty())
            .then(|| safe(calendar_table_for(model, &entries, Some(&t.code)))),
        blackouts: (!blackouts.is_empty()).then(|| inline(&blackouts.join("; "))),
        selector: code(&format!("territory={}", t.code)),
        headroom: inline(&headroom),
    }
}

/// One row per (territory, workload): bounds, highest floor, throughput and p95 targets.
pub(super) fn targets_table(model: &Model, territories: &[Territory]) -> String {
    let mut rows = Vec::new();
    for t in territories {
        for w in &model.workloads {
            let Some(b) = t.workload(&w.name) else {
                continue;
            };
            let floor = model
                .entries
                .iter()
                .filter_map(|e| e.floor_for(&t.code, &w.name))
                .max()
                .map_or_else(|| "–".to_string(), |f| f.to_string());
            rows.push(vec![
                cell(&t.code),
                cell(&w.name),
                cell(&model.deployment_name(t, &w.name)),
                cell(&b.min.to_string()),
                cell(&b.max.to_string()),
                cell(&floor),
                cell(&promql::decimal(b.rps_per_replica)),
                cell(&format!("{} ms", b.p95_ms)),
            ]);
        }
    }
    table(
        &[
            "Territory",
            "Workload",
            "Deployment",
            "min",
            "max",
            "Highest floor",
            "req/s per replica",
            "p95 target",
        ],
        rows,
    )
}
