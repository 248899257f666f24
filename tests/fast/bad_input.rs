//! A corpus of about a hundred hostile inputs run through the binary (issue 12's
//! acceptance, in the open): every case exits 2, names the right file and line
//! (`--> file:line:col`), panics nowhere, and leaves a rendered `--out` byte for byte
//! as it was.

use crate::support::bin::{all_output, code, init_project, scalegen, tree};
use std::path::Path;

/// One hostile input: what to change in a fresh `scalegen init` project, and where the
/// error must point (file, and the line holding `needle` in that file's new text, or
/// line 1 when the needle is empty).
struct Case {
    name: &'static str,
    file: &'static str,
    text: String,
    needle: &'static str,
}

const T: &str = "territories.toml";

fn default_territories() -> String {
    scalegen::config::example::TERRITORIES.to_string()
}

/// territories.toml with `from` replaced by `to` once; the error is on the line of `needle`.
fn t(name: &'static str, from: &str, to: &str, needle: &'static str) -> Case {
    let text = default_territories();
    assert!(
        text.contains(from),
        "{name}: `{from}` is not in territories.toml"
    );
    Case {
        name,
        file: T,
        text: text.replacen(from, to, 1),
        needle,
    }
}

/// A calendar file `calendars/zz.toml` with `text`.
fn c(name: &'static str, text: &str, needle: &'static str) -> Case {
    Case {
        name,
        file: "calendars/zz.toml",
        text: text.to_string(),
        needle,
    }
}

/// A season with `body` after its id.
fn season(body: &str) -> String {
    format!("[[season]]\nid = \"s\"\n{body}\n")
}

const OK_SEASON: &str =
    "from = \"01-01\"\nto = \"01-31\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }";

