"""SMS simulator: an SMPP server and an HTTPS-gateway style API sharing one outbox.

Run ``python -m connectors.sms.simulator --smpp-port 2775 --http-port 8025``, then
read messages at ``http://127.0.0.1:8025/`` (page) or ``/outbox?to=<msisdn>``
(JSON). Development and tests only; the credentials below are not secrets.
"""

import argparse
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

from connectors.simulation import Control
from connectors.simulation import FailureMode
from connectors.simulation import HttpServerThread
from connectors.simulation import wait_for_signal
from connectors.sms.outbox import Outbox
from connectors.sms.simulator_web import create_app
from connectors.sms.smpp_server import SmppServer

MODES = tuple(FailureMode)
DEV_SYSTEM_ID = "bawaba"
DEV_PASSWORD = "simulate"
DEV_API_KEY = "dev-sms-key"


@dataclass(frozen=True)
class SmsSimulatorConfig:
    host: str = "127.0.0.1"
    smpp_port: int = 2775
    http_port: int = 8025
    system_id: str = DEV_SYSTEM_ID
    password: str = DEV_PASSWORD
    api_key: str = DEV_API_KEY


class SmsSimulator:
    """Both servers; ``port=0`` picks free ports (read them back from the instance)."""

    def __init__(self, config: SmsSimulatorConfig = SmsSimulatorConfig(), *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.config = config
        self.outbox = Outbox()
        self.control = Control(MODES)
        self.smpp = SmppServer(outbox=self.outbox, control=self.control,
                               system_id=config.system_id, password=config.password,
                               host=config.host, port=config.smpp_port, clock=clock)
        app = create_app(self.outbox, self.control, api_key=config.api_key, clock=clock)
        self.http = HttpServerThread(app, config.host, config.http_port)

    @property
    def outbox_url(self) -> str:
        return self.http.url + "/"

    @property
    def api_url(self) -> str:
        return self.http.url + "/api/v1/messages"

    def settings(self, transport: str) -> dict:
        """``SMS_*`` settings that point a gateway at this simulator."""
        if transport == "smpp":
            return {"SMS_TRANSPORT": "smpp", "SMS_SMPP_HOST": self.config.host,
                    "SMS_SMPP_PORT": self.smpp.port, "SMS_SMPP_SYSTEM_ID": self.config.system_id,
                    "SMS_SMPP_PASSWORD": self.config.password}
        return {"SMS_TRANSPORT": "http", "SMS_HTTP_URL": self.api_url,
                "SMS_HTTP_API_KEY": self.config.api_key}

    def start(self) -> "SmsSimulator":
        self.smpp.start()
        self.http.start()
        return self

    def stop(self) -> None:
        self.control.stop()
        self.http.stop()
        self.smpp.stop()

    def describe(self) -> str:
        c = self.config
        return "\n".join((
            "SMS simulator",
            f"  Read SMS codes here:  {self.outbox_url}",
            f"  Outbox as JSON:       {self.http.url}/outbox?to=%2B968XXXXXXXX",
            f"  SMPP:                 {c.host}:{self.smpp.port} "
            f"(system_id {c.system_id!r}, password {c.password!r})",
            f"  HTTP gateway API:     {self.api_url} (X-API-Key: {c.api_key})",
            f"  Scripted failures:    POST {self.http.url}/control "
            '{"mode": "down|throttle|reject|slow|undeliverable|normal"}',
        ))


def parse_args(argv=None) -> SmsSimulatorConfig:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m connectors.sms.simulator",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=env("SMS_SIMULATOR_HOST", "127.0.0.1"))
    parser.add_argument("--smpp-port", type=int, default=int(env("SMS_SIMULATOR_SMPP_PORT",
                                                                 "2775")))
    parser.add_argument("--http-port", type=int, default=int(env("SMS_SIMULATOR_HTTP_PORT",
                                                                 "8025")))
    parser.add_argument("--system-id", default=env("SMS_SMPP_SYSTEM_ID", DEV_SYSTEM_ID))
    parser.add_argument("--password", default=env("SMS_SMPP_PASSWORD", DEV_PASSWORD))
    parser.add_argument("--api-key", default=env("SMS_HTTP_API_KEY", DEV_API_KEY))
    args = parser.parse_args(argv)
    return SmsSimulatorConfig(args.host, args.smpp_port, args.http_port, args.system_id,
                              args.password, args.api_key)


def main(argv=None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    simulator = SmsSimulator(parse_args(argv)).start()
    print(simulator.describe(), flush=True)
    try:
        wait_for_signal()
    finally:
        simulator.stop()


if __name__ == "__main__":
    main()
