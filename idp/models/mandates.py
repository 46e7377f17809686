"""Establishment mandates: a citizen (the agent, by national ID) may act for an
establishment (by commercial-registration number) in named services, from `starts_at`
to `ends_at`, until revoked. Granted by an owner (`source` "owner", active at once) or
requested with a chamber-certified letter (`source` "letter", `pending` until an
administrator approves or rejects it). `ref` is the public identifier."""

import secrets

from sqlalchemy import JSON

from ..extensions import db
from .types import UTCDateTime

PENDING = "pending"
ACTIVE = "active"
REJECTED = "rejected"
OWNER = "owner"
LETTER = "letter"


class Mandate(db.Model):
    __tablename__ = "mandates"

    id = db.Column(db.Integer, primary_key=True)
    ref = db.Column(db.String(32), unique=True, nullable=False,
                    default=lambda: "mdt_" + secrets.token_urlsafe(12))
    agent_national_id = db.Column(db.String(32), nullable=False, index=True)
    agent_sub = db.Column(db.String(64), index=True)  # when the agent had an account
    establishment_cr = db.Column(db.String(16), nullable=False, index=True)
    establishment_name = db.Column(db.String(200), nullable=False)
    establishment_name_ar = db.Column(db.String(200))
    permissions = db.Column(JSON, nullable=False, default=list)
    starts_at = db.Column(UTCDateTime, nullable=False)
    ends_at = db.Column(UTCDateTime, nullable=False)
    status = db.Column(db.String(12), nullable=False)  # pending, active, rejected
    source = db.Column(db.String(8), nullable=False)  # owner, letter
    granted_by = db.Column(db.String(64), nullable=False)  # the owner's or the agent's sub
    evidence_ref = db.Column(db.String(120), nullable=False)  # owner-grant:…, chamber-letter:…
    letter_number = db.Column(db.String(64), unique=True)
    letter_document = db.Column(db.Text)
    letter_digest = db.Column(db.String(64))
    letter_key_id = db.Column(db.String(64))
    created_at = db.Column(UTCDateTime, nullable=False)
    reviewed_at = db.Column(UTCDateTime)
    reviewed_by = db.Column(db.String(64))
    review_reason = db.Column(db.String(300))
    revoked_at = db.Column(UTCDateTime)
    revoked_by = db.Column(db.String(64))
    revoke_reason = db.Column(db.String(300))

    def state(self, now):
        """pending, rejected, revoked, scheduled, active or expired."""
        if self.revoked_at is not None:
            return "revoked"
        if self.status != ACTIVE:
            return self.status
        if now < self.starts_at:
            return "scheduled"
        return "active" if now < self.ends_at else "expired"

    def is_active(self, now):
        return self.state(now) == "active"

    def to_dict(self, now):
        def when(value):
            return value.isoformat() if value is not None else None

        return {
            "id": self.ref, "state": self.state(now), "agent_national_id": self.agent_national_id,
            "agent_sub": self.agent_sub, "establishment": {
                "cr_number": self.establishment_cr, "name": self.establishment_name,
                "name_ar": self.establishment_name_ar},
            "permissions": list(self.permissions), "starts_at": when(self.starts_at),
            "ends_at": when(self.ends_at), "source": self.source,
            "granted_by": self.granted_by, "evidence": self.evidence_ref,
            "letter_number": self.letter_number, "created_at": when(self.created_at),
            "reviewed_at": when(self.reviewed_at), "reviewed_by": self.reviewed_by,
            "review_reason": self.review_reason, "revoked_at": when(self.revoked_at),
            "revoked_by": self.revoked_by, "revoke_reason": self.revoke_reason,
        }


def find_mandate(ref):
    if not isinstance(ref, str) or len(ref) > 32:
        return None
    return db.session.execute(db.select(Mandate).filter_by(ref=ref)).scalar_one_or_none()


def find_mandate_by_letter(number):
    return db.session.execute(
        db.select(Mandate).filter_by(letter_number=number)).scalar_one_or_none()


def mandates_of_agent(national_id, sub=None):
    """Every mandate naming the agent, newest first."""
    who = Mandate.agent_national_id == national_id if national_id else None
    if sub:
        who = Mandate.agent_sub == sub if who is None else (who | (Mandate.agent_sub == sub))
    if who is None:
        return []
    return list(db.session.scalars(
        db.select(Mandate).where(who).order_by(Mandate.created_at.desc(), Mandate.id.desc())))


def active_mandates(national_id, sub, now):
    """The agent's mandates in force at `now`, by establishment name."""
    found = [m for m in mandates_of_agent(national_id, sub) if m.is_active(now)]
    return sorted(found, key=lambda m: (m.establishment_name, m.establishment_cr, m.id))


def mandates_granted_by(sub):
    return list(db.session.scalars(
        db.select(Mandate).filter_by(granted_by=sub, source=OWNER)
        .order_by(Mandate.created_at.desc(), Mandate.id.desc())))


def search_mandates(status=None, agent_national_id=None, establishment_cr=None, limit=1000):
    query = db.select(Mandate).order_by(Mandate.created_at, Mandate.id).limit(limit)
    if status is not None:
        query = query.where(Mandate.status == status)
    if agent_national_id is not None:
        query = query.where(Mandate.agent_national_id == agent_national_id)
    if establishment_cr is not None:
        query = query.where(Mandate.establishment_cr == establishment_cr)
    return list(db.session.scalars(query))
