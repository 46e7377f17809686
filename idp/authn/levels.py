"""Per-level session policy. Level 2 holds for IDP_LEVEL2_TTL seconds after the
authentication that reached it; after that the session falls back to level 1 (it does
not end): a request that requires level 2 asks for a step-up, and tokens issued or
refreshed from then on, and introspection, state level 1. `auth_time` stays the time of
the authentication. Time is an argument."""

from flask import current_app

from .. import audit
from .assurance import LEVEL_1
from .assurance import LEVEL_2
from .assurance import RANK


def held_acr(acr, auth_time, now, ttl=None):
    """The level an authentication at `acr` and `auth_time` still holds at `now`."""
    if acr is None or auth_time is None or RANK.get(acr, 0) < RANK[LEVEL_2]:
        return acr
    if ttl is None:
        ttl = current_app.config["IDP_LEVEL2_TTL"]
    if now.timestamp() - auth_time >= ttl:
        return LEVEL_1
    return acr


def lapse_session(record, now):
    """Let a session's level 2 lapse to level 1 once its window is over (audited, not
    committed); True when it did."""
    held = held_acr(record.acr, record.auth_time, now)
    if held == record.acr:
        return False
    audit.record("assurance_lapsed", subject=record.subject, now=now, sid=record.sid,
                 acr=record.acr, held=held)
    record.acr = held
    return True
