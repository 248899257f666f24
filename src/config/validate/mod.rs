//! Validate stage: raw spanned TOML → [`Model`], or every problem at once.
//!
//! Each rule of SPEC §2 is checked here and reported as a spanned diagnostic; the
//! validator keeps going after a problem so one run lists everything. Only a fully
//! valid configuration produces a `Model`, and nothing after this stage reads TOML.

use crate::config::load::{self, Sources};
use crate::config::model::*;
use crate::config::parse::{self, Parsed, RawCalendarFile, RawTerritoriesFile, SStr, Seg};
use crate::diag::{did_you_mean, has_errors, Diagnostic, Location, SourceMap};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// A valid model plus the warnings found on the way.
#[derive(Debug)]
pub struct Loaded {
    /// The validated configuration.
    pub model: Model,
    /// Warnings (valid but suspicious input).
    pub warnings: Vec<Diagnostic>,
    /// Source texts, for rendering the warnings.
    pub sources: SourceMap,
}

/// Invalid input: every diagnostic (errors and warnings) and the texts to render them.
#[derive(Debug)]
pub struct Failure {
    /// All diagnostics, errors first in input order.
    pub diagnostics: Vec<Diagnostic>,
    /// Source texts.
    pub sources: SourceMap,
}

impl Failure {
    /// Rustc-style text of every diagnostic plus a summary line.
    pub fn render(&self) -> String {
        let errors = self.diagnostics.iter().filter(|d| d.is_error()).count();
        let mut text = crate::diag::render(&self.diagnostics, &self.sources);
        text.push_str(&format!(
            "error: invalid configuration ({errors} error{})\n",
            if errors == 1 { "" } else { "s" }
        ));
        text
    }
}

/// Options that change what validation reports (never what a model contains).
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Warn about dated entries whose last day is before this date.
    pub today: Option<NaiveDate>,
}

/// Loads and validates the configuration at `config` and `calendars`.
pub fn load_model(config: &Path, calendars: &Path) -> Result<Loaded, Failure> {
    load_model_with(config, calendars, Options::default())
}

/// [`load_model`] with options.
pub fn load_model_with(
    config: &Path,
    calendars: &Path,
    options: Options,
) -> Result<Loaded, Failure> {
    match load::load(config, calendars) {
        Ok(sources) => validate_sources(&sources, options),
        Err(diagnostics) => Err(Failure {
            diagnostics,
            sources: SourceMap::default(),
        }),
    }
}

/// Validates in-memory texts (tests, fuzzing): the territories file and `(name, text)` calendars.
pub fn model_from_strs(territories: &str, calendars: &[(&str, &str)]) -> Result<Model, String> {
    let sources = Sources {
        territories: load::SourceFile {
            name: "territories.toml".into(),
            text: territories.into(),
        },
        calendars: calendars
            .iter()
            .map(|(name, text)| load::SourceFile {
                name: format!("calendars/{name}"),
                text: (*text).into(),
            })
            .collect(),
    };
    validate_sources(&sources, Options::default())
        .map(|l| l.model)
        .map_err(|f| f.render())
}

/// Validates loaded sources into a model.
pub fn validate_sources(sources: &Sources, options: Options) -> Result<Loaded, Failure> {
    let mut v = Validator {
        diags: Vec::new(),
        options,
        places: BTreeMap::new(),
        broken_territories: Vec::new(),
    };
    let model = v.run(sources);
    let source_map = sources.source_map();
    sort_by_position(&mut v.diags, sources);
    match model {
        Some(model) if !has_errors(&v.diags) => Ok(Loaded {
            model,
            warnings: v.diags,
            sources: source_map,
        }),
        _ => Err(Failure {
            diagnostics: v.diags,
            sources: source_map,
        }),
    }
}

struct Validator {
    diags: Vec<Diagnostic>,
    options: Options,
    /// Where each entry's `days` (or, without one, its id) and each dated `to` is written.
    places: BTreeMap<(&'static str, String), Location>,
    /// Territories that are configured but invalid (their errors are already reported).
    broken_territories: Vec<String>,
}

/// Where an id was first defined, for duplicate-id notes.
type IdSeen = BTreeMap<String, Location>;

const TERRITORY_KEYS: &[&str] = &["name", "timezone", "p95_ms", "regions"];

impl Validator {
    fn run(&mut self, sources: &Sources) -> Option<Model> {
        let t = &sources.territories;
        let parsed = parse::parse_territories(&t.name, &t.text, &mut self.diags);
        let calendars: Vec<Parsed<RawCalendarFile>> = sources
            .calendars
            .iter()
            .filter_map(|c| parse::parse_file(&c.name, &c.text, &mut self.diags))
            .collect();
        let base = parsed.and_then(|p| self.territories_file(&p));
        let complete = base.as_ref().is_some_and(|(_, complete)| *complete);
        let base = base.map(|(model, _)| model);
        let mut entries = Vec::new();
        let mut blackouts = Vec::new();
        let mut ids = IdSeen::new();
        if let Some(base) = &base {
            for file in &calendars {
                self.calendar_file(base, file, &mut ids, &mut entries, &mut blackouts);
            }
            self.check_days_filters(base, &entries, &blackouts);
        }
        let mut model = base.filter(|_| complete)?;
        model.entries = entries;
        model.blackouts = blackouts;
        for problem in crate::schedule::compile::check_expressible(&model) {
            let at = self
                .places
                .get(&("days", problem.entry_id.clone()))
                .cloned()
                .unwrap_or(Location {
                    file: String::new(),
                    span: 0..0,
                });
            self.error(problem.message, at).help = Some(problem.help);
        }
        self.warn_past_entries(&model);
        self.warn_dst_edges(&model);
        Some(model)
    }

    fn error(&mut self, message: impl Into<String>, at: Location) -> &mut Diagnostic {
        self.diags.push(Diagnostic::error(message, at));
        self.diags.last_mut().expect("just pushed")
    }

    // ---------------------------------------------------------------- territories.toml

