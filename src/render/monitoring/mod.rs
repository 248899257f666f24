//! Monitoring artefacts (SPEC §6): the `PrometheusRule`, its promtool unit tests and the
//! postgres_exporter queries that feed the resilience alerts.
//!
//! Why one module builds all three: the alert thresholds, the series that must fire or
//! silence each alert in the unit tests, and the numbers the runbook prints must never
//! disagree. So every alerting rule is first computed here as a [`Rule`] value — its PromQL,
//! labels, annotations, the threshold in words and a [`Probe`] that says how to provoke it —
//! and the rule manifest, the test file and the runbook (`runbook.rs` reads [`catalog`]) are
//! all laid out from those values.
//!
//! Escaping, in the order text passes through it:
//! - PromQL label values are Go double-quoted strings ([`promql_string`]);
//! - annotations are Go templates that Prometheus expands, so free text (display names, the
//!   runbook URL) is made template-inert ([`go_template_text`]) and only the few label
//!   references this module writes itself stay templates ([`Piece::Label`]);
//! - the YAML templates quote every string on top of that (see `templates.rs`).
//!
//! Where the metrics come from:
//! - `http_server_requests_seconds_{bucket,count}`: Micrometer in the pods, with the
//!   `namespace`/`territory`/`workload` labels the PodMonitor adds;
//! - `kube_horizontalpodautoscaler_*`: kube-state-metrics, for the HPA KEDA creates
//!   (`keda-hpa-{scaledobject}`);
//! - `keda_scaler_*`: the KEDA operator. Its `namespace` label is left out of every selector
//!   (a ServiceMonitor without `honorLabels` renames it to `exported_namespace`); KEDA sets the
//!   `scaler` label to the trigger name and the `metric` label of a cron trigger to
//!   `s{index}-cron-{timezone}-{start}-{end}`, which is how cron triggers are told apart;
//! - `scaling_notify_*`, `scaling_journal_*`: [`exporter_queries`] below.

use crate::config::model::{Model, PromDuration, Territory, TerritoryWorkload, Workload};
use crate::render::engine::Renderer;
use crate::render::file::{RenderError, RenderedFile};
use crate::schedule::{Expiry, Schedule};
use serde::Serialize;

/// Path of the rule manifest in the output directory.
pub const RULE_FILE: &str = "monitoring/prometheusrule-scaling.yaml";
/// Path of the promtool unit tests (next to the rule manifest, which it names relatively).
pub const TEST_FILE: &str = "monitoring/prometheusrule-scaling.test.yaml";
/// Path of the postgres_exporter custom queries.
pub const EXPORTER_FILE: &str = "monitoring/postgres-exporter-queries.yaml";
/// Path of the Grafana dashboard ConfigMap.
pub const DASHBOARD_FILE: &str = "monitoring/grafana-dashboard.yaml";

/// p95 over the (territory, workload) target.
pub const P95_OVER_TARGET: &str = "ScalingP95OverTarget";
/// p95 over `alerts.emergency_p95_ms`.
pub const P95_EMERGENCY: &str = "ScalingP95Emergency";
/// Replicas at `max` while p95 is over target.
pub const AT_MAX_REPLICAS: &str = "ScalingAtMaxReplicas";
/// NOTIFY queue usage over `alerts.notify_queue_warning`.
pub const NOTIFY_QUEUE_WARNING: &str = "ScalingNotifyQueueWarning";
/// NOTIFY queue usage over `alerts.notify_queue_critical`.
pub const NOTIFY_QUEUE_CRITICAL: &str = "ScalingNotifyQueueCritical";
/// Oldest pending journal row older than `alerts.outbox_lag_seconds`.
pub const JOURNAL_LAG: &str = "ScalingJournalLag";
/// Journal rows that repeatedly fail to notify.
pub const JOURNAL_STUCK: &str = "ScalingJournalStuck";
/// Seasonal floor active but traffic far below its capacity.
pub const PRESCALE_IDLE: &str = "ScalingPrescaleIdle";
/// KEDA cannot read a trigger of a ScaledObject.
pub const KEDA_SCALER_ERRORS: &str = "ScalingKedaScalerErrors";
/// A dated calendar entry is past its last day (SPEC §4.2).
pub const CALENDAR_ENTRY_EXPIRED: &str = "ScalingCalendarEntryExpired";

/// postgres_exporter query name of the NOTIFY queue usage; metrics are `{query}_{column}`.
const NOTIFY_QUERY: &str = "scaling_notify";
/// postgres_exporter query name of the journal statistics.
const JOURNAL_QUERY: &str = "scaling_journal";
/// NOTIFY queue usage as a fraction of the queue (`pg_notification_queue_usage()`).
pub const NOTIFY_USAGE_METRIC: &str = "scaling_notify_queue_usage_ratio";
/// Pending journal rows per territory.
pub const JOURNAL_PENDING_METRIC: &str = "scaling_journal_pending";
/// Age of the oldest pending journal row per territory, in seconds.
pub const JOURNAL_OLDEST_METRIC: &str = "scaling_journal_oldest_pending_seconds";
/// Pending journal rows with `attempts >= 3` per territory.
pub const JOURNAL_STUCK_METRIC: &str = "scaling_journal_stuck";

/// Micrometer's request timer, as Prometheus names its histogram series.
pub const HTTP_METRIC: &str = "http_server_requests_seconds";
/// kube-state-metrics: current replicas of an HPA.
pub const HPA_CURRENT_METRIC: &str = "kube_horizontalpodautoscaler_status_current_replicas";
/// kube-state-metrics: `maxReplicas` of an HPA.
pub const HPA_MAX_METRIC: &str = "kube_horizontalpodautoscaler_spec_max_replicas";
/// KEDA operator: current value of each trigger's metric.
pub const KEDA_VALUE_METRIC: &str = "keda_scaler_metrics_value";
/// KEDA operator: whether each trigger is active.
pub const KEDA_ACTIVE_METRIC: &str = "keda_scaler_active";
/// Matches the `metric` label KEDA gives cron triggers (`s2-cron-Europe-Berlin-…`).
pub const KEDA_CRON_METRIC_REGEX: &str = "s[0-9]+-cron-.+";

/// Window of the `rate()` in the latency expressions (as in the ScaledObjects' queries).
const LATENCY_RATE_WINDOW: &str = "2m";
/// Window of the `rate()` in the traffic and error expressions.
const SLOW_RATE_WINDOW: &str = "5m";

/// Alert severity, the `severity` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Page on-call.
    Critical,
    /// Ticket / business hours.
    Warning,
    /// Informational (cost).
    Info,
}

