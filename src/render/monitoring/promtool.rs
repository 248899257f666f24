//! The promtool unit tests: for every alert name, test groups whose series sit just past
//! each rule's threshold (the alert must fire) and just short of it (it must not).
//!
//! Each group holds the series of every rule of one alert name at once, so the number of
//! groups does not grow with the number of deployments. Thresholds are probed with a small
//! margin: gauges exactly at the threshold (silent, the comparison is strict) and a little
//! above it; p95 within 1 ms under and over it; traffic 1 % under and over the idle limit.
//! `ScalingCalendarEntryExpired` compares `time()` with a date decades after promtool's
//! epoch-0 start, and promtool evaluates every rule at every step up to the latest
//! `eval_time`, so its firing case evaluates the rule's own expression at the expiry instant
//! with the `@` modifier instead of an `alert_rule_test` decades long.

use crate::render::monitoring::catalog::{AlertSpec, Group, Probe, Rule, ALERTS};
use crate::render::promql::{
    decimal, deployment_series, hpa_series, seconds_from_ms, selector, HPA_CURRENT_METRIC,
    HPA_MAX_METRIC, HTTP_METRIC, KEDA_ACTIVE_METRIC, KEDA_VALUE_METRIC,
};
use serde::Serialize;

/// Sample spacing of the input series and evaluation interval of the rules.
const STEP: &str = "1m";

/// Context of `prometheusrule-scaling.test.yaml.j2`.
#[derive(Serialize)]
pub struct TestFile {
    /// Rule files, relative to the test file.
    rule_files: Vec<String>,
    /// promtool `evaluation_interval`.
    evaluation_interval: &'static str,
    /// Test groups.
    groups: Vec<TestGroup>,
}

/// One promtool test group.
#[derive(Serialize)]
struct TestGroup {
    name: String,
    interval: &'static str,
    series: Vec<Series>,
    alert_tests: Vec<AlertTest>,
    promql_tests: Vec<PromqlTest>,
}

/// An input series in promtool's expanding notation.
#[derive(Serialize)]
struct Series {
    series: String,
    values: String,
}

#[derive(Serialize)]
struct AlertTest {
    eval_time: String,
    alertname: &'static str,
    exp_alerts: Vec<ExpAlert>,
}

#[derive(Serialize)]
struct ExpAlert {
    labels: Vec<(String, String)>,
    annotations: Vec<(String, String)>,
}

#[derive(Serialize)]
struct PromqlTest {
    expr: String,
    eval_time: String,
    exp_samples: Vec<ExpSample>,
}

#[derive(Serialize)]
struct ExpSample {
    labels: String,
    value: i64,
}

/// The test file for `groups`; `rule_file` is the rule manifest's output path.
pub fn test_file(groups: &[Group], rule_file: &str) -> TestFile {
    let rule_file = rule_file.rsplit('/').next().unwrap_or(rule_file);
    let mut out = Vec::new();
    for spec in ALERTS {
        let rules: Vec<&Rule> = groups
            .iter()
            .flat_map(|g| &g.rules)
            .filter(|r| r.spec.name == spec.name)
            .collect();
        if !rules.is_empty() {
            out.extend(groups_for(spec, &rules));
        }
    }
    TestFile {
        rule_files: vec![rule_file.to_string()],
        evaluation_interval: STEP,
        groups: out,
    }
}

impl TestFile {
    /// The same tests over rule files split in several (names relative to the test file).
    pub fn with_rule_files(mut self, files: Vec<String>) -> Self {
        self.rule_files = files;
        self
    }
}

/// Whether a test group expects every rule to fire or none.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Fires,
    Silent,
}

fn groups_for(spec: &AlertSpec, rules: &[&Rule]) -> Vec<TestGroup> {
    let hold = rules.iter().filter_map(|r| r.hold).max();
    // Conditions hold from the second sample on; give `for:` five more minutes.
    let eval_minutes = (hold.map_or(0, |d| d.seconds.div_ceil(60)) + 5).max(10);
    let samples = eval_minutes + 5;
    let ctx = Ctx {
        spec,
        rules,
        eval_minutes,
    };
    match &rules[0].probe {
        Probe::Latency { .. } => vec![
            ctx.group("p95 just under every threshold", Outcome::Silent, |r| {
                latency_series(r, false, samples)
            }),
            ctx.group("p95 just over every threshold", Outcome::Fires, |r| {
                latency_series(r, true, samples)
            }),
        ],
        Probe::Capacity { .. } => vec![
            ctx.group("at max replicas and over target", Outcome::Fires, |r| {
                capacity_series(r, true, true, samples)
            }),
            ctx.group("at max replicas but under target", Outcome::Silent, |r| {
                capacity_series(r, true, false, samples)
            }),
            ctx.group("over target one replica below max", Outcome::Silent, |r| {
                capacity_series(r, false, true, samples)
            }),
        ],
        Probe::Gauge { .. } => vec![
            ctx.group("exactly at the threshold", Outcome::Silent, |r| {
                gauge_series(r, false, samples)
            }),
            ctx.group("just over the threshold", Outcome::Fires, |r| {
                gauge_series(r, true, samples)
            }),
        ],
        Probe::PrescaleIdle { .. } => vec![
            ctx.group(
                "floor active, traffic 1 % under the idle limit",
                Outcome::Fires,
                |r| prescale_series(r, Some(0.99), samples),
            ),
            ctx.group(
                "floor active, traffic 1 % over the idle limit",
                Outcome::Silent,
                |r| prescale_series(r, Some(1.01), samples),
            ),
            ctx.group(
                "no seasonal floor active, no traffic",
                Outcome::Silent,
                |r| prescale_series(r, None, samples),
            ),
        ],
        Probe::ScalerErrors { .. } => vec![
            ctx.group("errors keep increasing", Outcome::Fires, |r| {
                scaler_error_series(r, true, samples)
            }),
            ctx.group("error counter flat", Outcome::Silent, |r| {
                scaler_error_series(r, false, samples)
            }),
        ],
        Probe::Expiry { .. } => vec![expiry_group(spec, rules)],
    }
}

