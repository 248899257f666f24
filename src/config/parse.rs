//! Parse stage: TOML text → raw serde types that keep spans.
//!
//! The raw types mirror the files exactly (`deny_unknown_fields`), and their JSON
//! Schema is what `scalegen schema` prints. Values that validation checks are
//! `toml::Spanned` so every later diagnostic can point at the offending text.
//!
//! One broken section must not hide problems elsewhere: each territory, workload,
//! top-level table and calendar entry is deserialized as a [`Section`], which keeps
//! its own serde error instead of failing the whole file. The error's location is
//! then recovered from a span-preserving parse of the same text (`toml_edit`).

use crate::diag::{did_you_mean, Closeness, Diagnostic, Location};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

/// A spanned string.
pub type SStr = Spanned<String>;

/// A part of a file that deserializes on its own: either the value or its error.
#[derive(Debug, Clone)]
pub enum Section<T> {
    /// Deserialized fine.
    Ok(T),
    /// Failed; the message and the key path inside the section (from the TOML error).
    Invalid {
        /// serde's message, e.g. ``unknown field `timezon`, expected …``.
        message: String,
        /// Keys below the section where the problem is, outermost first.
        keys: Vec<String>,
    },
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Section<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match T::deserialize(d) {
            Ok(v) => Ok(Section::Ok(v)),
            Err(e) => {
                // toml_edit renders a span-less error as "message\nin `a.b`\n".
                let text = e.to_string();
                let (message, keys) = match text.trim_end().rsplit_once("\nin `") {
                    Some((msg, rest)) => (
                        msg.to_string(),
                        rest.trim_end_matches('`')
                            .split('.')
                            .map(str::to_string)
                            .collect(),
                    ),
                    None => (text.trim_end().to_string(), Vec::new()),
                };
                Ok(Section::Invalid { message, keys })
            }
        }
    }
}

impl<T: JsonSchema> JsonSchema for Section<T> {
    fn schema_name() -> String {
        T::schema_name()
    }
    fn json_schema(gen: &mut schemars::gen::SchemaGenerator) -> schemars::schema::Schema {
        T::json_schema(gen)
    }
    fn is_referenceable() -> bool {
        T::is_referenceable()
    }
}

/// `territories.toml`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "territories.toml")]
pub struct RawTerritoriesFile {
    /// Application names, image, versions and links.
    #[schemars(with = "RawApp")]
    pub app: Section<RawApp>,
    /// Workloads (CQRS sides) by name.
    #[schemars(with = "BTreeMap<String, RawWorkload>")]
    pub workloads: BTreeMap<String, Section<RawWorkload>>,
    /// Territories by two-letter code.
    #[schemars(with = "BTreeMap<String, RawTerritory>")]
    pub territories: BTreeMap<String, Section<RawTerritory>>,
    /// LISTEN/NOTIFY event settings.
    #[schemars(with = "RawEvents")]
    pub events: Section<RawEvents>,
    /// Alert thresholds (every key defaulted).
    #[serde(default)]
    #[schemars(with = "Option<RawAlerts>")]
    pub alerts: Option<Section<RawAlerts>>,
    /// Deployment environments (`render --env NAME`), each overriding a few `[app]` keys
    /// and replica bounds.
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, RawEnvironment>>")]
    pub environments: Option<BTreeMap<String, Section<RawEnvironment>>>,
    /// The traffic model of `simulate` (every key defaulted).
    #[serde(default)]
    #[schemars(with = "Option<RawTraffic>")]
    pub traffic: Option<Section<RawTraffic>>,
    /// How the pods run: user and group ids, scratch space, NetworkPolicy (every key defaulted).
    #[serde(default)]
    #[schemars(with = "Option<RawPods>")]
    pub pods: Option<Section<RawPods>>,
}

