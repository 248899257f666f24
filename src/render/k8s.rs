//! Kubernetes manifests (SPEC §3, §4): per territory × workload a Deployment with its
//! Service and PodDisruptionBudget, a KEDA ScaledObject and (with `[pods.network_policy]`)
//! a NetworkPolicy, plus one PodMonitor for the app.
//!
//! Everything the manifests need is computed here, in Rust, into one small context struct per
//! template; the templates only lay it out. The queries come from [`crate::render::promql`]
//! (label values escaped as PromQL strings, thresholds spelled without float noise), and the
//! template's YAML auto-escaping applies on top.

use crate::config::model::{
    EnvSource, Model, NetworkPolicy, PodSettings, Pods, Resources, Territory, TerritoryWorkload,
    Workload,
};
use crate::render::engine::Renderer;
use crate::render::file::{RenderError, RenderedFile};
use crate::render::promql::{self, decimal, seconds_from_ms};
use crate::schedule::DeploymentSchedule;
use serde::Serialize;

/// Renders every Deployment, ScaledObject and the PodMonitor of the model.
pub fn render(r: &Renderer) -> Result<Vec<RenderedFile>, RenderError> {
    let model = r.model;
    let mut files = Vec::new();
    for territory in &model.territories {
        for workload in &model.workloads {
            let name = model.deployment_name(territory, &workload.name);
            let bounds = territory
                .workload(&workload.name)
                .ok_or_else(|| RenderError {
                    template: "keda/scaledobject.yaml.j2".to_string(),
                    file: format!("keda/{name}.yaml"),
                    message: format!(
                        "territory {} has no bounds for workload {}",
                        territory.code, workload.name
                    ),
                })?;
            let target = Target {
                model,
                territory,
                workload,
                bounds,
                name: &name,
            };
            files.push(r.file(
                "deployments/deployment.yaml.j2",
                deployment_context(&target),
                &format!("deployments/{name}.yaml"),
                true,
            )?);
            if let Some(policy) = &model.pods.network_policy {
                files.push(r.file(
                    "network/networkpolicy.yaml.j2",
                    network_policy_context(&target, policy),
                    &format!("network/{name}.yaml"),
                    true,
                )?);
            }
            let schedule = r.schedule.deployment(&territory.code, &workload.name);
            files.push(r.file(
                "keda/scaledobject.yaml.j2",
                scaledobject_context(&target, schedule),
                &format!("keda/{name}.yaml"),
                true,
            )?);
        }
    }
    let podmonitor = PodMonitorContext {
        name: &model.app.name,
        namespace: &model.app.namespace,
        app: &model.app.name,
        monitoring_labels: &model.app.monitoring_labels,
        endpoints: scrape_endpoints(&model.workloads),
    };
    files.push(r.file(
        "monitoring/podmonitor.yaml.j2",
        podmonitor,
        "monitoring/podmonitor.yaml",
        true,
    )?);
    Ok(files)
}

/// One territory × workload and the names derived from it.
struct Target<'a> {
    model: &'a Model,
    territory: &'a Territory,
    workload: &'a Workload,
    bounds: &'a TerritoryWorkload,
    /// `{app}-{workload}-{territory lower}`: Deployment, Service, PDB and ScaledObject name.
    name: &'a str,
}

impl<'a> Target<'a> {
    fn labels(&self) -> Labels<'a> {
        Labels {
            app: &self.model.app.name,
            territory: &self.territory.code,
            workload: &self.workload.name,
        }
    }
}

/// Values of the labels every object of one territory × workload carries
/// (`app.kubernetes.io/name`, `territory`, `workload`; component = workload, managed-by = scalegen).
#[derive(Serialize)]
struct Labels<'a> {
    /// App name.
    app: &'a str,
    /// Upper-case territory code, as in the metrics (`DE`).
    territory: &'a str,
    /// Workload name.
    workload: &'a str,
}

/// CPU and memory quantities of a container.
#[derive(Serialize)]
struct ResourcesContext<'a> {
    /// Kubernetes CPU quantity.
    cpu: &'a str,
    /// Kubernetes memory quantity.
    memory: &'a str,
}

impl<'a> From<&'a Resources> for ResourcesContext<'a> {
    fn from(r: &'a Resources) -> Self {
        ResourcesContext {
            cpu: &r.cpu,
            memory: &r.memory,
        }
    }
}