struct Ctx<'a> {
    spec: &'a AlertSpec,
    rules: &'a [&'a Rule],
    eval_minutes: u64,
}

impl Ctx<'_> {
    fn group(
        &self,
        case: &str,
        outcome: Outcome,
        series: impl Fn(&Rule) -> Vec<Series>,
    ) -> TestGroup {
        let exp_alerts = match outcome {
            Outcome::Silent => Vec::new(),
            Outcome::Fires => self.rules.iter().map(|r| expected(r)).collect(),
        };
        TestGroup {
            name: format!("{}: {case}", self.spec.name),
            interval: STEP,
            series: self.rules.iter().flat_map(|r| series(r)).collect(),
            alert_tests: vec![AlertTest {
                eval_time: format!("{}m", self.eval_minutes),
                alertname: self.spec.name,
                exp_alerts,
            }],
            promql_tests: Vec::new(),
        }
    }
}

/// The alert `rule` raises with the test series: its labels plus the labels its
/// expression keeps, and its annotations as Prometheus expands them.
fn expected(rule: &Rule) -> ExpAlert {
    let mut labels = rule.labels.clone();
    if let Probe::ScalerErrors { scaler, .. } = &rule.probe {
        labels.push(("scaler".into(), scaler.clone()));
    }
    let annotations = vec![
        ("description".into(), rule.description.expand(&labels)),
        ("runbook_url".into(), rule.runbook_url.clone()),
        ("summary".into(), rule.summary.expand(&labels)),
    ];
    labels.sort();
    ExpAlert {
        labels,
        annotations,
    }
}

/// A counter series growing by `per_minute` each sample.
fn counter(series: String, per_minute: f64, samples: u64) -> Series {
    Series {
        series,
        values: format!("0+{}x{samples}", decimal(significant(per_minute))),
    }
}

/// A constant series.
fn constant(series: String, value: f64, samples: u64) -> Series {
    Series {
        series,
        values: format!("{}+0x{samples}", decimal(value)),
    }
}

/// Histogram of one deployment with 10 requests/s, all in the 1 ms wide bucket just
/// under `threshold` (p95 = threshold − 0.05 ms) or just over it (p95 = threshold + 0.95 ms).
fn histogram(
    ns: &str,
    territory: &str,
    workload: &str,
    threshold_ms: u32,
    over: bool,
    samples: u64,
) -> Vec<Series> {
    let bucket = |le: &str| {
        selector(
            &format!("{HTTP_METRIC}_bucket"),
            &[
                ("namespace", ns),
                ("territory", territory),
                ("workload", workload),
                ("le", le),
            ],
        )
    };
    let (empty_le, full_le) = if over {
        (threshold_ms, threshold_ms.saturating_add(1))
    } else {
        (threshold_ms.saturating_sub(1), threshold_ms)
    };
    vec![
        counter(bucket(&seconds_from_ms(empty_le)), 0.0, samples),
        counter(bucket(&seconds_from_ms(full_le)), 600.0, samples),
        counter(bucket("+Inf"), 600.0, samples),
    ]
}

fn namespace(rule: &Rule) -> &str {
    rule.labels
        .iter()
        .find(|(k, _)| k == "namespace")
        .map_or("", |(_, v)| v.as_str())
}

fn latency_series(rule: &Rule, over: bool, samples: u64) -> Vec<Series> {
    let Probe::Latency {
        territory,
        workload,
        threshold_ms,
    } = &rule.probe
    else {
        return Vec::new();
    };
    histogram(
        namespace(rule),
        territory,
        workload,
        *threshold_ms,
        over,
        samples,
    )
}

