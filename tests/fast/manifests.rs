//! Behaviour of the rendered Kubernetes manifests (SPEC §3, §4) on the default FreshFoodz
//! configuration: what every Deployment, Service, PodDisruptionBudget, ScaledObject and the
//! PodMonitor must say, read back from the rendered YAML rather than from the templates.

use crate::support::{
    default_model, file, render_default, render_schedule as render, yaml_documents as documents,
};
use scalegen::config::model::{EntryKind, Model};
use scalegen::render::file::RenderedFile;
use scalegen::schedule::{CronTrigger, DeploymentSchedule, Schedule};
use serde_yaml::Value;

/// `v[a][b]…`, panicking with the path when a key is missing.
fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, key| {
        let next = match key.parse::<usize>() {
            Ok(i) => v.get(i),
            Err(_) => v.get(key),
        };
        next.unwrap_or_else(|| panic!("missing `{key}` of `{path}` in {v:?}"))
    })
}

fn str_at<'a>(v: &'a Value, path: &str) -> &'a str {
    at(v, path)
        .as_str()
        .unwrap_or_else(|| panic!("`{path}` is not a string: {:?}", at(v, path)))
}

/// A label value: label keys contain dots, so they are looked up whole.
fn label<'a>(labels: &'a Value, key: &str) -> &'a str {
    labels
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("label `{key}` missing or not a string in {labels:?}"))
}

fn u64_at(v: &Value, path: &str) -> u64 {
    at(v, path)
        .as_u64()
        .unwrap_or_else(|| panic!("`{path}` is not an integer: {:?}", at(v, path)))
}

fn seq<'a>(v: &'a Value, path: &str) -> &'a Vec<Value> {
    at(v, path)
        .as_sequence()
        .unwrap_or_else(|| panic!("`{path}` is not a list"))
}

/// Every (territory code, workload name, object name) of the model.
fn targets(model: &Model) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for t in &model.territories {
        for w in &model.workloads {
            out.push((
                t.code.clone(),
                w.name.clone(),
                model.deployment_name(t, &w.name),
            ));
        }
    }
    out
}

fn assert_labels(v: &Value, app: &str, territory: &str, workload: &str) {
    assert_eq!(label(v, "app.kubernetes.io/name"), app);
    assert_eq!(label(v, "app.kubernetes.io/component"), workload);
    assert_eq!(label(v, "app.kubernetes.io/managed-by"), "scalegen");
    assert_eq!(str_at(v, "territory"), territory);
    assert_eq!(str_at(v, "workload"), workload);
}

