//! `[environments.NAME]` (SPEC §9): per environment, the namespace, image, Prometheus and
//! runbook URLs and replica bounds that replace the base configuration's. Each is checked
//! like the base it replaces, and the calendar's floors against the environment's `max`,
//! so `render --env NAME` can only render a valid configuration.

use super::Validator;
use crate::config::model::{
    BoundsOverride, Environment, Model, Territory, TerritoryWorkload, Workload,
};
use crate::config::parse::{self, Parsed, RawTerritoriesFile, SStr, Seg};
use crate::config::values::{is_dns1035_label, is_dns1123_label};
use crate::diag::{did_you_mean, Closeness};
use toml::Spanned;

impl Validator {
    /// Every environment, sorted by name; `None` when any is invalid.
    pub(super) fn environments(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        territories: &[Territory],
        workloads: &[Workload],
    ) -> Option<Vec<Environment>> {
        let mut ok = true;
        let mut out = Vec::new();
        for (name, section) in p.raw.environments.iter().flatten() {
            let path = [Seg::Key("environments".into()), Seg::Key(name.clone())];
            let key = p.key(&path);
            ok &= self.check(p, &key, is_dns1035_label, "environment names must be DNS-1035 labels (lower-case letters, digits and `-`, starting with a letter)", "e.g. `staging`");
            let Some(raw) = p.section(section, &path, &mut self.diags) else {
                ok = false;
                continue;
            };
            match self.environment(p, name, raw, territories, workloads) {
                Some(env) => out.push(env),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn environment(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        name: &str,
        raw: &parse::RawEnvironment,
        territories: &[Territory],
        workloads: &[Workload],
    ) -> Option<Environment> {
        let mut ok = true;
        if let Some(ns) = &raw.namespace {
            ok &= self.check(p, ns, is_dns1123_label, &format!("`environments.{name}.namespace` must be a DNS-1123 label (lower-case letters, digits and `-`, at most 63 characters)"), "e.g. `freshplan-staging`");
        }
        if let Some(image) = &raw.image {
            ok &= self.check(p, image, |s| !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control()), &format!("`environments.{name}.image` must be a non-empty image reference without whitespace"), "e.g. `registry.example.com/team/app:1.0.0-rc1`");
        }
        if let Some(u) = &raw.prometheus_url {
            ok &= self.url(p, u, &format!("environments.{name}.prometheus_url"), false);
        }
        if let Some(u) = &raw.runbook_url {
            ok &= self.url(p, u, &format!("environments.{name}.runbook_url"), true);
        }
        let bounds = self.environment_bounds(p, name, raw, territories, workloads);
        let text = |v: &Option<SStr>| v.as_ref().map(|s| s.get_ref().clone());
        (ok && bounds.is_some()).then(|| Environment {
            name: name.to_string(),
            namespace: text(&raw.namespace),
            image: text(&raw.image),
            prometheus_url: text(&raw.prometheus_url),
            runbook_url: text(&raw.runbook_url),
            bounds: bounds.unwrap_or_default(),
        })
    }

    /// `[environments.NAME.territories.T] W = { min, max }`: known names, numbers in range,
    /// `min ≤ max` with the base value of whichever is not overridden.
    fn environment_bounds(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        env: &str,
        raw: &parse::RawEnvironment,
        territories: &[Territory],
        workloads: &[Workload],
    ) -> Option<Vec<BoundsOverride>> {
        let mut ok = true;
        let mut out = Vec::new();
        for (code, tables) in raw.territories.iter().flatten() {
            let mut path = vec![
                Seg::Key("environments".into()),
                Seg::Key(env.into()),
                Seg::Key("territories".into()),
                Seg::Key(code.clone()),
            ];
            let Some(territory) = territories.iter().find(|t| &t.code == code) else {
                if !self.broken_territories.contains(code) {
                    let codes = territories.iter().map(|t| t.code.as_str());
                    self.unknown_name(p, &p.key(&path), "territory", codes);
                }
                ok = false;
                continue;
            };
            for (workload, bounds) in tables {
                path.truncate(4);
                path.push(Seg::Key(workload.clone()));
                let Some(base) = territory.workload(workload) else {
                    self.unknown_name(
                        p,
                        &p.key(&path),
                        "workload",
                        workloads.iter().map(|w| w.name.as_str()),
                    );
                    ok = false;
                    continue;
                };
                match self.bounds_override(p, env, code, base, bounds) {
                    Some(b) => out.push(b),
                    None => ok = false,
                }
            }
        }
        ok.then_some(out)
    }

    /// One `W = { min, max }` of environment `env` in territory `code`: numbers in range,
    /// `min ≤ max` with the base value (`base`) of whichever is not overridden.
    fn bounds_override(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        env: &str,
        code: &str,
        base: &TerritoryWorkload,
        bounds: &parse::RawBounds,
    ) -> Option<BoundsOverride> {
        let workload = &base.workload;
        let int = |v: &Option<Spanned<i64>>, me: &mut Self, what: &str| match v {
            None => Some(None),
            Some(v) => me.int_in(p, v, 1, 1000, what).map(|n| Some(n as u32)),
        };
        let (Some(min), Some(max)) = (
            int(&bounds.min, self, "`min`"),
            int(&bounds.max, self, "`max`"),
        ) else {
            return None;
        };
        let (lo, hi) = (min.unwrap_or(base.min), max.unwrap_or(base.max));
        if lo > hi {
            let at = bounds
                .min
                .as_ref()
                .or(bounds.max.as_ref())
                .map_or(0..0, |v| v.span());
            let source = |v: Option<u32>| {
                if v.is_some() {
                    "overridden"
                } else {
                    "the base value"
                }
            };
            self.error(
                format!("environment `{env}`: {code}.{workload} min ({lo}) exceeds max ({hi})"),
                p.at(at),
            )
            .help = Some(format!(
                "in this environment min is {} and max {}; min must be at most max",
                source(min),
                source(max)
            ));
            return None;
        }
        if let Some(v) = &bounds.max {
            self.places.insert(
                ("env-max", format!("{env}.{code}.{workload}")),
                p.at(v.span()),
            );
        }
        Some(BoundsOverride {
            territory: code.to_string(),
            workload: workload.clone(),
            min,
            max,
        })
    }

    fn unknown_name<'a>(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        key: &SStr,
        what: &str,
        known: impl Iterator<Item = &'a str> + Clone,
    ) {
        let help = match did_you_mean(key.get_ref(), known.clone(), Closeness::Spelling) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("configured: {}", known.collect::<Vec<_>>().join(", ")),
        };
        self.error(
            format!("unknown {what} `{}` in an environment", key.get_ref()),
            p.at(key.span()),
        )
        .help = Some(help);
    }

