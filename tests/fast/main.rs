//! The fast integration suites in one test binary (each binary links the whole crate, so
//! fewer binaries build faster). The slow ones stay apart: the whole-year calendar proofs
//! (`calendar_proof`, `oracle_proof`), the robfig/cron oracle comparison (`keda_oracle`)
//! and the real-PostgreSQL migration tests (`migration_pg`).

#[path = "../support/mod.rs"]
mod support;

mod alerts;
mod architecture;
mod bad_input;
mod cli;
mod input_safety;
mod keda_default;
mod keda_timeline;
mod limits;
mod manifests;
mod output_safety;
mod pod_security;
mod robustness;
mod runbook;
mod snapshots;
mod validation;
