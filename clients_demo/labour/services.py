"""The establishment services of the labour office, each with the mandate permission an
agent needs for it (the permission names of the establishment mandates)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    code: str
    permission: str
    title: str  # English; the Arabic is in the catalog
    worker_label: str = "Worker's civil or residence number"


SERVICES = (
    Service("work-permit", "work_permit.issue", "Issue a work permit"),
    Service("work-permit-renewal", "work_permit.renew", "Renew a work permit"),
    Service("temporary-work-permit", "work_permit.issue", "Issue a temporary work permit"),
    Service("final-exit-permit", "exit_permit.issue", "Issue a final-exit permit"),
    Service("absence-report", "absence_report.file", "File an absence report"),
    Service("absence-report-cancellation", "absence_report.cancel",
            "Cancel an absence report"),
    Service("profession-change", "profession.change", "Change a worker's profession"),
    Service("services-transfer", "service.transfer", "Transfer a worker's services"),
    Service("visa-cancellation", "visa.cancel", "Cancel a visa"),
)
BY_CODE = {service.code: service for service in SERVICES}

MESSAGES = {
    "Labour office e-services": "الخدمات الإلكترونية لمكتب العمل",
    "Establishment services": "خدمات المنشآت",
    "Request history": "سجل الطلبات",
    "Issue a work permit": "إصدار تصريح عمل",
    "Renew a work permit": "تجديد تصريح عمل",
    "Issue a temporary work permit": "إصدار تصريح عمل مؤقت",
    "Issue a final-exit permit": "إصدار تصريح خروج نهائي",
    "File an absence report": "تقديم بلاغ تغيّب",
    "Cancel an absence report": "إلغاء بلاغ تغيّب",
    "Change a worker's profession": "تغيير مهنة عامل",
    "Transfer a worker's services": "نقل خدمات عامل",
    "Cancel a visa": "إلغاء تأشيرة",
    "Worker's civil or residence number": "الرقم المدني أو رقم إقامة العامل",
    "Details (optional)": "تفاصيل (اختياري)",
    "Submit the request": "قدّم الطلب",
    "Every service needs a level 2 login (ID card or Mobile ID).":
        "تتطلب كل خدمة دخولاً بالمستوى 2 (البطاقة الشخصية أو الهوية الرقمية للهاتف).",
    "Agents act for an establishment under a mandate that names the services they may use.":
        "يعمل المفوَّضون بالنيابة عن المنشأة بموجب تفويض يحدد الخدمات المسموح بها.",
    "Mandates are not yet offered by Bawaba: requests are submitted in your own name.":
        "لا تقدّم بوابة التفويضات بعد: تُقدَّم الطلبات باسمك الشخصي.",
    "You have no mandate for this service. Ask the establishment's owner to grant one.":
        "ليس لديك تفويض لهذه الخدمة. اطلب من مالك المنشأة منحك تفويضاً.",
    "Your mandate for {name} does not cover this service ({permission}). Ask the "
    "establishment's owner to add it.":
        "تفويضك للمنشأة {name} لا يشمل هذه الخدمة ({permission}). اطلب من مالك المنشأة "
        "إضافتها.",
    "Log in with your ID card or Mobile ID to use the services.":
        "سجّل الدخول بالبطاقة الشخصية أو الهوية الرقمية للهاتف لاستخدام الخدمات.",
    "Open the services": "افتح الخدمات",
    "Request received": "تم استلام الطلب",
    "Reference": "الرقم المرجعي",
    "Service": "الخدمة",
    "Worker": "العامل",
    "Submitted by": "مقدّم الطلب",
    "Submitted at": "وقت التقديم",
    "Status": "الحالة",
    "submitted": "مقدَّم",
    "No requests yet.": "لا توجد طلبات بعد.",
    "Please enter the worker's civil or residence number (6 to 12 digits).":
        "يرجى إدخال الرقم المدني أو رقم إقامة العامل (من 6 إلى 12 رقماً).",
    "The details are too long (500 characters at most).":
        "التفاصيل طويلة جداً (500 حرف كحد أقصى).",
}
