//! PromQL text: the one builder of every query scalegen writes — the ScaledObjects'
//! prometheus triggers, the alert expressions, the promtool test series and the
//! dashboard panels. A trigger and the alert or panel watching it are built by the same
//! function, so they cannot drift apart.
//!
//! Label values are Go double-quoted strings ([`promql_string`]); numbers are spelled
//! exactly, without float noise ([`decimal`], [`seconds_from_ms`]), because KEDA reads its
//! thresholds as strings and promtool compares what it is given.
//!
//! Where the metrics come from:
//! - `http_server_requests_seconds_{bucket,count}`: Micrometer in the pods, with the
//!   `namespace`/`territory`/`workload` labels the PodMonitor adds;
//! - `kube_horizontalpodautoscaler_*`: kube-state-metrics, for the HPA KEDA creates
//!   (`keda-hpa-{scaledobject}`);
//! - `keda_scaler_*`: the KEDA operator. Its `namespace` label is left out of every selector
//!   (a ServiceMonitor without `honorLabels` renames it to `exported_namespace`); KEDA sets the
//!   `scaler` label to the trigger name and the `metric` label of a cron trigger to
//!   `s{index}-cron-{timezone}-{start}-{end}`, which is how cron triggers are told apart;
//! - `scaling_notify_*`, `scaling_journal_*`: the postgres_exporter queries
//!   (`render::monitoring::exporter`).

use crate::config::model::KedaVersion;

/// Window of every `rate()` that scaling reads: the ScaledObjects' throughput and latency
/// triggers and the latency alerts (so an alert sees what the trigger sees).
pub const RATE_WINDOW: &str = "2m";
/// Window of the `rate()` in the slower traffic and error expressions (the cost and KEDA
/// error alerts and their dashboard panels).
pub const SLOW_RATE_WINDOW: &str = "5m";

/// Micrometer's request timer, as Prometheus names its histogram series.
pub const HTTP_METRIC: &str = "http_server_requests_seconds";
/// kube-state-metrics: current replicas of an HPA.
pub const HPA_CURRENT_METRIC: &str = "kube_horizontalpodautoscaler_status_current_replicas";
/// kube-state-metrics: `maxReplicas` of an HPA.
pub const HPA_MAX_METRIC: &str = "kube_horizontalpodautoscaler_spec_max_replicas";
/// KEDA operator: current value of each trigger's metric.
pub const KEDA_VALUE_METRIC: &str = "keda_scaler_metrics_value";
/// KEDA operator: whether each trigger is active.
pub const KEDA_ACTIVE_METRIC: &str = "keda_scaler_active";
/// Matches the `metric` label KEDA gives cron triggers (`s2-cron-Europe-Berlin-…`).
pub const KEDA_CRON_METRIC_REGEX: &str = "s[0-9]+-cron-.+";

/// `s` as a PromQL double-quoted string literal (Go syntax): `\`, `"` and line breaks are
/// escaped, other control characters become `\uXXXX`.
pub fn promql_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `metric{k="v",…}` with every value PromQL-escaped, labels in the given order.
pub fn selector(metric: &str, labels: &[(&str, &str)]) -> String {
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}={}", promql_string(v)))
        .collect();
    format!("{metric}{{{}}}", inner.join(","))
}

/// `metric` of one deployment: `metric{namespace="…",territory="…",workload="…"}`.
pub fn deployment_series(metric: &str, namespace: &str, territory: &str, workload: &str) -> String {
    selector(
        metric,
        &[
            ("namespace", namespace),
            ("territory", territory),
            ("workload", workload),
        ],
    )
}

/// Requests per second served by (territory, workload) in `namespace`, over `window`.
pub fn request_rate(namespace: &str, territory: &str, workload: &str, window: &str) -> String {
    let count = format!("{HTTP_METRIC}_count");
    format!(
        "sum(rate({}[{window}]))",
        deployment_series(&count, namespace, territory, workload)
    )
}

/// p95 request latency in seconds of (territory, workload) in `namespace`, from the
/// Micrometer histogram. NaN when there was no request in the window.
pub fn p95(namespace: &str, territory: &str, workload: &str) -> String {
    let bucket = format!("{HTTP_METRIC}_bucket");
    format!(
        "histogram_quantile(0.95, sum by (le) (rate({}[{RATE_WINDOW}])))",
        deployment_series(&bucket, namespace, territory, workload)
    )
}

