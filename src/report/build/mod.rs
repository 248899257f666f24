//! `check-build`: the broken references of a final kustomize build (SPEC §9).
//!
//! kustomize rewrites the names and namespaces it knows, in the fields it knows. What it
//! cannot see — a namespace or a ScaledObject's name inside PromQL, a PodMonitor's
//! `namespaceSelector`, label selectors that no longer meet their pods — stays as scalegen
//! rendered it, and an overlay that changes it builds fine but scales and alerts on the
//! wrong thing. This reads the build (multi-document YAML, as `kubectl kustomize` prints
//! it) and reports every such reference, independent of the configuration that rendered it:
//!
//! - a ScaledObject's `scaleTargetRef` naming no object of that kind in its namespace;
//! - a PromQL `namespace="…"` (ScaledObject prometheus triggers, PrometheusRule expressions,
//!   Grafana dashboards in ConfigMaps) other than the object's own namespace;
//! - PrometheusRule expressions naming a ScaledObject the namespace does not have: its HPA
//!   (`horizontalpodautoscaler="keda-hpa-…"`) or KEDA's `scaledObject="…"` series;
//! - a PodMonitor whose `namespaceSelector` selects another namespace, or whose selector
//!   meets no pod template there;
//! - a Service or PodDisruptionBudget whose selector meets no pod template in its namespace.

pub mod matchers;

use matchers::{matchers, Matcher};
use serde::Deserialize as _;
use serde_yaml::Value;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// The prefix KEDA gives the HPA it creates for a ScaledObject.
const KEDA_HPA_PREFIX: &str = "keda-hpa-";

/// One object of the build.
#[derive(Debug, Clone)]
pub struct Object {
    /// `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, when set.
    pub namespace: Option<String>,
    /// The whole document.
    pub doc: Value,
}

impl Object {
    fn id(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// What kind of reference is broken (each kind has its own hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Broken {
    /// A ScaledObject's target does not exist.
    ScaleTarget,
    /// PromQL or a PodMonitor selects another namespace.
    Namespace,
    /// Alerts name a ScaledObject (or its HPA) that does not exist.
    ScaledObjectName,
    /// A label selector meets no pods.
    Selector,
}

impl Broken {
    /// Whether this kind is reported as a warning rather than an error. SPEC §9 names the
    /// references a build must keep (scale targets, namespaces, selectors); a ScaledObject
    /// name inside PromQL is one that every `namePrefix`/`nameSuffix` overlay changes and no
    /// overlay can mend, so it is reported (those alerts and panels stay silent) without
    /// failing the build unless `--deny-warnings` asks for it.
    pub fn is_warning(self) -> bool {
        self == Broken::ScaledObjectName
    }
}

/// One broken reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `Kind namespace/name` of the object holding the reference.
    pub object: String,
    /// What is wrong.
    pub message: String,
    /// The kind of reference.
    pub broken: Broken,
}

/// Why a build cannot be checked at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub String);

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Kubernetes objects of a multi-document YAML text (`kind: List` items included).
pub fn objects(text: &str) -> Result<Vec<Object>, Unreadable> {
    let mut out = Vec::new();
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let value =
            Value::deserialize(doc).map_err(|e| Unreadable(format!("invalid YAML: {e}")))?;
        if value.is_null() {
            continue;
        }
        if value["kind"].as_str() == Some("List") {
            for item in value["items"].as_sequence().into_iter().flatten() {
                out.push(object(item.clone(), i + 1)?);
            }
        } else {
            out.push(object(value, i + 1)?);
        }
    }
    Ok(out)
}

fn object(doc: Value, index: usize) -> Result<Object, Unreadable> {
    let kind = doc["kind"].as_str().map(str::to_string);
    let name = doc["metadata"]["name"].as_str().map(str::to_string);
    let (Some(kind), Some(name)) = (kind, name) else {
        return Err(Unreadable(format!(
            "document {index} is not a Kubernetes object (no `kind` and `metadata.name`)"
        )));
    };
    let namespace = doc["metadata"]["namespace"].as_str().map(str::to_string);
    Ok(Object {
        kind,
        name,
        namespace,
        doc,
    })
}

