//! `scalegen schema territories|calendar` and the `.taplo.toml` of `init` (SPEC §9), checked
//! with the real tools: check-jsonschema (PyPI) validates the default configuration and every
//! fixture against the schemas and rejects a typo or a bad format at every level; taplo checks
//! an `init` directory through its `.taplo.toml`. Each invalid case is also invalid for
//! `scalegen validate`, so the schema never rejects what the parser accepts there.

use crate::support::{fixture_dirs, root, run_tool, scalegen_in, sources, tool, write_files};
use scalegen::config::example::{CALENDARS, TERRITORIES};
use scalegen::config::validate::model_from_strs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `scalegen schema KIND [--config FILE]` in `dir`.
fn schema(dir: &Path, kind: &str, config: Option<&Path>) -> String {
    let mut args = vec!["schema", kind];
    let config = config.map(|c| c.to_string_lossy().into_owned());
    if let Some(c) = &config {
        args.extend(["--config", c.as_str()]);
    }
    let (code, out, err) = scalegen_in(dir, &args, None);
    assert_eq!(code, 0, "{err}");
    out
}

/// check-jsonschema on `instances` against `schema`: (success, output).
fn check(checker: &Path, schema: &Path, instances: &[PathBuf]) -> (bool, String) {
    run_tool(
        Command::new(checker)
            .arg("--schemafile")
            .arg(schema)
            .args(instances),
    )
}

fn checker() -> Option<PathBuf> {
    tool("check-jsonschema", "SCALEGEN_CHECK_JSONSCHEMA")
}

#[test]
fn each_schema_is_one_draft_2020_12_schema() {
    let dir = write_files(&[]);
    for kind in ["territories", "calendar"] {
        let text = schema(dir.path(), kind, None);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(value["additionalProperties"], false);
        assert!(
            value.get("territories.toml").is_none(),
            "one schema, not one per file"
        );
    }
    let (code, _, err) = scalegen_in(dir.path(), &["schema"], None);
    assert_eq!(code, 2, "a kind is required: {err}");
    let (code, _, err) = scalegen_in(
        dir.path(),
        &["schema", "calendar", "--config", "nope.toml"],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("nope.toml"), "{err}");
}

/// The default configuration and every fixture validate against the schemas made from
/// their own territories file, and all of them against the pattern-only schemas.
#[test]
fn valid_configurations_pass_check_jsonschema() {
    let Some(checker) = checker() else {
        return;
    };
    let dir = write_files(&[]);
    let empty = dir.path().join("empty");
    fs_err::create_dir_all(&empty).unwrap();
    let (mut all_territories, mut all_calendars) = (Vec::new(), Vec::new());
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        fs_err::write(&path, text).unwrap();
        path
    };
    for config in std::iter::once(root().to_path_buf()).chain(fixture_dirs()) {
        let territories = config.join("territories.toml");
        let calendars: Vec<PathBuf> = sources(&config)
            .1
            .iter()
            .map(|(name, _)| config.join("calendars").join(name))
            .collect();
        let t = write("t.json", schema(&empty, "territories", Some(&territories)));
        let c = write("c.json", schema(&empty, "calendar", Some(&territories)));
        let (ok, out) = check(&checker, &t, std::slice::from_ref(&territories));
        assert!(ok, "{}: {out}", territories.display());
        if !calendars.is_empty() {
            let (ok, out) = check(&checker, &c, &calendars);
            assert!(ok, "{}: {out}", config.display());
        }
        all_territories.push(territories);
        all_calendars.extend(calendars);
    }
    let t = write("t.json", schema(&empty, "territories", None));
    let c = write("c.json", schema(&empty, "calendar", None));
    let (ok, out) = check(&checker, &t, &all_territories);
    assert!(ok, "pattern-only territories schema: {out}");
    let (ok, out) = check(&checker, &c, &all_calendars);
    assert!(ok, "pattern-only calendar schema: {out}");
}

#[test]
fn pattern_only_schemas_still_reject_formats_and_unknown_keys() {
    let Some(checker) = checker() else {
        return;
    };
    let dir = write_files(&[]);
    let d = dir.path();
    let c = d.join("c.json");
    fs_err::write(&c, schema(d, "calendar", None)).unwrap();
    let okt = calendar_text("oktoberfest.toml");
    let cases: Vec<(String, PathBuf)> =
        typo_files(d, okt, "oktoberfest.toml", &CALENDAR_TYPOS[..7]);
    let paths: Vec<PathBuf> = cases.iter().map(|(_, p)| p.clone()).collect();
    let (ok, out) = check(&checker, &c, &paths);
    assert!(!ok);
    for (case, path) in &cases {
        assert!(
            out.contains(&format!("{}::", path.display())),
            "{case}:\n{out}"
        );
    }
    // Without a configuration any two upper-case letters may be a territory.
    let (ok, out) = check(
        &checker,
        &c,
        &typo_files(d, okt, "oktoberfest.toml", &CALENDAR_TYPOS[7..8])
            .into_iter()
            .map(|(_, p)| p)
            .collect::<Vec<_>>(),
    );
    assert!(ok, "{out}");
}

