//! Looking into `--out` without ever following a symbolic link: what is at a path scalegen
//! writes, and which files there are scalegen's own (an artefact path whose first line is
//! exactly the generated-file header). A link — to a file or to a directory — is reported
//! as foreign and never opened, so `render --check` cannot be made to print a file from
//! elsewhere (`/proc/self/environ`) and `render` cannot be made to write through one.

use crate::render::file::{artefact_dirs, is_artefact_path, is_header_of};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// What `--out` holds at one relative path.
#[derive(Debug)]
pub(super) enum Found {
    /// Nothing (the file or one of its directories does not exist).
    Absent,
    /// A regular file, reached through real directories only, and its bytes.
    File(Vec<u8>),
    /// Something scalegen does not read or write through: what it is and where.
    Foreign {
        /// e.g. "a symbolic link".
        what: &'static str,
        /// The path (relative to `--out`) of the link or odd entry.
        at: String,
    },
}

/// What is at `rel` (`/`-separated) below `out`; every component is looked at with
/// `lstat`, and the file is opened with `O_NOFOLLOW`.
pub(super) fn lookup(out: &Path, rel: &str) -> io::Result<Found> {
    let parts: Vec<&str> = rel.split('/').collect();
    let mut path = out.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Found::Absent),
            Err(e) => return Err(named(e, &path)),
        };
        let at = || parts[..=i].join("/");
        let last = i + 1 == parts.len();
        let kind = meta.file_type();
        if kind.is_symlink() {
            return Ok(Found::Foreign {
                what: "a symbolic link",
                at: at(),
            });
        }
        if !last && !kind.is_dir() {
            return Ok(Found::Foreign {
                what: "not a directory",
                at: at(),
            });
        }
        if last && !kind.is_file() {
            return Ok(Found::Foreign {
                what: "not a regular file",
                at: at(),
            });
        }
    }
    let mut bytes = Vec::new();
    open_nofollow(&path)?
        .read_to_end(&mut bytes)
        .map_err(|e| named(e, &path))?;
    Ok(Found::File(bytes))
}

/// Opens a file for reading, failing (`ELOOP`) instead of following a symbolic link.
pub(super) fn open_nofollow(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| named(e, path))
}

/// Relative paths of scalegen's own files in `out`, sorted: regular files at artefact
/// paths (only in the artefact directories, reached without links) whose first line is
/// exactly the header scalegen writes for that file type.
pub(super) fn generated_files(out: &Path) -> io::Result<Vec<String>> {
    let mut found = Vec::new();
    for dir in artefact_dirs() {
        let path = if dir.is_empty() {
            out.to_path_buf()
        } else {
            out.join(dir)
        };
        if !is_real_dir(out, dir)? {
            continue;
        }
        for entry in std::fs::read_dir(&path).map_err(|e| named(e, &path))? {
            let entry = entry.map_err(|e| named(e, &path))?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let rel = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            if is_file && is_artefact_path(&rel) && has_header(&entry.path(), &rel) {
                found.push(rel);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Whether `dir` (relative; `""` is `out`) is a directory reached through no link.
fn is_real_dir(out: &Path, dir: &str) -> io::Result<bool> {
    let mut path: PathBuf = out.to_path_buf();
    let parts = std::iter::once("").chain(dir.split('/').filter(|p| !p.is_empty()));
    for part in parts {
        if !part.is_empty() {
            path.push(part);
        }
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_dir() => {}
            Ok(_) => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(named(e, &path)),
        }
    }
    Ok(true)
}

/// Whether the first line of the file at `path` is exactly scalegen's header for `rel`.
fn has_header(path: &Path, rel: &str) -> bool {
    let mut head = [0u8; 512];
    let Ok(mut file) = open_nofollow(path) else {
        return false;
    };
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    let Some(end) = head[..n].iter().position(|b| *b == b'\n') else {
        return false;
    };
    std::str::from_utf8(&head[..end]).is_ok_and(|line| is_header_of(rel, line))
}

/// `e` with `path` in its message.
pub(super) fn named(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}
