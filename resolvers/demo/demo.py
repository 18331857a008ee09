"""The demo town: realistic families to try the portal with, created idempotently."""

from dataclasses import dataclass
from datetime import date, timedelta

from fpdf import FPDF

from models.accounts import Account, AccountRole, Civility
from models.catalogue import Activity, ActivityKind, DeadlineRule, HolidayPolicy, SiteKind
from models.documents import DocumentKind
from models.households import Child, Contact, ContactKind, Diet, Guardian, Household
from models.news import NewsAudience
from models.tenants import Tenant
from resolvers.calendar.bookings import BookingAction, ChangeSet, Recurrence, submit_changes
from resolvers.calendar.catalogue import (
    ActivityForm,
    add_calendar_exception,
    add_school_holiday,
    create_period,
    create_site,
    save_activity,
    set_opening,
)
from resolvers.calendar.enrollments import enroll
from resolvers.core.clock import Clock
from resolvers.core.security import hash_password
from resolvers.demo.demo_billing import invoice_past_months, seed_billing
from resolvers.documents.documents import CheckedFile, DocumentForm, store_document
from resolvers.households.households import (
    ChildForm,
    GuardianForm,
    HouseholdForm,
    create_household,
    issue_access_key,
    link_household,
)
from resolvers.news.news import NewsForm, publish_news
from resolvers.operations.kitchen import set_kitchen_email

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
        await _seed_documents(parent, martin.id, clock)
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
    if not await Activity.exists(tenant=tenant, code="RS-REPAS"):
        await _seed_calendar(tenant, staff, parent, clock)

    await seed_billing(tenant, staff, clock)
    await invoice_past_months(tenant, clock)

    julien = await Guardian.get(
        household__tenant=tenant, household__reference="F-DEMO-001", first_names="Julien"
    )
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


# School holidays of zone C (Toulouse academy) for 2026-2027, as a town would load them.
_HOLIDAYS_2026_2027 = [
    ("Vacances de la Toussaint", date(2026, 10, 17), date(2026, 11, 1)),
    ("Vacances de Noël", date(2026, 12, 19), date(2027, 1, 3)),
    ("Vacances d'hiver", date(2027, 2, 20), date(2027, 3, 7)),
    ("Vacances de printemps", date(2027, 4, 17), date(2027, 5, 2)),
    ("Pont de l'Ascension", date(2027, 5, 6), date(2027, 5, 9)),
    ("Vacances d'été", date(2027, 7, 3), date(2027, 8, 31)),
]


