//! The database sections of the runbook: the replay and retention CronJobs, who gets
//! which role, and the SQL procedures on-call runs by hand.

use crate::config::model::{Model, REPLAY_SECRET_KEY};
use crate::render::jobs;
use minijinja::Value;
use serde::Serialize;

use super::markdown::{code, code_block, code_span, safe, table};

/// A CronJob of `render::jobs`, as code spans and code blocks.
#[derive(Serialize)]
pub(super) struct JobDoc {
    /// CronJob name.
    name: Value,
    /// Its manifest in the output directory.
    file: Value,
    /// Its cron schedule.
    schedule: Value,
    /// The database role it assumes.
    role: Value,
    /// Secret with the connection URI, and its key.
    secret: Value,
    secret_key: Value,
    /// What the container runs (code block).
    command: Value,
    /// kubectl commands to see its runs and start one (code block).
    kubectl: Value,
}

/// The runbook's view of CronJob `job`.
pub(super) fn job_doc(model: &Model, job: &jobs::JobSpec) -> JobDoc {
    let name = jobs::job_name(model, job);
    JobDoc {
        name: code(&name),
        file: code(&jobs::path_of(model, job)),
        schedule: code(job.schedule),
        role: code(job.role),
        secret: code((job.secret)(model)),
        secret_key: code(REPLAY_SECRET_KEY),
        command: safe(code_block("sh", &(job.command)(model))),
        kubectl: safe(code_block(
            "sh",
            &format!(
                "kubectl -n {ns} get cronjob,jobs -l app.kubernetes.io/component={component}\n\
                 kubectl -n {ns} create job --from=cronjob/{name} {name}-now",
                ns = model.app.namespace,
                component = job.suffix,
            ),
        )),
    }
}

/// Replaying the journal by hand.
pub(super) const REPLAY_SQL: &str = "\
-- as a role granted scaling_replayer (it sees every territory's rows)
SET ROLE scaling_replayer;
SELECT * FROM scaling_journal_stats;
-- publishes up to 500 pending events in id order while the NOTIFY queue is below the
-- journal threshold; returns how many it published. Repeat until it returns 0.
SELECT replay_pending(500);
SELECT * FROM scaling_journal_stats;
RESET ROLE;";

/// Listing the dead letters.
pub(super) const DEAD_LETTER_SQL: &str = "\
SET ROLE scaling_maintainer;   -- or scaling_replayer: both may read every row
SELECT id, territory, event_type, attempts, last_error, created_at,
       octet_length(payload::text) AS payload_bytes
FROM scaling_event_journal
WHERE published_at IS NULL AND attempts >= 3
ORDER BY id;
RESET ROLE;";

/// Shrinking a payload and requeueing a dead letter.
pub(super) const REQUEUE_SQL: &str = "\
SET ROLE scaling_maintainer;
-- only if the payload is too large: replace it by a smaller one, e.g. a reference
UPDATE scaling_event_journal SET payload = '{\"lead\": 4711}'
WHERE id = 123 AND published_at IS NULL;
-- attempts = 0: the next replay sends it; returns how many rows it requeued
SELECT scaling_requeue_dead_letters(ARRAY[123]);
RESET ROLE;";

/// Discarding dead letters.
pub(super) const DISCARD_SQL: &str = "\
SET ROLE scaling_maintainer;
-- deletes the dead letters among these ids and returns them: keep the output
SELECT * FROM scaling_discard_dead_letters(ARRAY[123, 124]);
RESET ROLE;";

/// The retention job's statement, for running it by hand.
pub(super) fn retention_sql(model: &Model) -> String {
    format!(
        "SET ROLE scaling_maintainer;\n\
         -- deletes rows published longer ago than the interval; returns how many\n\
         SELECT scaling_purge_published(interval '{}');\n\
         RESET ROLE;",
        jobs::sql_interval(model.events.journal_retention)
    )
}

/// Example grants of the four roles.
pub(super) const GRANTS_SQL: &str = "\
-- as a role with CREATEROLE; the login roles' names are yours to choose
GRANT scaling_publisher TO freshplan_app;        -- the application
GRANT scaling_replayer TO journal_replay;        -- the replay CronJob's Secret
GRANT scaling_monitor TO postgres_exporter;      -- postgres_exporter
GRANT scaling_maintainer TO journal_retention;   -- the retention CronJob's Secret
-- and in the application's sessions (one territory each):
SET app.territory = 'DE';";

/// Reading and tuning the backpressure settings row.
pub(super) const SETTINGS_SQL: &str = "\
SELECT * FROM scaling_backpressure_settings;
-- as the tables' owner: send every event to the journal while a listener is repaired
UPDATE scaling_backpressure_settings SET journal_threshold = 0;
-- hand a setting back to the configuration
UPDATE scaling_backpressure_settings SET journal_threshold = default_journal_threshold;";

/// Deleting a territory's published rows before its code is removed.
pub(super) const REMOVE_CODE_SQL: &str = "\
SET ROLE scaling_maintainer;
-- 'PL' is the code you remove; for an event type: WHERE event_type = 'lead.lost' AND ...
DELETE FROM scaling_event_journal WHERE territory = 'PL' AND published_at IS NOT NULL;
RESET ROLE;";

/// Finding the session that keeps the NOTIFY queue full.
pub(super) const LISTENER_SQL: &str = "\
SELECT pg_notification_queue_usage();
-- the queue cannot shrink past the oldest transaction of a listening session:
SELECT pid, usename, application_name, state, xact_start, left(query, 80) AS query
FROM pg_stat_activity
WHERE xact_start IS NOT NULL
ORDER BY xact_start
LIMIT 10;
-- after confirming the culprit with its owner:
-- SELECT pg_terminate_backend(<pid>);";

/// The four roles of the migration: whom to grant each, what it may and may not do.
pub(super) fn roles_table(model: &Model) -> String {
    let secret = |spec: &jobs::JobSpec| format!("Secret {}", code_span((spec.secret)(model)));
    // Static Markdown apart from the Secret names (validated DNS names) in code spans.
    let rows = [
        [
            "`scaling_publisher`",
            "the application's login roles",
            "`publish_event` on both paths; read the settings",
            "read, change or delete journal rows; replay",
        ]
        .map(str::to_string),
        [
            "`scaling_replayer`".to_string(),
            format!("the replay job ({})", secret(&jobs::REPLAY)),
            "read every row; `replay_pending` (mark published, count attempts)".to_string(),
            "change payloads; insert or delete rows; dead letters".to_string(),
        ],
        [
            "`scaling_monitor`",
            "postgres_exporter's login role",
            "read `scaling_journal_stats` and the rows' bookkeeping columns",
            "read payloads; change anything; replay; publish",
        ]
        .map(str::to_string),
        [
            "`scaling_maintainer`".to_string(),
            format!(
                "on-call DBAs; the retention job ({})",
                secret(&jobs::RETENTION)
            ),
            "read every row; shrink payloads; requeue or discard dead letters; delete rows"
                .to_string(),
            "publish; replay. Never grant it to an application".to_string(),
        ],
    ];
    table(
        &["Role", "Grant it to", "May", "May not"],
        rows.into_iter().map(Vec::from).collect(),
    )
}