/// `[environments.NAME]`: what differs between clusters or stages of one app.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEnvironment {
    /// Namespace of every object (and of every PromQL selector).
    #[schemars(with = "Option<String>")]
    pub namespace: Option<SStr>,
    /// Container image.
    #[schemars(with = "Option<String>")]
    pub image: Option<SStr>,
    /// Prometheus URL of the KEDA prometheus triggers.
    #[schemars(with = "Option<String>")]
    pub prometheus_url: Option<SStr>,
    /// Runbook URL of the alerts.
    #[schemars(with = "Option<String>")]
    pub runbook_url: Option<SStr>,
    /// Replica bounds by territory code, then workload.
    #[schemars(with = "Option<BTreeMap<String, BTreeMap<String, RawBounds>>>")]
    pub territories: Option<BTreeMap<String, BTreeMap<String, RawBounds>>>,
}

/// `{ min = …, max = … }` of one workload in an environment (each optional).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBounds {
    /// Minimum replicas.
    #[schemars(with = "Option<i64>")]
    pub min: Option<Spanned<i64>>,
    /// Maximum replicas.
    #[schemars(with = "Option<i64>")]
    pub max: Option<Spanned<i64>>,
}

/// `[pods]`: security context numbers, `/tmp` and ephemeral storage, NetworkPolicy.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPods {
    /// Numeric user id of every container (default 10001).
    #[schemars(with = "Option<i64>")]
    pub run_as_user: Option<Spanned<i64>>,
    /// Numeric group id of every container (default 10001).
    #[schemars(with = "Option<i64>")]
    pub run_as_group: Option<Spanned<i64>>,
    /// `sizeLimit` of the `/tmp` emptyDir (default "256Mi").
    #[schemars(with = "Option<String>")]
    pub tmp_size: Option<SStr>,
    /// Ephemeral storage request and limit of the container (default 256Mi / 1Gi).
    #[schemars(with = "Option<RawEphemeralStorage>")]
    pub ephemeral_storage: Option<RawEphemeralStorage>,
    /// A NetworkPolicy per deployment when present.
    #[schemars(with = "Option<RawNetworkPolicy>")]
    pub network_policy: Option<RawNetworkPolicy>,
}

/// `ephemeral_storage = { request = "…", limit = "…" }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEphemeralStorage {
    /// Quantity requested.
    #[schemars(with = "String")]
    pub request: SStr,
    /// Quantity at which the kubelet evicts the pod.
    #[schemars(with = "String")]
    pub limit: SStr,
}

/// `[pods.network_policy]`: who may reach the pods.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNetworkPolicy {
    /// Namespaces whose pods may reach the service port (default: any source).
    #[schemars(with = "Option<Vec<String>>")]
    pub ingress_namespaces: Option<Spanned<Vec<SStr>>>,
    /// Namespace of the Prometheus that scrapes the pods (default "monitoring").
    #[schemars(with = "Option<String>")]
    pub prometheus_namespace: Option<SStr>,
    /// Labels of the Prometheus pods (default `app.kubernetes.io/name = "prometheus"`).
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub prometheus_labels: Option<BTreeMap<String, SStr>>,
}

