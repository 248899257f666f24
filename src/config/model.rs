//! The validated model: the only view of the configuration that later stages see.
//!
//! `validate` builds it from the raw, spanned TOML types; nothing past validation
//! reads TOML. Types here are chosen so that invalid states are hard to express:
//! hours are minutes of the day, weekdays a bit set, dates either recurring
//! (`MonthDay`) or dated (`NaiveDate`), timezones parsed `chrono_tz::Tz`.
//! Collections are `Vec`s in a fixed, documented order so output never depends on
//! hash order.

use chrono::{Datelike, NaiveDate, Weekday};
use chrono_tz::Tz;

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

/// `[pods]`: how every Deployment's pods run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pods {
    /// `runAsUser` of every container (≥ 1: the pods run as non-root).
    pub run_as_user: u32,
    /// `runAsGroup` of every container.
    pub run_as_group: u32,
    /// `sizeLimit` of the `/tmp` emptyDir (a Kubernetes quantity).
    pub tmp_size: String,
    /// `ephemeral-storage` request of the container.
    pub ephemeral_storage_request: String,
    /// `ephemeral-storage` limit of the container.
    pub ephemeral_storage_limit: String,
    /// A NetworkPolicy per deployment, when configured.
    pub network_policy: Option<NetworkPolicy>,
}

impl Default for Pods {
    fn default() -> Self {
        Pods {
            run_as_user: 10001,
            run_as_group: 10001,
            tmp_size: "256Mi".into(),
            ephemeral_storage_request: "256Mi".into(),
            ephemeral_storage_limit: "1Gi".into(),
            network_policy: None,
        }
    }
}

/// `[pods.network_policy]`: ingress only on the service port, from the given namespaces
/// (any when empty) and from Prometheus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkPolicy {
    /// Namespaces whose pods may reach the service port; empty: any source.
    pub ingress_namespaces: Vec<String>,
    /// Namespace of the scraping Prometheus.
    pub prometheus_namespace: String,
    /// Pod labels of the scraping Prometheus, sorted by key.
    pub prometheus_labels: Vec<(String, String)>,
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

/// A workload (CQRS side) such as `queries` or `commands`.
#[derive(Debug, Clone)]
pub struct Workload {
    /// `^[a-z][a-z0-9]*$`.
    pub name: String,
    /// Default p95 latency target in milliseconds.
    pub p95_ms: u32,
    /// Container and Service port.
    pub port: u16,
    /// HPA scale-down stabilization window.
    pub scale_down_window: PromDuration,
    /// Container resource requests.
    pub requests: Resources,
    /// Container resource limits.
    pub limits: Resources,
    /// The request the k6 load tests send to this workload.
    pub loadtest: LoadProbe,
    /// Probes, metrics path, environment and service account of the pods.
    pub pod: PodSettings,
}

/// The probe request of a workload's k6 load test (`[workloads.W.loadtest]`, SPEC §10).
/// `path` and `body` may hold `{territory}` and `{region}`, filled in per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProbe {
    /// Upper-case HTTP method (`GET`, `POST`, …).
    pub method: String,
    /// Path and query below the base URL, starting with `/`.
    pub path: String,
    /// Request body, only for methods that take one.
    pub body: Option<String>,
}

impl Default for LoadProbe {
    /// `GET /`: what a workload without a `loadtest` table is probed with.
    fn default() -> Self {
        LoadProbe {
            method: "GET".to_string(),
            path: "/".to_string(),
            body: None,
        }
    }
}

/// How the pods of a workload run, beyond image and resources (SPEC §9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSettings {
    /// HTTP paths of the probes.
    pub probes: Probes,
    /// Path the PodMonitor scrapes.
    pub metrics_path: String,
    /// Extra environment variables, sorted by name (`TERRITORY`/`WORKLOAD` are scalegen's).
    pub env: Vec<(String, String)>,
    /// Secrets and ConfigMaps whose keys become environment variables, in config order.
    pub env_from: Vec<EnvSource>,
    /// ServiceAccount name, when not the namespace's default.
    pub service_account: Option<String>,
}

impl Default for PodSettings {
    /// The Quarkus conventions (SmallRye Health, Micrometer), nothing extra.
    fn default() -> Self {
        PodSettings {
            probes: Probes {
                startup: "/q/health/started".into(),
                readiness: "/q/health/ready".into(),
                liveness: "/q/health/live".into(),
            },
            metrics_path: "/q/metrics".into(),
            env: Vec::new(),
            env_from: Vec::new(),
            service_account: None,
        }
    }
}

