"""News (actualités): staff publish them for everyone or for the families of a site or an
activity, between two dates; parents read what concerns them, visitors the public ones."""

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from models.accounts import Account, AccountRole
from models.bookings import Enrollment, EnrollmentStatus
from models.catalogue import Activity, Site
from models.news import News, NewsAudience
from models.tenants import Tenant
from resolvers.accounts.accounts import get_town
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import CommunicationErrorCode, DomainError, NotFound, ValidationErrors
from resolvers.core.transactions import atomic
from resolvers.households.households import household_for, require_staff


@dataclass
class NewsForm:
    title: str
    body: str
    audience: NewsAudience
    publish_from: date
    publish_until: date | None = None
    site_id: int | None = None
    activity_id: int | None = None


@dataclass
class NewsPage:
    rows: list[News]
    has_next: bool
    total: int


def town_today(tenant: Tenant, clock: Clock) -> date:
    return clock.now().astimezone(ZoneInfo(tenant.timezone)).date()


async def _checked(form: NewsForm, tenant_id: int) -> NewsForm:
    problems = []
    title, body = form.title.strip(), form.body.strip()
    if not title:
        problems.append(
            DomainError(CommunicationErrorCode.REQUIRED, "Le titre est obligatoire.", "title")
        )
    elif len(title) > 200:
        problems.append(
            DomainError(CommunicationErrorCode.INVALID, "Le titre dépasse 200 caractères.", "title")
        )
    if not body:
        problems.append(
            DomainError(CommunicationErrorCode.REQUIRED, "Le texte est obligatoire.", "body")
        )
    if form.publish_until is not None and form.publish_until < form.publish_from:
        problems.append(
            DomainError(
                CommunicationErrorCode.INVALID,
                "La fin de publication précède son début.",
                "publishUntil",
            )
        )
    site_id = activity_id = None
    if form.audience == NewsAudience.SITE:
        if form.site_id is None or not await Site.exists(id=form.site_id, tenant_id=tenant_id):
            problems.append(
                DomainError(
                    CommunicationErrorCode.REQUIRED,
                    "Choisissez le lieu dont les familles verront l'actualité.",
                    "siteId",
                )
            )
        site_id = form.site_id
    elif form.audience == NewsAudience.ACTIVITY:
        if form.activity_id is None or not await Activity.exists(
            id=form.activity_id, tenant_id=tenant_id
        ):
            problems.append(
                DomainError(
                    CommunicationErrorCode.REQUIRED,
                    "Choisissez l'activité dont les familles verront l'actualité.",
                    "activityId",
                )
            )
        activity_id = form.activity_id
    if problems:
        raise ValidationErrors(problems)
    return NewsForm(
        title, body, form.audience, form.publish_from, form.publish_until, site_id, activity_id
    )


async def publish_news(actor: Account | None, form: NewsForm, *, clock: Clock) -> News:
    """Staff: a news item, shown from its first publication day (town time)."""
    staff = require_staff(actor)
    checked = await _checked(form, staff.tenant_id)
    async with atomic():
        news = await News.create(
            tenant_id=staff.tenant_id,
            title=checked.title,
            body=checked.body,
            audience=checked.audience,
            site_id=checked.site_id,
            activity_id=checked.activity_id,
            publish_from=checked.publish_from,
            publish_until=checked.publish_until,
            created_by=staff,
            created_at=clock.now(),
        )
        await audit.record(
            "news.publish",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="news",
            target_id=news.id,
            clock=clock,
            details={"title": checked.title, "audience": checked.audience.value},
        )
    return news


async def delete_news(actor: Account | None, news_id: int, *, clock: Clock) -> None:
    """Staff: withdraw an item for good (the audit log keeps its title)."""
    staff = require_staff(actor)
    news = await News.get_or_none(id=news_id, tenant_id=staff.tenant_id)
    if news is None:
        raise NotFound("Actualité", "newsId")
    async with atomic():
        await audit.record(
            "news.delete",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="news",
            target_id=news.id,
            clock=clock,
            details={"title": news.title},
        )
        await news.delete()


