//! `scalegen plan`: floors, replica-hours and savings over a date range, as text, JSON
//! or CSV, optionally drawn as an SVG chart.

use super::{with_model, ExitStatus};
use crate::cli::{InputArgs, PlanArgs, PlanFormat};
use crate::config::model::Model;
use crate::report::{plan, ReportError};
use crate::schedule::Schedule;
use std::fmt::Write as _;

/// Loads, compiles and plans.
pub fn run(input: &InputArgs, args: &PlanArgs) -> ExitStatus {
    with_model(input, |l| {
        let schedule = crate::schedule::compile::compile(&l.model);
        output(&l.model, &schedule, args)
    })
}

/// The plan in the requested format (and the chart written to `--svg`).
pub fn output(model: &Model, schedule: &Schedule, args: &PlanArgs) -> Result<String, ReportError> {
    let plan = plan::plan(model, schedule, &args.from, &args.to)?;
    if let Some(path) = &args.svg {
        fs_err::write(path, plan::svg::svg(model, &plan))
            .map_err(|e| ReportError::Invalid(format!("cannot write the SVG chart: {e}")))?;
    }
    Ok(match args.format {
        PlanFormat::Text => {
            let mut t = plan::text::text(&plan);
            if let Some(path) = &args.svg {
                let _ = writeln!(t, "\nchart written to {}", path.display());
            }
            t
        }
        PlanFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&plan).expect("plan serialises")
        ),
        PlanFormat::Csv => plan::text::csv(&plan),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::plan::fixture::{model, schedule};

    #[test]
    fn outputs_are_stable_and_machine_readable() {
        let m = model();
        let s = schedule(&m);
        let args = |format| PlanArgs {
            from: "2026-08-31".into(),
            to: "2026-09-02".into(),
            format,
            svg: None,
        };
        let text1 = output(&m, &s, &args(PlanFormat::Text)).unwrap();
        assert_eq!(text1, output(&m, &s, &args(PlanFormat::Text)).unwrap());
        assert!(
            text1.contains("floor 6  2026-09-01 08:00 → 2026-09-02 20:00  2 windows 08:00–20:00"),
            "{text1}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&output(&m, &s, &args(PlanFormat::Json)).unwrap()).unwrap();
        assert_eq!(json["deployments"].as_array().unwrap().len(), 6);
        let csv = output(&m, &s, &args(PlanFormat::Csv)).unwrap();
        let header = csv.lines().next().unwrap();
        assert!(header.starts_with("deployment,territory,workload,start,end"));
        assert!(
            csv.lines().any(|l| l.starts_with(
                "freshplan-api-queries-de,DE,queries,2026-09-01T06:00:00Z,2026-09-01T18:00:00Z,"
            )),
            "{csv}"
        );
        let cols = header.split(',').count();
        assert!(csv.lines().all(|l| l.split(',').count() == cols));
    }

    #[test]
    fn svg_is_deterministic_and_written_to_the_path() {
        let m = model();
        let s = schedule(&m);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.svg");
        let args = PlanArgs {
            from: "2026-01-01".into(),
            to: "2026-12-31".into(),
            format: PlanFormat::Text,
            svg: Some(path.clone()),
        };
        output(&m, &s, &args).unwrap();
        let first = std::fs::read(&path).unwrap();
        output(&m, &s, &args).unwrap();
        assert_eq!(first, std::fs::read(&path).unwrap());
        let text = String::from_utf8(first).unwrap();
        assert!(text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(text.contains(">Oktoberfest</text>"));
        let bad = PlanArgs {
            svg: Some(dir.path().join("missing/dir/plan.svg")),
            ..args
        };
        let err = output(&m, &s, &bad).unwrap_err().to_string();
        assert!(err.contains("missing/dir/plan.svg"), "{err}");
    }
}
