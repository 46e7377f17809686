"""Local sessions, kept on the server (the store) and pointed at by the signed cookie, so
that a back-channel logout can end them (Back-Channel Logout 1.0 §2.7): each records the
provider's `sid`, the person's `sub`, how they authenticated and the tokens."""

import json
import secrets
from dataclasses import dataclass
from dataclasses import field

from flask import current_app
from flask import g
from flask import session as cookie_session

KEY = "rp_session"


@dataclass
class LocalSession:
    id: str
    sub: str
    sid: str | None
    acr: str | None
    amr: list
    auth_time: int | None
    id_token: str
    claims: dict
    access_token: str | None
    access_expires_at: int | None
    refresh_token: str | None
    userinfo: dict = field(default_factory=dict)
    refreshed: int = 0
    created_at: int = 0

    @property
    def name(self):
        info = {**self.claims, **self.userinfo}
        return info.get("name") or info.get("preferred_username") or self.sub

    def claim(self, name):
        """A claim from userinfo, else from the ID token."""
        return self.userinfo.get(name, self.claims.get(name))


def store():
    return current_app.extensions["demo_store"]


def current_session():
    """The local session of this browser, or None (never one that has ended)."""
    if "rp_local_session" not in g:
        g.rp_local_session = _load(cookie_session.get(KEY))
    return g.rp_local_session


def _load(session_id):
    if not isinstance(session_id, str):
        return None
    row = store().one("SELECT * FROM rp_sessions WHERE id = ? AND ended_at IS NULL", session_id)
    return _from_row(row) if row else None


def _from_row(row):
    return LocalSession(
        id=row["id"], sub=row["sub"], sid=row["sid"], acr=row["acr"],
        amr=json.loads(row["amr"]), auth_time=row["auth_time"], id_token=row["id_token"],
        claims=json.loads(row["claims"]), access_token=row["access_token"],
        access_expires_at=row["access_expires_at"], refresh_token=row["refresh_token"],
        userinfo=json.loads(row["userinfo"]), refreshed=row["refreshed"],
        created_at=row["created_at"])


def start_session(token, claims, userinfo, now):
    """A new local session (a new id: never the one the browser had before the login)."""
    previous = current_session()
    if previous is not None:
        end_session(previous.id, "replaced", now)
    session_id = secrets.token_urlsafe(24)
    store().run(
        "INSERT INTO rp_sessions (id, sid, sub, acr, amr, auth_time, id_token, claims, "
        "access_token, access_expires_at, refresh_token, userinfo, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        session_id, claims.get("sid"), claims["sub"], claims.get("acr"),
        json.dumps(claims.get("amr") or []), claims.get("auth_time"), token["id_token"],
        json.dumps(claims), token.get("access_token"), _expires_at(token, now),
        token.get("refresh_token"), json.dumps(userinfo or {}), now)
    cookie_session[KEY] = session_id
    g.pop("rp_local_session", None)
    return current_session()


def save_refresh(local, token, claims, now):
    """After a refresh: the rotated tokens, and the new ID token's claims if one came."""
    id_token = token.get("id_token") or local.id_token
    merged = claims or local.claims
    store().run(
        "UPDATE rp_sessions SET access_token = ?, access_expires_at = ?, refresh_token = ?, "
        "id_token = ?, claims = ?, refreshed = refreshed + 1 WHERE id = ? AND ended_at IS NULL",
        token.get("access_token"), _expires_at(token, now),
        token.get("refresh_token") or local.refresh_token, id_token, json.dumps(merged),
        local.id)
    g.pop("rp_local_session", None)


def save_userinfo(local, userinfo):
    store().run("UPDATE rp_sessions SET userinfo = ? WHERE id = ?", json.dumps(userinfo),
                local.id)
    local.userinfo = userinfo


def end_session(session_id, reason, now):
    store().run("UPDATE rp_sessions SET ended_at = ?, ended_reason = ? "
                "WHERE id = ? AND ended_at IS NULL", now, reason, session_id)
    g.pop("rp_local_session", None)


def end_current(reason, now):
    local = current_session()
    if local is not None:
        end_session(local.id, reason, now)
    cookie_session.pop(KEY, None)
    return local


def end_sessions_of(sid, sub, reason, now):
    """Back-channel logout: every session with this `sid` (and `sub`, when given); without
    a `sid`, every session of `sub`. Returns how many ended."""
    if sid is not None:
        sql, args = "sid = ?", [sid]
        if sub is not None:
            sql, args = sql + " AND sub = ?", args + [sub]
    else:
        sql, args = "sub = ?", [sub]
    return store().run(f"UPDATE rp_sessions SET ended_at = ?, ended_reason = ? "
                       f"WHERE ended_at IS NULL AND {sql}", now, reason, *args)


def _expires_at(token, now):
    if token.get("expires_at"):
        return int(token["expires_at"])
    if token.get("expires_in"):
        return now + int(token["expires_in"])
    return None
