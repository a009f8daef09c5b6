// Embed templates/ in the binary so deploygen works from any directory.
fn main() {
    minijinja_embed::embed_templates!("templates", &[".j2"][..]);
}