/// Every broken reference of the build, in object order.
pub fn check(objects: &[Object]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for o in objects {
        match o.kind.as_str() {
            "ScaledObject" => scaled_object(o, objects, &mut problems),
            "PrometheusRule" => prometheus_rule(o, objects, &mut problems),
            "PodMonitor" => pod_monitor(o, objects, &mut problems),
            "Service" => {
                let selector = &o.doc["spec"]["selector"];
                selects_pods(o, selector, objects, &mut problems);
            }
            "PodDisruptionBudget" => {
                let selector = &o.doc["spec"]["selector"]["matchLabels"];
                selects_pods(o, selector, objects, &mut problems);
            }
            "ConfigMap" => dashboards(o, objects, &mut problems),
            _ => {}
        }
    }
    problems
}

fn problem(problems: &mut Vec<Problem>, o: &Object, broken: Broken, message: String) {
    problems.push(Problem {
        object: o.id(),
        message,
        broken,
    });
}

fn find<'a>(objects: &'a [Object], kind: &str, ns: Option<&str>, name: &str) -> Option<&'a Object> {
    objects
        .iter()
        .find(|x| x.kind == kind && x.name == name && x.namespace.as_deref() == ns)
}

fn scaled_object(o: &Object, objects: &[Object], problems: &mut Vec<Problem>) {
    let target = &o.doc["spec"]["scaleTargetRef"];
    let kind = target["kind"].as_str().unwrap_or("Deployment");
    let name = target["name"].as_str().unwrap_or_default();
    let ns = o.namespace.as_deref();
    if find(objects, kind, ns, name).is_none() {
        let elsewhere = objects
            .iter()
            .find(|x| x.kind == kind && x.name == name)
            .and_then(|x| x.namespace.as_deref())
            .map_or(String::new(), |n| {
                format!(" (the build has it in namespace `{n}`)")
            });
        let message = format!(
            "scaleTargetRef names {kind} `{name}`, which is not in namespace `{}`{elsewhere}",
            ns.unwrap_or("")
        );
        problem(problems, o, Broken::ScaleTarget, message);
    }
    for trigger in o.doc["spec"]["triggers"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        let query = trigger["metadata"]["query"].as_str().unwrap_or_default();
        let label = trigger["name"].as_str().unwrap_or("(unnamed)");
        for wrong in foreign_namespaces(&matchers(query), ns) {
            let message = format!(
                "namespace=\"{wrong}\" in trigger `{label}`, not the object's namespace `{}`",
                ns.unwrap_or("")
            );
            problem(problems, o, Broken::Namespace, message);
        }
    }
}

/// Namespaces an expression selects with `namespace="…"` other than `own` (none when the
/// object has no namespace: there is nothing to compare with).
fn foreign_namespaces(found: &[Matcher], own: Option<&str>) -> BTreeSet<String> {
    let Some(own) = own else {
        return BTreeSet::new();
    };
    found
        .iter()
        .filter(|m| m.label == "namespace" && m.op == "=" && m.value != own)
        .map(|m| m.value.clone())
        .collect()
}

fn prometheus_rule(o: &Object, objects: &[Object], problems: &mut Vec<Problem>) {
    let ns = o.namespace.as_deref();
    let mut namespaces: Vec<(String, Vec<String>)> = Vec::new();
    let mut missing: Vec<(String, Vec<String>)> = Vec::new();
    for rule in o.doc["spec"]["groups"]
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|g| g["rules"].as_sequence().into_iter().flatten())
    {
        let name = rule["alert"]
            .as_str()
            .or(rule["record"].as_str())
            .unwrap_or("?");
        let found = matchers(rule["expr"].as_str().unwrap_or_default());
        for wrong in foreign_namespaces(&found, ns) {
            tally(&mut namespaces, wrong, name);
        }
        for so in named_scaled_objects(&found) {
            if find(objects, "ScaledObject", ns, &so).is_none() {
                tally(&mut missing, so, name);
            }
        }
    }
    for (wrong, alerts) in namespaces {
        let message = format!(
            "namespace=\"{wrong}\" in {}, not the object's namespace `{}`",
            expressions(&alerts),
            ns.unwrap_or("")
        );
        problem(problems, o, Broken::Namespace, message);
    }
    for (so, alerts) in missing {
        let message = format!(
            "ScaledObject `{so}` (its HPA `{KEDA_HPA_PREFIX}{so}` or KEDA's series) in {} is not in namespace `{}`",
            expressions(&alerts),
            ns.unwrap_or("")
        );
        problem(problems, o, Broken::ScaledObjectName, message);
    }
}

