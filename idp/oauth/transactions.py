"""Authorization transactions: the validated parameters of an authorization request,
carried in the signed session cookie while the person logs in and consents, so no
database write happens before a code is issued."""

import secrets
import time

from flask import session

KEY = "authz"
MAX_OPEN = 4
LIFETIME = 30 * 60


def open_transaction(params):
    txs = _live()
    tx_id = secrets.token_urlsafe(12)
    txs[tx_id] = {"params": params, "created": int(time.time())}
    while len(txs) > MAX_OPEN:
        txs.pop(min(txs, key=lambda k: txs[k]["created"]))
    session[KEY] = txs
    return tx_id


def get_transaction(tx_id):
    return _live().get(tx_id) if isinstance(tx_id, str) else None


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
