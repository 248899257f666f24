//! kustomize overlays on the rendered output (SPEC §9), built with the real
//! `kubectl kustomize`: a `namePrefix`/`nameSuffix` keeps every ScaledObject's
//! `scaleTargetRef` resolvable (the shipped `configurations:` file does that), and
//! `scalegen check-build` reports every reference a build breaks.

use crate::support::{
    default_sources, model, render, render_default, run_tool, scalegen_in, tool, write_files,
    yaml_documents,
};
use scalegen::render::file::RenderedFile;
use scalegen::report::build::{self, Broken};
use serde_yaml::Value;
use std::path::Path;
use std::process::Command;

/// The rendered files in `<tmp>/base` and an overlay `<tmp>/overlay` with `extra` lines.
fn overlay(files: &[RenderedFile], extra: &str) -> tempfile::TempDir {
    let dir = write_files(&[]);
    let base = dir.path().join("base");
    for f in files {
        let path = base.join(&f.path);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, &f.contents).unwrap();
    }
    let overlay = dir.path().join("overlay");
    fs_err::create_dir_all(&overlay).unwrap();
    fs_err::write(
        overlay.join("kustomization.yaml"),
        format!("resources:\n  - ../base\n{extra}"),
    )
    .unwrap();
    dir
}

/// `kubectl kustomize DIR` (None when kubectl is missing and not required).
fn kustomize(dir: &Path) -> Option<String> {
    let kubectl = tool("kubectl", "KUBECTL")?;
    let (ok, out) = run_tool(Command::new(kubectl).arg("kustomize").arg(dir));
    assert!(ok, "kubectl kustomize {} failed:\n{out}", dir.display());
    Some(out)
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(v, |v, k| &v[*k])
        .as_str()
        .unwrap_or_else(|| panic!("{path:?} missing in {v:?}"))
}

/// (namespace, scaleTargetRef name) of every ScaledObject whose target is no Deployment of
/// the build in its namespace, and how many ScaledObjects there are.
fn unresolved_targets(build: &str) -> (Vec<(String, String)>, usize) {
    let docs = yaml_documents(build);
    let of_kind = |kind: &str| -> Vec<&Value> {
        docs.iter()
            .filter(|d| d["kind"].as_str() == Some(kind))
            .collect()
    };
    let deployments: Vec<(String, String)> = of_kind("Deployment")
        .iter()
        .map(|d| {
            (
                str_at(d, &["metadata", "namespace"]).to_string(),
                str_at(d, &["metadata", "name"]).to_string(),
            )
        })
        .collect();
    let scaled = of_kind("ScaledObject");
    let broken = scaled
        .iter()
        .map(|so| {
            (
                str_at(so, &["metadata", "namespace"]).to_string(),
                str_at(so, &["spec", "scaleTargetRef", "name"]).to_string(),
            )
        })
        .filter(|target| !deployments.contains(target))
        .collect();
    (broken, scaled.len())
}

#[test]
fn name_prefix_and_suffix_keep_every_scale_target_resolvable() {
    let (model, _, files) = render_default();
    let dir = overlay(
        &files,
        "namePrefix: eu-\nnameSuffix: -blue\nnamespace: freshplan-staging\n",
    );
    let Some(build) = kustomize(&dir.path().join("overlay")) else {
        return;
    };
    let (broken, count) = unresolved_targets(&build);
    assert_eq!(count, model.territories.len() * model.workloads.len());
    assert_eq!(broken, Vec::<(String, String)>::new());
    assert!(
        build.contains("name: eu-freshplan-api-queries-de-blue\n"),
        "the overlay renamed the objects"
    );
}

