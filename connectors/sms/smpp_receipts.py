"""SMPP delivery receipts (v3.4 §5.2.12, Appendix B) and per-message delivery tracking."""

import re
import threading
from collections import OrderedDict
from datetime import UTC
from datetime import datetime

from connectors.sms.gateway import DeliveryReport
from connectors.sms.gateway import SmsStatus
from connectors.sms.smpp_codes import EsmClass
from connectors.sms.smpp_codes import MessageState
from connectors.sms.smpp_codes import ReceiptStat

TRACKED_MESSAGES = 10_000
EARLY_RECEIPTS = 1_000
RECEIPT_TEXT = re.compile(
    r"id:(?P<id>\S+).*?(?:done date:(?P<done>\d{10,12}))?\s*stat:(?P<stat>[A-Z]{7})"
    r"(?:\s+err:(?P<err>\w+))?", re.DOTALL)
STATE_STATUS = {state: SmsStatus[state.name] for state in MessageState}


def pdu_text(value) -> str:
    """A C-Octet string field as decoded by the PDU library (bytes, str or None)."""
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return "" if value is None else str(value)


def parse_receipt(pdu) -> DeliveryReport | None:
    """A delivery report from a receipt ``deliver_sm``, from its TLVs or else its text;
    ``None`` for a ``deliver_sm`` that is not a receipt."""
    if not (pdu.esm_class or 0) & EsmClass.DELIVERY_RECEIPT:
        return None
    match = RECEIPT_TEXT.search(pdu_text(pdu.short_message))
    message_id = pdu_text(getattr(pdu, "receipted_message_id", None)) or (
        match.group("id") if match else "")
    if not message_id:
        return None
    state = getattr(pdu, "message_state", None)
    if state in MessageState._value2member_map_:
        status = STATE_STATUS[MessageState(state)]
    elif match and match.group("stat") in ReceiptStat._value2member_map_:
        status = STATE_STATUS[ReceiptStat(match.group("stat")).state]
    else:
        status = SmsStatus.UNKNOWN
    done_at = None
    if match and match.group("done"):
        text = match.group("done")
        done_at = datetime.strptime(text, "%y%m%d%H%M%S" if len(text) == 12 else "%y%m%d%H%M")
        done_at = done_at.replace(tzinfo=UTC)
    return DeliveryReport(message_id, status, match.group("err") if match else None, done_at)


def overall_status(parts: dict[str, SmsStatus]) -> SmsStatus:
    """A message is delivered when every part is; otherwise its first failed part decides."""
    statuses = set(parts.values())
    if statuses == {SmsStatus.DELIVERED}:
        return SmsStatus.DELIVERED
    failed = [status for status in parts.values()
              if status.final and status is not SmsStatus.DELIVERED]
    if failed:
        return failed[0]
    return SmsStatus.ENROUTE if SmsStatus.ENROUTE in statuses else SmsStatus.ACCEPTED


class ReceiptTracker:
    """Statuses of the messages sent by this process (bounded, thread-safe).

    A message is known by its first part's id; receipts name parts. Receipts may
    arrive before the sender has registered the message (they overtake the sender
    thread), so unknown ones are kept for a while and applied by :meth:`track`.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._tracked: OrderedDict[str, dict[str, SmsStatus]] = OrderedDict()
        self._owner: dict[str, str] = {}
        self._early: OrderedDict[str, DeliveryReport] = OrderedDict()

    def track(self, part_ids: list[str]) -> list[DeliveryReport]:
        """Register a sent message; returns its report if early receipts made it final."""
        with self._lock:
            self._tracked[part_ids[0]] = {part: SmsStatus.ACCEPTED for part in part_ids}
            for part in part_ids:
                self._owner[part] = part_ids[0]
            while len(self._tracked) > TRACKED_MESSAGES:
                _, old = self._tracked.popitem(last=False)
                for part in old:
                    self._owner.pop(part, None)
            early = [self._early.pop(part) for part in part_ids if part in self._early]
            finished = [self._apply(part_ids[0], report) for report in early]
        return [report for report in finished if report is not None]

    def receive(self, report: DeliveryReport) -> DeliveryReport | None:
        """Record a part's receipt; the message's report if the message just became final."""
        with self._lock:
            owner = self._owner.get(report.message_id)
            if owner is None:
                self._early[report.message_id] = report
                while len(self._early) > EARLY_RECEIPTS:
                    self._early.popitem(last=False)
                return None
            return self._apply(owner, report)

    def status(self, message_id: str) -> SmsStatus | None:
        """The status of a message (or of the message a part belongs to), if known."""
        with self._lock:
            owner = self._owner.get(message_id)
            return None if owner is None else overall_status(self._tracked[owner])

    def _apply(self, owner: str, report: DeliveryReport) -> DeliveryReport | None:
        parts = self._tracked[owner]
        before = overall_status(parts)
        parts[report.message_id] = report.status
        after = overall_status(parts)
        if after is not before and after.final:
            return DeliveryReport(owner, after, report.error_code, report.done_at)
        return None