/// HTTP GET paths of a container's probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probes {
    /// Startup probe.
    pub startup: String,
    /// Readiness probe.
    pub readiness: String,
    /// Liveness probe.
    pub liveness: String,
}

/// A source of environment variables (`envFrom`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvSource {
    /// Every key of this Secret.
    Secret(String),
    /// Every key of this ConfigMap.
    ConfigMap(String),
}

/// CPU and memory quantities in Kubernetes quantity syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    /// e.g. `250m`.
    pub cpu: String,
    /// e.g. `512Mi`.
    pub memory: String,
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

/// `[events]`: LISTEN/NOTIFY channel, event types and backpressure thresholds.
#[derive(Debug, Clone)]
pub struct Events {
    /// NOTIFY channel name.
    pub channel: String,
    /// Event types, as configured.
    pub types: Vec<String>,
    /// Critical event types (subset of `types`).
    pub critical: Vec<String>,
    /// Queue usage from which ordinary events are journaled.
    pub journal_threshold: f64,
    /// Queue usage from which critical events are journaled too.
    pub critical_threshold: f64,
    /// Secret holding the replay job's `DATABASE_URL` (key [`REPLAY_SECRET_KEY`]).
    pub replay_secret: String,
    /// Container image of the replay job (has `psql`).
    pub replay_image: String,
    /// How long published journal rows are kept before the retention job deletes them.
    pub journal_retention: PromDuration,
    /// Secret holding the retention job's `DATABASE_URL` (a login role granted
    /// `scaling_maintainer`, not the replay job's role).
    pub retention_secret: String,
}

/// Key of the jobs' Secrets (replay and retention) that holds the libpq connection URI.
pub const REPLAY_SECRET_KEY: &str = "DATABASE_URL";
/// Image of the replay job when `[events] replay_image` is not set.
pub const DEFAULT_REPLAY_IMAGE: &str = "postgres:15-alpine";
/// Name suffix of every CronJob scalegen renders (`{app}-{suffix}`); Kubernetes limits
/// CronJob names to [`CRONJOB_NAME_MAX`] characters, so validation checks them all.
pub const JOB_SUFFIXES: &[&str] = &["journal-replay", "journal-retention"];
/// `[events] journal_retention` when not set: a week of published events to look up.
pub const DEFAULT_JOURNAL_RETENTION: PromDuration = PromDuration {
    seconds: 7 * 86_400,
};
/// Longest name Kubernetes accepts for a CronJob (its Jobs append 11 characters).
pub const CRONJOB_NAME_MAX: usize = 52;

/// `[alerts]` thresholds.
#[derive(Debug, Clone)]
pub struct Alerts {
    /// Emergency p95 in milliseconds.
    pub emergency_p95_ms: u32,
    /// NOTIFY queue usage warning threshold, in (0, 1).
    pub notify_queue_warning: f64,
    /// NOTIFY queue usage critical threshold, in (0, 1).
    pub notify_queue_critical: f64,
    /// Maximum age of the oldest pending journal row.
    pub outbox_lag_seconds: u32,
    /// Pre-scale-without-load ratio of floor capacity, in (0, 1).
    pub prescale_idle_ratio: f64,
    /// How long traffic must stay idle under an active floor before the cost alert fires.
    pub prescale_idle_for: PromDuration,
}

/// The `[traffic]` table of SPEC §8.1 with its defaults: how demand varies over a day
/// and how replicas and the throughput metric behave in `simulate`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrafficSettings {
    /// Factor of each local hour on Monday to Friday.
    pub profile_weekday: [f64; 24],
    /// Factor of each local hour on Saturday and Sunday.
    pub profile_weekend: [f64; 24],
    /// Seconds from a replica's creation until it serves traffic.
    pub startup_seconds: u32,
    /// Multiple of `rps_per_replica` a replica carries within the p95 target.
    pub saturation: f64,
    /// Scrape and polling delay of the throughput metric (a multiple of 15).
    pub metric_delay_seconds: u32,
}

