//! The rule about the calendar itself: a dated entry past its last day.

use crate::schedule::Expiry;

use super::{Annotation, Builder, Probe, Rule, CALENDAR_ENTRY_EXPIRED};

impl Builder<'_> {
    /// `ScalingCalendarEntryExpired` for dated entry `e`, firing after its last day.
    pub(super) fn expired(&self, e: &Expiry) -> Rule {
        let expr = format!("vector(time()) > {}", e.expires_at_unix);
        let mut rule = self.rule(CALENDAR_ENTRY_EXPIRED, expr, None);
        rule.labels.push(("entry_kind".into(), e.kind.clone()));
        rule.labels.push(("entry_id".into(), e.entry_id.clone()));
        rule.summary = Annotation::text(format!(
            "Calendar {} {} ended on {}: remove it and re-render",
            e.kind, e.entry_id, e.last_day
        ));
        rule.description = Annotation::text(format!(
            "The dated {} {} (\"{}\") ended on {}. Cron has no year, so KEDA would repeat its \
             windows on the same dates next year. Delete the entry from calendars/, run \
             scalegen render, review and merge the diff.",
            e.kind, e.entry_id, e.entry_name, e.last_day
        ));
        let instant = chrono::DateTime::from_timestamp(e.expires_at_unix, 0)
            .map_or_else(String::new, |d| {
                d.format("%Y-%m-%d %H:%M UTC, ").to_string()
            });
        rule.threshold = format!("time after {instant}unix {}", e.expires_at_unix);
        rule.probe = Probe::Expiry {
            unix: e.expires_at_unix,
        };
        rule
    }
}
