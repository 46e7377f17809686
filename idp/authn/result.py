"""What a login method hands to the provider when a person has authenticated."""

from dataclasses import dataclass


@dataclass(frozen=True)
class AuthenticationResult:
    subject: str  # the account's `sub`
    method: str  # the authenticator's name
    acr: str
    amr: tuple[str, ...]  # RFC 8176 values
    auth_time: int  # seconds since the epoch
    evidence_ref: str | None = None  # the evidence record that explains the acr
    # Details for the evidence record when the method made none itself (evidence.py):
    # e.g. {"sms_message_id": ..., "sms_reference": ...}.
    evidence: dict | None = None
