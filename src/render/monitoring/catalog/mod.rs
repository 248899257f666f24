//! Every alerting rule of the model, as values: what the rule file, its promtool tests,
//! the dashboard and the runbook are laid out from (see the `monitoring` module docs).
//!
//! `alerts` names every alert with its group and severity, `rule` holds the value types
//! (rules, annotations, the promtool probes); the rules themselves are built by topic:
//! `deployment` (latency, capacity, pre-scale cost, KEDA errors per deployment),
//! `database` (NOTIFY queue and journal) and `calendar` (expired dated entries).

mod alerts;
mod calendar;
mod database;
mod deployment;
mod rule;

pub use alerts::{
    anchor, runbook_link, spec, AlertSpec, Severity, ALERTS, AT_MAX_REPLICAS,
    CALENDAR_ENTRY_EXPIRED, JOURNAL_LAG, JOURNAL_RETENTION_OVERDUE, JOURNAL_STUCK,
    KEDA_SCALER_ERRORS, NOTIFY_QUEUE_CRITICAL, NOTIFY_QUEUE_WARNING, P95_EMERGENCY,
    P95_OVER_TARGET, PRESCALE_IDLE,
};
pub use rule::{go_template_text, Annotation, Group, Piece, Probe, Rule};

use crate::config::model::{Model, PromDuration, Territory, TerritoryWorkload, Workload};
use crate::render::promql::{self, decimal};
use crate::schedule::Schedule;

/// Every rule of the model and schedule, grouped; groups without rules are left out.
pub fn catalog(model: &Model, schedule: &Schedule) -> Vec<Group> {
    let mut rules = Vec::new();
    let b = Builder { model };
    for (territory, workload, bounds) in deployments(model) {
        rules.push(b.p95_over_target(territory, workload, bounds));
    }
    for (territory, workload, bounds) in deployments(model) {
        rules.push(b.p95_emergency(territory, workload, bounds));
    }
    for (territory, workload, bounds) in deployments(model) {
        rules.push(b.at_max_replicas(territory, workload, bounds));
    }
    rules.push(b.notify_queue(NOTIFY_QUEUE_WARNING, model.alerts.notify_queue_warning));
    rules.push(b.notify_queue(NOTIFY_QUEUE_CRITICAL, model.alerts.notify_queue_critical));
    for territory in &model.territories {
        rules.push(b.journal_lag(territory));
    }
    for territory in &model.territories {
        rules.push(b.journal_stuck(territory));
    }
    rules.push(b.journal_retention_overdue());
    for (territory, workload, bounds) in deployments(model) {
        rules.extend(b.prescale_idle(territory, workload, bounds));
    }
    for (territory, workload, _) in deployments(model) {
        rules.push(b.keda_errors(territory, workload));
    }
    for expiry in &schedule.expiries {
        rules.push(b.expired(expiry));
    }
    let mut groups: Vec<Group> = Vec::new();
    for rule in rules {
        match groups.iter_mut().find(|g| g.name == rule.spec.group) {
            Some(g) => g.rules.push(rule),
            None => groups.push(Group {
                name: rule.spec.group,
                rules: vec![rule],
            }),
        }
    }
    groups
}

/// Every (territory, workload, bounds) in model order.
fn deployments(model: &Model) -> impl Iterator<Item = (&Territory, &Workload, &TerritoryWorkload)> {
    model.territories.iter().flat_map(move |t| {
        model
            .workloads
            .iter()
            .filter_map(move |w| t.workload(&w.name).map(|b| (t, w, b)))
    })
}

/// Builds the rules of one model; its methods live with their topic (`deployment`,
/// `database`, `calendar`), the shared parts here.
struct Builder<'a> {
    model: &'a Model,
}

