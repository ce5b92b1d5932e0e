//! Undelivered requests across page loads of one tab: `sessionStorage["__insp_outbox"]`
//! (`config::OUTBOX_STORAGE_KEY`) holds the outbox's blob (`crate::transport::Outbox::persist`,
//! postcard) as one char per byte. Written on page hide and, throttled, while the collector is
//! unreachable; read and removed at start, and its requests are sent first. Storage that is
//! disabled, full or throwing only means less survives a reload.

use crate::agent::Agent;
use crate::config::OUTBOX_STORAGE_KEY;
use crate::transport::{from_latin1, to_latin1};
use alloc::vec::Vec;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

fn read(s: &web_sys::Storage) -> Option<Vec<u8>> {
    from_latin1(&s.get_item(OUTBOX_STORAGE_KEY).ok()??)
}

/// At start: takes what an earlier page load of this tab left.
pub fn restore(agent: &mut Agent) {
    let Some(s) = storage() else { return };
    let Some(blob) = read(&s) else { return };
    let _ = s.remove_item(OUTBOX_STORAGE_KEY);
    agent.restore_outbox(&blob);
}

/// Writes the outbox (keeping what other page loads of the tab stored); over the quota, a
/// quarter of the size, then nothing.
pub fn persist(agent: &mut Agent) {
    let Some(s) = storage() else { return };
    let existing = read(&s);
    let max = agent.outbox().policy().persist_max_bytes;
    for limit in [max, max / 4] {
        match agent.persist_blob(existing.as_deref(), limit) {
            None => break,
            Some(blob) => {
                if s.set_item(OUTBOX_STORAGE_KEY, &to_latin1(&blob)).is_ok() {
                    return;
                }
            }
        }
    }
    let _ = s.remove_item(OUTBOX_STORAGE_KEY);
}
