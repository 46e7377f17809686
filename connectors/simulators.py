"""Starts the SMS and civil registry simulators together (development, one-command start).

``python -m connectors.simulators`` runs both in this process and prints where to
read SMS codes and the table of test identities. Other code (the one-command
start, test fixtures) uses :func:`start_simulators` and the ``settings()`` of the
returned object, which point the connectors at the running simulators.
"""

import argparse
import logging
import os
from dataclasses import dataclass

from connectors.civil_registry.simulator import RegistrySimulator
from connectors.civil_registry.simulator import RegistrySimulatorConfig
from connectors.simulation import wait_for_signal
from connectors.sms.simulator import SmsSimulator
from connectors.sms.simulator import SmsSimulatorConfig


@dataclass
class Simulators:
    sms: SmsSimulator
    registry: RegistrySimulator

    def settings(self, sms_transport: str = "smpp") -> dict:
        """``SMS_*`` and ``CIVIL_REGISTRY_*`` settings for a provider using these simulators."""
        return {**self.sms.settings(sms_transport), **self.registry.settings()}

    def describe(self) -> str:
        return f"{self.sms.describe()}\n\n{self.registry.describe()}"

    def stop(self) -> None:
        self.sms.stop()
        self.registry.stop()


def start_simulators(*, host: str = "127.0.0.1", smpp_port: int = 2775, sms_http_port: int = 8025,
                     registry_port: int = 8030) -> Simulators:
    """Start both simulators (``0`` for any port picks a free one)."""
    sms = SmsSimulator(SmsSimulatorConfig(host=host, smpp_port=smpp_port,
                                          http_port=sms_http_port)).start()
    try:
        registry = RegistrySimulator(RegistrySimulatorConfig(host=host,
                                                             port=registry_port)).start()
    except BaseException:
        sms.stop()
        raise
    return Simulators(sms, registry)


def main(argv=None) -> None:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m connectors.simulators",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=env("SIMULATORS_HOST", "127.0.0.1"))
    parser.add_argument("--smpp-port", type=int, default=int(env("SMS_SIMULATOR_SMPP_PORT",
                                                                 "2775")))
    parser.add_argument("--sms-http-port", type=int,
                        default=int(env("SMS_SIMULATOR_HTTP_PORT", "8025")))
    parser.add_argument("--registry-port", type=int,
                        default=int(env("CIVIL_REGISTRY_SIMULATOR_PORT", "8030")))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    simulators = start_simulators(host=args.host, smpp_port=args.smpp_port,
                                  sms_http_port=args.sms_http_port,
                                  registry_port=args.registry_port)
    print(simulators.describe(), flush=True)
    try:
        wait_for_signal()
    finally:
        simulators.stop()


if __name__ == "__main__":
    main()
