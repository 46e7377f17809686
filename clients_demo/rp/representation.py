"""For whom the person is acting, as the token states it: a `represents` claim and/or
RFC 9396 `authorization_details` naming an establishment (by commercial-registration
number) and the permissions granted. Read tolerantly, since the provider documents the
exact member names (docs/claims.md); nothing here grants anything by itself."""

from dataclasses import dataclass

ID_KEYS = ("cr_number", "establishment_id", "identifier", "id")
NAME_KEYS = ("name", "establishment_name")
PERMISSION_KEYS = ("permissions", "actions", "privileges")
EVIDENCE_KEYS = ("evidence", "evidence_ref", "certification")


@dataclass(frozen=True)
class Representation:
    establishment_id: str
    establishment_name: str | None
    permissions: tuple
    evidence: str | None
    source: str

    def allows(self, permission):
        return permission in self.permissions


def representation_of(claims):
    """The representation stated by `claims` (ID token, userinfo or introspection), or
    None when the person acts for themselves."""
    claims = claims or {}
    found = _from_represents(claims.get("represents"))
    details = claims.get("authorization_details")
    if found is None and isinstance(details, list):
        for entry in details:
            found = _read(entry, "authorization_details")
            if found is not None:
                break
    return found


def _from_represents(value):
    if isinstance(value, dict):
        return _read(value, "represents")
    return None


def _read(entry, source):
    if not isinstance(entry, dict):
        return None
    holder = entry.get("establishment") if isinstance(entry.get("establishment"), dict) else entry
    ident = _first(holder, ID_KEYS)
    if ident is None and isinstance(entry.get("establishment"), str):
        ident = entry["establishment"]
    if ident is None:
        return None
    permissions = _first(entry, PERMISSION_KEYS, list) or _first(holder, PERMISSION_KEYS, list)
    evidence = _first(entry, EVIDENCE_KEYS)
    return Representation(
        establishment_id=str(ident),
        establishment_name=_first(holder, NAME_KEYS),
        permissions=tuple(p for p in (permissions or []) if isinstance(p, str)),
        evidence=str(evidence) if evidence is not None else None,
        source=source,
    )


def _first(mapping, keys, kind=(str, int)):
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, kind) and not isinstance(value, bool) and value != "":
            return value
    return None