/// `(name, find, replace)`: one typo or bad format per case, at every level of territories.toml.
const TERRITORY_TYPOS: &[(&str, &str, &str)] = &[
    (
        "app-key",
        "namespace = \"freshplan\"",
        "namespce = \"freshplan\"",
    ),
    (
        "app-name",
        "name = \"freshplan-api\"",
        "name = \"Freshplan\"",
    ),
    (
        "keda-version",
        "keda_version = \"2.17\"",
        "keda_version = \"2\"",
    ),
    (
        "runbook-fragment",
        "runbook-seasonal\"",
        "runbook-seasonal#top\"",
    ),
    ("workload-key", "p95_ms = 300", "p95ms = 300"),
    (
        "workload-port",
        "port = 8080\nscale_down_window = \"5m\"",
        "port = 80800\nscale_down_window = \"5m\"",
    ),
    (
        "duration",
        "scale_down_window = \"5m\"",
        "scale_down_window = \"5 m\"",
    ),
    (
        "resources-key",
        "requests = { cpu = \"250m\"",
        "requests = { cpus = \"250m\"",
    ),
    (
        "quantity",
        "limits = { cpu = \"1\"",
        "limits = { cpu = \"one\"",
    ),
    (
        "territory-key",
        "timezone = \"Europe/Zurich\"",
        "timezon = \"Europe/Zurich\"",
    ),
    ("timezone", "\"Europe/Vienna\"", "\"Europe/Viena\""),
    (
        "territory-code",
        "[territories.AT]",
        "[territories.Austria]",
    ),
    (
        "territory-workload",
        "queries = { min = 1, max = 3",
        "querys = { min = 1, max = 3",
    ),
    (
        "bounds-key",
        "commands = { min = 1, max = 2, rps_per_replica = 15",
        "commands = { min = 1, mx = 2, rps_per_replica = 15",
    ),
    (
        "bounds-range",
        "commands = { min = 1, max = 2, rps_per_replica = 15",
        "commands = { min = 0, max = 2, rps_per_replica = 15",
    ),
    (
        "region",
        "regions = { BY = 0.25",
        "regions = { bayern = 0.25",
    ),
    (
        "events-key",
        "channel = \"freshplan_events\"",
        "chanel = \"freshplan_events\"",
    ),
    ("event-type", "\"sample.delivered\",", "\"sample\","),
    (
        "alerts-key",
        "emergency_p95_ms = 500",
        "emergency_p95 = 500",
    ),
    (
        "ratio",
        "prescale_idle_ratio = 0.2",
        "prescale_idle_ratio = 2",
    ),
    (
        "environment-key",
        "namespace = \"freshplan-staging\"",
        "namespce = \"freshplan-staging\"",
    ),
    (
        "environment-territory",
        "territories.DE.queries = { min = 1 }",
        "territories.XX.queries = { min = 1 }",
    ),
    (
        "environment-workload",
        "territories.DE.queries = { min = 1 }",
        "territories.DE.querys = { min = 1 }",
    ),
    (
        "environment-bounds",
        "territories.DE.queries = { min = 1 }",
        "territories.DE.queries = { mn = 1 }",
    ),
    (
        "probes",
        "[workloads.commands]",
        "[workloads.commands]\nprobes = { ready = \"/r\" }",
    ),
    (
        "env-from",
        "[workloads.commands]",
        "[workloads.commands]\nenv_from = [{ secret = \"a\", config_map = \"b\" }]",
    ),
    (
        "env-name",
        "[workloads.commands]",
        "[workloads.commands]\nenv = { \"MY-VAR\" = \"x\" }",
    ),
    (
        "monitoring-label",
        "migration_version = 226",
        "migration_version = 226\nmonitoring_labels = { release = \"a b\" }",
    ),
];

/// The same for a calendar file (the default `oktoberfest.toml`; `campaigns.toml` below).
const CALENDAR_TYPOS: &[(&str, &str, &str)] = &[
    (
        "entry-key",
        "hours = \"08:00-20:00\"",
        "hour = \"08:00-20:00\"",
    ),
    (
        "hours",
        "hours = \"08:00-20:00\"",
        "hours = \"25:00-26:00\"",
    ),
    (
        "hours-24",
        "hours = \"08:00-20:00\"",
        "hours = \"24:00-08:00\"",
    ),
    ("month-day", "from = \"09-01\"", "from = \"13-01\""),
    ("season-date", "from = \"09-01\"", "from = \"2026-09-01\""),
    (
        "days",
        "hours = \"08:00-20:00\"",
        "hours = \"08:00-20:00\"\ndays = \"mon-fry\"",
    ),
    ("id", "id = \"oktoberfest\"", "id = \"Oktoberfest\""),
    (
        "floor-territory",
        "floor.CH = { queries = 2 }",
        "floor.XX = { queries = 2 }",
    ),
    (
        "floor-workload",
        "floor.CH = { queries = 2 }",
        "floor.CH = { querys = 2 }",
    ),
    ("floor-empty", "floor.CH = { queries = 2 }", "floor.CH = {}"),
    (
        "floor-zero",
        "floor.CH = { queries = 2 }",
        "floor.CH = { queries = 0 }",
    ),
    ("load-key", "\"DE-BY\" = 6.0", "\"DE-XX\" = 6.0"),
    ("table", "[[season]]", "[[seasons]]"),
];

