//! kustomize overlays on the rendered output (SPEC §9), built with the real
//! `kubectl kustomize`: a `namePrefix`/`nameSuffix` keeps every ScaledObject's
//! `scaleTargetRef` resolvable (the shipped `configurations:` file does that), and
//! `scalegen check-build` reports every reference a build breaks.

use crate::support::{render_default, run_tool, tool, write_files, yaml_documents};
use scalegen::render::file::RenderedFile;
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
