//! Reports over the compiled schedule: `explain` (the floor at one instant, and why),
//! `plan` (floors, replica-hours and savings over a range) and `simulate` (cost and risk
//! of four scaling strategies on one traffic model). All evaluate the generated cron
//! triggers with `schedule::keda`, so they say what the rendered manifests do.
//! [`build`] reports on what became of the rendered manifests: the broken references of
//! a final kustomize build (`check-build`).

pub mod build;
pub mod explain;
pub mod plan;
pub mod recurrence;
pub mod simulate;

use crate::config::model::Model;
use crate::diag::{did_you_mean, Closeness};
use crate::schedule::{DeploymentSchedule, Schedule};

/// Why a report cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportError {
    /// The request cannot be answered as given (a bad instant or range, an unknown name,
    /// an unwritable chart path): exit 2.
    Invalid(String),
    /// The compiled schedule does not fit the model: a bug in scalegen, exit 3.
    Internal(String),
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReportError::Invalid(message) => f.write_str(message),
            ReportError::Internal(message) => write!(f, "internal error: {message}"),
        }
    }
}

impl std::error::Error for ReportError {}

/// "did you mean" for a mistyped name among `known`.
fn unknown_name(what: &str, given: &str, known: &[&str]) -> ReportError {
    let list = known.join(", ");
    ReportError::Invalid(
        match did_you_mean(given.trim(), known.iter().copied(), Closeness::Edits) {
            Some(k) => {
                format!("unknown {what} `{given}`; did you mean `{k}`? (configured: {list})")
            }
            None => format!("unknown {what} `{given}` (configured: {list})"),
        },
    )
}

/// The (territory, workload) pairs selected by the filters, in model order.
pub fn select<'m>(
    model: &'m Model,
    schedule: &'m Schedule,
    territory: Option<&str>,
    workload: Option<&str>,
) -> Result<Vec<&'m DeploymentSchedule>, ReportError> {
    let territory = match territory {
        None => None,
        Some(t) => Some(
            model
                .territories
                .iter()
                .find(|x| x.code.eq_ignore_ascii_case(t.trim()))
                .map(|x| x.code.as_str())
                .ok_or_else(|| {
                    let codes: Vec<&str> =
                        model.territories.iter().map(|x| x.code.as_str()).collect();
                    unknown_name("territory", t, &codes)
                })?,
        ),
    };
    let workload = match workload {
        None => None,
        Some(w) => Some(
            model
                .workloads
                .iter()
                .find(|x| x.name.eq_ignore_ascii_case(w.trim()))
                .map(|x| x.name.as_str())
                .ok_or_else(|| {
                    let names: Vec<&str> =
                        model.workloads.iter().map(|x| x.name.as_str()).collect();
                    unknown_name("workload", w, &names)
                })?,
        ),
    };
    let mut out = Vec::new();
    for t in &model.territories {
        if territory.is_some_and(|x| x != t.code) {
            continue;
        }
        for w in &t.workloads {
            if workload.is_some_and(|x| x != w.workload) {
                continue;
            }
            let ds = schedule.deployment(&t.code, &w.workload).ok_or_else(|| {
                ReportError::Internal(format!(
                    "no compiled cron triggers for {}.{}",
                    t.code, w.workload
                ))
            })?;
            out.push(ds);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        let msg = unknown_name("territory", "DR", &["AT", "CH", "DE"]).to_string();
        assert!(msg.contains("did you mean `DE`"), "{msg}");
        let msg = unknown_name("workload", "querys", &["commands", "queries"]).to_string();
        assert!(msg.contains("did you mean `queries`"), "{msg}");
        let msg = unknown_name("workload", "zzz", &["commands", "queries"]).to_string();
        assert!(!msg.contains("did you mean"), "{msg}");
    }

    #[test]
    fn a_schedule_that_misses_a_deployment_is_an_internal_error() {
        let model = crate::config::validate::model_from_strs(
            crate::config::example::TERRITORIES,
            crate::config::example::CALENDARS,
        )
        .expect("the example is valid");
        let err = select(&model, &Schedule::default(), Some("DE"), None).unwrap_err();
        assert!(matches!(err, ReportError::Internal(_)), "{err:?}");
        let err = select(&model, &Schedule::default(), Some("XX"), None).unwrap_err();
        assert!(matches!(err, ReportError::Invalid(_)), "{err:?}");
    }
}
