"""A description for every enum value of the schema (GraphiQL's Docs, generated clients).

The enums stay the Python ``StrEnum``s the resolvers use; their GraphQL definitions are
made where they are wrapped (``strawberry.enum`` in gql/enums.py, gql/errors.py and the
areas' types), and ``describe_enum_values`` adds each member's description to those
definitions before the schema is built. An enum missing here, or a member, fails it: a
new value cannot reach the schema undescribed.
"""

from enum import Enum
from typing import Any

from models.absences import AbsenceOutcome, AbsenceReason, AbsenceStatus
from models.accounts import AccountRole, Civility
from models.billing import InvoiceDelivery, InvoiceKind, InvoiceLineKind
from models.bookings import EnrollmentStatus
from models.catalogue import (
    ActivityKind,
    DeadlineRule,
    HolidayPolicy,
    ReenrollmentStatus,
    SiteKind,
)
from models.documents import DocumentKind
from models.households import ContactKind, Diet, FamilyQuotientSource
from models.news import NewsAudience
from models.payments import (
    AttemptStatus,
    DeskPaymentMode,
    PaymentKind,
    PaymentMode,
    PaymentProvider,
    ReviewReason,
)
from models.requests import RequestKind, RequestStatus
from models.sepa import BatchStatus, LineStatus, MandateStatus, SequenceType
from models.treasury import PesBatchStatus
from resolvers.absences.absences import DatePreset
from resolvers.billing.invoices import InvoiceFilter
from resolvers.billing.ledger_modes import LedgerMode
from resolvers.calendar.booking_rules import DayReason, DayStatus
from resolvers.calendar.bookings import BookingAction, LineOutcome, WeekParity
from resolvers.calendar.reenrollment import ReenrollmentChoice
from resolvers.core import errors
from resolvers.households.family_files import Residency
from resolvers.live.live import CalendarChangeKind, RequestChangeKind
from resolvers.requests.requests_inbox import RequestAction

