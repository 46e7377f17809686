"""The published documents answered in front of Flask (fast_paths.py): provider metadata
(OpenID Connect Discovery 1.0 §4, RFC 8414 §3) and the JWK Set, fetched by every relying
party and resource server that starts or checks a token's key.

An ordinary request here is a GET of one of them with no query. The document comes from
the same functions as the full stack's (discovery.py, keys.KeyRing.jwks), made at each
request as there, and leaves with the same headers (endpoints.py)."""

from . import discovery
from .endpoints import JWKS_HEADERS
from .endpoints import METADATA_HEADERS
from .fast_paths import OK
from .fast_paths import FastPath
from .keys import key_ring

DOCUMENTS = {
    "/.well-known/openid-configuration": (discovery.openid_configuration, METADATA_HEADERS),
    "/.well-known/oauth-authorization-server": (discovery.authorization_server_metadata,
                                                METADATA_HEADERS),
    "/jwks": (lambda: key_ring().jwks(), JWKS_HEADERS),
}


class MetadataFastPath(FastPath):
    def takes(self, environ):
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return None
        return DOCUMENTS.get(environ.get("PATH_INFO"))

    def answer(self, document, environ):
        make, headers = document
        response = self.flask_app.json.response(make())  # as the full stack's jsonify
        return (OK, [("Content-Type", response.content_type), *headers.items()],
                response.get_data())
