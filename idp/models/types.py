"""Column helpers shared by the models."""

import hashlib
import secrets
from datetime import UTC
from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow():
    return datetime.now(UTC)


def digest(secret: str) -> str:
    """Stored form of a high-entropy secret (codes, tokens, cookies): never the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
