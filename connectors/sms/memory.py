"""An in-process SMS gateway for tests that need no network (STYLE: fakes on the interface).

It validates numbers exactly as the real transports do, keeps sent messages in
``outbox`` (newest last) and can be told to fail like a real gateway with
``fail_with``.
"""

import itertools
import threading
from dataclasses import dataclass

from connectors.errors import ConnectorError
from connectors.errors import NotFoundError
from connectors.errors import RejectedError
from connectors.msisdn import DEFAULT_REGION
from connectors.msisdn import normalise_msisdn
from connectors.sms.gateway import CONNECTOR
from connectors.sms.gateway import DeliveryCallback
from connectors.sms.gateway import DeliveryReport
from connectors.sms.gateway import SmsGateway
from connectors.sms.gateway import SmsReceipt
from connectors.sms.gateway import SmsStatus


@dataclass(frozen=True)
class SentMessage:
    message_id: str
    to: str
    text: str
    reference: str


class InMemorySmsGateway(SmsGateway):
    """Delivers instantly to ``outbox``; reports delivery through ``on_delivery``."""

    def __init__(self, *, default_region: str | None = DEFAULT_REGION,
                 on_delivery: DeliveryCallback | None = None):
        self.default_region = default_region
        self.on_delivery = on_delivery
        self.outbox: list[SentMessage] = []
        self.fail_with: ConnectorError | None = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def send(self, to_msisdn: str, text: str, *, reference: str) -> SmsReceipt:
        destination = normalise_msisdn(to_msisdn, default_region=self.default_region,
                                       field="to_msisdn", connector=CONNECTOR)
        if not text:
            raise RejectedError("empty message", connector=CONNECTOR, code="length")
        if self.fail_with is not None:
            raise self.fail_with
        with self._lock:
            message = SentMessage(f"mem-{next(self._ids)}", destination, text, reference)
            self.outbox.append(message)
        if self.on_delivery is not None:
            self.on_delivery(DeliveryReport(message.message_id, SmsStatus.DELIVERED, "000"))
        return SmsReceipt(message.message_id, SmsStatus.ACCEPTED, (message.message_id,))

    def delivery_status(self, message_id: str) -> SmsStatus:
        with self._lock:
            if any(message.message_id == message_id for message in self.outbox):
                return SmsStatus.DELIVERED
        raise NotFoundError("unknown message", connector=CONNECTOR, code="unknown_message")

    def messages_to(self, msisdn: str) -> list[SentMessage]:
        """Messages sent to ``msisdn`` (any accepted spelling), newest first."""
        wanted = normalise_msisdn(msisdn, default_region=self.default_region)
        with self._lock:
            return [message for message in reversed(self.outbox) if message.to == wanted]