# Error codes mean the same in every area's enum.
ERROR_CODES = {
    "NOT_AUTHENTICATED": "No valid session: log in again.",
    "FORBIDDEN": "The account may not do this (a parent asking for a staff operation…).",
    "NOT_FOUND": "No such object for this account (another household's objects included).",
    "INVALID": "A value is refused; `field` names it and `message` says why, in French.",
    "REQUIRED": "A required value is missing (`field`).",
    "IDEMPOTENCY_KEY_REUSED": "This idempotency key already served for other changes: send a "
    "new key for these changes.",
    "UNKNOWN_TOWN": "No town has this slug.",
    "CGU_NOT_ACCEPTED": "The terms of use (CGU) must be accepted.",
    "EMAIL_INVALID": "Not an e-mail address.",
    "EMAIL_TAKEN": "An account of this town already has this e-mail.",
    "PASSWORD_TOO_WEAK": "The password does not follow the town's policy.",
    "TOKEN_INVALID": "The link or token is unknown.",
    "TOKEN_EXPIRED": "The link or token is too old: ask for a new one.",
    "TOKEN_USED": "The link or token was already used.",
    "INVALID_CREDENTIALS": "Wrong e-mail or password.",
    "ACCOUNT_NOT_ACTIVATED": "The account's activation link was not followed yet.",
    "RATE_LIMITED": "Too many submissions of a public form from this address or e-mail: "
    "the message says when to retry.",
    "TOO_MANY_ATTEMPTS": "Too many failed logins: the message says when to retry.",
    "WRONG_PASSWORD": "The current password given is wrong.",
    "OWN_ACCOUNT": "An administrator may not disable or change the role of their own account.",
    "ACCESS_KEY_INVALID": "No such household access key.",
    "ACCESS_KEY_EXPIRED": "The access key is too old: ask the town for a new one.",
    "ACCESS_KEY_USED": "The access key was already used.",
    "ALREADY_LINKED": "This account is already linked to the household.",
    "REFERENCE_TAKEN": "Another household of the town has this dossier number.",
    "IN_USE": "Bookings, enrolments, attendance or invoices depend on it: it cannot change.",
    "DEADLINE_PASSED": "The campaign's last day to answer has passed.",
    "LAST_GUARDIAN": "A family file keeps at least one guardian.",
    "PAYER_REQUIRED": "The change would leave the family file without a payer.",
    "FUTURE_BOOKINGS": "The child still has bookings from today on: cancel them first.",
    "ARCHIVED": "The family file (or the child) is archived: nothing new may be booked.",
    "CONSENT_MISSING": "A consent the town requires is not answered for the child.",
    "FILE_TOO_LARGE": "A file is larger than its limit (FAMILLE_UPLOAD_MAX_FILE_KB; "
    "FAMILLE_IMPORT_MAX_FILE_KB for a family import).",
    "FILE_TYPE_REFUSED": "A file is not an accepted type (judged by its content).",
    "FILE_EMPTY": "A file is empty.",
    "TOO_MANY_FILES": "More files than allowed for one document.",
    "TARIFF_OVERLAP": "The tariff's brackets or dates overlap another tariff's.",
    "PAYMENT_UNAVAILABLE": "The régie has no online payment.",
    "PAYMENT_CLOSED": "Outside the online-payment window.",
    "NOTHING_DUE": "Nothing left to pay on these invoices.",
    "PAYMENT_IN_PROGRESS": "A payment of these invoices is already under way.",
    "IBAN_INVALID": "The IBAN's checksum or national format is wrong.",
    "BIC_INVALID": "The BIC is malformed or does not match the IBAN's country.",
    "CREDITOR_ID_INVALID": "The creditor identifier (ICS) is malformed or its key is wrong.",
    "MANDATE_REFERENCE_TAKEN": "Another mandate of the town has this reference (RUM).",
    "MANDATE_ALREADY_ACTIVE": "The household already has an active mandate.",
    "MANDATE_REVOKED": "The mandate was revoked.",
    "NO_CREDITOR": "The régie has no SEPA creditor settings.",
    "ALREADY_EXPORTED": "This régie's month was already exported.",
    "NOTHING_TO_EXPORT": "No open invoice of that month to export (direct debit or PES).",
    "BATCH_CLOSED": "The batch was collected or cancelled already.",
    "ALREADY_REJECTED": "This debit was already recorded as rejected.",
    "NO_PES_SETTINGS": "The régie has no PES model (SIRET, poste comptable, codes) yet.",
    "DEBTOR_INCOMPLETE": "A debtor lacks what Hélios requires (address, postal code, name).",
    "DIRECT_DEBIT_PENDING": "Invoices of the month are in a direct-debit batch not collected.",
    "CONSENT_REQUIRED": "The parent's consent must be recorded before the CAF/MSA is asked.",
    "PROVIDER_ERROR": "API Particulier, the CAF or the MSA refused or failed: `message` "
    "gives their reason in French.",
}
ERROR_ENUMS: list[type[Enum]] = [
    errors.CommonErrorCode,
    errors.AccountErrorCode,
    errors.HouseholdErrorCode,
    errors.CalendarErrorCode,
    errors.DocumentErrorCode,
    errors.CommunicationErrorCode,
    errors.BillingErrorCode,
    errors.DirectDebitErrorCode,
    errors.TreasuryErrorCode,
    errors.QuotientErrorCode,
]

