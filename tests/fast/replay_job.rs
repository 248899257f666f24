//! The database CronJobs as rendered: the journal replay job
//! `jobs/{app}-journal-replay.yaml` (SPEC §10) and the journal retention job
//! `jobs/{app}-journal-retention.yaml` — schedule, concurrency, restricted Pod Security,
//! the exact command and its Secret, the kustomization and the runbook that name them,
//! `[events] replay_secret`/`replay_image`/`journal_retention`/`retention_secret`, and the
//! upstream Kubernetes schema. `tests/replay_job_pg.rs` runs both commands against a real
//! journal.

use crate::support::loadtest::odd_model;
use crate::support::tools::{manifest_validator, output_text};
use crate::support::{file, model, render, render_default};
use crate::support::{write_files, yaml_documents};
use crate::validation::{assert_diag, territories_with};
use scalegen::config::example::{CALENDARS, TERRITORIES};
use scalegen::config::model::Model;
use scalegen::render::file::RenderedFile;
use scalegen::render::jobs;
use serde_yaml::Value;

/// SPEC §10's command, character for character.
const SPEC_COMMAND: &str = r#"psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -c "SET ROLE scaling_replayer; SELECT replay_pending(500)""#;

fn cronjob(model: &Model, files: &[RenderedFile], job: &jobs::JobSpec) -> Value {
    let path = jobs::path_of(model, job);
    let f = file(files, &path);
    assert!(f.kustomize, "{path} is applied with the kustomization");
    let docs = yaml_documents(&f.contents);
    assert_eq!(docs.len(), 1);
    docs.into_iter().next().unwrap()
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut node = v;
    for key in path {
        node = &node[*key];
    }
    node.as_str()
        .unwrap_or_else(|| panic!("{} is not a string: {node:?}", path.join(".")))
}

