//! The validated model: the only view of the configuration that later stages see.
//!
//! `validate` builds it from the raw, spanned TOML types; nothing past validation
//! reads TOML. Types here are chosen so that invalid states are hard to express:
//! hours are minutes of the day, weekdays a bit set, dates either recurring
//! (`MonthDay`) or dated (`NaiveDate`), timezones parsed `chrono_tz::Tz`.
//! Collections are `Vec`s in a fixed, documented order so output never depends on
//! hash order.
//!
//! The types live in submodules by topic and are re-exported here, so every stage names
//! them as `config::model::X`: `dates` (month-days, date ranges, hours, weekdays),
//! `entries` (seasons and campaigns with their floors and loads), `blackout`,
//! `events` (the LISTEN/NOTIFY and journal settings, alerts), `pods` (workloads and
//! how their pods run) and `traffic` (the `simulate` traffic model).

mod blackout;
mod dates;
mod entries;
mod events;
mod pods;
mod traffic;

pub use blackout::{Blackout, BlackoutDays};
pub use dates::{DateRange, Hours, MonthDay, Weekdays};
pub use entries::{floor_held_back_from, Entry, EntryKind, Floor, LoadFactor, LoadPart};
pub use events::{
    Alerts, Events, CRONJOB_NAME_MAX, DEFAULT_JOURNAL_RETENTION, DEFAULT_REPLAY_IMAGE,
    JOB_SUFFIXES, REPLAY_SECRET_KEY,
};
pub use pods::{
    EnvSource, LoadProbe, NetworkPolicy, PodSettings, Pods, Probes, Resources, Workload,
};
pub use traffic::TrafficSettings;

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;

use dates::leap_year_day;

/// The whole validated configuration: territories file plus every calendar entry.
#[derive(Debug, Clone)]
pub struct Model {
    /// `[app]`.
    pub app: App,
    /// `[workloads.*]`, sorted by name.
    pub workloads: Vec<Workload>,
    /// `[territories.*]`, sorted by code.
    pub territories: Vec<Territory>,
    /// `[events]`.
    pub events: Events,
    /// `[alerts]` with defaults filled in.
    pub alerts: Alerts,
    /// `[traffic]` with defaults filled in (the traffic model of `simulate`, SPEC §8.1).
    pub traffic: TrafficSettings,
    /// Every `[[season]]` and `[[campaign]]`, in calendar file order, then entry order.
    pub entries: Vec<Entry>,
    /// Every `[[blackout]]`, in calendar file order, then entry order.
    pub blackouts: Vec<Blackout>,
    /// `[environments.*]`, sorted by name; [`Model::for_environment`] applies one.
    pub environments: Vec<Environment>,
    /// `[pods]` with defaults filled in.
    pub pods: Pods,
}

/// `[environments.NAME]`: the overrides of one deployment environment (SPEC §9).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    /// `^[a-z][a-z0-9-]*$`, as in `--env NAME`.
    pub name: String,
    /// Replaces `app.namespace`.
    pub namespace: Option<String>,
    /// Replaces `app.image`.
    pub image: Option<String>,
    /// Replaces `app.prometheus_url`.
    pub prometheus_url: Option<String>,
    /// Replaces `app.runbook_url`.
    pub runbook_url: Option<String>,
    /// Replica bounds replacing the territories' own, in (territory, workload) order.
    pub bounds: Vec<BoundsOverride>,
}

/// New `min`/`max` of one (territory, workload) in an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundsOverride {
    /// Territory code.
    pub territory: String,
    /// Workload name.
    pub workload: String,
    /// New `min`, if overridden.
    pub min: Option<u32>,
    /// New `max`, if overridden.
    pub max: Option<u32>,
}

/// `[app]`: names, image and the links and versions the artefacts need.
#[derive(Debug, Clone)]
pub struct App {
    /// DNS-1035 label, prefix of every generated object name.
    pub name: String,
    /// Kubernetes namespace of every generated object.
    pub namespace: String,
    /// Container image reference.
    pub image: String,
    /// KEDA version running in the cluster (§4.3).
    pub keda_version: KedaVersion,
    /// Prometheus base URL the KEDA prometheus triggers query.
    pub prometheus_url: String,
    /// Runbook base URL; alerts link to `{runbook_url}#{anchor}`.
    pub runbook_url: String,
    /// Flyway version of the listener-and-journal migration.
    pub migration_version: u32,
    /// Labels of the PodMonitor and the PrometheusRule besides scalegen's own, sorted by key.
    pub monitoring_labels: Vec<(String, String)>,
    /// Minutes every entry's floors open before its hours, where it can (SPEC §2.2
    /// "Lead time"; [`Entry::floor_lead`] says where it applies).
    pub prescale_lead: u32,
    /// HPA scale-up tolerance in thousandths, rendered into every ScaledObject's
    /// `behavior.scaleUp.tolerance` when set (unset: the cluster's 10 %).
    pub scale_up_tolerance: Option<u32>,
}

/// A `MAJOR.MINOR` KEDA version, ordered numerically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KedaVersion {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl KedaVersion {
    /// Whether this KEDA builds valid metric names from cron fields with commas (≥ 2.20).
    pub fn allows_commas_in_cron(self) -> bool {
        self >= KedaVersion {
            major: 2,
            minor: 20,
        }
    }
}

impl std::fmt::Display for KedaVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A Prometheus-style duration (`5m`, `1h30m`), kept with its canonical spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PromDuration {
    /// Length in seconds.
    pub seconds: u64,
}

