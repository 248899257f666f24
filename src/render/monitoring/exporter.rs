//! The postgres_exporter custom queries behind the resilience alerts: the NOTIFY queue
//! usage, the journal statistics of the migration (SPEC §5, §6) and the age of the oldest
//! published journal row (whether the retention job runs). Their metric names are
//! `{query}_{column}`; the alerts, the promtool tests and the dashboard read them from here.
//! The exporter's database user is granted `scaling_monitor`: it reads the stats view and
//! the journal's bookkeeping columns of every territory, never a payload.

use serde::Serialize;

/// postgres_exporter query name of the NOTIFY queue usage; metrics are `{query}_{column}`.
const NOTIFY_QUERY: &str = "scaling_notify";
/// postgres_exporter query name of the journal statistics.
const JOURNAL_QUERY: &str = "scaling_journal";
/// postgres_exporter query name of the retention check.
const RETENTION_QUERY: &str = "scaling_journal_retention";
/// NOTIFY queue usage as a fraction of the queue (`pg_notification_queue_usage()`).
pub const NOTIFY_USAGE_METRIC: &str = "scaling_notify_queue_usage_ratio";
/// Pending journal rows per territory.
pub const JOURNAL_PENDING_METRIC: &str = "scaling_journal_pending";
/// Age of the oldest pending journal row per territory, in seconds.
pub const JOURNAL_OLDEST_METRIC: &str = "scaling_journal_oldest_pending_seconds";
/// Pending journal rows with `attempts >= 3` (dead letters) per territory.
pub const JOURNAL_STUCK_METRIC: &str = "scaling_journal_stuck";
/// Age of the oldest published journal row in seconds (0 when none): at most the retention
/// horizon plus a day while the daily retention job runs.
pub const JOURNAL_OLDEST_PUBLISHED_METRIC: &str =
    "scaling_journal_retention_oldest_published_seconds";

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
                        "Age of the oldest pending event that is not a dead letter, in seconds (0 when none)",
                    ),
                    (
                        "stuck",
                        "GAUGE",
                        "Dead letters: pending events replay no longer sends (envelope over NOTIFY's limit, or notify failed 3 times)",
                    ),
                ],
            },
            ExporterQuery {
                name: RETENTION_QUERY,
                // min() over the partial index on published_at: one index probe per scrape.
                query: "SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(published_at)), 0)::double precision AS oldest_published_seconds FROM scaling_event_journal WHERE published_at IS NOT NULL",
                columns: vec![(
                    "oldest_published_seconds",
                    "GAUGE",
                    "Age of the oldest published journal event in seconds (0 when none); the retention job deletes those older than its horizon",
                )],
            },
        ],
    }
}
