//! Object sizes against what the cluster accepts (issue 12, item 6): a configuration with
//! many territories gets its PrometheusRule and dashboard split per territory, every
//! object then fits `kubectl apply`'s annotation, the kustomization lists the parts, and
//! the promtool tests still cover every rule; the default configuration stays one file each.

use crate::support::{render, render_default, try_model};
use scalegen::render::file::RenderedFile;
use scalegen::render::limits::{check, object_sizes, LAST_APPLIED_BYTES};
use std::fmt::Write as _;

fn code(i: usize) -> String {
    let a = (b'A' + (i / 26) as u8) as char;
    let b = (b'A' + (i % 26) as u8) as char;
    format!("{a}{b}")
}

/// `n` territories of two workloads each, one season flooring all of them.
fn many_territories(n: usize) -> Vec<RenderedFile> {
    let mut t = String::from(
        "[app]\nname = \"wide\"\nnamespace = \"wide\"\nimage = \"registry.example.com/wide:1\"\nrunbook_url = \"https://wiki.example.com/runbook\"\n\n[workloads.queries]\np95_ms = 300\n\n[workloads.commands]\np95_ms = 350\n\n",
    );
    let mut season = String::from(
        "[[season]]\nid = \"peak\"\nfrom = \"09-01\"\nto = \"10-15\"\nhours = \"08:00-20:00\"\n",
    );
    for i in 0..n {
        let c = code(i);
        let _ = write!(t, "[territories.{c}]\nname = \"Territory {i}\"\ntimezone = \"Europe/Berlin\"\nqueries = {{ min = 1, max = 20, rps_per_replica = 50 }}\ncommands = {{ min = 1, max = 10, rps_per_replica = 20 }}\n\n");
        let _ = writeln!(season, "floor.{c} = {{ queries = 4, commands = 3 }}");
    }
    t.push_str("[events]\nchannel = \"wide_events\"\ntypes = [\"a.b\", \"c.d\"]\n");
    let model = try_model(&t, &[("peak.toml".into(), season)]).unwrap_or_else(|e| panic!("{e}"));
    render(&model).1
}

fn paths(files: &[RenderedFile], prefix: &str) -> Vec<String> {
    files
        .iter()
        .filter(|f| f.path.starts_with(prefix))
        .map(|f| f.path.clone())
        .collect()
}

#[test]
fn the_default_configuration_is_one_rule_file_and_one_dashboard_well_within_limits() {
    let files = render_default().2;
    assert_eq!(
        paths(&files, "monitoring/prometheusrule-scaling"),
        [
            "monitoring/prometheusrule-scaling.test.yaml",
            "monitoring/prometheusrule-scaling.yaml"
        ]
    );
    assert_eq!(
        paths(&files, "monitoring/grafana-dashboard"),
        ["monitoring/grafana-dashboard.yaml"]
    );
    assert!(check(&files).is_empty());
    let largest = object_sizes(&files).into_iter().map(|o| o.json_bytes).max();
    assert!(largest.unwrap() < LAST_APPLIED_BYTES / 4, "{largest:?}");
}

#[test]
fn many_territories_split_the_rule_and_the_dashboard_per_territory() {
    let n = 40;
    let files = many_territories(n);
    assert!(check(&files).is_empty(), "{:?}", check(&files));
    let rules = paths(&files, "monitoring/prometheusrule-scaling-");
    assert_eq!(rules.len(), n, "{rules:?}");
    assert!(rules.contains(&"monitoring/prometheusrule-scaling-aa.yaml".to_string()));
    assert_eq!(paths(&files, "monitoring/grafana-dashboard-").len(), n);
    assert!(paths(&files, "monitoring/grafana-dashboard.yaml").is_empty());
    let common = files
        .iter()
        .find(|f| f.path == "monitoring/prometheusrule-scaling.yaml")
        .expect("the rules of no territory stay in the common file");
    assert!(
        !common.contents.contains("territory: \"AA\""),
        "no territory rules in the common file"
    );
    let de = files
        .iter()
        .find(|f| f.path == "monitoring/prometheusrule-scaling-ab.yaml")
        .unwrap();
    assert!(de.contents.contains("name: \"wide-scaling-ab\""));
    assert!(
        de.contents.contains("\"territory\": \"AB\""),
        "{}",
        &de.contents[..2000]
    );
    assert!(!de.contents.contains("\"territory\": \"AC\""));
    let kustomization = &files
        .iter()
        .find(|f| f.path == "kustomization.yaml")
        .unwrap()
        .contents;
    for path in rules
        .iter()
        .chain(&paths(&files, "monitoring/grafana-dashboard-"))
    {
        assert!(
            kustomization.contains(&format!("- \"{path}\"")),
            "{path} not listed"
        );
    }
    let tests = files
        .iter()
        .find(|f| f.path == "monitoring/prometheusrule-scaling.test.yaml")
        .unwrap();
    assert!(
        tests.contents.contains("- \"rules/scaling.rules.yaml\""),
        "the tests load the plain rule file, which is never split"
    );
    // The parts hold the same rules as one object would, and as the plain rule file: every
    // alert once per territory.
    let alerts = |f: &RenderedFile| f.contents.matches("- alert: ").count();
    let total: usize = files
        .iter()
        .filter(|f| {
            f.path.starts_with("monitoring/prometheusrule-scaling")
                && !f.path.ends_with(".test.yaml")
        })
        .map(alerts)
        .sum();
    let plain = files
        .iter()
        .find(|f| f.path == "monitoring/rules/scaling.rules.yaml")
        .unwrap();
    assert_eq!(alerts(plain), total);
    let dashboards = paths(&files, "monitoring/grafana-dashboard-");
    let uids: std::collections::BTreeSet<_> = files
        .iter()
        .filter(|f| dashboards.contains(&f.path))
        .map(|f| {
            f.contents
                .lines()
                .find(|l| l.contains("\"uid\": \"scalegen"))
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(uids.len(), n, "every part has its own uid");
    assert!(total > n * 10, "{total}");
}

#[test]
fn the_split_rules_pass_the_promtool_unit_tests() {
    let Some(script) = crate::support::validate_manifests("check-rules.sh") else {
        return;
    };
    let files = many_territories(40);
    assert!(
        !paths(&files, "monitoring/prometheusrule-scaling-").is_empty(),
        "split"
    );
    let dir = crate::support::write_files(&files);
    let parts: Vec<std::path::PathBuf> = paths(&files, "monitoring/prometheusrule-scaling")
        .iter()
        .filter(|p| !p.ends_with(".test.yaml"))
        .map(|p| dir.path().join(p))
        .collect();
    for args in [
        vec![
            "--test".into(),
            dir.path()
                .join("monitoring/prometheusrule-scaling.test.yaml"),
        ],
        parts,
    ] {
        let o = std::process::Command::new("bash")
            .arg(&script)
            .args(&args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
