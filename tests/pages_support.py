"""Support for the page tests: what every page must look like, the journey to each kind of
page, and a second provider served on its own port."""

import contextlib
import re
import threading
from html.parser import HTMLParser
from urllib.parse import parse_qs
from urllib.parse import urljoin
from urllib.parse import urlsplit

from werkzeug.serving import make_server

from idp import create_app
from idp.extensions import db

from .helpers import RelyingParty

ARABIC = re.compile("[\u0600-\u06ff]")
SHARED_SETTINGS = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "PKCS11_MODULE",
                   "PKCS11_TOKEN_LABEL", "PKCS11_TOKEN_PIN", "SOFTHSM2_CONF")


class PageParser(HTMLParser):
    """The facts about a page the tests check: the root element, resources, scripts and
    styles, inputs and their labels, links."""

    def __init__(self):
        super().__init__()
        self.root = None
        self.resources = []  # (tag, url) of everything the page loads
        self.inline = []  # inline scripts, styles and event handlers
        self.inputs = []
        self.labels = set()
        self.links = []
        self.ids = set()
        self.landmarks = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.root is None and tag == "html":
            self.root = attrs
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag in ("header", "main", "footer", "nav"):
            self.landmarks.add(tag)
        if tag in ("script", "style"):
            self.inline.append(tag)
        self.inline += [name for name in attrs if name == "style" or name.startswith("on")]
        for name in ("src", "srcset", "poster", "data"):
            if attrs.get(name):
                self.resources.append((tag, attrs[name]))
        if tag == "link" and attrs.get("href"):
            self.resources.append((tag, attrs["href"]))
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs)
        if tag == "input":
            self.inputs.append(attrs)
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])


def parse(page):
    parser = PageParser()
    parser.feed(page.text)
    return parser


def assert_page(page, issuer, lang="en"):
    """An accessible page of ours, in `lang`, that loads nothing from elsewhere and runs
    nothing inline, with the page headers."""
    assert page.headers["Content-Type"].startswith("text/html"), page.headers
    assert_page_headers(page)
    html = parse(page)
    assert html.root == {"lang": lang, "dir": "rtl" if lang == "ar" else "ltr"}, html.root
    assert {"header", "main", "footer", "nav"} <= html.landmarks
    skip = html.links[0]
    assert skip["href"] == "#main" and "main" in html.ids, skip
    assert html.inline == [], html.inline
    for tag, url in html.resources:
        assert urljoin(page.url, url).startswith(issuer + "/"), (tag, url)
    for field in html.inputs:
        if field.get("type") not in ("hidden", "submit"):
            assert field.get("id") in html.labels, field
    assert "Traceback" not in page.text
    assert bool(ARABIC.search(page.text.split("<main", 1)[1])) == (lang == "ar")
    return html


def assert_page_headers(response):
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in headers  # an http issuer
    if headers.get("Content-Type", "").startswith("text/html"):
        assert headers["Cache-Control"] == "no-store"


def tx_of(page):
    return parse_qs(urlsplit(page.url).query)["tx"][0]


def switch_link(page, code):
    """The language switch link to `code` on a page."""
    links = [a for a in parse(page).links if a.get("hreflang") == code]
    assert len(links) == 1, links
    assert links[0]["lang"] == code
    return links[0]["href"]


def to_chooser(browser, rp, **params):
    page = browser.authorize(rp.params(**params))
    assert page.status_code == 200 and urlsplit(page.url).path == "/login", page.url
    return page


def to_consent(browser, rp, **params):
    page = browser.login(to_chooser(browser, rp, **params))
    assert page.status_code == 200 and urlsplit(page.url).path == "/consent", page.url
    return page


def new_rp(issuer, client_factory, **options):
    return RelyingParty(issuer, client_factory(**options))


@contextlib.contextmanager
def sibling_provider(app, setup=None, **overrides):
    """A second provider from create_app with the same database and token as `app` and
    some settings changed, served on its own port; yields its issuer URL."""
    config = {"TESTING": True, "IDP_ENV": "test", "IDP_KEY_CACHE_SECONDS": 0,
              "IDP_ENABLE_TEST_LOGIN": True}
    config.update({k: app.config[k] for k in SHARED_SETTINGS if app.config.get(k)})
    config.update(overrides)
    other = create_app(config)
    if setup is not None:
        setup(other)
    server = make_server("127.0.0.1", 0, other, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
