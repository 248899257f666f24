//! One insta snapshot per rendered file of the default FreshFoodz configuration
//! (`territories.toml` + `calendars/` at the repository root), stored in `snapshots/`.
//!
//! The test iterates over whatever `render_all` returns, so every artefact a later
//! module adds gets its snapshot without touching this file. Review changes with
//! `cargo insta review`.

use crate::support::render_default;
use scalegen::render::file::RenderedFile;

fn default_render() -> Vec<RenderedFile> {
    render_default().2
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
            snapshot_path => "../../snapshots",
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
