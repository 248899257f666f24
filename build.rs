//! Embeds every file under `templates/` into the binary (see `src/render/engine.rs`).
fn main() {
    minijinja_embed::embed_templates!("templates");
}
