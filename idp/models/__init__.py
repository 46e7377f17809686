"""Storage: the models and the only functions that query them."""

from . import sqlite  # noqa: F401  (SQLite connection settings)
from .accounts import Account
from .audit import AuditEvent
from .centres import AssistedWork
from .certificates import Authority  # noqa: F401  (PKI tables)
from .citizens import Citizen
from .citizens import OtpChallenge
from .citizens import OtpSend
from .clients import Client
from .codes import AuthorizationCode
from .consents import Consent
from .keys import SigningKey
from .logout import BackchannelDelivery
from .mandates import Mandate
from .replay import UsedJti
from .sessions import LoginSession
from .sessions import SessionClient
from .tokens import AccessToken
from .tokens import RefreshToken
from .tokens import TokenFamily

__all__ = [
    "AccessToken",
    "Account",
    "AssistedWork",
    "AuditEvent",
    "AuthorizationCode",
    "BackchannelDelivery",
    "Citizen",
    "Client",
    "Consent",
    "LoginSession",
    "Mandate",
    "OtpChallenge",
    "OtpSend",
    "RefreshToken",
    "SessionClient",
    "SigningKey",
    "TokenFamily",
    "UsedJti",
]
