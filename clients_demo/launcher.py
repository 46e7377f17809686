"""Starts the demo apps together: registers each as a client of the provider (through
`idp clients`, idempotently), serves the four apps, the payment simulator and a landing
page listing them, each on its own port, until Ctrl-C (or SIGTERM) stops everything.
Without --social-insurance-url it also starts the social insurance simulator (port 8060,
or a free one with base port 0) for the manpower app's income facts.

    python -m clients_demo.launcher --issuer http://127.0.0.1:5000

Ports: landing page BASE, labour BASE+1, manpower BASE+2, HR BASE+3, service centre
BASE+4, payment simulator BASE+9 (BASE defaults to 5100; 0 picks free ports). Data,
client secrets and session keys are kept under INSTANCE/demo/."""

import argparse
import importlib
import json
import logging
import os
import secrets
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from werkzeug.serving import make_server

from connectors.social_insurance.simulator import DEFAULT_PORT as FUND_PORT
from connectors.social_insurance.simulator import DEV_API_KEY as FUND_KEY
from connectors.social_insurance.simulator import SocialInsuranceSimulator
from connectors.social_insurance.simulator import SocialInsuranceSimulatorConfig

from . import dev_operator
from . import payment_sim
from .landing import create_landing_app
from .registration import Wanted
from .registration import ensure_centre
from .registration import idp_command
from .registration import register_all

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AppSpec:
    key: str
    module: str
    client_id: str
    title: str
    title_ar: str
    offset: int
    scopes: tuple = ("openid", "profile")
    grant_types: tuple = ()


APPS = (
    AppSpec("labour", "clients_demo.labour", "demo-labour", "Labour office e-services",
            "الخدمات الإلكترونية لمكتب العمل", 1, ("openid", "profile", "establishment")),
    AppSpec("manpower", "clients_demo.manpower", "demo-manpower", "Manpower licensing",
            "تراخيص القوى العاملة", 2, ("openid", "profile", "national_id")),
    AppSpec("hr", "clients_demo.hr", "demo-hr", "HR platform for government employees",
            "منصة الموارد البشرية لموظفي الحكومة", 3),
    AppSpec("centre", "clients_demo.centre", "demo-service-centre", "Service centre console",
            "وحدة تحكم مركز الخدمة", 4, grant_types=(
                "authorization_code", "refresh_token",
                "urn:ietf:params:oauth:grant-type:token-exchange")),
)
# The development service centre (idp centres), tied to the console's client.
CENTRE = ("DEV-01", "Bawaba development service centre", "مركز الخدمات التجريبي لبوابة")
PAYMENT_OFFSET = 9


