//! The schedule stage: the calendar as KEDA cron triggers, and what they do.
//!
//! [`compile`] turns the [`crate::config::model::Model`] into a [`Schedule`] (the types
//! below): cron triggers per deployment, and the facts about dated entries that other
//! artefacts need (expiry alerts). `render` writes it into ScaledObjects; [`keda`] (on
//! top of [`cron`], robfig/cron v3 replayed) evaluates it for `explain`, `plan` and the
//! tests. [`windows`] generates the calendar's windows in real time (SPEC §2.2);
//! [`mod@reference`] computes the intended floor on its own, for the proofs.

pub mod compile;
pub mod cron;
pub mod keda;
pub mod reference;
pub mod windows;

use crate::config::model::EntryKind;

/// Every deployment's compiled cron triggers plus the dated-entry expiries.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    /// One per territory × workload, in model order (territory, then workload).
    pub deployments: Vec<DeploymentSchedule>,
    /// One per dated entry (campaigns, dated blackouts), in model order.
    pub expiries: Vec<Expiry>,
}

impl Schedule {
    /// The schedule of (territory, workload).
    pub fn deployment(&self, territory: &str, workload: &str) -> Option<&DeploymentSchedule> {
        self.deployments
            .iter()
            .find(|d| d.territory == territory && d.workload == workload)
    }
}

/// The cron triggers of one ScaledObject.
#[derive(Debug, Clone)]
pub struct DeploymentSchedule {
    /// Territory code (upper case).
    pub territory: String,
    /// Workload name.
    pub workload: String,
    /// Deployment / ScaledObject name.
    pub name: String,
    /// IANA zone of every trigger (the territory's, as configured).
    pub timezone: String,
    /// `minReplicaCount`.
    pub min: u32,
    /// `maxReplicaCount`.
    pub max: u32,
    /// Cron triggers, in a stable order.
    pub triggers: Vec<CronTrigger>,
}

impl DeploymentSchedule {
    /// The highest floor any trigger asks for, or `min` without triggers (used for `fallback`).
    pub fn highest_floor(&self) -> u32 {
        self.triggers
            .iter()
            .map(|t| t.desired_replicas)
            .max()
            .unwrap_or(self.min)
            .max(self.min)
    }
}

/// One KEDA cron trigger (robfig/cron v3, 5 fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronTrigger {
    /// Stable, readable trigger name, e.g. `season-oktoberfest-1`.
    pub name: String,
    /// Start expression `minute hour dom month dow`.
    pub start: String,
    /// End expression.
    pub end: String,
    /// Replicas requested while active.
    pub desired_replicas: u32,
    /// Kind of the entry the trigger comes from.
    pub entry_kind: EntryKind,
    /// Id of the entry the trigger comes from.
    pub entry_id: String,
}

/// A dated entry and the instant after which it must be removed (§4.2).
#[derive(Debug, Clone)]
pub struct Expiry {
    /// `campaign` or `blackout`.
    pub kind: String,
    /// Entry id.
    pub entry_id: String,
    /// Entry display name.
    pub entry_name: String,
    /// Last day of the entry (inclusive, local).
    pub last_day: chrono::NaiveDate,
    /// Unix seconds after which the entry has no further effect in any territory it concerns.
    pub expires_at_unix: i64,
}