    /// Every floor of the calendar within the `max` of every environment (checked once the
    /// calendars are read), reported at the environment's `max`.
    pub(super) fn check_environment_floors(&mut self, model: &Model) {
        for env in &model.environments {
            for b in &env.bounds {
                let Some(max) = b.max else { continue };
                for e in &model.entries {
                    let Some(floor) = e.floor_for(&b.territory, &b.workload) else {
                        continue;
                    };
                    if floor <= max {
                        continue;
                    }
                    let key = format!("{}.{}.{}", env.name, b.territory, b.workload);
                    let at = self
                        .places
                        .get(&("env-max", key))
                        .cloned()
                        .unwrap_or_else(|| p_nowhere(&e.file));
                    self.error(
                        format!("environment `{}`: {} `{}` floor for {}.{} ({floor}) exceeds {}.{}.max ({max}) in this environment", env.name, e.kind.as_str(), e.id, b.territory, b.workload, b.territory, b.workload),
                        at,
                    )
                    .help = Some(format!("raise environments.{}.territories.{}.{}.max to at least {floor}, or lower the floor", env.name, b.territory, b.workload));
                }
            }
        }
    }
}

/// A location in `file` without a span.
fn p_nowhere(file: &str) -> crate::diag::Location {
    crate::diag::Location {
        file: file.to_string(),
        span: 0..0,
    }
}
