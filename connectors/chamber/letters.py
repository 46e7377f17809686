"""Certified authorisation letters: the document format, signing (the chamber's side, used
by the simulator) and reading (the provider's side).

A letter is a JWS in compact serialisation (RFC 7515 §7.1), ES256, with the header
``{"alg": "ES256", "typ": "chamber-letter+jwt", "kid": <chamber key>}`` and a JSON
payload::

    {"letter_number": "OCCI-2026-000123", "cr_number": "1234567",
     "establishment_name": "Al Noor Trading LLC", "owner_national_id": "10475869",
     "agent_national_id": "10293847", "permissions": ["work_permit.issue", ...],
     "valid_from": "2026-01-01", "valid_until": "2026-12-31",
     "certified_at": "2026-01-01T08:00:00Z"}

Checks, cheap first, one exception per reason: size and shape (malformed), header type and
algorithm (malformed), a key the chamber publishes (unknown key), the signature (signature),
then the payload's fields (malformed)."""

import hashlib
import json
import re
from datetime import date
from datetime import datetime

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .chamber import CR_NUMBER
from .chamber import CertifiedLetter
from .errors import LetterMalformedError
from .errors import LetterSignatureError
from .errors import LetterUnknownKeyError

TYPE = "chamber-letter+jwt"
ALGORITHM = "ES256"
MAX_SIZE = 16 * 1024
NATIONAL_ID = re.compile(r"\d{6,12}")
LETTER_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9-]{2,63}")
PERMISSION = re.compile(r"[a-z_]{1,40}\.[a-z_]{1,40}")


def sign_letter(fields: dict, key) -> str:
    """The chamber's side: a signed letter document for `fields` (a JWK with a `kid`)."""
    header = {"alg": ALGORITHM, "typ": TYPE, "kid": key.kid}
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    return jws.serialize_compact(header, payload, key)


def document_digest(document: str) -> str:
    return hashlib.sha256(document.strip().encode()).hexdigest()


def read_letter(document: object, keys: KeySet) -> CertifiedLetter:
    """Verify a letter document against the chamber's public keys; the letter it carries."""
    if not isinstance(document, str) or len(document) > MAX_SIZE:
        raise LetterMalformedError("not a letter document")
    document = document.strip()
    if document.count(".") != 2:
        raise LetterMalformedError("not a compact JWS")
    try:
        header = jws.extract_compact(document.encode()).headers()
    except (JoseError, ValueError):
        raise LetterMalformedError("not a compact JWS") from None
    if header.get("typ") != TYPE or header.get("alg") != ALGORITHM:
        raise LetterMalformedError("not a certified letter (type or algorithm)")
    kid = header.get("kid")
    try:
        key = keys.get_by_kid(kid) if isinstance(kid, str) else None
    except (JoseError, ValueError):
        key = None
    if key is None:
        raise LetterUnknownKeyError("signed under a key the chamber does not publish")
    try:
        verified = jws.deserialize_compact(document, key, algorithms=[ALGORITHM])
    except JoseError:
        raise LetterSignatureError("the chamber's signature does not verify") from None
    try:
        fields = json.loads(verified.payload)
    except ValueError:
        raise LetterMalformedError("payload is not JSON") from None
    return _letter(fields, kid, document_digest(document))


def _letter(fields, kid, digest):
    if not isinstance(fields, dict):
        raise LetterMalformedError("payload is not an object")
    checks = (("letter_number", LETTER_NUMBER), ("cr_number", CR_NUMBER),
              ("owner_national_id", NATIONAL_ID), ("agent_national_id", NATIONAL_ID))
    for name, pattern in checks:
        if not isinstance(fields.get(name), str) or not pattern.fullmatch(fields[name]):
            raise LetterMalformedError(f"{name} missing or malformed")
    name = fields.get("establishment_name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise LetterMalformedError("establishment_name missing or too long")
    permissions = fields.get("permissions")
    if (not isinstance(permissions, list) or not permissions or len(permissions) > 50
            or not all(isinstance(p, str) and PERMISSION.fullmatch(p) for p in permissions)):
        raise LetterMalformedError("permissions missing or malformed")
    try:
        valid_from = date.fromisoformat(fields.get("valid_from"))
        valid_until = date.fromisoformat(fields.get("valid_until"))
        certified_at = datetime.fromisoformat(fields.get("certified_at"))
    except (TypeError, ValueError):
        raise LetterMalformedError("dates missing or malformed") from None
    if valid_until < valid_from or certified_at.tzinfo is None:
        raise LetterMalformedError("dates inconsistent")
    return CertifiedLetter(
        number=fields["letter_number"], cr_number=fields["cr_number"],
        establishment_name=name.strip(), owner_national_id=fields["owner_national_id"],
        agent_national_id=fields["agent_national_id"],
        permissions=tuple(dict.fromkeys(permissions)), valid_from=valid_from,
        valid_until=valid_until, certified_at=certified_at, key_id=kid, digest=digest)
