"""``one_connection()``: a read's statements, raw and ORM, on one pooled connection taken
once (the mobile app's compiled calendar: token lookup and its two statements); a
transaction inside is refused rather than waiting for a second connection."""

from typing import Any

import pytest

from models.tenants import Tenant
from resolvers.core.sql import (
    OneConnectionTransaction,
    Params,
    connection,
    fetch,
    one_connection,
)
from resolvers.core.transactions import atomic
from tests.conftest import Backend
from tests.factories import make_town

pytestmark = pytest.mark.usefixtures("backend")


def count_acquisitions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The connections taken from PostgreSQL's pool from now on (one entry each)."""
    pool_class = type(connection()._pool)
    taken: list[int] = []
    original = pool_class.acquire

    def counted(pool: Any, *args: Any, **kwargs: Any) -> Any:
        taken.append(1)
        return original(pool, *args, **kwargs)

    monkeypatch.setattr(pool_class, "acquire", counted)
    return taken


async def test_statements_of_the_block_share_one_connection(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = await make_town()
    params = Params()
    sql = f"SELECT name FROM tenant WHERE id = {params(town.id)}"
    postgres = backend.name == "postgres"  # SQLite: one connection, no pool
    acquired = count_acquisitions(monkeypatch) if postgres else []

    # outside the block, each statement takes a connection and gives it back
    await fetch(sql, params)
    await Tenant.get(id=town.id)
    assert len(acquired) == (2 if postgres else 0)

    # inside, raw and ORM statements run on the one it took
    async with one_connection():
        assert await fetch(sql, params) == [{"name": town.name}]
        assert (await Tenant.get(id=town.id)).name == town.name
        await fetch(sql, params)
    assert len(acquired) == (3 if postgres else 0)


async def test_a_transaction_inside_the_block_is_refused(backend: Backend) -> None:
    town = await make_town()
    async with one_connection():
        if backend.name == "postgres":
            with pytest.raises(OneConnectionTransaction):
                async with atomic():
                    await Tenant.filter(id=town.id).update(name="jamais")
        else:  # SQLite: the block changes nothing
            async with atomic():
                await Tenant.filter(id=town.id).update(name="Ailleurs")
    # and the block's end gives the connection back: the app goes on as before
    async with atomic():
        await Tenant.filter(id=town.id).update(name="Ici")
    assert (await Tenant.get(id=town.id)).name == "Ici"
