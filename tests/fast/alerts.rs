//! The PrometheusRule, its promtool unit tests and the postgres_exporter queries (SPEC §6),
//! read back from the rendered files of the default configuration and of odd ones.
//!
//! The promtool tests run stock promtool as people would, on the plain rule file
//! `monitoring/rules/scaling.rules.yaml` and from `monitoring/` on the test file, with no
//! helper from outside the repository (skipped with a printed reason when promtool is
//! missing, failed when `SCALEGEN_REQUIRE_TOOLS` is set). One of them also tampers with a
//! threshold and expects promtool's unit tests to fail: the generated tests really look at
//! the thresholds.

use crate::support::{
    default_sources, file, fixture_dirs, has_tool, load, model, render, render_default, run_tool,
    tool, validate_manifests, write_files, yaml_documents,
};
use scalegen::config::model::Model;
use scalegen::render::file::RenderedFile;
use scalegen::render::monitoring::{self, catalog, exporter};
use scalegen::schedule::Schedule;
use serde_yaml::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn yaml(text: &str) -> Value {
    let docs = yaml_documents(text);
    assert_eq!(docs.len(), 1, "one YAML document");
    docs.into_iter().next().unwrap()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("`{key}` missing or not a string in {v:?}"))
}

fn seq<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_sequence)
        .map_or(&[], Vec::as_slice)
}

/// Every rule of the rendered PrometheusRule.
fn rules(files: &[RenderedFile]) -> Vec<Value> {
    let doc = yaml(&file(files, monitoring::RULE_FILE).contents);
    assert_eq!(s(&doc, "apiVersion"), "monitoring.coreos.com/v1");
    assert_eq!(s(&doc, "kind"), "PrometheusRule");
    seq(&doc["spec"], "groups")
        .iter()
        .flat_map(|g| seq(g, "rules").to_vec())
        .collect()
}

fn label<'a>(rule: &'a Value, key: &str) -> Option<&'a str> {
    rule["labels"].get(key).and_then(Value::as_str)
}

/// A config nobody here has seen: one territory `UK`, workloads `read`/`write`, display
/// names with quotes, template braces, pipes, backslashes and HTML, a dated blackout, an
/// old KEDA (other error metric), fractional rates and odd thresholds.
const ODD_TERRITORIES: &str = r#"
[app]
name = "shop"
namespace = "retail-uk"
image = "registry.example.com/shop:1"
keda_version = "2.12"
runbook_url = "https://wiki.example.com/ops/run{book}"

[workloads.read]
p95_ms = 1250
port = 8080
scale_down_window = "1m"

[workloads.write]
p95_ms = 999
port = 8081
scale_down_window = "10m"

[territories.UK]
name = "Vereinigtes \"Königreich\" {{ $labels.x }} | \\ <b>{{"
timezone = "Europe/London"
read = { min = 1, max = 1, rps_per_replica = 12.5 }
write = { min = 1, max = 3, rps_per_replica = 0.7 }

[events]
channel = "shop_events"
types = ["order.placed", "order.paid"]
critical = []
journal_threshold = 0.5
critical_threshold = 0.9

[alerts]
emergency_p95_ms = 2000
notify_queue_warning = 0.333
notify_queue_critical = 0.999
outbox_lag_seconds = 7
prescale_idle_ratio = 0.05
prescale_idle_for = "1h30m"
"#;

const ODD_CALENDAR: &str = r#"
[[season]]
id = "winter"
name = "Winter {{ sale }} | 50% \\ off `now`"
from = "12-01"
to = "01-31"
hours = "22:00-02:00"
floor.UK = { write = 3 }

[[campaign]]
id = "launch-2030"
name = "Launch \"2030\" <i>*now*</i> {{"
from = "2030-02-27"
to = "2030-03-02"
hours = "00:00-24:00"
days = "mon-fri"
floor.UK = { write = 2 }

[[blackout]]
id = "strike-2030"
name = "Strike | day {{"
from = "2030-02-28"
to = "2030-02-28"
"#;

