"""`make run`: the whole development system in one command, supervised.

First it prepares, idempotently, the instance folder (IDP_INSTANCE_PATH, default
<repo>/instance): the signing token and config.py, the database and the PKI hierarchy
(certs/dev-ca.sh: dev-token.sh, `idp db upgrade`, `idp pki init`), the development ID
cards (the SoftHSM2 part of certs/card-lab.sh; no PC/SC needed) and the Mobile ID SIMs
(certs/dev-sims.sh). Then it starts, each in a process group of its own, and waits for
each to answer before starting what depends on it: the SMS and civil registry simulators,
the MSSP, chamber of commerce and social insurance simulators, the card agent serving a
SoftHSM2 card, the provider (`idp run`)
configured through the environment to use all of them, and the demo apps
(clients_demo.launcher). It prints the landing page address and runs until Ctrl-C
(SIGINT, SIGTERM or SIGHUP), then stops every process group. A process that stops or
never answers stops the whole stack, with the end of its log.

Ports (environment; defaults): IDP_PORT 5000, SMS_SIMULATOR_SMPP_PORT 2775,
SMS_SIMULATOR_HTTP_PORT 8025, CIVIL_REGISTRY_SIMULATOR_PORT 8030, MSSP_SIMULATOR_PORT
8040, CHAMBER_SIMULATOR_PORT 8050, SOCIAL_INSURANCE_SIMULATOR_PORT 8060, CARD_AGENT_PORT
24727, DEMO_BASE_PORT 5100 (apps +1 to +4, payment simulator +9).
CARD_AGENT_TOKEN_LABEL picks the card (default BAWABA-CARD-10293847). Logs:
INSTANCE/logs/."""

import argparse
import ctypes
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from connectors.card_reader.personalise import DEV_PIN
from connectors.card_reader.personalise import SOFTHSM_CARDS
from connectors.chamber.simulator import DEV_API_KEY as CHAMBER_DEV_API_KEY
from connectors.civil_registry.simulator import DEV_API_KEY as REGISTRY_KEY
from connectors.mssp.sims import DEV_SIMS
from connectors.mssp.simulator import DEV_AP_ID
from connectors.mssp.simulator import DEV_AP_PASSWORD
from connectors.mssp.simulator import DEV_MSSP_ID
from connectors.mssp.simulator import DEV_SIGNATURE_PROFILE
from connectors.sms.simulator import DEV_PASSWORD as SMPP_PASSWORD
from connectors.sms.simulator import DEV_SYSTEM_ID as SMPP_SYSTEM_ID
from connectors.social_insurance.simulator import DEV_API_KEY as FUND_KEY

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PYTHON = sys.executable
HOST = "127.0.0.1"
PORTS = (("provider", "IDP_PORT", 5000), ("smpp", "SMS_SIMULATOR_SMPP_PORT", 2775),
         ("sms_http", "SMS_SIMULATOR_HTTP_PORT", 8025),
         ("registry", "CIVIL_REGISTRY_SIMULATOR_PORT", 8030),
         ("mssp", "MSSP_SIMULATOR_PORT", 8040), ("chamber", "CHAMBER_SIMULATOR_PORT", 8050),
         ("fund", "SOCIAL_INSURANCE_SIMULATOR_PORT", 8060),
         ("card_agent", "CARD_AGENT_PORT", 24727),
         ("demo", "DEMO_BASE_PORT", 5100))
DEMO_OFFSETS = (0, 1, 2, 3, 4, 9)  # clients_demo.launcher: landing, apps, payment
# Login methods and their modules: every method whose module exists is offered.
METHODS = (("sms", "sms"), ("card", "card"), ("mobile-id", "mobile_id"))
# The stack's own simulators replace any outside-system settings of the environment.
REPLACED = ("SMS_", "CIVIL_REGISTRY_", "MSSP_", "CHAMBER_", "SOCIAL_INSURANCE_")
# The development service centre's operator (clients_demo.launcher registers them if
# needed and gives them the operator role); shown on the landing page.
CENTRE_OPERATOR = "10384756"
CENTRE_OPERATOR_PASSWORD = "centre operator 2580"
READY_TIMEOUT = 120
STOP_GRACE = 10
LANDING_LINE = re.compile(r"^Demo apps: (http://\S+)", re.MULTILINE)
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class StackError(Exception):
    """The stack cannot run; `child` (if any) is the process whose log tells why."""

    def __init__(self, message, child=None):
        super().__init__(message)
        self.child = child


class Stopped(Exception):
    """A stop was asked for (Ctrl-C or a signal)."""


