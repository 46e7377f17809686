"""Civil registry connector: interface, HTTP client, in-memory fake, simulator.

Typical use::

    from connectors.civil_registry import civil_registry_from_settings

    registry = civil_registry_from_settings(app.config)   # CIVIL_REGISTRY_* keys
    person = registry.lookup("10293847", date(1985, 3, 14))   # Person or None

See ``connectors.civil_registry.registry`` and ``docs/connectors.md``.
"""

from connectors.civil_registry.factory import civil_registry_from_settings
from connectors.civil_registry.registry import CivilRegistry
from connectors.civil_registry.registry import Gender
from connectors.civil_registry.registry import MaritalStatus
from connectors.civil_registry.registry import Name
from connectors.civil_registry.registry import Person
from connectors.civil_registry.registry import normalise_national_id

__all__ = ["CivilRegistry", "Gender", "MaritalStatus", "Name", "Person",
           "civil_registry_from_settings", "normalise_national_id"]
