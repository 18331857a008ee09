"""News (actualités) as a town publishes them and families read them: public ones for
anyone, targeted ones for the families of a site or activity, within their dates."""

from datetime import UTC, datetime
from typing import Any

from gql.ids import encode_id
from models.catalogue import SiteKind
from models.households import Guardian
from resolvers.calendar.catalogue import create_site
from resolvers.core.clock import FrozenClock
from tests.conftest import GraphQL
from tests.factories import make_account, make_household, token_for
from tests.ops_factories import OpsTown, make_ops_town

PUBLISH = """
mutation($input: NewsInput!) {
  publishNews(input: $input) { news { id title audience siteId } errors { code field message } }
}
"""
DELETE = """
mutation($id: ID!) { deleteNews(newsId: $id) { deletedId errors { code message } } }
"""
FAMILY = """
query($householdId: ID!, $first: Int, $after: String) {
  news(householdId: $householdId, first: $first, after: $after) {
    totalCount nodes { title body publishFrom } pageInfo { hasNextPage endCursor }
  }
}
"""
PUBLIC = """
query($town: String!) { publicNews(town: $town) { totalCount nodes { title } } }
"""
STAFF = "{ townNews(first: 100) { totalCount nodes { title } } }"


async def newsroom(api: GraphQL, clock: FrozenClock) -> tuple[OpsTown, str]:
    """Six items on 23 November: three concern the Durand family, one every visitor."""
    town = await make_ops_town(clock)
    token = await token_for(town.staff, clock)
    pasteur = await create_site(town.staff, "École Pasteur", SiteKind.SCHOOL, "", clock=clock)
    jaures = encode_id("Site", town.catalogue.site.id)
    canteen = encode_id("Activity", town.catalogue.canteen.id)
    for title, audience, start, end, target in (
        ("Menus de décembre", "PUBLIC", "2026-11-20", None, {}),
        ("Sortie au musée", "SITE", "2026-11-22", "2026-11-30", {"siteId": jaures}),
        ("Repas de Noël", "ACTIVITY", "2026-11-23", None, {"activityId": canteen}),
        ("Travaux", "SITE", "2026-11-21", None, {"siteId": encode_id("Site", pasteur.id)}),
        ("Inscriptions d'été", "PUBLIC", "2026-12-05", None, {}),
        ("Fête d'automne", "PUBLIC", "2026-11-01", "2026-11-15", {}),
    ):
        result = await api(
            PUBLISH,
            {
                "input": {
                    "title": title,
                    "body": f"{title} : détails à venir.",
                    "audience": audience,
                    "publishFrom": start,
                    "publishUntil": end,
                    **target,
                }
            },
            token=token,
        )
        assert result["data"]["publishNews"]["errors"] == [], result
    return town, token


def titles(result: dict[str, Any], field: str = "news") -> list[str]:
    assert "errors" not in result, result
    return [node["title"] for node in result["data"][field]["nodes"]]


async def test_a_family_reads_what_concerns_it_page_by_page(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, _ = await newsroom(api, clock)
    token = await token_for(town.parents["Durand"], clock)
    household_id = encode_id("Household", town.households["Durand"].id)

    first = await api(FAMILY, {"householdId": household_id, "first": 2}, token=token)

    assert titles(first) == ["Repas de Noël", "Sortie au musée"]
    assert first["data"]["news"]["totalCount"] == 3
    page_info = first["data"]["news"]["pageInfo"]
    assert page_info["hasNextPage"] is True
    second = await api(
        FAMILY,
        {"householdId": household_id, "first": 2, "after": page_info["endCursor"]},
        token=token,
    )
    assert titles(second) == ["Menus de décembre"]
    assert second["data"]["news"]["pageInfo"]["hasNextPage"] is False

    # On 1 December the museum trip is over; on 5 December the summer item appears.
    clock.current = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    later = await api(FAMILY, {"householdId": household_id}, token=token)
    assert titles(later) == ["Repas de Noël", "Menus de décembre"]
    clock.current = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)  # 5 December, 00:30 in Paris
    assert titles(await api(FAMILY, {"householdId": household_id}, token=token))[0] == (
        "Inscriptions d'été"
    )


async def test_a_family_without_enrolment_and_a_visitor_read_public_news_only(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, staff_token = await newsroom(api, clock)
    household = await make_household(town.staff, clock, children=1, guardians=1)
    parent = await make_account(town.tenant, clock)
    await Guardian.filter(household=household).update(account_id=parent.id)
    token = await token_for(parent, clock)

    family = await api(FAMILY, {"householdId": encode_id("Household", household.id)}, token=token)
    visitor = await api(PUBLIC, {"town": town.tenant.slug})
    staff = await api(STAFF, token=staff_token)

    assert titles(family) == ["Menus de décembre"]
    assert titles(visitor, "publicNews") == ["Menus de décembre"]
    assert staff["data"]["townNews"]["totalCount"] == 6
    unknown = await api(PUBLIC, {"town": "nulle-part"})
    assert unknown["errors"][0]["extensions"]["code"] == "UNKNOWN_TOWN"


async def test_publishing_is_checked_and_reserved_to_staff(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, token = await newsroom(api, clock)
    parent_token = await token_for(town.parents["Durand"], clock)
    base = {"title": "Info", "body": "Texte", "audience": "PUBLIC", "publishFrom": "2026-11-23"}

    missing_site = await api(PUBLISH, {"input": {**base, "audience": "SITE"}}, token=token)
    assert missing_site["data"]["publishNews"]["errors"] == [
        {
            "code": "REQUIRED",
            "field": "siteId",
            "message": "Choisissez le lieu dont les familles verront l'actualité.",
        }
    ]
    several = await api(
        PUBLISH,
        {"input": {**base, "title": " ", "publishUntil": "2026-11-01"}},
        token=token,
    )
    assert [(e["code"], e["field"]) for e in several["data"]["publishNews"]["errors"]] == [
        ("REQUIRED", "title"),
        ("INVALID", "publishUntil"),
    ]
    by_parent = await api(PUBLISH, {"input": base}, token=parent_token)
    assert by_parent["data"]["publishNews"]["errors"][0]["code"] == "FORBIDDEN"
    other_family = await api(
        FAMILY, {"householdId": encode_id("Household", town.households["Petit"].id)},
        token=parent_token,
    )  # fmt: skip
    assert other_family["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    created = await api(PUBLISH, {"input": base}, token=token)
    news_id = created["data"]["publishNews"]["news"]["id"]
    assert (await api(DELETE, {"id": news_id}, token=parent_token))["data"]["deleteNews"]["errors"][
        0
    ]["code"] == "FORBIDDEN"
    deleted = await api(DELETE, {"id": news_id}, token=token)
    assert deleted["data"]["deleteNews"] == {"deletedId": news_id, "errors": []}
    again = await api(DELETE, {"id": news_id}, token=token)
    assert again["data"]["deleteNews"]["errors"][0]["code"] == "NOT_FOUND"
