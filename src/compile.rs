//! Compile stage: calendar entries → KEDA cron triggers (placeholder, see issue 3).

use crate::model::Model;
use crate::schedule::Schedule;

/// Compiles every entry of `model` into cron triggers per deployment.
pub fn compile(model: &Model) -> Schedule {
    let _ = model;
    Schedule::default()
}
