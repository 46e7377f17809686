"""Registered clients as the request paths read them. Each worker keeps the registrations
it has read and asks the database only for the version stamp of the one a request names
(a one-column lookup by a unique key), instead of loading the row and decoding its four JSON
columns on every token request. Every change gives a registration a new stamp
(models/clients.py), so a rotated secret or a deleted client takes effect in every worker
at the next request, as if nothing were kept.

Copies are detached from every database session: read-only by contract, never added to a
session (find_client is the way to load a client to change)."""

import threading

from ..extensions import db
from .clients import Client
from .clients import find_client

_VERSION = db.select(Client.version).where(Client.client_id == db.bindparam("client_id"))
_copies = {}  # client_id -> (version, Client)
_lock = threading.Lock()


def cached_client(client_id):
    """The client named client_id as it is now, or None when there is none. Unknown ids
    are not remembered: guessing ids must not fill the memory."""
    if not plausible_client_id(client_id):
        return None
    version = db.session.connection().execute(_VERSION, {"client_id": client_id}).scalar()
    if version is None:
        return None
    kept = kept_client(client_id, version)
    if kept is not None:
        return kept
    client = find_client(client_id)
    if client is None:
        return None
    copy = _detached_copy(client)
    with _lock:
        _copies[client_id] = (client.version, copy)
    return copy


def plausible_client_id(client_id):
    """Text that could be a registered id (at most the column's 64 characters, no NUL,
    which PostgreSQL refuses): anything else is no client without asking the database."""
    return isinstance(client_id, str) and len(client_id) <= 64 and "\x00" not in client_id


def kept_client(client_id, version):
    """The copy this worker keeps of client_id when it is at `version`, else None (not
    kept yet, or changed since): for a caller that read the version stamp itself."""
    entry = _copies.get(client_id)
    if entry is not None and entry[0] == version:
        return entry[1]
    return None


def _detached_copy(client):
    # A new object, so that the session's own (perhaps being changed) stays as it is.
    return Client(**{column.key: getattr(client, column.key)
                     for column in Client.__mapper__.column_attrs})