#[test]
fn without_the_shipped_configuration_the_prefix_breaks_every_target() {
    let (_, _, files) = render_default();
    let stripped: Vec<RenderedFile> = files
        .into_iter()
        .map(|mut f| {
            if f.path == "kustomization.yaml" {
                let cut = f.contents.find("configurations:").expect("configurations");
                f.contents.truncate(cut);
            }
            f
        })
        .collect();
    let dir = overlay(&stripped, "namePrefix: eu-\n");
    let Some(build) = kustomize(&dir.path().join("overlay")) else {
        return;
    };
    let (broken, count) = unresolved_targets(&build);
    assert_eq!(broken.len(), count, "kustomize alone does not know KEDA");
}

// ------------------------------------------------------------------ check-build

/// `scalegen check-build -` on `build`: (exit code, stdout, stderr).
fn check_build(build: &str) -> (i32, String, String) {
    scalegen_in(&std::env::temp_dir(), &["check-build", "-"], Some(build))
}

#[test]
fn check_build_flags_a_namespace_changing_overlay_and_passes_its_environment() {
    let (t, c) = default_sources();
    let base = model(&t, &c);
    let dir = overlay(&render(&base).1, "namespace: freshplan-staging\n");
    let Some(build) = kustomize(&dir.path().join("overlay")) else {
        return;
    };
    let (code, out, err) = check_build(&build);
    assert_eq!(code, 1, "{out}{err}");
    for kind in ["ScaledObject", "PrometheusRule", "PodMonitor", "ConfigMap"] {
        assert!(
            out.lines().any(
                |l| l.starts_with(&format!("error: {kind} freshplan-staging/"))
                    && l.contains("namespace")
            ),
            "{kind} not flagged:\n{out}"
        );
    }
    assert!(
        out.contains("scalegen render --env NAME --out DIR"),
        "{out}"
    );
    let staging = base.for_environment("staging").unwrap();
    let dir = overlay(&render(&staging).1, "namespace: freshplan-staging\n");
    let build = kustomize(&dir.path().join("overlay")).unwrap();
    let (code, out, _) = check_build(&build);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("check-build: no broken references in "),
        "{out}"
    );
}

#[test]
fn check_build_keeps_prefixed_targets_and_names_the_alerts_a_prefix_breaks() {
    let dir = overlay(&render_default().2, "namePrefix: eu-\n");
    let Some(build) = kustomize(&dir.path().join("overlay")) else {
        return;
    };
    let (code, out, _) = check_build(&build);
    assert!(!out.contains("scaleTargetRef"), "{out}");
    assert!(!out.contains("namespace="), "{out}");
    // KEDA names the HPA after the renamed ScaledObject; the alerts cannot follow. That is
    // reported as a warning: the build keeps every reference SPEC §9 asks for.
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("error: "), "{out}");
    let flagged: Vec<&str> = out.lines().filter(|l| l.starts_with("warning: ")).collect();
    assert_eq!(flagged.len(), 12, "{out}");
    for holder in [
        "PrometheusRule freshplan/eu-freshplan-api-scaling",
        "ConfigMap freshplan/eu-freshplan-api-scaling-dashboard",
    ] {
        let lines: Vec<&&str> = flagged
            .iter()
            .filter(|l| l.starts_with(&format!("warning: {holder}: ")))
            .collect();
        assert_eq!(lines.len(), 6, "one per ScaledObject: {out}");
        assert!(lines
            .iter()
            .all(|l| l.contains("(its HPA `keda-hpa-freshplan-api-")));
    }
    assert!(out.contains("0 broken references and 12 warnings"), "{out}");
    let (code, _, _) = scalegen_in(
        &std::env::temp_dir(),
        &["check-build", "--deny-warnings", "-"],
        Some(&build),
    );
    assert_eq!(code, 1, "--deny-warnings fails on them");
}

/// The clean build of the default configuration (no kubectl needed: the rendered files
/// already are the build, one document after another).
fn clean_build() -> String {
    let (_, _, files) = render_default();
    files
        .iter()
        .filter(|f| f.kustomize)
        .map(|f| format!("---\n{}", f.contents))
        .collect()
}