def read_ports(environ):
    ports = {}
    for key, name, default in PORTS:
        raw = environ.get(name) or str(default)
        low = 0 if key == "demo" else 1
        if not raw.isdigit() or not low <= int(raw) <= (65535 - 9 if key == "demo" else 65535):
            raise StackError(f"{name}={raw!r} is not a port number")
        ports[key] = int(raw)
    return ports


def check_free(ports):
    wanted = [(ports[key], name) for key, name, _ in PORTS if key != "demo"]
    if ports["demo"]:
        wanted += [(ports["demo"] + offset, "DEMO_BASE_PORT") for offset in DEMO_OFFSETS]
    for port, name in wanted:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
            except OSError:
                raise StackError(f"port {port} is in use (set by {name}): stop what uses it, "
                                 f"or choose other ports, e.g. {name}={port + 1000} make run"
                                 ) from None


LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def _die_with_parent():
    LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: a child never outlives the supervisor


class Child:
    """A process in its own session (so its own process group), output in its log."""

    def __init__(self, title, argv, env, log):
        self.title, self.log = title, log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_die_with_parent if LIBC else None)

    def signal_group(self, signum):
        try:
            os.killpg(self.process.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def group_alive(self):
        try:
            os.killpg(self.process.pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def running(self):
        return self.process.poll() is None or self.group_alive()

    def stop(self, deadline):
        """Wait until `deadline` for the group to end after SIGINT; then SIGTERM, then
        SIGKILL."""
        for signum in (signal.SIGTERM, signal.SIGKILL):
            while self.running() and time.monotonic() < deadline:
                time.sleep(0.05)
            if not self.running():
                return
            self.signal_group(signum)
            deadline = time.monotonic() + 5
        self.process.wait()

    def tail(self, lines=25):
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Stack:
    def __init__(self, instance, ports, environ):
        self.instance, self.ports = instance, ports
        self.logs = instance / "logs"
        self.issuer = environ.get("IDP_ISSUER") or f"http://{HOST}:{ports['provider']}"
        self.lab = instance / "card-lab"
        self.card = environ.get("CARD_AGENT_TOKEN_LABEL") or SOFTHSM_CARDS[0].label
        self.children = []
        self.stop_signal = None
        env = {k: v for k, v in environ.items() if not k.startswith(REPLACED)}
        loopback = ",".join(filter(None, (environ.get("NO_PROXY"), "127.0.0.1,localhost")))
        env.update(PYTHONUNBUFFERED="1", IDP_INSTANCE_PATH=str(instance),
                   IDP_ISSUER=self.issuer, NO_PROXY=loopback, no_proxy=loopback)
        self.methods = json.loads(environ["IDP_LOGIN_METHODS"]) if environ.get(
            "IDP_LOGIN_METHODS") else [m for m, module in METHODS
                                       if (ROOT / "idp" / "login" / f"{module}.py").exists()]
        # Every process sees the provider's settings: `idp` commands (setup, the demo
        # launcher's registrations) build the same application as `idp run`.
        self.env = {**env, **self.provider_settings()}

    def url(self, key, path=""):
        return f"http://{HOST}:{self.ports[key]}{path}"

    def on_signal(self, signum, _frame):
        self.stop_signal = self.stop_signal or signum

    def check(self):
        if self.stop_signal:
            raise Stopped()

    def say(self, text):
        print(f"make run: {text}", flush=True)

    # Preparation

    def prepare(self):
        self.logs.mkdir(parents=True, exist_ok=True)
        setup = self.logs / "setup.log"
        setup.write_text("")
        env = {**self.env, "PYTHON": PYTHON, "IDP_COMMAND": str(BIN / "idp")}
        steps = (
            ("token, database and PKI hierarchy (certs/dev-ca.sh)",
             ["bash", str(ROOT / "certs" / "dev-ca.sh"), str(self.instance)]),
            ("development ID cards, PIN 123456 (SoftHSM2, certs/card-lab.sh without PC/SC)",
             [PYTHON, "-m", "connectors.card_reader.personalise", "--lab", str(self.lab),
              "--idp", str(BIN / "idp")]),
            ("Mobile ID SIMs (certs/dev-sims.sh)",
             ["bash", str(ROOT / "certs" / "dev-sims.sh"), str(self.instance / "mssp")]),
        )
        for title, argv in steps:
            self.say(f"preparing {title}")
            with open(setup, "ab") as out:
                out.write(f"$ {' '.join(argv)}\n".encode())
            step = Child(title, argv, env, self.logs / "step.log")
            self.children.append(step)
            while step.process.poll() is None:
                self.check()
                time.sleep(0.1)
            self.children.remove(step)
            with open(setup, "ab") as out:
                out.write(step.log.read_bytes())
            if step.process.returncode != 0:
                raise StackError(f"preparing {title} failed ({ending(step)})", step)
            step.log.unlink()
        self.say("PC/SC card readers are not used: the card agent serves the SoftHSM2 card "
                 f"{self.card} (the reader path: docs/card-agent.md)")

    # Services

    def start(self, name, title, argv, env=None):
        self.check()
        child = Child(title, argv, env or self.env, self.logs / f"{name}.log")
        self.children.append(child)
        return child

    def wait_ready(self, child, *urls):
        """Until every URL answers 200; the child must not stop meanwhile."""
        deadline = time.monotonic() + READY_TIMEOUT
        for url in urls:
            while not answers(url):
                self.check()
                if child.process.poll() is not None:
                    raise StackError(f"{child.title} stopped while starting "
                                     f"({ending(child)})", child)
                if time.monotonic() > deadline:
                    raise StackError(f"{child.title} did not answer {url} within "
                                     f"{READY_TIMEOUT} s", child)
                time.sleep(0.2)
        self.say(f"ready: {child.title}")

    def run(self):
        self.prepare()
        ports = self.ports
        simulators = self.start("simulators", "SMS and civil registry simulators", [
            PYTHON, "-m", "connectors.simulators", "--host", HOST,
            "--smpp-port", str(ports["smpp"]), "--sms-http-port", str(ports["sms_http"]),
            "--registry-port", str(ports["registry"])])
        mssp = self.start("mssp", "MSSP simulator (Mobile ID)", [
            PYTHON, "-m", "connectors.mssp.simulator", "--host", HOST,
            "--port", str(ports["mssp"]), "--dir", str(self.instance / "mssp")])
        chamber = self.start("chamber", "chamber of commerce simulator (mandates)", [
            PYTHON, "-m", "connectors.chamber.simulator", "--host", HOST,
            "--port", str(ports["chamber"]), "--api-key", CHAMBER_DEV_API_KEY,
            "--key-file", str(self.instance / "chamber.jwk")])
        fund = self.start("social-insurance", "social insurance simulator (incomes)", [
            PYTHON, "-m", "connectors.social_insurance.simulator", "--host", HOST,
            "--port", str(ports["fund"]), "--api-key", FUND_KEY])
        agent = self.start("card-agent", f"card agent with the card {self.card}",
                           self.agent_command(), {**self.env, "SOFTHSM2_CONF": str(
                               self.lab / "softhsm2.conf")})
        self.wait_ready(simulators, self.url("sms_http", "/health"),
                        self.url("registry", "/health"))
        self.wait_ready(mssp, self.url("mssp", "/health"))
        self.wait_ready(chamber, self.url("chamber", "/health"))
        self.wait_ready(fund, self.url("fund", "/health"))
        self.wait_ready(agent, self.url("card_agent", "/status"))

        provider = self.start("provider", "provider (login: " + ", ".join(self.methods) + ")",
                              [str(BIN / "idp"), "run", "--host", HOST,
                               "--port", str(ports["provider"])])
        self.wait_ready(provider, self.issuer + "/.well-known/openid-configuration")

        facts = self.instance / "demo" / "stack.json"
        facts.parent.mkdir(parents=True, exist_ok=True)
        facts.write_text(json.dumps(self.landing_facts(), indent=2, ensure_ascii=False))
        demo = self.start("demo", "demo apps and landing page", [
            PYTHON, "-m", "clients_demo.launcher", "--issuer", self.issuer, "--host", HOST,
            "--base-port", str(ports["demo"]), "--instance", str(self.instance),
            "--idp", str(BIN / "idp"), "--civil-registry-url", self.url("registry"),
            "--civil-registry-key", REGISTRY_KEY, "--sms-outbox", self.url("sms_http", "/"),
            "--centre-operator", CENTRE_OPERATOR,
            "--centre-operator-password", CENTRE_OPERATOR_PASSWORD,
            "--stack", str(facts), "--social-insurance-url", self.url("fund"),
            "--social-insurance-key", FUND_KEY])
        landing = self.landing_url(demo)
        self.wait_ready(demo, landing + "/")

        print(f"\nBawaba is running: {landing}/\n  The landing page lists the demo apps, the "
              "provider, the simulators and the test identities (national IDs, card PIN, "
              f"SIM numbers and PINs).\n  Logs: {self.logs}/. Ctrl-C stops everything.\n",
              flush=True)
        while True:
            self.check()
            for child in self.children:
                if child.process.poll() is not None:
                    raise StackError(f"{child.title} stopped unexpectedly "
                                     f"({ending(child)})", child)
            time.sleep(0.3)

    def agent_command(self):
        module = json.loads((self.lab / "cards.json").read_text())["softhsm"]["module"]
        config = self.lab / "agent.toml"  # so that no user or system config file applies
        config.write_text(f"trusted_origins = [{json.dumps(origin(self.issuer))}]\n")
        argv = [str(BIN / "bawaba-card-agent"), "--config", str(config), "--readers", "token",
                "--pkcs11-module", module, "--token-label", self.card,
                "--trusted-origin", origin(self.issuer), "--port", str(self.ports["card_agent"])]
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            argv.append("--no-browser")  # the card page links to the PIN page
        return argv

    def provider_settings(self):
        """The provider's settings for the stack's simulators and card agent."""
        operator = "MSSP_DEV_"
        return {"IDP_LOGIN_METHODS": json.dumps(self.methods),
                "IDP_CARD_AGENT_URL": self.url("card_agent"),
                "SMS_TRANSPORT": "smpp", "SMS_SMPP_HOST": HOST,
                "SMS_SMPP_PORT": str(self.ports["smpp"]),
                "SMS_SMPP_SYSTEM_ID": SMPP_SYSTEM_ID, "SMS_SMPP_PASSWORD": SMPP_PASSWORD,
                "CIVIL_REGISTRY_BACKEND": "http", "CIVIL_REGISTRY_URL": self.url("registry"),
                "CIVIL_REGISTRY_API_KEY": REGISTRY_KEY,
                "CHAMBER_BACKEND": "http", "CHAMBER_URL": self.url("chamber"),
                "CHAMBER_API_KEY": CHAMBER_DEV_API_KEY,
                "MSSP_OPERATORS": "dev", operator + "URL": self.url("mssp"),
                operator + "AP_ID": DEV_AP_ID, operator + "AP_PASSWORD": DEV_AP_PASSWORD,
                operator + "MSSP_ID": DEV_MSSP_ID,
                operator + "SIGNATURE_PROFILE": DEV_SIGNATURE_PROFILE}

    def landing_url(self, demo):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            self.check()
            found = LANDING_LINE.search(demo.log.read_text(errors="replace"))
            if found:
                return found.group(1).rstrip("/")
            if demo.process.poll() is not None:
                break
            time.sleep(0.2)
        raise StackError(f"{demo.title} did not start", demo)

    def landing_facts(self):
        """What the landing page shows besides the apps (clients_demo/landing.py)."""
        sims = json.loads(DEV_SIMS.read_text(encoding="utf-8"))["sims"]
        return {
            "issuer": self.issuer,
            "register": self.issuer + "/register",
            "login_methods": self.methods,
            "password_min_length": int(self.env.get("IDP_PASSWORD_MIN_LENGTH") or 12),
            "sms_outbox": self.url("sms_http", "/"),
            "sms_outbox_json": self.url("sms_http", "/outbox"),
            "civil_registry": self.url("registry"),
            "handset": self.url("mssp", "/handset"),
            "card_agent": self.url("card_agent", "/status"),
            "card_pin": DEV_PIN,
            "centre_operator": {"national_id": CENTRE_OPERATOR, "centre": "DEV-01",
                                "password": CENTRE_OPERATOR_PASSWORD},
            "cards": [{"national_id": c.national_id, "label": c.label,
                       "in_agent": c.label == self.card} for c in SOFTHSM_CARDS],
            "sims": [{"msisdn": s["msisdn"], "national_id": s["national_id"], "pin": s["pin"],
                      "note": s.get("note", "")} for s in sims],
        }

    def stop(self):
        for child in reversed(self.children):
            child.signal_group(signal.SIGINT)
        deadline = time.monotonic() + STOP_GRACE
        for child in reversed(self.children):
            child.stop(deadline)
        self.children.clear()


def ending(child):
    code = child.process.returncode
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def answers(url):
    try:
        with NO_PROXY.open(url, timeout=3) as answer:
            return answer.status == 200
    except (OSError, http.client.HTTPException):
        return False


def origin(url):
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def main(argv=None):
    argparse.ArgumentParser(prog="scripts/dev_stack.py",
                            description=__doc__.splitlines()[0]).parse_args(argv)
    instance = Path(os.environ.get("IDP_INSTANCE_PATH") or ROOT / "instance").resolve()
    try:
        ports = read_ports(os.environ)
        check_free(ports)
    except StackError as error:
        print(f"make run: {error}", file=sys.stderr, flush=True)
        return 2
    stack = Stack(instance, ports, os.environ)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stack.on_signal)
    code = 0
    try:
        stack.run()
    except Stopped:
        stack.say("stopping")
    except StackError as error:
        code = 1
        print(f"make run: {error}", file=sys.stderr, flush=True)
        if error.child is not None:
            print(f"--- last lines of {error.child.log} ---\n{error.child.tail()}\n---",
                  file=sys.stderr, flush=True)
        stack.say("stopping everything")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C cannot cut the stop short
        stack.stop()
    stack.say("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())
