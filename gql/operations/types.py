"""GraphQL types of the town's daily operations: kitchen forecasts, attendance sheets,
download links and the families' calendar feeds."""

import datetime as dt
from datetime import datetime

import strawberry

from gql.enums import Diet
from gql.ids import encode_id
from gql.pagination import EDGES, Edge, PageInfo, connection_fields
from models.feeds import CalendarFeed as CalendarFeedModel
from resolvers.operations.attendance import AttendanceSheet as SheetRow
from resolvers.operations.attendance import HealthReadPage
from resolvers.operations.kitchen import KitchenDay


@strawberry.type(description="Meals of one site on one day; the diets add up to `meals`.")
class KitchenForecastDay:
    site_id: strawberry.ID = strawberry.field(description="The site.")
    site_name: str = strawberry.field(description="Its name.")
    date: dt.date = strawberry.field(description="The day.")
    meals: int = strawberry.field(description="Meals to prepare: booked, not reported absent.")
    standard: int = strawberry.field(description="Of which standard meals.")
    no_pork: int = strawberry.field(description="Of which without pork.")
    vegetarian: int = strawberry.field(description="Of which vegetarian.")
    packed_meal: int = strawberry.field(description="Of which packed meals brought (PAI).")
    pai: int = strawberry.field(description="Children with a PAI among the meals.")
    reported_absent: int = strawberry.field(
        description="Booked children reported absent that day (not counted in `meals`)."
    )

    @classmethod
    def of(cls, row: KitchenDay) -> "KitchenForecastDay":
        return cls(
            site_id=strawberry.ID(encode_id("Site", row.site_id)),
            site_name=row.site_name,
            date=row.day,
            meals=row.meals,
            standard=row.standard,
            no_pork=row.no_pork,
            vegetarian=row.vegetarian,
            packed_meal=row.packed_meal,
            pai=row.pai,
            reported_absent=row.reported_absent,
        )


@strawberry.type(description="A short-lived signed download link: no header needed to follow.")
class DownloadLink:
    url: str = strawberry.field(description="Absolute URL of the file.")
    expires_at: datetime = strawberry.field(description="When the link stops working (UTC).")


@strawberry.type(description="An adult who may pick the child up.")
class Pickup:
    name: str = strawberry.field(description="First and last names.")
    relationship: str = strawberry.field(description="« Mère », « Grand-père »…")
    phone: str = strawberry.field(description="Phone number.")
    is_guardian: bool = strawberry.field(description="A legal guardian of the household.")


@strawberry.type(description="A consent as answered for a child, shown on the sheet.")
class SheetConsent:
    name: str = strawberry.field(description="Droit à l'image, rentrer seul…")
    granted: bool | None = strawberry.field(
        description="Yes (true), no (false), or null while the family has not answered."
    )


@strawberry.type(description="A child expected on an attendance sheet.")
class AttendanceChild:
    child_id: strawberry.ID = strawberry.field(description="The child.")
    household_id: strawberry.ID = strawberry.field(description="Their household.")
    first_names: str = strawberry.field(description="First names.")
    last_name: str = strawberry.field(description="Last name.")
    school_class: str = strawberry.field(description="CP, CE1…")
    diet: Diet = strawberry.field(description="Meal regime.")
    has_pai: bool = strawberry.field(description="Has a PAI (projet d'accueil individualisé).")
    pai_details: str = strawberry.field(description="What the PAI says (reading is audited).")
    health_notes: str = strawberry.field(description="Allergies, treatments (reading is audited).")
    reported_absent: bool = strawberry.field(
        description="An absence was reported for this day: do not wait for the child."
    )
    pickups: list[Pickup] = strawberry.field(
        description="Guardians, then the contacts authorised to pick the child up."
    )
    consents: list[SheetConsent] = strawberry.field(
        description="The town's consents (active types) as answered for the child."
    )


