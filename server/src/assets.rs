//! Files embedded at build time (see build.rs): the agent build and the dashboard.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `dist/`: the agent (`inspectlet.js`, `insp.wasm`, `insp.mjs`, `insp.d.ts`), served at `/NAME`
    /// to any origin.
    Dist,
    /// `www/`: the dashboard and viewer, served under `/`.
    Www,
}

#[derive(Debug)]
pub struct Asset {
    pub source: Source,
    /// Path relative to its directory, `/`-separated.
    pub path: &'static str,
    pub bytes: &'static [u8],
    /// Weak ETag of the content (weak: the compression layer changes the bytes sent).
    pub etag: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// Every embedded file.
pub fn all() -> &'static [Asset] {
    ASSETS
}

/// The asset served at URL path `path` (leading `/`, no query). `dir/` serves `dir/index.html`.
/// On a clash `dist/` wins: the agent file names are a contract with pages in the wild.
pub fn find(path: &str) -> Option<&'static Asset> {
    static INDEX: OnceLock<HashMap<String, &'static Asset>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut map = HashMap::new();
        for source in [Source::Www, Source::Dist] {
            for a in ASSETS.iter().filter(|a| a.source == source) {
                map.insert(format!("/{}", a.path), a);
                if let Some(dir) = a.path.strip_suffix("index.html") {
                    map.insert(format!("/{dir}"), a);
                }
            }
        }
        map
    });
    index.get(path).copied()
}

/// MIME type by extension; `insp.wasm` must be `application/wasm` for streaming compilation.
pub fn content_type(path: &str) -> &'static str {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        // .d.ts: readable in a browser tab rather than downloaded
        "ts" => "text/plain; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
