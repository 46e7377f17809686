"""The "handset" pages of the MSSP simulator: a phone per MSISDN showing pending Mobile ID
requests (display text and verification code), with a PIN field to confirm and a cancel
button. Development only."""

from flask import Blueprint
from flask import abort
from flask import redirect
from flask import render_template_string
from flask import request
from flask import url_for

from connectors.mssp.handset import Handsets

LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{% if refresh %}<meta http-equiv="refresh" content="2">{% endif %}
<title>{{ title }}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:28rem;margin:1rem auto;padding:0 1rem}
.request{border:1px solid #888;border-radius:.6rem;padding:1rem;margin:1rem 0}
.code{font-size:2rem;letter-spacing:.3rem;font-weight:bold}
.notice{color:#a00}
table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:left}
</style></head><body>
<h1>{{ title }}</h1>
{{ content|safe }}
</body></html>"""

INDEX = """<p>Simulated phones with a PKI SIM. Open one to answer its Mobile ID requests.</p>
<table><tr><th>Phone</th><th>Name</th><th>Pending</th><th>SIM</th></tr>
{% for phone in phones %}<tr>
<td><a href="{{ url_for('handset.phone', msisdn=phone.sim.msisdn) }}">
{{- phone.sim.msisdn }}</a></td>
<td>{{ phone.sim.given_name }} {{ phone.sim.family_name }}</td>
<td>{{ pending[phone.sim.msisdn] }}</td>
<td>{{ 'PIN blocked' if phone.pin_blocked else phone.script.behaviour.value }}</td>
</tr>{% endfor %}</table>"""

PHONE = """<p><a href="{{ url_for('handset.index') }}">All phones</a> ·
{{ phone.sim.given_name }} {{ phone.sim.family_name }}
{% if phone.pin_blocked %}· <strong>PIN blocked</strong>{% endif %}</p>
{% for tx in pending %}<section class="request" aria-label="Mobile ID request">
<p class="text">{{ tx.display_text }}</p>
<p>Verification code</p><p class="code" data-code>{{ tx.code }}</p>
{% if tx.notice %}<p class="notice" role="alert">{{ tx.notice }}</p>{% endif %}
<form method="post" action="{{ url_for('handset.confirm', msisdn=phone.sim.msisdn, tx=tx.id) }}">
<label>SIM PIN <input name="pin" type="password" inputmode="numeric" autocomplete="off"
 required maxlength="16" autofocus></label> <button type="submit">Confirm</button></form>
<form method="post" action="{{ url_for('handset.cancel', msisdn=phone.sim.msisdn, tx=tx.id) }}">
<button type="submit">Cancel</button></form>
</section>{% else %}<p>No pending request. This page refreshes itself.</p>{% endfor %}
{% if finished %}<h2>Recent</h2><ul>{% for tx in finished %}
<li>{{ tx.code }}: {{ tx.state.value }}{% if tx.fault %} ({{ tx.fault.name }}){% endif %}</li>
{% endfor %}</ul>{% endif %}"""


def handset_blueprint(handsets: Handsets) -> Blueprint:
    bp = Blueprint("handset", __name__, url_prefix="/handset")

    def page(title, template, refresh=False, **context):
        content = render_template_string(template, **context)
        return render_template_string(LAYOUT, title=title, content=content, refresh=refresh)

    @bp.get("")
    def index():
        pending = {msisdn: len(handsets.pending(msisdn)) for msisdn in handsets.phones}
        return page("MSSP simulator: phones", INDEX, refresh=True,
                    phones=list(handsets.phones.values()), pending=pending)

    def phone_of(msisdn):
        phone = handsets.phones.get(msisdn)
        if phone is None:
            abort(404)
        return phone

    @bp.get("/<msisdn>")
    def phone(msisdn):
        phone = phone_of(msisdn)
        pending = handsets.pending(msisdn)
        finished = [t for t in handsets.recent(msisdn) if t not in pending][:5]
        return page(f"Phone {msisdn}", PHONE, refresh=not pending, phone=phone,
                    pending=pending, finished=finished)

    def transaction(msisdn, tx):
        phone_of(msisdn)
        found = handsets.status(tx)
        if found is None or found.msisdn != msisdn:
            abort(404)
        return found

    @bp.post("/<msisdn>/<tx>/confirm")
    def confirm(msisdn, tx):
        transaction(msisdn, tx)
        pin = request.form.get("pin", "")
        if pin:  # a phone does not send an empty PIN
            handsets.confirm(tx, pin[:16])
        return redirect(url_for("handset.phone", msisdn=msisdn), 303)

    @bp.post("/<msisdn>/<tx>/cancel")
    def cancel(msisdn, tx):
        transaction(msisdn, tx)
        handsets.cancel(tx)
        return redirect(url_for("handset.phone", msisdn=msisdn), 303)

    return bp
