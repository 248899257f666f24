//! Deployments people can run and monitoring a kube-prometheus-stack finds (SPEC §9):
//! per-workload probes, metrics path, environment, `envFrom` and ServiceAccount, and
//! `[app] monitoring_labels`, read back from the rendered `ecosystem` fixture; and the
//! spanned errors for each of those keys.

use crate::support::{
    default_sources, file, fixture, load, model, render, scalegen_in, yaml_documents,
};
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

// ------------------------------------------------------------------ environments

#[test]
fn an_environment_renders_its_namespace_image_urls_and_bounds_everywhere() {
    let (t, c) = default_sources();
    let base = model(&t, &c);
    let staging = base
        .for_environment("staging")
        .expect("the default has staging");
    assert_eq!(staging.app.namespace, "freshplan-staging");
    let (_, files) = render(&staging);
    let mut objects = 0;
    for f in files.iter().filter(|f| f.kustomize) {
        for doc in yaml_documents(&f.contents) {
            objects += 1;
            assert_eq!(
                doc["metadata"]["namespace"].as_str(),
                Some("freshplan-staging"),
                "{}",
                f.path
            );
        }
        assert!(
            !f.contents.contains("namespace=\\\"freshplan\\\""),
            "{} still queries the base namespace",
            f.path
        );
    }
    assert!(objects > 20);
    let kustomization = yaml_documents(&file(&files, "kustomization.yaml").contents).remove(0);
    assert_eq!(
        kustomization["namespace"].as_str(),
        Some("freshplan-staging")
    );
    let de = first_doc(&files, "deployments/freshplan-api-queries-de.yaml");
    assert_eq!(
        de["spec"]["template"]["spec"]["containers"][0]["image"].as_str(),
        Some("registry.example.com/freshfoodz/freshplan-api:1.43.0-rc.1")
    );
    let so = first_doc(&files, "keda/freshplan-api-queries-de.yaml");
    assert_eq!(
        so["spec"]["minReplicaCount"].as_u64(),
        Some(1),
        "staging min"
    );
    assert_eq!(so["spec"]["maxReplicaCount"].as_u64(), Some(6), "base max");
    let base_so = first_doc(&render(&base).1, "keda/freshplan-api-queries-de.yaml");
    assert_eq!(base_so["spec"]["minReplicaCount"].as_u64(), Some(2));
    assert!(base.for_environment("prod").is_none());
}

/// The default territories with `extra` appended (an environment table).
fn with_environment(extra: &str) -> Result<scalegen::config::model::Model, String> {
    let text = format!("{TERRITORIES}\n{extra}");
    model_from_strs(&text, CALENDARS).map_err(|e| e.render())
}

#[test]
fn environments_are_validated_like_the_base_at_their_own_tables() {
    let base_lines = TERRITORIES.lines().count() + 2;
    let cases = [
        ("[environments.dev]\nnamespce = \"x\"", "did you mean `namespace`?", 1),
        ("[environments.dev]\nnamespace = \"Dev\"", "must be a DNS-1123 label", 1),
        ("[environments.dev]\nrunbook_url = \"wiki\"", "`environments.dev.runbook_url` must be an http", 1),
        ("[environments.dev]\nterritories.DX.queries = { min = 1 }", "unknown territory `DX` in an environment", 1),
        ("[environments.dev]\nterritories.DE.querys = { min = 1 }", "did you mean `queries`?", 1),
        ("[environments.dev]\nterritories.DE.queries = { min = 7 }", "environment `dev`: DE.queries min (7) exceeds max (6)", 1),
        ("[environments.dev]\nterritories.DE.queries = { max = 0 }", "`max` must be between 1 and 1000", 1),
        ("[environments.dev]\nterritories.DE.queries = { mn = 1 }", "unknown key `mn`", 1),
        (
            "[environments.dev]\nterritories.DE.queries = { max = 4 }",
            "environment `dev`: campaign `black-week-2027` floor for DE.queries (6) exceeds DE.queries.max (4) in this environment",
            1,
        ),
        ("[environments.Dev]\nnamespace = \"x\"", "environment names must be DNS-1035 labels", 0),
    ];
    for (extra, message, line_offset) in cases {
        let out = with_environment(extra).expect_err(extra);
        assert!(
            out.contains(message),
            "{extra}: missing {message:?} in\n{out}"
        );
        let line = base_lines + line_offset;
        assert!(
            out.contains(&format!("--> territories.toml:{line}:")),
            "{extra}: not at line {line}:\n{out}"
        );
    }
    let ok = with_environment("[environments.dev]\nterritories.CH.commands = { max = 2 }").unwrap();
    let dev = ok.for_environment("dev").unwrap();
    assert_eq!(
        dev.territory("CH")
            .unwrap()
            .workload("commands")
            .unwrap()
            .max,
        2
    );
    assert_eq!(dev.app.namespace, "freshplan", "not overridden");
}