/// Two territories in far-apart zones, KEDA 2.20, a one-day `for` on the cost alert.
const PLAIN_TERRITORIES: &str = r#"
[app]
name = "api"
namespace = "ops"
image = "registry.example.com/api:2"
keda_version = "2.20"
runbook_url = "https://runbooks.example.org/scaling"

[workloads.api]
p95_ms = 1
port = 80
scale_down_window = "5m"

[territories.NZ]
name = "Aotearoa"
timezone = "Pacific/Auckland"
api = { min = 3, max = 1000, rps_per_replica = 1000 }

[territories.US]
name = "United States"
timezone = "America/Los_Angeles"
p95_ms = 4000
api = { min = 1, max = 2, rps_per_replica = 0.001 }

[events]
channel = "api"
types = ["a.b"]
critical = ["a.b"]
journal_threshold = 0.01
critical_threshold = 0.99

[alerts]
emergency_p95_ms = 1
notify_queue_warning = 0.01
notify_queue_critical = 0.02
outbox_lag_seconds = 1
prescale_idle_ratio = 0.99
prescale_idle_for = "1d"
"#;

fn odd() -> (Model, Schedule, Vec<RenderedFile>) {
    let m = model(
        ODD_TERRITORIES,
        &[("odd.toml".to_string(), ODD_CALENDAR.to_string())],
    );
    let (s, f) = render(&m);
    (m, s, f)
}

/// A season across New Year on weekdays, flooring NZ only.
const PLAIN_CALENDAR: &str = r#"
[[season]]
id = "summer"
from = "12-01"
to = "01-31"
hours = "09:00-17:00"
days = "mon-fri"
floor.NZ = { api = 500 }
"#;

fn plain() -> (Model, Schedule, Vec<RenderedFile>) {
    let m = model(
        PLAIN_TERRITORIES,
        &[("summer.toml".to_string(), PLAIN_CALENDAR.to_string())],
    );
    let (s, f) = render(&m);
    (m, s, f)
}

// ------------------------------------------------------------------ rule manifest

#[test]
fn default_config_has_one_rule_per_alert_and_scope() {
    let (m, schedule, files) = render_default();
    let rules = rules(&files);
    let count = |name: &str| rules.iter().filter(|r| s(r, "alert") == name).count();
    let deployments = m.territories.len() * m.workloads.len();
    assert_eq!(count(catalog::P95_OVER_TARGET), deployments);
    assert_eq!(count(catalog::P95_EMERGENCY), deployments);
    assert_eq!(count(catalog::AT_MAX_REPLICAS), deployments);
    assert_eq!(count(catalog::KEDA_SCALER_ERRORS), deployments);
    assert_eq!(count(catalog::NOTIFY_QUEUE_WARNING), 1);
    assert_eq!(count(catalog::NOTIFY_QUEUE_CRITICAL), 1);
    assert_eq!(count(catalog::JOURNAL_LAG), m.territories.len());
    assert_eq!(count(catalog::JOURNAL_STUCK), m.territories.len());
    assert_eq!(count(catalog::JOURNAL_RETENTION_OVERDUE), 1);
    // Every default deployment has a season floor above its min.
    assert_eq!(count(catalog::PRESCALE_IDLE), deployments);
    assert_eq!(
        count(catalog::CALENDAR_ENTRY_EXPIRED),
        schedule.expiries.len()
    );
    assert!(schedule
        .expiries
        .iter()
        .any(|e| e.entry_id == "black-week-2027"));
    println!("default config: {} alerting rules", rules.len());
}

#[test]
fn every_rule_has_severity_annotations_and_its_runbook_anchor() {
    for (m, _, files) in [render_default(), odd(), plain()] {
        for rule in rules(&files) {
            let name = s(&rule, "alert");
            let spec = catalog::spec(name);
            assert_eq!(label(&rule, "severity"), Some(spec.severity.as_str()));
            assert_eq!(label(&rule, "namespace"), Some(m.app.namespace.as_str()));
            let ann = &rule["annotations"];
            assert!(!s(ann, "summary").is_empty());
            assert!(!s(ann, "description").is_empty());
            let url = s(ann, "runbook_url").replace("{{ \"{\" }}", "{");
            assert_eq!(
                url,
                format!("{}#{}", m.app.runbook_url, name.to_ascii_lowercase())
            );
        }
    }
}

