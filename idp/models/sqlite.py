"""SQLite connection settings. Write-ahead logging (https://sqlite.org/wal.html): a commit
appends to the log and syncs it once, where the default rollback journal creates, syncs
and deletes a file per transaction; readers no longer wait for a writer. With
`synchronous=FULL` the log is synced at every commit, so a committed transaction survives
a power loss (https://sqlite.org/pragma.html#pragma_synchronous). PostgreSQL connections
are not touched."""

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _write_ahead_log(dbapi_connection, connection_record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()