/// ScaledObject names an expression selects: `scaledObject="x"` and the HPA `keda-hpa-x`.
fn named_scaled_objects(found: &[Matcher]) -> BTreeSet<String> {
    found
        .iter()
        .filter(|m| m.op == "=")
        .filter_map(|m| match m.label.as_str() {
            "scaledObject" => Some(m.value.clone()),
            "horizontalpodautoscaler" => m.value.strip_prefix(KEDA_HPA_PREFIX).map(str::to_string),
            _ => None,
        })
        .collect()
}

fn tally(list: &mut Vec<(String, Vec<String>)>, key: String, alert: &str) {
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some((_, alerts)) => alerts.push(alert.to_string()),
        None => list.push((key, vec![alert.to_string()])),
    }
}

/// `24 expressions (a, b, c and 4 more)`: how many rules, and the distinct names of some.
fn expressions(names: &[String]) -> String {
    let plural = if names.len() == 1 { "" } else { "s" };
    format!("{} expression{plural} ({})", names.len(), summary(names))
}

/// `a, b, c and 4 more` of the distinct names in `names`.
fn summary(names: &[String]) -> String {
    let mut distinct: Vec<&str> = Vec::new();
    for n in names {
        if !distinct.contains(&n.as_str()) {
            distinct.push(n);
        }
    }
    let shown = distinct.len().min(3);
    let mut text = distinct[..shown].join(", ");
    if distinct.len() > shown {
        let _ = write!(text, " and {} more", distinct.len() - shown);
    }
    text
}

fn pod_monitor(o: &Object, objects: &[Object], problems: &mut Vec<Problem>) {
    let own = o.namespace.as_deref();
    let selector = &o.doc["spec"]["namespaceSelector"];
    let names: Vec<&str> = selector["matchNames"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let foreign: Vec<&&str> = names.iter().filter(|n| Some(**n) != own).collect();
    for n in &foreign {
        let message = format!(
            "namespaceSelector selects namespace `{n}`, not the object's namespace `{}`",
            own.unwrap_or("")
        );
        problem(problems, o, Broken::Namespace, message);
    }
    // Pods in a namespace the monitor should not select are one problem, reported above.
    if !foreign.is_empty() || selector["any"].as_bool() == Some(true) {
        return;
    }
    let scope: Vec<Option<&str>> = if names.is_empty() {
        vec![own]
    } else {
        names.iter().map(|n| Some(*n)).collect()
    };
    let labels = &o.doc["spec"]["selector"]["matchLabels"];
    if !scope.iter().any(|ns| meets_pods(labels, *ns, objects)) {
        let message = format!(
            "selector {} meets no pod template in the namespaces it selects",
            show_labels(labels)
        );
        problem(problems, o, Broken::Selector, message);
    }
}

fn selects_pods(o: &Object, selector: &Value, objects: &[Object], problems: &mut Vec<Problem>) {
    if selector.as_mapping().is_none_or(|m| m.is_empty()) {
        return;
    }
    if !meets_pods(selector, o.namespace.as_deref(), objects) {
        let message = format!(
            "selector {} meets no pod template in namespace `{}`",
            show_labels(selector),
            o.namespace.as_deref().unwrap_or("")
        );
        problem(problems, o, Broken::Selector, message);
    }
}

/// Whether some workload's pod template in `ns` carries every label of `selector`.
fn meets_pods(selector: &Value, ns: Option<&str>, objects: &[Object]) -> bool {
    let Some(wanted) = selector.as_mapping() else {
        return true;
    };
    objects
        .iter()
        .filter(|x| x.namespace.as_deref() == ns)
        .filter(|x| matches!(x.kind.as_str(), "Deployment" | "StatefulSet" | "DaemonSet"))
        .any(|x| {
            let labels = &x.doc["spec"]["template"]["metadata"]["labels"];
            wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
        })
}

fn show_labels(labels: &Value) -> String {
    let pairs: Vec<String> = labels
        .as_mapping()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            format!(
                "{}={}",
                k.as_str().unwrap_or("?"),
                v.as_str().unwrap_or("?")
            )
        })
        .collect();
    format!("{{{}}}", pairs.join(","))
}

