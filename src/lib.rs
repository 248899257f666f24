//! scalegen compiles a seasonal business calendar (territories, seasons, campaigns,
//! blackouts) into KEDA ScaledObjects, Deployments, alerts, a migration and a runbook.
//!
//! The data flows one way; each stage is a folder named after what it does:
//!
//! ```text
//! territories.toml, calendars/*.toml
//!   │ config    load → parse (spanned raw TOML) → validate → Model
//!   │           (values: the value formats; zone: local time ↔ instants; example: init's files)
//!   │ schedule  compile → Schedule of KEDA cron triggers; windows: the calendar's windows
//!   │           keda + cron: robfig/cron and KEDA evaluated on the triggers
//!   │           reference: the intended floor, independent on purpose (the proofs' yardstick)
//!   ├ render    engine + templates/ → in-memory files (k8s, monitoring, migration, runbook),
//!   │           every query from one PromQL builder (promql)
//!   ├ report    explain and plan, from the evaluated triggers
//!   ▼ output    drift diff, atomic writes, stale-file pruning → deploy/generated/
//! ```
//!
//! `diag` renders the diagnostics of every stage; `cli` declares the command line and
//! `commands` runs one subcommand each (the binary picks which). Imports point one way —
//! commands → output → render, commands → report → schedule → config → diag — and
//! `tests/fast/architecture.rs` keeps it so.
#![deny(missing_docs)]

pub mod cli;
pub mod commands;
pub mod config;
pub mod diag;
pub mod output;
pub mod render;
pub mod report;
pub mod schedule;
