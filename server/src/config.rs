//! Runtime settings of a server (built from flags and env by `cli`), and the API key file.

use crate::limits::{Limits, API_KEY_BYTES};
use std::io;
use std::path::{Path, PathBuf};

/// File in the data directory that keeps a generated API key across restarts.
pub const API_KEY_FILE: &str = "api-key";

#[derive(Debug, Clone)]
pub struct Settings {
    /// Bearer token for `/api/*`.
    pub api_key: String,
    pub limits: Limits,
    /// Take the client IP for rate limiting from the last `X-Forwarded-For` entry (set this only
    /// behind a reverse proxy that appends it; otherwise clients could pick their own bucket).
    pub trust_forwarded_for: bool,
    /// Directory served at `/examples/`, if any.
    pub examples_dir: Option<PathBuf>,
}

impl Settings {
    pub fn new(api_key: impl Into<String>) -> Self {
        Settings {
            api_key: api_key.into(),
            limits: Limits::default(),
            trust_forwarded_for: false,
            examples_dir: None,
        }
    }
}

/// Reads `DATA/api-key`, or generates a random key and stores it there (owner-only on Unix).
/// Returns the key and whether it was just created.
pub fn load_or_create_api_key(data: &Path) -> io::Result<(String, bool)> {
    let path = data.join(API_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(s) if !s.trim().is_empty() => return Ok((s.trim().to_owned(), false)),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut bytes = [0u8; API_KEY_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(format!("random: {e}")))?;
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::create_dir_all(data)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    io::Write::write_all(&mut opts.open(&path)?, format!("{key}\n").as_bytes())?;
    Ok((key, true))
}
