//! The Grafana dashboard as Grafana and Prometheus read it: a valid dashboard model (schema
//! version, unique panel ids and query ids, every datasource the templated variable that
//! the dashboard defines, panels inside the 24-column grid without overlaps), the cost and
//! ROI row of SPEC §10, and every panel query accepted by promtool's PromQL parser once
//! Grafana's range variables are substituted.

use crate::support::loadtest::odd_model;
use crate::support::{config_dirs, file, load, render, tools, yaml_documents};
use scalegen::config::model::Model;
use scalegen::render::monitoring::DASHBOARD_FILE;
use scalegen::render::promql;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn dashboard(model: &Model) -> Value {
    let (_, files) = render(model);
    let doc = yaml_documents(&file(&files, DASHBOARD_FILE).contents).remove(0);
    let text = doc["data"].as_mapping().unwrap().values().next().unwrap();
    serde_json::from_str(text.as_str().unwrap()).expect("dashboard JSON")
}

/// The default configuration, every fixture and the odd load-test configuration.
fn models() -> Vec<Model> {
    let mut out: Vec<Model> = config_dirs().iter().map(|d| load(d)).collect();
    out.push(odd_model());
    out
}

fn panels(dash: &Value) -> &Vec<Value> {
    dash["panels"].as_array().unwrap()
}

/// Every `datasource` value anywhere in `v`.
fn datasources<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                if k == "datasource" {
                    out.push(x);
                }
                datasources(x, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|x| datasources(x, out)),
        _ => {}
    }
}

#[test]
fn every_dashboard_is_a_valid_grafana_model() {
    for model in models() {
        let dash = dashboard(&model);
        let name = &model.app.name;
        assert!(
            dash["schemaVersion"].as_u64().is_some_and(|v| v >= 30),
            "{name}"
        );
        let uid = dash["uid"].as_str().unwrap();
        assert!(!uid.is_empty() && uid.len() <= 40, "{name}: uid {uid}");
        let variables = dash["templating"]["list"].as_array().unwrap();
        let variable = variables.iter().find(|v| v["name"] == "datasource");
        let variable = variable.unwrap_or_else(|| panic!("{name}: no datasource variable"));
        assert_eq!(variable["type"], "datasource");
        assert_eq!(variable["query"], "prometheus");
        let mut refs = Vec::new();
        datasources(&dash, &mut refs);
        assert!(!refs.is_empty());
        for r in refs {
            assert_eq!(
                r,
                &json!({"type": "prometheus", "uid": "${datasource}"}),
                "{name}"
            );
        }
        let mut ids = BTreeSet::new();
        let mut cells = BTreeSet::new();
        for p in panels(&dash) {
            let id = p["id"].as_u64().unwrap();
            assert!(id > 0 && ids.insert(id), "{name}: panel id {id} twice");
            let kind = p["type"].as_str().unwrap();
            assert!(["row", "timeseries", "bargauge"].contains(&kind), "{kind}");
            let g = &p["gridPos"];
            let (x, y, w, h) = (
                g["x"].as_u64().unwrap(),
                g["y"].as_u64().unwrap(),
                g["w"].as_u64().unwrap(),
                g["h"].as_u64().unwrap(),
            );
            assert!(w >= 1 && x + w <= 24, "{name}: panel {id} leaves the grid");
            for cell in (x..x + w).flat_map(|cx| (y..y + h).map(move |cy| (cx, cy))) {
                assert!(cells.insert(cell), "{name}: panel {id} overlaps another");
            }
            let mut refs = BTreeSet::new();
            for t in p["targets"].as_array().into_iter().flatten() {
                let r = t["refId"].as_str().unwrap();
                assert!(
                    refs.insert(r.to_string()),
                    "{name}: refId {r} twice in panel {id}"
                );
                assert!(!t["expr"].as_str().unwrap().is_empty());
            }
            if kind == "row" {
                assert!(refs.is_empty());
            } else {
                assert!(!refs.is_empty(), "{name}: panel {id} has no query");
            }
        }
    }
}

/// The panels of the row titled `title…`, in order.
fn row_panels<'a>(dash: &'a Value, title: &str) -> Vec<&'a Value> {
    let all = panels(dash);
    let start = all
        .iter()
        .position(|p| p["type"] == "row" && p["title"].as_str().unwrap().starts_with(title))
        .unwrap_or_else(|| panic!("no row {title}"));
    all[start + 1..]
        .iter()
        .take_while(|p| p["type"] != "row")
        .collect()
}

