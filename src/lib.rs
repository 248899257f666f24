//! scalegen compiles a seasonal business calendar (territories, seasons, campaigns,
//! blackouts) into KEDA ScaledObjects, Deployments, alerts, a migration and a runbook.
//!
//! The data flows one way, one module per stage:
//!
//! ```text
//! load → parse → validate → Model → compile → Schedule → render → output
//!                                        └→ keda (cron evaluation: explain, plan, tests)
//! ```
#![deny(missing_docs)]

pub mod alerts;
pub mod calendar;
pub mod cli;
pub mod compile;
pub mod cron;
pub mod defaults;
pub mod diag;
pub mod explain;
pub mod k8s;
pub mod keda;
pub mod load;
pub mod migration;
pub mod model;
pub mod output;
pub mod parse;
pub mod planning;
pub mod render;
pub mod runbook;
pub mod schedule;
pub mod simulate;
pub mod templates;
pub mod validate;
