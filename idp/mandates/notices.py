"""The SMS an agent gets at each change of a mandate (granted, requested, approved,
rejected, revoked), in English then Arabic, to the mobile number on record: the
citizen's registered number, else a verified `phone_number` of the account. Sent through
the notifier gateway (app.extensions["idp.notifier"]) or the SMS login's gateway; with
neither, or no number, the notice is only audited. Every notice is audited
(`mandate_notice`: success with the gateway's message id, failure, or skipped)."""

from datetime import timedelta

from flask import current_app

from connectors.errors import ConnectorError

from .. import audit
from ..models.cards import find_account_by_national_id
from ..models.citizens import find_citizen_by_account

TEXTS = {
    "granted": (
        "Bawaba: you may now act for {name} (CR {cr}) until {end}. Mandate {ref}.",
        "بوابة: يمكنك الآن التصرف نيابة عن {name_ar} (س.ت {cr}) حتى {end}. التفويض {ref}."),
    "requested": (
        "Bawaba: we received the certified letter {letter} for {name} (CR {cr}). It takes "
        "effect once reviewed.",
        "بوابة: استلمنا الخطاب المصدق {letter} الخاص بـ {name_ar} (س.ت {cr}). يسري بعد "
        "مراجعته."),
    "approved": (
        "Bawaba: your mandate for {name} (CR {cr}) was approved. You may act for it until "
        "{end}. Mandate {ref}.",
        "بوابة: تمت الموافقة على تفويضك لـ {name_ar} (س.ت {cr}). يمكنك التصرف نيابة عنها "
        "حتى {end}. التفويض {ref}."),
    "rejected": (
        "Bawaba: your request to act for {name} (CR {cr}) was rejected.",
        "بوابة: رُفض طلبك للتصرف نيابة عن {name_ar} (س.ت {cr})."),
    "revoked": (
        "Bawaba: your mandate for {name} (CR {cr}) was revoked. Mandate {ref}.",
        "بوابة: أُلغي تفويضك لـ {name_ar} (س.ت {cr}). التفويض {ref}."),
}


def notice_text(event, mandate):
    english, arabic = TEXTS[event]
    values = {"name": mandate.establishment_name, "cr": mandate.establishment_cr,
              "name_ar": mandate.establishment_name_ar or mandate.establishment_name,
              "ref": mandate.ref, "letter": mandate.letter_number,
              "end": last_day(mandate).isoformat()}
    return english.format(**values) + "\n" + arabic.format(**values)


def last_day(mandate):
    """The last day a mandate holds (ends_at is the start of the day after)."""
    return (mandate.ends_at - timedelta(days=1)).date()


def agent_number(mandate):
    """The agent's mobile number on record, or None."""
    return number_of(find_account_by_national_id(mandate.agent_national_id))


def number_of(account):
    """A person's mobile number on record: the registered citizen's number, else a
    verified `phone_number` of the account; None without either."""
    if account is None:
        return None
    citizen = find_citizen_by_account(account.id)
    if citizen is not None:
        return citizen.phone_number
    profile = account.profile or {}
    if profile.get("phone_number_verified") is True and profile.get("phone_number"):
        return profile["phone_number"]
    return None


def gateway():
    extensions = current_app.extensions
    if extensions.get("idp.notifier") is not None:
        return extensions["idp.notifier"]
    connections = extensions.get("idp.citizens")
    return getattr(connections, "gateway", None)


def notify(mandate, event, now):
    """Send the agent the notice of `event` (or audit why not). Never raises for the
    gateway: the change stands whether or not the SMS goes."""
    sms, number = gateway(), agent_number(mandate)
    detail = {"mandate": mandate.ref, "notice": event}
    if sms is None or number is None:
        audit.record("mandate_notice", "skipped", subject=mandate.agent_sub, now=now,
                     reason="no_gateway" if sms is None else "no_number", **detail)
        return None
    try:
        receipt = sms.send(number, notice_text(event, mandate),
                           reference=f"{mandate.ref}.{event}")
    except ConnectorError as error:
        audit.record("mandate_notice", "failure", subject=mandate.agent_sub, now=now,
                     reason=type(error).__name__, status=error.code, **detail)
        return None
    audit.record("mandate_notice", subject=mandate.agent_sub, now=now,
                 message_id=receipt.message_id, **detail)
    return receipt
