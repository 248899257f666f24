//! The alert sections of the runbook: the index, one section per alert name of the
//! catalog with every rule's threshold, and the metric sources the alerts read.

use crate::render::monitoring::catalog::{self, Group, Rule};
use minijinja::Value;
use serde::Serialize;

use super::markdown::{cell, code, code_block, inline, safe, table};

/// One alert's section.
#[derive(Serialize)]
pub(super) struct AlertSection {
    /// Alert name (heading; its slug is the anchor).
    name: &'static str,
    /// Anchor, for the consistency of links within the document.
    anchor: String,
    /// Severity label value.
    severity: &'static str,
    /// Rule group as a code span.
    group: Value,
    /// When it fires, in words (`after its condition held for 5m`).
    hold: Value,
    /// Thresholds of every rule, or `None` when the config produces no rule.
    rules_table: Option<Value>,
    /// One expression of the alert as a code block.
    example_expr: Option<Value>,
}

/// The section of alert `spec`, from its rules in `groups`.
pub(super) fn alert_section(spec: &'static catalog::AlertSpec, groups: &[Group]) -> AlertSection {
    let rules: Vec<&Rule> = groups
        .iter()
        .flat_map(|g| &g.rules)
        .filter(|r| r.spec.name == spec.name)
        .collect();
    let hold = rules.first().and_then(|r| r.hold).map_or_else(
        || "as soon as its condition is true".to_string(),
        |d| format!("after its condition held for {d}"),
    );
    AlertSection {
        name: spec.name,
        anchor: spec.anchor(),
        severity: spec.severity.as_str(),
        group: code(spec.group),
        hold: inline(&hold),
        rules_table: (!rules.is_empty()).then(|| safe(rules_table(&rules))),
        example_expr: rules.first().map(|r| safe(code_block("promql", &r.expr))),
    }
}

/// Every rule of one alert: scope, threshold and `for`.
fn rules_table(rules: &[&Rule]) -> String {
    let scoped = rules.iter().any(|r| r.territory.is_some());
    let with_workload = rules.iter().any(|r| r.workload.is_some());
    let with_entry = rules
        .iter()
        .any(|r| r.labels.iter().any(|(k, _)| k == "entry_id"));
    let mut headers = Vec::new();
    if scoped {
        headers.push("Territory");
    }
    if with_workload {
        headers.push("Workload");
    }
    if with_entry {
        headers.push("Entry");
    }
    headers.extend(["Fires when", "For"]);
    let rows = rules
        .iter()
        .map(|r| {
            let mut row = Vec::new();
            if scoped {
                row.push(cell(r.territory.as_deref().unwrap_or("all")));
            }
            if with_workload {
                row.push(cell(r.workload.as_deref().unwrap_or("all")));
            }
            if with_entry {
                let entry = r
                    .labels
                    .iter()
                    .find(|(k, _)| k == "entry_id")
                    .map_or("", |(_, v)| v.as_str());
                row.push(cell(entry));
            }
            row.push(cell(&comparison(r)));
            row.push(cell(
                &r.hold
                    .map_or_else(|| "immediately".to_string(), |d| d.to_string()),
            ));
            row
        })
        .collect();
    table(&headers, rows)
}

/// The threshold of a rule as a comparison a person reads.
fn comparison(rule: &Rule) -> String {
    match rule.spec.name {
        catalog::P95_OVER_TARGET | catalog::P95_EMERGENCY => {
            format!("p95 > {}", rule.threshold)
        }
        catalog::AT_MAX_REPLICAS => format!("at {}", rule.threshold),
        catalog::NOTIFY_QUEUE_WARNING | catalog::NOTIFY_QUEUE_CRITICAL => {
            format!("queue usage > {}", rule.threshold)
        }
        catalog::JOURNAL_LAG => format!("oldest pending > {}", rule.threshold),
        catalog::JOURNAL_STUCK | catalog::JOURNAL_RETENTION_OVERDUE => rule.threshold.clone(),
        _ => rule.threshold.clone(),
    }
}

/// One row per alert: name linked to its section, severity, meaning.
pub(super) fn alert_index() -> String {
    let rows = catalog::ALERTS
        .iter()
        .map(|a| {
            vec![
                format!("[{}](#{})", a.name, a.anchor()),
                cell(a.severity.as_str()),
                cell(a.title),
            ]
        })
        .collect();
    table(&["Alert", "Severity", "Meaning"], rows)
}

/// Where each metric the alerts read comes from.
pub(super) fn metrics_table() -> String {
    // Static text written here (no configuration data): already Markdown.
    let rows = [
        [
            "`http_server_requests_seconds_bucket`, `_count`",
            "Micrometer in every pod; `namespace`, `territory`, `workload` from the PodMonitor",
            "latency, capacity and cost alerts; the KEDA prometheus triggers",
        ],
        [
            "`kube_horizontalpodautoscaler_status_current_replicas`, `kube_horizontalpodautoscaler_spec_max_replicas`",
            "kube-state-metrics, for the HPA `keda-hpa-{deployment}` KEDA creates",
            "ScalingAtMaxReplicas",
        ],
        [
            "`keda_scaler_active`, `keda_scaler_metrics_value`",
            "KEDA operator (port 8080, `/metrics`); cron triggers have a `metric` label `s{n}-cron-…`",
            "ScalingPrescaleIdle",
        ],
        [
            "`keda_scaler_detail_errors_total` (KEDA before 2.14: `keda_scaler_errors`)",
            "KEDA operator; label `scaler` is the trigger name",
            "ScalingKedaScalerErrors",
        ],
        [
            "`scaling_notify_queue_usage_ratio`",
            "postgres_exporter running the queries of `monitoring/postgres-exporter-queries.yaml`",
            "ScalingNotifyQueueWarning, ScalingNotifyQueueCritical",
        ],
        [
            "`scaling_journal_pending`, `_oldest_pending_seconds`, `_stuck`",
            "postgres_exporter, view `scaling_journal_stats` (exporter user granted `scaling_monitor`)",
            "ScalingJournalLag, ScalingJournalStuck",
        ],
        [
            "`scaling_journal_retention_oldest_published_seconds`",
            "postgres_exporter, `min(published_at)` of the journal (same user)",
            "ScalingJournalRetentionOverdue",
        ],
    ];
    let rows = rows
        .iter()
        .map(|r| r.iter().map(|c| (*c).to_string()).collect())
        .collect();
    table(&["Metric", "Source", "Used by"], rows)
}
