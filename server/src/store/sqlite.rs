//! The embedded store: one SQLite file in WAL mode. One connection writes and one reads
//! (WAL lets reads proceed during a write); every call runs on a blocking thread so the
//! async runtime never waits on disk.

use super::{
    GapMarker, Ingested, LoadDelivery, PageRecord, SeqRange, SessionDetail, SessionQuery,
    SessionSummary, Site, Store, StoredBatch,
};
use crate::error::{Error, Result};
use crate::limits::SQLITE_BUSY_TIMEOUT_MS;
use async_trait::async_trait;
use insp_agent::event::{Body, Envelope, EventBatch, EventData, GapReason, Meta};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// File name inside the data directory.
pub const DB_FILE: &str = "insp.sqlite";

/// Schema migrations, applied in order; `PRAGMA user_version` counts the applied ones.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE sites (
    wid     INTEGER PRIMARY KEY,
    origins TEXT NOT NULL DEFAULT '[]'   -- JSON array; empty = any origin
);
CREATE TABLE sessions (
    sid              TEXT PRIMARY KEY,
    wid              INTEGER NOT NULL REFERENCES sites(wid),
    vid              TEXT NOT NULL,
    identity         TEXT,
    -- version of the identity write: (t_ms, mseq, pid), compared as a tuple
    identity_t_ms    INTEGER,
    identity_mseq    INTEGER,
    identity_pid     INTEGER,
    start_ms         INTEGER NOT NULL,
    last_activity_ms INTEGER NOT NULL
);
CREATE INDEX sessions_by_site ON sessions(wid, start_ms DESC);
CREATE TABLE tags (
    sid   TEXT NOT NULL REFERENCES sessions(sid),
    key   TEXT NOT NULL,
    value TEXT,                          -- NULL = tag without value
    t_ms  INTEGER NOT NULL,
    mseq  INTEGER NOT NULL,
    pid   INTEGER NOT NULL,
    PRIMARY KEY (sid, key)
) WITHOUT ROWID;
CREATE INDEX tags_by_value ON tags(key, value);
CREATE TABLE pages (
    sid      TEXT NOT NULL REFERENCES sessions(sid),
    pid      INTEGER NOT NULL,
    idx      INTEGER NOT NULL,
    t_ms     INTEGER NOT NULL,
    url      TEXT NOT NULL,
    title    TEXT NOT NULL,
    virtual  INTEGER NOT NULL,
    PRIMARY KEY (sid, pid, idx)
) WITHOUT ROWID;
-- data: the uncompressed envelope carrying this batch (insp_agent::codec::decode).
CREATE TABLE batches (
    sid   TEXT NOT NULL REFERENCES sessions(sid),
    pid   INTEGER NOT NULL,
    seq   INTEGER NOT NULL,
    t0_ms INTEGER NOT NULL,
    t1_ms INTEGER NOT NULL,
    data  BLOB NOT NULL,
    PRIMARY KEY (sid, pid, seq)
);
"#,
    // 2: the `Gap` events of stored batches (recording the agent dropped), for the session API.
    r#"
CREATE TABLE gap_markers (
    sid           TEXT NOT NULL REFERENCES sessions(sid),
    pid           INTEGER NOT NULL,
    seq           INTEGER NOT NULL,     -- the batch carrying the marker
    idx           INTEGER NOT NULL,     -- its index in the batch
    t_ms          INTEGER NOT NULL,
    from_seq      INTEGER NOT NULL,
    to_seq        INTEGER NOT NULL,
    dropped_bytes INTEGER NOT NULL,
    reason        TEXT NOT NULL,        -- memory_bound | rejected
    status        INTEGER,
    PRIMARY KEY (sid, pid, seq, idx)
) WITHOUT ROWID;
"#,
    // 3: per-site settings (insp_agent::settings::SiteSettings as JSON); no row = the defaults.
    r#"
CREATE TABLE site_settings (
    wid      INTEGER PRIMARY KEY REFERENCES sites(wid),
    settings TEXT NOT NULL
);
"#];

