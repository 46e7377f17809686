"""People who log in. `sub` is a stable, opaque, public identifier."""

import uuid

from sqlalchemy import JSON

from ..extensions import db
from .types import UTCDateTime
from .types import utcnow


class Account(db.Model):
    __tablename__ = "accounts"

    id = db.Column(db.Integer, primary_key=True)
    sub = db.Column(db.String(64), unique=True, nullable=False, default=lambda: str(uuid.uuid4()))
    national_id = db.Column(db.String(32), unique=True)
    profile = db.Column(JSON, nullable=False, default=dict)  # OIDC standard claims
    roles = db.Column(JSON, nullable=False, default=list)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    locked_at = db.Column(UTCDateTime)

    def get_user_id(self):
        return self.sub


_BY_SUB = db.select(Account).where(Account.sub == db.bindparam("sub"))


def usable_account(account):
    """An account that exists and is not locked: only these get tokens and claims."""
    return account is not None and account.locked_at is None


def find_account(sub):
    if not isinstance(sub, str):
        return None
    return db.session.execute(_BY_SUB, {"sub": sub}).scalar_one_or_none()
