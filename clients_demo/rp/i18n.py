"""Pages in English and Arabic (right to left). Texts are written in English in the code
and templates; each app adds its Arabic catalog to the kit's. The choice comes from the
language switch (a cookie shared by the demo apps), else from Accept-Language."""

from flask import current_app
from flask import request

LANGUAGES = {"en": "English", "ar": "العربية"}
COOKIE = "demo-lang"

KIT_MESSAGES = {
    "Skip to main content": "انتقل إلى المحتوى الرئيسي",
    "Language": "اللغة",
    "Log in with Bawaba": "الدخول عبر بوابة",
    "Log out": "تسجيل الخروج",
    "Signed in as": "مسجل الدخول باسم",
    "Level 1 (password and SMS code)": "المستوى 1 (كلمة المرور ورمز الرسائل القصيرة)",
    "Level 2 (ID card or Mobile ID)": "المستوى 2 (البطاقة الشخصية أو الهوية الرقمية للهاتف)",
    "Assurance level": "مستوى الضمان",
    "My session": "جلستي",
    "Authenticated at": "وقت المصادقة",
    "Login methods": "طرق الدخول",
    "Session at Bawaba": "الجلسة في بوابة",
    "Access token expires at": "تنتهي صلاحية رمز الوصول في",
    "Access token id": "معرف رمز الوصول",
    "Refresh token fingerprint": "بصمة رمز التحديث",
    "Refreshed": "مرات التحديث",
    "Refresh tokens now": "حدّث الرموز الآن",
    "Your details from Bawaba": "بياناتك من بوابة",
    "You are logged out.": "تم تسجيل خروجك.",
    "You have been logged out of this service and of Bawaba.":
        "تم تسجيل خروجك من هذه الخدمة ومن بوابة.",
    "Log in again": "سجّل الدخول مرة أخرى",
    "Something went wrong": "حدث خطأ",
    "Back to the start page": "العودة إلى الصفحة الرئيسية",
    "The login was cancelled.": "أُلغي تسجيل الدخول.",
    "The login could not be completed. Please try again.":
        "تعذّر إكمال تسجيل الدخول. حاول مرة أخرى.",
    "This service needs a stronger login (ID card or Mobile ID), which is not available "
    "to you right now.":
        "تتطلب هذه الخدمة دخولاً أقوى (البطاقة الشخصية أو الهوية الرقمية للهاتف)، وهو غير "
        "متاح لك حالياً.",
    "Bawaba cannot be reached right now. Please try again in a few minutes.":
        "لا يمكن الوصول إلى بوابة حالياً. حاول مرة أخرى بعد بضع دقائق.",
    "Your session has ended. Please log in again.": "انتهت جلستك. يرجى تسجيل الدخول مرة أخرى.",
    "The page was not found.": "الصفحة غير موجودة.",
    "You may not open this page.": "لا يمكنك فتح هذه الصفحة.",
    "The form has expired. Please go back and try again.":
        "انتهت صلاحية النموذج. عد وحاول مرة أخرى.",
    "The logout answer was not recognised.": "لم يُتعرّف على رد تسجيل الخروج.",
    "Home": "الرئيسية",
    "A demonstration service using Bawaba, the national login.":
        "خدمة تجريبية تستخدم بوابة، الدخول الوطني الموحد.",
    "This demonstration keeps its data on this computer only.":
        "تحفظ هذه الخدمة التجريبية بياناتها على هذا الحاسوب فقط.",
    "Acting for": "بالنيابة عن",
    "Permissions": "الصلاحيات",
    "myself": "نفسي",
}


def init_app(app, messages=None):
    catalog = dict(KIT_MESSAGES)
    catalog.update(messages or {})
    app.extensions["demo_messages"] = {"ar": catalog}
    app.jinja_env.globals.update(_=gettext, lang_url=lang_url)
    app.context_processor(lambda: {"lang": current_lang(), "direction": direction(),
                                   "other_langs": [(c, n) for c, n in LANGUAGES.items()
                                                   if c != current_lang()]})


def current_lang():
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"


def direction():
    return "rtl" if current_lang() == "ar" else "ltr"


def gettext(text, **values):
    lang = current_lang()
    catalog = current_app.extensions["demo_messages"].get(lang, {})
    text = catalog.get(text, text)
    return text.format(**values) if values else text


def lang_url(code):
    from flask import url_for

    return url_for("rp.language", code=code, next=_here())


def _here():
    path = request.full_path if request.query_string else request.path
    return path.rstrip("?")
