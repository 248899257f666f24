//! Reports over the compiled schedule: `explain` and `plan`.

pub mod explain;
pub mod plan;
