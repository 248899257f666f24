//! The Grafana dashboard (SPEC §3): per deployment p95 against its target and the emergency
//! threshold, replicas against min, max and the active seasonal floor, and throughput against
//! what the replicas can serve; then the NOTIFY queue, the journal and KEDA's errors. The
//! queries are the alerts' own expressions, so a panel shows exactly what an alert sees.
//! Last, cost and ROI (SPEC §10): replica-hours over the dashboard's range against static
//! peak provisioning, and per territory p95 against target next to replicas.

use crate::config::model::{Model, Territory, TerritoryWorkload, Workload};
use crate::render::monitoring::exporter::{
    JOURNAL_OLDEST_METRIC, JOURNAL_PENDING_METRIC, JOURNAL_STUCK_METRIC, NOTIFY_USAGE_METRIC,
};
use crate::render::promql::{self, decimal, promql_string, seconds_from_ms};
use serde::Serialize;
use serde_json::{json, Value as Json};

/// Context of `grafana-dashboard.yaml.j2`.
#[derive(Serialize)]
pub struct DashboardContext {
    /// ConfigMap name.
    name: String,
    /// Namespace.
    namespace: String,
    /// App name (label).
    app: String,
    /// Data key of the dashboard JSON.
    key: String,
    /// The dashboard JSON as a YAML literal block body, indented by four spaces.
    json_block: minijinja::Value,
}

/// The ConfigMap context for `model`.
pub fn context(model: &Model) -> DashboardContext {
    part_context(model, "")
}

/// The ConfigMap context of one part of a dashboard split per territory: `part` (the
/// territory code in lower case; empty for the whole dashboard) ends its ConfigMap name,
/// data key, title and uid, so the parts live side by side in Grafana.
pub fn part_context(model: &Model, part: &str) -> DashboardContext {
    let suffix = if part.is_empty() {
        String::new()
    } else {
        format!("-{part}")
    };
    let mut board = dashboard(model);
    if !part.is_empty() {
        board["uid"] = json!(format!("{}{suffix}", board["uid"].as_str().unwrap_or("")));
        board["title"] = json!(format!(
            "{} — {}",
            board["title"].as_str().unwrap_or(""),
            part.to_uppercase()
        ));
    }
    let json = serde_json::to_string_pretty(&board).expect("JSON value");
    DashboardContext {
        name: format!("{}-scaling-dashboard{suffix}", model.app.name),
        namespace: model.app.namespace.clone(),
        app: model.app.name.clone(),
        key: format!("{}-scaling{suffix}.json", model.app.name),
        json_block: minijinja::Value::from_safe_string(literal_block(&json, 4)),
    }
}

/// `text` as the body of a YAML literal block: every line indented, and the characters
/// YAML would read as line breaks or a byte-order mark written as JSON `\u` escapes
/// (serde_json leaves them raw; inside JSON strings the escape means the same).
fn literal_block(text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    text.replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
        .replace('\u{85}', "\\u0085")
        .replace('\u{feff}', "\\ufeff")
        .lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One panel: its kind, title, unit and queries (expression, legend).
struct Panel {
    kind: PanelKind,
    title: String,
    unit: &'static str,
    targets: Vec<(String, String)>,
}

/// How a panel shows its queries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PanelKind {
    /// Lines over the dashboard's time range (range queries).
    Timeseries,
    /// One bar per query, its value over the whole range (instant queries).
    Bars,
}

impl Panel {
    fn new(title: impl Into<String>, unit: &'static str, targets: &[(String, &str)]) -> Panel {
        Panel {
            kind: PanelKind::Timeseries,
            title: title.into(),
            unit,
            targets: targets
                .iter()
                .map(|(expr, legend)| (expr.clone(), (*legend).to_string()))
                .collect(),
        }
    }

    fn lines(
        title: impl Into<String>,
        unit: &'static str,
        targets: Vec<(String, String)>,
    ) -> Panel {
        Panel {
            kind: PanelKind::Timeseries,
            title: title.into(),
            unit,
            targets,
        }
    }

