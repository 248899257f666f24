//! What `simulate` reads from the *rendered* ScaledObject of a deployment: bounds, the
//! throughput threshold, the HPA behavior and the cron triggers.
//!
//! Reading the rendered text instead of the values behind it keeps `simulate` honest:
//! when a template changes the behavior (another scale-up policy, a longer window), the
//! rehearsal follows what KEDA would get. Fields the rendered object leaves out take
//! Kubernetes' defaults (scale-up: no stabilization, selectPolicy Max, 100 % or 4 pods per
//! 15 s; scale-down: 300 s, unlimited). YAML is parsed here only, behind [`parse`].

use serde_yaml::Value;

use super::controller::{Behavior, Policy, Select};
use crate::config::model::EntryKind;
use crate::schedule::{CronTrigger, DeploymentSchedule};

/// The parts of a rendered ScaledObject the controller model uses.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedScaling {
    /// `metadata.name`.
    pub name: String,
    /// `spec.minReplicaCount`.
    pub min: u32,
    /// `spec.maxReplicaCount`.
    pub max: u32,
    /// Threshold of the `throughput` trigger (requests per second per replica).
    pub threshold: f64,
    /// `spec.advanced.horizontalPodAutoscalerConfig.behavior`.
    pub behavior: Behavior,
    /// Every cron trigger: (name, timezone, start, end, desiredReplicas).
    pub cron: Vec<RenderedCron>,
}

/// One rendered cron trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedCron {
    /// Trigger name.
    pub name: String,
    /// `metadata.timezone`.
    pub timezone: String,
    /// `metadata.start`.
    pub start: String,
    /// `metadata.end`.
    pub end: String,
    /// `metadata.desiredReplicas`.
    pub desired: u32,
}

fn get<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

fn uint(v: &Value, path: &[&str], what: &str) -> Result<Option<u32>, String> {
    match get(v, path) {
        None => Ok(None),
        Some(x) => x
            .as_u64()
            .or_else(|| x.as_str().and_then(|s| s.trim().parse().ok()))
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("{what} is not a non-negative integer")),
    }
}

fn text<'v>(v: &'v Value, key: &str, what: &str) -> Result<&'v str, String> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{what} has no `{key}`"))
}

/// Parses one rendered ScaledObject (the header comment and all).
pub fn parse(yaml: &str) -> Result<RenderedScaling, String> {
    let doc: Value =
        serde_yaml::from_str(yaml).map_err(|e| format!("rendered ScaledObject: {e}"))?;
    let name = get(&doc, &["metadata", "name"])
        .and_then(Value::as_str)
        .ok_or("rendered ScaledObject has no metadata.name")?
        .to_string();
    let spec = doc.get("spec").ok_or("rendered ScaledObject has no spec")?;
    let min = uint(spec, &["minReplicaCount"], "minReplicaCount")?.unwrap_or(0);
    let max = uint(spec, &["maxReplicaCount"], "maxReplicaCount")?.unwrap_or(100);
    let behavior = behavior(get(
        spec,
        &["advanced", "horizontalPodAutoscalerConfig", "behavior"],
    ))
    .map_err(|e| format!("{name}: {e}"))?;
    let mut threshold = None;
    let mut cron = Vec::new();
    let triggers = spec
        .get("triggers")
        .and_then(Value::as_sequence)
        .map_or(&[][..], Vec::as_slice);
    for t in triggers {
        let kind = t.get("type").and_then(Value::as_str).unwrap_or("");
        let tname = t.get("name").and_then(Value::as_str).unwrap_or("");
        let meta = t.get("metadata").unwrap_or(&Value::Null);
        if kind == "prometheus" && tname == "throughput" {
            let th = text(meta, "threshold", "the throughput trigger")?;
            threshold = Some(
                th.trim()
                    .parse::<f64>()
                    .map_err(|_| format!("{name}: throughput threshold `{th}` is not a number"))?,
            );
        } else if kind == "cron" {
            let what = format!("{name}: cron trigger `{tname}`");
            cron.push(RenderedCron {
                name: tname.to_string(),
                timezone: text(meta, "timezone", &what)?.to_string(),
                start: text(meta, "start", &what)?.to_string(),
                end: text(meta, "end", &what)?.to_string(),
                desired: uint(meta, &["desiredReplicas"], &what)?
                    .ok_or_else(|| format!("{what} has no desiredReplicas"))?,
            });
        }
    }
    Ok(RenderedScaling {
        threshold: threshold.ok_or_else(|| format!("{name} has no throughput trigger"))?,
        name,
        min,
        max,
        behavior,
        cron,
    })
}

