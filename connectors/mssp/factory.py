"""Builds the MSSP clients of every configured operator from a settings mapping (``MSSP_*``).

``MSSP_OPERATORS`` names the operators (comma-separated, e.g. ``omantel,ooredoo``); each
operator ``<OP>`` (upper case) then has:

=================================  ==========  =========================================
Key                                Default     Meaning
=================================  ==========  =========================================
MSSP_<OP>_URL                      (required)  base URL; requests go to ``/rest/service``
MSSP_<OP>_AP_ID                    (required)  our AP_ID at that MSSP
MSSP_<OP>_AP_PASSWORD              (required)  our AP_PWD (a secret)
MSSP_<OP>_SIGNATURE_PROFILE        (required)  SignatureProfile URI of the login key
MSSP_<OP>_MSSP_ID                  (none)      MSSP_Info/MSSP_ID/URI
MSSP_<OP>_CLIENT_CERT              (none)      PEM client certificate (mutual TLS)
MSSP_<OP>_CLIENT_KEY               (none)      its PEM private key
MSSP_<OP>_CA_FILE                  (system)    CA bundle for the MSSP's certificate
MSSP_<OP>_CONNECT_TIMEOUT          ``5``       seconds
MSSP_<OP>_READ_TIMEOUT             ``10``      seconds
MSSP_<OP>_POLL_INTERVAL            ``2``       seconds between status queries
MSSP_<OP>_TRANSACTION_TIMEOUT      ``120``     TimeOut asked of the MSSP (1-600 s)
MSSP_<OP>_PREFIXES                 (any)       E.164 prefixes served, e.g. ``+96891,+96892``
=================================  ==========  =========================================
"""

import re
from collections.abc import Mapping

from connectors.errors import ConfigurationError
from connectors.msisdn import normalise_msisdn
from connectors.mssp.client import MsspClient
from connectors.mssp.client import MsspSettings
from connectors.mssp.errors import CONNECTOR
from connectors.mssp.errors import NotACustomerError
from connectors.settings import SettingsReader

OPERATOR_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
PREFIX = re.compile(r"\+[0-9]{1,14}")


def _names(value: object) -> list[str]:
    if value is None or value == "":
        return []
    names = value if isinstance(value, list | tuple) else str(value).split(",")
    names = [str(n).strip().lower() for n in names if str(n).strip()]
    if any(not OPERATOR_NAME.fullmatch(n) for n in names) or len(set(names)) != len(names):
        raise ConfigurationError("MSSP_OPERATORS must list distinct operator names",
                                 connector=CONNECTOR)
    return names


def operator_settings(settings: Mapping[str, object], operator: str) -> MsspSettings:
    read = SettingsReader(settings, CONNECTOR)
    key = f"MSSP_{operator.upper()}_"
    prefixes = tuple(p.strip() for p in (read.text(key + "PREFIXES", "") or "").split(",")
                     if p.strip())
    if any(not PREFIX.fullmatch(p) for p in prefixes):
        raise ConfigurationError(f"{key}PREFIXES must be E.164 prefixes like +96891",
                                 connector=CONNECTOR)
    return MsspSettings(
        operator=operator,
        base_url=read.text(key + "URL"),
        ap_id=read.text(key + "AP_ID"),
        ap_password=read.text(key + "AP_PASSWORD"),
        signature_profile=read.text(key + "SIGNATURE_PROFILE"),
        mssp_id=read.text(key + "MSSP_ID", ""),
        client_cert=read.text(key + "CLIENT_CERT", None),
        client_key=read.text(key + "CLIENT_KEY", None),
        ca_file=read.text(key + "CA_FILE", None),
        connect_timeout=read.number(key + "CONNECT_TIMEOUT", 5.0, minimum=0.001),
        read_timeout=read.number(key + "READ_TIMEOUT", 10.0, minimum=0.001),
        poll_interval=read.number(key + "POLL_INTERVAL", 2.0, minimum=0.001),
        transaction_timeout=read.integer(key + "TRANSACTION_TIMEOUT", 120, minimum=1),
        msisdn_prefixes=prefixes,
    )


class MobileIdOperators:
    """The MSSP client of each operator, and which one serves a mobile number."""

    def __init__(self, clients: dict[str, MsspClient]):
        self.clients = clients

    def client(self, operator: str) -> MsspClient:
        return self.clients[operator]

    def for_msisdn(self, msisdn: str) -> MsspClient:
        """The operator with the longest matching prefix, else the first without prefixes;
        NotACustomerError when no operator serves the number."""
        msisdn = normalise_msisdn(msisdn, connector=CONNECTOR)
        best, length = None, -1
        for client in self.clients.values():
            prefixes = client.settings.msisdn_prefixes
            for prefix in prefixes or ("+",):
                size = len(prefix) if prefixes else 0
                if msisdn.startswith(prefix) and size > length:
                    best, length = client, size
        if best is None:
            raise NotACustomerError("no Mobile ID operator serves this number", code="routing")
        return best

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def mobile_id_operators_from_settings(settings: Mapping[str, object]) -> MobileIdOperators:
    """Every operator of ``MSSP_OPERATORS``; ConfigurationError if a setting is bad."""
    return MobileIdOperators({name: MsspClient(operator_settings(settings, name))
                              for name in _names(settings.get("MSSP_OPERATORS"))})
