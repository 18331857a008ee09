"""Private calendar feeds (ICS) of a child's booked days, for the parents' phones.

The link is the only secret: whoever holds it reads the child's bookings, so it is random
(256 bits), stored hashed, created and revoked only by the child's guardians, and a revoked
or unknown link answers the same 404.
"""

from datetime import UTC, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration

from models.accounts import Account, AccountRole
from models.catalogue import Activity, Site
from models.feeds import CalendarFeed
from models.households import Child
from models.tenants import Tenant
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import CommonErrorCode, DomainError, Forbidden, NotFound
from resolvers.core.pages import Page, page_of_ids
from resolvers.core.security import digest, new_token
from resolvers.households.households import household_for
from resolvers.operations.expected import expected_days, load_openings
from settings import get_settings

# What a feed shows: recent history (a phone keeps what it saw) and everything ahead.
PAST_DAYS = 60
FUTURE_DAYS = 400
REFRESH = timedelta(hours=1)


def feed_url(token: str) -> str:
    return f"{get_settings().public_url}/ics/{token}.ics"


async def _child_of_parent(actor: Account | None, child_id: int) -> Child:
    """The child, reached through its household's one access rule, for its parents only."""
    child = await Child.get_or_none(id=child_id)
    if child is None:
        raise NotFound("Enfant", "childId")
    try:
        await household_for(actor, child.household_id)
    except DomainError as error:
        if error.code == CommonErrorCode.NOT_FOUND:
            raise NotFound("Enfant", "childId") from None
        raise
    assert actor is not None
    if actor.role != AccountRole.PARENT:
        raise Forbidden("Seuls les responsables de l'enfant créent ou révoquent ses liens.")
    return child


async def create_feed(
    actor: Account | None, child_id: int, *, clock: Clock
) -> tuple[CalendarFeed, str]:
    """A new link; its token is shown once (only its hash is kept)."""
    child = await _child_of_parent(actor, child_id)
    token = new_token()
    feed = await CalendarFeed.create(
        child=child, token_hash=digest(token), created_by=actor, created_at=clock.now()
    )
    return feed, token


async def revoke_feed(actor: Account | None, feed_id: int, *, clock: Clock) -> CalendarFeed:
    """The link stops working at once; revoking twice is harmless."""
    feed = await CalendarFeed.get_or_none(id=feed_id)
    if feed is None:
        raise NotFound("Lien d'agenda", "feedId")
    try:
        child = await _child_of_parent(actor, feed.child_id)
    except DomainError as error:
        if error.code == CommonErrorCode.NOT_FOUND:
            raise NotFound("Lien d'agenda", "feedId") from None
        raise
    if feed.revoked_at is None:
        feed.revoked_at = clock.now()
        await feed.save(update_fields=["revoked_at"])
        household_tenant = await Tenant.get(households__id=child.household_id)
        await audit.record(
            "calendar_feed.revoke",
            tenant_id=household_tenant.id,
            actor=actor,
            target_type="calendar_feed",
            target_id=feed.id,
            clock=clock,
        )
    return feed


async def feeds_of(actor: Account | None, household_id: int) -> list[CalendarFeed]:
    """The household's links, live and revoked, newest first."""
    await household_for(actor, household_id)
    return (
        await CalendarFeed.filter(child__household_id=household_id)
        .order_by("-created_at", "-id")
        .select_related("child")
    )


async def feeds_page(
    actor: Account | None, household_id: int, *, first: int, after_id: int | None
) -> Page[CalendarFeed]:
    """A page of ``feeds_of`` (``after_id``: the last link shown)."""
    await household_for(actor, household_id)
    ids = (
        await CalendarFeed.filter(child__household_id=household_id)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)
    )
    return await page_of_ids(
        cast(list[int], ids),
        lambda wanted: CalendarFeed.filter(id__in=wanted).select_related("child"),
        first=first,
        after_id=after_id,
    )


async def feed_ics(token: str, *, clock: Clock) -> bytes | None:
    """The iCalendar document of a live link, or None (unknown or revoked)."""
    feed = await CalendarFeed.get_or_none(token_hash=digest(token), revoked_at=None)
    if feed is None:
        return None
    child = await Child.get(id=feed.child_id)
    tenant = await Tenant.get(households__id=child.household_id)
    today = clock.now().astimezone(ZoneInfo(tenant.timezone)).date()
    start, end = today - timedelta(days=PAST_DAYS), today + timedelta(days=FUTURE_DAYS)
    openings = await load_openings(tenant.id, start, end)
    days = await expected_days(tenant.id, start, end, openings, child_id=child.id)
    activities = dict(await Activity.filter(tenant_id=tenant.id).values_list("id", "name"))
    sites = dict(await Site.filter(tenant_id=tenant.id).values_list("id", "name"))
    host = get_settings().public_url.split("://", 1)[-1].split("/", 1)[0]

    calendar = Calendar()
    calendar.add("prodid", "-//Portail Famille//famille//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Réservations de {child.first_names} - {tenant.name}")
    calendar.add("x-wr-timezone", tenant.timezone)
    # Ask phones to poll hourly (RFC 7986, and the older Outlook name): a staff change or a
    # waiting-list place shows within the hour.
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    for day in days:
        event = Event()
        event.add("uid", f"booking-{day.booking_id}@{host}")
        event.add("dtstamp", day.updated_at.astimezone(UTC))
        event.add("dtstart", day.day)
        event.add("dtend", day.day + timedelta(days=1))
        name = str(activities.get(day.activity_id, ""))
        if day.reported_absent:
            event.add("summary", f"{name} - {child.first_names} (absence signalée)")
            event.add("status", "CANCELLED")
        else:
            event.add("summary", f"{name} - {child.first_names}")
            event.add("status", "CONFIRMED")
        event.add("location", str(sites.get(day.site_id, "")))
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
