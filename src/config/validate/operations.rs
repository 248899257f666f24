//! What the load tests and the database jobs read from `territories.toml` (SPEC §10):
//! `[workloads.W.loadtest]`, `[events] replay_secret` / `replay_image` and
//! `[events] journal_retention` / `retention_secret`.

use super::Validator;
use crate::config::model::{
    App, LoadProbe, PromDuration, CRONJOB_NAME_MAX, DEFAULT_JOURNAL_RETENTION,
    DEFAULT_REPLAY_IMAGE, JOB_SUFFIXES,
};
use crate::config::parse::{self, Parsed, RawTerritoriesFile};
use crate::config::values::{
    is_dns1123_subdomain, is_image_reference, method_has_no_body, probe_path_problem, HTTP_METHODS,
};
use crate::diag::{did_you_mean, Closeness};

/// Shortest `journal_retention`: consumers must still be able to look up an event they
/// were notified of (and the daily job makes anything shorter approximate anyway).
const MIN_RETENTION: PromDuration = PromDuration { seconds: 3_600 };
/// Longest `journal_retention`: `R__scaling_config.sql` re-checks every journal row under
/// an exclusive lock whenever the configuration changes, so the journal must stay small.
const MAX_RETENTION: PromDuration = PromDuration {
    seconds: 90 * 86_400,
};

