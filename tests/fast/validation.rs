//! One failing input per validation rule (SPEC §2): each asserts the message and the
//! `file:line` the diagnostic points at. Inputs are the default configuration with one
//! edit, or the default territories plus one extra calendar file `x.toml`.

use scalegen::config::example::{CALENDARS, TERRITORIES};
use scalegen::config::validate::model_from_strs;

/// Validates the default config with `find` replaced by `replace` in territories.toml.
pub(crate) fn territories_with(find: &str, replace: &str) -> String {
    assert!(TERRITORIES.contains(find), "fixture text not found: {find}");
    let text = TERRITORIES.replacen(find, replace, 1);
    match model_from_strs(&text, CALENDARS) {
        Ok(_) => panic!("expected an error after replacing {find:?} with {replace:?}"),
        Err(e) => e.render(),
    }
}

/// Validates the default territories with one extra calendar file `x.toml`.
fn calendar(text: &str) -> String {
    match model_from_strs(TERRITORIES, &[("x.toml", text)]) {
        Ok(_) => panic!("expected an error for calendar:\n{text}"),
        Err(e) => e.render(),
    }
}

pub(crate) fn assert_diag(output: &str, message: &str, location: &str) {
    assert!(
        output.contains(message),
        "missing message {message:?} in:\n{output}"
    );
    assert!(
        output.contains(&format!("--> {location}:")),
        "missing location {location} in:\n{output}"
    );
}

const SEASON: &str = r#"
[[season]]
id = "s"
from = "10-01"
to = "10-31"
hours = "08:00-20:00"
floor.DE = { queries = 4 }
"#;

fn season_with(find: &str, replace: &str) -> String {
    assert!(SEASON.contains(find), "fixture text not found: {find}");
    calendar(&SEASON.replacen(find, replace, 1))
}

#[test]
fn default_configuration_is_valid() {
    let model = model_from_strs(TERRITORIES, CALENDARS).expect("default config validates");
    assert_eq!(model.territories.len(), 3);
    assert_eq!(model.workloads.len(), 2);
    let ch = model.territory("CH").unwrap();
    assert_eq!(
        ch.workload("queries").unwrap().p95_ms,
        350,
        "territory p95 overrides workload p95"
    );
    let de = model.territory("DE").unwrap();
    assert_eq!(
        de.workload("queries").unwrap().p95_ms,
        300,
        "workload p95 applies without overrides"
    );
}

#[test]
fn unknown_key_suggests_the_close_name() {
    let out = territories_with(
        "timezone = \"Europe/Zurich\"",
        "timezon = \"Europe/Zurich\"",
    );
    assert_diag(&out, "unknown key `timezon`", "territories.toml:38");
    assert!(out.contains("did you mean `timezone`?"), "{out}");
    assert!(
        !out.contains("missing required key `timezone`"),
        "no duplicate report: {out}"
    );
}

#[test]
fn unknown_key_in_app_is_located_precisely() {
    let out = territories_with(
        "namespace = \"freshplan\"",
        "namespace = \"freshplan\"\nimage_tag = \"x\"",
    );
    assert_diag(&out, "unknown key `image_tag`", "territories.toml:8");
}

#[test]
fn territory_code_must_be_two_upper_case_letters() {
    let out = territories_with("[territories.AT]", "[territories.at]");
    assert_diag(
        &out,
        "territory codes must be two upper-case letters",
        "territories.toml:43",
    );
}

#[test]
fn unknown_timezone_suggests_iana_name() {
    let out = territories_with("Europe/Vienna", "Europe/Viena");
    assert_diag(
        &out,
        "unknown timezone `Europe/Viena`",
        "territories.toml:45",
    );
    assert!(out.contains("did you mean `Europe/Vienna`?"), "{out}");
}

#[test]
fn fixed_offset_is_not_a_timezone() {
    let out = territories_with("Europe/Vienna", "UTC+01:00");
    assert_diag(&out, "unknown timezone `UTC+01:00`", "territories.toml:45");
}

#[test]
fn timezone_is_case_sensitive() {
    let out = territories_with("Europe/Vienna", "europe/vienna");
    assert_diag(
        &out,
        "unknown timezone `europe/vienna`",
        "territories.toml:45",
    );
}

