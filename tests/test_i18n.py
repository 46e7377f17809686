"""Languages: the order of choice (ui_locales, the journey's ui_locales, the switch's cookie,
Accept-Language, English), the language switch, and complete, compiled catalogs."""

import gettext
import os
import re
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import idp

from .helpers import Browser
from .pages_support import assert_page
from .pages_support import new_rp
from .pages_support import switch_link
from .pages_support import to_chooser
from .pages_support import to_consent
from .pages_support import tx_of

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = Path(idp.__file__).parent / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def lang_of(page):
    return re.search(r'<html lang="([a-z]+)" dir="(rtl|ltr)">', page.text).groups()


@pytest.mark.parametrize("headers, cookie, ui_locales, expected", [
    ({}, None, None, ("en", "ltr")),
    ({"Accept-Language": "ar"}, None, None, ("ar", "rtl")),
    ({"Accept-Language": "ar-AE,ar;q=0.9,en;q=0.8"}, None, None, ("ar", "rtl")),
    ({"Accept-Language": "fr, en;q=0.5, ar;q=0.4"}, None, None, ("en", "ltr")),
    ({"Accept-Language": "fr"}, None, None, ("en", "ltr")),
    ({"Accept-Language": "ar"}, "en", None, ("en", "ltr")),
    ({"Accept-Language": "en"}, "ar", None, ("ar", "rtl")),
    ({"Accept-Language": "en"}, "xx", None, ("en", "ltr")),
    ({"Accept-Language": "en"}, "en", "ar", ("ar", "rtl")),
    ({"Accept-Language": "ar"}, "ar", "en-GB", ("en", "ltr")),
    ({"Accept-Language": "en"}, None, "fr-CA ar-SA en", ("ar", "rtl")),
    ({"Accept-Language": "ar"}, None, "fr de", ("ar", "rtl")),
])
def test_order_of_choice_on_the_authorization_page(issuer, client_factory, headers, cookie,
                                                    ui_locales, expected):
    browser = Browser(issuer)
    browser.http.headers.update(headers)
    if cookie:
        browser.http.cookies.set("lang", cookie)
    rp = new_rp(issuer, client_factory)
    page = to_chooser(browser, rp, ui_locales=ui_locales)
    assert lang_of(page) == expected


def test_ui_locales_carries_through_the_whole_journey(issuer, client_factory):
    browser = Browser(issuer)
    browser.http.headers["Accept-Language"] = "en"
    browser.http.cookies.set("lang", "en")
    rp = new_rp(issuer, client_factory)
    chooser = to_chooser(browser, rp, ui_locales="ar")
    assert_page(chooser, issuer, "ar")
    assert "<h1>تسجيل الدخول</h1>" in chooser.text
    consent = browser.login(chooser)
    assert "/consent" in consent.url
    assert_page(consent, issuer, "ar")
    # Pages outside the journey keep the person's own choice.
    assert lang_of(browser.get("/")) == ("en", "ltr")
    # Another journey in the same browser speaks its own language.
    other = browser.authorize(new_rp(issuer, client_factory).params(ui_locales="en-US"))
    assert "/consent" in other.url and tx_of(other) != tx_of(consent)
    assert lang_of(other) == ("en", "ltr")
    assert lang_of(browser.get(consent.url)) == ("ar", "rtl")


def test_language_switch_returns_to_the_same_page_keeping_the_transaction(issuer,
                                                                         client_factory):
    browser = Browser(issuer)
    rp = new_rp(issuer, client_factory)
    chooser = to_chooser(browser, rp)
    assert lang_of(chooser) == ("en", "ltr")
    response = browser.get(switch_link(chooser, "ar"))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/login?tx={tx_of(chooser)}"
    cookie = re.search(r"(?i)lang=ar; .*", response.headers["Set-Cookie"]).group(0)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    arabic = browser.follow(response)
    assert arabic.status_code == 200
    assert_page(arabic, issuer, "ar")
    # Back to English from the Arabic page; the journey goes on.
    english = browser.follow(browser.get(switch_link(arabic, "en")))
    assert lang_of(english) == ("en", "ltr")
    assert tx_of(english) == tx_of(chooser)
    consent = browser.login(english)
    assert lang_of(consent) == ("en", "ltr")


