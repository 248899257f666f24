//! Applying a change set to `--out` as one transaction: either every file is new and every
//! stale file gone, or `--out` is exactly as before.
//!
//! 1. **Stage**: create the missing directories, then write every new file to a temporary
//!    file beside its target (created with `O_CREAT | O_EXCL | O_NOFOLLOW` under a random
//!    name, so nobody can plant a link there), and keep a backup of every file that will
//!    be replaced or removed (a hard link, a copy where links are not supported). Then
//!    every staged file is fsynced, so its bytes are on disk before any target is touched.
//!    No target is touched yet: any failure (ENOSPC, EACCES, a failing fsync, …) removes
//!    the temporary files, backups and created directories, and the old tree is intact.
//! 2. **Commit**: rename every temporary file over its target (`kustomization.yaml` last,
//!    so it never lists a file that is not there yet), remove the stale files, and fsync
//!    every directory that changed, so the renames and removals are durable. A rename
//!    failing here (rare: the data is already on disk) rolls back from the backups:
//!    renamed files get their old contents back, new files are removed, removed stale
//!    files return.
//! 3. **Finish**: drop the backups.
//!
//! A crash leaves each target with its old or its new contents, never a partial file, and
//! after `render` returns every change is on disk. The fsyncs touch only the files and
//! directories of this transaction (never a whole file system, which on a busy CI runner
//! would wait for every other process's dirty data too) and run on a few threads at
//! once: the file system then puts them in one or two journal commits instead of one per
//! file, which is most of a render's wall time on a real disk.
//!
//! Directories are walked with `lstat` and never through a symbolic link; a link where a
//! directory should be is an error before anything is written.
//!
//! `SCALEGEN_FAIL_AT=write:N` (or `rename:N`, `remove:N`) makes the N-th operation of that
//! kind fail, so the tests can fail a render halfway without root or a full disk; it can
//! only make a render fail, never change what is written.

use super::tree::{named, open_nofollow};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// One file to put in place.
struct Put<'a> {
    target: PathBuf,
    bytes: &'a [u8],
    temp: Option<PathBuf>,
    backup: Option<PathBuf>,
    renamed: bool,
}

/// One stale file to remove.
struct Drop {
    target: PathBuf,
    backup: Option<PathBuf>,
    removed: bool,
}

/// The state of one apply, enough to undo it.
#[derive(Default)]
pub(super) struct Transaction<'a> {
    created_dirs: Vec<PathBuf>,
    puts: Vec<Put<'a>>,
    drops: Vec<Drop>,
}

