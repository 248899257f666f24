//! Raw types of `[workloads.NAME]`: targets, resources, probes, environment and the
//! k6 probe request.

use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

use super::SStr;

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
