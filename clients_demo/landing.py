"""The landing page of the demo: every app with its address, the provider, the payment
simulator, where SMS codes can be read, and the test identities (from a JSON file, by
default the civil registry simulator's citizens)."""

import json
from pathlib import Path

from flask import Flask
from flask import render_template
from flask import request

ROOT = Path(__file__).resolve().parent.parent
CITIZENS = ROOT / "connectors" / "civil_registry" / "citizens.json"
RP_STATIC = Path(__file__).resolve().parent / "rp" / "static"
CSP = "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'"


def create_landing_app(apps, issuer, payment_url, sms_outbox=None, identities=None,
                       stack=None, social_insurance=None):
    """`apps`: [(AppSpec, url)]; `stack`: the JSON file of the development stack (how to
    sign in, the simulators, ID cards and SIMs), as `make run` writes it;
    `social_insurance`: the social insurance simulator the manpower app asks."""
    app = Flask(__name__, static_folder=str(RP_STATIC), static_url_path="/static",
                template_folder="landing_templates")
    facts = load_stack(stack)
    people = with_credentials(load_identities(identities), facts)

    @app.get("/")
    def index():
        lang = "ar" if request.args.get("lang") == "ar" else "en"
        return render_template("landing.html", lang=lang, apps=apps, issuer=issuer,
                               payment_url=payment_url, sms_outbox=sms_outbox, people=people,
                               stack=facts, social_insurance=social_insurance)

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    return app


def load_identities(path=None):
    """[{national_id, date_of_birth, name_en, name_ar, mobile, marital_status, use}]"""
    source = Path(path) if path else CITIZENS
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    records = data.get("citizens", data) if isinstance(data, dict) else data
    people = []
    for record in records if isinstance(records, list) else []:
        if not isinstance(record, dict):
            continue
        people.append({
            "national_id": record.get("national_id", ""),
            "date_of_birth": record.get("date_of_birth", record.get("birthdate", "")),
            "name_en": _name(record.get("name_en")),
            "name_ar": _name(record.get("name_ar")),
            "mobile": record.get("mobile", ""),
            "marital_status": record.get("marital_status", ""),
            "use": record.get("use") or record.get("note", ""),
        })
    return people


def load_stack(path=None):
    """{issuer, register, login_methods, sms_outbox, handset, card_agent, card_pin, cards,
    sims, …} from `make run` (scripts/dev_stack.py), or {} without one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8")) if path else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def with_credentials(people, facts):
    """Each person with their development ID card and Mobile ID SIM, if they have one."""
    cards = {c.get("national_id"): c for c in facts.get("cards", []) if isinstance(c, dict)}
    sims = {s.get("national_id"): s for s in facts.get("sims", []) if isinstance(s, dict)}
    return [{**p, "card": cards.get(p["national_id"]), "sim": sims.get(p["national_id"])}
            for p in people]


def _name(value):
    if isinstance(value, dict):
        return value.get("full") or " ".join(str(v) for v in value.values())
    return value or ""