#[test]
fn thresholds_in_expressions_come_from_the_config() {
    let (m, _, files) = render_default();
    let rules = rules(&files);
    let expr_of = |name: &str, t: &str, w: &str| -> String {
        rules
            .iter()
            .find(|r| {
                s(r, "alert") == name
                    && label(r, "territory") == Some(t)
                    && label(r, "workload") == Some(w)
            })
            .map(|r| s(r, "expr").to_string())
            .unwrap_or_else(|| panic!("no {name} for {t}/{w}"))
    };
    // Resolution of SPEC §2.1: DE uses the workload targets, CH and AT their own.
    assert!(expr_of(catalog::P95_OVER_TARGET, "DE", "queries").ends_with("> 0.3"));
    assert!(expr_of(catalog::P95_OVER_TARGET, "DE", "commands").ends_with("> 0.35"));
    assert!(expr_of(catalog::P95_OVER_TARGET, "CH", "queries").ends_with("> 0.35"));
    assert!(expr_of(catalog::P95_OVER_TARGET, "AT", "commands").ends_with("> 0.4"));
    assert!(expr_of(catalog::P95_EMERGENCY, "AT", "queries").ends_with("> 0.5"));
    let capacity = expr_of(catalog::AT_MAX_REPLICAS, "DE", "queries");
    assert!(capacity.contains("horizontalpodautoscaler=\"keda-hpa-freshplan-api-queries-de\""));
    let idle = expr_of(catalog::PRESCALE_IDLE, "DE", "queries");
    assert!(idle.contains("< 0.2 * 80 * ("), "{idle}");
    assert!(
        idle.ends_with("== 1)) > 2)"),
        "floor must exceed min 2: {idle}"
    );
    let keda = expr_of(catalog::KEDA_SCALER_ERRORS, "CH", "commands");
    assert!(keda
        .contains("keda_scaler_detail_errors_total{scaledObject=\"freshplan-api-commands-ch\"}"));
    let prescale_for = rules
        .iter()
        .find(|r| s(r, "alert") == catalog::PRESCALE_IDLE)
        .map(|r| s(r, "for").to_string());
    assert_eq!(prescale_for.as_deref(), Some("30m"));
    let lag: Vec<&Value> = rules
        .iter()
        .filter(|r| s(r, "alert") == catalog::JOURNAL_LAG)
        .collect();
    assert_eq!(
        s(lag[0], "expr"),
        "max(scaling_journal_oldest_pending_seconds{territory=\"AT\"}) > 60"
    );
    assert!(rules
        .iter()
        .any(|r| s(r, "expr") == "max(scaling_notify_queue_usage_ratio) > 0.95"));
    let expiry = rules
        .iter()
        .find(|r| s(r, "alert") == catalog::CALENDAR_ENTRY_EXPIRED)
        .expect("expiry rule for black-week-2027");
    assert_eq!(label(expiry, "entry_id"), Some("black-week-2027"));
    assert_eq!(label(expiry, "entry_kind"), Some("campaign"));
    assert!(s(expiry, "expr").starts_with("vector(time()) > "));
    let _ = m;
}

#[test]
fn the_retention_alert_fires_a_day_past_the_configured_horizon() {
    let overdue = |files: &[RenderedFile]| {
        rules(files)
            .into_iter()
            .find(|r| s(r, "alert") == catalog::JOURNAL_RETENTION_OVERDUE)
            .expect("a retention rule")
    };
    let (_, _, files) = render_default();
    let rule = overdue(&files);
    assert_eq!(
        s(&rule, "expr"),
        "max(scaling_journal_retention_oldest_published_seconds) > 691200",
        "7 days + 1 day"
    );
    assert_eq!(s(&rule, "for"), "6h");
    assert_eq!(label(&rule, "territory"), None);
    let (territories, calendars) = default_sources();
    let text = territories.replacen(
        "critical_threshold = 0.95\n",
        "critical_threshold = 0.95\njournal_retention = \"36h\"\n",
        1,
    );
    let files = render(&model(&text, &calendars)).1;
    let rule = overdue(&files);
    assert!(s(&rule, "expr").ends_with("> 216000"), "36 h + 1 day");
    assert!(s(&rule["annotations"], "summary").ends_with("horizon of 1d12h"));
    let tests = &file(&files, monitoring::TEST_FILE).contents;
    assert!(
        tests.contains("values: \"216000+0x"),
        "silent exactly at the limit"
    );
    assert!(tests.contains("values: \"216001+0x"), "fires just over it");
}

