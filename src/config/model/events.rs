//! `[events]` and `[alerts]`: the LISTEN/NOTIFY channel, the journal and its CronJobs
//! (replay, retention), and the alert thresholds.

use super::PromDuration;

/// `[events]`: LISTEN/NOTIFY channel, event types and backpressure thresholds.
#[derive(Debug, Clone)]
pub struct Events {
    /// NOTIFY channel name.
    pub channel: String,
    /// Event types, as configured.
    pub types: Vec<String>,
    /// Critical event types (subset of `types`).
    pub critical: Vec<String>,
    /// Queue usage from which ordinary events are journaled.
    pub journal_threshold: f64,
    /// Queue usage from which critical events are journaled too.
    pub critical_threshold: f64,
    /// Secret holding the replay job's `DATABASE_URL` (key [`REPLAY_SECRET_KEY`]).
    pub replay_secret: String,
    /// Container image of the replay job (has `psql`).
    pub replay_image: String,
    /// How long published journal rows are kept before the retention job deletes them.
    pub journal_retention: PromDuration,
    /// Secret holding the retention job's `DATABASE_URL` (a login role granted
    /// `scaling_maintainer`, not the replay job's role).
    pub retention_secret: String,
}

/// Key of the jobs' Secrets (replay and retention) that holds the libpq connection URI.
pub const REPLAY_SECRET_KEY: &str = "DATABASE_URL";
/// Image of the replay job when `[events] replay_image` is not set.
pub const DEFAULT_REPLAY_IMAGE: &str = "postgres:15-alpine";
/// Name suffix of every CronJob scalegen renders (`{app}-{suffix}`); Kubernetes limits
/// CronJob names to [`CRONJOB_NAME_MAX`] characters, so validation checks them all.
pub const JOB_SUFFIXES: &[&str] = &["journal-replay", "journal-retention"];
/// `[events] journal_retention` when not set: a week of published events to look up.
pub const DEFAULT_JOURNAL_RETENTION: PromDuration = PromDuration {
    seconds: 7 * 86_400,
};
/// Longest name Kubernetes accepts for a CronJob (its Jobs append 11 characters).
pub const CRONJOB_NAME_MAX: usize = 52;

/// `[alerts]` thresholds.
#[derive(Debug, Clone)]
pub struct Alerts {
    /// Emergency p95 in milliseconds.
    pub emergency_p95_ms: u32,
    /// NOTIFY queue usage warning threshold, in (0, 1).
    pub notify_queue_warning: f64,
    /// NOTIFY queue usage critical threshold, in (0, 1).
    pub notify_queue_critical: f64,
    /// Maximum age of the oldest pending journal row.
    pub outbox_lag_seconds: u32,
    /// Pre-scale-without-load ratio of floor capacity, in (0, 1).
    pub prescale_idle_ratio: f64,
    /// How long traffic must stay idle under an active floor before the cost alert fires.
    pub prescale_idle_for: PromDuration,
}
