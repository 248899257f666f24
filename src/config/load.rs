//! Load stage: reads `territories.toml` and the calendar files into memory.
//!
//! SPEC §2.3 decides which files count: the calendars directory is read
//! non-recursively; every entry whose name ends in `.toml` and does not start with
//! `.` is a calendar, in byte order of the names, symbolic links followed. Such an
//! entry that is not a readable UTF-8 regular file is an error naming it. There is
//! no fallback to built-in data: a missing input is an error with a hint.
//!
//! Input is untrusted (anyone who can open a merge request writes it), so reading it never
//! leaks a file it should not: each path given on the command line has a *root*, the
//! directory it is named in (`--config territories.toml` → the current directory,
//! `--calendars conf/calendars` → `conf`), and the path itself and every calendar file,
//! after following symbolic links, must resolve inside that root, outside any hidden
//! directory below it (`.git`, `.env`: where CI keeps credentials) and outside `/proc`,
//! `/dev` and `/sys`. A file that does not is refused by name, unread. Files are read up to
//! [`MAX_FILE_BYTES`]; a larger one is an error.

use crate::diag::{Diagnostic, Location, SourceMap};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Largest input file scalegen reads (1 MiB): real configurations are a few kilobytes.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// System trees whose files are never input, whatever the root.
const SYSTEM_TREES: [&str; 3] = ["/proc", "/dev", "/sys"];

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

/// Input that could not be read: every problem, and the texts (decoded lossily where a
/// file is not UTF-8) so the diagnostics can point at a line and column.
#[derive(Debug)]
pub struct LoadFailure {
    /// Every problem found.
    pub diagnostics: Vec<Diagnostic>,
    /// Texts of the files that were read.
    pub sources: SourceMap,
}

/// Reads every input file; all problems are reported together.
pub fn load(config: &Path, calendars: &Path) -> Result<Sources, LoadFailure> {
    let mut problems = Vec::new();
    let mut texts = SourceMap::default();
    let territories = read_territories(config, &mut texts)
        .map_err(|d| problems.push(*d))
        .ok();
    let calendar_files = read_calendar_dir(calendars, &mut problems, &mut texts);
    match territories {
        Some(territories) if problems.is_empty() => Ok(Sources {
            territories,
            calendars: calendar_files,
        }),
        _ => Err(LoadFailure {
            diagnostics: problems,
            sources: texts,
        }),
    }
}

/// Reads only the territories file (for what needs no calendars, such as the schemas).
pub fn load_territories(config: &Path) -> Result<Sources, LoadFailure> {
    let mut texts = SourceMap::default();
    match read_territories(config, &mut texts) {
        Ok(territories) => Ok(Sources {
            territories,
            calendars: Vec::new(),
        }),
        Err(d) => Err(LoadFailure {
            diagnostics: vec![*d],
            sources: texts,
        }),
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

fn read_territories(config: &Path, texts: &mut SourceMap) -> Result<SourceFile, Box<Diagnostic>> {
    let name = display(config);
    if std::fs::symlink_metadata(config).is_err() {
        return Err(Box::new(
            file_error(&name, format!("territories file `{name}` does not exist")).with_help(
                "run `scalegen init` to write the example configuration, or pass --config",
            ),
        ));
    }
    let root = root_of(config, &name)?;
    read_text(config, &name, &root, texts)
}

fn read_calendar_dir(
    dir: &Path,
    problems: &mut Vec<Diagnostic>,
    texts: &mut SourceMap,
) -> Vec<SourceFile> {
    let dir_name = display(dir);
    let root = match root_of(dir, &dir_name).and_then(|root| {
        if dir.exists() {
            confine(dir, &dir_name, &root)?;
        }
        Ok(root)
    }) {
        Ok(root) => root,
        Err(d) => {
            problems.push(*d);
            return Vec::new();
        }
    };
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
            read_text(&path, &name, &root, texts)
                .map_err(|d| problems.push(*d))
                .ok()
        })
        .collect()
}

