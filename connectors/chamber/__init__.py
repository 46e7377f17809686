"""Chamber of commerce connector: interface, HTTP client, in-memory fake, simulator.

Typical use::

    from connectors.chamber import chamber_from_settings

    chamber = chamber_from_settings(app.config)          # CHAMBER_* keys
    chamber.establishment("1234567")                     # Establishment or None
    chamber.is_owner("1234567", "10475869")              # bool
    letter = chamber.verify_letter(document)             # CertifiedLetter, or a
                                                         # LetterRejectedError subclass

See ``connectors.chamber.chamber`` and ``docs/mandates.md``.
"""

from connectors.chamber.chamber import CertifiedLetter
from connectors.chamber.chamber import Chamber
from connectors.chamber.chamber import Establishment
from connectors.chamber.chamber import EstablishmentStatus
from connectors.chamber.chamber import LetterStatus
from connectors.chamber.chamber import normalise_cr_number
from connectors.chamber.errors import LetterRejectedError
from connectors.chamber.factory import chamber_from_settings

__all__ = ["CertifiedLetter", "Chamber", "Establishment", "EstablishmentStatus",
           "LetterRejectedError", "LetterStatus", "chamber_from_settings",
           "normalise_cr_number"]
