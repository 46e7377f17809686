"""Texts of the service centre console: what each refusal means for the operator
(REFUSALS, by error code), and the Arabic of every text."""

REFUSALS = {
    "access_denied":
        "Your account is not an operator of this service centre at Bawaba. An administrator "
        "gives the role with: idp centres operators add <centre> <your sub>.",
    "unauthorized_client":
        "This console is not registered at Bawaba as a service centre's client allowed to "
        "act for citizens.",
    "invalid_token": "Your login at Bawaba has ended. Please log in again.",
    "insufficient_user_authentication":
        "Assisted work needs a level 2 login (ID card or Mobile ID). Please log in again.",
    "invalid_grant":
        "Bawaba did not accept the consent: the code is wrong or has expired, or the consent "
        "was already used.",
    "invalid_target": "Bawaba does not know this service, or the citizen did not consent to it.",
    "invalid_request":
        "The request was refused: the citizen cannot be reached for consent, or something "
        "is missing.",
    "slow_down": "Too many requests for this citizen. Please try again later.",
    "not_found": "This assisted work does not exist, or another operator started it.",
    "unsupported_token_type":
        "Bawaba answered with a token type this console does not accept (only access "
        "tokens).",
    "temporarily_unavailable": "The service cannot decide right now. Please try again later.",
    "invalid_form": "Please enter a national ID of 6 to 12 digits and choose a service.",
}

MESSAGES = {
    "Service centre console": "وحدة تحكم مركز الخدمة",
    "Console": "وحدة التحكم",
    "Assisted work": "العمل بالمساعدة",
    "Operators at a registered service centre serve citizens who walk in.":
        "يخدم موظفو مركز الخدمة المسجل المواطنين الذين يحضرون إلى المركز.",
    "How assisted work goes": "كيف يتم العمل بالمساعدة",
    "You log in at level 2 (ID card or Mobile ID) as an operator of your centre.":
        "تسجّل الدخول بالمستوى 2 (البطاقة الشخصية أو الهوية الرقمية للهاتف) بصفتك موظفاً في "
        "مركزك.",
    "You start assisted work for the citizen's national ID and the service they need.":
        "تبدأ العمل بالمساعدة برقم المواطن المدني والخدمة التي يحتاجها.",
    "Bawaba sends the citizen an SMS naming the centre and the service, with a 6-digit "
    "code; the citizen reads it to you and you enter it.":
        "ترسل بوابة إلى المواطن رسالة قصيرة تذكر المركز والخدمة ومعها رمز من 6 أرقام؛ "
        "يقرؤه المواطن لك فتُدخله.",
    "This console exchanges the citizen's consent and your own token for a token about the "
    "citizen that names you as the actor (OAuth 2.0 Token Exchange, RFC 8693, claim act).":
        "تستبدل وحدة التحكم موافقة المواطن ورمزك برمز يخص المواطن ويذكرك بصفتك الفاعل "
        "(تبادل الرموز في OAuth 2.0، RFC 8693، المطالبة act).",
    "You submit the request in the service on the citizen's behalf, then complete the "
    "work; the citizen receives an SMS at each step.":
        "تقدّم الطلب في الخدمة نيابة عن المواطن ثم تُنهي العمل، ويتلقى المواطن رسالة قصيرة "
        "في كل خطوة.",
    "Start assisted work": "ابدأ العمل بالمساعدة",
    "Citizen's national ID": "الرقم المدني للمواطن",
    "Service": "الخدمة",
    "No services are configured.": "لا توجد خدمات مُعدّة.",
    "No assisted work yet.": "لا يوجد عمل بالمساعدة بعد.",
    "Citizen": "المواطن",
    "Status": "الحالة",
    "State at Bawaba": "الحالة لدى بوابة",
    "Reference": "المرجع",
    "Error": "الخطأ",
    "Bawaba refused.": "رفضت بوابة.",
    "The service refused the request.": "رفضت الخدمة الطلب.",
    "Code from the citizen's SMS": "الرمز من رسالة المواطن القصيرة",
    "Ask the citizen for the 6-digit code Bawaba sent to their phone.":
        "اطلب من المواطن الرمز المكوّن من 6 أرقام الذي أرسلته بوابة إلى هاتفه.",
    "Confirm the consent": "أكّد الموافقة",
    "The citizen consented.": "وافق المواطن.",
    "Citizen's date of birth": "تاريخ ميلاد المواطن",
    "Submit the request for the citizen": "قدّم الطلب نيابة عن المواطن",
    "Request submitted": "قُدّم الطلب",
    "Acting operator": "الموظف الفاعل",
    "Centre": "المركز",
    "Decision": "القرار",
    "Approved": "موافق عليه",
    "Rejected": "مرفوض",
    "Complete the work": "أنهِ العمل",
    "The work is completed: the console can no longer act for the citizen.":
        "انتهى العمل: لم يعد بإمكان وحدة التحكم التصرف نيابة عن المواطن.",
    "awaiting_consent": "بانتظار الموافقة",
    "consented": "تمت الموافقة",
    "exchanged": "صدر رمز التصرف",
    "submitted": "قُدّم الطلب",
    "completed": "مكتمل",
    "abandoned": "متروك",
    "Labour office e-services": "الخدمات الإلكترونية لمكتب العمل",
    "Manpower licensing": "تراخيص القوى العاملة",
    "HR platform for government employees": "منصة الموارد البشرية لموظفي الحكومة",
    REFUSALS["access_denied"]:
        "حسابك ليس موظفاً في مركز الخدمة هذا لدى بوابة. يمنح المسؤول هذا الدور بالأمر: "
        "idp centres operators add <centre> <your sub>.",
    REFUSALS["unauthorized_client"]:
        "وحدة التحكم هذه غير مسجلة لدى بوابة بوصفها عميلاً لمركز خدمة مسموحاً له بالتصرف "
        "نيابة عن المواطنين.",
    REFUSALS["invalid_token"]: "انتهى دخولك إلى بوابة. يرجى تسجيل الدخول مرة أخرى.",
    REFUSALS["insufficient_user_authentication"]:
        "يتطلب العمل بالمساعدة دخولاً بالمستوى 2 (البطاقة الشخصية أو الهوية الرقمية للهاتف). "
        "يرجى تسجيل الدخول مرة أخرى.",
    REFUSALS["invalid_grant"]:
        "لم تقبل بوابة الموافقة: الرمز غير صحيح أو انتهت صلاحيته، أو استُخدمت الموافقة من قبل.",
    REFUSALS["invalid_target"]: "لا تعرف بوابة هذه الخدمة، أو لم يوافق المواطن عليها.",
    REFUSALS["invalid_request"]:
        "رُفض الطلب: لا يمكن الوصول إلى المواطن لأخذ موافقته، أو ينقص الطلب شيء.",
    REFUSALS["slow_down"]: "طلبات كثيرة جداً لهذا المواطن. حاول مرة أخرى لاحقاً.",
    REFUSALS["not_found"]: "هذا العمل بالمساعدة غير موجود، أو بدأه موظف آخر.",
    REFUSALS["unsupported_token_type"]:
        "أجابت بوابة بنوع رمز لا تقبله وحدة التحكم هذه (رموز الوصول فقط).",
    REFUSALS["temporarily_unavailable"]: "لا تستطيع الخدمة البت الآن. حاول مرة أخرى لاحقاً.",
    REFUSALS["invalid_form"]: "يرجى إدخال رقم مدني من 6 إلى 12 رقماً واختيار خدمة.",
}
