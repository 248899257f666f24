//! Output stage: compare the in-memory file set with `--out`, then write or report.
//!
//! One render feeds both uses: [`diff`] classifies every file as missing, changed,
//! stale or unchanged; `render` applies that with atomic writes (temp file + rename in
//! the same directory) and removes stale generated files; `render --check` prints it.
//! Only files whose first line carries scalegen's generated marker are ever removed.

use crate::render::file::{RenderedFile, GENERATED_MARKER};
use std::path::{Path, PathBuf};

/// How one file in `--out` differs from what scalegen renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Rendered but not on disk.
    Missing {
        /// Path relative to `--out`.
        path: String,
        /// Rendered contents.
        new: String,
    },
    /// On disk with other contents.
    Changed {
        /// Path relative to `--out`.
        path: String,
        /// Contents on disk.
        old: String,
        /// Rendered contents.
        new: String,
    },
    /// A generated file on disk that is no longer rendered.
    Stale {
        /// Path relative to `--out`.
        path: String,
        /// Contents on disk.
        old: String,
    },
}

impl Change {
    /// Path relative to `--out`.
    pub fn path(&self) -> &str {
        match self {
            Change::Missing { path, .. }
            | Change::Changed { path, .. }
            | Change::Stale { path, .. } => path,
        }
    }
}

/// Every difference between `files` and the directory `out` (in path order).
pub fn diff(out: &Path, files: &[RenderedFile]) -> std::io::Result<Vec<Change>> {
    let mut changes = Vec::new();
    for f in files {
        let target = out.join(&f.path);
        match std::fs::read(&target) {
            // Byte-equal is the common case: no copies, no line-ending normalisation.
            Ok(bytes) if bytes == f.contents.as_bytes() => {}
            Ok(bytes) => {
                let old = String::from_utf8_lossy(&bytes).into_owned();
                if normalize(&old) != normalize(&f.contents) {
                    changes.push(Change::Changed {
                        path: f.path.clone(),
                        old,
                        new: f.contents.clone(),
                    });
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => changes.push(Change::Missing {
                path: f.path.clone(),
                new: f.contents.clone(),
            }),
            Err(e) => return Err(with_path(e, &target)),
        }
    }
    let rendered: std::collections::BTreeSet<&str> =
        files.iter().map(|f| f.path.as_str()).collect();
    for path in generated_files(out)? {
        if !rendered.contains(path.as_str()) {
            let old = fs_err::read_to_string(out.join(&path)).unwrap_or_default();
            changes.push(Change::Stale { path, old });
        }
    }
    changes.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(changes)
}

/// Applies `changes` to `out`: atomic writes for missing/changed files, removal of stale ones.
pub fn apply(out: &Path, changes: &[Change]) -> std::io::Result<()> {
    for change in changes {
        match change {
            Change::Missing { path, new } | Change::Changed { path, new, .. } => {
                write_atomically(&out.join(path), new.as_bytes())?
            }
            Change::Stale { path, .. } => fs_err::remove_file(out.join(path))?,
        }
    }
    Ok(())
}

/// A unified diff of one change, with `a/` and `b/` headers like git.
pub fn unified_diff(change: &Change) -> String {
    let (old, new) = match change {
        Change::Missing { new, .. } => ("", new.as_str()),
        Change::Changed { old, new, .. } => (old.as_str(), new.as_str()),
        Change::Stale { old, .. } => (old.as_str(), ""),
    };
    let (old, new) = (normalize(old), normalize(new));
    let path = change.path();
    let a = if matches!(change, Change::Missing { .. }) {
        "/dev/null".to_string()
    } else {
        format!("a/{path}")
    };
    let b = if matches!(change, Change::Stale { .. }) {
        "/dev/null".to_string()
    } else {
        format!("b/{path}")
    };
    similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string()
}

/// Line endings normalised so a CRLF checkout is not drift.
fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n")
}

fn with_path(e: std::io::Error, path: &Path) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Writes `bytes` to `target` via a temporary file in the same directory and a rename.
fn write_atomically(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.scalegen-{}.tmp", std::process::id()));
    let result = fs_err::write(&tmp, bytes).and_then(|()| fs_err::rename(&tmp, target));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Relative paths (with `/`) of every regular file under `out` whose first line has the marker.
fn generated_files(out: &Path) -> std::io::Result<Vec<String>> {
    let mut found = Vec::new();
    if out.is_dir() {
        walk(out, out, &mut found)?;
    }
    found.sort();
    Ok(found)
}

fn walk(root: &Path, dir: &Path, found: &mut Vec<String>) -> std::io::Result<()> {
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let path: PathBuf = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(root, &path, found)?;
        } else if kind.is_file() && has_marker(&path) {
            let rel = path.strip_prefix(root).expect("under root");
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            found.push(parts.join("/"));
        }
    }
    Ok(())
}

fn has_marker(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 256];
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let n = file.read(&mut head).unwrap_or(0);
    let text = String::from_utf8_lossy(&head[..n]);
    text.lines()
        .next()
        .is_some_and(|line| line.contains(GENERATED_MARKER))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, body: &str) -> RenderedFile {
        RenderedFile {
            path: path.into(),
            contents: format!("# {GENERATED_MARKER}\n{body}"),
            kustomize: false,
        }
    }

    #[test]
    fn write_check_and_prune_only_generated_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let files = vec![file("a.yaml", "a: 1\n"), file("sub/b.yaml", "b: 2\n")];
        let changes = diff(out, &files).unwrap();
        assert_eq!(changes.len(), 2);
        apply(out, &changes).unwrap();
        assert!(diff(out, &files).unwrap().is_empty());

        std::fs::write(out.join("mine.txt"), "not generated\n").unwrap();
        let fewer = vec![file("a.yaml", "a: 3\n")];
        let changes = diff(out, &fewer).unwrap();
        let kinds: Vec<_> = changes
            .iter()
            .map(|c| (c.path().to_string(), std::mem::discriminant(c)))
            .collect();
        assert_eq!(kinds.len(), 2, "{changes:?}");
        assert!(matches!(changes[0], Change::Changed { .. }));
        assert!(matches!(changes[1], Change::Stale { .. }));
        apply(out, &changes).unwrap();
        assert!(!out.join("sub/b.yaml").exists());
        assert!(out.join("mine.txt").exists());
        assert!(unified_diff(&changes[0]).contains("-a: 1\n+a: 3"));
    }

    #[test]
    fn crlf_is_not_drift() {
        let dir = tempfile::tempdir().unwrap();
        let f = file("a.yaml", "a: 1\n");
        std::fs::write(dir.path().join("a.yaml"), f.contents.replace('\n', "\r\n")).unwrap();
        assert!(diff(dir.path(), &[f]).unwrap().is_empty());
    }
}
