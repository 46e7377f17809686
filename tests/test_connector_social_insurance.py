"""Social insurance client against the social insurance simulator over real sockets, and
the in-memory fake on the same interface: incomes and pensions by national ID, unknown
people, malformed records, and the outside failures, each its own error."""

import subprocess
import sys
from datetime import date
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from connectors.errors import ConfigurationError
from connectors.errors import CredentialsRejectedError
from connectors.errors import InvalidDataError
from connectors.errors import NotFoundError
from connectors.errors import RejectedError
from connectors.errors import ThrottledError
from connectors.errors import UnavailableError
from connectors.social_insurance import IncomeKind
from connectors.social_insurance import InsuredIncome
from connectors.social_insurance import InsuredPersonNotFoundError
from connectors.social_insurance import social_insurance_from_settings
from connectors.social_insurance.directory import InsuredDirectory
from connectors.social_insurance.http_client import LOOKUP_PATH
from connectors.social_insurance.http_client import HttpSocialInsurance
from connectors.social_insurance.http_client import SocialInsuranceSettings
from connectors.social_insurance.memory import InMemorySocialInsurance
from connectors.social_insurance.simulator import SocialInsuranceSimulator
from connectors.social_insurance.simulator import SocialInsuranceSimulatorConfig

from .connector_support import CaptureServer
from .connector_support import closed_port

ROOT = Path(__file__).resolve().parent.parent
RECORD = {"national_id": "10293847", "kind": "salary",
          "employer": "Muscat Engineering Services LLC",
          "employer_ar": "مسقط للخدمات الهندسية ش.م.م", "monthly_amount": "950.000",
          "currency": "OMR", "as_of": "2026-01-31"}


@pytest.fixture(scope="module")
def simulator():
    sim = SocialInsuranceSimulator(SocialInsuranceSimulatorConfig(port=0)).start()
    yield sim
    sim.stop()


@pytest.fixture(autouse=True)
def normal_mode(simulator):
    simulator.control.configure({"mode": "normal"})


def client(simulator, api_key=None, retries=0, sleeps=None):
    return HttpSocialInsurance(
        SocialInsuranceSettings(base_url=simulator.url,
                                api_key=api_key or simulator.config.api_key, timeout=3,
                                retries=retries),
        sleep=(sleeps.append if sleeps is not None else lambda s: None))


@pytest.fixture(params=["http", "memory"])
def fund(request, simulator):
    if request.param == "memory":
        return InMemorySocialInsurance(simulator.directory)
    return client(simulator)


def last_month_end():
    return date.today().replace(day=1) - timedelta(days=1)


def test_a_salary_and_a_pension(fund):
    ahmed = fund.insured_income("1029-3847")
    assert ahmed == InsuredIncome(
        national_id="10293847", kind=IncomeKind.SALARY,
        employer="Muscat Engineering Services LLC", employer_ar="مسقط للخدمات الهندسية ش.م.م",
        monthly_amount=Decimal("950.000"), currency="OMR", as_of=last_month_end())
    khalid = fund.insured_income("١٠٦٥٨٣٢١")  # Arabic-Indic digits
    assert (khalid.kind, khalid.employer, khalid.monthly_amount) == (
        IncomeKind.PENSION, "Social Protection Fund", Decimal("780.000"))
    assert fund.monthly_income("10831604") == Decimal("350.000")


def test_an_unknown_person_is_its_own_error(fund):
    with pytest.raises(InsuredPersonNotFoundError) as raised:
        fund.insured_income("20567890")  # in the civil registry, not insured
    assert isinstance(raised.value, NotFoundError)
    assert (raised.value.connector, raised.value.code) == ("social_insurance", "not_found")
    assert str(raised.value) == "no insured person with this national ID"


@pytest.mark.parametrize("bad", ["12", "abcdefgh", "1234567890123", None])
def test_a_malformed_national_id_never_leaves(fund, bad):
    with pytest.raises(InvalidDataError) as raised:
        fund.insured_income(bad)
    assert raised.value.field == "national_id"


def test_the_wire_answers(simulator):
    key = {"X-API-Key": simulator.config.api_key}
    found = requests.post(simulator.url + LOOKUP_PATH, json={"national_id": "10293847"},
                          headers=key, timeout=5)
    assert found.status_code == 200
    assert found.json() == {"income": {**RECORD, "as_of": last_month_end().isoformat()}}
    unknown = requests.post(simulator.url + LOOKUP_PATH, json={"national_id": "99999999"},
                            headers=key, timeout=5)
    assert unknown.status_code == 404
    assert unknown.json() == {"error": "not_found",
                              "error_description": "no insured person with this national ID"}
    for body in ({}, {"national_id": "12"}, {"national_id": 10293847}, ["10293847"]):
        bad = requests.post(simulator.url + LOOKUP_PATH, json=body, headers=key, timeout=5)
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"
    no_key = requests.post(simulator.url + LOOKUP_PATH, json={"national_id": "10293847"},
                           timeout=5)
    assert no_key.status_code == 401 and no_key.json()["error"] == "unauthorized"
    assert requests.get(simulator.url + "/health", timeout=5).json() == {"status": "ok"}