/// `[app]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawApp {
    /// DNS-1035 label; deployments are `{name}-{workload}-{territory}`.
    #[schemars(with = "String")]
    pub name: SStr,
    /// Kubernetes namespace (DNS-1123 label).
    #[schemars(with = "String")]
    pub namespace: SStr,
    /// Container image.
    #[schemars(with = "String")]
    pub image: SStr,
    /// KEDA version in the cluster, `MAJOR.MINOR` (default "2.17").
    #[schemars(with = "Option<String>")]
    pub keda_version: Option<SStr>,
    /// Prometheus URL for the KEDA prometheus triggers.
    #[schemars(with = "Option<String>")]
    pub prometheus_url: Option<SStr>,
    /// Runbook URL; alerts link to `{runbook_url}#{anchor}`.
    #[schemars(with = "String")]
    pub runbook_url: SStr,
    /// Flyway version of the migration (default 226).
    #[schemars(with = "Option<i64>")]
    pub migration_version: Option<Spanned<i64>>,
    /// Labels added to the PodMonitor and the PrometheusRule (e.g. `release` for
    /// kube-prometheus-stack's selectors).
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub monitoring_labels: Option<BTreeMap<String, SStr>>,
    /// How long before an entry's hours its floors open (default "0m", whole minutes,
    /// at most "2h"); applies to every entry where it can.
    #[schemars(with = "Option<String>")]
    pub prescale_lead: Option<SStr>,
    /// HPA scale-up tolerance rendered into every ScaledObject's behavior (Kubernetes
    /// ≥ 1.33 with HPAConfigurableTolerance, on by default from 1.35); unset: the
    /// cluster's 10 %.
    #[schemars(with = "Option<f64>")]
    pub scale_up_tolerance: Option<Spanned<f64>>,
}

/// `[workloads.NAME]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    /// p95 latency target in milliseconds.
    #[schemars(with = "i64")]
    pub p95_ms: Spanned<i64>,
    /// Container port (default 8080).
    #[schemars(with = "Option<i64>")]
    pub port: Option<Spanned<i64>>,
    /// HPA scale-down stabilization window (default "5m", at most "1h").
    #[schemars(with = "Option<String>")]
    pub scale_down_window: Option<SStr>,
    /// Resource requests (default cpu 250m, memory 512Mi).
    #[schemars(with = "Option<RawResources>")]
    pub requests: Option<RawResources>,
    /// Resource limits (default cpu 1, memory 1Gi).
    #[schemars(with = "Option<RawResources>")]
    pub limits: Option<RawResources>,
    /// The request each k6 load test sends to this workload (default `GET /`).
    #[schemars(with = "Option<RawLoadtest>")]
    pub loadtest: Option<RawLoadtest>,
    /// HTTP paths of the startup, readiness and liveness probes (default Quarkus' `/q/health/*`).
    #[schemars(with = "Option<RawProbes>")]
    pub probes: Option<RawProbes>,
    /// Path the PodMonitor scrapes (default `/q/metrics`).
    #[schemars(with = "Option<String>")]
    pub metrics_path: Option<SStr>,
    /// Extra environment variables of the container, name → value.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub env: Option<BTreeMap<String, SStr>>,
    /// Secrets and ConfigMaps whose keys become environment variables, in order.
    #[schemars(with = "Option<Vec<RawEnvSource>>")]
    pub env_from: Option<Vec<RawEnvSource>>,
    /// ServiceAccount the pods run as (default: the namespace's `default`).
    #[schemars(with = "Option<String>")]
    pub service_account: Option<SStr>,
}

/// `[workloads.NAME.loadtest]`: the probe request of the k6 load tests (SPEC §10).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLoadtest {
    /// HTTP method, upper case (default "GET").
    #[schemars(with = "Option<String>")]
    pub method: Option<SStr>,
    /// Path and query below `BASE_URL`, with `{territory}` and `{region}` placeholders (default "/").
    #[schemars(with = "Option<String>")]
    pub path: Option<SStr>,
    /// Request body with the same placeholders (methods that take a body only).
    #[schemars(with = "Option<String>")]
    pub body: Option<SStr>,
}

/// `probes = { startup = "…", readiness = "…", liveness = "…" }`: each optional.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProbes {
    /// Startup probe path (default `/q/health/started`).
    #[schemars(with = "Option<String>")]
    pub startup: Option<SStr>,
    /// Readiness probe path (default `/q/health/ready`).
    #[schemars(with = "Option<String>")]
    pub readiness: Option<SStr>,
    /// Liveness probe path (default `/q/health/live`).
    #[schemars(with = "Option<String>")]
    pub liveness: Option<SStr>,
}

