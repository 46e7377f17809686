"""An in-process civil registry for tests that need no network, on the real interface."""

from datetime import date
from pathlib import Path

from connectors.civil_registry.directory import CITIZENS_FILE
from connectors.civil_registry.directory import CitizenDirectory
from connectors.civil_registry.registry import CivilRegistry
from connectors.civil_registry.registry import Person
from connectors.civil_registry.registry import check_date_of_birth
from connectors.civil_registry.registry import normalise_national_id
from connectors.civil_registry.registry import parse_person
from connectors.errors import ConnectorError


class InMemoryCivilRegistry(CivilRegistry):
    """Answers from a :class:`CitizenDirectory`; set ``fail_with`` to simulate outages."""

    def __init__(self, directory: CitizenDirectory | None = None, *,
                 path: str | Path = CITIZENS_FILE):
        self.directory = directory or CitizenDirectory.load(path)
        self.fail_with: ConnectorError | None = None

    def lookup(self, national_id: str, date_of_birth: date) -> Person | None:
        national_id = normalise_national_id(national_id)
        date_of_birth = check_date_of_birth(date_of_birth)
        if self.fail_with is not None:
            raise self.fail_with
        record = self.directory.find(national_id, date_of_birth)
        return None if record is None else parse_person(record)
