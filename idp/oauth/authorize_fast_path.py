"""The authorization endpoint's single sign-on answer given in front of Flask
(fast_paths.py): a person already logged in comes back through another e-service, which
asks for a code with the usual parameters, and is sent straight back with one.

An ordinary request here is a GET with nothing but response_type=code, client_id,
redirect_uri, scope, code_challenge, code_challenge_method=S256 and perhaps state, nonce
and login_hint, each once and none empty, from a browser holding a session cookie, for a client
whose registration this worker keeps. The checks are the full stack's (authorize.py),
from the same functions and in its order: the client and its redirect URI
(check_client's), the response type with Authlib's checks and PKCE, the request
(check_request), nothing asked about whom the person acts for; the session live and
needing no write at this request (no last-seen update due, no level lapsing), no login
reason (login_reason), consent remembered for the scopes (needs_consent); then the
endpoint's rate limit. The code and its redirect come from the same functions (new_code,
code_location); its row, the session's client and the audit event are written on the bare
connection and committed at once.

Everything else goes to the full stack: an error (a page or an error redirect), a login,
consent or acting page, a transaction being resumed, and any request out of the
ordinary."""

from urllib.parse import parse_qsl

from authlib.oauth2 import OAuth2Error
from flask import redirect
from werkzeug.http import parse_cookie

from .. import audit
from ..authn.levels import held_acr
from ..models.fast_path_rows import CODES
from ..models.fast_path_rows import SESSION_CLIENTS
from ..models.sessions import LoginSession
from ..models.types import digest
from ..models.types import utcnow
from ..sessions import touch_due
from . import representation
from .authorize import CONTROL_CHARACTERS
from .authorize import check_request
from .authorize import code_location
from .authorize import login_reason
from .authorize import needs_consent
from .authorize import new_code
from .fast_paths import REQUEST_ID
from .fast_paths import FastPath
from .server import authorization_server
from .server import remember_request_client

REQUIRED = frozenset({"response_type", "client_id", "redirect_uri", "scope", "code_challenge",
                      "code_challenge_method"})
# A login_hint only prefills login pages (login/chooser.py): a live session ignores it.
OPTIONAL = frozenset({"state", "nonce", "login_hint"})
MAX_QUERY = 4096
MAX_COOKIE = 128  # as models/sessions.find_session_by_cookie


class AuthorizeFastPath(FastPath):
    def takes(self, environ):
        """(the request's parameters, the session cookie)."""
        if environ.get("PATH_INFO") != "/authorize" or environ.get("REQUEST_METHOD") != "GET":
            return None
        query = environ.get("QUERY_STRING", "")
        if not query or len(query) > MAX_QUERY:
            return None
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True,
                              errors="strict")
        except ValueError:
            return None
        params = dict(pairs)
        if len(params) != len(pairs) or not all(params.values()):
            return None  # a parameter twice, or an empty one
        if not REQUIRED <= params.keys() <= REQUIRED | OPTIONAL:
            return None
        if params["response_type"] != "code" or params["code_challenge_method"] != "S256":
            return None
        if any(CONTROL_CHARACTERS.search(value) for value in params.values()):
            return None
        cookie = parse_cookie(environ.get("HTTP_COOKIE", "")).get(
            self.flask_app.config["IDP_SSO_COOKIE"])
        if not cookie or len(cookie) > MAX_COOKIE:
            return None
        return params, cookie

    def answer(self, request, environ):
        params, cookie = request
        now = utcnow()
        rows = self.rows
        with self.connection() as connection:
            cursor = connection.cursor()
            client = self.current_client(cursor, params["client_id"])
            if not client or not client.check_redirect_uri(params["redirect_uri"]):
                return None
            remember_request_client(client)  # Authlib's checks ask for it again
            try:
                authorization_server().get_consent_grant(params)
                checked = check_request(client, params)
                representation.check(checked, params)
            except OAuth2Error:
                return None
            if checked["representation"] is not None:
                return None
            session = self._session(cursor, cookie, now)
            if session is None or login_reason(checked, session, False, now) is not None:
                return None

            def remembered(subject, client_id):
                return rows.one(rows.consented_scopes, cursor, subject, client_id)

            if needs_consent(checked, session, None, find=remembered):
                return None
            if not self.admitted("oauth.authorization", None, environ):
                return None
            checked["delegation"] = None
            code, columns = new_code(checked, session, params, now)
            rows.add(cursor, CODES.name, columns)
            if rows.session_client.one(cursor, session.sid, client.client_id) is None:
                rows.add(cursor, SESSION_CLIENTS.name, {"sid": session.sid,
                                                        "client_id": client.client_id})
            rows.add_audit_event(cursor, audit.event_row(
                "authorize", "success", session.subject, client.client_id, now,
                environ.get("REMOTE_ADDR"), environ[REQUEST_ID], {}))
            connection.commit()
        response = redirect(code_location(checked, params, code), 302)
        headers = [("Content-Type", response.content_type),
                   ("Location", response.headers["Location"]), ("Cache-Control", "no-store")]
        return response.status, headers, response.get_data()

    def _session(self, cursor, cookie, now):
        """The browser's live session when using it writes nothing (sessions.py), or None."""
        row = self.rows.session_by_cookie.one(cursor, digest(cookie))
        if row is None:
            return None
        session = LoginSession(**row)  # never added to a database session
        if not session.is_live(now, self.flask_app.config["IDP_SESSION_IDLE_TTL"]):
            return None
        if touch_due(session, now) or held_acr(session.acr, session.auth_time, now) != session.acr:
            return None
        return session
