"""Signing keys. Private halves live in the PKCS#11 token (or files where configured);
the table holds the public JWK, the state and where the private half is."""

from sqlalchemy import JSON

from ..extensions import db
from .types import UTCDateTime
from .types import utcnow

NEXT = "next"
ACTIVE = "active"
RETIRED = "retired"


class SigningKey(db.Model):
    __tablename__ = "signing_keys"

    kid = db.Column(db.String(64), primary_key=True)
    alg = db.Column(db.String(10), nullable=False)
    state = db.Column(db.String(10), nullable=False)
    backend = db.Column(db.String(10), nullable=False)
    public_jwk = db.Column(JSON, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    activated_at = db.Column(UTCDateTime)
    retired_at = db.Column(UTCDateTime)
    # Until when tokens signed with this key may still be presented.
    publish_until = db.Column(UTCDateTime)


def all_keys():
    return db.session.execute(db.select(SigningKey).order_by(SigningKey.created_at)).scalars().all()
