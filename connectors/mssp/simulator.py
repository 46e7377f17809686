"""MSSP simulator: an operator's Mobile Signature Service as a real HTTP(S) server.

Run ``python -m connectors.mssp.simulator --port 8040`` (after ``certs/dev-sims.sh``).
It speaks the wire format of ``wire.py`` at ``POST /rest/service``; each simulated SIM
is a SoftHSM2 token (``sim_token.py``) of the manifest (``dev_sims.json``), answered on
the handset pages (``/handset``) or by a script per MSISDN (``handset.py``). Also:

- ``POST /control``: misbehaviour of the whole MSSP (``misbehaviour.py``);
- ``GET|POST /control/<msisdn>``: the phone's state, its script;
- ``GET /control/<msisdn>/csr`` and ``PUT /control/<msisdn>/certificate``
  (``{"chain": [PEM, ...]}``, leaf first): personalisation by tests.

With ``--tls-cert``/``--tls-key`` it serves HTTPS, and with ``--client-ca`` it requires
a client certificate (mutual TLS). Development and tests only; the control API has no
authentication, so bind it to the loopback interface.
"""

import argparse
import json
import logging
import os
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from flask import Flask
from flask import Response
from flask import request
from werkzeug.serving import make_server

from connectors.mssp import wire
from connectors.mssp.handset import Handsets
from connectors.mssp.handset import ScriptError
from connectors.mssp.handset_web import handset_blueprint
from connectors.mssp.misbehaviour import ControlError
from connectors.mssp.misbehaviour import Mode
from connectors.mssp.misbehaviour import MsspControl
from connectors.mssp.misbehaviour import spoil
from connectors.mssp.service import Service
from connectors.mssp.sim_token import SimTokenError
from connectors.mssp.sim_token import SimTokens
from connectors.mssp.sims import DEV_SIMS
from connectors.mssp.sims import load_manifest
from connectors.mssp.sims import prepare
from connectors.mssp.sims import sim_table
from connectors.simulation import QuietRequestHandler
from connectors.simulation import json_error
from connectors.simulation import wait_for_signal

DEV_AP_ID = "bawaba-dev"
DEV_AP_PASSWORD = "dev-mssp-password"
DEV_MSSP_ID = "http://mssp.dev.bawaba.test"
DEV_SIGNATURE_PROFILE = "urn:bawaba:mssp:profile:authentication"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MsspSimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 8040
    directory: Path = Path("instance/mssp")
    manifest: Path = DEV_SIMS
    ap_id: str = DEV_AP_ID
    ap_password: str = DEV_AP_PASSWORD
    mssp_id: str = DEV_MSSP_ID
    signature_profile: str = DEV_SIGNATURE_PROFILE
    tls_cert: str | None = None
    tls_key: str | None = None
    client_ca: str | None = None
    module: str | None = None


def create_app(service: Service, control: MsspControl) -> Flask:
    handsets, tokens = service.handsets, service.handsets.tokens
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.json.sort_keys = False
    app.register_blueprint(handset_blueprint(handsets))

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.post(wire.SERVICE_PATH)
    def mss_service():
        action = control.take()
        if action.mode is Mode.DOWN:
            return Response(status=503)
        if action.mode is Mode.SLOW and not control.pause(action):
            return Response(status=503)
        status, answer = service.handle(request.get_json(force=True, silent=True))
        if action.mode is Mode.MALFORMED:
            status, content_type, raw = spoil(action.variant, status, answer)
            return Response(raw, status, content_type=content_type)
        if action.mode is Mode.FORGED:
            answer = forge(service, action.variant, answer)
        return Response(json.dumps(answer), status, content_type="application/json")

    @app.get("/control")
    def control_show():
        return control.snapshot()

    @app.post("/control")
    def control_set():
        try:
            return control.configure(request.get_json(silent=True))
        except ControlError as exc:
            return json_error(400, "invalid_request", str(exc))

    def phone_or_404(msisdn):
        phone = handsets.phones.get(msisdn)
        if phone is None:
            return None, json_error(404, "not_found", "no such SIM")
        return phone, None

    @app.get("/control/<msisdn>")
    def phone_show(msisdn):
        phone, error = phone_or_404(msisdn)
        return error or handsets.phone_state(msisdn)

    @app.post("/control/<msisdn>")
    def phone_script(msisdn):
        phone, error = phone_or_404(msisdn)
        if error:
            return error
        try:
            return handsets.configure(msisdn, request.get_json(silent=True))
        except ScriptError as exc:
            return json_error(400, "invalid_request", str(exc))

    @app.get("/control/<msisdn>/csr")
    def phone_csr(msisdn):
        phone, error = phone_or_404(msisdn)
        if error:
            return error
        try:
            csr = tokens.certificate_request(msisdn, phone.sim.pin)
        except SimTokenError as exc:
            return json_error(409, "no_key", str(exc))
        return Response(csr, content_type="application/pkcs10")

    @app.put("/control/<msisdn>/certificate")
    def phone_certificate(msisdn):
        phone, error = phone_or_404(msisdn)
        if error:
            return error
        body = request.get_json(silent=True)
        try:
            chain = [x509.load_pem_x509_certificate(pem.encode()) for pem in body["chain"]]
            if not chain:
                raise ValueError("empty chain")
            tokens.install(msisdn, phone.sim.pin, chain)
        except (TypeError, KeyError, ValueError, AttributeError):
            return json_error(400, "invalid_request", '{"chain": [PEM, ...]} expected')
        except SimTokenError as exc:
            return json_error(409, "wrong_key", str(exc))
        return {"msisdn": msisdn, "installed": len(chain)}

    return app


