"""Expected failures: typed exceptions with a stable code and a French message.

gql/errors.py maps them to GraphQL error types in one place; anything else is a bug
and gets masked.
"""

from enum import StrEnum


class CommonErrorCode(StrEnum):
    """Codes any operation may return."""

    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"


class AccountErrorCode(StrEnum):
    """Codes of registration, activation, login and password operations."""

    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    UNKNOWN_TOWN = "UNKNOWN_TOWN"
    CGU_NOT_ACCEPTED = "CGU_NOT_ACCEPTED"
    EMAIL_INVALID = "EMAIL_INVALID"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    PASSWORD_TOO_WEAK = "PASSWORD_TOO_WEAK"
    REQUIRED = "REQUIRED"
    TOKEN_INVALID = "TOKEN_INVALID"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_USED = "TOKEN_USED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ACCOUNT_NOT_ACTIVATED = "ACCOUNT_NOT_ACTIVATED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    WRONG_PASSWORD = "WRONG_PASSWORD"
    OWN_ACCOUNT = "OWN_ACCOUNT"


class HouseholdErrorCode(StrEnum):
    """Codes of family-file operations."""

    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    ACCESS_KEY_INVALID = "ACCESS_KEY_INVALID"
    ACCESS_KEY_EXPIRED = "ACCESS_KEY_EXPIRED"
    ACCESS_KEY_USED = "ACCESS_KEY_USED"
    ALREADY_LINKED = "ALREADY_LINKED"
    REFERENCE_TAKEN = "REFERENCE_TAKEN"
    LAST_GUARDIAN = "LAST_GUARDIAN"
    PAYER_REQUIRED = "PAYER_REQUIRED"
    FUTURE_BOOKINGS = "FUTURE_BOOKINGS"
    ARCHIVED = "ARCHIVED"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"


class CalendarErrorCode(StrEnum):
    """Codes of catalogue, enrolment, calendar, booking and absence operations.

    The file codes are those of an absence report's attachments.
    """

    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    FILE_TYPE_REFUSED = "FILE_TYPE_REFUSED"
    FILE_EMPTY = "FILE_EMPTY"
    TOO_MANY_FILES = "TOO_MANY_FILES"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IN_USE = "IN_USE"
    DEADLINE_PASSED = "DEADLINE_PASSED"
    CONSENT_MISSING = "CONSENT_MISSING"
    ARCHIVED = "ARCHIVED"


class DocumentErrorCode(StrEnum):
    """Codes of the document storage."""

    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    FILE_TYPE_REFUSED = "FILE_TYPE_REFUSED"
    FILE_EMPTY = "FILE_EMPTY"
    TOO_MANY_FILES = "TOO_MANY_FILES"


class CommunicationErrorCode(StrEnum):
    """Codes of news, messages, requests and public questions operations."""

    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    RATE_LIMITED = "RATE_LIMITED"


class BillingErrorCode(StrEnum):
    """Codes of tariff, attendance, régie, invoice and tax-certificate operations."""

    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    TARIFF_OVERLAP = "TARIFF_OVERLAP"
    PAYMENT_UNAVAILABLE = "PAYMENT_UNAVAILABLE"
    PAYMENT_CLOSED = "PAYMENT_CLOSED"
    NOTHING_DUE = "NOTHING_DUE"
    PAYMENT_IN_PROGRESS = "PAYMENT_IN_PROGRESS"


class DirectDebitErrorCode(StrEnum):
    """Codes of SEPA mandates, direct-debit exports and rejections."""

    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    IBAN_INVALID = "IBAN_INVALID"
    BIC_INVALID = "BIC_INVALID"
    CREDITOR_ID_INVALID = "CREDITOR_ID_INVALID"
    MANDATE_REFERENCE_TAKEN = "MANDATE_REFERENCE_TAKEN"
    MANDATE_ALREADY_ACTIVE = "MANDATE_ALREADY_ACTIVE"
    MANDATE_REVOKED = "MANDATE_REVOKED"
    NO_CREDITOR = "NO_CREDITOR"
    ALREADY_EXPORTED = "ALREADY_EXPORTED"
    NOTHING_TO_EXPORT = "NOTHING_TO_EXPORT"
    BATCH_CLOSED = "BATCH_CLOSED"
    ALREADY_REJECTED = "ALREADY_REJECTED"


class TreasuryErrorCode(StrEnum):
    """Codes of the PES model and the titres exported to the Trésor public (PES V2)."""

    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    NO_PES_SETTINGS = "NO_PES_SETTINGS"
    ALREADY_EXPORTED = "ALREADY_EXPORTED"
    NOTHING_TO_EXPORT = "NOTHING_TO_EXPORT"
    DEBTOR_INCOMPLETE = "DEBTOR_INCOMPLETE"
    DIRECT_DEBIT_PENDING = "DIRECT_DEBIT_PENDING"
    BATCH_CLOSED = "BATCH_CLOSED"


class QuotientErrorCode(StrEnum):
    """Codes of the family quotients asked of the CAF/MSA through API Particulier."""

    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    CONSENT_REQUIRED = "CONSENT_REQUIRED"
    PROVIDER_ERROR = "PROVIDER_ERROR"


ErrorCode = (
    CommonErrorCode
    | AccountErrorCode
    | HouseholdErrorCode
    | CalendarErrorCode
    | DocumentErrorCode
    | CommunicationErrorCode
    | BillingErrorCode
    | DirectDebitErrorCode
    | TreasuryErrorCode
    | QuotientErrorCode
)


class DomainError(Exception):
    """An expected failure the user can act on."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class ValidationErrors(Exception):
    """Several field errors at once, so a form shows them all in one round trip."""

    def __init__(self, errors: list[DomainError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors


class NotAuthenticated(DomainError):
    def __init__(self) -> None:
        super().__init__(
            CommonErrorCode.NOT_AUTHENTICATED,
            "Vous devez être connecté. Votre session a peut-être expiré : reconnectez-vous.",
        )


class Forbidden(DomainError):
    def __init__(self, message: str = "Vous n'avez pas accès à cette opération.") -> None:
        super().__init__(CommonErrorCode.FORBIDDEN, message)


class NotFound(DomainError):
    """Also used for other households' objects, so their existence does not leak."""

    def __init__(self, what: str, field: str | None = None) -> None:
        super().__init__(CommonErrorCode.NOT_FOUND, f"{what} introuvable.", field)
