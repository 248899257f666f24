//! The V226 migration (SPEC §5) against a real PostgreSQL server.
//!
//! The rendered SQL is applied the way Flyway applies it (one transaction) on a throwaway
//! cluster that this test binary starts itself (`support/pg.rs`), and its functions are
//! exercised with real LISTEN connections, real concurrency and real row-level security.
//! Every test gets its own database; roles are cluster-wide, so test roles carry the
//! database name.

mod support;

use support::pg;

use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::Client;
use scalegen::config::model::Model;
use scalegen::render::engine::Renderer;
use scalegen::schedule::Schedule;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

// ---------------------------------------------------------------------------------------
// Configurations and rendering
// ---------------------------------------------------------------------------------------

/// The `[events]`-relevant part of a configuration; everything else is fixed.
struct Cfg<'a> {
    version: u32,
    territories: &'a [&'a str],
    channel: &'a str,
    types: &'a [&'a str],
    critical: &'a [&'a str],
    journal: f64,
    critical_threshold: f64,
}

/// An odd configuration: other codes, underscores in types and channel, version 7.
const ODD: Cfg<'static> = Cfg {
    version: 7,
    territories: &["UK", "US"],
    channel: "uk_us_events_2",
    types: &[
        "order_line.item_added",
        "stock_level.low_water.reached",
        "a.b",
    ],
    critical: &["stock_level.low_water.reached", "a.b"],
    journal: 0.5,
    critical_threshold: 0.9,
};

fn toml_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// A complete territories.toml for `cfg` (validated by scalegen's own validation).
fn config_toml(cfg: &Cfg) -> String {
    let mut toml = format!(
        r#"[app]
name = "probe-api"
namespace = "probe"
image = "registry.example.com/probe:1"
runbook_url = "https://wiki.example.com/runbook"
migration_version = {version}

[workloads.queries]
p95_ms = 300

[events]
channel = "{channel}"
types = {types}
critical = {critical}
journal_threshold = {journal}
critical_threshold = {critical_threshold}
"#,
        version = cfg.version,
        channel = cfg.channel,
        types = toml_list(cfg.types),
        critical = toml_list(cfg.critical),
        journal = cfg.journal,
        critical_threshold = cfg.critical_threshold,
    );
    for code in cfg.territories {
        toml.push_str(&format!(
            "\n[territories.{code}]\nname = \"Territory {code}\"\ntimezone = \"Europe/London\"\n\
             queries = {{ min = 1, max = 3, rps_per_replica = 10 }}\n"
        ));
    }
    toml
}

fn model_of(cfg: &Cfg) -> Model {
    support::model(&config_toml(cfg), &[])
}

/// The FreshFoodz default configuration shipped at the repository root. The migration
/// reads no calendar, so the calendars are left out: a calendar edit cannot break these tests.
fn default_model() -> Model {
    support::model(&support::default_sources().0, &[])
}

/// The rendered migrations of a model, in the order Flyway applies them.
struct Migration {
    /// `db/V…__listener_and_journal.sql`: (path, contents).
    versioned: (String, String),
    /// `db/R__scaling_config.sql`: (path, contents).
    repeatable: (String, String),
}

impl Migration {
    fn files(&self) -> [&(String, String); 2] {
        [&self.versioned, &self.repeatable]
    }
}

/// The rendered migrations of `model`.
fn render(model: &Model) -> Migration {
    let schedule = Schedule::default();
    let renderer = Renderer::new(model, &schedule);
    let files = scalegen::render::migration::render(&renderer).expect("render migration");
    let [versioned, repeatable]: [_; 2] = files
        .try_into()
        .unwrap_or_else(|f: Vec<_>| panic!("expected V and R, got {} files", f.len()));
    Migration {
        versioned: (versioned.path, versioned.contents),
        repeatable: (repeatable.path, repeatable.contents),
    }
}

fn default_migration() -> Migration {
    render(&default_model())
}

// ---------------------------------------------------------------------------------------
// Database helpers
// ---------------------------------------------------------------------------------------

/// A fresh database for one test, with a superuser connection.
struct Db {
    name: String,
    client: Client,
}

impl Db {
    fn new(hint: &str) -> Db {
        let server = pg::server();
        let name = server.fresh_database(hint);
        let client = server.connect(&name);
        Db { name, client }
    }

    /// Another superuser connection to the same database.
    fn connect(&self) -> Client {
        pg::server().connect(&self.name)
    }

    /// A role name unique in the cluster.
    fn role(&self, suffix: &str) -> String {
        format!("{}_{suffix}", self.name)
    }
}

/// Applies `sql` the way Flyway does: one transaction.
fn apply(client: &mut Client, sql: &str) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    tx.batch_execute(sql)?;
    tx.commit()
}

fn apply_ok(client: &mut Client, sql: &str) {
    apply(client, sql).unwrap_or_else(|e| panic!("migration failed: {}", describe(&e)));
}

/// Applies V, then R, each in its own transaction, as `flyway migrate` does on a database
/// that has neither yet (or after the configuration, and so R's checksum, changed).
fn migrate_ok(client: &mut Client, migration: &Migration) {
    for (path, sql) in migration.files() {
        apply(client, sql).unwrap_or_else(|e| panic!("{path} failed: {}", describe(&e)));
    }
}

fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!(
            "{} {}: {} (detail: {:?}, hint: {:?}, where: {:?})",
            db.severity(),
            db.code().code(),
            db.message(),
            db.detail(),
            db.hint(),
            db.where_()
        ),
        None => e.to_string(),
    }
}

fn publish(client: &mut Client, territory: &str, ty: &str, payload: &str) -> String {
    client
        .query_one(
            "SELECT publish_event($1, $2, $3::text::jsonb)",
            &[&territory, &ty, &payload],
        )
        .unwrap_or_else(|e| panic!("publish_event({territory}, {ty}): {}", describe(&e)))
        .get(0)
}

fn try_publish(
    client: &mut Client,
    territory: Option<&str>,
    ty: Option<&str>,
    payload: Option<&str>,
) -> Result<String, postgres::Error> {
    client
        .query_one(
            "SELECT publish_event($1, $2, $3::text::jsonb)",
            &[&territory, &ty, &payload],
        )
        .map(|row| row.get(0))
}

fn set_thresholds(client: &mut Client, journal: f64, critical: f64) {
    client
        .execute(
            "UPDATE scaling_backpressure_settings SET journal_threshold = $1, critical_threshold = $2",
            &[&journal, &critical],
        )
        .expect("update settings");
}

fn count(client: &mut Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).expect(sql).get(0)
}

fn pending(client: &mut Client) -> i64 {
    count(
        client,
        "SELECT count(*) FROM scaling_event_journal WHERE published_at IS NULL",
    )
}

fn replay(client: &mut Client, batch: i32) -> i32 {
    client
        .query_one("SELECT replay_pending($1)", &[&batch])
        .unwrap_or_else(|e| panic!("replay_pending: {}", describe(&e)))
        .get(0)
}

/// A LISTEN connection on `channel`.
struct Listener {
    client: Client,
    channel: String,
    sentinels: usize,
}

impl Listener {
    fn new(db: &Db, channel: &str) -> Listener {
        let mut client = db.connect();
        client
            .batch_execute(&format!("LISTEN {channel}"))
            .expect("LISTEN");
        Listener {
            client,
            channel: channel.to_string(),
            sentinels: 0,
        }
    }

    /// Every envelope committed on the channel before this call, in delivery order.
    ///
    /// Sends a sentinel notification from `sender` and reads up to it: notifications are
    /// delivered in commit order, so nothing committed earlier can arrive after it.
    fn drain(&mut self, sender: &mut Client) -> Vec<Value> {
        self.sentinels += 1;
        let sentinel = format!("sentinel-{}", self.sentinels);
        sender
            .execute("SELECT pg_notify($1, $2)", &[&self.channel, &sentinel])
            .expect("send sentinel");
        let mut envelopes = Vec::new();
        let mut notifications = self.client.notifications();
        let mut iter = notifications.timeout_iter(Duration::from_secs(60));
        loop {
            let n = iter
                .next()
                .expect("receive notification")
                .unwrap_or_else(|| panic!("no sentinel within 60 s on {}", self.channel));
            assert_eq!(n.channel(), self.channel);
            if n.payload() == sentinel {
                return envelopes;
            }
            let envelope: Value = serde_json::from_str(n.payload())
                .unwrap_or_else(|e| panic!("payload is not JSON ({e}): {}", n.payload()));
            envelopes.push(envelope);
        }
    }
}

fn envelope_id(envelope: &Value) -> i64 {
    envelope["id"].as_i64().expect("numeric id")
}

/// The SQLSTATE and message of a database error.
fn db_error(result: Result<impl std::fmt::Debug, postgres::Error>) -> (SqlState, String) {
    let e = result.expect_err("expected a database error");
    let db = e
        .as_db_error()
        .unwrap_or_else(|| panic!("not a database error: {e}"));
    (db.code().clone(), db.message().to_string())
}

/// Asserts that each statement of `sqls` fails for lack of privilege.
fn assert_denied(c: &mut Client, sqls: &[&str]) {
    for sql in sqls {
        let (state, _) = db_error(c.query(*sql, &[]));
        assert_eq!(state, SqlState::INSUFFICIENT_PRIVILEGE, "{sql}");
    }
}

/// What the migration put into the catalog, without OIDs: used to prove a re-run changes nothing.
fn fingerprint(client: &mut Client) -> Vec<String> {
    let queries = [
        // tables, RLS flags and privileges
        "SELECT format('rel %s %s rls=%s force=%s acl=%s opts=%s', c.relname, c.relkind,
                c.relrowsecurity, c.relforcerowsecurity, c.relacl, c.reloptions)
           FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace",
        // columns and defaults
        "SELECT format('col %s.%s %s null=%s default=%s', table_name, column_name, data_type,
                is_nullable, column_default)
           FROM information_schema.columns WHERE table_schema = 'public'",
        // constraints
        "SELECT format('con %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
           FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
        // indexes
        "SELECT format('idx %s %s', indexname, indexdef) FROM pg_indexes WHERE schemaname = 'public'",
        // policies
        "SELECT format('pol %s %s %s %s %s %s', tablename, policyname, permissive, roles, cmd,
                qual || ' / ' || with_check)
           FROM pg_policies WHERE schemaname = 'public'",
        // functions, their definitions and privileges
        "SELECT format('fn %s acl=%s %s', p.oid::regprocedure, p.proacl, pg_get_functiondef(p.oid))
           FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace",
        // views
        "SELECT format('view %s %s', viewname, definition) FROM pg_views WHERE schemaname = 'public'",
        // comments
        "SELECT format('comment %s %s', objoid, description) FROM pg_description d
           JOIN pg_class c ON c.oid = d.objoid WHERE c.relnamespace = 'public'::regnamespace",
        // the role
        "SELECT format('role %s login=%s super=%s', rolname, rolcanlogin, rolsuper)
           FROM pg_roles WHERE rolname LIKE 'scaling\\_%'",
        // column privileges
        "SELECT format('colacl %s.%s %s', attrelid::regclass, attname, attacl)
           FROM pg_attribute WHERE attacl IS NOT NULL
            AND attrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)",
        // settings and journal contents
        "SELECT format('settings %s', s) FROM scaling_backpressure_settings s",
        "SELECT format('journal %s %s %s %s %s %s %s', id, territory, event_type, payload,
                published_at, attempts, last_error)
           FROM scaling_event_journal",
        "SELECT format('seq %s', last_value) FROM scaling_event_journal_id_seq",
    ];
    let mut lines = Vec::new();
    for sql in queries {
        for row in client
            .query(sql, &[])
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
        {
            lines.push(row.get::<_, String>(0));
        }
    }
    lines.sort();
    lines
}

