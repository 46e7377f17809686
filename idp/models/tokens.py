"""Issued tokens. A token family is everything one authorization code (or one
client_credentials request) led to; revoking the family revokes all of it."""

from authlib.oauth2.rfc6749 import TokenMixin
from sqlalchemy import JSON
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from .types import UTCDateTime
from .types import digest


class TokenFamily(db.Model):
    __tablename__ = "token_families"

    id = db.Column(db.String(64), primary_key=True)
    client_id = db.Column(db.String(64), nullable=False, index=True)
    subject = db.Column(db.String(64), index=True)
    sid = db.Column(db.String(64), index=True)  # None for offline access and client tokens
    created_at = db.Column(UTCDateTime, nullable=False)
    revoked_at = db.Column(UTCDateTime)
    revoked_reason = db.Column(db.String(32))


class _Grant:
    """What access and refresh tokens share: who, for whom, how strongly authenticated."""

    client_id = db.Column(db.String(64), nullable=False)
    subject = db.Column(db.String(64))
    scope = db.Column(db.Text, nullable=False, default="")
    acr = db.Column(db.String(128))
    amr = db.Column(JSON)
    auth_time = db.Column(db.Integer)
    sid = db.Column(db.String(64))
    claims = db.Column(JSON)  # `claims` request parameter members for userinfo
    delegation = db.Column(JSON)  # whom the person acts for (idp/oauth/statements.py)
    issued_at = db.Column(UTCDateTime, nullable=False)
    expires_at = db.Column(UTCDateTime, nullable=False, index=True)
    revoked_at = db.Column(UTCDateTime)


class AccessToken(_Grant, TokenMixin, db.Model):
    __tablename__ = "access_tokens"

    jti = db.Column(db.String(64), primary_key=True)
    family_id = db.Column(db.String(64), db.ForeignKey("token_families.id"), index=True)
    family = db.relationship(TokenFamily, lazy="joined")

    token_type = "access_token"

    def is_active(self, now):
        family_revoked_at = None if self.family is None else self.family.revoked_at
        return access_token_live(self.revoked_at, self.expires_at, family_revoked_at, now)

    # Authlib TokenMixin
    def check_client(self, client):
        return self.client_id == client.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return int((self.expires_at - self.issued_at).total_seconds())

    def is_expired(self):
        from .types import utcnow

        return utcnow() >= self.expires_at

    def is_revoked(self):
        return self.revoked_at is not None or (
            self.family is not None and self.family.revoked_at is not None
        )

    def get_user(self):
        return self.subject

    def get_client(self):
        from .clients import find_client

        return find_client(self.client_id)


def access_token_live(revoked_at, expires_at, family_revoked_at, now):
    """An access token is live until it expires, is revoked or its family is."""
    return revoked_at is None and now < expires_at and family_revoked_at is None


def refresh_token_live(revoked_at, rotated_at, expires_at, family_revoked_at, now):
    """A refresh token is live until it is rotated, expires, or it or its family is
    revoked."""
    return (revoked_at is None and rotated_at is None and now < expires_at
            and family_revoked_at is None)


class RefreshToken(_Grant, db.Model):
    __tablename__ = "refresh_tokens"

    token_digest = db.Column(db.String(64), primary_key=True)
    family_id = db.Column(
        db.String(64), db.ForeignKey("token_families.id"), nullable=False, index=True
    )
    family = db.relationship(TokenFamily, lazy="joined")
    rotated_at = db.Column(UTCDateTime)

    token_type = "refresh_token"

    def is_active(self, now):
        return refresh_token_live(self.revoked_at, self.rotated_at, self.expires_at,
                                  self.family.revoked_at, now)

    def check_client(self, client):
        return self.client_id == client.client_id

    def get_scope(self):
        return self.scope


# Tokens are written once, when issued, with single Core INSERTs: the ORM's unit of work
# would cost more than the statement itself on the token endpoint's hot path.


def add_family(**columns):
    db.session.execute(db.insert(TokenFamily.__table__), columns)


def add_access_token(**columns):
    db.session.execute(db.insert(AccessToken.__table__), columns)


def add_refresh_token(**columns):
    db.session.execute(db.insert(RefreshToken.__table__), columns)


def find_access_token(jti):
    return db.session.get(AccessToken, jti) if isinstance(jti, str) else None


def find_refresh_token(token):
    if not isinstance(token, str) or len(token) > 256:
        return None
    return db.session.get(RefreshToken, digest(token))


def claim_refresh_token(row, now):
    """Mark a refresh token rotated; False when another request rotated it first."""
    table = RefreshToken.__table__
    result = db.session.execute(
        db.update(table)
        .where(table.c.token_digest == row.token_digest)
        .where(table.c.rotated_at.is_(None))
        .values(rotated_at=now)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(row, "rotated_at", now)  # the loaded row says what the table says
    return True


def revoke_family(family_id, reason, now):
    db.session.execute(
        db.update(TokenFamily)
        .where(TokenFamily.id == family_id)
        .where(TokenFamily.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


def revoke_families(now, reason, **criteria):
    """Revoke every live family matching criteria (e.g. sid=..., or subject and client_id)."""
    query = db.update(TokenFamily).where(TokenFamily.revoked_at.is_(None))
    for column, value in criteria.items():
        query = query.where(getattr(TokenFamily, column) == value)
    db.session.execute(query.values(revoked_at=now, revoked_reason=reason))


def revoke_client_tokens(client_id, reason, now):
    """Revoke everything issued to a client: its families and its family-less
    (client_credentials) access tokens."""
    revoke_families(now, reason, client_id=client_id)
    db.session.execute(
        db.update(AccessToken)
        .where(AccessToken.client_id == client_id)
        .where(AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
