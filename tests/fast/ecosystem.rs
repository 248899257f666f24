//! Deployments people can run and monitoring a kube-prometheus-stack finds (SPEC §9):
//! per-workload probes, metrics path, environment, `envFrom` and ServiceAccount, and
//! `[app] monitoring_labels`, read back from the rendered `ecosystem` fixture; and the
//! spanned errors for each of those keys.

use crate::support::{file, fixture, load, render, yaml_documents};
use scalegen::config::example::{CALENDARS, TERRITORIES};
use scalegen::config::validate::model_from_strs;
use scalegen::render::file::RenderedFile;
use scalegen::render::monitoring;
use serde_yaml::Value;

fn ecosystem() -> Vec<RenderedFile> {
    render(&load(&fixture("ecosystem"))).1
}

fn first_doc(files: &[RenderedFile], path: &str) -> Value {
    yaml_documents(&file(files, path).contents).remove(0)
}

fn strings(v: &Value) -> Vec<String> {
    serde_yaml::to_string(v)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn pods_run_with_the_configured_probes_environment_and_service_account() {
    let files = ecosystem();
    let read = first_doc(&files, "deployments/eco-read-nl.yaml");
    let pod = &read["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"].as_str(), Some("eco-reader"));
    assert_eq!(pod["automountServiceAccountToken"].as_bool(), Some(false));
    let c = &pod["containers"][0];
    let env: Vec<(&str, &str)> = c["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        env,
        [
            ("TERRITORY", "NL"),
            ("WORKLOAD", "read"),
            ("JAVA_OPTS", "-XX:MaxRAMPercentage=75"),
            ("QUARKUS_PROFILE", "prod"),
        ]
    );
    assert_eq!(
        c["envFrom"][0]["configMapRef"]["name"].as_str(),
        Some("eco-settings")
    );
    assert_eq!(
        c["envFrom"][1]["secretRef"]["name"].as_str(),
        Some("eco-db.credentials")
    );
    for (probe, path) in [
        ("startupProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
        ("livenessProbe", "/livez"),
    ] {
        assert_eq!(c[probe]["httpGet"]["path"].as_str(), Some(path), "{probe}");
        assert_eq!(c[probe]["httpGet"]["port"].as_str(), Some("http"));
    }

    let write = first_doc(&files, "deployments/eco-write-be.yaml");
    let pod = &write["spec"]["template"]["spec"];
    assert!(pod.get("serviceAccountName").is_none(), "{pod:?}");
    let c = &pod["containers"][0];
    assert!(c.get("envFrom").is_none());
    assert_eq!(c["env"].as_sequence().unwrap().len(), 2);
    for (probe, path) in [
        ("startupProbe", "/q/health/started"),
        ("readinessProbe", "/q/health/ready"),
        ("livenessProbe", "/q/health/live"),
    ] {
        assert_eq!(c[probe]["httpGet"]["path"].as_str(), Some(path), "{probe}");
    }
}

#[test]
fn monitoring_objects_carry_the_monitoring_labels_and_scrape_each_metrics_path() {
    let files = ecosystem();
    let podmonitor = first_doc(&files, "monitoring/podmonitor.yaml");
    let rule = first_doc(&files, monitoring::RULE_FILE);
    for doc in [&podmonitor, &rule] {
        let labels = &doc["metadata"]["labels"];
        assert_eq!(labels["release"].as_str(), Some("kube-prometheus-stack"));
        assert_eq!(labels["example.com/team"].as_str(), Some("sales-ops"));
        assert_eq!(
            labels["app.kubernetes.io/managed-by"].as_str(),
            Some("scalegen")
        );
    }
    let plain = file(&files, monitoring::PLAIN_RULE_FILE);
    assert!(
        !plain.contents.contains("release"),
        "a rule file has no labels"
    );
    let endpoints = podmonitor["spec"]["podMetricsEndpoints"]
        .as_sequence()
        .unwrap();
    let scraped: Vec<(&str, &str)> = endpoints
        .iter()
        .map(|e| {
            let keep = &e["relabelings"][0];
            assert_eq!(keep["action"].as_str(), Some("keep"));
            assert_eq!(
                strings(&keep["sourceLabels"]),
                ["- __meta_kubernetes_pod_label_workload"]
            );
            (e["path"].as_str().unwrap(), keep["regex"].as_str().unwrap())
        })
        .collect();
    assert_eq!(scraped, [("/metrics", "read"), ("/q/metrics", "write")]);

    let (_, _, default) = crate::support::render_default();
    let podmonitor = first_doc(&default, "monitoring/podmonitor.yaml");
    let endpoints = podmonitor["spec"]["podMetricsEndpoints"]
        .as_sequence()
        .unwrap();
    assert_eq!(endpoints.len(), 1, "one shared path: one endpoint");
    assert!(endpoints[0].get("relabelings").is_none());
}

/// Validates the default config with `extra` lines appended to the `[workloads.queries]`
/// table (or, with `app`, to `[app]`); the rendered diagnostics.
fn invalid(table: &str, extra: &str) -> String {
    let start = TERRITORIES.find(&format!("[{table}]")).expect("table");
    let at = start + TERRITORIES[start..].find('\n').expect("line end") + 1;
    let text = format!("{}{extra}\n{}", &TERRITORIES[..at], &TERRITORIES[at..]);
    match model_from_strs(&text, CALENDARS) {
        Ok(_) => panic!("expected an error for {extra}"),
        Err(e) => e.render(),
    }
}

#[test]
fn pod_settings_and_monitoring_labels_are_validated_where_they_are_written() {
    let queries = "workloads.queries";
    let line = TERRITORIES[..TERRITORIES.find("[workloads.queries]").unwrap()]
        .lines()
        .count()
        + 2;
    let cases = [
        (
            queries,
            "env = { TERRITORY = \"x\" }",
            "`env.TERRITORY` is set by scalegen",
        ),
        (
            queries,
            "env = { \"MY-VAR\" = \"x\" }",
            "environment variable names must match",
        ),
        (
            queries,
            "env_from = [{ secret = \"a\", config_map = \"b\" }]",
            "must name exactly one of `secret` and `config_map`",
        ),
        (queries, "env_from = [{}]", "must name exactly one of"),
        (
            queries,
            "env_from = [{ secret = \"Db_Creds\" }]",
            "must name a Secret or ConfigMap",
        ),
        (
            queries,
            "service_account = \"Reader\"",
            "`service_account` must name a ServiceAccount",
        ),
        (
            queries,
            "metrics_path = \"metrics\"",
            "`metrics_path` must be an absolute HTTP path",
        ),
        (
            queries,
            "probes = { ready = \"/r\" }",
            "unknown key `ready`",
        ),
        (
            queries,
            "probes = { liveness = \"/a b\" }",
            "`probes.liveness` must be an absolute",
        ),
        (
            "app",
            "monitoring_labels = { \"app.kubernetes.io/name\" = \"x\" }",
            "cannot set `app.kubernetes.io/name`",
        ),
        (
            "app",
            "monitoring_labels = { release = \"a b\" }",
            "label values must have",
        ),
        (
            "app",
            "monitoring_labels = { \"-x\" = \"a\" }",
            "label keys must be",
        ),
    ];
    for (table, extra, message) in cases {
        let out = invalid(table, extra);
        assert!(
            out.contains(message),
            "{extra}: missing {message:?} in\n{out}"
        );
        if table == queries && !extra.contains("{}") {
            assert!(
                out.contains(&format!("--> territories.toml:{line}:")),
                "{extra}: not located at line {line}:\n{out}"
            );
        }
    }
}
