"""Client registration: the metadata rules (OpenID Connect Dynamic Client Registration 1.0 §2,
RFC 7591 §2, RFC 8252 §7.3 and §8.3, Security BCP §4.1) and the client's life cycle
(register, rotate its secret, delete it). The administration CLI is the only caller today.

Rules: redirect and logout URIs are absolute, without fragment, https or loopback http.
Scopes are checked for RFC 6749 §3.3 syntax only: besides the OpenID Connect scopes
(`openid`, `profile`, `email`, `phone`, `offline_access`) a client may hold API scopes of
its own (for example for client_credentials), and `introspection` lets a resource server
introspect any token. A misspelt OpenID scope is therefore accepted as an API scope."""

import re
import secrets
import string
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import urlsplit

from .extensions import db
from .models import Client
from .models.clients import AUTH_METHODS
from .models.clients import CIBA_GRANT
from .models.clients import CIBA_MODES
from .models.clients import GRANT_TYPES
from .models.clients import ID_TOKEN_ALGS
from .models.clients import TOKEN_EXCHANGE_GRANT
from .models.clients import find_client
from .models.consents import delete_client_consents
from .models.tokens import revoke_client_tokens

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
# RFC 3986 unreserved characters: safe in URLs and in HTTP Basic credentials; no leading
# "-", which command lines would read as an option.
CLIENT_ID = re.compile(r"[A-Za-z0-9._~][A-Za-z0-9._~-]{0,63}")
ALPHANUMERIC = string.ascii_letters + string.digits
NAME_MAX = 200


class InvalidClientMetadataError(ValueError):
    """A metadata member is invalid (RFC 7591 §3.2.2 invalid_client_metadata); `field`
    names the member."""

    def __init__(self, field, reason):
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass
class Registration:
    name: str
    redirect_uris: list = field(default_factory=list)
    post_logout_redirect_uris: list = field(default_factory=list)
    grant_types: list = field(default_factory=lambda: ["authorization_code", "refresh_token"])
    scopes: list | None = None  # None: openid profile for person-facing clients
    token_endpoint_auth_method: str | None = None  # None: client_secret_basic, or none
    public: bool = False
    jwks: dict | None = None
    id_token_signed_response_alg: str = "ES256"
    backchannel_logout_uri: str | None = None
    client_id: str | None = None
    backchannel_token_delivery_mode: str | None = None  # CIBA: poll or ping
    backchannel_client_notification_endpoint: str | None = None  # CIBA ping


def check_redirect_uri(uri):
    """None when the URI may be registered, else the reason it may not."""
    if not isinstance(uri, str) or not uri:
        return "must be an absolute https URI"
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in uri):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for an invalid port
    except ValueError:
        return "not a valid URI"
    if parts.fragment or "#" in uri:
        return "must not contain a fragment"
    if parts.username is not None or parts.password is not None:
        return "must not contain user credentials"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return None
    if parts.scheme == "http" and parts.hostname:
        return "http is allowed only for loopback addresses; use https"
    return "must be an absolute https URI"


def check_scope_token(value):
    """None when value is a valid scope token (RFC 6749 §3.3), else the reason."""
    if not isinstance(value, str) or not SCOPE_TOKEN.fullmatch(value):
        return "must be printable ASCII without spaces, quotes or backslashes"
    return None


def validate(reg):
    """Check a registration; returns the normalised scope list. Raises
    InvalidClientMetadataError naming the first bad member."""
    if not isinstance(reg.name, str) or not reg.name.strip():
        raise InvalidClientMetadataError("client_name", "must not be empty")
    if len(reg.name) > NAME_MAX:
        raise InvalidClientMetadataError("client_name", f"must be at most {NAME_MAX} characters")
    if reg.client_id is not None:
        if not CLIENT_ID.fullmatch(reg.client_id):
            raise InvalidClientMetadataError(
                "client_id", "must be 1-64 characters of A-Z a-z 0-9 . _ ~ - (not starting with -)")
        if find_client(reg.client_id) is not None:
            raise InvalidClientMetadataError("client_id", f"{reg.client_id!r} already exists")
    _check_grants(reg)
    _check_auth_method(reg)
    _check_uris(reg)
    _check_ciba(reg)
    return _check_scopes(reg)


def _check_grants(reg):
    grants = reg.grant_types
    if not grants:
        raise InvalidClientMetadataError("grant_types", "at least one grant type is needed")
    for grant in grants:
        if grant not in GRANT_TYPES:
            raise InvalidClientMetadataError("grant_types", f"unsupported grant type {grant!r}")
    if "refresh_token" in grants and "authorization_code" not in grants:
        raise InvalidClientMetadataError(
            "grant_types", "refresh_token is only issued with authorization_code")
    if reg.public and "client_credentials" in grants:
        raise InvalidClientMetadataError(
            "grant_types", "client_credentials needs a confidential client")
    if reg.public and TOKEN_EXCHANGE_GRANT in grants:
        raise InvalidClientMetadataError(
            "grant_types", "token exchange needs a confidential client")


