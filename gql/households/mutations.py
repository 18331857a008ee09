"""Family-file mutations: staff open files and issue keys; parents link and edit.

Every change a parent makes is recorded as a request with its history.
"""

from datetime import date, datetime
from typing import Annotated

import strawberry

from gql.context import Info
from gql.enums import Civility, ContactKind, Diet
from gql.errors import HouseholdError, handles_errors
from gql.households.types import Contact, Guardian, Household
from gql.ids import decode_id
from gql.inputs import to_form
from resolvers.households import households
from resolvers.households.households import (
    ChildForm,
    ContactDetailsForm,
    ContactForm,
    GuardianForm,
    HouseholdForm,
)


@strawberry.input(description="A guardian of a new family file.")
class GuardianInput:
    civility: Civility = strawberry.field(description="Civilité.")
    last_name: str = strawberry.field(description="Nom.")
    first_names: str = strawberry.field(description="Prénom(s).")
    relationship: str = strawberry.field(default="", description="Mère, père, tuteur…")
    email: str = strawberry.field(default="", description="Where the access key is mailed.")
    phone_mobile: str = strawberry.field(default="", description="Mobile phone.")
    phone_work: str = strawberry.field(default="", description="Work phone.")
    is_payer: bool = strawberry.field(default=False, description="Pays the invoices.")


@strawberry.input(description="A child of a new family file.")
class ChildInput:
    last_name: str = strawberry.field(description="Nom.")
    first_names: str = strawberry.field(description="Prénom(s).")
    birth_date: date = strawberry.field(description="Date de naissance.")
    school_class: str = strawberry.field(default="", description="Classe.")
    health_notes: str = strawberry.field(default="", description="Allergies, treatments.")
    has_pai: bool = strawberry.field(default=False, description="Has a PAI.")
    pai_details: str = strawberry.field(default="", description="What the PAI requires.")
    diet: Diet = strawberry.field(default=Diet.STANDARD, description="Meal regime.")


@strawberry.input(description="A new family file, as a town agent enters it.")
class CreateHouseholdInput:
    name: str = strawberry.field(description="Label such as « Famille Martin ».")
    guardians: list[GuardianInput] = strawberry.field(description="At least one guardian.")
    children: list[ChildInput] = strawberry.field(default_factory=list, description="Children.")
    reference: str = strawberry.field(
        default="", description="Dossier number; generated (F000123) when empty."
    )
    address_line: str = strawberry.field(default="", description="Street address.")
    address_complement: str = strawberry.field(default="", description="Building, floor…")
    postal_code: str = strawberry.field(default="", description="Code postal.")
    city: str = strawberry.field(default="", description="Commune.")
    phone: str = strawberry.field(default="", description="Household phone.")
    email: str = strawberry.field(default="", description="Household e-mail.")
    family_quotient: int | None = strawberry.field(default=None, description="Quotient, euros.")
    family_quotient_valid_until: date | None = strawberry.field(
        default=None, description="Last day the quotient applies."
    )
    paperless: bool = strawberry.field(default=False, description="Invoices by e-mail only.")


@strawberry.input(description="Contact details to change; omitted fields stay as they are.")
class ContactDetailsInput:
    email: str | None = strawberry.field(default=None, description="Your e-mail.")
    phone_mobile: str | None = strawberry.field(default=None, description="Your mobile phone.")
    phone_work: str | None = strawberry.field(default=None, description="Your work phone.")
    address_line: str | None = strawberry.field(default=None, description="Household address.")
    address_complement: str | None = strawberry.field(default=None, description="Complement.")
    postal_code: str | None = strawberry.field(default=None, description="Code postal.")
    city: str | None = strawberry.field(default=None, description="Commune.")


@strawberry.input(description="A doctor, emergency contact or authorised pick-up person.")
class ContactInput:
    kind: ContactKind = strawberry.field(description="Role of this person.")
    last_name: str = strawberry.field(description="Nom.")
    phone: str = strawberry.field(description="Phone number (10 digits at least).")
    first_names: str = strawberry.field(default="", description="Prénom(s).")
    relationship: str = strawberry.field(default="", description="Grand-mère, voisin…")
    notes: str = strawberry.field(default="", description="Anything the staff should know.")


