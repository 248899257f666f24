//! The seasonal runbook `docs/runbook-seasonal.md` (SPEC §6).
//!
//! Why it is rendered and not written by hand: on-call reads thresholds, floors and dates
//! in it while the alerts fire, so they must be the very numbers the alerts and
//! ScaledObjects use. Calendar, targets and playbooks come from the model; the alert
//! sections and their threshold tables come from [`crate::render::monitoring::catalog`], the same
//! values the PrometheusRule is laid out from. Every alert name of [`catalog::ALERTS`] gets a
//! section whose heading is the name itself, so its GitHub-style slug is the alert's
//! `runbook_url` anchor.
//!
//! Escaping: the template is `.md.j2`, so every plain string is Markdown-escaped on the
//! way out. Tables, code spans and code blocks are built here instead (aligned columns,
//! cells escaped with `cell`, code only from validated identifiers) and handed over as
//! safe values.

use crate::config::model::{
    DateRange, Entry, Hours, Model, PromDuration, Territory, Weekdays, REPLAY_SECRET_KEY,
};
use crate::render::engine::markdown_escape;
use crate::render::engine::Renderer;
use crate::render::file::{RenderError, RenderedFile};
use crate::render::jobs;
use crate::render::monitoring::catalog::{self, Group, Rule};
use crate::render::monitoring::{self, exporter};
use crate::render::promql;
use crate::schedule::Schedule;
use minijinja::Value;
use serde::Serialize;

/// Path of the runbook in the output directory.
pub const RUNBOOK_FILE: &str = "docs/runbook-seasonal.md";

/// Renders the runbook.
pub fn render(r: &Renderer) -> Result<Vec<RenderedFile>, RenderError> {
    let ctx = context(r.model, r.schedule);
    Ok(vec![r.file(
        "docs/runbook-seasonal.md.j2",
        ctx,
        RUNBOOK_FILE,
        false,
    )?])
}

/// Context of `runbook-seasonal.md.j2`. Values of type `Value` are already escaped.
#[derive(Serialize)]
struct RunbookContext {
    /// App name, escaped for inline text.
    app: Value,
    /// Identifiers as code spans.
    code: CodeNames,
    /// Season calendar table (one row per entry × territory with floors).
    calendar_table: Value,
    /// Blackout table, when there are blackouts.
    blackout_table: Option<Value>,
    /// Dated entries and when their expiry alert fires, when there are any.
    expiry_table: Option<Value>,
    /// Targets and bounds per deployment.
    targets_table: Value,
    /// One playbook per territory.
    territories: Vec<Playbook>,
    /// Alert index (name linked to its section, severity, meaning).
    alert_index: Value,
    /// One section per alert name.
    alerts: Vec<AlertSection>,
    /// Thresholds in words.
    limits: Limits,
    /// Example campaign (code block).
    campaign_example: Value,
    /// Replay procedure (code block).
    replay_sql: Value,
    /// The replay CronJob.
    replay_job: JobDoc,
    /// The retention CronJob.
    retention_job: JobDoc,
    /// Dead-letter inspection (code block).
    dead_letter_sql: Value,
    /// Shrinking a payload and requeueing a dead letter (code block).
    requeue_sql: Value,
    /// Discarding dead letters (code block).
    discard_sql: Value,
    /// Retention by hand (code block).
    retention_sql: Value,
    /// Who gets which role (table).
    roles_table: Value,
    /// Example grants (code block).
    grants_sql: Value,
    /// Reading and tuning the settings row (code block).
    settings_sql: Value,
    /// Draining and deleting a territory's rows before removing it (code block).
    remove_code_sql: Value,
    /// Listener inspection for a full NOTIFY queue (code block).
    listener_sql: Value,
    /// Metric sources table.
    metrics_table: Value,
}

