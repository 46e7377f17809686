"""SoftHSM2 tokens acting as ID cards, for the card login tests: a process of its own
(as the card agent is), because a PKCS#11 library sees only the tokens that existed when
it was initialised and allows one login per token and process.

Reads one JSON request per line on stdin, answers one JSON line on stdout:
    {"op": "keygen", "label", "pin", "key": "p256"|"p384"|"rsa2048"}
        → {"csr": PEM}: a key pair made on the token (CKA_ID 01, never extractable) and a
          certificate request signed by it (the proof of possession the CA asks for)
    {"op": "store", "label", "pin", "certificate": hex DER}
        → {}: the card's certificate put on the token (CKA_ID 01), replacing any before,
          for a card agent to read
    {"op": "sign", "label", "pin", "algorithm": "ES256"…, "data": hex}
        → {"signature": hex}: the JWS signature (RFC 7518 §3) of data, as a card agent makes
          it: CKM_ECDSA over the hash (raw r ‖ s), CKM_SHA*_RSA_PKCS, CKM_SHA*_RSA_PKCS_PSS
Errors → {"error": text}. SOFTHSM2_CONF names the cards' token directory."""

import base64
import hashlib
import json
import sys

import pkcs11
from asn1crypto import csr as asn1_csr
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import PublicFormat
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pkcs11 import MGF
from pkcs11 import Attribute
from pkcs11 import CertificateType
from pkcs11 import KeyType
from pkcs11 import Mechanism
from pkcs11 import ObjectClass
from pkcs11.util.ec import encode_ec_public_key
from pkcs11.util.ec import encode_named_curve_parameters
from pkcs11.util.rsa import encode_rsa_public_key

KEY_ID = b"\x01"
CURVES = {"p256": "secp256r1", "p384": "secp384r1"}
HASHES = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}
RSA_PKCS = {"256": Mechanism.SHA256_RSA_PKCS, "384": Mechanism.SHA384_RSA_PKCS,
            "512": Mechanism.SHA512_RSA_PKCS}
RSA_PSS = {"256": (Mechanism.SHA256_RSA_PKCS_PSS, (Mechanism.SHA256, MGF.SHA256, 32)),
           "384": (Mechanism.SHA384_RSA_PKCS_PSS, (Mechanism.SHA384, MGF.SHA384, 48)),
           "512": (Mechanism.SHA512_RSA_PKCS_PSS, (Mechanism.SHA512, MGF.SHA512, 64))}
PRIVATE = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False}


def keygen(session, label, kind):
    if kind in CURVES:
        parameters = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(CURVES[kind])},
            local=True)
        public, private = parameters.generate_keypair(store=True, label="Authentication",
                                                      id=KEY_ID, private_template=PRIVATE)
        public_key = load_der_public_key(encode_ec_public_key(public))
    else:
        public, private = session.generate_keypair(KeyType.RSA, int(kind.removeprefix("rsa")),
                                                   store=True, label="Authentication",
                                                   id=KEY_ID, private_template=PRIVATE)
        public_key = load_der_public_key(encode_rsa_public_key(public))
    spki = public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    info = asn1_csr.CertificationRequestInfo({
        "version": "v1",
        "subject": asn1_x509.Name.build({"common_name": label}),
        "subject_pk_info": asn1_keys.PublicKeyInfo.load(spki),
        "attributes": [],
    })
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        raw = private.sign(hashlib.sha256(info.dump()).digest(), mechanism=Mechanism.ECDSA)
        half = len(raw) // 2
        signature = encode_dss_signature(int.from_bytes(raw[:half], "big"),
                                         int.from_bytes(raw[half:], "big"))
        algorithm = "sha256_ecdsa"
    else:
        signature = private.sign(info.dump(), mechanism=Mechanism.SHA256_RSA_PKCS)
        algorithm = "sha256_rsa"
    request = asn1_csr.CertificationRequest({
        "certification_request_info": info,
        "signature_algorithm": {"algorithm": algorithm},
        "signature": signature,
    })
    body = base64.encodebytes(request.dump()).decode()
    return f"-----BEGIN CERTIFICATE REQUEST-----\n{body}-----END CERTIFICATE REQUEST-----\n"


def store(session, der):
    for old in list(session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE,
                                          Attribute.ID: KEY_ID})):
        old.destroy()
    certificate = asn1_x509.Certificate.load(der)
    session.create_object({
        Attribute.CLASS: ObjectClass.CERTIFICATE,
        Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
        Attribute.TOKEN: True,
        Attribute.ID: KEY_ID,
        Attribute.LABEL: "Authentication",
        Attribute.SUBJECT: certificate.subject.dump(),
        Attribute.ISSUER: certificate.issuer.dump(),
        Attribute.SERIAL_NUMBER: certificate["tbs_certificate"]["serial_number"].dump(),
        Attribute.VALUE: der,
    })


def sign(session, algorithm, data):
    key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=KEY_ID)
    bits = algorithm[-3:]
    if algorithm.startswith("ES"):
        return key.sign(HASHES[bits](data).digest(), mechanism=Mechanism.ECDSA)
    if algorithm.startswith("PS"):
        mechanism, parameters = RSA_PSS[bits]
        return key.sign(data, mechanism=mechanism, mechanism_param=parameters)
    return key.sign(data, mechanism=RSA_PKCS[bits])


def answer(lib, request):
    token = lib.get_token(token_label=request["label"])
    with token.open(user_pin=request["pin"], rw=True) as session:
        if request["op"] == "keygen":
            return {"csr": keygen(session, request["label"], request["key"])}
        if request["op"] == "store":
            store(session, bytes.fromhex(request["certificate"]))
            return {}
        if request["op"] == "sign":
            data = bytes.fromhex(request["data"])
            return {"signature": sign(session, request["algorithm"], data).hex()}
    raise ValueError(f"unknown op {request['op']!r}")


def main(module):
    lib = pkcs11.lib(module)
    for line in sys.stdin:
        try:
            reply = answer(lib, json.loads(line))
        except Exception as error:  # the test reads the reason
            reply = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
