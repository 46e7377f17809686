"""Civil registry client against the registry simulator, over real sockets."""

import json
from datetime import date
from datetime import datetime
from pathlib import Path

import pytest
import requests

from connectors.civil_registry import Gender
from connectors.civil_registry import MaritalStatus
from connectors.civil_registry import Name
from connectors.civil_registry import Person
from connectors.civil_registry import civil_registry_from_settings
from connectors.civil_registry.directory import CITIZENS_FILE
from connectors.civil_registry.http_client import HttpCivilRegistry
from connectors.civil_registry.http_client import RegistrySettings
from connectors.civil_registry.memory import InMemoryCivilRegistry
from connectors.civil_registry.simulator import RegistrySimulator
from connectors.civil_registry.simulator import RegistrySimulatorConfig
from connectors.errors import ConfigurationError
from connectors.errors import CredentialsRejectedError
from connectors.errors import InvalidDataError
from connectors.errors import InvalidMsisdnError
from connectors.errors import ThrottledError
from connectors.errors import UnavailableError

from .connector_support import CaptureServer
from .connector_support import closed_port

AHMED = Person(
    national_id="10293847",
    name_ar=Name("أحمد", "الحارثي", "أحمد بن سالم بن سعيد الحارثي"),
    name_en=Name("Ahmed", "Al Harthy", "Ahmed bin Salim bin Said Al Harthy"),
    birthdate=date(1985, 3, 14), gender=Gender.MALE, nationality="OM",
    mobile="+96891234567", marital_status=MaritalStatus.MARRIED)
ZAINAB = ("10912345", date(1975, 10, 8))          # malformed mobile number on record
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def simulator():
    sim = RegistrySimulator(RegistrySimulatorConfig(port=0)).start()
    yield sim
    sim.stop()


@pytest.fixture(autouse=True)
def normal_mode(simulator):
    simulator.control.configure({"mode": "normal"})


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make_registry(simulator, sleeps):
    made = []

    def make(**overrides):
        values = dict(base_url=simulator.url, api_key="dev-registry-key", timeout=5.0,
                      retries=2, backoff=0.1)
        values.update(overrides)
        registry = HttpCivilRegistry(RegistrySettings(**values), sleep=sleeps.append)
        made.append(registry)
        return registry

    yield make
    for registry in made:
        registry.close()


def lookup_answer(simulator, national_id, date_of_birth):
    return requests.post(simulator.url + "/v1/persons/lookup",
                         json={"national_id": national_id, "date_of_birth": date_of_birth},
                         headers={"X-API-Key": "dev-registry-key"}, timeout=5)


def test_found_person_has_every_field(make_registry):
    assert make_registry().lookup("10293847", date(1985, 3, 14)) == AHMED


def test_national_id_typed_with_arabic_digits(make_registry):
    assert make_registry().lookup("١٠٢٩٣٨٤٧", date(1985, 3, 14)) == AHMED


def test_foreign_resident(make_registry):
    person = make_registry().lookup("20123456", date(1990, 4, 21))
    assert (person.nationality, person.gender, person.mobile) == (
        "AE", Gender.FEMALE, "+971501234567")
    assert person.name_ar.family == "السويدي"


def test_wrong_date_of_birth_is_none(make_registry):
    assert make_registry().lookup("10293847", date(1985, 3, 15)) is None


def test_unknown_id_is_none(make_registry):
    assert make_registry().lookup("99999999", date(1985, 3, 14)) is None


def test_wrong_date_of_birth_and_unknown_id_look_the_same(simulator):
    wrong_dob = lookup_answer(simulator, "10293847", "1985-03-15")
    unknown = lookup_answer(simulator, "99999999", "1985-03-14")

    assert wrong_dob.status_code == unknown.status_code == 404
    assert wrong_dob.content == unknown.content
    assert unknown.json() == {"error": "not_found", "error_description": "no record matches"}


def test_served_records_omit_notes(simulator):
    answer = lookup_answer(simulator, "10293847", "1985-03-14")
    assert answer.status_code == 200
    assert "note" not in answer.json()["person"]


def test_malformed_mobile_on_record_is_invalid_data(make_registry):
    with pytest.raises(InvalidMsisdnError) as caught:
        make_registry().lookup(*ZAINAB)
    assert (caught.value.field, caught.value.connector) == ("mobile", "civil_registry")


@pytest.mark.parametrize("national_id", ["", "12ab5678", "123", "1" * 13])
def test_malformed_national_id_is_refused_before_asking(national_id):
    registry = HttpCivilRegistry(RegistrySettings(f"http://127.0.0.1:{closed_port()}", "k"))
    with pytest.raises(InvalidDataError) as caught:
        registry.lookup(national_id, date(1985, 3, 14))
    assert caught.value.field == "national_id"


def test_date_of_birth_must_be_a_date(make_registry):
    with pytest.raises(InvalidDataError) as caught:
        make_registry().lookup("10293847", "1985-03-14")
    assert caught.value.field == "date_of_birth"
    with pytest.raises(InvalidDataError):
        make_registry().lookup("10293847", datetime(1985, 3, 14))


def test_outage_is_retried_then_unavailable(simulator, make_registry, sleeps):
    simulator.control.configure({"mode": "down"})

    with pytest.raises(UnavailableError) as caught:
        make_registry().lookup("10293847", date(1985, 3, 14))
    assert (caught.value.code, caught.value.connector) == ("503", "civil_registry")
    assert sleeps == [0.1, 0.2]


def test_short_outage_is_bridged_by_a_retry(simulator, make_registry, sleeps):
    simulator.control.configure({"mode": "down", "count": 2})

    assert make_registry().lookup("10293847", date(1985, 3, 14)) == AHMED
    assert sleeps == [0.1, 0.2]