/// One `env_from` entry: `{ secret = "name" }` or `{ config_map = "name" }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEnvSource {
    /// A Secret in the app's namespace.
    #[schemars(with = "Option<String>")]
    pub secret: Option<SStr>,
    /// A ConfigMap in the app's namespace.
    #[schemars(with = "Option<String>")]
    pub config_map: Option<SStr>,
}

/// `{ cpu = "…", memory = "…" }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawResources {
    /// CPU quantity.
    #[schemars(with = "String")]
    pub cpu: SStr,
    /// Memory quantity.
    #[schemars(with = "String")]
    pub memory: SStr,
}

/// `[territories.XX]`: fixed keys plus one table per workload.
///
/// Deserialized by hand: `#[serde(flatten)]` would buffer the workload tables and lose
/// their spans.
#[derive(Debug, JsonSchema)]
pub struct RawTerritory {
    /// Display name (required; checked in validation so its absence is one of many errors).
    #[schemars(with = "String")]
    pub name: Option<SStr>,
    /// IANA timezone (required).
    #[schemars(with = "String")]
    pub timezone: Option<SStr>,
    /// Territory p95 target in milliseconds.
    #[schemars(with = "Option<i64>")]
    pub p95_ms: Option<Spanned<i64>>,
    /// Region traffic shares.
    #[schemars(with = "Option<BTreeMap<String, f64>>")]
    pub regions: Option<BTreeMap<String, Spanned<f64>>>,
    /// One table per workload name (checked against `[workloads]` in validation).
    #[schemars(flatten, with = "BTreeMap<String, RawTerritoryWorkload>")]
    pub workloads: BTreeMap<String, Section<RawTerritoryWorkload>>,
}

impl<'de> Deserialize<'de> for RawTerritory {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(TerritoryVisitor)
    }
}

struct TerritoryVisitor;

impl<'de> serde::de::Visitor<'de> for TerritoryVisitor {
    type Value = RawTerritory;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a territory table")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawTerritory, A::Error> {
        let (mut name, mut timezone, mut p95_ms, mut regions) = (None, None, None, None);
        let mut workloads = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "name" => name = Some(map.next_value()?),
                "timezone" => timezone = Some(map.next_value()?),
                "p95_ms" => p95_ms = Some(map.next_value()?),
                "regions" => regions = Some(map.next_value()?),
                _ => {
                    workloads.insert(key, map.next_value()?);
                }
            }
        }
        Ok(RawTerritory {
            name,
            timezone,
            p95_ms,
            regions,
            workloads,
        })
    }
}

/// `territories.XX.WORKLOAD = { min, max, rps_per_replica, … }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTerritoryWorkload {
    /// Minimum replicas (≥ 1).
    #[schemars(with = "i64")]
    pub min: Spanned<i64>,
    /// Maximum replicas (≥ min, ≤ 1000).
    #[schemars(with = "i64")]
    pub max: Spanned<i64>,
    /// Requests per second one replica serves.
    #[schemars(with = "f64")]
    pub rps_per_replica: Spanned<f64>,
    /// Off-season load for `plan`.
    #[schemars(with = "Option<f64>")]
    pub baseline_rps: Option<Spanned<f64>>,
    /// p95 target of this workload in this territory.
    #[schemars(with = "Option<i64>")]
    pub p95_ms: Option<Spanned<i64>>,
}

