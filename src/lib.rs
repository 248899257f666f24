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

pub mod cli;
pub mod commands;
pub mod config;
pub mod diag;
pub mod output;
pub mod render;
pub mod report;
pub mod schedule;