    fn bars(title: impl Into<String>, unit: &'static str, targets: Vec<(String, String)>) -> Panel {
        Panel {
            kind: PanelKind::Bars,
            ..Panel::lines(title, unit, targets)
        }
    }
}

/// A collapsible row of the dashboard: a heading, then lines of up to three panels.
struct Row {
    title: String,
    lines: Vec<Vec<Panel>>,
}

/// The dashboard's rows: one per territory (a line per deployment), then the events and
/// KEDA row.
fn rows(model: &Model) -> Vec<Row> {
    let mut rows: Vec<Row> = model
        .territories
        .iter()
        .map(|t| Row {
            title: format!("{} — {}", t.code, t.name),
            lines: model
                .workloads
                .iter()
                .filter_map(|w| {
                    t.workload(&w.name)
                        .map(|b| deployment_panels(model, t, w, b))
                })
                .collect(),
        })
        .collect();
    rows.push(Row {
        title: "Events and KEDA".to_string(),
        lines: vec![event_panels(model), vec![keda_errors_panel(model)]],
    });
    rows.push(cost_row(model));
    rows
}

/// The replicas of (territory, workload) now, as KEDA's HPA reports them (kube-state-metrics).
fn replicas(model: &Model, t: &Territory, workload: &str) -> String {
    hpa_gauge(model, t, workload, promql::HPA_CURRENT_METRIC)
}

/// `max` of HPA gauge `metric` of (territory, workload) (one series even when several
/// kube-state-metrics replicas export it).
fn hpa_gauge(model: &Model, t: &Territory, workload: &str, metric: &str) -> String {
    let hpa = promql::keda_hpa_name(&model.deployment_name(t, workload));
    format!(
        "max({})",
        promql::hpa_series(metric, &model.app.namespace, &hpa)
    )
}

/// Scaling cost against performance (SPEC §10): over the dashboard's range, the
/// replica-hours of every deployment, the same under static peak provisioning (`max`
/// replicas, as the HPA reports it) and the saving; then per territory each workload's
/// p95 against its target next to its replicas and its replica-hours.
fn cost_row(model: &Model) -> Row {
    let deployments: Vec<(&Territory, &Workload)> = model
        .territories
        .iter()
        .flat_map(|t| model.workloads.iter().map(move |w| (t, w)))
        .filter(|(t, w)| t.workload(&w.name).is_some())
        .collect();
    let legend = |t: &Territory, w: &Workload| format!("{} {}", t.code, w.name);
    let used = |t: &Territory, w: &Workload| promql::replica_hours(&replicas(model, t, &w.name));
    let peak = |t: &Territory, w: &Workload| {
        promql::replica_hours(&hpa_gauge(model, t, &w.name, promql::HPA_MAX_METRIC))
    };
    let mut lines = vec![vec![
        Panel::bars(
            "Replica-hours over the range",
            "short",
            deployments
                .iter()
                .map(|(t, w)| (used(t, w), legend(t, w)))
                .collect(),
        ),
        Panel::bars(
            "Replica-hours under static peak (max replicas)",
            "short",
            deployments
                .iter()
                .map(|(t, w)| (peak(t, w), legend(t, w)))
                .collect(),
        ),
        Panel::bars(
            "Saving vs static peak",
            "percent",
            deployments
                .iter()
                .map(|(t, w)| {
                    (
                        promql::saving_percent(&used(t, w), &peak(t, w)),
                        legend(t, w),
                    )
                })
                .collect(),
        ),
    ]];
    lines.extend(
        model
            .territories
            .iter()
            .map(|t| territory_cost_panels(model, t)),
    );
    Row {
        title: "Cost and ROI: scaling cost vs performance".to_string(),
        lines,
    }
}