impl Default for TrafficSettings {
    fn default() -> Self {
        TrafficSettings {
            profile_weekday: [1.0; 24],
            profile_weekend: [1.0; 24],
            startup_seconds: 60,
            saturation: 1.25,
            metric_delay_seconds: 30,
        }
    }
}

impl TrafficSettings {
    /// Whether both profiles are 1.0 everywhere (the default).
    pub fn is_flat(&self) -> bool {
        self.profile_weekday
            .iter()
            .chain(&self.profile_weekend)
            .all(|&f| f == 1.0)
    }

    /// `S = ⌊saturation × 100 + 0.5⌋` (percent).
    pub fn saturation_percent(&self) -> u64 {
        (self.saturation * 100.0 + 0.5).floor() as u64
    }
}

/// Whether an entry recurs every year or is dated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    /// `[[season]]`, recurs every year.
    Season,
    /// `[[campaign]]`, one-off dates.
    Campaign,
}

impl EntryKind {
    /// `season` or `campaign`, as in the TOML table name and trigger names.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Season => "season",
            EntryKind::Campaign => "campaign",
        }
    }
}

/// A month and day without a year (`10-15`). Never `02-29` (rejected in validation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    /// 1..=12.
    pub month: u32,
    /// 1..=days in month (28 for February).
    pub day: u32,
}

impl MonthDay {
    /// This month-day in `year`.
    pub fn in_year(self, year: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, self.month, self.day).expect("validated month-day")
    }
}

impl std::fmt::Display for MonthDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

/// An inclusive range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateRange {
    /// Every year from `from` to `to`; `to < from` crosses the year end.
    /// A range that contains the end of February contains Feb 29 in leap years.
    Recurring {
        /// First day, inclusive.
        from: MonthDay,
        /// Last day, inclusive.
        to: MonthDay,
    },
    /// One-off dates, `from <= to`.
    Dated {
        /// First day, inclusive.
        from: NaiveDate,
        /// Last day, inclusive.
        to: NaiveDate,
    },
}

impl DateRange {
    /// Whether local date `d` lies in the range (month-day order for recurring ranges).
    pub fn contains(&self, d: NaiveDate) -> bool {
        match *self {
            DateRange::Dated { from, to } => from <= d && d <= to,
            DateRange::Recurring { .. } => self.contains_month_day(d.month(), d.day()),
        }
    }

    /// Whether month-day `(month, day)` lies in a recurring range (what [`Self::contains`]
    /// answers for any date on that month-day); for a dated range, whether its date in
    /// the leap year 2028 does.
    pub fn contains_month_day(&self, month: u32, day: u32) -> bool {
        match *self {
            DateRange::Dated { .. } => self.contains(leap_year_day(month, day)),
            DateRange::Recurring { from, to } => {
                let md = (month, day);
                let f = (from.month, from.day);
                // `to` = 02-28 must not include Feb 29, so compare on (month, day) directly;
                // a range *containing* the end of February includes 02-29 naturally.
                let t = (to.month, to.day);
                if f <= t {
                    f <= md && md <= t
                } else {
                    md >= f || md <= t
                }
            }
        }
    }

    /// Whether the range is dated (campaign or dated blackout).
    pub fn is_dated(&self) -> bool {
        matches!(self, DateRange::Dated { .. })
    }
}

/// Local window hours: `[start, end)` in minutes of the day; `end <= start` crosses midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    /// 0..=1439.
    pub start_minute: u32,
    /// 1..=1440 (1440 = `24:00`); never equal to `start_minute`.
    pub end_minute: u32,
}

impl Hours {
    /// `00:00-24:00`: the window covers whole days.
    pub fn is_whole_day(&self) -> bool {
        self.start_minute == 0 && self.end_minute == 1440
    }

    /// Whether the end time lies before the start time (`22:00-02:00`).
    pub fn crosses_midnight(&self) -> bool {
        self.end_minute < self.start_minute
    }

    /// Minutes from the start day's midnight to the window's end: `end_minute`, on the
    /// next day when the hours cross midnight (`22:00-02:00` → 1560).
    pub fn end_offset_minutes(&self) -> u32 {
        if self.crosses_midnight() {
            self.end_minute + 1440
        } else {
            self.end_minute
        }
    }

    /// Whether the window ends on the day after it starts (crossing midnight or `24:00`).
    pub fn ends_next_day(&self) -> bool {
        self.end_offset_minutes() >= 1440
    }

