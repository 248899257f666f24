//! The seasonal runbook (SPEC §6) read back as Markdown: every alert's `runbook_url` anchor
//! is a heading of it, headings are unique, links resolve, tables stay tables whatever the
//! display names contain, and a threshold changed in the config changes the alert, its
//! promtool tests and the runbook together.

use crate::support::{self, default_sources, file, model};
use scalegen::render::file::RenderedFile;
use scalegen::render::monitoring::{self, catalog};
use scalegen::render::runbook::RUNBOOK_FILE;
use serde::Deserialize;
use serde_yaml::Value;
use std::collections::BTreeSet;

fn default_territories() -> String {
    default_sources().0
}

fn default_calendars() -> Vec<(String, String)> {
    default_sources().1
}

fn render(territories: &str, calendars: &[(String, String)]) -> Vec<RenderedFile> {
    support::render(&model(territories, calendars)).1
}

fn render_default() -> Vec<RenderedFile> {
    support::render_default().2
}

fn contents<'a>(files: &'a [RenderedFile], path: &str) -> &'a str {
    &file(files, path).contents
}

fn runbook(files: &[RenderedFile]) -> &str {
    contents(files, RUNBOOK_FILE)
}

/// Lines outside fenced code blocks.
fn prose_lines(md: &str) -> Vec<&str> {
    let mut fence: Option<String> = None;
    let mut out = Vec::new();
    for line in md.lines() {
        let ticks: String = line.chars().take_while(|&c| c == '`').collect();
        match &fence {
            Some(f) if ticks.len() >= f.len() && line.trim_end() == ticks => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => out.push(line),
        }
    }
    assert!(fence.is_none(), "unclosed code block");
    out
}

