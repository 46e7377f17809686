"""Mobile ID through the operators' Mobile Signature Services (ETSI TS 102 204).

The provider never talks to the SIM: it asks the operator's MSSP to have data signed
with the SIM key after the citizen confirmed with the SIM PIN. See ``docs/mobile-id.md``.

- ``client.py``: :class:`MsspClient` (start, poll, wait), per operator;
- ``factory.py``: ``MSSP_*`` settings, routing a number to its operator;
- ``wire.py``: the JSON/REST wire format; ``codes.py``: ETSI status and fault codes and
  the :class:`Outcome` they map to; ``errors.py``: one exception per outcome;
- the simulator (development and tests): ``simulator.py``, ``service.py``,
  ``handset.py``, ``handset_web.py``, ``misbehaviour.py``, ``sim_token.py``, ``sims.py``.
"""

from connectors.mssp.client import MobileSignature
from connectors.mssp.client import MsspClient
from connectors.mssp.client import MsspSettings
from connectors.mssp.client import PendingSignature
from connectors.mssp.client import PollResult
from connectors.mssp.codes import FaultCode
from connectors.mssp.codes import Outcome
from connectors.mssp.codes import StatusCode
from connectors.mssp.errors import MobileIdError
from connectors.mssp.factory import MobileIdOperators
from connectors.mssp.factory import mobile_id_operators_from_settings
from connectors.mssp.wire import verification_code

__all__ = ["FaultCode", "MobileIdError", "MobileIdOperators", "MobileSignature",
           "MsspClient", "MsspSettings", "Outcome", "PendingSignature", "PollResult",
           "StatusCode", "mobile_id_operators_from_settings", "verification_code"]
