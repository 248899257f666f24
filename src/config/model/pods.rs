//! Workloads and how their pods run: `[workloads.*]` (ports, resources, probes,
//! environment, the k6 probe request) and `[pods]` (security numbers, storage,
//! NetworkPolicy).

use super::PromDuration;

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
