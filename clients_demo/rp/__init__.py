"""The relying-party kit shared by the demo apps: an app factory with OpenID Connect login
(code flow, PKCE S256, state, nonce, ID-token validation), refresh, userinfo, RP-initiated
and back-channel logout, and step-up (`requires_acr`, RFC 9470) for pages and APIs."""

from .app import create_rp_app
from .assurance import LEVEL_1
from .assurance import LEVEL_2
from .session import current_session
from .stepup import api_error
from .stepup import requires_acr
from .stepup import requires_login

__all__ = ["LEVEL_1", "LEVEL_2", "api_error", "create_rp_app", "current_session",
           "requires_acr", "requires_login"]
