"""Login with the national ID card (level 2; amr sc, hwk, pin, mfa), offered when
IDP_LOGIN_METHODS names "card".

The page asks the provider for a challenge, hands it to the card agent on the citizen's
computer (its API is in docs/card-agent.md; the page's calls are in
static/card-agent.js), where the citizen enters the PIN, and posts the Web eID token the
agent returns (idp/pki/challenge.py validates it). The nonce is kept in the browser's
login transaction (the signed session cookie) and its digest in the database, so the token
can only complete the transaction that asked for it, once.

    GET  /login/card?tx=…         the page
    POST /login/card/challenge    JSON {"tx"} → {"nonce", "origin", "expires_in"}
    POST /login/card/token        form: tx, token (the token's JSON)
    POST /login/card/report       JSON {"tx", "error", "tries_left"}: a failure the agent
                                  reported to the page, for the audit trail
    POST /login/card/tls          form: tx; the certificate of the TLS client
                                  authentication a trusted proxy forwards in
                                  IDP_CLIENT_CERT_HEADER (docs/card-login.md)

The POSTs need the CSRF token (a form field, or the X-CSRFToken header for JSON). The page
may connect to the agent's origin (IDP_CARD_AGENT_URL) and nowhere else but here."""

import ipaddress
import json
from urllib.parse import unquote
from urllib.parse import urlsplit

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import jsonify
from flask import request
from flask_babel import lazy_gettext as _l

from .. import audit
from ..authn import registry
from ..authn.assurance import LEVEL_2
from ..authn.registry import Authenticator
from ..extensions import db
from ..models.cards import CardChallengeStore
from ..models.types import utcnow
from ..oauth.transactions import require_transaction
from ..oauth.transactions import update_transaction
from ..pki import challenge as webeid
from ..pki.errors import PkiError
from ..pki.validation import load_certificate
from ..web.pki import validator
from .card_outcome import CardLoginError
from .card_outcome import accept
from .card_outcome import card_page
from .card_outcome import refuse

bp = Blueprint("card_login", __name__)
METHOD = "card"
TLS_METHOD = "card-tls"
NONCE_KEY = "card_nonce"
DEFAULTS = {
    # The card agent's loopback origin; the card page may fetch from it (CSP connect-src).
    "IDP_CARD_AGENT_URL": "http://127.0.0.1:24727",
    # TLS client certificates: the header in which a TLS-terminating proxy forwards the
    # URL-encoded PEM (nginx $ssl_client_escaped_cert), e.g. "X-Client-Cert"; None: off.
    "IDP_CLIENT_CERT_HEADER": None,
    # Addresses or networks of the proxies allowed to send that header.
    "IDP_TRUSTED_PROXIES": [],
}
AGENT_CODES = ("agent_not_running", "no_reader", "no_card", "card_removed", "wrong_pin",
               "pin_blocked", "user_cancelled", "timeout", "busy", "origin_not_trusted",
               "card_error", "bad_request", "not_found")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def init_app(app):
    cfg = app.config
    for key, value in DEFAULTS.items():
        cfg.setdefault(key, value)
    proxies = cfg["IDP_TRUSTED_PROXIES"]
    if isinstance(proxies, str):  # from the environment: a JSON list, or comma-separated
        cfg["IDP_TRUSTED_PROXIES"] = (json.loads(proxies) if proxies.lstrip().startswith("[")
                                      else proxies.replace(",", " ").split())
    cfg["IDP_CARD_AGENT_ORIGIN"] = agent_origin(cfg["IDP_CARD_AGENT_URL"])
    try:
        trusted_networks(cfg)
    except ValueError as error:
        raise RuntimeError(f"IDP_TRUSTED_PROXIES: {error}") from None
    app.register_blueprint(bp)
    if METHOD in cfg["IDP_LOGIN_METHODS"]:
        offer(app)


def offer(app):
    registry.register(app, Authenticator(METHOD, _l("ID card"), LEVEL_2, "card_login.start"))


def agent_origin(url):
    """The agent's origin from IDP_CARD_AGENT_URL: http(s) on a loopback host."""
    parts = urlsplit(url or "")
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK or (
            parts.path not in ("", "/")) or parts.query or parts.fragment or port is None:
        raise RuntimeError("IDP_CARD_AGENT_URL must be http://127.0.0.1:PORT (the card "
                           "agent's loopback address)")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port}"


