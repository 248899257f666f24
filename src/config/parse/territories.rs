//! Raw types of `territories.toml`: the file, `[app]`, `[environments.*]`, `[pods]`,
//! `[territories.*]` (deserialized by hand to keep the workload tables' spans),
//! `[events]`, `[alerts]` and `[traffic]`. `[workloads.*]` is in `workloads`.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use toml::Spanned;

use super::{RawWorkload, SStr, Section};

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