#[test]
fn old_keda_versions_use_the_old_error_metric() {
    let (_, _, files) = odd();
    let rules = rules(&files);
    let keda = rules
        .iter()
        .find(|r| s(r, "alert") == catalog::KEDA_SCALER_ERRORS)
        .unwrap();
    assert!(s(keda, "expr").contains("rate(keda_scaler_errors{"));
}

#[test]
fn free_text_in_annotations_is_inert_for_go_templates() {
    let (_, _, files) = odd();
    for rule in rules(&files) {
        for key in ["summary", "description", "runbook_url"] {
            let text = s(&rule["annotations"], key);
            // Every `{{` that remains must be one of ours: `{{ "{" }}` or `{{ $labels.scaler }}`.
            let rest = text
                .replace("{{ \"{\" }}", "")
                .replace("{{ $labels.scaler }}", "");
            assert!(!rest.contains('{'), "raw brace in {key}: {text}");
        }
    }
}

#[test]
fn cost_and_expiry_rules_follow_the_calendar() {
    let m = model(PLAIN_TERRITORIES, &[]);
    let (schedule, files) = render(&m);
    let rules = rules(&files);
    assert!(schedule.expiries.is_empty());
    assert!(!rules
        .iter()
        .any(|r| s(r, "alert") == catalog::PRESCALE_IDLE));
    assert!(!rules
        .iter()
        .any(|r| s(r, "alert") == catalog::CALENDAR_ENTRY_EXPIRED));
    let doc = yaml(&file(&files, monitoring::RULE_FILE).contents);
    let groups: Vec<&str> = seq(&doc["spec"], "groups")
        .iter()
        .map(|g| s(g, "name"))
        .collect();
    assert!(!groups.contains(&"scaling-calendar") && !groups.contains(&"scaling-cost"));

    let (_, _, files) = plain();
    let idle: Vec<Value> = self::rules(&files)
        .into_iter()
        .filter(|r| s(r, "alert") == catalog::PRESCALE_IDLE)
        .collect();
    assert_eq!(idle.len(), 1, "only NZ has a floor");
    assert_eq!(label(&idle[0], "territory"), Some("NZ"));
    assert_eq!(s(&idle[0], "for"), "1d");

    let (_, schedule, files) = odd();
    let odd_rules = self::rules(&files);
    let idle: Vec<&Value> = odd_rules
        .iter()
        .filter(|r| s(r, "alert") == catalog::PRESCALE_IDLE)
        .collect();
    // Only `write` has a floor above its min; `read`'s floor of 1 equals its min.
    assert_eq!(idle.len(), 1);
    assert_eq!(label(idle[0], "workload"), Some("write"));
    assert_eq!(s(idle[0], "for"), "1h30m");
    let expired: BTreeSet<&str> = odd_rules
        .iter()
        .filter(|r| s(r, "alert") == catalog::CALENDAR_ENTRY_EXPIRED)
        .filter_map(|r| label(r, "entry_id"))
        .collect();
    let expected: BTreeSet<&str> = schedule
        .expiries
        .iter()
        .map(|e| e.entry_id.as_str())
        .collect();
    assert_eq!(expired, expected);
}

// ------------------------------------------------------------------ exporter queries