#[test]
fn the_command_line_takes_env_names_it_and_repeats_the_flags_in_drift_hints() {
    let dir = tempfile::tempdir().unwrap();
    let root = crate::support::root();
    let config = root.join("territories.toml");
    let calendars = root.join("calendars");
    let (config, calendars) = (config.to_str().unwrap(), calendars.to_str().unwrap());
    let input = ["--config", config, "--calendars", calendars];
    let run = |extra: &[&str]| {
        let args: Vec<&str> = extra.iter().chain(input.iter()).copied().collect();
        scalegen_in(dir.path(), &args, None)
    };
    let (code, _, err) = run(&["validate", "--env", "stagin"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown environment `stagin`"), "{err}");
    assert!(err.contains("did you mean `staging`?"), "{err}");
    let (code, out, err) = run(&["validate", "--env", "staging", "--today", "2026-01-01"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("(environment `staging`, namespace freshplan-staging)"),
        "{out}"
    );
    let (code, out, err) = run(&["render", "--env", "staging", "--out", "stg"]);
    assert_eq!(code, 0, "{err}{out}");
    let kustomization = fs_err::read_to_string(dir.path().join("stg/kustomization.yaml")).unwrap();
    assert!(kustomization.contains("namespace: \"freshplan-staging\""));
    let (code, out, _) = run(&["render", "--check", "--out", "stg"]);
    assert_eq!(code, 1, "the base differs from staging");
    let hint = out.lines().last().unwrap();
    assert!(
        hint.ends_with(&format!("files differ in stg; run `scalegen render --config {config} --calendars {calendars} --out stg` and commit the result")),
        "{hint}"
    );
    let (code, out, _) = run(&["render", "--check", "--env", "staging", "--out", "stg"]);
    assert_eq!(code, 0, "{out}");
}

// ------------------------------------------------------------------ dated entries

#[test]
fn dated_recurrences_count_the_hours_the_compiled_triggers_fire_outside_the_dates() {
    use scalegen::report::recurrence::dated_recurrences;
    let (model, schedule, _) = crate::support::render_default();
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let found = dated_recurrences(&model, &schedule, day("2026-01-01")).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let r = &found[0];
    assert_eq!(r.entry_id, "black-week-2027");
    // Floors open 06:55 (prescale_lead 5m) until 21:00 on 2026-11-22..26: 5 × 14 h 5 min
    // in every floored territory.
    assert_eq!(
        r.minutes,
        [("CH".to_string(), 5 * 845), ("DE".to_string(), 5 * 845)]
    );
    assert_eq!(r.years, [2026]);
    assert_eq!(r.summary(), "70.4 h in 2026, before them (CH, DE)");
    let after = dated_recurrences(&model, &schedule, day("2027-06-01")).unwrap();
    assert_eq!(after[0].years, [2028], "{after:?}");
    assert!(
        dated_recurrences(&model, &schedule, day("2029-01-01")).unwrap()[0].years == [2029, 2030]
    );

    // A midnight-crossing campaign: 18:00-02:00 on five days, 8 h each.
    let eco = load(&fixture("ecosystem"));
    let (schedule, _) = render(&eco);
    let found = dated_recurrences(&eco, &schedule, day("2026-01-01")).unwrap();
    assert_eq!(found[0].entry_id, "sinterklaas-2027");
    assert_eq!(
        found[0].minutes,
        [("BE".to_string(), 40 * 60), ("NL".to_string(), 40 * 60)]
    );
}

#[test]
fn validate_warns_about_dated_recurrences_and_explain_names_them() {
    let root = crate::support::root();
    let (code, out, err) = scalegen_in(root, &["validate", "--today", "2026-01-01"], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("ok: "), "{out}");
    assert!(
        err.contains("warning: campaign `black-week-2027` also pre-scales outside its dates 2027-11-22 – 2027-11-26: 70.4 h in 2026, before them (CH, DE)"),
        "{err}"
    );
    assert!(err.contains("--> calendars/campaigns.toml:7:6"), "{err}");
    assert!(err.contains("cron has no year"), "{err}");
    let (code, _, err) = scalegen_in(
        root,
        &["validate", "--today", "2026-01-01", "--deny-warnings"],
        None,
    );
    assert_eq!(code, 2, "{err}");

    let explain = |at: &str| {
        let (code, out, err) = scalegen_in(
            root,
            &[
                "explain",
                "--at",
                at,
                "--territory",
                "DE",
                "--workload",
                "queries",
                "--format",
                "json",
            ],
            None,
        );
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["deployments"][0]["deciding"][0].clone()
    };
    let outside = explain("2026-11-23T10:00");
    assert_eq!(outside["entry_id"], "black-week-2027");
    let note = outside["note"].as_str().expect("a note outside the dates");
    assert!(
        note.contains("cron has no year") && note.contains("2027-11-22 – 2027-11-26"),
        "{note}"
    );
    let inside = explain("2027-11-23T10:00");
    assert_eq!(inside["entry_id"], "black-week-2027");
    assert!(inside["note"].is_null(), "{inside}");
    let (_, text, _) = scalegen_in(
        root,
        &["explain", "--at", "2026-11-23T10:00", "--territory", "DE"],
        None,
    );
    assert!(
        text.contains("      note: active because cron has no year"),
        "{text}"
    );
}
