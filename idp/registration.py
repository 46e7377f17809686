"""Client metadata rules (OpenID Connect Dynamic Client Registration 1.0 §2, RFC 8252 §7.3,
Security BCP §4.1): absolute URIs without fragments; http only for loopback."""

from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def check_redirect_uri(uri):
    """None when the URI may be registered, else the reason it may not."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "not a valid URI"
    if parts.fragment or "#" in uri:
        return "must not contain a fragment"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK:
        return None
    if parts.scheme == "http" and parts.hostname:
        return "http is allowed only for loopback addresses; use https"
    return "must be an absolute https URI"