class Holder:
    """A WSGI app set once the server is bound (the app must know its own URL)."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


class Server:
    def __init__(self, host, port):
        self.holder = Holder()
        self.http = make_server(host, port, self.holder, threaded=True)
        self.url = f"http://{host}:{self.http.server_port}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def start(self, app):
        self.holder.app = app
        self.thread.start()

    def stop(self):
        self.http.shutdown()
        self.http.server_close()


class Demo:
    """The running demo: `urls` by key ("landing", "payment", and each app's key)."""

    def __init__(self, servers, fund_url, fund=None):
        self.servers = servers
        self.fund = fund  # the social insurance simulator, when started here
        self.urls = {key: server.url for key, server in servers.items()}
        self.urls["social_insurance"] = fund_url

    def stop(self):
        for server in self.servers.values():
            if server.thread.is_alive():
                server.stop()
        if self.fund is not None:
            self.fund.stop()


def start(options, run_idp):
    """Bind every port, register the clients, build the apps and serve them."""
    host, base = options.host, options.base_port
    port = (lambda offset: base + offset) if base else (lambda offset: 0)
    servers = {"landing": Server(host, port(0)), "payment": Server(host, port(PAYMENT_OFFSET))}
    fund, fund_url = None, options.social_insurance_url
    try:
        for spec in APPS:
            servers[spec.key] = Server(host, port(spec.offset))
        if not fund_url:
            fund = SocialInsuranceSimulator(SocialInsuranceSimulatorConfig(
                host, FUND_PORT if base else 0, options.social_insurance_key)).start()
            fund_url = fund.url
        folder = Path(options.instance) / "demo"
        folder.mkdir(parents=True, exist_ok=True)
        wanted = [Wanted(s.client_id, s.title, servers[s.key].url, s.scopes, s.grant_types)
                  for s in APPS]
        client_secrets = register_all(run_idp, wanted, folder / "clients.json")
        ensure_centre(run_idp, *CENTRE, "demo-service-centre", dev_operator.operator_subs(
            run_idp, options.issuer, options.sms_outbox, options.identities,
            options.centre_operator, options.centre_operator_password))
        keys = _session_keys(folder / "session-keys.json")
        servers["payment"].start(payment_sim.create_app(
            {"PAYMENT_BASE_URL": servers["payment"].url}))
        for spec in APPS:
            config = {"DEMO_ISSUER": options.issuer, "DEMO_CLIENT_ID": spec.client_id,
                      "DEMO_CLIENT_SECRET": client_secrets[spec.client_id],
                      "DEMO_BASE_URL": servers[spec.key].url, "SECRET_KEY": keys[spec.key],
                      "DEMO_DATABASE": str(folder / f"{spec.key}.db"),
                      "DEMO_SCOPE": " ".join(spec.scopes),
                      **_extra(spec.key, options, servers, fund_url)}
            app = importlib.import_module(spec.module).create_app(config)
            servers[spec.key].start(app)
        servers["landing"].start(create_landing_app(
            [(spec, servers[spec.key].url) for spec in APPS], options.issuer,
            servers["payment"].url, options.sms_outbox, options.identities, options.stack,
            social_insurance=fund_url))
    except BaseException:
        for server in servers.values():
            if server.thread.is_alive():
                server.stop()
            else:
                server.http.server_close()
        if fund is not None:
            fund.stop()
        raise
    return Demo(servers, fund_url, fund)


def _extra(key, options, servers, fund_url):
    if key == "manpower":
        return {"CIVIL_REGISTRY_URL": options.civil_registry_url,
                "CIVIL_REGISTRY_API_KEY": options.civil_registry_key,
                "SOCIAL_INSURANCE_URL": fund_url,
                "SOCIAL_INSURANCE_API_KEY": options.social_insurance_key,
                "PAYMENT_URL": servers["payment"].url}
    if key == "hr":
        return {"HR_REVIEWERS": list(options.hr_reviewer)}
    if key == "centre":
        return {"CENTRE_SERVICES": {"demo-manpower": {
            "title": "Manpower licensing",
            "api": servers["manpower"].url + "/api/applications"}}}
    return {}


def _session_keys(path):
    keys = json.loads(path.read_text()) if path.exists() else {}
    for spec in APPS:
        keys.setdefault(spec.key, secrets.token_urlsafe(32))
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(json.dumps(keys, indent=2))
    return keys


def parse_args(argv=None):
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m clients_demo.launcher",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--issuer", default=env("IDP_ISSUER", "http://127.0.0.1:5000"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--base-port", type=int, default=int(env("DEMO_BASE_PORT", "5100")))
    parser.add_argument("--instance", default=env("IDP_INSTANCE_PATH", str(ROOT / "instance")))
    parser.add_argument("--idp", default=None, help="the idp command (default: next to python)")
    parser.add_argument("--civil-registry-url",
                        default=env("CIVIL_REGISTRY_URL", "http://127.0.0.1:8030"))
    parser.add_argument("--civil-registry-key", default=env("CIVIL_REGISTRY_API_KEY",
                                                            "dev-registry-key"))
    parser.add_argument("--sms-outbox", default=env("DEMO_SMS_OUTBOX", "http://127.0.0.1:8025/"))
    parser.add_argument("--identities", default=env("DEMO_IDENTITIES", None),
                        help="JSON file of test identities for the landing page")
    parser.add_argument("--stack", default=env("DEMO_STACK_FILE", None),
                        help="JSON file of the development stack for the landing page "
                             "(written by scripts/dev_stack.py)")
    parser.add_argument("--social-insurance-url", default=env("SOCIAL_INSURANCE_URL", None),
                        help="the social insurance fund (default: start its simulator here)")
    parser.add_argument("--social-insurance-key", default=env("SOCIAL_INSURANCE_API_KEY",
                                                              FUND_KEY))
    parser.add_argument("--hr-reviewer", action="append", default=[],
                        help="sub of a person who may decide grievances (repeat)")
    parser.add_argument("--centre-operator", action="append", default=[],
                        help="national ID of a test identity operating the development "
                             "service centre, registered first if needed (repeat)")
    parser.add_argument("--centre-operator-password",
                        default=env("DEMO_CENTRE_OPERATOR_PASSWORD", None),
                        help="the password such an operator is registered with")
    return parser.parse_args(argv)


def main(argv=None):
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    options = parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    demo = start(options, idp_command(options.idp))
    print(f"Demo apps: {demo.urls['landing']}", flush=True)
    for spec in APPS:
        print(f"  {spec.title:<40} {demo.urls[spec.key]}", flush=True)
    print(f"  {'Payment simulator':<40} {demo.urls['payment']}", flush=True)
    print(f"  {'Social insurance simulator':<40} {demo.urls['social_insurance']}", flush=True)
    try:
        stop.wait()
    finally:
        demo.stop()
        print("Demo apps stopped.", flush=True)


if __name__ == "__main__":
    main()