async def _page(query: QuerySet[News], first: int, after_id: int | None) -> NewsPage:
    """Latest publication first; the cursor is the last item's id."""
    total = await query.count()
    if after_id is not None:
        last = await query.filter(id=after_id).first()
        if last is None:
            raise DomainError(CommunicationErrorCode.INVALID, "Curseur invalide.", "after")
        query = query.filter(
            Q(publish_from__lt=last.publish_from)
            | Q(publish_from=last.publish_from, id__lt=last.id)
        )
    rows = await query.order_by("-publish_from", "-id").limit(first + 1)
    return NewsPage(rows[:first], len(rows) > first, total)


def _published(tenant_id: int, today: date) -> QuerySet[News]:
    return News.filter(tenant_id=tenant_id, publish_from__lte=today).filter(
        Q(publish_until__isnull=True) | Q(publish_until__gte=today)
    )


async def public_news(town: str, *, first: int, after_id: int | None, clock: Clock) -> NewsPage:
    """Anyone, without logging in: the town's public news being published today."""
    tenant = await get_town(town)
    query = _published(tenant.id, town_today(tenant, clock)).filter(audience=NewsAudience.PUBLIC)
    return await _page(query, first, after_id)


async def household_news(
    actor: Account | None, household_id: int, *, first: int, after_id: int | None, clock: Clock
) -> NewsPage:
    """A family's news: public ones, and those of the sites and activities where one of its
    children has an active enrolment that has not ended."""
    household = await household_for(actor, household_id)
    tenant = await Tenant.get(id=household.tenant_id)
    today = town_today(tenant, clock)
    enrolled = await Enrollment.filter(
        child__household_id=household.id,
        status=EnrollmentStatus.ACTIVE,
        period__ends_on__gte=today,
    ).values_list("site_id", "activity_id")
    sites = sorted({site_id for site_id, _ in enrolled})
    activities = sorted({activity_id for _, activity_id in enrolled})
    concerns = Q(audience=NewsAudience.PUBLIC)
    if enrolled:
        concerns |= Q(audience=NewsAudience.SITE, site_id__in=sites)
        concerns |= Q(audience=NewsAudience.ACTIVITY, activity_id__in=activities)
    return await _page(_published(tenant.id, today).filter(concerns), first, after_id)


async def news_for(actor: Account | None, news_id: int, *, clock: Clock) -> News:
    """One item through the rule of the lists that show it (``node(id)``): staff of its
    town see any (``town_news``); others only while it is published, anyone a public one
    (``public_news``), a parent one of the sites and activities where a child of theirs has
    an active enrolment that has not ended (``household_news``). Else NOT_FOUND, whether it
    exists or not."""
    news = await News.get_or_none(id=news_id)
    if news is None:
        raise NotFound("Actualité", "id")
    if actor is not None and actor.role != AccountRole.PARENT:
        if actor.tenant_id == news.tenant_id:  # any staff role: what the town published
            return news  # another town's staff: as anyone else
    tenant = await Tenant.get(id=news.tenant_id)
    if not await _published(tenant.id, town_today(tenant, clock)).filter(id=news.id).exists():
        raise NotFound("Actualité", "id")
    if news.audience == NewsAudience.PUBLIC:
        return news
    if actor is not None:
        enrolled = Enrollment.filter(
            child__household__guardians__account_id=actor.id,
            child__household__tenant_id=tenant.id,
            status=EnrollmentStatus.ACTIVE,
            period__ends_on__gte=town_today(tenant, clock),
        )
        if news.audience == NewsAudience.SITE:
            enrolled = enrolled.filter(site_id=news.site_id)
        else:
            enrolled = enrolled.filter(activity_id=news.activity_id)
        if await enrolled.exists():
            return news
    raise NotFound("Actualité", "id")


async def town_news(actor: Account | None, *, first: int, after_id: int | None) -> NewsPage:
    """Staff: every item of the town, scheduled and expired ones included."""
    staff = require_staff(actor)
    return await _page(News.filter(tenant_id=staff.tenant_id), first, after_id)