// ---------------------------------------------------------------------------------------
// The rendered text
// ---------------------------------------------------------------------------------------

#[test]
fn migration_is_plain_sql_for_flyway() {
    let (default, odd) = (default_migration(), render(&model_of(&ODD)));
    for (path, sql) in default.files().into_iter().chain(odd.files()) {
        assert!(
            sql.starts_with("-- Generated by scalegen"),
            "{path}: header"
        );
        assert!(!sql.contains("${"), "{path}: Flyway placeholder syntax");
        assert!(
            !sql.to_uppercase().contains("CONCURRENTLY"),
            "{path}: CONCURRENTLY"
        );
        for line in sql.lines() {
            assert!(
                !line.trim_start().starts_with('\\'),
                "{path}: psql meta-command {line}"
            );
        }
        for stmt in ["BEGIN;", "COMMIT;", "ROLLBACK;", "VACUUM"] {
            assert!(
                !sql.lines()
                    .any(|l| l.trim().eq_ignore_ascii_case(stmt) || l.starts_with(stmt)),
                "{path}: transaction control {stmt}"
            );
        }
        assert!(sql.ends_with('\n'));
    }
    assert_eq!(default.versioned.0, "db/V226__listener_and_journal.sql");
    assert_eq!(odd.versioned.0, "db/V7__listener_and_journal.sql");
    assert_eq!(default.repeatable.0, "db/R__scaling_config.sql");
    assert_eq!(odd.repeatable.0, "db/R__scaling_config.sql");
}

/// Another configuration than the default in every `[events]` value and territory.
const OTHER: Cfg<'static> = Cfg {
    version: 226,
    territories: &["FR", "IT"],
    channel: "other_events",
    types: &["order.placed", "order.cancelled"],
    critical: &[],
    journal: 0.6,
    critical_threshold: 0.8,
};

#[test]
fn versioned_file_is_the_same_for_every_configuration() {
    let default = default_migration();
    let versioned = &default.versioned.1;
    for cfg in [&ODD, &OTHER] {
        let other = render(&model_of(cfg));
        assert!(
            &other.versioned.1 == versioned,
            "V differs for configuration {:?}",
            cfg.territories
        );
        assert_ne!(
            other.repeatable.1, default.repeatable.1,
            "R must carry the configuration"
        );
        // nothing of the configuration leaks into V, not even in a comment
        for value in cfg
            .territories
            .iter()
            .chain(cfg.types)
            .chain([&cfg.channel])
        {
            assert!(!versioned.contains(&format!("'{value}'")), "{value} in V");
        }
    }
    for value in ["'DE'", "'freshplan_events'", "'credit.checked'", "0.95"] {
        assert!(!versioned.contains(value), "{value} in V");
        assert!(default.repeatable.1.contains(value), "{value} not in R");
    }
}

