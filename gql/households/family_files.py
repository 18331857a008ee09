"""Family files for life: staff edit children, guardians and the household's data, archive and
restore files, define consent types; parents answer consents, switch paperless, ask for
changes to their children's files and send proofs of income (requests staff decide)."""

from datetime import date
from typing import Annotated

import strawberry

from gql.context import Info
from gql.enums import Civility, Diet, FamilyQuotientSource, Residency
from gql.errors import HouseholdError, handles_errors
from gql.households.mutations import ChildInput, GuardianInput, HouseholdPayload
from gql.households.types import (
    Child,
    ConsentAnswer,
    ConsentType,
    Guardian,
    Household,
    Request,
)
from gql.ids import decode_id
from gql.inputs import to_form
from resolvers.households import change_requests, consents, family_files
from resolvers.households.consents import ConsentTypeForm
from resolvers.households.family_files import ChildChanges, GuardianChanges, HouseholdChanges
from resolvers.households.households import ChildForm, GuardianForm
from resolvers.requests import family_quotient


@strawberry.input(description="A child's fields to change; omitted (null) fields stay as they are.")
class ChildChangesInput:
    last_name: str | None = strawberry.field(default=None, description="Nom.")
    first_names: str | None = strawberry.field(default=None, description="Prénom(s).")
    birth_date: date | None = strawberry.field(default=None, description="Date de naissance.")
    school: str | None = strawberry.field(default=None, description="School attended.")
    school_class: str | None = strawberry.field(default=None, description="Class (CP, CE1…).")
    health_notes: str | None = strawberry.field(default=None, description="Allergies, treatments.")
    has_pai: bool | None = strawberry.field(default=None, description="Has a PAI.")
    pai_details: str | None = strawberry.field(default=None, description="What the PAI requires.")
    diet: Diet | None = strawberry.field(default=None, description="Meal regime.")


@strawberry.input(description="A guardian's fields to change; omitted (null) fields stay.")
class GuardianChangesInput:
    civility: Civility | None = strawberry.field(default=None, description="Civilité.")
    last_name: str | None = strawberry.field(default=None, description="Nom.")
    first_names: str | None = strawberry.field(default=None, description="Prénom(s).")
    relationship: str | None = strawberry.field(default=None, description="Mère, père, tuteur…")
    email: str | None = strawberry.field(default=None, description="E-mail.")
    phone_mobile: str | None = strawberry.field(default=None, description="Mobile phone.")
    phone_work: str | None = strawberry.field(default=None, description="Work phone.")
    is_payer: bool | None = strawberry.field(
        default=None, description="Pays the invoices (the file keeps at least one payer)."
    )
    receives_mail: bool | None = strawberry.field(
        default=None, description="Receives the town's mails about the household."
    )


@strawberry.input(description="The household's data to change; omitted (null) fields stay.")
class HouseholdChangesInput:
    name: str | None = strawberry.field(default=None, description="Label of the file.")
    address_line: str | None = strawberry.field(default=None, description="Street address.")
    address_complement: str | None = strawberry.field(default=None, description="Building, floor…")
    postal_code: str | None = strawberry.field(default=None, description="Code postal.")
    city: str | None = strawberry.field(default=None, description="Commune.")
    phone: str | None = strawberry.field(default=None, description="Household phone.")
    email: str | None = strawberry.field(default=None, description="Household e-mail.")
    residency: Residency | None = strawberry.field(
        default=None, description="Resident for pricing: by postal code, or decided."
    )
    paperless: bool | None = strawberry.field(default=None, description="Invoices by e-mail only.")


@strawberry.input(description="A consent type as the town defines it.")
class ConsentTypeInput:
    name: str = strawberry.field(description="Droit à l'image, rentrer seul… (unique).")
    description: str = strawberry.field(default="", description="What the guardian agrees to.")
    required: bool = strawberry.field(
        default=False, description="Unanswered, it blocks the child's enrolments."
    )
    active: bool = strawberry.field(default=True, description="False retires it.")


