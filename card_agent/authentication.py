"""One authentication at a time: a trusted page asks for a signature over its origin and
nonce, the citizen enters the PIN on the agent's own page, the card signs, the page
collects the Web eID token by polling.

States: waiting_for_pin → signing → done | failed (with an error code). While waiting,
the card the PIN is asked for must stay in its reader (same generation) and the PIN must
come within pin_timeout. Finished authentications are kept KEEP_SECONDS for the page to
collect, then forgotten. Time is the `clock` argument (seconds, monotonic)."""

import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from dataclasses import field

from . import webeid
from .errors import AuthenticationTimeoutError
from .errors import BadRequestError
from .errors import BusyError
from .errors import CardError
from .errors import CardFailure
from .errors import CardRemovedError
from .errors import NoCardError
from .errors import NoReaderError
from .errors import NotFoundError
from .errors import PinBlockedError
from .errors import UserCancelledError
from .errors import WrongPinError

KEEP_SECONDS = 60
REMOVAL_GRACE_SECONDS = 3  # how long a failed card operation waits for the reader's word
PIN_MAX = 32


@dataclass
class Authentication:
    id: str
    form_token: str
    challenge: webeid.Challenge
    card: object
    generation: int
    algorithm: str
    started: float
    state: str = "waiting_for_pin"
    token: dict | None = None
    error: Exception | None = None
    finished: float | None = field(default=None, repr=False)

    @property
    def active(self):
        return self.state in ("waiting_for_pin", "signing")


class Authenticator:
    def __init__(self, config, module, watcher, clock=time.monotonic):
        self.config, self.module, self.watcher, self.clock = config, module, watcher, clock
        self._lock = threading.Lock()
        self._items = {}
        self._cards = {}  # (reader, generation) -> Card or None, for /status

    # What /status shows

    def status(self):
        snapshot = self.watcher.snapshot()
        card, state = None, "ready"
        if not snapshot.service or not snapshot.readers:
            state = "no_reader"
        elif not snapshot.with_card:
            state = "no_card"
        else:
            try:
                card = self._current_card(snapshot)
            except CardError as error:
                state = error.code
            if card is None and state == "ready":
                state = "no_card"
        with self._lock:
            self._prune()
            if state == "ready" and any(a.active for a in self._items.values()):
                state = "busy"
        return snapshot, card, state

    def _current_card(self, snapshot):
        key = tuple((r.name, r.generation) for r in snapshot.with_card)
        if key not in self._cards:
            self._cards = {key: self.module.find_card({r.name for r in snapshot.with_card})}
        return self._cards[key]

    # The steps

    def start(self, challenge):
        with self._lock:
            self._prune()
            if any(a.active for a in self._items.values()):
                raise BusyError()
        snapshot = self.watcher.snapshot()
        if not snapshot.service or not snapshot.readers:
            raise NoReaderError()
        if not snapshot.with_card:
            raise NoCardError()
        card = self.module.find_card({r.name for r in snapshot.with_card})
        if card is None:
            raise NoCardError("no card with an authentication certificate")
        if card.pin_locked or self._pin_tries(card) == 0:
            raise PinBlockedError()
        try:
            algorithm = webeid.algorithm_for(card.certificate.public_key(),
                                             self.config.rsa_algorithm)
        except ValueError as error:
            raise CardError(str(error)) from None
        reader = snapshot.reader(card.reader)
        item = Authentication(secrets.token_urlsafe(32), secrets.token_urlsafe(32), challenge,
                              card, reader.generation if reader else 0, algorithm, self.clock())
        with self._lock:
            if any(a.active for a in self._items.values()):
                raise BusyError()
            self._items[item.id] = item
        return item

    def get(self, item_id):
        with self._lock:
            self._prune()
            item = self._items.get(item_id) if isinstance(item_id, str) else None
            if item is None:
                raise NotFoundError()
            self._check_waiting(item)
            return item

    def cancel(self, item_id, form_token=None):
        """Cancel from the site's page, or from the PIN page (with its form token)."""
        with self._lock:
            item = self._items.get(item_id) if isinstance(item_id, str) else None
            if item is None or (form_token is not None and not hmac.compare_digest(
                    str(form_token), item.form_token)):
                raise NotFoundError()
            self._check_waiting(item)
            if item.state == "waiting_for_pin":
                self._finish(item, error=UserCancelledError())
            return item

    def submit_pin(self, item_id, form_token, pin):
        """Sign with the PIN; returns the authentication in its new state. A PIN that
        cannot be a PIN (empty, too long) raises BadRequestError and changes nothing."""
        with self._lock:
            item = self._items.get(item_id)
            if item is None or not hmac.compare_digest(str(form_token), item.form_token):
                raise NotFoundError()
            self._check_waiting(item)
            if item.state != "waiting_for_pin":
                return item
            if (not isinstance(pin, str) or not 0 < len(pin) <= PIN_MAX
                    or not pin.isprintable()):
                raise BadRequestError("enter the PIN")
            item.state = "signing"
        token, error = None, None
        try:
            value = webeid.signed_value(item.algorithm, item.challenge)
            signature = self.module.sign(item.card, pin, value, item.algorithm)
            token = webeid.build_token(item.card.certificate, item.algorithm, signature,
                                       self.config.app_version)
        except WrongPinError:
            error = self._wrong_pin(item)
        except CardFailure:
            error = self._failure(item)
        except (CardError, PinBlockedError) as failure:
            error = failure
        with self._lock:
            self._finish(item, token=token, error=error)
        return item

    # Helpers (called with the lock held, except _wrong_pin and _failure)

    def _check_waiting(self, item):
        if item.state != "waiting_for_pin":
            return
        if self.clock() - item.started > self.config.pin_timeout:
            self._finish(item, error=AuthenticationTimeoutError())
        elif not self.watcher.snapshot().same_card(item.card.reader, item.generation):
            self._finish(item, error=CardRemovedError())

    def _finish(self, item, token=None, error=None):
        item.state = "failed" if error is not None else "done"
        item.token, item.error, item.finished = token, error, self.clock()

    def _prune(self):
        now = self.clock()
        for key, item in list(self._items.items()):
            if item.finished is not None and now - item.finished > KEEP_SECONDS:
                del self._items[key]

    def _pin_tries(self, card):
        if not card.is_piv:
            return None
        with self.module.serialised():
            return self.watcher.pin_tries(card.reader)

    def _wrong_pin(self, item):
        card = item.card
        tries = self._pin_tries(card)
        if tries is None:
            final_try, locked = self.module.pin_state(card)
            tries = 0 if locked else (1 if final_try else None)
        return PinBlockedError() if tries == 0 else WrongPinError(tries)

    def _failure(self, item):
        """A card operation failed: card_removed if the reader says the card went away
        (it may say so a moment after the module fails), else card_error."""
        gone = self.watcher.wait_for(
            lambda snapshot: not snapshot.same_card(item.card.reader, item.generation),
            REMOVAL_GRACE_SECONDS)
        return CardRemovedError() if gone else CardError("the card failed while signing")
