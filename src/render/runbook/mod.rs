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
//!
//! The sections live in submodules: `calendar` (calendar, blackout and expiry tables, the
//! campaign example), `territories` (targets and the per-territory playbooks), `alerts`
//! (the alert index, one section per alert, metric sources), `database` (the CronJobs,
//! roles and SQL procedures) and `markdown` (cells, code spans, tables: the escaping).

mod alerts;
mod calendar;
mod database;
mod markdown;
mod territories;

use crate::config::model::{Model, PromDuration};
use crate::render::engine::Renderer;
use crate::render::file::{RenderError, RenderedFile};
use crate::render::jobs;
use crate::render::monitoring::catalog;
use crate::render::monitoring::{self, exporter};
use crate::schedule::Schedule;
use minijinja::Value;
use serde::Serialize;

use alerts::{alert_index, alert_section, metrics_table, AlertSection};
use calendar::{blackout_table, calendar_table, campaign_example, expiry_table};
use database::{job_doc, retention_sql, roles_table, JobDoc};
use markdown::{code, code_block, code_span, inline, raw_ident, safe};
use territories::{playbook, targets_table, Playbook};

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

/// The whole context of the runbook template.
fn context(model: &Model, schedule: &Schedule) -> RunbookContext {
    let groups = catalog::catalog(model, schedule);
    RunbookContext {
        app: inline(&model.app.name),
        code: code_names(model),
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
        limits: limits(model),
        campaign_example: safe(code_block("toml", &campaign_example(model))),
        replay_sql: safe(code_block("sql", database::REPLAY_SQL)),
        replay_job: job_doc(model, &jobs::REPLAY),
        retention_job: job_doc(model, &jobs::RETENTION),
        dead_letter_sql: safe(code_block("sql", database::DEAD_LETTER_SQL)),
        requeue_sql: safe(code_block("sql", database::REQUEUE_SQL)),
        discard_sql: safe(code_block("sql", database::DISCARD_SQL)),
        retention_sql: safe(code_block("sql", &retention_sql(model))),
        roles_table: safe(roles_table(model)),
        grants_sql: safe(code_block("sql", database::GRANTS_SQL)),
        settings_sql: safe(code_block("sql", database::SETTINGS_SQL)),
        remove_code_sql: safe(code_block("sql", database::REMOVE_CODE_SQL)),
        listener_sql: safe(code_block("sql", database::LISTENER_SQL)),
        metrics_table: safe(metrics_table()),
    }
}

/// The identifiers the template names, as code spans.
fn code_names(model: &Model) -> CodeNames {
    CodeNames {
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
    }
}

/// The thresholds of `[alerts]` and `[events]`, in words.
fn limits(model: &Model) -> Limits {
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
    Limits {
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
    }
}
