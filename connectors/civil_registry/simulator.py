"""Civil registry simulator: the registry's lookup API over HTTP, seeded from citizens.json.

Run ``python -m connectors.civil_registry.simulator --port 8030``; it prints the
test identities. ``POST /v1/persons/lookup`` needs ``X-API-Key`` and both the
national ID and the date of birth: a wrong date of birth gets exactly the answer
an unknown ID gets (404 ``not_found``). ``POST /control`` scripts ``down`` (503),
``throttle`` (429) and ``slow``. Development and tests only.
"""

import argparse
import hmac
import logging
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import Flask
from flask import request

from connectors.civil_registry.directory import CITIZENS_FILE
from connectors.civil_registry.directory import CitizenDirectory
from connectors.civil_registry.directory import identity_table
from connectors.civil_registry.http_client import LOOKUP_PATH
from connectors.simulation import ApiSimulator
from connectors.simulation import Control
from connectors.simulation import FailureMode
from connectors.simulation import control_app
from connectors.simulation import json_error
from connectors.simulation import wait_for_signal

MODES = (FailureMode.NORMAL, FailureMode.DOWN, FailureMode.THROTTLE, FailureMode.SLOW)
DEV_API_KEY = "dev-registry-key"


def create_app(directory: CitizenDirectory, control: Control, *, api_key: str) -> Flask:
    app = control_app(__name__, control)

    @app.post(LOOKUP_PATH)
    def lookup():
        if not hmac.compare_digest(request.headers.get("X-API-Key", "").encode(),
                                   api_key.encode()):
            return json_error(401, "unauthorized", "missing or wrong API key")
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("national_id"), str):
            return json_error(400, "invalid_request", "national_id and date_of_birth required")
        try:
            date_of_birth = date.fromisoformat(body.get("date_of_birth"))
        except (TypeError, ValueError):
            return json_error(400, "invalid_request", "date_of_birth must be YYYY-MM-DD")
        action = control.take()
        if action.mode is FailureMode.DOWN:
            return json_error(503, "unavailable", "registry down (simulated)")
        if action.mode is FailureMode.THROTTLE:
            response = json_error(429, "throttled", "too many lookups (simulated)")
            response.headers["Retry-After"] = "1"
            return response
        if action.mode is FailureMode.SLOW and not control.pause(action):
            return json_error(503, "unavailable", "registry reset while stalling (simulated)")
        record = directory.find(body["national_id"], date_of_birth)
        if record is None:
            return json_error(404, "not_found", "no record matches")
        return {"person": record}

    return app


@dataclass(frozen=True)
class RegistrySimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 8030
    api_key: str = DEV_API_KEY
    data: Path = CITIZENS_FILE


class RegistrySimulator(ApiSimulator):
    """The registry API on a real HTTP server (``port=0`` picks a free port)."""

    settings_prefix = "CIVIL_REGISTRY"

    def __init__(self, config: RegistrySimulatorConfig = RegistrySimulatorConfig()):
        super().__init__(config, CitizenDirectory.load(config.data), create_app, MODES)

    def describe(self) -> str:
        return "\n".join((
            "Civil registry simulator",
            f"  Lookup API:           POST {self.url}{LOOKUP_PATH} "
            f"(X-API-Key: {self.config.api_key})",
            f"  Scripted failures:    POST {self.url}/control "
            '{"mode": "down|throttle|slow|normal"}',
            "  Test identities (sign up with national ID + date of birth):",
            "",
            identity_table(self.directory),
        ))


def parse_args(argv=None) -> RegistrySimulatorConfig:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m connectors.civil_registry.simulator",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=env("CIVIL_REGISTRY_SIMULATOR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int,
                        default=int(env("CIVIL_REGISTRY_SIMULATOR_PORT", "8030")))
    parser.add_argument("--api-key", default=env("CIVIL_REGISTRY_API_KEY", DEV_API_KEY))
    parser.add_argument("--data", type=Path, default=Path(env("CIVIL_REGISTRY_DATA",
                                                                str(CITIZENS_FILE))))
    args = parser.parse_args(argv)
    return RegistrySimulatorConfig(args.host, args.port, args.api_key, args.data)


def main(argv=None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    simulator = RegistrySimulator(parse_args(argv)).start()
    print(simulator.describe(), flush=True)
    try:
        wait_for_signal()
    finally:
        simulator.stop()


if __name__ == "__main__":
    main()
