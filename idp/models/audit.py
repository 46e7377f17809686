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

    def to_dict(self):
        return {"at": self.at.isoformat(), "event": self.event, "outcome": self.outcome,
                "subject": self.subject, "client_id": self.client_id, "ip": self.ip,
                "request_id": self.request_id, "detail": self.detail}


def find_events(subject=None, event=None, since=None, limit=200):
    """The newest `limit` events matching the filters, oldest first."""
    query = db.select(AuditEvent)
    if subject is not None:
        query = query.where(AuditEvent.subject == subject)
    if event is not None:
        query = query.where(AuditEvent.event == event)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    return list(reversed(db.session.scalars(query).all()))
