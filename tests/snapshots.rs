//! One insta snapshot per rendered file of the default FreshFoodz configuration
//! (`territories.toml` + `calendars/` at the repository root), stored in `snapshots/`.
//!
//! The test iterates over whatever `render_all` returns, so every artefact a later
//! module adds gets its snapshot without touching this file. Review changes with
//! `cargo insta review`.

use scalegen::render::file::RenderedFile;
use scalegen::render::render_all;
use std::path::Path;

fn default_render() -> Vec<RenderedFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let loaded = scalegen::config::validate::load_model(
        &root.join("territories.toml"),
        &root.join("calendars"),
    )
    .unwrap_or_else(|f| panic!("default config is invalid:\n{}", f.render()));
    let schedule = scalegen::schedule::compile::compile(&loaded.model);
    render_all(&loaded.model, &schedule).unwrap_or_else(|e| panic!("{e}"))
}

/// `deployments/freshplan-api-queries-de.yaml` → `deployments__freshplan-api-queries-de.yaml`.
fn snapshot_name(path: &str) -> String {
    path.replace('/', "__")
}

#[test]
fn every_rendered_file_matches_its_snapshot() {
    let files = default_render();
    assert!(!files.is_empty());
    for file in &files {
        insta::with_settings!({
            snapshot_path => "../snapshots",
            prepend_module_to_snapshot => false,
            description => file.path.as_str(),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(snapshot_name(&file.path), &file.contents);
        });
    }
}

#[test]
fn snapshot_names_are_unique_per_path() {
    let files = default_render();
    let mut names: Vec<String> = files.iter().map(|f| snapshot_name(&f.path)).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), files.len());
}
