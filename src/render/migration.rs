//! The Flyway migrations of the listener and journal (SPEC §5, §9).
//!
//! The migrations make LISTEN/NOTIFY publishing lossless: a journal for events the
//! notification queue cannot take, `publish_event` and `replay_pending`, row-level security
//! by territory, roles, a settings row and a stats view. They come as two files:
//!
//! - `V{migration_version}__listener_and_journal.sql` holds everything that does not depend
//!   on the configuration and is the same text for every configuration (Flyway never runs a
//!   versioned migration twice and refuses one whose checksum changed);
//! - `R__scaling_config.sql` holds what the `[events]` table and the territory codes decide
//!   (the lists, the CHECK constraints built from them, the channel, the default thresholds).
//!   Flyway re-runs a repeatable migration whenever its checksum changes.
//!
//! Every configured value lands in the SQL as a string literal (the `.sql.j2` environment
//! quotes it) or as a finite number. Validation already guarantees the shapes of those
//! values, but SQL is where a gap in it would hurt most (the values also end up inside
//! dollar-quoted `DO` bodies), so this module checks them again with the same patterns
//! (`config::values`) and refuses to render anything it could not quote safely — a model
//! built by hand, say.

use crate::config::model::{Events, Model};
use crate::config::values::{is_channel, is_event_type, is_territory_code};
use crate::render::engine::Renderer;
use crate::render::file::{RenderError, RenderedFile};
use serde::Serialize;

/// Template of the versioned migration (no template values).
const VERSIONED_TEMPLATE: &str = "db/listener_and_journal.sql.j2";
/// Template of the repeatable migration.
const REPEATABLE_TEMPLATE: &str = "db/scaling_config.sql.j2";

/// Path of the repeatable migration under `--out`.
pub const REPEATABLE_PATH: &str = "db/R__scaling_config.sql";

/// Path of the versioned migration under `--out` for `migration_version`.
pub fn file_path(migration_version: u32) -> String {
    format!("db/V{migration_version}__listener_and_journal.sql")
}

/// The versioned migration reads nothing: its bytes never depend on the configuration.
#[derive(Debug, Serialize)]
struct VersionedContext {}

/// Everything the repeatable migration reads. Strings are written as SQL literals by the
/// environment.
#[derive(Debug, Serialize)]
struct RepeatableContext<'a> {
    /// NOTIFY channel, `^[a-z_][a-z0-9_]{0,62}$`.
    channel: &'a str,
    /// Territory codes in model order (sorted), `^[A-Z]{2}$`.
    territories: Vec<&'a str>,
    /// Event types as configured.
    types: Vec<&'a str>,
    /// Critical event types as configured (possibly empty).
    critical: Vec<&'a str>,
    /// Queue usage from which ordinary events are journaled.
    journal_threshold: f64,
    /// Queue usage from which critical events are journaled too.
    critical_threshold: f64,
}

/// Renders both migrations for the model of `r`: the versioned one, then the repeatable one.
pub fn render(r: &Renderer) -> Result<Vec<RenderedFile>, RenderError> {
    let versioned = r.file(
        VERSIONED_TEMPLATE,
        VersionedContext {},
        &file_path(r.model.app.migration_version),
        false,
    )?;
    let ctx = context(r.model).map_err(|message| RenderError {
        template: REPEATABLE_TEMPLATE.to_string(),
        file: REPEATABLE_PATH.to_string(),
        message,
    })?;
    let repeatable = r.file(REPEATABLE_TEMPLATE, ctx, REPEATABLE_PATH, false)?;
    Ok(vec![versioned, repeatable])
}

/// Builds the template context after checking every value the SQL will contain.
fn context(model: &Model) -> Result<RepeatableContext<'_>, String> {
    let events = &model.events;
    check_events(events)?;
    let territories: Vec<&str> = model.territories.iter().map(|t| t.code.as_str()).collect();
    if territories.is_empty() {
        return Err("the migration needs at least one territory".to_string());
    }
    for code in &territories {
        if !is_territory_code(code) {
            return Err(format!(
                "territory code {code:?} is not two upper-case letters"
            ));
        }
    }
    Ok(RepeatableContext {
        channel: &events.channel,
        territories,
        types: events.types.iter().map(String::as_str).collect(),
        critical: events.critical.iter().map(String::as_str).collect(),
        journal_threshold: events.journal_threshold,
        critical_threshold: events.critical_threshold,
    })
}

/// The `[events]` rules of SPEC §2.1 and §5 that the SQL relies on.
fn check_events(events: &Events) -> Result<(), String> {
    if !is_channel(&events.channel) {
        return Err(format!(
            "events.channel {:?} does not match ^[a-z_][a-z0-9_]{{0,62}}$",
            events.channel
        ));
    }
    if events.types.is_empty() {
        return Err("events.types is empty".to_string());
    }
    for ty in &events.types {
        if !is_event_type(ty) {
            return Err(format!(
                "event type {ty:?} does not match ^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$"
            ));
        }
    }
    for ty in &events.critical {
        if !events.types.contains(ty) {
            return Err(format!("critical event type {ty:?} is not in events.types"));
        }
    }
    let (journal, critical) = (events.journal_threshold, events.critical_threshold);
    if !(journal.is_finite()
        && critical.is_finite()
        && 0.0 < journal
        && journal < critical
        && critical < 1.0)
    {
        return Err(format!(
            "thresholds must satisfy 0 < journal_threshold ({journal}) < critical_threshold ({critical}) < 1"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events() -> Events {
        Events {
            channel: "freshplan_events".to_string(),
            types: vec![
                "lead.status.changed".to_string(),
                "credit.checked".to_string(),
            ],
            critical: vec!["credit.checked".to_string()],
            journal_threshold: 0.7,
            critical_threshold: 0.95,
            replay_secret: "freshplan-api-journal-replay".to_string(),
            replay_image: "postgres:15-alpine".to_string(),
            journal_retention: crate::config::model::DEFAULT_JOURNAL_RETENTION,
            retention_secret: "freshplan-api-journal-retention".to_string(),
        }
    }

    #[test]
    fn events_that_could_not_be_quoted_safely_are_refused() {
        assert!(check_events(&events()).is_ok());

        let mut e = events();
        e.channel = "x$publish$".to_string();
        assert!(check_events(&e).unwrap_err().contains("events.channel"));

        let mut e = events();
        e.types.push("a.b$replay$".to_string());
        assert!(check_events(&e).unwrap_err().contains("a.b$replay$"));

        let mut e = events();
        e.critical = vec!["sample.delivered".to_string()];
        assert!(check_events(&e)
            .unwrap_err()
            .contains("not in events.types"));

        let mut e = events();
        e.types.clear();
        e.critical.clear();
        assert!(check_events(&e).is_err());

        for (journal, critical) in [(0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (f64::NAN, 0.9)] {
            let mut e = events();
            e.journal_threshold = journal;
            e.critical_threshold = critical;
            assert!(check_events(&e).is_err(), "{journal} / {critical} accepted");
        }
    }

    #[test]
    fn file_name_follows_flyway_naming() {
        assert_eq!(file_path(226), "db/V226__listener_and_journal.sql");
        assert_eq!(file_path(7), "db/V7__listener_and_journal.sql");
        assert_eq!(REPEATABLE_PATH, "db/R__scaling_config.sql");
    }
}