def test_the_switch_overrides_the_journeys_ui_locales(issuer, client_factory):
    browser = Browser(issuer)
    rp = new_rp(issuer, client_factory)
    consent = to_consent(browser, rp, ui_locales="ar")
    assert lang_of(consent) == ("ar", "rtl")
    english = browser.follow(browser.get(switch_link(consent, "en")))
    assert urlsplit(english.url).path == "/consent"
    assert tx_of(english) == tx_of(consent)
    assert lang_of(english) == ("en", "ltr")
    # A new authorization request asking for Arabic is honoured again.
    again = browser.authorize(new_rp(issuer, client_factory).params(ui_locales="ar"))
    assert "/consent" in again.url and tx_of(again) != tx_of(consent)
    assert lang_of(again) == ("ar", "rtl")


def test_switch_on_an_authorization_error_page_drops_ui_locales(issuer, browser):
    page = browser.get("/authorize", params={"client_id": "nope", "ui_locales": "ar"})
    assert page.status_code == 400 and lang_of(page) == ("ar", "rtl")
    response = browser.get(switch_link(page, "en"))
    assert response.status_code == 303
    assert response.headers["Location"] == "/authorize?client_id=nope"
    page = browser.follow(response)
    assert page.status_code == 400 and lang_of(page) == ("en", "ltr")


def test_switch_after_a_refused_form_returns_to_the_page_by_get(issuer, client_factory):
    browser = Browser(issuer)
    rp = new_rp(issuer, client_factory)
    consent = to_consent(browser, rp)
    refused = browser.post("/consent", {"tx": tx_of(consent), "decision": "allow"})
    assert refused.status_code == 400
    response = browser.get(switch_link(refused, "ar"))
    assert response.headers["Location"] == f"/consent?tx={tx_of(consent)}"
    page = browser.follow(response)
    assert page.status_code == 200 and lang_of(page) == ("ar", "rtl")


@pytest.mark.parametrize("next_value", [
    None, "", "/", "https://evil.example/", "//evil.example/", "/\\evil.example",
    "not-signed", "eyJhIjoiYiJ9.forged",
])
def test_switch_only_returns_where_it_was_sent(issuer, browser, next_value):
    params = {} if next_value is None else {"next": next_value}
    response = browser.get("/lang/ar", params=params)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert lang_of(browser.follow(response)) == ("ar", "rtl")


def test_switch_to_an_unsupported_language_changes_nothing(issuer, browser):
    home = browser.get("/")
    link = switch_link(home, "ar").replace("/lang/ar", "/lang/fr")
    response = browser.get(link)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert "Set-Cookie" not in response.headers or "lang=" not in response.headers["Set-Cookie"]
    assert lang_of(browser.follow(response)) == ("en", "ltr")


def test_switch_links_are_signed_not_echoed(issuer, browser, client_factory):
    rp = new_rp(issuer, client_factory)
    chooser = to_chooser(browser, rp)
    link = switch_link(chooser, "ar")
    (next_value,) = parse_qs(urlsplit(link).query)["next"]
    assert tx_of(chooser) not in link
    tampered = next_value[:-2] + ("AA" if not next_value.endswith("AA") else "BB")
    response = browser.get("/lang/ar", params={"next": tampered})
    assert response.headers["Location"] == "/"


# The catalogs.

def extracted_messages():
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, filename)
    return found


def arabic_catalog():
    with open(CATALOGS / "ar" / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale="ar")


def test_every_page_string_has_an_arabic_translation():
    catalog = arabic_catalog()
    messages = extracted_messages()
    assert len(messages) > 50
    missing = []
    for msgid, filename in messages.items():
        entry = catalog.get(msgid)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(f"{filename}: {msgid!r}")
    assert missing == [], "run `make translations` and translate:\n" + "\n".join(missing)


def test_translations_keep_their_placeholders_and_are_arabic():
    for entry in arabic_catalog():
        if not entry.id:
            continue
        assert re.findall(r"%\(\w+\)s", entry.string) == re.findall(r"%\(\w+\)s", entry.id), (
            entry.id)
        assert re.search("[\u0600-\u06ff]", entry.string), entry.id


def test_compiled_catalog_matches_the_po_file():
    with open(CATALOGS / "ar" / "LC_MESSAGES" / "messages.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for entry in arabic_catalog():
        if entry.id and not entry.fuzzy:
            assert compiled.gettext(entry.id) == entry.string, (
                f"messages.mo is stale: run `make translations` ({entry.id!r})")


def test_catalogs_are_found_inside_the_package(app):
    directories = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    assert [os.path.realpath(d) for d in directories] == [os.path.realpath(CATALOGS)]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"translations/**/*"' in pyproject
