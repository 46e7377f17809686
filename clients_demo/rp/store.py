"""A small SQLite store per app: the relying-party kit's tables (local sessions, used
logout-token ids, authorization state) plus each app's own. One connection per
operation, so the threaded development server can use it from any thread."""

import contextlib
import sqlite3
import threading

SCHEMA = """
CREATE TABLE IF NOT EXISTS rp_sessions (
    id TEXT PRIMARY KEY,
    sid TEXT,
    sub TEXT NOT NULL,
    acr TEXT,
    amr TEXT NOT NULL DEFAULT '[]',
    auth_time INTEGER,
    id_token TEXT NOT NULL,
    claims TEXT NOT NULL,
    access_token TEXT,
    access_expires_at INTEGER,
    refresh_token TEXT,
    userinfo TEXT NOT NULL DEFAULT '{}',
    refreshed INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    ended_at INTEGER,
    ended_reason TEXT
);
CREATE INDEX IF NOT EXISTS rp_sessions_sid ON rp_sessions (sid);
CREATE INDEX IF NOT EXISTS rp_sessions_sub ON rp_sessions (sub);
CREATE TABLE IF NOT EXISTS rp_used_jtis (
    jti TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rp_auth_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
"""


class Store:
    def __init__(self, path):
        self.path = str(path)
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def connect(self):
        """A connection in a transaction: committed on success, rolled back on error."""
        connection = sqlite3.connect(self.path, timeout=10)
        connection.row_factory = sqlite3.Row
        try:
            with connection:
                yield connection
        finally:
            connection.close()

    def migrate(self, *scripts):
        with self._lock, self.connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            for script in (SCHEMA, *scripts):
                db.executescript(script)

    def one(self, sql, *args):
        with self.connect() as db:
            return db.execute(sql, args).fetchone()

    def all(self, sql, *args):
        with self.connect() as db:
            return db.execute(sql, args).fetchall()

    def run(self, sql, *args):
        """Execute a statement; returns the number of rows it changed."""
        with self.connect() as db:
            return db.execute(sql, args).rowcount

    def remember_once(self, jti, expires_at, now):
        """Record a token id; False if it was already recorded (a replay)."""
        with self.connect() as db:
            db.execute("DELETE FROM rp_used_jtis WHERE expires_at < ?", (now,))
            try:
                db.execute("INSERT INTO rp_used_jtis (jti, expires_at) VALUES (?, ?)",
                           (jti, expires_at))
            except sqlite3.IntegrityError:
                return False
        return True


class StateCache:
    """Authlib's framework cache interface (get/set/delete) over the store: the state,
    nonce and PKCE verifier of a login in progress stay on the server; the browser's
    cookie only marks that the state belongs to it."""

    def __init__(self, store, clock):
        self.store = store
        self.clock = clock

    def get(self, key):
        row = self.store.one("SELECT value FROM rp_auth_state WHERE key = ? AND expires_at > ?",
                             key, int(self.clock()))
        return row["value"] if row else None

    def set(self, key, value, expires_in):
        now = int(self.clock())
        with self.store.connect() as db:
            db.execute("DELETE FROM rp_auth_state WHERE expires_at <= ?", (now,))
            db.execute("INSERT OR REPLACE INTO rp_auth_state (key, value, expires_at) "
                       "VALUES (?, ?, ?)", (key, value, now + int(expires_in)))

    def delete(self, key):
        self.store.run("DELETE FROM rp_auth_state WHERE key = ?", key)
