"""A PIV card (NIST SP 800-73-4 Part 2, card commands) emulated in software behind the
vsmartcard virtual reader driver (vpcd), for development and tests without hardware.

OpenSC's PIV driver recognises it, so the whole real path runs: pcscd, PC/SC clients
(pyscard), and OpenSC's PKCS#11 module. The card answers what that driver needs:

- SELECT of the PIV application (§3.1.1); other applications: 6A82.
- GET DATA (§3.1.2) for the CHUID, the discovery object and the authentication
  certificate (slot 9A); long answers are chained with 61xx and GET RESPONSE
  (ISO/IEC 7816-4 §7.1.3).
- VERIFY of the PIV PIN, key reference 80 (§3.2.1): 9000, 63Cx (x tries left) or 6983
  (blocked); without data it reports the tries left; P1=FF resets the verification.
- GENERAL AUTHENTICATE (§3.2.4) with the 9A key, command-chained (CLA 10): a P-256 or
  P-384 key signs the hash it is given (DER ECDSA-Sig-Value); an RSA key returns the
  raw RSA of the padded block.

vpcd (vsmartcard's `vpcd` driver for pcsc-lite) listens on 127.0.0.1:35963 for the
first virtual reader. Frames are a 2-byte big-endian length and a payload: a 1-byte
payload is a control (0 power off, 1 power on, 2 reset, 4 get ATR), anything longer a
command APDU answered by the response APDU. Connecting inserts the card, disconnecting
removes it.

Run ``python -m connectors.card_reader.emulator --lab DIR`` to insert the card that
``certs/card-lab.sh`` personalised; SIGUSR1 removes it, SIGUSR2 inserts it again."""

import argparse
import hashlib
import json
import logging
import signal
import socket
import struct
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import Encoding

from connectors.errors import UnavailableError

from .apdu import SHORT_MAX
from .apdu import Apdu
from .apdu import Status
from .apdu import read_tlvs
from .apdu import response
from .apdu import tlv

log = logging.getLogger(__name__)

VPCD_HOST = "127.0.0.1"
VPCD_PORT = 35963
CONNECT_TIMEOUT = 5.0
ATR = bytes.fromhex("3B8580018073C021C0D6")  # T=1; historical bytes mean nothing here
PIV_AID = bytes.fromhex("A000000308000010000100")
PIN_REFERENCE = 0x80
AUTH_SLOT = 0x9A
CHUID, DISCOVERY, AUTH_CERTIFICATE = b"\x5f\xc1\x02", b"\x7e", b"\x5f\xc1\x05"
ALGORITHMS = {"secp256r1": 0x11, "secp384r1": 0x14}  # SP 800-78-4 Table 6-2
RSA_2048 = 0x07