impl Severity {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One alert name: what every rule with that name shares.
#[derive(Debug, Clone, Copy)]
pub struct AlertSpec {
    /// `alert:` name.
    pub name: &'static str,
    /// Rule group it belongs to.
    pub group: &'static str,
    /// `severity` label.
    pub severity: Severity,
    /// One-line meaning, used in the runbook's alert index.
    pub title: &'static str,
}

impl AlertSpec {
    /// The runbook anchor of the alert (its name in lower case, the heading's slug).
    pub fn anchor(&self) -> String {
        anchor(self.name)
    }
}

/// Every alert name scalegen can emit, in rule-file order. Each has a runbook section,
/// whether or not the current configuration produces a rule for it.
pub const ALERTS: &[AlertSpec] = &[
    AlertSpec {
        name: P95_OVER_TARGET,
        group: "scaling-performance",
        severity: Severity::Warning,
        title: "p95 latency over the deployment's target",
    },
    AlertSpec {
        name: P95_EMERGENCY,
        group: "scaling-emergency",
        severity: Severity::Critical,
        title: "p95 latency over the emergency threshold",
    },
    AlertSpec {
        name: AT_MAX_REPLICAS,
        group: "scaling-capacity",
        severity: Severity::Critical,
        title: "replicas at max while p95 is over target",
    },
    AlertSpec {
        name: NOTIFY_QUEUE_WARNING,
        group: "scaling-resilience",
        severity: Severity::Warning,
        title: "NOTIFY queue usage over the warning threshold",
    },
    AlertSpec {
        name: NOTIFY_QUEUE_CRITICAL,
        group: "scaling-resilience",
        severity: Severity::Critical,
        title: "NOTIFY queue usage over the critical threshold",
    },
    AlertSpec {
        name: JOURNAL_LAG,
        group: "scaling-resilience",
        severity: Severity::Critical,
        title: "oldest pending journal event older than the outbox lag limit",
    },
    AlertSpec {
        name: JOURNAL_STUCK,
        group: "scaling-resilience",
        severity: Severity::Warning,
        title: "journal events that repeatedly fail to notify",
    },
    AlertSpec {
        name: PRESCALE_IDLE,
        group: "scaling-cost",
        severity: Severity::Info,
        title: "seasonal floor active without the traffic it was planned for",
    },
    AlertSpec {
        name: KEDA_SCALER_ERRORS,
        group: "scaling-keda",
        severity: Severity::Warning,
        title: "KEDA fails to read a trigger of a ScaledObject",
    },
    AlertSpec {
        name: CALENDAR_ENTRY_EXPIRED,
        group: "scaling-calendar",
        severity: Severity::Warning,
        title: "a dated calendar entry is past its last day and must be removed",
    },
];

/// The spec of alert `name`.
pub fn spec(name: &str) -> &'static AlertSpec {
    ALERTS
        .iter()
        .find(|a| a.name == name)
        .expect("alert names come from ALERTS")
}

