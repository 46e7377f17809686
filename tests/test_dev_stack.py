"""`make run` (scripts/dev_stack.py) as a newcomer meets it, in a temporary instance folder
on free ports: every service answers, the provider reaches the SMS and civil registry
simulators and offers the login methods, the landing page lists identities and
credentials, a second start reuses the instance, SIGINT and SIGTERM stop every process,
and a process that dies stops the whole stack."""

import os
import random
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "dev_stack.py"
# The developer's own settings must not leak into the stack under test.
CLEARED = ("IDP_", "PKCS11_", "PKI_", "OTP_", "SMS_", "CIVIL_REGISTRY_", "MSSP_", "DEMO_",
           "CARD_AGENT_", "SOCIAL_INSURANCE_")
CLEARED_EXACT = ("SECRET_KEY", "SOFTHSM2_CONF", "DISPLAY", "WAYLAND_DISPLAY")
RUNNING = re.compile(r"^Bawaba is running: (http://\S+?)/?$", re.MULTILINE)
PROGRAMS = {"simulators": "connectors.simulators", "mssp": "connectors.mssp.simulator",
            "chamber": "connectors.chamber.simulator", "card agent": "bawaba-card-agent",
            "social insurance": "connectors.social_insurance.simulator",
            "provider": "idp run", "demo": "clients_demo.launcher"}
AHMED = {"national_id": "10293847", "date_of_birth": "1985-03-14", "mobile": "+96891234567"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
START_WAIT = 300  # seconds; a bound for slow machines, never asserted
WAIT = 20


def bindable(port):
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count):
    ports = set()
    while len(ports) < count:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.add(probe.getsockname()[1])
    return sorted(ports)


def free_demo_base():
    """A base port whose landing, app and payment ports (base + 0-4, 9) are free."""
    while True:
        base = random.randrange(20000, 30000)
        if all(bindable(base + offset) for offset in range(10)):
            return base


@pytest.fixture(scope="module")
def stack_env():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(CLEARED) and k not in CLEARED_EXACT}
    provider, smpp, sms, registry, mssp, chamber, agent, fund = free_ports(8)
    # Its own folder: the stack outlives pytest's numbered temporary folders' rotation.
    folder = tempfile.TemporaryDirectory(prefix="bawaba-stack-")
    env.update(IDP_INSTANCE_PATH=str(Path(folder.name) / "instance"),
               IDP_PORT=str(provider), SMS_SIMULATOR_SMPP_PORT=str(smpp),
               SMS_SIMULATOR_HTTP_PORT=str(sms), CIVIL_REGISTRY_SIMULATOR_PORT=str(registry),
               MSSP_SIMULATOR_PORT=str(mssp), CHAMBER_SIMULATOR_PORT=str(chamber),
               CARD_AGENT_PORT=str(agent), SOCIAL_INSURANCE_SIMULATOR_PORT=str(fund),
               DEMO_BASE_PORT=str(free_demo_base()))
    with folder:
        yield env


def url(env, name, path=""):
    return f"http://127.0.0.1:{env[name]}{path}"