/// Context of `deployment.yaml.j2`: a Deployment, its Service and its PodDisruptionBudget.
#[derive(Serialize)]
struct DeploymentContext<'a> {
    /// Name of all three objects.
    name: &'a str,
    /// Namespace of all three objects.
    namespace: &'a str,
    /// Label values.
    labels: Labels<'a>,
    /// Container image.
    image: &'a str,
    /// Container and Service port (named `http`).
    port: u16,
    /// Container resource requests.
    requests: ResourcesContext<'a>,
    /// Container resource limits.
    limits: ResourcesContext<'a>,
    /// Probes, extra environment, `envFrom` and ServiceAccount.
    pod: PodContext<'a>,
    /// User and group ids, `/tmp` size and ephemeral storage.
    pods: PodsContext<'a>,
}

/// The workload's [`PodSettings`] as the template lays them out.
#[derive(Serialize)]
struct PodContext<'a> {
    /// Startup probe path.
    startup_path: &'a str,
    /// Readiness probe path.
    readiness_path: &'a str,
    /// Liveness probe path.
    liveness_path: &'a str,
    /// Extra environment variables (name, value), after `TERRITORY` and `WORKLOAD`.
    env: &'a [(String, String)],
    /// `envFrom` entries: (`secretRef` or `configMapRef`, name).
    env_from: Vec<(&'static str, &'a str)>,
    /// `serviceAccountName`, when set.
    service_account: Option<&'a str>,
}

impl<'a> From<&'a PodSettings> for PodContext<'a> {
    fn from(p: &'a PodSettings) -> Self {
        PodContext {
            startup_path: &p.probes.startup,
            readiness_path: &p.probes.readiness,
            liveness_path: &p.probes.liveness,
            env: &p.env,
            env_from: p
                .env_from
                .iter()
                .map(|s| match s {
                    EnvSource::Secret(name) => ("secretRef", name.as_str()),
                    EnvSource::ConfigMap(name) => ("configMapRef", name.as_str()),
                })
                .collect(),
            service_account: p.service_account.as_deref(),
        }
    }
}

/// The `[pods]` numbers a Deployment carries.
#[derive(Serialize)]
struct PodsContext<'a> {
    /// `runAsUser` (pod and container).
    run_as_user: u32,
    /// `runAsGroup` (pod and container).
    run_as_group: u32,
    /// `sizeLimit` of the `/tmp` emptyDir.
    tmp_size: &'a str,
    /// `ephemeral-storage` request.
    ephemeral_storage_request: &'a str,
    /// `ephemeral-storage` limit.
    ephemeral_storage_limit: &'a str,
}

impl<'a> From<&'a Pods> for PodsContext<'a> {
    fn from(p: &'a Pods) -> Self {
        PodsContext {
            run_as_user: p.run_as_user,
            run_as_group: p.run_as_group,
            tmp_size: &p.tmp_size,
            ephemeral_storage_request: &p.ephemeral_storage_request,
            ephemeral_storage_limit: &p.ephemeral_storage_limit,
        }
    }
}

fn deployment_context<'a>(t: &Target<'a>) -> DeploymentContext<'a> {
    DeploymentContext {
        name: t.name,
        namespace: &t.model.app.namespace,
        labels: t.labels(),
        image: &t.model.app.image,
        port: t.workload.port,
        requests: (&t.workload.requests).into(),
        limits: (&t.workload.limits).into(),
        pod: (&t.workload.pod).into(),
        pods: (&t.model.pods).into(),
    }
}

/// Context of `networkpolicy.yaml.j2`: ingress to one deployment's pods.
#[derive(Serialize)]
struct NetworkPolicyContext<'a> {
    /// NetworkPolicy name, equal to the Deployment's.
    name: &'a str,
    /// Namespace.
    namespace: &'a str,
    /// Label values (the pod selector is made from them).
    labels: Labels<'a>,
    /// Namespaces whose pods may reach the service port; empty: any source.
    ingress_namespaces: &'a [String],
    /// Namespace of the scraping Prometheus.
    prometheus_namespace: &'a str,
    /// Pod labels of the scraping Prometheus, as (key, value).
    prometheus_labels: &'a [(String, String)],
}

fn network_policy_context<'a>(
    t: &Target<'a>,
    policy: &'a NetworkPolicy,
) -> NetworkPolicyContext<'a> {
    NetworkPolicyContext {
        name: t.name,
        namespace: &t.model.app.namespace,
        labels: t.labels(),
        ingress_namespaces: &policy.ingress_namespaces,
        prometheus_namespace: &policy.prometheus_namespace,
        prometheus_labels: &policy.prometheus_labels,
    }
}

