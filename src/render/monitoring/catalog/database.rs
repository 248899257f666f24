//! The rules about the database behind the app: the NOTIFY queue, the journal's lag,
//! stuck rows and overdue retention.

use crate::config::model::{PromDuration, Territory};
use crate::render::jobs;
use crate::render::monitoring::exporter::{
    JOURNAL_OLDEST_METRIC, JOURNAL_OLDEST_PUBLISHED_METRIC, JOURNAL_STUCK_METRIC,
    NOTIFY_USAGE_METRIC,
};
use crate::render::promql::{decimal, selector};

use super::{
    minutes, nudge_up, percent, Annotation, Builder, Probe, Rule, JOURNAL_LAG,
    JOURNAL_RETENTION_OVERDUE, JOURNAL_STUCK, NOTIFY_QUEUE_CRITICAL,
};

impl Builder<'_> {
    /// The NOTIFY queue usage rule `name` (warning or critical) at `threshold`.
    pub(super) fn notify_queue(&self, name: &str, threshold: f64) -> Rule {
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

    /// `ScalingJournalLag`: territory `t`'s oldest pending journal row is too old.
    pub(super) fn journal_lag(&self, t: &Territory) -> Rule {
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

    /// `ScalingJournalStuck`: territory `t` has journal rows that exhausted their attempts.
    pub(super) fn journal_stuck(&self, t: &Territory) -> Rule {
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
    pub(super) fn journal_retention_overdue(&self) -> Rule {
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
}
