"""What the tokens of assisted work state, while the work allows it (statements.py):

- the consent token (`delegation` kind "consent"): `may_act` {"sub": operator,
  "client_id": the centre's client, "centre": code} and `aud` the token endpoint, so no
  resource server takes it for the citizen's own token; only until it is exchanged or
  expires (CONSENT_TTL);
- the acting token (kind "act"): `act` {"sub": operator, "client_id", "centre": {"id",
  "name", "name#ar"}, "acr": the operator's level} (RFC 8693 §4.1) and `aud` the service
  it was exchanged for; only until the work is completed."""

from flask import current_app

from ..models.centres import CONSENTED
from ..models.centres import EXCHANGED
from ..models.centres import find_work

CONSENT = "consent"
ACT = "act"


def consent_claims(delegation, subject, now):
    work = find_work(delegation.get("work"))
    if work is None or work.citizen_sub != subject or work.state != CONSENTED \
            or now >= work.expires_at:
        return None
    return {"may_act": may_act(work),
            "aud": current_app.config["IDP_ISSUER"] + "/token"}


def act_claims(delegation, subject, now):
    work = find_work(delegation.get("work"))
    if work is None or work.citizen_sub != subject or work.state != EXCHANGED:
        return None
    return {"act": act(work), "aud": work.service}


def may_act(work):
    return {"sub": work.operator_sub, "client_id": work.centre.client_id,
            "centre": work.centre.code}


def act(work):
    centre = {"id": work.centre.code, "name": work.centre.name}
    if work.centre.name_ar:
        centre["name#ar"] = work.centre.name_ar
    claim = {"sub": work.operator_sub, "client_id": work.centre.client_id, "centre": centre}
    if work.operator_acr:
        claim["acr"] = work.operator_acr
    return claim
