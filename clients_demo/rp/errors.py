"""Why a token from the provider was refused: one exception per reason. `str(error)`
is a short technical text for the log and for the relying party's error page; it never
holds a token."""


class TokenError(Exception):
    """A token that this relying party must not accept."""


class MalformedTokenError(TokenError):
    pass


class UnexpectedTypeError(TokenError):
    """The `typ` header names another kind of token (RFC 8725 §3.11)."""


class DisallowedAlgorithmError(TokenError):
    pass


class BadSignatureError(TokenError):
    pass


class MissingClaimError(TokenError):
    def __init__(self, claim):
        super().__init__(f"the '{claim}' claim is missing or malformed")
        self.claim = claim


class WrongIssuerError(TokenError):
    pass


class WrongAudienceError(TokenError):
    pass


class WrongClientError(TokenError):
    """An access token issued to another client."""


class ExpiredTokenError(TokenError):
    pass


class IssuedInFutureError(TokenError):
    pass


class TooOldError(TokenError):
    """A logout token issued too long ago to be trusted."""


class NonceMismatchError(TokenError):
    pass


class AtHashMismatchError(TokenError):
    pass


class InsufficientAcrError(TokenError):
    """The person authenticated at a lower level than the request required."""


class StaleAuthenticationError(TokenError):
    """The authentication is older than the `max_age` that was asked for."""


class SubjectMismatchError(TokenError):
    """A response about another person than the session's (userinfo, refresh)."""


class NotALogoutTokenError(TokenError):
    """No back-channel logout event, or a nonce: not a logout token (BCL §2.6)."""


class ReplayedTokenError(TokenError):
    """A logout token whose `jti` was already used."""


class InactiveTokenError(TokenError):
    """Introspection says the access token is no longer active (revoked, ended)."""