/// Grafana dashboards (JSON in a ConfigMap): every `expr` checked for foreign namespaces
/// and for ScaledObjects (or their HPAs) the namespace does not have.
fn dashboards(o: &Object, objects: &[Object], problems: &mut Vec<Problem>) {
    for (key, text) in o.doc["data"].as_mapping().into_iter().flatten() {
        let Ok(json) = serde_json::from_str::<serde_json::Value>(text.as_str().unwrap_or_default())
        else {
            continue;
        };
        let mut exprs = Vec::new();
        collect_exprs(&json, &mut exprs);
        let found: Vec<Matcher> = exprs.iter().flat_map(|e| matchers(e)).collect();
        let ns = o.namespace.as_deref();
        let dashboard = key.as_str().unwrap_or("?");
        for w in foreign_namespaces(&found, ns) {
            let message = format!(
                "namespace=\"{w}\" in dashboard `{dashboard}`, not the object's namespace `{}`",
                ns.unwrap_or("")
            );
            problem(problems, o, Broken::Namespace, message);
        }
        for so in named_scaled_objects(&found) {
            if find(objects, "ScaledObject", ns, &so).is_none() {
                let message = format!(
                    "ScaledObject `{so}` (its HPA `{KEDA_HPA_PREFIX}{so}` or KEDA's series) in dashboard `{dashboard}` is not in namespace `{}`",
                    ns.unwrap_or("")
                );
                problem(problems, o, Broken::ScaledObjectName, message);
            }
        }
    }
}

fn collect_exprs<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v.as_str()) {
                    ("expr", Some(e)) => out.push(e),
                    _ => collect_exprs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_exprs(v, out)),
        _ => {}
    }
}

/// One line per problem, a hint per kind of problem, and a summary line.
pub fn text(problems: &[Problem], objects: usize) -> String {
    let mut out = String::new();
    for p in problems {
        let level = if p.broken.is_warning() {
            "warning"
        } else {
            "error"
        };
        let _ = writeln!(out, "{level}: {}: {}", p.object, p.message);
    }
    let kinds: BTreeSet<Broken> = problems.iter().map(|p| p.broken).collect();
    for kind in kinds {
        let _ = writeln!(out, "  = help: {}", hint(kind));
    }
    if problems.is_empty() {
        let _ = writeln!(
            out,
            "check-build: no broken references in {objects} objects"
        );
    } else {
        let holders: BTreeSet<&str> = problems.iter().map(|p| p.object.as_str()).collect();
        let warnings = problems.iter().filter(|p| p.broken.is_warning()).count();
        let errors = problems.len() - warnings;
        let _ = writeln!(
            out,
            "check-build: {errors} broken reference{} and {warnings} warning{} in {} of {objects} objects",
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
            holders.len()
        );
    }
    out
}

fn hint(kind: Broken) -> &'static str {
    match kind {
        Broken::ScaleTarget => "the generated kustomization.yaml ships kustomizeconfig.yaml, which lets namePrefix/nameSuffix rename scaleTargetRef; keep its `configurations:` when you copy or patch the base",
        Broken::Namespace => "kustomize cannot rewrite a namespace inside PromQL or a namespaceSelector: add `[environments.NAME]` with that `namespace` and build the overlay on `scalegen render --env NAME --out DIR`",
        Broken::ScaledObjectName => "alerts select KEDA's HPA and series by ScaledObject name, which kustomize cannot rewrite inside PromQL: such alerts and panels stay silent; keep namePrefix/nameSuffix off the generated objects (rename with `app.name` instead) or patch the PrometheusRule and dashboard",
        Broken::Selector => "a label selector no longer meets its pods: an overlay changed the pod labels (commonLabels/labels) of some objects only, or dropped a Deployment",
    }
}
