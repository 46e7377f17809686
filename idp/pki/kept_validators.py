"""Validators kept for the life of a process while the trust they were built from stays the
same, so a login neither reads nor parses the CA certificates again and reuses the CA links
its validator verified before (links.py).

The caller names that trust with a comparable value read cheaply on every use (the CA rows,
their status, their latest CRLs, the configured anchors). When it differs, every kept
validator is dropped with what it verified, and so are the revocation checker's cached
answers: a CA revoked or removed is not trusted one validation longer."""

import threading


class KeptValidators:
    def __init__(self):
        self._trust = None
        self._validators = {}  # name -> Validator
        self._lock = threading.Lock()

    def get(self, name, trust, checker, build):
        """The validator `name` for `trust` using the revocation `checker`; `build()`
        makes it when none is kept."""
        with self._lock:
            if trust != self._trust:
                if self._trust is not None and checker is not None:
                    checker.forget()
                self._trust, self._validators = trust, {}
            validator = self._validators.get(name)
            if validator is None or validator.revocation is not checker:
                validator = build()
                self._validators[name] = validator
            return validator
