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

use crate::render::engine::Renderer;
use crate::render::file::{RenderError, RenderedFile};
use catalog::{go_template_text, Group};
use serde::Serialize;

/// Path of the rule manifest in the output directory.
pub const RULE_FILE: &str = "monitoring/prometheusrule-scaling.yaml";
/// Path of the promtool unit tests (next to the rule manifest, which it names relatively).
pub const TEST_FILE: &str = "monitoring/prometheusrule-scaling.test.yaml";
/// Path of the postgres_exporter custom queries.
pub const EXPORTER_FILE: &str = "monitoring/postgres-exporter-queries.yaml";
/// Path of the Grafana dashboard ConfigMap.
pub const DASHBOARD_FILE: &str = "monitoring/grafana-dashboard.yaml";

/// Renders the PrometheusRule, its promtool tests, the postgres_exporter queries and the
/// Grafana dashboard.
pub fn render(r: &Renderer) -> Result<Vec<RenderedFile>, RenderError> {
    let groups = catalog::catalog(r.model, r.schedule);
    let rules = RuleFileContext {
        name: format!("{}-scaling", r.model.app.name),
        namespace: &r.model.app.namespace,
        app: &r.model.app.name,
        groups: groups.iter().map(GroupContext::from).collect(),
    };
    let tests = promtool::test_file(&groups, RULE_FILE);
    Ok(vec![
        r.file(
            "monitoring/prometheusrule-scaling.yaml.j2",
            rules,
            RULE_FILE,
            true,
        )?,
        r.file(
            "monitoring/prometheusrule-scaling.test.yaml.j2",
            tests,
            TEST_FILE,
            false,
        )?,
        r.file(
            "monitoring/postgres-exporter-queries.yaml.j2",
            exporter::exporter_queries(),
            EXPORTER_FILE,
            false,
        )?,
        r.file(
            "monitoring/grafana-dashboard.yaml.j2",
            dashboard::context(r.model),
            DASHBOARD_FILE,
            true,
        )?,
    ])
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
    /// Non-empty rule groups.
    groups: Vec<GroupContext>,
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

impl From<&Group> for GroupContext {
    fn from(g: &Group) -> Self {
        GroupContext {
            name: g.name,
            rules: g
                .rules
                .iter()
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