class Stack:
    """The command running as a subprocess, as `make run` runs it."""

    def __init__(self, env):
        self.output = ""
        self.process = subprocess.Popen([sys.executable, str(SCRIPT)], cwd=ROOT, env=env,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.sessions = set()

    def wait_running(self):
        deadline = time.monotonic() + START_WAIT
        descriptor = self.process.stdout.fileno()
        while time.monotonic() < deadline and not RUNNING.search(self.output):
            ready, _, _ = select.select([descriptor], [], [], 1)
            if ready:
                chunk = os.read(descriptor, 65536)
                if not chunk:
                    break
                self.output += chunk.decode(errors="replace")
        found = RUNNING.search(self.output)
        assert found, f"the stack did not start:\n{self.output}"
        self.sessions = set(self.children())
        return found.group(1)

    def children(self):
        """{pid: command line} of the stack's direct children."""
        found = {}
        for pid, stat in processes():
            if stat["ppid"] == self.process.pid:
                found[pid] = stat["cmdline"]
        return found

    def finish(self, signum=None, timeout=90):
        if signum is not None:
            self.process.send_signal(signum)
        rest, _ = self.process.communicate(timeout=timeout)
        self.output += rest.decode(errors="replace")
        return self.process.returncode

    def leftovers(self):
        """Processes of the stack's children's sessions still alive (none expected)."""
        return [stat["cmdline"] for _, stat in processes() if stat["sid"] in self.sessions]

    def kill(self):
        """Last resort when a test failed half way: nothing may outlive the test."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.communicate()
        self.process.stdout.close()
        for pid, stat in processes():
            if stat["sid"] in self.sessions:
                os.kill(pid, signal.SIGKILL)


def processes():
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":  # a zombie is gone, only not yet reaped
            continue
        yield int(entry.name), {"ppid": int(fields[1]), "sid": int(fields[3]),
                                "cmdline": cmdline}


@pytest.fixture
def start_stack(stack_env):
    started = []

    def start():
        stack = Stack(stack_env)
        started.append(stack)
        return stack

    yield start
    for stack in started:
        stack.kill()


def names(commands):
    return sorted(name for name, program in PROGRAMS.items()
                  if any(program in command for command in commands))


def wait_for_message(outbox, to):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        messages = requests.get(f"{outbox}?to={quote(to)}", timeout=10).json()["messages"]
        if messages:
            return messages[0]
        time.sleep(0.2)
    raise AssertionError(f"no SMS to {to}")


def test_one_command_starts_everything_and_ctrl_c_stops_it(start_stack, stack_env):
    env = stack_env
    stack = start_stack()
    landing = stack.wait_running()
    issuer = url(env, "IDP_PORT")
    base = int(env["DEMO_BASE_PORT"])
    assert landing == f"http://127.0.0.1:{base}"
    assert stack.output.count("http://") == 1, stack.output  # one address to open
    assert names(stack.children().values()) == sorted(PROGRAMS), stack.children()
    assert len(stack.sessions) == len(PROGRAMS)

    # The provider, its discovery and the methods whose modules exist.
    discovery = requests.get(issuer + "/.well-known/openid-configuration", timeout=10)
    assert discovery.status_code == 200 and discovery.json()["issuer"] == issuer

    # Every demo app, the payment simulator, the simulators' pages and the card agent.
    for offset in (1, 2, 3, 4, 9):
        assert requests.get(f"http://127.0.0.1:{base + offset}/", timeout=10).status_code == 200
    outbox = url(env, "SMS_SIMULATOR_HTTP_PORT", "/outbox")
    answer = requests.get(outbox, timeout=10)
    # Only the service centre's operator was registered, for the console (DEV-01).
    assert answer.status_code == 200 and [m["to"] for m in answer.json()["messages"]] == [
        "+96892345678"]
    handset = requests.get(url(env, "MSSP_SIMULATOR_PORT", "/handset"), timeout=10)
    assert handset.status_code == 200 and AHMED["mobile"] in handset.text
    assert requests.get(url(env, "CHAMBER_SIMULATOR_PORT", "/health"),
                        timeout=10).status_code == 200
    agent = requests.get(url(env, "CARD_AGENT_PORT", "/status"), timeout=10)
    assert agent.status_code == 200
    assert agent.json()["state"] == "ready"
    assert agent.json()["card"]["national_id"] == AHMED["national_id"]
    assert requests.get(url(env, "CIVIL_REGISTRY_SIMULATOR_PORT", "/health"),
                        timeout=10).status_code == 200
    assert requests.get(url(env, "SOCIAL_INSURANCE_SIMULATOR_PORT", "/health"),
                        timeout=10).status_code == 200

    # The landing page: apps, systems, how to register, identities, card PIN, SIMs.
    page = requests.get(landing + "/", timeout=10).text
    for offset in (1, 2, 3, 4):
        assert f"http://127.0.0.1:{base + offset}/" in page
    for expected in (issuer + "/register", url(env, "SMS_SIMULATOR_HTTP_PORT", "/"), outbox,
                     url(env, "MSSP_SIMULATOR_PORT", "/handset"),
                     url(env, "CARD_AGENT_PORT", "/status"), AHMED["date_of_birth"],
                     f'<dd class="social-insurance">{url(env, "SOCIAL_INSURANCE_SIMULATOR_PORT")}'
                     '</dd>',
                     '<strong class="card-pin">123456</strong>',
                     'in the card agent, PIN <span dir="ltr">123456</span>',
                     '<span dir="ltr">+96891234567</span> · PIN <span dir="ltr">1234</span>',
                     '<span dir="ltr">+96892345678</span> · PIN <span dir="ltr">2580</span>',
                     'centre DEV-01 is national ID <strong>10384756</strong>',
                     f'<a href="{issuer}/account/mandates">', "OCCI-2026-000101",
                     "idp mandates review approve MANDATE_ID"):
        assert expected in page, expected
    arabic = requests.get(landing + "/?lang=ar", timeout=10).text
    assert 'في وكيل البطاقة، الرمز <span dir="ltr">123456</span>' in arabic

    # The provider sends registration codes through the SMS simulator to the number the
    # civil registry simulator has on record.
    browser = requests.Session()
    form = browser.get(issuer + "/register", timeout=10)
    sent = browser.post(issuer + "/register", allow_redirects=False, timeout=30, data={
        "csrf_token": CSRF.search(form.text).group(1),
        "national_id": AHMED["national_id"], "date_of_birth": AHMED["date_of_birth"]})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/register/code")
    assert "Bawaba" in wait_for_message(outbox, AHMED["mobile"])["text"]

    # An app's login reaches the provider's chooser, offering each method that exists.
    chooser = requests.Session().get(f"http://127.0.0.1:{base + 1}/login", timeout=30)
    assert chooser.status_code == 200 and chooser.url.startswith(issuer + "/login?tx=")
    for method, module in (("sms", "sms"), ("card", "card"), ("mobile-id", "mobile_id")):
        offered = f'href="/login/{method}?tx=' in chooser.text
        assert offered == (ROOT / "idp" / "login" / f"{module}.py").exists(), method

    assert stack.finish(signal.SIGINT) == 0, stack.output
    assert "make run: stopped" in stack.output
    assert "Traceback" not in stack.output, stack.output
    assert stack.leftovers() == []
    with pytest.raises(requests.ConnectionError):
        requests.get(landing + "/", timeout=5)


def test_a_second_start_reuses_the_instance_and_a_dying_process_stops_all(start_stack,
                                                                          stack_env):
    first = start_stack()
    first.wait_running()
    secrets_file = Path(stack_env["IDP_INSTANCE_PATH"]) / "demo" / "clients.json"
    secrets = secrets_file.read_text()
    assert first.finish(signal.SIGTERM) == 0, first.output
    assert first.leftovers() == []

    second = start_stack()
    landing = second.wait_running()
    setup = (Path(stack_env["IDP_INSTANCE_PATH"]) / "logs" / "setup.log").read_text()
    assert "dev-ca: hierarchy already exists" in setup
    assert "personalise: SoftHSM2 card BAWABA-CARD-10293847: kept" in setup
    assert "dev-sims: all SIMs ready" in setup
    assert secrets_file.read_text() == secrets
    assert requests.get(landing + "/", timeout=10).status_code == 200

    mssp = [pid for pid, command in second.children().items()
            if PROGRAMS["mssp"] in command]
    assert len(mssp) == 1
    os.kill(mssp[0], signal.SIGKILL)
    assert second.finish() == 1, second.output
    assert "make run: MSSP simulator (Mobile ID) stopped unexpectedly (killed by SIGKILL)" \
        in second.output
    assert "make run: stopped" in second.output
    assert second.leftovers() == []


def test_a_port_in_use_is_named_before_anything_starts(start_stack, stack_env):
    with socket.socket() as taken:
        # The earlier stacks' connections may leave the port in TIME_WAIT; a listener is
        # what makes it taken.
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", int(stack_env["IDP_PORT"])))
        taken.listen()
        stack = start_stack()
        assert stack.finish(timeout=60) == 2
    port = stack_env["IDP_PORT"]
    assert f"make run: port {port} is in use (set by IDP_PORT)" in stack.output
    assert "preparing" not in stack.output
