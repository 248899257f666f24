//! External programs the tests run (k6, psql, promtool): where they are, and what a test
//! does when one is missing.
//!
//! On a developer's machine a missing tool skips the test with a note. `scripts/test.sh`
//! installs every tool and sets `SCALEGEN_REQUIRE_TOOLS=1`, which turns that skip into a
//! failure, so CI can never pass by not running a check.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Set (to `1`) by `scripts/test.sh`: a missing tool fails the test instead of skipping it.
pub const REQUIRE_ENV: &str = "SCALEGEN_REQUIRE_TOOLS";

/// The program `name`: the path in environment variable `env` when set, else `name` when
/// it is on the `PATH`. `None` (and a note) when missing; a panic instead when
/// [`REQUIRE_ENV`] is set.
pub fn tool(name: &str, env: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let on_path = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if on_path.is_some() {
        return on_path;
    }
    let required = std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{name} is required ({REQUIRE_ENV}=1) but neither ${env} nor PATH has it; \
         scripts/test.sh installs it"
    );
    println!("skipped: {name} not found (set {env} or put it on PATH)");
    None
}

/// The k6 binary (`SCALEGEN_K6`, else `k6` on PATH).
pub fn k6() -> Option<PathBuf> {
    tool("k6", "SCALEGEN_K6")
}

/// The psql client (`SCALEGEN_PSQL`, else `psql` on PATH).
pub fn psql() -> Option<PathBuf> {
    tool("psql", "SCALEGEN_PSQL")
}

/// promtool (`SCALEGEN_PROMTOOL`, else `promtool` on PATH).
pub fn promtool() -> Option<PathBuf> {
    tool("promtool", "SCALEGEN_PROMTOOL")
}

/// `shared/tools/validate-manifests/run.sh` (upstream Kubernetes, KEDA and
/// prometheus-operator schemas) when it and the node/npm it needs are here; else `None`
/// and a note.
pub fn manifest_validator() -> Option<PathBuf> {
    let script = super::validate_manifests("run.sh")?;
    if super::has_tool("node") && super::has_tool("npm") {
        Some(script)
    } else {
        println!("skipped: node/npm not installed (run.sh needs them)");
        None
    }
}

/// A finished program's stdout followed by its stderr, for assertion messages.
pub fn output_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