/// Classifies each byte of `sql` as code, comment or inside a '…' literal (dollar-quoted
/// bodies count as code: their literals are literals too).
fn literal_map(sql: &str) -> Vec<u8> {
    const CODE: u8 = 0;
    const COMMENT: u8 = 1;
    const LITERAL: u8 = 2;
    let bytes = sql.as_bytes();
    let mut map = vec![CODE; bytes.len()];
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"--") {
            while i < bytes.len() && bytes[i] != b'\n' {
                map[i] = COMMENT;
                i += 1;
            }
        } else if bytes[i] == b'\'' {
            map[i] = LITERAL;
            i += 1;
            loop {
                assert!(i < bytes.len(), "unterminated literal");
                map[i] = LITERAL;
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        map[i + 1] = LITERAL;
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    map
}

#[test]
fn configured_values_only_appear_as_whole_sql_literals() {
    for cfg in [&ODD] {
        let sql = render(&model_of(cfg)).repeatable.1;
        let map = literal_map(&sql);
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'.';
        let values = cfg
            .territories
            .iter()
            .chain(cfg.types)
            .chain([&cfg.channel]);
        for value in values {
            let mut found = 0;
            for (at, _) in sql.match_indices(value) {
                let end = at + value.len();
                let before = sql.as_bytes()[at - 1];
                let after = sql.as_bytes()[end];
                if word(before) || word(after) {
                    continue; // part of a longer word, not this value
                }
                assert_eq!(map[at], 2, "{value} outside a literal at byte {at}");
                assert_eq!(
                    (before, after),
                    (b'\'', b'\''),
                    "{value} is not a whole literal at {at}"
                );
                found += 1;
            }
            assert!(found > 0, "{value} missing from the SQL");
        }
    }
}

#[test]
fn values_that_cannot_be_quoted_safely_are_refused() {
    let mut model = model_of(&ODD);
    model.events.channel = "x'; DROP TABLE t; --".to_string();
    let schedule = Schedule::default();
    let err = scalegen::render::migration::render(&Renderer::new(&model, &schedule))
        .expect_err("hostile channel rendered");
    assert!(err.to_string().contains("events.channel"), "{err}");

    let mut model = model_of(&ODD);
    model.territories[0].code = "U$".to_string();
    let err = scalegen::render::migration::render(&Renderer::new(&model, &schedule))
        .expect_err("hostile territory rendered");
    assert!(err.to_string().contains("U$"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Applying
// ---------------------------------------------------------------------------------------

#[test]
fn applies_on_an_empty_database_with_every_object() {
    let mut db = Db::new("fresh");
    migrate_ok(&mut db.client, &default_migration());
    let c = &mut db.client;

    let row = c
        .query_one(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'scaling_event_journal'::regclass",
            &[],
        )
        .unwrap();
    assert_eq!((row.get::<_, bool>(0), row.get::<_, bool>(1)), (true, true));

    let index: String = c
        .query_one(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'scaling_event_journal_pending_idx'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(
        index.contains("(id) WHERE (published_at IS NULL)"),
        "{index}"
    );

    let policies: Vec<(String, String)> = c
        .query(
            "SELECT policyname, roles::text FROM pg_policies ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        policies,
        [
            (
                "maintainer_all".to_string(),
                "{scaling_maintainer}".to_string()
            ),
            ("monitor_read".to_string(), "{scaling_monitor}".to_string()),
            ("replayer_all".to_string(), "{scaling_replayer}".to_string()),
            ("territory_isolation".to_string(), "{public}".to_string()),
        ]
    );

    for name in [
        "scaling_publisher",
        "scaling_replayer",
        "scaling_monitor",
        "scaling_maintainer",
    ] {
        let role = c
            .query_one(
                "SELECT rolcanlogin FROM pg_roles WHERE rolname = $1",
                &[&name],
            )
            .unwrap_or_else(|e| panic!("role {name}: {e}"));
        assert!(!role.get::<_, bool>(0), "{name} must be NOLOGIN");
    }

    let settings = c
        .query_one(
            "SELECT channel, journal_threshold, critical_threshold FROM scaling_backpressure_settings",
            &[],
        )
        .unwrap();
    assert_eq!(settings.get::<_, String>(0), "freshplan_events");
    assert_eq!(settings.get::<_, f64>(1), 0.70);
    assert_eq!(settings.get::<_, f64>(2), 0.95);
    assert_eq!(
        count(c, "SELECT count(*) FROM scaling_backpressure_settings"),
        1
    );
    // one row only, and 0 is an allowed threshold, above 1 or inverted is not
    let (state, _) = db_error(c.execute("INSERT INTO scaling_backpressure_settings (singleton, channel, journal_threshold, critical_threshold) VALUES (false, 'x', 0.1, 0.2)", &[]));
    assert_eq!(state, SqlState::CHECK_VIOLATION);
    set_thresholds(c, 0.0, 0.0);
    let (state, _) = db_error(c.execute(
        "UPDATE scaling_backpressure_settings SET journal_threshold = 0.9, critical_threshold = 0.5",
        &[],
    ));
    assert_eq!(state, SqlState::CHECK_VIOLATION);
    let (state, _) = db_error(c.execute(
        "UPDATE scaling_backpressure_settings SET critical_threshold = 1.5",
        &[],
    ));
    assert_eq!(state, SqlState::CHECK_VIOLATION);

    let view: Option<Vec<String>> = c
        .query_one(
            "SELECT reloptions FROM pg_class WHERE oid = 'scaling_journal_stats'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(view, Some(vec!["security_invoker=true".to_string()]));

    let security: Vec<(String, bool)> = c
        .query(
            "SELECT proname::text, prosecdef FROM pg_proc WHERE proname IN ('publish_event', 'replay_pending') ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        security,
        [
            ("publish_event".to_string(), false),
            ("replay_pending".to_string(), false)
        ],
        "both functions run as the caller (SECURITY INVOKER)"
    );

    // the journal's CHECK constraints hold the configured codes and types
    for (territory, ty) in [("de", "lead.status.changed"), ("DE", "lead.unknown")] {
        let (state, _) = db_error(c.execute(
            "INSERT INTO scaling_event_journal (territory, event_type, payload) VALUES ($1, $2, '{}')",
            &[&territory, &ty],
        ));
        assert_eq!(state, SqlState::CHECK_VIOLATION, "{territory} {ty}");
    }
}

#[test]
fn second_run_changes_nothing_and_keeps_tuned_settings_and_events() {
    let mut db = Db::new("rerun");
    let migration = default_migration();
    migrate_ok(&mut db.client, &migration);
    let c = &mut db.client;
    set_thresholds(c, 0.0, 0.0);
    assert_eq!(
        publish(c, "DE", "lead.status.changed", r#"{"lead": 1}"#),
        "journaled"
    );
    assert_eq!(
        publish(c, "AT", "credit.checked", r#"{"ok": true}"#),
        "journaled"
    );
    // operator tuning between the runs
    c.execute(
        "UPDATE scaling_backpressure_settings SET channel = 'tuned_channel', journal_threshold = 0.5, critical_threshold = 0.8",
        &[],
    )
    .unwrap();
    let before = fingerprint(c);
    migrate_ok(c, &migration);
    let after = fingerprint(c);
    assert_eq!(
        before, after,
        "the second run changed the catalog or the data"
    );
    let row = c
        .query_one("SELECT channel, journal_threshold, critical_threshold FROM scaling_backpressure_settings", &[])
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "tuned_channel");
    assert_eq!((row.get::<_, f64>(1), row.get::<_, f64>(2)), (0.5, 0.8));
    assert_eq!(pending(c), 2);
    // and a third run on top still works
    migrate_ok(c, &migration);
    assert_eq!(fingerprint(c), before);
    // V alone again (as if Flyway's history were repaired) resets nothing either
    apply_ok(c, &migration.versioned.1);
    assert_eq!(fingerprint(c), before);
}

#[test]
fn rerun_with_a_changed_configuration_updates_codes_and_types() {
    let mut db = Db::new("reconfig");
    let first = Cfg {
        version: 226,
        territories: &["AT", "DE"],
        channel: "events",
        types: &["lead.created"],
        critical: &[],
        journal: 0.7,
        critical_threshold: 0.95,
    };
    migrate_ok(&mut db.client, &render(&model_of(&first)));
    let c = &mut db.client;
    set_thresholds(c, 0.0, 0.0);
    assert_eq!(publish(c, "AT", "lead.created", "{}"), "journaled");
    let (state, message) = db_error(try_publish(c, Some("PL"), Some("lead.created"), Some("{}")));
    assert_eq!(state, SqlState::INVALID_PARAMETER_VALUE);
    assert!(message.contains("PL"), "{message}");

    let second = Cfg {
        territories: &["AT", "DE", "PL"],
        types: &["lead.created", "order.placed"],
        critical: &["order.placed"],
        ..first
    };
    migrate_ok(c, &render(&model_of(&second)));
    assert_eq!(publish(c, "PL", "order.placed", "{}"), "journaled");
    assert_eq!(
        count(
            c,
            "SELECT count(*) FROM scaling_event_journal WHERE territory = 'PL' AND critical"
        ),
        1
    );
    // the constraint follows the configuration too, not only the function
    c.execute(
        "INSERT INTO scaling_event_journal (territory, event_type, payload) VALUES ('PL', 'order.placed', '{}')",
        &[],
    )
    .expect("new territory accepted by the CHECK constraint");
    let territories: Vec<String> = c
        .query("SELECT territory FROM scaling_journal_stats", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(territories, ["AT", "DE", "PL"]);
    // the settings row of the first run survives (thresholds tuned to 0 above)
    let journal: f64 = c
        .query_one(
            "SELECT journal_threshold FROM scaling_backpressure_settings",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(journal, 0.0);
}

#[test]
fn applies_as_a_non_superuser_owner_who_is_then_subject_to_rls() {
    let mut db = Db::new("owner");
    let owner = db.role("owner");
    let migration = default_migration();
    // roles are cluster-wide: make sure the roles exist before a role without CREATEROLE
    // runs the migration, as an operator would have it
    db.client
        .batch_execute(&format!(
            "DO $$ DECLARE r text; BEGIN
               FOREACH r IN ARRAY ARRAY['scaling_publisher', 'scaling_replayer', 'scaling_monitor', 'scaling_maintainer'] LOOP
                 BEGIN EXECUTE format('CREATE ROLE %I NOLOGIN', r);
                 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
               END LOOP;
             END $$;
             CREATE ROLE {owner} NOLOGIN;
             GRANT CREATE ON SCHEMA public TO {owner};"
        ))
        .unwrap();
    let c = &mut db.client;
    c.batch_execute(&format!("SET ROLE {owner}")).unwrap();
    migrate_ok(c, &migration);
    migrate_ok(c, &migration);
    c.batch_execute("RESET ROLE").unwrap();
    c.batch_execute(
        "INSERT INTO scaling_event_journal (territory, event_type, payload)
         VALUES ('DE', 'sample.delivered', '{}'), ('CH', 'sample.delivered', '{}')",
    )
    .unwrap();
    c.batch_execute(&format!("SET ROLE {owner}")).unwrap();
    assert_eq!(
        count(c, "SELECT count(*) FROM scaling_event_journal"),
        0,
        "owner without territory"
    );
    c.batch_execute("SET app.territory = 'DE'").unwrap();
    assert_eq!(
        count(c, "SELECT count(*) FROM scaling_event_journal"),
        1,
        "owner as DE"
    );
    set_thresholds(c, 0.0, 0.0);
    assert_eq!(publish(c, "DE", "sample.delivered", "{}"), "journaled");
    let (state, _) = db_error(try_publish(
        c,
        Some("CH"),
        Some("sample.delivered"),
        Some("{}"),
    ));
    assert_eq!(state, SqlState::INSUFFICIENT_PRIVILEGE);
}

#[test]
fn odd_configuration_applies_twice_and_works() {
    let migration = render(&model_of(&ODD));
    assert_eq!(migration.versioned.0, "db/V7__listener_and_journal.sql");
    let mut db = Db::new("odd");
    migrate_ok(&mut db.client, &migration);
    let before = fingerprint(&mut db.client);
    migrate_ok(&mut db.client, &migration);
    assert_eq!(fingerprint(&mut db.client), before);

    let mut listener = Listener::new(&db, ODD.channel);
    let c = &mut db.client;
    assert_eq!(
        publish(c, "UK", "order_line.item_added", r#"{"n": 1}"#),
        "notified"
    );
    let (state, message) = db_error(try_publish(c, Some("DE"), Some("a.b"), Some("{}")));
    assert_eq!(state, SqlState::INVALID_PARAMETER_VALUE);
    assert!(message.contains("'DE'"), "{message}");
    set_thresholds(c, 0.0, 0.0);
    assert_eq!(
        publish(c, "US", "stock_level.low_water.reached", "{}"),
        "journaled"
    );
    set_thresholds(c, 0.0, 0.5);
    assert_eq!(publish(c, "US", "a.b", "{}"), "notified");
    assert_eq!(publish(c, "US", "order_line.item_added", "{}"), "journaled");
    set_thresholds(c, 0.5, 0.9);
    assert_eq!(replay(c, 10), 2);

    let got = listener.drain(c);
    let types: Vec<&str> = got.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "order_line.item_added",
            "a.b",
            "stock_level.low_water.reached",
            "order_line.item_added"
        ]
    );
    let stats: Vec<(String, i64)> = c
        .query("SELECT territory, pending FROM scaling_journal_stats", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(stats, [("UK".to_string(), 0), ("US".to_string(), 0)]);
}

// ---------------------------------------------------------------------------------------
// publish_event
// ---------------------------------------------------------------------------------------

#[test]
fn listener_receives_published_events_as_json_envelopes() {
    let mut db = Db::new("listen");
    migrate_ok(&mut db.client, &default_migration());
    let mut listener = Listener::new(&db, "freshplan_events");
    let c = &mut db.client;

    let payload = r#"{"lead": 42, "status": "won", "note": "Grüße, 'quoted' \"x\""}"#;
    assert_eq!(publish(c, "DE", "lead.status.changed", payload), "notified");
    // a rolled-back publish sends nothing and journals nothing
    {
        let mut tx = c.transaction().unwrap();
        let r: String = tx
            .query_one("SELECT publish_event('CH', 'sample.delivered', '{}')", &[])
            .unwrap()
            .get(0);
        assert_eq!(r, "notified");
        tx.rollback().unwrap();
    }
    // several in one transaction arrive at commit, in order
    {
        let mut tx = c.transaction().unwrap();
        for i in 0..3 {
            let p = format!(r#"{{"i": {i}}}"#);
            let r: String = tx
                .query_one(
                    "SELECT publish_event('AT', 'credit.checked', $1::text::jsonb)",
                    &[&p],
                )
                .unwrap()
                .get(0);
            assert_eq!(r, "notified");
        }
        tx.commit().unwrap();
    }

    let got = listener.drain(c);
    assert_eq!(got.len(), 4, "{got:?}");
    let first = got[0].as_object().unwrap();
    let keys: BTreeSet<&str> = first.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["id", "territory", "type", "payload", "created_at"])
    );
    assert_eq!(first["territory"], "DE");
    assert_eq!(first["type"], "lead.status.changed");
    assert_eq!(
        first["payload"],
        serde_json::from_str::<Value>(payload).unwrap()
    );
    let created_at = first["created_at"].as_str().unwrap();
    let parsed: bool = c
        .query_one("SELECT $1::text::timestamptz <= now()", &[&created_at])
        .unwrap()
        .get(0);
    assert!(parsed, "created_at {created_at}");
    let later: Vec<i64> = got[1..]
        .iter()
        .map(|e| e["payload"]["i"].as_i64().unwrap())
        .collect();
    assert_eq!(later, [0, 1, 2]);
    let ids: Vec<i64> = got.iter().map(envelope_id).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids from the journal sequence: {ids:?}"
    );
    assert_eq!(pending(c), 0);
    assert_eq!(
        count(c, "SELECT count(*) FROM scaling_event_journal"),
        0,
        "notified events are not journaled"
    );
}

#[test]
fn zero_thresholds_journal_every_event() {
    let mut db = Db::new("zero");
    migrate_ok(&mut db.client, &default_migration());
    let mut listener = Listener::new(&db, "freshplan_events");
    let c = &mut db.client;
    set_thresholds(c, 0.0, 0.0);
    for (territory, ty) in [
        ("DE", "lead.status.changed"),
        ("CH", "sample.delivered"),
        ("AT", "credit.checked"),
        ("DE", "credit.checked"),
    ] {
        assert_eq!(
            publish(c, territory, ty, r#"{"k": "v"}"#),
            "journaled",
            "{territory} {ty}"
        );
    }
    assert!(
        listener.drain(c).is_empty(),
        "journaled events were notified"
    );
    let rows: Vec<(String, String, bool, i32)> = c
        .query("SELECT territory, event_type, critical, attempts FROM scaling_event_journal WHERE published_at IS NULL ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows.iter().filter(|r| r.2).count(),
        2,
        "critical flag: {rows:?}"
    );
    assert!(rows.iter().all(|r| r.3 == 0));
    // replay stops at once while the queue is "above" a threshold of 0
    assert_eq!(replay(c, 500), 0);
    assert_eq!(pending(c), 4);
}

#[test]
fn critical_events_notify_between_journal_and_critical_threshold() {
    let mut db = Db::new("critical");
    migrate_ok(&mut db.client, &default_migration());
    let mut listener = Listener::new(&db, "freshplan_events");
    let c = &mut db.client;
    // queue usage (≈0) is at/above the journal threshold but below the critical one
    set_thresholds(c, 0.0, 0.95);
    assert_eq!(
        publish(c, "DE", "credit.checked", r#"{"c": 1}"#),
        "notified"
    );
    assert_eq!(
        publish(c, "DE", "lead.status.changed", r#"{"c": 2}"#),
        "journaled"
    );
    assert_eq!(
        publish(c, "CH", "sample.delivered", r#"{"c": 3}"#),
        "journaled"
    );
    let got = listener.drain(c);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["type"], "credit.checked");
    assert_eq!(pending(c), 2);
    let journaled_ids: Vec<i64> = c
        .query("SELECT id FROM scaling_event_journal", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        !journaled_ids.contains(&envelope_id(&got[0])),
        "an event both notified and journaled"
    );
}

#[test]
fn oversized_event_is_journaled_not_lost_and_becomes_stuck() {
    let mut db = Db::new("oversized");
    migrate_ok(&mut db.client, &default_migration());
    let mut listener = Listener::new(&db, "freshplan_events");
    let c = &mut db.client;
    let big = format!(r#"{{"blob": "{}"}}"#, "x".repeat(9000));
    assert_eq!(publish(c, "DE", "lead.status.changed", &big), "journaled");
    assert_eq!(
        publish(c, "DE", "lead.status.changed", r#"{"small": true}"#),
        "notified"
    );
    assert_eq!(pending(c), 1);
    // replay cannot send it either: attempts count up, the row stays pending, others pass
    set_thresholds(c, 0.0, 0.0);
    assert_eq!(
        publish(c, "DE", "sample.delivered", r#"{"after": 1}"#),
        "journaled"
    );
    set_thresholds(c, 0.7, 0.95);
    assert_eq!(replay(c, 10), 1);
    for _ in 0..2 {
        assert_eq!(replay(c, 10), 0);
    }
    let got = listener.drain(c);
    let payloads: Vec<&Value> = got.iter().map(|e| &e["payload"]).collect();
    assert_eq!(
        payloads,
        [
            &serde_json::json!({"small": true}),
            &serde_json::json!({"after": 1})
        ]
    );
    let attempts: i32 = c
        .query_one(
            "SELECT attempts FROM scaling_event_journal WHERE published_at IS NULL",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(attempts, 3);
    let stuck: i64 = c
        .query_one(
            "SELECT stuck FROM scaling_journal_stats WHERE territory = 'DE'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(stuck, 1);
}

#[test]
fn unknown_or_null_arguments_raise_22023_naming_the_value() {
    let mut db = Db::new("args");
    migrate_ok(&mut db.client, &default_migration());
    let c = &mut db.client;
    let cases = [
        (Some("de"), Some("credit.checked"), Some("{}"), "'de'"),
        (Some("XX"), Some("credit.checked"), Some("{}"), "'XX'"),
        (
            None,
            Some("credit.checked"),
            Some("{}"),
            "territory is NULL",
        ),
        (
            Some("DE"),
            Some("lead.unknown"),
            Some("{}"),
            "'lead.unknown'",
        ),
        (
            Some("DE"),
            Some("Credit.Checked"),
            Some("{}"),
            "'Credit.Checked'",
        ),
        (Some("DE"), None, Some("{}"), "event type is NULL"),
        (Some("DE"), Some("credit.checked"), None, "payload is NULL"),
    ];
    for (territory, ty, payload, expected) in cases {
        let (state, message) = db_error(try_publish(c, territory, ty, payload));
        assert_eq!(state, SqlState::INVALID_PARAMETER_VALUE, "{message}");
        assert!(message.contains(expected), "{message:?} lacks {expected:?}");
    }
    let (state, _) = db_error(c.query_one("SELECT replay_pending(NULL)", &[]));
    assert_eq!(state, SqlState::INVALID_PARAMETER_VALUE);
    let (state, _) = db_error(c.query_one("SELECT replay_pending(-1)", &[]));
    assert_eq!(state, SqlState::INVALID_PARAMETER_VALUE);
    assert_eq!(count(c, "SELECT count(*) FROM scaling_event_journal"), 0);
}

// ---------------------------------------------------------------------------------------
// replay_pending
// ---------------------------------------------------------------------------------------

#[test]
fn replay_sends_oldest_first_with_original_envelopes() {
    let mut db = Db::new("replay");
    migrate_ok(&mut db.client, &default_migration());
    let mut listener = Listener::new(&db, "freshplan_events");
    let c = &mut db.client;
    set_thresholds(c, 0.0, 0.0);
    for i in 0..5 {
        assert_eq!(
            publish(c, "CH", "sample.delivered", &format!(r#"{{"i": {i}}}"#)),
            "journaled"
        );
    }
    let journal: BTreeMap<i64, String> = c
        .query(
            "SELECT id, to_json(created_at)#>>'{}' FROM scaling_event_journal",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    set_thresholds(c, 0.7, 0.95);
    assert_eq!(replay(c, 2), 2);
    let got = listener.drain(c);
    let order: Vec<i64> = got
        .iter()
        .map(|e| e["payload"]["i"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [0, 1]);
    assert_eq!(pending(c), 3);
    assert_eq!(replay(c, 500), 3);
    assert_eq!(replay(c, 500), 0);
    let got: Vec<Value> = got.into_iter().chain(listener.drain(c)).collect();
    let order: Vec<i64> = got
        .iter()
        .map(|e| e["payload"]["i"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [0, 1, 2, 3, 4]);
    for envelope in &got {
        let id = envelope_id(envelope);
        assert_eq!(
            envelope["created_at"].as_str(),
            Some(journal[&id].as_str()),
            "own created_at"
        );
        assert_eq!(envelope["territory"], "CH");
        assert_eq!(envelope["type"], "sample.delivered");
    }
    assert_eq!(
        count(
            c,
            "SELECT count(*) FROM scaling_event_journal WHERE published_at IS NOT NULL"
        ),
        5
    );
}

/// 4 publishers and 4 replayers race while a fifth thread flips the backpressure settings;
/// every event must reach the listener exactly once and nothing may stay pending.
#[test]
fn concurrent_publishers_and_replayers_deliver_every_event_exactly_once() {
    const PUBLISHERS: usize = 4;
    const REPLAYERS: usize = 4;
    const EVENTS_PER_PUBLISHER: usize = 150;

    let mut db = Db::new("race");
    migrate_ok(&mut db.client, &default_migration());
    let mut listener = Listener::new(&db, "freshplan_events");
    let db = Arc::new(db.name.clone());
    let start = Arc::new(Barrier::new(PUBLISHERS + REPLAYERS + 1));
    let publishing_done = Arc::new(AtomicBool::new(false));
    let draining = Arc::new(AtomicBool::new(false));
    let notified = Arc::new(AtomicUsize::new(0));
    let replayed = Arc::new(AtomicUsize::new(0));

    // Settings flipper: all journaled / only critical notified / normal.
    let flipper = {
        let (db, done) = (db.clone(), publishing_done.clone());
        std::thread::spawn(move || {
            let mut c = pg::server().connect(&db);
            let states = [(0.0, 0.0), (0.0, 0.95), (0.7, 0.95)];
            let mut i = 0;
            while !done.load(Ordering::SeqCst) {
                let (j, k) = states[i % states.len()];
                set_thresholds(&mut c, j, k);
                i += 1;
                std::thread::sleep(Duration::from_millis(3));
            }
            i
        })
    };

    let publishers: Vec<_> = (0..PUBLISHERS)
        .map(|p| {
            let (db, start, notified) = (db.clone(), start.clone(), notified.clone());
            std::thread::spawn(move || {
                let mut c = pg::server().connect(&db);
                let territories = ["DE", "CH", "AT"];
                let types = ["lead.status.changed", "sample.delivered", "credit.checked"];
                start.wait();
                let mut journaled = 0;
                let mut i = 0;
                while i < EVENTS_PER_PUBLISHER {
                    // mostly one event per transaction, every fifth transaction three
                    let batch = if i % 5 == 0 { 3 } else { 1 }.min(EVENTS_PER_PUBLISHER - i);
                    let mut tx = c.transaction().unwrap();
                    for seq in i..i + batch {
                        let payload = format!(r#"{{"publisher": {p}, "seq": {seq}}}"#);
                        let (t, ty) = (territories[seq % 3], types[(seq / 3) % 3]);
                        let result: String = tx
                            .query_one(
                                "SELECT publish_event($1, $2, $3::text::jsonb)",
                                &[&t, &ty, &payload],
                            )
                            .unwrap_or_else(|e| panic!("publish_event: {}", describe(&e)))
                            .get(0);
                        match result.as_str() {
                            "notified" => {
                                notified.fetch_add(1, Ordering::SeqCst);
                            }
                            "journaled" => journaled += 1,
                            other => panic!("publish_event returned {other}"),
                        }
                    }
                    tx.commit().unwrap();
                    i += batch;
                }
                journaled
            })
        })
        .collect();

    let replayers: Vec<_> = (0..REPLAYERS)
        .map(|_| {
            let (db, start, draining, replayed) = (
                db.clone(),
                start.clone(),
                draining.clone(),
                replayed.clone(),
            );
            std::thread::spawn(move || {
                let mut c = pg::server().connect(&db);
                start.wait();
                loop {
                    let n = replay(&mut c, 7);
                    replayed.fetch_add(n as usize, Ordering::SeqCst);
                    if n == 0 && draining.load(Ordering::SeqCst) && pending(&mut c) == 0 {
                        return;
                    }
                }
            })
        })
        .collect();

    start.wait();
    let journaled: usize = publishers.into_iter().map(|h| h.join().unwrap()).sum();
    publishing_done.store(true, Ordering::SeqCst);
    let flips = flipper.join().unwrap();
    let mut c = pg::server().connect(&db);
    set_thresholds(&mut c, 0.7, 0.95);
    draining.store(true, Ordering::SeqCst);
    for h in replayers {
        h.join().unwrap();
    }

    let total = PUBLISHERS * EVENTS_PER_PUBLISHER;
    let notified = notified.load(Ordering::SeqCst);
    assert_eq!(notified + journaled, total);
    assert!(
        journaled > 0 && notified > 0,
        "both paths ran ({journaled} journaled, {flips} flips)"
    );
    assert_eq!(
        replayed.load(Ordering::SeqCst),
        journaled,
        "replayed ≠ journaled"
    );
    assert_eq!(pending(&mut c), 0);

    let got = listener.drain(&mut c);
    let mut ids = BTreeSet::new();
    let mut events = BTreeSet::new();
    for envelope in &got {
        assert!(ids.insert(envelope_id(envelope)), "duplicate id {envelope}");
        let p = &envelope["payload"];
        assert!(
            events.insert((p["publisher"].as_u64().unwrap(), p["seq"].as_u64().unwrap())),
            "duplicate event {envelope}"
        );
    }
    assert_eq!(got.len(), total, "received ≠ published");
    let expected: BTreeSet<(u64, u64)> = (0..PUBLISHERS as u64)
        .flat_map(|p| (0..EVENTS_PER_PUBLISHER as u64).map(move |i| (p, i)))
        .collect();
    assert_eq!(events, expected);
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) FROM scaling_event_journal WHERE published_at IS NOT NULL"
        ),
        journaled as i64
    );
    let _ = listener; // keep LISTEN open until the end
}

// ---------------------------------------------------------------------------------------
// Row-level security
// ---------------------------------------------------------------------------------------

#[test]
fn rls_confines_a_territory_session_and_the_replayer_sees_all() {
    let mut db = Db::new("rls");
    migrate_ok(&mut db.client, &default_migration());
    let app = db.role("app");
    let exporter = db.role("exporter");
    db.client
        .batch_execute(&format!(
            "CREATE ROLE {app} NOLOGIN;
             GRANT SELECT, INSERT, UPDATE, DELETE ON scaling_event_journal TO {app};
             GRANT USAGE ON SEQUENCE scaling_event_journal_id_seq TO {app};
             GRANT SELECT ON scaling_journal_stats TO {app};
             GRANT scaling_publisher TO {app};
             GRANT EXECUTE ON FUNCTION replay_pending(int) TO {app};
             CREATE ROLE {exporter} NOLOGIN IN ROLE scaling_replayer;
             INSERT INTO scaling_event_journal (territory, event_type, payload)
             VALUES ('DE', 'lead.status.changed', '{{}}'), ('DE', 'sample.delivered', '{{}}'),
                    ('CH', 'credit.checked', '{{}}'), ('AT', 'credit.checked', '{{}}');"
        ))
        .unwrap();
    let mut listener = Listener::new(&db, "freshplan_events");
    let c = &mut db.client;
    set_thresholds(c, 0.0, 0.0);

    c.batch_execute(&format!("SET ROLE {app}")).unwrap();
    assert_eq!(
        count(c, "SELECT count(*) FROM scaling_event_journal"),
        0,
        "no territory: nothing"
    );
    c.batch_execute("SET app.territory = 'CH'").unwrap();
    let seen: Vec<String> = c
        .query("SELECT territory FROM scaling_event_journal", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(seen, ["CH"]);
    let (state, message) = db_error(c.execute(
        "INSERT INTO scaling_event_journal (territory, event_type, payload) VALUES ('DE', 'credit.checked', '{}')",
        &[],
    ));
    assert_eq!(state, SqlState::INSUFFICIENT_PRIVILEGE);
    assert!(message.contains("row-level security"), "{message}");
    assert_eq!(
        c.execute(
            "UPDATE scaling_event_journal SET attempts = 9 WHERE territory = 'DE'",
            &[]
        )
        .unwrap(),
        0
    );
    assert_eq!(
        c.execute(
            "DELETE FROM scaling_event_journal WHERE territory <> 'CH'",
            &[]
        )
        .unwrap(),
        0
    );
    let (state, _) = db_error(c.execute("UPDATE scaling_event_journal SET territory = 'DE'", &[]));
    assert_eq!(
        state,
        SqlState::INSUFFICIENT_PRIVILEGE,
        "moving a row out of the territory"
    );
    // publishing a DE event from a CH session cannot journal it: an error, not a silent loss
    let (state, _) = db_error(try_publish(
        c,
        Some("DE"),
        Some("credit.checked"),
        Some("{}"),
    ));
    assert_eq!(state, SqlState::INSUFFICIENT_PRIVILEGE);
    assert_eq!(
        publish(c, "CH", "credit.checked", r#"{"own": true}"#),
        "journaled"
    );
    let stats: Vec<(String, i64)> = c
        .query("SELECT territory, pending FROM scaling_journal_stats", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        stats,
        [
            ("AT".to_string(), 0),
            ("CH".to_string(), 2),
            ("DE".to_string(), 0)
        ],
        "the stats view runs with the caller's rights"
    );
    // a CH session replays only CH rows
    set_thresholds_as_superuser(&db.name, 0.7, 0.95);
    assert_eq!(replay(c, 500), 2);
    c.batch_execute("RESET ROLE; RESET app.territory").unwrap();
    let sent: BTreeSet<String> = listener
        .drain(c)
        .iter()
        .map(|e| e["territory"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sent, BTreeSet::from(["CH".to_string()]));

    // a member of scaling_replayer (postgres-exporter, the replay job) sees every row
    c.batch_execute(&format!("SET ROLE {exporter}")).unwrap();
    let stats: Vec<(String, i64)> = c
        .query("SELECT territory, pending FROM scaling_journal_stats", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        stats,
        [
            ("AT".to_string(), 1),
            ("CH".to_string(), 0),
            ("DE".to_string(), 2)
        ]
    );
    assert_eq!(replay(c, 500), 3);
    assert_eq!(pending(c), 0);
    let (state, _) = db_error(c.execute("DELETE FROM scaling_event_journal", &[]));
    assert_eq!(
        state,
        SqlState::INSUFFICIENT_PRIVILEGE,
        "the replayer only reads and marks"
    );
}

fn set_thresholds_as_superuser(db: &str, journal: f64, critical: f64) {
    set_thresholds(&mut pg::server().connect(db), journal, critical);
}

// ---------------------------------------------------------------------------------------
// Stats view
// ---------------------------------------------------------------------------------------

#[test]
fn stats_view_reports_pending_lag_and_stuck_per_territory() {
    let mut db = Db::new("stats");
    migrate_ok(&mut db.client, &default_migration());
    let c = &mut db.client;
    let rows = |c: &mut Client| -> Vec<(String, i64, f64, i64)> {
        c.query(
            "SELECT territory, pending, oldest_pending_seconds, stuck FROM scaling_journal_stats",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
    };
    assert_eq!(
        rows(c),
        [
            ("AT".to_string(), 0, 0.0, 0),
            ("CH".to_string(), 0, 0.0, 0),
            ("DE".to_string(), 0, 0.0, 0)
        ]
    );
    c.batch_execute(
        "INSERT INTO scaling_event_journal (territory, event_type, payload, created_at, attempts) VALUES
           ('DE', 'lead.status.changed', '{}', now() - interval '120 seconds', 0),
           ('DE', 'lead.status.changed', '{}', now() - interval '30 seconds', 3),
           ('DE', 'lead.status.changed', '{}', now() - interval '1 hour', 5),
           ('CH', 'sample.delivered', '{}', now() - interval '10 seconds', 2);
         UPDATE scaling_event_journal SET published_at = now() WHERE attempts = 5;",
    )
    .unwrap();
    let stats = rows(c);
    assert_eq!(stats[0], ("AT".to_string(), 0, 0.0, 0));
    let (ref t, pending, lag, stuck) = stats[1];
    assert_eq!((t.as_str(), pending, stuck), ("CH", 1, 0));
    assert!((10.0..3600.0).contains(&lag), "CH lag {lag}");
    let (ref t, pending, lag, stuck) = stats[2];
    assert_eq!((t.as_str(), pending, stuck), ("DE", 2, 1));
    assert!(
        (120.0..3600.0).contains(&lag),
        "DE lag {lag} (published rows do not count)"
    );
}

// ---------------------------------------------------------------------------------------
// The repeatable migration: configuration changes
// ---------------------------------------------------------------------------------------

/// Configuration A and B of the V, R(A), R(B), R(B) sequence: B adds PL and a type, drops
/// nothing that A's rows use, changes the channel, the critical types and both thresholds.
const CFG_A: Cfg<'static> = Cfg {
    version: 226,
    territories: &["AT", "DE"],
    channel: "events_a",
    types: &["lead.created", "lead.lost"],
    critical: &["lead.lost"],
    journal: 0.7,
    critical_threshold: 0.95,
};

const CFG_B: Cfg<'static> = Cfg {
    version: 226,
    territories: &["AT", "DE", "PL"],
    channel: "events_b",
    types: &["lead.created", "lead.lost", "order.placed"],
    critical: &["order.placed"],
    journal: 0.6,
    critical_threshold: 0.9,
};

fn settings(c: &mut Client) -> (String, f64, f64) {
    let row = c
        .query_one(
            "SELECT channel, journal_threshold, critical_threshold FROM scaling_backpressure_settings",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

fn stats_territories(c: &mut Client) -> Vec<String> {
    c.query("SELECT territory FROM scaling_journal_stats", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn repeatable_applies_a_then_b_then_b_again_and_b_is_in_force() {
    let (a, b) = (render(&model_of(&CFG_A)), render(&model_of(&CFG_B)));
    assert_eq!(a.versioned.1, b.versioned.1);
    let mut db = Db::new("r_ab");
    migrate_ok(&mut db.client, &a);
    let c = &mut db.client;
    assert_eq!(settings(c), ("events_a".to_string(), 0.7, 0.95));
    set_thresholds(c, 0.0, 0.0);
    assert_eq!(publish(c, "DE", "lead.lost", "{}"), "journaled");
    set_thresholds(c, 0.7, 0.95); // back to A's defaults: not tuned

    // Flyway: V is applied already, R changed → only R runs, then again with no change
    apply_ok(c, &b.repeatable.1);
    apply_ok(c, &b.repeatable.1);
    let after_b = fingerprint(c);
    apply_ok(c, &b.repeatable.1);
    assert_eq!(fingerprint(c), after_b, "R(B) twice differs from once");

    assert_eq!(settings(c), ("events_b".to_string(), 0.6, 0.9));
    assert_eq!(stats_territories(c), ["AT", "DE", "PL"]);
    let mut listener = Listener::new(&db, "events_b");
    let c = &mut db.client;
    assert_eq!(publish(c, "PL", "order.placed", r#"{"b": 1}"#), "notified");
    let got = listener.drain(c);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["territory"], "PL");
    // B's critical types: order.placed notifies between the thresholds, lead.lost no longer
    set_thresholds(c, 0.0, 0.9);
    assert_eq!(publish(c, "DE", "order.placed", "{}"), "notified");
    assert_eq!(publish(c, "DE", "lead.lost", "{}"), "journaled");
    // and the journal's CHECK constraints are B's
    c.execute(
        "INSERT INTO scaling_event_journal (territory, event_type, payload) VALUES ('PL', 'order.placed', '{}')",
        &[],
    )
    .expect("B's codes accepted by the CHECK constraints");
    let (state, _) = db_error(c.execute(
        "INSERT INTO scaling_event_journal (territory, event_type, payload) VALUES ('FR', 'order.placed', '{}')",
        &[],
    ));
    assert_eq!(state, SqlState::CHECK_VIOLATION);
    // A's row is still there and still replays on B's channel
    set_thresholds(c, 0.6, 0.9);
    assert_eq!(replay(c, 500), 3);
    let types: Vec<String> = listener
        .drain(c)
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        ["order.placed", "lead.lost", "lead.lost", "order.placed"],
        "the critical notify, then the replay in id order"
    );
}

#[test]
fn repeatable_keeps_settings_an_operator_tuned() {
    let (a, b) = (render(&model_of(&CFG_A)), render(&model_of(&CFG_B)));
    let mut db = Db::new("r_tuned");
    migrate_ok(&mut db.client, &a);
    let c = &mut db.client;
    // tuned: the channel and the journal threshold; untouched: the critical threshold
    c.execute(
        "UPDATE scaling_backpressure_settings SET channel = 'tuned', journal_threshold = 0.5",
        &[],
    )
    .unwrap();
    apply_ok(c, &b.repeatable.1);
    assert_eq!(settings(c), ("tuned".to_string(), 0.5, 0.9));
    apply_ok(c, &b.repeatable.1);
    assert_eq!(settings(c), ("tuned".to_string(), 0.5, 0.9));
    // back to A: the untuned critical threshold follows, the tuned values stay
    apply_ok(c, &a.repeatable.1);
    assert_eq!(settings(c), ("tuned".to_string(), 0.5, 0.95));
    // a value set back to the applied default follows the configuration again
    c.execute(
        "UPDATE scaling_backpressure_settings SET channel = 'events_a'",
        &[],
    )
    .unwrap();
    apply_ok(c, &b.repeatable.1);
    assert_eq!(settings(c), ("events_b".to_string(), 0.5, 0.9));
}

#[test]
fn repeatable_refuses_a_tuned_threshold_that_conflicts_with_a_new_default() {
    let a = render(&model_of(&CFG_A));
    let low = render(&model_of(&Cfg {
        journal: 0.3,
        critical_threshold: 0.4,
        ..CFG_A
    }));
    let mut db = Db::new("r_conflict");
    migrate_ok(&mut db.client, &a);
    let c = &mut db.client;
    c.execute(
        "UPDATE scaling_backpressure_settings SET journal_threshold = 0.8",
        &[],
    )
    .unwrap();
    let before = fingerprint(c);
    let (state, message) = db_error(apply(c, &low.repeatable.1));
    assert_eq!(state, SqlState::CHECK_VIOLATION, "{message}");
    assert!(
        message.contains("0.8") && message.contains("0.4"),
        "{message}"
    );
    assert_eq!(fingerprint(c), before, "a failed R changed something");
}

#[test]
fn removing_a_code_still_in_use_fails_loudly_and_loses_nothing() {
    let b = render(&model_of(&CFG_B));
    let without_pl = render(&model_of(&CFG_A));
    let without_order = render(&model_of(&Cfg {
        territories: CFG_B.territories,
        ..CFG_A
    }));
    let mut db = Db::new("r_removed");
    migrate_ok(&mut db.client, &b);
    let c = &mut db.client;
    set_thresholds(c, 0.0, 0.0);
    assert_eq!(
        publish(c, "PL", "lead.created", r#"{"keep": 1}"#),
        "journaled"
    );
    assert_eq!(
        publish(c, "AT", "order.placed", r#"{"keep": 2}"#),
        "journaled"
    );
    let before = fingerprint(c);

    let (state, message) = db_error(apply(c, &without_pl.repeatable.1));
    assert_eq!(state, SqlState::CHECK_VIOLATION);
    assert!(message.contains("'PL'"), "{message}");
    assert_eq!(fingerprint(c), before, "the failed R changed something");
    let (state, message) = db_error(apply(c, &without_order.repeatable.1));
    assert_eq!(state, SqlState::CHECK_VIOLATION);
    assert!(message.contains("'order.placed'"), "{message}");
    assert_eq!(fingerprint(c), before, "the failed R changed something");
    // B is still in force
    assert_eq!(publish(c, "PL", "order.placed", "{}"), "journaled");

    // the runbook's way: replay, purge what was published, then change the configuration
    set_thresholds(c, 0.7, 0.95);
    assert_eq!(replay(c, 500), 3);
    let purged: i64 = c
        .query_one("SELECT scaling_purge_published(interval '0')", &[])
        .unwrap()
        .get(0);
    assert_eq!(purged, 3);
    apply_ok(c, &without_pl.repeatable.1);
    assert_eq!(stats_territories(c), ["AT", "DE"]);
    let (state, _) = db_error(try_publish(c, Some("PL"), Some("lead.created"), Some("{}")));
    assert_eq!(state, SqlState::INVALID_PARAMETER_VALUE);
}

// ---------------------------------------------------------------------------------------
// Dead letters: replay that cannot stall
// ---------------------------------------------------------------------------------------

/// Inserts `n` journal rows as the superuser: `(territory, type, payload, attempts)`.
fn insert_rows(c: &mut Client, n: i32, payload: &str, attempts: i32) {
    c.execute(
        "INSERT INTO scaling_event_journal (territory, event_type, payload, attempts)
         SELECT 'DE', 'sample.delivered', $1::text::jsonb || jsonb_build_object('n', i), $2
           FROM generate_series(1, $3) AS i",
        &[&payload, &attempts, &n],
    )
    .unwrap();
}

#[test]
fn replay_drains_deliverable_events_behind_500_undeliverable_ones() {
    let mut db = Db::new("no_stall");
    migrate_ok(&mut db.client, &default_migration());
    let mut listener = Listener::new(&db, "freshplan_events");
    let c = &mut db.client;
    let big = format!(r#"{{"blob": "{}"}}"#, "x".repeat(8000));
    insert_rows(c, 500, &big, 0); // oversized: undeliverable
    insert_rows(c, 300, "{}", 3); // dead letters already
    insert_rows(c, 700, r#"{"ok": true}"#, 0);
    let first_ok: i64 = count(
        c,
        "SELECT min(id) FROM scaling_event_journal WHERE payload ? 'ok'",
    );

    assert_eq!(replay(c, 500), 500, "one call publishes a full batch");
    let got = listener.drain(c);
    let ids: Vec<i64> = got.iter().map(envelope_id).collect();
    assert_eq!(ids, (first_ok..first_ok + 500).collect::<Vec<_>>());
    let oversized: Vec<(i32, Option<String>)> = c
        .query(
            "SELECT attempts, last_error FROM scaling_event_journal WHERE payload ? 'blob'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(oversized.len(), 500);
    for (attempts, error) in &oversized {
        assert_eq!(
            *attempts, 3,
            "an oversized envelope is a dead letter at once"
        );
        assert!(error.as_deref().unwrap_or("").contains("7999"), "{error:?}");
    }
    assert_eq!(replay(c, 500), 200);
    assert_eq!(replay(c, 500), 0);
    assert_eq!(listener.drain(c).len(), 200);
    let (pending, stuck): (i64, i64) = {
        let r = c
            .query_one(
                "SELECT pending, stuck FROM scaling_journal_stats WHERE territory = 'DE'",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(
        (pending, stuck),
        (800, 800),
        "dead letters stay, counted as stuck"
    );
}

#[test]
fn a_row_whose_notify_fails_is_counted_and_does_not_hold_back_the_others() {
    let mut db = Db::new("poison");
    migrate_ok(&mut db.client, &default_migration());
    let mut listener = Listener::new(&db, "freshplan_events");
    let c = &mut db.client;
    // A real failure inside the replay of one row: marking it published raises.
    c.batch_execute(
        "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.published_at IS NOT NULL AND NEW.payload ? 'poison' THEN
                 RAISE EXCEPTION 'poisoned row %', NEW.id;
             END IF;
             RETURN NEW;
         END $$;
         CREATE TRIGGER poison BEFORE UPDATE ON scaling_event_journal
             FOR EACH ROW EXECUTE FUNCTION poison();",
    )
    .unwrap();
    insert_rows(c, 2, "{}", 0);
    insert_rows(c, 1, r#"{"poison": true}"#, 0);
    insert_rows(c, 3, "{}", 0);
    for call in 1..=3 {
        assert_eq!(replay(c, 500), if call == 1 { 5 } else { 0 }, "call {call}");
        let (attempts, error): (i32, Option<String>) = {
            let r = c
                .query_one(
                    "SELECT attempts, last_error FROM scaling_event_journal WHERE payload ? 'poison'",
                    &[],
                )
                .unwrap();
            (r.get(0), r.get(1))
        };
        assert_eq!(attempts, call, "one attempt per call");
        assert!(error.unwrap_or_default().contains("poisoned row"));
    }
    assert_eq!(replay(c, 500), 0, "a dead letter is not tried again");
    assert_eq!(
        count(
            c,
            "SELECT attempts::bigint FROM scaling_event_journal WHERE payload ? 'poison'"
        ),
        3
    );
    let got = listener.drain(c);
    assert_eq!(got.len(), 5, "the poisoned row's notification was dropped");
    assert!(got.iter().all(|e| e["payload"].get("poison").is_none()));
}

#[test]
fn dead_letters_are_requeued_or_discarded_and_nothing_else_is() {
    let mut db = Db::new("dead");
    migrate_ok(&mut db.client, &default_migration());
    let oncall = db.role("oncall");
    let c = &mut db.client;
    insert_rows(c, 3, r#"{"dead": true}"#, 3);
    insert_rows(c, 1, r#"{"pending": true}"#, 1);
    insert_rows(c, 1, r#"{"published": true}"#, 5);
    c.batch_execute(&format!(
        "UPDATE scaling_event_journal SET published_at = now() WHERE payload ? 'published';
         CREATE ROLE {oncall} NOLOGIN IN ROLE scaling_maintainer;
         SET ROLE {oncall};"
    ))
    .unwrap();
    let ids: Vec<i64> = c
        .query("SELECT id FROM scaling_event_journal ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let dead = &ids[0..3];
    // requeue one dead letter among every other kind of row
    let requeued: i32 = c
        .query_one(
            "SELECT scaling_requeue_dead_letters($1)",
            &[&vec![dead[0], ids[3], ids[4]]],
        )
        .unwrap()
        .get(0);
    assert_eq!(requeued, 1);
    // discard another, with every id given: only the two remaining dead letters go
    let discarded: Vec<i64> = c
        .query(
            "SELECT id FROM scaling_discard_dead_letters($1) ORDER BY id",
            &[&ids],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(discarded, dead[1..3]);
    let left: Vec<(i64, i32)> = c
        .query(
            "SELECT id, attempts FROM scaling_event_journal ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(left, [(dead[0], 0), (ids[3], 1), (ids[4], 5)]);
    let (state, _) = db_error(c.query_one("SELECT scaling_requeue_dead_letters(NULL)", &[]));
    assert_eq!(state, SqlState::INVALID_PARAMETER_VALUE);
    // the replayer can neither requeue nor discard
    c.batch_execute("RESET ROLE; SET ROLE scaling_replayer")
        .unwrap();
    assert_denied(
        c,
        &[
            "SELECT scaling_requeue_dead_letters('{1}')",
            "SELECT * FROM scaling_discard_dead_letters('{1}')",
        ],
    );
}

// ---------------------------------------------------------------------------------------
// Trust model: roles, grants, the territory check on both paths
// ---------------------------------------------------------------------------------------

#[test]
fn a_plain_publisher_role_publishes_on_both_paths_at_first_try() {
    let mut db = Db::new("publisher");
    migrate_ok(&mut db.client, &default_migration());
    let app = db.role("app");
    let mut listener = Listener::new(&db, "freshplan_events");
    let c = &mut db.client;
    become_publisher(c, &app, Some("DE"));
    assert_eq!(
        publish(c, "DE", "lead.status.changed", r#"{"n": 1}"#),
        "notified"
    );
    set_thresholds_as_superuser(&db.name, 0.0, 0.0);
    assert_eq!(
        publish(c, "DE", "lead.status.changed", r#"{"n": 2}"#),
        "journaled"
    );
    // oversized: journaled as a dead letter by the publisher itself
    set_thresholds_as_superuser(&db.name, 0.7, 0.95);
    let big = format!(r#"{{"blob": "{}"}}"#, "x".repeat(8000));
    assert_eq!(publish(c, "DE", "lead.status.changed", &big), "journaled");
    // the publisher cannot read or change the journal, nor replay
    assert_denied(
        c,
        &[
            "SELECT count(*) FROM scaling_event_journal",
            "UPDATE scaling_event_journal SET attempts = 0",
            "SELECT replay_pending(10)",
        ],
    );
    c.batch_execute("RESET ROLE").unwrap();
    let got = listener.drain(c);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["payload"]["n"], 1);
    let rows: Vec<(i32, bool)> = c
        .query(
            "SELECT attempts, last_error IS NULL FROM scaling_event_journal ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(rows, [(0, true), (3, false)]);
}

#[test]
fn another_territory_fails_on_both_paths_with_the_same_sqlstate() {
    let mut db = Db::new("territory");
    migrate_ok(&mut db.client, &default_migration());
    let app = db.role("app");
    let mut listener = Listener::new(&db, "freshplan_events");
    let c = &mut db.client;
    become_publisher(c, &app, None);
    for session in [Some("CH"), None] {
        match session {
            Some(t) => c
                .batch_execute(&format!("SET app.territory = '{t}'"))
                .unwrap(),
            None => c.batch_execute("RESET app.territory").unwrap(),
        }
        for (journal, critical, path) in [(0.7, 0.95, "notify"), (0.0, 0.0, "journal")] {
            set_thresholds_as_superuser(&db.name, journal, critical);
            let (state, message) = db_error(try_publish(
                c,
                Some("DE"),
                Some("credit.checked"),
                Some("{}"),
            ));
            assert_eq!(
                state,
                SqlState::INSUFFICIENT_PRIVILEGE,
                "{session:?} {path}: {message}"
            );
            assert!(message.contains("'DE'"), "{message}");
        }
    }
    c.batch_execute("RESET ROLE").unwrap();
    assert!(listener.drain(c).is_empty(), "a refused event was notified");
    assert_eq!(count(c, "SELECT count(*) FROM scaling_event_journal"), 0);
}

#[test]
fn the_monitor_reads_the_stats_view_and_nothing_else() {
    let mut db = Db::new("monitor");
    migrate_ok(&mut db.client, &default_migration());
    let exporter = db.role("exporter");
    let c = &mut db.client;
    insert_rows(c, 2, "{}", 0);
    c.batch_execute(&format!(
        "CREATE ROLE {exporter} NOLOGIN IN ROLE scaling_monitor; SET ROLE {exporter};"
    ))
    .unwrap();
    let stats: Vec<(String, i64)> = c
        .query("SELECT territory, pending FROM scaling_journal_stats", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        stats,
        [
            ("AT".to_string(), 0),
            ("CH".to_string(), 0),
            ("DE".to_string(), 2)
        ],
        "the monitor sees every territory"
    );
    assert_denied(
        c,
        &[
        "UPDATE scaling_event_journal SET published_at = now()",
        "UPDATE scaling_event_journal SET payload = '{}'",
        "DELETE FROM scaling_event_journal",
        "INSERT INTO scaling_event_journal (territory, event_type, payload) VALUES ('DE', 'sample.delivered', '{}')",
        "SELECT payload FROM scaling_event_journal",
        "SELECT replay_pending(500)",
        "SELECT publish_event('DE', 'sample.delivered', '{}')",
        "SELECT scaling_purge_published(interval '0')",
        "UPDATE scaling_backpressure_settings SET journal_threshold = 0",
        ],
    );
    c.batch_execute("RESET ROLE").unwrap();
    assert_eq!(pending(c), 2);
}

#[test]
fn public_cannot_execute_any_function_of_the_migration() {
    let mut db = Db::new("public");
    migrate_ok(&mut db.client, &default_migration());
    let nobody = db.role("nobody");
    let c = &mut db.client;
    let public_grants = count(
        c,
        "SELECT count(*) FROM pg_proc p, aclexplode(p.proacl) AS a
          WHERE p.pronamespace = 'public'::regnamespace AND a.grantee = 0",
    );
    assert_eq!(public_grants, 0, "EXECUTE granted to PUBLIC");
    let unset = count(
        c,
        "SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND proacl IS NULL",
    );
    assert_eq!(
        unset, 0,
        "a function with default privileges (PUBLIC may EXECUTE)"
    );
    c.batch_execute(&format!(
        "CREATE ROLE {nobody} NOLOGIN; SET ROLE {nobody}; SET app.territory = 'DE'"
    ))
    .unwrap();
    assert_denied(
        c,
        &[
            "SELECT publish_event('DE', 'sample.delivered', '{}')",
            "SELECT replay_pending(500)",
            "SELECT scaling_purge_published(interval '0')",
            "SELECT scaling_requeue_dead_letters('{1}')",
            "SELECT * FROM scaling_journal_stats",
            "SELECT * FROM scaling_backpressure_settings",
        ],
    );
}

#[test]
fn retention_deletes_only_published_rows_older_than_the_horizon() {
    let mut db = Db::new("retention");
    migrate_ok(&mut db.client, &default_migration());
    let job = db.role("retention");
    let c = &mut db.client;
    c.batch_execute(
        "INSERT INTO scaling_event_journal (territory, event_type, payload, created_at, published_at, attempts) VALUES
           ('DE', 'sample.delivered', '{\"old\": \"published\"}', now() - interval '9 days', now() - interval '8 days', 0),
           ('CH', 'sample.delivered', '{\"old\": \"published\"}', now() - interval '9 days', now() - interval '7 days 1 minute', 0),
           ('DE', 'sample.delivered', '{\"recent\": \"published\"}', now() - interval '9 days', now() - interval '6 days', 0),
           ('DE', 'sample.delivered', '{\"old\": \"pending\"}', now() - interval '30 days', NULL, 0),
           ('AT', 'sample.delivered', '{\"old\": \"dead\"}', now() - interval '30 days', NULL, 3);",
    )
    .unwrap();
    c.batch_execute(&format!(
        "CREATE ROLE {job} NOLOGIN IN ROLE scaling_maintainer; SET ROLE {job};"
    ))
    .unwrap();
    let purged: i64 = c
        .query_one("SELECT scaling_purge_published(interval '7 days')", &[])
        .unwrap()
        .get(0);
    assert_eq!(purged, 2);
    let purged: i64 = c
        .query_one("SELECT scaling_purge_published(interval '7 days')", &[])
        .unwrap()
        .get(0);
    assert_eq!(purged, 0);
    for sql in [
        "SELECT scaling_purge_published(NULL)",
        "SELECT scaling_purge_published(interval '-1 day')",
    ] {
        let (state, _) = db_error(c.query(sql, &[]));
        assert_eq!(state, SqlState::INVALID_PARAMETER_VALUE, "{sql}");
    }
    c.batch_execute("RESET ROLE").unwrap();
    let left: Vec<String> = c
        .query(
            "SELECT payload::text FROM scaling_event_journal ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        left,
        [
            r#"{"recent": "published"}"#,
            r#"{"old": "pending"}"#,
            r#"{"old": "dead"}"#
        ]
    );
    // the replay job's role cannot purge
    c.batch_execute("SET ROLE scaling_replayer").unwrap();
    let (state, _) = db_error(c.query("SELECT scaling_purge_published(interval '0')", &[]));
    assert_eq!(state, SqlState::INSUFFICIENT_PRIVILEGE);
}

#[test]
fn stats_lag_ignores_dead_letters_which_count_as_stuck() {
    let mut db = Db::new("stats_dead");
    migrate_ok(&mut db.client, &default_migration());
    let c = &mut db.client;
    c.batch_execute(
        "INSERT INTO scaling_event_journal (territory, event_type, payload, created_at, attempts) VALUES
           ('AT', 'sample.delivered', '{}', now() - interval '1 day', 3),
           ('CH', 'sample.delivered', '{}', now() - interval '1 day', 3),
           ('CH', 'sample.delivered', '{}', now() - interval '90 seconds', 2);",
    )
    .unwrap();
    let stats: Vec<(String, i64, f64, i64)> = c
        .query(
            "SELECT territory, pending, oldest_pending_seconds, stuck FROM scaling_journal_stats",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        stats[0],
        ("AT".to_string(), 1, 0.0, 1),
        "a dead letter is no lag"
    );
    let (ref t, pending, lag, stuck) = stats[1];
    assert_eq!((t.as_str(), pending, stuck), ("CH", 2, 1));
    assert!(
        (90.0..3600.0).contains(&lag),
        "CH lag {lag} is the deliverable row's"
    );
}

#[test]
fn a_missing_settings_row_fails_loudly_until_r_runs_again() {
    let mut db = Db::new("no_settings");
    let migration = default_migration();
    migrate_ok(&mut db.client, &migration);
    let c = &mut db.client;
    c.batch_execute("DELETE FROM scaling_backpressure_settings")
        .unwrap();
    let (state, message) = db_error(try_publish(
        c,
        Some("DE"),
        Some("credit.checked"),
        Some("{}"),
    ));
    assert_eq!(
        state,
        SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
        "{message}"
    );
    let (state, _) = db_error(c.query_one("SELECT replay_pending(500)", &[]));
    assert_eq!(state, SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE);
    assert_eq!(count(c, "SELECT count(*) FROM scaling_event_journal"), 0);
    apply_ok(c, &migration.repeatable.1);
    assert_eq!(publish(c, "DE", "credit.checked", "{}"), "notified");
}

#[test]
fn the_exporter_queries_run_as_the_monitor_and_read_what_the_alerts_need() {
    let mut db = Db::new("exporter");
    migrate_ok(&mut db.client, &default_migration());
    let exporter = db.role("exporter");
    let c = &mut db.client;
    c.batch_execute(&format!(
        "CREATE ROLE {exporter} NOLOGIN IN ROLE scaling_monitor"
    ))
    .unwrap();
    let queries = scalegen::render::monitoring::exporter::exporter_queries().queries;
    let retention = queries
        .iter()
        .find(|q| q.query.contains("published_at"))
        .expect("the retention query");
    let oldest_published = |c: &mut Client| -> f64 {
        c.batch_execute(&format!("SET ROLE {exporter}")).unwrap();
        let v: f64 = c.query_one(retention.query, &[]).unwrap().get(0);
        c.batch_execute("RESET ROLE").unwrap();
        v
    };
    assert_eq!(oldest_published(c), 0.0, "no published row: 0");

    // Many published rows, pending ones and a dead letter; the oldest published 8 days ago.
    c.batch_execute(
        "INSERT INTO scaling_event_journal (territory, event_type, payload, created_at, published_at, attempts)
         SELECT (ARRAY['AT', 'CH', 'DE'])[1 + i % 3], 'sample.delivered', '{}', now() - interval '9 days',
                CASE WHEN i % 10 = 0 THEN NULL ELSE now() - interval '8 days' + i * interval '1 second' END,
                CASE WHEN i = 10 THEN 3 ELSE 0 END
           FROM generate_series(1, 20000) AS i;
         ANALYZE scaling_event_journal;",
    )
    .unwrap();
    let age = oldest_published(c);
    let eight_days = 8.0 * 86_400.0;
    assert!(
        (eight_days - 2.0..eight_days + 60.0).contains(&age),
        "oldest published row is {age} s old"
    );
    let plan: Vec<String> = c
        .query(&format!("EXPLAIN {}", retention.query), &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        plan.iter()
            .any(|l| l.contains("scaling_event_journal_published_idx")),
        "the retention check reads the index, not the table:\n{}",
        plan.join("\n")
    );

    // Every query runs as the monitor and yields its declared columns.
    c.batch_execute(&format!("SET ROLE {exporter}")).unwrap();
    for q in &queries {
        let rows = c
            .query(q.query, &[])
            .unwrap_or_else(|e| panic!("{}: {}", q.name, describe(&e)));
        assert!(!rows.is_empty(), "{} returned nothing", q.name);
        let names: Vec<&str> = rows[0].columns().iter().map(|col| col.name()).collect();
        let declared: Vec<&str> = q.columns.iter().map(|col| col.0).collect();
        assert_eq!(names, declared, "{}", q.name);
    }
    let stuck: Vec<(String, i64)> = c
        .query("SELECT territory, stuck FROM scaling_journal_stats", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(stuck[1], ("CH".to_string(), 1), "{stuck:?}");
}

// ---------------------------------------------------------------------------------------
// publish_event's fast path: inlined, settings as constants mirrored from the table
// ---------------------------------------------------------------------------------------

/// `EXPLAIN (VERBOSE)` of `sql` as one text.
fn plan_of(c: &mut Client, sql: &str) -> String {
    c.query(&format!("EXPLAIN (VERBOSE, COSTS OFF) {sql}"), &[])
        .unwrap_or_else(|e| panic!("EXPLAIN {sql}: {}", describe(&e)))
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `plan` calls publish_event itself (not scaling_publish_event).
fn calls_publish_event(plan: &str) -> bool {
    plan.match_indices("publish_event(")
        .any(|(at, _)| !plan[..at].ends_with("scaling_"))
}

#[test]
fn a_prepared_statement_sees_a_tuned_setting_at_once() {
    let mut db = Db::new("snapshot");
    migrate_ok(&mut db.client, &default_migration());
    let app = db.role("app");
    let c = &mut db.client;
    become_publisher(c, &app, Some("DE"));
    c.batch_execute("PREPARE p(text, text, jsonb) AS SELECT publish_event($1, $2, $3)")
        .unwrap();
    let execute = |c: &mut Client| -> Result<String, postgres::Error> {
        c.query_one("EXECUTE p('DE', 'lead.status.changed', '{\"n\": 1}')", &[])
            .map(|r| r.get(0))
    };
    // Past the plan cache's five custom plans: the generic plan is in use.
    for _ in 0..7 {
        assert_eq!(execute(c).unwrap(), "notified");
    }
    let plan = plan_of(c, "EXECUTE p('DE', 'lead.status.changed', '{\"n\": 1}')");
    assert!(
        !calls_publish_event(&plan),
        "publish_event is inlined:\n{plan}"
    );
    assert!(
        plan.contains("pg_notify('freshplan_events'::text"),
        "the channel is a constant of the plan:\n{plan}"
    );
    // Another session tunes the thresholds: the very next execution journals.
    set_thresholds_as_superuser(&db.name, 0.0, 0.0);
    assert_eq!(execute(c).unwrap(), "journaled");
    set_thresholds_as_superuser(&db.name, 0.7, 0.95);
    assert_eq!(execute(c).unwrap(), "notified");
    // No settings row: the statement fails loudly, and works again once R has run.
    pg::server()
        .connect(&db.name)
        .batch_execute("DELETE FROM scaling_backpressure_settings")
        .unwrap();
    let (state, _) = db_error(execute(c));
    assert_eq!(state, SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE);
    apply_ok(
        &mut pg::server().connect(&db.name),
        &default_migration().repeatable.1,
    );
    assert_eq!(execute(c).unwrap(), "notified");
    c.batch_execute("RESET ROLE").unwrap();
    assert_eq!(count(c, "SELECT count(*) FROM scaling_event_journal"), 1);
}

#[test]
fn a_call_that_cannot_be_inlined_behaves_the_same() {
    let mut db = Db::new("not_inlined");
    migrate_ok(&mut db.client, &default_migration());
    let app = db.role("app");
    let mut listener = Listener::new(&db, "freshplan_events");
    let c = &mut db.client;
    become_publisher(c, &app, Some("DE"));
    // A volatile argument used more than once keeps the planner from inlining.
    let volatile =
        "SELECT publish_event('DE', 'lead.status.changed', jsonb_build_object('r', random() < 2))";
    assert!(calls_publish_event(&plan_of(c, volatile)));
    let call = |c: &mut Client, sql: &str| -> String { c.query_one(sql, &[]).unwrap().get(0) };
    assert_eq!(call(c, volatile), "notified");
    set_thresholds_as_superuser(&db.name, 0.0, 0.0);
    assert_eq!(call(c, volatile), "journaled");
    set_thresholds_as_superuser(&db.name, 0.7, 0.95);
    let (state, _) = db_error(c.query_one(
        "SELECT publish_event('CH', 'lead.status.changed', jsonb_build_object('r', random() < 2))",
        &[],
    ));
    assert_eq!(state, SqlState::INSUFFICIENT_PRIVILEGE);
    c.batch_execute("RESET ROLE").unwrap();
    let got = listener.drain(c);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["payload"]["r"], true);
    assert_eq!(pending(c), 1);
}

#[test]
fn envelopes_around_notifys_limit_split_exactly_at_7999_bytes() {
    let mut db = Db::new("limit");
    migrate_ok(&mut db.client, &default_migration());
    let mut listener = Listener::new(&db, "freshplan_events");
    let c = &mut db.client;
    // The envelope of {"blob": ""}: its length plus k is the envelope of a blob of k bytes
    // (give or take the id's digits and created_at's trailing zeros).
    let base: i32 = c
        .query_one(
            "SELECT octet_length(scaling_envelope(1, 'DE', 'lead.status.changed', '{\"blob\": \"\"}', now()))",
            &[],
        )
        .unwrap()
        .get(0);
    let sizes: Vec<usize> = (7_700 - base as usize..8_030 - base as usize).collect();
    for k in &sizes {
        let payload = format!(r#"{{"blob": "{}"}}"#, "x".repeat(*k));
        publish(c, "DE", "lead.status.changed", &payload);
    }
    // pg_notify raises at 8000 bytes and more, which would have failed publish() above:
    // every notified envelope was within the limit.
    let notified = listener.drain(c);
    let largest_sent = notified
        .iter()
        .map(|e| e["payload"]["blob"].as_str().unwrap().len())
        .max()
        .unwrap_or(0);
    // The fast path takes payload + type < 7800 bytes ({"blob": "…"} is k + 12 bytes, the
    // type 19): larger events that still fit were sent by the exact path.
    assert!(largest_sent + 12 + 19 >= 7_800, "{largest_sent}");
    let dead: Vec<(i32, String, i64)> = c
        .query(
            "SELECT attempts, last_error, octet_length(payload->>'blob')::bigint
               FROM scaling_event_journal ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        notified.len() + dead.len(),
        sizes.len(),
        "every event one way"
    );
    assert!(!dead.is_empty());
    for (attempts, error, blob) in &dead {
        assert_eq!(*attempts, 3);
        let bytes: usize = error
            .strip_prefix("envelope of ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{error}"));
        assert!(bytes >= 8_000, "{error}");
        assert!(*blob as usize > largest_sent, "a larger event was sent");
    }
}

#[test]
fn the_settings_mirror_follows_the_tables_schema_whatever_the_search_path() {
    let mut db = Db::new("schema");
    let c = &mut db.client;
    c.batch_execute("CREATE SCHEMA app; SET search_path = app;")
        .unwrap();
    migrate_ok(c, &default_migration());
    assert_eq!(
        count(
            c,
            "SELECT count(*) FROM pg_proc WHERE proname = 'scaling_settings_snapshot'"
        ),
        1
    );
    c.batch_execute(
        "SET search_path = public;
         UPDATE app.scaling_backpressure_settings SET journal_threshold = 0, critical_threshold = 0;
         SET search_path = app; SET app.territory = 'DE';",
    )
    .unwrap();
    assert_eq!(
        count(
            c,
            "SELECT count(*) FROM pg_proc WHERE proname = 'scaling_settings_snapshot'
              AND pronamespace = 'app'::regnamespace"
        ),
        1
    );
    assert_eq!(
        count(
            c,
            "SELECT count(*) FROM pg_proc WHERE proname = 'scaling_settings_snapshot'"
        ),
        1,
        "rewritten in app, not created in public"
    );
    assert_eq!(publish(c, "DE", "lead.status.changed", "{}"), "journaled");
}

#[test]
fn a_non_owner_and_replica_mode_tuning_reach_a_prepared_publisher_at_once() {
    let mut db = Db::new("mirror");
    let owner = db.role("owner");
    let operator = db.role("operator");
    let app = db.role("app");
    let c = &mut db.client;
    // The tables' owner is no superuser; the operator may UPDATE the settings and nothing
    // else (it does not own scaling_settings_snapshot() and may not CREATE in the schema).
    c.batch_execute(&format!(
        "DO $$ DECLARE r text; BEGIN
           FOREACH r IN ARRAY ARRAY['scaling_publisher', 'scaling_replayer', 'scaling_monitor', 'scaling_maintainer'] LOOP
             BEGIN EXECUTE format('CREATE ROLE %I NOLOGIN', r);
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
           END LOOP;
         END $$;
         CREATE ROLE {owner} NOLOGIN; CREATE ROLE {operator} NOLOGIN;
         GRANT CREATE ON SCHEMA public TO {owner};"
    ))
    .unwrap();
    c.batch_execute(&format!("SET ROLE {owner}")).unwrap();
    migrate_ok(c, &default_migration());
    c.batch_execute(&format!(
        "GRANT SELECT, UPDATE ON scaling_backpressure_settings TO {operator}; RESET ROLE;
         CREATE ROLE {app} NOLOGIN IN ROLE scaling_publisher;
         SET ROLE {app}; SET app.territory = 'DE';
         PREPARE p(text, text, jsonb) AS SELECT publish_event($1, $2, $3);"
    ))
    .unwrap();
    let execute = |c: &mut Client| -> String {
        c.query_one("EXECUTE p('DE', 'lead.status.changed', '{}')", &[])
            .unwrap()
            .get(0)
    };
    for _ in 0..7 {
        assert_eq!(execute(c), "notified");
    }
    // The operator's session prints floats with fewer digits than a double has: the mirror
    // must still hold the exact threshold.
    let mut operator_session = pg::server().connect(&db.name);
    operator_session
        .batch_execute(&format!(
            "SET ROLE {operator}; SET extra_float_digits = -3;
             UPDATE scaling_backpressure_settings
                SET journal_threshold = 0, critical_threshold = 0.30000000000000004;"
        ))
        .unwrap();
    assert_eq!(execute(c), "journaled");
    let exact: bool = c
        .query_one(
            "SELECT (scaling_settings_snapshot()).critical_threshold = 0.30000000000000004::float8",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(exact, "the mirror rounded the critical threshold");
    // Triggers off for replication: the mirror fires all the same.
    let mut replica = pg::server().connect(&db.name);
    replica
        .batch_execute(
            "SET session_replication_role = replica;
             UPDATE scaling_backpressure_settings SET journal_threshold = 0.7, critical_threshold = 0.95;",
        )
        .unwrap();
    assert_eq!(execute(c), "notified");
    c.batch_execute("RESET ROLE").unwrap();
    assert_eq!(count(c, "SELECT count(*) FROM scaling_event_journal"), 1);
}

#[test]
fn settings_lists_hold_only_codes_and_types_that_need_no_escaping() {
    let mut db = Db::new("lists");
    migrate_ok(&mut db.client, &default_migration());
    let c = &mut db.client;
    for sql in [
        "UPDATE scaling_backpressure_settings SET territories = territories || 'd\"e'::text",
        "UPDATE scaling_backpressure_settings SET territories = territories || NULL::text",
        "UPDATE scaling_backpressure_settings SET event_types = event_types || 'lead\\status'::text",
        "UPDATE scaling_backpressure_settings SET event_types = event_types || 'Lead.Won'::text",
    ] {
        let (state, _) = db_error(c.execute(sql, &[]));
        assert_eq!(state, SqlState::CHECK_VIOLATION, "{sql}");
    }
    c.execute(
        "UPDATE scaling_backpressure_settings SET territories = territories || 'PL'::text",
        &[],
    )
    .unwrap();
    c.batch_execute("SET app.territory = 'PL'").unwrap();
    assert_eq!(publish(c, "PL", "lead.status.changed", "{}"), "notified");
}

/// Creates `role` as a member of `scaling_publisher` and acts as it, in territory
/// `territory` (`app.territory` unset for `None`).
fn become_publisher(c: &mut Client, role: &str, territory: Option<&str>) {
    c.batch_execute(&format!(
        "CREATE ROLE {role} NOLOGIN IN ROLE scaling_publisher; SET ROLE {role};"
    ))
    .unwrap();
    if let Some(t) = territory {
        c.batch_execute(&format!("SET app.territory = '{t}'"))
            .unwrap();
    }
}
