//! Output stage: compare the in-memory file set with `--out`, then write or report.
//!
//! One render feeds both uses: [`diff`] classifies every file as missing, changed,
//! stale, foreign or unchanged; `render` applies that as one transaction ([`apply`]:
//! every file staged and fsynced, then renamed into place; on any failure `--out` is left
//! exactly as it was) and `render --check` prints it. Only scalegen's own files are ever
//! removed: at a path scalegen writes, with exactly its header as the first line. A
//! symbolic link in `--out` is never read, compared or written through ([`mod@tree`]).

mod stage;
mod tree;

use crate::render::file::RenderedFile;
use std::path::Path;
use tree::Found;

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
    /// Rendered, but `--out` holds something scalegen does not read or write through at
    /// that path: a symbolic link (to a file or a directory on the way), or a non-file.
    Foreign {
        /// Path relative to `--out` of the rendered file.
        path: String,
        /// What is in the way, e.g. "a symbolic link".
        what: &'static str,
        /// Where (relative to `--out`): the path itself or one of its directories.
        at: String,
    },
}

impl Change {
    /// Path relative to `--out`.
    pub fn path(&self) -> &str {
        match self {
            Change::Missing { path, .. }
            | Change::Changed { path, .. }
            | Change::Stale { path, .. }
            | Change::Foreign { path, .. } => path,
        }
    }
}

/// Every difference between `files` and the directory `out` (in path order). `out`
/// itself must not be a symbolic link.
pub fn diff(out: &Path, files: &[RenderedFile]) -> std::io::Result<Vec<Change>> {
    if std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(std::io::Error::other(format!(
            "{} is a symbolic link; scalegen never reads or writes through one (pass the real directory)",
            out.display()
        )));
    }
    let mut changes = Vec::new();
    for f in files {
        match tree::lookup(out, &f.path)? {
            // Byte-equal is the common case: no copies, no line-ending normalisation.
            Found::File(bytes) if bytes == f.contents.as_bytes() => {}
            Found::File(bytes) => {
                let old = String::from_utf8_lossy(&bytes).into_owned();
                if normalize(&old) != normalize(&f.contents) {
                    changes.push(Change::Changed {
                        path: f.path.clone(),
                        old,
                        new: f.contents.clone(),
                    });
                }
            }
            Found::Absent => changes.push(Change::Missing {
                path: f.path.clone(),
                new: f.contents.clone(),
            }),
            Found::Foreign { what, at } => changes.push(Change::Foreign {
                path: f.path.clone(),
                what,
                at,
            }),
        }
    }
    let rendered: std::collections::BTreeSet<&str> =
        files.iter().map(|f| f.path.as_str()).collect();
    for path in tree::generated_files(out)? {
        if !rendered.contains(path.as_str()) {
            let old = match tree::lookup(out, &path)? {
                Found::File(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                _ => continue,
            };
            changes.push(Change::Stale { path, old });
        }
    }
    changes.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(changes)
}

/// Applies `changes` to `out` as one transaction: missing and changed files are written,
/// stale ones removed, or on any failure nothing in `out` changes. A foreign entry in
/// the way is an error before anything is written.
pub fn apply(out: &Path, changes: &[Change]) -> std::io::Result<()> {
    let mut writes = Vec::new();
    let mut removes = Vec::new();
    for change in changes {
        match change {
            Change::Missing { path, new } | Change::Changed { path, new, .. } => {
                writes.push((path.as_str(), new.as_bytes()));
            }
            Change::Stale { path, .. } => removes.push(path.as_str()),
            Change::Foreign { path, what, at } => {
                return Err(std::io::Error::other(foreign_message(path, what, at)));
            }
        }
    }
    stage::Transaction::new(out, writes, removes).run(out)
}

/// Why a foreign entry stops `render` (and what `render --check` says about it).
pub fn foreign_message(path: &str, what: &str, at: &str) -> String {
    if path == at {
        format!("`{path}` is {what}; scalegen never reads or writes through it: remove it and render again")
    } else {
        format!("`{at}` (on the way to `{path}`) is {what}; scalegen never reads or writes through it: remove it and render again")
    }
}

/// A unified diff of one change, with `a/` and `b/` headers like git.
pub fn unified_diff(change: &Change) -> String {
    let (old, new) = match change {
        Change::Missing { new, .. } => ("", new.as_str()),
        Change::Changed { old, new, .. } => (old.as_str(), new.as_str()),
        Change::Stale { old, .. } => (old.as_str(), ""),
        Change::Foreign { path, what, at } => {
            return format!("{}\n", foreign_message(path, what, at))
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::file::header_for;

    fn file(path: &str, body: &str) -> RenderedFile {
        RenderedFile {
            path: path.into(),
            contents: format!("{}{body}", header_for(path)),
            kustomize: false,
            json_size: None,
        }
    }

    #[test]
    fn write_check_and_prune_only_generated_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let files = vec![
            file("kustomization.yaml", "a: 1\n"),
            file("keda/b.yaml", "b: 2\n"),
        ];
        let changes = diff(out, &files).unwrap();
        assert_eq!(changes.len(), 2);
        apply(out, &changes).unwrap();
        assert!(diff(out, &files).unwrap().is_empty());

        std::fs::write(out.join("mine.txt"), "not generated\n").unwrap();
        let fewer = vec![file("kustomization.yaml", "a: 3\n")];
        let changes = diff(out, &fewer).unwrap();
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert!(matches!(&changes[0], Change::Stale { path, .. } if path == "keda/b.yaml"));
        assert!(
            matches!(&changes[1], Change::Changed { path, .. } if path == "kustomization.yaml")
        );
        apply(out, &changes).unwrap();
        assert!(!out.join("keda/b.yaml").exists());
        assert!(out.join("mine.txt").exists());
        assert!(unified_diff(&changes[1]).contains("-a: 1\n+a: 3"));
    }

    #[test]
    fn crlf_is_not_drift() {
        let dir = tempfile::tempdir().unwrap();
        let f = file("kustomization.yaml", "a: 1\n");
        std::fs::write(
            dir.path().join("kustomization.yaml"),
            f.contents.replace('\n', "\r\n"),
        )
        .unwrap();
        assert!(diff(dir.path(), &[f]).unwrap().is_empty());
    }
}
