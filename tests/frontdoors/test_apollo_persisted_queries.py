"""Apollo Client's automatic persisted queries link, pinned in tests/clients, against the
real app: a miss, the document sent once, then the hash alone over a cacheable GET."""

from gql.persisted import _Known
from resolvers.core.clock import FrozenClock
from tests.conftest import Backend
from tests.factories import make_town
from tests.frontdoors.conftest import NodeStarter


async def test_apollo_persisted_query_link_misses_once_then_sends_the_hash(
    backend: Backend, clock: FrozenClock, live_url: str, node: NodeStarter
) -> None:
    town = await make_town()
    _Known.texts.clear()  # this process met the document in the other backend's run
    script = await node(
        "apollo_persisted_queries.mjs", {"FAMILLE_URL": live_url, "TOWN": town.slug}
    )
    result = await script.receive()
    await script.finish()

    catalogue = {"catalogue": {"__typename": "Catalogue", "activities": []}}
    assert result["first"] == result["second"] == catalogue
    miss, resent, hit = result["requests"]
    # the hash alone, over GET: unknown, so Apollo's link sends the document by POST…
    assert (miss["method"], miss["query"], miss["status"]) == ("GET", False, 200)
    assert miss["cacheControl"] == "private, no-store"
    assert (resent["method"], resent["query"], resent["status"]) == ("POST", True, 200)
    # …and the next read is the hash alone again, over GET, which a CDN may keep
    assert (hit["method"], hit["query"], hit["status"]) == ("GET", False, 200)
    assert hit["cacheControl"] == "public, max-age=60"
    assert miss["hash"] == resent["hash"] == hit["hash"]
