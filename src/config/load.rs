//! Load stage: reads `territories.toml` and the calendar files into memory.
//!
//! SPEC §2.3 decides which files count: the calendars directory is read
//! non-recursively; every entry whose name ends in `.toml` and does not start with
//! `.` is a calendar, in byte order of the names, symbolic links followed. Such an
//! entry that is not a readable UTF-8 regular file is an error naming it. There is
//! no fallback to built-in data: a missing input is an error with a hint.

use crate::diag::{Diagnostic, Location, SourceMap};
use std::path::{Path, PathBuf};

/// One input file's text and the name diagnostics use for it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as shown to the user (as given on the command line, joined with the file name).
    pub name: String,
    /// UTF-8 contents.
    pub text: String,
}

/// All input texts of one run.
#[derive(Debug, Clone)]
pub struct Sources {
    /// `territories.toml` (or whatever `--config` names).
    pub territories: SourceFile,
    /// Calendar files in byte order of their names.
    pub calendars: Vec<SourceFile>,
}

impl Sources {
    /// A source map of every file, for rendering diagnostics.
    pub fn source_map(&self) -> SourceMap {
        let mut map = SourceMap::default();
        map.add(&self.territories.name, &self.territories.text);
        for c in &self.calendars {
            map.add(&c.name, &c.text);
        }
        map
    }
}

/// Reads every input file; all problems are reported together.
pub fn load(config: &Path, calendars: &Path) -> Result<Sources, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let territories = read_territories(config).map_err(|d| problems.push(*d)).ok();
    let calendar_files = read_calendar_dir(calendars, &mut problems);
    match territories {
        Some(territories) if problems.is_empty() => Ok(Sources {
            territories,
            calendars: calendar_files,
        }),
        _ => Err(problems),
    }
}

fn file_error(name: &str, message: String) -> Diagnostic {
    Diagnostic::error(
        message,
        Location {
            file: name.to_string(),
            span: 0..0,
        },
    )
}

fn read_territories(config: &Path) -> Result<SourceFile, Box<Diagnostic>> {
    let name = display(config);
    if !config.exists() {
        return Err(Box::new(
            file_error(&name, format!("territories file `{name}` does not exist")).with_help(
                "run `scalegen init` to write the example configuration, or pass --config",
            ),
        ));
    }
    read_text(config, &name)
}

fn read_calendar_dir(dir: &Path, problems: &mut Vec<Diagnostic>) -> Vec<SourceFile> {
    let dir_name = display(dir);
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            let help = if dir.exists() {
                "pass a directory of calendar files with --calendars"
            } else {
                "run `scalegen init` to write the example calendars, or pass --calendars"
            };
            problems.push(
                file_error(
                    &dir_name,
                    format!("cannot read calendars directory `{dir_name}`: {e}"),
                )
                .with_help(help),
            );
            return Vec::new();
        }
    };
    let mut names: Vec<(Vec<u8>, PathBuf)> = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => {
                let file_name = entry.file_name();
                let bytes = file_name.as_encoded_bytes().to_vec();
                if bytes.ends_with(b".toml") && !bytes.starts_with(b".") {
                    names.push((bytes, entry.path()));
                }
            }
            Err(e) => problems.push(file_error(
                &dir_name,
                format!("cannot list calendars directory `{dir_name}`: {e}"),
            )),
        }
    }
    names.sort();
    names
        .into_iter()
        .filter_map(|(_, path)| {
            let name = display(&path);
            read_text(&path, &name).map_err(|d| problems.push(*d)).ok()
        })
        .collect()
}

/// Reads a regular UTF-8 file (following symbolic links), naming it in every error.
fn read_text(path: &Path, name: &str) -> Result<SourceFile, Box<Diagnostic>> {
    let meta = std::fs::metadata(path).map_err(|e| {
        file_error(name, format!("cannot read `{name}`: {e}"))
            .with_help("a dangling or looping symbolic link cannot be read")
    })?;
    if !meta.is_file() {
        return Err(Box::new(
            file_error(name, format!("`{name}` is not a regular file"))
                .with_help("calendar entries ending in `.toml` must be files; rename or remove it"),
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| file_error(name, format!("cannot read `{name}`: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        file_error(
            name,
            format!(
                "`{name}` is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
        .with_help("TOML files must be UTF-8")
    })?;
    Ok(SourceFile {
        name: name.to_string(),
        text,
    })
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
