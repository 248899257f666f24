//! `territories.toml`: `[app]`, `[workloads.*]` and `[territories.*]` (SPEC §2.1).

use super::events::{default_alerts, placeholder_events};
use super::Validator;
use crate::config::model::{
    App, KedaVersion, Model, Pods, PromDuration, Region, Resources, Territory, TerritoryWorkload,
    TrafficSettings, Workload,
};
use crate::config::parse::{self, Parsed, RawTerritoriesFile, SStr, Seg};
use crate::config::values::{
    is_dns1035_label, is_dns1123_label, is_image_reference, is_region_code, is_territory_code,
    is_workload_name, parse_keda_version, quantity_value,
};
use crate::diag::{did_you_mean, Closeness};
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

const TERRITORY_KEYS: &[&str] = &["name", "timezone", "p95_ms", "regions"];

impl Validator {
    pub(super) fn territories_file(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
    ) -> Option<(Model, bool)> {
        let raw = &p.raw;
        let app = p
            .section(&raw.app, &[Seg::Key("app".into())], &mut self.diags)
            .and_then(|a| self.app(p, a));
        let workloads = self.workloads(p);
        let events = p
            .section(&raw.events, &[Seg::Key("events".into())], &mut self.diags)
            .and_then(|e| self.events(p, e, app.as_ref()));
        let alerts = match &raw.alerts {
            None => Some(default_alerts()),
            Some(a) => p
                .section(a, &[Seg::Key("alerts".into())], &mut self.diags)
                .and_then(|a| self.alerts(p, a)),
        };
        let traffic = match &raw.traffic {
            None => Some(TrafficSettings::default()),
            Some(t) => p
                .section(t, &[Seg::Key("traffic".into())], &mut self.diags)
                .and_then(|t| self.traffic(p, t)),
        };
        let pods = match &raw.pods {
            None => Some(Pods::default()),
            Some(section) => p
                .section(section, &[Seg::Key("pods".into())], &mut self.diags)
                .and_then(|raw| self.pods(p, raw)),
        };
        let workloads = workloads?;
        let (territories, all_ok) = self.territories(p, &workloads, app.as_ref());
        let environments = self.environments(p, &territories, &workloads);
        // Calendars are checked against whatever validated, so their problems are
        // reported in the same run as those of territories.toml.
        let for_calendars = Model {
            app: app.clone().unwrap_or_else(placeholder_app),
            workloads: workloads.clone(),
            territories: territories.clone(),
            events: events.clone().unwrap_or_else(placeholder_events),
            alerts: alerts.clone().unwrap_or_else(default_alerts),
            traffic: traffic.clone().unwrap_or_default(),
            entries: Vec::new(),
            blackouts: Vec::new(),
            environments: environments.clone().unwrap_or_default(),
            pods: pods.clone().unwrap_or_default(),
        };
        let complete = app.is_some()
            && events.is_some()
            && alerts.is_some()
            && environments.is_some()
            && traffic.is_some()
            && pods.is_some()
            && all_ok;
        Some((for_calendars, complete))
    }

