"""The provider's authentication context classes (OpenID Connect Core §2 `acr`), as its
documentation states them, and their order. A relying party compares levels; it never
trusts an acr value it does not know."""

LEVEL_1 = "urn:bawaba:acr:level-1"
LEVEL_2 = "urn:bawaba:acr:level-2"

RANK = {LEVEL_1: 1, LEVEL_2: 2}


def is_known(acr):
    return acr in RANK


def satisfies(achieved, required):
    """True when `achieved` is at least as strong as `required` (None: anything known)."""
    if achieved not in RANK:
        return False
    return required is None or RANK[achieved] >= RANK.get(required, 99)


def short_name(acr):
    """`level-2` for `urn:bawaba:acr:level-2`: what pages and query strings show."""
    return acr.rsplit(":", 1)[-1] if isinstance(acr, str) else ""


def from_short_name(name):
    for acr in RANK:
        if short_name(acr) == name:
            return acr
    return None
