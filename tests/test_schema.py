"""The schema is a product: committed, described everywhere, and migrations match it."""

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    build_schema,
)
from tortoise import connections

from gql.schema import export_sdl

ROOT = Path(__file__).parent.parent


def test_committed_schema_is_up_to_date() -> None:
    assert (ROOT / "schema.graphql").read_text() == export_sdl(), (
        "schema.graphql is stale: run `famille export-schema`"
    )


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    """Walks the exported schema, as clients and GraphiQL's Docs read it."""
    exported = build_schema((ROOT / "schema.graphql").read_text())
    missing = []
    for name, graphql_type in exported.type_map.items():
        if name.startswith("__") or name in {"String", "Boolean", "Int", "Float", "ID"}:
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(graphql_type, GraphQLEnumType):
            missing += [
                f"{name}.{value_name}"
                for value_name, value in graphql_type.values.items()
                if not value.description
            ]
        if isinstance(
            graphql_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
        ):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
    assert missing == []
    day_status = exported.type_map["DayStatus"]
    assert isinstance(day_status, GraphQLEnumType) and len(day_status.values) > 1


async def test_migrations_built_every_table_from_zero(backend: object) -> None:
    expected = {
        "tenant",
        "account",
        "account_token",
        "login_attempt",
        "household",
        "guardian",
        "child",
        "contact",
        "access_key",
        "request",
        "request_event",
        "audit_entry",
        "outbox_job",
    }
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        sql = "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    _, rows = await connection.execute_query(sql)
    assert expected <= {row["name"] for row in rows}
