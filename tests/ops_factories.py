"""A town with a canteen and five families of varied diets, for the operations tests."""

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from models.accounts import Account, AccountRole, Civility
from models.households import Child, ContactKind, Diet, Guardian, Household
from models.tenants import Tenant
from resolvers.calendar.bookings import BookingAction, BookingChange, ChangeSet, submit_changes
from resolvers.calendar.enrollments import enroll
from resolvers.core.clock import Clock
from resolvers.households.households import (
    ChildForm,
    ContactForm,
    GuardianForm,
    HouseholdForm,
    add_contact,
    create_household,
)
from tests.factories import Catalogue, make_account, make_catalogue, make_town

# (household, [(first names, diet, PAI details or "", health notes)])
FAMILIES: list[tuple[str, list[tuple[str, Diet, str, str]]]] = [
    ("Durand", [("Léa", Diet.STANDARD, "", ""), ("Hugo", Diet.NO_PORK, "", "")]),
    ("Petit", [("Inès", Diet.VEGETARIAN, "Stylo d'adrénaline dans le cartable", "Arachide")]),
    ("Roux", [("Noé", Diet.PACKED_MEAL, "Panier-repas fourni par la famille", "Gluten, lait")]),
    ("Morel", [("Jade", Diet.STANDARD, "", "Asthme : Ventoline")]),
    ("Blanc", [("Tom", Diet.STANDARD, "", "")]),
]


@dataclass
class OpsTown:
    tenant: Tenant
    staff: Account
    catalogue: Catalogue
    households: dict[str, Household] = field(default_factory=dict)
    children: dict[str, int] = field(default_factory=dict)
    parents: dict[str, Account] = field(default_factory=dict)

    def household_of(self, child: str) -> Household:
        for name, kids in FAMILIES:
            if any(kid[0] == child for kid in kids):
                return self.households[name]
        raise KeyError(child)


async def make_ops_town(clock: Clock, **town_fields: Any) -> OpsTown:
    """Every child enrolled in the canteen; each family has a parent account and a pick-up
    contact (plus a doctor, who may not pick anyone up)."""
    tenant = await make_town(**town_fields)
    staff = await make_account(tenant, clock, role=AccountRole.AGENT)
    town = OpsTown(tenant, staff, await make_catalogue(staff, clock))
    for name, kids in FAMILIES:
        household = await create_household(
            HouseholdForm(
                name=f"Famille {name}",
                guardians=[
                    GuardianForm(
                        Civility.MADAME,
                        name,
                        "Claire",
                        "Mère",
                        f"{name.lower()}-{uuid.uuid4().hex[:6]}@exemple.fr",
                        "06 11 22 33 44",
                    )
                ],
                children=[
                    ChildForm(
                        name,
                        first,
                        date(2018, 5, 1),
                        school_class="CE1",
                        health_notes=notes,
                        has_pai=bool(pai),
                        pai_details=pai,
                        diet=diet,
                    )
                    for first, diet, pai, notes in kids
                ],
            ),
            actor=staff,
            clock=clock,
        )
        town.households[name] = household
        for contact in (
            ContactForm(ContactKind.AUTHORISED_PICKUP, "Lemoine", "0755667788", "Paul", "Oncle"),
            ContactForm(ContactKind.DOCTOR, "Docteur Vidal", "05 63 00 00 00"),
        ):
            await add_contact(staff, household.id, contact, clock=clock)
        parent = await make_account(tenant, clock)
        await Guardian.filter(household=household).update(account_id=parent.id)
        town.parents[name] = parent
        for child in await Child.filter(household=household).order_by("id"):
            town.children[child.first_names] = child.id
            await enroll(
                staff,
                child.id,
                town.catalogue.canteen.id,
                town.catalogue.site.id,
                town.catalogue.period.id,
                clock=clock,
            )
    return town


async def change(
    town: OpsTown,
    actor: Account,
    child: str,
    days: list[date],
    action: BookingAction,
    clock: Clock,
) -> None:
    """Book or cancel canteen days for one child, through the real submission."""
    result = await submit_changes(
        actor,
        town.household_of(child).id,
        ChangeSet(
            changes=[
                BookingChange(town.children[child], town.catalogue.canteen.id, day, action)
                for day in days
            ]
        ),
        clock=clock,
    )
    assert all(line.accepted for line in result.lines), result.lines
