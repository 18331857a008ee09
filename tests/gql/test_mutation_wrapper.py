"""The mutation wrapper: a domain failure becomes the payload's errors and rolls back what
the mutation wrote; atomic=False keeps it; operations' own atomic() blocks join it."""

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from gql.errors import HANDLED, HouseholdError, handles_errors
from models.tenants import Tenant
from resolvers.core.errors import DomainError, HouseholdErrorCode, NotFound
from resolvers.core.transactions import atomic, in_atomic_block
from tests.conftest import Backend
from tests.factories import make_town


@strawberry.type(description="Test payload.")
class RenamePayload:
    name: str | None = None
    errors: list[HouseholdError] = strawberry.field(default_factory=list)


def _renaming(*, atomic_mutation: bool, fail: bool) -> Callable[[int], Awaitable[Any]]:
    async def rename(tenant_id: int) -> RenamePayload:
        assert in_atomic_block() is atomic_mutation
        async with atomic():  # an operation's own block: joins the mutation's
            await Tenant.filter(id=tenant_id).update(name="Renommée")
        if fail:
            raise DomainError(HouseholdErrorCode.REFERENCE_TAKEN, "Déjà pris.", "reference")
        return RenamePayload(name="Renommée")

    wrapped = handles_errors(atomic=atomic_mutation)(rename)
    HANDLED.pop()  # not a schema mutation: the schema-build check does not read it
    return wrapped


async def test_a_refused_mutation_answers_its_errors_and_wrote_nothing(backend: Backend) -> None:
    town = await make_town()
    payload = await _renaming(atomic_mutation=True, fail=True)(town.id)
    assert payload.name is None
    [error] = payload.errors
    assert (error.code, error.field) == (HouseholdErrorCode.REFERENCE_TAKEN, "reference")
    assert (await Tenant.get(id=town.id)).name == town.name

    done = await _renaming(atomic_mutation=True, fail=False)(town.id)
    assert (done.name, done.errors) == ("Renommée", [])
    assert (await Tenant.get(id=town.id)).name == "Renommée"


async def test_a_non_atomic_mutation_keeps_what_it_wrote_before_failing(
    backend: Backend,
) -> None:
    town = await make_town()
    payload = await _renaming(atomic_mutation=False, fail=True)(town.id)
    assert [e.code for e in payload.errors] == [HouseholdErrorCode.REFERENCE_TAKEN]
    assert (await Tenant.get(id=town.id)).name == "Renommée"


async def test_common_codes_map_onto_the_area_enum(backend: Backend) -> None:
    async def missing() -> RenamePayload:
        raise NotFound("Foyer", "householdId")

    wrapped = handles_errors()(missing)
    HANDLED.pop()
    [error] = (await wrapped()).errors
    assert error.code is HouseholdErrorCode.NOT_FOUND
    assert error.message == "Foyer introuvable."