class PivCard:
    """The card's state: the PIV application with one authentication key and its
    certificate in slot 9A, and a PIN with a retry counter."""

    def __init__(self, private_key, certificate, pin="123456", max_tries=3, tries_left=None):
        if not 6 <= len(pin) <= 8 or not pin.isdigit():
            raise ValueError("a PIV PIN is 6-8 digits")
        self.private_key, self.certificate = private_key, certificate
        self.pin, self.max_tries = pin.encode(), max_tries
        self.tries_left = max_tries if tries_left is None else tries_left
        self.atr = ATR
        der = certificate.public_bytes(Encoding.DER)
        guid = hashlib.sha256(der).digest()[:16]  # a new certificate is a new card to caches
        self.objects = {
            CHUID: tlv(b"\x53", tlv(b"\x30", b"\xd4" + bytes(24)) + tlv(b"\x34", guid)
                       + tlv(b"\x35", b"20351231") + tlv(b"\x3e", b"") + tlv(b"\xfe", b"")),
            DISCOVERY: tlv(b"\x7e", tlv(b"\x4f", PIV_AID) + tlv(b"\x5f\x2f", b"\x40\x00")),
            AUTH_CERTIFICATE: tlv(b"\x53", tlv(b"\x70", der) + tlv(b"\x71", b"\x00")
                                  + tlv(b"\xfe", b"")),
        }
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        """Power cycle: nothing selected, PIN not verified, no pending data."""
        self.selected = False
        self.verified = False
        self._chain = b""
        self._pending = b""

    def transmit(self, raw):
        """The response APDU (data and status word) to a command APDU."""
        with self._lock:
            try:
                apdu = Apdu(raw)
            except ValueError:
                return response(status=Status.WRONG_LENGTH)
            if apdu.cla & ~0x10 & 0xFF:
                return response(status=Status.CLA_NOT_SUPPORTED)
            if apdu.ins != 0xC0:
                self._pending = b""
            handler = {0xA4: self._select, 0xCB: self._get_data, 0x20: self._verify,
                       0x87: self._general_authenticate, 0xC0: self._get_response}.get(apdu.ins)
            if handler is None:
                return response(status=Status.INS_NOT_SUPPORTED)
            return handler(apdu)

    # Commands

    def _select(self, apdu):
        if apdu.p1 != 0x04 or len(apdu.data) < 5 or not PIV_AID.startswith(apdu.data):
            self.selected = False
            return response(status=Status.NOT_FOUND)
        self.selected, self.verified = True, False
        template = tlv(b"\x4f", PIV_AID[5:]) + tlv(b"\x79", tlv(b"\x4f", PIV_AID[:5]))
        return self._answer(tlv(b"\x61", template), apdu)

    def _get_data(self, apdu):
        if (apdu.p1, apdu.p2) != (0x3F, 0xFF):
            return response(status=Status.WRONG_P1P2)
        try:
            tag = read_tlvs(apdu.data).get(b"\x5c")
        except ValueError:
            tag = None
        if tag is None:
            return response(status=Status.WRONG_DATA)
        content = self.objects.get(tag) if self.selected else None
        if content is None:
            return response(status=Status.NOT_FOUND)
        return self._answer(content, apdu)

    def _verify(self, apdu):
        if apdu.p1 == 0xFF and not apdu.data:  # reset the security status
            self.verified = False
            return response()
        if apdu.p1 != 0x00 or apdu.p2 != PIN_REFERENCE:
            return response(status=Status.WRONG_P1P2)
        if not self.selected:
            return response(status=Status.CONDITIONS_NOT_SATISFIED)
        if self.tries_left == 0:
            return response(status=Status.PIN_BLOCKED)
        if not apdu.data:  # ask for the status
            return response() if self.verified else self._tries_status()
        if len(apdu.data) != 8:
            return response(status=Status.WRONG_LENGTH)
        if apdu.data.rstrip(b"\xff") == self.pin:
            self.tries_left, self.verified = self.max_tries, True
            return response()
        self.tries_left -= 1
        self.verified = False
        return self._tries_status() if self.tries_left else response(status=Status.PIN_BLOCKED)

    def _tries_status(self):
        return (0x63C0 | min(self.tries_left, 15)).to_bytes(2, "big")

    def _general_authenticate(self, apdu):
        self._chain += apdu.data
        if apdu.chained:
            return response()
        data, self._chain = self._chain, b""
        if apdu.p2 != AUTH_SLOT or apdu.p1 != self._algorithm():
            return response(status=Status.WRONG_P1P2)
        if not self.verified:
            return response(status=Status.SECURITY_NOT_SATISFIED)
        try:
            challenge = read_tlvs(read_tlvs(data)[b"\x7c"]).get(b"\x81")
        except (KeyError, ValueError):
            challenge = None
        if not challenge:
            return response(status=Status.WRONG_DATA)
        try:
            signature = self._sign(challenge)
        except ValueError:
            return response(status=Status.WRONG_DATA)
        return self._answer(tlv(b"\x7c", tlv(b"\x82", signature)), apdu)

    def _get_response(self, apdu):
        if not self._pending:
            return response(status=Status.CONDITIONS_NOT_SATISFIED)
        data, self._pending = self._pending, b""
        return self._answer(data, apdu)

    # Helpers

    def _algorithm(self):
        key = self.private_key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return ALGORITHMS.get(key.curve.name)
        if isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048:
            return RSA_2048
        return None

    def _sign(self, challenge):
        key = self.private_key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            digest = hashes.SHA256() if key.curve.name == "secp256r1" else hashes.SHA384()
            if len(challenge) != digest.digest_size:
                raise ValueError("the hash does not fit the curve")
            return key.sign(challenge, ec.ECDSA(Prehashed(digest)))
        numbers = key.private_numbers()
        n, size = numbers.public_numbers.n, key.key_size // 8
        block = int.from_bytes(challenge, "big")
        if len(challenge) != size or block >= n:
            raise ValueError("the block does not fit the key")
        return pow(block, numbers.d, n).to_bytes(size, "big")

    def _answer(self, data, apdu):
        """Data that does not fit the expected length waits for GET RESPONSE (61xx)."""
        limit = apdu.le or (65536 if apdu.extended else SHORT_MAX)
        if len(data) <= limit:
            return response(data)
        self._pending = data[limit:]
        return data[:limit] + bytes([0x61, min(len(self._pending), SHORT_MAX) & 0xFF])


