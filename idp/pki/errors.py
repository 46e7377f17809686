"""PKI failures, one class per reason. `code` is the stable name written to the audit log
and sent on the wire; `message` is short, safe text for the person; `detail` (the
constructor argument) is for the log only."""


class PkiError(Exception):
    code = "pki_error"
    message = "The certificate operation failed."

    def __init__(self, detail=None):
        super().__init__(detail or self.message)
        self.detail = detail or self.message


# Certificate authority: requests and administration


class CsrMalformedError(PkiError):
    code = "csr_malformed"
    message = "The certificate signing request cannot be read."


class CsrSignatureError(PkiError):
    code = "csr_signature_invalid"
    message = "The certificate signing request is not signed by its own key."


class WeakKeyError(PkiError):
    code = "weak_key"
    message = "The key in the request is not allowed: use ECDSA P-256/P-384 or RSA 2048-4096."


class UnknownProfileError(PkiError):
    code = "unknown_profile"
    message = "There is no such certificate profile."


class InvalidCitizenDataError(PkiError):
    code = "invalid_citizen_data"
    message = "The national ID or names are not valid."


class UnknownCertificateError(PkiError):
    code = "unknown_certificate"
    message = "No certificate with this serial number was issued here."


class InvalidReasonError(PkiError):
    code = "invalid_reason"
    message = "This is not a revocation reason that can be used here."


class AlreadyRevokedError(PkiError):
    code = "already_revoked"
    message = "The certificate is already revoked."


class NotOnHoldError(PkiError):
    code = "not_on_hold"
    message = "Only a certificate on hold can be released."


class HierarchyExistsError(PkiError):
    code = "hierarchy_exists"
    message = "The certificate authority hierarchy already exists."


class HierarchyMissingError(PkiError):
    code = "hierarchy_missing"
    message = "The certificate authority hierarchy does not exist yet (run `idp pki init`)."


class SigningError(PkiError):
    code = "signing_failed"
    message = "The token's signature did not verify."


# OCSP responder (RFC 6960 §2.3)


class OcspMalformedRequestError(PkiError):
    code = "malformed_request"
    message = "The OCSP request cannot be read."


class OcspUnauthorizedError(PkiError):
    code = "unauthorized"
    message = "This responder does not answer for that issuer."


# Validation


class ValidationError(PkiError):
    code = "invalid_certificate"
    message = "The certificate cannot be accepted."


class MalformedCertificateError(ValidationError):
    code = "certificate_malformed"
    message = "The certificate cannot be read."


class CertificateExpiredError(ValidationError):
    code = "certificate_expired"
    message = "The certificate has expired."


class CertificateNotYetValidError(ValidationError):
    code = "certificate_not_yet_valid"
    message = "The certificate is not valid yet."


class UntrustedCertificateError(ValidationError):
    code = "certificate_untrusted"
    message = "The certificate was not issued by a trusted authority."


class ChainTooLongError(UntrustedCertificateError):
    code = "chain_too_long"
    message = "The certificate chain is longer than allowed."


class WrongPurposeError(ValidationError):
    code = "wrong_purpose"
    message = "The certificate is not meant for authentication."


class WeakCertificateKeyError(ValidationError):
    code = "weak_certificate_key"
    message = "The certificate's key is not strong enough."


class WrongPolicyError(ValidationError):
    code = "wrong_policy"
    message = "The certificate is not issued for this login method."


class CertificateRevokedError(ValidationError):
    code = "certificate_revoked"
    message = "The certificate has been revoked."

    def __init__(self, detail=None, reason=None, revoked_at=None):
        super().__init__(detail)
        self.reason, self.revoked_at = reason, revoked_at


class CertificateOnHoldError(CertificateRevokedError):
    code = "certificate_on_hold"
    message = "The certificate is suspended."


class RevocationSourceError(PkiError):
    """One revocation source (an OCSP responder, a CRL) gave no usable answer; the next
    source is tried, and RevocationUnknownError follows when none is left."""

    code = "revocation_source_failed"
    message = "A revocation source gave no usable answer."


class RevocationUnknownError(ValidationError):
    code = "revocation_unknown"
    message = "The certificate's status cannot be checked right now. Try again later."


# Signatures made by cards and SIMs


class InvalidSignatureError(PkiError):
    code = "signature_invalid"
    message = "The signature does not verify."


class UnsupportedAlgorithmError(PkiError):
    code = "unsupported_algorithm"
    message = "This signature algorithm is not supported."


# Web eID authentication tokens and their challenges (challenge.py)


class AuthenticationTokenError(PkiError):
    code = "authentication_failed"
    message = "The card login could not be verified."


class ChallengeMissingError(AuthenticationTokenError):
    code = "challenge_missing"
    message = "No challenge was issued for this login."


class ChallengeUnknownError(AuthenticationTokenError):
    code = "challenge_unknown"
    message = "The challenge was not issued here."


class ChallengeReplayedError(AuthenticationTokenError):
    code = "challenge_replayed"
    message = "The challenge has already been used."


class ChallengeTransactionError(AuthenticationTokenError):
    code = "challenge_other_transaction"
    message = "The challenge was issued for another login."


class ChallengeOriginError(AuthenticationTokenError):
    code = "challenge_wrong_origin"
    message = "The challenge was issued for another site."


class ChallengeExpiredError(AuthenticationTokenError):
    code = "challenge_expired"
    message = "The challenge has expired."


class MalformedTokenError(AuthenticationTokenError):
    code = "token_malformed"
    message = "The authentication token is not a JSON object of the expected size."


class TokenFieldMissingError(AuthenticationTokenError):
    code = "token_field_missing"
    message = "The authentication token lacks a required field."


class TokenFieldTypeError(AuthenticationTokenError):
    code = "token_field_invalid"
    message = "A field of the authentication token has the wrong type or size."


class TokenFormatError(AuthenticationTokenError):
    code = "token_format_unsupported"
    message = "The authentication token's format is not supported."


class TokenEncodingError(AuthenticationTokenError):
    code = "token_base64_invalid"
    message = "A field of the authentication token is not valid base64."


class AlgorithmNotAllowedError(AuthenticationTokenError):
    code = "algorithm_not_allowed"
    message = "The authentication token's signature algorithm is not allowed."


class AlgorithmKeyMismatchError(AuthenticationTokenError):
    code = "algorithm_key_mismatch"
    message = "The signature algorithm does not fit the certificate's key."
