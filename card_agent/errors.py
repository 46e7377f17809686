"""The agent's outcomes, each with a stable code the provider's page translates.

Codes (also in docs/card-agent.md): no_reader, no_card, card_removed, wrong_pin (with
tries_left when the card tells), pin_blocked, user_cancelled, origin_not_trusted, busy,
timeout, card_error, bad_request, not_found."""


class AgentError(Exception):
    """A failure the page can explain; `status` is the HTTP status when it answers a
    request directly (outcomes of a running authentication are reported by polling)."""

    code = "card_error"
    status = 503
    description = "The card could not be used."

    def __init__(self, detail=None):
        super().__init__(detail or self.description)
        self.detail = detail or self.description

    def to_dict(self):
        return {"error": self.code, "error_description": self.description}


class BadRequestError(AgentError):
    code, status, description = "bad_request", 400, "The request is malformed."


class OriginNotTrustedError(AgentError):
    code, status, description = ("origin_not_trusted", 403,
                                 "This site is not trusted by the card agent.")


class NotFoundError(AgentError):
    code, status, description = "not_found", 404, "No such authentication."


class BusyError(AgentError):
    code, status, description = "busy", 409, "Another authentication is in progress."


class NoReaderError(AgentError):
    code, status, description = "no_reader", 409, "No card reader is connected."


class NoCardError(AgentError):
    code, status, description = "no_card", 409, "No ID card is in the reader."


class CardRemovedError(AgentError):
    code, status, description = "card_removed", 409, "The card was removed."


class WrongPinError(AgentError):
    code, status, description = "wrong_pin", 409, "The PIN is wrong."

    def __init__(self, tries_left=None, detail=None):
        super().__init__(detail)
        self.tries_left = tries_left

    def to_dict(self):
        return {**super().to_dict(), "tries_left": self.tries_left}


class PinBlockedError(AgentError):
    code, status, description = "pin_blocked", 409, "The PIN is blocked."


class UserCancelledError(AgentError):
    code, status, description = "user_cancelled", 409, "The authentication was cancelled."


class AuthenticationTimeoutError(AgentError):
    code, status, description = "timeout", 409, "The PIN was not entered in time."


class CardError(AgentError):
    """The card or its PKCS#11 module failed in a way the citizen cannot fix by
    themselves (module missing, unexpected PKCS#11 error)."""


class CardFailure(CardError):
    """A PKCS#11 operation failed mid-way; the caller decides whether the card was
    removed (the reader says so) or the card failed."""