@strawberry.type(description="Result of a mutation returning a household.")
class HouseholdPayload:
    household: Household | None = strawberry.field(default=None, description="The household.")
    errors: list[HouseholdError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


@strawberry.type(description="Result of `issueAccessKey`: the key, shown this once.")
class AccessKeyPayload:
    access_key: str | None = strawberry.field(
        default=None, description="The key in clear (e.g. K7QF-9PXM-2HCD); not stored in clear."
    )
    expires_at: datetime | None = strawberry.field(default=None, description="Expiry (UTC).")
    guardian: Guardian | None = strawberry.field(default=None, description="Whose key it is.")
    mailed_to: str | None = strawberry.field(
        default=None, description="Where it was mailed; null when the guardian has no e-mail."
    )
    errors: list[HouseholdError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


@strawberry.type(description="Result of a contact mutation.")
class ContactPayload:
    contact: Contact | None = strawberry.field(
        default=None, description="The contact; null after a removal."
    )
    errors: list[HouseholdError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


@strawberry.type
class HouseholdMutations:
    @strawberry.mutation(description="Staff: open a family file with guardians and children.")
    @handles_errors()
    async def create_household(
        self,
        info: Info,
        input: Annotated[
            CreateHouseholdInput, strawberry.argument(description="The new family file.")
        ],
    ) -> HouseholdPayload:
        form = to_form(HouseholdForm, input)
        form.guardians = [to_form(GuardianForm, guardian) for guardian in input.guardians]
        form.children = [to_form(ChildForm, child) for child in input.children]
        row = await households.create_household(
            form, actor=info.context.account, clock=info.context.clock
        )
        return HouseholdPayload(household=Household.from_model(row))

    @strawberry.mutation(
        description="Staff: issue a single-use access key for one guardian, mailed to them when "
        "they have an e-mail. Their earlier unused keys stop working."
    )
    @handles_errors()
    async def issue_access_key(
        self,
        info: Info,
        guardian_id: Annotated[strawberry.ID, strawberry.argument(description="Guardian id.")],
    ) -> AccessKeyPayload:
        issued = await households.issue_access_key(
            decode_id(guardian_id, "Guardian", field="guardianId"),
            actor=info.context.account,
            clock=info.context.clock,
        )
        return AccessKeyPayload(
            access_key=issued.key,
            expires_at=issued.access_key.expires_at,
            guardian=Guardian.from_model(issued.guardian),
            mailed_to=issued.mailed_to,
        )

    @strawberry.mutation(
        description="Link the logged-in account to the family file with the access key the "
        "town mailed (« clé d'accès »). Each guardian has their own key."
    )
    @handles_errors()
    async def link_household(
        self,
        info: Info,
        access_key: Annotated[
            str, strawberry.argument(description="The key, dashes and case optional.")
        ],
    ) -> HouseholdPayload:
        row = await households.link_household(
            info.context.account, access_key, clock=info.context.clock
        )
        return HouseholdPayload(household=Household.from_model(row))

    @strawberry.mutation(
        description="Change the household's address and your own phone and e-mail; recorded "
        "as a request."
    )
    @handles_errors()
    async def update_contact_details(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household id.")],
        input: Annotated[ContactDetailsInput, strawberry.argument(description="Fields to change.")],
    ) -> HouseholdPayload:
        row = await households.update_contact_details(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            to_form(ContactDetailsForm, input),
            clock=info.context.clock,
        )
        return HouseholdPayload(household=Household.from_model(row))

    @strawberry.mutation(description="Add a contact to the household; recorded as a request.")
    @handles_errors()
    async def add_contact(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household id.")],
        input: Annotated[ContactInput, strawberry.argument(description="The contact.")],
    ) -> ContactPayload:
        row = await households.add_contact(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            to_form(ContactForm, input),
            clock=info.context.clock,
        )
        return ContactPayload(contact=Contact.from_model(row))

    @strawberry.mutation(description="Replace a contact's details; recorded as a request.")
    @handles_errors()
    async def update_contact(
        self,
        info: Info,
        contact_id: Annotated[strawberry.ID, strawberry.argument(description="Contact id.")],
        input: Annotated[ContactInput, strawberry.argument(description="The new details.")],
    ) -> ContactPayload:
        row = await households.update_contact(
            info.context.account,
            decode_id(contact_id, "Contact", field="contactId"),
            to_form(ContactForm, input),
            clock=info.context.clock,
        )
        return ContactPayload(contact=Contact.from_model(row))

    @strawberry.mutation(description="Remove a contact; recorded as a request.")
    @handles_errors()
    async def remove_contact(
        self,
        info: Info,
        contact_id: Annotated[strawberry.ID, strawberry.argument(description="Contact id.")],
    ) -> ContactPayload:
        await households.remove_contact(
            info.context.account,
            decode_id(contact_id, "Contact", field="contactId"),
            clock=info.context.clock,
        )
        return ContactPayload()