/// The problems of `build` as (object, broken kind) pairs.
fn problems(build: &str) -> Vec<(String, Broken)> {
    let objects = build::objects(build).expect("the build parses");
    build::check(&objects)
        .into_iter()
        .map(|p| (p.object, p.broken))
        .collect()
}

#[test]
fn check_build_catches_each_kind_of_broken_reference() {
    let clean = clean_build();
    assert_eq!(problems(&clean), []);
    let edit = |from: &str, to: &str| {
        assert!(clean.contains(from), "{from}");
        clean.replacen(from, to, 1)
    };
    // A ScaledObject whose Deployment was renamed away.
    let broken = edit(
        "kind: Deployment\nmetadata:\n  name: \"freshplan-api-commands-at\"",
        "kind: Deployment\nmetadata:\n  name: \"gone\"",
    );
    assert_eq!(
        problems(&broken),
        [(
            "ScaledObject freshplan/freshplan-api-commands-at".to_string(),
            Broken::ScaleTarget
        )]
    );
    // A trigger querying another namespace.
    let broken = edit(
        "count{namespace=\\\"freshplan\\\",territory=\\\"AT\\\"",
        "count{namespace=\\\"prod\\\",territory=\\\"AT\\\"",
    );
    assert_eq!(
        problems(&broken),
        [(
            "ScaledObject freshplan/freshplan-api-commands-at".to_string(),
            Broken::Namespace
        )]
    );
    // A PodMonitor selecting another namespace.
    let broken = edit(
        "matchNames:\n      - \"freshplan\"",
        "matchNames:\n      - \"other\"",
    );
    assert_eq!(
        problems(&broken),
        [(
            "PodMonitor freshplan/freshplan-api".to_string(),
            Broken::Namespace
        )]
    );
    // A Service (and the PDB beside it) selecting pods nobody runs.
    let broken = clean.replace(
        "    workload: \"commands\"\n  ports:",
        "    workload: \"cmds\"\n  ports:",
    );
    let found = problems(&broken);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found
        .iter()
        .all(|(o, k)| o.starts_with("Service freshplan/") && *k == Broken::Selector));
    // Alerts and the dashboard reading the HPA of a ScaledObject that does not exist.
    let hpa = "keda-hpa-freshplan-api-commands-at";
    assert_eq!(
        clean.matches(hpa).count(),
        11,
        "9 in the dashboard (technical and cost panels), 2 in alert expressions"
    );
    let broken = clean.replace(hpa, "keda-hpa-freshplan-api-commands-xx");
    assert_eq!(
        problems(&broken),
        [
            (
                "ConfigMap freshplan/freshplan-api-scaling-dashboard".to_string(),
                Broken::ScaledObjectName
            ),
            (
                "PrometheusRule freshplan/freshplan-api-scaling".to_string(),
                Broken::ScaledObjectName
            )
        ]
    );
}

#[test]
fn check_build_reads_files_and_stdin_and_rejects_what_is_no_build() {
    let dir = write_files(&[]);
    let path = dir.path().join("build.yaml");
    fs_err::write(&path, clean_build()).unwrap();
    let (code, out, _) = scalegen_in(dir.path(), &["check-build", "build.yaml"], None);
    assert_eq!(
        (code, out.starts_with("check-build: no broken")),
        (0, true),
        "{out}"
    );
    let (code, _, err) = check_build("kind: [unclosed\n");
    assert_eq!(code, 2);
    assert!(err.contains("error: <stdin>: invalid YAML"), "{err}");
    let (code, _, err) = check_build("a: 1\n");
    assert_eq!(code, 2);
    assert!(
        err.contains("document 1 is not a Kubernetes object"),
        "{err}"
    );
    let (code, _, err) = scalegen_in(dir.path(), &["check-build", "missing.yaml"], None);
    assert_eq!(code, 2);
    assert!(err.contains("missing.yaml"), "{err}");
}