/// What every database CronJob shares: name, namespace, one run at a time, no retries,
/// restricted Pod Security, one container in the image of `[events] replay_image` whose
/// `DATABASE_URL` comes from `secret` only, listed in the kustomization. Returns the
/// CronJob's spec and the container's command.
fn check_common(
    model: &Model,
    files: &[RenderedFile],
    job: &jobs::JobSpec,
    secret_name: &str,
) -> (Value, Vec<String>) {
    let cron = cronjob(model, files, job);
    assert_eq!(str_at(&cron, &["apiVersion"]), "batch/v1");
    assert_eq!(str_at(&cron, &["kind"]), "CronJob");
    let name = format!("{}-{}", model.app.name, job.suffix);
    assert_eq!(str_at(&cron, &["metadata", "name"]), name);
    assert!(
        name.len() <= 52,
        "Kubernetes limits CronJob names to 52 characters"
    );
    assert_eq!(
        str_at(&cron, &["metadata", "namespace"]),
        model.app.namespace
    );
    let spec = &cron["spec"];
    assert_eq!(str_at(spec, &["concurrencyPolicy"]), "Forbid");
    let job_spec = &spec["jobTemplate"]["spec"];
    assert_eq!(job_spec["backoffLimit"].as_u64(), Some(0));
    let pod = &job_spec["template"]["spec"];
    assert_eq!(str_at(pod, &["restartPolicy"]), "Never");
    assert_eq!(pod["automountServiceAccountToken"].as_bool(), Some(false));
    let psc = &pod["securityContext"];
    assert_eq!(psc["runAsNonRoot"].as_bool(), Some(true));
    assert!(psc["runAsUser"].as_u64().unwrap() > 0);
    assert_eq!(str_at(psc, &["seccompProfile", "type"]), "RuntimeDefault");
    let containers = pod["containers"].as_sequence().unwrap();
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    assert_eq!(str_at(c, &["image"]), model.events.replay_image);
    let command: Vec<String> = c["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert!(c["args"].is_null());
    let csc = &c["securityContext"];
    assert_eq!(csc["allowPrivilegeEscalation"].as_bool(), Some(false));
    assert_eq!(csc["readOnlyRootFilesystem"].as_bool(), Some(true));
    assert_eq!(
        csc["capabilities"]["drop"].as_sequence().unwrap(),
        &vec![Value::from("ALL")]
    );
    let env = c["env"].as_sequence().unwrap();
    let url = env.iter().find(|e| e["name"] == "DATABASE_URL").unwrap();
    assert!(url["value"].is_null(), "the URL comes from the Secret only");
    let secret = &url["valueFrom"]["secretKeyRef"];
    assert_eq!(str_at(secret, &["name"]), secret_name);
    assert_eq!(str_at(secret, &["key"]), "DATABASE_URL");
    let kustomization = &file(files, "kustomization.yaml").contents;
    assert!(kustomization.contains(&format!("  - \"jobs/{name}.yaml\"\n")));
    (spec.clone(), command)
}

/// Everything SPEC §10 and the restricted Pod Security Standard ask of the replay CronJob.
fn check_cronjob(model: &Model, files: &[RenderedFile]) {
    let (spec, command) = check_common(model, files, &jobs::REPLAY, &model.events.replay_secret);
    assert_eq!(str_at(&spec, &["schedule"]), "* * * * *");
    let starting = spec["startingDeadlineSeconds"].as_u64().unwrap();
    assert!((10..60).contains(&starting), "{starting}");
    let job_spec = &spec["jobTemplate"]["spec"];
    assert!(job_spec["activeDeadlineSeconds"].as_u64().unwrap() < 60);
    assert_eq!(command, ["/bin/sh", "-c", SPEC_COMMAND]);
}

/// The retention CronJob: daily, as `scaling_maintainer`, with the configured horizon and
/// its own Secret.
fn check_retention_cronjob(model: &Model, files: &[RenderedFile], interval: &str) {
    let (spec, command) = check_common(
        model,
        files,
        &jobs::RETENTION,
        &model.events.retention_secret,
    );
    assert_ne!(model.events.retention_secret, model.events.replay_secret);
    assert_eq!(str_at(&spec, &["schedule"]), "17 3 * * *");
    let starting = spec["startingDeadlineSeconds"].as_u64().unwrap();
    let active = spec["jobTemplate"]["spec"]["activeDeadlineSeconds"]
        .as_u64()
        .unwrap();
    assert!(
        starting + active < 86_400,
        "a run ends before the next day's"
    );
    let expected = format!(
        r#"psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -c "SET ROLE scaling_maintainer; SELECT scaling_purge_published(interval '{interval}')""#
    );
    assert_eq!(command, ["/bin/sh", "-c", expected.as_str()]);
}

#[test]
fn the_replay_cronjob_runs_the_spec_command_every_minute_under_restricted_pod_security() {
    let (m, _, files) = render_default();
    assert_eq!(m.events.replay_secret, "freshplan-api-journal-replay");
    assert_eq!(m.events.replay_image, "postgres:15-alpine");
    check_cronjob(&m, &files);
    let odd = odd_model();
    check_cronjob(&odd, &render(&odd).1);
    assert_eq!(jobs::REPLAY_COMMAND, SPEC_COMMAND);
    assert_eq!((jobs::REPLAY.command)(&m), SPEC_COMMAND);
}

fn with_replay_settings(lines: &str) -> Model {
    let text = TERRITORIES.replacen(
        "critical_threshold = 0.95\n",
        &format!("critical_threshold = 0.95\n{lines}\n"),
        1,
    );
    let calendars: Vec<(String, String)> = CALENDARS
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    model(&text, &calendars)
}

#[test]
fn secret_and_image_come_from_the_events_table() {
    let m = with_replay_settings(
        "replay_secret = \"db.replay-url\"\nreplay_image = \"registry.example.com/psql@sha256:0123\"",
    );
    assert_eq!(m.events.replay_secret, "db.replay-url");
    check_cronjob(&m, &render(&m).1);
}

#[test]
fn the_retention_cronjob_purges_daily_with_the_configured_horizon_and_its_own_secret() {
    let (m, _, files) = render_default();
    assert_eq!(m.events.retention_secret, "freshplan-api-journal-retention");
    check_retention_cronjob(&m, &files, "7 days");
    let odd = odd_model();
    check_retention_cronjob(&odd, &render(&odd).1, "7 days");
    let custom = with_replay_settings(
        "journal_retention = \"1d12h\"\nretention_secret = \"db.retention-url\"",
    );
    assert_eq!(custom.events.journal_retention.seconds, 36 * 3_600);
    assert_eq!(custom.events.retention_secret, "db.retention-url");
    check_retention_cronjob(&custom, &render(&custom).1, "1 day 12 hours");
}

/// Where a line inserted after `critical_threshold = 0.95` of the default territories file
/// stands: `territories.toml:LINE`.
fn inserted_line() -> String {
    let line = TERRITORIES
        .lines()
        .position(|l| l == "critical_threshold = 0.95")
        .unwrap()
        + 2;
    format!("territories.toml:{line}")
}

#[test]
fn bad_retention_settings_are_errors_at_their_value() {
    let at = &inserted_line();
    let with = |extra: &str| {
        territories_with(
            "critical_threshold = 0.95\n",
            &format!("critical_threshold = 0.95\n{extra}\n"),
        )
    };
    for (extra, message) in [
        (
            "journal_retention = \"7 days\"",
            "`events.journal_retention` is not a Prometheus duration: `7 days`",
        ),
        (
            "journal_retention = \"59m\"",
            "`events.journal_retention` is 59m, less than 1h",
        ),
        (
            "journal_retention = \"13w\"",
            "`events.journal_retention` is 91d, more than 90d",
        ),
        (
            "retention_secret = \"Retention_URL\"",
            "`events.retention_secret` must be a Secret name (a DNS-1123 subdomain), found `Retention_URL`",
        ),
    ] {
        assert_diag(&with(extra), message, at);
    }
    // The bounds themselves are fine.
    for ok in ["1h", "90d"] {
        let m = with_replay_settings(&format!("journal_retention = \"{ok}\""));
        assert_eq!(m.events.journal_retention.to_string(), ok);
    }
}

#[test]
fn bad_replay_settings_and_long_app_names_are_errors() {
    let at = &inserted_line();
    let out = territories_with(
        "critical_threshold = 0.95\n",
        "critical_threshold = 0.95\nreplay_secret = \"Replay_URL\"\n",
    );
    assert_diag(
        &out,
        "`events.replay_secret` must be a Secret name (a DNS-1123 subdomain), found `Replay_URL`",
        at,
    );
    let out = territories_with(
        "critical_threshold = 0.95\n",
        "critical_threshold = 0.95\nreplay_image = \"postgres 15\"\n",
    );
    assert_diag(
        &out,
        "`events.replay_image` must be a non-empty image reference",
        at,
    );
    // The longest suffix decides: `journal-retention`.
    let long = "a".repeat(40);
    let out = territories_with("name = \"freshplan-api\"", &format!("name = \"{long}\""));
    assert_diag(
        &out,
        &format!("generated CronJob name `{long}-journal-retention` is longer than 52 characters"),
        "territories.toml:6",
    );
    assert!(
        out.contains("shorten `app.name` to at most 34 characters"),
        "{out}"
    );
}

#[test]
fn the_runbook_names_the_job_in_its_replay_section() {
    let (_, _, files) = render_default();
    let runbook = &file(&files, "docs/runbook-seasonal.md").contents;
    let section = runbook.split("\n## Journal replay\n").nth(1).unwrap();
    let section = section.split("\n## ").next().unwrap();
    for text in [
        "The CronJob `freshplan-api-journal-replay` (`jobs/freshplan-api-journal-replay.yaml`)",
        SPEC_COMMAND,
        "Secret `freshplan-api-journal-replay`",
        "create job --from=cronjob/freshplan-api-journal-replay",
    ] {
        assert!(section.contains(text), "missing {text:?} in:\n{section}");
    }
    let lag = runbook
        .split("### Journal lag above the limit")
        .nth(1)
        .unwrap();
    assert!(lag.contains("the replay CronJob `freshplan-api-journal-replay`"));
}

#[test]
fn the_runbook_names_the_retention_job_its_command_role_and_secret() {
    let (m, _, files) = render_default();
    let runbook = &file(&files, "docs/runbook-seasonal.md").contents;
    let section = runbook.split("\n## Journal retention\n").nth(1).unwrap();
    let section = section.split("\n## ").next().unwrap();
    let command = (jobs::RETENTION.command)(&m);
    for text in [
        "The CronJob\n`freshplan-api-journal-retention` (`jobs/freshplan-api-journal-retention.yaml`)",
        command.as_str(),
        "7d ago",
        "`17 3 * * *` in the time zone of the cluster's CronJob controller",
        "Secret `freshplan-api-journal-retention`",
        "role granted `scaling_maintainer`",
        "create job --from=cronjob/freshplan-api-journal-retention",
        "SELECT scaling_purge_published(interval '7 days');",
        "ScalingJournalRetentionOverdue",
    ] {
        assert!(section.contains(text), "missing {text:?} in:\n{section}");
    }
}

#[test]
fn the_cronjob_validates_against_the_kubernetes_schema() {
    let Some(script) = manifest_validator() else {
        return;
    };
    let custom = with_replay_settings("replay_secret = \"db.replay-url\"");
    for m in [render_default().0, odd_model(), custom] {
        let files = render(&m).1;
        let dir = write_files(&files);
        for job in jobs::JOBS {
            let path = dir.path().join(jobs::path_of(&m, job));
            let out = std::process::Command::new(&script)
                .arg(&path)
                .output()
                .expect("run run.sh");
            let text = output_text(&out);
            assert!(out.status.success(), "{}: {text}", path.display());
            assert!(text.contains("1 documents valid"), "{text}");
        }
    }
}
