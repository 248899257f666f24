//! Placeholder: filled in by its own issue.

use crate::render::{RenderError, RenderedFile, Renderer};

/// Renders this module's artefacts.
pub fn render(_r: &Renderer) -> Result<Vec<RenderedFile>, RenderError> {
    Ok(Vec::new())
}