#[test]
fn timezone_links_are_accepted() {
    let text = TERRITORIES.replacen("Europe/Vienna", "CET", 1);
    let model = model_from_strs(&text, CALENDARS).expect("CET is an IANA link");
    assert_eq!(model.territory("AT").unwrap().timezone_name, "CET");
}

#[test]
fn territory_must_define_every_workload() {
    let out = territories_with(
        "commands = { min = 1, max = 2, rps_per_replica = 15, baseline_rps = 7 }\n",
        "",
    );
    assert_diag(
        &out,
        "territory AT does not define workload `commands`",
        "territories.toml:43",
    );
}

#[test]
fn min_must_not_exceed_max() {
    let out = territories_with(
        "queries = { min = 1, max = 3,",
        "queries = { min = 5, max = 3,",
    );
    assert_diag(
        &out,
        "AT.queries: min (5) exceeds max (3)",
        "territories.toml:47",
    );
}

#[test]
fn min_must_be_at_least_one() {
    let out = territories_with(
        "queries = { min = 1, max = 3,",
        "queries = { min = 0, max = 3,",
    );
    assert_diag(
        &out,
        "`min` must be between 1 and 1000, found 0",
        "territories.toml:47",
    );
}

#[test]
fn max_is_at_most_1000() {
    let out = territories_with(
        "queries = { min = 1, max = 3,",
        "queries = { min = 1, max = 1001,",
    );
    assert_diag(
        &out,
        "`max` must be between 1 and 1000, found 1001",
        "territories.toml:47",
    );
}

#[test]
fn rps_per_replica_must_be_positive() {
    let out = territories_with("rps_per_replica = 40", "rps_per_replica = 0");
    assert_diag(
        &out,
        "rps_per_replica must be greater than 0",
        "territories.toml:47",
    );
}

#[test]
fn baseline_rps_must_not_be_negative() {
    let out = territories_with("baseline_rps = 30", "baseline_rps = -1");
    assert_diag(
        &out,
        "baseline_rps must be 0 or more",
        "territories.toml:47",
    );
}

#[test]
fn region_shares_must_sum_to_at_most_one() {
    let out = territories_with(
        "regions = { BY = 0.25, BW = 0.20 }",
        "regions = { BY = 0.75, BW = 0.50 }",
    );
    assert_diag(
        &out,
        "region shares add up to 1.25, more than 1",
        "territories.toml:32",
    );
}

#[test]
fn region_share_in_unit_interval() {
    let out = territories_with("BY = 0.25", "BY = 0");
    assert_diag(
        &out,
        "region share of `BY` must be in (0, 1]",
        "territories.toml:32",
    );
}

#[test]
fn region_code_format() {
    let out = territories_with("BY = 0.25", "bayern = 0.25");
    assert_diag(&out, "region codes must match", "territories.toml:32");
}

#[test]
fn app_name_must_be_dns_1035() {
    let out = territories_with("name = \"freshplan-api\"", "name = \"1freshplan\"");
    assert_diag(
        &out,
        "`app.name` must be a DNS-1035 label",
        "territories.toml:6",
    );
}

#[test]
fn namespace_must_be_dns_1123() {
    let out = territories_with("namespace = \"freshplan\"", "namespace = \"Fresh_Plan\"");
    assert_diag(
        &out,
        "`app.namespace` must be a DNS-1123 label",
        "territories.toml:7",
    );
}

#[test]
fn generated_names_fit_63_characters() {
    let long = "a".repeat(52);
    let out = territories_with("name = \"freshplan-api\"", &format!("name = \"{long}\""));
    assert_diag(&out, "is longer than 63 characters", "territories.toml:29");
}

#[test]
fn image_without_whitespace() {
    let out = territories_with("image = \"registry", "image = \"my registry");
    assert_diag(
        &out,
        "`app.image` must be a non-empty image reference",
        "territories.toml:8",
    );
}

#[test]
fn keda_version_format() {
    let out = territories_with("keda_version = \"2.17\"", "keda_version = \"v2\"");
    assert_diag(
        &out,
        "`app.keda_version` must be `MAJOR.MINOR`",
        "territories.toml:9",
    );
}

