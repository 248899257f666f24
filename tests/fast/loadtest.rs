//! The k6 scripts `loadtest/{entry-id}.js` (SPEC §10) as rendered text: which entries get
//! one, the plan inside (scenarios, peaks, region mix, probes, thresholds) against the
//! traffic model computed straight from the configuration, and escaping. The real k6
//! binary runs them in `tests/loadtest_k6.rs`.

use crate::support::loadtest::{odd_model, plan_of, region_terms};
use crate::support::{file, render, render_default};
use crate::validation::{assert_diag, territories_with};
use scalegen::config::model::Model;
use scalegen::render::file::RenderedFile;
use scalegen::render::loadtest::{path_of, REST_REGION};
use serde_json::Value;

fn scripts(files: &[RenderedFile]) -> Vec<&RenderedFile> {
    files
        .iter()
        .filter(|f| f.path.starts_with("loadtest/"))
        .collect()
}

#[test]
fn every_entry_with_a_load_gets_a_script_outside_the_kustomization() {
    for model in [render_default().0, odd_model()] {
        let (_, files) = render(&model);
        let mut expected: Vec<String> = model
            .entries
            .iter()
            .filter(|e| !e.load.is_empty())
            .map(|e| path_of(&e.id))
            .collect();
        expected.sort();
        let got: Vec<String> = scripts(&files).iter().map(|f| f.path.clone()).collect();
        assert_eq!(got, expected);
        assert!(scripts(&files).iter().all(|f| !f.kustomize));
        let kustomization = &file(&files, "kustomization.yaml").contents;
        assert!(!kustomization.contains("loadtest/"));
    }
    let (model, _, _) = render_default();
    let with_load: Vec<&str> = model
        .entries
        .iter()
        .filter(|e| !e.load.is_empty())
        .map(|e| e.id.as_str())
        .collect();
    assert_eq!(with_load, ["oktoberfest", "spargel", "weihnachten"]);
}

/// Checks one script's plan against the model: a scenario per loaded territory ×
/// workload with a baseline, its peak factor, region mix, probe and thresholds.
fn check_plan(model: &Model, id: &str, files: &[RenderedFile]) {
    let entry = model.entries.iter().find(|e| e.id == id).unwrap();
    let script = &file(files, &path_of(id)).contents;
    let plan = plan_of(script);
    assert_eq!(plan["entry"], id);
    assert_eq!(plan["name"], entry.name.as_str());
    let scenarios = plan["scenarios"].as_array().unwrap();
    let mut expected_names = Vec::new();
    for t in &model.territories {
        let Some(terms) = region_terms(entry, t) else {
            continue;
        };
        let f: f64 = terms.values().sum();
        for w in &model.workloads {
            let tw = t.workload(&w.name).unwrap();
            let name = format!("{}-{}", t.code, w.name);
            let Some(baseline) = tw.baseline_rps.filter(|b| *b > 0.0) else {
                let deployment = model.deployment_name(t, &w.name);
                assert!(
                    script.contains(&deployment) && script.contains("No scenario"),
                    "{id}: {deployment} is not listed as without scenario"
                );
                continue;
            };
            expected_names.push(name.clone());
            let s = scenarios.iter().find(|s| s["name"] == name.as_str());
            let s = s.unwrap_or_else(|| panic!("{id}: no scenario {name}"));
            assert_eq!(s["baseline_rps"].as_f64(), Some(baseline));
            let peak = s["peak_factor"].as_f64().unwrap();
            assert!((peak - f).abs() < 1e-9, "{id} {name}: {peak} vs {f}");
            assert_eq!(s["p95_ms"].as_u64(), Some(u64::from(tw.p95_ms)));
            assert_eq!(s["method"], w.loadtest.method.as_str());
            assert_eq!(s["path"], w.loadtest.path.as_str());
            assert_eq!(s["body"].as_str(), w.loadtest.body.as_deref());
            let regions: Vec<(String, f64)> = s["regions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["region"].as_str().unwrap().to_string(),
                        r["weight"].as_f64().unwrap(),
                    )
                })
                .collect();
            let want: Vec<(String, f64)> = terms
                .iter()
                .map(|(r, term)| (r.clone(), term / f))
                .collect();
            assert_eq!(regions.len(), want.len(), "{id} {name}: {regions:?}");
            for (region, weight) in &want {
                let got = regions.iter().find(|(r, _)| r == region).map(|(_, w)| *w);
                assert!(
                    got.is_some_and(|g| (g - weight).abs() < 1e-9),
                    "{id} {name} {region}: {got:?} vs {weight}"
                );
            }
            let tags = format!("{{territory:{},workload:{}}}", t.code, w.name);
            let thresholds = &plan["thresholds"];
            assert_eq!(
                thresholds[format!("http_req_duration{tags}")],
                serde_json::json!([format!("p(95)<{}", tw.p95_ms)])
            );
            assert_eq!(
                thresholds[format!("http_req_failed{tags}")],
                serde_json::json!(["rate<0.01"])
            );
        }
    }
    let names: Vec<&str> = scenarios
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, expected_names, "{id}");
    assert_eq!(
        plan["thresholds"].as_object().unwrap().len(),
        2 * expected_names.len()
    );
}