#[test]
fn exporter_queries_produce_every_database_metric_the_alerts_use() {
    let (_, _, files) = render_default();
    let q = yaml(&file(&files, monitoring::EXPORTER_FILE).contents);
    let mut produced = BTreeSet::new();
    for (name, query) in q.as_mapping().unwrap() {
        let name = name.as_str().unwrap();
        let sql = s(query, "query");
        assert_eq!(query["master"], Value::Bool(true));
        for metric in seq(query, "metrics") {
            let (column, spec) = metric.as_mapping().unwrap().iter().next().unwrap();
            let column = column.as_str().unwrap();
            assert!(sql.contains(column), "{sql} lacks {column}");
            if s(spec, "usage") != "LABEL" {
                produced.insert(format!("{name}_{column}"));
            }
        }
    }
    assert!(produced.contains(exporter::NOTIFY_USAGE_METRIC));
    assert!(produced.contains(exporter::JOURNAL_OLDEST_METRIC));
    assert!(produced.contains(exporter::JOURNAL_STUCK_METRIC));
    assert!(produced.contains(exporter::JOURNAL_PENDING_METRIC));
    assert!(produced.contains(exporter::JOURNAL_OLDEST_PUBLISHED_METRIC));
    for rule in rules(&files) {
        let expr = s(&rule, "expr");
        for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if word.starts_with("scaling_") && word != "scaling_journal_stats" {
                assert!(produced.contains(word), "{word} is not exported");
            }
        }
    }
    let text = &file(&files, monitoring::EXPORTER_FILE).contents;
    assert!(text.contains("pg_notification_queue_usage()"));
    assert!(text.contains("FROM scaling_journal_stats"));
}

#[test]
fn kustomization_lists_rule_and_dashboard_but_not_tests_or_queries() {
    let (_, _, files) = render_default();
    assert!(file(&files, monitoring::RULE_FILE).kustomize);
    assert!(file(&files, monitoring::DASHBOARD_FILE).kustomize);
    assert!(!file(&files, monitoring::TEST_FILE).kustomize);
    assert!(!file(&files, monitoring::EXPORTER_FILE).kustomize);
}

// ------------------------------------------------------------------ unit-test file

/// Alert names with a test that expects them to fire, and names with one that expects silence.
fn test_cases(files: &[RenderedFile]) -> (BTreeSet<String>, BTreeSet<String>) {
    let doc = yaml(&file(files, monitoring::TEST_FILE).contents);
    assert_eq!(
        seq(&doc, "rule_files")[0].as_str(),
        Some("rules/scaling.rules.yaml")
    );
    let (mut fires, mut silent) = (BTreeSet::new(), BTreeSet::new());
    for group in seq(&doc, "tests") {
        for t in seq(group, "alert_rule_test") {
            let name = s(t, "alertname").to_string();
            if seq(t, "exp_alerts").is_empty() {
                silent.insert(name);
            } else {
                fires.insert(name);
            }
        }
        for t in seq(group, "promql_expr_test") {
            if s(t, "expr").contains("vector(time()) >") {
                let name = catalog::CALENDAR_ENTRY_EXPIRED.to_string();
                if seq(t, "exp_samples").is_empty() {
                    silent.insert(name);
                } else {
                    fires.insert(name);
                }
            }
        }
    }
    (fires, silent)
}

#[test]
fn every_alert_has_a_firing_and_a_silent_test() {
    for (_, _, files) in [render_default(), odd(), plain()] {
        let names: BTreeSet<String> = rules(&files)
            .iter()
            .map(|r| s(r, "alert").to_string())
            .collect();
        let (fires, silent) = test_cases(&files);
        assert_eq!(fires, names, "alerts with a firing test");
        assert_eq!(silent, names, "alerts with a silent test");
    }
}

#[test]
fn expiry_tests_evaluate_the_rules_own_expression() {
    let (_, schedule, files) = render_default();
    let rules = rules(&files);
    let text = &file(&files, monitoring::TEST_FILE).contents;
    for e in &schedule.expiries {
        let rule = rules
            .iter()
            .find(|r| label(r, "entry_id") == Some(e.entry_id.as_str()))
            .unwrap();
        let expr = s(rule, "expr");
        for at in [e.expires_at_unix, e.expires_at_unix + 1] {
            let probe = format!("last_over_time(({expr})[1s:1s] @ {at})");
            assert!(
                text.contains(&serde_yaml::to_string(&probe).unwrap().trim().to_string())
                    || text.contains(&format!("\"{probe}\"")),
                "missing {probe}"
            );
        }
    }
}