class VirtualReader:
    """The link between a card and vpcd: insert() connects (card inserted), remove()
    disconnects (card removed). `remove_on_sign` pulls the card out when the next
    GENERAL AUTHENTICATE arrives, before it is answered."""

    def __init__(self, card, host=VPCD_HOST, port=VPCD_PORT):
        self.card, self.host, self.port = card, host, port
        self.remove_on_sign = False
        self._sock = None
        self._thread = None
        self._lock = threading.Lock()

    @property
    def inserted(self):
        return self._thread is not None and self._thread.is_alive()

    def insert(self):
        with self._lock:
            if self.inserted:
                return
            try:
                sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT)
            except OSError as error:
                raise UnavailableError(f"vpcd at {self.host}:{self.port} not reachable: {error}",
                                       connector="card_reader") from None
            sock.settimeout(None)  # vpcd may stay silent for as long as the card is idle
            self.card.reset()
            self._sock = sock
            self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True,
                                            name="piv-card")
            self._thread.start()

    def remove(self):
        with self._lock:
            sock, thread = self._sock, self._thread
            self._sock = self._thread = None
        if sock is not None:
            _drop(sock)
        if thread is not None and thread is not threading.current_thread():
            thread.join(CONNECT_TIMEOUT)

    def _serve(self, sock):
        try:
            while True:
                header = _recv_exact(sock, 2)
                if header is None:
                    break
                message = _recv_exact(sock, struct.unpack("!H", header)[0])
                if message is None:
                    break
                if len(message) == 1:
                    if message[0] != 4:
                        self.card.reset()
                        continue
                    out = self.card.atr
                else:
                    if self.remove_on_sign and _final_general_authenticate(message):
                        self.remove_on_sign = False
                        log.info("card pulled out during GENERAL AUTHENTICATE")
                        break
                    out = self.card.transmit(message)
                sock.sendall(struct.pack("!H", len(out)) + out)
        except OSError:
            pass
        finally:
            _drop(sock)


def _final_general_authenticate(message):
    return len(message) >= 4 and message[1] == 0x87 and not message[0] & 0x10


def _recv_exact(sock, size):
    chunks = b""
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return chunks


def _drop(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def load_card(lab, pin=None, max_tries=3):
    """The emulator card personalised in a card lab directory (see personalise.py)."""
    description = json.loads((Path(lab) / "cards.json").read_text())["emulator"]
    key = serialization.load_pem_private_key(Path(description["key"]).read_bytes(), None)
    certificate = x509.load_pem_x509_certificate(Path(description["certificate"]).read_bytes())
    return PivCard(key, certificate, pin or description["pin"], max_tries)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m connectors.card_reader.emulator",
                                     description="Insert the card lab's PIV card into vpcd.")
    parser.add_argument("--lab", required=True, help="card lab directory (certs/card-lab.sh)")
    parser.add_argument("--port", type=int, default=VPCD_PORT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    reader = VirtualReader(load_card(args.lab), port=args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGUSR1, lambda *_: reader.remove())
    signal.signal(signal.SIGUSR2, lambda *_: reader.insert())
    reader.insert()
    print(f"card inserted in vpcd 127.0.0.1:{args.port} (SIGUSR1 removes, SIGUSR2 inserts)",
          flush=True)
    stop.wait()
    reader.remove()


if __name__ == "__main__":
    main()