async def _seed_calendar(tenant: Tenant, staff: Account, parent: Account, clock: Clock) -> None:
    """A realistic school year: canteen, care, study, leisure centres, holidays, bookings."""
    school = await create_site(
        staff,
        "École Jean Jaurès",
        SiteKind.SCHOOL,
        "2 rue de l'École, 81100 Démoville",
        clock=clock,
    )
    leisure = await create_site(
        staff,
        "Centre de loisirs Les Cèdres",
        SiteKind.LEISURE_CENTRE,
        "Chemin des Cèdres, 81100 Démoville",
        clock=clock,
    )
    period = await create_period(
        staff, "Année scolaire 2026-2027", date(2026, 9, 1), date(2027, 7, 2), clock=clock
    )
    summer = await create_period(
        staff, "Année 2026-2027 (vacances)", date(2026, 9, 1), date(2027, 8, 31), clock=clock
    )
    school_days, wednesdays, weekdays = [0, 1, 3, 4], [2], [0, 1, 2, 3, 4]
    activities = [
        (
            ActivityForm("RS-REPAS", "Restauration scolaire", ActivityKind.CANTEEN),
            school,
            period,
            school_days,
            180,
        ),
        (
            ActivityForm(
                "APS-MATIN",
                "Accueil périscolaire du matin",
                ActivityKind.MORNING_CARE,
                booking_rule=DeadlineRule.WORKING_DAYS_BEFORE,
                booking_value=2,
                booking_cutoff_minutes=18 * 60,
                cancellation_rule=DeadlineRule.WORKING_DAYS_BEFORE,
                cancellation_value=2,
                cancellation_cutoff_minutes=18 * 60,
            ),
            school,
            period,
            school_days,
            40,
        ),
        (
            ActivityForm(
                "APS-SOIR",
                "Accueil périscolaire du soir",
                ActivityKind.EVENING_CARE,
                booking_rule=DeadlineRule.WORKING_DAYS_BEFORE,
                booking_value=2,
                cancellation_rule=DeadlineRule.WORKING_DAYS_BEFORE,
                cancellation_value=2,
            ),
            school,
            period,
            school_days,
            60,
        ),
        (
            ActivityForm(
                "ETUDE",
                "Étude surveillée",
                ActivityKind.STUDY,
                booking_rule=DeadlineRule.WEEKDAY_OF_PREVIOUS_WEEK,
                booking_value=3,
                booking_cutoff_minutes=12 * 60,
                cancellation_rule=DeadlineRule.WEEKDAY_OF_PREVIOUS_WEEK,
                cancellation_value=3,
                cancellation_cutoff_minutes=12 * 60,
            ),
            school,
            period,
            [0, 1, 3],
            25,
        ),
        (
            ActivityForm(
                "ALSH-MER",
                "Centre de loisirs du mercredi",
                ActivityKind.LEISURE_CENTRE,
                booking_value=15,
                cancellation_value=15,
            ),
            leisure,
            period,
            wednesdays,
            48,
        ),
        (
            ActivityForm(
                "ALSH-VAC",
                "Centre de loisirs des vacances",
                ActivityKind.LEISURE_CENTRE,
                holiday_policy=HolidayPolicy.HOLIDAYS,
                booking_value=15,
                cancellation_value=15,
                booking_opens_days_ahead=60,
            ),
            leisure,
            summer,
            weekdays,
            60,
        ),
    ]
    saved = {}
    for form, site, in_period, days, capacity in activities:
        activity = await save_activity(staff, form, clock=clock)
        await set_opening(staff, activity.id, site.id, in_period.id, days, capacity, clock=clock)
        saved[form.code] = (activity, site, in_period)
    for name, starts_on, ends_on in _HOLIDAYS_2026_2027:
        await add_school_holiday(staff, name, starts_on, ends_on, clock=clock)
    await add_calendar_exception(
        staff, date(2027, 3, 12), False, "journée pédagogique", clock=clock, site_id=school.id
    )

    martin = await Household.get(tenant=tenant, reference="F-DEMO-001")
    lea, hugo = await Child.filter(household=martin).order_by("birth_date")
    for child, codes in (
        (lea, ["RS-REPAS", "APS-SOIR", "ETUDE"]),
        (hugo, ["RS-REPAS", "APS-MATIN", "ALSH-MER"]),
    ):
        for code in codes:
            activity, site, in_period = saved[code]
            await enroll(staff, child.id, activity.id, site.id, in_period.id, clock=clock)
    # Léa asks for the holiday leisure centre: the request waits for an agent.
    activity, site, in_period = saved["ALSH-VAC"]
    await enroll(parent, lea.id, activity.id, site.id, in_period.id, clock=clock)

    # Claire books the canteen for both children, Mon/Tue/Thu/Fri, as far as the year goes.
    start = clock.now().date() + timedelta(days=8)
    canteen = saved["RS-REPAS"][0]
    if start < date(2027, 7, 2):
        await submit_changes(
            parent,
            martin.id,
            ChangeSet(
                recurrences=[
                    Recurrence(
                        lea.id,
                        canteen.id,
                        BookingAction.BOOK,
                        start,
                        date(2027, 7, 2),
                        frozenset(school_days),
                    )
                ],
                same_for_child_ids=[hugo.id],
            ),
            clock=clock,
            idempotency_key="demo-canteen-year",
        )

    # The school kitchen gets its forecast at each cut-off; two news items to read.
    await set_kitchen_email(staff, school.id, "cuisine.jaures@demo.famille.localhost", clock=clock)
    today = clock.now().date()
    await publish_news(
        staff,
        NewsForm(
            "Menus du mois",
            "Les menus de la restauration scolaire sont affichés à l'entrée de chaque école "
            "et sur le site de la ville.",
            NewsAudience.PUBLIC,
            today - timedelta(days=3),
        ),
        clock=clock,
    )
    await publish_news(
        staff,
        NewsForm(
            "Repas de Noël",
            "Le repas de Noël sera servi le dernier jeudi avant les vacances : pensez à le "
            "réserver dans les délais.",
            NewsAudience.ACTIVITY,
            today,
            today + timedelta(days=30),
            activity_id=canteen.id,
        ),
        clock=clock,
    )


async def _seed_documents(parent: Account, household_id: int, clock: Clock) -> None:
    """Claire's storage holds last year's CAF attestation, expiring on 31 December: the
    expiry reminder has something to say in December."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(text="Attestation de quotient familial - CAF du Tarn")
    pdf.ln(10)
    pdf.set_font("Helvetica", size=11)
    pdf.cell(text="Famille Martin - quotient familial : 742 EUR - valable jusqu'au 31/12/2026")
    await store_document(
        parent,
        household_id,
        DocumentForm(
            kind=DocumentKind.CAF_ATTESTATION,
            title="Attestation de quotient familial 2026",
            number="QF-2026-0742",
            issuer="CAF du Tarn",
            issued_on=date(2026, 1, 15),
            expires_on=date(2026, 12, 31),
        ),
        [CheckedFile("attestation-caf-2026.pdf", "application/pdf", bytes(pdf.output()))],
        in_storage=True,
        clock=clock,
    )
