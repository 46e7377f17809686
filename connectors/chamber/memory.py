"""An in-process chamber for tests that need no network, on the real interface: the same
letter checks as the HTTP client, against a :class:`ChamberDirectory`."""

from connectors.errors import ConnectorError

from .chamber import CertifiedLetter
from .chamber import Chamber
from .chamber import Establishment
from .chamber import normalise_cr_number
from .chamber import parse_establishment
from .directory import ChamberDirectory
from .errors import LetterMismatchError
from .errors import LetterNotOnRecordError
from .errors import LetterWithdrawnError
from .letters import read_letter


class InMemoryChamber(Chamber):
    """Answers from a directory; set ``fail_with`` to simulate outages."""

    def __init__(self, directory: ChamberDirectory | None = None):
        self.directory = directory or ChamberDirectory.load()
        self.fail_with: ConnectorError | None = None

    def _check(self):
        if self.fail_with is not None:
            raise self.fail_with

    def establishment(self, cr_number: str) -> Establishment | None:
        cr_number = normalise_cr_number(cr_number)
        self._check()
        record = self.directory.establishment(cr_number)
        return None if record is None else parse_establishment(record)

    def is_owner(self, cr_number: str, national_id: str) -> bool:
        cr_number = normalise_cr_number(cr_number)
        self._check()
        return self.directory.is_owner(cr_number, national_id)

    def verify_letter(self, document: str) -> CertifiedLetter:
        self._check()
        letter = read_letter(document, self.directory.key_set())
        record = self.directory.letter(letter.number)
        if record is None:
            raise LetterNotOnRecordError("the chamber has no such letter")
        if record["status"] == "withdrawn":
            raise LetterWithdrawnError("the chamber withdrew the letter")
        if record["digest"] != letter.digest:
            raise LetterMismatchError("the chamber's record is another document")
        return letter