fn territory_cases() -> Vec<Case> {
    vec![
        t("truncated table header", "[events]", "[events", "[events"),
        t(
            "truncated string",
            "name = \"freshplan-api\"",
            "name = \"freshplan-api",
            "name = \"freshplan-api",
        ),
        t(
            "huge integer",
            "max = 6",
            "max = 99999999999999999999",
            "max = 99999999999999999999",
        ),
        t("negative min", "min = 2", "min = -2", "min = -2"),
        t("zero max", "max = 6", "max = 0", "max = 0"),
        t("max over 1000", "max = 6", "max = 1001", "max = 1001"),
        t(
            "min over max",
            "min = 2, max = 6",
            "min = 7, max = 6",
            "min = 7, max = 6",
        ),
        t("float for integer", "max = 6", "max = 6.5", "max = 6.5"),
        t(
            "nan rps",
            "rps_per_replica = 80",
            "rps_per_replica = nan",
            "rps_per_replica = nan",
        ),
        t(
            "inf rps",
            "rps_per_replica = 80",
            "rps_per_replica = inf",
            "rps_per_replica = inf",
        ),
        t(
            "negative rps",
            "rps_per_replica = 80",
            "rps_per_replica = -80",
            "rps_per_replica = -80",
        ),
        t(
            "zero rps",
            "rps_per_replica = 80",
            "rps_per_replica = 0",
            "rps_per_replica = 0",
        ),
        t(
            "negative baseline",
            "baseline_rps = 120",
            "baseline_rps = -1",
            "baseline_rps = -1",
        ),
        t(
            "string for integer",
            "p95_ms = 300",
            "p95_ms = \"300\"",
            "p95_ms = \"300\"",
        ),
        t(
            "bool for integer",
            "port = 8080",
            "port = true",
            "port = true",
        ),
        t("port zero", "port = 8080", "port = 0", "port = 0"),
        t(
            "port too big",
            "port = 8080",
            "port = 70000",
            "port = 70000",
        ),
        t(
            "date for integer",
            "p95_ms = 300",
            "p95_ms = 2026-01-01",
            "p95_ms = 2026-01-01",
        ),
        t(
            "array for table",
            "regions = { BY = 0.25, BW = 0.20 }",
            "regions = [0.25]",
            "regions = [0.25]",
        ),
        t(
            "string for table",
            "regions = { BY = 0.25, BW = 0.20 }",
            "regions = \"BY\"",
            "regions = \"BY\"",
        ),
        t("region share over 1", "BY = 0.25", "BY = 1.5", "BY = 1.5"),
        t(
            "region shares over 1 in sum",
            "BY = 0.25, BW = 0.20",
            "BY = 0.75, BW = 0.5",
            "BY = 0.75, BW = 0.5",
        ),
        t(
            "bad region code",
            "BY = 0.25",
            "bayern = 0.25",
            "bayern = 0.25",
        ),
        t(
            "unknown timezone",
            "Europe/Berlin",
            "Europe/Berln",
            "timezone = \"Europe/Berln\"",
        ),
        t(
            "offset timezone",
            "Europe/Berlin",
            "UTC+01:00",
            "timezone = \"UTC+01:00\"",
        ),
        t(
            "empty timezone",
            "\"Europe/Berlin\"",
            "\"\"",
            "timezone = \"\"",
        ),
        t(
            "lower-case territory",
            "[territories.DE]",
            "[territories.de]",
            "[territories.de]",
        ),
        t(
            "three-letter territory",
            "[territories.DE]",
            "[territories.DEU]",
            "[territories.DEU]",
        ),
        t(
            "unknown key",
            "timezone = \"Europe/Zurich\"",
            "timezon = \"Europe/Zurich\"",
            "timezon = \"Europe/Zurich\"",
        ),
        t(
            "unknown key in app",
            "migration_version = 226",
            "migration_versoin = 226",
            "migration_versoin = 226",
        ),
        t(
            "duplicate key",
            "name = \"Deutschland\"",
            "name = \"Deutschland\"\nname = \"Again\"",
            "name = \"Again\"",
        ),
        t(
            "duplicate table",
            "[alerts]",
            "[events]\n[alerts]",
            "[events]\n[alerts]",
        ),
        t(
            "bidi override in name",
            "name = \"Deutschland\"",
            "name = \"Deutsch\u{202e}land\"",
            "name = \"Deutsch\u{202e}land\"",
        ),
        t(
            "zero-width space in name",
            "name = \"Schweiz\"",
            "name = \"Sch\u{200b}weiz\"",
            "name = \"Sch\u{200b}weiz\"",
        ),
        t(
            "newline in name",
            "name = \"Schweiz\"",
            "name = \"Sch\\nweiz\"",
            "name = \"Sch\\nweiz\"",
        ),
        t(
            "empty name",
            "name = \"Schweiz\"",
            "name = \"\"",
            "name = \"\"",
        ),
        t(
            "app name with capital",
            "name = \"freshplan-api\"",
            "name = \"Freshplan-api\"",
            "name = \"Freshplan-api\"",
        ),
        t(
            "app name too long",
            "name = \"freshplan-api\"",
            &format!("name = \"{}\"", "a".repeat(70)),
            "name = \"aaaa",
        ),
        t(
            "namespace with dot",
            "namespace = \"freshplan\"",
            "namespace = \"fresh.plan\"",
            "namespace = \"fresh.plan\"",
        ),
        t(
            "image with space",
            "image = \"registry",
            "image = \"regis try",
            "image = \"regis try",
        ),
        t(
            "empty image",
            "image = \"registry.example.com/freshfoodz/freshplan-api:1.42.0\"",
            "image = \"\"",
            "image = \"\"",
        ),
        t(
            "runbook not http",
            "https://wiki.example.com/runbooks/runbook-seasonal",
            "ftp://wiki",
            "runbook_url = \"ftp://wiki\"",
        ),
        t(
            "runbook with template",
            "runbook-seasonal\"",
            "{{ .Labels }}\"",
            "runbook_url",
        ),
        t(
            "keda version garbage",
            "keda_version = \"2.17\"",
            "keda_version = \"two\"",
            "keda_version = \"two\"",
        ),
        t(
            "migration version zero",
            "migration_version = 226",
            "migration_version = 0",
            "migration_version = 0",
        ),
        t(
            "scale down window too long",
            "scale_down_window = \"5m\"",
            "scale_down_window = \"2h\"",
            "scale_down_window = \"2h\"",
        ),
        t(
            "scale down window fraction",
            "scale_down_window = \"5m\"",
            "scale_down_window = \"1.5m\"",
            "scale_down_window = \"1.5m\"",
        ),
        t(
            "negative duration",
            "scale_down_window = \"5m\"",
            "scale_down_window = \"-5m\"",
            "scale_down_window = \"-5m\"",
        ),
        t(
            "bad quantity",
            "cpu = \"250m\"",
            "cpu = \"lots\"",
            "cpu = \"lots\"",
        ),
        t(
            "request over limit",
            "requests = { cpu = \"250m\"",
            "requests = { cpu = \"4\"",
            "limits = { cpu = \"1\", memory = \"1Gi\" }\n\n[workloads.commands]",
        ),
        t(
            "bad workload name",
            "[workloads.queries]",
            "[workloads.Queries]",
            "[workloads.Queries]",
        ),
        t(
            "territory missing a workload",
            "commands = { min = 1, max = 4, rps_per_replica = 30, baseline_rps = 25 }\n",
            "",
            "[territories.DE]",
        ),
        t(
            "missing app key",
            "image = \"registry.example.com/freshfoodz/freshplan-api:1.42.0\"\n",
            "",
            "[app]",
        ),
        t(
            "journal over critical",
            "journal_threshold = 0.70",
            "journal_threshold = 0.99",
            "critical_threshold = 0.95",
        ),
        t(
            "threshold out of range",
            "journal_threshold = 0.70",
            "journal_threshold = 1.5",
            "journal_threshold = 1.5",
        ),
        t(
            "critical not a type",
            "critical = [\"credit.checked\"]",
            "critical = [\"credit.denied\"]",
            "critical = [\"credit.denied\"]",
        ),
        t(
            "bad event type",
            "\"sample.delivered\"",
            "\"Sample Delivered\"",
            "types = [",
        ),
        t(
            "empty types",
            "types = [\"lead.status.changed\", \"sample.delivered\", \"credit.checked\"]",
            "types = []",
            "types = []",
        ),
        t(
            "bad channel",
            "channel = \"freshplan_events\"",
            "channel = \"fresh-plan\"",
            "channel = \"fresh-plan\"",
        ),
        t(
            "warning over critical",
            "notify_queue_warning = 0.70",
            "notify_queue_warning = 0.99",
            "notify_queue_critical = 0.95",
        ),
        t(
            "idle ratio zero",
            "prescale_idle_ratio = 0.2",
            "prescale_idle_ratio = 0",
            "prescale_idle_ratio = 0",
        ),
        t(
            "bad idle duration",
            "prescale_idle_for = \"30m\"",
            "prescale_idle_for = \"half an hour\"",
            "prescale_idle_for",
        ),
        t(
            "deeply nested",
            "[alerts]",
            &format!("x = {}1{}\n[alerts]", "[".repeat(200), "]".repeat(200)),
            "x = [[[",
        ),
        t(
            "control character",
            "name = \"Schweiz\"",
            "name = \"Schweiz\u{1}\"",
            "name = \"Schweiz",
        ),
        t("NUL byte", "[events]", "[events]\u{0}", "[events]"),
        t(
            "huge string value",
            "name = \"Schweiz\"",
            &format!("name = \"{}\"", "x".repeat(100_000)),
            "name = \"xxx",
        ),
        t(
            "huge key",
            "name = \"Schweiz\"",
            &format!("{} = 1", "k".repeat(5000)),
            "kkkk",
        ),
        t(
            "pods run as root",
            "[events]",
            "[pods]\nrun_as_user = 0\n\n[events]",
            "run_as_user = 0",
        ),
        t(
            "pods unknown key",
            "[events]",
            "[pods]\nrun_as = 1\n\n[events]",
            "run_as = 1",
        ),
        Case {
            name: "vertical tabs and DEL (found by cargo fuzz: a panic in the snippet renderer)",
            file: T,
            text: format!(
                "{}K{}#\u{b}\u{7f}\u{0}#\n",
                "\u{b}".repeat(40),
                "\u{b}".repeat(110)
            ),
            needle: "",
        },
        t(
            "terminal escape next to an error",
            "max = 6",
            "max = 0 # \u{1b}]0;pwned\u{7}\u{1b}[2J",
            "max = 0",
        ),
    ]
}

