//! Differential proof against the real robfig/cron: the independent `cron-oracle`
//! (shared/tools/cron-oracle, KEDA's activation on robfig/cron v3.0.1) evaluates the
//! rendered ScaledObjects of the default configuration, every fixture and random
//! calendars, and its
//! floors must equal `calendar::intended_timeline` at every minute of 2026–2028
//! outside the spans §2.2 does not judge.
//!
//! Runs when `SCALEGEN_CRON_ORACLE` names the oracle binary (build it with
//! `shared/tools/cron-oracle/build.sh`, which prints its path); otherwise it prints
//! that it was skipped and passes.

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use scalegen::config::model::Model;
use scalegen::config::validate::rules::check_expressible;
use scalegen::schedule::compile::compile;
use scalegen::schedule::reference::{self as calendar, Comparison, Piece};
use scalegen::schedule::Schedule;

mod support;

use support::{config_dirs, load, random_calendar, render_schedule, try_model, utc};

const FROM: &str = "2026-01-01T00:00:00Z";
const TO: &str = "2029-01-01T00:00:00Z";

/// The rendered ScaledObjects (`keda/*.yaml` of the real render) written to `dir`:
/// the oracle reads exactly what would be applied to the cluster.
fn write_scaled_objects(model: &Model, schedule: &Schedule, dir: &Path) {
    let files = render_schedule(model, schedule);
    let mut n = 0;
    for f in files.iter().filter(|f| f.path.starts_with("keda/")) {
        let name = f.path.trim_start_matches("keda/");
        fs_err::write(dir.join(name), &f.contents).unwrap();
        n += 1;
    }
    assert_eq!(
        n,
        schedule.deployments.len(),
        "one ScaledObject per deployment"
    );
}

/// Runs the oracle on `dir` over 2026–2028 and returns `namespace/name` → pieces.
pub fn run_oracle(oracle: &Path, dir: &Path) -> Vec<(String, Vec<Piece>)> {
    run_oracle_range(oracle, dir, FROM, TO)
}

/// [`run_oracle`] over `[from, to)` (RFC 3339).
pub fn run_oracle_range(
    oracle: &Path,
    dir: &Path,
    from: &str,
    to: &str,
) -> Vec<(String, Vec<Piece>)> {
    let out = Command::new(oracle)
        .args(["--from", from, "--to", to, "--format", "json", "--quiet"])
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", oracle.display()));
    assert!(
        out.status.success(),
        "cron-oracle failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("oracle JSON");
    v["scaledObjects"]
        .as_array()
        .expect("scaledObjects")
        .iter()
        .map(|so| {
            let pieces = so["intervals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    (
                        utc(i["start"].as_str().unwrap()),
                        utc(i["end"].as_str().unwrap()),
                        i["floor"].as_u64().unwrap() as u32,
                    )
                })
                .collect();
            (so["name"].as_str().unwrap().to_string(), pieces)
        })
        .collect()
}

/// Compiles the configuration in `config_dir`, lets the oracle evaluate its
/// ScaledObjects and compares every deployment with the intended floor over
/// 2026–2028. Returns the comparisons by deployment name; the caller asserts.
pub fn oracle_vs_intended(oracle: &Path, config_dir: &Path) -> Vec<(String, Comparison)> {
    oracle_vs_intended_model(oracle, &load(config_dir), FROM, TO)
}

/// [`oracle_vs_intended`] for a model over `[from, to)` (RFC 3339).
pub fn oracle_vs_intended_model(
    oracle: &Path,
    model: &Model,
    from_s: &str,
    to_s: &str,
) -> Vec<(String, Comparison)> {
    let schedule = compile(model);
    let tmp = tempfile::tempdir().unwrap();
    write_scaled_objects(model, &schedule, tmp.path());
    let results = run_oracle_range(oracle, tmp.path(), from_s, to_s);
    let (from, to) = (utc(from_s), utc(to_s));
    let mut out = Vec::new();
    for ds in &schedule.deployments {
        let key = format!("{}/{}", model.app.namespace, ds.name);
        let actual = &results
            .iter()
            .find(|(n, _)| *n == key)
            .unwrap_or_else(|| panic!("oracle did not report {key}"))
            .1;
        let expected = calendar::intended_timeline(model, &ds.territory, &ds.workload, from, to);
        let excluded = calendar::not_judged(model, &ds.territory, &ds.workload, from, to);
        let cmp = calendar::compare(&expected, actual, &excluded, from, to);
        if let Some((t, want, got)) = cmp.first_difference {
            let tz = model.territory(&ds.territory).unwrap().timezone;
            eprintln!(
                "{}: first difference at {} UTC = {} local: intended {want}, oracle {got}",
                ds.name,
                t.format("%Y-%m-%d %H:%M"),
                t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z")
            );
            for tr in &ds.triggers {
                eprintln!(
                    "  {:<32} start `{}`  end `{}`  -> {}",
                    tr.name, tr.start, tr.end, tr.desired_replicas
                );
            }
        }
        out.push((ds.name.clone(), cmp));
    }
    out
}

#[test]
fn oracle_agrees_with_the_calendar_every_minute_2026_2028() {
    let Some(oracle) = std::env::var_os("SCALEGEN_CRON_ORACLE") else {
        println!("skipped: set SCALEGEN_CRON_ORACLE");
        return;
    };
    let oracle = PathBuf::from(oracle);
    let mut failures = Vec::new();
    for dir in config_dirs() {
        let (mut compared, mut excluded) = (0, 0);
        for (name, cmp) in oracle_vs_intended(&oracle, &dir) {
            compared += cmp.compared;
            excluded += cmp.excluded_total();
            if cmp.differing > 0 {
                failures.push(format!(
                    "{}: {name}: {} minutes differ",
                    dir.display(),
                    cmp.differing
                ));
            }
        }
        println!(
            "{}: {compared} minutes compared, {excluded} excluded",
            dir.display()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, max_global_rejects: 100_000, ..ProptestConfig::default() })]

    /// Random calendars through the real robfig/cron (one oracle run per case).
    #[test]
    fn oracle_agrees_on_random_calendars(seed in any::<u64>(), year in 2026i32..=2028) {
        let Some(oracle) = std::env::var_os("SCALEGEN_CRON_ORACLE") else {
            return Ok(());
        };
        let (territories, calendars) = random_calendar::generate(seed);
        let model = try_model(&territories, &calendars);
        prop_assume!(model.is_ok());
        let model = model.unwrap();
        prop_assume!(check_expressible(&model).is_empty());
        let (from, to) = (format!("{year}-01-01T00:00:00Z"), format!("{}-01-01T00:00:00Z", year + 1));
        for (name, cmp) in oracle_vs_intended_model(Path::new(&oracle), &model, &from, &to) {
            prop_assert!(cmp.differing == 0, "seed {seed} {name}: {} minutes differ\n{territories}\n{}", cmp.differing, calendars[0].1);
        }
    }
}