/// The runbook anchor of alert `name`: its name in lower case, which is also the
/// GitHub-style slug of a heading consisting of the name.
pub fn anchor(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// `{runbook_url}#{anchor}` of alert `name`.
pub fn runbook_link(model: &Model, name: &str) -> String {
    format!("{}#{}", model.app.runbook_url, anchor(name))
}

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
    fn text(s: impl Into<String>) -> Self {
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

/// Every rule of the model and schedule, grouped; groups without rules are left out.
pub fn catalog(model: &Model, schedule: &Schedule) -> Vec<Group> {
    let mut rules = Vec::new();
    let b = Builder { model };
    for (territory, workload, bounds) in deployments(model) {
        rules.push(b.p95_over_target(territory, workload, bounds));
    }
    for (territory, workload, bounds) in deployments(model) {
        rules.push(b.p95_emergency(territory, workload, bounds));
    }
    for (territory, workload, bounds) in deployments(model) {
        rules.push(b.at_max_replicas(territory, workload, bounds));
    }
    rules.push(b.notify_queue(NOTIFY_QUEUE_WARNING, model.alerts.notify_queue_warning));
    rules.push(b.notify_queue(NOTIFY_QUEUE_CRITICAL, model.alerts.notify_queue_critical));
    for territory in &model.territories {
        rules.push(b.journal_lag(territory));
    }
    for territory in &model.territories {
        rules.push(b.journal_stuck(territory));
    }
    for (territory, workload, bounds) in deployments(model) {
        rules.extend(b.prescale_idle(territory, workload, bounds));
    }
    for (territory, workload, _) in deployments(model) {
        rules.push(b.keda_errors(territory, workload));
    }
    for expiry in &schedule.expiries {
        rules.push(b.expired(expiry));
    }
    let mut groups: Vec<Group> = Vec::new();
    for rule in rules {
        match groups.iter_mut().find(|g| g.name == rule.spec.group) {
            Some(g) => g.rules.push(rule),
            None => groups.push(Group {
                name: rule.spec.group,
                rules: vec![rule],
            }),
        }
    }
    groups
}

/// Every (territory, workload, bounds) in model order.
fn deployments(model: &Model) -> impl Iterator<Item = (&Territory, &Workload, &TerritoryWorkload)> {
    model.territories.iter().flat_map(move |t| {
        model
            .workloads
            .iter()
            .filter_map(move |w| t.workload(&w.name).map(|b| (t, w, b)))
    })
}

struct Builder<'a> {
    model: &'a Model,
}

impl Builder<'_> {
    fn namespace(&self) -> &str {
        &self.model.app.namespace
    }

    fn rule(&self, name: &str, expr: String, hold: Option<PromDuration>) -> Rule {
        let spec = spec(name);
        Rule {
            spec,
            expr,
            hold,
            labels: vec![
                ("severity".into(), spec.severity.as_str().into()),
                ("namespace".into(), self.namespace().into()),
            ],
            summary: Annotation(Vec::new()),
            description: Annotation(Vec::new()),
            runbook_url: runbook_link(self.model, name),
            territory: None,
            workload: None,
            threshold: String::new(),
            probe: Probe::Expiry { unix: 0 },
        }
    }

    fn scoped(&self, mut rule: Rule, territory: &Territory, workload: Option<&Workload>) -> Rule {
        rule.labels
            .push(("territory".into(), territory.code.clone()));
        rule.territory = Some(territory.code.clone());
        if let Some(w) = workload {
            rule.labels.push(("workload".into(), w.name.clone()));
            rule.workload = Some(w.name.clone());
        }
        rule
    }

    fn deployment(&self, territory: &Territory, workload: &Workload) -> String {
        self.model.deployment_name(territory, &workload.name)
    }

    fn p95(&self, territory: &Territory, workload: &Workload) -> String {
        p95_expr(self.namespace(), &territory.code, &workload.name)
    }

    fn p95_over_target(&self, t: &Territory, w: &Workload, b: &TerritoryWorkload) -> Rule {
        let expr = format!("{} > {}", self.p95(t, w), seconds_from_ms(b.p95_ms));
        let mut rule = self.scoped(
            self.rule(P95_OVER_TARGET, expr, Some(minutes(5))),
            t,
            Some(w),
        );
        let name = self.deployment(t, w);
        rule.summary = Annotation::text(format!(
            "p95 latency of {name} is over its target of {} ms",
            b.p95_ms
        ));
        rule.description = Annotation::text(format!(
            "The 95th percentile response time of {} in {} ({}) has been over {} ms for 5 minutes. \
             KEDA's latency trigger should be adding replicas; check whether the deployment is \
             already at its maximum of {}.",
            w.name, t.name, t.code, b.p95_ms, b.max
        ));
        rule.threshold = format!("{} ms", b.p95_ms);
        rule.probe = Probe::Latency {
            territory: t.code.clone(),
            workload: w.name.clone(),
            threshold_ms: b.p95_ms,
        };
        rule
    }

    fn p95_emergency(&self, t: &Territory, w: &Workload, _b: &TerritoryWorkload) -> Rule {
        let ms = self.model.alerts.emergency_p95_ms;
        let expr = format!("{} > {}", self.p95(t, w), seconds_from_ms(ms));
        let mut rule = self.scoped(self.rule(P95_EMERGENCY, expr, Some(minutes(2))), t, Some(w));
        let name = self.deployment(t, w);
        rule.summary = Annotation::text(format!("p95 latency of {name} is over {ms} ms"));
        rule.description = Annotation::text(format!(
            "The 95th percentile response time of {} in {} ({}) has been over the emergency \
             threshold of {ms} ms for 2 minutes. Follow the emergency procedure in the runbook.",
            w.name, t.name, t.code
        ));
        rule.threshold = format!("{ms} ms");
        rule.probe = Probe::Latency {
            territory: t.code.clone(),
            workload: w.name.clone(),
            threshold_ms: ms,
        };
        rule
    }

    fn at_max_replicas(&self, t: &Territory, w: &Workload, b: &TerritoryWorkload) -> Rule {
        let name = self.deployment(t, w);
        let hpa = format!("keda-hpa-{name}");
        let hpa_labels = [
            ("namespace", self.namespace()),
            ("horizontalpodautoscaler", &hpa),
        ];
        let expr = format!(
            "(max({}) >= max({})) and on() ({} > {})",
            selector(HPA_CURRENT_METRIC, &hpa_labels),
            selector(HPA_MAX_METRIC, &hpa_labels),
            self.p95(t, w),
            seconds_from_ms(b.p95_ms)
        );
        let mut rule = self.scoped(
            self.rule(AT_MAX_REPLICAS, expr, Some(minutes(15))),
            t,
            Some(w),
        );
        rule.summary = Annotation::text(format!(
            "{name} is at its maximum of {} and still over its p95 target",
            replicas(b.max)
        ));
        rule.description = Annotation::text(format!(
            "{} in {} ({}) has run at its maximum of {} for 15 minutes while its p95 latency \
             stays over {} ms. Autoscaling cannot help any more: raise the maximum in \
             territories.toml or shed load.",
            w.name,
            t.name,
            t.code,
            replicas(b.max),
            b.p95_ms
        ));
        rule.threshold = format!("{} (max) and p95 > {} ms", replicas(b.max), b.p95_ms);
        rule.probe = Probe::Capacity {
            territory: t.code.clone(),
            workload: w.name.clone(),
            hpa,
            max: b.max,
            target_ms: b.p95_ms,
        };
        rule
    }

    fn notify_queue(&self, name: &str, threshold: f64) -> Rule {
        let critical = name == NOTIFY_QUEUE_CRITICAL;
        let expr = format!("max({NOTIFY_USAGE_METRIC}) > {}", decimal(threshold));
        let hold = if critical { minutes(1) } else { minutes(5) };
        let mut rule = self.rule(name, expr, Some(hold));
        let pct = percent(threshold);
        rule.summary = Annotation::text(format!("PostgreSQL NOTIFY queue is more than {pct} full"));
        let consequence = if critical {
            "Critical events are being written to the journal instead of being notified; \
             listeners fall behind until the queue drains and the journal is replayed."
        } else {
            "Ordinary events are being written to the journal instead of being notified."
        };
        rule.description = Annotation::text(format!(
            "pg_notification_queue_usage() of the database behind {} has been over {pct} for {}. \
             {consequence} A listener that stopped consuming (a long transaction in a LISTENing \
             session) is the usual cause.",
            self.model.app.name, hold
        ));
        rule.threshold = pct;
        rule.probe = Probe::Gauge {
            metric: NOTIFY_USAGE_METRIC,
            labels: Vec::new(),
            threshold,
            above: nudge_up(threshold),
        };
        rule
    }

    fn journal_lag(&self, t: &Territory) -> Rule {
        let limit = self.model.alerts.outbox_lag_seconds;
        let expr = format!(
            "max({}) > {limit}",
            selector(JOURNAL_OLDEST_METRIC, &[("territory", &t.code)])
        );
        let mut rule = self.scoped(self.rule(JOURNAL_LAG, expr, Some(minutes(2))), t, None);
        rule.summary = Annotation::text(format!(
            "Journaled events of {} wait longer than {limit} s",
            t.code
        ));
        rule.description = Annotation::text(format!(
            "The oldest pending event in scaling_event_journal for {} ({}) has waited more than \
             {limit} seconds for 2 minutes: listeners see these events late. Check the replay \
             job and replay the journal by hand if it is not running.",
            t.name, t.code
        ));
        rule.threshold = format!("{limit} s");
        rule.probe = Probe::Gauge {
            metric: JOURNAL_OLDEST_METRIC,
            labels: vec![("territory".into(), t.code.clone())],
            threshold: f64::from(limit),
            above: f64::from(limit) + 1.0,
        };
        rule
    }

    fn journal_stuck(&self, t: &Territory) -> Rule {
        let expr = format!(
            "max({}) > 0",
            selector(JOURNAL_STUCK_METRIC, &[("territory", &t.code)])
        );
        let mut rule = self.scoped(self.rule(JOURNAL_STUCK, expr, Some(minutes(10))), t, None);
        rule.summary = Annotation::text(format!(
            "Journaled events of {} repeatedly fail to notify",
            t.code
        ));
        rule.description = Annotation::text(format!(
            "scaling_event_journal holds events for {} ({}) that failed to notify at least 3 \
             times (for example payloads over NOTIFY's 8000-byte limit). They stay pending and \
             are skipped by every replay until someone looks at them.",
            t.name, t.code
        ));
        rule.threshold = "a pending row with attempts ≥ 3".to_string();
        rule.probe = Probe::Gauge {
            metric: JOURNAL_STUCK_METRIC,
            labels: vec![("territory".into(), t.code.clone())],
            threshold: 0.0,
            above: 1.0,
        };
        rule
    }

    fn prescale_idle(&self, t: &Territory, w: &Workload, b: &TerritoryWorkload) -> Option<Rule> {
        let floor = highest_floor(self.model, &t.code, &w.name, b)?;
        let a = &self.model.alerts;
        let name = self.deployment(t, w);
        let keda = |metric: &str| {
            format!(
                "{metric}{{scaledObject={},metric=~{}}}",
                promql_string(&name),
                promql_string(KEDA_CRON_METRIC_REGEX)
            )
        };
        let traffic = format!(
            "sum(rate({}[{SLOW_RATE_WINDOW}]))",
            selector(
                &format!("{HTTP_METRIC}_count"),
                &[
                    ("namespace", self.namespace()),
                    ("territory", &t.code),
                    ("workload", &w.name)
                ]
            )
        );
        let active_floor = format!(
            "max({} and on(scaledObject, metric) ({} == 1)) > {}",
            keda(KEDA_VALUE_METRIC),
            keda(KEDA_ACTIVE_METRIC),
            b.min
        );
        let expr = format!(
            "({traffic} or vector(0)) < {} * {} * ({active_floor})",
            decimal(a.prescale_idle_ratio),
            decimal(b.rps_per_replica)
        );
        let mut rule = self.scoped(
            self.rule(PRESCALE_IDLE, expr, Some(a.prescale_idle_for)),
            t,
            Some(w),
        );
        let pct = percent(a.prescale_idle_ratio);
        rule.summary = Annotation::text(format!(
            "{name} is pre-scaled by the calendar but serves less than {pct} of the floor's capacity"
        ));
        rule.description = Annotation::text(format!(
            "A seasonal cron trigger holds {} in {} ({}) above its minimum of {}, but for {} \
             its traffic has stayed below {pct} of what the floor can serve ({} requests/s per \
             replica). The calendar entry may be too early, too long or too high: review it with \
             SalesOps.",
            w.name,
            t.name,
            t.code,
            replicas(b.min),
            a.prescale_idle_for,
            decimal(b.rps_per_replica)
        ));
        rule.threshold = format!(
            "traffic below {pct} × floor × {} req/s",
            decimal(b.rps_per_replica)
        );
        rule.probe = Probe::PrescaleIdle {
            territory: t.code.clone(),
            workload: w.name.clone(),
            scaled_object: name,
            floor,
            idle_below_rps: a.prescale_idle_ratio * f64::from(floor) * b.rps_per_replica,
        };
        Some(rule)
    }

    fn keda_errors(&self, t: &Territory, w: &Workload) -> Rule {
        let name = self.deployment(t, w);
        let metric = if self.model.app.keda_version
            >= (crate::config::model::KedaVersion {
                major: 2,
                minor: 14,
            }) {
            "keda_scaler_detail_errors_total"
        } else {
            "keda_scaler_errors"
        };
        let expr = format!(
            "sum by (scaler) (rate({metric}{{scaledObject={}}}[{SLOW_RATE_WINDOW}])) > 0",
            promql_string(&name)
        );
        let mut rule = self.scoped(
            self.rule(KEDA_SCALER_ERRORS, expr, Some(minutes(5))),
            t,
            Some(w),
        );
        rule.summary = Annotation(vec![
            Piece::Text("KEDA cannot read trigger ".to_string()),
            Piece::Label("scaler"),
            Piece::Text(format!(" of {name}")),
        ]);
        rule.description = Annotation(vec![
            Piece::Text("The KEDA operator has reported errors for trigger ".to_string()),
            Piece::Label("scaler"),
            Piece::Text(format!(
                " of ScaledObject {name} ({} in {}) for 5 minutes. After 3 failed reads of the \
                 throughput trigger KEDA holds the fallback replicas; check `kubectl describe \
                 scaledobject {name}` and the Prometheus address the triggers use.",
                w.name, t.name
            )),
        ]);
        rule.threshold = "any scaler error".to_string();
        rule.probe = Probe::ScalerErrors {
            metric,
            scaled_object: name,
            scaler: "throughput".to_string(),
        };
        rule
    }

    fn expired(&self, e: &Expiry) -> Rule {
        let expr = format!("vector(time()) > {}", e.expires_at_unix);
        let mut rule = self.rule(CALENDAR_ENTRY_EXPIRED, expr, None);
        rule.labels.push(("entry_kind".into(), e.kind.clone()));
        rule.labels.push(("entry_id".into(), e.entry_id.clone()));
        rule.summary = Annotation::text(format!(
            "Calendar {} {} ended on {}: remove it and re-render",
            e.kind, e.entry_id, e.last_day
        ));
        rule.description = Annotation::text(format!(
            "The dated {} {} (\"{}\") ended on {}. Cron has no year, so KEDA would repeat its \
             windows on the same dates next year. Delete the entry from calendars/, run \
             scalegen render, review and merge the diff.",
            e.kind, e.entry_id, e.entry_name, e.last_day
        ));
        let instant = chrono::DateTime::from_timestamp(e.expires_at_unix, 0)
            .map_or_else(String::new, |d| {
                d.format("%Y-%m-%d %H:%M UTC, ").to_string()
            });
        rule.threshold = format!("time after {instant}unix {}", e.expires_at_unix);
        rule.probe = Probe::Expiry {
            unix: e.expires_at_unix,
        };
        rule
    }
}

