//! The fast integration suites in one test binary (each binary links the whole crate, so
//! fewer binaries build faster). The slow ones stay apart: the whole-year calendar proofs
//! (`calendar_proof`, `oracle_proof`), the robfig/cron oracle comparison (`keda_oracle`)
//! and the real-PostgreSQL migration tests (`migration_pg`).

#[path = "../support/mod.rs"]
mod support;

mod alerts;
mod architecture;
mod bad_input;
mod blackout_days;
mod cli;
mod dashboard;
mod ecosystem;
mod input_safety;
mod keda_default;
mod keda_timeline;
mod limits;
mod loadtest;
mod manifests;
mod output_safety;
mod overlays;
mod pod_security;
mod replay_job;
mod robustness;
mod runbook;
mod schemas;
mod simulate;
mod simulate_reference;
mod snapshots;
mod validation;
