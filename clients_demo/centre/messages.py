"""Arabic texts of the service centre console."""

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
    "You start assisted work for the citizen and the service they need.":
        "تبدأ العمل بالمساعدة للمواطن والخدمة التي يحتاجها.",
    "The citizen consents on their own phone (Mobile ID or an SMS code naming the centre "
    "and the service).":
        "يوافق المواطن من هاتفه (بالهوية الرقمية للهاتف أو برمز رسالة قصيرة يذكر المركز "
        "والخدمة).",
    "This console exchanges the citizen's consent and your own token for a token about the "
    "citizen that names you as the actor (OAuth 2.0 Token Exchange, RFC 8693, claim act).":
        "تستبدل وحدة التحكم موافقة المواطن ورمزك برمز يخص المواطن ويذكرك بصفتك الفاعل "
        "(تبادل الرموز في OAuth 2.0، RFC 8693، المطالبة act).",
    "You submit the request in the service on the citizen's behalf; the citizen receives "
    "an SMS at each step.":
        "تقدّم الطلب في الخدمة نيابة عن المواطن، ويتلقى المواطن رسالة قصيرة في كل خطوة.",
    "Bawaba does not offer token exchange yet, so assisted work cannot start. This page "
    "will offer it as soon as Bawaba's discovery document lists the grant.":
        "لا تقدّم بوابة تبادل الرموز بعد، لذا لا يمكن بدء العمل بالمساعدة. ستتيحه هذه الصفحة "
        "فور إدراج المنحة في وثيقة الاكتشاف لدى بوابة.",
    "Token exchange is available.": "تبادل الرموز متاح.",
    "Citizen's consent token": "رمز موافقة المواطن",
    "Token type": "نوع الرمز",
    "Service": "الخدمة",
    "Start assisted work": "ابدأ العمل بالمساعدة",
    "Assisted work is not available yet.": "العمل بالمساعدة غير متاح بعد.",
    "Bawaba refused the token exchange.": "رفضت بوابة تبادل الرموز.",
    "Token issued": "صدر الرمز",
    "Citizen": "المواطن",
    "Acting operator": "الموظف الفاعل",
    "Centre": "المركز",
    "Error": "الخطأ",
    "Status": "الحالة",
    "No assisted work yet.": "لا يوجد عمل بالمساعدة بعد.",
    "Operator role": "دور الموظف",
    "Your Bawaba account does not hold the operator role.":
        "لا يحمل حسابك في بوابة دور الموظف.",
    "Please paste the citizen's consent token.": "يرجى لصق رمز موافقة المواطن.",
}
