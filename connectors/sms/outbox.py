"""The SMS simulator's outbox: every accepted message, in memory, thread-safe."""

import threading
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime


def digits(msisdn: str) -> str:
    """Only the digits: ``+968 9123-4567`` and ``96891234567`` compare equal.

    (A ``+`` left unencoded in a query string arrives as a space.)
    """
    return "".join(char for char in msisdn if char.isdigit())


@dataclass
class OutboxMessage:
    """A message as the simulator received it."""

    id: str
    to: str
    sender: str
    text: str
    transport: str
    created_at: datetime
    reference: str | None = None
    parts: int = 1
    data_coding: int | None = None
    status: str = "delivered"
    part_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return data


class Outbox:
    """Newest-first views over the messages accepted so far."""

    def __init__(self):
        self._lock = threading.Lock()
        self._messages: list[OutboxMessage] = []
        self.version = 0

    def add(self, message: OutboxMessage) -> None:
        with self._lock:
            self._messages.append(message)
            self.version += 1

    def messages(self, *, to: str | None = None, limit: int | None = None) -> list[OutboxMessage]:
        with self._lock:
            found = [m for m in reversed(self._messages)
                     if to is None or digits(m.to) == digits(to)]
        return found if limit is None else found[:limit]

    def find(self, message_id: str) -> OutboxMessage | None:
        with self._lock:
            return next((m for m in self._messages
                         if m.id == message_id or message_id in m.part_ids), None)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self.version += 1
