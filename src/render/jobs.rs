//! CronJobs that keep the database side of scaling working (SPEC §10): the journal replay
//! job `jobs/{app}-journal-replay.yaml` and the journal retention job
//! `jobs/{app}-journal-retention.yaml`.
//!
//! Why jobs at all: `publish_event` journals events while the NOTIFY queue is under
//! backpressure, and nothing but `replay_pending()` publishes them later. Under a real peak
//! the journal fills; without a job calling it every minute it never drains, and the
//! `ScalingJournalLag` alert and the runbook assume one runs. Published rows stay in the
//! journal as history; without a job calling `scaling_purge_published()` every day the
//! journal only grows (and `R__scaling_config.sql` re-checks every row of it).
//!
//! Every job is one [`JobSpec`] in [`JOBS`] and one file rendered from the shared
//! `jobs/cronjob.yaml.j2`: a `psql` command (run by `/bin/sh -c`, so it reads exactly as an
//! operator would type it) with `DATABASE_URL` from the job's Secret, in the
//! `[events] replay_image`, every pod under the restricted Pod Security Standard. Each job
//! assumes its own role (`SET ROLE`), so each has its own Secret, a login role granted that
//! role and nothing more. A new job is a new entry here and its name suffix in
//! [`crate::config::model::JOB_SUFFIXES`] (validation keeps every name within Kubernetes'
//! CronJob limit).

use crate::config::model::{Model, PromDuration, REPLAY_SECRET_KEY};
use crate::render::engine::Renderer;
use crate::render::file::{RenderError, RenderedFile};
use serde::Serialize;

/// One CronJob scalegen renders.
#[derive(Debug, Clone, Copy)]
pub struct JobSpec {
    /// Name suffix: the CronJob is `{app}-{suffix}` (listed in `model::JOB_SUFFIXES`).
    pub suffix: &'static str,
    /// Cron schedule, in the time zone of the cluster's CronJob controller
    /// (kube-controller-manager; UTC on almost every cluster).
    pub schedule: &'static str,
    /// The database role the command assumes with `SET ROLE`: the login role of the
    /// job's Secret must be granted it.
    pub role: &'static str,
    /// Shell command of the container; `$DATABASE_URL` is in its environment.
    pub command: fn(&Model) -> String,
    /// Name of the Secret holding `DATABASE_URL`.
    pub secret: fn(&Model) -> &str,
    /// Seconds a run may take before Kubernetes stops it (below the schedule's period, so
    /// with `Forbid` a hung run never blocks more than one slot).
    pub active_deadline_seconds: u32,
    /// Seconds after its scheduled time a missed run may still start.
    pub starting_deadline_seconds: u32,
}

/// The replay job's command, exactly as SPEC §10 gives it.
pub const REPLAY_COMMAND: &str = "psql \"$DATABASE_URL\" -v ON_ERROR_STOP=1 -c \"SET ROLE scaling_replayer; SELECT replay_pending(500)\"";

/// Publishes up to 500 journaled events every minute.
pub const REPLAY: JobSpec = JobSpec {
    suffix: "journal-replay",
    schedule: "* * * * *",
    role: "scaling_replayer",
    command: |_| REPLAY_COMMAND.to_string(),
    secret: |m| &m.events.replay_secret,
    active_deadline_seconds: 50,
    starting_deadline_seconds: 30,
};

// A run ends before the next minute's starts, and a missed start survives the CronJob
// controller's 10-second polling.
const _: () = assert!(REPLAY.active_deadline_seconds < 60);
const _: () = assert!(REPLAY.starting_deadline_seconds >= 10);

/// Deletes published journal rows older than `[events] journal_retention`, daily at
/// 03:17 (a quiet hour, off the full and half hours other jobs crowd).
pub const RETENTION: JobSpec = JobSpec {
    suffix: "journal-retention",
    schedule: "17 3 * * *",
    role: "scaling_maintainer",
    command: retention_command,
    secret: |m| &m.events.retention_secret,
    active_deadline_seconds: 3_600,
    starting_deadline_seconds: 3_600,
};

// A run (or a late start) ends long before the next day's.
const _: () =
    assert!(RETENTION.active_deadline_seconds + RETENTION.starting_deadline_seconds < 86_400);

