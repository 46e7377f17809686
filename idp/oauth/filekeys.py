"""Signing keys kept as PEM files, for deployments configured without a PKCS#11 token."""

import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


class FileKeys:
    def __init__(self, directory):
        self.directory = Path(directory)
        self._cache = {}

    def generate(self, alg, key_id):
        if alg == "ES256":
            private = ec.generate_private_key(ec.SECP256R1())
        elif alg == "RS256":
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif alg == "EdDSA":
            private = ed25519.Ed25519PrivateKey.generate()
        else:
            raise ValueError(f"unsupported algorithm {alg}")
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(key_id)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        return private.public_key()

    def sign(self, alg, key_id, data):
        key = self._cache.get(key_id)
        if key is None:
            key = serialization.load_pem_private_key(self._path(key_id).read_bytes(), None)
            self._cache[key_id] = key
        if alg == "ES256":
            r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        if alg == "RS256":
            return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        if alg == "EdDSA":
            return key.sign(data)
        raise ValueError(f"unsupported algorithm {alg}")

    def destroy(self, key_id):
        self._path(key_id).unlink(missing_ok=True)
        self._cache.pop(key_id, None)

    def _path(self, key_id):
        return self.directory / f"{key_id}.pem"