impl<'a> Transaction<'a> {
    /// Plans writing `writes` (relative path, bytes) and removing `removes` below `out`.
    pub(super) fn new(out: &Path, writes: Vec<(&str, &'a [u8])>, removes: Vec<&str>) -> Self {
        let mut writes = writes;
        // kustomization.yaml lists the others: it goes in last.
        writes.sort_by_key(|(path, _)| (*path == "kustomization.yaml", path.to_string()));
        Transaction {
            puts: writes
                .into_iter()
                .map(|(path, bytes)| Put {
                    target: out.join(path),
                    bytes,
                    temp: None,
                    backup: None,
                    renamed: false,
                })
                .collect(),
            drops: removes
                .into_iter()
                .map(|path| Drop {
                    target: out.join(path),
                    backup: None,
                    removed: false,
                })
                .collect(),
            ..Transaction::default()
        }
    }

    /// Stages, commits and finishes; on failure rolls back and says what went wrong
    /// (and what could not be restored, if anything).
    pub(super) fn run(mut self, out: &Path) -> io::Result<()> {
        match self.stage(out).and_then(|()| self.commit()) {
            Ok(()) => {
                self.finish();
                Ok(())
            }
            Err(e) => {
                let unrestored = self.roll_back();
                if unrestored.is_empty() {
                    Err(e)
                } else {
                    Err(io::Error::new(
                        e.kind(),
                        format!("{e}; restoring failed too: {}", unrestored.join("; ")),
                    ))
                }
            }
        }
    }

    fn stage(&mut self, out: &Path) -> io::Result<()> {
        self.create_out(out)?;
        self.ensure_dir(out, out)?;
        for i in 0..self.puts.len() {
            let dir = parent(&self.puts[i].target);
            self.ensure_dir(out, &dir)?;
            let (temp, file) = create_exclusive(&dir, &self.puts[i].target, "new")?;
            self.puts[i].temp = Some(temp.clone());
            write_new(file, &temp, self.puts[i].bytes)?;
            if std::fs::symlink_metadata(&self.puts[i].target).is_ok() {
                self.puts[i].backup = Some(backup(&dir, &self.puts[i].target)?);
            }
        }
        for i in 0..self.drops.len() {
            let dir = parent(&self.drops[i].target);
            self.drops[i].backup = Some(backup(&dir, &self.drops[i].target)?);
        }
        let staged = self
            .puts
            .iter()
            .flat_map(|p| p.temp.iter().chain(&p.backup));
        let staged: Vec<&Path> = staged
            .chain(self.drops.iter().flat_map(|d| &d.backup))
            .map(PathBuf::as_path)
            .collect();
        sync_all(&staged)
    }

    /// The directories whose entries the commit changes (each once, in path order).
    fn touched_dirs(&self) -> Vec<PathBuf> {
        let targets = self.puts.iter().map(|p| &p.target);
        let dirs: std::collections::BTreeSet<PathBuf> = targets
            .chain(self.drops.iter().map(|d| &d.target))
            .map(|t| parent(t))
            .chain(self.created_dirs.iter().map(|d| parent(d)))
            .collect();
        dirs.into_iter().collect()
    }

    fn commit(&mut self) -> io::Result<()> {
        for put in &mut self.puts {
            let temp = put.temp.as_ref().expect("staged");
            fail_point(Op::Rename)?;
            std::fs::rename(temp, &put.target).map_err(|e| named(e, &put.target))?;
            put.temp = None;
            put.renamed = true;
        }
        for drop in &mut self.drops {
            fail_point(Op::Remove)?;
            std::fs::remove_file(&drop.target).map_err(|e| named(e, &drop.target))?;
            drop.removed = true;
        }
        let dirs = self.touched_dirs();
        sync_all(&dirs.iter().map(PathBuf::as_path).collect::<Vec<_>>())
    }

    fn finish(&mut self) {
        let backups = self.puts.iter_mut().map(|p| &mut p.backup);
        for backup in backups.chain(self.drops.iter_mut().map(|d| &mut d.backup)) {
            if let Some(b) = backup.take() {
                // A leftover hidden backup is harmless: no artefact path matches it.
                let _ = std::fs::remove_file(b);
            }
        }
    }

    /// Undoes whatever happened; returns what could not be restored.
    fn roll_back(&mut self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut note = |result: io::Result<()>, path: &Path| {
            if let Err(e) = result {
                problems.push(format!("{}: {e}", path.display()));
            }
        };
        for drop in self.drops.iter_mut().rev().filter(|d| d.removed) {
            if let Some(b) = drop.backup.take() {
                note(std::fs::rename(&b, &drop.target), &drop.target);
            }
        }
        for put in self.puts.iter_mut().rev().filter(|p| p.renamed) {
            let undo = match put.backup.take() {
                Some(b) => std::fs::rename(&b, &put.target),
                None => std::fs::remove_file(&put.target),
            };
            note(undo, &put.target);
        }
        let temps = self
            .puts
            .iter_mut()
            .flat_map(|p| [p.temp.take(), p.backup.take()]);
        let backups = self.drops.iter_mut().map(|d| d.backup.take());
        for leftover in temps.chain(backups).flatten() {
            let _ = std::fs::remove_file(leftover);
        }
        for dir in self.created_dirs.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
        problems
    }

    /// Creates `out` and its missing ancestors (remembered for the roll-back).
    fn create_out(&mut self, out: &Path) -> io::Result<()> {
        let missing: Vec<&Path> = out
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .take_while(|a| std::fs::symlink_metadata(a).is_err())
            .collect();
        for dir in missing.into_iter().rev() {
            std::fs::create_dir(dir).map_err(|e| named(e, dir))?;
            self.created_dirs.push(dir.to_path_buf());
        }
        Ok(())
    }

    /// Makes `dir` (`out` or below it) exist as a real directory, creating what is missing
    /// (remembered for the roll-back) and refusing symbolic links on the way.
    fn ensure_dir(&mut self, out: &Path, dir: &Path) -> io::Result<()> {
        let below = dir.strip_prefix(out).unwrap_or(Path::new(""));
        let mut path = out.to_path_buf();
        let parts = std::iter::once(None).chain(below.components().map(Some));
        for part in parts {
            if let Some(part) = part {
                path.push(part);
            }
            match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.file_type().is_dir() => {}
                Ok(meta) => {
                    let what = if meta.file_type().is_symlink() {
                        "a symbolic link; scalegen never writes through one"
                    } else {
                        "not a directory"
                    };
                    return Err(io::Error::other(format!("{} is {what}", path.display())));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    std::fs::create_dir(&path).map_err(|e| named(e, &path))?;
                    self.created_dirs.push(path.clone());
                }
                Err(e) => return Err(named(e, &path)),
            }
        }
        Ok(())
    }
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Creates a new empty file beside `target` under a random hidden name (`O_CREAT |
/// O_EXCL | O_NOFOLLOW`: an existing name or a planted link fails, and another name is
/// tried) and returns its path and handle.
fn create_exclusive(dir: &Path, target: &Path, kind: &str) -> io::Result<(PathBuf, std::fs::File)> {
    use std::os::unix::fs::OpenOptionsExt;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut last = None;
    for _ in 0..16 {
        let path = dir.join(format!(".{name}.{:016x}.scalegen-{kind}", random_u64()));
        let opened = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o666)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&path);
        match opened {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(named(e, &path)),
        }
    }
    Err(named(last.expect("tried"), dir))
}