    /// Whether floors can open `lead` minutes before these hours (SPEC §2.2 "Lead
    /// time"): no lead always fits; otherwise not on whole days, not before 00:00 of the
    /// start day, and the window must stay shorter than a day or become exactly the
    /// whole day (a longer one would overlap the next day's, which one cron trigger per
    /// day cannot express).
    pub fn takes_lead(&self, lead: u32) -> bool {
        let length = self.end_offset_minutes() - self.start_minute + lead;
        lead == 0
            || (!self.is_whole_day()
                && self.start_minute >= lead
                && (length < 1440 || (self.start_minute == lead && self.end_minute == 1440)))
    }
}

impl std::fmt::Display for Hours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start_minute / 60,
            self.start_minute % 60,
            self.end_minute / 60,
            self.end_minute % 60
        )
    }
}

/// A set of weekdays (bit 0 = Monday … bit 6 = Sunday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekdays(pub u8);

impl Weekdays {
    /// Every day of the week.
    pub const ALL: Weekdays = Weekdays(0x7f);

    /// Whether `day` is in the set.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    /// Whether every weekday is in the set.
    pub fn is_all(self) -> bool {
        self.0 & 0x7f == 0x7f
    }
}

/// A pre-scale floor of an entry for one (territory, workload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Floor {
    /// Territory code.
    pub territory: String,
    /// Workload name.
    pub workload: String,
    /// Replicas, 1..=max of the territory workload.
    pub replicas: u32,
}

/// A load multiplier of an entry for a territory (`DE`) or region (`DE-BY`).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadFactor {
    /// Territory code.
    pub territory: String,
    /// Region code within the territory, when the key was `DE-BY`.
    pub region: Option<String>,
    /// Multiplier of the baseline load.
    pub factor: f64,
}

/// A season or campaign: a recurring or dated window that raises floors.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Season or campaign.
    pub kind: EntryKind,
    /// `^[a-z0-9][a-z0-9-]*$`, ≤ 40 characters, unique across all files.
    pub id: String,
    /// Display name (defaults to the id).
    pub name: String,
    /// Recurring for seasons, dated for campaigns.
    pub dates: DateRange,
    /// Local hours of each window.
    pub hours: Hours,
    /// Weekdays on which a window may start.
    pub days: Weekdays,
    /// Floors, sorted by (territory, workload order of the model).
    pub floors: Vec<Floor>,
    /// Load multipliers, sorted by key.
    pub load: Vec<LoadFactor>,
    /// The entry's own `lead` in minutes, as configured.
    pub lead: Option<u32>,
    /// Minutes the floors open before `hours.start`: the entry's own lead, else the
    /// app-wide `prescale_lead` where it applies ([`Hours::takes_lead`]), else 0 (SPEC
    /// §2.2 "Lead time").
    pub floor_lead: u32,
    /// Calendar file (relative path as given) that defined the entry.
    pub file: String,
}

impl Entry {
    /// The local hours of the entry's floor windows: `hours` opened [`Self::floor_lead`]
    /// minutes earlier on the same day (traffic still follows `hours`).
    pub fn floor_hours(&self) -> Hours {
        Hours {
            start_minute: self.hours.start_minute - self.floor_lead,
            end_minute: self.hours.end_minute,
        }
    }

    /// The load factor of this entry for `territory` (SPEC §8.1), or `None` without a
    /// `load` key for it: `(1 − Σ s_r) × L(T) + Σ s_r × L(T-r)`, where `L(T)` is the
    /// territory's key (else 1.0) and `L(T-r)` a region's key (else `L(T)`), mixed by
    /// the configured region shares `s_r`. A load given only as region keys is a load
    /// for the territory.
    pub fn load_factor(&self, territory: &Territory) -> Option<f64> {
        let (own, regions) = self.load_levels(territory)?;
        let mut shares = 0.0;
        let mut regional = 0.0;
        for (region, factor) in regions {
            shares += region.share;
            regional += region.share * factor;
        }
        Some((1.0 - shares) * own + regional)
    }

