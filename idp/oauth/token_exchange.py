"""OAuth 2.0 Token Exchange (RFC 8693) for service-centre representation
(docs/service-centres.md): a centre's client presents the citizen's consent token
(`subject_token`) and its operator's access token (`actor_token`) and receives an access
token whose `sub` is the citizen and whose `act` names the operator and the centre
(§4.1), for the one service the citizen consented to (`audience`).

Checks, in this order, one error per reason:
1. client authentication (invalid_client); the client is registered for this grant and
   is a registered centre's client (unauthorized_client);
2. `subject_token`, `subject_token_type`, `actor_token`, `actor_token_type` present and
   both types `urn:ietf:params:oauth:token-type:access_token`; `requested_token_type`
   absent or that type; `audience` present; no `resource` (invalid_request, §2.2.2;
   invalid_target for `resource`);
3. both tokens are live access tokens of this provider (invalid_request, §2.2.2);
4. the grant they carry (invalid_grant): both issued to this client; the subject token is
   a citizen's consent to assisted work at this centre, not used yet and not expired; its
   `may_act` names the actor token's subject; the actor is still an operator of the
   centre and holds level 2 now;
5. `audience` is the service the citizen consented to (invalid_target, §2.2.2).
Then the consent is used up, and the answer carries `issued_token_type`."""

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidGrantError
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749 import UnauthorizedClientError
from authlib.oauth2.rfc6749.grants import BaseGrant
from authlib.oauth2.rfc6749.grants import TokenEndpointMixin

from .. import audit
from ..assisted import tokens as assisted
from ..assisted.work import CONSENT_SCOPE
from ..assisted.work import notify
from ..authn.assurance import LEVEL_2
from ..authn.assurance import satisfies
from ..authn.levels import held_acr
from ..extensions import db
from ..models.centres import CONSENTED
from ..models.centres import EXCHANGED
from ..models.centres import centre_of_client
from ..models.centres import find_work
from ..models.centres import is_operator
from ..models.centres import move_work
from ..models.clients import TOKEN_EXCHANGE_GRANT
from ..models.types import utcnow
from .access_tokens import load_access_token
from .grants import CONFIDENTIAL_AUTH_METHODS
from .tokens import GrantContext
from .tokens import issue_tokens

ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
CONSENT_USED = "The citizen's consent was already used or has expired."


class InvalidTargetError(OAuth2Error):
    """RFC 8693 §2.2.2."""

    error = "invalid_target"


class TokenExchangeGrant(BaseGrant, TokenEndpointMixin):
    GRANT_TYPE = TOKEN_EXCHANGE_GRANT
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS

    def validate_token_request(self):
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError("The client is not registered for token exchange.")
        centre = centre_of_client(client.client_id)
        if centre is None:
            raise UnauthorizedClientError("Only a registered service centre may exchange "
                                          "tokens.")
        form = self.request.form
        check_parameters(form)
        now = utcnow()
        subject = load_access_token(form["subject_token"], now)
        if subject is None:
            raise InvalidRequestError("The subject_token is invalid, expired or revoked.")
        actor = load_access_token(form["actor_token"], now)
        if actor is None or actor.subject is None:
            raise InvalidRequestError("The actor_token is invalid, expired or revoked.")
        work = consented_work(client, centre, subject, now)
        if actor.client_id != client.client_id:
            raise InvalidGrantError("The actor_token was issued to another client.")
        if actor.subject != work.operator_sub:
            raise InvalidGrantError("The citizen did not allow this actor (may_act).")
        if not is_operator(centre.id, actor.subject):
            raise InvalidGrantError("The actor is not an operator of this centre.")
        if not satisfies(held_acr(actor.acr, actor.auth_time, now), [LEVEL_2]):
            raise InvalidGrantError("The operator's login does not hold level 2.")
        if form["audience"] != work.service:
            raise InvalidTargetError("The citizen consented to another service.")
        self.request.client = client
        self.request.assisted_work = work

    def create_token_response(self):
        now = utcnow()
        work = self.request.assisted_work
        if not move_work(work.id, CONSENTED, EXCHANGED, exchanged_at=now):
            db.session.rollback()
            raise InvalidGrantError(CONSENT_USED)
        db.session.refresh(work)
        ctx = GrantContext(subject=work.citizen_sub, scope=CONSENT_SCOPE,
                           auth_time=int(work.consented_at.timestamp()),
                           delegation={"kind": assisted.ACT, "work": work.ref})
        token = issue_tokens(self.client, ctx, False, now)
        token["issued_token_type"] = ACCESS_TOKEN_TYPE
        audit.record("token_issued", subject=work.citizen_sub, client_id=self.client.client_id,
                     now=now, grant_type="token_exchange", work=work.ref,
                     actor=work.operator_sub, audience=work.service)
        notify(work, "submitted", now)
        db.session.commit()
        return 200, token, self.TOKEN_RESPONSE_HEADER


def check_parameters(form):
    """Check 2: the parameters alone."""
    for name in ("subject_token", "subject_token_type", "actor_token", "actor_token_type"):
        if not form.get(name):
            raise InvalidRequestError(f"Missing '{name}' parameter.")
    for name in ("subject_token_type", "actor_token_type"):
        if form[name] != ACCESS_TOKEN_TYPE:
            raise InvalidRequestError(f"Unsupported '{name}': only access tokens are "
                                      "accepted.")
    requested = form.get("requested_token_type")
    if requested and requested != ACCESS_TOKEN_TYPE:
        raise InvalidRequestError("Unsupported 'requested_token_type': only access tokens "
                                  "are issued.")
    if form.get("resource"):
        raise InvalidTargetError("Name the service in 'audience'; 'resource' is not "
                                 "supported.")
    if not form.get("audience"):
        raise InvalidRequestError("Missing 'audience' parameter: the service to act in.")


def consented_work(client, centre, subject, now):
    """Check 4 for the subject token: the assisted work whose consent it carries."""
    if subject.client_id != client.client_id:
        raise InvalidGrantError("The subject_token was issued to another client.")
    delegation = subject.delegation or {}
    work = find_work(delegation.get("work")) if delegation.get("kind") == assisted.CONSENT \
        else None
    if work is None or work.citizen_sub != subject.subject:
        raise InvalidGrantError("The subject_token is not a citizen's consent to assisted "
                                "work.")
    if work.centre_id != centre.id:
        raise InvalidGrantError("The citizen consented to another centre.")
    if work.state != CONSENTED or now >= work.expires_at:
        raise InvalidGrantError(CONSENT_USED)
    return work