def forge(service: Service, variant: str, answer: dict) -> dict:
    """A signed status answer made untrustworthy (see ``misbehaviour.py``)."""
    message = answer.get("MSS_StatusResp", {})
    if "MSS_Signature" not in message:
        return answer
    handsets = service.handsets
    tx = handsets.status(message["MSSP_TransID"])
    if variant == "other_data":
        pin = handsets.phones[tx.msisdn].sim.pin
        signature = handsets.tokens.sign(tx.msisdn, pin, b"forged:" + tx.data)
        message["MSS_Signature"] = {"Base64Signature": wire.b64encode(signature)}
    else:
        for msisdn in handsets.phones:
            chain = handsets.tokens.chain(msisdn) if msisdn != tx.msisdn else []
            if chain:
                message["ServiceResponses"][0]["X509Certificate"] = [
                    wire.b64encode(c.public_bytes(Encoding.DER)) for c in chain]
                break
    return answer


class MsspSimulator:
    """The simulator on a real server (``port=0`` picks a free port)."""

    def __init__(self, config: MsspSimulatorConfig = MsspSimulatorConfig()):
        self.config = config
        self.sims = load_manifest(config.manifest)
        self.tokens = SimTokens(config.directory, config.module)
        prepare(self.tokens, self.sims)
        self.handsets = Handsets(self.tokens, self.sims)
        self.control = MsspControl()
        service = Service(self.handsets, config.ap_id, config.ap_password, config.mssp_id,
                          (config.signature_profile,))
        self.server = make_server(config.host, config.port, create_app(service, self.control),
                                  threaded=True, request_handler=QuietRequestHandler,
                                  ssl_context=self._tls())
        self.port = self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                        name=f"mssp-{self.port}")

    def _tls(self) -> ssl.SSLContext | None:
        c = self.config
        if not c.tls_cert:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(c.tls_cert, c.tls_key)
        if c.client_ca:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(c.client_ca)
        return context

    @property
    def url(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        scheme = "https" if self.config.tls_cert else "http"
        return f"{scheme}://{host}:{self.port}"

    def settings(self, operator: str = "dev") -> dict:
        """``MSSP_*`` settings that point a provider at this simulator."""
        prefix = f"MSSP_{operator.upper()}_"
        return {"MSSP_OPERATORS": operator, prefix + "URL": self.url,
                prefix + "AP_ID": self.config.ap_id,
                prefix + "AP_PASSWORD": self.config.ap_password,
                prefix + "MSSP_ID": self.config.mssp_id,
                prefix + "SIGNATURE_PROFILE": self.config.signature_profile}

    def start(self) -> "MsspSimulator":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.control.stop()
        self.handsets.stop()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()

    def describe(self) -> str:
        c = self.config
        return "\n".join((
            f"MSSP simulator listening on {self.url}",
            f"  Service (TS 102 204, JSON):  POST {self.url}{wire.SERVICE_PATH}",
            f"  AP_ID / AP_PWD:              {c.ap_id} / {c.ap_password}",
            f"  Signature profile:           {c.signature_profile}",
            f"  Handset pages (answer here): {self.url}/handset",
            f"  Scripts:                     POST {self.url}/control/<msisdn> "
            '{"behaviour": "confirm_after", "delay": 0.2}',
            f"  SIM tokens:                  {self.tokens.directory}",
            "",
            sim_table(self.sims),
        ))


def parse_args(argv=None) -> MsspSimulatorConfig:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m connectors.mssp.simulator",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=env("MSSP_SIMULATOR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env("MSSP_SIMULATOR_PORT", "8040")))
    parser.add_argument("--dir", type=Path, default=Path(env("MSSP_SIMULATOR_DIR",
                                                               "instance/mssp")))
    parser.add_argument("--manifest", type=Path, default=DEV_SIMS)
    parser.add_argument("--ap-id", default=DEV_AP_ID)
    parser.add_argument("--ap-password", default=env("MSSP_SIMULATOR_AP_PASSWORD",
                                                     DEV_AP_PASSWORD))
    parser.add_argument("--mssp-id", default=DEV_MSSP_ID)
    parser.add_argument("--signature-profile", default=DEV_SIGNATURE_PROFILE)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--client-ca", help="require client certificates from this CA")
    parser.add_argument("--module", help="PKCS#11 module (default: SoftHSM2)")
    a = parser.parse_args(argv)
    if a.client_ca and not a.tls_cert:
        parser.error("--client-ca needs --tls-cert")
    return MsspSimulatorConfig(a.host, a.port, a.dir, a.manifest, a.ap_id, a.ap_password,
                               a.mssp_id, a.signature_profile, a.tls_cert, a.tls_key,
                               a.client_ca, a.module)


def main(argv=None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    simulator = MsspSimulator(parse_args(argv)).start()
    print(simulator.describe(), flush=True)
    try:
        wait_for_signal()
    finally:
        simulator.stop()


if __name__ == "__main__":
    main()