/// Context of `scaledobject.yaml.j2`: the KEDA ScaledObject of one deployment.
#[derive(Serialize)]
struct ScaledObjectContext<'a> {
    /// ScaledObject name, equal to the Deployment it scales.
    name: &'a str,
    /// Namespace.
    namespace: &'a str,
    /// Label values.
    labels: Labels<'a>,
    /// `minReplicaCount`.
    min: u32,
    /// `maxReplicaCount`.
    max: u32,
    /// HPA `scaleDown.stabilizationWindowSeconds`.
    scale_down_window_seconds: u64,
    /// HPA `scaleUp.tolerance` as a quantity (`[app] scale_up_tolerance`), or none.
    scale_up_tolerance: Option<String>,
    /// `fallback.replicas`: the highest floor the calendar asks for.
    fallback_replicas: u32,
    /// Prometheus base URL of both prometheus triggers.
    prometheus_url: &'a str,
    /// Throughput query (requests per second of the deployment), PromQL-escaped.
    throughput_query: String,
    /// Requests per second one replica handles, as KEDA's string threshold.
    throughput_threshold: String,
    /// p95 latency query in seconds, PromQL-escaped.
    latency_query: String,
    /// p95 target in seconds, as KEDA's string threshold.
    latency_threshold: String,
    /// IANA zone of every cron trigger.
    timezone: &'a str,
    /// The calendar's cron triggers, in schedule order.
    cron: Vec<CronContext<'a>>,
}

/// One KEDA cron trigger.
#[derive(Serialize)]
struct CronContext<'a> {
    /// Trigger name (`season-oktoberfest-1`).
    name: &'a str,
    /// Start cron expression.
    start: &'a str,
    /// End cron expression.
    end: &'a str,
    /// `desiredReplicas`, a string as KEDA's metadata requires.
    desired_replicas: String,
}

fn scaledobject_context<'a>(
    t: &Target<'a>,
    schedule: Option<&'a DeploymentSchedule>,
) -> ScaledObjectContext<'a> {
    let namespace = &t.model.app.namespace;
    let (territory, workload) = (t.territory.code.as_str(), t.workload.name.as_str());
    let cron = schedule
        .map(|s| s.triggers.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|c| CronContext {
            name: &c.name,
            start: &c.start,
            end: &c.end,
            desired_replicas: c.desired_replicas.to_string(),
        })
        .collect();
    ScaledObjectContext {
        name: t.name,
        namespace,
        labels: t.labels(),
        min: t.bounds.min,
        max: t.bounds.max,
        scale_down_window_seconds: t.workload.scale_down_window.seconds,
        scale_up_tolerance: t
            .model
            .app
            .scale_up_tolerance
            .map(|thousandths| (f64::from(thousandths) / 1000.0).to_string()),
        fallback_replicas: schedule.map_or(t.bounds.min, DeploymentSchedule::highest_floor),
        prometheus_url: &t.model.app.prometheus_url,
        throughput_query: promql::request_rate(namespace, territory, workload, promql::RATE_WINDOW),
        throughput_threshold: decimal(t.bounds.rps_per_replica),
        latency_query: promql::latency_guard(namespace, territory, workload),
        latency_threshold: seconds_from_ms(t.bounds.p95_ms),
        timezone: schedule.map_or(&t.territory.timezone_name, |s| &s.timezone),
        cron,
    }
}

/// Context of `podmonitor.yaml.j2`.
#[derive(Serialize)]
struct PodMonitorContext<'a> {
    /// PodMonitor name (the app name).
    name: &'a str,
    /// Namespace of the PodMonitor and of the pods it selects.
    namespace: &'a str,
    /// App name, selecting the app's pods.
    app: &'a str,
    /// `[app] monitoring_labels` (e.g. kube-prometheus-stack's `release`).
    monitoring_labels: &'a [(String, String)],
    /// One scrape endpoint per distinct metrics path.
    endpoints: Vec<ScrapeEndpoint<'a>>,
}

/// A `podMetricsEndpoints` entry.
#[derive(Serialize)]
struct ScrapeEndpoint<'a> {
    /// Metrics path.
    path: &'a str,
    /// When workloads differ in their paths: a regex of the workloads scraped at this path
    /// (kept by their pods' `workload` label); `None` when every workload shares it.
    workloads: Option<String>,
}

/// The scrape endpoints of `workloads`: one per metrics path, in order of first use.
fn scrape_endpoints(workloads: &[Workload]) -> Vec<ScrapeEndpoint<'_>> {
    let mut paths: Vec<&str> = Vec::new();
    for w in workloads {
        if !paths.contains(&w.pod.metrics_path.as_str()) {
            paths.push(&w.pod.metrics_path);
        }
    }
    let shared = paths.len() == 1;
    paths
        .into_iter()
        .map(|path| ScrapeEndpoint {
            path,
            workloads: (!shared).then(|| {
                workloads
                    .iter()
                    .filter(|w| w.pod.metrics_path == path)
                    .map(|w| w.name.as_str())
                    .collect::<Vec<_>>()
                    .join("|")
            }),
        })
        .collect()
}
