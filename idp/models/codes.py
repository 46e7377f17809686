"""Authorization codes (RFC 6749 §4.1.2): single use, short-lived, bound to client and
redirect_uri. A used code is kept until it expires so a replay can be detected."""

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin
from sqlalchemy import JSON
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from .types import UTCDateTime
from .types import digest


class AuthorizationCode(db.Model, AuthorizationCodeMixin):
    __tablename__ = "authorization_codes"

    code_digest = db.Column(db.String(64), primary_key=True)
    client_id = db.Column(db.String(64), nullable=False)
    redirect_uri = db.Column(db.Text, nullable=False)
    scope = db.Column(db.Text, nullable=False, default="")
    subject = db.Column(db.String(64), nullable=False)
    sid = db.Column(db.String(64), nullable=False)
    nonce = db.Column(db.Text)
    claims = db.Column(JSON)  # the `claims` request parameter, already validated
    code_challenge = db.Column(db.String(128), nullable=False)
    code_challenge_method = db.Column(db.String(8), nullable=False)
    auth_time = db.Column(db.Integer, nullable=False)
    acr = db.Column(db.String(128))
    amr = db.Column(JSON, nullable=False, default=list)
    expires_at = db.Column(UTCDateTime, nullable=False, index=True)
    used_at = db.Column(UTCDateTime)
    family_id = db.Column(db.String(64))  # the token family the code was exchanged for
    delegation = db.Column(JSON)  # whom the person acts for (idp/oauth/representation.py)

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return self.acr

    def get_amr(self):
        return list(self.amr or [])


def add_code(**columns):
    """Store a new code (one Core INSERT, see tokens.py)."""
    db.session.execute(db.insert(AuthorizationCode.__table__), columns)


def find_code(code):
    if not isinstance(code, str) or len(code) > 256:
        return None
    return db.session.get(AuthorizationCode, digest(code))


def claim_code(code_row, now, family_id):
    """Mark a code used, naming the token family it is exchanged for (revoked if the code is
    replayed); False when another request used it first (atomic)."""
    table = AuthorizationCode.__table__
    result = db.session.execute(
        db.update(table)
        .where(table.c.code_digest == code_row.code_digest)
        .where(table.c.used_at.is_(None))
        .values(used_at=now, family_id=family_id)
    )
    if result.rowcount != 1:
        return False
    # The loaded row says what the table says.
    set_committed_value(code_row, "used_at", now)
    set_committed_value(code_row, "family_id", family_id)
    return True