#[test]
fn plans_follow_the_traffic_model() {
    let (model, _, files) = render_default();
    for id in ["oktoberfest", "spargel", "weihnachten"] {
        check_plan(&model, id, &files);
    }
    let model = odd_model();
    let (_, files) = render(&model);
    for e in model.entries.iter().filter(|e| !e.load.is_empty()) {
        check_plan(&model, &e.id, &files);
    }
}

#[test]
fn oktoberfest_is_bavaria_heavy_and_spargel_baden_wuerttemberg_heavy() {
    let (_, _, files) = render_default();
    let weight = |id: &str, region: &str| -> f64 {
        let plan = plan_of(&file(&files, &path_of(id)).contents);
        let de = plan["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "DE-queries")
            .unwrap()
            .clone();
        de["regions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["region"] == region)
            .unwrap()["weight"]
            .as_f64()
            .unwrap()
    };
    // Oktoberfest: BY 0.25 × 6 of DE's 3.0 (SPEC §8.1's example).
    assert!((weight("oktoberfest", "BY") - 0.5).abs() < 1e-12);
    // Spargel, load { "DE-BW" = 3.0 }: BW 0.20 × 3 of 0.55 × 1 + 0.25 × 1 + 0.20 × 3 = 1.4.
    assert!((weight("spargel", "BW") - 0.6 / 1.4).abs() < 1e-12);
    assert!(weight("spargel", "BW") > weight("spargel", "BY"));
    assert!(weight("oktoberfest", "BY") > weight("oktoberfest", REST_REGION));
}

#[test]
fn config_strings_stay_inside_json_string_literals() {
    let model = odd_model();
    let (_, files) = render(&model);
    for f in scripts(&files) {
        let text = &f.contents;
        assert!(!text.contains("</script"), "{}", f.path);
        assert!(!text.contains("<!--"), "{}", f.path);
        assert!(
            !text.contains('\u{2028}') && !text.contains('\u{2029}'),
            "{}",
            f.path
        );
        for line in text.lines().filter(|l| l.starts_with("//")) {
            assert!(
                !line.contains('"'),
                "{}: comment line with config text: {line}",
                f.path
            );
        }
    }
    let plan = plan_of(&file(&files, &path_of("north-rush")).contents);
    assert_eq!(plan["name"], "North \"rush\" </script><!--");
    let body = plan["scenarios"][0]["body"].as_str().unwrap();
    assert_eq!(
        body,
        "{\"t\": \"{territory}\", \"r\": \"{region}\", \"note\": \"it's </script> \u{2028} line\nbreak\"}"
    );
    assert_eq!(
        plan["scenarios"][0]["content_type"],
        "text/plain; charset=utf-8"
    );
}

#[test]
fn an_entry_without_any_baseline_still_gets_a_script_that_says_so() {
    let model = odd_model();
    let (_, files) = render(&model);
    let script = &file(&files, &path_of("quiet-jp")).contents;
    let plan = plan_of(script);
    assert_eq!(plan["scenarios"], Value::Array(vec![]));
    assert!(script.contains("//   none"));
    assert!(
        script.contains("No scenario (no baseline_rps, or 0): odd-api-api-jp, odd-api-bulk2-jp.")
    );
}

#[test]
fn the_default_probes_come_from_the_workload_tables() {
    let (_, _, files) = render_default();
    let plan = plan_of(&file(&files, &path_of("oktoberfest")).contents);
    let de_commands = plan["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "DE-commands")
        .unwrap()
        .clone();
    assert_eq!(de_commands["method"], "POST");
    assert_eq!(de_commands["content_type"], "application/json");
    let odd = odd_model();
    let bulk = odd.workloads.iter().find(|w| w.name == "bulk2").unwrap();
    assert_eq!(
        (bulk.loadtest.method.as_str(), bulk.loadtest.path.as_str()),
        ("GET", "/")
    );
}

// ------------------------------------------------------------------ [workloads.W.loadtest]

/// `territories.toml:LINE` of the first line of the default territories containing `text`.
fn line_of(text: &str) -> String {
    let n = scalegen::config::example::TERRITORIES
        .lines()
        .position(|l| l.contains(text))
        .unwrap_or_else(|| panic!("{text} not in territories.toml"));
    format!("territories.toml:{}", n + 1)
}

#[test]
fn probe_methods_are_upper_case_http_methods() {
    let out = territories_with("method = \"POST\"", "method = \"post\"");
    assert_diag(
        &out,
        "`workloads.commands.loadtest.method` must be an upper-case HTTP method, found `post`",
        &line_of("method = \"POST\""),
    );
    assert!(out.contains("did you mean `POST`?"), "{out}");
    let out = territories_with("method = \"POST\"", "method = \"BREW\"");
    assert!(out.contains("use one of GET, HEAD, POST"), "{out}");
}

#[test]
fn probe_paths_start_with_a_slash_and_hold_only_url_characters() {
    let at = line_of("path = \"/api/customers");
    for (path, message) in [
        ("api/customers", "must start with `/`"),
        ("/api/customers?q=a b", "contains U+0020; percent-encode it"),
        ("/api/{tenant}/x", "has a brace outside the placeholders"),
        (
            "/api/{reg{territory}ion}",
            "has a brace outside the placeholders",
        ),
        ("/api/x#frag", "contains `#`"),
        ("/api/straße", "contains U+00DF"),
    ] {
        let out = territories_with(
            "path = \"/api/customers?territory={territory}&region={region}\"",
            &format!("path = \"{path}\""),
        );
        assert_diag(
            &out,
            &format!("`workloads.queries.loadtest.path` {message}"),
            &at,
        );
    }
}

#[test]
fn probe_bodies_need_a_method_that_carries_one() {
    let out = territories_with("method = \"POST\"", "method = \"GET\"");
    assert_diag(
        &out,
        "`workloads.commands.loadtest.body` is set but GET requests carry no body",
        &line_of("body = '"),
    );
    let big = format!("body = '{}'", "x".repeat(70_000));
    let out = territories_with(
        "body = '{\"territory\": \"{territory}\", \"region\": \"{region}\", \"company\": \"Load Test GmbH\"}'",
        &big,
    );
    assert!(
        out.contains("string of 70000 bytes is too long (at most 65536)"),
        "{out}"
    );
}

#[test]
fn unknown_probe_keys_suggest_the_close_name() {
    let out = territories_with("method = \"POST\"", "methd = \"POST\"");
    assert!(out.contains("unknown key `methd`"), "{out}");
    assert!(out.contains("did you mean `method`?"), "{out}");
}
