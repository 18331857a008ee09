"""Every operation × every role × own and other town, generated from the schema.

For each root field of Query and Mutation a document is built from its arguments (required
ones and optional ids filled with ids of the town's real rows, by the type their name says),
and sent as each staff role of the town, as a parent of the town and as each staff role of
another town. A field declared in ``gql/access.py`` must answer ``FORBIDDEN`` to each role
it does not name, in either town (and to parents, unless they run it too), and anything
else to the roles it names; another town's staff never succeed on this town's rows. A field
without a declaration must not be a staff operation: neither refused to a parent as
staff-only nor failing for staff (an undeclared ``require_staff`` is a masked error).
"""

from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLUnionType,
    get_named_type,
)
from graphql.pyutils import Undefined

from gql.access import STAFF_OPERATIONS
from gql.ids import encode_id
from gql.schema import schema
from models.accounts import AccountRole, StaffAuthority, StaffSite
from models.households import Guardian
from resolvers.core.clock import FrozenClock
from tests import samples
from tests.billing_factories import make_billing_town, make_family
from tests.factories import make_account, make_town, token_for

pytestmark = pytest.mark.usefixtures("backend")

# Root fields that would end the session of the next calls.
SESSION_ENDERS = {"logout", "changePassword"}
STAFF_ROLES = (AccountRole.ADMIN, AccountRole.AGENT, AccountRole.REGISSEUR, AccountRole.SITE)
STAFF_ONLY = "Cette opération est réservée aux agents de la commune."


@dataclass
class World:
    ids: dict[str, int]
    tokens: dict[str, str]


def _type_of_id(argument: str, field: str) -> str:
    """The type an id argument names: ``householdId`` → Household, ``id`` of
    ``deleteTariff`` → Tariff (the longest known type named in the field)."""
    base = argument[:-3] if argument.endswith("Ids") else argument[:-2]
    if base:
        return base[0].upper() + base[1:]
    candidates = [t for t in schema._schema.type_map if t.lower() in field.lower()]
    return max(candidates, key=len) if candidates else "Node"


def _value(
    type_: GraphQLInputType, name: str, field: str, world: World, uploads: list[str], path: str
) -> Any:
    if isinstance(type_, GraphQLNonNull):
        return _value(type_.of_type, name, field, world, uploads, path)
    if isinstance(type_, GraphQLList):
        item = _value(type_.of_type, name, field, world, uploads, f"{path}.0")
        return [item]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {
            key: _value(sub.type, key, field, world, uploads, f"{path}.{key}")
            for key, sub in type_.fields.items()
            if isinstance(sub.type, GraphQLNonNull) and sub.default_value is Undefined
        }
    assert isinstance(type_, GraphQLScalarType)
    scalar = type_.name
    if scalar == "ID":
        kind = _type_of_id(name, field)
        return encode_id(kind, world.ids.get(kind, 999_999))
    if scalar == "Upload":
        uploads.append(path)
        return None
    return {
        "String": "x@exemple.fr" if "mail" in name.lower() else "Essai",
        "Int": 1,
        "Boolean": False,
        "Date": "2026-10-05",
        "DateTime": "2026-10-05T08:00:00+00:00",
        "CalendarDay": "2026-10-05",
    }[scalar]


def _selection(type_: GraphQLOutputType) -> str:
    named = get_named_type(type_)
    if isinstance(named, GraphQLObjectType):
        errors = named.fields.get("errors")
        if errors is not None:
            return "{ __typename errors { code } }"
        return "{ __typename }"
    if isinstance(named, GraphQLUnionType):
        return "{ __typename }"
    if not isinstance(named, (GraphQLScalarType, GraphQLEnumType)):
        return "{ __typename }"
    return ""