@strawberry.type(description="Result of a child mutation.")
class ChildPayload:
    child: Child | None = strawberry.field(default=None, description="The child.")
    archived: bool = strawberry.field(
        default=False,
        description="`removeChild`: true when the child was archived (kept for invoices and "
        "history), false when deleted (no history) or for other mutations.",
    )
    errors: list[HouseholdError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


@strawberry.type(description="Result of a guardian mutation.")
class GuardianPayload:
    guardian: Guardian | None = strawberry.field(
        default=None, description="The guardian; null after a removal."
    )
    household: Household | None = strawberry.field(
        default=None, description="The household after the change."
    )
    errors: list[HouseholdError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


@strawberry.type(description="Result of `saveConsentType`.")
class ConsentTypePayload:
    consent_type: ConsentType | None = strawberry.field(default=None, description="The type.")
    errors: list[HouseholdError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


@strawberry.type(description="Result of `answerConsent`.")
class ConsentAnswerPayload:
    answer: ConsentAnswer | None = strawberry.field(default=None, description="The answer.")
    errors: list[HouseholdError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


@strawberry.type(description="Result of a mutation creating or completing a request.")
class FamilyRequestPayload:
    request: Request | None = strawberry.field(default=None, description="The request.")
    errors: list[HouseholdError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


ChildId = Annotated[strawberry.ID, strawberry.argument(description="Child id.")]
GuardianId = Annotated[strawberry.ID, strawberry.argument(description="Guardian id.")]
HouseholdId = Annotated[strawberry.ID, strawberry.argument(description="Household id.")]


@strawberry.type
class FamilyFileMutations:
    @strawberry.mutation(description="Staff: add a child to a family file (audited).")
    @handles_errors()
    async def add_child(
        self,
        info: Info,
        household_id: HouseholdId,
        input: Annotated[ChildInput, strawberry.argument(description="The child.")],
    ) -> ChildPayload:
        row = await family_files.add_child(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            to_form(ChildForm, input),
            clock=info.context.clock,
        )
        return ChildPayload(child=Child.from_model(row))

    @strawberry.mutation(
        description="Staff: change a child's details, school and class, health notes, PAI or "
        "diet (audited, without the health values)."
    )
    @handles_errors()
    async def update_child(
        self,
        info: Info,
        child_id: ChildId,
        input: Annotated[ChildChangesInput, strawberry.argument(description="Fields to change.")],
    ) -> ChildPayload:
        row = await family_files.update_child(
            info.context.account,
            decode_id(child_id, "Child", field="childId"),
            to_form(ChildChanges, input),
            clock=info.context.clock,
        )
        return ChildPayload(child=Child.from_model(row))

    @strawberry.mutation(
        description="Staff: take a child off the file. Deleted when entered by mistake (no "
        "booking, attendance, invoice or absence); otherwise archived: kept for invoices, tax "
        "certificates and past sheets, out of the calendar. Refused (FUTURE_BOOKINGS) while "
        "days are booked from today on."
    )
    @handles_errors()
    async def remove_child(self, info: Info, child_id: ChildId) -> ChildPayload:
        removal = await family_files.remove_child(
            info.context.account,
            decode_id(child_id, "Child", field="childId"),
            clock=info.context.clock,
        )
        return ChildPayload(
            child=Child.from_model(removal.child) if removal.archived else None,
            archived=removal.archived,
        )

    @strawberry.mutation(
        description="Staff: add a guardian (a new partner, a tutor); issue them an access key "
        "with `issueAccessKey` to link their account."
    )
    @handles_errors()
    async def add_guardian(
        self,
        info: Info,
        household_id: HouseholdId,
        input: Annotated[GuardianInput, strawberry.argument(description="The guardian.")],
    ) -> GuardianPayload:
        row = await family_files.add_guardian(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            to_form(GuardianForm, input),
            clock=info.context.clock,
        )
        return GuardianPayload(guardian=Guardian.from_model(row))

    @strawberry.mutation(
        description="Staff: change a guardian's details, who pays (`isPayer`: the file keeps a "
        "payer, PAYER_REQUIRED) and who receives the mails (`receivesMail`)."
    )
    @handles_errors()
    async def update_guardian(
        self,
        info: Info,
        guardian_id: GuardianId,
        input: Annotated[
            GuardianChangesInput, strawberry.argument(description="Fields to change.")
        ],
    ) -> GuardianPayload:
        row = await family_files.update_guardian(
            info.context.account,
            decode_id(guardian_id, "Guardian", field="guardianId"),
            to_form(GuardianChanges, input),
            clock=info.context.clock,
        )
        return GuardianPayload(guardian=Guardian.from_model(row))

    @strawberry.mutation(
        description="Staff: remove a guardian (after a separation): their account loses the "
        "file at once, the other guardians keep it. Refused for the last guardian "
        "(LAST_GUARDIAN) and the only payer (PAYER_REQUIRED)."
    )
    @handles_errors()
    async def remove_guardian(self, info: Info, guardian_id: GuardianId) -> GuardianPayload:
        row = await family_files.remove_guardian(
            info.context.account,
            decode_id(guardian_id, "Guardian", field="guardianId"),
            clock=info.context.clock,
        )
        return GuardianPayload(household=Household.from_model(row))

    @strawberry.mutation(
        description="Staff: change the household's name, address, residency for pricing and "
        "paperless invoices (audited)."
    )
    @handles_errors()
    async def update_household(
        self,
        info: Info,
        household_id: HouseholdId,
        input: Annotated[
            HouseholdChangesInput, strawberry.argument(description="Fields to change.")
        ],
    ) -> HouseholdPayload:
        row = await family_files.update_household(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            to_form(HouseholdChanges, input),
            clock=info.context.clock,
        )
        return HouseholdPayload(household=Household.from_model(row))

    @strawberry.mutation(
        description="Staff: set the family quotient, its last valid day and its source; the "
        "invoices of the days it is valid on use it (past it: the highest price). Null "
        "`quotient` removes it."
    )
    @handles_errors()
    async def set_family_quotient(
        self,
        info: Info,
        household_id: HouseholdId,
        quotient_source: Annotated[
            FamilyQuotientSource, strawberry.argument(description="Where it comes from.")
        ],
        quotient: Annotated[
            int | None, strawberry.argument(description="Euros; null (or left out) removes it.")
        ] = None,
        valid_until: Annotated[
            date | None, strawberry.argument(description="Last day it applies; null: no end.")
        ] = None,
    ) -> HouseholdPayload:
        row = await family_files.set_family_quotient(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            quotient,
            valid_until,
            quotient_source,
            clock=info.context.clock,
        )
        return HouseholdPayload(household=Household.from_model(row))

    @strawberry.mutation(
        description="Staff: archive a file (the family left: no new booking or enrolment, "
        "hidden from `households` unless asked, kept for billing) or restore it."
    )
    @handles_errors()
    async def set_household_archived(
        self,
        info: Info,
        household_id: HouseholdId,
        archived: Annotated[
            bool, strawberry.argument(description="True archives, false restores.")
        ],
    ) -> HouseholdPayload:
        row = await family_files.set_archived(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            archived,
            clock=info.context.clock,
        )
        return HouseholdPayload(household=Household.from_model(row))

    @strawberry.mutation(
        description="Invoices by e-mail only (true) or on paper: a guardian decides it for "
        "their household (recorded in its requests), staff too (audited)."
    )
    @handles_errors()
    async def set_paperless(
        self,
        info: Info,
        household_id: HouseholdId,
        paperless: Annotated[bool, strawberry.argument(description="True: e-mail only.")],
    ) -> HouseholdPayload:
        row = await family_files.set_paperless(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            paperless,
            clock=info.context.clock,
        )
        return HouseholdPayload(household=Household.from_model(row))

    @strawberry.mutation(
        description="A guardian asks to change their child's details, diet or PAI: a "
        "CHILD_UPDATE request staff accept (applied then) or refuse with `changeRequestStatus`."
    )
    @handles_errors()
    async def request_child_update(
        self,
        info: Info,
        child_id: ChildId,
        input: Annotated[ChildChangesInput, strawberry.argument(description="Fields to change.")],
    ) -> FamilyRequestPayload:
        row = await change_requests.request_child_update(
            info.context.account,
            decode_id(child_id, "Child", field="childId"),
            to_form(ChildChanges, input),
            clock=info.context.clock,
        )
        return FamilyRequestPayload(request=Request.from_model(row))

    @strawberry.mutation(
        description="A guardian sends proofs of income (documents uploaded with "
        "`uploadDocument`, e.g. TAX_NOTICE or CAF_ATTESTATION) in a FAMILY_QUOTIENT request; "
        "staff complete it with `completeFamilyQuotientRequest` or reject it."
    )
    @handles_errors()
    async def request_family_quotient(
        self,
        info: Info,
        household_id: HouseholdId,
        document_ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="The proofs (documents).")
        ],
        comment: Annotated[str, strawberry.argument(description="A word for the town.")] = "",
    ) -> FamilyRequestPayload:
        row = await family_quotient.request_family_quotient(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            [decode_id(i, "Document", field="documentIds") for i in document_ids],
            comment,
            clock=info.context.clock,
        )
        return FamilyRequestPayload(request=Request.from_model(row))

    @strawberry.mutation(
        description="Staff: complete a FAMILY_QUOTIENT request with the quotient read on its "
        "proof: sets it (source PROOF unless told), adds the history step, mails the family."
    )
    @handles_errors()
    async def complete_family_quotient_request(
        self,
        info: Info,
        request_id: Annotated[strawberry.ID, strawberry.argument(description="The request.")],
        quotient: Annotated[int, strawberry.argument(description="Quotient in euros.")],
        valid_until: Annotated[
            date | None, strawberry.argument(description="Last day it applies.")
        ] = None,
        quotient_source: Annotated[
            FamilyQuotientSource, strawberry.argument(description="Where it comes from.")
        ] = FamilyQuotientSource.PROOF,
        comment: Annotated[str, strawberry.argument(description="Told to the family.")] = "",
    ) -> FamilyRequestPayload:
        row = await family_quotient.complete_family_quotient(
            info.context.account,
            decode_id(request_id, "Request", field="requestId"),
            quotient,
            valid_until,
            quotient_source,
            comment,
            clock=info.context.clock,
        )
        return FamilyRequestPayload(request=Request.from_model(row))

    @strawberry.mutation(
        description="Staff (town settings): define a consent asked for every child, or change "
        "one (`consentTypeId`); `active` false retires it, its answers stay."
    )
    @handles_errors()
    async def save_consent_type(
        self,
        info: Info,
        input: Annotated[ConsentTypeInput, strawberry.argument(description="The type.")],
        consent_type_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The type to change.")
        ] = None,
    ) -> ConsentTypePayload:
        row = await consents.save_consent_type(
            info.context.account,
            to_form(ConsentTypeForm, input),
            consent_type_id=decode_id(consent_type_id, "ConsentType", field="consentTypeId")
            if consent_type_id is not None
            else None,
            clock=info.context.clock,
        )
        return ConsentTypePayload(consent_type=ConsentType.from_model(row))

    @strawberry.mutation(
        description="A guardian answers a consent for their child, yes or no (date and author "
        "kept; a new answer replaces it, the history stays). Staff may type a paper form in."
    )
    @handles_errors()
    async def answer_consent(
        self,
        info: Info,
        child_id: ChildId,
        consent_type_id: Annotated[
            strawberry.ID, strawberry.argument(description="The consent type.")
        ],
        granted: Annotated[bool, strawberry.argument(description="Yes (true) or no.")],
    ) -> ConsentAnswerPayload:
        row = await consents.answer_consent(
            info.context.account,
            decode_id(child_id, "Child", field="childId"),
            decode_id(consent_type_id, "ConsentType", field="consentTypeId"),
            granted,
            clock=info.context.clock,
        )
        return ConsentAnswerPayload(answer=ConsentAnswer.from_model(row))