/// The root of a path given on the command line: the directory it is named in, resolved.
fn root_of(path: &Path, name: &str) -> Result<PathBuf, Box<Diagnostic>> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        Some(_) => Path::new("."),
        None => path,
    };
    std::fs::canonicalize(parent).map_err(|e| {
        Box::new(file_error(
            name,
            format!("cannot resolve the directory of `{name}`: {e}"),
        ))
    })
}

/// Follows every symbolic link of `path` and checks the result may be read as input:
/// inside `root`, in no hidden directory below it, outside the system trees.
fn confine(path: &Path, name: &str, root: &Path) -> Result<PathBuf, Box<Diagnostic>> {
    let resolved = std::fs::canonicalize(path).map_err(|e| {
        file_error(name, format!("cannot read `{name}`: {e}"))
            .with_help("a dangling or looping symbolic link cannot be read")
    })?;
    let refuse = |why: String| {
        Box::new(
            file_error(name, format!("`{name}` resolves to `{}`, {why}", resolved.display()))
                .with_help(format!(
                    "scalegen reads input only inside `{}` (where the path on the command line is), \
                     outside hidden directories and /proc, /dev, /sys; copy the file there instead of linking to it",
                    root.display()
                )),
        )
    };
    if SYSTEM_TREES.iter().any(|t| resolved.starts_with(t)) {
        return Err(refuse("a system file".into()));
    }
    let Ok(below) = resolved.strip_prefix(root) else {
        return Err(refuse(format!(
            "outside the configuration root `{}`",
            root.display()
        )));
    };
    let hidden = below
        .components()
        .any(|c| matches!(c, Component::Normal(n) if n.as_encoded_bytes().starts_with(b".")));
    if hidden {
        return Err(refuse("inside a hidden file or directory".into()));
    }
    Ok(resolved)
}

/// Reads a regular UTF-8 file (following symbolic links that stay inside `root`), naming
/// it in every error; the text of a file that is not UTF-8 goes to `texts` decoded lossily.
fn read_text(
    path: &Path,
    name: &str,
    root: &Path,
    texts: &mut SourceMap,
) -> Result<SourceFile, Box<Diagnostic>> {
    let resolved = confine(path, name, root)?;
    let bytes = read_capped(&resolved, name)?;
    match String::from_utf8(bytes) {
        Ok(text) => {
            texts.add(name, &text);
            Ok(SourceFile {
                name: name.to_string(),
                text,
            })
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            texts.add(name, &String::from_utf8_lossy(e.as_bytes()));
            Err(Box::new(
                Diagnostic::error(
                    format!("`{name}` is not UTF-8 text (invalid byte at offset {at})"),
                    Location {
                        file: name.to_string(),
                        span: at..at + 1,
                    },
                )
                .with_help("TOML files must be UTF-8"),
            ))
        }
    }
}

/// The bytes of the regular file at `resolved` (no symbolic link left), at most
/// [`MAX_FILE_BYTES`]; a FIFO or device is refused without blocking on it.
fn read_capped(resolved: &Path, name: &str) -> Result<Vec<u8>, Box<Diagnostic>> {
    use std::os::unix::fs::OpenOptionsExt;
    let cannot =
        |e: std::io::Error| Box::new(file_error(name, format!("cannot read `{name}`: {e}")));
    let not_file = || {
        Box::new(
            file_error(name, format!("`{name}` is not a regular file"))
                .with_help("calendar entries ending in `.toml` must be files; rename or remove it"),
        )
    };
    if !std::fs::metadata(resolved).map_err(cannot)?.is_file() {
        return Err(not_file());
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(resolved)
        .map_err(cannot)?;
    if !file.metadata().map_err(cannot)?.is_file() {
        return Err(not_file());
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Box::new(
            file_error(
                name,
                format!("`{name}` is larger than {MAX_FILE_BYTES} bytes"),
            )
            .with_help("scalegen reads input files of at most 1 MiB; split the calendar into several files"),
        ));
    }
    Ok(bytes)
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