/// `psql … -c "SET ROLE scaling_maintainer; SELECT scaling_purge_published(interval '…')"`
/// with the model's retention horizon.
pub fn retention_command(model: &Model) -> String {
    format!(
        "psql \"$DATABASE_URL\" -v ON_ERROR_STOP=1 -c \"SET ROLE scaling_maintainer; SELECT scaling_purge_published(interval '{}')\"",
        sql_interval(model.events.journal_retention)
    )
}

/// A duration as PostgreSQL interval input in words (`7 days`, `1 day 12 hours`): the
/// same length as the Prometheus duration (days of 24 hours), readable in the runbook.
pub fn sql_interval(d: PromDuration) -> String {
    if d.seconds == 0 {
        return "0 seconds".to_string();
    }
    let mut parts = Vec::new();
    let mut rest = d.seconds;
    for (unit, size) in [
        ("day", 86_400),
        ("hour", 3_600),
        ("minute", 60),
        ("second", 1),
    ] {
        let n = rest / size;
        rest %= size;
        match n {
            0 => {}
            1 => parts.push(format!("1 {unit}")),
            n => parts.push(format!("{n} {unit}s")),
        }
    }
    parts.join(" ")
}

/// Every CronJob, in output order.
pub const JOBS: &[JobSpec] = &[REPLAY, RETENTION];

/// The numeric user and group the jobs run as: `postgres` in the `postgres:*-alpine`
/// images (restricted Pod Security needs a non-root user the kubelet can verify).
pub const RUN_AS_USER: u32 = 70;

/// Name of `job`'s CronJob for `model`'s app.
pub fn job_name(model: &Model, job: &JobSpec) -> String {
    format!("{}-{}", model.app.name, job.suffix)
}

/// Path of `job`'s manifest.
pub fn path_of(model: &Model, job: &JobSpec) -> String {
    format!("jobs/{}.yaml", job_name(model, job))
}

/// Renders every CronJob of [`JOBS`].
pub fn render(r: &Renderer) -> Result<Vec<RenderedFile>, RenderError> {
    JOBS.iter()
        .map(|job| {
            r.file(
                "jobs/cronjob.yaml.j2",
                context(r.model, job),
                &path_of(r.model, job),
                true,
            )
        })
        .collect()
}

/// Context of `cronjob.yaml.j2`.
#[derive(Serialize)]
struct CronJobContext<'a> {
    /// CronJob name, also the container's `PGAPPNAME`.
    name: String,
    namespace: &'a str,
    /// App name (label).
    app: &'a str,
    /// `app.kubernetes.io/component` and container name: the suffix.
    component: &'static str,
    schedule: &'static str,
    starting_deadline_seconds: u32,
    active_deadline_seconds: u32,
    image: &'a str,
    /// `/bin/sh -c` argument.
    command: String,
    /// Secret and key of `DATABASE_URL`.
    secret: &'a str,
    secret_key: &'static str,
    run_as: u32,
}

fn context<'a>(model: &'a Model, job: &JobSpec) -> CronJobContext<'a> {
    CronJobContext {
        name: job_name(model, job),
        namespace: &model.app.namespace,
        app: &model.app.name,
        component: job.suffix,
        schedule: job.schedule,
        starting_deadline_seconds: job.starting_deadline_seconds,
        active_deadline_seconds: job.active_deadline_seconds,
        image: &model.events.replay_image,
        command: (job.command)(model),
        secret: (job.secret)(model),
        secret_key: REPLAY_SECRET_KEY,
        run_as: RUN_AS_USER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::JOB_SUFFIXES;

    #[test]
    fn every_job_name_is_checked_by_validation() {
        for job in JOBS {
            assert!(JOB_SUFFIXES.contains(&job.suffix), "{}", job.suffix);
        }
        assert_eq!(JOBS.len(), JOB_SUFFIXES.len());
    }

    #[test]
    fn intervals_read_as_words_of_the_same_length() {
        let i = |seconds| sql_interval(PromDuration { seconds });
        assert_eq!(i(7 * 86_400), "7 days");
        assert_eq!(i(86_400 + 12 * 3_600), "1 day 12 hours");
        assert_eq!(i(3_600 + 61), "1 hour 1 minute 1 second");
        assert_eq!(i(0), "0 seconds");
    }
}
