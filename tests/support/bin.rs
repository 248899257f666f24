//! Running the `scalegen` binary in a directory, and looking at what it left there.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `scalegen ARGS` in `dir` (without `TZ`).
pub fn scalegen(dir: &Path, args: &[&str]) -> Output {
    scalegen_with(dir, args, &[])
}

/// Runs `scalegen ARGS` in `dir` with extra environment variables.
pub fn scalegen_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scalegen"))
        .args(args)
        .current_dir(dir)
        .env_remove("TZ")
        .env_remove("SCALEGEN_FAIL_AT")
        .envs(env.iter().copied())
        .output()
        .expect("scalegen runs")
}

/// The exit code (a signal is a failed test).
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

/// Bytes as text, lossily.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// stdout and stderr together.
pub fn all_output(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

/// What a directory tree holds, without following links: every file's bytes, every
/// directory (as `None`), every symbolic link's target (as `Some("-> target")`) and
/// every special file (a FIFO: never opened).
/// Equal trees are byte for byte the same.
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(dir).unwrap().to_path_buf();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                let shown = format!("-> {}", target.display());
                found.insert(rel, Some(shown.into_bytes()));
            } else if meta.is_dir() {
                found.insert(rel, None);
                stack.push(path);
            } else if meta.is_file() {
                found.insert(rel, Some(std::fs::read(&path).unwrap()));
            } else {
                // A FIFO or device: never opened (it could block).
                found.insert(rel, Some(b"(special file)".to_vec()));
            }
        }
    }
    found
}

/// Files only (path → bytes), following nothing: for comparing rendered output.
pub fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    tree(dir)
        .into_iter()
        .filter_map(|(path, bytes)| bytes.map(|b| (path, b)))
        .collect()
}

/// A temporary directory with `scalegen init`'s configuration.
pub fn init_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let o = scalegen(dir.path(), &["init"]);
    assert_eq!(code(&o), 0, "init: {}", text(&o.stderr));
    dir
}
