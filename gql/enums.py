"""Domain enums registered with GraphQL once, with their descriptions.

The model enums themselves are the GraphQL enums: import them from here in gql/ so the
registration has always run.
"""

import strawberry

from models.absences import AbsenceOutcome, AbsenceReason, AbsenceStatus
from models.accounts import AccountRole, Civility, ContactChannel
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
from models.requests import RequestKind, RequestStatus
from resolvers.absences.absences import DatePreset
from resolvers.calendar.booking_rules import DayReason, DayStatus
from resolvers.calendar.bookings import BookingAction, LineOutcome, WeekParity
from resolvers.calendar.reenrollment import ReenrollmentChoice
from resolvers.households.family_files import Residency
from resolvers.requests.requests_inbox import RequestAction

strawberry.enum(
    AccountRole, description="PARENT reaches their household; AGENT and ADMIN their town."
)
strawberry.enum(Civility, description="Civilité: MADAME (Mme) or MONSIEUR (M.).")
strawberry.enum(
    ContactChannel,
    description="« Moyen de contact préféré »: how the town reaches the parent first.",
)
strawberry.enum(Diet, description="Meal regime the canteen follows for a child.")
strawberry.enum(
    ContactKind,
    description="DOCTOR (médecin), EMERGENCY (personne à prévenir), "
    "AUTHORISED_PICKUP (personne autorisée à récupérer l'enfant).",
)
strawberry.enum(
    Residency,
    description="How the household is priced: BY_POSTAL_CODE (the régie's resident postal "
    "codes), RESIDENT or NON_RESIDENT (decided by an agent, e.g. a child schooled in town).",
)
strawberry.enum(
    FamilyQuotientSource,
    description="Where the family quotient came from: MANUAL, CAF, MSA or PROOF.",
)
strawberry.enum(RequestKind, description="What a request (demande) asks for.")
strawberry.enum(
    RequestStatus,
    description="Where a request stands: SUBMITTED, IN_REVIEW, COMPLETED, REJECTED.",
)
strawberry.enum(
    RequestAction,
    description="What an agent does with a request: TAKE_IN_REVIEW, COMPLETE (apply or "
    "accept) or REJECT (with a comment for the family).",
)

strawberry.enum(SiteKind, description="SCHOOL, RESTAURANT or LEISURE_CENTRE.")
strawberry.enum(ActivityKind, description="Family of service (canteen, care, study, leisure).")
strawberry.enum(
    HolidayPolicy,
    description="SCHOOL_DAYS: closed in school holidays (canteen); HOLIDAYS: open only in "
    "them; ALL_DAYS: both.",
)
strawberry.enum(
    DeadlineRule,
    description="DAYS_BEFORE: N days before the day; WORKING_DAYS_BEFORE: N working days "
    "before; WEEKDAY_OF_PREVIOUS_WEEK: weekday N (0 = Monday) of the week before. Always "
    "at the rule's cut-off time, town time.",
)
strawberry.enum(EnrollmentStatus, description="REQUESTED, ACTIVE (bookable), REFUSED or WAITING.")
strawberry.enum(
    ReenrollmentStatus,
    description="A re-enrolment line: PROPOSED, then the family's CONFIRMED, CHANGED or "
    "DROPPED, then the staff's ACCEPTED or REFUSED; LEAVING for a CM2 child going to collège.",
)
strawberry.enum(
    ReenrollmentChoice,
    description="A family's answer to a re-enrolment line: CONFIRM, CHANGE or DROP.",
)
strawberry.enum(
    DayStatus,
    description="What a day shows: BOOKED, NOT_BOOKED, WAITING_LIST, FULL, CLOSED, "
    "AWAITING_ENROLLMENT, NOT_ENROLLED.",
)
strawberry.enum(
    DayReason,
    description="Why a day can (CHANGEABLE) or cannot change: DEADLINE_PASSED, NOT_YET_OPEN, "
    "FULL (waiting list offered), PUBLIC_HOLIDAY, SCHOOL_HOLIDAY, OUTSIDE_HOLIDAYS, "
    "EXCEPTIONAL_CLOSURE, WEEKDAY_CLOSED, ENROLLMENT_PENDING, ENROLLMENT_REFUSED.",
)
strawberry.enum(BookingAction, description="BOOK or CANCEL a day.")
strawberry.enum(WeekParity, description="ALL weeks, or only EVEN / ODD ISO week numbers.")
strawberry.enum(
    LineOutcome,
    description="What a change line did: BOOKED, WAITING_LIST, CANCELLED, UNCHANGED "
    "(already so) or REJECTED (see its reason).",
)

strawberry.enum(
    AbsenceReason,
    description="ILLNESS (maladie), DEROGATION, BEREAVEMENT (deuil), TEACHER_ABSENT, OTHER.",
)
strawberry.enum(
    AbsenceStatus,
    description="PENDING (staff review), ACCEPTED, REJECTED, or CANCELLED_IN_TIME (every "
    "day was still within its deadline and simply cancelled).",
)
strawberry.enum(
    AbsenceOutcome,
    description="CANCELLED_IN_TIME (not billed), PENDING_REVIEW, JUSTIFIED (not billed), "
    "UNJUSTIFIED (billed).",
)
strawberry.enum(
    DatePreset,
    description="TODAY, YESTERDAY, TOMORROW, THIS/LAST/NEXT_WEEK, THIS/LAST/NEXT_MONTH (town "
    "time), DAY (give `day`) or RANGE (give `day` and `end`).",
)

strawberry.enum(
    DocumentKind,
    description="What a document proves: MEDICAL_CERTIFICATE (certificat médical), "
    "PROOF_OF_ADDRESS (justificatif de domicile), TAX_NOTICE (avis d'imposition), "
    "CAF_ATTESTATION (attestation CAF), IDENTITY (pièce d'identité), DEROGATION, OTHER.",
)

__all__ = [
    "DocumentKind",
    "AbsenceOutcome",
    "AbsenceReason",
    "AbsenceStatus",
    "DatePreset",
    "ActivityKind",
    "BookingAction",
    "DayReason",
    "DayStatus",
    "DeadlineRule",
    "EnrollmentStatus",
    "ReenrollmentStatus",
    "ReenrollmentChoice",
    "HolidayPolicy",
    "LineOutcome",
    "SiteKind",
    "WeekParity",
    "AccountRole",
    "Civility",
    "ContactChannel",
    "ContactKind",
    "Diet",
    "FamilyQuotientSource",
    "Residency",
    "RequestKind",
    "RequestStatus",
    "RequestAction",
]