    /// The model of territories.toml (without calendars) and whether it is free of errors.
    fn territories_file(&mut self, p: &Parsed<RawTerritoriesFile>) -> Option<(Model, bool)> {
        let raw = &p.raw;
        let app = p
            .section(&raw.app, &[Seg::Key("app".into())], &mut self.diags)
            .and_then(|a| self.app(p, a));
        let workloads = self.workloads(p);
        let events = p
            .section(&raw.events, &[Seg::Key("events".into())], &mut self.diags)
            .and_then(|e| self.events(p, e));
        let alerts = match &raw.alerts {
            None => Some(default_alerts()),
            Some(a) => p
                .section(a, &[Seg::Key("alerts".into())], &mut self.diags)
                .and_then(|a| self.alerts(p, a)),
        };
        let workloads = workloads?;
        let (territories, all_ok) = self.territories(p, &workloads, app.as_ref());
        // Calendars are checked against whatever validated, so their problems are
        // reported in the same run as those of territories.toml.
        let for_calendars = Model {
            app: app.clone().unwrap_or_else(placeholder_app),
            workloads: workloads.clone(),
            territories: territories.clone(),
            events: events.clone().unwrap_or_else(placeholder_events),
            alerts: alerts.clone().unwrap_or_else(default_alerts),
            entries: Vec::new(),
            blackouts: Vec::new(),
        };
        let complete = app.is_some() && events.is_some() && alerts.is_some() && all_ok;
        Some((for_calendars, complete))
    }

