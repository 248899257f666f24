//! The CSV report: one row per deployment and strategy.

use std::fmt::Write as _;

use super::super::Simulation;
use super::json::utc;
use super::{minutes, replica_hours};

/// CSV: one row per deployment × strategy.
pub fn csv(sim: &Simulation) -> String {
    let mut out = String::from(
        "deployment,territory,workload,strategy,replica_hours,risk_minutes,worst_ratio,worst_at\n",
    );
    for d in &sim.deployments {
        for s in &d.strategies {
            let _ = writeln!(
                out,
                "{},{},{},{},{:.3},{:.2},{:.4},{}",
                d.name,
                d.territory,
                d.workload,
                s.strategy.as_str(),
                replica_hours(s.replica_steps),
                minutes(s.risk_steps),
                s.worst_ratio,
                utc(s.worst_at)
            );
        }
    }
    out
}