def document(
    kind: str, name: str, field: GraphQLField, world: World
) -> tuple[str, dict[str, Any], list[str]]:
    uploads: list[str] = []
    variables: dict[str, Any] = {}
    definitions, arguments = [], []
    for arg_name, argument in field.args.items():
        # Required arguments, and optional ids (a site member's forecast names their site).
        named = get_named_type(argument.type)
        if not isinstance(argument.type, GraphQLNonNull) and named.name != "ID":
            continue
        variables[arg_name] = _value(argument.type, arg_name, name, world, uploads, arg_name)
        definitions.append(f"${arg_name}: {argument.type}")
        arguments.append(f"{arg_name}: ${arg_name}")
    head = f"({', '.join(definitions)})" if definitions else ""
    call = f"({', '.join(arguments)})" if arguments else ""
    return f"{kind} Matrix{head} {{ {name}{call} {_selection(field.type)} }}", variables, uploads


async def send(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], uploads: list[str], token: str
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}", "Apollo-Require-Preflight": "true"}
    if uploads:
        mapping = {str(i): [f"variables.{path}"] for i, path in enumerate(uploads)}
        response = await http.post(
            "/graphql",
            data={
                "operations": orjson.dumps({"query": query, "variables": variables}).decode(),
                "map": orjson.dumps(mapping).decode(),
            },
            files={str(i): ("essai.pdf", samples.pdf()) for i in range(len(uploads))},
            headers=headers,
        )
    else:
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    body: dict[str, Any] = response.json()
    return body


def codes(answer: dict[str, Any]) -> set[str]:
    """Every error code of an answer: top-level errors and payload errors."""
    found = {str((e.get("extensions") or {}).get("code")) for e in answer.get("errors") or []}
    for value in (answer.get("data") or {}).values():
        if isinstance(value, dict):
            found |= {str(e.get("code")) for e in value.get("errors") or []}
    return found


def succeeded(answer: dict[str, Any]) -> bool:
    """No error and something answered (an empty list of another town's rows leaks none)."""
    return not codes(answer) and any(
        v not in (None, []) for v in (answer.get("data") or {}).values()
    )


async def make_world(clock: FrozenClock) -> World:
    town = await make_billing_town(clock)
    family = await make_family(town, clock)
    tenant = town.tenant
    accounts = {role.value: await make_account(tenant, clock, role=role) for role in STAFF_ROLES}
    await StaffAuthority.create(account=accounts["regisseur"], authority=town.authority)
    await StaffSite.create(account=accounts["site"], site=town.catalogue.site)
    accounts["parent"] = family.parent
    elsewhere = await make_town()
    for role in STAFF_ROLES:
        accounts[f"elsewhere-{role.value}"] = await make_account(elsewhere, clock, role=role)
    colleague = await make_account(tenant, clock, role=AccountRole.AGENT)
    guardian = await Guardian.filter(household=family.household).first()
    assert guardian is not None
    ids = {
        "Household": family.household.id,
        "Child": family.child_id,
        "Guardian": guardian.id,
        "Site": town.catalogue.site.id,
        "Activity": town.catalogue.canteen.id,
        "Period": town.catalogue.period.id,
        "BillingAuthority": town.authority.id,
        "Authority": town.authority.id,
        # A colleague the staff operations act on (disabled, enabled…), not one of the callers.
        "Account": colleague.id,
        "StaffMember": colleague.id,
    }
    tokens = {key: await token_for(account, clock) for key, account in accounts.items()}
    return World(ids, tokens)


def root_fields() -> list[tuple[str, str, GraphQLField]]:
    found = []
    for kind, root in (
        ("query", schema._schema.query_type),
        ("mutation", schema._schema.mutation_type),
    ):
        assert root is not None
        found += [
            (kind, name, field) for name, field in root.fields.items() if name not in SESSION_ENDERS
        ]
    return found


