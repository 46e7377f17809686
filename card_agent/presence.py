"""Token presence instead of PC/SC, for modules without readers (SoftHSM2 development
cards): the module's slots are the readers, a present initialised token is a card.
Same interface as readers.PcscWatcher."""

import threading
import time

from .errors import CardError
from .state import Reader
from .state import Snapshot

POLL_SECONDS = 0.5


class TokenWatcher:
    mode = "token"

    def __init__(self, module, interval=POLL_SECONDS):
        self.module, self.interval = module, interval
        self._changed = threading.Condition()
        self._snapshot = Snapshot(False, ())
        self._insertions = {}
        self._stopped = threading.Event()

    def start(self):
        self._poll()
        threading.Thread(target=self._run, daemon=True, name="token-presence").start()
        return self

    def stop(self):
        self._stopped.set()

    def _run(self):
        while not self._stopped.wait(self.interval):
            self._poll()

    def _poll(self):
        try:
            slots = self.module.slots()
        except CardError:
            slots = None
        with self._changed:
            previous = {r.name: r for r in self._snapshot.readers}
            readers = []
            for slot in slots or ():
                before = previous.get(slot.description)
                if slot.card_present and not (before and before.card_present):
                    self._insertions[slot.description] = (
                        self._insertions.get(slot.description, 0) + 1)
                readers.append(Reader(slot.description, slot.card_present,
                                      self._insertions.get(slot.description, 0)))
            snapshot = Snapshot(slots is not None, tuple(readers))
            if snapshot != self._snapshot:
                self._snapshot = snapshot
                self._changed.notify_all()

    def snapshot(self):
        with self._changed:
            return self._snapshot

    def wait_for(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self._snapshot):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    def pin_tries(self, reader_name):
        return None
