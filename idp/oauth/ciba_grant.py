"""The CIBA grant at the token endpoint (OpenID CIBA Core 1.0 §10.1, §11):
`grant_type=urn:openid:params:grant-type:ciba` with `auth_req_id`, for poll and ping
clients.

Checks, in order: client authentication (invalid_client); the client is registered for
the grant (unauthorized_client); `auth_req_id` present (invalid_request), issued to this
client and not used yet (invalid_grant). Then the request's state: `expired_token` past
its expiry; `authorization_pending` while the phone has not answered, or `slow_down` (and
5 s more on the interval, RFC 8628 §3.5) when the client asks again sooner than the
interval; `access_denied` when it failed; tokens once, when the person confirmed: an
access token and an ID token at level 2 (no refresh token, no session)."""

from authlib.oauth2.rfc6749 import AccessDeniedError
from authlib.oauth2.rfc6749 import InvalidGrantError
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749 import UnauthorizedClientError
from authlib.oauth2.rfc6749.grants import BaseGrant
from authlib.oauth2.rfc6749.grants import TokenEndpointMixin
from authlib.oauth2.rfc8628 import AuthorizationPendingError
from authlib.oauth2.rfc8628 import ExpiredTokenError
from authlib.oauth2.rfc8628 import SlowDownError

from .. import audit
from ..extensions import db
from ..models.accounts import find_account
from ..models.clients import CIBA_GRANT
from ..models.mobile_id import AUTHORIZED
from ..models.mobile_id import DENIED
from ..models.mobile_id import ISSUED
from ..models.mobile_id import PENDING
from ..models.mobile_id import find_ciba_request
from ..models.mobile_id import finish_ciba_request
from ..models.mobile_id import get_ciba_request
from ..models.mobile_id import get_mobile_request
from ..models.types import utcnow
from . import ciba_delivery
from .grants import CLIENT_AUTH_METHODS
from .id_token import issue_id_token
from .tokens import GrantContext
from .tokens import issue_tokens

SLOW_DOWN_STEP = 5  # seconds added to the interval at each slow_down

# Why a request was denied, as the client reads it.
DENIALS = {
    "user_cancelled": "The person declined the request on the phone.",
    "cancelled": "The request was cancelled.",
    "expired": "The person did not confirm in time.",
}
DENIED_OTHERWISE = "The person could not be authenticated with Mobile ID."


class CibaGrant(BaseGrant, TokenEndpointMixin):
    GRANT_TYPE = CIBA_GRANT
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def validate_token_request(self):
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError("The client is not registered for CIBA.")
        auth_req_id = self.request.form.get("auth_req_id")
        if not auth_req_id:
            raise InvalidRequestError("Missing 'auth_req_id' parameter.")
        row = find_ciba_request(auth_req_id)
        if row is None or row.client_id != client.client_id:
            raise InvalidGrantError("Unknown auth_req_id.")
        self.request.client = client
        self.request.ciba = ready(row, utcnow())

    def create_token_response(self):
        now = utcnow()
        row = self.request.ciba
        if not finish_ciba_request(row.id, ISSUED, from_state=AUTHORIZED, issued_at=now):
            db.session.rollback()
            raise InvalidGrantError("The auth_req_id was already used.")
        account = find_account(row.subject)
        if account is None or account.locked_at is not None:
            db.session.commit()
            raise InvalidGrantError("The account can no longer be used.")
        ctx = GrantContext(subject=row.subject, scope=row.scope, acr=row.acr,
                           amr=list(row.amr or []), auth_time=row.auth_time)
        token = issue_tokens(self.client, ctx, False, now)
        token["id_token"] = issue_id_token(self.client, ctx, token["access_token"], None, now)
        audit.record("token_issued", subject=row.subject, client_id=self.client.client_id,
                     now=now, grant_type="ciba", evidence=row.evidence_ref)
        db.session.commit()
        return 200, token, self.TOKEN_RESPONSE_HEADER


def ready(row, now):
    """The authorized request, or the error that tells the client where it stands."""
    if row.state == ISSUED:
        raise InvalidGrantError("The auth_req_id was already used.")
    if row.state == PENDING:
        mobile = get_mobile_request(row.mobile_id_request_id)
        if now >= row.expires_at:
            ciba_delivery.expire(row, mobile, now)
        elif ciba_delivery.lease_is_stale(mobile, now):
            ciba_delivery.settle(row, mobile, now)  # the following thread is gone
        row = get_ciba_request(row.id)
    if row.state == PENDING:
        too_soon = row.last_polled_at is not None and (
            now - row.last_polled_at).total_seconds() < row.interval
        row.last_polled_at = now
        if too_soon:
            row.interval += SLOW_DOWN_STEP
        db.session.commit()
        if too_soon:
            raise SlowDownError(f"Poll at most every {row.interval} seconds.")
        raise AuthorizationPendingError("The person has not confirmed yet.")
    if row.state == DENIED:
        raise AccessDeniedError(DENIALS.get(row.reason, DENIED_OTHERWISE))
    if row.state != AUTHORIZED or now >= row.expires_at:
        raise ExpiredTokenError("The auth_req_id has expired.")
    return row
