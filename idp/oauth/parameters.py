"""Request parameters may appear at most once (RFC 6749 §3.1 and §3.2)."""

from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749 import InvalidRequestError


def reject_repeated(values):
    """Raise invalid_request when a parameter of the MultiDict appears twice. The name is
    echoed only when it is short, printable ASCII (RFC 6749 §5.2 error_description)."""
    repeated = [k for k in values if len(values.getlist(k)) > 1]
    if not repeated:
        return
    name = repeated[0]
    if len(name) > 40 or invalid_error_characters(name) or "'" in name:
        raise InvalidRequestError("Repeated parameter.")
    raise InvalidRequestError(f"Repeated parameter: '{name}'.")
