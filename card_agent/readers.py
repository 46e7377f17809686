"""Card readers over PC/SC (pcsc-lite on Linux, WinSCard elsewhere) with pyscard: the
agent's only importer of `smartcard`.

Readers are listed when asked; insertion and removal come from pyscard's CardMonitor.
Each insertion in a reader gets a new generation number, so "the card the PIN was asked
for" is (reader, generation): a card pulled out and put back is another card.

For PIV cards (NIST SP 800-73-4 §3.2.1) the PIN retry counter is read with VERIFY
without data (63Cx: x tries left, 6983: blocked), in a shared connection that leaves
the card powered, because PKCS#11 only says "final try" or "locked"."""

import threading
import time

from smartcard.CardMonitoring import CardMonitor
from smartcard.CardMonitoring import CardObserver
from smartcard.Exceptions import SmartcardException
from smartcard.pcsc.PCSCExceptions import BaseSCardException
from smartcard.scard import SCARD_LEAVE_CARD
from smartcard.System import readers as pcsc_readers

from .state import Reader
from .state import Snapshot

SELECT_PIV = [0x00, 0xA4, 0x04, 0x00, 0x09, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10,
              0x00, 0x00]
VERIFY_STATUS = [0x00, 0x20, 0x00, 0x80]
RETRY_SECONDS = 1.0
PCSC_ERRORS = (SmartcardException, BaseSCardException)  # pyscard raises both kinds


class PcscWatcher(CardObserver):
    mode = "pcsc"

    def __init__(self):
        super().__init__()
        self._changed = threading.Condition()
        self._cards = {}  # reader name -> generation of the card in it
        self._insertions = {}  # reader name -> insertions seen
        self._monitor = None
        self._stopped = threading.Event()

    def start(self):
        """Watch cards now, or once PC/SC answers (pcscd may start after the agent)."""
        if not self._attach():
            threading.Thread(target=self._retry, daemon=True, name="pcsc-attach").start()
        return self

    def _retry(self):
        while not self._stopped.wait(RETRY_SECONDS) and not self._attach():
            pass

    def _attach(self):
        try:
            pcsc_readers()
        except PCSC_ERRORS:
            return False
        self._monitor = CardMonitor()
        self._monitor.addObserver(self)  # reports the cards already inserted, at once
        return True

    def stop(self):
        self._stopped.set()
        if self._monitor is not None:
            self._monitor.deleteObserver(self)

    def update(self, observable, handlers):
        added, removed = handlers
        with self._changed:
            for card in removed:
                self._cards.pop(str(card.reader), None)
            for card in added:
                name = str(card.reader)
                self._insertions[name] = self._insertions.get(name, 0) + 1
                self._cards[name] = self._insertions[name]
            self._changed.notify_all()

    def snapshot(self):
        try:
            names = [str(r) for r in pcsc_readers()]
        except PCSC_ERRORS:
            return Snapshot(False, ())
        with self._changed:
            return Snapshot(True, tuple(
                Reader(n, n in self._cards, self._cards.get(n, self._insertions.get(n, 0)))
                for n in names))

    def wait_for(self, predicate, timeout):
        """Wait until predicate(snapshot) holds or timeout seconds pass; returns it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                snapshot = self.snapshot()
                if predicate(snapshot):
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.2))

    def pin_tries(self, reader_name):
        """Tries left on a PIV card's PIN, or None when the card does not say."""
        try:
            reader = next((r for r in pcsc_readers() if str(r) == reader_name), None)
            if reader is None:
                return None
            connection = reader.createConnection()
            connection.connect(disposition=SCARD_LEAVE_CARD)
            try:
                _, sw1, _ = connection.transmit(SELECT_PIV)
                if sw1 not in (0x90, 0x61):
                    return None
                _, sw1, sw2 = connection.transmit(VERIFY_STATUS)
            finally:
                connection.disconnect()
        except PCSC_ERRORS:
            return None
        if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
            return sw2 & 0x0F
        if (sw1, sw2) == (0x69, 0x83):
            return 0
        return None


def list_readers():
    """Reader names, or None when PC/SC is not running."""
    snapshot = PcscWatcher().snapshot()
    return [r.name for r in snapshot.readers] if snapshot.service else None


def main():
    """`python -m card_agent.readers`: the readers PC/SC sees, one per line."""
    names = list_readers()
    if names is None:
        raise SystemExit("PC/SC service not running")
    for name in names:
        print(name)


if __name__ == "__main__":
    main()