fn exprs(panel: &Value) -> Vec<(&str, &str)> {
    panel["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["expr"].as_str().unwrap(),
                t["legendFormat"].as_str().unwrap(),
            )
        })
        .collect()
}

fn panel<'a>(row: &[&'a Value], title: &str) -> &'a Value {
    row.iter()
        .find(|p| p["title"] == title)
        .unwrap_or_else(|| panic!("no panel {title}"))
}

#[test]
fn the_cost_row_compares_replica_hours_with_static_peak_and_latency_with_target() {
    for model in [crate::support::default_model(), odd_model()] {
        let dash = dashboard(&model);
        let row = row_panels(&dash, "Cost and ROI");
        let ns = &model.app.namespace;
        let used = panel(&row, "Replica-hours over the range");
        let peak = panel(&row, "Replica-hours under static peak (max replicas)");
        let saving = panel(&row, "Saving vs static peak");
        for p in [used, peak, saving] {
            assert_eq!(p["type"], "bargauge");
            assert!(p["targets"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["instant"] == true));
        }
        assert_eq!(saving["fieldConfig"]["defaults"]["unit"], "percent");
        let deployments = model.territories.len() * model.workloads.len();
        for p in [used, peak, saving] {
            assert_eq!(exprs(p).len(), deployments, "{}", p["title"]);
        }
        for t in &model.territories {
            for w in &model.workloads {
                let hpa = promql::keda_hpa_name(&model.deployment_name(t, &w.name));
                let series = |metric| promql::hpa_series(metric, ns, &hpa);
                let legend = format!("{} {}", t.code, w.name);
                let current =
                    promql::replica_hours(&format!("max({})", series(promql::HPA_CURRENT_METRIC)));
                let max =
                    promql::replica_hours(&format!("max({})", series(promql::HPA_MAX_METRIC)));
                assert!(current.contains("[$__range:1m]"));
                assert!(exprs(used).contains(&(current.as_str(), legend.as_str())));
                assert!(exprs(peak).contains(&(max.as_str(), legend.as_str())));
                let s = promql::saving_percent(&current, &max);
                assert!(exprs(saving).contains(&(s.as_str(), legend.as_str())));
            }
            let latency = panel(&row, &format!("{}: p95 ÷ target", t.code));
            let replicas = panel(&row, &format!("{}: replicas", t.code));
            assert_eq!(
                latency["gridPos"]["y"], replicas["gridPos"]["y"],
                "side by side"
            );
            assert_eq!(
                replicas["gridPos"]["x"].as_u64().unwrap(),
                latency["gridPos"]["x"].as_u64().unwrap()
                    + latency["gridPos"]["w"].as_u64().unwrap()
            );
            for w in &model.workloads {
                let b = t.workload(&w.name).unwrap();
                let ratio = format!(
                    "{} / {}",
                    promql::p95(ns, &t.code, &w.name),
                    promql::seconds_from_ms(b.p95_ms)
                );
                assert!(exprs(latency).iter().any(|(e, _)| *e == ratio), "{ratio}");
            }
            assert!(exprs(latency).contains(&("vector(1)", "target")));
            assert_eq!(exprs(replicas).len(), model.workloads.len());
        }
    }
}

/// A panel query with Grafana's variables replaced by values of a 7-day dashboard.
fn as_prometheus_sees_it(expr: &str) -> String {
    let out = expr
        .replace("$__range_s", "604800")
        .replace("$__range", "7d")
        .replace("$__rate_interval", "1m")
        .replace("$__interval", "1m");
    assert!(!out.contains('$'), "unknown Grafana variable in {expr}");
    out
}

#[test]
fn every_panel_query_parses_with_promtool() {
    let Some(promtool) = tools::promtool() else {
        return;
    };
    for model in models() {
        let dash = dashboard(&model);
        let mut rules = Vec::new();
        for p in panels(&dash) {
            for t in p["targets"].as_array().into_iter().flatten() {
                rules.push(json!({
                    "record": format!("dashboard:panel_{}_{}", p["id"], t["refId"].as_str().unwrap().to_lowercase()),
                    "expr": as_prometheus_sees_it(t["expr"].as_str().unwrap()),
                }));
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dashboard.rules.yaml");
        let file = json!({"groups": [{"name": "dashboard", "rules": rules}]});
        fs_err::write(&path, serde_yaml::to_string(&file).unwrap()).unwrap();
        let out = std::process::Command::new(&promtool)
            .args(["check", "rules"])
            .arg(&path)
            .output()
            .expect("run promtool");
        assert!(
            out.status.success(),
            "{}: promtool rejects a panel query:\n{}",
            model.app.name,
            tools::output_text(&out)
        );
    }
}
