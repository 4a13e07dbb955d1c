//! A few connections to one database, handed out one at a time.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::Connection;

use crate::{Error, RusqliteStore};

struct Idle {
    connections: Vec<Connection>,
    /// How many are open, idle or handed out.
    open: usize,
}

/// Connections to one database: idle ones are reused, new ones opened up
/// to `max`, and beyond that a caller waits for one to come back.
pub(crate) struct Pool {
    /// `None`: an in-memory database, its one connection.
    path: Option<PathBuf>,
    max: usize,
    idle: Mutex<Idle>,
    returned: Condvar,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("path", &self.path)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

/// Opens `path` with the store's settings: WAL, a busy timeout.
fn open(path: &Path) -> Result<Connection, Error> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_millis(RusqliteStore::BUSY_TIMEOUT_MS))?;
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    Ok(conn)
}

impl Pool {
    pub(crate) fn file(path: &Path, max: usize) -> Result<Self, Error> {
        // Open one now, so that a path that is no database fails here.
        let first = open(path)?;
        Ok(Self {
            path: Some(path.to_owned()),
            max: max.max(1),
            idle: Mutex::new(Idle {
                connections: vec![first],
                open: 1,
            }),
            returned: Condvar::new(),
        })
    }

    pub(crate) fn memory() -> Result<Self, Error> {
        Ok(Self {
            path: None,
            max: 1,
            idle: Mutex::new(Idle {
                connections: vec![Connection::open_in_memory()?],
                open: 1,
            }),
            returned: Condvar::new(),
        })
    }

    pub(crate) fn set_max(&mut self, max: usize) {
        if self.path.is_some() {
            self.max = max.max(1);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Idle> {
        // A list and a count, changed in single steps: still consistent
        // after a panic elsewhere, so a poisoned lock is used as it is.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A connection, until the guard is dropped.
    pub(crate) fn get(&self) -> Result<Pooled<'_>, Error> {
        let mut idle = self.lock();
        loop {
            if let Some(conn) = idle.connections.pop() {
                return Ok(Pooled {
                    pool: self,
                    conn: Some(conn),
                });
            }
            if let Some(path) = self.path.as_deref().filter(|_| idle.open < self.max) {
                idle.open = idle.open.saturating_add(1);
                drop(idle);
                return match open(path) {
                    Ok(conn) => Ok(Pooled {
                        pool: self,
                        conn: Some(conn),
                    }),
                    Err(e) => {
                        let mut idle = self.lock();
                        idle.open = idle.open.saturating_sub(1);
                        drop(idle);
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            idle = self.returned.wait(idle).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// A connection of the pool; back to it on drop.
pub(crate) struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<Connection>,
}

impl Deref for Pooled<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // Some until drop.
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.lock().connections.push(conn);
            self.pool.returned.notify_one();
        }
    }
}
