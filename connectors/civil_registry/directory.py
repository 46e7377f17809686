"""Test identities: loading ``citizens.json`` and matching lookups against it.

Shared by the simulator (which serves the records over HTTP) and the in-memory
fake (which validates them exactly as the HTTP client does).
"""

import hmac
import json
from datetime import date
from pathlib import Path

CITIZENS_FILE = Path(__file__).with_name("citizens.json")
SERVED_FIELDS = ("national_id", "date_of_birth", "name_ar", "name_en", "gender", "nationality",
                 "mobile", "marital_status")


class CitizenDirectory:
    """Raw registry records keyed by national ID; ``find`` needs the date of birth too."""

    def __init__(self, records: list[dict]):
        self.records = records
        self._by_id = {record["national_id"]: record for record in records}

    @classmethod
    def load(cls, path: str | Path = CITIZENS_FILE) -> "CitizenDirectory":
        with open(path, encoding="utf-8") as handle:
            return cls(json.load(handle)["citizens"])

    def find(self, national_id: str, date_of_birth: date | str) -> dict | None:
        """The served record (without ``note``) if both values match, else ``None``."""
        record = self._by_id.get(national_id)
        wanted = date_of_birth if isinstance(date_of_birth, str) else date_of_birth.isoformat()
        # Compare even when the ID is unknown, so both misses take the same path.
        stored = record["date_of_birth"] if record else "0000-00-00"
        if not hmac.compare_digest(stored.encode(), wanted.encode()) or record is None:
            return None
        return {key: record[key] for key in SERVED_FIELDS if key in record}


def identity_table(directory: CitizenDirectory) -> str:
    """A plain-text table of the test identities, for the simulators' start banner."""
    # The Arabic name comes last so that right-to-left text cannot reorder the columns.
    rows = [("National ID", "Date of birth", "Sex", "Nat.", "Mobile", "Name", "Note", "الاسم")]
    for r in directory.records:
        rows.append((r["national_id"], r["date_of_birth"], r["gender"][0].upper(),
                     r["nationality"], r["mobile"], r["name_en"]["full"], r.get("note", ""),
                     r["name_ar"]["full"]))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             .rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
