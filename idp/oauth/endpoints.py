"""HTTP routes of the protocol: authorization, token, userinfo, introspection,
revocation, JWKS and discovery."""

from authlib.oauth2.rfc6749 import InvalidRequestError
from flask import Blueprint
from flask import jsonify
from flask import request

from ..extensions import csrf
from . import discovery
from .authorize import AuthorizationRequestError
from .authorize import authorize
from .keys import key_ring
from .parameters import reject_repeated
from .server import authorization_server
from .transactions import get_transaction
from .userinfo import userinfo_response

bp = Blueprint("oauth", __name__)


def init_app(app):
    app.register_blueprint(bp)
    for view in (authorization, token, introspect, revoke, userinfo):
        csrf.exempt(view)


@bp.route("/authorize", methods=["GET", "POST"])
def authorization():
    values = request.values
    try:
        # RFC 6749 §3.1: which of two redirect_uris would we trust? A page, never a redirect.
        reject_repeated(values)
    except InvalidRequestError as error:
        raise AuthorizationRequestError(error) from None
    return authorize(values.to_dict())


@bp.get("/authorize/resume")
def resume():
    tx_id = request.args.get("tx")
    tx = get_transaction(tx_id)
    if tx is None:
        raise AuthorizationRequestError(
            InvalidRequestError("This sign-in has expired. Return to the service and start again.")
        )
    return authorize(tx["params"], tx_id)


@bp.post("/token")
def token():
    return authorization_server().create_token_response()


@bp.post("/introspect")
def introspect():
    return authorization_server().create_endpoint_response("introspection")


@bp.post("/revoke")
def revoke():
    return authorization_server().create_endpoint_response("revocation")


@bp.route("/userinfo", methods=["GET", "POST"])
def userinfo():
    return userinfo_response()


# Published documents: cacheable for five minutes; metadata readable by any origin.
JWKS_HEADERS = {"Cache-Control": "public, max-age=300"}
METADATA_HEADERS = {**JWKS_HEADERS, "Access-Control-Allow-Origin": "*"}


@bp.get("/jwks")
def jwks():
    response = jsonify(key_ring().jwks())
    response.headers.update(JWKS_HEADERS)
    return response


@bp.get("/.well-known/openid-configuration")
def openid_configuration():
    return _metadata(discovery.openid_configuration())


@bp.get("/.well-known/oauth-authorization-server")
def oauth_authorization_server():
    return _metadata(discovery.authorization_server_metadata())


def _metadata(document):
    response = jsonify(document)
    response.headers.update(METADATA_HEADERS)
    return response