#[test]
fn urls_need_http_scheme_and_no_template_braces() {
    let out = territories_with("runbook_url = \"https://", "runbook_url = \"ftp://");
    assert_diag(
        &out,
        "`app.runbook_url` must be an http:// or https:// URL",
        "territories.toml:11",
    );
    let out = territories_with(
        "http://prometheus-operated",
        "http://{{ x }}prometheus-operated",
    );
    assert_diag(
        &out,
        "`app.prometheus_url` must be an http:// or https:// URL",
        "territories.toml:10",
    );
}

#[test]
fn migration_version_at_least_one() {
    let out = territories_with("migration_version = 226", "migration_version = 0");
    assert_diag(
        &out,
        "`app.migration_version` must be at least 1",
        "territories.toml:12",
    );
}

#[test]
fn port_range() {
    let out = territories_with("port = 8080", "port = 70000");
    assert_diag(
        &out,
        "`port` must be between 1 and 65535",
        "territories.toml:17",
    );
}

#[test]
fn scale_down_window_is_a_duration_of_at_most_an_hour() {
    let out = territories_with("scale_down_window = \"5m\"", "scale_down_window = \"2h\"");
    assert_diag(&out, "more than the HPA limit of 1h", "territories.toml:18");
    let out = territories_with("scale_down_window = \"5m\"", "scale_down_window = \"1.5m\"");
    assert_diag(&out, "is not a Prometheus duration", "territories.toml:18");
}

#[test]
fn resource_quantities() {
    let out = territories_with("cpu = \"250m\"", "cpu = \"250 millicores\"");
    assert_diag(
        &out,
        "not a Kubernetes resource quantity",
        "territories.toml:19",
    );
    let out = territories_with("memory = \"512Mi\"", "memory = \"4Gi\"");
    assert_diag(
        &out,
        "requests.memory (4Gi) exceeds limits.memory (1Gi)",
        "territories.toml:20",
    );
}

#[test]
fn workload_names_are_lower_case() {
    let out = territories_with("[workloads.queries]", "[workloads.Queries]");
    assert_diag(&out, "workload names must match", "territories.toml:15");
}

#[test]
fn event_types_and_channel() {
    let out = territories_with("\"sample.delivered\"", "\"SampleDelivered\"");
    assert_diag(&out, "event types must match", "territories.toml:52");
    let out = territories_with(
        "channel = \"freshplan_events\"",
        "channel = \"freshplan-events\"",
    );
    assert_diag(&out, "`events.channel` must match", "territories.toml:51");
    let out = territories_with(
        "critical = [\"credit.checked\"]",
        "critical = [\"credit.check\"]",
    );
    assert_diag(
        &out,
        "critical event type `credit.check` is not in `events.types`",
        "territories.toml:53",
    );
    assert!(out.contains("did you mean `credit.checked`?"), "{out}");
}

#[test]
fn empty_event_types() {
    let out = territories_with(
        "types = [\"lead.status.changed\", \"sample.delivered\", \"credit.checked\"]\ncritical = [\"credit.checked\"]",
        "types = []",
    );
    assert_diag(&out, "`events.types` is empty", "territories.toml:52");
}

#[test]
fn journal_threshold_below_critical_with_note() {
    let out = territories_with("critical_threshold = 0.95", "critical_threshold = 0.60");
    assert_diag(
        &out,
        "`critical_threshold` (0.6) must be greater than `journal_threshold` (0.7)",
        "territories.toml:55",
    );
    assert!(
        out.contains("territories.toml:54"),
        "note points at the first place: {out}"
    );
}

#[test]
fn alert_thresholds() {
    let out = territories_with(
        "notify_queue_critical = 0.95",
        "notify_queue_critical = 0.5",
    );
    assert_diag(
        &out,
        "`notify_queue_critical` (0.5) must be greater than `notify_queue_warning` (0.7)",
        "territories.toml:60",
    );
    let out = territories_with("prescale_idle_ratio = 0.2", "prescale_idle_ratio = 1.2");
    assert_diag(
        &out,
        "`prescale_idle_ratio` must be between 0 and 1",
        "territories.toml:62",
    );
    let out = territories_with(
        "prescale_idle_for = \"30m\"",
        "prescale_idle_for = \"-30m\"",
    );
    assert_diag(&out, "is not a Prometheus duration", "territories.toml:63");
    let out = territories_with("outbox_lag_seconds = 60", "outbox_lag_seconds = 0");
    assert_diag(
        &out,
        "`outbox_lag_seconds` must be at least 1",
        "territories.toml:61",
    );
}

