"""Test establishments and certified letters: loading ``establishments.json``, the
simulated chamber's signing key, and certifying letters. Shared by the simulator (which
serves them over HTTP) and the in-memory fake."""

import json
import secrets
import threading
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from joserfc.jwk import ECKey
from joserfc.jwk import KeySet

from .letters import document_digest
from .letters import sign_letter

ESTABLISHMENTS_FILE = Path(__file__).with_name("establishments.json")
SERVED_FIELDS = ("cr_number", "name", "name_ar", "status")


class CertificationError(ValueError):
    """A letter the simulated chamber will not certify (unknown establishment, not the
    owner on record)."""


class ChamberDirectory:
    """Establishments by CR number and letters by number, with the signing key."""

    def __init__(self, establishments: list[dict], key=None):
        self._lock = threading.Lock()
        self.establishments = {e["cr_number"]: e for e in establishments}
        self.key = key or ECKey.generate_key(
            "P-256", parameters={"kid": "chamber-" + secrets.token_hex(4)}, private=True)
        self.letters: dict[str, dict] = {}

    @classmethod
    def load(cls, path: str | Path = ESTABLISHMENTS_FILE, today: date | None = None,
             key=None) -> "ChamberDirectory":
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        directory = cls(data["establishments"], key)
        today = today or datetime.now(UTC).date()
        for seed in data.get("letters", []):
            fields = {k: seed[k] for k in ("letter_number", "cr_number", "owner_national_id",
                                           "agent_national_id", "permissions")}
            fields["valid_from"] = today.isoformat()
            fields["valid_until"] = (today + timedelta(days=seed["valid_days"])).isoformat()
            directory.certify(fields, status=seed.get("status", "valid"))
        return directory

    def public_keys(self) -> dict:
        return KeySet([self.key]).as_dict(private=False)

    def key_set(self) -> KeySet:
        return KeySet.import_key_set(self.public_keys())

    def establishment(self, cr_number: str) -> dict | None:
        record = self.establishments.get(cr_number)
        return {k: record[k] for k in SERVED_FIELDS} if record else None

    def is_owner(self, cr_number: str, national_id: str) -> bool:
        record = self.establishments.get(cr_number)
        return record is not None and national_id in record.get("owners", [])

    def certify(self, fields: dict, status: str = "valid", now: datetime | None = None) -> dict:
        """Sign a letter for an owner on record; the stored letter."""
        cr_number = fields.get("cr_number")
        if not isinstance(cr_number, str) or cr_number not in self.establishments:
            raise CertificationError("unknown establishment")
        if not self.is_owner(cr_number, fields.get("owner_national_id")):
            raise CertificationError("the owner is not on record for this establishment")
        fields = dict(fields)
        fields.setdefault("establishment_name", self.establishments[cr_number]["name"])
        fields.setdefault("certified_at", (now or datetime.now(UTC)).replace(microsecond=0)
                          .isoformat().replace("+00:00", "Z"))
        with self._lock:
            if not fields.get("letter_number"):
                fields["letter_number"] = f"OCCI-SIM-{len(self.letters) + 1:06d}"
            if fields["letter_number"] in self.letters:
                raise CertificationError("letter number already used")
            document = sign_letter(fields, self.key)
            letter = {"number": fields["letter_number"], "status": status,
                      "digest": document_digest(document), "document": document}
            self.letters[letter["number"]] = letter
        return letter

    def letter(self, number: str) -> dict | None:
        return self.letters.get(number)

    def withdraw(self, number: str) -> dict | None:
        with self._lock:
            letter = self.letters.get(number)
            if letter is not None:
                letter["status"] = "withdrawn"
            return letter
