"""A compiled document's root arguments, from the request's variables to the keyword
arguments its function receives, as the general executor makes them: graphql-core's
coercion of each variable (``coerce_input_value``), its ``get_argument_values``, then
Strawberry's conversion (``convert_argument``) and the field extensions' reshaping.

What depends on the document alone is done once, when it is compiled: each variable's
signature (graphql-core reads the type from the AST on every request), whether its type
is shallow enough to need no nesting check, and for each argument whether Strawberry's
conversion leaves the value as it is (a scalar, an enum, a list of them: most of the
calendar's arguments). Measured in process: a month calendar's from 95 to 26 µs (of the
1.7 ms of CPU it costs the server), a one-day submit's from 135 to 73 µs, a 178-day
submit's coercion from 512 to 287 µs (bench/README.md).

Valid variables only: a variable missing, null where it may not be, or of the wrong
shape makes ``coerce`` answer None, and the general executor reports it with its own
errors. tests/gql/test_compiled_arguments.py compares both on random variables.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    OperationDefinitionNode,
    Undefined,
    coerce_input_value,
)
from graphql.execution.get_variable_signature import (
    GraphQLVariableSignature,
    get_variable_signature,
)
from graphql.execution.values import VariableValues, VariableValueSource, get_argument_values
from graphql.language import FieldNode
from graphql.language.parser import MAX_NESTING_DEPTH
from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import convert_argument
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryOptional,
    StrawberryType,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.field import StrawberryField

from gql.schema import schema

# One argument's conversion: None when Strawberry leaves the value as it is.
Converter = Callable[[Any], Any] | None


def _depth(type_: GraphQLInputType, seen: frozenset[str] = frozenset()) -> float:
    """How deep ``coerce_input_value`` can recurse into a value of ``type_`` (infinite for
    an input type that contains itself)."""
    if isinstance(type_, GraphQLNonNull | GraphQLList):
        return 1 + _depth(type_.of_type, seen)
    if isinstance(type_, GraphQLInputObjectType):
        if type_.name in seen:
            return float("inf")
        inner = [_depth(field.type, seen | {type_.name}) for field in type_.fields.values()]
        return 1 + max(inner, default=0)
    return 0


def _leaf(type_: StrawberryType | type) -> bool:
    """A type whose value Strawberry's ``convert_argument`` returns as it is: a scalar
    (not relay's GlobalID, which it decodes) or an enum (graphql-core made the member)."""
    if type_ is GlobalID:
        return False
    return (
        is_scalar(type_, schema.schema_converter.scalar_registry)
        or isinstance(type_, StrawberryEnumDefinition)
        or has_enum_definition(type_)
    )


class _NotCompiled(Exception):
    """A type whose conversion stays Strawberry's: an input type (the change set's has
    its own ``from_input`` hook already), a ``Maybe``, a lazy type, relay's GlobalID."""


def _copy(value: Any) -> Any:
    return None if value is None else list(value)


def _compiled(type_: StrawberryType | type) -> Converter:
    """What ``convert_argument`` does to a value of ``type_``, decided once: None when it
    returns the value as it is (a leaf, or a nullable one), a list copy for a list of
    leaves (it copies those); ``_NotCompiled`` where it does more."""
    if isinstance(type_, StrawberryMaybe):
        raise _NotCompiled
    if isinstance(type_, StrawberryOptional):
        return _compiled(type_.of_type)  # every converter here passes None through
    if _leaf(type_):
        return None
    if isinstance(type_, StrawberryList):
        if _compiled(type_.of_type) is None:
            return _copy
    raise _NotCompiled


def _converter(name: str, type_: StrawberryType | type) -> Converter:
    """The conversion of the argument ``name`` (its GraphQL name) of Strawberry type
    ``type_``: compiled (``_compiled``), or else Strawberry's own, called as the executor
    calls it."""
    try:
        return _compiled(type_)
    except _NotCompiled:
        return partial(
            convert_argument,
            type_=type_,
            scalar_registry=schema.schema_converter.scalar_registry,
            config=schema.config,
            path=(name,),
        )


@dataclass(frozen=True)
class Arguments:
    """A compiled document's variables and root arguments (``compile``)."""

    signatures: tuple[GraphQLVariableSignature, ...]
    field_def: GraphQLField
    root: FieldNode
    # (GraphQL name, Python name, conversion) of each argument the root field declares.
    converters: tuple[tuple[str, str, Converter], ...]
    field: StrawberryField

    @classmethod
    def compile(
        cls,
        operation: OperationDefinitionNode,
        field_def: GraphQLField,
        root: FieldNode,
        field: StrawberryField,
    ) -> "Arguments":
        """The document's arguments; ValueError for a variable with a default or of a type
        deep enough to need graphql-core's nesting check (none of the shipped ones)."""
        signatures = []
        for node in operation.variable_definitions or ():
            signature = get_variable_signature(schema._schema, node)
            if not isinstance(signature, GraphQLVariableSignature) or node.default_value:
                raise ValueError(f"${node.variable.name.value}: a default value, or no type")
            if _depth(signature.type) > MAX_NESTING_DEPTH:
                raise ValueError(f"${signature.name}: nested too deeply for the compiled path")
            signatures.append(signature)
        converters = []
        for argument in field.arguments:
            assert argument.python_name
            name = schema.config.name_converter.from_argument(argument)
            converters.append((name, argument.python_name, _converter(name, argument.type)))
        return cls(tuple(signatures), field_def, root, tuple(converters), field)

    def coerce(self, variables: Mapping[str, Any]) -> VariableValues | None:
        """The variables coerced as graphql-core's ``get_variable_values`` coerces valid
        ones, or None (the general executor then reports its errors)."""
        sources: dict[str, VariableValueSource] = {}
        coerced: dict[str, Any] = {}
        for signature in self.signatures:
            name, type_ = signature.name, signature.type
            value = variables.get(name, Undefined)
            if value is Undefined:
                if isinstance(type_, GraphQLNonNull):
                    return None
                sources[name] = VariableValueSource(signature)  # omitted, as graphql-core
                continue
            sources[name] = VariableValueSource(signature, value)
            coerced_value = coerce_input_value(value, type_)
            if coerced_value is Undefined:
                return None
            coerced[name] = coerced_value
        return VariableValues(sources, coerced)

    def kwargs(self, coerced: VariableValues) -> dict[str, Any]:
        """The root field's arguments by their Python names, as its resolver receives
        them (graphql-core's values, the arguments' defaults included, then Strawberry's
        conversion and the field extensions' reshaping)."""
        values = get_argument_values(self.field_def, self.root, coerced)
        kwargs = {}
        for name, python_name, convert in self.converters:
            if name in values:
                value = values[name]
                kwargs[python_name] = value if convert is None else convert(value)
        for extension in self.field.extensions:
            kwargs = extension.map_arguments(kwargs)
        return kwargs
