"""Authorization transactions: the validated parameters of an authorization request,
carried in the signed session cookie while the person logs in and consents, so no
database write happens before a code is issued.

Browsers drop cookies above 4 KB, so the open transactions are kept under a size budget:
the oldest give way to a new one, and a single request too large to carry is refused."""

import json
import secrets
import time

from authlib.oauth2.rfc6749 import InvalidRequestError
from flask import session

KEY = "authz"
MAX_OPEN = 4
MAX_CHARS = 2400  # of JSON, before compression and signing; leaves room in a 4 KB cookie
LIFETIME = 30 * 60


class TransactionTooLargeError(ValueError):
    pass


class TransactionExpiredError(InvalidRequestError):
    """A login page reached without a live transaction: expired, finished, or never ours."""

    description = "This sign-in has expired. Return to the service and start again."


def open_transaction(params, **extra):
    tx = {"params": params, "created": int(time.time()), **extra}
    if _size({"": tx}) > MAX_CHARS:
        raise TransactionTooLargeError()
    txs = _live()
    tx_id = secrets.token_urlsafe(12)
    txs[tx_id] = tx
    while len(txs) > MAX_OPEN or _size(txs) > MAX_CHARS:
        txs.pop(min((k for k in txs if k != tx_id), key=lambda k: txs[k]["created"]))
    session[KEY] = txs
    return tx_id


def get_transaction(tx_id):
    return _live().get(tx_id) if isinstance(tx_id, str) else None


def require_transaction(tx_id):
    tx = get_transaction(tx_id)
    if tx is None:
        raise TransactionExpiredError()
    return tx


def update_transaction(tx_id, **changes):
    txs = _live()
    txs[tx_id].update(changes)
    session[KEY] = txs


def close_transaction(tx_id):
    txs = _live()
    if txs.pop(tx_id, None) is not None:
        session[KEY] = txs


def _live():
    now = time.time()
    return {k: v for k, v in session.get(KEY, {}).items() if now - v["created"] < LIFETIME}


def _size(txs):
    return len(json.dumps(txs, separators=(",", ":")))
