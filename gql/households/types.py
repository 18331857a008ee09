"""GraphQL types of family files: households, guardians, children, contacts, requests."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from gql.context import Info
from gql.documents.types import Document
from gql.enums import (
    Civility,
    ContactKind,
    Diet,
    FamilyQuotientSource,
    RequestKind,
    RequestStatus,
    Residency,
)
from gql.ids import encode_id
from gql.node import Node
from gql.pagination import EDGES, Edge, PageInfo, after_pk, connection_fields, page_size
from models import households as m
from models.accounts import AccountRole
from models.requests import Request as RequestModel
from resolvers.households import family_files
from resolvers.households.consents import ChildConsent as ChildConsentRow
from resolvers.requests import appointments


@strawberry.type(description="A consent the town asks for each child (autorisation parentale).")
class ConsentType(Node):
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    name: str = strawberry.field(description="Droit à l'image, rentrer seul…")
    description: str = strawberry.field(description="What the guardian agrees to.")
    required: bool = strawberry.field(
        description="Unanswered, it blocks the child's enrolments (CONSENT_MISSING)."
    )
    active: bool = strawberry.field(description="False once retired: no longer asked.")

    @classmethod
    def from_model(cls, row: m.ConsentType) -> "ConsentType":
        return cls(
            id=strawberry.ID(encode_id("ConsentType", row.id)),
            name=row.name,
            description=row.description,
            required=row.required,
            active=row.active,
        )


@strawberry.type(description="One answer given for a child's consent, kept in its history.")
class ConsentAnswer:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    consent_type_id: strawberry.ID = strawberry.field(description="The consent type's id.")
    granted: bool = strawberry.field(description="Yes (true) or no (false).")
    answered_at: datetime = strawberry.field(description="When (UTC).")
    author_name: str = strawberry.field(description="Who answered, as recorded then.")

    @classmethod
    def from_model(cls, row: m.ConsentAnswer) -> "ConsentAnswer":
        return cls(
            id=strawberry.ID(encode_id("ConsentAnswer", row.id)),
            consent_type_id=strawberry.ID(encode_id("ConsentType", row.consent_type_id)),
            granted=row.granted,
            answered_at=row.answered_at,
            author_name=row.author_name,
        )


@strawberry.type(description="A consent type with the answer in force for one child.")
class ChildConsent:
    consent_type: ConsentType = strawberry.field(description="What is asked.")
    answer: ConsentAnswer | None = strawberry.field(
        description="The latest answer; null while nobody answered."
    )

    @classmethod
    def from_row(cls, row: ChildConsentRow) -> "ChildConsent":
        return cls(
            consent_type=ConsentType.from_model(row.consent_type),
            answer=ConsentAnswer.from_model(row.answer) if row.answer is not None else None,
        )


if TYPE_CHECKING:
    from gql.calendar.types import Enrollment
    from gql.messages.types import MessageThread


@strawberry.type(description="An adult responsible for the children (responsable légal).")
class Guardian(Node):
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    civility: Civility = strawberry.field(description="Civilité.")
    last_name: str = strawberry.field(description="Nom.")
    first_names: str = strawberry.field(description="Prénom(s).")
    relationship: str = strawberry.field(description="Mère, père, tuteur…")
    email: str = strawberry.field(description="E-mail where the town writes to them.")
    phone_mobile: str = strawberry.field(description="Mobile phone.")
    phone_work: str = strawberry.field(description="Work phone.")
    is_payer: bool = strawberry.field(description="Receives and pays the invoices.")
    receives_mail: bool = strawberry.field(
        description="The town's mails about the household (request decisions, enrolments…) "
        "go to this guardian's account."
    )
    has_account: bool = strawberry.field(
        description="True once this guardian linked a portal account with their access key."
    )
    pk: strawberry.Private[int]

    @strawberry.field(
        description="Reminder mails on (the default) or off (`setReminders`): booking, "
        "invoice and document reminders."
    )
    async def reminders_enabled(self, info: Info) -> bool:
        return not await info.context.loaders.opt_outs_by_guardian.load(self.pk)

    @classmethod
    def from_model(cls, row: m.Guardian) -> "Guardian":
        return cls(
            id=strawberry.ID(encode_id("Guardian", row.id)),
            civility=row.civility,
            last_name=row.last_name,
            first_names=row.first_names,
            relationship=row.relationship,
            email=row.email,
            phone_mobile=row.phone_mobile,
            phone_work=row.phone_work,
            is_payer=row.is_payer,
            receives_mail=row.receives_mail,
            has_account=row.account_id is not None,
            pk=row.id,
        )


@strawberry.type(description="A child of the household.")
class Child(Node):
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    last_name: str = strawberry.field(description="Nom.")
    first_names: str = strawberry.field(description="Prénom(s).")
    birth_date: date = strawberry.field(description="Date de naissance.")
    school: str = strawberry.field(description="École fréquentée.")
    school_class: str = strawberry.field(description="Classe (CP, CE1…).")
    has_pai: bool = strawberry.field(description="Has a projet d'accueil individualisé (PAI).")
    diet: Diet = strawberry.field(description="Meal regime.")
    archived_at: datetime | None = strawberry.field(
        description="When the child left the file (kept for invoices and history); null "
        "while in it."
    )
    pk: strawberry.Private[int]
    stored_health_notes: strawberry.Private[str]
    stored_pai_details: strawberry.Private[str]

    async def _audited(self, info: Info, value: str) -> str:
        """Health data read by an agent is recorded (RGPD); a family reading its own is not."""
        reader = info.context.account
        if reader is not None and reader.role != AccountRole.PARENT:
            await info.context.loaders.health_read_by_child.load((reader, self.pk))
        return value

    @strawberry.field(
        description="Allergies, treatments, for the staff (an agent's read is audited)."
    )
    async def health_notes(self, info: Info) -> str:
        return await self._audited(info, self.stored_health_notes)

    @strawberry.field(
        description="What the PAI says the staff must do (an agent's read is audited)."
    )
    async def pai_details(self, info: Info) -> str:
        return await self._audited(info, self.stored_pai_details)

    @strawberry.field(
        description="Every consent the town asks (active types), with the answer in force."
    )
    async def consents(self, info: Info) -> list[ChildConsent]:
        rows = await info.context.loaders.consents_by_child.load(self.pk)
        return [ChildConsent.from_row(row) for row in rows]

    @strawberry.field(description="Every consent answer given for the child, newest first.")
    async def consent_history(self, info: Info) -> list[ConsentAnswer]:
        rows = await info.context.loaders.consent_history_by_child.load(self.pk)
        return [ConsentAnswer.from_model(row) for row in rows]

    @classmethod
    def from_model(cls, row: m.Child) -> "Child":
        return cls(
            id=strawberry.ID(encode_id("Child", row.id)),
            last_name=row.last_name,
            first_names=row.first_names,
            birth_date=row.birth_date,
            school=row.school,
            school_class=row.school_class,
            has_pai=row.has_pai,
            diet=row.diet,
            archived_at=row.archived_at,
            pk=row.id,
            stored_health_notes=row.health_notes,
            stored_pai_details=row.pai_details,
        )


@strawberry.type(description="Doctor, emergency contact or authorised pick-up person.")
class Contact:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    kind: ContactKind = strawberry.field(description="Role of this person.")
    last_name: str = strawberry.field(description="Nom.")
    first_names: str = strawberry.field(description="Prénom(s).")
    relationship: str = strawberry.field(description="Grand-mère, voisin…")
    phone: str = strawberry.field(description="Phone number.")
    notes: str = strawberry.field(description="Anything the staff should know.")

    @classmethod
    def from_model(cls, row: m.Contact) -> "Contact":
        return cls(
            id=strawberry.ID(encode_id("Contact", row.id)),
            kind=row.kind,
            last_name=row.last_name,
            first_names=row.first_names,
            relationship=row.relationship,
            phone=row.phone,
            notes=row.notes,
        )


@strawberry.type(description="One step in a request's history.")
class RequestEvent:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    status: RequestStatus = strawberry.field(description="Status reached at this step.")
    comment: str = strawberry.field(description="Comment in French, e.g. the staff's reason.")
    created_at: datetime = strawberry.field(description="When (UTC).")


@strawberry.type(description="The meeting staff set for an appointment request.")
class Appointment:
    starts_at: datetime = strawberry.field(description="When it starts (UTC).")
    place: str = strawberry.field(description="Where, as told to the family.")

    @classmethod
    def of(cls, row: RequestModel) -> "Appointment | None":
        found = appointments.appointment_of(row)
        return cls(starts_at=found.starts_at, place=found.place) if found else None


@strawberry.type(description="A request (demande) of the household, with its history.")
class Request(Node):
    pk: strawberry.Private[int]
    household_pk: strawberry.Private[int]
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    kind: RequestKind = strawberry.field(description="What it asks for.")
    status: RequestStatus = strawberry.field(description="Where it stands now.")
    summary: str = strawberry.field(description="One line in French for the list.")
    created_at: datetime = strawberry.field(description="Submitted at (UTC).")
    updated_at: datetime = strawberry.field(description="Last status change (UTC).")
    appointment_set: strawberry.Private[Appointment | None] = None

    @strawberry.field(description="Documents given to justify it (absence reports…).")
    async def attachments(self, info: Info) -> list[Document]:
        rows = await info.context.loaders.documents_by_request.load(self.pk)
        return [Document.from_model(row) for row in rows]

    @strawberry.field(description="The household that submitted it.")
    async def household(self, info: Info) -> "Household":
        row = await info.context.loaders.household_by_id.load(self.household_pk)
        assert row is not None  # a request is deleted with its household
        return Household.from_model(row)

    @strawberry.field(description="Message threads (échanges) about this request, oldest first.")
    async def message_threads(
        self, info: Info
    ) -> list[Annotated["MessageThread", strawberry.lazy("gql.messages.types")]]:
        from gql.messages.types import MessageThread  # noqa: F811 - lazy, as for enrollments

        reader = info.context.require_account()
        rows = await info.context.loaders.threads_by_request.load(self.pk)
        unread = await info.context.loaders.unread_by_thread.load_many(
            [(reader, row.id) for row in rows]
        )
        return [
            MessageThread.from_model(row, count) for row, count in zip(rows, unread, strict=True)
        ]

    @strawberry.field(
        description="An APPOINTMENT request's meeting once staff set it (null otherwise)."
    )
    def appointment(self) -> Appointment | None:
        return self.appointment_set

    @strawberry.field(description="Every status step, oldest first.")
    async def history(self, info: Info) -> list[RequestEvent]:
        rows = await info.context.loaders.events_by_request.load(self.pk)
        return [
            RequestEvent(
                id=strawberry.ID(encode_id("RequestEvent", row.id)),
                status=row.status,
                comment=row.comment,
                created_at=row.created_at,
            )
            for row in rows
        ]

    @classmethod
    def from_model(cls, row: RequestModel) -> "Request":
        return cls(
            pk=row.id,
            household_pk=row.household_id,
            id=strawberry.ID(encode_id("Request", row.id)),
            kind=row.kind,
            status=row.status,
            summary=row.summary,
            created_at=row.created_at,
            updated_at=row.updated_at,
            appointment_set=Appointment.of(row),
        )


@strawberry.type(description="A page of requests, newest first.")
class RequestConnection:
    nodes: list[Request] = strawberry.field(description="The requests of this page.")
    edges: list[Edge[Request]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="Number of requests in the whole list.")


@strawberry.type(description="A family file (foyer): address, guardians, children, contacts.")
class Household(Node):
    pk: strawberry.Private[int]
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    reference: str = strawberry.field(description="Dossier number printed on invoices.")
    name: str = strawberry.field(description="Label such as « Famille Martin ».")
    address_line: str = strawberry.field(description="Street address.")
    address_complement: str = strawberry.field(description="Building, floor…")
    postal_code: str = strawberry.field(description="Code postal.")
    city: str = strawberry.field(description="Commune.")
    phone: str = strawberry.field(description="Household phone.")
    email: str = strawberry.field(description="Household e-mail for invoices.")
    family_quotient: int | None = strawberry.field(
        description="Quotient familial in euros; null when the town has none on file."
    )
    family_quotient_valid_until: date | None = strawberry.field(
        description="Last day the quotient applies; past it the maximum tariff applies."
    )
    family_quotient_source: FamilyQuotientSource | None = strawberry.field(
        description="Where the quotient came from (CAF, MSA, a proof, typed by an agent); "
        "when fetched through API Particulier, CAF or MSA with `familyQuotientMonth`."
    )
    family_quotient_set_on: date | None = strawberry.field(
        description="Day the quotient was last set."
    )
    family_quotient_month: date | None = strawberry.field(
        description="First day of the month the CAF/MSA computed the quotient for, when it "
        "was fetched through API Particulier; null when typed or read from a proof."
    )
    residency: Residency = strawberry.field(
        description="How the household is priced: by postal code or as decided by an agent."
    )
    paperless: bool = strawberry.field(description="Invoices by e-mail only (facture en ligne).")
    archived_at: datetime | None = strawberry.field(
        description="When the file was archived (no new booking, kept for billing); null "
        "while open."
    )

    @strawberry.field(description="Guardians, in the order the town entered them.")
    async def guardians(self, info: Info) -> list[Guardian]:
        rows = await info.context.loaders.guardians_by_household.load(self.pk)
        return [Guardian.from_model(row) for row in rows]

    @strawberry.field(description="Children, eldest first.")
    async def children(
        self,
        info: Info,
        include_archived: Annotated[
            bool,
            strawberry.argument(description="Also the children who left the file (archived)."),
        ] = False,
    ) -> list[Child]:
        rows = await info.context.loaders.children_by_household.load(self.pk)
        return [
            Child.from_model(row) for row in rows if include_archived or row.archived_at is None
        ]

    @strawberry.field(description="Doctor, emergency contacts and authorised pick-up persons.")
    async def contacts(self, info: Info) -> list[Contact]:
        rows = await info.context.loaders.contacts_by_household.load(self.pk)
        return [Contact.from_model(row) for row in rows]

    @strawberry.field(description="Enrolments of the children, every status and period.")
    async def enrollments(
        self, info: Info
    ) -> list[Annotated["Enrollment", strawberry.lazy("gql.calendar.types")]]:
        from gql.calendar.types import Enrollment  # noqa: F811 - lazy: avoids an import cycle

        rows = await info.context.loaders.enrollments_by_household.load(self.pk)
        return [Enrollment.from_model(row) for row in rows]

    @strawberry.field(description="Latest requests (« dernières demandes »), newest first.")
    async def requests(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="Page size (default 20, at most 100).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the previous page.")
        ] = None,
    ) -> RequestConnection:
        page = await info.context.loaders.request_page_by_household.load(
            (self.pk, page_size(first), after_pk(after))
        )
        nodes = [Request.from_model(row) for row in page.items]
        return RequestConnection(
            **connection_fields(nodes, [row.id for row in page.items], page.has_next_page, after),
            total_count=page.total_count,
        )

    @classmethod
    def from_model(cls, row: m.Household) -> "Household":
        return cls(
            pk=row.id,
            id=strawberry.ID(encode_id("Household", row.id)),
            reference=row.reference,
            name=row.name,
            address_line=row.address_line,
            address_complement=row.address_complement,
            postal_code=row.postal_code,
            city=row.city,
            phone=row.phone,
            email=row.email,
            family_quotient=row.family_quotient,
            family_quotient_valid_until=row.family_quotient_valid_until,
            family_quotient_source=row.family_quotient_source,
            family_quotient_set_on=row.family_quotient_set_on,
            family_quotient_month=row.family_quotient_month,
            residency=family_files.residency_of(row),
            paperless=row.paperless,
            archived_at=row.archived_at,
        )


@strawberry.type(description="A page of family files, in creation order.")
class HouseholdConnection:
    nodes: list[Household] = strawberry.field(description="The households of this page.")
    edges: list[Edge[Household]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="Number of matching households.")
