"""MSSP_* settings per operator, routing a number to its operator, the ETSI code table and
the verification code."""

import pytest

from connectors.errors import ConfigurationError
from connectors.errors import InvalidMsisdnError
from connectors.mssp import FaultCode
from connectors.mssp import Outcome
from connectors.mssp import PendingSignature
from connectors.mssp import mobile_id_operators_from_settings
from connectors.mssp import verification_code
from connectors.mssp.codes import FAULT_OUTCOMES
from connectors.mssp.codes import STATUS_OUTCOMES
from connectors.mssp.errors import ERRORS
from connectors.mssp.errors import NotACustomerError
from connectors.mssp.errors import fault_error

from .mssp_support import now

OPERATOR = {"URL": "https://mssp.operator-a.example", "AP_ID": "bawaba",
            "AP_PASSWORD": "secret-a", "SIGNATURE_PROFILE": "http://operator-a.example/auth"}


def operators(extra=None, **per_operator):
    settings = {"MSSP_OPERATORS": "alpha, beta"}
    for name in ("ALPHA", "BETA"):
        for key, value in {**OPERATOR, **per_operator.get(name.lower(), {})}.items():
            if value is not None:
                settings[f"MSSP_{name}_{key}"] = value
    return mobile_id_operators_from_settings({**settings, **(extra or {})})


def test_each_operator_gets_its_own_client():
    built = operators(alpha={"PREFIXES": "+96891,+96892", "CLIENT_CERT": "/etc/ap.crt",
                             "CLIENT_KEY": "/etc/ap.key", "CA_FILE": "/etc/mssp-ca.pem",
                             "READ_TIMEOUT": "3", "POLL_INTERVAL": "1.5",
                             "TRANSACTION_TIMEOUT": "90", "MSSP_ID": "http://mssp.a"},
                      beta={"URL": "https://mssp.operator-b.example/"})
    alpha, beta = built.client("alpha").settings, built.client("beta").settings
    assert (alpha.client_cert, alpha.client_key, alpha.ca_file) == (
        "/etc/ap.crt", "/etc/ap.key", "/etc/mssp-ca.pem")
    assert (alpha.read_timeout, alpha.connect_timeout, alpha.poll_interval) == (3.0, 5.0, 1.5)
    assert (alpha.transaction_timeout, alpha.mssp_id) == (90, "http://mssp.a")
    assert alpha.msisdn_prefixes == ("+96891", "+96892")
    assert beta.service_url == "https://mssp.operator-b.example/rest/service"
    assert "secret-a" not in repr(alpha)


def test_numbers_go_to_the_operator_with_the_longest_prefix():
    built = operators(alpha={"PREFIXES": "+968"}, beta={"PREFIXES": "+96892"})
    assert built.for_msisdn("+96891234567").settings.operator == "alpha"
    assert built.for_msisdn("92345678").settings.operator == "beta"
    with pytest.raises(NotACustomerError) as raised:
        built.for_msisdn("+971501234567")
    assert raised.value.code == "routing"
    with pytest.raises(InvalidMsisdnError):
        built.for_msisdn("not a number")


def test_an_operator_without_prefixes_serves_the_rest():
    built = operators(beta={"PREFIXES": "+96892"})
    assert built.for_msisdn("+971501234567").settings.operator == "alpha"
    assert built.for_msisdn("+96892345678").settings.operator == "beta"


def test_no_operators_configured():
    assert mobile_id_operators_from_settings({}).clients == {}
    with pytest.raises(NotACustomerError):
        mobile_id_operators_from_settings({}).for_msisdn("+96891234567")


@pytest.mark.parametrize(("extra", "per_operator", "message"), [
    ({}, {"alpha": {"URL": None}}, "MSSP_ALPHA_URL is required"),
    ({}, {"beta": {"AP_PASSWORD": None}}, "MSSP_BETA_AP_PASSWORD is required"),
    ({}, {"alpha": {"SIGNATURE_PROFILE": None}}, "MSSP_ALPHA_SIGNATURE_PROFILE is required"),
    ({}, {"alpha": {"URL": "ftp://mssp"}}, "MSSP alpha: URL must be http(s)"),
    ({}, {"alpha": {"CLIENT_KEY": "/k"}}, "MSSP alpha: a client key needs a client certificate"),
    ({}, {"alpha": {"READ_TIMEOUT": "soon"}}, "MSSP_ALPHA_READ_TIMEOUT must be a number"),
    ({}, {"alpha": {"TRANSACTION_TIMEOUT": "601"}},
     "MSSP alpha: transaction timeout must be 1-600 seconds"),
    ({}, {"alpha": {"PREFIXES": "968"}}, "MSSP_ALPHA_PREFIXES must be E.164 prefixes"),
    ({"MSSP_OPERATORS": "alpha,alpha"}, {}, "MSSP_OPERATORS must list distinct"),
    ({"MSSP_OPERATORS": "alpha,be ta"}, {}, "MSSP_OPERATORS must list distinct"),
])
def test_bad_settings_are_refused_when_built(extra, per_operator, message):
    with pytest.raises(ConfigurationError) as raised:
        operators(extra, **per_operator)
    assert str(raised.value).startswith(message)
    assert "secret-a" not in str(raised.value)


def test_every_code_has_an_outcome_and_every_failure_an_exception():
    assert set(FAULT_OUTCOMES) == set(FaultCode)
    failures = set(Outcome) - {Outcome.OUTSTANDING, Outcome.SIGNED}
    assert set(ERRORS) == failures
    assert set(FAULT_OUTCOMES.values()) | set(STATUS_OUTCOMES.values()) <= set(Outcome)
    for code, outcome in FAULT_OUTCOMES.items():
        error = fault_error(code, "detail")
        assert (error.outcome, error.code, error.connector) == (outcome, str(code.value), "mssp")
    assert FAULT_OUTCOMES[FaultCode.UNAUTHORIZED_ACCESS] is Outcome.UNKNOWN_CLIENT
    assert FAULT_OUTCOMES[FaultCode.UNKNOWN_CLIENT] is Outcome.NOT_A_CUSTOMER


def test_verification_code_takes_6_bits_from_the_start_and_7_from_the_end_of_sha256():
    # SHA-256("") = e3b0...b855: (0xe3 >> 2) << 7 | (0x55 & 0x7f) = 7168 + 85
    assert verification_code(b"") == "7253"
    codes = {verification_code(bytes([i])) for i in range(200)}
    assert all(len(c) == 4 and c.isdigit() and int(c) < 8192 for c in codes)
    assert len(codes) > 150


def test_pending_signature_survives_storage():
    pending = PendingSignature("alpha", "+96891234567", b"\x00challenge", "A1", "T1", now(),
                               now())
    assert PendingSignature.from_dict(pending.to_dict()) == pending
