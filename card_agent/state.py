"""What the agent knows about readers and cards at one moment, whatever watches them
(PC/SC in readers.py, token presence in presence.py)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Reader:
    """A reader; each card inserted in it gets the next generation number, so a card
    pulled out and put back is another card."""

    name: str
    card_present: bool
    generation: int


@dataclass(frozen=True)
class Snapshot:
    """The readers now; `service` is False when the reader service is not running."""

    service: bool
    readers: tuple

    def reader(self, name):
        return next((r for r in self.readers if r.name == name), None)

    @property
    def with_card(self):
        return [r for r in self.readers if r.card_present]

    def same_card(self, name, generation):
        reader = self.reader(name)
        return reader is not None and reader.card_present and reader.generation == generation
