"""What the provider checks in a signed Mobile ID answer before it believes it, cheap
checks first, each failure its own reason code:

1. the answer is about exactly the challenge this provider sent (``data_mismatch``);
2. the signature verifies over that challenge with the leaf certificate's key
   (``signature_invalid``, ``unsupported_algorithm``; idp/pki/signatures.py);
3. the leaf certificate passes the PKI core's SIM validator, with the rest of the chain the
   MSSP sent as intermediates: SIM policy, path to our Mobile ID CA, revocation
   (the idp.pki.errors codes: ``wrong_policy``, ``certificate_untrusted``,
   ``certificate_revoked`` ...);
4. its subject serialNumber is the national ID the person entered or the client hinted
   (``national_id_mismatch``).

The connector (connectors/mssp) only reads the answer; nothing here trusts it."""

import hmac

from ..pki.signatures import scheme_for
from ..pki.signatures import verify_signature

ALGORITHMS = {"ecdsa-der": "ES256", "rsa-pkcs1v15": "RS256"}


class MobileIdVerificationError(Exception):
    """A refusal decided here rather than by idp.pki; ``code`` is the reason."""

    def __init__(self, code, detail=None):
        super().__init__(detail or code)
        self.code = code


def verify(signature, challenge, validator, now, national_id=None):
    """The ValidatedCertificate behind a MobileSignature, or an exception with ``code``
    (MobileIdVerificationError, or an idp.pki.errors.PkiError)."""
    if not hmac.compare_digest(signature.data, challenge):
        raise MobileIdVerificationError("data_mismatch", "the answer is about other data")
    scheme = scheme_for(signature.certificate)
    if scheme not in ALGORITHMS:
        raise MobileIdVerificationError("unsupported_algorithm", f"{scheme} SIM key")
    verify_signature(signature.certificate, signature.signature, challenge, scheme)
    validated = validator.validate(signature.certificate, now,
                                   intermediates=signature.chain[1:])
    if national_id is not None and validated.national_id != national_id:
        raise MobileIdVerificationError(
            "national_id_mismatch", "the certificate belongs to another national ID")
    return validated


def algorithm_of(certificate):
    """The JOSE name of the signature the SIM made (ES256, RS256), for the evidence."""
    return ALGORITHMS.get(scheme_for(certificate))
