"""Languages: Arabic (right to left) and English. The choice comes from `ui_locales`,
then the language cookie, then Accept-Language."""

from flask import current_app
from flask import request
from flask_babel import get_locale

RTL = {"ar"}
COOKIE = "lang"


def select_locale():
    supported = current_app.config["IDP_LOCALES"]
    for tag in (request.values.get("ui_locales") or "").split():
        lang = tag.split("-")[0].lower()
        if lang in supported:
            return lang
    chosen = request.cookies.get(COOKIE)
    if chosen in supported:
        return chosen
    return request.accept_languages.best_match(supported) or supported[0]


def init_app(app, babel):
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def language():
        lang = str(get_locale())
        return {"lang": lang, "direction": "rtl" if lang in RTL else "ltr",
                "other_langs": [x for x in app.config["IDP_LOCALES"] if x != lang]}

    @app.get("/lang/<code>")
    def switch_language(code):
        from flask import redirect

        target = request.args.get("next", "/")
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        response = redirect(target, 303)
        if code in app.config["IDP_LOCALES"]:
            response.set_cookie(COOKIE, code, max_age=365 * 86400, samesite="Lax",
                                secure=app.config["IDP_SECURE"], httponly=True)
        return response

