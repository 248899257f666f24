//! No panic on any input: random edits of the default configuration and arbitrary bytes
//! (as a calendar or as the territories file, through the file loader) either validate
//! (and then compile, render, write into an empty `--out` and show no drift) or produce
//! located diagnostics. Plus a corpus of hand-picked hostile inputs. The property tests
//! are this project's fuzzer in CI (fixed seed from scripts/test.sh); `fuzz/` holds a
//! cargo-fuzz target for longer runs.

use proptest::prelude::*;
use scalegen::config::example::{CALENDARS, TERRITORIES};
use scalegen::config::validate::model_from_strs;

/// Validates; a valid model must compile and render without error.
fn pipeline(territories: &str, calendars: &[(&str, &str)]) -> Result<(), String> {
    let model = model_from_strs(territories, calendars).map_err(|f| f.render())?;
    let schedule = scalegen::schedule::compile::compile(&model);
    scalegen::render::render_all(&model, &schedule)
        .map(|_| ())
        .map_err(|e| panic!("valid input must render: {e}"))
}

fn assert_located(result: Result<(), String>) {
    if let Err(text) = result {
        assert!(text.contains("error"), "{text}");
        assert!(text.contains("--> "), "every error is located: {text}");
    }
}

/// Applies an edit (position as a fraction of the text, then an operation) on char boundaries.
fn mutate(text: &str, at: f64, op: u8, payload: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let i = ((chars.len() as f64) * at) as usize % chars.len().max(1);
    let mut out: Vec<char> = chars.clone();
    match op % 4 {
        0 => {
            out.splice(i..i, payload.chars());
        }
        1 => {
            let end = (i + payload.chars().count().max(1)).min(out.len());
            out.drain(i..end);
        }
        2 => {
            let end = (i + payload.chars().count()).min(out.len());
            out.splice(i..end, payload.chars());
        }
        _ => {
            // Duplicate a line: duplicate keys and tables.
            let line_start = chars[..i]
                .iter()
                .rposition(|c| *c == '\n')
                .map_or(0, |p| p + 1);
            let line_end = chars[i..]
                .iter()
                .position(|c| *c == '\n')
                .map_or(chars.len(), |p| i + p + 1);
            let line: Vec<char> = chars[line_start..line_end].to_vec();
            out.splice(line_end..line_end, line);
        }
    }
    out.into_iter().collect()
}

fn payloads() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("999999".to_string()),
        Just("\"".to_string()),
        Just("[".to_string()),
        Just("{".to_string()),
        Just("=".to_string()),
        Just("\n".to_string()),
        Just("24:00".to_string()),
        Just("02-29".to_string()),
        Just("mon-fri".to_string()),
        Just("\u{202e}".to_string()),
        Just("{{".to_string()),
        Just("'; DROP TABLE x; --".to_string()),
        "[ -~]{1,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_edits_of_territories_never_panic(at in 0.0f64..1.0, op in 0u8..4, payload in payloads()) {
        let text = mutate(TERRITORIES, at, op, &payload);
        assert_located(pipeline(&text, CALENDARS));
    }

    #[test]
    fn random_edits_of_calendars_never_panic(file in 0usize..4, at in 0.0f64..1.0, op in 0u8..4, payload in payloads()) {
        let mut calendars: Vec<(&str, String)> = CALENDARS.iter().map(|(n, t)| (*n, t.to_string())).collect();
        calendars[file].1 = mutate(&calendars[file].1, at, op, &payload);
        let refs: Vec<(&str, &str)> = calendars.iter().map(|(n, t)| (*n, t.as_str())).collect();
        assert_located(pipeline(TERRITORIES, &refs));
    }
}