/// Writes `bytes` to the new file `file` (at `path`); [`sync_all`] puts it on disk.
fn write_new(mut file: std::fs::File, path: &Path, bytes: &[u8]) -> io::Result<()> {
    fail_point(Op::Write)?;
    file.write_all(bytes).map_err(|e| named(e, path))
}

/// Threads that fsync at once: enough for the file system to batch the journal commits.
const SYNC_THREADS: usize = 8;

/// Fsyncs every file or directory in `paths` (opened without following links), on up to
/// [`SYNC_THREADS`] threads; the first failure in path order is the error.
fn sync_all(paths: &[&Path]) -> io::Result<()> {
    if paths.is_empty() {
        return Ok(());
    }
    let per_thread = paths.len().div_ceil(SYNC_THREADS);
    let results: Vec<io::Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = paths
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().try_for_each(|p| sync_one(p))))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("fsync thread panicked")))
            })
            .collect()
    });
    results.into_iter().collect()
}

/// Fsyncs one file or directory, opened read-only without following a link.
fn sync_one(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| named(e, path))
}

/// A hidden backup of `target` beside it: a hard link, or a copy where links fail.
fn backup(dir: &Path, target: &Path) -> io::Result<PathBuf> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for _ in 0..16 {
        let path = dir.join(format!(".{name}.{:016x}.scalegen-old", random_u64()));
        match std::fs::hard_link(target, &path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(_) => break,
        }
    }
    let mut bytes = Vec::new();
    open_nofollow(target)?
        .read_to_end(&mut bytes)
        .map_err(|e| named(e, target))?;
    let (path, file) = create_exclusive(dir, target, "old")?;
    match write_new(file, &path, &bytes) {
        Ok(()) => Ok(path),
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            Err(e)
        }
    }
}

/// 64 unpredictable bits for a file name: SipHash with the process's random keys over a
/// counter, the process id and the time (names only; nothing rendered depends on them).
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_usize(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(now);
    h.finish()
}

/// The operations a test can make fail.
#[derive(Clone, Copy)]
enum Op {
    Write = 0,
    Rename = 1,
    Remove = 2,
}

/// Fails the N-th operation of the kind named by `SCALEGEN_FAIL_AT=KIND:N` (a test hook).
fn fail_point(op: Op) -> io::Result<()> {
    static COUNTS: [AtomicUsize; 3] = [const { AtomicUsize::new(0) }; 3];
    static PLAN: std::sync::OnceLock<Option<(usize, usize)>> = std::sync::OnceLock::new();
    let plan = PLAN.get_or_init(|| {
        let spec = std::env::var("SCALEGEN_FAIL_AT").ok()?;
        let (kind, n) = spec.split_once(':')?;
        let kind = ["write", "rename", "remove"]
            .iter()
            .position(|k| *k == kind)?;
        Some((kind, n.parse().ok()?))
    });
    let count = COUNTS[op as usize].fetch_add(1, Ordering::Relaxed) + 1;
    match plan {
        Some((kind, n)) if *kind == op as usize && *n == count => {
            Err(io::Error::other("injected failure (SCALEGEN_FAIL_AT)"))
        }
        _ => Ok(()),
    }
}