/// Writes every case as its own file; returns (case name, path).
fn typo_files(
    dir: &Path,
    base: &str,
    name: &str,
    cases: &[(&str, &str, &str)],
) -> Vec<(String, PathBuf)> {
    cases
        .iter()
        .map(|(case, find, replace)| {
            assert!(base.contains(find), "{case}: {find:?} not in {name}");
            let path = dir.join(format!("{case}.toml"));
            fs_err::write(&path, base.replacen(find, replace, 1)).unwrap();
            (case.to_string(), path)
        })
        .collect()
}

fn calendar_text(name: &str) -> &'static str {
    CALENDARS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .unwrap()
}

#[test]
fn typos_at_every_level_fail_the_schemas_and_validation_alike() {
    let dir = write_files(&[]);
    let d = dir.path();
    let cases = typo_files(d, TERRITORIES, "territories.toml", TERRITORY_TYPOS);
    for (case, path) in &cases {
        let text = fs_err::read_to_string(path).unwrap();
        assert!(
            model_from_strs(&text, CALENDARS).is_err(),
            "{case}: scalegen validate accepts it"
        );
    }
    let okt = calendar_text("oktoberfest.toml");
    let cal_dir = d.join("cal");
    fs_err::create_dir_all(&cal_dir).unwrap();
    let mut calendar_cases = typo_files(&cal_dir, okt, "oktoberfest.toml", CALENDAR_TYPOS);
    let campaign = calendar_text("campaigns.toml");
    calendar_cases.extend(typo_files(
        &cal_dir,
        campaign,
        "campaigns.toml",
        &[("campaign-date", "from = \"2027-11-22\"", "from = \"11-22\"")],
    ));
    for (case, path) in &calendar_cases {
        let text = fs_err::read_to_string(path).unwrap();
        assert!(
            model_from_strs(TERRITORIES, &[("x.toml", &text)]).is_err(),
            "{case}: scalegen validate accepts it"
        );
    }
    let Some(checker) = checker() else {
        return;
    };
    let t = d.join("t.json");
    let c = d.join("c.json");
    fs_err::write(
        &t,
        schema(d, "territories", Some(&root().join("territories.toml"))),
    )
    .unwrap();
    fs_err::write(
        &c,
        schema(d, "calendar", Some(&root().join("territories.toml"))),
    )
    .unwrap();
    for (schema_file, list) in [(&t, &cases), (&c, &calendar_cases)] {
        let paths: Vec<PathBuf> = list.iter().map(|(_, p)| p.clone()).collect();
        let (ok, out) = check(&checker, schema_file, &paths);
        assert!(!ok, "check-jsonschema accepts them all:\n{out}");
        assert!(
            !out.contains("Failed to parse"),
            "every case is valid TOML:\n{out}"
        );
        for (case, path) in list {
            let reported = format!("{}::", path.display());
            assert!(
                out.contains(&reported),
                "{case}: check-jsonschema accepts it:\n{out}"
            );
        }
    }
}

#[test]
fn init_writes_schemas_that_taplo_applies_through_taplo_toml() {
    let dir = write_files(&[]);
    let d = dir.path();
    let (code, out, err) = scalegen_in(d, &["init"], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("wrote 8 files"), "{out}");
    let taplo_toml = fs_err::read_to_string(d.join(".taplo.toml")).unwrap();
    for path in [
        "./schemas/territories.schema.json",
        "./schemas/calendar.schema.json",
    ] {
        assert!(
            taplo_toml.contains(&format!("path = \"{path}\"")),
            "{taplo_toml}"
        );
    }
    let written = fs_err::read_to_string(d.join("schemas/calendar.schema.json")).unwrap();
    assert_eq!(
        written,
        schema(
            &root().join("tests"),
            "calendar",
            Some(&root().join("territories.toml"))
        )
    );
    let Some(taplo) = tool("taplo", "SCALEGEN_TAPLO") else {
        return;
    };
    let (ok, out) = run_tool(Command::new(&taplo).arg("check").current_dir(d));
    assert!(ok, "the example passes: {out}");
    let okt = calendar_text("oktoberfest.toml");
    fs_err::write(
        d.join("calendars/typo.toml"),
        okt.replace("floor.CH = { queries = 2 }", "floor.CH = { querys = 2 }"),
    )
    .unwrap();
    let (ok, out) = run_tool(Command::new(&taplo).arg("check").current_dir(d));
    assert!(!ok, "taplo applies the calendar schema: {out}");
    assert!(out.contains("querys"), "{out}");
}
