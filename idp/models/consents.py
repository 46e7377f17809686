"""Remembered consent: per subject and client, the set of scopes the person approved."""

from sqlalchemy import JSON

from ..extensions import db
from .types import UTCDateTime
from .types import utcnow


class Consent(db.Model):
    __tablename__ = "consents"
    __table_args__ = (db.UniqueConstraint("subject", "client_id"),)

    id = db.Column(db.Integer, primary_key=True)
    subject = db.Column(db.String(64), nullable=False)
    client_id = db.Column(db.String(64), nullable=False)
    scopes = db.Column(JSON, nullable=False, default=list)
    granted_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


_BY_SUBJECT_AND_CLIENT = db.select(Consent).where(
    Consent.subject == db.bindparam("subject"), Consent.client_id == db.bindparam("client_id"))


def find_consent(subject, client_id):
    return db.session.execute(
        _BY_SUBJECT_AND_CLIENT, {"subject": subject, "client_id": client_id}
    ).scalar_one_or_none()


def consents_of(subject):
    return db.session.execute(
        db.select(Consent).filter_by(subject=subject).order_by(Consent.granted_at.desc())
    ).scalars().all()


def delete_client_consents(client_id):
    db.session.execute(db.delete(Consent).where(Consent.client_id == client_id))
