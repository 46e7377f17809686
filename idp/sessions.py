"""Single sign-on sessions (OpenID Connect Core §3.1.2.3 authentication state): a
server-side record per login and a random HttpOnly cookie pointing at it."""

import secrets
from datetime import timedelta

from flask import current_app
from flask import g
from flask import request

from . import audit
from .authn.levels import lapse_session
from .extensions import db
from .models import LoginSession
from .models.sessions import find_session_by_cookie
from .models.tokens import revoke_families
from .models.types import digest
from .models.types import new_secret
from .models.types import utcnow

TOUCH_INTERVAL = 60  # seconds between last-seen updates, to spare a write per request


def current_session(now=None):
    """The live session of this browser, or None. Cached for the request."""
    if "sso_session" in g:
        return g.sso_session
    now = now or utcnow()
    cfg = current_app.config
    record = find_session_by_cookie(request.cookies.get(cfg["IDP_SSO_COOKIE"]))
    if record is not None and not record.is_live(now, cfg["IDP_SESSION_IDLE_TTL"]):
        record = None
    elif record is not None and touch_due(record, now):
        record.last_seen_at = now
        db.session.commit()
    if record is not None and lapse_session(record, now):
        db.session.commit()
    g.sso_session = record
    return record


def touch_due(record, now):
    """Whether the session's last-seen time is to be written at this request."""
    return (now - record.last_seen_at).total_seconds() > TOUCH_INTERVAL


def start_session(result, now=None, client_id=None):
    """Start or renew this browser's session for an AuthenticationResult; returns
    (record, cookie value). The same person logging in again (prompt=login, max_age, a
    higher acr) renews the session: its sid, and so the relying parties signed in with it,
    stay. Someone else logging in ends the previous session. Either way the cookie is new,
    so a cookie planted before the login is worth nothing after it."""
    now = now or utcnow()
    cfg = current_app.config
    cookie = new_secret()
    record = current_session(now)
    if record is not None and record.subject != result.subject:
        end_session(record, "replaced", now)
        record = None
    if record is None:
        record = LoginSession(sid=secrets.token_urlsafe(24), subject=result.subject,
                              created_at=now)
        db.session.add(record)
    record.cookie_digest = digest(cookie)
    record.method = result.method
    record.acr = result.acr
    record.amr = list(result.amr)
    record.auth_time = result.auth_time
    record.evidence_ref = result.evidence_ref
    record.ip = request.remote_addr
    record.user_agent = (request.user_agent.string or "")[:300]
    record.last_seen_at = now
    record.expires_at = now + timedelta(seconds=cfg["IDP_SESSION_ABSOLUTE_TTL"])
    audit.record("login", subject=result.subject, client_id=client_id, method=result.method,
                 acr=result.acr, sid=record.sid)
    g.sso_session = record
    return record, cookie


def set_cookie(response, cookie):
    cfg = current_app.config
    response.set_cookie(
        cfg["IDP_SSO_COOKIE"],
        cookie,
        max_age=cfg["IDP_SESSION_ABSOLUTE_TTL"],
        path="/",
        secure=cfg["IDP_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def clear_cookie(response):
    cfg = current_app.config
    response.delete_cookie(cfg["IDP_SSO_COOKIE"], path="/", secure=cfg["IDP_SECURE"],
                           httponly=True, samesite="Lax")


def end_session(record, reason, now=None):
    """End a session everywhere: the record, the tokens bound to it, and the relying
    parties that registered for back-channel logout."""
    from .oauth.backchannel import queue_logout

    now = now or utcnow()
    if record.ended_at is not None:
        return
    record.ended_at = now
    revoke_families(now, "session_ended", sid=record.sid)
    queue_logout(record, now)
    audit.record("logout", subject=record.subject, sid=record.sid, reason=reason)
    g.sso_session = None