#[test]
fn display_names_reject_control_and_invisible_characters() {
    let out = territories_with("name = \"Schweiz\"", "name = \"Schw\\u202Eeiz\"");
    assert_diag(
        &out,
        "territory name contains the invisible or control character U+202E",
        "territories.toml:37",
    );
    let out = territories_with("name = \"Schweiz\"", "name = \"\"");
    assert_diag(
        &out,
        "territory name must have 1 to 200 characters",
        "territories.toml:37",
    );
}

#[test]
fn wrong_value_type_is_located() {
    let out = territories_with("p95_ms = 300", "p95_ms = \"300\"");
    assert_diag(
        &out,
        "invalid type: string \"300\", expected i64",
        "territories.toml:16",
    );
}

#[test]
fn toml_syntax_error_is_located() {
    let out = territories_with("p95_ms = 300", "p95_ms = = 300");
    assert_diag(&out, "error:", "territories.toml:16");
}

#[test]
fn season_floor_above_max() {
    let out = season_with("queries = 4", "queries = 8");
    assert_diag(
        &out,
        "`s` floor for DE.queries (8) exceeds DE.queries.max (6)",
        "calendars/x.toml:7",
    );
    assert!(
        out.contains("help: raise territories.DE.queries.max or lower the floor"),
        "{out}"
    );
}

#[test]
fn floor_references_must_resolve() {
    let out = season_with("floor.DE = { queries = 4 }", "floor.FR = { queries = 4 }");
    assert_diag(&out, "unknown territory `FR`", "calendars/x.toml:7");
    let out = season_with("floor.DE = { queries = 4 }", "floor.DE = { querys = 4 }");
    assert_diag(&out, "unknown workload `querys`", "calendars/x.toml:7");
    assert!(out.contains("did you mean `queries`?"), "{out}");
    let out = season_with("floor.DE = { queries = 4 }", "floor.DE = {}");
    assert_diag(&out, "empty floor table for DE", "calendars/x.toml:7");
}

#[test]
fn entry_without_floor_is_an_error() {
    let out = season_with("floor.DE = { queries = 4 }", "floor = {}");
    assert_diag(&out, "`s` sets no floor", "calendars/x.toml:7");
}

#[test]
fn floor_at_or_below_min_is_a_warning_not_an_error() {
    let text = SEASON.replacen("queries = 4", "queries = 2", 1);
    assert!(model_from_strs(TERRITORIES, &[("x.toml", &text)]).is_ok());
}

#[test]
fn recurring_feb_29_is_rejected() {
    let out = season_with("to = \"10-31\"", "to = \"02-29\"");
    assert_diag(
        &out,
        "`02-29` is not allowed in a recurring range",
        "calendars/x.toml:5",
    );
}

#[test]
fn dates_are_quoted_strings() {
    let text = r#"
[[campaign]]
id = "c"
from = 2026-11-23
to = "2026-11-27"
hours = "07:00-21:00"
floor.DE = { queries = 5 }
"#;
    let out = calendar(text);
    assert_diag(
        &out,
        "`from` is a TOML date, not a string",
        "calendars/x.toml:4",
    );
    assert!(out.contains("quote it: from = \"2026-11-23\""), "{out}");
}

#[test]
fn date_forms_must_not_mix_and_fit_the_kind() {
    let out = season_with("to = \"10-31\"", "to = \"2026-10-31\"");
    assert_diag(
        &out,
        "`from` and `to` mix `MM-DD` and `YYYY-MM-DD`",
        "calendars/x.toml:5",
    );
    let out = season_with(
        "from = \"10-01\"\nto = \"10-31\"",
        "from = \"2026-10-01\"\nto = \"2026-10-31\"",
    );
    assert_diag(&out, "season dates are `MM-DD`", "calendars/x.toml:4");
}

