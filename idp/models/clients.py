"""Registered relying parties (OpenID Connect Dynamic Client Registration 1.0 §2 metadata)."""

import hmac
import secrets

from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749 import scope_to_list
from sqlalchemy import JSON

from ..extensions import db
from .types import UTCDateTime
from .types import digest
from .types import utcnow

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")
CIBA_GRANT = "urn:openid:params:grant-type:ciba"
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"  # RFC 8693
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials", CIBA_GRANT,
               TOKEN_EXCHANGE_GRANT)
CIBA_MODES = ("poll", "ping")
ID_TOKEN_ALGS = ("ES256", "RS256", "EdDSA")


class Client(db.Model, ClientMixin):
    __tablename__ = "clients"

    id = db.Column(db.Integer, primary_key=True)
    client_id = db.Column(db.String(64), unique=True, nullable=False)
    client_secret_digest = db.Column(db.String(64))
    name = db.Column(db.String(200), nullable=False)
    redirect_uris = db.Column(JSON, nullable=False, default=list)
    post_logout_redirect_uris = db.Column(JSON, nullable=False, default=list)
    grant_types = db.Column(JSON, nullable=False, default=list)
    scope = db.Column(db.Text, nullable=False, default="")
    token_endpoint_auth_method = db.Column(db.String(40), nullable=False)
    jwks = db.Column(JSON)
    id_token_signed_response_alg = db.Column(db.String(10), nullable=False, default="ES256")
    backchannel_logout_uri = db.Column(db.Text)
    # OpenID CIBA Core 1.0 §4: how the client gets its tokens, and where pings go.
    backchannel_token_delivery_mode = db.Column(db.String(8))
    backchannel_client_notification_endpoint = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    secret_rotated_at = db.Column(UTCDateTime)
    # New at every insert and update (a random stamp, so that a client deleted and
    # registered again under the same client_id never repeats one): client_cache.py.
    version = db.Column(db.String(32), nullable=False)

    __mapper_args__ = {"version_id_col": version,
                       "version_id_generator": lambda _: secrets.token_hex(16)}

    @property
    def is_public(self):
        return self.token_endpoint_auth_method == "none"

    def set_secret(self, secret):
        self.client_secret_digest = digest(secret)
        self.secret_rotated_at = utcnow()

    # Authlib ClientMixin

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        # OpenID Connect requires redirect_uri on every authorization request.
        return None

    def get_allowed_scope(self, scope):
        if not scope:
            return ""
        allowed = set(scope_to_list(self.scope))
        return " ".join(s for s in scope_to_list(scope) if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        if not self.client_secret_digest:
            return False
        return hmac.compare_digest(self.client_secret_digest, digest(client_secret))

    def check_endpoint_auth_method(self, method, endpoint):
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type):
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type):
        if grant_type == "client_credentials" and self.is_public:
            return False
        return grant_type in self.grant_types

    def to_dict(self):
        return {
            "client_id": self.client_id,
            "client_name": self.name,
            "redirect_uris": list(self.redirect_uris),
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris),
            "grant_types": list(self.grant_types),
            "response_types": ["code"] if "authorization_code" in self.grant_types else [],
            "scope": self.scope,
            "token_endpoint_auth_method": self.token_endpoint_auth_method,
            "id_token_signed_response_alg": self.id_token_signed_response_alg,
            "backchannel_logout_uri": self.backchannel_logout_uri,
            "backchannel_token_delivery_mode": self.backchannel_token_delivery_mode,
            "backchannel_client_notification_endpoint":
                self.backchannel_client_notification_endpoint,
            "jwks": self.jwks,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


# Hot-path lookups are built once; SQLAlchemy then reuses their compiled form.
_BY_CLIENT_ID = db.select(Client).where(Client.client_id == db.bindparam("client_id"))


def find_client(client_id):
    # PostgreSQL text cannot hold NUL: such an id names no client and must not reach a query.
    if not isinstance(client_id, str) or len(client_id) > 64 or "\x00" in client_id:
        return None
    return db.session.execute(_BY_CLIENT_ID, {"client_id": client_id}).scalar_one_or_none()