def test_outages_are_retried_then_unavailable(simulator):
    sleeps = []
    simulator.control.configure({"mode": "down", "count": 1})
    assert client(simulator, retries=1, sleeps=sleeps).monthly_income("10293847") == \
        Decimal("950.000")
    assert sleeps == [0.3]
    simulator.control.configure({"mode": "down"})
    with pytest.raises(UnavailableError) as raised:
        client(simulator, retries=2).insured_income("10293847")
    assert (raised.value.connector, raised.value.code) == ("social_insurance", "503")


def test_throttling_wrong_key_and_unreachable(simulator):
    simulator.control.configure({"mode": "throttle", "count": 1})
    with pytest.raises(ThrottledError) as raised:
        client(simulator).insured_income("10293847")
    assert raised.value.retry_after == 1.0
    with pytest.raises(CredentialsRejectedError):
        client(simulator, api_key="wrong").insured_income("10293847")
    closed = HttpSocialInsurance(SocialInsuranceSettings(
        base_url=f"http://127.0.0.1:{closed_port()}", api_key="k", timeout=1, retries=1),
        sleep=lambda s: None)
    with pytest.raises(UnavailableError) as raised:
        closed.insured_income("10293847")
    assert raised.value.code == "connection"


def test_a_slow_fund_times_out(simulator):
    simulator.control.configure({"mode": "slow", "delay": 3})
    fund = HttpSocialInsurance(SocialInsuranceSettings(simulator.url, "dev-social-insurance-key",
                                                       timeout=0.5, retries=0))
    with pytest.raises(UnavailableError) as raised:
        fund.insured_income("10293847")
    assert raised.value.code == "timeout"


@pytest.mark.parametrize("change, field", [
    ({"kind": "bonus"}, "kind"), ({"employer": ""}, "employer"),
    ({"monthly_amount": 950.0}, "monthly_amount"), ({"monthly_amount": "9.5000"},
                                                    "monthly_amount"),
    ({"monthly_amount": "-1.000"}, "monthly_amount"), ({"currency": "omr"}, "currency"),
    ({"as_of": "31/01/2026"}, "as_of"), ({"national_id": "10384756"}, "national_id"),
])
def test_malformed_records_name_the_field(change, field):
    with CaptureServer(status=200, body={"income": {**RECORD, **change}}) as fund_server:
        fund = HttpSocialInsurance(SocialInsuranceSettings(fund_server.url, "k"))
        with pytest.raises(InvalidDataError) as raised:
            fund.insured_income("10293847")
        fund.close()
    assert raised.value.field == field
    assert fund_server.received[0] == (LOOKUP_PATH, {"national_id": "10293847"})


def test_garbled_and_unexpected_answers():
    with CaptureServer(status=200, body=["not", "an", "object"]) as fund_server:
        with pytest.raises(UnavailableError):
            HttpSocialInsurance(SocialInsuranceSettings(fund_server.url, "k")
                                ).insured_income("10293847")
    with CaptureServer(status=404, body=None) as fund_server:  # a wrong URL, not a person
        with pytest.raises(RejectedError) as raised:
            HttpSocialInsurance(SocialInsuranceSettings(fund_server.url, "k")
                                ).insured_income("10293847")
    assert not isinstance(raised.value, NotFoundError)


def test_the_in_memory_fund_fails_on_demand():
    fund = InMemorySocialInsurance(InsuredDirectory([RECORD], today=date(2026, 5, 20)))
    assert fund.insured_income("10293847").as_of == date(2026, 1, 31)  # fixed by the record
    undated = {k: v for k, v in RECORD.items() if k != "as_of"}
    assert InsuredDirectory([undated], today=date(2026, 3, 1)).find("10293847")["as_of"] \
        == "2026-02-28"
    fund.fail_with = UnavailableError("down", connector="social_insurance")
    with pytest.raises(UnavailableError):
        fund.insured_income("10293847")


def test_settings(simulator):
    assert isinstance(social_insurance_from_settings(simulator.settings()),
                      HttpSocialInsurance)
    assert isinstance(social_insurance_from_settings({"SOCIAL_INSURANCE_BACKEND": "memory"}),
                      InMemorySocialInsurance)
    for bad in ({}, {"SOCIAL_INSURANCE_URL": "ftp://x", "SOCIAL_INSURANCE_API_KEY": "k"},
                {"SOCIAL_INSURANCE_URL": "http://x"}, {"SOCIAL_INSURANCE_BACKEND": "ldap"},
                {**simulator.settings(), "SOCIAL_INSURANCE_TIMEOUT": "soon"}):
        with pytest.raises(ConfigurationError) as raised:
            social_insurance_from_settings(bad)
        assert raised.value.connector == "social_insurance"


def test_the_command_serves_the_fund_and_prints_the_incomes():
    process = subprocess.Popen(
        [sys.executable, "-m", "connectors.social_insurance.simulator", "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()
        assert first.startswith("Social insurance simulator listening on http://127.0.0.1:")
        url = first.rsplit(" ", 1)[1].strip()
        fund = social_insurance_from_settings({"SOCIAL_INSURANCE_URL": url,
                                               "SOCIAL_INSURANCE_API_KEY":
                                               "dev-social-insurance-key"})
        assert fund.monthly_income("10475869") == Decimal("1200.000")
        banner = "".join(process.stdout.readline() for _ in range(8))
        assert "10293847" in banner and "950.000 OMR" in banner
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert process.returncode == 0
