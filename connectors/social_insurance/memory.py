"""An in-process social insurance fund for tests that need no network, on the real
interface: the same validation as the HTTP client, against an :class:`InsuredDirectory`."""

from pathlib import Path

from connectors.errors import ConnectorError

from .directory import INSURED_FILE
from .directory import InsuredDirectory
from .insurance import InsuredIncome
from .insurance import InsuredPersonNotFoundError
from .insurance import SocialInsurance
from .insurance import normalise_national_id
from .insurance import parse_income


class InMemorySocialInsurance(SocialInsurance):
    """Answers from a directory; set ``fail_with`` to simulate outages."""

    def __init__(self, directory: InsuredDirectory | None = None, *,
                 path: str | Path = INSURED_FILE):
        self.directory = directory or InsuredDirectory.load(path)
        self.fail_with: ConnectorError | None = None

    def insured_income(self, national_id: str) -> InsuredIncome:
        national_id = normalise_national_id(national_id)
        if self.fail_with is not None:
            raise self.fail_with
        record = self.directory.find(national_id)
        if record is None:
            raise InsuredPersonNotFoundError()
        return parse_income(record)
