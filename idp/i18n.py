"""Languages: Arabic (right to left) and English (Flask-Babel).

The page language is, in this order:
1. `ui_locales` of this request (OpenID Connect Core §3.1.2.1, space-separated BCP 47 tags
   in order of preference; the first supported one wins);
2. `ui_locales` of the authorization request whose login journey this page belongs to
   (the `tx` parameter), unless the person used the language switch during that journey;
3. the person's choice from the language switch (the `lang` cookie);
4. Accept-Language;
5. English.

The catalogs live in idp/translations (found relative to this package, so an installed
provider finds them too); `make translations` re-extracts, updates and compiles them."""

import os
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit

from flask import current_app
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from flask_babel import get_locale
from itsdangerous import BadSignature
from itsdangerous import URLSafeSerializer
from werkzeug.exceptions import HTTPException

from .oauth.transactions import get_transaction

RTL = {"ar"}
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 86400
SWITCHED = "lang_switched"  # the journeys (tx ids) in which the person switched language
KEEP_SWITCHED = 8
NAMES = {"ar": "العربية", "en": "English"}
TRANSLATIONS = os.path.join(os.path.dirname(__file__), "translations")


def supported():
    return current_app.config["IDP_LOCALES"]


def first_supported(ui_locales):
    """The first tag of a `ui_locales` value this provider speaks (`ar-AE` speaks `ar`)."""
    if not isinstance(ui_locales, str):
        return None
    for tag in ui_locales.split():
        lang = tag.replace("_", "-").split("-")[0].lower()
        if lang in supported():
            return lang
    return None


def journey_locale():
    """`ui_locales` of the authorization request behind this page, unless the person used
    the language switch during this journey."""
    tx_id = request.values.get("tx")
    tx = get_transaction(tx_id)
    if tx is None or tx_id in session.get(SWITCHED, ()):
        return None
    return first_supported(tx["params"].get("ui_locales"))


def select_locale():
    chosen = request.cookies.get(COOKIE)
    return (
        first_supported(request.values.get("ui_locales"))
        or journey_locale()
        or (chosen if chosen in supported() else None)
        or request.accept_languages.best_match(supported())
        or _default()
    )


def _default():
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    return default if default in supported() else supported()[0]


def safe_next(target):
    """A same-site path to return to, or '/'. Rejects absolute and scheme-relative URLs,
    including the backslash forms browsers treat as scheme-relative."""
    if not isinstance(target, str) or not target.startswith("/"):
        return "/"
    if target[1:2] in ("/", "\\") or any(ord(c) < 0x20 or c == "\x7f" for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def _serializer():
    return URLSafeSerializer(current_app.secret_key, salt="bawaba.language-switch")


def switch_url(code):
    """The language switch link for this page. The way back is signed rather than echoed,
    so the page never reflects its own query and the switch only returns where we sent it."""
    return url_for("switch_language", code=code,
                   next=_serializer().dumps(request.script_root + here()))


def return_path(token):
    try:
        return safe_next(_serializer().loads(token or ""))
    except BadSignature:
        return "/"


def here():
    """The address of this page for the language switch to return to: the same page with
    the same query (minus `ui_locales`, which would override the choice). A page rendered
    for a POST goes back to the same address by GET, keeping `tx`, when that exists."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "ui_locales"]
    if request.method not in ("GET", "HEAD"):
        tx = request.form.get("tx")
        args = [("tx", tx)] if tx else []
        if not _has_get_route(request.path):
            return "/"
    return request.path + ("?" + urlencode(args) if args else "")


def _has_get_route(path):
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except HTTPException:
        return False
    return True


def init_app(app, babel):
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", TRANSLATIONS)
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def language():
        lang = str(get_locale())
        return {
            "lang": lang,
            "direction": "rtl" if lang in RTL else "ltr",
            "other_langs": [(code, NAMES.get(code, code))
                            for code in app.config["IDP_LOCALES"] if code != lang],
            "switch_url": switch_url,
        }

    @app.get("/lang/<code>")
    def switch_language(code):
        """The language switch: remember the choice and return to the same page (303)."""
        target = return_path(request.args.get("next"))
        response = redirect(target, 303)
        if code in app.config["IDP_LOCALES"]:
            response.set_cookie(COOKIE, code, max_age=COOKIE_MAX_AGE, path="/",
                                samesite="Lax", secure=app.config["IDP_SECURE"],
                                httponly=True)
            tx_id = parse_qs(urlsplit(target).query).get("tx", [None])[0]
            if tx_id:
                switched = [t for t in session.get(SWITCHED, []) if t != tx_id]
                session[SWITCHED] = (switched + [tx_id])[-KEEP_SWITCHED:]
        return response
