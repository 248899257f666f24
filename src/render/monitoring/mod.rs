//! Monitoring artefacts (SPEC §6): the `PrometheusRule`, its promtool unit tests, the
//! postgres_exporter queries that feed the resilience alerts and the Grafana dashboard.
//!
//! Why they are built together: the alert thresholds, the series that must fire or
//! silence each alert in the unit tests, the panels on the dashboard and the numbers the
//! runbook prints must never disagree. So every alerting rule is first computed as a
//! [`catalog::Rule`] value — its PromQL, labels, annotations, the threshold in words and a
//! [`catalog::Probe`] that says how to provoke it — and the rule manifest ([`render`]), the
//! test file ([`promtool`]) and the runbook (`render::runbook` reads [`catalog::catalog`])
//! are all laid out from those values. Every query comes from [`crate::render::promql`].
//!
//! Escaping, in the order text passes through it:
//! - PromQL label values are Go double-quoted strings ([`crate::render::promql::promql_string`]);
//! - annotations are Go templates that Prometheus expands, so free text (display names, the
//!   runbook URL) is made template-inert ([`catalog::go_template_text`]) and only the few
//!   label references the catalog writes itself stay templates ([`catalog::Piece::Label`]);
//! - the YAML templates quote every string on top of that (see `render::engine`).

pub mod catalog;
pub mod dashboard;
pub mod exporter;
pub mod promtool;

use crate::config::model::Model;
use crate::render::engine::Renderer;
use crate::render::file::{RenderError, RenderedFile};
use crate::render::limits;
use catalog::{go_template_text, Group};
use serde::Serialize;

/// Path of the rule manifest in the output directory.
pub const RULE_FILE: &str = "monitoring/prometheusrule-scaling.yaml";
/// Path of the promtool unit tests (next to the rule manifest; they name the plain rule
/// file relatively, so stock `promtool test rules` runs them from `monitoring/`).
pub const TEST_FILE: &str = "monitoring/prometheusrule-scaling.test.yaml";
/// Path of the same rule groups as a plain Prometheus rule file (for stock promtool and
/// for Prometheus without the operator; not listed in the kustomization).
pub const PLAIN_RULE_FILE: &str = "monitoring/rules/scaling.rules.yaml";
/// Path of the postgres_exporter custom queries.
pub const EXPORTER_FILE: &str = "monitoring/postgres-exporter-queries.yaml";
/// Path of the Grafana dashboard ConfigMap.
pub const DASHBOARD_FILE: &str = "monitoring/grafana-dashboard.yaml";

/// Renders the PrometheusRule, its promtool tests and the postgres_exporter queries (the
/// Grafana dashboard is [`dashboard_files`], so the two can render side by side). The
/// rule manifest is split per territory when one object would be too large for `kubectl
/// apply` ([`limits::fits_last_applied`]).
pub fn render(r: &Renderer) -> Result<Vec<RenderedFile>, RenderError> {
    let groups = catalog::catalog(r.model, r.schedule);
    let mut files = rule_files(r, &groups)?;
    // The plain rule file holds every group whatever the manifests' split: it is no
    // Kubernetes object, and the unit tests read it (stock promtool, from monitoring/).
    let plain = PlainRuleFileContext {
        groups: groups
            .iter()
            .map(|g| GroupContext::from_rules(g, &g.rules))
            .collect(),
    };
    files.push(r.file(
        "monitoring/rules/scaling.rules.yaml.j2",
        plain,
        PLAIN_RULE_FILE,
        false,
    )?);
    let tests = promtool::test_file(&groups, relative_to_tests(PLAIN_RULE_FILE));
    files.push(r.file(
        "monitoring/prometheusrule-scaling.test.yaml.j2",
        tests,
        TEST_FILE,
        false,
    )?);
    files.push(r.file(
        "monitoring/postgres-exporter-queries.yaml.j2",
        exporter::exporter_queries(),
        EXPORTER_FILE,
        false,
    )?);
    Ok(files)
}

/// The rule manifest: one PrometheusRule, or when that is too large, one per territory
/// (`prometheusrule-scaling-{territory}.yaml`, `{app}-scaling-{territory}`) next to the
/// common one that keeps the rules of no territory.
fn rule_files(r: &Renderer, groups: &[Group]) -> Result<Vec<RenderedFile>, RenderError> {
    // `rules[i]`: the rules of `groups[i]` the file holds.
    let rule_file = |name: String, path: &str, rules: Vec<Vec<&catalog::Rule>>| {
        let context = RuleFileContext {
            name,
            namespace: &r.model.app.namespace,
            app: &r.model.app.name,
            monitoring_labels: &r.model.app.monitoring_labels,
            groups: groups
                .iter()
                .zip(rules)
                .map(|(g, rules)| GroupContext::from_rules(g, rules))
                .filter(|g| !g.rules.is_empty())
                .collect(),
        };
        r.file(
            "monitoring/prometheusrule-scaling.yaml.j2",
            context,
            path,
            true,
        )
    };
    let name = format!("{}-scaling", r.model.app.name);
    let all = groups.iter().map(|g| g.rules.iter().collect()).collect();
    let whole = rule_file(name.clone(), RULE_FILE, all)?;
    if limits::fits_last_applied(&whole) {
        return Ok(vec![whole]);
    }
    // Each rule sorted to its territory once (not once per territory), in catalog order.
    let mut common = vec![Vec::new(); groups.len()];
    let mut by_territory: std::collections::BTreeMap<&str, Vec<Vec<&catalog::Rule>>> =
        std::collections::BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        for rule in &g.rules {
            let bucket = match territory_of(rule) {
                None => &mut common,
                Some(t) => by_territory
                    .entry(t)
                    .or_insert_with(|| vec![Vec::new(); groups.len()]),
            };
            bucket[i].push(rule);
        }
    }
    let mut files = vec![rule_file(name.clone(), RULE_FILE, common)?];
    for t in &r.model.territories {
        let lower = t.code.to_lowercase();
        let path = format!("monitoring/prometheusrule-scaling-{lower}.yaml");
        let rules = by_territory
            .remove(t.code.as_str())
            .unwrap_or_else(|| vec![Vec::new(); groups.len()]);
        files.push(rule_file(format!("{name}-{lower}"), &path, rules)?);
    }
    Ok(files)
}

