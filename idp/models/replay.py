"""One-time identifiers already seen (client assertion `jti`, RFC 7523 §3 item 7)."""

from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .types import UTCDateTime


class UsedJti(db.Model):
    __tablename__ = "used_jtis"

    issuer = db.Column(db.String(64), primary_key=True)
    jti = db.Column(db.String(255), primary_key=True)
    expires_at = db.Column(UTCDateTime, nullable=False, index=True)


def remember_jti(issuer, jti, expires_at, now):
    """Record a jti; False when it was seen before (and has not yet expired). Committed at
    once: the identifier is spent even if the rest of the request then fails."""
    db.session.execute(db.delete(UsedJti).where(UsedJti.expires_at < now))
    try:
        with db.session.begin_nested():
            db.session.add(UsedJti(issuer=issuer, jti=jti, expires_at=expires_at))
    except IntegrityError:
        db.session.commit()
        return False
    db.session.commit()
    return True