@strawberry.type(description="Attendance sheet of one activity at one site on one day.")
class AttendanceSheet:
    site_id: strawberry.ID = strawberry.field(description="The site.")
    site_name: str = strawberry.field(description="Its name.")
    activity_id: strawberry.ID = strawberry.field(description="The activity.")
    activity_name: str = strawberry.field(description="Its name.")
    date: dt.date = strawberry.field(description="The day.")
    expected_count: int = strawberry.field(description="Children expected (not reported absent).")
    children: list[AttendanceChild] = strawberry.field(
        description="Booked children by name, those reported absent included and marked."
    )

    @classmethod
    def of(cls, sheet: SheetRow) -> "AttendanceSheet":
        return cls(
            site_id=strawberry.ID(encode_id("Site", sheet.site.id)),
            site_name=sheet.site.name,
            activity_id=strawberry.ID(encode_id("Activity", sheet.activity.id)),
            activity_name=sheet.activity.name,
            date=sheet.day,
            expected_count=sheet.expected_count,
            children=[
                AttendanceChild(
                    child_id=strawberry.ID(encode_id("Child", c.expected.child_id)),
                    household_id=strawberry.ID(encode_id("Household", c.expected.household_id)),
                    first_names=c.expected.first_names,
                    last_name=c.expected.last_name,
                    school_class=c.expected.school_class,
                    diet=c.expected.diet,
                    has_pai=c.expected.has_pai,
                    pai_details=c.expected.pai_details,
                    health_notes=c.expected.health_notes,
                    reported_absent=c.expected.reported_absent,
                    consents=[SheetConsent(name=x.name, granted=x.granted) for x in c.consents],
                    pickups=[
                        Pickup(
                            name=p.name,
                            relationship=p.relationship,
                            phone=p.phone,
                            is_guardian=p.is_guardian,
                        )
                        for p in c.pickups
                    ],
                )
                for c in sheet.children
            ],
        )


@strawberry.type(description="A private calendar (ICS) link of a child's booked days.")
class CalendarFeed:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    child_id: strawberry.ID = strawberry.field(description="The child.")
    child_first_names: str = strawberry.field(description="The child's first names.")
    created_at: datetime = strawberry.field(description="Created at (UTC).")
    revoked_at: datetime | None = strawberry.field(
        description="Revoked at (UTC); null while the link works."
    )

    @classmethod
    def from_model(cls, row: CalendarFeedModel, child_first_names: str) -> "CalendarFeed":
        return cls(
            id=strawberry.ID(encode_id("CalendarFeed", row.id)),
            child_id=strawberry.ID(encode_id("Child", row.child_id)),
            child_first_names=child_first_names,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


@strawberry.type(description="One read of a child's health notes by an agent (audit log).")
class HealthNotesRead:
    read_at: datetime = strawberry.field(description="When (UTC).")
    agent_name: str = strawberry.field(description="Who (empty if the account is gone).")
    via: str = strawberry.field(
        description="How: `graphql` (sheet on screen), `pdf` (printed sheet) or "
        "`household` (the family file)."
    )
    site_id: strawberry.ID | None = strawberry.field(description="The sheet's site.")
    date: dt.date | None = strawberry.field(description="The sheet's day.")


@strawberry.type(description="A page of health-notes reads, latest first.")
class HealthNotesReadConnection:
    nodes: list[HealthNotesRead] = strawberry.field(description="Reads.")
    edges: list[Edge[HealthNotesRead]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="Reads in all.")

    @classmethod
    def of(cls, page: HealthReadPage, after: str | None) -> "HealthNotesReadConnection":
        nodes = []
        for entry in page.entries:
            details = entry.details or {}
            site = details.get("site_id")
            day = details.get("day")
            nodes.append(
                HealthNotesRead(
                    read_at=entry.created_at,
                    agent_name=page.agents.get(entry.actor_id or 0, ""),
                    via=str(details.get("via", "")),
                    site_id=strawberry.ID(encode_id("Site", int(site))) if site else None,
                    date=dt.date.fromisoformat(day) if day else None,
                )
            )
        return cls(
            **connection_fields(nodes, [entry.id for entry in page.entries], page.has_next, after),
            total_count=page.total,
        )