fn territory_of(rule: &catalog::Rule) -> Option<&str> {
    rule.labels
        .iter()
        .find(|(k, _)| k == "territory")
        .map(|(_, v)| v.as_str())
}

/// The dashboard ConfigMap, or when too large, one per territory
/// (`grafana-dashboard-{territory}.yaml`, each with the events row too).
pub fn dashboard_files(r: &Renderer) -> Result<Vec<RenderedFile>, RenderError> {
    let template = "monitoring/grafana-dashboard.yaml.j2";
    let whole = r.file(template, dashboard::context(r.model), DASHBOARD_FILE, true)?;
    if limits::fits_last_applied(&whole) {
        return Ok(vec![whole]);
    }
    let mut files = Vec::new();
    let skeleton = dashboard_skeleton(r.model);
    for t in &r.model.territories {
        let lower = t.code.to_lowercase();
        let part = Model {
            territories: vec![t.clone()],
            ..skeleton.clone()
        };
        let path = format!("monitoring/grafana-dashboard-{lower}.yaml");
        files.push(r.file(
            template,
            dashboard::part_context(&part, &lower),
            &path,
            true,
        )?);
    }
    Ok(files)
}

/// What the dashboard reads of `model` (app, workloads, events, alerts, traffic, pods),
/// without the territories and the calendar: cloning the whole model once per territory
/// made a split dashboard quadratic in territories × entries.
fn dashboard_skeleton(model: &Model) -> Model {
    Model {
        app: model.app.clone(),
        workloads: model.workloads.clone(),
        territories: Vec::new(),
        events: model.events.clone(),
        alerts: model.alerts.clone(),
        traffic: model.traffic.clone(),
        entries: Vec::new(),
        blackouts: Vec::new(),
        environments: Vec::new(),
        pods: model.pods.clone(),
    }
}

/// Context of `prometheusrule-scaling.yaml.j2`.
#[derive(Serialize)]
struct RuleFileContext<'a> {
    /// PrometheusRule name (`{app}-scaling`).
    name: String,
    /// Namespace.
    namespace: &'a str,
    /// App name (label).
    app: &'a str,
    /// `[app] monitoring_labels` (e.g. kube-prometheus-stack's `release`).
    monitoring_labels: &'a [(String, String)],
    /// Non-empty rule groups.
    groups: Vec<GroupContext>,
}

/// Context of `rules/scaling.rules.yaml.j2`: every rule group, nothing else.
#[derive(Serialize)]
struct PlainRuleFileContext {
    /// The groups of the PrometheusRule(s), unsplit.
    groups: Vec<GroupContext>,
}

/// `path` (in the output directory) relative to the directory of [`TEST_FILE`].
fn relative_to_tests(path: &str) -> &str {
    let dir = TEST_FILE.rsplit_once('/').map_or("", |(dir, _)| dir);
    path.strip_prefix(dir)
        .and_then(|p| p.strip_prefix('/'))
        .unwrap_or(path)
}

/// One group of the rule file.
#[derive(Serialize)]
struct GroupContext {
    name: &'static str,
    rules: Vec<RuleContext>,
}

/// One rule, every text final (annotations are Go templates).
#[derive(Serialize)]
struct RuleContext {
    alert: &'static str,
    expr: String,
    /// `for:` or `None`.
    hold: Option<String>,
    labels: Vec<(String, String)>,
    summary: String,
    description: String,
    runbook_url: String,
}

impl GroupContext {
    /// The group `g` with `rules` (some of its own, in its order).
    fn from_rules<'r>(g: &Group, rules: impl IntoIterator<Item = &'r catalog::Rule>) -> Self {
        GroupContext {
            name: g.name,
            rules: rules
                .into_iter()
                .map(|r| RuleContext {
                    alert: r.spec.name,
                    expr: r.expr.clone(),
                    hold: r.hold.map(|d| d.to_string()),
                    labels: r.labels.clone(),
                    summary: r.summary.template(),
                    description: r.description.template(),
                    runbook_url: go_template_text(&r.runbook_url),
                })
                .collect(),
        }
    }
}
