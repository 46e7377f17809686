"""The form requests the fast paths take (fast_paths.py): a POST whose body is a form of
at most MAX_BODY bytes (RFC 6749 §3.2: parameters in the body, none in the URL), each
field once and none empty, from a client authenticating with its secret in one way only
(§2.3.1: Basic credentials or the body's client_id and client_secret)."""

import base64
import binascii
import io
from urllib.parse import parse_qsl
from urllib.parse import unquote

from ..models.client_cache import plausible_client_id

MAX_BODY = 2048
FORM = "application/x-www-form-urlencoded"
POST_FIELDS = frozenset({"client_id", "client_secret"})


def ordinary_form(environ, path):
    """The fields of an ordinary form POST to path, or None. A body read here is put back
    for the full stack, which reads it again."""
    if environ.get("PATH_INFO") != path or environ.get("REQUEST_METHOD") != "POST":
        return None
    if environ.get("QUERY_STRING") or environ.get("CONTENT_TYPE") != FORM:
        return None
    length = environ.get("CONTENT_LENGTH", "")
    if not length.isdigit() or not 0 < int(length) <= MAX_BODY:
        return None
    body = environ["wsgi.input"].read(int(length))
    environ["wsgi.input"] = io.BytesIO(body)
    if len(body) != int(length):
        return None
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True,
                          errors="strict")
    except ValueError:  # also UnicodeDecodeError
        return None
    fields = dict(pairs)
    if len(fields) != len(pairs) or not all(fields.values()):
        return None  # a field twice, or an empty one
    return fields


def secret_credentials(fields, authorization, allowed):
    """(auth method, client_id, client_secret) of a request whose other fields are among
    `allowed` (they stay in fields), or None."""
    if authorization is None:
        if not fields.keys() <= allowed | POST_FIELDS:
            return None
        method = "client_secret_post"
        client_id, secret = fields.pop("client_id", None), fields.pop("client_secret", None)
    else:
        if not fields.keys() <= allowed:
            return None
        method = "client_secret_basic"
        client_id, secret = _basic_credentials(authorization)
    if not client_id or not secret or not plausible_client_id(client_id):
        return None
    return method, client_id, secret


def _basic_credentials(authorization):
    """RFC 6749 §2.3.1: the id and secret, each form-encoded, in Basic credentials."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None, None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        return None, None
    return unquote(client_id), unquote(secret)