impl Builder<'_> {
    /// The namespace of every rule.
    fn namespace(&self) -> &str {
        &self.model.app.namespace
    }

    /// A rule of alert `name` with its severity and namespace labels; the caller fills in the rest.
    fn rule(&self, name: &str, expr: String, hold: Option<PromDuration>) -> Rule {
        let spec = spec(name);
        Rule {
            spec,
            expr,
            hold,
            labels: vec![
                ("severity".into(), spec.severity.as_str().into()),
                ("namespace".into(), self.namespace().into()),
            ],
            summary: Annotation(Vec::new()),
            description: Annotation(Vec::new()),
            runbook_url: runbook_link(self.model, name),
            territory: None,
            workload: None,
            threshold: String::new(),
            probe: Probe::Expiry { unix: 0 },
        }
    }

    /// `rule` with the territory (and workload) labels.
    fn scoped(&self, mut rule: Rule, territory: &Territory, workload: Option<&Workload>) -> Rule {
        rule.labels
            .push(("territory".into(), territory.code.clone()));
        rule.territory = Some(territory.code.clone());
        if let Some(w) = workload {
            rule.labels.push(("workload".into(), w.name.clone()));
            rule.workload = Some(w.name.clone());
        }
        rule
    }

    /// Name of the deployment of (territory, workload).
    fn deployment(&self, territory: &Territory, workload: &Workload) -> String {
        self.model.deployment_name(territory, &workload.name)
    }

    /// The p95 latency query of the deployment.
    fn p95(&self, territory: &Territory, workload: &Workload) -> String {
        promql::p95(self.namespace(), &territory.code, &workload.name)
    }
}

/// The highest calendar floor of (territory, workload) above its `min`, if any entry raises it.
pub fn highest_floor(
    model: &Model,
    territory: &str,
    workload: &str,
    bounds: &TerritoryWorkload,
) -> Option<u32> {
    model
        .entries
        .iter()
        .filter_map(|e| e.floor_for(territory, workload))
        .map(|f| f.min(bounds.max))
        .filter(|&f| f > bounds.min)
        .max()
}

/// `1 replica`, `3 replicas`.
fn replicas(n: u32) -> String {
    if n == 1 {
        "1 replica".to_string()
    } else {
        format!("{n} replicas")
    }
}

/// `m` minutes as a duration.
fn minutes(m: u64) -> PromDuration {
    PromDuration { seconds: m * 60 }
}

/// A value a little above `threshold` within (0, 1): `+ 0.001`, less near 1.
fn nudge_up(threshold: f64) -> f64 {
    round9(threshold + (0.001_f64).min((1.0 - threshold) / 2.0))
}

/// `x` rounded to 9 decimals (drops float noise).
fn round9(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

/// `0.7` → `70 %` (no float noise).
pub fn percent(ratio: f64) -> String {
    format!("{} %", decimal(round9(ratio * 100.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_template_text_leaves_no_action_open() {
        assert_eq!(go_template_text("plain"), "plain");
        assert_eq!(go_template_text("a{{b}}"), r#"a{{ "{" }}{{ "{" }}b}}"#);
        let a = Annotation(vec![
            Piece::Text("x {{ $y }} of ".into()),
            Piece::Label("scaler"),
        ]);
        assert_eq!(
            a.template(),
            r#"x {{ "{" }}{{ "{" }} $y }} of {{ $labels.scaler }}"#
        );
        assert_eq!(
            a.expand(&[("scaler".into(), "throughput".into())]),
            "x {{ $y }} of throughput"
        );
    }

    #[test]
    fn numbers_are_written_without_float_noise() {
        assert_eq!(percent(0.7), "70 %");
        assert_eq!(percent(0.333), "33.3 %");
        assert_eq!(nudge_up(0.7), 0.701);
        assert_eq!(nudge_up(0.9995), 0.99975);
    }

    #[test]
    fn every_alert_name_is_unique_and_anchors_are_lower_case_names() {
        let names: std::collections::BTreeSet<&str> = ALERTS.iter().map(|a| a.name).collect();
        assert_eq!(names.len(), ALERTS.len());
        for a in ALERTS {
            assert_eq!(a.anchor(), a.name.to_ascii_lowercase());
            assert!(a.name.chars().all(|c| c.is_ascii_alphanumeric()));
        }
    }
}