def _check_auth_method(reg):
    method = reg.token_endpoint_auth_method
    if reg.public and method is not None:
        raise InvalidClientMetadataError(
            "token_endpoint_auth_method", "a public client has no token endpoint authentication")
    if method is not None and method not in AUTH_METHODS[:3]:
        raise InvalidClientMetadataError(
            "token_endpoint_auth_method", f"unsupported method {method!r}")
    if method == "private_key_jwt" and not reg.jwks:
        raise InvalidClientMetadataError("jwks", "private_key_jwt needs the client's JWK Set")
    if reg.jwks and method != "private_key_jwt":
        raise InvalidClientMetadataError("jwks", "only used with private_key_jwt")
    if reg.jwks and any("d" in key for key in reg.jwks.get("keys", [])):
        raise InvalidClientMetadataError("jwks", "must hold public keys only")
    if reg.id_token_signed_response_alg not in ID_TOKEN_ALGS:
        raise InvalidClientMetadataError(
            "id_token_signed_response_alg", f"unsupported {reg.id_token_signed_response_alg!r}")


def _check_uris(reg):
    if "authorization_code" in reg.grant_types and not reg.redirect_uris:
        raise InvalidClientMetadataError(
            "redirect_uris", "at least one is needed for the authorization_code grant")
    members = [("redirect_uris", uri) for uri in reg.redirect_uris]
    members += [("post_logout_redirect_uris", uri) for uri in reg.post_logout_redirect_uris]
    if reg.backchannel_logout_uri is not None:
        members.append(("backchannel_logout_uri", reg.backchannel_logout_uri))
    for member, uri in members:
        problem = check_redirect_uri(uri)
        if problem:
            raise InvalidClientMetadataError(member, f"{uri!r} {problem}")


def _check_ciba(reg):
    """OpenID CIBA Core 1.0 §4: the CIBA grant goes with a delivery mode, a confidential
    client, and for ping a notification endpoint (https, or http on loopback)."""
    mode = reg.backchannel_token_delivery_mode
    endpoint = reg.backchannel_client_notification_endpoint
    if CIBA_GRANT not in reg.grant_types:
        if mode is not None or endpoint is not None:
            raise InvalidClientMetadataError(
                "backchannel_token_delivery_mode", f"needs the {CIBA_GRANT} grant type")
        return
    if mode not in CIBA_MODES:
        raise InvalidClientMetadataError(
            "backchannel_token_delivery_mode", "the CIBA grant needs poll or ping")
    if reg.public:
        raise InvalidClientMetadataError("grant_types", "CIBA needs a confidential client")
    if mode == "ping":
        problem = check_redirect_uri(endpoint) if endpoint is not None else "is required"
        if problem:
            raise InvalidClientMetadataError("backchannel_client_notification_endpoint",
                                             f"{endpoint!r} {problem}" if endpoint else problem)
    elif endpoint is not None:
        raise InvalidClientMetadataError("backchannel_client_notification_endpoint",
                                         "only used in ping mode")


def _check_scopes(reg):
    if reg.scopes is None:
        person_facing = {"authorization_code", CIBA_GRANT} & set(reg.grant_types)
        return ["openid", "profile"] if person_facing else []
    scopes = []
    for value in reg.scopes:
        for token in value.split():
            problem = check_scope_token(token)
            if problem:
                raise InvalidClientMetadataError("scope", f"{token!r} {problem}")
            if token not in scopes:
                scopes.append(token)
    return scopes


def new_client_id():
    """22 random letters and digits (130 bits)."""
    return "".join(secrets.choice(ALPHANUMERIC) for _ in range(22))


def register(reg):
    """Validate and store a new client; returns (client, secret or None). The secret is
    returned only here: the database keeps its digest."""
    scopes = validate(reg)
    if reg.public:
        method = "none"
    else:
        method = reg.token_endpoint_auth_method or "client_secret_basic"
    client = Client(
        client_id=reg.client_id or new_client_id(),
        name=reg.name.strip(),
        redirect_uris=list(reg.redirect_uris),
        post_logout_redirect_uris=list(reg.post_logout_redirect_uris),
        grant_types=list(dict.fromkeys(reg.grant_types)),
        scope=" ".join(scopes),
        token_endpoint_auth_method=method,
        jwks=reg.jwks,
        id_token_signed_response_alg=reg.id_token_signed_response_alg,
        backchannel_logout_uri=reg.backchannel_logout_uri,
        backchannel_token_delivery_mode=reg.backchannel_token_delivery_mode,
        backchannel_client_notification_endpoint=reg.backchannel_client_notification_endpoint,
    )
    secret = None
    if method in SECRET_METHODS:
        secret = secrets.token_urlsafe(32)
        client.set_secret(secret)
    db.session.add(client)
    db.session.commit()
    return client, secret


def rotate_secret(client):
    """Replace the client's secret; the old one stops working at once."""
    if client.token_endpoint_auth_method not in SECRET_METHODS:
        raise InvalidClientMetadataError(
            "token_endpoint_auth_method",
            f"{client.token_endpoint_auth_method} clients have no client secret")
    secret = secrets.token_urlsafe(32)
    client.set_secret(secret)
    db.session.commit()
    return secret


def delete(client, now):
    """Remove a client: every token it holds stops working and its consents are forgotten,
    so a later client registered under the same client_id inherits nothing."""
    revoke_client_tokens(client.client_id, "client_deleted", now)
    delete_client_consents(client.client_id)
    db.session.delete(client)
    db.session.commit()
