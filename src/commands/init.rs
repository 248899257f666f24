//! `scalegen init DIR`: write the example configuration, never over existing files.

use super::ExitStatus;
use crate::config::example;
use std::path::{Path, PathBuf};

/// Writes `territories.toml` and `calendars/` of the example into `dir`.
pub fn run(dir: &Path) -> ExitStatus {
    let targets: Vec<(PathBuf, &str)> =
        std::iter::once((dir.join("territories.toml"), example::TERRITORIES))
            .chain(
                example::CALENDARS
                    .iter()
                    .map(|(name, text)| (dir.join("calendars").join(name), *text)),
            )
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
