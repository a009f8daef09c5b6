// Embed templates/ in the binary so deploygen works from any directory. The
// table holds each template's source; the Renderer parses a template the first
// time a file needs it, so a process that renders one environment does not
// parse the templates of the other platforms (issue 25).
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=templates");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut files = Vec::new();
    collect(&root, &mut files);
    // Sorted by name as a string: the Renderer looks names up by binary search.
    let mut named: Vec<(String, &PathBuf)> = files
        .iter()
        .map(|path| {
            (
                path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/"),
                path,
            )
        })
        .collect();
    named.sort();
    let mut table = String::from("&[\n");
    for (name, path) in &named {
        writeln!(table, "    ({name:?}, include_str!({:?})),", path.display().to_string()).unwrap();
    }
    table.push(']');
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap()).join("embedded_templates.rs");
    std::fs::write(out, table).unwrap();
}

/// Every `*.j2` below `dir`, skipping hidden files and folders.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(&path, files);
        } else if name.ends_with(".j2") {
            files.push(path);
        }
    }
}
