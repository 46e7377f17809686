"""Arabic texts of the manpower licensing pages."""

MESSAGES = {
    "Manpower licensing": "تراخيص القوى العاملة",
    "Apply for a licence": "تقديم طلب ترخيص",
    "Licence to recruit a household worker": "ترخيص استقدام عامل منزلي",
    "Log in with your ID card or Mobile ID, and we check the conditions with the civil "
    "registry and the social insurance system: no documents to upload.":
        "سجّل الدخول بالبطاقة الشخصية أو الهوية الرقمية للهاتف، ونتحقق من الشروط لدى السجل "
        "المدني ونظام التأمينات الاجتماعية: لا حاجة لرفع أي مستندات.",
    "Start an application": "ابدأ طلباً",
    "National ID": "الرقم المدني",
    "Date of birth": "تاريخ الميلاد",
    "Check my eligibility": "تحقق من أهليتي",
    "From your Bawaba account": "من حسابك في بوابة",
    "Please enter a national ID of 6 to 12 digits.": "يرجى إدخال رقم مدني من 6 إلى 12 رقماً.",
    "Please enter your date of birth.": "يرجى إدخال تاريخ ميلادك.",
    "The civil registry has no person with this national ID and date of birth.":
        "لا يوجد في السجل المدني شخص بهذا الرقم المدني وتاريخ الميلاد.",
    "Service unavailable": "الخدمة غير متاحة",
    "The civil registry cannot be reached right now.": "لا يمكن الوصول إلى السجل المدني حالياً.",
    "The social insurance system cannot be reached right now.":
        "لا يمكن الوصول إلى نظام التأمينات الاجتماعية حالياً.",
    "The payment service cannot be reached right now.": "لا يمكن الوصول إلى خدمة الدفع حالياً.",
    "Your application has been kept; please try again later.":
        "لم يُقدَّم طلبك بعد؛ يرجى المحاولة لاحقاً.",
    "My applications": "طلباتي",
    "Application": "الطلب",
    "Decision": "القرار",
    "Approved": "مقبول",
    "Rejected": "مرفوض",
    "Marital status": "الحالة الاجتماعية",
    "Monthly income": "الدخل الشهري",
    "Fee": "الرسوم",
    "Pay the fee": "ادفع الرسوم",
    "The fee was not paid.": "لم تُدفع الرسوم.",
    "Your licence has been issued.": "صدر ترخيصك.",
    "Licence number": "رقم الترخيص",
    "Licence holder": "حامل الترخيص",
    "Issued on": "تاريخ الإصدار",
    "Download the licence": "نزّل الترخيص",
    "View the licence": "اعرض الترخيص",
    "awaiting_payment": "بانتظار الدفع",
    "rejected": "مرفوض",
    "issued": "صادر",
    "married": "متزوج",
    "single": "أعزب",
    "divorced": "مطلق",
    "widowed": "أرمل",
    "The applicant must be married, widowed or divorced.":
        "يجب أن يكون مقدم الطلب متزوجاً أو أرملاً أو مطلقاً.",
    "The monthly income is below the minimum for this licence.":
        "الدخل الشهري أقل من الحد الأدنى لهذا الترخيص.",
    "The social insurance fund has no insured income or pension on record for the applicant.":
        "لا يوجد لدى صندوق التأمينات الاجتماعية دخل مؤمَّن عليه أو معاش مسجّل لمقدم الطلب.",
    "Status": "الحالة",
    "Reference": "الرقم المرجعي",
}
