//! The kustomize transformer configuration shipped next to `kustomization.yaml` (SPEC §9):
//! the references between generated objects that kustomize must rewrite when an overlay
//! renames them (`namePrefix`, `nameSuffix`) but does not know on its own.

use crate::render::engine::Renderer;
use crate::render::file::{RenderError, RenderedFile};
use serde::Serialize;

/// Path of the configuration in the output directory (named by `configurations:`).
pub const CONFIG_FILE: &str = "kustomizeconfig.yaml";

/// Context of `kustomizeconfig.yaml.j2`.
#[derive(Serialize)]
struct KustomizeConfigContext {
    /// `nameReference` entries: a referenced kind and where other objects name it.
    references: Vec<NameReference>,
}

/// One `nameReference` entry.
#[derive(Serialize)]
struct NameReference {
    kind: &'static str,
    group: &'static str,
    field_specs: Vec<FieldSpec>,
}

/// A field that holds the name of the referenced object.
#[derive(Serialize)]
struct FieldSpec {
    kind: &'static str,
    group: &'static str,
    path: &'static str,
}

/// The only name reference kustomize does not know: a ScaledObject's target Deployment.
pub fn render(r: &Renderer) -> Result<RenderedFile, RenderError> {
    let ctx = KustomizeConfigContext {
        references: vec![NameReference {
            kind: "Deployment",
            group: "apps",
            field_specs: vec![FieldSpec {
                kind: "ScaledObject",
                group: "keda.sh",
                path: "spec/scaleTargetRef/name",
            }],
        }],
    };
    r.file("kustomizeconfig.yaml.j2", ctx, CONFIG_FILE, false)
}
