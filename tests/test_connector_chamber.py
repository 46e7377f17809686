"""Chamber of commerce client against the chamber simulator over real sockets, and the
in-memory fake on the same interface: establishments, owners, certified letters (the
signature, the record, key rotation) and the outside failures, each its own error."""

from datetime import date
from datetime import timedelta

import pytest
from joserfc.jwk import ECKey

from connectors.chamber import EstablishmentStatus
from connectors.chamber import chamber_from_settings
from connectors.chamber.errors import LetterMalformedError
from connectors.chamber.errors import LetterNotOnRecordError
from connectors.chamber.errors import LetterSignatureError
from connectors.chamber.errors import LetterUnknownKeyError
from connectors.chamber.errors import LetterWithdrawnError
from connectors.chamber.http_client import ChamberSettings
from connectors.chamber.http_client import HttpChamber
from connectors.chamber.letters import sign_letter
from connectors.chamber.memory import InMemoryChamber
from connectors.chamber.simulator import ChamberSimulator
from connectors.chamber.simulator import ChamberSimulatorConfig
from connectors.errors import ConfigurationError
from connectors.errors import CredentialsRejectedError
from connectors.errors import InvalidDataError
from connectors.errors import ThrottledError
from connectors.errors import UnavailableError

LETTER = "OCCI-2026-000101"


@pytest.fixture(scope="module")
def simulator():
    sim = ChamberSimulator(ChamberSimulatorConfig(port=0)).start()
    yield sim
    sim.stop()


@pytest.fixture(autouse=True)
def normal_mode(simulator):
    simulator.control.configure({"mode": "normal"})


def client(simulator, api_key=None, clock=None, **settings):
    extra = {"clock": clock} if clock else {}
    return HttpChamber(ChamberSettings(base_url=simulator.url,
                                       api_key=api_key or simulator.config.api_key,
                                       timeout=3, retries=settings.pop("retries", 0),
                                       **settings), sleep=lambda s: None, **extra)


@pytest.fixture(params=["http", "memory"])
def chamber(request, simulator):
    if request.param == "memory":
        return InMemoryChamber(simulator.directory)
    return client(simulator)


def fields(**changes):
    today = date.today()
    return {"letter_number": "OCCI-TEST-000001", "cr_number": "1234567",
            "establishment_name": "Al Noor Trading LLC", "owner_national_id": "10475869",
            "agent_national_id": "10293847", "permissions": ["work_permit.issue"],
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=10)).isoformat(),
            "certified_at": "2026-01-01T08:00:00Z", **changes}


def test_establishments_and_owners(chamber):
    found = chamber.establishment("123-4567")
    assert (found.cr_number, found.name, found.status) == (
        "1234567", "Al Noor Trading LLC", EstablishmentStatus.ACTIVE)
    assert found.name_ar == "شركة النور للتجارة ش.م.م"
    assert chamber.establishment("3456789").status is EstablishmentStatus.STRUCK_OFF
    assert chamber.establishment("9999999") is None
    assert chamber.is_owner("1234567", "10475869") is True
    assert chamber.is_owner("1234567", "10293847") is False
    assert chamber.is_owner("9999999", "10475869") is False
    with pytest.raises(InvalidDataError):
        chamber.establishment("12")


def test_a_certified_letter_verifies(chamber, simulator):
    letter = chamber.verify_letter(simulator.directory.letter(LETTER)["document"])
    assert (letter.number, letter.cr_number, letter.agent_national_id) == (
        LETTER, "1234567", "10293847")
    assert letter.permissions == ("work_permit.issue", "work_permit.renew",
                                  "absence_report.file")
    assert letter.key_id == simulator.directory.key.kid


def test_bad_letters_each_have_their_reason(chamber, simulator):
    genuine = simulator.directory.letter(LETTER)["document"]
    header, payload, signature = genuine.split(".")
    other = ECKey.generate_key("P-256", parameters={"kid": simulator.directory.key.kid},
                               private=True)
    stranger = ECKey.generate_key("P-256", parameters={"kid": "stranger"}, private=True)
    cases = [
        ("", LetterMalformedError), ("a.b", LetterMalformedError),
        ("x" * 20000, LetterMalformedError), ("e30.e30.e30", LetterMalformedError),
        (sign_letter(fields(), other), LetterSignatureError),
        (f"{header}.{payload}.{signature[:-4]}AAAA", LetterSignatureError),
        (sign_letter(fields(), stranger), LetterUnknownKeyError),
        (sign_letter(fields(), simulator.directory.key), LetterNotOnRecordError),
        (simulator.directory.letter("OCCI-2026-000102")["document"], LetterWithdrawnError),
        (sign_letter(fields(permissions="all"), simulator.directory.key), LetterMalformedError),
        (sign_letter(fields(valid_until="2000-01-01"), simulator.directory.key),
         LetterMalformedError),
        (sign_letter(fields(agent_national_id="x"), simulator.directory.key),
         LetterMalformedError),
    ]
    for document, error in cases:
        with pytest.raises(error):
            chamber.verify_letter(document)


def test_new_chamber_keys_are_read_again_once(simulator):
    now = [0.0]
    chamber = client(simulator, clock=lambda: now[0], keys_cache=300)
    chamber.verify_letter(simulator.directory.letter(LETTER)["document"])
    old = simulator.directory.key
    simulator.directory.key = ECKey.generate_key("P-256", parameters={"kid": "rotated"},
                                                 private=True)
    try:
        fresh = simulator.directory.certify(fields(letter_number="OCCI-TEST-ROTATE"))
        assert chamber.verify_letter(fresh["document"]).key_id == "rotated"
    finally:
        simulator.directory.key = old


@pytest.mark.parametrize("mode, error", [
    ("down", UnavailableError), ("throttle", ThrottledError)])
def test_outside_failures(simulator, mode, error):
    simulator.control.configure({"mode": mode})
    with pytest.raises(error) as raised:
        client(simulator).establishment("1234567")
    assert raised.value.connector == "chamber"


def test_wrong_api_key_and_unreachable_chamber(simulator):
    with pytest.raises(CredentialsRejectedError):
        client(simulator, api_key="wrong").is_owner("1234567", "10475869")
    closed = HttpChamber(ChamberSettings(base_url="http://127.0.0.1:9", api_key="k",
                                         timeout=1, retries=1), sleep=lambda s: None)
    with pytest.raises(UnavailableError) as raised:
        closed.establishment("1234567")
    assert raised.value.code == "connection"


def test_settings(simulator):
    assert isinstance(chamber_from_settings(simulator.settings()), HttpChamber)
    assert isinstance(chamber_from_settings({"CHAMBER_BACKEND": "memory"}), InMemoryChamber)
    for bad in ({}, {"CHAMBER_URL": "ftp://x", "CHAMBER_API_KEY": "k"},
                {"CHAMBER_URL": "http://x"}, {"CHAMBER_BACKEND": "ldap"}):
        with pytest.raises(ConfigurationError):
            chamber_from_settings(bad)