#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Conns>,
}

struct Conns {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) `DIR/insp.sqlite` and brings its schema up to date.
    /// Blocking; call before serving or from a blocking context.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path: PathBuf = dir.join(DB_FILE);
        let mut writer = Connection::open(&path)?;
        configure(&writer)?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        migrate(&mut writer)?;
        let reader = Connection::open(&path)?;
        configure(&reader)?;
        Ok(SqliteStore {
            inner: Arc::new(Conns {
                writer: Mutex::new(writer),
                reader: Mutex::new(reader),
            }),
        })
    }

    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            // A panic mid-call rolled its transaction back on unwind, so the connection is usable.
            let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut conn)
        })
        .await?
    }

    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = inner.reader.lock().unwrap_or_else(|p| p.into_inner());
            f(&conn)
        })
        .await?
    }
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_millis(SQLITE_BUSY_TIMEOUT_MS))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // WAL + NORMAL: durable across process crashes; a power loss may drop the last commits.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let applied: usize = tx.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    if applied > MIGRATIONS.len() {
        return Err(Error::Internal(format!(
            "database schema version {applied} is newer than this binary ({})",
            MIGRATIONS.len()
        )));
    }
    for sql in &MIGRATIONS[applied..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)?;
    tx.commit()?;
    Ok(())
}

/// SQLite integers are signed; hostile timestamps above i64::MAX are clamped, not wrapped.
fn int(v: u64) -> i64 {
    v.min(i64::MAX as u64) as i64
}

fn site_from_row(wid: i64, origins: String) -> Result<Site> {
    let origins: Vec<String> = serde_json::from_str(&origins)
        .map_err(|e| Error::Internal(format!("site {wid}: bad origins: {e}")))?;
    Ok(Site {
        wid: wid as u64,
        origins,
    })
}

fn origins_json(origins: &[String]) -> String {
    serde_json::to_string(origins).unwrap_or_else(|_| "[]".into())
}

fn ingest_tx(conn: &mut Connection, env: &Envelope, raw: Vec<u8>) -> Result<Ingested> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let owner: Option<i64> = tx
        .query_row("SELECT wid FROM sessions WHERE sid = ?1", [&env.sid], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(owner) = owner {
        if owner != int(env.wid) {
            return Err(Error::bad_request("session id belongs to another site"));
        }
    }

    // Start = earliest start seen; a batch's t0 bounds it too (batches may arrive before meta).
    let (start_ms, last_ms) = match &env.body {
        Body::Meta(m) => {
            let last = m.pages.iter().map(|p| p.t_ms).fold(m.t_ms, u64::max);
            (m.session_start_ms, last)
        }
        Body::Events(b) => (b.t0_ms, b.t0_ms.max(b.t1_ms)),
    };
    tx.execute(
        "INSERT INTO sessions (sid, wid, vid, start_ms, last_activity_ms) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(sid) DO UPDATE SET
           start_ms = min(start_ms, excluded.start_ms),
           last_activity_ms = max(last_activity_ms, excluded.last_activity_ms)",
        params![env.sid, int(env.wid), env.vid, int(start_ms), int(last_ms)],
    )?;

    let outcome = match &env.body {
        Body::Meta(m) => {
            merge_meta(&tx, &env.sid, env.pid, m)?;
            Ingested::Stored
        }
        Body::Events(b) => store_batch(&tx, &env.sid, env.pid, b, raw)?,
    };
    tx.commit()?;
    Ok(outcome)
}

