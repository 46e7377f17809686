"""Authentication context classes (OpenID Connect Core §2 `acr`) and their order."""

LEVEL_1 = "urn:bawaba:acr:level-1"
LEVEL_2 = "urn:bawaba:acr:level-2"

RANK = {LEVEL_1: 1, LEVEL_2: 2}


def is_known(acr):
    return acr in RANK


def satisfies(achieved, required):
    """True when an authentication at `achieved` is at least as strong as any of
    `required` (an empty requirement is satisfied by anything)."""
    if not required:
        return True
    rank = RANK.get(achieved, 0)
    return any(rank >= RANK.get(r, 99) for r in required)