#[test]
fn dated_range_must_not_run_backwards() {
    let text = r#"
[[campaign]]
id = "c"
from = "2026-11-27"
to = "2026-11-23"
hours = "07:00-21:00"
floor.DE = { queries = 5 }
"#;
    assert_diag(
        &calendar(text),
        "`to` (2026-11-23) is before `from` (2026-11-27)",
        "calendars/x.toml:5",
    );
}

#[test]
fn invalid_dates() {
    let out = season_with("to = \"10-31\"", "to = \"09-31\"");
    assert_diag(&out, "month 09 has no day 31", "calendars/x.toml:5");
    let out = season_with("from = \"10-01\"", "from = \"10-1\"");
    assert_diag(&out, "invalid date `10-1`", "calendars/x.toml:4");
}

#[test]
fn hours_format_and_equal_ends() {
    let out = season_with("08:00-20:00", "08:00-08:00");
    assert_diag(&out, "start and end are equal", "calendars/x.toml:6");
    let out = season_with("08:00-20:00", "8:00-20:00");
    assert_diag(&out, "invalid hours `8:00-20:00`", "calendars/x.toml:6");
    let out = season_with("08:00-20:00", "24:00-20:00");
    assert_diag(
        &out,
        "start `24:00` is not a time of day",
        "calendars/x.toml:6",
    );
    let out = season_with("08:00-20:00", "08:00-24:30");
    assert_diag(
        &out,
        "end `24:30` is not a time of day",
        "calendars/x.toml:6",
    );
}

#[test]
fn days_format() {
    let out = season_with(
        "hours = \"08:00-20:00\"",
        "hours = \"08:00-20:00\"\ndays = \"mon,,fri\"",
    );
    assert_diag(&out, "empty day name", "calendars/x.toml:7");
    let out = season_with(
        "hours = \"08:00-20:00\"",
        "hours = \"08:00-20:00\"\ndays = \"Mon-Fri\"",
    );
    assert_diag(&out, "unknown day `Mon`", "calendars/x.toml:7");
    let out = season_with(
        "hours = \"08:00-20:00\"",
        "hours = \"08:00-20:00\"\ndays = \"mon-fri,wed\"",
    );
    assert_diag(&out, "`wed` is named more than once", "calendars/x.toml:7");
}

#[test]
fn days_on_partial_month_is_rejected() {
    let out = season_with(
        "to = \"10-31\"\nhours = \"08:00-20:00\"",
        "to = \"10-15\"\nhours = \"08:00-20:00\"\ndays = \"mon-fri\"",
    );
    assert_diag(&out, "not made of whole months", "calendars/x.toml:7");
    assert!(out.contains("dated campaigns"), "{out}");
}

#[test]
fn days_with_midnight_crossing_is_rejected() {
    let out = season_with(
        "hours = \"08:00-20:00\"",
        "hours = \"22:00-02:00\"\ndays = \"fri\"",
    );
    assert_diag(&out, "hours crossing midnight", "calendars/x.toml:7");
}

#[test]
fn days_with_partial_month_blackout_is_rejected() {
    let text = format!(
        "{SEASON}days = \"mon-fri\"\n\n[[blackout]]\nid = \"b\"\nfrom = \"10-03\"\nto = \"10-03\"\n"
    );
    assert_diag(
        &calendar(&text),
        "blackout `b` removes only part of a month of season `s`",
        "calendars/x.toml:8",
    );
}

#[test]
fn duplicate_ids_point_at_both_places() {
    let text = format!("{SEASON}{SEASON}");
    let out = calendar(&text);
    assert_diag(&out, "duplicate id `s`", "calendars/x.toml:10");
    assert!(
        out.contains("calendars/x.toml:3"),
        "note at the first definition: {out}"
    );
}

#[test]
fn id_format() {
    let out = season_with("id = \"s\"", "id = \"Summer_Sale\"");
    assert_diag(&out, "ids must match", "calendars/x.toml:3");
    let out = season_with("id = \"s\"", &format!("id = \"{}\"", "a".repeat(41)));
    assert_diag(&out, "at most 40 characters", "calendars/x.toml:3");
}

