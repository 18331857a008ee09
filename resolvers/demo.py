"""The demo town: realistic families to try the portal with, created idempotently."""

from dataclasses import dataclass
from datetime import date

from models.accounts import Account, AccountRole, Civility
from models.households import Contact, ContactKind, Diet, Guardian, Household
from models.tenants import Tenant
from resolvers.clock import Clock
from resolvers.households import (
    ChildForm,
    GuardianForm,
    HouseholdForm,
    create_household,
    issue_access_key,
    link_household,
)
from resolvers.security import hash_password

DEMO_TOWN = "demo"
STAFF_EMAIL = "agent@demo.famille.localhost"
STAFF_PASSWORD = "Agent2026!demo"
PARENT_EMAIL = "claire.martin@demo.famille.localhost"
PARENT_PASSWORD = "Parent2026demo"


@dataclass
class DemoCredentials:
    town: str
    staff_email: str
    staff_password: str
    parent_email: str
    parent_password: str
    access_key: str | None
    access_key_for: str


async def _account(
    tenant: Tenant,
    email: str,
    password: str,
    role: AccountRole,
    civility: Civility,
    last_name: str,
    first_names: str,
    clock: Clock,
) -> Account:
    account, _ = await Account.get_or_create(
        tenant=tenant,
        email=email,
        defaults={
            "password_hash": hash_password(password),
            "role": role,
            "civility": civility,
            "last_name": last_name,
            "first_names": first_names,
            "address_line": "1 place de la Mairie",
            "postal_code": "81100",
            "city": "Démoville",
            "cgu_version": tenant.cgu_version,
            "cgu_accepted_at": clock.now(),
            "activated_at": clock.now(),
        },
    )
    return account


async def seed_demo(*, clock: Clock) -> DemoCredentials:
    """Create (or find) the demo town; issue a fresh access key for the unlinked guardian."""
    tenant, _ = await Tenant.get_or_create(
        slug=DEMO_TOWN,
        defaults={"name": "Ville de Démoville", "contact_email": "famille@demo.famille.localhost"},
    )
    staff = await _account(
        tenant,
        STAFF_EMAIL,
        STAFF_PASSWORD,
        AccountRole.AGENT,
        Civility.MADAME,
        "Durand",
        "Sophie",
        clock,
    )
    parent = await _account(
        tenant,
        PARENT_EMAIL,
        PARENT_PASSWORD,
        AccountRole.PARENT,
        Civility.MADAME,
        "Martin",
        "Claire",
        clock,
    )

    if not await Household.exists(tenant=tenant, reference="F-DEMO-001"):
        martin = await create_household(
            HouseholdForm(
                name="Famille Martin",
                reference="F-DEMO-001",
                address_line="12 rue des Lilas",
                postal_code="81100",
                city="Démoville",
                family_quotient=740,
                family_quotient_valid_until=date(2027, 8, 31),
                paperless=True,
                guardians=[
                    GuardianForm(
                        Civility.MADAME,
                        "Martin",
                        "Claire",
                        "Mère",
                        PARENT_EMAIL,
                        "06 12 34 56 78",
                        is_payer=True,
                    ),
                    GuardianForm(
                        Civility.MONSIEUR,
                        "Martin",
                        "Julien",
                        "Père",
                        "julien.martin@demo.famille.localhost",
                        "06 98 76 54 32",
                    ),
                ],
                children=[
                    ChildForm("Martin", "Léa", date(2017, 3, 14), "CE2"),
                    ChildForm(
                        "Martin",
                        "Hugo",
                        date(2019, 11, 2),
                        "GS",
                        health_notes="Allergie aux arachides",
                        has_pai=True,
                        pai_details="Trousse d'urgence dans le sac",
                        diet=Diet.PACKED_MEAL,
                    ),
                ],
            ),
            actor=staff,
            clock=clock,
        )
        await Contact.create(
            household=martin,
            kind=ContactKind.DOCTOR,
            last_name="Bernard",
            first_names="Anne",
            phone="05 63 00 00 01",
        )
        await Contact.create(
            household=martin,
            kind=ContactKind.AUTHORISED_PICKUP,
            last_name="Martin",
            first_names="Josette",
            relationship="Grand-mère",
            phone="06 00 00 00 02",
        )
        claire = await Guardian.get(household=martin, first_names="Claire")
        issued = await issue_access_key(claire.id, actor=staff, clock=clock)
        await link_household(parent, issued.key, clock=clock)
        await create_household(
            HouseholdForm(
                name="Famille Nguyen",
                reference="F-DEMO-002",
                address_line="3 allée des Pins",
                postal_code="81100",
                city="Démoville",
                guardians=[
                    GuardianForm(
                        Civility.MONSIEUR,
                        "Nguyen",
                        "Minh",
                        "Père",
                        "minh.nguyen@demo.famille.localhost",
                        is_payer=True,
                    )
                ],
                children=[
                    ChildForm("Nguyen", "Linh", date(2016, 6, 21), "CM1", diet=Diet.VEGETARIAN)
                ],
            ),
            actor=staff,
            clock=clock,
        )

    # The second Martin parent (separated) links their own account with this key.
    julien = await Guardian.get(household__reference="F-DEMO-001", first_names="Julien")
    key = None
    if julien.account_id is None:
        key = (await issue_access_key(julien.id, actor=staff, clock=clock)).key
    return DemoCredentials(
        town=DEMO_TOWN,
        staff_email=STAFF_EMAIL,
        staff_password=STAFF_PASSWORD,
        parent_email=PARENT_EMAIL,
        parent_password=PARENT_PASSWORD,
        access_key=key,
        access_key_for="Julien Martin (foyer F-DEMO-001, famille Martin)",
    )
