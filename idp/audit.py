"""Audit trail of security events: one row per event (time, event, outcome, subject,
client_id, address, request id, detail), written in the caller's transaction, and a log line.
Callers pass identifiers and outcomes, never secrets.

Events, with their outcomes (`success` unless named):
- login (success, failure: `record("login", "failure", subject=..., method=..., reason=...)`
  for login methods), logout, authorize (failure), consent (success, denied),
  consent_withdrawn;
- token_issued, token_refreshed, refresh_reuse, code_reuse, token_revoked,
  client_authentication (failure, at the token, introspection and revocation endpoints),
  backchannel_logout (success, failure), rate_limited (failure);
- administration: key_rotated, client_created, client_deleted, client_secret_rotated.

Secrets stay out of logs too: Authlib logs issued tokens at DEBUG level (e.g. "Issue token
%r to %r" in its grants), so its logger is held at INFO; request lines logged by the
development server and gunicorn have secret query parameters (an `id_token_hint`, a
`code`) redacted."""

import json
import logging
import re
import secrets
from urllib.parse import unquote

from flask import g
from flask import has_request_context
from flask import request
from joserfc.errors import JoseError
from joserfc.jws import extract_compact
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .models import AuditEvent
from .models.types import utcnow

log = logging.getLogger("idp.audit")

MAX_ID = 64  # column width of subject and client_id
SECRET_NAMES = ("code", "code_verifier", "client_secret", "client_assertion", "password",
                "access_token", "refresh_token", "id_token", "id_token_hint", "logout_token",
                "token", "cookie", "otp", "pin")
CLIENT_AUTH_ENDPOINTS = {"oauth.token": "token", "oauth.introspect": "introspection",
                         "oauth.revoke": "revocation",
                         "ciba.backchannel_authentication": "backchannel_authentication"}
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access")
INSERT = db.insert(AuditEvent.__table__)


def init_app(app):
    authlib_log = logging.getLogger("authlib")
    if authlib_log.level < logging.INFO:
        authlib_log.setLevel(logging.INFO)
    for name in REQUEST_LOGGERS:
        logging.getLogger(name).addFilter(REDACT)

    @app.before_request
    def assign_request_id():
        g.request_id = new_request_id()

    @app.after_request
    def audit_client_authentication(response):
        endpoint = CLIENT_AUTH_ENDPOINTS.get(request.endpoint)
        if endpoint and response.status_code == 401 and _error_of(response) == "invalid_client":
            try:
                record("client_authentication", "failure", client_id=claimed_client_id(),
                       endpoint=endpoint, method=_attempted_auth_method())
                db.session.commit()
            except SQLAlchemyError:
                db.session.rollback()
                log.exception("could not record a client authentication failure, request %s",
                              request_id())
        return response

    @app.after_request
    def add_request_id(response):
        if g.get("request_id"):
            response.headers["X-Request-Id"] = g.request_id
        return response


def new_request_id():
    """The id a request's audit rows, log lines and X-Request-Id header share."""
    return secrets.token_hex(8)


def record(event, outcome="success", subject=None, client_id=None, now=None, **detail):
    """Add an audit row to the current transaction (the caller commits). `now` is for
    events whose time the caller already holds; detail never names a secret."""
    ip = request_id = None
    if has_request_context():
        ip = request.remote_addr
        request_id = g.get("request_id")
    row = event_row(event, outcome, subject, client_id, now or utcnow(), ip, request_id, detail)
    # One Core INSERT, executed at once in the caller's transaction (no ORM unit of work).
    db.session.execute(INSERT, row)


def event_row(event, outcome, subject, client_id, now, ip, request_id, detail):
    """The audit row of an event, logged as it is made; for a caller that writes it itself
    (a request answered outside Flask, idp/oauth/fast_paths.py)."""
    secret = [name for name in detail if name in SECRET_NAMES]
    if secret:
        raise ValueError(f"audit detail may not hold a secret: {secret[0]!r}")
    subject, client_id = _clip(subject), _clip(client_id)
    log.info("%s %s subject=%r client=%r %s", event, outcome, subject, client_id, detail)
    return {"at": now, "event": event, "outcome": outcome, "subject": subject,
            "client_id": client_id, "ip": ip, "request_id": request_id, "detail": detail}


def request_id():
    return g.get("request_id") if has_request_context() else None


def claimed_client_id():
    """The client_id a token-endpoint style request claims, before authentication: the
    Basic user name (RFC 6749 §2.3.1), the `client_id` field, or the subject of a client
    assertion (RFC 7523 §3). Only an identifier to count and record, never trusted."""
    auth = request.authorization
    if auth is not None and auth.type == "basic" and auth.username:
        return _clip(unquote(auth.username))
    claimed = request.form.get("client_id") or _assertion_subject(
        request.form.get("client_assertion"))
    return _clip(claimed) if isinstance(claimed, str) else None


def _assertion_subject(assertion):
    if not assertion:
        return None
    try:
        claims = json.loads(extract_compact(assertion.encode()).payload)
    except (JoseError, ValueError):
        return None
    return claims.get("sub") if isinstance(claims, dict) else None


def _attempted_auth_method():
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return "client_secret_basic"
    if "client_assertion" in request.form:
        return "private_key_jwt"
    return "client_secret_post" if "client_secret" in request.form else "none"


def _error_of(response):
    body = response.get_json(silent=True) if response.is_json else None
    return body.get("error") if isinstance(body, dict) else None


def _clip(value):
    """At most a column's width, printable: claimed identifiers come from anyone."""
    if not isinstance(value, str):
        return value
    return "".join(c if c.isprintable() else "?" for c in value[:MAX_ID])


class _RedactSecrets(logging.Filter):
    """Replaces the value of secret query parameters in logged request lines."""

    PATTERN = re.compile(r"([?&](?:" + "|".join(SECRET_NAMES) + r")=)[^&\s\"']*")

    def filter(self, record):
        message = record.getMessage()
        redacted = self.PATTERN.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


REDACT = _RedactSecrets()