fn label_map(v: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v
        .as_mapping()
        .expect("labels are a mapping")
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().unwrap().to_string(),
                v.as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn one_deployment_and_one_scaledobject_per_territory_and_workload() {
    let (model, _, files) = render_default();
    for (_, _, name) in targets(&model) {
        for dir in ["deployments", "keda"] {
            let f = file(&files, &format!("{dir}/{name}.yaml"));
            assert!(
                f.kustomize,
                "{} must be listed in kustomization.yaml",
                f.path
            );
            assert_eq!(name, name.to_ascii_lowercase(), "names are lower case");
        }
    }
    let count = |dir: &str| files.iter().filter(|f| f.path.starts_with(dir)).count();
    assert_eq!(
        count("deployments/"),
        model.territories.len() * model.workloads.len()
    );
    assert_eq!(
        count("keda/"),
        model.territories.len() * model.workloads.len()
    );
    assert!(file(&files, "monitoring/podmonitor.yaml").kustomize);
}

#[test]
fn deployments_leave_replicas_to_keda_and_carry_labels_and_selectors() {
    let (model, _, files) = render_default();
    let app = model.app.name.as_str();
    for (territory, workload, name) in targets(&model) {
        let docs = documents(&file(&files, &format!("deployments/{name}.yaml")).contents);
        let kinds: Vec<&str> = docs.iter().map(|d| str_at(d, "kind")).collect();
        assert_eq!(kinds, ["Deployment", "Service", "PodDisruptionBudget"]);
        for doc in &docs {
            assert_eq!(str_at(doc, "metadata.name"), name);
            assert_eq!(str_at(doc, "metadata.namespace"), model.app.namespace);
            assert_labels(at(doc, "metadata.labels"), app, &territory, &workload);
        }
        let (deployment, service, pdb) = (&docs[0], &docs[1], &docs[2]);
        assert!(
            at(deployment, "spec").get("replicas").is_none(),
            "{name} sets replicas"
        );
        assert_labels(
            at(deployment, "spec.template.metadata.labels"),
            app,
            &territory,
            &workload,
        );

        let selector = vec![
            ("app.kubernetes.io/name".to_string(), app.to_string()),
            ("territory".to_string(), territory.clone()),
            ("workload".to_string(), workload.clone()),
        ];
        assert_eq!(
            label_map(at(deployment, "spec.selector.matchLabels")),
            selector
        );
        assert_eq!(label_map(at(service, "spec.selector")), selector);
        assert_eq!(label_map(at(pdb, "spec.selector.matchLabels")), selector);
        let spread = &seq(deployment, "spec.template.spec.topologySpreadConstraints")[0];
        assert_eq!(str_at(spread, "topologyKey"), "topology.kubernetes.io/zone");
        assert_eq!(u64_at(spread, "maxSkew"), 1);
        assert_eq!(str_at(spread, "whenUnsatisfiable"), "ScheduleAnyway");
        assert_eq!(label_map(at(spread, "labelSelector.matchLabels")), selector);

        assert_eq!(str_at(pdb, "apiVersion"), "policy/v1");
        assert_eq!(u64_at(pdb, "spec.maxUnavailable"), 1);
    }
}

#[test]
fn pods_run_under_restricted_pod_security_with_a_writable_tmp() {
    let (model, _, files) = render_default();
    for (_, _, name) in targets(&model) {
        let docs = documents(&file(&files, &format!("deployments/{name}.yaml")).contents);
        let pod = at(&docs[0], "spec.template.spec");
        assert_eq!(at(pod, "securityContext.runAsNonRoot"), &Value::Bool(true));
        assert_eq!(
            str_at(pod, "securityContext.seccompProfile.type"),
            "RuntimeDefault"
        );
        let containers = seq(pod, "containers");
        assert_eq!(containers.len(), 1);
        let c = &containers[0];
        assert_eq!(at(c, "securityContext.runAsNonRoot"), &Value::Bool(true));
        assert_eq!(
            at(c, "securityContext.allowPrivilegeEscalation"),
            &Value::Bool(false)
        );
        assert_eq!(
            at(c, "securityContext.readOnlyRootFilesystem"),
            &Value::Bool(true)
        );
        assert_eq!(
            seq(c, "securityContext.capabilities.drop"),
            &[Value::from("ALL")]
        );

        let mount = seq(c, "volumeMounts")
            .iter()
            .find(|m| str_at(m, "mountPath") == "/tmp")
            .unwrap_or_else(|| panic!("{name}: nothing mounted at /tmp"));
        let volume = seq(pod, "volumes")
            .iter()
            .find(|v| str_at(v, "name") == str_at(mount, "name"))
            .unwrap_or_else(|| panic!("{name}: /tmp volume missing"));
        assert!(
            volume.get("emptyDir").is_some(),
            "{name}: /tmp is not an emptyDir"
        );
    }
}

#[test]
fn containers_expose_the_workload_port_tags_and_resources() {
    let (model, _, files) = render_default();
    for t in &model.territories {
        for w in &model.workloads {
            let name = model.deployment_name(t, &w.name);
            let docs = documents(&file(&files, &format!("deployments/{name}.yaml")).contents);
            let c = &seq(&docs[0], "spec.template.spec.containers")[0];
            assert_eq!(str_at(c, "image"), model.app.image);
            let port = &seq(c, "ports")[0];
            assert_eq!(str_at(port, "name"), "http");
            assert_eq!(u64_at(port, "containerPort"), u64::from(w.port));
            let env: Vec<(&str, &str)> = seq(c, "env")
                .iter()
                .map(|e| (str_at(e, "name"), str_at(e, "value")))
                .collect();
            assert!(env.contains(&("TERRITORY", t.code.as_str())), "{env:?}");
            assert!(env.contains(&("WORKLOAD", w.name.as_str())), "{env:?}");
            assert_eq!(str_at(c, "resources.requests.cpu"), w.requests.cpu);
            assert_eq!(str_at(c, "resources.requests.memory"), w.requests.memory);
            assert_eq!(str_at(c, "resources.limits.cpu"), w.limits.cpu);
            assert_eq!(str_at(c, "resources.limits.memory"), w.limits.memory);
            for probe in ["readinessProbe", "livenessProbe"] {
                assert_eq!(str_at(c, &format!("{probe}.httpGet.port")), "http");
                assert!(str_at(c, &format!("{probe}.httpGet.path")).starts_with("/q/health/"));
            }

            let service = &docs[1];
            assert_eq!(str_at(service, "spec.type"), "ClusterIP");
            let sp = &seq(service, "spec.ports")[0];
            assert_eq!(str_at(sp, "name"), "http");
            assert_eq!(u64_at(sp, "port"), u64::from(w.port));
            assert_eq!(str_at(sp, "targetPort"), "http");
        }
    }
}

/// The ScaledObject of (territory, workload) parsed back.
fn scaledobject(files: &[RenderedFile], name: &str) -> Value {
    let docs = documents(&file(files, &format!("keda/{name}.yaml")).contents);
    assert_eq!(docs.len(), 1);
    docs.into_iter().next().unwrap()
}

fn triggers_of_type<'a>(so: &'a Value, kind: &str) -> Vec<&'a Value> {
    seq(so, "spec.triggers")
        .iter()
        .filter(|t| str_at(t, "type") == kind)
        .collect()
}

