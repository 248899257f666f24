//! Rules as values: the alerting rule, its group, its annotations (text with label
//! references) and how the promtool tests provoke it.

use crate::config::model::PromDuration;

use super::AlertSpec;

/// A piece of an annotation: literal text or a reference to a label of the alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text (free text allowed; made template-inert when rendered).
    Text(String),
    /// `{{ $labels.NAME }}`, expanded by Prometheus.
    Label(&'static str),
}

/// An annotation value: literal text with optional label references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation(pub Vec<Piece>);

impl Annotation {
    /// An annotation of literal text only.
    pub(super) fn text(s: impl Into<String>) -> Self {
        Annotation(vec![Piece::Text(s.into())])
    }

    /// The Go template Prometheus expands: text is made inert, label references stay.
    pub fn template(&self) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => go_template_text(t),
                Piece::Label(l) => format!("{{{{ $labels.{l} }}}}"),
            })
            .collect()
    }

    /// What Prometheus shows for an alert with `labels` (the expanded template).
    pub fn expand(&self, labels: &[(String, String)]) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.clone(),
                Piece::Label(l) => labels
                    .iter()
                    .find(|(k, _)| k == l)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| "<no value>".to_string()),
            })
            .collect()
    }
}

/// How the unit tests provoke (and silence) a rule; the thresholds come from the config.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    /// p95 of a deployment's histogram compared with `threshold_ms`.
    Latency {
        /// Territory code.
        territory: String,
        /// Workload name.
        workload: String,
        /// Threshold in milliseconds.
        threshold_ms: u32,
    },
    /// HPA replicas against max while p95 is over `target_ms`.
    Capacity {
        /// Territory code.
        territory: String,
        /// Workload name.
        workload: String,
        /// HPA name (`keda-hpa-{deployment}`).
        hpa: String,
        /// `maxReplicaCount`.
        max: u32,
        /// p95 target in milliseconds.
        target_ms: u32,
    },
    /// A label-less gauge compared with `threshold` (`> threshold` fires).
    Gauge {
        /// Metric name.
        metric: &'static str,
        /// Labels of the test series.
        labels: Vec<(String, String)>,
        /// Threshold as written in the rule.
        threshold: f64,
        /// A value just above the threshold.
        above: f64,
    },
    /// Traffic under an active seasonal floor.
    PrescaleIdle {
        /// Territory code.
        territory: String,
        /// Workload name.
        workload: String,
        /// ScaledObject name.
        scaled_object: String,
        /// The floor the test's cron trigger asks for (> min).
        floor: u32,
        /// Requests per second that fire: below this, the alert fires.
        idle_below_rps: f64,
    },
    /// KEDA scaler error counter of a ScaledObject.
    ScalerErrors {
        /// Error counter metric of the configured KEDA version.
        metric: &'static str,
        /// ScaledObject name.
        scaled_object: String,
        /// Trigger name used in the test series.
        scaler: String,
    },
    /// `time()` past a unix instant.
    Expiry {
        /// Unix seconds after which the alert fires.
        unix: i64,
    },
}

/// One alerting rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The alert this rule raises.
    pub spec: &'static AlertSpec,
    /// PromQL expression (label values escaped).
    pub expr: String,
    /// `for:` duration, if any.
    pub hold: Option<PromDuration>,
    /// Labels in output order: `severity`, `namespace`, then the scope labels.
    pub labels: Vec<(String, String)>,
    /// `summary` annotation.
    pub summary: Annotation,
    /// `description` annotation.
    pub description: Annotation,
    /// `runbook_url` annotation (literal).
    pub runbook_url: String,
    /// Territory code, when the rule is about one territory.
    pub territory: Option<String>,
    /// Workload name, when the rule is about one deployment.
    pub workload: Option<String>,
    /// The threshold in words, for the runbook (`300 ms`, `70 %`).
    pub threshold: String,
    /// How the unit tests provoke the rule.
    pub probe: Probe,
}

/// One rule group of the PrometheusRule.
#[derive(Debug, Clone)]
pub struct Group {
    /// Group name.
    pub name: &'static str,
    /// Rules, in model order.
    pub rules: Vec<Rule>,
}

/// Free text made inert inside a Go template (Prometheus annotations): every `{` becomes
/// the action `{{ "{" }}`, which prints a `{`, so no `{{` can start an action.
pub fn go_template_text(s: &str) -> String {
    s.replace('{', "{{ \"{\" }}")
}
