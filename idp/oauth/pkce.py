"""PKCE (RFC 7636) with S256 required for every client (OAuth 2.0 Security BCP §2.1.1).
A missing `code_challenge_method` means `plain` (RFC 7636 §4.3), so it is refused too."""

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import CODE_CHALLENGE_PATTERN


class S256CodeChallenge(CodeChallenge):
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def __init__(self):
        super().__init__(required=True)

    def validate_code_challenge(self, grant, redirect_uri):
        payload = grant.request.payload
        challenge = payload.data.get("code_challenge")
        method = payload.data.get("code_challenge_method")
        if not challenge:
            raise InvalidRequestError("PKCE is required: missing 'code_challenge'.")
        if len(payload.datalist.get("code_challenge", [])) > 1:
            raise InvalidRequestError("Multiple 'code_challenge' in request.")
        if not CODE_CHALLENGE_PATTERN.match(challenge):
            raise InvalidRequestError("Invalid 'code_challenge'.")
        if method != "S256":
            raise InvalidRequestError("'code_challenge_method' must be 'S256'.")