impl Validator {
    /// The probe request of workload `name`: `GET /` without a table.
    pub(super) fn loadtest_probe(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        name: &str,
        raw: Option<&parse::RawLoadtest>,
    ) -> Option<LoadProbe> {
        let Some(raw) = raw else {
            return Some(LoadProbe::default());
        };
        let mut probe = LoadProbe::default();
        let mut ok = true;
        if let Some(m) = &raw.method {
            if HTTP_METHODS.contains(&m.get_ref().as_str()) {
                probe.method = m.get_ref().clone();
            } else {
                let help = match did_you_mean(
                    &m.get_ref().to_ascii_uppercase(),
                    HTTP_METHODS.iter().copied(),
                    Closeness::Spelling,
                ) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("use one of {}", HTTP_METHODS.join(", ")),
                };
                self.error(
                    format!(
                        "`workloads.{name}.loadtest.method` must be an upper-case HTTP method, found `{}`",
                        m.get_ref().escape_debug()
                    ),
                    p.at(m.span()),
                )
                .help = Some(help);
                ok = false;
            }
        }
        if let Some(path) = &raw.path {
            match probe_path_problem(path.get_ref()) {
                None => probe.path = path.get_ref().clone(),
                Some(problem) => {
                    self.error(
                        format!("`workloads.{name}.loadtest.path` {problem}"),
                        p.at(path.span()),
                    )
                    .help = Some(
                        "a path and query below BASE_URL, e.g. \"/api/customers?territory={territory}&region={region}\"".into(),
                    );
                    ok = false;
                }
            }
        }
        if let Some(body) = &raw.body {
            ok &= self.probe_body(p, name, &probe.method, body);
            probe.body = Some(body.get_ref().clone());
        }
        ok.then_some(probe)
    }

    fn probe_body(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        name: &str,
        method: &str,
        body: &parse::SStr,
    ) -> bool {
        let at = p.at(body.span());
        if method_has_no_body(method) {
            self.error(
                format!(
                    "`workloads.{name}.loadtest.body` is set but {method} requests carry no body"
                ),
                at,
            )
            .help =
                Some("set `method = \"POST\"` (or PUT, PATCH, DELETE), or remove the body".into());
            return false;
        }
        // Its size is capped while parsing (`parse::MAX_BODY_BYTES`).
        true
    }

    /// `[events] replay_secret` (default `{app}-journal-replay`) and `replay_image`
    /// (default `postgres:15-alpine`).
    pub(super) fn replay_settings(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        e: &parse::RawEvents,
        app: Option<&App>,
    ) -> Option<(String, String)> {
        let mut ok = true;
        if let Some(s) = &e.replay_secret {
            ok &= self.check(
                p,
                s,
                is_dns1123_subdomain,
                "`events.replay_secret` must be a Secret name (a DNS-1123 subdomain)",
                "e.g. `freshplan-api-journal-replay`",
            );
        }
        if let Some(i) = &e.replay_image {
            ok &= self.check(
                p,
                i,
                is_image_reference,
                "`events.replay_image` must be a non-empty image reference without whitespace",
                "an image with `psql`, e.g. `postgres:15-alpine`",
            );
        }
        let app_name = app.map_or("app", |a| a.name.as_str());
        let secret = match &e.replay_secret {
            Some(s) => s.get_ref().clone(),
            None => format!("{app_name}-journal-replay"),
        };
        let image = e
            .replay_image
            .as_ref()
            .map_or(DEFAULT_REPLAY_IMAGE.to_string(), |i| i.get_ref().clone());
        ok.then_some((secret, image))
    }

    /// `[events] journal_retention` (default `7d`, between [`MIN_RETENTION`] and
    /// [`MAX_RETENTION`]) and `retention_secret` (default `{app}-journal-retention`).
    pub(super) fn retention_settings(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        e: &parse::RawEvents,
        app: Option<&App>,
    ) -> Option<(PromDuration, String)> {
        let mut ok = true;
        if let Some(s) = &e.retention_secret {
            ok &= self.check(
                p,
                s,
                is_dns1123_subdomain,
                "`events.retention_secret` must be a Secret name (a DNS-1123 subdomain)",
                "e.g. `freshplan-api-journal-retention`",
            );
        }
        let retention = match &e.journal_retention {
            None => Some(DEFAULT_JOURNAL_RETENTION),
            Some(v) => self
                .duration(p, v, None, "`events.journal_retention`")
                .and_then(|d| self.retention_in_range(p, v, d)),
        };
        let app_name = app.map_or("app", |a| a.name.as_str());
        let secret = match &e.retention_secret {
            Some(s) => s.get_ref().clone(),
            None => format!("{app_name}-journal-retention"),
        };
        ok.then_some((retention?, secret))
    }

    fn retention_in_range(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        v: &parse::SStr,
        d: PromDuration,
    ) -> Option<PromDuration> {
        let (problem, help) = if d < MIN_RETENTION {
            (
                format!("less than {MIN_RETENTION}"),
                "published events are deleted after this time; keep them at least an hour so \
                 that consumers can look up what they were notified of",
            )
        } else if d > MAX_RETENTION {
            (
                format!("more than {MAX_RETENTION}"),
                "R__scaling_config.sql re-checks every journal row under an exclusive lock when \
                 the configuration changes: keep the journal small",
            )
        } else {
            return Some(d);
        };
        self.error(
            format!("`events.journal_retention` is {d}, {problem}"),
            p.at(v.span()),
        )
        .help = Some(help.into());
        None
    }

    /// Every CronJob name (`{app}-{suffix}`) fits Kubernetes' limit; an error otherwise.
    pub(super) fn job_names(&mut self, p: &Parsed<RawTerritoriesFile>, a: &parse::RawApp) {
        let app = a.name.get_ref();
        let Some(longest) = JOB_SUFFIXES
            .iter()
            .map(|s| format!("{app}-{s}"))
            .max_by_key(String::len)
        else {
            return;
        };
        if longest.len() <= CRONJOB_NAME_MAX {
            return;
        }
        self.error(
            format!(
                "generated CronJob name `{longest}` is longer than {CRONJOB_NAME_MAX} characters"
            ),
            p.at(a.name.span()),
        )
        .help = Some(format!(
            "Kubernetes limits CronJob names to {CRONJOB_NAME_MAX} characters; shorten `app.name` to at most {} characters",
            CRONJOB_NAME_MAX + app.len() - longest.len()
        ));
    }
}
