"""The rows the fast paths (idp/oauth/fast_paths.py) read and write on the bare database
connection: the models' own tables and columns, each statement written once per worker
(driver_statements.py)."""

from types import SimpleNamespace

from .accounts import Account
from .audit import AuditEvent
from .clients import Client
from .codes import AuthorizationCode
from .consents import Consent
from .driver_statements import DriverClaim
from .driver_statements import DriverInsert
from .driver_statements import DriverLookup
from .sessions import LoginSession
from .sessions import SessionClient
from .tokens import AccessToken
from .tokens import RefreshToken
from .tokens import TokenFamily

ACCESS_TOKENS = AccessToken.__table__
FAMILIES = TokenFamily.__table__
ACCOUNTS = Account.__table__
CODES = AuthorizationCode.__table__
SESSIONS = LoginSession.__table__
REFRESH_TOKENS = RefreshToken.__table__
CONSENTS = Consent.__table__
SESSION_CLIENTS = SessionClient.__table__
TOKEN_AND_FAMILY = (f"{ACCESS_TOKENS.name} LEFT JOIN {FAMILIES.name} "
                    f"ON {FAMILIES.name}.id = {ACCESS_TOKENS.name}.family_id")


class FastPathRows:
    def __init__(self, dialect):
        self.client_version = DriverLookup({"version": Client.__table__.c.version},
                                           Client.__table__.c.client_id, dialect)
        self.code = DriverLookup({column.key: column for column in CODES.columns},
                                 CODES.c.code_digest, dialect)
        self.claim_code = DriverClaim(CODES, CODES.c.code_digest, CODES.c.used_at,
                                      ("used_at", "family_id"), dialect)
        self.account = DriverLookup(
            {"sub": ACCOUNTS.c.sub, "profile": ACCOUNTS.c.profile,
             "locked_at": ACCOUNTS.c.locked_at}, ACCOUNTS.c.sub, dialect)
        self.session = DriverLookup(
            {"expires_at": SESSIONS.c.expires_at, "ended_at": SESSIONS.c.ended_at},
            SESSIONS.c.sid, dialect)
        self.access_token = DriverLookup(
            {"subject": ACCESS_TOKENS.c.subject, "scope": ACCESS_TOKENS.c.scope,
             "claims": ACCESS_TOKENS.c.claims, "revoked_at": ACCESS_TOKENS.c.revoked_at,
             "expires_at": ACCESS_TOKENS.c.expires_at,
             "family_revoked_at": FAMILIES.c.revoked_at},
            ACCESS_TOKENS.c.jti, dialect, source=TOKEN_AND_FAMILY)
        self.refresh_token = DriverLookup(
            {**{column.key: column for column in REFRESH_TOKENS.columns},
             "family_revoked_at": FAMILIES.c.revoked_at, "family_sid": FAMILIES.c.sid},
            REFRESH_TOKENS.c.token_digest, dialect,
            source=f"{REFRESH_TOKENS.name} JOIN {FAMILIES.name} "
                   f"ON {FAMILIES.name}.id = {REFRESH_TOKENS.name}.family_id")
        self.rotate_refresh_token = DriverClaim(REFRESH_TOKENS, REFRESH_TOKENS.c.token_digest,
                                                REFRESH_TOKENS.c.rotated_at, ("rotated_at",),
                                                dialect)
        self.introspected = DriverLookup(
            {**{column.key: column for column in ACCESS_TOKENS.columns},
             "family_revoked_at": FAMILIES.c.revoked_at},
            ACCESS_TOKENS.c.jti, dialect, source=TOKEN_AND_FAMILY)
        self.session_by_cookie = DriverLookup(
            {column.key: column for column in SESSIONS.columns}, SESSIONS.c.cookie_digest,
            dialect)
        self.consented_scopes = DriverLookup(
            {"scopes": CONSENTS.c.scopes}, (CONSENTS.c.subject, CONSENTS.c.client_id), dialect)
        self.session_client = DriverLookup(
            {"sid": SESSION_CLIENTS.c.sid}, (SESSION_CLIENTS.c.sid, SESSION_CLIENTS.c.client_id),
            dialect)
        self.insert = {table.name: DriverInsert(table, dialect) for table in (
            FAMILIES, ACCESS_TOKENS, REFRESH_TOKENS, AuditEvent.__table__, CODES,
            SESSION_CLIENTS)}

    def one(self, lookup, cursor, *keys):
        """The row as an object with the columns as attributes, or None."""
        row = lookup.one(cursor, *keys)
        return None if row is None else SimpleNamespace(**row)

    def add(self, cursor, table, columns):
        self.insert[table].execute(cursor, columns)

    def add_audit_event(self, cursor, row):
        self.insert[AuditEvent.__tablename__].execute(cursor, row)

    def token_store(self, cursor):
        """What tokens.issue_tokens writes with (`store`), on this cursor."""
        return CursorTokenStore(self.insert, cursor)


class CursorTokenStore:
    def __init__(self, inserts, cursor):
        self._inserts = inserts
        self._cursor = cursor

    def add_family(self, **columns):
        self._inserts[FAMILIES.name].execute(self._cursor, columns)

    def add_access_token(self, **columns):
        self._inserts[ACCESS_TOKENS.name].execute(self._cursor, columns)

    def add_refresh_token(self, **columns):
        self._inserts[REFRESH_TOKENS.name].execute(self._cursor, columns)