    pub(super) fn app(&mut self, p: &Parsed<RawTerritoriesFile>, a: &parse::RawApp) -> Option<App> {
        let mut ok = true;
        ok &= self.check(p, &a.name, is_dns1035_label, "`app.name` must be a DNS-1035 label (lower-case letters, digits and `-`, starting with a letter, at most 63 characters)", "e.g. `freshplan-api`");
        ok &= self.check(p, &a.namespace, is_dns1123_label, "`app.namespace` must be a DNS-1123 label (lower-case letters, digits and `-`, at most 63 characters)", "e.g. `freshplan`");
        // A too-long CronJob name is an error, but the app values stay usable for the
        // checks that depend on them.
        self.job_names(p, a);
        ok &= self.check(
            p,
            &a.image,
            is_image_reference,
            "`app.image` must be a non-empty image reference without whitespace",
            "e.g. `registry.example.com/team/app:1.0.0`",
        );
        ok &= self.url(p, &a.runbook_url, "app.runbook_url", true);
        if let Some(u) = &a.prometheus_url {
            ok &= self.url(p, u, "app.prometheus_url", false);
        }
        let keda_version = match &a.keda_version {
            None => Some(KedaVersion {
                major: 2,
                minor: 17,
            }),
            Some(v) => {
                let parsed = parse_keda_version(v.get_ref());
                if parsed.is_none() {
                    self.error(
                        format!(
                            "`app.keda_version` must be `MAJOR.MINOR`, found `{}`",
                            v.get_ref()
                        ),
                        p.at(v.span()),
                    )
                    .help = Some("e.g. keda_version = \"2.17\"".into());
                }
                parsed
            }
        };
        let migration_version = match &a.migration_version {
            None => Some(226),
            Some(v) => self.int_in(p, v, 1, u32::MAX as i64, "`app.migration_version`"),
        };
        let monitoring_labels = self.monitoring_labels(p, a.monitoring_labels.as_ref());
        let prescale_lead = match &a.prescale_lead {
            None => Some(0),
            Some(v) => self.lead(p, v, "`app.prescale_lead`"),
        };
        let scale_up_tolerance = match &a.scale_up_tolerance {
            None => Some(None),
            Some(v) => self.scale_up_tolerance(p, v).map(Some),
        };
        if !ok {
            return None;
        }
        Some(App {
            name: a.name.get_ref().clone(),
            namespace: a.namespace.get_ref().clone(),
            image: a.image.get_ref().clone(),
            keda_version: keda_version?,
            prometheus_url: a
                .prometheus_url
                .as_ref()
                .map(|u| u.get_ref().clone())
                .unwrap_or_else(|| "http://prometheus-operated.monitoring.svc:9090".into()),
            runbook_url: a.runbook_url.get_ref().clone(),
            migration_version: migration_version? as u32,
            monitoring_labels: monitoring_labels?,
            prescale_lead: prescale_lead?,
            scale_up_tolerance: scale_up_tolerance?,
        })
    }

