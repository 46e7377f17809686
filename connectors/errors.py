"""Errors raised by connectors.

Callers catch these, never transport exceptions (``requests``, ``socket``, SMPP
library errors). Each class is one reason, so the caller can pick the message shown
to the person and the audit outcome:

- :class:`UnavailableError`: the outside system cannot be used right now (refused
  connection, timeout, 5xx, garbled answer, scripted outage). Try again later.
- :class:`CredentialsRejectedError`: a kind of ``UnavailableError`` caused by our own
  configuration (bad API key, SMPP bind refused). Operators must act.
- :class:`ThrottledError`: the outside system asks us to slow down.
- :class:`RejectedError`: the request was understood and refused (e.g. an SMS centre
  refusing a destination). Retrying the same request will not help.
- :class:`NotFoundError`: the thing asked about does not exist there.
- :class:`InvalidDataError`: data given to or received from the outside system is
  malformed (e.g. a registry record whose mobile number is not a valid E.164 number).
- :class:`ConfigurationError`: settings are missing or inconsistent (raised when a
  connector is built, not while it is used).

``str(error)`` is a short technical description for logs. It never contains
secrets, and it never contains message text (which may carry a one-time code).
"""


class ConnectorError(Exception):
    """Base class of every connector failure.

    ``connector`` names the outside system (``"sms"``, ``"civil_registry"``);
    ``code`` keeps the outside system's own status or error code for logs, when
    there is one (e.g. ``"ESME_RTHROTTLED"``, ``"503"``).
    """

    def __init__(self, message: str, *, connector: str | None = None,
                 code: str | None = None):
        super().__init__(message)
        self.connector = connector
        self.code = code


class UnavailableError(ConnectorError):
    """The outside system is down, unreachable, too slow or answered garbage."""


class CredentialsRejectedError(UnavailableError):
    """The outside system refused our credentials (API key, SMPP system_id/password)."""


class ThrottledError(ConnectorError):
    """The outside system asks us to slow down; ``retry_after`` is in seconds, if known."""

    def __init__(self, message: str, *, connector: str | None = None,
                 code: str | None = None, retry_after: float | None = None):
        super().__init__(message, connector=connector, code=code)
        self.retry_after = retry_after


class RejectedError(ConnectorError):
    """The outside system understood the request and refused it."""


class NotFoundError(ConnectorError):
    """The outside system does not know the requested item."""


class InvalidDataError(ConnectorError):
    """Malformed data given to or received from an outside system; ``field`` names it."""

    def __init__(self, message: str, *, connector: str | None = None,
                 code: str | None = None, field: str | None = None):
        super().__init__(message, connector=connector, code=code)
        self.field = field


class InvalidMsisdnError(InvalidDataError):
    """A telephone number is not a valid mobile number in E.164 form."""


class ConfigurationError(ConnectorError):
    """Connector settings are missing or inconsistent."""
