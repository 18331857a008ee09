"""The demo town: realistic families to try the portal with, created idempotently."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from fpdf import FPDF

from models.accounts import Account, AccountRole, Civility, StaffAuthority, StaffSite
from models.authorities import BillingAuthority
from models.catalogue import (
    Activity,
    ActivityKind,
    DeadlineRule,
    HolidayPolicy,
    Period,
    Site,
    SiteKind,
)
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
from resolvers.demo.demo_dates import DemoDates, SchoolYear, demo_dates
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
# One account per other staff role, to try each in GraphiQL (docs/api.md, Staff and roles).
ROLE_ACCOUNTS: tuple[tuple[AccountRole, str, str, str, str], ...] = (
    (AccountRole.ADMIN, "admin@demo.famille.localhost", "Admin2026!demo", "Moreau", "Hélène"),
    (AccountRole.REGISSEUR, "regie@demo.famille.localhost", "Regie2026!demo", "Petit", "Marc"),
    (AccountRole.SITE, "site@demo.famille.localhost", "Site2026!demo", "Garcia", "Inès"),
)


@dataclass
class DemoCredentials:
    town: str
    staff_email: str
    staff_password: str
    parent_email: str
    parent_password: str
    access_key: str | None
    access_key_for: str
    # (role, e-mail, password) of the administrator, the régisseur and the site member.
    role_accounts: list[tuple[AccountRole, str, str]] = field(default_factory=list)


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


async def seed_demo(*, clock: Clock, town: str = DEMO_TOWN) -> DemoCredentials:
    """Create (or find) the demo town; issue a fresh access key for the unlinked guardian.

    Its dates follow ``clock``: the school year on show, the three months before today
    booked and billed, an invoice open for payment (``demo_dates``). Run again, it adds
    the invoices of months ended since and nothing else. ``town`` is the slug (tests seed
    several demo towns, one per date).
    """
    tenant, _ = await Tenant.get_or_create(
        slug=town,
        defaults={"name": "Ville de Démoville", "contact_email": "famille@demo.famille.localhost"},
    )
    dates = demo_dates(clock.now().astimezone(ZoneInfo(tenant.timezone)).date())
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
                family_quotient_valid_until=dates.on_show.ends_on,
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
        await _seed_documents(parent, martin.id, dates.today, clock)
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
        await _seed_calendar(tenant, staff, parent, dates, clock)

    await seed_billing(tenant, staff, dates, clock)
    await invoice_past_months(tenant, dates.history_start, clock)
    await _seed_role_accounts(tenant, clock)

    julien = await Guardian.get(
        household__tenant=tenant, household__reference="F-DEMO-001", first_names="Julien"
    )
    key = None
    if julien.account_id is None:
        key = (await issue_access_key(julien.id, actor=staff, clock=clock)).key
    return DemoCredentials(
        town=town,
        staff_email=STAFF_EMAIL,
        staff_password=STAFF_PASSWORD,
        parent_email=PARENT_EMAIL,
        parent_password=PARENT_PASSWORD,
        access_key=key,
        access_key_for="Julien Martin (foyer F-DEMO-001, famille Martin)",
        role_accounts=[(role, email, password) for role, email, password, *_ in ROLE_ACCOUNTS],
    )


async def _seed_role_accounts(tenant: Tenant, clock: Clock) -> None:
    """An administrator, a régisseur of the régie and a member of the first school's staff."""
    authority = await BillingAuthority.filter(tenant=tenant).order_by("id").first()
    site = await Site.filter(tenant=tenant).order_by("id").first()
    for role, email, password, last_name, first_names in ROLE_ACCOUNTS:
        account = await _account(
            tenant, email, password, role, Civility.MADAME, last_name, first_names, clock
        )
        if role == AccountRole.REGISSEUR and authority is not None:
            await StaffAuthority.get_or_create(account=account, authority=authority)
        if role == AccountRole.SITE and site is not None:
            await StaffSite.get_or_create(account=account, site=site)


_SCHOOL_DAYS, _WEDNESDAYS, _WEEKDAYS = [0, 1, 3, 4], [2], [0, 1, 2, 3, 4]


def _activities() -> list[tuple[ActivityForm, bool, list[int], int]]:
    """Each activity, whether it runs at the leisure centre in the holidays, its weekdays and
    daily capacity."""
    return [
        (
            ActivityForm("RS-REPAS", "Restauration scolaire", ActivityKind.CANTEEN),
            False,
            _SCHOOL_DAYS,
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
            False,
            _SCHOOL_DAYS,
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
            False,
            _SCHOOL_DAYS,
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
            False,
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
            True,
            _WEDNESDAYS,
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
            True,
            _WEEKDAYS,
            60,
        ),
    ]


# What each Martin child is enrolled in by the service, every school year seeded.
_ENROLMENTS = {
    "Léa": ["RS-REPAS", "APS-SOIR", "ETUDE"],
    "Hugo": ["RS-REPAS", "APS-MATIN", "ALSH-MER", "ALSH-VAC"],
}


