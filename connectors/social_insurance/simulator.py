"""Social insurance simulator: the fund's income lookup API over HTTP, seeded from
insured.json (the people of the civil registry simulator).

Run ``python -m connectors.social_insurance.simulator --port 8060``; it prints the insured
incomes. ``POST /v1/income/lookup`` needs ``X-API-Key`` and ``{"national_id"}``; a
national ID without a record gets 404 ``not_found``. ``POST /control`` scripts ``down``
(503), ``throttle`` (429) and ``slow``. Development and tests only."""

import argparse
import hmac
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask import request

from connectors.simulation import ApiSimulator
from connectors.simulation import Control
from connectors.simulation import FailureMode
from connectors.simulation import control_app
from connectors.simulation import json_error
from connectors.simulation import wait_for_signal

from .directory import INSURED_FILE
from .directory import InsuredDirectory
from .directory import income_table
from .http_client import LOOKUP_PATH
from .insurance import NATIONAL_ID

MODES = (FailureMode.NORMAL, FailureMode.DOWN, FailureMode.THROTTLE, FailureMode.SLOW)
DEV_API_KEY = "dev-social-insurance-key"
DEFAULT_PORT = 8060


def create_app(directory: InsuredDirectory, control: Control, *, api_key: str) -> Flask:
    app = control_app(__name__, control)

    @app.post(LOOKUP_PATH)
    def lookup():
        if not hmac.compare_digest(request.headers.get("X-API-Key", "").encode(),
                                   api_key.encode()):
            return json_error(401, "unauthorized", "missing or wrong API key")
        body = request.get_json(silent=True)
        national_id = body.get("national_id") if isinstance(body, dict) else None
        if not isinstance(national_id, str) or not NATIONAL_ID.fullmatch(national_id):
            return json_error(400, "invalid_request", "national_id of 6 to 12 digits required")
        action = control.take()
        if action.mode is FailureMode.DOWN:
            return json_error(503, "unavailable", "social insurance down (simulated)")
        if action.mode is FailureMode.THROTTLE:
            response = json_error(429, "throttled", "too many lookups (simulated)")
            response.headers["Retry-After"] = "1"
            return response
        if action.mode is FailureMode.SLOW and not control.pause(action):
            return json_error(503, "unavailable",
                              "social insurance reset while stalling (simulated)")
        record = directory.find(national_id)
        if record is None:
            return json_error(404, "not_found", "no insured person with this national ID")
        return {"income": record}

    return app


@dataclass(frozen=True)
class SocialInsuranceSimulatorConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    api_key: str = DEV_API_KEY
    data: Path = INSURED_FILE


class SocialInsuranceSimulator(ApiSimulator):
    """The fund's API on a real HTTP server (``port=0`` picks a free port)."""

    settings_prefix = "SOCIAL_INSURANCE"

    def __init__(self, config: SocialInsuranceSimulatorConfig = SocialInsuranceSimulatorConfig()):
        super().__init__(config, InsuredDirectory.load(config.data), create_app, MODES)

    def describe(self) -> str:
        return "\n".join((
            "Social insurance simulator",
            f"  Income lookup API:    POST {self.url}{LOOKUP_PATH} "
            f"(X-API-Key: {self.config.api_key})",
            f"  Scripted failures:    POST {self.url}/control "
            '{"mode": "down|throttle|slow|normal"}',
            "  Insured incomes (any other national ID: 404 not_found):",
            "",
            income_table(self.directory),
        ))


def parse_args(argv=None) -> SocialInsuranceSimulatorConfig:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m connectors.social_insurance.simulator",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=env("SOCIAL_INSURANCE_SIMULATOR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int,
                        default=int(env("SOCIAL_INSURANCE_SIMULATOR_PORT", str(DEFAULT_PORT))))
    parser.add_argument("--api-key", default=env("SOCIAL_INSURANCE_API_KEY", DEV_API_KEY))
    parser.add_argument("--data", type=Path, default=Path(env("SOCIAL_INSURANCE_DATA",
                                                                str(INSURED_FILE))))
    args = parser.parse_args(argv)
    return SocialInsuranceSimulatorConfig(args.host, args.port, args.api_key, args.data)


def main(argv=None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    simulator = SocialInsuranceSimulator(parse_args(argv)).start()
    print(f"Social insurance simulator listening on {simulator.url}", flush=True)
    print(simulator.describe(), flush=True)
    try:
        wait_for_signal()
    finally:
        simulator.stop()


if __name__ == "__main__":
    main()
