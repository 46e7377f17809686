"""Server-side single sign-on sessions. The browser holds only a random cookie whose
digest identifies the record, so ending the record ends the session everywhere."""

from sqlalchemy import JSON

from ..extensions import db
from .types import UTCDateTime
from .types import digest


class LoginSession(db.Model):
    __tablename__ = "login_sessions"

    sid = db.Column(db.String(64), primary_key=True)  # public, goes into tokens
    cookie_digest = db.Column(db.String(64), unique=True, nullable=False)
    subject = db.Column(db.String(64), nullable=False, index=True)
    method = db.Column(db.String(32), nullable=False)
    acr = db.Column(db.String(128))
    amr = db.Column(JSON, nullable=False, default=list)
    auth_time = db.Column(db.Integer, nullable=False)
    evidence_ref = db.Column(db.String(64))
    ip = db.Column(db.String(64))
    user_agent = db.Column(db.String(300))
    created_at = db.Column(UTCDateTime, nullable=False)
    last_seen_at = db.Column(UTCDateTime, nullable=False)
    expires_at = db.Column(UTCDateTime, nullable=False)
    ended_at = db.Column(UTCDateTime)

    def is_live(self, now, idle_ttl):
        if self.ended_at is not None or now >= self.expires_at:
            return False
        return (now - self.last_seen_at).total_seconds() < idle_ttl


class SessionClient(db.Model):
    """The clients a session has signed in to: whom to tell at logout."""

    __tablename__ = "session_clients"

    sid = db.Column(db.String(64), db.ForeignKey("login_sessions.sid"), primary_key=True)
    client_id = db.Column(db.String(64), primary_key=True)


_BY_COOKIE = db.select(LoginSession).where(LoginSession.cookie_digest == db.bindparam("digest"))
_CLIENT_OF_SESSION = db.select(SessionClient.sid).where(
    SessionClient.sid == db.bindparam("sid"), SessionClient.client_id == db.bindparam("client_id"))


def find_session_by_cookie(cookie):
    if not isinstance(cookie, str) or len(cookie) > 128:
        return None
    return db.session.execute(_BY_COOKIE, {"digest": digest(cookie)}).scalar_one_or_none()


def live_session(session):
    """A login session that exists and was not ended (logged out, revoked)."""
    return session is not None and session.ended_at is None


def find_session(sid):
    return db.session.get(LoginSession, sid) if isinstance(sid, str) else None


def record_session_client(sid, client_id):
    known = db.session.execute(_CLIENT_OF_SESSION, {"sid": sid, "client_id": client_id}).first()
    if known is None:
        db.session.add(SessionClient(sid=sid, client_id=client_id))


def clients_of_session(sid):
    return db.session.execute(
        db.select(SessionClient.client_id).filter_by(sid=sid)
    ).scalars().all()


def delete_sessions_over(before):
    """Forget sessions that ended or expired before `before`, and their client lists."""
    over = db.select(LoginSession.sid).where(
        (LoginSession.ended_at < before) | (LoginSession.expires_at < before)
    )
    db.session.execute(db.delete(SessionClient).where(SessionClient.sid.in_(over)))
    db.session.execute(
        db.delete(LoginSession).where(LoginSession.sid.in_(over)),
        execution_options={"synchronize_session": False},
    )