/// Tags and identity carry a version (t_ms, mseq, pid); a write applies only if its version is
/// not older than the stored one, so a retried old delta never overwrites a newer value.
/// `>=` rather than `>`: a re-delivery rewrites the same value, and a key repeated within one
/// delta ends with its last value.
fn merge_meta(tx: &rusqlite::Transaction<'_>, sid: &str, pid: u32, m: &Meta) -> Result<()> {
    let (t, mseq, pid) = (int(m.t_ms), m.mseq as i64, pid as i64);
    if let Some(identity) = &m.identity {
        tx.execute(
            "UPDATE sessions SET identity = ?1, identity_t_ms = ?2, identity_mseq = ?3, identity_pid = ?4
             WHERE sid = ?5 AND (identity_t_ms IS NULL
                   OR (?2, ?3, ?4) >= (identity_t_ms, identity_mseq, identity_pid))",
            params![identity, t, mseq, pid, sid],
        )?;
    }
    let mut tag_stmt = tx.prepare_cached(
        "INSERT INTO tags (sid, key, value, t_ms, mseq, pid) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(sid, key) DO UPDATE SET
           value = excluded.value, t_ms = excluded.t_ms, mseq = excluded.mseq, pid = excluded.pid
         WHERE (excluded.t_ms, excluded.mseq, excluded.pid) >= (tags.t_ms, tags.mseq, tags.pid)",
    )?;
    for tag in &m.tags {
        tag_stmt.execute(params![sid, tag.key, tag.value, t, mseq, pid])?;
    }
    let mut page_stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO pages (sid, pid, idx, t_ms, url, title, virtual)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for p in &m.pages {
        page_stmt.execute(params![
            sid,
            pid,
            p.idx,
            int(p.t_ms),
            p.url,
            p.title,
            p.virtual_
        ])?;
    }
    Ok(())
}

fn store_batch(
    tx: &rusqlite::Transaction<'_>,
    sid: &str,
    pid: u32,
    b: &EventBatch,
    raw: Vec<u8>,
) -> Result<Ingested> {
    let inserted = tx.execute(
        "INSERT OR IGNORE INTO batches (sid, pid, seq, t0_ms, t1_ms, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![sid, pid, b.seq, int(b.t0_ms), int(b.t1_ms), raw],
    )?;
    if inserted != 1 {
        return Ok(Ingested::Duplicate);
    }
    let mut gap_stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO gap_markers
           (sid, pid, seq, idx, t_ms, from_seq, to_seq, dropped_bytes, reason, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (idx, e) in b.events.iter().enumerate() {
        if let EventData::Gap {
            from_seq,
            to_seq,
            dropped_bytes,
            reason,
        } = &e.data
        {
            let (reason, status) = match reason {
                GapReason::MemoryBound => ("memory_bound", None),
                GapReason::Rejected { status } => ("rejected", Some(*status)),
            };
            gap_stmt.execute(params![
                sid,
                pid,
                b.seq,
                idx as i64,
                int(b.t0_ms.saturating_add(e.dt_ms as u64)),
                from_seq,
                to_seq,
                int(*dropped_bytes),
                reason,
                status
            ])?;
        }
    }
    Ok(Ingested::Stored)
}

/// Per page load of `sid` (those with batches or page views): stored batches, the holes in
/// their seqs, and the agent's gap markers.
fn load_delivery(conn: &Connection, sid: &str) -> Result<Vec<LoadDelivery>> {
    let mut loads: Vec<LoadDelivery> = Vec::new();
    let entry = |loads: &mut Vec<LoadDelivery>, pid: u32| -> usize {
        match loads.iter().position(|l| l.pid == pid) {
            Some(i) => i,
            None => {
                loads.push(LoadDelivery {
                    pid,
                    batches: 0,
                    last_seq: None,
                    missing: Vec::new(),
                    gaps: Vec::new(),
                });
                loads.len() - 1
            }
        }
    };
    let mut stmt =
        conn.prepare_cached("SELECT pid, seq FROM batches WHERE sid = ?1 ORDER BY pid, seq")?;
    let rows = stmt.query_map([sid], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, u32>(1)?)))?;
    for row in rows {
        let (pid, seq) = row?;
        let i = entry(&mut loads, pid);
        let l = &mut loads[i];
        let expected = l.last_seq.map_or(0, |s| s.saturating_add(1));
        if seq > expected {
            l.missing.push(SeqRange {
                first_seq: expected,
                last_seq: seq - 1,
            });
        }
        l.batches += 1;
        l.last_seq = Some(seq);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT pid, seq, t_ms, from_seq, to_seq, dropped_bytes, reason, status
         FROM gap_markers WHERE sid = ?1 ORDER BY pid, seq, idx",
    )?;
    let rows = stmt.query_map([sid], |r| {
        Ok((
            r.get::<_, u32>(0)?,
            GapMarker {
                seq: r.get(1)?,
                t_ms: r.get::<_, i64>(2)?.max(0) as u64,
                from_seq: r.get(3)?,
                to_seq: r.get(4)?,
                dropped_bytes: r.get::<_, i64>(5)?.max(0) as u64,
                reason: r.get(6)?,
                status: r.get(7)?,
            },
        ))
    })?;
    for row in rows {
        let (pid, g) = row?;
        let i = entry(&mut loads, pid);
        loads[i].gaps.push(g);
    }
    let mut stmt = conn.prepare_cached("SELECT DISTINCT pid FROM pages WHERE sid = ?1")?;
    let pids = stmt.query_map([sid], |r| r.get::<_, u32>(0))?;
    for pid in pids {
        entry(&mut loads, pid?);
    }
    loads.sort_by_key(|l| l.pid);
    Ok(loads)
}