#[test]
fn load_keys_must_resolve() {
    let out = season_with(
        "floor.DE = { queries = 4 }",
        "floor.DE = { queries = 4 }\nload = { \"DE-XX\" = 2.0 }",
    );
    assert_diag(&out, "unknown region `XX` of DE", "calendars/x.toml:8");
    let out = season_with(
        "floor.DE = { queries = 4 }",
        "floor.DE = { queries = 4 }\nload = { FR = 2.0 }",
    );
    assert_diag(
        &out,
        "unknown territory `FR` in load key",
        "calendars/x.toml:8",
    );
}

#[test]
fn blackout_rules() {
    let out =
        calendar("[[blackout]]\nid = \"b\"\nfrom = \"12-24\"\nto = \"12-26\"\nterritories = []\n");
    assert_diag(
        &out,
        "blackout `territories` is empty",
        "calendars/x.toml:5",
    );
    let out = calendar(
        "[[blackout]]\nid = \"b\"\nfrom = \"12-24\"\nto = \"12-26\"\nhours = \"08:00-10:00\"\n",
    );
    assert_diag(&out, "unknown key `hours`", "calendars/x.toml:5");
    let out = calendar(
        "[[blackout]]\nid = \"b\"\nfrom = \"12-24\"\nto = \"12-26\"\nterritories = [\"DX\"]\n",
    );
    assert_diag(&out, "unknown territory `DX`", "calendars/x.toml:5");
    assert!(out.contains("configured territories: AT, CH, DE"), "{out}");
}

#[test]
fn unknown_key_in_calendar_entry() {
    let out = season_with(
        "hours = \"08:00-20:00\"",
        "hours = \"08:00-20:00\"\nhour = \"x\"",
    );
    assert_diag(&out, "unknown key `hour`", "calendars/x.toml:7");
    assert!(out.contains("did you mean `hours`?"), "{out}");
}

#[test]
fn missing_required_key_in_entry() {
    let out = season_with("hours = \"08:00-20:00\"\n", "");
    assert_diag(&out, "missing required key `hours`", "calendars/x.toml:2");
}

#[test]
fn errors_in_several_files_are_all_reported() {
    let territories = TERRITORIES
        .replacen("Europe/Vienna", "Europe/Viena", 1)
        .replacen(
            "timezone = \"Europe/Zurich\"",
            "timezon = \"Europe/Zurich\"",
            1,
        );
    let calendars = [("x.toml", SEASON.replacen("queries = 4", "queries = 8", 1))];
    let calendars: Vec<(&str, &str)> = calendars.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let out = model_from_strs(&territories, &calendars)
        .unwrap_err()
        .render();
    assert_eq!(
        out.matches("\nerror: ").count() + usize::from(out.starts_with("error: ")),
        4,
        "3 errors + summary:\n{out}"
    );
    assert!(out.contains("--> territories.toml:38:1"), "{out}");
    assert!(out.contains("--> territories.toml:45:12"), "{out}");
    assert!(out.contains("--> calendars/x.toml:7:24"), "{out}");
    assert!(out.contains("invalid configuration (3 errors)"), "{out}");
}

#[test]
fn days_with_hours_ending_at_midnight_on_part_of_the_year_is_rejected() {
    let out = season_with(
        "hours = \"08:00-20:00\"",
        "hours = \"00:00-24:00\"\ndays = \"mon-fri\"",
    );
    assert_diag(
        &out,
        "`days` filter with hours ending at 24:00",
        "calendars/x.toml:7",
    );
}

/// The 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not found"));
    text[..at].matches('\n').count() + 1
}

/// The default territories with the default `[traffic]` table replaced by `table`.
fn traffic_with(table: &str) -> (String, String) {
    let start = TERRITORIES
        .find("\n[traffic]\n")
        .expect("the default has [traffic]")
        + 1;
    let text = format!("{}{table}\n", &TERRITORIES[..start]);
    let out = match model_from_strs(&text, CALENDARS) {
        Ok(_) => panic!("expected an error for [traffic]:\n{table}"),
        Err(e) => e.render(),
    };
    (text, out)
}

