"""The simulated phones behind the MSSP simulator: pending requests, PIN entry, scripts.

A request is shown on the phone of its MSISDN (the "handset" page) with its display text
and the verification code computed from the data to be signed. The phone signs only
after the SIM accepted the PIN (a real PKCS#11 login on the SIM token); this module
counts wrong PINs itself (SoftHSM2 never blocks a PIN) and blocks the SIM after
:data:`PIN_TRIES`. Requests expire after their TimeOut, so none stays pending.

For tests each MSISDN can be scripted (``POST /control/<msisdn>``)::

    {"behaviour": "confirm_after", "delay": 0.2, "pin": "1234"}   # PIN optional
    {"behaviour": "cancel" | "never_answer" | "wrong_pin_until_blocked"
                  | "not_a_customer" | "unreachable" | "card_blocked"
                  | "manual" | "reset", "delay": 0.0}

A script stays until changed; ``manual`` (the default) waits for a person on the
handset page, ``reset`` also unblocks the PIN and drops pending requests (they expire).
Development only.
"""

import enum
import secrets
import threading
import time
from dataclasses import dataclass
from dataclasses import field

from connectors.mssp.codes import FaultCode
from connectors.mssp.sim_token import NoSimKeyError
from connectors.mssp.sim_token import SimTokenError
from connectors.mssp.sim_token import SimTokens
from connectors.mssp.sim_token import WrongPinError
from connectors.mssp.sims import SimSpec
from connectors.mssp.wire import verification_code

PIN_TRIES = 3
MAX_DELAY = 120.0
KEEP_FINISHED = 600.0  # seconds a finished transaction can still be queried


class Behaviour(enum.Enum):
    MANUAL = "manual"
    RESET = "reset"
    CONFIRM_AFTER = "confirm_after"
    CANCEL = "cancel"
    NEVER_ANSWER = "never_answer"
    WRONG_PIN_UNTIL_BLOCKED = "wrong_pin_until_blocked"
    NOT_A_CUSTOMER = "not_a_customer"
    UNREACHABLE = "unreachable"
    CARD_BLOCKED = "card_blocked"


class State(enum.Enum):
    PENDING = "pending"
    SIGNED = "signed"
    FAILED = "failed"


class ScriptError(ValueError):
    """A ``POST /control/<msisdn>`` body that cannot be applied."""


class HandsetFault(Exception):
    """The MSSP refuses the request at once with this fault code."""

    def __init__(self, code: FaultCode, detail: str):
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True)
class Script:
    behaviour: Behaviour = Behaviour.MANUAL
    delay: float = 0.0
    pin: str | None = None


@dataclass
class Phone:
    sim: SimSpec
    script: Script = field(default_factory=Script)
    tries_left: int = PIN_TRIES
    pin_blocked: bool = False
    requests: int = 0

    def state(self) -> dict:
        return {"msisdn": self.sim.msisdn, "behaviour": self.script.behaviour.value,
                "delay": self.script.delay, "pin_tries_left": self.tries_left,
                "pin_blocked": self.pin_blocked, "requests": self.requests}


@dataclass
class Transaction:
    id: str
    msisdn: str
    data: bytes
    display_text: str
    expires: float
    code: str = ""
    state: State = State.PENDING
    fault: FaultCode | None = None
    signature: bytes | None = None
    chain: list = field(default_factory=list)
    notice: str = ""  # shown on the handset page (wrong PIN ...)
    busy: bool = False
    finished: float | None = None

    def summary(self) -> dict:
        return {"id": self.id, "state": self.state.value, "code": self.code,
                "display_text": self.display_text,
                "fault": self.fault.name if self.fault else None, "notice": self.notice}