/// The text a reader sees for inline Markdown: escapes and entities resolved, code
/// span backticks dropped.
fn displayed(inline: &str) -> String {
    let mut out = String::new();
    let mut chars = inline.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(char::is_ascii_punctuation) => {
                out.push(chars.next().unwrap());
            }
            '`' => {}
            c => out.push(c),
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// GitHub's heading anchor: lower case, punctuation other than `-` and `_` dropped, spaces
/// to hyphens.
fn github_slug(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// (level, displayed text, slug) of every ATX heading outside code blocks.
fn headings(md: &str) -> Vec<(usize, String, String)> {
    prose_lines(md)
        .into_iter()
        .filter_map(|line| {
            let level = line.chars().take_while(|&c| c == '#').count();
            let rest = line.get(level..)?;
            (level > 0 && level <= 6 && rest.starts_with(' ')).then(|| {
                let text = displayed(rest.trim());
                let slug = github_slug(&text);
                (level, text, slug)
            })
        })
        .collect()
}

fn rule_annotations(files: &[RenderedFile]) -> Vec<(String, String)> {
    let doc = Value::deserialize(
        serde_yaml::Deserializer::from_str(contents(files, monitoring::RULE_FILE))
            .next()
            .unwrap(),
    )
    .unwrap();
    doc["spec"]["groups"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_sequence().unwrap().iter())
        .map(|r| {
            (
                r["alert"].as_str().unwrap().to_string(),
                r["annotations"]["runbook_url"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

/// A config whose display names try to break Markdown, tables and headings.
const NASTY_TERRITORIES: &str = r##"
[app]
name = "shop"
namespace = "shop"
image = "registry.example.com/shop:1"
runbook_url = "https://wiki.example.com/shop/runbook"

[workloads.read]
p95_ms = 250
port = 8080
scale_down_window = "5m"

[workloads.write]
p95_ms = 400
port = 8080
scale_down_window = "5m"

[territories.UK]
name = "# Not | a *heading* <script>alert(1)</script> [x](javascript:y) `code`"
timezone = "Europe/London"
read = { min = 1, max = 5, rps_per_replica = 10 }
write = { min = 1, max = 2, rps_per_replica = 5 }

[territories.IE]
name = "1. Éire | \\ {{ x }} ---"
timezone = "Europe/Dublin"
read = { min = 2, max = 4, rps_per_replica = 10 }
write = { min = 1, max = 1, rps_per_replica = 5 }

[events]
channel = "shop_events"
types = ["order.placed"]
critical = ["order.placed"]
journal_threshold = 0.6
critical_threshold = 0.9

[alerts]
emergency_p95_ms = 900
"##;

const NASTY_CALENDAR: &str = r##"
[[season]]
id = "sale"
name = "| Sale | with ||| pipes & <b>bold</b> \\"
from = "11-20"
to = "02-10"
hours = "20:00-01:30"
floor.UK = { read = 4 }
floor.IE = { read = 3 }

[[campaign]]
id = "promo"
name = "- **Promo** _2031_ ~~x~~ > quote"
from = "2031-05-01"
to = "2031-05-03"
hours = "06:15-23:45"
days = "sat,sun"
floor.IE = { read = 4 }

[[blackout]]
id = "holiday"
name = "Holiday | off"
from = "2031-05-02"
to = "2031-05-02"
territories = ["IE"]
"##;

fn nasty() -> Vec<RenderedFile> {
    render(
        NASTY_TERRITORIES,
        &[("nasty.toml".to_string(), NASTY_CALENDAR.to_string())],
    )
}

#[test]
fn every_alert_has_a_section_whose_slug_is_its_runbook_anchor() {
    for files in [render_default(), nasty()] {
        let md = runbook(&files);
        let heads = headings(md);
        for spec in catalog::ALERTS {
            let section = heads
                .iter()
                .find(|(_, text, _)| text == spec.name)
                .unwrap_or_else(|| panic!("no section for {}", spec.name));
            assert_eq!(section.0, 3, "{} is a level-3 heading", spec.name);
            assert_eq!(section.2, spec.anchor());
        }
        let slugs: BTreeSet<&str> = heads.iter().map(|(_, _, s)| s.as_str()).collect();
        let annotations = rule_annotations(&files);
        assert!(!annotations.is_empty());
        for (alert, url) in annotations {
            let (_, anchor) = url.rsplit_once('#').expect("runbook_url has an anchor");
            assert_eq!(anchor, alert.to_ascii_lowercase());
            assert!(slugs.contains(anchor), "{url} does not resolve");
        }
    }
}

#[test]
fn headings_are_unique_and_internal_links_resolve() {
    for files in [render_default(), nasty()] {
        let md = runbook(&files);
        let heads = headings(md);
        let mut seen = BTreeSet::new();
        for (_, text, slug) in &heads {
            assert!(
                seen.insert(slug.clone()),
                "duplicate heading {text:?} ({slug})"
            );
        }
        assert_eq!(heads.iter().filter(|(l, _, _)| *l == 1).count(), 1);
        let mut links = 0;
        for line in prose_lines(md) {
            for part in line.split("](#").skip(1) {
                let target = part.split(')').next().unwrap();
                assert!(seen.contains(target), "dangling link #{target}");
                links += 1;
            }
        }
        assert!(links > catalog::ALERTS.len());
    }
}

/// The text of the section under `heading` (a whole heading line), up to the next heading
/// of the same or a higher level.
fn section<'a>(md: &'a str, heading: &str) -> &'a str {
    let level = heading.chars().take_while(|&c| c == '#').count();
    let body = md
        .split(&format!("\n{heading}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("no section {heading:?}"));
    let end = (1..=level)
        .filter_map(|l| body.find(&format!("\n{} ", "#".repeat(l))))
        .min()
        .unwrap_or(body.len());
    &body[..end]
}

#[test]
fn contents_lists_every_section_and_the_database_sections_are_linked() {
    for files in [render_default(), nasty()] {
        let md = runbook(&files);
        let heads = headings(md);
        let listed: Vec<&str> = section(md, "## Contents")
            .lines()
            .filter_map(|l| l.strip_prefix("- ["))
            .map(|l| l.split("](#").nth(1).unwrap().trim_end_matches(')'))
            .collect();
        let chapters: Vec<&str> = heads
            .iter()
            .filter(|(level, _, slug)| *level == 2 && slug != "contents")
            .map(|(_, _, slug)| slug.as_str())
            .collect();
        assert_eq!(listed, chapters, "the contents list every chapter in order");
        for slug in [
            "dead-letters",
            "journal-retention",
            "database-roles-and-trust-model",
            "migrations-and-tuned-settings",
            "changing-territories-or-event-types",
        ] {
            assert!(chapters.contains(&slug), "no chapter #{slug}");
        }
        assert!(heads
            .iter()
            .any(|(level, _, slug)| *level == 3 && slug == "oversized-payloads"));
        // The alerts send on-call to the procedures.
        let stuck = section(md, "### ScalingJournalStuck");
        assert!(
            stuck.contains("Follow [Dead letters](#dead-letters)"),
            "{stuck}"
        );
        let overdue = section(md, "### ScalingJournalRetentionOverdue");
        assert!(overdue.contains("](#journal-retention)"), "{overdue}");
        assert!(section(md, "### Journal lag above the limit").contains("](#dead-letters)"));
    }
    // R__scaling_config.sql's hint names the chapter on removing codes.
    let files = render_default();
    let repeatable = contents(&files, "db/R__scaling_config.sql");
    assert!(repeatable.contains("(runbook: changing territories)"));
    assert!(runbook(&files).contains("\n## Changing territories or event types\n"));
}

#[test]
fn database_chapters_state_procedures_roles_and_the_trust_model() {
    let files = render_default();
    let md = runbook(&files);
    let dead = section(md, "## Dead letters");
    for text in [
        "attempts >= 3",
        "scaling_requeue_dead_letters(ARRAY[123])",
        "scaling_discard_dead_letters(ARRAY[123, 124])",
        "not in\n`scaling_journal_oldest_pending_seconds`",
        "7999 bytes",
        "the event is refused, not lost",
    ] {
        assert!(dead.contains(text), "dead letters lack {text:?}:\n{dead}");
    }
    let roles = section(md, "## Database roles and trust model");
    let table: Vec<&str> = roles.lines().filter(|l| l.starts_with("| `")).collect();
    assert_eq!(table.len(), 4, "{roles}");
    for (row, role) in table.iter().zip([
        "scaling_publisher",
        "scaling_replayer",
        "scaling_monitor",
        "scaling_maintainer",
    ]) {
        assert!(row.starts_with(&format!("| `{role}`")), "{row}");
    }
    assert!(table[1].contains("Secret `freshplan-api-journal-replay`"));
    assert!(table[3].contains("Secret `freshplan-api-journal-retention`"));
    for text in [
        "does not stop a hostile\n  role",
        "SQLSTATE 42501",
        "LISTEN/NOTIFY has no access control",
        "Consumers must not trust\n  an envelope's claims",
        "`SECURITY INVOKER`",
        "`EXECUTE` is revoked\n  from `PUBLIC`",
    ] {
        assert!(roles.contains(text), "trust model lacks {text:?}:\n{roles}");
    }
    let migrations = section(md, "## Migrations and tuned settings");
    for text in [
        "`V226__listener_and_journal.sql` is the same for every configuration",
        "`R__scaling_config.sql` holds what the configuration decides",
        "default_journal_threshold",
        "SQLSTATE 23514",
    ] {
        assert!(migrations.contains(text), "migrations lack {text:?}");
    }
    let removing = section(md, "## Changing territories or event types");
    assert!(removing.contains(
        "DELETE FROM scaling_event_journal WHERE territory = 'PL' AND published_at IS NOT NULL;"
    ));
    assert!(section(md, "## Metric sources").contains("granted `scaling_monitor`"));
}

/// Unescaped `|` in a table line.
fn pipes(line: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    n
}

#[test]
fn tables_keep_their_columns_and_alignment_whatever_the_names() {
    for files in [render_default(), nasty()] {
        let md = runbook(&files);
        let mut tables = 0;
        let mut block: Vec<&str> = Vec::new();
        for line in prose_lines(md).into_iter().chain([""]) {
            if line.starts_with('|') {
                block.push(line);
                continue;
            }
            if !block.is_empty() {
                tables += 1;
                let columns = pipes(block[0]);
                let width = block[0].chars().count();
                assert!(block[1].chars().all(|c| "|- ".contains(c)), "{}", block[1]);
                for row in &block {
                    assert_eq!(pipes(row), columns, "row breaks the table: {row}");
                    assert_eq!(row.chars().count(), width, "row not aligned: {row}");
                }
                block.clear();
            }
        }
        assert!(tables >= 8, "{tables} tables");
    }
}

#[test]
fn display_names_are_escaped_everywhere() {
    let files = nasty();
    let md = runbook(&files);
    let prose = prose_lines(md).join("\n");
    for raw in ["<script>", "<b>", "](javascript:", "**Promo**", "{{ x }}"] {
        assert!(!prose.contains(raw), "unescaped {raw:?}");
    }
    // No display name starts a line, so none becomes a heading or list item.
    for line in prose_lines(md) {
        assert!(!line.starts_with("1. Éire") && !line.starts_with("- \\*\\*"));
        assert!(!line.starts_with("# Not"));
    }
    let heads = headings(md);
    assert!(heads
        .iter()
        .any(|(l, text, _)| *l == 3 && text.starts_with("UK — # Not | a *heading* <script>")));
    assert!(heads
        .iter()
        .any(|(_, text, _)| text == "IE — 1. Éire | \\ {{ x }} ---"));
}

#[test]
fn calendar_table_lists_dates_hours_and_floors_per_territory() {
    let files = render_default();
    let md = runbook(&files);
    let row = |needle: &[&str]| {
        md.lines()
            .find(|l| l.starts_with('|') && needle.iter().all(|n| l.contains(n)))
            .unwrap_or_else(|| panic!("no row with {needle:?}"))
    };
    let de_oktoberfest = row(&["Oktoberfest (oktoberfest)", "| DE "]);
    assert!(de_oktoberfest.contains("09-01 – 10-15 every year"));
    assert!(de_oktoberfest.contains("08:00–20:00"));
    let cells: Vec<&str> = de_oktoberfest.split('|').map(str::trim).collect();
    // Entry, Kind, Dates, Hours, Floors open, Days, Territory, commands floor, queries floor.
    assert_eq!(&cells[7..10], ["DE", "2", "4"]);
    let ch_black_week = row(&["Black Week 2027", "| CH "]);
    assert!(ch_black_week.contains("2027-11-22 – 2027-11-26"));
    let cells: Vec<&str> = ch_black_week.split('|').map(str::trim).collect();
    assert_eq!(&cells[8..10], ["–", "4"]);
    assert!(row(&["Weihnachtsfeiertage (christmas-days)"]).contains("12-25 – 12-26 every year"));
    assert!(row(&["black-week-2027", "campaign", "2027-11-26", "UTC"]).contains("20:00 UTC"));
    for heading in [
        "### AT — Österreich",
        "### CH — Schweiz",
        "### DE — Deutschland",
    ] {
        assert!(md.contains(heading), "{heading}");
    }
    for section in [
        "## Emergency procedures",
        "## Journal replay",
        "## Adding a campaign (SalesOps)",
        "## Metric sources",
    ] {
        assert!(md.contains(section), "{section}");
    }
    assert!(md.contains("SELECT replay_pending(500);"));
}

#[test]
fn odd_calendars_read_correctly() {
    let files = nasty();
    let md = runbook(&files);
    let shown: Vec<String> = prose_lines(md).into_iter().map(displayed).collect();
    let sale = shown
        .iter()
        .find(|l| l.contains("bold</b> \\ (sale)") && l.contains("| UK "))
        .expect("sale row for UK");
    assert!(sale.starts_with("| | Sale | with ||| pipes & <b>bold</b>"));
    assert!(sale.contains("11-20 – 02-10 every year, across New Year"));
    assert!(sale.contains("20:00–01:30 (ends the next day)"));
    let promo = shown
        .iter()
        .find(|l| l.contains("- **Promo** _2031_ ~~x~~ > quote (promo)"))
        .expect("promo row");
    assert!(promo.contains("sat, sun") && promo.contains("06:15–23:45"));
    assert!(shown
        .iter()
        .any(|l| l.contains("| Holiday | off (holiday) | 2031-05-02 | IE")));
}

/// Renders the default config with `replace` applied to territories.toml.
fn with(replace: &[(&str, &str)]) -> Vec<RenderedFile> {
    let mut t = default_territories();
    for (from, to) in replace {
        assert!(t.contains(from), "{from} not in territories.toml");
        t = t.replacen(from, to, 1);
    }
    render(&t, &default_calendars())
}

#[test]
fn changing_a_threshold_changes_alert_tests_and_runbook_together() {
    let before = render_default();
    let after = with(&[
        ("emergency_p95_ms = 500", "emergency_p95_ms = 750"),
        ("outbox_lag_seconds = 60", "outbox_lag_seconds = 90"),
        (
            "notify_queue_critical = 0.95",
            "notify_queue_critical = 0.97",
        ),
    ]);
    let rules = |f: &[RenderedFile]| contents(f, monitoring::RULE_FILE).to_string();
    let tests = |f: &[RenderedFile]| contents(f, monitoring::TEST_FILE).to_string();
    let book = |f: &[RenderedFile]| runbook(f).to_string();

    // Alert expressions.
    assert!(rules(&before).contains("[2m]))) > 0.5\""));
    assert!(!rules(&after).contains("[2m]))) > 0.5\""));
    assert!(rules(&after).contains("[2m]))) > 0.75\""));
    assert!(rules(&after).contains("oldest_pending_seconds{territory=\\\"DE\\\"}) > 90\""));
    assert!(rules(&after).contains("max(scaling_notify_queue_usage_ratio) > 0.97\""));

    // promtool tests probe the new thresholds (1 ms under and over, exactly at and above).
    assert!(
        tests(&after).contains("le=\\\"0.749\\\"") && tests(&after).contains("le=\\\"0.751\\\"")
    );
    assert!(!tests(&after).contains("le=\\\"0.501\\\""));
    assert!(tests(&after).contains("values: \"90+0x"));
    assert!(tests(&after).contains("values: \"91+0x"));
    assert!(tests(&after).contains("values: \"0.97+0x"));
    assert!(tests(&after).contains("values: \"0.971+0x"));
    assert!(tests(&after).contains("over the emergency threshold of 750 ms"));

    // Runbook.
    assert!(book(&before).contains("threshold 500 ms"));
    assert!(book(&after).contains("threshold 750 ms"));
    assert!(book(&after).contains("| p95 > 750 ms"));
    assert!(!book(&after).contains("500 ms"));
    assert!(book(&after).contains("limit 90 s"));
    assert!(book(&after).contains("| oldest pending > 90 s"));
    assert!(book(&after).contains("queue usage > 97 %"));
    assert!(!book(&after).contains("> 60 s"));
}

#[test]
fn changing_a_territory_target_moves_only_that_deployment() {
    let after = with(&[("p95_ms = 400", "p95_ms = 420")]);
    let rules = contents(&after, monitoring::RULE_FILE);
    let tests = contents(&after, monitoring::TEST_FILE);
    let md = runbook(&after);
    assert!(rules.contains("territory=\\\"AT\\\",workload=\\\"queries\\\"}[2m]))) > 0.42\""));
    assert!(rules.contains("territory=\\\"CH\\\",workload=\\\"queries\\\"}[2m]))) > 0.35\""));
    assert!(tests.contains("territory=\\\"AT\\\",workload=\\\"queries\\\",le=\\\"0.421\\\""));
    let at_row = md
        .lines()
        .find(|l| l.starts_with("| AT ") && l.contains("freshplan-api-queries-at"))
        .unwrap();
    assert!(at_row.ends_with("| 420 ms     |"), "{at_row}");
}
