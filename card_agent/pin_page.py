"""The agent's own PIN page, in English or Arabic: it names the site the citizen is signing
in to and the card, takes the PIN, and reports the outcome. Served from 127.0.0.1 only;
the site's page never sees it (another origin) and may not frame it."""

from html import escape

from cryptography.x509.oid import NameOID

from .errors import WrongPinError

TEXT = {
    "en": {
        "title": "ID card PIN", "site": "Sign in to", "card": "Card",
        "pin": "ID card PIN (authentication PIN)", "sign": "Sign in", "cancel": "Cancel",
        "note": "Enter the PIN only if you started signing in to this site yourself.",
        "done": "Signed in. You can close this window and return to",
        "closed": "This window can be closed.",
        "tries": "Tries left: {n}.", "empty": "Enter the PIN.",
        "errors": {
            "wrong_pin": "The PIN is wrong.", "pin_blocked": "The PIN is blocked. Unblock it "
            "with your PUK or at a service office.", "card_removed": "The card was removed.",
            "user_cancelled": "Cancelled.", "timeout": "The PIN was not entered in time.",
            "card_error": "The card could not be used.", "no_card": "No ID card is inserted.",
        },
    },
    "ar": {
        "title": "الرمز السري لبطاقة الهوية", "site": "تسجيل الدخول إلى", "card": "البطاقة",
        "pin": "الرمز السري لبطاقة الهوية (رمز التحقق)", "sign": "تسجيل الدخول",
        "cancel": "إلغاء",
        "note": "أدخل الرمز السري فقط إذا كنت أنت من بدأ تسجيل الدخول إلى هذا الموقع.",
        "done": "تم تسجيل الدخول. يمكنك إغلاق هذه النافذة والعودة إلى",
        "closed": "يمكن إغلاق هذه النافذة.",
        "tries": "المحاولات المتبقية: {n}.", "empty": "أدخل الرمز السري.",
        "errors": {
            "wrong_pin": "الرمز السري غير صحيح.", "pin_blocked": "الرمز السري محظور. "
            "ألغِ الحظر برمز PUK أو في أحد مراكز الخدمة.", "card_removed": "تمت إزالة البطاقة.",
            "user_cancelled": "تم الإلغاء.", "timeout": "لم يُدخل الرمز السري في الوقت المحدد.",
            "card_error": "تعذر استخدام البطاقة.", "no_card": "لا توجد بطاقة هوية.",
        },
    },
}
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;"
    "color:#1b1b1b}h1{font-size:1.4rem}.origin{font-size:1.3rem;font-weight:bold;"
    "word-break:break-all;border:2px solid #1b1b1b;padding:.5rem}.error{color:#a00;"
    "font-weight:bold}label,input,button{display:block;font-size:1.1rem;margin:.5rem 0}"
    "input{padding:.4rem;width:100%;box-sizing:border-box}.row{display:flex;gap:1rem}"
)
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
}


def render(item, lang, message=None):
    """The page for an authentication in any state; message is an error code to show
    above the form (the PIN was empty)."""
    text = TEXT[lang]
    parts = [f"<h1>{escape(text['title'])}</h1>",
             f"<p>{escape(text['site'])}</p>",
             f'<p class="origin">{escape(item.challenge.origin)}</p>',
             f"<p>{escape(text['card'])}: {escape(holder(item.card.certificate))}</p>"]
    if item.state == "waiting_for_pin":
        if message:
            parts.append(f'<p class="error" role="alert">{escape(text[message])}</p>')
        parts.append(
            f'<form method="post" action="/pin/{escape(item.id)}">'
            f'<input type="hidden" name="form_token" value="{escape(item.form_token)}">'
            f'<label for="pin">{escape(text["pin"])}</label>'
            '<input id="pin" name="pin" type="password" inputmode="numeric" '
            'autocomplete="off" maxlength="32" required autofocus>'
            f'<p>{escape(text["note"])}</p><div class="row">'
            f'<button type="submit" name="action" value="sign">{escape(text["sign"])}</button>'
            f'<button type="submit" name="action" value="cancel" formnovalidate>'
            f'{escape(text["cancel"])}</button></div></form>')
    elif item.state == "done":
        parts.append(f"<p>{escape(text['done'])} {escape(item.challenge.origin)}.</p>")
    elif item.state == "failed":
        parts.append(f'<p class="error" role="alert">{escape(failure_text(item.error, lang))}'
                     f"</p><p>{escape(text['closed'])}</p>")
    return page(lang, text["title"], "".join(parts))


def failure_text(error, lang):
    text = TEXT[lang]
    words = text["errors"].get(error.code, text["errors"]["card_error"])
    if isinstance(error, WrongPinError) and error.tries_left is not None:
        words += " " + text["tries"].format(n=error.tries_left)
    return words


def page(lang, title, body):
    direction = "rtl" if lang == "ar" else "ltr"
    return (f'<!doctype html><html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
            f"<body><main>{body}</main></body></html>")


def holder(certificate):
    """Card holder as the certificate names them: CN, or the national ID."""
    for oid in (NameOID.COMMON_NAME, NameOID.SERIAL_NUMBER):
        values = certificate.subject.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)
    return certificate.subject.rfc4514_string()