    /// `L(T)` and, for each configured region of `territory` in order, `L(T-r)` (SPEC
    /// §8.1), or `None` when the entry has no load key for the territory.
    fn load_levels<'a>(&self, territory: &'a Territory) -> Option<(f64, Vec<(&'a Region, f64)>)> {
        let keys: Vec<&LoadFactor> = self
            .load
            .iter()
            .filter(|l| l.territory == territory.code)
            .collect();
        if keys.is_empty() {
            return None;
        }
        let own = keys
            .iter()
            .find(|l| l.region.is_none())
            .map_or(1.0, |l| l.factor);
        let regions = territory
            .regions
            .iter()
            .map(|r| {
                let factor = keys
                    .iter()
                    .find(|l| l.region.as_deref() == Some(r.code.as_str()))
                    .map_or(own, |l| l.factor);
                (r, factor)
            })
            .collect();
        Some((own, regions))
    }

    /// The floor this entry sets for (territory, workload), if any.
    pub fn floor_for(&self, territory: &str, workload: &str) -> Option<u32> {
        // Floors are sorted by territory, so a territory's floors are found by bisection
        // (an entry may floor hundreds of territories).
        let first = self
            .floors
            .partition_point(|f| f.territory.as_str() < territory);
        self.floors[first..]
            .iter()
            .take_while(|f| f.territory == territory)
            .find(|f| f.workload == workload)
            .map(|f| f.replicas)
    }

    /// Whether the entry sets a floor in `territory`.
    pub fn floors_territory(&self, territory: &str) -> bool {
        let first = self
            .floors
            .partition_point(|f| f.territory.as_str() < territory);
        self.floors
            .get(first)
            .is_some_and(|f| f.territory == territory)
    }
}

/// One part of a territory's traffic under an entry's `load` (SPEC §8.1): a configured
/// region, or the rest of the territory, with its share and load factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadPart<'a> {
    /// Region code, `None` for the rest of the territory.
    pub region: Option<&'a str>,
    /// Share of the territory's baseline traffic (the rest: 1 − Σ region shares).
    pub share: f64,
    /// `L(T-r)` for a region (default `L(T)`), `L(T)` for the rest (default 1).
    pub factor: f64,
}

impl Entry {
    /// The parts of `territory`'s traffic under this entry's load — its regions in order,
    /// then the rest — or `None` when the entry has no load key for the territory (a
    /// `T-r` key alone is a load for T). The entry's factor for T is Σ share × factor.
    pub fn load_parts<'a>(&self, territory: &'a Territory) -> Option<Vec<LoadPart<'a>>> {
        let (own, regions) = self.load_levels(territory)?;
        let mut parts: Vec<LoadPart<'a>> = regions
            .into_iter()
            .map(|(r, factor)| LoadPart {
                region: Some(r.code.as_str()),
                share: r.share,
                factor,
            })
            .collect();
        let shares: f64 = parts.iter().map(|p| p.share).sum();
        parts.push(LoadPart {
            region: None,
            share: (1.0 - shares).max(0.0),
            factor: own,
        });
        Some(parts)
    }
}

/// The lowest running replica count from which the HPA never reaches `floor` through the
/// cron trigger alone, or `None` when every count below it reaches it. KEDA serves a cron
/// trigger to the HPA as a metric with target 1, and the HPA keeps its replicas `cur`
/// while `|floor − cur| ≤ tolerance × cur` (SPEC §8.2 step 3); `tolerance` in thousandths
/// (Kubernetes' default: 100). From 10 replicas a floor of 11 is never reached.
pub fn floor_held_back_from(floor: u32, tolerance: u32) -> Option<u32> {
    let from = (1000 * u64::from(floor)).div_ceil(1000 + u64::from(tolerance));
    (from < u64::from(floor)).then_some(from as u32)
}

/// Days on which no pre-scale window starts, for some territories.
#[derive(Debug, Clone)]
pub struct Blackout {
    /// Unique id.
    pub id: String,
    /// Display name (defaults to the id).
    pub name: String,
    /// Recurring or dated days (whole days).
    pub dates: DateRange,
    /// Territory codes it applies to (all when not configured), sorted.
    pub territories: Vec<String>,
}

impl Blackout {
    /// Whether the blackout applies to territory `code` (bisection: the codes are sorted).
    pub fn applies_to(&self, code: &str) -> bool {
        self.territories
            .binary_search_by(|t| t.as_str().cmp(code))
            .is_ok()
    }
}