fn calendar_cases() -> Vec<Case> {
    vec![
        c("truncated entry", "[[season]]\nid = \"s\"\nfrom = \"01-", "from = \"01-"),
        c("missing to in the third season", &format!("{}{}[[season]]\nid = \"c\"\nfrom = \"01-01\"\nhours = \"08:00-09:00\"\nfloor.DE = {{ queries = 3 }}\n", season(OK_SEASON).replace("\"s\"", "\"a\""), season(OK_SEASON).replace("\"s\"", "\"b\"")), "\n[[season]]\nid = \"c\""),
        c("missing floor", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"08:00-09:00\""), "[[season]]"),
        c("empty floor", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"08:00-09:00\"\nfloor.DE = {}"), "floor.DE = {}"),
        c("no floor at all", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"08:00-09:00\"\nfloor = {}"), "floor = {}"),
        c("hours as integer", &season("from = \"01-01\"\nto = \"01-31\"\nhours = 8\nfloor.DE = { queries = 3 }"), "hours = 8"),
        c("month 13", &season("from = \"13-01\"\nto = \"12-31\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }"), "from = \"13-01\""),
        c("day 0", &season("from = \"01-00\"\nto = \"12-31\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }"), "from = \"01-00\""),
        c("february 30", "[[campaign]]\nid = \"c\"\nfrom = \"2026-02-30\"\nto = \"2026-03-01\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }\n", "from = \"2026-02-30\""),
        c("feb 29 recurring", &season("from = \"02-29\"\nto = \"03-31\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }"), "from = \"02-29\""),
        c("feb 29 in a common year", "[[campaign]]\nid = \"c\"\nfrom = \"2027-02-29\"\nto = \"2027-03-01\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }\n", "from = \"2027-02-29\""),
        c("year 0026", "[[campaign]]\nid = \"c\"\nfrom = \"0026-02-01\"\nto = \"2026-03-01\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }\n", "from = \"0026-02-01\""),
        c("dated range backwards", "[[campaign]]\nid = \"c\"\nfrom = \"2026-03-01\"\nto = \"2026-02-01\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }\n", "to = \"2026-02-01\""),
        c("mixed date forms", "[[blackout]]\nid = \"b\"\nfrom = \"12-24\"\nto = \"2026-12-26\"\n", "to = \"2026-12-26\""),
        c("native toml date", "[[campaign]]\nid = \"c\"\nfrom = 2026-02-01\nto = \"2026-03-01\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }\n", "from = 2026-02-01"),
        c("hour 24:01", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"08:00-24:01\"\nfloor.DE = { queries = 3 }"), "hours = \"08:00-24:01\""),
        c("hour 25", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"25:00-26:00\"\nfloor.DE = { queries = 3 }"), "hours = \"25:00-26:00\""),
        c("minute 60", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"08:60-09:00\"\nfloor.DE = { queries = 3 }"), "hours = \"08:60-09:00\""),
        c("start equals end", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"08:00-08:00\"\nfloor.DE = { queries = 3 }"), "hours = \"08:00-08:00\""),
        c("24:00 as start", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"24:00-08:00\"\nfloor.DE = { queries = 3 }"), "hours = \"24:00-08:00\""),
        c("spaces in hours", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"08:00 - 09:00\"\nfloor.DE = { queries = 3 }"), "hours = \"08:00 - 09:00\""),
        c("one-digit hour", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"8:00-09:00\"\nfloor.DE = { queries = 3 }"), "hours = \"8:00-09:00\""),
        c("empty days", &season(&format!("{OK_SEASON}\ndays = \"\"")), "days = \"\""),
        c("unknown day", &season(&format!("{OK_SEASON}\ndays = \"mon-fry\"")), "days = \"mon-fry\""),
        c("duplicate day", &season(&format!("{OK_SEASON}\ndays = \"mon,mon\"")), "days = \"mon,mon\""),
        c("upper-case day", &season(&format!("{OK_SEASON}\ndays = \"MON\"")), "days = \"MON\""),
        c("days on a partial month", &season("from = \"01-05\"\nto = \"01-20\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }\ndays = \"mon-fri\""), "days = \"mon-fri\""),
        c("floor over max", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 99 }"), "floor.DE = { queries = 99 }"),
        c("floor zero", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 0 }"), "floor.DE = { queries = 0 }"),
        c("negative floor", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = -3 }"), "floor.DE = { queries = -3 }"),
        c("floor not a table", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"08:00-09:00\"\nfloor.DE = 3"), "floor.DE = 3"),
        c("floor unknown territory", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"08:00-09:00\"\nfloor.XX = { queries = 3 }"), "floor.XX = { queries = 3 }"),
        c("floor unknown workload", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"08:00-09:00\"\nfloor.DE = { querys = 3 }"), "floor.DE = { querys = 3 }"),
        c("negative load", &season(&format!("{OK_SEASON}\nload = {{ DE = -1.0 }}")), "load = { DE = -1.0 }"),
        c("nan load", &season(&format!("{OK_SEASON}\nload = {{ DE = nan }}")), "load = { DE = nan }"),
        c("load unknown region", &season(&format!("{OK_SEASON}\nload = {{ \"DE-XX\" = 2.0 }}")), "load = { \"DE-XX\" = 2.0 }"),
        c("bad id", &season(OK_SEASON).replace("id = \"s\"", "id = \"Bad Id\""), "id = \"Bad Id\""),
        c("id too long", &season(OK_SEASON).replace("id = \"s\"", &format!("id = \"{}\"", "a".repeat(41))), "id = \"aaaa"),
        c("duplicate id across files", &season(OK_SEASON).replace("id = \"s\"", "id = \"oktoberfest\""), "id = \"oktoberfest\""),
        c("duplicate id in one file", &format!("{}{}", season(OK_SEASON), season(OK_SEASON).replace("id = \"s\"", "id = \"s\" # again")), "id = \"s\" # again"),
        c("unknown table", "[[holiday]]\nid = \"b\"\n", "[[holiday]]"),
        c("season as integer", "season = 1\n", "season = 1"),
        c("season as table", "[season]\nid = \"s\"\n", "[season]"),
        c("unknown key in entry", &season(&format!("{OK_SEASON}\nflor = 1")), "flor = 1"),
        c("blackout with hours", "[[blackout]]\nid = \"b\"\nfrom = \"12-24\"\nto = \"12-26\"\nhours = \"08:00-09:00\"\n", "hours = \"08:00-09:00\""),
        c("blackout empty territories", "[[blackout]]\nid = \"b\"\nfrom = \"12-24\"\nto = \"12-26\"\nterritories = []\n", "territories = []"),
        c("blackout unknown territory", "[[blackout]]\nid = \"b\"\nfrom = \"12-24\"\nto = \"12-26\"\nterritories = [\"XX\"]\n", "territories = [\"XX\"]"),
        c("name with bidi override", &season(&format!("{OK_SEASON}\nname = \"a\u{202e}b\"")), "name = \"a\u{202e}b\""),
        c("name too long", &season(&format!("{OK_SEASON}\nname = \"{}\"", "n".repeat(201))), "name = \"nnn"),
        c("unterminated multi-line string", &season("from = \"\"\"01-01"), "from = \"\"\"01-01"),
        c("bare key garbage", "@@@ = 1\n", "@@@ = 1"),
        c("CRLF and a bad value", &season("from = \"01-01\"\nto = \"01-31\"\nhours = \"08:00-99:00\"\nfloor.DE = { queries = 3 }").replace('\n', "\r\n"), "hours = \"08:00-99:00\""),
        c("BOM and a bad value", &format!("\u{feff}{}", season("from = \"01-01\"\nto = \"01-31\"\nhours = \"08:00-99:00\"\nfloor.DE = { queries = 3 }")), "hours = \"08:00-99:00\""),
        c("campaign with recurring dates", "[[campaign]]\nid = \"c\"\nfrom = \"02-02\"\nto = \"02-03\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }\n", "from = \"02-02\""),
    ]
}

