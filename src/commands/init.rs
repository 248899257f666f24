//! `scalegen init DIR`: write the example configuration, never over existing files.

use super::schema::schema_text;
use super::ExitStatus;
use crate::cli::SchemaKind;
use crate::config::example;
use crate::config::schema::Known;
use std::path::{Path, PathBuf};

/// Where `init` puts the schemas, relative to DIR (named by `.taplo.toml`).
pub const SCHEMA_FILES: [(SchemaKind, &str); 2] = [
    (SchemaKind::Territories, "schemas/territories.schema.json"),
    (SchemaKind::Calendar, "schemas/calendar.schema.json"),
];

/// The taplo configuration `init` writes: each input file kind with its schema.
const TAPLO: &str =
    "# Written by `scalegen init`: taplo (and editors using it, such as Even Better TOML)
# checks the input files against scalegen's schemas. They enumerate the territories,
# regions and workloads of territories.toml; after changing those, regenerate them:
#   scalegen schema territories > schemas/territories.schema.json
#   scalegen schema calendar > schemas/calendar.schema.json

[[rule]]
include = [\"territories.toml\"]

[rule.schema]
path = \"./schemas/territories.schema.json\"

[[rule]]
include = [\"calendars/*.toml\"]

[rule.schema]
path = \"./schemas/calendar.schema.json\"
";

/// Writes `territories.toml`, `calendars/`, their schemas and `.taplo.toml` into `dir`.
pub fn run(dir: &Path) -> ExitStatus {
    let model = crate::config::validate::model_from_strs(example::TERRITORIES, example::CALENDARS)
        .expect("the example configuration is valid");
    let known = Known::from_model(&model);
    let targets: Vec<(PathBuf, String)> = std::iter::once((
        dir.join("territories.toml"),
        example::TERRITORIES.to_string(),
    ))
    .chain(
        example::CALENDARS
            .iter()
            .map(|(name, text)| (dir.join("calendars").join(name), text.to_string())),
    )
    .chain(
        SCHEMA_FILES
            .iter()
            .map(|(kind, path)| (dir.join(path), schema_text(*kind, Some(&known)))),
    )
    .chain(std::iter::once((
        dir.join(".taplo.toml"),
        TAPLO.to_string(),
    )))
    .collect();
    let existing: Vec<String> = targets
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        eprintln!(
            "error: refusing to overwrite existing files: {}",
            existing.join(", ")
        );
        eprintln!(
            "  = help: run `scalegen init` in an empty directory, or remove those files first"
        );
        return ExitStatus::InvalidInput;
    }
    for (path, text) in &targets {
        let result = path
            .parent()
            .map_or(Ok(()), fs_err::create_dir_all)
            .and_then(|()| fs_err::write(path, text));
        if let Err(e) = result {
            eprintln!("error: {e}");
            return ExitStatus::InvalidInput;
        }
    }
    emitln!(
        "wrote {} files into {}; next: `scalegen render`",
        targets.len(),
        dir.display()
    );
    ExitStatus::Success
}