VALUES: dict[type[Enum], dict[str, str]] = {
    AccountRole: {
        "PARENT": "A guardian: reaches the households their account is linked to.",
        "AGENT": "Town staff of the family side: family files, requests, bookings, absences, "
        "messages, news, enrolments and the catalogue.",
        "ADMIN": "Town administrator: every staff operation, plus the staff and the town's "
        "settings.",
        "REGISSEUR": "Régisseur: billing, payments, desk payments, SEPA and exports of the "
        "régies they are given.",
        "SITE": "Site staff: attendance sheets and kitchen forecasts of their sites only.",
    },
    Civility: {"MADAME": "Madame (Mme).", "MONSIEUR": "Monsieur (M.)."},
    Diet: {
        "STANDARD": "No special regime.",
        "NO_PORK": "Sans porc.",
        "VEGETARIAN": "Végétarien.",
        "PACKED_MEAL": "Panier-repas brought by the family (PAI).",
    },
    ContactKind: {
        "DOCTOR": "Médecin traitant.",
        "EMERGENCY": "Personne à prévenir en cas d'urgence.",
        "AUTHORISED_PICKUP": "Personne autorisée à récupérer l'enfant.",
    },
    RequestKind: {
        "CONTACT_DETAILS_UPDATE": "Change of the household's address, phone or e-mail.",
        "CONTACT_ADD": "A contact added (doctor, emergency, pick-up).",
        "CONTACT_UPDATE": "A contact changed.",
        "CONTACT_REMOVE": "A contact removed.",
        "BOOKING_CHANGE": "Days booked or cancelled in one submit.",
        "ENROLLMENT": "An enrolment asked for an activity.",
        "ABSENCE_REPORT": "An absence reported.",
        "CHILD_UPDATE": "A change of a child's details, diet or PAI, decided by staff.",
        "FAMILY_QUOTIENT": "A proof of income sent for the town to set the family quotient.",
        "APPOINTMENT": "An appointment asked of the town (e.g. for a crèche place); staff "
        "answer it with a date, a time and a place.",
    },
    Residency: {
        "BY_POSTAL_CODE": "Resident when the postal code is one of the régie's.",
        "RESIDENT": "Priced as resident whatever the postal code (decided by an agent).",
        "NON_RESIDENT": "Priced as non-resident whatever the postal code.",
    },
    FamilyQuotientSource: {
        "MANUAL": "Typed by an agent without a document.",
        "CAF": "Read from the CAF (CDAP, attestation de quotient familial).",
        "MSA": "Read from the MSA (agricultural regime).",
        "PROOF": "Computed from a proof the family sent (avis d'imposition…).",
    },
    RequestStatus: {
        "SUBMITTED": "Sent, not looked at yet.",
        "IN_REVIEW": "An agent is handling it.",
        "COMPLETED": "Applied or accepted.",
        "REJECTED": "Refused, with the staff's comment.",
    },
    RequestAction: {
        "TAKE_IN_REVIEW": "Mark it as being handled.",
        "COMPLETE": "Apply or accept it.",
        "REJECT": "Refuse it, with a comment for the family.",
    },
    SiteKind: {
        "SCHOOL": "A school (école).",
        "RESTAURANT": "A school restaurant (restaurant scolaire).",
        "LEISURE_CENTRE": "A leisure centre (accueil de loisirs).",
    },
    ActivityKind: {
        "CANTEEN": "School lunch (restauration scolaire).",
        "MORNING_CARE": "Morning care before school (accueil du matin).",
        "EVENING_CARE": "Evening care after school (accueil du soir).",
        "STUDY": "Supervised study (étude surveillée).",
        "LEISURE_CENTRE": "Leisure centre, Wednesdays and holidays (centre de loisirs).",
    },
    HolidayPolicy: {
        "SCHOOL_DAYS": "Open on school days only, closed in school holidays.",
        "HOLIDAYS": "Open in school holidays only.",
        "ALL_DAYS": "Open on school days and in school holidays.",
    },
    DeadlineRule: {
        "DAYS_BEFORE": "N calendar days before the day, at the cut-off time.",
        "WORKING_DAYS_BEFORE": "N working days before the day, at the cut-off time.",
        "WEEKDAY_OF_PREVIOUS_WEEK": "Weekday N (0 = Monday) of the week before, at the cut-off.",
    },
    ReenrollmentStatus: {
        "PROPOSED": "This year's enrolment proposed for next year, not answered yet.",
        "CONFIRMED": "The family keeps it as it is (no review needed).",
        "CHANGED": "The family asks for another activity or site (staff review it).",
        "DROPPED": "The family stops it next year.",
        "LEAVING": "A CM2 child going to collège: not proposed again.",
        "ACCEPTED": "Accepted by staff: next year's enrolment is active.",
        "REFUSED": "Refused by staff, with a comment.",
    },
    ReenrollmentChoice: {
        "CONFIRM": "Keep the same activity at the same site next year.",
        "CHANGE": "Another activity and/or site open next year.",
        "DROP": "Not next year.",
    },
    EnrollmentStatus: {
        "REQUESTED": "Asked by the family, waiting for staff.",
        "ACTIVE": "Accepted: the child's days can be booked.",
        "REFUSED": "Refused by staff.",
        "WAITING": "On the activity's waiting list.",
    },
    DayStatus: {
        "BOOKED": "Booked.",
        "NOT_BOOKED": "Open and not booked.",
        "WAITING_LIST": "The child is on the day's waiting list.",
        "FULL": "No place left; the waiting list is offered.",
        "CLOSED": "Closed that day (holiday, closure, weekday not open).",
        "AWAITING_ENROLLMENT": "The enrolment waits for staff.",
        "NOT_ENROLLED": "The child is not enrolled in the activity that day.",
        "ABSENT": "An absence was reported for the booked day.",
    },
    DayReason: {
        "CHANGEABLE": "The day can still change (see `changeableUntil`).",
        "DEADLINE_PASSED": "The booking or cancellation deadline is past.",
        "NOT_YET_OPEN": "Booking has not opened yet for that day.",
        "FULL": "No place left; the waiting list is offered.",
        "PUBLIC_HOLIDAY": "A public holiday (jour férié).",
        "SCHOOL_HOLIDAY": "School holidays, when the activity is closed.",
        "OUTSIDE_HOLIDAYS": "A school day, when the activity opens only in holidays.",
        "EXCEPTIONAL_CLOSURE": "An exceptional closure of the town.",
        "WEEKDAY_CLOSED": "The activity does not open on that weekday.",
        "ENROLLMENT_PENDING": "The enrolment waits for staff.",
        "ENROLLMENT_REFUSED": "The enrolment was refused.",
        "ABSENCE_PENDING": "The reported absence waits for staff.",
        "ABSENCE_JUSTIFIED": "The absence was justified: not billed.",
        "ABSENCE_UNJUSTIFIED": "The absence was not justified: billed.",
        "UNPAID_INVOICE": "New bookings wait: an invoice is unpaid past the town's delay "
        "after its due date (`townSettings.unpaidBlockDays`).",
    },
    BookingAction: {"BOOK": "Book the day.", "CANCEL": "Cancel the day's booking."},
    WeekParity: {
        "ALL": "Every week.",
        "EVEN": "Even ISO week numbers only.",
        "ODD": "Odd ISO week numbers only.",
    },
    LineOutcome: {
        "BOOKED": "The day was booked.",
        "WAITING_LIST": "The day was full: the child is on its waiting list.",
        "CANCELLED": "The booking was cancelled.",
        "UNCHANGED": "Already so: nothing to do.",
        "REJECTED": "Refused: see the line's reason and message.",
    },
    AbsenceReason: {
        "ILLNESS": "Illness (maladie).",
        "DEROGATION": "A derogation granted by the town.",
        "BEREAVEMENT": "Bereavement (deuil).",
        "TEACHER_ABSENT": "The teacher is absent.",
        "OTHER": "Another reason, in the comment.",
    },
    AbsenceStatus: {
        "PENDING": "Waiting for staff.",
        "ACCEPTED": "Accepted by staff.",
        "REJECTED": "Refused by staff.",
        "CANCELLED_IN_TIME": "Every day was within its deadline and simply cancelled.",
    },
    AbsenceOutcome: {
        "CANCELLED_IN_TIME": "Cancelled within the deadline: not billed.",
        "PENDING_REVIEW": "Past the deadline: waits for staff.",
        "JUSTIFIED": "Justified by staff: not billed.",
        "UNJUSTIFIED": "Not justified: billed.",
    },
    DatePreset: {
        "TODAY": "Today (town time).",
        "YESTERDAY": "Yesterday.",
        "TOMORROW": "Tomorrow.",
        "THIS_WEEK": "Monday to Sunday of this week.",
        "LAST_WEEK": "Monday to Sunday of last week.",
        "NEXT_WEEK": "Monday to Sunday of next week.",
        "THIS_MONTH": "This calendar month.",
        "LAST_MONTH": "Last calendar month.",
        "NEXT_MONTH": "Next calendar month.",
        "DAY": "The one day given as `day`.",
        "RANGE": "From `day` to `end`, both included.",
    },
    DocumentKind: {
        "MEDICAL_CERTIFICATE": "Certificat médical.",
        "PROOF_OF_ADDRESS": "Justificatif de domicile.",
        "TAX_NOTICE": "Avis d'imposition.",
        "CAF_ATTESTATION": "Attestation CAF (quotient familial).",
        "IDENTITY": "Pièce d'identité.",
        "DEROGATION": "Dérogation.",
        "OTHER": "Any other document.",
    },
    NewsAudience: {
        "PUBLIC": "Anyone, even without an account.",
        "SITE": "Families with a child enrolled at the site.",
        "ACTIVITY": "Families with a child enrolled in the activity.",
    },
    InvoiceKind: {
        "INVOICE": "The month's invoice.",
        "COMPLEMENT": "A complementary invoice: more to pay after a change.",
        "CREDIT_NOTE": "A credit note (avoir): money owed back after a change.",
    },
    InvoiceLineKind: {
        "BOOKED": "Booked days.",
        "SURCHARGE": "Days attended without booking, with the régie's surcharge.",
        "ABSENCE": "Unjustified absences, billed.",
        "MANUAL": "Added by staff: a charge or a discount with its label, or a correction.",
    },
    InvoiceDelivery: {
        "EMAIL": "Mailed with its PDF (paperless household).",
        "PRINT": "To print and post.",
    },
    InvoiceFilter: {
        "ALL": "Every invoice.",
        "UNPAID": "Those with something still due.",
        "PAID": "Those fully settled.",
    },
    MandateStatus: {"ACTIVE": "Debits are collected under it.", "REVOKED": "Revoked: no more."},
    SequenceType: {
        "FRST": "The mandate's first collection.",
        "RCUR": "A recurring collection, after the first.",
    },
    PesBatchStatus: {
        "EXPORTED": "The PES file was produced; its invoices are locked.",
        "CANCELLED": "Withdrawn (never taken by Hélios): its invoices can be exported again.",
    },
    BatchStatus: {
        "EXPORTED": "File written, not collected yet.",
        "COLLECTED": "The bank credited the régie.",
        "CANCELLED": "Cancelled before collection.",
    },
    LineStatus: {
        "PENDING": "Waiting for collection.",
        "COLLECTED": "Collected.",
        "REJECTED": "Rejected by the payer's bank.",
    },
    PaymentProvider: {
        "PAYZEN": "PayZen (Lyra).",
        "PAYBOX": "Paybox (Verifone).",
        "PAYFIP": "PayFiP (DGFiP).",
        "DESK": "Paid at the régie's desk (recordDeskPayment).",
        "SEPA": "SEPA direct debit: a collected line of a direct-debit batch.",
    },
    DeskPaymentMode: {
        "CASH": "Espèces (cash).",
        "CHEQUE": "Chèque: bank, number and drawer recorded.",
        "CESU": "Chèques emploi service universel: paper titles (numbers) or e-CESU.",
        "TRANSFER": "Virement (bank transfer), with its reference.",
        "OTHER": "Any other means, described in the reference or note.",
    },
    LedgerMode: {
        "CASH": "Espèces at the desk.",
        "CHEQUE": "Cheques at the desk.",
        "CESU": "CESU titles or e-CESU at the desk.",
        "TRANSFER": "Bank transfers recorded at the desk.",
        "OTHER": "Other means recorded at the desk.",
        "ONLINE": "Online payment (PayZen, Paybox, PayFiP).",
        "DIRECT_DEBIT": "SEPA direct debit collected.",
        "CREDIT": "A household's credit (an earlier overpayment) used by a later invoice.",
    },
    PaymentMode: {"TEST": "The provider's test platform: no real money.", "PRODUCTION": "Real."},
    AttemptStatus: {
        "PENDING": "Waiting for the provider's answer.",
        "PAID": "Money received and recorded.",
        "MISMATCH": "Money came with another amount or currency: held for staff.",
        "REFUSED": "Refused by the provider or the bank.",
        "CANCELLED": "Cancelled by the payer.",
        "ABANDONED": "The payer left without paying.",
        "EXPIRED": "The provider's session ended without a payment.",
        "REFUNDED": "Paid, then refunded.",
    },
    PaymentKind: {
        "PAYMENT": "Money received.",
        "REFUND": "Money given back.",
        "REVERSAL": "An authorisation that lapsed, taken back.",
    },
    ReviewReason: {
        "AMOUNT_MISMATCH": "The amount paid differs from the amount asked.",
        "REFUND_NEEDED": (
            "Paid invoices were already settled: the surplus is the household's credit "
            "(its next invoices use it, or the régie refunds it)."
        ),
        "LATE_PAYMENT": "Paid after the attempt was given up.",
        "REVERSED": "A payment was reversed by the provider.",
        "UNMATCHED_REFUND": "A refund we did not ask for.",
    },
    CalendarChangeKind: {
        "BOOKINGS_CHANGED": "Days were booked or cancelled.",
        "WAITING_LIST_PROMOTED": "A waiting child got a place.",
        "ABSENCE_REPORTED": "An absence was reported.",
        "ABSENCE_DECIDED": "Staff decided on a reported absence.",
    },
    RequestChangeKind: {
        "CREATED": "A request was submitted.",
        "STATUS_CHANGED": "A request's status changed.",
    },
}


def describe_enum_values() -> None:
    """Put each member's description on its enum's GraphQL definition (before the schema
    is built: the definitions are read then)."""
    described = dict(VALUES)
    for enum in ERROR_ENUMS:
        described[enum] = {member.name: ERROR_CODES[member.name] for member in enum}
    for enum, descriptions in described.items():
        definition: Any = enum.__strawberry_definition__  # type: ignore[attr-defined]
        names = {value.name for value in definition.values}
        if names != descriptions.keys():
            raise ValueError(f"{enum.__name__}: described {sorted(descriptions)}, has {names}")
        for value in definition.values:
            value.description = descriptions[value.name]
