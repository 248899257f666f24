//! `scalegen schema`: the JSON Schema of both input files.

use super::{emit, ExitStatus};

/// Prints [`schema_json`].
pub fn run() -> ExitStatus {
    emit(&format!("{}\n", schema_json()));
    ExitStatus::Success
}

/// The JSON Schema of both input formats, keyed by file kind, generated from the same
/// serde types the parser uses.
pub fn schema_json() -> String {
    let territories = schemars::schema_for!(crate::config::parse::RawTerritoriesFile);
    let calendar = schemars::schema_for!(crate::config::parse::RawCalendarFile);
    let both = serde_json::json!({
        "territories.toml": territories,
        "calendars/*.toml": calendar,
    });
    serde_json::to_string_pretty(&both).expect("schemas serialize")
}
