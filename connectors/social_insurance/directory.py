"""Insured incomes: loading ``insured.json`` and answering by national ID. Shared by the
simulator (which serves the records over HTTP) and the in-memory fake."""

import json
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

INSURED_FILE = Path(__file__).with_name("insured.json")
SERVED_FIELDS = ("national_id", "kind", "employer", "employer_ar", "monthly_amount",
                 "currency", "as_of")


class InsuredDirectory:
    """Income records by national ID, each dated ``as_of`` (the end of the month before
    ``today`` unless the record fixes it)."""

    def __init__(self, records: list[dict], today: date | None = None):
        today = today or datetime.now(UTC).date()
        month_end = (today.replace(day=1) - timedelta(days=1)).isoformat()
        self.records = [{"as_of": month_end, **record} for record in records]
        self._by_id = {record["national_id"]: record for record in self.records}

    @classmethod
    def load(cls, path: str | Path = INSURED_FILE, today: date | None = None
             ) -> "InsuredDirectory":
        with open(path, encoding="utf-8") as handle:
            return cls(json.load(handle)["insured"], today)

    def find(self, national_id: str) -> dict | None:
        """The served record (without ``note``), or ``None``."""
        record = self._by_id.get(national_id)
        return None if record is None else {k: record[k] for k in SERVED_FIELDS if k in record}


def income_table(directory: InsuredDirectory) -> str:
    """A plain-text table of the insured incomes, for the simulator's start banner."""
    rows = [("National ID", "Kind", "Monthly", "As of", "Employer", "Note")]
    for r in directory.records:
        rows.append((r["national_id"], r["kind"], f"{r['monthly_amount']} {r['currency']}",
                     r["as_of"], r["employer"], r.get("note", "")))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             .rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