/// The blackout days of one territory, gathered once so that each question is a table
/// look-up instead of a scan of every blackout: [`Self::contains`] answers
/// [`Model::is_blackout`] and [`Self::month_day`] answers [`Model::blackout_month_day`]
/// (the definitions; tests keep the two equal). Compile, validation and the window
/// generator ask these questions per entry × day, so a scan there made the work grow
/// with entries × blackouts.
#[derive(Debug, Clone)]
pub struct BlackoutDays {
    /// Month-days (of a leap year, `[month - 1][day - 1]`) a recurring blackout covers.
    recurring: [[bool; 31]; 12],
    /// Month-days on which some dated blackout falls in some year.
    dated_month_days: [[bool; 31]; 12],
    /// Dated blackout ranges, sorted by start and merged where they overlap or touch.
    dated: Vec<(NaiveDate, NaiveDate)>,
}

impl BlackoutDays {
    /// The blackout days of territory `code` in `model`.
    pub fn new(model: &Model, code: &str) -> BlackoutDays {
        let mut days = BlackoutDays {
            recurring: [[false; 31]; 12],
            dated_month_days: [[false; 31]; 12],
            dated: Vec::new(),
        };
        for b in model.blackouts.iter().filter(|b| b.applies_to(code)) {
            match b.dates {
                DateRange::Recurring { .. } => {
                    for (m, row) in (1..=12).zip(days.recurring.iter_mut()) {
                        for (d, cell) in (1..=days_in_leap_month(m)).zip(row.iter_mut()) {
                            *cell |= b.dates.contains_month_day(m, d);
                        }
                    }
                }
                DateRange::Dated { from, to } => days.dated.push((from, to)),
            }
        }
        days.dated.sort_unstable();
        let mut merged: Vec<(NaiveDate, NaiveDate)> = Vec::with_capacity(days.dated.len());
        for &(from, to) in &days.dated {
            match merged.last_mut() {
                Some(last) if from <= last.1.succ_opt().unwrap_or(last.1) => {
                    last.1 = last.1.max(to)
                }
                _ => merged.push((from, to)),
            }
        }
        for &(from, to) in &merged {
            mark_month_days(&mut days.dated_month_days, from, to);
        }
        days.dated = merged;
        days
    }

    /// Whether local date `d` is a blackout day ([`Model::is_blackout`]).
    pub fn contains(&self, d: NaiveDate) -> bool {
        if self.recurring[d.month0() as usize][d.day0() as usize] {
            return true;
        }
        let i = self.dated.partition_point(|r| r.1 < d);
        self.dated.get(i).is_some_and(|r| r.0 <= d)
    }

    /// Whether a blackout covers month-day `(month, day)` in some year
    /// ([`Model::blackout_month_day`]).
    pub fn month_day(&self, month: u32, day: u32) -> bool {
        let (m, d) = (month as usize - 1, day as usize - 1);
        self.recurring[m][d] || self.dated_month_days[m][d]
    }

    /// Whether entry `e` opens a window on local day `day` ([`Model::starts_on`]).
    pub fn starts_on(&self, e: &Entry, day: NaiveDate) -> bool {
        e.dates.contains(day) && e.days.contains(day.weekday()) && !self.contains(day)
    }

    /// Whether month-day `(month, day)` is a start day of recurring entry `e` as yearless
    /// cron sees it ([`Model::starts_on_month_day`]).
    pub fn starts_on_month_day(&self, e: &Entry, month: u32, day: u32) -> bool {
        e.dates.contains_month_day(month, day) && !self.month_day(month, day)
    }
}

/// Marks every month-day the dates `from..=to` fall on: the first year of days covers
/// every month-day but Feb 29, which needs a leap day in the range.
fn mark_month_days(grid: &mut [[bool; 31]; 12], from: NaiveDate, to: NaiveDate) {
    for d in from.iter_days().take(366).take_while(|d| *d <= to) {
        grid[d.month0() as usize][d.day0() as usize] = true;
    }
    let leap_day = (from.year()..=to.year())
        .filter_map(|y| NaiveDate::from_ymd_opt(y, 2, 29))
        .any(|d| from <= d && d <= to);
    if leap_day {
        grid[1][28] = true;
    }
}

/// Days of month `m` in a leap year.
fn days_in_leap_month(m: u32) -> u32 {
    match m {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
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

/// Month-day `(month, day)` in a leap year (2028), so that Feb 29 exists.
fn leap_year_day(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2028, month, day).expect("valid leap-year month-day")
}
