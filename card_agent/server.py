"""The agent's HTTP interface, on 127.0.0.1 only.

For the provider's login page (JSON, CORS for the configured trusted origins only; any
other Origin gets 403 origin_not_trusted and no CORS headers):

    GET    /status                 readers, card, certificate summary, state
    POST   /authenticate           {"origin", "nonce"} → 202 {"id", "state", "pin_page"}
    GET    /authenticate/<id>      state; when done the Web eID token, when failed the error
    DELETE /authenticate/<id>      cancel

For the citizen (HTML, never with CORS, not frameable; the form carries a token only this
page knows, and a POST must come from the agent's own origin):

    GET/POST /pin/<id>             the PIN page

Requests whose Host is not the agent's own loopback address are refused (DNS rebinding).
Preflights answer Private Network Access (Access-Control-Allow-Private-Network) so an
https page may call the loopback agent."""

import json
import logging

from cryptography.x509.oid import NameOID
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map
from werkzeug.routing import Rule
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from . import __version__
from . import pin_page
from . import webeid
from .errors import AgentError
from .errors import BadRequestError
from .errors import NotFoundError
from .errors import OriginNotTrustedError

log = logging.getLogger(__name__)
LANGUAGES = ["en", "ar"]
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on the PIN
    # form, which the origin check must refuse.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    **pin_page.HEADERS,
}


class AgentApp:
    def __init__(self, config, authenticator, open_page=None):
        self.config, self.authenticator, self.open_page = config, authenticator, open_page
        self.port = config.port
        self.url_map = Map([
            Rule("/", endpoint="home", methods=["GET"]),
            Rule("/status", endpoint="status", methods=["GET", "OPTIONS"]),
            Rule("/authenticate", endpoint="start", methods=["POST", "OPTIONS"]),
            Rule("/authenticate/<item_id>", endpoint="poll",
                 methods=["GET", "DELETE", "OPTIONS"]),
            Rule("/pin/<item_id>", endpoint="pin", methods=["GET", "POST"]),
        ])

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def own_origins(self):
        return (self.base_url, f"http://localhost:{self.port}")

    def __call__(self, environ, start_response):
        request = Request(environ)
        request.max_content_length = 16 * 1024
        try:
            response = self.dispatch(request)
        except AgentError as error:
            response = self.api_error(request, error)
        except HTTPException as error:  # e.g. a body over the size limit
            response = json_response({"error": "bad_request", "error_description": error.name},
                                     error.code or 400)
        except Exception:  # the agent answers, whatever happened; the detail goes to the log
            log.exception("unexpected failure on %s %s", request.method, request.path)
            response = self.api_error(request, AgentError("unexpected failure"))
        response.headers.update(SECURITY_HEADERS)
        return response(environ, start_response)

    def dispatch(self, request):
        if request.host not in (f"127.0.0.1:{self.port}", f"localhost:{self.port}"):
            raise BadRequestError("unexpected Host")
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, arguments = adapter.match()
        except HTTPException as error:
            return json_response({"error": "not_found", "error_description": error.name},
                                 error.code)
        if endpoint == "pin":
            return self.pin(request, **arguments)
        if endpoint == "home":
            return Response(pin_page.page("en", "Bawaba card agent",
                                          f"<p>Bawaba card agent {__version__} is running.</p>"),
                            mimetype="text/html")
        origin = self.check_origin(request)
        if request.method == "OPTIONS":
            response = Response(status=204)
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Access-Control-Max-Age"] = "600"
            if request.headers.get("Access-Control-Request-Private-Network") == "true":
                response.headers["Access-Control-Allow-Private-Network"] = "true"
        else:
            response = getattr(self, endpoint)(request, origin, **arguments)
        return cors(response, origin)

    def check_origin(self, request):
        """The requesting page's origin: trusted, or absent (a local program)."""
        origin = request.headers.get("Origin")
        if origin is not None and origin not in self.config.trusted_origins:
            raise OriginNotTrustedError()
        return origin

    def api_error(self, request, error):
        response = json_response(error.to_dict(), error.status)
        origin = request.headers.get("Origin")
        if origin in self.config.trusted_origins and not request.path.startswith("/pin/"):
            cors(response, origin)
        return response

    # The page's API

    def status(self, request, origin):
        snapshot, card, state = self.authenticator.status()
        return json_response({
            "version": __version__,
            "mode": self.authenticator.watcher.mode,
            "service": snapshot.service,
            "readers": [{"name": r.name, "card_present": r.card_present}
                        for r in snapshot.readers],
            "card": summary(card, self.config.rsa_algorithm) if card else None,
            "state": state,
        })

    def start(self, request, origin):
        if origin is None:
            raise OriginNotTrustedError("the request names no origin")
        body = request.get_json(silent=True) if request.mimetype == "application/json" else None
        if not isinstance(body, dict):
            raise BadRequestError("expected a JSON object")
        challenge = webeid.check_challenge(body.get("origin"), body.get("nonce"))
        if challenge.origin != origin:
            raise OriginNotTrustedError("a page may only ask for its own origin")
        item = self.authenticator.start(challenge)
        pin_url = f"{self.base_url}/pin/{item.id}"
        if self.open_page:
            self.open_page(pin_url)
        return json_response({"id": item.id, "state": item.state, "pin_page": pin_url,
                              "certificate": summary(item.card, self.config.rsa_algorithm)},
                             202)

    def poll(self, request, origin, item_id):
        item = self.authenticator.get(item_id)
        if origin is not None and origin != item.challenge.origin:
            raise NotFoundError()
        if request.method == "DELETE":
            item = self.authenticator.cancel(item_id)
        return json_response(describe(item))

    # The citizen's page

    def pin(self, request, item_id):
        lang = request.accept_languages.best_match(LANGUAGES, default="en")
        try:
            if request.method == "GET":
                return html(pin_page.render(self.authenticator.get(item_id), lang))
            origin = request.headers.get("Origin")
            if origin is not None and origin not in self.own_origins:
                return html(pin_page.page(lang, "403", "<p>Forbidden.</p>"), 403)
            form = request.form
            if form.get("action") == "cancel":
                item = self.authenticator.cancel(item_id, form.get("form_token", ""))
                return html(pin_page.render(item, lang))
            try:
                item = self.authenticator.submit_pin(item_id, form.get("form_token", ""),
                                                     form.get("pin"))
            except BadRequestError:
                return html(pin_page.render(self.authenticator.get(item_id), lang, "empty"),
                            400)
            return html(pin_page.render(item, lang))
        except NotFoundError:
            return html(pin_page.page(lang, "404", "<p>Not found.</p>"), 404)


