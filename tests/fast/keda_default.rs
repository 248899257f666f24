//! `explain` and `plan` on the default FreshFoodz configuration (territories.toml and
//! calendars/ at the repository root), compiled by `compile`, evaluated by `keda`.

use crate::support::default_model;
use scalegen::cli::{ExplainArgs, ExplainFormat, PlanArgs, PlanFormat};
use scalegen::commands;
use scalegen::config::model::Model;
use scalegen::report::explain::{self, FloorSource};
use scalegen::report::plan as planning;
use scalegen::schedule::compile::compile;
use scalegen::schedule::Schedule;

fn default_config() -> (Model, Schedule) {
    let model = default_model();
    let schedule = compile(&model);
    (model, schedule)
}

fn explain_args(at: &str, territory: Option<&str>, workload: Option<&str>) -> ExplainArgs {
    ExplainArgs {
        at: at.into(),
        territory: territory.map(Into::into),
        workload: workload.map(Into::into),
        format: ExplainFormat::Text,
    }
}

#[test]
fn oktoberfest_sets_de_queries_to_4() {
    let (model, schedule) = default_config();
    let report = explain::explain(&model, &schedule, "2026-10-03T09:15", Some("DE"), None).unwrap();
    assert_eq!(report.deployments.len(), 2, "DE has two workloads");
    let q = report
        .deployments
        .iter()
        .find(|d| d.workload == "queries")
        .unwrap();
    assert_eq!(q.floor, 4);
    assert_eq!(q.source, FloorSource::Trigger);
    assert_eq!(q.local_time, "2026-10-03T09:15:00+02:00");
    assert!(!q.deciding.is_empty());
    assert!(q
        .deciding
        .iter()
        .all(|t| t.entry_kind == "season" && t.entry_id == "oktoberfest"));

    let text = commands::explain::output(
        &model,
        &schedule,
        &explain_args("2026-10-03T09:15", Some("DE"), None),
    )
    .unwrap();
    assert!(
        text.contains("queries (freshplan-api-queries-de): floor 4"),
        "{text}"
    );
    assert!(
        text.contains("season `oktoberfest` (Oktoberfest)"),
        "{text}"
    );
}

#[test]
fn off_season_is_base_min_and_an_offset_means_one_instant() {
    let (model, schedule) = default_config();
    // 07:15Z is 09:15 in Berlin on Oct 3 and 08:15 on a winter day; Aug 3 is off season.
    let report = explain::explain(
        &model,
        &schedule,
        "2026-08-03T07:15Z",
        None,
        Some("queries"),
    )
    .unwrap();
    assert_eq!(report.interpretation, "instant");
    assert_eq!(report.deployments.len(), 3);
    for d in &report.deployments {
        assert_eq!(d.source, FloorSource::Min, "{}", d.deployment);
        assert_eq!(d.floor, d.min);
        assert_eq!(d.instant, "2026-08-03T07:15:00Z");
    }
    let json = commands::explain::output(
        &model,
        &schedule,
        &ExplainArgs {
            format: ExplainFormat::Json,
            ..explain_args("2026-08-03T09:15", Some("de"), Some("QUERIES"))
        },
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["deployments"][0]["deployment"],
        "freshplan-api-queries-de"
    );
    assert_eq!(v["deployments"][0]["floor"], 2);
}

#[test]
fn unknown_names_and_bad_instants_are_usage_errors() {
    let (model, schedule) = default_config();
    let err = commands::explain::output(
        &model,
        &schedule,
        &explain_args("2026-10-03T09:15", Some("DR"), None),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("did you mean `DE`"), "{err}");
    let err = commands::explain::output(
        &model,
        &schedule,
        &explain_args("2026-10-03T09:15", None, Some("querys")),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("did you mean `queries`"), "{err}");
    assert!(
        commands::explain::output(&model, &schedule, &explain_args("tomorrow", None, None))
            .is_err()
    );
}

#[test]
fn dst_gap_in_local_time_is_explained() {
    let (model, schedule) = default_config();
    let report = explain::explain(&model, &schedule, "2026-03-29T02:30", Some("DE"), None).unwrap();
    let note = report.deployments[0].note.as_deref().unwrap();
    assert!(note.contains("does not exist in Europe/Berlin"), "{note}");
    assert_eq!(report.deployments[0].instant, "2026-03-29T01:00:00Z");
}

#[test]
fn plan_2026_saves_and_flags_capacity_risk() {
    let (model, schedule) = default_config();
    let plan = planning::plan(&model, &schedule, "2026-01-01", "2026-12-31").unwrap();
    assert_eq!(plan.deployments.len(), 6);
    for d in &plan.deployments {
        let min_rh = f64::from(d.min) * d.hours;
        assert!(d.floor_replica_hours >= min_rh, "{}", d.deployment);
        assert!(
            d.floor_replica_hours < d.static_replica_hours,
            "{}",
            d.deployment
        );
        assert!(d.saving_percent > 0.0 && d.saving_percent < 100.0);
        let listed: f64 = d.intervals.iter().map(|i| i.hours).sum();
        assert!(
            (listed - d.hours).abs() < 0.05,
            "{}: intervals cover the range",
            d.deployment
        );
    }
    let de_q = plan
        .deployments
        .iter()
        .find(|d| d.deployment == "freshplan-api-queries-de")
        .unwrap();
    // Oktoberfest (Sep 1 – Oct 15, 07:55–20:00 with the lead) puts DE queries at 4.
    assert!(de_q
        .hours_by_floor
        .iter()
        .any(|f| f.floor == 4 && f.hours >= 45.0 * 12.0));
    // AT commands: Christmas load 7 rps × 4 = 28 rps fits max 2 × 15 rps; no capacity risk.
    let at_c = |plan: &planning::Plan| {
        plan.deployments
            .iter()
            .find(|d| d.deployment == "freshplan-api-commands-at")
            .unwrap()
            .load
            .as_ref()
            .unwrap()
            .capacity_risk_hours
    };
    assert_eq!(at_c(&plan), 0.0);
    // With 8 rps the same season needs 32 / 15 → 3 replicas > max 2: Christmas hours at risk.
    let mut busier = model.clone();
    let at = busier
        .territories
        .iter_mut()
        .find(|t| t.code == "AT")
        .unwrap();
    at.workloads
        .iter_mut()
        .find(|w| w.workload == "commands")
        .unwrap()
        .baseline_rps = Some(8.0);
    let busier_plan = planning::plan(&busier, &schedule, "2026-01-01", "2026-12-31").unwrap();
    assert_eq!(at_c(&busier_plan), 708.0);

    let text = commands::plan::output(
        &model,
        &schedule,
        &PlanArgs {
            from: "2026-01-01".into(),
            to: "2026-12-31".into(),
            format: PlanFormat::Text,
            svg: None,
        },
    )
    .unwrap();
    assert!(text.contains("freshplan-api-queries-de"));
}
