"""The simulators as a newcomer starts them: both at once, from the command line."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest
import requests

from connectors.civil_registry import civil_registry_from_settings
from connectors.simulators import start_simulators
from connectors.sms import sms_gateway_from_settings

ROOT = Path(__file__).resolve().parent.parent
CITIZENS = json.loads((ROOT / "connectors" / "civil_registry" / "citizens.json")
                      .read_text(encoding="utf-8"))["citizens"]


@pytest.fixture(scope="module")
def simulators():
    running = start_simulators(smpp_port=0, sms_http_port=0, registry_port=0)
    yield running
    running.stop()


@pytest.mark.parametrize("transport", ["smpp", "http"])
def test_registry_number_receives_the_code(simulators, transport):
    """What registration will do: look the citizen up, text the number on record."""
    settings = simulators.settings(transport)
    registry = civil_registry_from_settings(settings)
    gateway = sms_gateway_from_settings(settings)
    try:
        person = registry.lookup("10384756", date(1992, 7, 2))
        text = f"بوابة: رمز التسجيل {transport} 731904\nBawaba: registration code 731904"
        receipt = gateway.send(person.mobile, text, reference=f"reg-{transport}")
    finally:
        gateway.close()
        registry.close()

    answer = requests.get(simulators.sms.http.url + "/outbox", params={"to": person.mobile},
                          timeout=5)
    newest = answer.json()["messages"][0]
    assert (newest["id"], newest["text"], newest["transport"]) == (
        receipt.message_id, text, transport)


def test_command_line_launcher_prints_where_to_read_codes():
    process = subprocess.Popen(
        [sys.executable, "-m", "connectors.simulators", "--smpp-port", "0",
         "--sms-http-port", "0", "--registry-port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        encoding="utf-8", env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        last_id = CITIZENS[-1]["national_id"]
        banner = _wait_for_line(lines, process, last_id)
        outbox_url = re.search(r"Read SMS codes here:\s+(\S+)", banner).group(1)
        registry_url = re.search(r"Lookup API:\s+POST (\S+)/v1/persons/lookup", banner).group(1)

        assert requests.get(outbox_url, timeout=5).status_code == 200
        assert requests.get(registry_url + "/health", timeout=5).json() == {"status": "ok"}
        for citizen in CITIZENS:
            row = next(line for line in banner.splitlines()
                       if line.startswith(citizen["national_id"]))
            assert citizen["date_of_birth"] in row
            assert citizen["mobile"] in row
            assert citizen["name_ar"]["full"] in row
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=30)
        reader.join(timeout=5)
        process.stdout.close()
    assert returncode == 0


def _wait_for_line(lines, process, marker):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = "".join(lines)
        if any(line.startswith(marker) for line in text.splitlines()):
            return text
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError("launcher did not print the identity table:\n" + "".join(lines))