#[test]
fn scaledobjects_bound_replicas_and_scale_on_throughput_and_latency() {
    let (model, _, files) = render_default();
    for t in &model.territories {
        for w in &model.workloads {
            let bounds = t.workload(&w.name).unwrap();
            let name = model.deployment_name(t, &w.name);
            let so = scaledobject(&files, &name);
            assert_eq!(str_at(&so, "apiVersion"), "keda.sh/v1alpha1");
            assert_eq!(str_at(&so, "metadata.namespace"), model.app.namespace);
            assert_labels(
                at(&so, "metadata.labels"),
                &model.app.name,
                &t.code,
                &w.name,
            );
            assert_eq!(str_at(&so, "spec.scaleTargetRef.kind"), "Deployment");
            assert_eq!(str_at(&so, "spec.scaleTargetRef.name"), name);
            assert_eq!(u64_at(&so, "spec.minReplicaCount"), u64::from(bounds.min));
            assert_eq!(u64_at(&so, "spec.maxReplicaCount"), u64::from(bounds.max));
            let behavior = at(&so, "spec.advanced.horizontalPodAutoscalerConfig.behavior");
            assert_eq!(
                u64_at(behavior, "scaleDown.stabilizationWindowSeconds"),
                w.scale_down_window.seconds
            );
            assert_eq!(u64_at(behavior, "scaleUp.stabilizationWindowSeconds"), 0);
            assert_eq!(str_at(behavior, "scaleUp.selectPolicy"), "Max");
            assert!(!seq(behavior, "scaleUp.policies").is_empty());

            let prom = triggers_of_type(&so, "prometheus");
            assert_eq!(
                prom.len(),
                2,
                "{name}: expected exactly two prometheus triggers"
            );
            let selector = format!(
                r#"{{namespace="{}",territory="{}",workload="{}"}}"#,
                model.app.namespace, t.code, w.name
            );
            let (throughput, latency) = (prom[0], prom[1]);
            assert_eq!(str_at(throughput, "metricType"), "AverageValue");
            assert_eq!(
                str_at(throughput, "metadata.query"),
                format!("sum(rate(http_server_requests_seconds_count{selector}[2m]))")
            );
            let rps = str_at(throughput, "metadata.threshold");
            assert_eq!(rps.parse::<f64>().unwrap(), bounds.rps_per_replica);
            assert!(
                !rps.contains('e') && !rps.ends_with(".0"),
                "noisy threshold {rps}"
            );

            assert_eq!(str_at(latency, "metricType"), "Value");
            let query = str_at(latency, "metadata.query");
            assert!(
                query.contains(&format!(
                    "histogram_quantile(0.95, sum by (le) (rate(http_server_requests_seconds_bucket{selector}[2m])))"
                )),
                "{query}"
            );
            let p95 = str_at(latency, "metadata.threshold");
            assert_eq!(
                p95.parse::<f64>().unwrap(),
                f64::from(bounds.p95_ms) / 1000.0
            );
            assert!(
                !p95.ends_with('0') || !p95.contains('.'),
                "noisy threshold {p95}"
            );
            for trig in prom {
                assert_eq!(
                    str_at(trig, "metadata.serverAddress"),
                    model.app.prometheus_url
                );
            }
        }
    }
}

