"""Chamber of commerce simulator: the chamber's API over HTTP, seeded from
``establishments.json``, certifying letters with a key of its own.

Run ``python -m connectors.chamber.simulator --port 8050``; it prints the establishments,
their owners and the letters it certified. Besides the API the provider uses
(``http_client.py``) it offers what the chamber's counter does: ``POST /v1/letters``
certifies a new letter (``{"cr_number", "owner_national_id", "agent_national_id",
"permissions", "valid_from", "valid_until"}``, 201 ``{"letter_number", "document"}``),
``GET /v1/letters/<number>/document`` hands out a letter's document, and
``POST /v1/letters/<number>/withdraw`` withdraws it. ``POST /control`` scripts ``down``
(503), ``throttle`` (429) and ``slow``. Development and tests only."""

import argparse
import hmac
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask import request
from joserfc.jwk import ECKey

from connectors.simulation import ApiSimulator
from connectors.simulation import Control
from connectors.simulation import FailureMode
from connectors.simulation import control_app
from connectors.simulation import json_error
from connectors.simulation import wait_for_signal

from .chamber import CR_NUMBER
from .directory import ESTABLISHMENTS_FILE
from .directory import CertificationError
from .directory import ChamberDirectory

MODES = (FailureMode.NORMAL, FailureMode.DOWN, FailureMode.THROTTLE, FailureMode.SLOW)
DEV_API_KEY = "dev-chamber-key"
LETTER_FIELDS = ("letter_number", "cr_number", "owner_national_id", "agent_national_id",
                 "permissions", "valid_from", "valid_until", "establishment_name")


def create_app(directory: ChamberDirectory, control: Control, *, api_key: str) -> Flask:
    app = control_app(__name__, control)

    @app.before_request
    def gate():
        if not request.path.startswith("/v1/"):
            return None
        if not hmac.compare_digest(request.headers.get("X-API-Key", "").encode(),
                                   api_key.encode()):
            return json_error(401, "unauthorized", "missing or wrong API key")
        action = control.take()
        if action.mode is FailureMode.DOWN:
            return json_error(503, "unavailable", "chamber down (simulated)")
        if action.mode is FailureMode.THROTTLE:
            response = json_error(429, "throttled", "too many requests (simulated)")
            response.headers["Retry-After"] = "1"
            return response
        if action.mode is FailureMode.SLOW and not control.pause(action):
            return json_error(503, "unavailable", "chamber reset while stalling (simulated)")
        return None

    @app.get("/v1/keys")
    def keys():
        return directory.public_keys()

    @app.get("/v1/establishments/<cr_number>")
    def establishment(cr_number):
        if not CR_NUMBER.fullmatch(cr_number):
            return json_error(400, "invalid_request", "CR number must be 7 to 10 digits")
        record = directory.establishment(cr_number)
        if record is None:
            return json_error(404, "not_found", "no establishment with this CR number")
        return {"establishment": record}

    @app.post("/v1/establishments/<cr_number>/owners/check")
    def owner_check(cr_number):
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("national_id"), str):
            return json_error(400, "invalid_request", "national_id required")
        if directory.establishment(cr_number) is None:
            return json_error(404, "not_found", "no establishment with this CR number")
        return {"owner": directory.is_owner(cr_number, body["national_id"])}

    @app.get("/v1/letters/<number>")
    def letter(number):
        record = directory.letter(number)
        if record is None:
            return json_error(404, "not_found", "no letter with this number")
        return {"letter": {k: record[k] for k in ("number", "status", "digest")}}

    @app.get("/v1/letters/<number>/document")
    def letter_document(number):
        record = directory.letter(number)
        if record is None:
            return json_error(404, "not_found", "no letter with this number")
        return {"letter_number": number, "document": record["document"]}

    @app.post("/v1/letters")
    def certify():
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return json_error(400, "invalid_request", "a JSON object is required")
        try:
            letter = directory.certify({k: body[k] for k in LETTER_FIELDS if k in body})
        except CertificationError as exc:
            return json_error(400, "invalid_request", str(exc))
        return {"letter_number": letter["number"], "document": letter["document"]}, 201

    @app.post("/v1/letters/<number>/withdraw")
    def withdraw(number):
        record = directory.withdraw(number)
        if record is None:
            return json_error(404, "not_found", "no letter with this number")
        return {"letter": {k: record[k] for k in ("number", "status", "digest")}}

    return app


@dataclass(frozen=True)
class ChamberSimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 8050
    api_key: str = DEV_API_KEY
    data: Path = ESTABLISHMENTS_FILE
    key_file: Path | None = None  # a private JWK kept across restarts (made if missing)


class ChamberSimulator(ApiSimulator):
    """The chamber API on a real HTTP server (``port=0`` picks a free port)."""

    settings_prefix = "CHAMBER"

    def __init__(self, config: ChamberSimulatorConfig = ChamberSimulatorConfig()):
        directory = ChamberDirectory.load(config.data, key=_key(config.key_file))
        super().__init__(config, directory, create_app, MODES)

    def describe(self) -> str:
        lines = ["Chamber of commerce simulator",
                 f"  API:                  {self.url}/v1/... (X-API-Key: {self.config.api_key})",
                 f"  Certify a letter:     POST {self.url}/v1/letters",
                 f"  Scripted failures:    POST {self.url}/control "
                 '{"mode": "down|throttle|slow|normal"}',
                 "  Establishments (CR number, status, owners):"]
        for e in self.directory.establishments.values():
            lines.append(f"    {e['cr_number']}  {e['status']:<10}  "
                         f"{', '.join(e['owners']):<10}  {e['name']}")
        lines.append("  Certified letters (download: GET /v1/letters/<number>/document):")
        for letter in self.directory.letters.values():
            lines.append(f"    {letter['number']}  {letter['status']}")
        return "\n".join(lines)


def _key(path):
    if path is None:
        return None
    if path.exists():
        return ECKey.import_key(json.loads(path.read_text()))
    key = ECKey.generate_key("P-256", parameters={"kid": "chamber-dev"}, private=True)
    path.write_text(json.dumps(key.as_dict(private=True)))
    path.chmod(0o600)
    return key


def parse_args(argv=None) -> ChamberSimulatorConfig:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m connectors.chamber.simulator",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=env("CHAMBER_SIMULATOR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env("CHAMBER_SIMULATOR_PORT", "8050")))
    parser.add_argument("--api-key", default=env("CHAMBER_API_KEY", DEV_API_KEY))
    parser.add_argument("--data", type=Path,
                        default=Path(env("CHAMBER_DATA", str(ESTABLISHMENTS_FILE))))
    parser.add_argument("--key-file", type=Path, default=None,
                        help="keep the letter-signing key in this file across restarts")
    args = parser.parse_args(argv)
    return ChamberSimulatorConfig(args.host, args.port, args.api_key, args.data, args.key_file)


def main(argv=None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    simulator = ChamberSimulator(parse_args(argv)).start()
    print(simulator.describe(), flush=True)
    try:
        wait_for_signal()
    finally:
        simulator.stop()


if __name__ == "__main__":
    main()