def _teachers_day(year: SchoolYear) -> date:
    """A Friday of March with school: the teachers' day closure of the year."""
    day = date(year.first_year + 1, 3, 8)
    while day.weekday() != 4 or year.is_holiday(day):
        day += timedelta(days=1)
    return day


async def _seed_calendar(
    tenant: Tenant, staff: Account, parent: Account, dates: DemoDates, clock: Clock
) -> None:
    """Realistic school years (the one on show, and the one before when the history reaches
    into it): canteen, care, study, leisure centres, zone C holidays, bookings."""
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
    activities = [
        (await save_activity(staff, form, clock=clock), at_leisure, days, capacity)
        for form, at_leisure, days, capacity in _activities()
    ]
    martin = await Household.get(tenant=tenant, reference="F-DEMO-001")
    children = {c.first_names: c for c in await Child.filter(household=martin)}
    for year in dates.years:
        await _seed_year(staff, school, leisure, activities, children, year, clock)
    # Léa asks for the holiday leisure centre of the year on show: the request waits for an
    # agent.
    on_show = await Period.get(tenant=tenant, name=f"Année {dates.on_show.label} (vacances)")
    holiday_centre = next(a for a, *_ in activities if a.code == "ALSH-VAC")
    await enroll(parent, children["Léa"].id, holiday_centre.id, leisure.id, on_show.id, clock=clock)

    # Claire books the canteen for both children, Mon/Tue/Thu/Fri, as far as the year goes.
    start = dates.today + timedelta(days=8)
    end = dates.on_show.classes_end
    canteen = next(a for a, *_ in activities if a.code == "RS-REPAS")
    if start < end:
        await submit_changes(
            parent,
            martin.id,
            ChangeSet(
                recurrences=[
                    Recurrence(
                        children["Léa"].id,
                        canteen.id,
                        BookingAction.BOOK,
                        start,
                        end,
                        frozenset(_SCHOOL_DAYS),
                    )
                ],
                same_for_child_ids=[children["Hugo"].id],
            ),
            clock=clock,
            idempotency_key="demo-canteen-year",
        )

    # The school kitchen gets its forecast at each cut-off; two news items to read.
    await set_kitchen_email(staff, school.id, "cuisine.jaures@demo.famille.localhost", clock=clock)
    today = dates.today
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


async def _seed_year(
    staff: Account,
    school: Site,
    leisure: Site,
    activities: list[tuple[Activity, bool, list[int], int]],
    children: dict[str, Child],
    year: SchoolYear,
    clock: Clock,
) -> None:
    """One school year: its periods, openings, holidays, teachers' day and enrolments."""
    classes = await create_period(
        staff, f"Année scolaire {year.label}", year.classes_start, year.classes_end, clock=clock
    )
    holiday_period = await create_period(
        staff, f"Année {year.label} (vacances)", year.classes_start, year.ends_on, clock=clock
    )
    where = {}
    for activity, at_leisure, days, capacity in activities:
        site = leisure if at_leisure else school
        period = holiday_period if activity.code == "ALSH-VAC" else classes
        await set_opening(staff, activity.id, site.id, period.id, days, capacity, clock=clock)
        where[activity.code] = (activity, site, period)
    for name, starts_on, ends_on in year.holidays:
        await add_school_holiday(staff, name, starts_on, ends_on, clock=clock)
    await add_calendar_exception(
        staff, _teachers_day(year), False, "journée pédagogique", clock=clock, site_id=school.id
    )
    for first_names, codes in _ENROLMENTS.items():
        for code in codes:
            activity, site, period = where[code]
            await enroll(
                staff, children[first_names].id, activity.id, site.id, period.id, clock=clock
            )


async def _seed_documents(parent: Account, household_id: int, today: date, clock: Clock) -> None:
    """Claire's storage holds the CAF attestation of the year, expiring on 31 December: the
    expiry reminder has something to say in December."""
    year = today.year if today >= date(today.year, 1, 15) else today.year - 1
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(text="Attestation de quotient familial - CAF du Tarn")
    pdf.ln(10)
    pdf.set_font("Helvetica", size=11)
    pdf.cell(text=f"Famille Martin - quotient familial : 742 EUR - valable jusqu'au 31/12/{year}")
    await store_document(
        parent,
        household_id,
        DocumentForm(
            kind=DocumentKind.CAF_ATTESTATION,
            title=f"Attestation de quotient familial {year}",
            number=f"QF-{year}-0742",
            issuer="CAF du Tarn",
            issued_on=date(year, 1, 15),
            expires_on=date(year, 12, 31),
        ),
        [CheckedFile(f"attestation-caf-{year}.pdf", "application/pdf", bytes(pdf.output()))],
        in_storage=True,
        clock=clock,
    )
