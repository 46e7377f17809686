"""Provider metadata: OpenID Connect Discovery 1.0 §3 and RFC 8414 §2. Only what works
is advertised."""

from flask import current_app

from ..authn import registry
from ..authn.assurance import RANK
from ..models.clients import TOKEN_EXCHANGE_GRANT
from . import ciba
from .authorization_details import TYPES_SUPPORTED
from .claims import CLAIMS_SUPPORTED
from .claims import SCOPES_SUPPORTED
from .grants import CLIENT_AUTH_METHODS
from .grants import CONFIDENTIAL_AUTH_METHODS
from .keys import ALGORITHMS

# Client assertions (private_key_jwt) are checked by Authlib with joserfc's recommended
# algorithms; of those, the asymmetric ones a registered JWK Set can hold.
ASSERTION_ALGORITHMS = ["ES256", "RS256"]


def authorization_server_metadata():
    issuer = current_app.config["IDP_ISSUER"]
    locales = current_app.config["IDP_LOCALES"]
    metadata = {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/authorize",
        "token_endpoint": issuer + "/token",
        "jwks_uri": issuer + "/jwks",
        "scopes_supported": list(SCOPES_SUPPORTED),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials",
                                  TOKEN_EXCHANGE_GRANT],
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "code_challenge_methods_supported": ["S256"],
        "revocation_endpoint": issuer + "/revoke",
        "revocation_endpoint_auth_methods_supported": CONFIDENTIAL_AUTH_METHODS + ["none"],
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "introspection_endpoint": issuer + "/introspect",
        "introspection_endpoint_auth_methods_supported": CONFIDENTIAL_AUTH_METHODS,
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "authorization_response_iss_parameter_supported": True,
        # RFC 9396 §10: acting for an establishment (docs/claims.md).
        "authorization_details_types_supported": list(TYPES_SUPPORTED),
        "ui_locales_supported": list(locales),
    }
    return ciba.advertise(metadata)


def openid_configuration():
    issuer = current_app.config["IDP_ISSUER"]
    metadata = authorization_server_metadata()
    metadata.update(
        {
            "userinfo_endpoint": issuer + "/userinfo",
            "end_session_endpoint": issuer + "/logout",
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": list(ALGORITHMS),
            "claims_supported": list(CLAIMS_SUPPORTED),
            "claims_parameter_supported": True,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "prompt_values_supported": ["none", "login", "consent"],
            "claim_types_supported": ["normal"],
            "display_values_supported": ["page"],
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
        }
    )
    acrs = reachable_acrs()
    if acrs:
        metadata["acr_values_supported"] = acrs
    return metadata


def reachable_acrs():
    """The acr values some configured login method can satisfy, weakest first."""
    return [acr for acr in sorted(RANK, key=RANK.get) if registry.able_to_satisfy([acr])]