    pub(super) fn workloads(&mut self, p: &Parsed<RawTerritoriesFile>) -> Option<Vec<Workload>> {
        let map = &p.raw.workloads;
        if map.is_empty() {
            let at = p.span_of(&[Seg::Key("workloads".into())]).unwrap_or(0..0);
            self.error("`[workloads]` defines no workload", p.at(at))
                .help = Some("add e.g. `[workloads.queries]` with `p95_ms = 300`".into());
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for (name, section) in map {
            let path = [Seg::Key("workloads".into()), Seg::Key(name.clone())];
            let name = &p.key(&path);
            ok &= self.check(
                p,
                name,
                is_workload_name,
                "workload names must match `^[a-z][a-z0-9]*$`",
                "use a lower-case name such as `queries`",
            );
            let Some(w) = p.section(section, &path, &mut self.diags) else {
                ok = false;
                continue;
            };
            let p95 = self.int_in(p, &w.p95_ms, 1, u32::MAX as i64, "`p95_ms`");
            let port = match &w.port {
                None => Some(8080),
                Some(port) => self.int_in(p, port, 1, 65535, "`port`"),
            };
            let window = match &w.scale_down_window {
                None => Some(PromDuration { seconds: 300 }),
                Some(d) => self.duration(p, d, Some(3600), "`scale_down_window`"),
            };
            let requests = self.resources(p, w.requests.as_ref(), ("250m", "512Mi"));
            let limits = self.resources(p, w.limits.as_ref(), ("1", "1Gi"));
            if let (Some(req), Some(lim), Some(lim_raw)) = (&requests, &limits, &w.limits) {
                for (what, r, l) in [
                    ("cpu", &req.cpu, &lim.cpu),
                    ("memory", &req.memory, &lim.memory),
                ] {
                    if let (Some(r), Some(l)) = (quantity_value(r), quantity_value(l)) {
                        if r > l {
                            self.error(
                                format!("workload `{}`: requests.{what} ({}) exceeds limits.{what} ({})", name.get_ref(), req_field(req, what), req_field(lim, what)),
                                p.at(if what == "cpu" { lim_raw.cpu.span() } else { lim_raw.memory.span() }),
                            )
                            .help = Some("Kubernetes rejects a request above its limit; raise the limit or lower the request".into());
                            ok = false;
                        }
                    }
                }
            }
            let loadtest = self.loadtest_probe(p, name.get_ref(), w.loadtest.as_ref());
            let pod = self.pod_settings(p, name.get_ref(), w);
            match (p95, port, window, requests, limits, loadtest, pod) {
                (
                    Some(p95),
                    Some(port),
                    Some(window),
                    Some(requests),
                    Some(limits),
                    Some(loadtest),
                    Some(pod),
                ) if ok => out.push(Workload {
                    name: name.get_ref().clone(),
                    p95_ms: p95 as u32,
                    port: port as u16,
                    scale_down_window: window,
                    requests,
                    limits,
                    loadtest,
                    pod,
                }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    pub(super) fn resources(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        raw: Option<&parse::RawResources>,
        default: (&str, &str),
    ) -> Option<Resources> {
        let Some(raw) = raw else {
            return Some(Resources {
                cpu: default.0.into(),
                memory: default.1.into(),
            });
        };
        let r = raw;
        let mut ok = true;
        for q in [&r.cpu, &r.memory] {
            ok &= self.check(
                p,
                q,
                |s| quantity_value(s).is_some(),
                "not a Kubernetes resource quantity",
                "use e.g. `250m`, `1`, `512Mi`, `1Gi`",
            );
        }
        ok.then(|| Resources {
            cpu: r.cpu.get_ref().clone(),
            memory: r.memory.get_ref().clone(),
        })
    }

    pub(super) fn territories(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        workloads: &[Workload],
        app: Option<&App>,
    ) -> (Vec<Territory>, bool) {
        let map = &p.raw.territories;
        if map.is_empty() {
            let at = p.span_of(&[Seg::Key("territories".into())]).unwrap_or(0..0);
            self.error("`[territories]` defines no territory", p.at(at))
                .help = Some(
                "add e.g. `[territories.DE]` with name, timezone and one table per workload".into(),
            );
            return (Vec::new(), false);
        }
        let mut out = Vec::new();
        let mut ok = true;
        for (code, section) in map {
            let path = [Seg::Key("territories".into()), Seg::Key(code.clone())];
            let code = &p.key(&path);
            ok &= self.check(
                p,
                code,
                is_territory_code,
                "territory codes must be two upper-case letters",
                "e.g. `DE`, `CH`, `UK`",
            );
            let territory = p
                .section(section, &path, &mut self.diags)
                .and_then(|t| self.territory(p, code, t, workloads, app));
            match territory {
                Some(t) => out.push(t),
                None => {
                    ok = false;
                    self.broken_territories.push(code.get_ref().clone());
                }
            }
        }
        (out, ok)
    }

    pub(super) fn territory(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        code: &SStr,
        t: &parse::RawTerritory,
        workloads: &[Workload],
        app: Option<&App>,
    ) -> Option<Territory> {
        let code_s = code.get_ref();
        let (mut ok, suggested) = self.unknown_territory_keys(p, code, t, workloads);
        for (key, value_missing) in [
            ("name", t.name.is_none()),
            ("timezone", t.timezone.is_none()),
        ] {
            if value_missing && !suggested.contains(&key) {
                self.error(
                    format!("territory {code_s} is missing required key `{key}`"),
                    p.at(code.span()),
                )
                .help = Some(format!("add `{key} = …` to [territories.{code_s}]"));
                ok = false;
            }
        }
        if let Some(name) = &t.name {
            ok &= self.display_name(p, name, "territory name");
        }
        let timezone = t
            .timezone
            .as_ref()
            .and_then(|tz| self.timezone(p, code_s, tz));
        let territory_p95 = match &t.p95_ms {
            None => Some(None),
            Some(v) => self.int_in(p, v, 1, u32::MAX as i64, "`p95_ms`").map(Some),
        };
        let regions = self.regions(p, code_s, t.regions.as_ref());
        let (tws, workloads_ok) =
            self.territory_workloads(p, code, t, workloads, app, territory_p95.flatten());
        if !(ok && workloads_ok) {
            return None;
        }
        territory_p95?;
        Some(Territory {
            code: code_s.clone(),
            name: t.name.as_ref()?.get_ref().clone(),
            timezone: timezone?,
            timezone_name: t.timezone.as_ref()?.get_ref().clone(),
            regions: regions?,
            workloads: tws,
        })
    }

    /// Keys of a territory that are neither fixed keys nor workloads; whether there were
    /// none, and the keys suggested instead.
    fn unknown_territory_keys<'w>(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        code: &SStr,
        t: &parse::RawTerritory,
        workloads: &'w [Workload],
    ) -> (bool, Vec<&'w str>) {
        let code_s = code.get_ref();
        let mut ok = true;
        let mut suggested: Vec<&str> = Vec::new();
        for key in t.workloads.keys() {
            if workloads.iter().any(|w| &w.name == key) {
                continue;
            }
            let path = [
                Seg::Key("territories".into()),
                Seg::Key(code_s.clone()),
                Seg::Key(key.clone()),
            ];
            let key_span = p_key_span(p, &path).unwrap_or(code.span());
            let candidates = TERRITORY_KEYS
                .iter()
                .copied()
                .chain(workloads.iter().map(|w| w.name.as_str()));
            let help = match did_you_mean(key, candidates, Closeness::Spelling) {
                Some(s) => {
                    suggested.push(s);
                    format!("did you mean `{s}`?")
                }
                None => format!(
                    "a territory has `name`, `timezone`, `p95_ms`, `regions` and one table per workload ({})",
                    workloads.iter().map(|w| format!("`{}`", w.name)).collect::<Vec<_>>().join(", ")
                ),
            };
            self.error(
                format!("unknown key `{key}` in territory {code_s}"),
                p.at(key_span),
            )
            .help = Some(help);
            ok = false;
        }
        (ok, suggested)
    }

    /// One table per workload, each valid, and every generated object name short enough.
    fn territory_workloads(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        code: &SStr,
        t: &parse::RawTerritory,
        workloads: &[Workload],
        app: Option<&App>,
        territory_p95: Option<i64>,
    ) -> (Vec<TerritoryWorkload>, bool) {
        let code_s = code.get_ref();
        let mut ok = true;
        let mut tws = Vec::new();
        for w in workloads {
            let Some(section) = t.workloads.get(&w.name) else {
                self.error(format!("territory {code_s} does not define workload `{}`", w.name), p.at(code.span()))
                    .help = Some(format!("add `{} = {{ min = 1, max = 2, rps_per_replica = 10 }}` to [territories.{code_s}]", w.name));
                ok = false;
                continue;
            };
            let path = [
                Seg::Key("territories".into()),
                Seg::Key(code_s.clone()),
                Seg::Key(w.name.clone()),
            ];
            let Some(raw) = p.section(section, &path, &mut self.diags) else {
                ok = false;
                continue;
            };
            match self.territory_workload(p, code_s, w, raw, territory_p95) {
                Some(tw) => tws.push(tw),
                None => ok = false,
            }
            if let Some(app) = app {
                let name = format!("{}-{}-{}", app.name, w.name, code_s.to_ascii_lowercase());
                if name.len() > 63 {
                    self.error(
                        format!("generated object name `{name}` is longer than 63 characters"),
                        p.at(code.span()),
                    )
                    .help = Some("shorten `app.name` or the workload name".into());
                    ok = false;
                }
            }
        }
        (tws, ok)
    }

    pub(super) fn timezone(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        code: &str,
        tz: &SStr,
    ) -> Option<chrono_tz::Tz> {
        let name = tz.get_ref();
        if let Ok(zone) = name.parse::<chrono_tz::Tz>() {
            if zone.name() == name {
                return Some(zone);
            }
        }
        let suggestion = did_you_mean(
            name,
            chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()),
            Closeness::Spelling,
        )
        .or_else(|| {
            chrono_tz::TZ_VARIANTS
                .iter()
                .map(|z| z.name())
                .find(|z| z.eq_ignore_ascii_case(name))
        });
        self.error(format!("unknown timezone `{name}` for territory {code}"), p.at(tz.span()))
            .help = Some(match suggestion {
            Some(s) => format!("did you mean `{s}`? (IANA names are case-sensitive)"),
            None => "use an IANA zone name such as `Europe/Berlin`; fixed offsets like `UTC+01:00` are not zones".into(),
        });
        None
    }

    pub(super) fn territory_workload(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        code: &str,
        w: &Workload,
        raw: &parse::RawTerritoryWorkload,
        territory_p95: Option<i64>,
    ) -> Option<TerritoryWorkload> {
        let min = self.int_in(p, &raw.min, 1, 1000, "`min`");
        let max = self.int_in(p, &raw.max, 1, 1000, "`max`");
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                self.error(
                    format!("{code}.{}: min ({lo}) exceeds max ({hi})", w.name),
                    p.at(raw.min.span()),
                )
                .help = Some(
                    "min must be at most max; scale to zero is not supported (min ≥ 1)".into(),
                );
                return None;
            }
        }
        let rps = *raw.rps_per_replica.get_ref();
        if !(rps.is_finite() && rps > 0.0) {
            self.error(
                format!("{code}.{}: rps_per_replica must be greater than 0", w.name),
                p.at(raw.rps_per_replica.span()),
            );
            return None;
        }
        let baseline = match &raw.baseline_rps {
            Some(b) if !(b.get_ref().is_finite() && *b.get_ref() >= 0.0) => {
                self.error(
                    format!("{code}.{}: baseline_rps must be 0 or more", w.name),
                    p.at(b.span()),
                );
                return None;
            }
            b => b.as_ref().map(|b| *b.get_ref()),
        };
        let own_p95 = match &raw.p95_ms {
            None => None,
            Some(v) => Some(self.int_in(p, v, 1, u32::MAX as i64, "`p95_ms`")?),
        };
        Some(TerritoryWorkload {
            workload: w.name.clone(),
            min: min? as u32,
            max: max? as u32,
            rps_per_replica: rps,
            baseline_rps: baseline,
            p95_ms: own_p95.or(territory_p95).map_or(w.p95_ms, |v| v as u32),
        })
    }

    pub(super) fn regions(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        territory: &str,
        raw: Option<&BTreeMap<String, Spanned<f64>>>,
    ) -> Option<Vec<Region>> {
        let Some(raw) = raw else {
            return Some(Vec::new());
        };
        let mut ok = true;
        let mut sum = 0.0;
        let mut out = Vec::new();
        for (code, share) in raw {
            let code = &p.key(&[
                Seg::Key("territories".into()),
                Seg::Key(territory.into()),
                Seg::Key("regions".into()),
                Seg::Key(code.clone()),
            ]);
            ok &= self.check(
                p,
                code,
                is_region_code,
                "region codes must match `^[A-Z0-9]{1,3}$`",
                "e.g. `BY`",
            );
            let s = *share.get_ref();
            if !(s.is_finite() && s > 0.0 && s <= 1.0) {
                self.error(
                    format!(
                        "region share of `{}` must be in (0, 1], found {s}",
                        code.get_ref()
                    ),
                    p.at(share.span()),
                );
                ok = false;
            }
            sum += s;
            out.push(Region {
                code: code.get_ref().clone(),
                share: s,
            });
        }
        if ok && sum > 1.0 + 1e-9 {
            let at = p
                .span_of(&[
                    Seg::Key("territories".into()),
                    Seg::Key(territory.into()),
                    Seg::Key("regions".into()),
                ])
                .unwrap_or(0..0);
            self.error(
                format!("region shares add up to {sum}, more than 1"),
                p.at(at),
            )
            .help = Some(
                "shares are fractions of the territory's traffic; their sum must not exceed 1"
                    .into(),
            );
            ok = false;
        }
        ok.then_some(out)
    }
}

fn req_field<'a>(r: &'a Resources, what: &str) -> &'a str {
    if what == "cpu" {
        &r.cpu
    } else {
        &r.memory
    }
}

fn p_key_span<T>(p: &Parsed<T>, path: &[Seg]) -> Option<Range<usize>> {
    p.key_span(path)
}

/// Stand-in `[app]` while validating calendars of a configuration whose `[app]` is invalid.
fn placeholder_app() -> App {
    App {
        name: String::new(),
        namespace: String::new(),
        image: String::new(),
        keda_version: KedaVersion {
            major: 2,
            minor: 17,
        },
        prometheus_url: String::new(),
        runbook_url: String::new(),
        migration_version: 1,
        monitoring_labels: Vec::new(),
        prescale_lead: 0,
        scale_up_tolerance: None,
    }
}
