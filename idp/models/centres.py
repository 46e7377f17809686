"""Service centres and assisted work. A centre is a registered counter where operators
(citizens with the operator role there) do e-services for walk-in citizens; its OAuth
client is the one that exchanges tokens (RFC 8693). One `AssistedWork` is one piece of
work done for a citizen: asked by an operator, consented by the citizen with a code sent
to their phone, exchanged for a token acting for them, completed."""

import secrets

from ..extensions import db
from .types import UTCDateTime

AWAITING = "awaiting_consent"
CONSENTED = "consented"
EXCHANGED = "exchanged"
COMPLETED = "completed"
ABANDONED = "abandoned"  # too many wrong codes


class ServiceCentre(db.Model):
    __tablename__ = "service_centres"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), unique=True, nullable=False)
    name = db.Column(db.String(200), nullable=False)
    name_ar = db.Column(db.String(200))
    client_id = db.Column(db.String(64), unique=True, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False)
    closed_at = db.Column(UTCDateTime)


class CentreOperator(db.Model):
    __tablename__ = "centre_operators"
    __table_args__ = (db.UniqueConstraint("centre_id", "subject"),)

    id = db.Column(db.Integer, primary_key=True)
    centre_id = db.Column(db.Integer, db.ForeignKey("service_centres.id", ondelete="CASCADE"),
                          nullable=False)
    subject = db.Column(db.String(64), nullable=False, index=True)
    added_at = db.Column(UTCDateTime, nullable=False)
    removed_at = db.Column(UTCDateTime)


class AssistedWork(db.Model):
    __tablename__ = "assisted_work"

    id = db.Column(db.Integer, primary_key=True)
    ref = db.Column(db.String(32), unique=True, nullable=False,
                    default=lambda: "asw_" + secrets.token_urlsafe(12))
    centre_id = db.Column(db.Integer, db.ForeignKey("service_centres.id"), nullable=False,
                          index=True)
    operator_sub = db.Column(db.String(64), nullable=False)
    operator_acr = db.Column(db.String(128))
    citizen_sub = db.Column(db.String(64), nullable=False, index=True)
    service = db.Column(db.String(64), nullable=False)  # the target client_id (audience)
    service_name = db.Column(db.String(200), nullable=False)
    state = db.Column(db.String(20), nullable=False)
    code_digest = db.Column(db.String(64), nullable=False)
    tries = db.Column(db.Integer, nullable=False, default=0)
    created_at = db.Column(UTCDateTime, nullable=False)
    expires_at = db.Column(UTCDateTime, nullable=False)  # of the code, then of the consent
    consented_at = db.Column(UTCDateTime)
    exchanged_at = db.Column(UTCDateTime)
    completed_at = db.Column(UTCDateTime)

    centre = db.relationship(ServiceCentre, lazy="joined")

    def to_dict(self):
        def when(value):
            return value.isoformat() if value is not None else None

        return {"id": self.ref, "state": self.state, "centre": self.centre.code,
                "operator": self.operator_sub, "citizen": self.citizen_sub,
                "service": self.service, "service_name": self.service_name,
                "created_at": when(self.created_at), "consented_at": when(self.consented_at),
                "exchanged_at": when(self.exchanged_at),
                "completed_at": when(self.completed_at)}


def find_centre(code):
    if not isinstance(code, str):
        return None
    return db.session.execute(db.select(ServiceCentre).filter_by(code=code)).scalar_one_or_none()


def centre_of_client(client_id):
    if not isinstance(client_id, str):
        return None
    return db.session.execute(db.select(ServiceCentre).filter_by(
        client_id=client_id, closed_at=None)).scalar_one_or_none()


def list_centres():
    return list(db.session.scalars(db.select(ServiceCentre).order_by(ServiceCentre.code)))


def find_operator(centre_id, subject):
    return db.session.execute(db.select(CentreOperator).filter_by(
        centre_id=centre_id, subject=subject)).scalar_one_or_none()


def operators_of(centre_id):
    return list(db.session.scalars(db.select(CentreOperator).filter_by(
        centre_id=centre_id, removed_at=None).order_by(CentreOperator.subject)))


def is_operator(centre_id, subject):
    row = find_operator(centre_id, subject)
    return row is not None and row.removed_at is None


def find_work(ref):
    if not isinstance(ref, str) or len(ref) > 32:
        return None
    return db.session.execute(db.select(AssistedWork).filter_by(ref=ref)).scalar_one_or_none()


def move_work(work_id, from_state, to_state, **values):
    """Change a piece of work's state atomically; False when it was not in `from_state`."""
    result = db.session.execute(
        db.update(AssistedWork).where(AssistedWork.id == work_id,
                                      AssistedWork.state == from_state)
        .values(state=to_state, **values))
    return result.rowcount == 1


def count_try(work):
    db.session.execute(db.update(AssistedWork).where(AssistedWork.id == work.id)
                       .values(tries=AssistedWork.tries + 1))
    db.session.refresh(work, ["tries"])