#[test]
fn traffic_profiles_have_24_numbers_of_at_least_0() {
    let (text, out) = traffic_with("[traffic]\nprofile_weekday = [1.0, 0.5]");
    let line = line_of(&text, "profile_weekday");
    assert_diag(
        &out,
        "`traffic.profile_weekday` must have 24 numbers (one per local hour 0–23), found 2",
        &format!("territories.toml:{line}"),
    );
    let hours = vec!["1"; 23].join(", ");
    let (text, out) = traffic_with(&format!("[traffic]\nprofile_weekend = [{hours}, -0.5]"));
    assert_diag(
        &out,
        "`traffic.profile_weekend` hour 23 must be a number ≥ 0, found -0.5",
        &format!("territories.toml:{}", line_of(&text, "profile_weekend")),
    );
}

#[test]
fn traffic_numbers_stay_in_their_ranges() {
    for (table, message) in [
        (
            "startup_seconds = 3601",
            "`traffic.startup_seconds` must be between 0 and 3600",
        ),
        (
            "saturation = 0.9",
            "`traffic.saturation` must be between 1 and 10",
        ),
        (
            "metric_delay_seconds = 20",
            "must be a multiple of 15, found 20",
        ),
        ("metric_delay_seconds = 615", "between 0 and 600"),
    ] {
        let (text, out) = traffic_with(&format!("[traffic]\n{table}"));
        let key = table.split(' ').next().unwrap();
        assert_diag(
            &out,
            message,
            &format!("territories.toml:{}", line_of(&text, key)),
        );
    }
}

#[test]
fn unknown_traffic_keys_suggest_the_close_one() {
    let (text, out) = traffic_with("[traffic]\nprofile_weekdays = []");
    assert_diag(
        &out,
        "unknown key `profile_weekdays`",
        &format!("territories.toml:{}", line_of(&text, "profile_weekdays")),
    );
    assert!(out.contains("did you mean `profile_weekday`?"), "{out}");
}

#[test]
fn traffic_defaults_and_a_saturation_with_more_than_two_decimals() {
    let start = TERRITORIES.find("\n[traffic]\n").unwrap() + 1;
    let model = model_from_strs(&TERRITORIES[..start], CALENDARS).unwrap();
    assert_eq!(model.traffic, Default::default());
    assert!(model.traffic.is_flat());
    let text = format!("{}[traffic]\nsaturation = 1.257\n", &TERRITORIES[..start]);
    let loaded = scalegen::config::validate::validate_sources(
        &sources(&text, CALENDARS),
        Default::default(),
    )
    .unwrap();
    assert_eq!(loaded.model.traffic.saturation_percent(), 126);
    let warning = &loaded.warnings[0];
    assert!(
        warning
            .message
            .contains("more than two decimals; simulate uses 1.26"),
        "{warning:?}"
    );
}

/// In-memory sources of a territories file and calendars.
fn sources(territories: &str, calendars: &[(&str, &str)]) -> scalegen::config::load::Sources {
    use scalegen::config::load::{SourceFile, Sources};
    Sources {
        territories: SourceFile {
            name: "territories.toml".into(),
            text: territories.into(),
        },
        calendars: calendars
            .iter()
            .map(|(n, t)| SourceFile {
                name: format!("calendars/{n}"),
                text: (*t).into(),
            })
            .collect(),
    }
}

#[test]
fn prescale_lead_is_whole_minutes_up_to_two_hours() {
    for (value, message) in [
        (
            "\"90s\"",
            "`app.prescale_lead` must be whole minutes, found `90s`",
        ),
        ("\"2h1m\"", "`app.prescale_lead` is 2h1m, more than 2h"),
        (
            "\"-5m\"",
            "`app.prescale_lead` is not a Prometheus duration",
        ),
    ] {
        let out = territories_with(
            "prescale_lead = \"5m\"",
            &format!("prescale_lead = {value}"),
        );
        assert_diag(&out, message, "territories.toml:13");
    }
}

