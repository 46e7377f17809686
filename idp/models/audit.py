"""Audit trail of security events. Never holds a secret (code, password, token)."""

from sqlalchemy import JSON

from ..extensions import db
from .types import UTCDateTime
from .types import utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    event = db.Column(db.String(64), nullable=False, index=True)
    outcome = db.Column(db.String(16), nullable=False)
    subject = db.Column(db.String(64), index=True)
    client_id = db.Column(db.String(64))
    ip = db.Column(db.String(64))
    request_id = db.Column(db.String(32))
    detail = db.Column(JSON, nullable=False, default=dict)
