"""Why a mandate is not created, approved, rejected or revoked: one exception per reason,
each with the `code` the API and the audit trail use."""


class MandateError(Exception):
    code = "mandate_error"
    status = 400

    def __init__(self, detail=None):
        super().__init__(detail or self.code)
        self.detail = detail


class InvalidCrNumberError(MandateError):
    code = "invalid_cr_number"


class InvalidNationalIdError(MandateError):
    code = "invalid_national_id"


class InvalidPermissionsError(MandateError):
    code = "invalid_permissions"


class InvalidPeriodError(MandateError):
    code = "invalid_period"


class UnknownEstablishmentError(MandateError):
    code = "unknown_establishment"


class EstablishmentInactiveError(MandateError):
    code = "establishment_inactive"


class NotOwnerError(MandateError):
    code = "not_owner"
    status = 403


class LetterNotForAgentError(MandateError):
    code = "letter_not_for_agent"


class LetterExpiredError(MandateError):
    code = "letter_expired"


class LetterAlreadyUsedError(MandateError):
    code = "letter_already_used"
    status = 409


class UnknownMandateError(MandateError):
    code = "unknown_mandate"
    status = 404


class NotPendingError(MandateError):
    code = "not_pending"
    status = 409


class AlreadyRevokedError(MandateError):
    code = "already_revoked"
    status = 409


class ReasonRequiredError(MandateError):
    code = "reason_required"