/// The highest calendar floor of (territory, workload) above its `min`, if any entry raises it.
pub fn highest_floor(
    model: &Model,
    territory: &str,
    workload: &str,
    bounds: &TerritoryWorkload,
) -> Option<u32> {
    model
        .entries
        .iter()
        .filter_map(|e| e.floor_for(territory, workload))
        .map(|f| f.min(bounds.max))
        .filter(|&f| f > bounds.min)
        .max()
}

/// `1 replica`, `3 replicas`.
fn replicas(n: u32) -> String {
    if n == 1 {
        "1 replica".to_string()
    } else {
        format!("{n} replicas")
    }
}

fn minutes(m: u64) -> PromDuration {
    PromDuration { seconds: m * 60 }
}

/// A value a little above `threshold` within (0, 1): `+ 0.001`, less near 1.
fn nudge_up(threshold: f64) -> f64 {
    round9(threshold + (0.001_f64).min((1.0 - threshold) / 2.0))
}

/// `x` rounded to 12 significant digits: drops float noise at any magnitude.
fn significant(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

fn round9(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

/// `0.7` → `70 %` (no float noise).
pub fn percent(ratio: f64) -> String {
    format!("{} %", decimal(round9(ratio * 100.0)))
}

// ------------------------------------------------------------------ PromQL text

pub use crate::render::promql::promql_string;

/// `metric{k="v",…}` with every value PromQL-escaped, labels in the given order.
pub fn selector(metric: &str, labels: &[(&str, &str)]) -> String {
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", promql_string(v)))
        .collect();
    format!("{metric}{{{}}}", inner.join(","))
}

/// p95 request latency in seconds of one deployment, from the Micrometer histogram.
pub fn p95_expr(namespace: &str, territory: &str, workload: &str) -> String {
    format!(
        "histogram_quantile(0.95, sum by (le) (rate({}[{LATENCY_RATE_WINDOW}])))",
        selector(
            &format!("{HTTP_METRIC}_bucket"),
            &[
                ("namespace", namespace),
                ("territory", territory),
                ("workload", workload)
            ]
        )
    )
}

/// Milliseconds as exact decimal seconds (`300` → `0.3`, `1500` → `1.5`).
pub fn seconds_from_ms(ms: u32) -> String {
    let (whole, frac) = (ms / 1000, ms % 1000);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:03}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

/// The shortest decimal spelling of `x` that reads back as `x`, never in exponent form.
pub fn decimal(x: f64) -> String {
    format!("{x}")
}

/// Free text made inert inside a Go template (Prometheus annotations): every `{` becomes
/// the action `{{ "{" }}`, which prints a `{`, so no `{{` can start an action.
pub fn go_template_text(s: &str) -> String {
    s.replace('{', "{{ \"{\" }}")
}

// ------------------------------------------------------------------ rendering

/// Renders the PrometheusRule, its promtool tests, the postgres_exporter queries and the
/// Grafana dashboard.
pub fn render(r: &Renderer) -> Result<Vec<RenderedFile>, RenderError> {
    let groups = catalog(r.model, r.schedule);
    let rules = RuleFileContext {
        name: format!("{}-scaling", r.model.app.name),
        namespace: &r.model.app.namespace,
        app: &r.model.app.name,
        groups: groups.iter().map(GroupContext::from).collect(),
    };
    let tests = promtool::test_file(&groups, RULE_FILE);
    Ok(vec![
        r.file("prometheusrule-scaling.yaml.j2", rules, RULE_FILE, true)?,
        r.file(
            "prometheusrule-scaling.test.yaml.j2",
            tests,
            TEST_FILE,
            false,
        )?,
        r.file(
            "postgres-exporter-queries.yaml.j2",
            exporter_queries(),
            EXPORTER_FILE,
            false,
        )?,
        r.file(
            "grafana-dashboard.yaml.j2",
            dashboard::context(r.model),
            DASHBOARD_FILE,
            true,
        )?,
    ])
}

/// Context of `prometheusrule-scaling.yaml.j2`.
#[derive(Serialize)]
struct RuleFileContext<'a> {
    /// PrometheusRule name (`{app}-scaling`).
    name: String,
    /// Namespace.
    namespace: &'a str,
    /// App name (label).
    app: &'a str,
    /// Non-empty rule groups.
    groups: Vec<GroupContext>,
}

/// One group of the rule file.
#[derive(Serialize)]
struct GroupContext {
    name: &'static str,
    rules: Vec<RuleContext>,
}

/// One rule, every text final (annotations are Go templates).
#[derive(Serialize)]
struct RuleContext {
    alert: &'static str,
    expr: String,
    /// `for:` or `None`.
    hold: Option<String>,
    labels: Vec<(String, String)>,
    summary: String,
    description: String,
    runbook_url: String,
}

impl From<&Group> for GroupContext {
    fn from(g: &Group) -> Self {
        GroupContext {
            name: g.name,
            rules: g
                .rules
                .iter()
                .map(|r| RuleContext {
                    alert: r.spec.name,
                    expr: r.expr.clone(),
                    hold: r.hold.map(|d| d.to_string()),
                    labels: r.labels.clone(),
                    summary: r.summary.template(),
                    description: r.description.template(),
                    runbook_url: go_template_text(&r.runbook_url),
                })
                .collect(),
        }
    }
}

/// Context of `postgres-exporter-queries.yaml.j2`: one query per metric family.
#[derive(Serialize)]
pub struct ExporterQueries {
    /// Queries in output order.
    pub queries: Vec<ExporterQuery>,
}

/// One postgres_exporter custom query: metrics are named `{name}_{column}`.
#[derive(Serialize)]
pub struct ExporterQuery {
    /// Query name, the metric prefix.
    pub name: &'static str,
    /// SQL.
    pub query: &'static str,
    /// Columns: (name, usage, description).
    pub columns: Vec<(&'static str, &'static str, &'static str)>,
}

/// The postgres_exporter queries behind the resilience alerts.
pub fn exporter_queries() -> ExporterQueries {
    ExporterQueries {
        queries: vec![
            ExporterQuery {
                name: NOTIFY_QUERY,
                query: "SELECT pg_notification_queue_usage() AS queue_usage_ratio",
                columns: vec![(
                    "queue_usage_ratio",
                    "GAUGE",
                    "Fraction of the NOTIFY queue in use (pg_notification_queue_usage())",
                )],
            },
            ExporterQuery {
                name: JOURNAL_QUERY,
                query: "SELECT territory, pending, oldest_pending_seconds, stuck FROM scaling_journal_stats",
                columns: vec![
                    ("territory", "LABEL", "Territory code"),
                    ("pending", "GAUGE", "Journaled events not yet published"),
                    (
                        "oldest_pending_seconds",
                        "GAUGE",
                        "Age of the oldest pending event in seconds (0 when none)",
                    ),
                    (
                        "stuck",
                        "GAUGE",
                        "Pending events whose notify failed at least 3 times",
                    ),
                ],
            },
        ],
    }
}

/// The promtool unit tests: for every alert name, test groups whose series sit just past
/// each rule's threshold (the alert must fire) and just short of it (it must not).
///
/// Each group holds the series of every rule of one alert name at once, so the number of
/// groups does not grow with the number of deployments. Thresholds are probed with a small
/// margin: gauges exactly at the threshold (silent, the comparison is strict) and a little
/// above it; p95 within 1 ms under and over it; traffic 1 % under and over the idle limit.
/// `ScalingCalendarEntryExpired` compares `time()` with a date decades after promtool's
/// epoch-0 start, and promtool evaluates every rule at every step up to the latest
/// `eval_time`, so its firing case evaluates the rule's own expression at the expiry instant
/// with the `@` modifier instead of an `alert_rule_test` decades long.
mod promtool {
    use super::*;

    /// Sample spacing of the input series and evaluation interval of the rules.
    const STEP: &str = "1m";

    /// Context of `prometheusrule-scaling.test.yaml.j2`.
    #[derive(Serialize)]
    pub struct TestFile {
        /// Rule files, relative to the test file.
        rule_files: Vec<String>,
        /// promtool `evaluation_interval`.
        evaluation_interval: &'static str,
        /// Test groups.
        groups: Vec<TestGroup>,
    }

    /// One promtool test group.
    #[derive(Serialize)]
    struct TestGroup {
        name: String,
        interval: &'static str,
        series: Vec<Series>,
        alert_tests: Vec<AlertTest>,
        promql_tests: Vec<PromqlTest>,
    }

    /// An input series in promtool's expanding notation.
    #[derive(Serialize)]
    struct Series {
        series: String,
        values: String,
    }

    #[derive(Serialize)]
    struct AlertTest {
        eval_time: String,
        alertname: &'static str,
        exp_alerts: Vec<ExpAlert>,
    }

    #[derive(Serialize)]
    struct ExpAlert {
        labels: Vec<(String, String)>,
        annotations: Vec<(String, String)>,
    }

    #[derive(Serialize)]
    struct PromqlTest {
        expr: String,
        eval_time: String,
        exp_samples: Vec<ExpSample>,
    }

    #[derive(Serialize)]
    struct ExpSample {
        labels: String,
        value: i64,
    }

    /// The test file for `groups`; `rule_file` is the rule manifest's output path.
    pub fn test_file(groups: &[Group], rule_file: &str) -> TestFile {
        let rule_file = rule_file.rsplit('/').next().unwrap_or(rule_file);
        let mut out = Vec::new();
        for spec in ALERTS {
            let rules: Vec<&Rule> = groups
                .iter()
                .flat_map(|g| &g.rules)
                .filter(|r| r.spec.name == spec.name)
                .collect();
            if !rules.is_empty() {
                out.extend(groups_for(spec, &rules));
            }
        }
        TestFile {
            rule_files: vec![rule_file.to_string()],
            evaluation_interval: STEP,
            groups: out,
        }
    }

    /// Whether a test group expects every rule to fire or none.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Outcome {
        Fires,
        Silent,
    }

    fn groups_for(spec: &AlertSpec, rules: &[&Rule]) -> Vec<TestGroup> {
        let hold = rules.iter().filter_map(|r| r.hold).max();
        // Conditions hold from the second sample on; give `for:` five more minutes.
        let eval_minutes = (hold.map_or(0, |d| d.seconds.div_ceil(60)) + 5).max(10);
        let samples = eval_minutes + 5;
        let ctx = Ctx {
            spec,
            rules,
            eval_minutes,
        };
        match &rules[0].probe {
            Probe::Latency { .. } => vec![
                ctx.group("p95 just under every threshold", Outcome::Silent, |r| {
                    latency_series(r, false, samples)
                }),
                ctx.group("p95 just over every threshold", Outcome::Fires, |r| {
                    latency_series(r, true, samples)
                }),
            ],
            Probe::Capacity { .. } => vec![
                ctx.group("at max replicas and over target", Outcome::Fires, |r| {
                    capacity_series(r, true, true, samples)
                }),
                ctx.group("at max replicas but under target", Outcome::Silent, |r| {
                    capacity_series(r, true, false, samples)
                }),
                ctx.group("over target one replica below max", Outcome::Silent, |r| {
                    capacity_series(r, false, true, samples)
                }),
            ],
            Probe::Gauge { .. } => vec![
                ctx.group("exactly at the threshold", Outcome::Silent, |r| {
                    gauge_series(r, false, samples)
                }),
                ctx.group("just over the threshold", Outcome::Fires, |r| {
                    gauge_series(r, true, samples)
                }),
            ],
            Probe::PrescaleIdle { .. } => vec![
                ctx.group(
                    "floor active, traffic 1 % under the idle limit",
                    Outcome::Fires,
                    |r| prescale_series(r, Some(0.99), samples),
                ),
                ctx.group(
                    "floor active, traffic 1 % over the idle limit",
                    Outcome::Silent,
                    |r| prescale_series(r, Some(1.01), samples),
                ),
                ctx.group(
                    "no seasonal floor active, no traffic",
                    Outcome::Silent,
                    |r| prescale_series(r, None, samples),
                ),
            ],
            Probe::ScalerErrors { .. } => vec![
                ctx.group("errors keep increasing", Outcome::Fires, |r| {
                    scaler_error_series(r, true, samples)
                }),
                ctx.group("error counter flat", Outcome::Silent, |r| {
                    scaler_error_series(r, false, samples)
                }),
            ],
            Probe::Expiry { .. } => vec![expiry_group(spec, rules)],
        }
    }

    struct Ctx<'a> {
        spec: &'a AlertSpec,
        rules: &'a [&'a Rule],
        eval_minutes: u64,
    }

    impl Ctx<'_> {
        fn group(
            &self,
            case: &str,
            outcome: Outcome,
            series: impl Fn(&Rule) -> Vec<Series>,
        ) -> TestGroup {
            let exp_alerts = match outcome {
                Outcome::Silent => Vec::new(),
                Outcome::Fires => self.rules.iter().map(|r| expected(r)).collect(),
            };
            TestGroup {
                name: format!("{}: {case}", self.spec.name),
                interval: STEP,
                series: self.rules.iter().flat_map(|r| series(r)).collect(),
                alert_tests: vec![AlertTest {
                    eval_time: format!("{}m", self.eval_minutes),
                    alertname: self.spec.name,
                    exp_alerts,
                }],
                promql_tests: Vec::new(),
            }
        }
    }

    /// The alert `rule` raises with the test series: its labels plus the labels its
    /// expression keeps, and its annotations as Prometheus expands them.
    fn expected(rule: &Rule) -> ExpAlert {
        let mut labels = rule.labels.clone();
        if let Probe::ScalerErrors { scaler, .. } = &rule.probe {
            labels.push(("scaler".into(), scaler.clone()));
        }
        let annotations = vec![
            ("description".into(), rule.description.expand(&labels)),
            ("runbook_url".into(), rule.runbook_url.clone()),
            ("summary".into(), rule.summary.expand(&labels)),
        ];
        labels.sort();
        ExpAlert {
            labels,
            annotations,
        }
    }

    /// A counter series growing by `per_minute` each sample.
    fn counter(series: String, per_minute: f64, samples: u64) -> Series {
        Series {
            series,
            values: format!("0+{}x{samples}", decimal(significant(per_minute))),
        }
    }

    /// A constant series.
    fn constant(series: String, value: f64, samples: u64) -> Series {
        Series {
            series,
            values: format!("{}+0x{samples}", decimal(value)),
        }
    }

    /// Histogram of one deployment with 10 requests/s, all in the 1 ms wide bucket just
    /// under `threshold` (p95 = threshold − 0.05 ms) or just over it (p95 = threshold + 0.95 ms).
    fn histogram(
        ns: &str,
        territory: &str,
        workload: &str,
        threshold_ms: u32,
        over: bool,
        samples: u64,
    ) -> Vec<Series> {
        let bucket = |le_ms: u32| {
            selector(
                &format!("{HTTP_METRIC}_bucket"),
                &[
                    ("namespace", ns),
                    ("territory", territory),
                    ("workload", workload),
                    ("le", &seconds_from_ms(le_ms)),
                ],
            )
        };
        let (empty_le, full_le) = if over {
            (threshold_ms, threshold_ms.saturating_add(1))
        } else {
            (threshold_ms.saturating_sub(1), threshold_ms)
        };
        let inf = selector(
            &format!("{HTTP_METRIC}_bucket"),
            &[
                ("namespace", ns),
                ("territory", territory),
                ("workload", workload),
                ("le", "+Inf"),
            ],
        );
        vec![
            counter(bucket(empty_le), 0.0, samples),
            counter(bucket(full_le), 600.0, samples),
            counter(inf, 600.0, samples),
        ]
    }

    fn namespace(rule: &Rule) -> &str {
        rule.labels
            .iter()
            .find(|(k, _)| k == "namespace")
            .map_or("", |(_, v)| v.as_str())
    }

    fn latency_series(rule: &Rule, over: bool, samples: u64) -> Vec<Series> {
        let Probe::Latency {
            territory,
            workload,
            threshold_ms,
        } = &rule.probe
        else {
            return Vec::new();
        };
        histogram(
            namespace(rule),
            territory,
            workload,
            *threshold_ms,
            over,
            samples,
        )
    }

    fn capacity_series(rule: &Rule, at_max: bool, over: bool, samples: u64) -> Vec<Series> {
        let Probe::Capacity {
            territory,
            workload,
            hpa,
            max,
            target_ms,
        } = &rule.probe
        else {
            return Vec::new();
        };
        let ns = namespace(rule);
        let hpa_labels = [("namespace", ns), ("horizontalpodautoscaler", hpa.as_str())];
        let current = if at_max { *max } else { max - 1 };
        let mut series = histogram(ns, territory, workload, *target_ms, over, samples);
        series.push(constant(
            selector(HPA_CURRENT_METRIC, &hpa_labels),
            f64::from(current),
            samples,
        ));
        series.push(constant(
            selector(HPA_MAX_METRIC, &hpa_labels),
            f64::from(*max),
            samples,
        ));
        series
    }

    fn gauge_series(rule: &Rule, over: bool, samples: u64) -> Vec<Series> {
        let Probe::Gauge {
            metric,
            labels,
            threshold,
            above,
        } = &rule.probe
        else {
            return Vec::new();
        };
        let labels: Vec<(&str, &str)> = labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let value = if over { *above } else { *threshold };
        vec![constant(selector(metric, &labels), value, samples)]
    }

    /// Traffic at `traffic_factor` × the idle limit under an active cron floor, or no
    /// traffic and an inactive cron trigger (`None`).
    fn prescale_series(rule: &Rule, traffic_factor: Option<f64>, samples: u64) -> Vec<Series> {
        let Probe::PrescaleIdle {
            territory,
            workload,
            scaled_object,
            floor,
            idle_below_rps,
        } = &rule.probe
        else {
            return Vec::new();
        };
        let keda_labels = [
            ("scaledObject", scaled_object.as_str()),
            ("scaler", "season-test-1"),
            ("metric", "s2-cron-Europe-Berlin-0008xx1-9-0020xx1-9"),
            ("triggerIndex", "2"),
            ("type", "scaledobject"),
        ];
        let (active, value) = match traffic_factor {
            Some(_) => (1.0, f64::from(*floor)),
            None => (0.0, 1.0),
        };
        let mut series = vec![
            constant(selector(KEDA_ACTIVE_METRIC, &keda_labels), active, samples),
            constant(selector(KEDA_VALUE_METRIC, &keda_labels), value, samples),
        ];
        if let Some(factor) = traffic_factor {
            let ns = namespace(rule);
            series.push(counter(
                selector(
                    &format!("{HTTP_METRIC}_count"),
                    &[
                        ("namespace", ns),
                        ("territory", territory),
                        ("workload", workload),
                    ],
                ),
                idle_below_rps * factor * 60.0,
                samples,
            ));
        }
        series
    }

    fn scaler_error_series(rule: &Rule, increasing: bool, samples: u64) -> Vec<Series> {
        let Probe::ScalerErrors {
            metric: errors_metric,
            scaled_object,
            scaler,
        } = &rule.probe
        else {
            return Vec::new();
        };
        let labels = [
            ("scaledObject", scaled_object.as_str()),
            ("scaler", scaler.as_str()),
            ("metric", "s0-prometheus"),
            ("triggerIndex", "0"),
            ("type", "scaledobject"),
        ];
        let series = selector(errors_metric, &labels);
        if increasing {
            vec![counter(series, 1.0, samples)]
        } else {
            vec![constant(series, 3.0, samples)]
        }
    }

    /// `time()` cannot reach a real date inside promtool in reasonable time (see the module
    /// docs): the rule is checked silent at minute 1, and its expression is evaluated with
    /// `@` exactly at the expiry instant (nothing) and one second later (a sample).
    fn expiry_group(spec: &AlertSpec, rules: &[&Rule]) -> TestGroup {
        let mut promql_tests = Vec::new();
        for rule in rules {
            let Probe::Expiry { unix } = rule.probe else {
                continue;
            };
            let at = |t: i64| format!("last_over_time(({})[1s:1s] @ {t})", rule.expr);
            promql_tests.push(PromqlTest {
                expr: at(unix),
                eval_time: STEP.to_string(),
                exp_samples: Vec::new(),
            });
            promql_tests.push(PromqlTest {
                expr: at(unix + 1),
                eval_time: STEP.to_string(),
                exp_samples: vec![ExpSample {
                    labels: "{}".to_string(),
                    value: unix + 1,
                }],
            });
        }
        let still_valid = rules
            .iter()
            .all(|r| matches!(r.probe, Probe::Expiry { unix } if unix > 60));
        let alert_tests = if still_valid {
            vec![AlertTest {
                eval_time: STEP.to_string(),
                alertname: spec.name,
                exp_alerts: Vec::new(),
            }]
        } else {
            Vec::new()
        };
        TestGroup {
            name: format!("{}: silent before, due after the last day", spec.name),
            interval: STEP,
            series: Vec::new(),
            alert_tests,
            promql_tests,
        }
    }
}