/// `[events]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEvents {
    /// NOTIFY channel.
    #[schemars(with = "String")]
    pub channel: SStr,
    /// Event types.
    #[schemars(with = "Vec<String>")]
    pub types: Spanned<Vec<SStr>>,
    /// Critical event types (default none).
    #[schemars(with = "Option<Vec<String>>")]
    pub critical: Option<Spanned<Vec<SStr>>>,
    /// Queue usage from which ordinary events are journaled (default 0.70).
    #[schemars(with = "Option<f64>")]
    pub journal_threshold: Option<Spanned<f64>>,
    /// Queue usage from which critical events are journaled (default 0.95).
    #[schemars(with = "Option<f64>")]
    pub critical_threshold: Option<Spanned<f64>>,
    /// Secret with the replay job's `DATABASE_URL` (default "{app}-journal-replay").
    #[schemars(with = "Option<String>")]
    pub replay_secret: Option<SStr>,
    /// Image of the replay job, with `psql` (default "postgres:15-alpine").
    #[schemars(with = "Option<String>")]
    pub replay_image: Option<SStr>,
    /// How long the retention job keeps published journal rows (default "7d").
    #[schemars(with = "Option<String>")]
    pub journal_retention: Option<SStr>,
    /// Secret with the retention job's `DATABASE_URL` (default "{app}-journal-retention").
    #[schemars(with = "Option<String>")]
    pub retention_secret: Option<SStr>,
}

/// `[alerts]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAlerts {
    /// Emergency p95 in ms (default 500).
    #[schemars(with = "Option<i64>")]
    pub emergency_p95_ms: Option<Spanned<i64>>,
    /// NOTIFY queue warning usage (default 0.70).
    #[schemars(with = "Option<f64>")]
    pub notify_queue_warning: Option<Spanned<f64>>,
    /// NOTIFY queue critical usage (default 0.95).
    #[schemars(with = "Option<f64>")]
    pub notify_queue_critical: Option<Spanned<f64>>,
    /// Oldest pending journal row age in seconds (default 60).
    #[schemars(with = "Option<i64>")]
    pub outbox_lag_seconds: Option<Spanned<i64>>,
    /// Idle ratio of floor capacity (default 0.2).
    #[schemars(with = "Option<f64>")]
    pub prescale_idle_ratio: Option<Spanned<f64>>,
    /// Duration for the idle alert (default "30m").
    #[schemars(with = "Option<String>")]
    pub prescale_idle_for: Option<SStr>,
}

/// `[traffic]`: the traffic model of `simulate` (SPEC §8.1).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTraffic {
    /// Factor of each local hour (0–23) on Monday to Friday: 24 numbers ≥ 0 (default 1.0).
    #[schemars(with = "Option<Vec<f64>>")]
    pub profile_weekday: Option<Spanned<Vec<Spanned<f64>>>>,
    /// Factor of each local hour on Saturday and Sunday: 24 numbers ≥ 0 (default 1.0).
    #[schemars(with = "Option<Vec<f64>>")]
    pub profile_weekend: Option<Spanned<Vec<Spanned<f64>>>>,
    /// Seconds from a replica's creation until it serves traffic, 0–3600 (default 60).
    #[schemars(with = "Option<i64>")]
    pub startup_seconds: Option<Spanned<i64>>,
    /// Multiple of `rps_per_replica` a replica carries within its p95 target, 1–10
    /// (default 1.25).
    #[schemars(with = "Option<f64>")]
    pub saturation: Option<Spanned<f64>>,
    /// Scrape and polling delay of the throughput metric in seconds, a multiple of 15
    /// in 0–600 (default 30).
    #[schemars(with = "Option<i64>")]
    pub metric_delay_seconds: Option<Spanned<i64>>,
}

/// A calendar file: any number of seasons, campaigns and blackouts.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "calendar file")]
pub struct RawCalendarFile {
    /// Recurring windows.
    #[serde(default)]
    #[schemars(with = "Vec<RawEntry>")]
    pub season: Vec<Section<RawEntry>>,
    /// Dated windows.
    #[serde(default)]
    #[schemars(with = "Vec<RawEntry>")]
    pub campaign: Vec<Section<RawEntry>>,
    /// Days on which no window starts.
    #[serde(default)]
    #[schemars(with = "Vec<RawBlackout>")]
    pub blackout: Vec<Section<RawBlackout>>,
}

