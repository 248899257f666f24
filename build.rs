//! Embeds every file under `templates/` into the binary (see `src/templates.rs`).
fn main() {
    minijinja_embed::embed_templates!("templates");
}
