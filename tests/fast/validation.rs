//! One failing input per validation rule (SPEC §2): each asserts the message and the
//! `file:line` the diagnostic points at. Inputs are the default configuration with one
//! edit, or the default territories plus one extra calendar file `x.toml`.

use scalegen::config::example::{CALENDARS, TERRITORIES};
use scalegen::config::validate::model_from_strs;

/// Validates the default config with `find` replaced by `replace` in territories.toml.
fn territories_with(find: &str, replace: &str) -> String {
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

fn assert_diag(output: &str, message: &str, location: &str) {
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