fn behavior(b: Option<&Value>) -> Result<Behavior, String> {
    let null = Value::Null;
    let b = b.unwrap_or(&null);
    let up = b.get("scaleUp").unwrap_or(&null);
    let down = b.get("scaleDown").unwrap_or(&null);
    let up_select = match up.get("selectPolicy").and_then(Value::as_str) {
        None | Some("Max") => Select::Max,
        Some("Min") => Select::Min,
        Some("Disabled") => Select::Disabled,
        Some(other) => return Err(format!("unknown scaleUp.selectPolicy `{other}`")),
    };
    let k8s = Behavior::default();
    let up_policies = match up.get("policies").and_then(Value::as_sequence) {
        None => k8s.up_policies,
        Some(ps) => ps.iter().map(policy).collect::<Result<_, _>>()?,
    };
    check_unlimited_scale_down(down)?;
    Ok(Behavior {
        up_window_seconds: uint(up, &["stabilizationWindowSeconds"], "scaleUp window")?
            .unwrap_or(k8s.up_window_seconds),
        up_select,
        up_policies,
        down_window_seconds: uint(down, &["stabilizationWindowSeconds"], "scaleDown window")?
            .unwrap_or(k8s.down_window_seconds),
        up_tolerance: tolerance(up, "scaleUp")?,
        down_tolerance: tolerance(down, "scaleDown")?,
    })
}

/// `tolerance` (a Kubernetes quantity such as `0.05` or `50m`) in per mille, if set.
fn tolerance(rules: &Value, what: &str) -> Result<Option<u64>, String> {
    let Some(v) = rules.get("tolerance") else {
        return Ok(None);
    };
    let text = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let permille = match text.strip_suffix('m') {
        Some(milli) => milli.parse::<f64>().ok(),
        None => text.parse::<f64>().ok().map(|x| x * 1000.0),
    };
    match permille {
        Some(p) if p.is_finite() && p >= 0.0 && p.fract() == 0.0 => Ok(Some(p as u64)),
        _ => Err(format!(
            "{what}.tolerance `{text}` is not a quantity in whole thousandths"
        )),
    }
}

fn policy(p: &Value) -> Result<Policy, String> {
    let value = uint(p, &["value"], "policy value")?.ok_or("a policy has no value")?;
    match p.get("type").and_then(Value::as_str) {
        Some("Pods") => Ok(Policy::Pods(value)),
        Some("Percent") => Ok(Policy::Percent(value)),
        other => Err(format!("unknown scaling policy type {other:?}")),
    }
}

/// SPEC §8.2 models scale-down as Kubernetes' default (100 % per step: unlimited); a
/// rendered object that limits it would be simulated wrongly, so it is an error.
fn check_unlimited_scale_down(down: &Value) -> Result<(), String> {
    let select = down.get("selectPolicy").and_then(Value::as_str);
    let policies = down.get("policies").and_then(Value::as_sequence);
    let unlimited = select.is_none_or(|s| s == "Max")
        && policies.is_none_or(|ps| {
            ps.iter()
                .any(|p| matches!(policy(p), Ok(Policy::Percent(v)) if v >= 100))
        });
    if unlimited {
        Ok(())
    } else {
        Err("the rendered scaleDown limits scale-down, which simulate does not model".into())
    }
}

