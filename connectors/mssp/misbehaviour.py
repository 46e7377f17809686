"""Scripted misbehaviour of the whole MSSP simulator (``POST /control``). Development only.

::

    {"mode": "normal" | "down" | "slow" | "malformed" | "forged",
     "variant": "...",   # malformed / forged: which defect (below)
     "count": 1,         # optional: only the next N answers, then back to normal
     "delay": 3.0}       # slow: seconds before answering (default 5)

``down`` answers HTTP 503 without a body; ``slow`` stalls (a reset cuts the stall
short and the request then gets 503); ``malformed`` spoils the next answers in one of
:data:`MALFORMED`; ``forged`` sends well-formed answers that must not be believed:
``other_data`` (the SIM's signature over other data), ``other_chain`` (another SIM's
certificate chain).
"""

import copy
import enum
import json
import threading
from dataclasses import dataclass

DEFAULT_DELAY = 5.0
MAX_DELAY = 120.0

MALFORMED = ("not_json", "html", "empty", "array", "wrong_message", "no_status",
             "unknown_status", "wrong_ap_trans_id", "wrong_msisdn", "bad_trans_id",
             "other_trans_id", "unknown_fault", "bad_signature", "no_chain",
             "bad_certificate", "huge")
FORGED = ("other_data", "other_chain")


class Mode(enum.Enum):
    NORMAL = "normal"
    DOWN = "down"
    SLOW = "slow"
    MALFORMED = "malformed"
    FORGED = "forged"


VARIANTS = {Mode.MALFORMED: MALFORMED, Mode.FORGED: FORGED}


class ControlError(ValueError):
    """A ``POST /control`` body that cannot be applied."""


@dataclass(frozen=True)
class Action:
    mode: Mode = Mode.NORMAL
    variant: str | None = None
    delay: float = 0.0


class MsspControl:
    """Thread-safe; :meth:`take` is called once per answer."""

    def __init__(self):
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._action = Action()
        self._remaining: int | None = None

    def configure(self, body: object) -> dict:
        if not isinstance(body, dict):
            raise ControlError("body must be a JSON object")
        try:
            mode = Mode(body.get("mode"))
        except ValueError:
            raise ControlError("mode must be one of "
                               + ", ".join(m.value for m in Mode)) from None
        variant = body.get("variant")
        if mode in VARIANTS and variant not in VARIANTS[mode]:
            raise ControlError(f"variant must be one of {', '.join(VARIANTS[mode])}")
        count = body.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                                  or count < 1):
            raise ControlError("count must be a positive integer")
        delay = body.get("delay", DEFAULT_DELAY)
        if isinstance(delay, bool) or not isinstance(delay, int | float) \
                or not 0 <= delay <= MAX_DELAY:
            raise ControlError(f"delay must be between 0 and {MAX_DELAY:g} seconds")
        with self._lock:
            self._action = Action(mode, variant if mode in VARIANTS else None,
                                  float(delay) if mode is Mode.SLOW else 0.0)
            self._remaining = count
            self._wake.set()
            self._wake = threading.Event()
        return self.snapshot()

    def snapshot(self) -> dict:
        with self._lock:
            return {"mode": self._action.mode.value, "variant": self._action.variant,
                    "delay": self._action.delay, "count": self._remaining}

    def take(self) -> Action:
        with self._lock:
            action = self._action
            if self._remaining is not None:
                self._remaining -= 1
                if self._remaining <= 0:
                    self._action, self._remaining = Action(), None
            return action

    def pause(self, action: Action) -> bool:
        """Wait out a ``slow`` action; False if cut short by a change or :meth:`stop`."""
        with self._lock:
            wake = self._wake
        return not wake.wait(action.delay)

    def stop(self) -> None:
        with self._lock:
            self._wake.set()


def spoil(variant: str, status: int, answer: dict) -> tuple[int, str, bytes]:
    """A malformed version of ``answer``: (HTTP status, content type, body)."""
    if variant == "not_json":
        return 200, "application/json", b"MSS_StatusResp: not JSON"
    if variant == "html":
        return 200, "text/html", b"<html><body>Gateway login</body></html>"
    if variant == "empty":
        return 200, "application/json", b""
    if variant == "array":
        return 200, "application/json", b"[]"
    if variant == "huge":
        return 200, "application/json", json.dumps({"pad": "x" * 300_000}).encode()
    if variant == "unknown_fault":
        body = {"Fault": {"Code": {"Value": "env:Receiver", "SubCode": {"Value": "mss:_777"}},
                          "Reason": "STRANGE"}}
        return 500, "application/json", json.dumps(body).encode()
    answer = copy.deepcopy(answer)
    name = next(iter(answer))
    message = answer[name]
    if not isinstance(message, dict):
        return status, "application/json", json.dumps(answer).encode()
    if variant == "wrong_message":
        answer = {"MSS_ReceiptResp": message}
    elif variant == "no_status":
        message.pop("Status", None)
    elif variant == "unknown_status":
        message["Status"] = {"StatusCode": {"Value": "777"}}
    elif variant == "wrong_ap_trans_id":
        message.get("AP_Info", {})["AP_TransID"] = "A-someone-else"
    elif variant == "wrong_msisdn":
        message["MobileUser"] = {"MSISDN": "+96899999999"}
    elif variant == "bad_trans_id":
        message["MSSP_TransID"] = "<script>"
    elif variant == "other_trans_id":
        message["MSSP_TransID"] = "0000000000"
    elif variant == "bad_signature":
        message["MSS_Signature"] = {"Base64Signature": "not base64!"}
    elif variant == "no_chain":
        message.pop("ServiceResponses", None)
    elif variant == "bad_certificate":
        for service in message.get("ServiceResponses", []):
            service["X509Certificate"] = ["AAAA"]
    return status, "application/json", json.dumps(answer).encode()