/// One territory: p95 ÷ target per workload, replicas per workload, replica-hours per
/// workload against static peak.
fn territory_cost_panels(model: &Model, t: &Territory) -> Vec<Panel> {
    let ns = model.app.namespace.as_str();
    let workloads: Vec<(&Workload, &TerritoryWorkload)> = model
        .workloads
        .iter()
        .filter_map(|w| t.workload(&w.name).map(|b| (w, b)))
        .collect();
    let mut latency = vec![("vector(1)".to_string(), "target".to_string())];
    latency.extend(workloads.iter().map(|(w, b)| {
        (
            format!(
                "{} / {}",
                promql::p95(ns, &t.code, &w.name),
                seconds_from_ms(b.p95_ms)
            ),
            format!("{} p95 ÷ target", w.name),
        )
    }));
    let mut hours = Vec::new();
    for (w, _) in &workloads {
        hours.push((
            promql::replica_hours(&replicas(model, t, &w.name)),
            format!("{} scheduled", w.name),
        ));
        hours.push((
            promql::replica_hours(&hpa_gauge(model, t, &w.name, promql::HPA_MAX_METRIC)),
            format!("{} static peak", w.name),
        ));
    }
    vec![
        Panel::lines(format!("{}: p95 ÷ target", t.code), "percentunit", latency),
        Panel::lines(
            format!("{}: replicas", t.code),
            "short",
            workloads
                .iter()
                .map(|(w, _)| (replicas(model, t, &w.name), format!("{} replicas", w.name)))
                .collect(),
        ),
        Panel::bars(
            format!("{}: replica-hours over the range", t.code),
            "short",
            hours,
        ),
    ]
}

/// p95, replicas and throughput of one deployment, each against its limits.
fn deployment_panels(
    model: &Model,
    t: &Territory,
    w: &Workload,
    b: &TerritoryWorkload,
) -> Vec<Panel> {
    let ns = model.app.namespace.as_str();
    let name = model.deployment_name(t, &w.name);
    let current = replicas(model, t, &w.name);
    let vector = |x: String| format!("vector({x})");
    vec![
        Panel::new(
            format!("{name}: p95 latency"),
            "s",
            &[
                (promql::p95(ns, &t.code, &w.name), "p95"),
                (vector(seconds_from_ms(b.p95_ms)), "target"),
                (
                    vector(seconds_from_ms(model.alerts.emergency_p95_ms)),
                    "emergency",
                ),
            ],
        ),
        Panel::new(
            format!("{name}: replicas"),
            "short",
            &[
                (current.clone(), "current"),
                (promql::active_cron_floor(&name), "seasonal floor"),
                (vector(b.min.to_string()), "min"),
                (vector(b.max.to_string()), "max"),
            ],
        ),
        Panel::new(
            format!("{name}: throughput"),
            "reqps",
            &[
                (
                    promql::request_rate(ns, &t.code, &w.name, promql::SLOW_RATE_WINDOW),
                    "requests/s",
                ),
                (
                    format!("{current} * {}", decimal(b.rps_per_replica)),
                    "capacity of current replicas",
                ),
                (
                    vector(decimal(f64::from(b.max) * b.rps_per_replica)),
                    "capacity at max",
                ),
            ],
        ),
    ]
}

/// The NOTIFY queue and the journal, against the alert thresholds.
fn event_panels(model: &Model) -> Vec<Panel> {
    let a = &model.alerts;
    let by_territory = |metric: &str| format!("max by (territory) ({metric})");
    vec![
        Panel::new(
            "NOTIFY queue usage",
            "percentunit",
            &[
                (format!("max({NOTIFY_USAGE_METRIC})"), "usage"),
                (
                    format!("vector({})", decimal(a.notify_queue_warning)),
                    "warning",
                ),
                (
                    format!("vector({})", decimal(a.notify_queue_critical)),
                    "critical",
                ),
            ],
        ),
        Panel::new(
            "Journal: oldest pending event",
            "s",
            &[
                (by_territory(JOURNAL_OLDEST_METRIC), "{{territory}}"),
                (format!("vector({})", a.outbox_lag_seconds), "limit"),
            ],
        ),
        Panel::new(
            "Journal: pending and stuck events",
            "short",
            &[
                (
                    by_territory(JOURNAL_PENDING_METRIC),
                    "pending {{territory}}",
                ),
                (by_territory(JOURNAL_STUCK_METRIC), "stuck {{territory}}"),
            ],
        ),
    ]
}