/// The Grafana dashboard (SPEC §3): per deployment p95 against its target and the emergency
/// threshold, replicas against min, max and the active seasonal floor, and throughput against
/// what the replicas can serve; then the NOTIFY queue, the journal and KEDA's errors. The
/// queries are the alerts' own expressions, so a panel shows exactly what an alert sees.
mod dashboard {
    use super::*;
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
        let json = serde_json::to_string_pretty(&dashboard(model)).expect("JSON value");
        DashboardContext {
            name: format!("{}-scaling-dashboard", model.app.name),
            namespace: model.app.namespace.clone(),
            app: model.app.name.clone(),
            key: format!("{}-scaling.json", model.app.name),
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

    fn target(expr: String, legend: &str) -> Json {
        json!({
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "expr": expr,
            "legendFormat": legend,
        })
    }

    fn panel(id: &mut u32, title: String, unit: &str, targets: Vec<Json>, x: u32, y: u32) -> Json {
        *id += 1;
        json!({
            "id": *id,
            "type": "timeseries",
            "title": title,
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "gridPos": {"h": 8, "w": 8, "x": x, "y": y},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "targets": targets,
        })
    }

    fn row(id: &mut u32, title: String, y: u32) -> Json {
        *id += 1;
        json!({
            "id": *id,
            "type": "row",
            "title": title,
            "collapsed": false,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
            "panels": [],
        })
    }

    fn dashboard(model: &Model) -> Json {
        let ns = model.app.namespace.as_str();
        let mut id = 0;
        let mut y = 0;
        let mut panels = Vec::new();
        for t in &model.territories {
            panels.push(row(&mut id, format!("{} — {}", t.code, t.name), y));
            y += 1;
            for w in &model.workloads {
                let Some(b) = t.workload(&w.name) else {
                    continue;
                };
                let name = model.deployment_name(t, &w.name);
                let hpa = format!("keda-hpa-{name}");
                let hpa_labels = [("namespace", ns), ("horizontalpodautoscaler", hpa.as_str())];
                let cron = |metric: &str| {
                    format!(
                        "{metric}{{scaledObject={},metric=~{}}}",
                        promql_string(&name),
                        promql_string(KEDA_CRON_METRIC_REGEX)
                    )
                };
                let throughput = format!(
                    "sum(rate({}[{SLOW_RATE_WINDOW}]))",
                    selector(
                        &format!("{HTTP_METRIC}_count"),
                        &[
                            ("namespace", ns),
                            ("territory", &t.code),
                            ("workload", &w.name)
                        ]
                    )
                );
                let current = format!("max({})", selector(HPA_CURRENT_METRIC, &hpa_labels));
                panels.push(panel(
                    &mut id,
                    format!("{name}: p95 latency"),
                    "s",
                    vec![
                        target(p95_expr(ns, &t.code, &w.name), "p95"),
                        target(format!("vector({})", seconds_from_ms(b.p95_ms)), "target"),
                        target(
                            format!("vector({})", seconds_from_ms(model.alerts.emergency_p95_ms)),
                            "emergency",
                        ),
                    ],
                    0,
                    y,
                ));
                panels.push(panel(
                    &mut id,
                    format!("{name}: replicas"),
                    "short",
                    vec![
                        target(current.clone(), "current"),
                        target(
                            format!(
                                "max({} and on(scaledObject, metric) ({} == 1))",
                                cron(KEDA_VALUE_METRIC),
                                cron(KEDA_ACTIVE_METRIC)
                            ),
                            "seasonal floor",
                        ),
                        target(format!("vector({})", b.min), "min"),
                        target(format!("vector({})", b.max), "max"),
                    ],
                    8,
                    y,
                ));
                panels.push(panel(
                    &mut id,
                    format!("{name}: throughput"),
                    "reqps",
                    vec![
                        target(throughput, "requests/s"),
                        target(
                            format!("{current} * {}", decimal(b.rps_per_replica)),
                            "capacity of current replicas",
                        ),
                        target(
                            format!("vector({})", decimal(f64::from(b.max) * b.rps_per_replica)),
                            "capacity at max",
                        ),
                    ],
                    16,
                    y,
                ));
                y += 8;
            }
        }
        panels.push(row(&mut id, "Events and KEDA".to_string(), y));
        y += 1;
        let a = &model.alerts;
        panels.push(panel(
            &mut id,
            "NOTIFY queue usage".to_string(),
            "percentunit",
            vec![
                target(format!("max({NOTIFY_USAGE_METRIC})"), "usage"),
                target(
                    format!("vector({})", decimal(a.notify_queue_warning)),
                    "warning",
                ),
                target(
                    format!("vector({})", decimal(a.notify_queue_critical)),
                    "critical",
                ),
            ],
            0,
            y,
        ));
        panels.push(panel(
            &mut id,
            "Journal: oldest pending event".to_string(),
            "s",
            vec![
                target(
                    format!("max by (territory) ({JOURNAL_OLDEST_METRIC})"),
                    "{{territory}}",
                ),
                target(format!("vector({})", a.outbox_lag_seconds), "limit"),
            ],
            8,
            y,
        ));
        panels.push(panel(
            &mut id,
            "Journal: pending and stuck events".to_string(),
            "short",
            vec![
                target(
                    format!("max by (territory) ({JOURNAL_PENDING_METRIC})"),
                    "pending {{territory}}",
                ),
                target(
                    format!("max by (territory) ({JOURNAL_STUCK_METRIC})"),
                    "stuck {{territory}}",
                ),
            ],
            16,
            y,
        ));
        y += 8;
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
        let errors = if model.app.keda_version
            >= (crate::config::model::KedaVersion {
                major: 2,
                minor: 14,
            }) {
            "keda_scaler_detail_errors_total"
        } else {
            "keda_scaler_errors"
        };
        panels.push(panel(
            &mut id,
            "KEDA scaler errors".to_string(),
            "short",
            vec![target(
                format!(
                    "sum by (scaledObject, scaler) (rate({errors}{{scaledObject=~{}}}[{SLOW_RATE_WINDOW}]))",
                    promql_string(&names.join("|"))
                ),
                "{{scaledObject}} {{scaler}}",
            )],
            0,
            y,
        ));
        let uid: String = format!("scalegen-{}", model.app.name)
            .chars()
            .take(40)
            .collect();
        json!({
            "title": format!("{} seasonal scaling", model.app.name),
            "uid": uid,
            "description": "Generated by scalegen: floors, latency, capacity and event resilience per territory and workload.",
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
            "panels": panels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promql_strings_escape_quotes_backslashes_and_controls() {
        assert_eq!(promql_string("DE"), r#""DE""#);
        assert_eq!(promql_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(promql_string("x\ny\u{7}"), r#""x\ny\u0007""#);
        assert_eq!(
            selector("m", &[("a", "1"), ("le", "+Inf")]),
            r#"m{a="1",le="+Inf"}"#
        );
    }

    #[test]
    fn go_template_text_leaves_no_action_open() {
        assert_eq!(go_template_text("plain"), "plain");
        assert_eq!(go_template_text("a{{b}}"), r#"a{{ "{" }}{{ "{" }}b}}"#);
        let a = Annotation(vec![
            Piece::Text("x {{ $y }} of ".into()),
            Piece::Label("scaler"),
        ]);
        assert_eq!(
            a.template(),
            r#"x {{ "{" }}{{ "{" }} $y }} of {{ $labels.scaler }}"#
        );
        assert_eq!(
            a.expand(&[("scaler".into(), "throughput".into())]),
            "x {{ $y }} of throughput"
        );
    }

    #[test]
    fn numbers_are_written_without_float_noise() {
        assert_eq!(seconds_from_ms(300), "0.3");
        assert_eq!(seconds_from_ms(1), "0.001");
        assert_eq!(seconds_from_ms(1250), "1.25");
        assert_eq!(seconds_from_ms(2000), "2");
        assert_eq!(percent(0.7), "70 %");
        assert_eq!(percent(0.333), "33.3 %");
        assert_eq!(
            decimal(significant(0.2 * 2.0 * 80.0 * 0.99 * 60.0)),
            "1900.8"
        );
        assert_eq!(decimal(significant(1e-12 * 0.99)), "0.00000000000099");
        assert_eq!(nudge_up(0.7), 0.701);
        assert_eq!(nudge_up(0.9995), 0.99975);
    }

    #[test]
    fn every_alert_name_is_unique_and_anchors_are_lower_case_names() {
        let names: std::collections::BTreeSet<&str> = ALERTS.iter().map(|a| a.name).collect();
        assert_eq!(names.len(), ALERTS.len());
        for a in ALERTS {
            assert_eq!(a.anchor(), a.name.to_ascii_lowercase());
            assert!(a.name.chars().all(|c| c.is_ascii_alphanumeric()));
        }
    }
}