    fn app(&mut self, p: &Parsed<RawTerritoriesFile>, a: &parse::RawApp) -> Option<App> {
        let mut ok = true;
        ok &= self.check(p, &a.name, is_dns1035_label, "`app.name` must be a DNS-1035 label (lower-case letters, digits and `-`, starting with a letter, at most 63 characters)", "e.g. `freshplan-api`");
        ok &= self.check(p, &a.namespace, is_dns1123_label, "`app.namespace` must be a DNS-1123 label (lower-case letters, digits and `-`, at most 63 characters)", "e.g. `freshplan`");
        ok &= self.check(
            p,
            &a.image,
            |s| !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control()),
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
        })
    }

    fn workloads(&mut self, p: &Parsed<RawTerritoriesFile>) -> Option<Vec<Workload>> {
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
            match (p95, port, window, requests, limits) {
                (Some(p95), Some(port), Some(window), Some(requests), Some(limits)) if ok => out
                    .push(Workload {
                        name: name.get_ref().clone(),
                        p95_ms: p95 as u32,
                        port: port as u16,
                        scale_down_window: window,
                        requests,
                        limits,
                    }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn resources(
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

    fn territories(
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

    fn territory(
        &mut self,
        p: &Parsed<RawTerritoriesFile>,
        code: &SStr,
        t: &parse::RawTerritory,
        workloads: &[Workload],
        app: Option<&App>,
    ) -> Option<Territory> {
        let code_s = code.get_ref();
        let mut ok = true;
        let mut suggested: Vec<&str> = Vec::new();
        // Keys that are neither fixed keys nor workloads.
        for key in t.workloads.keys() {
            if workloads.iter().all(|w| &w.name != key) {
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
                let help = match did_you_mean(key, candidates) {
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
        }
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
            match self.territory_workload(p, code_s, w, raw, territory_p95.flatten()) {
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
        if !ok {
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

    fn timezone(
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
        let suggestion = did_you_mean(name, chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()))
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

    fn territory_workload(
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

    fn regions(
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

    fn events(&mut self, p: &Parsed<RawTerritoriesFile>, e: &parse::RawEvents) -> Option<Events> {
        let mut ok = self.check(
            p,
            &e.channel,
            is_channel,
            "`events.channel` must match `^[a-z_][a-z0-9_]{0,62}$`",
            "e.g. `freshplan_events`",
        );
        if e.types.get_ref().is_empty() {
            self.error("`events.types` is empty", p.at(e.types.span()))
                .help = Some("list the event types, e.g. types = [\"lead.status.changed\"]".into());
            ok = false;
        }
        let mut seen: BTreeMap<&str, Range<usize>> = BTreeMap::new();
        for t in e.types.get_ref() {
            ok &= self.check(
                p,
                t,
                is_event_type,
                "event types must match `^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$`",
                "use dotted lower-case names such as `lead.status.changed`",
            );
            if let Some(first) = seen.insert(t.get_ref(), t.span()) {
                let d = Diagnostic::error(
                    format!("event type `{}` is listed twice", t.get_ref()),
                    p.at(t.span()),
                )
                .with_note(p.at(first), "first listed here");
                self.diags.push(d);
                ok = false;
            }
        }
        let mut critical = Vec::new();
        if let Some(c) = &e.critical {
            let mut seen_c = BTreeMap::new();
            for t in c.get_ref() {
                if !seen.contains_key(t.get_ref().as_str()) {
                    let types: Vec<&str> = seen.keys().copied().collect();
                    let help = match did_you_mean(t.get_ref(), types.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "every critical type must also be listed in `events.types`".into(),
                    };
                    self.error(
                        format!(
                            "critical event type `{}` is not in `events.types`",
                            t.get_ref()
                        ),
                        p.at(t.span()),
                    )
                    .help = Some(help);
                    ok = false;
                } else if seen_c.insert(t.get_ref().clone(), ()).is_some() {
                    self.error(
                        format!("critical event type `{}` is listed twice", t.get_ref()),
                        p.at(t.span()),
                    );
                    ok = false;
                }
                critical.push(t.get_ref().clone());
            }
        }
        let journal = self.ratio(p, e.journal_threshold.as_ref(), 0.70, "`journal_threshold`");
        let crit = self.ratio(
            p,
            e.critical_threshold.as_ref(),
            0.95,
            "`critical_threshold`",
        );
        if let (Some(j), Some(c)) = (journal, crit) {
            if j >= c {
                let section = p.span_of(&[Seg::Key("events".into())]).unwrap_or(0..0);
                let (at, first) = spans_second_first(
                    e.critical_threshold.as_ref(),
                    e.journal_threshold.as_ref(),
                    section,
                );
                let d = Diagnostic::error(
                    format!(
                        "`critical_threshold` ({c}) must be greater than `journal_threshold` ({j})"
                    ),
                    p.at(at),
                )
                .with_note(p.at(first), "journal_threshold is set here")
                .with_help(
                    "critical events bypass the journal until the higher critical threshold",
                );
                self.diags.push(d);
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        Some(Events {
            channel: e.channel.get_ref().clone(),
            types: e
                .types
                .get_ref()
                .iter()
                .map(|t| t.get_ref().clone())
                .collect(),
            critical,
            journal_threshold: journal?,
            critical_threshold: crit?,
        })
    }

    fn alerts(&mut self, p: &Parsed<RawTerritoriesFile>, a: &parse::RawAlerts) -> Option<Alerts> {
        let d = default_alerts();
        let emergency = match &a.emergency_p95_ms {
            None => Some(d.emergency_p95_ms as i64),
            Some(v) => self.int_in(p, v, 1, u32::MAX as i64, "`emergency_p95_ms`"),
        };
        let warning = self.ratio(
            p,
            a.notify_queue_warning.as_ref(),
            d.notify_queue_warning,
            "`notify_queue_warning`",
        );
        let critical = self.ratio(
            p,
            a.notify_queue_critical.as_ref(),
            d.notify_queue_critical,
            "`notify_queue_critical`",
        );
        let mut ok = true;
        if let (Some(w), Some(c)) = (warning, critical) {
            if w >= c {
                let at = a
                    .notify_queue_critical
                    .as_ref()
                    .or(a.notify_queue_warning.as_ref())
                    .map(|s| s.span())
                    .unwrap_or(0..0);
                let mut diag = Diagnostic::error(format!("`notify_queue_critical` ({c}) must be greater than `notify_queue_warning` ({w})"), p.at(at));
                if let (Some(first), Some(_)) = (&a.notify_queue_warning, &a.notify_queue_critical)
                {
                    diag = diag.with_note(p.at(first.span()), "notify_queue_warning is set here");
                }
                self.diags.push(diag);
                ok = false;
            }
        }
        let lag = match &a.outbox_lag_seconds {
            None => Some(d.outbox_lag_seconds as i64),
            Some(v) => self.int_in(p, v, 1, u32::MAX as i64, "`outbox_lag_seconds`"),
        };
        let ratio = self.ratio(
            p,
            a.prescale_idle_ratio.as_ref(),
            d.prescale_idle_ratio,
            "`prescale_idle_ratio`",
        );
        let idle_for = match &a.prescale_idle_for {
            None => Some(d.prescale_idle_for),
            Some(s) => self.duration(p, s, None, "`prescale_idle_for`"),
        };
        if !ok {
            return None;
        }
        Some(Alerts {
            emergency_p95_ms: emergency? as u32,
            notify_queue_warning: warning?,
            notify_queue_critical: critical?,
            outbox_lag_seconds: lag? as u32,
            prescale_idle_ratio: ratio?,
            prescale_idle_for: idle_for?,
        })
    }

    // ---------------------------------------------------------------- calendars

    fn calendar_file(
        &mut self,
        base: &Model,
        p: &Parsed<RawCalendarFile>,
        ids: &mut IdSeen,
        entries: &mut Vec<Entry>,
        blackouts: &mut Vec<Blackout>,
    ) {
        for (kind, list) in [
            (EntryKind::Season, &p.raw.season),
            (EntryKind::Campaign, &p.raw.campaign),
        ] {
            for (i, section) in list.iter().enumerate() {
                let path = [Seg::Key(kind.as_str().into()), Seg::Index(i)];
                if let Some(raw) = p.section(section, &path, &mut self.diags) {
                    self.unique_id(p, &raw.id, ids);
                    if let Some(e) = self.entry(base, p, kind, raw, &path) {
                        entries.push(e);
                    }
                }
            }
        }
        for (i, section) in p.raw.blackout.iter().enumerate() {
            let path = [Seg::Key("blackout".into()), Seg::Index(i)];
            if let Some(raw) = p.section(section, &path, &mut self.diags) {
                self.unique_id(p, &raw.id, ids);
                if let Some(b) = self.blackout(base, p, raw) {
                    blackouts.push(b);
                }
            }
        }
    }

    fn unique_id<T>(&mut self, p: &Parsed<T>, id: &SStr, ids: &mut IdSeen) {
        let ok = self.check(
            p,
            id,
            is_entry_id,
            "ids must match `^[a-z0-9][a-z0-9-]*$` and have at most 40 characters",
            "use lower-case letters, digits and `-`, e.g. `black-week-2026`",
        );
        if !ok {
            return;
        }
        if let Some(first) = ids.get(id.get_ref()) {
            let d = Diagnostic::error(format!("duplicate id `{}`", id.get_ref()), p.at(id.span()))
                .with_note(first.clone(), "first defined here")
                .with_help("ids must be unique across all calendar files");
            self.diags.push(d);
        } else {
            ids.insert(id.get_ref().clone(), p.at(id.span()));
        }
    }

    fn entry(
        &mut self,
        base: &Model,
        p: &Parsed<RawCalendarFile>,
        kind: EntryKind,
        raw: &parse::RawEntry,
        path: &[Seg],
    ) -> Option<Entry> {
        let id = raw.id.get_ref();
        let name_ok = raw
            .name
            .as_ref()
            .is_none_or(|n| self.display_name(p, n, "entry name"));
        let dates = self.date_range(p, &raw.from, &raw.to, Some(kind));
        let hours = self.hours(p, &raw.hours);
        let days = match &raw.days {
            None => Some(Weekdays::ALL),
            Some(d) => self.weekdays(p, d),
        };
        let floors = self.floors(base, p, id, path, &raw.floor);
        let load = match &raw.load {
            None => Some(Vec::new()),
            Some(l) => self.load(base, p, path, l),
        };
        let days_at = raw.days.as_ref().map_or(raw.id.span(), |d| d.span());
        self.places.insert(("days", id.clone()), p.at(days_at));
        self.places.insert(("to", id.clone()), p.at(raw.to.span()));
        if !name_ok {
            return None;
        }
        Some(Entry {
            kind,
            id: id.clone(),
            name: raw
                .name
                .as_ref()
                .map_or_else(|| id.clone(), |n| n.get_ref().clone()),
            dates: dates?,
            hours: hours?,
            days: days?,
            floors: floors?,
            load: load?,
            file: p.file.clone(),
        })
    }

    fn blackout(
        &mut self,
        base: &Model,
        p: &Parsed<RawCalendarFile>,
        raw: &parse::RawBlackout,
    ) -> Option<Blackout> {
        let name_ok = raw
            .name
            .as_ref()
            .is_none_or(|n| self.display_name(p, n, "blackout name"));
        let dates = self.date_range(p, &raw.from, &raw.to, None);
        self.places
            .insert(("to", raw.id.get_ref().clone()), p.at(raw.to.span()));
        let territories = match &raw.territories {
            None => Some(
                base.territories
                    .iter()
                    .map(|t| t.code.clone())
                    .collect::<Vec<_>>(),
            ),
            Some(list) => {
                if list.get_ref().is_empty() {
                    self.error("blackout `territories` is empty", p.at(list.span()))
                        .help = Some("leave `territories` out to black out every territory".into());
                    None
                } else {
                    let mut codes = Vec::new();
                    let mut ok = true;
                    for code in list.get_ref() {
                        ok &= self.known_territory(base, p, code);
                        if codes.contains(code.get_ref()) {
                            self.error(
                                format!("territory `{}` is listed twice", code.get_ref()),
                                p.at(code.span()),
                            );
                            ok = false;
                        }
                        codes.push(code.get_ref().clone());
                    }
                    codes.sort();
                    ok.then_some(codes)
                }
            }
        };
        if !name_ok {
            return None;
        }
        Some(Blackout {
            id: raw.id.get_ref().clone(),
            name: raw
                .name
                .as_ref()
                .map_or_else(|| raw.id.get_ref().clone(), |n| n.get_ref().clone()),
            dates: dates?,
            territories: territories?,
        })
    }

    fn known_territory<T>(&mut self, base: &Model, p: &Parsed<T>, code: &SStr) -> bool {
        if base.territory(code.get_ref()).is_some() {
            return true;
        }
        if self.broken_territories.contains(code.get_ref()) {
            // Configured but invalid: already reported in territories.toml.
            return false;
        }
        let codes: Vec<&str> = base.territories.iter().map(|t| t.code.as_str()).collect();
        let help = match did_you_mean(code.get_ref(), codes.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("configured territories: {}", codes.join(", ")),
        };
        self.error(
            format!("unknown territory `{}`", code.get_ref()),
            p.at(code.span()),
        )
        .help = Some(help);
        false
    }

    fn floors(
        &mut self,
        base: &Model,
        p: &Parsed<RawCalendarFile>,
        id: &str,
        path: &[Seg],
        raw: &BTreeMap<String, BTreeMap<String, Spanned<i64>>>,
    ) -> Option<Vec<Floor>> {
        let mut floor_path = path.to_vec();
        floor_path.push(Seg::Key("floor".into()));
        if raw.is_empty() {
            self.error(
                format!("`{id}` sets no floor"),
                p.at(p.span_of(&floor_path).unwrap_or(0..0)),
            )
            .help = Some(
                "an entry without floors does nothing; add e.g. `floor.DE = { queries = 4 }`"
                    .into(),
            );
            return None;
        }
        let mut ok = true;
        let mut out = Vec::new();
        let at = |keys: &[&str]| {
            let mut full = path.to_vec();
            full.push(Seg::Key("floor".into()));
            full.extend(keys.iter().map(|k| Seg::Key(k.to_string())));
            p.key(&full)
        };
        for (code, table) in raw {
            let code = &at(&[code]);
            if !self.known_territory(base, p, code) {
                ok = false;
                continue;
            }
            let territory = base.territory(code.get_ref()).expect("known");
            if table.is_empty() {
                self.error(
                    format!("empty floor table for {} in `{id}`", code.get_ref()),
                    p.at(code.span()),
                )
                .help = Some(
                    "name at least one workload, e.g. `{ queries = 4 }`, or remove the table"
                        .into(),
                );
                ok = false;
            }
            for (workload, replicas) in table {
                let workload = &at(&[code.get_ref(), workload]);
                let Some(tw) = territory.workload(workload.get_ref()) else {
                    let names: Vec<&str> = base.workloads.iter().map(|w| w.name.as_str()).collect();
                    let help = match did_you_mean(workload.get_ref(), names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("workloads: {}", names.join(", ")),
                    };
                    self.error(
                        format!(
                            "unknown workload `{}` in floor of `{id}`",
                            workload.get_ref()
                        ),
                        p.at(workload.span()),
                    )
                    .help = Some(help);
                    ok = false;
                    continue;
                };
                let r = *replicas.get_ref();
                if r < 1 {
                    self.error(
                        format!(
                            "floor for {}.{} in `{id}` must be at least 1, found {r}",
                            code.get_ref(),
                            workload.get_ref()
                        ),
                        p.at(replicas.span()),
                    );
                    ok = false;
                } else if r > tw.max as i64 {
                    self.error(
                        format!(
                            "`{id}` floor for {}.{} ({r}) exceeds {}.{}.max ({})",
                            code.get_ref(),
                            workload.get_ref(),
                            code.get_ref(),
                            workload.get_ref(),
                            tw.max
                        ),
                        p.at(replicas.span()),
                    )
                    .help = Some(format!(
                        "raise territories.{}.{}.max or lower the floor",
                        code.get_ref(),
                        workload.get_ref()
                    ));
                    ok = false;
                } else {
                    if r <= tw.min as i64 {
                        self.diags.push(
                            Diagnostic::warning(format!("`{id}` floor for {}.{} ({r}) is not above min ({}): it does nothing", code.get_ref(), workload.get_ref(), tw.min), p.at(replicas.span()))
                                .with_help("raise the floor above min or remove it"),
                        );
                    }
                    out.push(Floor {
                        territory: code.get_ref().clone(),
                        workload: workload.get_ref().clone(),
                        replicas: r as u32,
                    });
                }
            }
        }
        let workload_order = |w: &str| base.workloads.iter().position(|x| x.name == w);
        out.sort_by(|a, b| {
            (&a.territory, workload_order(&a.workload))
                .cmp(&(&b.territory, workload_order(&b.workload)))
        });
        ok.then_some(out)
    }

    fn load(
        &mut self,
        base: &Model,
        p: &Parsed<RawCalendarFile>,
        path: &[Seg],
        raw: &BTreeMap<String, Spanned<f64>>,
    ) -> Option<Vec<LoadFactor>> {
        let mut ok = true;
        let mut out = Vec::new();
        for (key, factor) in raw {
            let mut full = path.to_vec();
            full.extend([Seg::Key("load".into()), Seg::Key(key.clone())]);
            let key = &p.key(&full);
            let (code, region) = match key.get_ref().split_once('-') {
                Some((c, r)) => (c, Some(r)),
                None => (key.get_ref().as_str(), None),
            };
            if self.broken_territories.iter().any(|b| b == code) {
                ok = false;
                continue;
            }
            let Some(t) = base.territory(code) else {
                let codes: Vec<&str> = base.territories.iter().map(|t| t.code.as_str()).collect();
                self.error(format!("unknown territory `{code}` in load key `{}`", key.get_ref()), p.at(key.span()))
                    .help = Some(format!("load keys are a territory (`DE`) or a configured region (`DE-BY`); territories: {}", codes.join(", ")));
                ok = false;
                continue;
            };
            if let Some(r) = region {
                if !t.regions.iter().any(|x| x.code == r) {
                    let regions: Vec<&str> = t.regions.iter().map(|x| x.code.as_str()).collect();
                    let help = match did_you_mean(r, regions.iter().copied()) {
                        Some(s) => format!("did you mean `{code}-{s}`?"),
                        None => {
                            format!("configure the region under territories.{code}.regions first")
                        }
                    };
                    self.error(
                        format!(
                            "unknown region `{r}` of {code} in load key `{}`",
                            key.get_ref()
                        ),
                        p.at(key.span()),
                    )
                    .help = Some(help);
                    ok = false;
                    continue;
                }
            }
            let f = *factor.get_ref();
            if !(f.is_finite() && f > 0.0) {
                self.error(
                    format!("load factor of `{}` must be greater than 0", key.get_ref()),
                    p.at(factor.span()),
                );
                ok = false;
                continue;
            }
            out.push(LoadFactor {
                territory: code.to_string(),
                region: region.map(str::to_string),
                factor: f,
            });
        }
        ok.then_some(out)
    }

    fn date_range(
        &mut self,
        p: &Parsed<RawCalendarFile>,
        from: &Spanned<toml::Value>,
        to: &Spanned<toml::Value>,
        kind: Option<EntryKind>,
    ) -> Option<DateRange> {
        let f = self.date(p, from, "from");
        let t = self.date(p, to, "to");
        let (f, t) = (f?, t?);
        match (f, t) {
            (DateText::Recurring(a), DateText::Recurring(b)) => {
                if kind == Some(EntryKind::Campaign) {
                    self.error(
                        "campaign dates need a year (`YYYY-MM-DD`)",
                        p.at(from.span()),
                    )
                    .help = Some(
                        "campaigns are one-off; use a `[[season]]` for dates that recur every year"
                            .into(),
                    );
                    return None;
                }
                Some(DateRange::Recurring { from: a, to: b })
            }
            (DateText::Dated(a), DateText::Dated(b)) => {
                if kind == Some(EntryKind::Season) {
                    self.error(
                        "season dates are `MM-DD` (seasons recur every year)",
                        p.at(from.span()),
                    )
                    .help = Some("use a `[[campaign]]` for one-off dates".into());
                    return None;
                }
                if a > b {
                    let d = Diagnostic::error(
                        format!("`to` ({b}) is before `from` ({a})"),
                        p.at(to.span()),
                    )
                    .with_note(p.at(from.span()), "`from` is set here")
                    .with_help("a dated range cannot cross backwards; swap the dates");
                    self.diags.push(d);
                    return None;
                }
                Some(DateRange::Dated { from: a, to: b })
            }
            _ => {
                self.error(
                    "`from` and `to` mix `MM-DD` and `YYYY-MM-DD`",
                    p.at(to.span()),
                )
                .help = Some(
                    "use `MM-DD` for both (every year) or `YYYY-MM-DD` for both (one-off)".into(),
                );
                None
            }
        }
    }

    fn date(
        &mut self,
        p: &Parsed<RawCalendarFile>,
        v: &Spanned<toml::Value>,
        key: &str,
    ) -> Option<DateText> {
        let text = match v.get_ref() {
            toml::Value::String(s) => s,
            toml::Value::Datetime(d) => {
                self.error(
                    format!("`{key}` is a TOML date, not a string"),
                    p.at(v.span()),
                )
                .help = Some(format!("quote it: {key} = \"{d}\""));
                return None;
            }
            other => {
                self.error(
                    format!(
                        "`{key}` must be a string (`MM-DD` or `YYYY-MM-DD`), found {}",
                        other.type_str()
                    ),
                    p.at(v.span()),
                );
                return None;
            }
        };
        match parse_date_text(text) {
            Ok(d) => Some(d),
            Err(msg) => {
                let help = if text.ends_with("02-29") && text.len() == 5 {
                    "recurring ranges cannot name Feb 29; a range that contains the end of February includes Feb 29 in leap years"
                } else {
                    "use `MM-DD` (e.g. `09-01`) for seasons and recurring blackouts, `YYYY-MM-DD` for campaigns"
                };
                self.error(
                    format!("invalid date `{text}` in `{key}`: {msg}"),
                    p.at(v.span()),
                )
                .help = Some(help.into());
                None
            }
        }
    }

    fn hours(&mut self, p: &Parsed<RawCalendarFile>, v: &Spanned<toml::Value>) -> Option<Hours> {
        let Some(text) = v.get_ref().as_str() else {
            self.error(
                format!(
                    "`hours` must be a string like \"08:00-20:00\", found {}",
                    v.get_ref().type_str()
                ),
                p.at(v.span()),
            );
            return None;
        };
        match parse_hours(text) {
            Ok(h) => Some(h),
            Err((msg, help)) => {
                self.error(format!("invalid hours `{text}`: {msg}"), p.at(v.span()))
                    .help = Some(help.into());
                None
            }
        }
    }

    fn weekdays(&mut self, p: &Parsed<RawCalendarFile>, v: &SStr) -> Option<Weekdays> {
        match parse_weekdays(v.get_ref()) {
            Ok(d) => Some(d),
            Err(msg) => {
                self.error(format!("invalid days `{}`: {msg}", v.get_ref()), p.at(v.span()))
                    .help = Some("use lower-case three-letter names, ranges and commas: `mon-fri`, `sat,sun`, `fri-mon`".into());
                None
            }
        }
    }

    /// SPEC §2.2: weekday filters on recurring seasons need whole months, same-day hours
    /// and no blackout that removes only part of those months.
    fn check_days_filters(&mut self, base: &Model, entries: &[Entry], blackouts: &[Blackout]) {
        let _ = base;
        for e in entries {
            let DateRange::Recurring { from, to } = e.dates else {
                continue;
            };
            if e.days.is_all() {
                continue;
            }
            let at = Location {
                file: e.file.clone(),
                span: 0..0,
            };
            let at = self.entry_location(e).unwrap_or(at);
            if !is_whole_months(from, to) {
                self.error(format!("season `{}` has a `days` filter on a range that is not made of whole months ({from}..{to})", e.id), at.clone())
                    .help = Some("cron cannot express weekdays of part of a month every year; use whole months (e.g. 10-01..10-31) or dated campaigns".into());
                continue;
            }
            if e.hours.crosses_midnight() {
                self.error(format!("season `{}` has a `days` filter with hours crossing midnight ({})", e.id, e.hours), at.clone())
                    .help = Some("cron cannot express e.g. Friday 22:00 to Saturday 02:00 every year; split the hours at midnight or use dated campaigns".into());
                continue;
            }
            let floored: Vec<&str> = e.floors.iter().map(|f| f.territory.as_str()).collect();
            for b in blackouts {
                if !b.territories.iter().any(|t| floored.contains(&t.as_str())) {
                    continue;
                }
                if blackout_splits_months(b, from, to) {
                    let d = Diagnostic::error(format!("blackout `{}` removes only part of a month of season `{}`, which has a `days` filter", b.id, e.id), at.clone())
                        .with_help("cron cannot express \"weekdays except some days\" every year; black out whole months or use dated campaigns");
                    self.diags.push(d);
                }
            }
        }
    }

    fn entry_location(&self, e: &Entry) -> Option<Location> {
        self.places.get(&("days", e.id.clone())).cloned()
    }

    fn warn_past_entries(&mut self, model: &Model) {
        let Some(today) = self.options.today else {
            return;
        };
        let past = |r: &DateRange| matches!(r, DateRange::Dated { to, .. } if *to < today);
        let place = |id: &str| {
            self.places
                .get(&("to", id.to_string()))
                .cloned()
                .unwrap_or(Location {
                    file: String::new(),
                    span: 0..0,
                })
        };
        let mut warnings = Vec::new();
        for e in model.entries.iter().filter(|e| past(&e.dates)) {
            warnings.push(
                Diagnostic::warning(
                    format!("campaign `{}` ended before {today}", e.id),
                    place(&e.id),
                )
                .with_help(
                    "remove it and re-render: cron has no year, KEDA would repeat it next year",
                ),
            );
        }
        for b in model.blackouts.iter().filter(|b| past(&b.dates)) {
            warnings.push(
                Diagnostic::warning(
                    format!("blackout `{}` ended before {today}", b.id),
                    place(&b.id),
                )
                .with_help("remove it and re-render"),
            );
        }
        self.diags.extend(warnings);
    }

    /// Warns (validate only: needs `--today`) about window boundaries whose local time
    /// does not exist or is ambiguous on some day of this or next year (SPEC §2.2: those
    /// minutes are not judged; KEDA opens no window whose start or end does not exist).
    fn warn_dst_edges(&mut self, model: &Model) {
        let Some(today) = self.options.today else {
            return;
        };
        let mut warnings = Vec::new();
        for e in &model.entries {
            let mut codes: Vec<&str> = e.floors.iter().map(|f| f.territory.as_str()).collect();
            codes.dedup();
            for code in codes {
                let Some(t) = model.territory(code) else {
                    continue;
                };
                if let Some((day, what)) = first_dst_edge(e, t.timezone, today.year()) {
                    let at =
                        self.places
                            .get(&("days", e.id.clone()))
                            .cloned()
                            .unwrap_or(Location {
                                file: e.file.clone(),
                                span: 0..0,
                            });
                    warnings.push(
                        Diagnostic::warning(
                            format!("`{}` in {code}: the window's {what} on {day} falls into a DST change of {}", e.id, t.timezone_name),
                            at,
                        )
                        .with_help("a start or end that does not exist opens no window that day; an ambiguous one counts at its later instant. Move the hours away from the change if that matters"),
                    );
                }
            }
        }
        self.diags.extend(warnings);
    }

    // ---------------------------------------------------------------- small checks

    fn check<T>(
        &mut self,
        p: &Parsed<T>,
        v: &SStr,
        ok: impl Fn(&str) -> bool,
        message: &str,
        help: &str,
    ) -> bool {
        if ok(v.get_ref()) {
            return true;
        }
        self.error(
            format!("{message}, found `{}`", v.get_ref().escape_debug()),
            p.at(v.span()),
        )
        .help = Some(help.into());
        false
    }

    fn url<T>(&mut self, p: &Parsed<T>, v: &SStr, key: &str, no_fragment: bool) -> bool {
        let s = v.get_ref();
        let scheme_ok = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .is_some_and(|rest| !rest.is_empty());
        let chars_ok = !s.chars().any(|c| c.is_whitespace() || c.is_control()) && !s.contains("{{");
        if !scheme_ok || !chars_ok {
            self.error(format!("`{key}` must be an http:// or https:// URL without whitespace, control characters or `{{{{`, found `{}`", s.escape_debug()), p.at(v.span()))
                .help = Some("e.g. https://wiki.example.com/runbooks/runbook-seasonal".into());
            return false;
        }
        if no_fragment && s.contains('#') {
            self.error(
                format!("`{key}` must not contain `#`: alerts append `#anchor` to it"),
                p.at(v.span()),
            )
            .help = Some("remove the fragment".into());
            return false;
        }
        true
    }

    fn display_name<T>(&mut self, p: &Parsed<T>, v: &SStr, what: &str) -> bool {
        let s = v.get_ref();
        let len = s.chars().count();
        if len == 0 || len > 200 {
            self.error(
                format!("{what} must have 1 to 200 characters, found {len}"),
                p.at(v.span()),
            );
            return false;
        }
        if let Some(c) = s.chars().find(|c| is_forbidden_in_name(*c)) {
            self.error(format!("{what} contains the invisible or control character U+{:04X}", c as u32), p.at(v.span()))
                .help = Some("names must not contain control characters, newlines, tabs, bidi overrides or zero-width characters".into());
            return false;
        }
        true
    }

    fn int_in<T>(
        &mut self,
        p: &Parsed<T>,
        v: &Spanned<i64>,
        lo: i64,
        hi: i64,
        what: &str,
    ) -> Option<i64> {
        let n = *v.get_ref();
        if n < lo || n > hi {
            let range = if hi == u32::MAX as i64 {
                format!("at least {lo}")
            } else {
                format!("between {lo} and {hi}")
            };
            self.error(format!("{what} must be {range}, found {n}"), p.at(v.span()));
            return None;
        }
        Some(n)
    }

    fn ratio<T>(
        &mut self,
        p: &Parsed<T>,
        v: Option<&Spanned<f64>>,
        default: f64,
        what: &str,
    ) -> Option<f64> {
        let Some(v) = v else { return Some(default) };
        let x = *v.get_ref();
        if !(x.is_finite() && x > 0.0 && x < 1.0) {
            self.error(
                format!("{what} must be between 0 and 1 (exclusive), found {x}"),
                p.at(v.span()),
            )
            .help = Some("a fraction such as 0.70".into());
            return None;
        }
        Some(x)
    }

    fn duration<T>(
        &mut self,
        p: &Parsed<T>,
        v: &SStr,
        max_seconds: Option<u64>,
        what: &str,
    ) -> Option<PromDuration> {
        match parse_duration(v.get_ref()) {
            None => {
                self.error(
                    format!(
                        "{what} is not a Prometheus duration: `{}`",
                        v.get_ref().escape_debug()
                    ),
                    p.at(v.span()),
                )
                .help = Some("use e.g. `30s`, `5m`, `1h30m`, `1d` (no sign, no fraction)".into());
                None
            }
            Some(d) if max_seconds.is_some_and(|m| d.seconds > m) => {
                self.error(
                    format!("{what} is {d}, more than the HPA limit of 1h"),
                    p.at(v.span()),
                )
                .help = Some("the HPA stabilization window is at most 3600 seconds".into());
                None
            }
            Some(d) => Some(d),
        }
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

fn spans_second_first(
    second: Option<&Spanned<f64>>,
    first: Option<&Spanned<f64>>,
    fallback: Range<usize>,
) -> (Range<usize>, Range<usize>) {
    (
        second.or(first).map_or(fallback.clone(), |s| s.span()),
        first.map_or(fallback, |s| s.span()),
    )
}

/// The first day (in `year` and `year + 1`) on which a window of `e` starts or ends at a
/// local time that does not exist or is ambiguous in `tz`.
fn first_dst_edge(e: &Entry, tz: chrono_tz::Tz, year: i32) -> Option<(NaiveDate, &'static str)> {
    use chrono::TimeZone;
    let at = |day: NaiveDate, minute: u32| {
        let time = chrono::NaiveTime::from_hms_opt(minute / 60, minute % 60, 0)?;
        match tz.from_local_datetime(&day.and_time(time)) {
            chrono::LocalResult::Single(_) => None,
            _ => Some(()),
        }
    };
    let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
    let last = NaiveDate::from_ymd_opt(year + 1, 12, 31)?;
    let end_days =
        i64::from(e.hours.end_minute <= e.hours.start_minute || e.hours.end_minute == 1440);
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .find_map(|day| {
            if !e.dates.contains(day) || !e.days.contains(day.weekday()) {
                return None;
            }
            if at(day, e.hours.start_minute).is_some() {
                return Some((day, "start"));
            }
            let end_day = day + chrono::Duration::days(end_days);
            at(end_day, e.hours.end_minute % 1440).map(|()| (end_day, "end"))
        })
}

/// Orders diagnostics as the input reads: territories file first, then calendars in
/// name order, each by position (stable, so equal positions keep their check order).
fn sort_by_position(diags: &mut [Diagnostic], sources: &Sources) {
    let rank = |file: &str| {
        std::iter::once(&sources.territories)
            .chain(&sources.calendars)
            .position(|s| s.name == file)
            .unwrap_or(usize::MAX)
    };
    diags.sort_by_key(|d| (rank(&d.location.file), d.location.span.start));
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
    }
}

/// Stand-in `[events]`, as [`placeholder_app`].
fn placeholder_events() -> Events {
    Events {
        channel: String::new(),
        types: Vec::new(),
        critical: Vec::new(),
        journal_threshold: 0.7,
        critical_threshold: 0.95,
    }
}

/// The defaults of `[alerts]` (SPEC §2.3).
pub fn default_alerts() -> Alerts {
    Alerts {
        emergency_p95_ms: 500,
        notify_queue_warning: 0.70,
        notify_queue_critical: 0.95,
        outbox_lag_seconds: 60,
        prescale_idle_ratio: 0.2,
        prescale_idle_for: PromDuration { seconds: 1800 },
    }
}

// -------------------------------------------------------------------- formats

/// A date as written: `MM-DD` or `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateText {
    /// `MM-DD`.
    Recurring(MonthDay),
    /// `YYYY-MM-DD`.
    Dated(NaiveDate),
}

fn two_digits(s: &str) -> Option<u32> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Parses `MM-DD` (never `02-29`) or `YYYY-MM-DD`.
pub fn parse_date_text(s: &str) -> Result<DateText, String> {
    let parts: Vec<&str> = s.split('-').collect();
    match parts.as_slice() {
        [m, d] => {
            let (Some(m), Some(d)) = (two_digits(m), two_digits(d)) else {
                return Err("expected `MM-DD` with two-digit month and day".into());
            };
            if m == 2 && d == 29 {
                return Err("`02-29` is not allowed in a recurring range".into());
            }
            if !(1..=12).contains(&m) || d < 1 || d > days_in_month(2025, m) {
                return Err(format!("month {m:02} has no day {d:02}"));
            }
            Ok(DateText::Recurring(MonthDay { month: m, day: d }))
        }
        [y, m, d] => {
            let year_ok = y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit());
            let (true, Some(mm), Some(dd)) = (year_ok, two_digits(m), two_digits(d)) else {
                return Err("expected `YYYY-MM-DD`".into());
            };
            let year: i32 = y.parse().map_err(|_| "bad year".to_string())?;
            if year < 1970 {
                return Err("years before 1970 are not supported".into());
            }
            NaiveDate::from_ymd_opt(year, mm, dd)
                .map(DateText::Dated)
                .ok_or_else(|| format!("{y}-{m} has no day {d}"))
        }
        _ => Err("expected `MM-DD` or `YYYY-MM-DD`".into()),
    }
}

/// Days in `month` of `year`.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .map_or(31, |d| d.day())
}

fn hhmm(s: &str) -> Option<(u32, u32)> {
    let (h, m) = s.split_once(':')?;
    Some((two_digits(h)?, two_digits(m)?))
}

/// Parses `HH:MM-HH:MM`; `24:00` only as an end; start = end is an error.
pub fn parse_hours(s: &str) -> Result<Hours, (String, &'static str)> {
    let help = "use `HH:MM-HH:MM` with hours 00-23 and minutes 00-59, e.g. `08:00-20:00`; `00:00-24:00` is whole days";
    let Some((a, b)) = s.split_once('-') else {
        return Err(("expected `HH:MM-HH:MM`".into(), help));
    };
    let (Some((ah, am)), Some((bh, bm))) = (hhmm(a), hhmm(b)) else {
        return Err(("expected two-digit `HH:MM` on both sides".into(), help));
    };
    if ah > 23 || am > 59 {
        return Err((format!("start `{a}` is not a time of day"), help));
    }
    if bm > 59 || bh > 24 || (bh == 24 && bm != 0) {
        return Err((
            format!("end `{b}` is not a time of day (24:00 is the only time after 23:59)"),
            help,
        ));
    }
    let (start, end) = (ah * 60 + am, bh * 60 + bm);
    if start == end {
        return Err((
            "start and end are equal".into(),
            "use `00:00-24:00` for whole days; an empty window does nothing",
        ));
    }
    Ok(Hours {
        start_minute: start,
        end_minute: end,
    })
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Parses a weekday filter: names, wrapping ranges and commas; no empty or duplicate days.
pub fn parse_weekdays(s: &str) -> Result<Weekdays, String> {
    let day = |n: &str| {
        DAY_NAMES.iter().position(|d| *d == n).ok_or_else(|| {
            match did_you_mean(&n.to_ascii_lowercase(), DAY_NAMES) {
                Some(sug) => format!("unknown day `{n}` (did you mean `{sug}`?)"),
                None => format!("unknown day `{n}`"),
            }
        })
    };
    let mut bits = 0u8;
    for part in s.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err("empty day name".into());
        }
        let days: Vec<usize> = match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a.trim())?, day(b.trim())?);
                let len = (b + 7 - a) % 7 + 1;
                (0..len).map(|i| (a + i) % 7).collect()
            }
            None => vec![day(part)?],
        };
        for d in days {
            if bits & (1 << d) != 0 {
                return Err(format!("`{}` is named more than once", DAY_NAMES[d]));
            }
            bits |= 1 << d;
        }
    }
    Ok(Weekdays(bits))
}

/// Parses a Prometheus duration (`30s`, `5m`, `1h30m`, `1d`, `2w`, `1y`): units in
/// descending order, each at most once, integers only.
pub fn parse_duration(s: &str) -> Option<PromDuration> {
    const UNITS: [(&str, u64); 6] = [
        ("y", 31_536_000),
        ("w", 604_800),
        ("d", 86_400),
        ("h", 3_600),
        ("m", 60),
        ("s", 1),
    ];
    if s.is_empty() {
        return None;
    }
    let mut rest = s;
    let mut next_unit = 0;
    let mut seconds: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (i, (unit, size)) = UNITS
            .iter()
            .enumerate()
            .skip(next_unit)
            .find(|(_, (u, _))| rest.starts_with(u) && !rest.starts_with("ms"))?;
        rest = &rest[unit.len()..];
        next_unit = i + 1;
        seconds = seconds.checked_add(n.checked_mul(*size)?)?;
    }
    Some(PromDuration { seconds })
}

/// The value of a Kubernetes quantity (`250m`, `1`, `512Mi`, `1e3`), or `None` if malformed.
pub fn quantity_value(s: &str) -> Option<f64> {
    let num_len = s
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (num, suffix) = s.split_at(num_len);
    if num.is_empty() || num == "." || num.matches('.').count() > 1 {
        return None;
    }
    let base: f64 = num.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        e if e.starts_with(['e', 'E']) => {
            let exp = &e[1..];
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 3
            {
                return None;
            }
            10f64.powi(exp.parse().ok()?)
        }
        _ => return None,
    };
    Some(base * factor)
}

fn parse_keda_version(s: &str) -> Option<KedaVersion> {
    let (a, b) = s.split_once('.')?;
    let num = |x: &str| {
        (!x.is_empty() && x.len() <= 6 && x.bytes().all(|c| c.is_ascii_digit()))
            .then(|| x.parse().ok())
            .flatten()
    };
    Some(KedaVersion {
        major: num(a)?,
        minor: num(b)?,
    })
}

fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.as_bytes()[0].is_ascii_lowercase()
}

fn is_workload_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_lowercase())
        && b.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

fn is_territory_code(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

fn is_region_code(s: &str) -> bool {
    (1..=3).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn is_channel(s: &str) -> bool {
    let mut b = s.bytes();
    s.len() <= 63
        && b.next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == b'_')
        && b.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

fn is_event_type(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() >= 2 && parts.iter().all(|p| is_workload_name_with_underscore(p))
}

fn is_workload_name_with_underscore(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_lowercase())
        && b.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

fn is_entry_id(s: &str) -> bool {
    let mut b = s.bytes();
    s.len() <= 40
        && b.next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && b.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
}

fn is_forbidden_in_name(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}' | '\u{2028}' | '\u{2029}' | '\u{00AD}' | '\u{180E}')
}

/// Whether `from..to` (recurring) is made of whole months. A range ending `02-28`
/// is not: it leaves out Feb 29 in leap years.
fn is_whole_months(from: MonthDay, to: MonthDay) -> bool {
    from.day == 1 && to.month != 2 && to.day == days_in_month(2025, to.month)
}

/// Whether blackout `b` covers some but not all days of a month of the range `from..to`.
fn blackout_splits_months(b: &Blackout, from: MonthDay, to: MonthDay) -> bool {
    let months: Vec<u32> = if from.month <= to.month {
        (from.month..=to.month).collect()
    } else {
        (from.month..=12).chain(1..=to.month).collect()
    };
    let years: Vec<i32> = match b.dates {
        DateRange::Dated { from, to } => (from.year()..=to.year()).collect(),
        // A leap and a common year cover every month-day pattern.
        DateRange::Recurring { .. } => vec![2027, 2028],
    };
    years.iter().any(|&y| {
        months.iter().any(|&m| {
            let days = days_in_month(y, m);
            let hit = (1..=days)
                .filter(|&d| {
                    b.dates
                        .contains(NaiveDate::from_ymd_opt(y, m, d).expect("valid"))
                })
                .count() as u32;
            hit > 0 && hit < days
        })
    })
}