def describe(item):
    body = {"id": item.id, "state": item.state, "origin": item.challenge.origin}
    if item.state == "done":
        body["token"] = item.token
    elif item.state == "failed":
        body.update(item.error.to_dict())
    return body


def summary(card, rsa_algorithm):
    certificate = card.certificate

    def subject(oid):
        values = certificate.subject.get_attributes_for_oid(oid)
        return str(values[0].value) if values else None

    issuer = certificate.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    return {
        "reader": card.reader,
        "common_name": subject(NameOID.COMMON_NAME),
        "national_id": subject(NameOID.SERIAL_NUMBER),
        "given_name": subject(NameOID.GIVEN_NAME),
        "family_name": subject(NameOID.SURNAME),
        "country": subject(NameOID.COUNTRY_NAME),
        "issuer": str(issuer[0].value) if issuer else certificate.issuer.rfc4514_string(),
        "serial_number": format(certificate.serial_number, "x"),
        "not_before": certificate.not_valid_before_utc.isoformat(),
        "not_after": certificate.not_valid_after_utc.isoformat(),
        "algorithm": webeid.algorithm_for(certificate.public_key(), rsa_algorithm),
    }


def cors(response, origin):
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
    response.vary.add("Origin")
    return response


def json_response(body, status=200):
    return Response(json.dumps(body), status, mimetype="application/json")


def html(body, status=200):
    return Response(body, status, mimetype="text/html")