/// The 1-based line of `needle` in `text` (a needle starting with line breaks counts
/// from the first line after them), 1 when empty.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in the case text"));
    let skip = needle.len() - needle.trim_start_matches('\n').len();
    text[..at + skip].matches('\n').count() + 1
}

/// A rendered project; its `--out` tree before any bad input.
fn rendered() -> (
    tempfile::TempDir,
    std::collections::BTreeMap<std::path::PathBuf, Option<Vec<u8>>>,
) {
    let project = init_project();
    let o = scalegen(project.path(), &["render"]);
    assert_eq!(code(&o), 0, "{}", all_output(&o));
    let before = tree(&project.path().join("deploy/generated"));
    (project, before)
}

fn run_case(
    dir: &Path,
    case: &Case,
    before: &std::collections::BTreeMap<std::path::PathBuf, Option<Vec<u8>>>,
) -> Result<(), String> {
    let path = dir.join(case.file);
    let original = std::fs::read(&path).ok();
    std::fs::write(&path, &case.text).unwrap();
    let o = scalegen(dir, &["render"]);
    let shown = all_output(&o);
    match original {
        Some(bytes) => std::fs::write(&path, bytes).unwrap(),
        None => std::fs::remove_file(&path).unwrap(),
    }
    let line = if case.needle.is_empty() {
        1
    } else {
        line_of(&case.text, case.needle)
    };
    let location = format!("--> {}:{line}:", case.file);
    let head: String = shown.chars().take(1500).collect();
    if code(&o) != 2 {
        return Err(format!(
            "{}: exit {} instead of 2\n{head}",
            case.name,
            code(&o)
        ));
    }
    if shown.contains('\u{1b}') {
        return Err(format!(
            "{}: a terminal escape reached the output",
            case.name
        ));
    }
    if shown.contains("panicked") {
        return Err(format!("{}: panicked\n{head}", case.name));
    }
    if !shown.contains(&location) {
        return Err(format!("{}: expected `{location}`\n{head}", case.name));
    }
    if &tree(&dir.join("deploy/generated")) != before {
        return Err(format!("{}: --out changed", case.name));
    }
    Ok(())
}