#[test]
fn firing_tests_expect_the_expanded_annotations() {
    let (m, _, files) = odd();
    let doc = yaml(&file(&files, monitoring::TEST_FILE).contents);
    let territory = &m.territories[0].name;
    let mut seen = false;
    for group in seq(&doc, "tests") {
        for t in seq(group, "alert_rule_test") {
            for a in seq(t, "exp_alerts") {
                let desc = s(&a["exp_annotations"], "description");
                assert!(
                    !desc.contains("{{ \"{\" }}"),
                    "expected text is expanded: {desc}"
                );
                if desc.contains(territory.as_str()) {
                    seen = true;
                }
                assert_eq!(
                    s(&a["exp_annotations"], "runbook_url"),
                    format!(
                        "{}#{}",
                        m.app.runbook_url,
                        s(t, "alertname").to_ascii_lowercase()
                    )
                );
            }
        }
    }
    assert!(
        seen,
        "the raw display name appears in some expected description"
    );
}

// ------------------------------------------------------------------ promtool

/// Stock promtool (`$PROMTOOL` or on the PATH), as people run it: no helper from outside
/// the repository.
fn promtool() -> Option<PathBuf> {
    tool("promtool", "PROMTOOL")
}

/// `promtool check rules monitoring/rules/scaling.rules.yaml` in the output directory.
fn check_rules(promtool: &Path, out: &Path) -> (bool, String) {
    run_tool(Command::new(promtool).current_dir(out).args([
        "check",
        "rules",
        monitoring::PLAIN_RULE_FILE,
    ]))
}

/// `cd monitoring && promtool test rules prometheusrule-scaling.test.yaml`.
fn test_rules(promtool: &Path, out: &Path) -> (bool, String) {
    let (dir, test) = monitoring::TEST_FILE.rsplit_once('/').unwrap();
    run_tool(
        Command::new(promtool)
            .current_dir(out.join(dir))
            .args(["test", "rules", test]),
    )
}

fn promtool_passes(label: &str, files: &[RenderedFile], promtool: &Path) {
    let dir = write_files(files);
    let (ok, out) = check_rules(promtool, dir.path());
    assert!(ok, "{label}: promtool check rules failed:\n{out}");
    assert!(out.contains("SUCCESS"), "{label}: {out}");
    let (ok, out) = test_rules(promtool, dir.path());
    assert!(ok, "{label}: promtool test rules failed:\n{out}");
    assert!(out.contains("SUCCESS"), "{label}: {out}");
}

#[test]
fn stock_promtool_checks_and_tests_pass_on_default_and_odd_configs() {
    let Some(promtool) = promtool() else {
        return;
    };
    promtool_passes("default", &render_default().2, &promtool);
    promtool_passes("odd", &odd().2, &promtool);
    promtool_passes("plain", &plain().2, &promtool);
}

#[test]
fn stock_promtool_checks_and_tests_pass_on_every_fixture() {
    let Some(promtool) = promtool() else {
        return;
    };
    for dir in fixture_dirs() {
        let label = dir.file_name().unwrap().to_string_lossy().into_owned();
        promtool_passes(&label, &render(&load(&dir)).1, &promtool);
    }
}

#[test]
fn the_plain_rule_file_holds_exactly_the_groups_of_the_prometheusrule() {
    for files in [render_default().2, odd().2, plain().2] {
        let manifest = yaml(&file(&files, monitoring::RULE_FILE).contents);
        let plain_file = file(&files, monitoring::PLAIN_RULE_FILE);
        assert!(
            !plain_file.kustomize,
            "a plain rule file is no Kubernetes object"
        );
        let plain = yaml(&plain_file.contents);
        assert_eq!(plain.as_mapping().unwrap().len(), 1, "only `groups`");
        assert_eq!(plain["groups"], manifest["spec"]["groups"]);
        let tests = yaml(&file(&files, monitoring::TEST_FILE).contents);
        assert_eq!(
            seq(&tests, "rule_files"),
            [Value::from("rules/scaling.rules.yaml")]
        );
    }
}

