//! Embeds the agent build (`../dist/`) and the dashboard (`../www/`) in the binary, so a
//! release `insp` is self-contained. Writes `$OUT_DIR/assets.rs`: a table of
//! `Asset { source, path, bytes: include_bytes!(..), etag }`. A missing directory just adds
//! nothing, so native tests build before the wasm agent does.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest
        .parent()
        .expect("server/ lives inside the workspace");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("assets.rs");

    let mut table = String::from("pub static ASSETS: &[Asset] = &[\n");
    for (dir, source) in [("dist", "Source::Dist"), ("www", "Source::Www")] {
        let dir = root.join(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        walk(&dir, &mut files);
        files.sort();
        for file in files {
            println!("cargo:rerun-if-changed={}", file.display());
            let Some(rel) = rel_path(&dir, &file) else {
                continue;
            };
            let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let abs = file.canonicalize().unwrap_or(file.clone());
            writeln!(
                table,
                "    Asset {{ source: {source}, path: {rel:?}, bytes: include_bytes!({abs:?}), etag: \"W/\\\"{:016x}\\\"\" }},",
                fnv1a(&bytes),
            )
            .unwrap();
        }
    }
    table.push_str("];\n");
    std::fs::write(out, table).unwrap();
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // Dotfiles (.gitkeep, editor swap files) are not assets.
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, out);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

/// `dir/a/b.js` -> `a/b.js` with `/` separators; None for non-UTF-8 names.
fn rel_path(dir: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(dir).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// Content hash for the ETag; FNV-1a is enough to tell builds apart.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