async def test_every_operation_every_role_own_and_other_town(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    world = await make_world(clock)
    problems: list[str] = []
    # Mutations last, refused callers first: what the allowed ones change cannot hide a refusal.
    for kind, name, field in sorted(root_fields(), key=lambda f: f[0] == "mutation"):
        query, variables, uploads = document(kind, name, field, world)
        access = STAFF_OPERATIONS.get(name)

        async def ask(
            who: str,
            query: str = query,
            variables: dict[str, Any] = variables,
            call_uploads: list[str] = uploads,
        ) -> dict[str, Any]:
            return await send(http, query, variables, call_uploads, world.tokens[who])

        if access is None:
            parent = await ask("parent")
            if any(e.get("message") == STAFF_ONLY for e in parent.get("errors") or []) or (
                "FORBIDDEN" in codes(parent)
            ):
                problems.append(f"{name}: refused to parents but declares no staff roles")
            for role in STAFF_ROLES:
                if "INTERNAL_SERVER_ERROR" in codes(await ask(role.value)):
                    problems.append(
                        f"{name}: masked error for {role.name} (undeclared staff operation?)"
                    )
            continue
        refused = [r for r in STAFF_ROLES if r not in access.roles]
        allowed = [r for r in STAFF_ROLES if r in access.roles]
        parent = await ask("parent")
        if not access.parents and codes(parent) != {"FORBIDDEN"}:
            problems.append(f"{name}: parent got {codes(parent) or 'success'}, not FORBIDDEN")
        # Before the town's own staff run it: a mutation they make succeed must still be
        # refused to the other town.
        for role in STAFF_ROLES:
            elsewhere = await ask(f"elsewhere-{role.value}")
            if role in refused and codes(elsewhere) != {"FORBIDDEN"}:
                problems.append(f"{name}: {role.name} of another town got {codes(elsewhere)}")
            if _names_rows(variables, world) and succeeded(elsewhere):
                problems.append(f"{name}: {role.name} of another town got this town's rows")
        for role in refused:
            got = codes(await ask(role.value))
            if got != {"FORBIDDEN"}:
                problems.append(f"{name}: {role.name} got {got or 'success'}, not FORBIDDEN")
        for role in allowed:
            got = codes(await ask(role.value))
            if "FORBIDDEN" in got or "INTERNAL_SERVER_ERROR" in got:
                problems.append(f"{name}: {role.name} is declared but got {got}")
    assert not problems, "\n".join(problems)


def _names_rows(variables: dict[str, Any], world: World) -> bool:
    """Whether the call names rows of the town (one of its ids anywhere in the variables)."""
    text = orjson.dumps(variables).decode()
    return any(encode_id(kind, pk) in text for kind, pk in world.ids.items())


# Operations shared by parents and staff that a régisseur runs for billing: a family's bills,
# payments, refunds, mandates and tax certificates (``roles.FamilyData.BILLING``).
REGISSEUR_SHARED = {
    "invoices",
    "unpaidInvoiceCount",
    "taxCertificates",
    "payments",
    "paymentsConnection",
    "householdCredit",
    "creditRefunds",
    "sepaMandates",
    "sepaMandatesConnection",
    "setDirectDebit",
}
# A generated input the operation refuses before deciding access (an id of the wrong type)
# is a refusal too: nothing of the family is answered.
REFUSALS = ({"FORBIDDEN"}, {"INVALID"})


async def test_shared_operations_refuse_site_members_and_give_regisseurs_the_bills_only(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    """Every operation parents run too (no declaration) that names one of the family's rows:
    a site member is refused (attendance sheets and kitchen forecasts are theirs, not family
    files), a régisseur too unless it is billing; an agent is never refused."""
    world = await make_world(clock)
    family_rows = {key: world.ids[key] for key in ("Household", "Child", "Guardian")}
    problems: list[str] = []
    for kind, name, field in sorted(root_fields(), key=lambda f: f[0] == "mutation"):
        if name in STAFF_OPERATIONS:
            continue
        query, variables, uploads = document(kind, name, field, world)
        text = orjson.dumps(variables).decode()
        if not any(encode_id(k, pk) in text for k, pk in family_rows.items()):
            continue
        site = codes(await send(http, query, variables, uploads, world.tokens["site"]))
        if site not in REFUSALS:
            problems.append(f"{name}: SITE got {site or 'success'}, not FORBIDDEN")
        regisseur = codes(await send(http, query, variables, uploads, world.tokens["regisseur"]))
        if name in REGISSEUR_SHARED and "FORBIDDEN" in regisseur:
            problems.append(f"{name}: REGISSEUR refused a billing operation")
        if name not in REGISSEUR_SHARED and regisseur not in REFUSALS:
            problems.append(f"{name}: REGISSEUR got {regisseur or 'success'}, not FORBIDDEN")
    assert not problems, "\n".join(problems)
