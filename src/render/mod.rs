//! Render stage: the validated model and compiled schedule become an in-memory file set.
//!
//! [`render_all`] is the orchestrator: each artefact module (`k8s`, `monitoring`,
//! `runbook`, `migration`, `loadtest`, `jobs`) contributes its files through the
//! [`engine::Renderer`], and the kustomization listing them comes last. Nothing is
//! written here. Each file gets scalegen's generated-file header, and every YAML file is
//! parsed back before it is accepted ([`mod@file`]), so a template bug surfaces as an
//! internal error naming the template and file instead of as a broken manifest on disk.
//! The re-parse has a fast path for the plain YAML the templates write ([`yaml_subset`]):
//! it proves the full parse would succeed, and anything it cannot prove gets the full parse.
//!
//! The artefact modules import the engine, the file type and the PromQL builder, never
//! this orchestrator, so the imports inside `render/` point one way.

pub mod engine;
pub mod file;
pub mod jobs;
pub mod k8s;
pub mod kustomize;
pub mod limits;
pub mod loadtest;
pub mod migration;
pub mod monitoring;
pub mod promql;
pub mod runbook;
pub mod yaml_subset;

use crate::config::model::Model;
use crate::schedule::Schedule;
use engine::Renderer;
use file::{RenderError, RenderedFile};
use serde::Serialize;

/// Renders every artefact of SPEC §3 in memory, sorted by path.
pub fn render_all(model: &Model, schedule: &Schedule) -> Result<Vec<RenderedFile>, RenderError> {
    let renderer = Renderer::new(model, schedule);
    // The artefacts are independent: the per-deployment manifests, the dashboard and the
    // runbook on this thread, the rules, their tests and the migration on a second one
    // (about half each). The result and the first error reported do not depend on which
    // finishes first.
    let (k8s, monitoring, dashboard, runbook, migration) = std::thread::scope(|scope| {
        let other = scope.spawn(|| (monitoring::render(&renderer), migration::render(&renderer)));
        let k8s = k8s::render(&renderer);
        let dashboard = monitoring::dashboard_files(&renderer);
        let runbook = runbook::render(&renderer);
        let (monitoring, migration) = other
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (k8s, monitoring, dashboard, runbook, migration)
    });
    let mut files = Vec::new();
    files.extend(k8s?);
    files.extend(monitoring?);
    files.extend(dashboard?);
    files.extend(runbook?);
    files.extend(migration?);
    files.extend(loadtest::render(&renderer)?);
    files.extend(jobs::render(&renderer)?);
    files.push(kustomize::render(&renderer)?);
    files.push(kustomization(&renderer, &files)?);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(f) = files.iter().find(|f| !file::is_artefact_path(&f.path)) {
        return Err(RenderError {
            template: "(none)".into(),
            file: f.path.clone(),
            message: "the path matches no pattern of render::file::ARTEFACT_PATHS, so `render` could never prune it; add one".into(),
        });
    }
    Ok(files)
}

/// Context of `kustomization.yaml.j2`.
#[derive(Serialize)]
struct KustomizationContext<'a> {
    /// Namespace of every object.
    namespace: &'a str,
    /// Paths of the files `kubectl apply -k` applies, sorted.
    resources: Vec<&'a str>,
    /// Transformer configurations (name references kustomize does not know).
    configurations: Vec<&'a str>,
}

fn kustomization(r: &Renderer, files: &[RenderedFile]) -> Result<RenderedFile, RenderError> {
    let mut resources: Vec<&str> = files
        .iter()
        .filter(|f| f.kustomize)
        .map(|f| f.path.as_str())
        .collect();
    resources.sort_unstable();
    let ctx = KustomizationContext {
        namespace: &r.model.app.namespace,
        resources,
        configurations: vec![kustomize::CONFIG_FILE],
    };
    r.file("kustomization.yaml.j2", ctx, "kustomization.yaml", false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use file::GENERATED_MARKER;

    #[test]
    fn every_file_starts_with_the_generated_header_and_is_listed_once() {
        let model = crate::config::validate::model_from_strs(
            crate::config::example::TERRITORIES,
            crate::config::example::CALENDARS,
        )
        .expect("default config validates");
        let schedule = crate::schedule::compile::compile(&model);
        let files = render_all(&model, &schedule).unwrap();
        for f in &files {
            let first = f.contents.lines().next().unwrap_or("");
            assert!(first.contains(GENERATED_MARKER), "{}: {first}", f.path);
        }
        let kustomization = files
            .iter()
            .find(|f| f.path == "kustomization.yaml")
            .unwrap();
        for f in files.iter().filter(|f| f.kustomize) {
            let line = format!("  - \"{}\"\n", f.path);
            assert_eq!(
                kustomization.contents.matches(&line).count(),
                1,
                "{}",
                f.path
            );
        }
    }
}