def provider_origin():
    """The origin (RFC 6454) of the issuer's pages: what the card signs for."""
    parts = urlsplit(current_app.config["IDP_ISSUER"])
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None and parts.port != {"https": 443, "http": 80}.get(parts.scheme):
        netloc += f":{parts.port}"
    return f"{parts.scheme}://{netloc}"


@bp.before_request
def only_when_offered():
    if registry.find(METHOD) is None:
        abort(404)


@bp.get("/login/card")
def start():
    tx_id = request.args.get("tx")
    require_transaction(tx_id)
    return card_page(tx_id)


@bp.post("/login/card/challenge")
def challenge():
    tx_id = _json_body().get("tx")
    require_transaction(tx_id)
    issued = webeid.issue_challenge(CardChallengeStore(), tx_id, provider_origin(), utcnow())
    update_transaction(tx_id, **{NONCE_KEY: issued.nonce})
    response = jsonify(nonce=issued.nonce, origin=issued.origin,
                       expires_in=int(webeid.NONCE_LIFETIME.total_seconds()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/login/card/token")
def token():
    tx_id = request.form.get("tx")
    tx = require_transaction(tx_id)
    raw = request.form.get("token")
    nonce = tx.get(NONCE_KEY)
    update_transaction(tx_id, **{NONCE_KEY: None})
    now = utcnow()
    try:
        issued = webeid.take_challenge(CardChallengeStore(), nonce, tx_id, provider_origin(),
                                       now)
        result = webeid.validate_token(raw, issued, validator(METHOD), now)
        return accept(tx_id, result.certificate, METHOD, now, result.algorithm)
    except (PkiError, CardLoginError) as error:
        return refuse(tx_id, error.code, METHOD, _token_certificate(raw), str(error))


@bp.post("/login/card/report")
def report():
    body = _json_body()
    tx_id = body.get("tx")
    require_transaction(tx_id)
    code = body.get("error")
    tries = body.get("tries_left")
    audit.record("login", "failure", method=METHOD,
                 reason=f"agent_{code}" if code in AGENT_CODES else "agent_other",
                 tries_left=tries if isinstance(tries, int) and 0 <= tries < 100 else None,
                 reported_by="page")
    db.session.commit()
    return "", 204


@bp.post("/login/card/tls")
def tls():
    cfg = current_app.config
    header = cfg["IDP_CLIENT_CERT_HEADER"]
    if not header:
        abort(404)
    tx_id = request.form.get("tx")
    require_transaction(tx_id)
    if not _from_trusted_proxy():
        return refuse(tx_id, "untrusted_proxy", TLS_METHOD,
                      detail=f"{header} from {_peer_address()}")
    now = utcnow()
    certificate = None
    try:
        value = unquote(request.headers.get(header, "")).strip()
        if not value:
            raise CardLoginError("client_certificate_missing")
        certificate = load_certificate(value.encode())
        validated = validator(METHOD).validate(certificate, now)
        return accept(tx_id, validated, TLS_METHOD, now)
    except (PkiError, CardLoginError) as error:
        return refuse(tx_id, error.code, TLS_METHOD, certificate, str(error))


def trusted_networks(cfg):
    return [ipaddress.ip_network(p, strict=False) for p in cfg["IDP_TRUSTED_PROXIES"]]


def _from_trusted_proxy():
    try:
        peer = ipaddress.ip_address(_peer_address())
    except ValueError:
        return False
    return any(peer in network for network in trusted_networks(current_app.config))


def _peer_address():
    """The address that connected to us, also behind ProxyFix (IDP_PROXY_HOPS)."""
    original = request.environ.get("werkzeug.proxy_fix.orig", {})
    return original.get("REMOTE_ADDR") or request.environ.get("REMOTE_ADDR") or ""


def _json_body():
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        abort(400)
    return body


def _token_certificate(raw):
    """The certificate a token carries, when it can be read at all (for the audit row)."""
    try:
        value = json.loads(raw).get("unverifiedCertificate")
        return load_certificate(webeid.decode_base64(value, "unverifiedCertificate"))
    except (TypeError, ValueError, AttributeError, RecursionError, PkiError):
        return None