#[test]
fn latency_thresholds_follow_the_resolved_p95_targets() {
    let (model, _, files) = render_default();
    let threshold = |code: &str, workload: &str| {
        let t = model.territory(code).unwrap();
        let so = scaledobject(&files, &model.deployment_name(t, workload));
        str_at(triggers_of_type(&so, "prometheus")[1], "metadata.threshold").to_string()
    };
    // DE has no territory target: the workload targets apply; CH and AT override them.
    assert_eq!(threshold("DE", "queries"), "0.3");
    assert_eq!(threshold("DE", "commands"), "0.35");
    assert_eq!(threshold("CH", "queries"), "0.35");
    assert_eq!(threshold("AT", "commands"), "0.4");
}

/// The cron triggers of a rendered ScaledObject as (name, timezone, start, end, desiredReplicas).
fn cron_triggers(so: &Value) -> Vec<[String; 5]> {
    triggers_of_type(so, "cron")
        .into_iter()
        .map(|t| {
            [
                "name",
                "metadata.timezone",
                "metadata.start",
                "metadata.end",
                "metadata.desiredReplicas",
            ]
            .map(|k| str_at(t, k).to_string())
        })
        .collect()
}

fn expected_cron(d: &DeploymentSchedule) -> Vec<[String; 5]> {
    d.triggers
        .iter()
        .map(|c| {
            [
                c.name.clone(),
                d.timezone.clone(),
                c.start.clone(),
                c.end.clone(),
                c.desired_replicas.to_string(),
            ]
        })
        .collect()
}

#[test]
fn cron_triggers_and_fallback_equal_the_compiled_schedule() {
    let (model, schedule, files) = render_default();
    for (territory, workload, name) in targets(&model) {
        let so = scaledobject(&files, &name);
        let (expected, fallback) = match schedule.deployment(&territory, &workload) {
            Some(d) => (expected_cron(d), d.highest_floor()),
            None => (
                Vec::new(),
                model
                    .territory(&territory)
                    .unwrap()
                    .workload(&workload)
                    .unwrap()
                    .min,
            ),
        };
        assert_eq!(cron_triggers(&so), expected, "{name}");
        assert_eq!(
            u64_at(&so, "spec.fallback.replicas"),
            u64::from(fallback),
            "{name}"
        );
        assert_eq!(u64_at(&so, "spec.fallback.failureThreshold"), 3);
    }
}

fn trigger(name: &str, start: &str, end: &str, desired: u32) -> CronTrigger {
    CronTrigger {
        name: name.to_string(),
        start: start.to_string(),
        end: end.to_string(),
        desired_replicas: desired,
        entry_kind: EntryKind::Season,
        entry_id: "oktoberfest".to_string(),
    }
}

/// A schedule with triggers for DE.queries only, independent of the compile stage.
fn hand_schedule(model: &Model) -> Schedule {
    let de = model.territory("DE").unwrap();
    let bounds = de.workload("queries").unwrap();
    Schedule {
        deployments: vec![DeploymentSchedule {
            territory: "DE".to_string(),
            workload: "queries".to_string(),
            name: model.deployment_name(de, "queries"),
            timezone: de.timezone_name.clone(),
            min: bounds.min,
            max: bounds.max,
            triggers: vec![
                trigger("season-oktoberfest-1", "0 8 1-31 9 *", "0 20 1-31 9 *", 6),
                trigger("season-oktoberfest-2", "0 8 1-15 10 *", "0 20 1-15 10 *", 5),
            ],
        }],
        expiries: Vec::new(),
    }
}

