"""Signature checks of the provider's JWTs (RFC 7515) with its published JWK Set (OpenID
Connect Core §10.1.1): the header first (allowed `alg`, expected `typ`; RFC 8725 §3.1,
§3.11), then the signature; an unknown `kid` fetches the key set once more, since the
provider may have rotated its keys."""

import base64
import binascii
import json

from joserfc import jwt
from joserfc.errors import BadSignatureError as JoseBadSignatureError
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .errors import BadSignatureError
from .errors import DisallowedAlgorithmError
from .errors import MalformedTokenError
from .errors import UnexpectedTypeError

MAX_LENGTH = 8192


def unverified_header(value):
    if not isinstance(value, str) or value.count(".") != 2 or len(value) > MAX_LENGTH:
        raise MalformedTokenError("not a compact JWS")
    segment = value.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error):
        raise MalformedTokenError("unreadable JOSE header") from None
    if not isinstance(header, dict):
        raise MalformedTokenError("unreadable JOSE header")
    return header


def verify(value, fetch_keys, algorithms, typ):
    """(header, claims) of a JWT signed by the provider. `fetch_keys(force)` returns the JWK
    Set as JSON; `typ` is the expected header type (`None`: absent or `JWT`)."""
    header = unverified_header(value)
    if header.get("alg") not in algorithms:
        raise DisallowedAlgorithmError(f"alg {header.get('alg')!r} is not accepted")
    found = header.get("typ")
    if typ is None:
        if found not in (None, "JWT"):
            raise UnexpectedTypeError(f"typ {found!r} is not an ID token's")
    elif not isinstance(found, str) or found.lower() not in (typ, "application/" + typ):
        raise UnexpectedTypeError(f"typ {found!r} is not {typ!r}")
    keys = _key_set(fetch_keys(False))
    if not _has_kid(keys, header.get("kid")):
        keys = _key_set(fetch_keys(True))
    try:
        token = jwt.decode(value, keys, algorithms=list(algorithms))
    except JoseBadSignatureError:
        raise BadSignatureError("the signature does not verify") from None
    except (JoseError, ValueError) as error:
        raise BadSignatureError(f"no usable key: {type(error).__name__}") from None
    return header, token.claims


def _key_set(data):
    try:
        return KeySet.import_key_set(data)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise BadSignatureError(f"the provider's JWK Set is unusable: {error}") from None


def _has_kid(keys, kid):
    return kid is None or any(key.kid == kid for key in keys.keys)