def test_throttled(simulator, make_registry, sleeps):
    simulator.control.configure({"mode": "throttle"})

    with pytest.raises(ThrottledError) as caught:
        make_registry().lookup("10293847", date(1985, 3, 14))
    assert caught.value.retry_after == 1.0
    assert sleeps == []


def test_timeout_is_unavailable(simulator, make_registry):
    simulator.control.configure({"mode": "slow", "delay": 5})

    with pytest.raises(UnavailableError) as caught:
        make_registry(timeout=0.3, retries=0).lookup("10293847", date(1985, 3, 14))
    assert caught.value.code == "timeout"


def test_connection_refused_is_unavailable(make_registry, sleeps):
    with pytest.raises(UnavailableError) as caught:
        make_registry(base_url=f"http://127.0.0.1:{closed_port()}").lookup(
            "10293847", date(1985, 3, 14))
    assert caught.value.code == "connection"
    assert len(sleeps) == 2


def test_wrong_api_key(make_registry):
    with pytest.raises(CredentialsRejectedError):
        make_registry(api_key="wrong").lookup("10293847", date(1985, 3, 14))


def test_registry_answering_another_person_is_invalid_data():
    record = json.loads(CITIZENS_FILE.read_text(encoding="utf-8"))["citizens"][1]
    with CaptureServer(status=200, body={"person": record}) as registry_server:
        registry = HttpCivilRegistry(RegistrySettings(registry_server.url, "k"))
        with pytest.raises(InvalidDataError) as caught:
            registry.lookup("10293847", date(1985, 3, 14))
        registry.close()
    assert str(caught.value) == "registry answered a different record"
    assert registry_server.received[0] == (
        "/v1/persons/lookup", {"national_id": "10293847", "date_of_birth": "1985-03-14"})


@pytest.mark.parametrize(("field", "value"), [
    ("gender", "x"), ("marital_status", "complicated"), ("nationality", "Oman"),
    ("date_of_birth", "14/03/1985"), ("name_en", {"given": "Ahmed", "family": ""}),
])
def test_malformed_records_are_invalid_data(field, value):
    record = json.loads(CITIZENS_FILE.read_text(encoding="utf-8"))["citizens"][0]
    record[field] = value
    with CaptureServer(status=200, body={"person": record}) as registry_server:
        registry = HttpCivilRegistry(RegistrySettings(registry_server.url, "k"))
        with pytest.raises(InvalidDataError) as caught:
            registry.lookup("10293847", date(1985, 3, 14))
        registry.close()
    assert caught.value.field.split(".")[0] == field


def test_garbled_answer_is_unavailable():
    with CaptureServer(status=200, body=["not", "an", "object"]) as registry_server:
        registry = HttpCivilRegistry(RegistrySettings(registry_server.url, "k"))
        with pytest.raises(UnavailableError):
            registry.lookup("10293847", date(1985, 3, 14))
        registry.close()


def test_factory_builds_the_http_client(simulator):
    registry = civil_registry_from_settings({**simulator.settings(),
                                             "CIVIL_REGISTRY_TIMEOUT": "2"})
    try:
        assert registry.lookup("10293847", date(1985, 3, 14)) == AHMED
    finally:
        registry.close()
    assert isinstance(registry, HttpCivilRegistry)


def test_memory_backend_answers_like_the_simulator():
    registry = civil_registry_from_settings({"CIVIL_REGISTRY_BACKEND": "memory"})

    assert isinstance(registry, InMemoryCivilRegistry)
    assert registry.lookup("10293847", date(1985, 3, 14)) == AHMED
    assert registry.lookup("10293847", date(1985, 3, 15)) is None
    with pytest.raises(InvalidMsisdnError):
        registry.lookup(*ZAINAB)
    registry.fail_with = UnavailableError("scripted", connector="civil_registry")
    with pytest.raises(UnavailableError):
        registry.lookup("10293847", date(1985, 3, 14))


@pytest.mark.parametrize(("settings", "message"), [
    ({}, "CIVIL_REGISTRY_URL is required"),
    ({"CIVIL_REGISTRY_URL": "http://r"}, "CIVIL_REGISTRY_API_KEY is required"),
    ({"CIVIL_REGISTRY_BACKEND": "ldap"}, "CIVIL_REGISTRY_BACKEND must be one of http, memory"),
    ({"CIVIL_REGISTRY_URL": "http://r", "CIVIL_REGISTRY_API_KEY": "k",
      "CIVIL_REGISTRY_RETRIES": "-1"}, "CIVIL_REGISTRY_RETRIES must be at least 0"),
])
def test_factory_reports_bad_settings(settings, message):
    with pytest.raises(ConfigurationError) as caught:
        civil_registry_from_settings(settings)
    assert str(caught.value) == message


def test_test_identities_are_valid_and_documented():
    citizens = json.loads(CITIZENS_FILE.read_text(encoding="utf-8"))["citizens"]
    docs = (ROOT / "docs" / "connectors.md").read_text(encoding="utf-8")
    registry = InMemoryCivilRegistry()

    assert len({c["national_id"] for c in citizens}) == len(citizens) >= 12
    assert {c["gender"] for c in citizens} == {"male", "female"}
    assert len({c["nationality"] for c in citizens}) >= 3
    assert {c["marital_status"] for c in citizens} == {m.value for m in MaritalStatus}
    for citizen in citizens:
        row = (f"| {citizen['national_id']} | {citizen['date_of_birth']} | "
               f"{citizen['name_en']['full']} | {citizen['name_ar']['full']} |")
        assert row in docs
        birthdate = date.fromisoformat(citizen["date_of_birth"])
        if citizen["national_id"] == ZAINAB[0]:
            continue
        assert registry.lookup(citizen["national_id"], birthdate).mobile == citizen["mobile"]
