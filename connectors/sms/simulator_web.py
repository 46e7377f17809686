"""The SMS simulator's HTTP side: the gateway API, the outbox page and JSON, control.

=========================  ===================================================
``POST /api/v1/messages``  HTTPS-gateway style submission (``X-API-Key``)
``GET /api/v1/messages/ID`` status of a message
``GET /``                  the outbox as a page (refreshes itself)
``GET /outbox``            ``{"version", "messages": [...]}``, newest first;
                           ``?to=<msisdn>`` filters, ``?limit=N`` truncates
``DELETE /outbox``         empties the outbox (tests)
``GET|POST /control``      scripted failures (``connectors.simulation``)
``GET /health``            ``{"status": "ok"}``
=========================  ===================================================
"""

import hmac
import logging
import re
import secrets
import threading
from collections.abc import Callable
from datetime import datetime

import requests
from flask import Flask
from flask import jsonify
from flask import render_template_string
from flask import request

from connectors.errors import InvalidMsisdnError
from connectors.msisdn import normalise_msisdn
from connectors.simulation import Control
from connectors.simulation import ControlError
from connectors.simulation import FailureMode
from connectors.simulation import json_error
from connectors.sms.outbox import Outbox
from connectors.sms.outbox import OutboxMessage

log = logging.getLogger(__name__)