/// A `[[season]]` or `[[campaign]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEntry {
    /// `^[a-z0-9][a-z0-9-]*$`, unique across files.
    #[schemars(with = "String")]
    pub id: SStr,
    /// Display name (default: the id).
    #[schemars(with = "Option<String>")]
    pub name: Option<SStr>,
    /// `MM-DD` (season) or `YYYY-MM-DD` (campaign), a quoted string.
    #[schemars(with = "String")]
    pub from: Spanned<toml::Value>,
    /// Last day, inclusive.
    #[schemars(with = "String")]
    pub to: Spanned<toml::Value>,
    /// `HH:MM-HH:MM`, local.
    #[schemars(with = "String")]
    pub hours: Spanned<toml::Value>,
    /// Weekday filter such as `mon-fri` or `sat,sun`.
    #[schemars(with = "Option<String>")]
    pub days: Option<SStr>,
    /// `floor.XX = { workload = replicas }`.
    #[schemars(with = "BTreeMap<String, BTreeMap<String, i64>>")]
    pub floor: BTreeMap<String, BTreeMap<String, Spanned<i64>>>,
    /// Load multipliers by territory (`DE`) or region (`DE-BY`).
    #[schemars(with = "Option<BTreeMap<String, f64>>")]
    pub load: Option<BTreeMap<String, Spanned<f64>>>,
    /// How long before `hours` the floors open (whole minutes, at most "2h"); default
    /// `[app] prescale_lead` where it applies.
    #[schemars(with = "Option<String>")]
    pub lead: Option<SStr>,
}

/// A `[[blackout]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBlackout {
    /// Unique id.
    #[schemars(with = "String")]
    pub id: SStr,
    /// Display name.
    #[schemars(with = "Option<String>")]
    pub name: Option<SStr>,
    /// `MM-DD` or `YYYY-MM-DD`.
    #[schemars(with = "String")]
    pub from: Spanned<toml::Value>,
    /// Last day, inclusive.
    #[schemars(with = "String")]
    pub to: Spanned<toml::Value>,
    /// Territory codes (default: all).
    #[schemars(with = "Option<Vec<String>>")]
    pub territories: Option<Spanned<Vec<SStr>>>,
}

/// A path segment inside a TOML document, for locating errors.
#[derive(Debug, Clone)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An element of an array (of tables).
    Index(usize),
}

/// A parsed file: its raw value, or the diagnostics of a file that does not parse at all.
pub struct Parsed<T> {
    /// File name for diagnostics.
    pub file: String,
    /// Span-preserving document, used to locate section errors.
    doc: Option<toml_edit::ImDocument<String>>,
    /// The raw value.
    pub raw: T,
}

/// Longest key or string value (in bytes) the parser accepts: names, ids, URLs and images
/// are far shorter, and every later message quotes values.
pub const MAX_VALUE_BYTES: usize = 1024;
/// Longest value of a `body` key (a load test's request body, `[workloads.W.loadtest]`):
/// request bodies are data, not names, so they get more room; validation caps them at
/// the same size and never quotes or fuzzy-matches them.
pub const MAX_BODY_BYTES: usize = 65_536;

/// Parses a file into `T`; a syntax error (or a top-level structural one) is one diagnostic,
/// overlong keys and strings one each (and the file goes no further).
pub fn parse_file<T: for<'de> Deserialize<'de>>(
    file: &str,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Parsed<T>> {
    let doc = toml_edit::ImDocument::parse(text.to_string()).ok();
    if let Some(doc) = &doc {
        let before = diags.len();
        overlong_item(file, doc.as_item(), diags);
        if diags.len() > before {
            return None;
        }
    }
    match toml::from_str::<T>(text) {
        Ok(raw) => Some(Parsed {
            file: file.to_string(),
            doc,
            raw,
        }),
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            diags.push(serde_diagnostic(file, e.message(), span, text));
            None
        }
    }
}