/// Identifiers (validated DNS labels, codes, file names) as Markdown code spans, and the
/// two DNS labels raw (`ns`, `app_raw`) for use inside code spans of the template.
#[derive(Serialize)]
struct CodeNames {
    app: Value,
    app_raw: Value,
    ns: Value,
    namespace: Value,
    channel: Value,
    migration: Value,
    repeatable: Value,
    prometheus_url: Value,
    runbook_url: Value,
    rule_file: Value,
    test_file: Value,
    plain_rule_file: Value,
    exporter_file: Value,
    notify_metric: Value,
    journal_oldest_metric: Value,
    journal_stuck_metric: Value,
    journal_pending_metric: Value,
    journal_published_metric: Value,
}

/// A CronJob of `render::jobs`, as code spans and code blocks.
#[derive(Serialize)]
struct JobDoc {
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

fn job_doc(model: &Model, job: &jobs::JobSpec) -> JobDoc {
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

/// Thresholds of the config, in words.
#[derive(Serialize)]
struct Limits {
    emergency_ms: Value,
    notify_warning: Value,
    notify_critical: Value,
    journal_threshold: Value,
    critical_threshold: Value,
    critical_types: Value,
    outbox_lag_seconds: Value,
    idle_ratio: Value,
    idle_for: Value,
    /// `[events] journal_retention`.
    retention: Value,
    /// Age of the oldest published row from which the retention alert fires.
    retention_overdue: Value,
}

/// A territory's playbook.
#[derive(Serialize)]
struct Playbook {
    /// Heading text (`DE — Deutschland`), escaped.
    heading: Value,
    /// Territory code as a code span.
    code: Value,
    /// Territory code raw, for use inside code spans.
    code_raw: Value,
    /// Timezone as a code span.
    timezone: Value,
    /// Targets and bounds of its deployments.
    targets_table: Value,
    /// Entries with floors for it, or `None`.
    entries_table: Option<Value>,
    /// Blackout days that apply to it, in words, or `None`.
    blackouts: Option<Value>,
    /// Label selector for kubectl (`territory=DE`) as a code span.
    selector: Value,
    /// The deployment with the largest max − min headroom, in words.
    headroom: Value,
}

/// One alert's section.
#[derive(Serialize)]
struct AlertSection {
    /// Alert name (heading; its slug is the anchor).
    name: &'static str,
    /// Anchor, for the consistency of links within the document.
    anchor: String,
    /// Severity label value.
    severity: &'static str,
    /// Rule group as a code span.
    group: Value,
    /// When it fires, in words (`after its condition held for 5m`).
    hold: Value,
    /// Thresholds of every rule, or `None` when the config produces no rule.
    rules_table: Option<Value>,
    /// One expression of the alert as a code block.
    example_expr: Option<Value>,
}

fn context(model: &Model, schedule: &Schedule) -> RunbookContext {
    let groups = catalog::catalog(model, schedule);
    let a = &model.alerts;
    let critical_types = if model.events.critical.is_empty() {
        "none".to_string()
    } else {
        model
            .events
            .critical
            .iter()
            .map(|t| code_span(t))
            .collect::<Vec<_>>()
            .join(", ")
    };
    RunbookContext {
        app: inline(&model.app.name),
        code: CodeNames {
            app: code(&model.app.name),
            app_raw: raw_ident(&model.app.name),
            ns: raw_ident(&model.app.namespace),
            namespace: code(&model.app.namespace),
            channel: code(&model.events.channel),
            migration: code(&format!(
                "V{}__listener_and_journal.sql",
                model.app.migration_version
            )),
            repeatable: code("R__scaling_config.sql"),
            prometheus_url: code(&model.app.prometheus_url),
            runbook_url: code(&model.app.runbook_url),
            rule_file: code(monitoring::RULE_FILE),
            test_file: code(monitoring::TEST_FILE),
            plain_rule_file: code(monitoring::PLAIN_RULE_FILE),
            exporter_file: code(monitoring::EXPORTER_FILE),
            notify_metric: code(exporter::NOTIFY_USAGE_METRIC),
            journal_oldest_metric: code(exporter::JOURNAL_OLDEST_METRIC),
            journal_stuck_metric: code(exporter::JOURNAL_STUCK_METRIC),
            journal_pending_metric: code(exporter::JOURNAL_PENDING_METRIC),
            journal_published_metric: code(exporter::JOURNAL_OLDEST_PUBLISHED_METRIC),
        },
        calendar_table: safe(calendar_table(model, &model.entries)),
        blackout_table: (!model.blackouts.is_empty()).then(|| safe(blackout_table(model))),
        expiry_table: (!schedule.expiries.is_empty()).then(|| safe(expiry_table(schedule))),
        targets_table: safe(targets_table(model, &model.territories)),
        territories: model
            .territories
            .iter()
            .map(|t| playbook(model, t))
            .collect(),
        alert_index: safe(alert_index()),
        alerts: catalog::ALERTS
            .iter()
            .map(|spec| alert_section(spec, &groups))
            .collect(),
        limits: Limits {
            emergency_ms: inline(&format!("{} ms", a.emergency_p95_ms)),
            notify_warning: inline(&catalog::percent(a.notify_queue_warning)),
            notify_critical: inline(&catalog::percent(a.notify_queue_critical)),
            journal_threshold: inline(&catalog::percent(model.events.journal_threshold)),
            critical_threshold: inline(&catalog::percent(model.events.critical_threshold)),
            critical_types: safe(critical_types),
            outbox_lag_seconds: inline(&format!("{} s", a.outbox_lag_seconds)),
            idle_ratio: inline(&catalog::percent(a.prescale_idle_ratio)),
            idle_for: inline(&a.prescale_idle_for.to_string()),
            retention: inline(&model.events.journal_retention.to_string()),
            retention_overdue: inline(
                &PromDuration {
                    seconds: model.events.journal_retention.seconds + 86_400,
                }
                .to_string(),
            ),
        },
        campaign_example: safe(code_block("toml", &campaign_example(model))),
        replay_sql: safe(code_block("sql", REPLAY_SQL)),
        replay_job: job_doc(model, &jobs::REPLAY),
        retention_job: job_doc(model, &jobs::RETENTION),
        dead_letter_sql: safe(code_block("sql", DEAD_LETTER_SQL)),
        requeue_sql: safe(code_block("sql", REQUEUE_SQL)),
        discard_sql: safe(code_block("sql", DISCARD_SQL)),
        retention_sql: safe(code_block("sql", &retention_sql(model))),
        roles_table: safe(roles_table(model)),
        grants_sql: safe(code_block("sql", GRANTS_SQL)),
        settings_sql: safe(code_block("sql", SETTINGS_SQL)),
        remove_code_sql: safe(code_block("sql", REMOVE_CODE_SQL)),
        listener_sql: safe(code_block("sql", LISTENER_SQL)),
        metrics_table: safe(metrics_table()),
    }
}

const REPLAY_SQL: &str = "\
-- as a role granted scaling_replayer (it sees every territory's rows)
SET ROLE scaling_replayer;
SELECT * FROM scaling_journal_stats;
-- publishes up to 500 pending events in id order while the NOTIFY queue is below the
-- journal threshold; returns how many it published. Repeat until it returns 0.
SELECT replay_pending(500);
SELECT * FROM scaling_journal_stats;
RESET ROLE;";

const DEAD_LETTER_SQL: &str = "\
SET ROLE scaling_maintainer;   -- or scaling_replayer: both may read every row
SELECT id, territory, event_type, attempts, last_error, created_at,
       octet_length(payload::text) AS payload_bytes
FROM scaling_event_journal
WHERE published_at IS NULL AND attempts >= 3
ORDER BY id;
RESET ROLE;";

const REQUEUE_SQL: &str = "\
SET ROLE scaling_maintainer;
-- only if the payload is too large: replace it by a smaller one, e.g. a reference
UPDATE scaling_event_journal SET payload = '{\"lead\": 4711}'
WHERE id = 123 AND published_at IS NULL;
-- attempts = 0: the next replay sends it; returns how many rows it requeued
SELECT scaling_requeue_dead_letters(ARRAY[123]);
RESET ROLE;";

const DISCARD_SQL: &str = "\
SET ROLE scaling_maintainer;
-- deletes the dead letters among these ids and returns them: keep the output
SELECT * FROM scaling_discard_dead_letters(ARRAY[123, 124]);
RESET ROLE;";

/// The retention job's statement, for running it by hand.
fn retention_sql(model: &Model) -> String {
    format!(
        "SET ROLE scaling_maintainer;\n\
         -- deletes rows published longer ago than the interval; returns how many\n\
         SELECT scaling_purge_published(interval '{}');\n\
         RESET ROLE;",
        jobs::sql_interval(model.events.journal_retention)
    )
}

const GRANTS_SQL: &str = "\
-- as a role with CREATEROLE; the login roles' names are yours to choose
GRANT scaling_publisher TO freshplan_app;        -- the application
GRANT scaling_replayer TO journal_replay;        -- the replay CronJob's Secret
GRANT scaling_monitor TO postgres_exporter;      -- postgres_exporter
GRANT scaling_maintainer TO journal_retention;   -- the retention CronJob's Secret
-- and in the application's sessions (one territory each):
SET app.territory = 'DE';";

const SETTINGS_SQL: &str = "\
SELECT * FROM scaling_backpressure_settings;
-- as the tables' owner: send every event to the journal while a listener is repaired
UPDATE scaling_backpressure_settings SET journal_threshold = 0;
-- hand a setting back to the configuration
UPDATE scaling_backpressure_settings SET journal_threshold = default_journal_threshold;";

const REMOVE_CODE_SQL: &str = "\
SET ROLE scaling_maintainer;
-- 'PL' is the code you remove; for an event type: WHERE event_type = 'lead.lost' AND ...
DELETE FROM scaling_event_journal WHERE territory = 'PL' AND published_at IS NOT NULL;
RESET ROLE;";

const LISTENER_SQL: &str = "\
SELECT pg_notification_queue_usage();
-- the queue cannot shrink past the oldest transaction of a listening session:
SELECT pid, usename, application_name, state, xact_start, left(query, 80) AS query
FROM pg_stat_activity
WHERE xact_start IS NOT NULL
ORDER BY xact_start
LIMIT 10;
-- after confirming the culprit with its owner:
-- SELECT pg_terminate_backend(<pid>);";

fn playbook(model: &Model, t: &Territory) -> Playbook {
    let entries: Vec<&Entry> = model
        .entries
        .iter()
        .filter(|e| e.floors_territory(&t.code))
        .collect();
    let blackouts: Vec<String> = model
        .blackouts
        .iter()
        .filter(|b| b.applies_to(&t.code))
        .map(|b| format!("{} ({})", b.name, dates_text(&b.dates)))
        .collect();
    let headroom = t
        .workloads
        .iter()
        .max_by_key(|w| (w.max - w.min, std::cmp::Reverse(w.workload.clone())))
        .map(|w| {
            format!(
                "{} can grow from {} to {} replicas ({} to {} req/s at {} req/s per replica)",
                w.workload,
                w.min,
                w.max,
                promql::decimal(f64::from(w.min) * w.rps_per_replica),
                promql::decimal(f64::from(w.max) * w.rps_per_replica),
                promql::decimal(w.rps_per_replica)
            )
        })
        .unwrap_or_default();
    Playbook {
        heading: inline(&format!("{} — {}", t.code, t.name)),
        code: code(&t.code),
        code_raw: raw_ident(&t.code),
        timezone: code(&t.timezone_name),
        targets_table: safe(targets_table(model, std::slice::from_ref(t))),
        entries_table: (!entries.is_empty())
            .then(|| safe(calendar_table_for(model, &entries, Some(&t.code)))),
        blackouts: (!blackouts.is_empty()).then(|| inline(&blackouts.join("; "))),
        selector: code(&format!("territory={}", t.code)),
        headroom: inline(&headroom),
    }
}

fn alert_section(spec: &'static catalog::AlertSpec, groups: &[Group]) -> AlertSection {
    let rules: Vec<&Rule> = groups
        .iter()
        .flat_map(|g| &g.rules)
        .filter(|r| r.spec.name == spec.name)
        .collect();
    let hold = rules.first().and_then(|r| r.hold).map_or_else(
        || "as soon as its condition is true".to_string(),
        |d| format!("after its condition held for {d}"),
    );
    AlertSection {
        name: spec.name,
        anchor: spec.anchor(),
        severity: spec.severity.as_str(),
        group: code(spec.group),
        hold: inline(&hold),
        rules_table: (!rules.is_empty()).then(|| safe(rules_table(&rules))),
        example_expr: rules.first().map(|r| safe(code_block("promql", &r.expr))),
    }
}

/// Every rule of one alert: scope, threshold and `for`.
fn rules_table(rules: &[&Rule]) -> String {
    let scoped = rules.iter().any(|r| r.territory.is_some());
    let with_workload = rules.iter().any(|r| r.workload.is_some());
    let with_entry = rules
        .iter()
        .any(|r| r.labels.iter().any(|(k, _)| k == "entry_id"));
    let mut headers = Vec::new();
    if scoped {
        headers.push("Territory");
    }
    if with_workload {
        headers.push("Workload");
    }
    if with_entry {
        headers.push("Entry");
    }
    headers.extend(["Fires when", "For"]);
    let rows = rules
        .iter()
        .map(|r| {
            let mut row = Vec::new();
            if scoped {
                row.push(cell(r.territory.as_deref().unwrap_or("all")));
            }
            if with_workload {
                row.push(cell(r.workload.as_deref().unwrap_or("all")));
            }
            if with_entry {
                let entry = r
                    .labels
                    .iter()
                    .find(|(k, _)| k == "entry_id")
                    .map_or("", |(_, v)| v.as_str());
                row.push(cell(entry));
            }
            row.push(cell(&comparison(r)));
            row.push(cell(
                &r.hold
                    .map_or_else(|| "immediately".to_string(), |d| d.to_string()),
            ));
            row
        })
        .collect();
    table(&headers, rows)
}

/// The threshold of a rule as a comparison a person reads.
fn comparison(rule: &Rule) -> String {
    match rule.spec.name {
        catalog::P95_OVER_TARGET | catalog::P95_EMERGENCY => {
            format!("p95 > {}", rule.threshold)
        }
        catalog::AT_MAX_REPLICAS => format!("at {}", rule.threshold),
        catalog::NOTIFY_QUEUE_WARNING | catalog::NOTIFY_QUEUE_CRITICAL => {
            format!("queue usage > {}", rule.threshold)
        }
        catalog::JOURNAL_LAG => format!("oldest pending > {}", rule.threshold),
        catalog::JOURNAL_STUCK | catalog::JOURNAL_RETENTION_OVERDUE => rule.threshold.clone(),
        _ => rule.threshold.clone(),
    }
}

fn alert_index() -> String {
    let rows = catalog::ALERTS
        .iter()
        .map(|a| {
            vec![
                format!("[{}](#{})", a.name, a.anchor()),
                cell(a.severity.as_str()),
                cell(a.title),
            ]
        })
        .collect();
    table(&["Alert", "Severity", "Meaning"], rows)
}

fn calendar_table(model: &Model, entries: &[Entry]) -> String {
    let entries: Vec<&Entry> = entries.iter().collect();
    calendar_table_for(model, &entries, None)
}

/// One row per entry × territory it floors (only `territory` when given); one column per
/// workload with the floor, `–` where the entry sets none.
fn calendar_table_for(model: &Model, entries: &[&Entry], territory: Option<&str>) -> String {
    let mut headers = vec![
        "Entry",
        "Kind",
        "Dates",
        "Hours (local)",
        "Floors open (local)",
        "Days",
    ];
    if territory.is_none() {
        headers.push("Territory");
    }
    let workload_headers: Vec<String> = model
        .workloads
        .iter()
        .map(|w| format!("{} floor", w.name))
        .collect();
    headers.extend(workload_headers.iter().map(String::as_str));
    let territories: Vec<&Territory> = model
        .territories
        .iter()
        .filter(|t| territory.is_none_or(|c| c == t.code))
        .collect();
    let mut rows = Vec::new();
    for e in entries {
        for t in &territories {
            if !e.floors_territory(&t.code) {
                continue;
            }
            let mut row = vec![
                cell(&format!("{} ({})", e.name, e.id)),
                cell(e.kind.as_str()),
                cell(&dates_text(&e.dates)),
                cell(&hours_text(e.hours)),
                cell(&floors_open_text(e)),
                cell(&days_text(e.days)),
            ];
            if territory.is_none() {
                row.push(cell(&t.code));
            }
            for w in &model.workloads {
                row.push(cell(
                    &e.floor_for(&t.code, &w.name)
                        .map_or_else(|| "–".to_string(), |f| f.to_string()),
                ));
            }
            rows.push(row);
        }
    }
    if rows.is_empty() {
        return "No season or campaign is configured: every deployment runs at its `min`."
            .to_string();
    }
    table(&headers, rows)
}

fn blackout_table(model: &Model) -> String {
    let rows = model
        .blackouts
        .iter()
        .map(|b| {
            vec![
                cell(&format!("{} ({})", b.name, b.id)),
                cell(&dates_text(&b.dates)),
                cell(&b.territories.join(", ")),
            ]
        })
        .collect();
    table(&["Blackout", "Days", "Territories"], rows)
}

fn expiry_table(schedule: &Schedule) -> String {
    let rows = schedule
        .expiries
        .iter()
        .map(|e| {
            let at = chrono::DateTime::from_timestamp(e.expires_at_unix, 0).map_or_else(
                || e.expires_at_unix.to_string(),
                |d| d.format("%Y-%m-%d %H:%M UTC").to_string(),
            );
            vec![
                cell(&format!("{} ({})", e.entry_name, e.entry_id)),
                cell(&e.kind),
                cell(&e.last_day.to_string()),
                cell(&at),
            ]
        })
        .collect();
    table(
        &[
            "Dated entry",
            "Kind",
            "Last day",
            "ScalingCalendarEntryExpired fires after",
        ],
        rows,
    )
}

fn targets_table(model: &Model, territories: &[Territory]) -> String {
    let mut rows = Vec::new();
    for t in territories {
        for w in &model.workloads {
            let Some(b) = t.workload(&w.name) else {
                continue;
            };
            let floor = model
                .entries
                .iter()
                .filter_map(|e| e.floor_for(&t.code, &w.name))
                .max()
                .map_or_else(|| "–".to_string(), |f| f.to_string());
            rows.push(vec![
                cell(&t.code),
                cell(&w.name),
                cell(&model.deployment_name(t, &w.name)),
                cell(&b.min.to_string()),
                cell(&b.max.to_string()),
                cell(&floor),
                cell(&promql::decimal(b.rps_per_replica)),
                cell(&format!("{} ms", b.p95_ms)),
            ]);
        }
    }
    table(
        &[
            "Territory",
            "Workload",
            "Deployment",
            "min",
            "max",
            "Highest floor",
            "req/s per replica",
            "p95 target",
        ],
        rows,
    )
}

fn metrics_table() -> String {
    // Static text written here (no configuration data): already Markdown.
    let rows = [
        [
            "`http_server_requests_seconds_bucket`, `_count`",
            "Micrometer in every pod; `namespace`, `territory`, `workload` from the PodMonitor",
            "latency, capacity and cost alerts; the KEDA prometheus triggers",
        ],
        [
            "`kube_horizontalpodautoscaler_status_current_replicas`, `kube_horizontalpodautoscaler_spec_max_replicas`",
            "kube-state-metrics, for the HPA `keda-hpa-{deployment}` KEDA creates",
            "ScalingAtMaxReplicas",
        ],
        [
            "`keda_scaler_active`, `keda_scaler_metrics_value`",
            "KEDA operator (port 8080, `/metrics`); cron triggers have a `metric` label `s{n}-cron-…`",
            "ScalingPrescaleIdle",
        ],
        [
            "`keda_scaler_detail_errors_total` (KEDA before 2.14: `keda_scaler_errors`)",
            "KEDA operator; label `scaler` is the trigger name",
            "ScalingKedaScalerErrors",
        ],
        [
            "`scaling_notify_queue_usage_ratio`",
            "postgres_exporter running the queries of `monitoring/postgres-exporter-queries.yaml`",
            "ScalingNotifyQueueWarning, ScalingNotifyQueueCritical",
        ],
        [
            "`scaling_journal_pending`, `_oldest_pending_seconds`, `_stuck`",
            "postgres_exporter, view `scaling_journal_stats` (exporter user granted `scaling_monitor`)",
            "ScalingJournalLag, ScalingJournalStuck",
        ],
        [
            "`scaling_journal_retention_oldest_published_seconds`",
            "postgres_exporter, `min(published_at)` of the journal (same user)",
            "ScalingJournalRetentionOverdue",
        ],
    ];
    let rows = rows
        .iter()
        .map(|r| r.iter().map(|c| (*c).to_string()).collect())
        .collect();
    table(&["Metric", "Source", "Used by"], rows)
}

/// The four roles of the migration: whom to grant each, what it may and may not do.
fn roles_table(model: &Model) -> String {
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

/// A campaign for the first territory and workload at its max, as SalesOps would write it.
fn campaign_example(model: &Model) -> String {
    let mut text = String::from(
        "[[campaign]]\nid = \"spring-promo-2027\"             # unique, lower case, ≤ 40 characters\n\
         name = \"Spring promotion 2027\"\nfrom = \"2027-03-01\"                    # YYYY-MM-DD, inclusive, local time of each territory\n\
         to = \"2027-03-05\"\nhours = \"08:00-20:00\"\n",
    );
    if let Some(t) = model.territories.first() {
        let floors: Vec<String> = t
            .workloads
            .iter()
            .map(|w| format!("{} = {}", w.workload, w.max))
            .collect();
        text.push_str(&format!(
            "floor.{} = {{ {} }}     # at most each deployment's max\n",
            t.code,
            floors.join(", ")
        ));
    }
    text
}

// ------------------------------------------------------------------ text helpers

/// Local date range in words.
fn dates_text(d: &DateRange) -> String {
    match *d {
        DateRange::Recurring { from, to } if to < from => {
            format!("{from} – {to} every year, across New Year")
        }
        DateRange::Recurring { from, to } => format!("{from} – {to} every year"),
        DateRange::Dated { from, to } if from == to => from.to_string(),
        DateRange::Dated { from, to } => format!("{from} – {to}"),
    }
}

fn hours_text(h: Hours) -> String {
    if h.is_whole_day() {
        return "whole days".to_string();
    }
    let s = h.to_string().replacen('-', "–", 1);
    if h.crosses_midnight() {
        format!("{s} (ends the next day)")
    } else {
        s
    }
}

/// When an entry's floors open next to when its traffic is expected (SPEC §2.2 lead).
fn floors_open_text(e: &Entry) -> String {
    let start = e.floor_hours().start_minute;
    let at = format!("{:02}:{:02}", start / 60, start % 60);
    match (e.floor_lead, e.lead.is_some()) {
        (0, _) if e.hours.is_whole_day() => "whole days".to_string(),
        (0, _) => format!("{at}, with the hours"),
        (lead, true) => format!("{at}, {lead} min ahead (own lead)"),
        (lead, false) => format!("{at}, {lead} min ahead (app-wide lead)"),
    }
}

/// Weekdays as ranges of day names (`mon–fri`, `sat, sun`), `every day` for all.
fn days_text(days: Weekdays) -> String {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    if days.is_all() {
        return "every day".to_string();
    }
    let on = |i: usize| days.0 & (1 << i) != 0;
    let mut parts = Vec::new();
    let mut i = 0;
    while i < 7 {
        if !on(i) {
            i += 1;
            continue;
        }
        let start = i;
        while i + 1 < 7 && on(i + 1) {
            i += 1;
        }
        parts.push(match i - start {
            0 => NAMES[start].to_string(),
            1 => format!("{}, {}", NAMES[start], NAMES[i]),
            _ => format!("{}–{}", NAMES[start], NAMES[i]),
        });
        i += 1;
    }
    parts.join(", ")
}

/// Text that is already safe Markdown.
fn safe(s: String) -> Value {
    Value::from_safe_string(s)
}

/// Inline text: left as is when it only has characters that are inert in inline Markdown,
/// fully escaped otherwise.
fn inline(s: &str) -> Value {
    safe(cell(s))
}

/// A table cell or inline text: unchanged when every character is inert in inline
/// Markdown (letters, digits, spaces and plain punctuation), fully escaped otherwise. The
/// template never starts a line with such a value, so `1.` or `-` cannot open a list.
fn cell(s: &str) -> String {
    let inert = s.chars().all(|c| {
        c.is_alphanumeric()
            || matches!(
                c,
                ' ' | '.'
                    | ','
                    | ':'
                    | ';'
                    | '%'
                    | '/'
                    | '='
                    | '>'
                    | '-'
                    | '–'
                    | '—'
                    | '×'
                    | '\''
                    | '"'
                    | '?'
                    | '('
                    | ')'
            )
    });
    if inert {
        s.to_string()
    } else {
        markdown_escape(s)
    }
}

/// A validated identifier (DNS label, territory code) as is, for use inside a code span
/// of the template; anything else is shown escaped rather than trusted.
fn raw_ident(s: &str) -> Value {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        safe(s.to_string())
    } else {
        safe(markdown_escape(s))
    }
}

/// A code span of an identifier.
fn code(s: &str) -> Value {
    safe(code_span(s))
}

/// `` `s` `` with a backtick run longer than any inside (CommonMark code span).
fn code_span(s: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(s) + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A fenced code block whose fence is longer than any backtick run in `body`, without a
/// final line break.
fn code_block(lang: &str, body: &str) -> String {
    let fence = "`".repeat((longest_backtick_run(body) + 1).max(3));
    format!("{fence}{lang}\n{}\n{fence}", body.trim_end_matches('\n'))
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// A pipe table with every column padded to its widest cell (cells already escaped), without
/// a final line break.
fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = headers.iter().map(|h| width(h).max(3)).collect();
    for row in &rows {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(width(c));
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c}{}", " ".repeat(widths[i] - width(c))))
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = line(headers.iter().map(|h| (*h).to_string()).collect());
    out.push_str(&line(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for row in rows {
        out.push_str(&line(row));
    }
    out.pop();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_aligned_and_escape_pipes() {
        let t = table(&["A", "Bee"], vec![vec![cell("x|y"), cell("1")]]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "| A    | Bee |");
        assert_eq!(lines[1], "| ---- | --- |");
        assert_eq!(lines[2], "| x\\|y | 1   |");
    }

    #[test]
    fn code_spans_and_blocks_outlast_backticks() {
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`x"), "`` `x ``");
        assert!(code_block("sql", "a\n````\nb").starts_with("`````sql\n"));
    }

    #[test]
    fn cells_escape_markup_but_keep_plain_text() {
        assert_eq!(cell("Black Week 2027"), "Black Week 2027");
        assert_eq!(cell("09-01 – 10-15 every year"), "09-01 – 10-15 every year");
        assert_eq!(cell("a*b_c"), "a\\*b\\_c");
        assert_eq!(cell("<b>{{x}}</b>"), "&lt;b&gt;\\{\\{x\\}\\}&lt;/b&gt;");
        assert_eq!(cell("[x](y)"), "\\[x\\]\\(y\\)");
    }

    #[test]
    fn weekdays_read_as_ranges() {
        assert_eq!(days_text(Weekdays::ALL), "every day");
        assert_eq!(days_text(Weekdays(0b001_1111)), "mon–fri");
        assert_eq!(days_text(Weekdays(0b110_0000)), "sat, sun");
        assert_eq!(days_text(Weekdays(0b101_0001)), "mon, fri, sun");
    }
}