impl std::fmt::Display for PromDuration {
    /// Canonical Prometheus spelling, largest units first (`90s` → `1m30s`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.seconds == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.seconds;
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
            if rest >= size {
                write!(f, "{}{}", rest / size, unit)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

/// A territory (market) with its timezone and per-workload scaling bounds.
#[derive(Debug, Clone)]
pub struct Territory {
    /// `^[A-Z]{2}$`, e.g. `DE`.
    pub code: String,
    /// Display name (free text; escape wherever it lands).
    pub name: String,
    /// IANA zone; every calendar hour of this territory is local to it.
    pub timezone: Tz,
    /// The zone name exactly as configured (links such as `CET` stay as written).
    pub timezone_name: String,
    /// Region traffic shares, sorted by region code.
    pub regions: Vec<Region>,
    /// One entry per model workload, in the model's workload order.
    pub workloads: Vec<TerritoryWorkload>,
}

impl Territory {
    /// Lower-case code as used in file and object names.
    pub fn code_lower(&self) -> String {
        self.code.to_ascii_lowercase()
    }

    /// The bounds of workload `name` in this territory.
    pub fn workload(&self, name: &str) -> Option<&TerritoryWorkload> {
        self.workloads.iter().find(|w| w.workload == name)
    }
}

/// A region of a territory and its share of the territory's traffic.
#[derive(Debug, Clone)]
pub struct Region {
    /// `^[A-Z0-9]{1,3}$`, e.g. `BY`.
    pub code: String,
    /// Share in (0, 1].
    pub share: f64,
}

/// Scaling bounds and targets of one workload in one territory.
#[derive(Debug, Clone)]
pub struct TerritoryWorkload {
    /// Workload name.
    pub workload: String,
    /// KEDA `minReplicaCount` (≥ 1).
    pub min: u32,
    /// KEDA `maxReplicaCount` (≥ min, ≤ 1000).
    pub max: u32,
    /// Throughput one replica handles; the prometheus trigger threshold.
    pub rps_per_replica: f64,
    /// Typical off-season load, for `plan`'s load model.
    pub baseline_rps: Option<f64>,
    /// Resolved p95 target (workload-in-territory, else territory, else workload).
    pub p95_ms: u32,
}

impl Model {
    /// This model as environment `name` sees it (its overrides applied; validation has
    /// checked the result), or `None` when no such environment is configured.
    pub fn for_environment(&self, name: &str) -> Option<Model> {
        let env = self.environments.iter().find(|e| e.name == name)?;
        let mut model = self.clone();
        let app = &mut model.app;
        for (slot, value) in [
            (&mut app.namespace, &env.namespace),
            (&mut app.image, &env.image),
            (&mut app.prometheus_url, &env.prometheus_url),
            (&mut app.runbook_url, &env.runbook_url),
        ] {
            if let Some(v) = value {
                slot.clone_from(v);
            }
        }
        for b in &env.bounds {
            let tw = model
                .territories
                .iter_mut()
                .find(|t| t.code == b.territory)
                .and_then(|t| t.workloads.iter_mut().find(|w| w.workload == b.workload));
            if let Some(tw) = tw {
                tw.min = b.min.unwrap_or(tw.min);
                tw.max = b.max.unwrap_or(tw.max);
            }
        }
        Some(model)
    }

    /// The territory with `code`.
    pub fn territory(&self, code: &str) -> Option<&Territory> {
        self.territories.iter().find(|t| t.code == code)
    }

    /// Whether local date `d` is a blackout day for territory `code`.
    pub fn is_blackout(&self, code: &str, d: NaiveDate) -> bool {
        self.blackouts
            .iter()
            .any(|b| b.territories.iter().any(|t| t == code) && b.dates.contains(d))
    }

    /// Whether entry `e` opens a window on local day `day` in territory `code` (§2.2
    /// step 2: in the date range, on a `days` weekday, not a blackout day of the territory).
    pub fn starts_on(&self, e: &Entry, code: &str, day: NaiveDate) -> bool {
        e.dates.contains(day) && e.days.contains(day.weekday()) && !self.is_blackout(code, day)
    }

    /// Whether a blackout of territory `code` covers month-day `(month, day)` in some
    /// year: recurring blackouts by their range, dated ones on their own month-days
    /// (cron has no year, §4.2).
    pub fn blackout_month_day(&self, code: &str, month: u32, day: u32) -> bool {
        self.blackouts
            .iter()
            .filter(|b| b.territories.iter().any(|t| t == code))
            .any(|b| match b.dates {
                DateRange::Recurring { .. } => b.dates.contains(leap_year_day(month, day)),
                DateRange::Dated { from, to } => from
                    .iter_days()
                    .take_while(|d| *d <= to)
                    .any(|d| d.month() == month && d.day() == day),
            })
    }

    /// Whether month-day `(month, day)` (of a leap year) is a start day of recurring
    /// entry `e` in territory `code` as yearless cron sees it: in the range and not a
    /// blackout month-day ([`Self::blackout_month_day`]); weekdays are not applied.
    pub fn starts_on_month_day(&self, e: &Entry, code: &str, month: u32, day: u32) -> bool {
        e.dates.contains(leap_year_day(month, day)) && !self.blackout_month_day(code, month, day)
    }

    /// Name of the deployment (and ScaledObject, Service, PDB) of (territory, workload).
    pub fn deployment_name(&self, territory: &Territory, workload: &str) -> String {
        format!("{}-{}-{}", self.app.name, workload, territory.code_lower())
    }
}
