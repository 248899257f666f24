//! The database CronJobs against a real PostgreSQL: each container command is taken from
//! the rendered `jobs/{app}-journal-replay.yaml` (SPEC §10) or
//! `jobs/{app}-journal-retention.yaml` and run as the pod would run it — `/bin/sh -c`
//! with `DATABASE_URL` (here a login role granted the job's role, on the throwaway
//! cluster's unix socket) and the manifest's plain environment — with this machine's
//! `psql`. Events journaled under forced backpressure must be published exactly once,
//! batch by batch, and the journal must drain; the retention job must delete exactly the
//! published rows older than the configured horizon; each job must fail visibly, changing
//! nothing, when its login role lacks the job's role.

mod support;

use postgres::fallible_iterator::FallibleIterator;
use postgres::Client;
use scalegen::config::model::Model;
use scalegen::render::file::RenderedFile;
use scalegen::render::jobs::{self, JobSpec};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;
use support::pg;

/// The container of a CronJob: its command and its literal environment values.
struct Container {
    command: Vec<String>,
    env: Vec<(String, String)>,
    /// The variable that comes from the Secret.
    secret_env: String,
}

fn container(model: &Model, files: &[RenderedFile], job: &JobSpec) -> Container {
    let path = jobs::path_of(model, job);
    let doc = support::yaml_documents(&support::file(files, &path).contents).remove(0);
    let c = &doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    let strings = |v: &serde_yaml::Value| -> Vec<String> {
        v.as_sequence()
            .map(|s| s.iter().map(|x| x.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let mut command = strings(&c["command"]);
    command.extend(strings(&c["args"]));
    let mut env = Vec::new();
    let mut secret_env = String::new();
    for e in c["env"].as_sequence().unwrap() {
        let name = e["name"].as_str().unwrap().to_string();
        match e["value"].as_str() {
            Some(v) => env.push((name, v.to_string())),
            None => secret_env = name,
        }
    }
    Container {
        command,
        env,
        secret_env,
    }
}

/// A fresh database with the rendered migration applied (versioned files first, then
/// repeatable ones, each in one transaction as Flyway runs them).
fn migrated_database(files: &[RenderedFile]) -> (String, Client) {
    let server = pg::server();
    let name = server.fresh_database("replay_job");
    let mut client = server.connect(&name);
    let mut sql: Vec<&RenderedFile> = files
        .iter()
        .filter(|f| f.path.starts_with("db/") && f.path.ends_with(".sql"))
        .collect();
    sql.sort_by_key(|f| (!f.path.starts_with("db/V"), f.path.clone()));
    assert!(!sql.is_empty(), "no migration rendered");
    for f in sql {
        let mut tx = client.transaction().unwrap();
        tx.batch_execute(&f.contents)
            .unwrap_or_else(|e| panic!("{}: {e}", f.path));
        tx.commit().unwrap();
    }
    (name, client)
}

/// A libpq URI for `user` on database `db` of the test cluster (unix socket).
fn database_url(db: &str, user: &str) -> String {
    let config = pg::server().config(db);
    let host = match &config.get_hosts()[0] {
        postgres::config::Host::Unix(path) => path.display().to_string(),
        other => panic!("the test cluster listens on a socket, not {other:?}"),
    };
    let port = config.get_ports()[0];
    format!("postgresql:///{db}?host={host}&port={port}&user={user}")
}

/// Starts the container's command with `url` as its Secret variable; only what the pod
/// has reaches it (no PG* variables of this process, no psqlrc).
fn start(c: &Container, psql: &Path, url: &str) -> Child {
    let path = match psql.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => format!("{}:/usr/bin:/bin", dir.display()),
        None => "/usr/bin:/bin".to_string(),
    };
    Command::new(&c.command[0])
        .args(&c.command[1..])
        .env_clear()
        .env("PATH", path)
        .env("PSQLRC", "/dev/null")
        .envs(c.env.iter().map(|(k, v)| (k, v)))
        .env(&c.secret_env, url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {:?}: {e}", c.command))
}

/// The number the command's `SELECT` printed (`replay_pending`, `scaling_purge_published`).
fn printed_number(out: &Output) -> i64 {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "job command failed ({}):\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = stdout.lines().skip_while(|l| !l.starts_with("---"));
    lines
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count in psql output:\n{stdout}"))
}

/// Journals `per_territory` events of every territory with thresholds forced to 0; the ids.
fn journal_events(client: &mut Client, model: &Model, per_territory: i64) -> Vec<i64> {
    client
        .batch_execute("UPDATE scaling_backpressure_settings SET journal_threshold = 0, critical_threshold = 0")
        .unwrap();
    let ty = &model.events.types[0];
    for t in &model.territories {
        client
            .execute("SELECT set_config('app.territory', $1, false)", &[&t.code])
            .unwrap();
        let rows = client
            .query(
                "SELECT publish_event($1, $2, jsonb_build_object('n', g)) FROM generate_series(1, $3::bigint) g",
                &[&t.code, ty, &per_territory],
            )
            .unwrap();
        assert!(rows.iter().all(|r| r.get::<_, String>(0) == "journaled"));
    }
    client
        .execute(
            "UPDATE scaling_backpressure_settings SET journal_threshold = $1, critical_threshold = $2",
            &[&model.events.journal_threshold, &model.events.critical_threshold],
        )
        .unwrap();
    client
        .query("SELECT id FROM scaling_event_journal ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn pending(client: &mut Client) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM scaling_event_journal WHERE published_at IS NULL",
            &[],
        )
        .unwrap()
        .get(0)
}

/// Ids of the envelopes `listener` received until the marker `sender` sends now
/// (notifications arrive in commit order, so the marker comes after all earlier ones).
fn received_ids(listener: &mut Client, sender: &mut Client, channel: &str) -> Vec<i64> {
    sender
        .execute("SELECT pg_notify($1, 'end-of-test')", &[&channel])
        .unwrap();
    let mut ids = Vec::new();
    let mut notifications = listener.notifications();
    let mut it = notifications.timeout_iter(Duration::from_secs(60));
    while let Some(n) = it.next().unwrap() {
        if n.payload() == "end-of-test" {
            return ids;
        }
        let envelope: Value = serde_json::from_str(n.payload()).unwrap();
        ids.push(envelope["id"].as_i64().unwrap());
    }
    panic!("the marker did not arrive within 60 s");
}

fn psql_or_skip() -> Option<PathBuf> {
    support::tools::psql()
}

#[test]
fn the_rendered_command_drains_a_real_journal_exactly_once() {
    let Some(psql) = psql_or_skip() else {
        return;
    };
    let model = support::default_model();
    let (_, files) = support::render(&model);
    let c = container(&model, &files, &jobs::REPLAY);
    assert_eq!(c.command[..2], ["/bin/sh", "-c"]);
    let (db, mut client) = migrated_database(&files);
    let role = format!("{db}_job");
    client
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; GRANT scaling_replayer TO {role};"
        ))
        .unwrap();
    let journaled = journal_events(&mut client, &model, 412);
    assert_eq!(journaled.len(), 1236);
    let mut listener = pg::server().connect(&db);
    listener
        .batch_execute(&format!("LISTEN {}", model.events.channel))
        .unwrap();
    let url = database_url(&db, &role);

    // Two runs at once (what `Forbid` prevents, and SKIP LOCKED makes harmless), then
    // one a minute later, then one that finds nothing.
    let both = [start(&c, &psql, &url), start(&c, &psql, &url)];
    let first: i64 = both
        .into_iter()
        .map(|child| printed_number(&child.wait_with_output().unwrap()))
        .sum();
    assert_eq!(first, 1000, "two batches of 500");
    let second = printed_number(&start(&c, &psql, &url).wait_with_output().unwrap());
    assert_eq!(second, 236);
    let third = printed_number(&start(&c, &psql, &url).wait_with_output().unwrap());
    assert_eq!(third, 0);
    assert_eq!(pending(&mut client), 0, "the journal drained");

    let ids = received_ids(&mut listener, &mut client, &model.events.channel);
    let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
    for id in &ids {
        *seen.entry(*id).or_default() += 1;
    }
    assert!(seen.values().all(|n| *n == 1), "an event arrived twice");
    assert_eq!(seen.keys().copied().collect::<Vec<_>>(), journaled);
    println!(
        "{} journaled events published once each: 1000 + 236 + 0",
        ids.len()
    );
}

#[test]
fn the_command_fails_and_publishes_nothing_without_the_replayer_role() {
    let Some(psql) = psql_or_skip() else {
        return;
    };
    let model = support::default_model();
    let (_, files) = support::render(&model);
    let c = container(&model, &files, &jobs::REPLAY);
    let (db, mut client) = migrated_database(&files);
    let role = format!("{db}_nobody");
    client
        .batch_execute(&format!("CREATE ROLE {role} LOGIN"))
        .unwrap();
    journal_events(&mut client, &model, 3);
    let out = start(&c, &psql, &database_url(&db, &role))
        .wait_with_output()
        .unwrap();
    assert!(!out.status.success(), "the job must fail visibly");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("scaling_replayer"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(pending(&mut client), 9);
}

/// The default configuration with `journal_retention` set.
fn model_with_retention(horizon: &str) -> Model {
    let (territories, calendars) = support::default_sources();
    let text = territories.replacen(
        "critical_threshold = 0.95\n",
        &format!("critical_threshold = 0.95\njournal_retention = \"{horizon}\"\n"),
        1,
    );
    assert_ne!(text, territories);
    support::model(&text, &calendars)
}

/// Journal rows of every kind, inserted as the superuser and labelled in `payload->>'row'`:
/// published ones around the 7-day and 1-day horizons, an old pending row and an old dead
/// letter.
fn journal_history(client: &mut Client) {
    client
        .batch_execute(
            "INSERT INTO scaling_event_journal (territory, event_type, payload, created_at, published_at, attempts) VALUES
               ('DE', 'sample.delivered', '{\"row\": \"published 8 days ago\"}', now() - interval '9 days', now() - interval '8 days', 0),
               ('CH', 'sample.delivered', '{\"row\": \"published 7 days 1 minute ago\"}', now() - interval '9 days', now() - interval '7 days 1 minute', 0),
               ('AT', 'sample.delivered', '{\"row\": \"published 6 days 23 hours ago\"}', now() - interval '9 days', now() - interval '6 days 23 hours', 0),
               ('DE', 'sample.delivered', '{\"row\": \"published 2 days ago\"}', now() - interval '3 days', now() - interval '2 days', 0),
               ('CH', 'sample.delivered', '{\"row\": \"published 1 hour ago\"}', now() - interval '1 day', now() - interval '1 hour', 0),
               ('DE', 'sample.delivered', '{\"row\": \"pending 30 days\"}', now() - interval '30 days', NULL, 0),
               ('AT', 'sample.delivered', '{\"row\": \"dead letter 30 days\"}', now() - interval '30 days', NULL, 3);",
        )
        .unwrap();
}

/// The `row` labels of the journal, in id order.
fn rows_left(client: &mut Client) -> Vec<String> {
    client
        .query(
            "SELECT payload->>'row' FROM scaling_event_journal ORDER BY id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn the_rendered_retention_command_deletes_only_published_rows_older_than_the_horizon() {
    let Some(psql) = psql_or_skip() else {
        return;
    };
    let week = support::default_model();
    let (_, files) = support::render(&week);
    let c = container(&week, &files, &jobs::RETENTION);
    assert_eq!(c.command[..2], ["/bin/sh", "-c"]);
    assert!(
        c.command[2].contains("interval '7 days'"),
        "{}",
        c.command[2]
    );
    let (db, mut client) = migrated_database(&files);
    let role = format!("{db}_retention");
    client
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; GRANT scaling_maintainer TO {role};"
        ))
        .unwrap();
    journal_history(&mut client);
    let url = database_url(&db, &role);

    let purged = printed_number(&start(&c, &psql, &url).wait_with_output().unwrap());
    assert_eq!(
        purged, 2,
        "the rows published 8 days and 7 days 1 minute ago"
    );
    assert_eq!(
        rows_left(&mut client),
        [
            "published 6 days 23 hours ago",
            "published 2 days ago",
            "published 1 hour ago",
            "pending 30 days",
            "dead letter 30 days"
        ]
    );
    let again = printed_number(&start(&c, &psql, &url).wait_with_output().unwrap());
    assert_eq!(again, 0, "a second run the same day finds nothing");

    // Another horizon in territories.toml reaches the command.
    let day = model_with_retention("1d");
    let (_, day_files) = support::render(&day);
    let c = container(&day, &day_files, &jobs::RETENTION);
    assert!(
        c.command[2].contains("interval '1 day'"),
        "{}",
        c.command[2]
    );
    let purged = printed_number(&start(&c, &psql, &url).wait_with_output().unwrap());
    assert_eq!(purged, 2);
    assert_eq!(
        rows_left(&mut client),
        [
            "published 1 hour ago",
            "pending 30 days",
            "dead letter 30 days"
        ]
    );
}

#[test]
fn the_retention_command_fails_and_deletes_nothing_without_the_maintainer_role() {
    let Some(psql) = psql_or_skip() else {
        return;
    };
    let model = support::default_model();
    let (_, files) = support::render(&model);
    let c = container(&model, &files, &jobs::RETENTION);
    let (db, mut client) = migrated_database(&files);
    journal_history(&mut client);
    let nobody = format!("{db}_nobody");
    let replayer = format!("{db}_replayer");
    client
        .batch_execute(&format!(
            "CREATE ROLE {nobody} LOGIN; CREATE ROLE {replayer} LOGIN; GRANT scaling_replayer TO {replayer};"
        ))
        .unwrap();
    // Neither a role without grants nor the replay job's role may purge.
    for role in [nobody, replayer] {
        let out = start(&c, &psql, &database_url(&db, &role))
            .wait_with_output()
            .unwrap();
        assert!(!out.status.success(), "{role}: the job must fail visibly");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("scaling_maintainer"),
            "{role}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(rows_left(&mut client).len(), 7, "{role} deleted rows");
    }
}