/// KEDA's scaler errors of every ScaledObject of the app.
fn keda_errors_panel(model: &Model) -> Panel {
    let names: Vec<String> = model
        .territories
        .iter()
        .flat_map(|t| {
            model
                .workloads
                .iter()
                .map(move |w| model.deployment_name(t, &w.name))
        })
        .collect();
    let errors = promql::keda_errors_metric(model.app.keda_version);
    Panel::new(
        "KEDA scaler errors",
        "short",
        &[(
            format!(
                "sum by (scaledObject, scaler) (rate({errors}{{scaledObject=~{}}}[{}]))",
                promql_string(&names.join("|")),
                promql::SLOW_RATE_WINDOW
            ),
            "{{scaledObject}} {{scaler}}",
        )],
    )
}

/// Grafana's panel list: ids in order, each row one unit high, each line of panels eight
/// units high and three panels wide.
fn layout(rows: Vec<Row>) -> Vec<Json> {
    let datasource = json!({"type": "prometheus", "uid": "${datasource}"});
    let mut out = Vec::new();
    let mut y = 0;
    for row in rows {
        out.push(json!({
            "id": out.len() + 1,
            "type": "row",
            "title": row.title,
            "collapsed": false,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
            "panels": [],
        }));
        y += 1;
        for line in row.lines {
            for (i, panel) in line.into_iter().enumerate() {
                let instant = panel.kind == PanelKind::Bars;
                let targets: Vec<Json> = panel
                    .targets
                    .into_iter()
                    .enumerate()
                    .map(|(n, (expr, legend))| {
                        let mut target = json!({
                            "datasource": datasource,
                            "refId": ref_id(n),
                            "expr": expr,
                            "legendFormat": legend,
                        });
                        if instant {
                            target["instant"] = json!(true);
                            target["range"] = json!(false);
                        }
                        target
                    })
                    .collect();
                let mut p = json!({
                    "id": out.len() + 1,
                    "type": "timeseries",
                    "title": panel.title,
                    "datasource": datasource,
                    "gridPos": {"h": 8, "w": 8, "x": 8 * i, "y": y},
                    "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
                    "targets": targets,
                });
                if instant {
                    p["type"] = json!("bargauge");
                    p["options"] = json!({
                        "orientation": "horizontal",
                        "displayMode": "basic",
                        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": false},
                    });
                }
                out.push(p);
            }
            y += 8;
        }
    }
    out
}

/// Grafana's query ids in order: `A` … `Z`, `AA`, `AB`, ….
fn ref_id(n: usize) -> String {
    let mut n = n + 1;
    let mut id = Vec::new();
    while n > 0 {
        n -= 1;
        id.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    id.reverse();
    String::from_utf8(id).expect("ASCII letters")
}

/// The dashboard JSON of `model`.
fn dashboard(model: &Model) -> Json {
    let uid: String = format!("scalegen-{}", model.app.name)
        .chars()
        .take(40)
        .collect();
    json!({
        "title": format!("{} seasonal scaling", model.app.name),
        "uid": uid,
        "description": "Generated by scalegen: floors, latency, capacity, event resilience and scaling cost per territory and workload.",
        "tags": ["scalegen", "keda", "seasonal-scaling"],
        "editable": false,
        "schemaVersion": 39,
        "time": {"from": "now-7d", "to": "now"},
        "refresh": "1m",
        "templating": {"list": [{
            "name": "datasource",
            "label": "Prometheus",
            "type": "datasource",
            "query": "prometheus",
        }]},
        "annotations": {"list": []},
        "panels": layout(rows(model)),
    })
}
