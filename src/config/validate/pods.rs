//! What a workload's pods need to run in a real cluster and what the monitoring stack
//! selects on (SPEC §9): probe and metrics paths, environment variables, `envFrom`
//! sources, the ServiceAccount, and `[app] monitoring_labels`.

use super::Validator;
use crate::config::model::{EnvSource, PodSettings, Probes};
use crate::config::parse::{self, Parsed, RawTerritoriesFile, SStr, Seg};
use crate::config::values::{
    is_dns1123_subdomain, is_env_var_name, is_http_path, is_label_key, is_label_value,
};
use std::collections::BTreeMap;

/// Environment variables scalegen sets itself (Micrometer common tags).
const RESERVED_ENV: &[&str] = &["TERRITORY", "WORKLOAD"];
/// Labels scalegen puts on the monitoring objects itself.
const RESERVED_LABELS: &[&str] = &[
    "app.kubernetes.io/name",
    "app.kubernetes.io/component",
    "app.kubernetes.io/managed-by",
];
const PATH_RULE: &str = "must be an absolute HTTP path (starting with `/`, no whitespace)";
const SUBDOMAIN_HELP: &str = "a DNS-1123 subdomain: lower-case letters, digits, `-` and `.`";

impl Validator {
    /// The pod settings of workload `name`, defaults filled in.
    pub(super) fn pod_settings(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        name: &str,
        w: &parse::RawWorkload,
    ) -> Option<PodSettings> {
        let defaults = PodSettings::default();
        let mut ok = true;
        let mut path = |v: Option<&SStr>, what: &str, default: &str| match v {
            Some(v) => {
                ok &= self.check(
                    p,
                    v,
                    is_http_path,
                    &format!("`{what}` {PATH_RULE}"),
                    "e.g. `/q/health/ready`",
                );
                v.get_ref().clone()
            }
            None => default.to_string(),
        };
        let raw = w.probes.as_ref();
        let probes = Probes {
            startup: path(
                raw.and_then(|r| r.startup.as_ref()),
                "probes.startup",
                &defaults.probes.startup,
            ),
            readiness: path(
                raw.and_then(|r| r.readiness.as_ref()),
                "probes.readiness",
                &defaults.probes.readiness,
            ),
            liveness: path(
                raw.and_then(|r| r.liveness.as_ref()),
                "probes.liveness",
                &defaults.probes.liveness,
            ),
        };
        let metrics_path = path(
            w.metrics_path.as_ref(),
            "metrics_path",
            &defaults.metrics_path,
        );
        let env = self.env_vars(p, name, w.env.as_ref());
        let env_from = self.env_sources(p, name, w.env_from.as_deref());
        if let Some(sa) = &w.service_account {
            ok &= self.check(
                p,
                sa,
                is_dns1123_subdomain,
                "`service_account` must name a ServiceAccount",
                SUBDOMAIN_HELP,
            );
        }
        if !ok {
            return None;
        }
        Some(PodSettings {
            probes,
            metrics_path,
            env: env?,
            env_from: env_from?,
            service_account: w.service_account.as_ref().map(|s| s.get_ref().clone()),
        })
    }

    fn env_vars(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        workload: &str,
        raw: Option<&BTreeMap<String, SStr>>,
    ) -> Option<Vec<(String, String)>> {
        let mut ok = true;
        let mut out = Vec::new();
        for (name, value) in raw.into_iter().flatten() {
            let key = p.key(&[
                Seg::Key("workloads".into()),
                Seg::Key(workload.into()),
                Seg::Key("env".into()),
                Seg::Key(name.clone()),
            ]);
            if RESERVED_ENV.contains(&name.as_str()) {
                self.error(format!("`env.{name}` is set by scalegen"), p.at(key.span()))
                    .help = Some("TERRITORY and WORKLOAD carry the deployment's territory and workload; choose another name".into());
                ok = false;
                continue;
            }
            ok &= self.check(
                p,
                &key,
                is_env_var_name,
                "environment variable names must match `^[A-Za-z_][A-Za-z0-9_]*$`",
                "e.g. `QUARKUS_PROFILE`",
            );
            out.push((name.clone(), value.get_ref().clone()));
        }
        ok.then_some(out)
    }

    fn env_sources(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        workload: &str,
        raw: Option<&[parse::RawEnvSource]>,
    ) -> Option<Vec<EnvSource>> {
        let mut ok = true;
        let mut out = Vec::new();
        for (i, source) in raw.unwrap_or_default().iter().enumerate() {
            let source = match (&source.secret, &source.config_map) {
                (Some(name), None) => (name, EnvSource::Secret(name.get_ref().clone())),
                (None, Some(name)) => (name, EnvSource::ConfigMap(name.get_ref().clone())),
                (first, second) => {
                    let at = first
                        .as_ref()
                        .or(second.as_ref())
                        .map(|s| s.span())
                        .or_else(|| {
                            p.span_of(&[
                                Seg::Key("workloads".into()),
                                Seg::Key(workload.into()),
                                Seg::Key("env_from".into()),
                            ])
                        });
                    self.error(format!("`env_from` entry {} of workload `{workload}` must name exactly one of `secret` and `config_map`", i + 1), p.at(at.unwrap_or(0..0)))
                        .help = Some("write `{ secret = \"name\" }` or `{ config_map = \"name\" }`, one per entry".into());
                    ok = false;
                    continue;
                }
            };
            ok &= self.check(
                p,
                source.0,
                is_dns1123_subdomain,
                "`env_from` must name a Secret or ConfigMap",
                SUBDOMAIN_HELP,
            );
            out.push(source.1);
        }
        ok.then_some(out)
    }

    /// `[app] monitoring_labels`, sorted by key.
    pub(super) fn monitoring_labels(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        raw: Option<&BTreeMap<String, SStr>>,
    ) -> Option<Vec<(String, String)>> {
        let mut ok = true;
        let mut out = Vec::new();
        for (key, value) in raw.into_iter().flatten() {
            let k = p.key(&[
                Seg::Key("app".into()),
                Seg::Key("monitoring_labels".into()),
                Seg::Key(key.clone()),
            ]);
            if RESERVED_LABELS.contains(&key.as_str()) {
                self.error(
                    format!("`monitoring_labels` cannot set `{key}`: scalegen sets it"),
                    p.at(k.span()),
                );
                ok = false;
                continue;
            }
            ok &= self.check(p, &k, is_label_key, "label keys must be `[prefix/]name` (name: up to 63 letters, digits, `-`, `_`, `.`)", "e.g. `release`");
            ok &= self.check(p, value, is_label_value, "label values must have at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit", "e.g. `kube-prometheus-stack`");
            out.push((key.clone(), value.get_ref().clone()));
        }
        ok.then_some(out)
    }
}