/// [`p95`] for the KEDA latency trigger: NaN (no traffic) becomes 0, because KEDA passes
/// NaN on to the HPA as a meaningless metric value instead of treating it as missing.
pub fn latency_guard(namespace: &str, territory: &str, workload: &str) -> String {
    format!(
        "({} >= 0) or vector(0)",
        p95(namespace, territory, workload)
    )
}

/// Name of the HPA KEDA creates for ScaledObject `scaled_object`.
pub fn keda_hpa_name(scaled_object: &str) -> String {
    format!("keda-hpa-{scaled_object}")
}

/// `metric` (a kube-state-metrics HPA series) of HPA `hpa` in `namespace`.
pub fn hpa_series(metric: &str, namespace: &str, hpa: &str) -> String {
    selector(
        metric,
        &[("namespace", namespace), ("horizontalpodautoscaler", hpa)],
    )
}

/// `metric` of the cron triggers of ScaledObject `scaled_object` (KEDA operator series).
pub fn keda_cron_series(metric: &str, scaled_object: &str) -> String {
    format!(
        "{metric}{{scaledObject={},metric=~{}}}",
        promql_string(scaled_object),
        promql_string(KEDA_CRON_METRIC_REGEX)
    )
}

/// The highest floor an active cron trigger of `scaled_object` asks for (empty when none
/// is active).
pub fn active_cron_floor(scaled_object: &str) -> String {
    format!(
        "max({} and on(scaledObject, metric) ({} == 1))",
        keda_cron_series(KEDA_VALUE_METRIC, scaled_object),
        keda_cron_series(KEDA_ACTIVE_METRIC, scaled_object)
    )
}

/// KEDA's scaler error counter: `keda_scaler_detail_errors_total` from 2.14 on,
/// `keda_scaler_errors` before.
pub fn keda_errors_metric(keda: KedaVersion) -> &'static str {
    if keda
        >= (KedaVersion {
            major: 2,
            minor: 14,
        })
    {
        "keda_scaler_detail_errors_total"
    } else {
        "keda_scaler_errors"
    }
}

/// The shortest decimal spelling of `x` that reads back as `x`, never in exponent form
/// (`80.0` → `80`, `0.3` → `0.3`): how KEDA string thresholds and PromQL numbers are written.
pub fn decimal(x: f64) -> String {
    format!("{x}")
}

/// Milliseconds as exact decimal seconds (`300` → `0.3`, `1500` → `1.5`).
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
    fn promql_string_escapes_quotes_backslashes_and_breaks() {
        assert_eq!(promql_string("freshplan"), r#""freshplan""#);
        assert_eq!(promql_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(promql_string("a\nb\u{1}"), r#""a\nb\u0001""#);
        assert_eq!(promql_string("x\ny\u{7}"), r#""x\ny\u0007""#);
        assert_eq!(
            selector("m", &[("a", "1"), ("le", "+Inf")]),
            r#"m{a="1",le="+Inf"}"#
        );
    }

    #[test]
    fn numbers_have_no_float_noise() {
        assert_eq!(decimal(80.0), "80");
        assert_eq!(decimal(12.5), "12.5");
        assert_eq!(decimal(0.1), "0.1");
        assert_eq!(decimal(1e21), "1000000000000000000000");
        assert_eq!(seconds_from_ms(300), "0.3");
        assert_eq!(seconds_from_ms(350), "0.35");
        assert_eq!(seconds_from_ms(1), "0.001");
        assert_eq!(seconds_from_ms(1000), "1");
        assert_eq!(seconds_from_ms(1250), "1.25");
        assert_eq!(seconds_from_ms(2000), "2");
        assert_eq!(seconds_from_ms(2500), "2.5");
    }

    #[test]
    fn queries_select_one_deployment() {
        assert_eq!(
            request_rate("freshplan", "DE", "queries", RATE_WINDOW),
            r#"sum(rate(http_server_requests_seconds_count{namespace="freshplan",territory="DE",workload="queries"}[2m]))"#
        );
        assert_eq!(
            latency_guard("ns", "AT", "commands"),
            r#"(histogram_quantile(0.95, sum by (le) (rate(http_server_requests_seconds_bucket{namespace="ns",territory="AT",workload="commands"}[2m]))) >= 0) or vector(0)"#
        );
    }
}
