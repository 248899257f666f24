//! The alert names scalegen emits, each with its rule group, severity and one-line
//! meaning, and the runbook links derived from the names.

use crate::config::model::Model;
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