#[test]
fn hand_built_cron_triggers_render_verbatim_as_strings() {
    let model = default_model();
    let schedule = hand_schedule(&model);
    let files = render(&model, &schedule);
    let de = model.territory("DE").unwrap();
    let name = model.deployment_name(de, "queries");
    let so = scaledobject(&files, &name);
    assert_eq!(cron_triggers(&so), expected_cron(&schedule.deployments[0]));
    assert_eq!(u64_at(&so, "spec.fallback.replicas"), 6);
    // KEDA's trigger metadata is map[string]string: every value is a quoted YAML string.
    let text = &file(&files, &format!("keda/{name}.yaml")).contents;
    assert!(text.contains(r#"desiredReplicas: "6""#), "{text}");
    assert!(text.contains(r#"start: "0 8 1-31 9 *""#), "{text}");
    // A deployment without triggers in the schedule falls back to its min.
    let at_queries = scaledobject(
        &files,
        &model.deployment_name(model.territory("AT").unwrap(), "queries"),
    );
    assert!(cron_triggers(&at_queries).is_empty());
    assert_eq!(u64_at(&at_queries, "spec.fallback.replicas"), 1);
}

/// Reads the PromQL double-quoted string starting at `s[0] == '"'`; returns its value.
fn read_promql_string(s: &str) -> String {
    let mut chars = s.chars();
    assert_eq!(chars.next(), Some('"'));
    let mut out = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return out,
            '\\' => match chars.next().expect("dangling escape") {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
                }
                c => out.push(c),
            },
            c => out.push(c),
        }
    }
    panic!("unterminated PromQL string in {s}")
}

#[test]
fn promql_label_values_cannot_break_out_of_their_strings() {
    let mut model = default_model();
    let nasty = "fresh\"} or vector(1e9) # \\\"\n\tplan";
    model.app.namespace = nasty.to_string();
    let schedule = scalegen::schedule::compile::compile(&model);
    let files = render(&model, &schedule);
    for (_, _, name) in targets(&model) {
        let so = scaledobject(&files, &name);
        for trig in triggers_of_type(&so, "prometheus") {
            let query = str_at(trig, "metadata.query");
            let start = query.find("namespace=").expect("namespace matcher") + "namespace=".len();
            assert_eq!(read_promql_string(&query[start..]), nasty, "{query}");
            assert_eq!(query.matches("vector(1e9)").count(), 1);
            assert!(query.contains(r#",territory=""#), "{query}");
        }
    }
    assert_eq!(
        scalegen::render::promql::promql_string("a\"b\\c\nd"),
        r#""a\"b\\c\nd""#
    );
}

#[test]
fn yaml_special_values_stay_strings() {
    let mut model = default_model();
    // `NO` is a YAML 1.1 boolean, `0800` an octal; Kubernetes reads YAML 1.1.
    model.territories[0].code = "NO".to_string();
    model.app.image = "0800".to_string();
    let files = render(&model, &Schedule::default());
    let name = model.deployment_name(&model.territories[0], &model.workloads[0].name);
    let text = &file(&files, &format!("deployments/{name}.yaml")).contents;
    assert!(text.contains(r#"territory: "NO""#), "{text}");
    assert!(text.contains(r#"image: "0800""#), "{text}");
}

#[test]
fn podmonitor_scrapes_every_pod_of_the_app_with_territory_and_workload() {
    let (model, _, files) = render_default();
    let docs = documents(&file(&files, "monitoring/podmonitor.yaml").contents);
    assert_eq!(docs.len(), 1);
    let pm = &docs[0];
    assert_eq!(str_at(pm, "apiVersion"), "monitoring.coreos.com/v1");
    assert_eq!(str_at(pm, "kind"), "PodMonitor");
    assert_eq!(str_at(pm, "metadata.namespace"), model.app.namespace);
    assert_eq!(
        label_map(at(pm, "spec.selector.matchLabels")),
        vec![
            (
                "app.kubernetes.io/managed-by".to_string(),
                "scalegen".to_string()
            ),
            ("app.kubernetes.io/name".to_string(), model.app.name.clone()),
        ]
    );
    assert_eq!(
        seq(pm, "spec.namespaceSelector.matchNames"),
        &[Value::from(model.app.namespace.as_str())]
    );
    assert_eq!(
        seq(pm, "spec.podTargetLabels"),
        &[Value::from("territory"), Value::from("workload")]
    );
    let endpoint = &seq(pm, "spec.podMetricsEndpoints")[0];
    assert_eq!(str_at(endpoint, "port"), "http");
    assert_eq!(str_at(endpoint, "path"), "/q/metrics");

    // The PodMonitor selects the pods of every deployment.
    for (_, _, name) in targets(&model) {
        let docs = documents(&file(&files, &format!("deployments/{name}.yaml")).contents);
        let pod_labels = at(&docs[0], "spec.template.metadata.labels");
        for (k, v) in label_map(at(pm, "spec.selector.matchLabels")) {
            assert_eq!(label(pod_labels, &k), v);
        }
    }
}

#[test]
fn rendering_is_deterministic() {
    let model = default_model();
    let schedule = scalegen::schedule::compile::compile(&model);
    let first = render(&model, &schedule);
    let second = render(&model, &schedule);
    assert_eq!(first, second);
    let hand = hand_schedule(&model);
    assert_eq!(render(&model, &hand), render(&model, &hand));
}
