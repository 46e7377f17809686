"""The SMS gateway interface every transport implements.

A transport takes a message for one mobile number and hands it to an SMS centre or
gateway. ``send`` returns as soon as the gateway has accepted (or refused) the
message; delivery to the handset is reported later, through the ``on_delivery``
callback given to the transport, and :meth:`SmsGateway.delivery_status`.

Failures are :mod:`connectors.errors` exceptions: ``UnavailableError`` (down,
unreachable, timed out, bad credentials as ``CredentialsRejectedError``),
``ThrottledError``, ``RejectedError`` (the gateway refused this message) and
``InvalidMsisdnError`` (the number is not a valid mobile number, raised before
anything is sent).
"""

import abc
import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

CONNECTOR = "sms"


class SmsStatus(enum.Enum):
    """Where a message is, in the gateway's words mapped to one vocabulary.

    The values follow the SMPP v3.4 message states (§5.2.28), which HTTP gateways
    use too under other names.
    """

    ACCEPTED = "accepted"          # taken by the gateway, not delivered yet
    ENROUTE = "enroute"            # on its way to the handset
    DELIVERED = "delivered"        # the handset has it
    EXPIRED = "expired"            # validity period ran out before delivery
    DELETED = "deleted"            # removed at the gateway
    UNDELIVERABLE = "undeliverable"
    REJECTED = "rejected"
    UNKNOWN = "unknown"

    @property
    def final(self) -> bool:
        """True when the status will not change any more."""
        return self not in (SmsStatus.ACCEPTED, SmsStatus.ENROUTE, SmsStatus.UNKNOWN)


@dataclass(frozen=True)
class SmsReceipt:
    """The gateway's answer to :meth:`SmsGateway.send`.

    ``message_id`` is the gateway's identifier (for a message sent in several
    parts, the first part's); ``part_ids`` lists every part's identifier.
    """

    message_id: str
    status: SmsStatus
    part_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeliveryReport:
    """A delivery report (SMPP delivery receipt, HTTP gateway status callback).

    ``error_code`` is the network's error code as text (``"000"`` when none).
    """

    message_id: str
    status: SmsStatus
    error_code: str | None = None
    done_at: datetime | None = None


DeliveryCallback = Callable[[DeliveryReport], None]


class SmsGateway(abc.ABC):
    """Sends text messages to mobile numbers."""

    @abc.abstractmethod
    def send(self, to_msisdn: str, text: str, *, reference: str) -> SmsReceipt:
        """Send ``text`` to ``to_msisdn``.

        ``to_msisdn`` is normalised to E.164 first (``InvalidMsisdnError`` if it
        cannot be). ``reference`` is the caller's identifier for this message
        (e.g. the OTP challenge id): it is passed to gateways that take one and is
        used as an idempotency key, so a retried request is not sent twice. It is
        logged; ``text`` never is, because it carries a one-time code.
        """

    @abc.abstractmethod
    def delivery_status(self, message_id: str) -> SmsStatus:
        """The latest known status of a sent message.

        Raises ``NotFoundError`` when the gateway (or, for SMPP, this process)
        does not know ``message_id``.
        """

    def close(self) -> None:
        """Release connections (SMPP unbinds). The gateway reconnects if used again."""
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
