//! What the integration tests share: the repository's configurations and fixtures as
//! models, rendering them, reading rendered files back, the external checkers they may
//! run, a throwaway PostgreSQL ([`pg`]), random calendars ([`random_calendar`]) and the
//! binary run in a directory ([`bin`]); for the load tests and the replay job the external
//! tools ([`tools`]), a stub HTTP server ([`stub`]) and the expected traffic ([`loadtest`]).
//!
//! Every test binary compiles this module and uses only part of it.
#![allow(dead_code)]

pub mod bin;
pub mod loadtest;
pub mod pg;
pub mod random_calendar;
pub mod stub;
pub mod tools;

use chrono::{DateTime, Utc};
use scalegen::config::model::{EntryKind, Model};
use scalegen::render::file::RenderedFile;
use scalegen::schedule::{CronTrigger, DeploymentSchedule, Schedule};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The repository root (the FreshFoodz default configuration lives here).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// Every fixture configuration (a directory with a `territories.toml`), in name order.
pub fn fixture_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs_err::read_dir(fixture(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("territories.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// The default configuration, then every fixture.
pub fn config_dirs() -> Vec<PathBuf> {
    std::iter::once(root().to_path_buf())
        .chain(fixture_dirs())
        .collect()
}

/// The texts of the configuration in `dir`: `territories.toml` and the calendar files as
/// (file name, text), in name order.
pub fn sources(dir: &Path) -> (String, Vec<(String, String)>) {
    let territories = fs_err::read_to_string(dir.join("territories.toml")).unwrap();
    let mut calendars: Vec<(String, String)> = Vec::new();
    let cal = dir.join("calendars");
    if cal.is_dir() {
        let mut paths: Vec<PathBuf> = fs_err::read_dir(&cal)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for p in paths {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            calendars.push((name, fs_err::read_to_string(&p).unwrap()));
        }
    }
    (territories, calendars)
}

/// The texts of the default configuration.
pub fn default_sources() -> (String, Vec<(String, String)>) {
    sources(root())
}

/// Validates in-memory texts; panics with the diagnostics when they are invalid.
pub fn model(territories: &str, calendars: &[(String, String)]) -> Model {
    try_model(territories, calendars).unwrap_or_else(|e| panic!("config is invalid:\n{e}"))
}

/// Validates in-memory texts; `Err` is the rendered diagnostics.
pub fn try_model(territories: &str, calendars: &[(String, String)]) -> Result<Model, String> {
    let refs: Vec<(&str, &str)> = calendars
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    scalegen::config::validate::model_from_strs(territories, &refs).map_err(|f| f.render())
}

/// The configuration in `dir` (`territories.toml` + `calendars/*.toml`).
pub fn load(dir: &Path) -> Model {
    let (territories, calendars) = sources(dir);
    try_model(&territories, &calendars)
        .unwrap_or_else(|e| panic!("{}: invalid configuration:\n{e}", dir.display()))
}

/// The default configuration.
pub fn default_model() -> Model {
    load(root())
}

/// Compiles and renders `model`.
pub fn render(model: &Model) -> (Schedule, Vec<RenderedFile>) {
    let schedule = scalegen::schedule::compile::compile(model);
    let files = render_schedule(model, &schedule);
    (schedule, files)
}

/// Renders `model` with a given (perhaps hand-built) schedule.
pub fn render_schedule(model: &Model, schedule: &Schedule) -> Vec<RenderedFile> {
    scalegen::render::render_all(model, schedule).unwrap_or_else(|e| panic!("{e}"))
}

/// The default configuration, compiled and rendered.
pub fn render_default() -> (Model, Schedule, Vec<RenderedFile>) {
    let model = default_model();
    let (schedule, files) = render(&model);
    (model, schedule, files)
}

/// The rendered file at `path`.
pub fn file<'a>(files: &'a [RenderedFile], path: &str) -> &'a RenderedFile {
    files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} is not rendered"))
}

/// Every non-empty document of a rendered YAML file.
pub fn yaml_documents(text: &str) -> Vec<serde_yaml::Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|d| serde_yaml::Value::deserialize(d).expect("rendered YAML parses"))
        .filter(|v| !v.is_null())
        .collect()
}

/// An RFC 3339 instant.
pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A deployment schedule built by hand: triggers `(start, end, desiredReplicas)` named
/// `season-x-1`, `season-x-2`, … of a season `x`.
pub fn deployment_schedule(
    name: &str,
    tz: &str,
    (min, max): (u32, u32),
    triggers: &[(&str, &str, u32)],
) -> DeploymentSchedule {
    DeploymentSchedule {
        territory: "XX".into(),
        workload: "w".into(),
        name: name.into(),
        timezone: tz.into(),
        min,
        max,
        triggers: triggers
            .iter()
            .enumerate()
            .map(|(i, &(start, end, desired))| CronTrigger {
                name: format!("season-x-{}", i + 1),
                start: start.into(),
                end: end.into(),
                desired_replicas: desired,
                entry_kind: EntryKind::Season,
                entry_id: "x".into(),
            })
            .collect(),
    }
}

/// The robfig/cron oracle named by `SCALEGEN_CRON_ORACLE` (`shared/tools/cron-oracle`),
/// or `None` (and a printed reason) when it is not set.
pub fn cron_oracle() -> Option<PathBuf> {
    match std::env::var_os("SCALEGEN_CRON_ORACLE") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            eprintln!("skipped: set SCALEGEN_CRON_ORACLE to the cron-oracle binary");
            None
        }
    }
}

/// A script of `shared/tools/validate-manifests`, or `None` (and a printed reason) when
/// the checker is not next to the repository.
pub fn validate_manifests(script: &str) -> Option<PathBuf> {
    let path = root()
        .join("../shared/tools/validate-manifests")
        .join(script);
    if path.exists() {
        Some(path)
    } else {
        println!("skipped: {} not found", path.display());
        None
    }
}

/// Writes rendered files into a fresh temporary directory, as `render` would.
pub fn write_files(files: &[RenderedFile]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in files {
        let path = dir.path().join(&f.path);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, &f.contents).unwrap();
    }
    dir
}

/// Whether `tool` is on the `PATH`.
pub fn has_tool(tool: &str) -> bool {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The external tool `name` (promtool, kubectl, check-jsonschema), found through the
/// environment variable `env` or on the `PATH`. Missing, the test is skipped with a printed
/// reason — unless `SCALEGEN_REQUIRE_TOOLS` is set (scripts/test.sh sets it after installing
/// them), where a missing tool fails the test instead of skipping it silently.
pub fn tool(name: &str, env: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    if has_tool(name) {
        return Some(PathBuf::from(name));
    }
    assert!(
        std::env::var_os("SCALEGEN_REQUIRE_TOOLS").is_none(),
        "{name} is required (SCALEGEN_REQUIRE_TOOLS is set) but neither ${env} nor the PATH has it"
    );
    println!("skipped: {name} not found (set {env} or put it on the PATH)");
    None
}

/// Runs `cmd`; `(success, stdout + stderr)`.
pub fn run_tool(cmd: &mut std::process::Command) -> (bool, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Runs the `scalegen` binary in `dir` with `args` (and `stdin`, when given); returns
/// (exit code, stdout, stderr).
pub fn scalegen_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scalegen"))
        .args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("scalegen runs");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    let out = child.wait_with_output().expect("scalegen ends");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