#[test]
fn an_entry_lead_must_fit_its_hours() {
    let cases = [
        ("08:00-20:00", "90s", "`lead` must be whole minutes"),
        ("08:00-20:00", "3h", "`lead` is 3h, more than 2h"),
        (
            "00:00-24:00",
            "5m",
            "whole-day entries (`00:00-24:00`) take no `lead`",
        ),
        (
            "00:30-06:00",
            "45m",
            "`lead` 45m would open the floors of `00:30-06:00` before 00:00",
        ),
        (
            "08:00-07:30",
            "1h",
            "would make the windows of `08:00-07:30` a day or longer",
        ),
    ];
    for (hours, lead, message) in cases {
        let out = season_with(
            "hours = \"08:00-20:00\"",
            &format!("hours = \"{hours}\"\nlead = \"{lead}\""),
        );
        assert_diag(&out, message, "calendars/x.toml:7");
    }
}

#[test]
fn leads_apply_where_they_fit() {
    let season = |hours: &str, lead: &str| {
        SEASON.replacen(
            "hours = \"08:00-20:00\"",
            &format!("hours = \"{hours}\"{lead}"),
            1,
        )
    };
    let calendar = [
        season("08:00-20:00", ""),
        season("00:02-06:00", "").replace("id = \"s\"", "id = \"early\""),
        season("00:00-24:00", "").replace("id = \"s\"", "id = \"whole\""),
        season("09:00-17:00", "\nlead = \"1h30m\"").replace("id = \"s\"", "id = \"own\""),
        season("01:00-24:00", "\nlead = \"1h\"").replace("id = \"s\"", "id = \"day\""),
        season("08:00-07:56", "").replace("id = \"s\"", "id = \"long\""),
    ]
    .concat();
    let model = model_from_strs(TERRITORIES, &[("x.toml", &calendar)]).unwrap();
    let lead = |id: &str| {
        let e = model.entries.iter().find(|e| e.id == id).unwrap();
        (e.lead, e.floor_lead, e.floor_hours().to_string())
    };
    // The default's app-wide lead is 5 minutes.
    assert_eq!(lead("s"), (None, 5, "07:55-20:00".into()));
    assert_eq!(
        lead("early"),
        (None, 0, "00:02-06:00".into()),
        "before 00:00"
    );
    assert_eq!(lead("whole"), (None, 0, "00:00-24:00".into()), "whole days");
    assert_eq!(lead("own"), (Some(90), 90, "07:30-17:00".into()));
    assert_eq!(
        lead("day"),
        (Some(60), 60, "00:00-24:00".into()),
        "becomes whole days"
    );
    assert_eq!(
        lead("long"),
        (None, 0, "08:00-07:56".into()),
        "a day or longer"
    );
}

#[test]
fn scale_up_tolerance_is_a_fraction_with_three_decimals() {
    for value in ["1.0", "-0.1", "0.0005"] {
        let out = territories_with(
            "prescale_lead = \"5m\"",
            &format!("prescale_lead = \"5m\"\nscale_up_tolerance = {value}"),
        );
        assert_diag(
            &out,
            "`app.scale_up_tolerance` must be a fraction in [0, 1) with at most three decimals",
            "territories.toml:14",
        );
    }
}

#[test]
fn floors_the_hpa_tolerance_holds_back_are_warned_about() {
    let territories = TERRITORIES.replace(
        "queries = { min = 2, max = 6, rps_per_replica = 80, baseline_rps = 120 }",
        "queries = { min = 2, max = 30, rps_per_replica = 80, baseline_rps = 120 }",
    );
    let calendar = SEASON.replace("queries = 4", "queries = 12");
    let warnings = |territories: &str| {
        let s = sources(territories, &[("x.toml", &calendar)]);
        scalegen::config::validate::validate_sources(&s, Default::default())
            .unwrap()
            .warnings
            .into_iter()
            .map(|w| w.message)
            .collect::<Vec<_>>()
    };
    let w = warnings(&territories);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("floor for DE.queries (12) is never reached from 11 running replicas"),
        "{w:?}"
    );
    let exact = territories.replacen(
        "prescale_lead = \"5m\"",
        "prescale_lead = \"5m\"\nscale_up_tolerance = 0.0",
        1,
    );
    assert!(warnings(&exact).is_empty());
    let loose = territories.replacen(
        "prescale_lead = \"5m\"",
        "prescale_lead = \"5m\"\nscale_up_tolerance = 0.25",
        1,
    );
    let w = warnings(&loose);
    assert!(w[0].contains("from 10 to 11 running replicas"), "{w:?}");
}