#[test]
fn promtool_tests_catch_a_tampered_threshold() {
    let Some(promtool) = promtool() else {
        return;
    };
    let (_, _, files) = render_default();
    let dir = write_files(&files);
    let rule_path = dir.path().join(monitoring::PLAIN_RULE_FILE);
    let original = std::fs::read_to_string(&rule_path).unwrap();
    // 1 ms off the DE queries target, a `>=` instead of `>`, and 1 % off an idle limit.
    let tampers = [
        (
            "workload=\\\"queries\\\"}[2m]))) > 0.3\"",
            "workload=\\\"queries\\\"}[2m]))) > 0.301\"",
        ),
        (
            "workload=\\\"queries\\\"}[2m]))) > 0.3\"",
            "workload=\\\"queries\\\"}[2m]))) > 0.299\"",
        ),
        (
            "max(scaling_notify_queue_usage_ratio) > 0.7\"",
            "max(scaling_notify_queue_usage_ratio) >= 0.7\"",
        ),
        ("< 0.2 * 80 * (", "< 0.198 * 80 * ("),
    ];
    let (ok, out) = test_rules(&promtool, dir.path());
    assert!(ok, "untampered tests pass:\n{out}");
    for (from, to) in tampers {
        assert!(
            original.contains(from),
            "pattern {from} not in the rule file"
        );
        std::fs::write(&rule_path, original.replacen(from, to, 1)).unwrap();
        let (ok, out) = test_rules(&promtool, dir.path());
        assert!(!ok, "tests still pass with `{to}`:\n{out}");
    }
}

// ------------------------------------------------------------------ dashboard

fn dashboard_json(files: &[RenderedFile]) -> serde_json::Value {
    let doc = yaml(&file(files, monitoring::DASHBOARD_FILE).contents);
    assert_eq!(s(&doc, "kind"), "ConfigMap");
    assert_eq!(
        doc["metadata"]["labels"]["grafana_dashboard"].as_str(),
        Some("1")
    );
    let data = doc["data"].as_mapping().unwrap();
    assert_eq!(data.len(), 1);
    let text = data.values().next().unwrap().as_str().unwrap();
    serde_json::from_str(text).expect("dashboard JSON parses")
}

#[test]
fn dashboard_shows_what_the_alerts_see() {
    let (m, _, files) = render_default();
    assert!(file(&files, monitoring::DASHBOARD_FILE).kustomize);
    let dash = dashboard_json(&files);
    let exprs: Vec<String> = dash["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .map(|t| t["expr"].as_str().unwrap().to_string())
        .collect();
    for t in &m.territories {
        for w in &m.workloads {
            let p95 = scalegen::render::promql::p95(&m.app.namespace, &t.code, &w.name);
            assert!(
                exprs.contains(&p95),
                "no p95 panel for {}/{}",
                t.code,
                w.name
            );
        }
    }
    assert!(exprs.contains(&"vector(0.5)".to_string()), "emergency line");
    assert!(exprs.contains(&"max(scaling_notify_queue_usage_ratio)".to_string()));
}

#[test]
fn dashboard_json_survives_any_display_name() {
    let (t, c) = default_sources();
    let mut m = model(&t, &c);
    let hostile = "A\u{2028}B\u{2029}C\u{85}D\u{feff}E \"q\" \\ {{ x }} | #: - '";
    m.territories[0].name = hostile.to_string();
    let (_, files) = render(&m);
    let dash = dashboard_json(&files);
    let titles: Vec<&str> = dash["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["title"].as_str())
        .collect();
    assert!(
        titles.contains(&format!("AT — {hostile}").as_str()),
        "{titles:?}"
    );
}

#[test]
fn monitoring_manifests_validate_against_upstream_schemas() {
    let Some(script) = validate_manifests("run.sh") else {
        return;
    };
    if !(has_tool("node") && has_tool("npm")) {
        println!("skipped: node/npm not installed (run.sh needs them)");
        return;
    }
    for (label, files) in [
        ("default", render_default().2),
        ("odd", odd().2),
        ("plain", plain().2),
    ] {
        let dir = write_files(&files);
        let out = Command::new(&script)
            .arg(dir.path().join(monitoring::RULE_FILE))
            .arg(dir.path().join(monitoring::DASHBOARD_FILE))
            .output()
            .expect("run run.sh");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "{label}: schema validation failed:\n{text}"
        );
        println!("{label}: {}", text.lines().last().unwrap_or(""));
    }
}
