//! CronJobs that keep the database side of scaling working (SPEC §10): today the journal
//! replay job, `jobs/{app}-journal-replay.yaml`.
//!
//! Why a job at all: `publish_event` journals events while the NOTIFY queue is under
//! backpressure, and nothing but `replay_pending()` publishes them later. Under a real peak
//! the journal fills; without a job calling it every minute it never drains, and the
//! `ScalingJournalLag` alert and the runbook assume one runs.
//!
//! Every job is one [`JobSpec`] in [`JOBS`] and one file rendered from the shared
//! `jobs/cronjob.yaml.j2`: a `psql` command (run by `/bin/sh -c`, so it reads exactly as an
//! operator would type it) with `DATABASE_URL` from the Secret named in
//! `[events] replay_secret`, in the `[events] replay_image`, every pod under the restricted
//! Pod Security Standard. A new job is a new entry here and its name suffix in
//! [`crate::config::model::JOB_SUFFIXES`] (validation keeps every name within Kubernetes'
//! CronJob limit).

use crate::config::model::{Model, REPLAY_SECRET_KEY};
use crate::render::engine::Renderer;
use crate::render::file::{RenderError, RenderedFile};
use serde::Serialize;

/// One CronJob scalegen renders.
#[derive(Debug, Clone, Copy)]
pub struct JobSpec {
    /// Name suffix: the CronJob is `{app}-{suffix}` (listed in `model::JOB_SUFFIXES`).
    pub suffix: &'static str,
    /// Cron schedule, in the controller's time zone.
    pub schedule: &'static str,
    /// Shell command of the container; `$DATABASE_URL` is in its environment.
    pub command: &'static str,
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
    command: REPLAY_COMMAND,
    active_deadline_seconds: 50,
    starting_deadline_seconds: 30,
};

// A run ends before the next minute's starts, and a missed start survives the CronJob
// controller's 10-second polling.
const _: () = assert!(REPLAY.active_deadline_seconds < 60);
const _: () = assert!(REPLAY.starting_deadline_seconds >= 10);

/// Every CronJob, in output order.
pub const JOBS: &[JobSpec] = &[REPLAY];

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
    command: &'static str,
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
        command: job.command,
        secret: &model.events.replay_secret,
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
}
