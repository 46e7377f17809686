"""A payment service simulator for the demo apps (development and tests only).

    python -m clients_demo.payment_sim --port 5109

API (header `X-API-Key`, default `dev-payment-key`, a test value):
- `POST /api/v1/payments` `{"amount": "30.000", "currency": "OMR", "description",
  "reference", "return_url"}` -> 201 `{"id", "status": "pending", "pay_url", ...}`
- `GET /api/v1/payments/<id>` -> 200 `{"id", "status": "pending|paid|declined", ...}`
The person pays or declines on `GET /pay/<id>` and is sent back to
`return_url?payment_id=<id>`; `GET /` lists the payments."""

import argparse
import secrets
import threading
import time
from decimal import Decimal
from decimal import InvalidOperation
from urllib.parse import urlencode
from urllib.parse import urlsplit

from flask import Flask
from flask import abort
from flask import jsonify
from flask import redirect
from flask import render_template_string
from flask import request

DEFAULT_API_KEY = "dev-payment-key"
# The payment page's form leads back to whichever app asked for the payment.
CSP = ("default-src 'none'; form-action 'self' http: https:; frame-ancestors 'none'; "
       "base-uri 'none'")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Payment simulator</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>Payment simulator <span lang="ar" dir="rtl">· محاكي الدفع</span></h1>
{% if payment %}
<dl>
  <dt>Amount <span lang="ar" dir="rtl">المبلغ</span></dt>
  <dd class="amount">{{ payment.amount }} {{ payment.currency }}</dd>
  <dt>For <span lang="ar" dir="rtl">مقابل</span></dt><dd>{{ payment.description }}</dd>
  <dt>Reference <span lang="ar" dir="rtl">المرجع</span></dt><dd>{{ payment.reference }}</dd>
  <dt>Status <span lang="ar" dir="rtl">الحالة</span></dt>
  <dd class="status">{{ payment.status }}</dd>
</dl>
{% if payment.status == "pending" %}
<form method="post"><input type="hidden" name="form_key" value="{{ payment.form_key }}">
<button name="decision" value="pay">Pay <span lang="ar" dir="rtl">ادفع</span></button>
<button name="decision" value="decline">Decline <span lang="ar" dir="rtl">ارفض</span></button>
</form>
{% endif %}
{% else %}
<table><tr><th>id</th><th>reference</th><th>amount</th><th>status</th></tr>
{% for p in payments %}<tr><td>{{ p.id }}</td><td>{{ p.reference }}</td>
<td>{{ p.amount }} {{ p.currency }}</td><td>{{ p.status }}</td></tr>{% endfor %}
</table>
{% endif %}
</body></html>"""


def create_app(config=None):
    app = Flask(__name__)
    app.config.update(PAYMENT_API_KEY=DEFAULT_API_KEY, PAYMENT_BASE_URL=None)
    app.config.update(config or {})
    payments = {}
    lock = threading.Lock()

    def authorised():
        return secrets.compare_digest(request.headers.get("X-API-Key", ""),
                                      app.config["PAYMENT_API_KEY"])

    def error(status, code, description):
        response = jsonify(error=code, error_description=description)
        response.status_code = status
        return response

    def public(payment):
        return {k: v for k, v in payment.items() if k != "form_key"}

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.post("/api/v1/payments")
    def create():
        if not authorised():
            return error(401, "invalid_client", "Unknown API key.")
        body = request.get_json(silent=True) or {}
        try:
            amount = Decimal(str(body.get("amount")))
        except InvalidOperation:
            return error(400, "invalid_request", "amount must be a decimal number.")
        return_url = body.get("return_url")
        if amount <= 0 or not _acceptable_return(return_url):
            return error(400, "invalid_request", "amount and an http(s) return_url are needed.")
        payment_id = secrets.token_urlsafe(12)
        base = app.config["PAYMENT_BASE_URL"] or request.host_url.rstrip("/")
        payment = {"id": payment_id, "status": "pending", "amount": f"{amount:.3f}",
                   "currency": str(body.get("currency") or "OMR"),
                   "description": str(body.get("description") or ""),
                   "reference": str(body.get("reference") or ""), "return_url": return_url,
                   "created_at": int(time.time()), "paid_at": None,
                   "pay_url": f"{base}/pay/{payment_id}", "form_key": secrets.token_urlsafe(12)}
        with lock:
            payments[payment_id] = payment
        response = jsonify(public(payment))
        response.status_code = 201
        return response

    @app.get("/api/v1/payments/<payment_id>")
    def show(payment_id):
        if not authorised():
            return error(401, "invalid_client", "Unknown API key.")
        with lock:
            payment = payments.get(payment_id)
        if payment is None:
            return error(404, "not_found", "No such payment.")
        return jsonify(public(payment))

    @app.get("/pay/<payment_id>")
    def pay_page(payment_id):
        payment = payments.get(payment_id) or abort(404)
        return render_template_string(PAGE, payment=payment)

    @app.post("/pay/<payment_id>")
    def pay(payment_id):
        with lock:
            payment = payments.get(payment_id) or abort(404)
            if not secrets.compare_digest(request.form.get("form_key", ""),
                                          payment["form_key"]):
                abort(400)
            if payment["status"] == "pending":
                paid = request.form.get("decision") == "pay"
                payment["status"] = "paid" if paid else "declined"
                payment["paid_at"] = int(time.time()) if paid else None
        query = urlencode({"payment_id": payment_id})
        separator = "&" if "?" in payment["return_url"] else "?"
        return redirect(payment["return_url"] + separator + query, 303)

    @app.get("/")
    def index():
        with lock:
            listed = sorted(payments.values(), key=lambda p: p["created_at"], reverse=True)
        return render_template_string(PAGE, payment=None, payments=listed)

    return app


def _acceptable_return(url):
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.fragment


def main(argv=None):
    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser(prog="python -m clients_demo.payment_sim",
                                     description="Payment service simulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5109)
    args = parser.parse_args(argv)
    run_simple(args.host, args.port, create_app(), threaded=True)


if __name__ == "__main__":
    main()