class Handsets:
    """Every simulated phone; thread-safe."""

    def __init__(self, tokens: SimTokens, sims: dict[str, SimSpec], *,
                 clock=time.monotonic):
        self.tokens = tokens
        self.phones = {msisdn: Phone(sim) for msisdn, sim in sims.items()}
        self.clock = clock
        self._lock = threading.RLock()
        self._transactions: dict[str, Transaction] = {}
        self._timers: set[threading.Timer] = set()

    # The MSSP side

    def submit(self, msisdn: str, data: bytes, display_text: str,
               timeout: float) -> Transaction:
        """A new request to the phone; HandsetFault if the MSSP refuses it at once."""
        phone = self.phones.get(msisdn)
        if phone is not None:
            with self._lock:
                phone.requests += 1
        if phone is None or phone.script.behaviour is Behaviour.NOT_A_CUSTOMER:
            raise HandsetFault(FaultCode.UNKNOWN_CLIENT, "not a Mobile ID customer")
        if not phone.sim.key or not self.tokens.has_key(msisdn):
            raise HandsetFault(FaultCode.NO_KEY_FOUND, "no Mobile ID key on the SIM")
        chain = self.tokens.chain(msisdn)
        if not chain:
            raise HandsetFault(FaultCode.NO_CERT_FOUND, "no certificate for the SIM")
        now = self.clock()
        tx = Transaction(secrets.token_hex(10), msisdn, data, display_text, now + timeout,
                         code=verification_code(data), chain=chain)
        with self._lock:
            self._forget_old(now)
            self._transactions[tx.id] = tx
            script = phone.script
            if phone.pin_blocked:
                self._finish(tx, FaultCode.PIN_BLOCKED)
            elif script.behaviour is Behaviour.CARD_BLOCKED:
                self._finish(tx, FaultCode.CARD_BLOCKED)
            elif script.behaviour not in (Behaviour.MANUAL, Behaviour.NEVER_ANSWER):
                self._later(script.delay, self._act, tx, script)
        return tx

    def status(self, trans_id: str) -> Transaction | None:
        with self._lock:
            tx = self._transactions.get(trans_id)
            if tx is not None:
                self._expire(tx)
            return tx

    def pending(self, msisdn: str | None = None) -> list[Transaction]:
        with self._lock:
            found = [self.status(t.id) for t in list(self._transactions.values())
                     if msisdn in (None, t.msisdn)]
        return [t for t in found if t.state is State.PENDING]

    def recent(self, msisdn: str) -> list[Transaction]:
        with self._lock:
            found = [self.status(t.id) for t in list(self._transactions.values())
                     if t.msisdn == msisdn]
        return found[::-1]

    # The person (or the script) holding the phone

    def confirm(self, trans_id: str, pin: str) -> Transaction | None:
        """Enter ``pin`` for a pending request: signs if the SIM accepts it."""
        with self._lock:
            tx = self.status(trans_id)
            if tx is None or tx.state is not State.PENDING or tx.busy:
                return tx
            phone = self.phones[tx.msisdn]
            if phone.pin_blocked:
                self._finish(tx, FaultCode.PIN_BLOCKED)
                return tx
            tx.busy = True
        try:
            signature = self.tokens.sign(tx.msisdn, pin, tx.data)
        except WrongPinError:
            with self._lock:
                tx.busy = False
                phone.tries_left -= 1
                if phone.tries_left <= 0:
                    phone.pin_blocked = True
                    self._finish(tx, FaultCode.PIN_BLOCKED)
                else:
                    tx.notice = f"Wrong PIN: {phone.tries_left} tries left"
            return tx
        except NoSimKeyError:
            return self._fail(tx, FaultCode.NO_KEY_FOUND)
        except SimTokenError:
            return self._fail(tx, FaultCode.PB_SIGNATURE_PROCESS)
        with self._lock:
            tx.busy = False
            phone.tries_left = PIN_TRIES
            self._expire(tx)
            if tx.state is State.PENDING:
                tx.state, tx.signature, tx.notice = State.SIGNED, signature, ""
                tx.finished = self.clock()
        return tx

    def cancel(self, trans_id: str) -> Transaction | None:
        with self._lock:
            tx = self.status(trans_id)
            if tx is not None and tx.state is State.PENDING and not tx.busy:
                self._finish(tx, FaultCode.USER_CANCEL)
            return tx

    # Scripts

    def configure(self, msisdn: str, body: object) -> dict:
        phone = self.phones.get(msisdn)
        if phone is None:
            raise KeyError(msisdn)
        if not isinstance(body, dict):
            raise ScriptError("body must be a JSON object")
        try:
            behaviour = Behaviour(body.get("behaviour"))
        except ValueError:
            raise ScriptError("behaviour must be one of "
                              + ", ".join(b.value for b in Behaviour)) from None
        delay, pin = body.get("delay", 0.0), body.get("pin")
        if isinstance(delay, bool) or not isinstance(delay, int | float) \
                or not 0 <= delay <= MAX_DELAY:
            raise ScriptError(f"delay must be between 0 and {MAX_DELAY:g} seconds")
        if pin is not None and (not isinstance(pin, str) or not 1 <= len(pin) <= 16):
            raise ScriptError("pin must be text of 1-16 characters")
        with self._lock:
            if behaviour is Behaviour.RESET:
                phone.tries_left, phone.pin_blocked = PIN_TRIES, False
                behaviour = Behaviour.MANUAL
                for tx in self.pending(msisdn):
                    self._finish(tx, FaultCode.EXPIRED_TRANSACTION)
            phone.script = Script(behaviour, float(delay), pin)
            return self.phone_state(msisdn)

    def phone_state(self, msisdn: str) -> dict:
        with self._lock:
            phone = self.phones[msisdn]
            return {**phone.state(),
                    "transactions": [t.summary() for t in self.recent(msisdn)[:10]]}

    def _act(self, tx: Transaction, script: Script) -> None:
        phone = self.phones[tx.msisdn]
        if script.behaviour is Behaviour.CONFIRM_AFTER:
            self.confirm(tx.id, script.pin if script.pin is not None else phone.sim.pin)
        elif script.behaviour is Behaviour.CANCEL:
            self.cancel(tx.id)
        elif script.behaviour is Behaviour.UNREACHABLE:
            with self._lock:
                self._expire(tx)
                self._finish(tx, FaultCode.OTA_ERROR)
        elif script.behaviour is Behaviour.WRONG_PIN_UNTIL_BLOCKED:
            wrong = "9" * (len(phone.sim.pin) + 1)  # never the SIM's PIN
            for _ in range(PIN_TRIES):
                self.confirm(tx.id, wrong)

    def _later(self, delay: float, action, *args) -> None:
        def run():
            with self._lock:
                self._timers.discard(timer)
            action(*args)

        timer = threading.Timer(delay, run)
        timer.daemon = True
        self._timers.add(timer)
        timer.start()

    def stop(self) -> None:
        with self._lock:
            timers, self._timers = self._timers, set()
        for timer in timers:
            timer.cancel()

    # State changes (under the lock)

    def _fail(self, tx: Transaction, code: FaultCode) -> Transaction:
        with self._lock:
            tx.busy = False
            self._finish(tx, code)
            return tx

    def _finish(self, tx: Transaction, code: FaultCode) -> None:
        if tx.state is State.PENDING:
            tx.state, tx.fault, tx.finished = State.FAILED, code, self.clock()

    def _expire(self, tx: Transaction) -> None:
        if tx.state is State.PENDING and not tx.busy and self.clock() >= tx.expires:
            self._finish(tx, FaultCode.EXPIRED_TRANSACTION)
            tx.notice = "Expired"

    def _forget_old(self, now: float) -> None:
        for tx in list(self._transactions.values()):
            self._expire(tx)
            if tx.finished is not None and now - tx.finished > KEEP_FINISHED:
                del self._transactions[tx.id]
