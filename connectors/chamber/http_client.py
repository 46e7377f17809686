"""The chamber of commerce's HTTP API client.

With ``X-API-Key`` on every call:

- ``GET {base}/v1/keys``: the JWK Set the chamber certifies letters with (cached for
  ``keys_cache`` seconds; read again once when a letter names an unknown key);
- ``GET {base}/v1/establishments/{cr}``: 200 ``{"establishment": {...}}`` or 404;
- ``POST {base}/v1/establishments/{cr}/owners/check`` ``{"national_id"}``:
  200 ``{"owner": true|false}`` (POST keeps national IDs out of URLs and logs);
- ``GET {base}/v1/letters/{number}``: 200 ``{"letter": {"number", "status", "digest"}}``
  or 404.

Reads only, so transport failures and 5xx are retried (``JsonHttpClient``); 401/403 become
``CredentialsRejectedError``, 429 ``ThrottledError``, other 4xx ``RejectedError``."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import quote

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from connectors.errors import ConfigurationError
from connectors.errors import RejectedError
from connectors.errors import UnavailableError
from connectors.json_http import JsonHttpClient

from .chamber import CONNECTOR
from .chamber import CertifiedLetter
from .chamber import Chamber
from .chamber import Establishment
from .chamber import LetterStatus
from .chamber import normalise_cr_number
from .chamber import parse_establishment
from .errors import LetterMismatchError
from .errors import LetterNotOnRecordError
from .errors import LetterUnknownKeyError
from .errors import LetterWithdrawnError
from .letters import read_letter


@dataclass(frozen=True)
class ChamberSettings:
    base_url: str
    api_key: str
    timeout: float = 5.0
    retries: int = 2
    backoff: float = 0.3
    keys_cache: float = 300.0
    verify: bool | str = True

    def __post_init__(self):
        if not self.base_url.startswith(("https://", "http://")):
            raise ConfigurationError("chamber URL must be http(s)", connector=CONNECTOR)
        if not self.api_key:
            raise ConfigurationError("chamber API key is required", connector=CONNECTOR)


class HttpChamber(Chamber):
    """:class:`Chamber` over the chamber's JSON API."""

    def __init__(self, settings: ChamberSettings, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] | None = None):
        self.settings = settings
        self.clock = clock
        extra = {} if sleep is None else {"sleep": sleep}
        self._http = JsonHttpClient(
            connector=CONNECTOR, timeout=settings.timeout, retries=settings.retries,
            backoff=settings.backoff, verify=settings.verify,
            headers={"X-API-Key": settings.api_key, "Accept": "application/json"}, **extra)
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    def _url(self, path):
        return self.settings.base_url.rstrip("/") + path

    def _get(self, path, json=None):
        response = self._http.request("POST" if json is not None else "GET", self._url(path),
                                      json=json)
        response.raise_for_common()
        return response

    def establishment(self, cr_number: str) -> Establishment | None:
        cr_number = normalise_cr_number(cr_number)
        response = self._get(f"/v1/establishments/{cr_number}")
        if response.status == HTTPStatus.NOT_FOUND:
            return None
        self._expect_ok(response, "establishment lookup")
        establishment = parse_establishment(response.json_object().get("establishment"))
        if establishment.cr_number != cr_number:
            raise UnavailableError("chamber answered another establishment",
                                   connector=CONNECTOR, code="mismatch")
        return establishment

    def is_owner(self, cr_number: str, national_id: str) -> bool:
        cr_number = normalise_cr_number(cr_number)
        if not isinstance(national_id, str) or not national_id:
            return False
        response = self._get(f"/v1/establishments/{cr_number}/owners/check",
                             json={"national_id": national_id})
        if response.status == HTTPStatus.NOT_FOUND:
            return False
        self._expect_ok(response, "owner check")
        owner = response.json_object().get("owner")
        if not isinstance(owner, bool):
            raise UnavailableError("owner check answer malformed", connector=CONNECTOR,
                                   code="malformed")
        return owner

    def verify_letter(self, document: str) -> CertifiedLetter:
        try:
            letter = read_letter(document, self._key_set())
        except LetterUnknownKeyError:
            letter = read_letter(document, self._key_set(refresh=True))  # keys rotated?
        response = self._get(f"/v1/letters/{quote(letter.number, safe='')}")
        if response.status == HTTPStatus.NOT_FOUND:
            raise LetterNotOnRecordError("the chamber has no such letter")
        self._expect_ok(response, "letter lookup")
        record = response.json_object().get("letter")
        if not isinstance(record, dict) or record.get("number") != letter.number:
            raise UnavailableError("letter answer malformed", connector=CONNECTOR,
                                   code="malformed")
        try:
            status = LetterStatus(record.get("status"))
        except ValueError:
            raise UnavailableError("letter status unknown", connector=CONNECTOR,
                                   code="malformed") from None
        if status is LetterStatus.WITHDRAWN:
            raise LetterWithdrawnError("the chamber withdrew the letter")
        if record.get("digest") != letter.digest:
            raise LetterMismatchError("the chamber's record is another document")
        return letter

    def _key_set(self, refresh=False) -> KeySet:
        with self._lock:
            fresh = self._keys is not None and (
                self.clock() - self._keys_at < self.settings.keys_cache)
            if fresh and not refresh:
                return self._keys
        response = self._get("/v1/keys")
        self._expect_ok(response, "keys")
        try:
            keys = KeySet.import_key_set(response.json_object())
        except (JoseError, ValueError, TypeError, KeyError):
            raise UnavailableError("chamber keys malformed", connector=CONNECTOR,
                                   code="malformed") from None
        with self._lock:
            self._keys, self._keys_at = keys, self.clock()
        return keys

    @staticmethod
    def _expect_ok(response, what):
        if response.status != HTTPStatus.OK:
            code = response.error_code()
            raise RejectedError(f"chamber refused the {what} ({code})", connector=CONNECTOR,
                                code=code)

    def close(self) -> None:
        self._http.close()