/// Parses `territories.toml`.
pub fn parse_territories(
    file: &str,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Parsed<RawTerritoriesFile>> {
    parse_file(file, text, diags)
}

impl<T> Parsed<T> {
    /// A location in this file.
    pub fn at(&self, span: Range<usize>) -> Location {
        Location {
            file: self.file.clone(),
            span,
        }
    }

    /// Unwraps a section, or reports its error (located precisely) and returns `None`.
    pub fn section<'a, S>(
        &self,
        section: &'a Section<S>,
        path: &[Seg],
        diags: &mut Vec<Diagnostic>,
    ) -> Option<&'a S> {
        match section {
            Section::Ok(v) => Some(v),
            Section::Invalid { message, keys } => {
                let mut full: Vec<Seg> = path.to_vec();
                full.extend(keys.iter().cloned().map(Seg::Key));
                let span = self
                    .locate(&full, message)
                    .or_else(|| self.span_of(path))
                    .unwrap_or(0..0);
                let text = self
                    .doc
                    .as_ref()
                    .map(|d| d.raw().to_string())
                    .unwrap_or_default();
                diags.push(serde_diagnostic(&self.file, message, span, &text));
                None
            }
        }
    }

    /// The span of the key (or, for array elements, the table) at the end of `path`.
    pub fn span_of(&self, path: &[Seg]) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut node = Node::Item(doc.as_item());
        let mut span = None;
        for seg in path {
            let (next, key_span) = node.step(seg)?;
            node = next;
            span = key_span.or_else(|| next.span());
        }
        span
    }

    /// The span of the last key of `path`, if the document has it.
    pub fn key_span(&self, path: &[Seg]) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut node = Node::Item(doc.as_item());
        let mut span = None;
        for seg in path {
            let (next, key_span) = node.step(seg)?;
            node = next;
            span = key_span;
        }
        span
    }

    /// The key at the end of `path` with its span (empty span if the document lacks it).
    pub fn key(&self, path: &[Seg]) -> SStr {
        let name = match path.last() {
            Some(Seg::Key(k)) => k.clone(),
            _ => String::new(),
        };
        Spanned::new(self.key_span(path).unwrap_or(0..0), name)
    }

    /// The span of the key named in an "unknown field" message, else of the value at `path`.
    fn locate(&self, path: &[Seg], message: &str) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut node = Node::Item(doc.as_item());
        let mut last_key_span = None;
        for seg in path {
            let (next, key_span) = node.step(seg)?;
            node = next;
            last_key_span = key_span.or(last_key_span);
        }
        let first_word = backticked(message).first().copied();
        if let (true, Some(field)) = (message.starts_with("unknown field"), first_word) {
            return node.table_like()?.key(field).and_then(|k| k.span());
        }
        if message.starts_with("missing field") {
            let span = last_key_span.or_else(|| node.span())?;
            return Some(first_line(doc.raw(), span));
        }
        node.span().or(last_key_span)
    }
}

/// A position in a `toml_edit` document: array-of-tables elements are tables, not items.
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a toml_edit::Item),
    Table(&'a toml_edit::Table),
}

impl<'a> Node<'a> {
    fn table_like(self) -> Option<&'a dyn toml_edit::TableLike> {
        match self {
            Node::Item(i) => i.as_table_like(),
            Node::Table(t) => Some(t),
        }
    }

    fn span(self) -> Option<Range<usize>> {
        match self {
            Node::Item(i) => i.span(),
            Node::Table(t) => t.span(),
        }
    }

    fn step(self, seg: &Seg) -> Option<(Node<'a>, Option<Range<usize>>)> {
        match seg {
            Seg::Key(k) => {
                let (key, value) = self.table_like()?.get_key_value(k)?;
                Some((Node::Item(value), key.span()))
            }
            Seg::Index(i) => match self {
                Node::Item(toml_edit::Item::ArrayOfTables(a)) => {
                    // The element's own `[[header]]`, not the first one the key names.
                    let table = a.get(*i)?;
                    Some((Node::Table(table), table.span()))
                }
                _ => None,
            },
        }
    }
}

