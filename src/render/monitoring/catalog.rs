//! Every alerting rule of the model, as values: what the rule file, its promtool tests,
//! the dashboard and the runbook are laid out from (see the `monitoring` module docs).

use crate::config::model::{Model, PromDuration, Territory, TerritoryWorkload, Workload};
use crate::render::jobs;
use crate::render::monitoring::exporter::{
    JOURNAL_OLDEST_METRIC, JOURNAL_OLDEST_PUBLISHED_METRIC, JOURNAL_STUCK_METRIC,
    NOTIFY_USAGE_METRIC,
};
use crate::render::promql::{self, decimal, seconds_from_ms, selector};
use crate::schedule::{Expiry, Schedule};
use serde::Serialize;

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
/// Oldest deliverable pending journal row older than `alerts.outbox_lag_seconds`.
pub const JOURNAL_LAG: &str = "ScalingJournalLag";
/// Dead letters in the journal: rows `replay_pending` no longer sends.
pub const JOURNAL_STUCK: &str = "ScalingJournalStuck";
/// Published journal rows kept a day past `events.journal_retention`: the retention job
/// does not run.
pub const JOURNAL_RETENTION_OVERDUE: &str = "ScalingJournalRetentionOverdue";
/// Seasonal floor active but traffic far below its capacity.
pub const PRESCALE_IDLE: &str = "ScalingPrescaleIdle";
/// KEDA cannot read a trigger of a ScaledObject.
pub const KEDA_SCALER_ERRORS: &str = "ScalingKedaScalerErrors";
/// A dated calendar entry is past its last day (SPEC §4.2).
pub const CALENDAR_ENTRY_EXPIRED: &str = "ScalingCalendarEntryExpired";

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
        title: "oldest deliverable pending journal event older than the outbox lag limit",
    },
    AlertSpec {
        name: JOURNAL_STUCK,
        group: "scaling-resilience",
        severity: Severity::Warning,
        title: "dead letters in the journal: events replay no longer sends",
    },
    AlertSpec {
        name: JOURNAL_RETENTION_OVERDUE,
        group: "scaling-resilience",
        severity: Severity::Warning,
        title: "published journal events kept past the retention horizon",
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
    rules.push(b.journal_retention_overdue());
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
        promql::p95(self.namespace(), &territory.code, &workload.name)
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
        let hpa = promql::keda_hpa_name(&name);
        let expr = format!(
            "(max({}) >= max({})) and on() ({} > {})",
            promql::hpa_series(promql::HPA_CURRENT_METRIC, self.namespace(), &hpa),
            promql::hpa_series(promql::HPA_MAX_METRIC, self.namespace(), &hpa),
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
            "The oldest deliverable pending event in scaling_event_journal for {} ({}) has \
             waited more than {limit} seconds for 2 minutes: listeners see these events late. \
             Dead letters do not count here (ScalingJournalStuck reports them). Check the \
             replay job and replay the journal by hand if it is not running.",
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
        rule.summary = Annotation::text(format!("Dead letters in the event journal of {}", t.code));
        rule.description = Annotation::text(format!(
            "scaling_event_journal holds dead letters for {} ({}): events whose envelope is \
             larger than NOTIFY's limit of 7999 bytes (dead at once) or whose NOTIFY failed 3 \
             times. replay_pending skips them, so they hold nothing back, and they stay until \
             someone requeues or discards them.",
            t.name, t.code
        ));
        rule.threshold = "a dead letter, attempts ≥ 3".to_string();
        rule.probe = Probe::Gauge {
            metric: JOURNAL_STUCK_METRIC,
            labels: vec![("territory".into(), t.code.clone())],
            threshold: 0.0,
            above: 1.0,
        };
        rule
    }

    /// The oldest published journal row is a day past the retention horizon for 6 hours:
    /// the daily retention job missed its run (a working one keeps the oldest row within
    /// horizon + 1 day, plus the run's own start delay and duration).
    fn journal_retention_overdue(&self) -> Rule {
        let horizon = self.model.events.journal_retention;
        let limit = PromDuration {
            seconds: horizon.seconds + 86_400,
        };
        let expr = format!("max({JOURNAL_OLDEST_PUBLISHED_METRIC}) > {}", limit.seconds);
        let mut rule = self.rule(JOURNAL_RETENTION_OVERDUE, expr, Some(minutes(6 * 60)));
        rule.summary = Annotation::text(format!(
            "Published journal events are kept past the retention horizon of {horizon}"
        ));
        rule.description = Annotation::text(format!(
            "The oldest published row in scaling_event_journal of the database behind {} has \
             been older than {limit} (the retention horizon of {horizon} plus the day between \
             two runs) for 6 hours: the daily retention job {} did not run or failed. The \
             journal grows, and every configuration change re-checks all of it.",
            self.model.app.name,
            jobs::job_name(self.model, &jobs::RETENTION)
        ));
        rule.threshold = format!("oldest published row older than {limit}");
        rule.probe = Probe::Gauge {
            metric: JOURNAL_OLDEST_PUBLISHED_METRIC,
            labels: Vec::new(),
            threshold: limit.seconds as f64,
            above: limit.seconds as f64 + 1.0,
        };
        rule
    }

    fn prescale_idle(&self, t: &Territory, w: &Workload, b: &TerritoryWorkload) -> Option<Rule> {
        let floor = highest_floor(self.model, &t.code, &w.name, b)?;
        let a = &self.model.alerts;
        let name = self.deployment(t, w);
        let traffic =
            promql::request_rate(self.namespace(), &t.code, &w.name, promql::SLOW_RATE_WINDOW);
        let active_floor = format!("{} > {}", promql::active_cron_floor(&name), b.min);
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
        let metric = promql::keda_errors_metric(self.model.app.keda_version);
        let expr = format!(
            "sum by (scaler) (rate({}[{}])) > 0",
            promql::selector(metric, &[("scaledObject", &name)]),
            promql::SLOW_RATE_WINDOW
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

fn round9(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

/// `0.7` → `70 %` (no float noise).
pub fn percent(ratio: f64) -> String {
    format!("{} %", decimal(round9(ratio * 100.0)))
}

/// Free text made inert inside a Go template (Prometheus annotations): every `{` becomes
/// the action `{{ "{" }}`, which prints a `{`, so no `{{` can start an action.
pub fn go_template_text(s: &str) -> String {
    s.replace('{', "{{ \"{\" }}")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(percent(0.7), "70 %");
        assert_eq!(percent(0.333), "33.3 %");
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
