"""Sending and checking one-time codes: `send_code`, `resend_code`, `verify_code`.

The caller hands over the storage (an `OtpStore`), the SMS gateway (a
`connectors.sms.SmsGateway`), the server key and the time. Connector errors
(`connectors.errors`) pass through unchanged for the caller to explain and audit.

An unknown identity gets a decoy: a challenge like any other, counted against the send
limits under a key derived from the ID, whose code nobody knows, and no SMS. A decoy
takes about as long as a real send (the average of recent sends), and while the gateway
is failing a decoy fails the same way, so neither the answer nor its timing tells whether
an identity exists."""

import hmac
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from connectors.errors import ThrottledError
from connectors.errors import UnavailableError

from . import codes

PURPOSES = {
    "register": ("to create your Bawaba account", "لإنشاء حسابك في بوابة"),
    "login": ("to log in to Bawaba", "لتسجيل الدخول إلى بوابة"),
}
OUTAGE_HOLD = 60  # seconds decoys keep failing after the gateway last failed
MAX_DECOY_DELAY = 3.0


class OtpStore(Protocol):
    """The storage functions the service needs (idp.citizens.otp_store over the models)."""

    def count_sends(self, *, since, number_key=None, ip=None) -> int: ...
    def record_send(self, number_key, ip, at) -> None: ...
    def add_challenge(self, **fields): ...
    def find_challenge(self, public_id): ...
    def count_try(self, challenge) -> None: ...


def message_text(purpose, code, minutes):
    """The SMS: English then Arabic, naming the service and what the code is for."""
    english, arabic = PURPOSES[purpose]
    return (f"Bawaba: {code} is your code {english}. It expires in {minutes} minutes. "
            f"Never share it with anyone.\n"
            f"بوابة: {code} هو رمزك {arabic}. تنتهي صلاحيته خلال {minutes} دقائق. "
            f"لا تشاركه مع أي أحد.")


@dataclass(frozen=True)
class Request:
    """Who asks for a code: the browser binding, the IP address and the time."""

    binding: str
    ip: str | None
    now: object


class OtpService:
    def __init__(self, store, gateway, key, policy=None, sleep=time.sleep):
        self.store = store
        self.gateway = gateway
        self.key = key
        self.policy = policy or codes.CodePolicy()
        self.sleep = sleep
        self._lock = threading.Lock()
        self._send_seconds = 0.0  # moving average of real sends
        self._gateway_failed_at = None  # monotonic time of the last gateway failure
        self._gateway_failure = UnavailableError  # and its kind

    def send_code(self, request, purpose, *, msisdn=None, national_id=None, citizen_id=None,
                  payload=None):
        """Make a challenge and send its code to `msisdn`; with no `msisdn`, a decoy keyed
        by `national_id`. Returns the challenge. Raises AddressThrottledError,
        NumberThrottledError, or the gateway's ConnectorError."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown purpose {purpose!r}")
        key = (codes.number_key(self.key, msisdn) if msisdn
               else codes.decoy_key(self.key, national_id or ""))
        self._check_limits(request, key)
        public_id = codes.new_challenge_id()
        code = codes.new_code()
        challenge = self.store.add_challenge(
            public_id=public_id, purpose=purpose, citizen_id=citizen_id, msisdn=msisdn,
            number_key=key, binding=request.binding,
            code_digest=codes.code_digest(self.key, public_id, code), sends=1, tries=0,
            created_at=request.now, last_sent_at=request.now,
            expires_at=codes.expiry(request.now, self.policy), payload=payload)
        self._deliver(challenge, code, request)
        return challenge

    def resend_code(self, request, public_id):
        """A new code for the challenge this browser holds; the old one stops working."""
        challenge = self.store.find_challenge(public_id)
        if challenge is None or not hmac.compare_digest(challenge.binding, request.binding):
            raise codes.NoChallengeError()
        if challenge.used_at is not None:
            raise codes.CodeUsedError()
        wait = codes.resend_wait(challenge.last_sent_at, request.now, self.policy)
        if wait:
            raise codes.ResendTooSoonError(wait)
        self._check_limits(request, challenge.number_key)
        code = codes.new_code()
        previous = (challenge.code_digest, challenge.tries, challenge.expires_at)
        challenge.code_digest = codes.code_digest(self.key, challenge.public_id, code)
        challenge.sends += 1
        challenge.tries = 0
        challenge.expires_at = codes.expiry(request.now, self.policy)
        try:
            self._deliver(challenge, code, request)
        except Exception:
            challenge.code_digest, challenge.tries, challenge.expires_at = previous
            challenge.sends -= 1
            raise
        challenge.last_sent_at = request.now
        return challenge

    def verify_code(self, request, public_id, code):
        """Accept `code` for the challenge this browser holds, once; returns the challenge.
        Raises the reason from `codes.check_code`; a wrong code counts a try."""
        challenge = self.store.find_challenge(public_id) if public_id else None
        try:
            codes.check_code(challenge, request.binding, code, self.key, request.now,
                             self.policy)
        except codes.WrongCodeError:
            self.store.count_try(challenge)
            raise
        challenge.used_at = request.now
        return challenge

    def check_address(self, request):
        """Raise AddressThrottledError when this address may not ask for more codes: the
        cheap check to make before any registry lookup or password hash."""
        since = codes.window_start(request.now, self.policy)
        codes.check_send_allowed(0, self.store.count_sends(since=since, ip=request.ip or "-"),
                                 self.policy)

    def clear_outage(self):
        """Forget a gateway failure (the next real send would clear it too)."""
        with self._lock:
            self._gateway_failed_at = None

    def _check_limits(self, request, key):
        since = codes.window_start(request.now, self.policy)
        from_address = self.store.count_sends(since=since, ip=request.ip or "-")
        to_number = self.store.count_sends(since=since, number_key=key)
        codes.check_send_allowed(to_number, from_address, self.policy)

    def _deliver(self, challenge, code, request):
        if challenge.msisdn is None:
            self._pretend()
        else:
            self._send(challenge, code)
        self.store.record_send(challenge.number_key, request.ip or "-", request.now)

    def _send(self, challenge, code):
        text = message_text(challenge.purpose, code, self.policy.lifetime // 60)
        started = time.monotonic()
        try:
            receipt = self.gateway.send(challenge.msisdn, text,
                                        reference=f"{challenge.public_id}.{challenge.sends}")
        except (UnavailableError, ThrottledError) as error:
            with self._lock:
                self._gateway_failed_at = time.monotonic()
                self._gateway_failure = type(error)
            raise
        took = time.monotonic() - started
        challenge.message_id = receipt.message_id[:64]  # for the login's evidence
        with self._lock:
            self._gateway_failed_at = None
            self._send_seconds = took if not self._send_seconds else (
                0.8 * self._send_seconds + 0.2 * took)

    def _pretend(self):
        """A decoy's stand-in for a send: as long as a real one, failing while the gateway
        fails."""
        with self._lock:
            failed_at = self._gateway_failed_at
            failure = self._gateway_failure
            delay = min(self._send_seconds, MAX_DECOY_DELAY)
        if failed_at is not None and time.monotonic() - failed_at < OUTAGE_HOLD:
            raise failure("SMS gateway failing (decoy)", connector="sms", code="decoy")
        if delay:
            self.sleep(delay)


def registration_window(challenge, now, minutes=10):
    """True while a verified registration challenge may still be finished."""
    return challenge.used_at is not None and now - challenge.used_at < timedelta(minutes=minutes)