/// Reports every key and string below `item` longer than [`MAX_VALUE_BYTES`].
fn overlong_item(file: &str, item: &toml_edit::Item, diags: &mut Vec<Diagnostic>) {
    match item {
        toml_edit::Item::Value(v) => overlong_value(file, v, diags),
        toml_edit::Item::Table(t) => overlong_table(file, t, diags),
        toml_edit::Item::ArrayOfTables(a) => {
            for t in a.iter() {
                overlong_table(file, t, diags);
            }
        }
        toml_edit::Item::None => {}
    }
}

fn overlong_table(file: &str, table: &dyn toml_edit::TableLike, diags: &mut Vec<Diagnostic>) {
    for (key, item) in table.iter() {
        if key.len() > MAX_VALUE_BYTES {
            let span = table.key(key).and_then(|k| k.span()).unwrap_or(0..0);
            diags.push(overlong(file, "key", key.len(), span, MAX_VALUE_BYTES));
        }
        match item.as_value() {
            Some(toml_edit::Value::String(s)) if key == "body" => {
                if s.value().len() > MAX_BODY_BYTES {
                    let span = s.span().unwrap_or(0..0);
                    diags.push(overlong(
                        file,
                        "string",
                        s.value().len(),
                        span,
                        MAX_BODY_BYTES,
                    ));
                }
            }
            _ => overlong_item(file, item, diags),
        }
    }
}

fn overlong_value(file: &str, value: &toml_edit::Value, diags: &mut Vec<Diagnostic>) {
    match value {
        toml_edit::Value::String(s) if s.value().len() > MAX_VALUE_BYTES => {
            let span = s.span().unwrap_or(0..0);
            diags.push(overlong(
                file,
                "string",
                s.value().len(),
                span,
                MAX_VALUE_BYTES,
            ));
        }
        toml_edit::Value::Array(a) => {
            for v in a.iter() {
                overlong_value(file, v, diags);
            }
        }
        toml_edit::Value::InlineTable(t) => overlong_table(file, t, diags),
        _ => {}
    }
}

fn overlong(file: &str, what: &str, len: usize, span: Range<usize>, max: usize) -> Diagnostic {
    let at = span.start..span.start + 1;
    Diagnostic::error(
        format!("{what} of {len} bytes is too long (at most {max})"),
        Location {
            file: file.to_string(),
            span: at,
        },
    )
    .with_help("no key or value of a scalegen configuration is that long")
}

/// `span` cut at the end of its first line (a table's span down to its `[header]`).
fn first_line(text: &str, span: Range<usize>) -> Range<usize> {
    let end = text
        .get(span.clone())
        .and_then(|s| s.find('\n'))
        .map_or(span.end, |i| span.start + i);
    span.start..end
}

/// Words between backticks in a serde message (`` unknown field `x`, expected `a`, `b` ``).
fn backticked(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

/// A diagnostic from a serde/TOML error message, with a "did you mean" for unknown keys
/// and a quoting hint for native TOML dates.
fn serde_diagnostic(file: &str, message: &str, span: Range<usize>, text: &str) -> Diagnostic {
    let message = message.trim().trim_end_matches('\n');
    let loc = Location {
        file: file.to_string(),
        span,
    };
    let words = backticked(message);
    if message.starts_with("unknown field") {
        if let Some((field, expected)) = words.split_first() {
            let d = Diagnostic::error(format!("unknown key `{field}`"), loc);
            return match did_you_mean(field, expected.iter().copied(), Closeness::Spelling) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!(
                    "expected one of {}",
                    expected
                        .iter()
                        .map(|e| format!("`{e}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
        }
    }
    if message.starts_with("missing field") {
        if let Some(field) = words.first() {
            return Diagnostic::error(format!("missing required key `{field}`"), loc)
                .with_help(format!("add `{field} = …` to this table"));
        }
    }
    let _ = text;
    Diagnostic::error(message.replace('\n', " "), loc)
}
