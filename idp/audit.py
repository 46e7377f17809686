"""Audit log of security events: one row per event, written in the caller's transaction,
and a log line. Callers pass identifiers and outcomes, never secrets."""

import logging
import secrets

from flask import g
from flask import has_request_context
from flask import request

from .extensions import db
from .models import AuditEvent

log = logging.getLogger("idp.audit")


def init_app(app):
    @app.before_request
    def assign_request_id():
        g.request_id = secrets.token_hex(8)


def record(event, outcome="success", subject=None, client_id=None, **detail):
    ip = request_id = None
    if has_request_context():
        ip = request.remote_addr
        request_id = g.get("request_id")
    db.session.add(
        AuditEvent(
            event=event,
            outcome=outcome,
            subject=subject,
            client_id=client_id,
            ip=ip,
            request_id=request_id,
            detail=detail,
        )
    )
    log.info("%s %s subject=%s client=%s %s", event, outcome, subject, client_id, detail)


def request_id():
    return g.get("request_id") if has_request_context() else None