fn capacity_series(rule: &Rule, at_max: bool, over: bool, samples: u64) -> Vec<Series> {
    let Probe::Capacity {
        territory,
        workload,
        hpa,
        max,
        target_ms,
    } = &rule.probe
    else {
        return Vec::new();
    };
    let ns = namespace(rule);
    let current = if at_max { *max } else { max - 1 };
    let mut series = histogram(ns, territory, workload, *target_ms, over, samples);
    series.push(constant(
        hpa_series(HPA_CURRENT_METRIC, ns, hpa),
        f64::from(current),
        samples,
    ));
    series.push(constant(
        hpa_series(HPA_MAX_METRIC, ns, hpa),
        f64::from(*max),
        samples,
    ));
    series
}

fn gauge_series(rule: &Rule, over: bool, samples: u64) -> Vec<Series> {
    let Probe::Gauge {
        metric,
        labels,
        threshold,
        above,
    } = &rule.probe
    else {
        return Vec::new();
    };
    let labels: Vec<(&str, &str)> = labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let value = if over { *above } else { *threshold };
    vec![constant(selector(metric, &labels), value, samples)]
}

/// Traffic at `traffic_factor` × the idle limit under an active cron floor, or no
/// traffic and an inactive cron trigger (`None`).
fn prescale_series(rule: &Rule, traffic_factor: Option<f64>, samples: u64) -> Vec<Series> {
    let Probe::PrescaleIdle {
        territory,
        workload,
        scaled_object,
        floor,
        idle_below_rps,
    } = &rule.probe
    else {
        return Vec::new();
    };
    let keda_labels = [
        ("scaledObject", scaled_object.as_str()),
        ("scaler", "season-test-1"),
        ("metric", "s2-cron-Europe-Berlin-0008xx1-9-0020xx1-9"),
        ("triggerIndex", "2"),
        ("type", "scaledobject"),
    ];
    let (active, value) = match traffic_factor {
        Some(_) => (1.0, f64::from(*floor)),
        None => (0.0, 1.0),
    };
    let mut series = vec![
        constant(selector(KEDA_ACTIVE_METRIC, &keda_labels), active, samples),
        constant(selector(KEDA_VALUE_METRIC, &keda_labels), value, samples),
    ];
    if let Some(factor) = traffic_factor {
        let ns = namespace(rule);
        series.push(counter(
            deployment_series(&format!("{HTTP_METRIC}_count"), ns, territory, workload),
            idle_below_rps * factor * 60.0,
            samples,
        ));
    }
    series
}

fn scaler_error_series(rule: &Rule, increasing: bool, samples: u64) -> Vec<Series> {
    let Probe::ScalerErrors {
        metric: errors_metric,
        scaled_object,
        scaler,
    } = &rule.probe
    else {
        return Vec::new();
    };
    let labels = [
        ("scaledObject", scaled_object.as_str()),
        ("scaler", scaler.as_str()),
        ("metric", "s0-prometheus"),
        ("triggerIndex", "0"),
        ("type", "scaledobject"),
    ];
    let series = selector(errors_metric, &labels);
    if increasing {
        vec![counter(series, 1.0, samples)]
    } else {
        vec![constant(series, 3.0, samples)]
    }
}

/// `time()` cannot reach a real date inside promtool in reasonable time (see the module
/// docs): the rule is checked silent at minute 1, and its expression is evaluated with
/// `@` exactly at the expiry instant (nothing) and one second later (a sample).
fn expiry_group(spec: &AlertSpec, rules: &[&Rule]) -> TestGroup {
    let mut promql_tests = Vec::new();
    for rule in rules {
        let Probe::Expiry { unix } = rule.probe else {
            continue;
        };
        let at = |t: i64| format!("last_over_time(({})[1s:1s] @ {t})", rule.expr);
        promql_tests.push(PromqlTest {
            expr: at(unix),
            eval_time: STEP.to_string(),
            exp_samples: Vec::new(),
        });
        promql_tests.push(PromqlTest {
            expr: at(unix + 1),
            eval_time: STEP.to_string(),
            exp_samples: vec![ExpSample {
                labels: "{}".to_string(),
                value: unix + 1,
            }],
        });
    }
    let still_valid = rules
        .iter()
        .all(|r| matches!(r.probe, Probe::Expiry { unix } if unix > 60));
    let alert_tests = if still_valid {
        vec![AlertTest {
            eval_time: STEP.to_string(),
            alertname: spec.name,
            exp_alerts: Vec::new(),
        }]
    } else {
        Vec::new()
    };
    TestGroup {
        name: format!("{}: silent before, due after the last day", spec.name),
        interval: STEP,
        series: Vec::new(),
        alert_tests,
        promql_tests,
    }
}

/// `x` rounded to 12 significant digits: drops float noise at any magnitude.
fn significant(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_rates_are_written_without_float_noise() {
        assert_eq!(
            decimal(significant(0.2 * 2.0 * 80.0 * 0.99 * 60.0)),
            "1900.8"
        );
        assert_eq!(decimal(significant(1e-12 * 0.99)), "0.00000000000099");
    }
}
