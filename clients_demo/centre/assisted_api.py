"""The calls the console makes for one piece of assisted work (docs/service-centres.md):
the provider's assisted-work API with the operator's access token (Bearer, RFC 6750), the
token exchange (RFC 8693 §2.1) and the target service's API with the acting token.

Bawaba's discovery document does not name the assisted-work endpoint; it is the
issuer's `/assisted-work` unless the metadata states an `assisted_work_endpoint`."""

import requests
from flask import current_app

from ..rp.provider import ProviderError
from ..rp.provider import ProviderUnavailableError
from ..rp.provider import provider

ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
PATH = "/assisted-work"


class RefusedError(Exception):
    """The provider or the service answered with an OAuth error (`code`, `status`)."""

    def __init__(self, status, code, description=""):
        super().__init__(f"{status} {code}: {description}")
        self.status, self.code, self.description = status, code, description or ""


class UnsupportedTokenTypeError(RefusedError):
    """A token type other than an access token: the only type Bawaba issues and takes."""

    def __init__(self, found):
        super().__init__(400, "unsupported_token_type", f"token type {found!r}")


def endpoint():
    metadata = provider().metadata()
    return metadata.get("assisted_work_endpoint") or provider().issuer + PATH


def start(token, national_id, service):
    return _call("POST", "", token, {"national_id": national_id, "service": service})


def show(token, ref):
    return _call("GET", f"/{ref}", token)


def consent(token, ref, code):
    """The subject token of the citizen's consent (an access token, else refused)."""
    answer = _call("POST", f"/{ref}/consent", token, {"code": code})
    require_access_token(answer.get("subject_token_type"))
    return answer


def complete(token, ref):
    return _call("POST", f"/{ref}/complete", token)


def exchange(subject_token, actor_token, audience):
    """The acting token for `audience`: consent as subject, operator as actor."""
    try:
        issued = provider().exchange_token(
            subject_token=subject_token, subject_token_type=ACCESS_TOKEN_TYPE,
            actor_token=actor_token, actor_token_type=ACCESS_TOKEN_TYPE,
            requested_token_type=ACCESS_TOKEN_TYPE, audience=audience)
    except ProviderError as error:
        raise RefusedError(400, error.code, error.description) from None
    require_access_token(issued.get("issued_token_type"))
    if not issued.get("access_token"):
        raise ProviderUnavailableError("the token exchange issued no access token")
    return issued


def require_access_token(token_type):
    if token_type != ACCESS_TOKEN_TYPE:
        raise UnsupportedTokenTypeError(token_type)


def submit(url, acting_token, body):
    """POST the request to the service's API; its JSON answer (RefusedError otherwise)."""
    return _request("POST", url, acting_token, body, "the service")


def _call(method, path, token, body=None):
    return _request(method, endpoint() + path, token, body, "Bawaba")


def _request(method, url, token, body, who):
    try:
        response = requests.request(method, url, json=body,
                                    headers={"Authorization": f"Bearer {token}"},
                                    timeout=current_app.config["DEMO_HTTP_TIMEOUT"])
    except requests.RequestException as error:
        raise ProviderUnavailableError(f"{who}: {type(error).__name__}") from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise ProviderUnavailableError(f"{who}: HTTP {response.status_code}, not JSON")
    if response.status_code >= 400:
        raise RefusedError(response.status_code, str(answer.get("error") or "invalid_request"),
                           str(answer.get("error_description") or ""))
    return answer