MAX_TEXT = 1600
CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SMS outbox ({{ messages|length }})</title>
<noscript><meta http-equiv="refresh" content="3"></noscript>
<style>
body{font-family:system-ui,"Segoe UI",Tahoma,"Noto Naskh Arabic","Noto Sans Arabic",sans-serif;
margin:0;background:#f4f5f7;color:#1d2330}
header{background:#123b5d;color:#fff;padding:.8rem 1.2rem}
header h1{font-size:1.2rem;margin:0}header p{margin:.2rem 0 0;font-size:.85rem;opacity:.85}
main{max-width:56rem;margin:1rem auto;padding:0 1rem}
article{background:#fff;border-radius:.5rem;box-shadow:0 1px 3px #0002;margin:.8rem 0;
padding:.8rem 1rem}
.meta{font-size:.8rem;color:#5a6372;display:flex;flex-wrap:wrap;gap:.3rem 1rem}
.to{font-weight:600;color:#1d2330;direction:ltr;unicode-bidi:isolate}
.text{font-size:1.05rem;line-height:1.7;margin:.5rem 0 0}
.text div{white-space:pre-wrap;unicode-bidi:plaintext}
.code{float:right;font:700 1.4rem/1 ui-monospace,monospace;background:#e7f0fa;
padding:.3rem .6rem;border-radius:.3rem;letter-spacing:.1em}
.bad{color:#a32020}.empty{color:#5a6372;text-align:center;margin-top:3rem}
</style></head>
<body><header><h1>SMS outbox · صندوق الرسائل</h1>
<p>{{ messages|length }} message(s) · mode: {{ mode }} · JSON: <code>/outbox?to=+968…</code></p>
</header><main>
{% for m in messages %}<article>
{% if m.code %}<span class="code" title="code">{{ m.code }}</span>{% endif %}
<div class="meta"><span class="to">{{ m.to }}</span><span>from {{ m.sender }}</span>
<span>{{ m.created_at.strftime("%Y-%m-%d %H:%M:%S") }} UTC</span><span>{{ m.transport }}</span>
<span>{{ m.parts }} part(s)</span>
<span class="{{ 'bad' if m.status != 'delivered' else '' }}">{{ m.status }}</span></div>
<div class="text">{% for line in m.lines %}<div dir="auto">{{ line }}</div>{% endfor %}</div>
</article>{% else %}<p class="empty">No messages yet · لا توجد رسائل</p>{% endfor %}
</main>
<script>
(function(){var v={{ version }};setInterval(function(){
fetch("outbox?limit=1",{cache:"no-store"}).then(function(r){return r.json()})
.then(function(d){if(d.version!==v){location.reload()}}).catch(function(){})},2000)})();
</script></body></html>"""


def _newest_code(message: OutboxMessage) -> str | None:
    match = CODE.search(message.text)
    return match.group(0) if match else None


def create_app(outbox: Outbox, control: Control, *, api_key: str,
               clock: Callable[[], datetime]) -> Flask:
    app = Flask(__name__)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    idempotent: dict[str, dict] = {}
    idempotent_lock = threading.Lock()

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.get("/")
    def page():
        messages = [dict(vars(m), code=_newest_code(m), lines=m.text.splitlines() or [""])
                    for m in outbox.messages()]
        return render_template_string(PAGE, messages=messages, version=outbox.version,
                                      mode=control.snapshot()["mode"])

    @app.get("/outbox")
    def outbox_json():
        limit = request.args.get("limit", type=int)
        if limit is not None and limit < 0:
            return json_error(400, "invalid_request", "limit must not be negative")
        found = outbox.messages(to=request.args.get("to") or None, limit=limit)
        return jsonify(version=outbox.version, messages=[m.to_json() for m in found])

    @app.delete("/outbox")
    def outbox_clear():
        outbox.clear()
        with idempotent_lock:
            idempotent.clear()
        return "", 204

    @app.get("/control")
    def control_show():
        return control.snapshot()

    @app.post("/control")
    def control_set():
        try:
            return control.configure(request.get_json(silent=True))
        except ControlError as exc:
            return json_error(400, "invalid_request", str(exc))

    @app.post("/api/v1/messages")
    def submit():
        if not hmac.compare_digest(request.headers.get("X-API-Key", "").encode(),
                                   api_key.encode()):
            return json_error(401, "unauthorized", "missing or wrong API key")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return json_error(400, "invalid_request", "body must be a JSON object")
        try:
            to = normalise_msisdn(body.get("to"), default_region=None, field="to")
        except InvalidMsisdnError:
            return json_error(400, "invalid_destination", "to is not an E.164 mobile number")
        text = body.get("text")
        if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
            return json_error(400, "invalid_text", f"text must be 1-{MAX_TEXT} characters")
        callback = body.get("callback_url")
        if callback is not None and not (isinstance(callback, str)
                                         and callback.startswith(("http://", "https://"))):
            return json_error(400, "invalid_request", "callback_url must be an http(s) URL")
        key = request.headers.get("Idempotency-Key")
        with idempotent_lock:
            if key and key in idempotent:
                return idempotent[key], 200
        action = control.take()
        if action.mode is FailureMode.DOWN:
            return json_error(503, "unavailable", "gateway down (simulated)")
        if action.mode is FailureMode.THROTTLE:
            response = json_error(429, "throttled", "too many messages (simulated)")
            response.headers["Retry-After"] = "1"
            return response
        if action.mode is FailureMode.REJECT:
            return json_error(400, "rejected", "destination refused (simulated)")
        if action.mode is FailureMode.SLOW and not control.pause(action):
            return json_error(503, "unavailable", "gateway reset while stalling (simulated)")
        status = "undeliverable" if action.mode is FailureMode.UNDELIVERABLE else "delivered"
        message_id = secrets.token_hex(8)
        sender = body.get("from") if isinstance(body.get("from"), str) else ""
        reference = body.get("reference") if isinstance(body.get("reference"), str) else None
        outbox.add(OutboxMessage(id=message_id, to=to, sender=sender[:32], text=text,
                                 transport="http", created_at=clock(), reference=reference,
                                 status=status, part_ids=[message_id]))
        answer = {"message_id": message_id, "status": "accepted"}
        if key:
            with idempotent_lock:
                idempotent[key] = answer
        if callback:
            report = {"message_id": message_id,
                      "status": "delivered" if status == "delivered" else "failed",
                      "error_code": "000" if status == "delivered" else "001",
                      "done_at": clock().isoformat()}
            threading.Thread(target=_post_report, args=(callback, report), daemon=True).start()
        return answer, 202

    @app.get("/api/v1/messages/<message_id>")
    def message_status(message_id):
        if not hmac.compare_digest(request.headers.get("X-API-Key", "").encode(),
                                   api_key.encode()):
            return json_error(401, "unauthorized", "missing or wrong API key")
        message = outbox.find(message_id)
        if message is None:
            return json_error(404, "not_found", "unknown message")
        return {"message_id": message.id,
                "status": "delivered" if message.status == "delivered" else "failed"}

    return app


def _post_report(url: str, report: dict) -> None:
    try:
        with requests.Session() as session:
            session.trust_env = False
            session.post(url, json=report, timeout=5)
    except requests.RequestException as exc:
        log.warning("delivery report to %s failed: %s", url, type(exc).__name__)