#[test]
fn hostile_corpus_is_rejected_with_locations() {
    let season = |body: &str| format!("[[season]]\nid = \"s\"\n{body}\n");
    let cases: Vec<(&str, String)> = vec![
        ("empty territories", String::new()),
        (
            "huge integer",
            TERRITORIES.replacen("max = 6", "max = 99999999999999999999", 1),
        ),
        (
            "float for integer",
            TERRITORIES.replacen("max = 6", "max = 6.5", 1),
        ),
        (
            "nan rps",
            TERRITORIES.replacen("rps_per_replica = 80", "rps_per_replica = nan", 1),
        ),
        (
            "inf rps",
            TERRITORIES.replacen("rps_per_replica = 80", "rps_per_replica = inf", 1),
        ),
        (
            "array for table",
            TERRITORIES.replacen("[app]", "app = []\n[x]", 1),
        ),
        (
            "duplicate table",
            format!("{TERRITORIES}\n[app]\nname = \"x\"\n"),
        ),
        (
            "string for table",
            TERRITORIES.replacen("regions = { BY = 0.25, BW = 0.20 }", "regions = \"BY\"", 1),
        ),
        (
            "date as p95",
            TERRITORIES.replacen("p95_ms = 300", "p95_ms = 2026-01-01", 1),
        ),
    ];
    for (what, text) in &cases {
        let result = pipeline(text, CALENDARS);
        assert!(result.is_err(), "{what} must be rejected");
        assert_located(result);
    }
    // A byte-order mark is harmless and accepted.
    assert!(pipeline(&format!("\u{feff}{TERRITORIES}"), CALENDARS).is_ok());
    let calendar_cases = [
        season("from = \"01-01\"\nto = \"12-31\"\nhours = 8\nfloor.DE = { queries = 3 }"),
        season("from = \"13-01\"\nto = \"12-31\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }"),
        season("from = \"00-10\"\nto = \"12-31\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }"),
        season("from = \"01-01\"\nto = \"12-31\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = -3 }"),
        season("from = \"01-01\"\nto = \"12-31\"\nhours = \"08:00-09:00\"\nfloor.DE = 3"),
        season("from = \"01-01\"\nto = \"12-31\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }\nload = { DE = -1.0 }"),
        season("from = \"01-01\"\nto = \"12-31\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }\ndays = \"\""),
        season("from = \"01-01\"\nto = \"12-31\"\nhours = \"08:00 - 09:00\"\nfloor.DE = { queries = 3 }"),
        season("from = \"01-01\"\nto = \"12-31\"\nhours = \"08:60-09:00\"\nfloor.DE = { queries = 3 }"),
        "[[campaign]]\nid = \"c\"\nfrom = \"2026-02-30\"\nto = \"2026-03-01\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }\n".to_string(),
        "[[campaign]]\nid = \"c\"\nfrom = \"0026-02-01\"\nto = \"2026-03-01\"\nhours = \"08:00-09:00\"\nfloor.DE = { queries = 3 }\n".to_string(),
        "[[season]]\n".to_string(),
        "season = 1\n".to_string(),
        "[[blackout]]\nid = \"b\"\nfrom = \"12-24\"\nto = \"2026-12-26\"\n".to_string(),
        "[[holiday]]\nid = \"b\"\n".to_string(),
    ];
    for text in &calendar_cases {
        let result = pipeline(TERRITORIES, &[("x.toml", text)]);
        assert!(result.is_err(), "must be rejected:\n{text}");
        assert_located(result);
    }
}

/// Validates `territories` + `calendar` written as files (through the loader: UTF-8,
/// size caps, file names); a valid configuration must render, write into an empty
/// `--out` and then show no drift.
fn files_pipeline(territories: &[u8], calendar: &[u8]) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let cal = dir.path().join("calendars");
    std::fs::create_dir(&cal).unwrap();
    std::fs::write(dir.path().join("territories.toml"), territories).unwrap();
    std::fs::write(cal.join("fuzz.toml"), calendar).unwrap();
    let loaded = scalegen::config::validate::load_model(&dir.path().join("territories.toml"), &cal)
        .map_err(|f| f.render())?;
    let schedule = scalegen::schedule::compile::compile(&loaded.model);
    let files = scalegen::render::render_all(&loaded.model, &schedule)
        .unwrap_or_else(|e| panic!("valid input must render: {e}"));
    let out = dir.path().join("out");
    let changes = scalegen::output::diff(&out, &files).unwrap();
    scalegen::output::apply(&out, &changes).unwrap();
    assert!(
        scalegen::output::diff(&out, &files).unwrap().is_empty(),
        "written output is drift-free"
    );
    Ok(())
}

/// Bytes that are mostly TOML-ish: fragments of the default files and arbitrary bytes.
fn tomlish_bytes() -> impl Strategy<Value = Vec<u8>> {
    let fragment = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..24),
        (0usize..CALENDARS.len(), 0.0f64..1.0, 1usize..80).prop_map(|(f, at, len)| {
            let text = CALENDARS[f].1.as_bytes();
            let start = ((text.len() as f64) * at) as usize;
            text[start..(start + len).min(text.len())].to_vec()
        }),
        Just(b"[[season]]\n".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\0".to_vec()),
    ];
    proptest::collection::vec(fragment, 0..12).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_as_a_calendar_file_never_panic(bytes in tomlish_bytes()) {
        assert_located(files_pipeline(TERRITORIES.as_bytes(), &bytes));
    }

    #[test]
    fn arbitrary_bytes_as_the_territories_file_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        assert_located(files_pipeline(&bytes, CALENDARS[0].1.as_bytes()));
    }

    #[test]
    fn edited_configurations_that_validate_render_and_write_cleanly(at in 0.0f64..1.0, op in 0u8..4, payload in payloads(), file in 0usize..4) {
        let mut calendar = CALENDARS[file].1.to_string();
        calendar = mutate(&calendar, at, op, &payload);
        assert_located(files_pipeline(TERRITORIES.as_bytes(), calendar.as_bytes()));
    }
}
