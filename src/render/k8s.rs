//! Kubernetes manifests (SPEC §3, §4): per territory × workload a Deployment with its
//! Service and PodDisruptionBudget and a KEDA ScaledObject, plus one PodMonitor for the app.
//!
//! Everything the manifests need is computed here, in Rust, into one small context struct per
//! template; the templates only lay it out. Two kinds of text need care on the way:
//! PromQL label values are escaped as PromQL strings by [`promql_string`] before the query is
//! handed to the template, whose YAML auto-escaping then applies on top; and numbers that KEDA
//! reads as strings (thresholds) are spelled exactly, without float noise (`80`, `0.3`).

use crate::config::model::{Model, Resources, Territory, TerritoryWorkload, Workload};
use crate::render::engine::Renderer;
use crate::render::file::{RenderError, RenderedFile};
use crate::schedule::DeploymentSchedule;
use serde::Serialize;

/// Window of the `rate()` in every scaling query.
const RATE_WINDOW: &str = "2m";

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
                    template: "scaledobject.yaml.j2".to_string(),
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
                "deployment.yaml.j2",
                deployment_context(&target),
                &format!("deployments/{name}.yaml"),
                true,
            )?);
            let schedule = r.schedule.deployment(&territory.code, &workload.name);
            files.push(r.file(
                "scaledobject.yaml.j2",
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
    };
    files.push(r.file(
        "podmonitor.yaml.j2",
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
        fallback_replicas: schedule.map_or(t.bounds.min, DeploymentSchedule::highest_floor),
        prometheus_url: &t.model.app.prometheus_url,
        throughput_query: throughput_query(namespace, territory, workload),
        throughput_threshold: decimal(t.bounds.rps_per_replica),
        latency_query: latency_guard_query(namespace, territory, workload),
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
}

pub use crate::render::promql::promql_string;

/// Label matchers selecting one deployment's series: `{namespace="…",territory="…",workload="…"}`.
pub fn series_selector(namespace: &str, territory: &str, workload: &str) -> String {
    format!(
        "{{namespace={},territory={},workload={}}}",
        promql_string(namespace),
        promql_string(territory),
        promql_string(workload)
    )
}

/// Requests per second served by (territory, workload) in `namespace`.
pub fn throughput_query(namespace: &str, territory: &str, workload: &str) -> String {
    format!(
        "sum(rate(http_server_requests_seconds_count{}[{RATE_WINDOW}]))",
        series_selector(namespace, territory, workload)
    )
}

/// p95 request latency in seconds of (territory, workload) in `namespace`, from the histogram
/// buckets. NaN when there was no request in the window.
pub fn p95_query(namespace: &str, territory: &str, workload: &str) -> String {
    format!(
        "histogram_quantile(0.95, sum by (le) (rate(http_server_requests_seconds_bucket{}[{RATE_WINDOW}])))",
        series_selector(namespace, territory, workload)
    )
}

/// [`p95_query`] for the KEDA latency trigger: NaN (no traffic) becomes 0, because KEDA
/// passes NaN on to the HPA as a meaningless metric value instead of treating it as missing.
pub fn latency_guard_query(namespace: &str, territory: &str, workload: &str) -> String {
    format!(
        "({} >= 0) or vector(0)",
        p95_query(namespace, territory, workload)
    )
}

/// The shortest decimal spelling of `x` that reads back as `x`, never in exponent form
/// (`80.0` → `80`, `0.3` → `0.3`): how KEDA string thresholds are written.
pub fn decimal(x: f64) -> String {
    format!("{x}")
}

/// Milliseconds as a decimal number of seconds without float rounding (`300` → `0.3`).
pub fn seconds_from_ms(ms: u32) -> String {
    let (whole, frac) = (ms / 1000, ms % 1000);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:03}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_have_no_float_noise() {
        assert_eq!(decimal(80.0), "80");
        assert_eq!(decimal(12.5), "12.5");
        assert_eq!(decimal(0.1), "0.1");
        assert_eq!(decimal(1e21), "1000000000000000000000");
        assert_eq!(seconds_from_ms(300), "0.3");
        assert_eq!(seconds_from_ms(350), "0.35");
        assert_eq!(seconds_from_ms(1), "0.001");
        assert_eq!(seconds_from_ms(1000), "1");
        assert_eq!(seconds_from_ms(2500), "2.5");
    }

    #[test]
    fn queries_select_one_deployment() {
        assert_eq!(
            throughput_query("freshplan", "DE", "queries"),
            r#"sum(rate(http_server_requests_seconds_count{namespace="freshplan",territory="DE",workload="queries"}[2m]))"#
        );
        assert_eq!(
            latency_guard_query("ns", "AT", "commands"),
            r#"(histogram_quantile(0.95, sum by (le) (rate(http_server_requests_seconds_bucket{namespace="ns",territory="AT",workload="commands"}[2m]))) >= 0) or vector(0)"#
        );
    }
}