impl RenderedScaling {
    /// The rendered cron triggers as a schedule for the KEDA model, with the entry of each
    /// trigger looked up by name in the compiled schedule `compiled`.
    pub fn cron_schedule(&self, compiled: &DeploymentSchedule) -> DeploymentSchedule {
        let triggers = self
            .cron
            .iter()
            .map(|c| {
                let origin = compiled.triggers.iter().find(|t| t.name == c.name);
                CronTrigger {
                    name: c.name.clone(),
                    start: c.start.clone(),
                    end: c.end.clone(),
                    desired_replicas: c.desired,
                    entry_kind: origin.map_or(EntryKind::Season, |t| t.entry_kind),
                    entry_id: origin.map_or_else(String::new, |t| t.entry_id.clone()),
                }
            })
            .collect();
        DeploymentSchedule {
            territory: compiled.territory.clone(),
            workload: compiled.workload.clone(),
            name: self.name.clone(),
            timezone: self
                .cron
                .first()
                .map_or_else(|| compiled.timezone.clone(), |c| c.timezone.clone()),
            min: self.min,
            max: self.max,
            triggers,
        }
    }

    /// Whether every cron trigger uses one timezone (the KEDA model evaluates one zone).
    pub fn one_timezone(&self) -> bool {
        self.cron.windows(2).all(|w| w[0].timezone == w[1].timezone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OBJECT: &str = r#"# header
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: "app-queries-de"
spec:
  minReplicaCount: 2
  maxReplicaCount: 6
  advanced:
    horizontalPodAutoscalerConfig:
      behavior:
        scaleDown:
          stabilizationWindowSeconds: 600
        scaleUp:
          stabilizationWindowSeconds: 30
          selectPolicy: Min
          policies:
            - type: Pods
              value: 2
              periodSeconds: 60
  triggers:
    - type: prometheus
      name: throughput
      metadata:
        threshold: "80"
    - type: cron
      name: "season-x-1"
      metadata:
        timezone: "Europe/Berlin"
        start: "0 8 * 9 *"
        end: "0 20 * 9 *"
        desiredReplicas: "6"
"#;

    #[test]
    fn reads_bounds_behavior_threshold_and_cron() {
        let r = parse(OBJECT).unwrap();
        assert_eq!((r.min, r.max, r.threshold), (2, 6, 80.0));
        assert_eq!(
            r.behavior,
            Behavior {
                up_window_seconds: 30,
                up_select: Select::Min,
                up_policies: vec![Policy::Pods(2)],
                down_window_seconds: 600,
                up_tolerance: None,
                down_tolerance: None,
            }
        );
        assert_eq!(r.cron.len(), 1);
        assert_eq!(r.cron[0].desired, 6);
        assert_eq!(r.cron[0].start, "0 8 * 9 *");
    }

    #[test]
    fn missing_behavior_takes_kubernetes_defaults() {
        let text = OBJECT.replace("  advanced:\n", "  unrelated:\n");
        let r = parse(&text).unwrap();
        assert_eq!(r.behavior, Behavior::default());
        assert_eq!(
            r.behavior.up_policies,
            [Policy::Percent(100), Policy::Pods(4)]
        );
        assert_eq!(
            (r.behavior.up_window_seconds, r.behavior.down_window_seconds),
            (0, 300)
        );
    }

    #[test]
    fn rendered_tolerances_are_read_as_quantities() {
        let text = OBJECT
            .replace(
                "          stabilizationWindowSeconds: 30\n",
                "          stabilizationWindowSeconds: 30\n          tolerance: 50m\n",
            )
            .replace(
                "          stabilizationWindowSeconds: 600\n",
                "          stabilizationWindowSeconds: 600\n          tolerance: \"0.2\"\n",
            );
        let b = parse(&text).unwrap().behavior;
        assert_eq!((b.up_tolerance, b.down_tolerance), (Some(50), Some(200)));
        let bad = OBJECT.replace(
            "          stabilizationWindowSeconds: 30\n",
            "          stabilizationWindowSeconds: 30\n          tolerance: 0.0005\n",
        );
        assert!(parse(&bad).unwrap_err().contains("tolerance"));
    }

    #[test]
    fn limited_scale_down_is_refused() {
        let text = OBJECT.replace(
            "          stabilizationWindowSeconds: 600\n",
            "          stabilizationWindowSeconds: 600\n          policies:\n            - type: Pods\n              value: 1\n              periodSeconds: 60\n",
        );
        assert!(parse(&text).unwrap_err().contains("scale-down"));
    }
}