const SESSION_COLUMNS: &str = "s.sid, s.wid, s.vid, s.identity, s.start_ms, s.last_activity_ms,
    (SELECT count(*) FROM pages p WHERE p.sid = s.sid)";

fn session_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionSummary> {
    Ok(SessionSummary {
        id: r.get(0)?,
        wid: r.get::<_, i64>(1)? as u64,
        visitor_id: r.get(2)?,
        identity: r.get(3)?,
        start_ms: r.get::<_, i64>(4)?.max(0) as u64,
        last_activity_ms: r.get::<_, i64>(5)?.max(0) as u64,
        page_count: r.get::<_, i64>(6)? as u64,
        tags: Default::default(),
    })
}

fn load_tags(conn: &Connection, s: &mut SessionSummary) -> Result<()> {
    let mut stmt = conn.prepare_cached("SELECT key, value FROM tags WHERE sid = ?1")?;
    let rows = stmt.query_map([&s.id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
    })?;
    for row in rows {
        let (k, v) = row?;
        s.tags.insert(k, v);
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_site(&self, origins: Vec<String>) -> Result<Site> {
        self.write(move |conn| {
            // INTEGER PRIMARY KEY without AUTOINCREMENT: the next wid is max + 1.
            conn.execute(
                "INSERT INTO sites (origins) VALUES (?1)",
                [origins_json(&origins)],
            )?;
            Ok(Site {
                wid: conn.last_insert_rowid() as u64,
                origins,
            })
        })
        .await
    }

    async fn ensure_site(&self, wid: u64, origins: Vec<String>) -> Result<Site> {
        self.write(move |conn| {
            conn.execute(
                "INSERT OR IGNORE INTO sites (wid, origins) VALUES (?1, ?2)",
                params![int(wid), origins_json(&origins)],
            )?;
            let origins: String = conn.query_row(
                "SELECT origins FROM sites WHERE wid = ?1",
                [int(wid)],
                |r| r.get(0),
            )?;
            site_from_row(int(wid), origins)
        })
        .await
    }

    async fn site(&self, wid: u64) -> Result<Option<Site>> {
        if wid > i64::MAX as u64 {
            return Ok(None);
        }
        self.read(move |conn| {
            let row: Option<String> = conn
                .query_row(
                    "SELECT origins FROM sites WHERE wid = ?1",
                    [wid as i64],
                    |r| r.get(0),
                )
                .optional()?;
            row.map(|o| site_from_row(wid as i64, o)).transpose()
        })
        .await
    }

    async fn sites(&self) -> Result<Vec<Site>> {
        self.read(|conn| {
            let mut stmt = conn.prepare("SELECT wid, origins FROM sites ORDER BY wid")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
            let mut sites = Vec::new();
            for row in rows {
                let (wid, origins) = row?;
                sites.push(site_from_row(wid, origins)?);
            }
            Ok(sites)
        })
        .await
    }

    async fn ingest(&self, env: Envelope, raw: Vec<u8>) -> Result<Ingested> {
        self.write(move |conn| ingest_tx(conn, &env, raw)).await
    }

    async fn sessions(&self, wid: u64, query: SessionQuery) -> Result<Vec<SessionSummary>> {
        self.read(move |conn| {
            let mut sql = format!("SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.wid = ?");
            let mut args: Vec<Value> = vec![Value::Integer(int(wid))];
            for f in &query.tags {
                sql.push_str(" AND EXISTS (SELECT 1 FROM tags t WHERE t.sid = s.sid AND t.key = ?");
                args.push(Value::Text(f.key.clone()));
                if let Some(v) = &f.value {
                    // `=` on TEXT is exact and case-sensitive (BINARY collation).
                    sql.push_str(" AND t.value = ?");
                    args.push(Value::Text(v.clone()));
                }
                sql.push(')');
            }
            sql.push_str(" ORDER BY s.start_ms DESC, s.rowid DESC LIMIT ? OFFSET ?");
            args.push(Value::Integer(query.limit as i64));
            args.push(Value::Integer(int(query.offset)));

            let mut stmt = conn.prepare(&sql)?;
            let mut sessions = stmt
                .query_map(rusqlite::params_from_iter(args), session_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for s in &mut sessions {
                load_tags(conn, s)?;
            }
            Ok(sessions)
        })
        .await
    }

    async fn session(&self, sid: &str) -> Result<Option<SessionDetail>> {
        let sid = sid.to_owned();
        self.read(move |conn| {
            let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.sid = ?1");
            let Some(mut session) = conn.query_row(&sql, [&sid], session_from_row).optional()?
            else {
                return Ok(None);
            };
            load_tags(conn, &mut session)?;
            let mut stmt = conn.prepare(
                "SELECT pid, idx, t_ms, url, title, virtual FROM pages WHERE sid = ?1
                 ORDER BY t_ms, pid, idx",
            )?;
            let pages = stmt
                .query_map([&sid], |r| {
                    Ok(PageRecord {
                        pid: r.get(0)?,
                        idx: r.get(1)?,
                        t_ms: r.get::<_, i64>(2)?.max(0) as u64,
                        url: r.get(3)?,
                        title: r.get(4)?,
                        virtual_: r.get(5)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let delivery = load_delivery(conn, &sid)?;
            Ok(Some(SessionDetail {
                session,
                pages,
                delivery,
            }))
        })
        .await
    }

    async fn batches(&self, sid: &str) -> Result<Vec<StoredBatch>> {
        let sid = sid.to_owned();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT pid, seq, t0_ms, t1_ms, data FROM batches WHERE sid = ?1 ORDER BY pid, seq",
            )?;
            let rows = stmt
                .query_map([&sid], |r| {
                    Ok(StoredBatch {
                        pid: r.get(0)?,
                        seq: r.get(1)?,
                        t0_ms: r.get::<_, i64>(2)?.max(0) as u64,
                        t1_ms: r.get::<_, i64>(3)?.max(0) as u64,
                        data: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn batch_stamp(&self, sid: &str) -> Result<(u64, u64)> {
        let sid = sid.to_owned();
        self.read(move |conn| {
            let (n, bytes): (i64, i64) = conn.query_row(
                "SELECT count(*), coalesce(sum(length(data)), 0) FROM batches WHERE sid = ?1",
                [&sid],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok((n.max(0) as u64, bytes.max(0) as u64))
        })
        .await
    }

    async fn site_settings(&self, wid: u64) -> Result<Option<insp_agent::settings::SiteSettings>> {
        self.read(move |conn| super::site_settings::load(conn, wid)).await
    }

    async fn set_site_settings(
        &self,
        wid: u64,
        settings: insp_agent::settings::SiteSettings,
    ) -> Result<Option<insp_agent::settings::SiteSettings>> {
        self.write(move |conn| super::site_settings::store(conn, wid, settings)).await
    }
}