#[test]
fn every_hostile_input_exits_2_with_its_file_and_line_and_leaves_out_alone() {
    let (project, before) = rendered();
    let cases: Vec<Case> = territory_cases()
        .into_iter()
        .chain(calendar_cases())
        .collect();
    assert!(cases.len() >= 100, "{} cases", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| run_case(project.path(), case, &before).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// Sets a hostile file up, or takes it away again.
type Step<'a> = Box<dyn Fn() + 'a>;

#[test]
fn hostile_files_exit_2_naming_the_file_and_leave_out_alone() {
    let (project, before) = rendered();
    let p = project.path();
    let cal = p.join("calendars");
    let secret = tempfile::tempdir().unwrap();
    std::fs::write(secret.path().join("s.toml"), "SECRET=hunter2\n").unwrap();
    let setups: Vec<(&str, Step, Step)> = vec![
        (
            "calendars/dir.toml",
            Box::new(|| std::fs::create_dir(cal.join("dir.toml")).unwrap()),
            Box::new(|| std::fs::remove_dir(cal.join("dir.toml")).unwrap()),
        ),
        (
            "calendars/dangling.toml",
            Box::new(|| {
                std::os::unix::fs::symlink("nowhere.toml", cal.join("dangling.toml")).unwrap()
            }),
            Box::new(|| std::fs::remove_file(cal.join("dangling.toml")).unwrap()),
        ),
        (
            "calendars/loop.toml",
            Box::new(|| std::os::unix::fs::symlink("loop.toml", cal.join("loop.toml")).unwrap()),
            Box::new(|| std::fs::remove_file(cal.join("loop.toml")).unwrap()),
        ),
        (
            "calendars/secret.toml",
            Box::new(|| {
                std::os::unix::fs::symlink(secret.path().join("s.toml"), cal.join("secret.toml"))
                    .unwrap()
            }),
            Box::new(|| std::fs::remove_file(cal.join("secret.toml")).unwrap()),
        ),
        (
            "calendars/binary.toml",
            Box::new(|| std::fs::write(cal.join("binary.toml"), [0xc3, 0x28, 0xa0, 0xa1]).unwrap()),
            Box::new(|| std::fs::remove_file(cal.join("binary.toml")).unwrap()),
        ),
        (
            "calendars/big.toml",
            Box::new(|| std::fs::write(cal.join("big.toml"), "#".repeat(2 << 20)).unwrap()),
            Box::new(|| std::fs::remove_file(cal.join("big.toml")).unwrap()),
        ),
        (
            "territories.toml",
            Box::new(|| std::fs::rename(p.join("territories.toml"), p.join("t.bak")).unwrap()),
            Box::new(|| std::fs::rename(p.join("t.bak"), p.join("territories.toml")).unwrap()),
        ),
        (
            "calendars",
            Box::new(|| std::fs::rename(&cal, p.join("c.bak")).unwrap()),
            Box::new(|| std::fs::rename(p.join("c.bak"), &cal).unwrap()),
        ),
    ];
    for (file, setup, undo) in &setups {
        setup();
        let o = scalegen(p, &["render"]);
        undo();
        let shown = all_output(&o);
        assert_eq!(code(&o), 2, "{file}: {shown}");
        assert!(!shown.contains("panicked"), "{file}: {shown}");
        assert!(!shown.contains("hunter2"), "{file}: {shown}");
        assert!(shown.contains(&format!("--> {file}:")), "{file}: {shown}");
        assert_eq!(
            &tree(&p.join("deploy/generated")),
            &before,
            "{file} changed --out"
        );
    }
}
