"""Input from outside, refused at the edge, once, before any resolver runs.

- The HTTP body: JSON that is not valid UTF-8, not JSON, or not an object is a 400 with a
  GraphQL error body (``BAD_REQUEST``), like every other refusal of the HTTP view.
- Every string of an operation — literals in the document, variables (nested in input
  objects and lists) and uploaded files' names — is refused with ``INVALID`` when it holds
  a NUL character or a lone UTF-16 surrogate: PostgreSQL cannot store either, and no form
  of a family portal needs them. An ``Upload`` that is not a file of the multipart body
  (a string literal or variable) is ``INVALID`` too.
- Every list argument and list input field has a maximum (``LIST_LIMITS``, from the
  settings), appended to its description in the schema; a longer list is ``INVALID``
  with ``field`` naming it. A schema with a list position missing from ``LIST_LIMITS``
  does not build.
"""

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
)
from graphql.type.definition import GraphQLInterfaceType, GraphQLObjectType
from strawberry.extensions import SchemaExtension

from resolvers.core.errors import CommonErrorCode, DomainError
from settings import Settings

# What PostgreSQL cannot store in text and a family never types: NUL, lone surrogates.
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")
# Strawberry's file scalar: only the multipart body puts a file there.
UPLOAD_SCALAR = "Upload"
# Errors reported for one operation at most: the first ones say what to fix.
_MAX_ERRORS = 10

# The maximum of every list argument (``Type.field(argument)``) and list input field
# (``Input.field``), by the setting that holds it.
LIST_LIMITS: dict[str, Callable[[Settings], int]] = {
    "Query.calendar(childIds)": lambda s: s.input_max_ids,
    "Query.nodes(ids)": lambda s: s.input_max_ids,
    "Query.priceSimulation(pattern)": lambda s: s.input_max_items,
    "Query.townRequests(statuses)": lambda s: s.input_max_items,
    "Query.townRequests(kinds)": lambda s: s.input_max_items,
    "Mutation.setOpening(weekdays)": lambda s: s.input_max_items,
    "Query.townReenrollments(statuses)": lambda s: s.input_max_items,
    "Mutation.answerReenrollments(answers)": lambda s: s.input_max_items,
    "Mutation.decideReenrollments(acceptIds)": lambda s: s.input_max_ids,
    "Mutation.decideReenrollments(refuseIds)": lambda s: s.input_max_ids,
    "Mutation.uploadDocument(files)": lambda s: s.upload_max_files_per_request,
    "Mutation.requestFamilyQuotient(documentIds)": lambda s: s.upload_max_files_per_request,
    "Mutation.requestAppointment(preferredSlots)": lambda s: s.input_max_items,
    "Mutation.startPayment(invoiceIds)": lambda s: s.input_max_ids,
    "AbsenceInput.activityIds": lambda s: s.input_max_ids,
    "AbsenceInput.attachments": lambda s: s.upload_max_files_per_request,
    "NewAttachmentInput.files": lambda s: s.upload_max_files_per_request,
    "AttendanceInput.entries": lambda s: s.input_max_days,
    "StaffRoleInput.authorityIds": lambda s: s.input_max_ids,
    "StaffRoleInput.siteIds": lambda s: s.input_max_ids,
    "DeskPaymentInput.invoiceIds": lambda s: s.input_max_ids,
    "PesSettingsInput.activityCodes": lambda s: s.input_max_items,
    "DeskPaymentInput.allocations": lambda s: s.input_max_ids,
    "CesuInput.titleNumbers": lambda s: s.input_max_items,
    "DepositSlipInput.deskPaymentIds": lambda s: s.input_max_ids,
    "BillingAuthorityInput.dunningDays": lambda s: s.input_max_items,
    "BillingAuthorityInput.residentPostalCodes": lambda s: s.input_max_items,
    "BookingChangesInput.changes": lambda s: s.input_max_days,
    "BookingChangesInput.days": lambda s: s.input_max_items,
    "BookingChangesInput.recurrences": lambda s: s.input_max_items,
    "BookingChangesInput.sameForChildIds": lambda s: s.input_max_ids,
    "BookingDaysInput.dates": lambda s: s.input_max_days,
    "CreateHouseholdInput.guardians": lambda s: s.input_max_items,
    "CreateHouseholdInput.children": lambda s: s.input_max_items,
    "RecurrenceInput.weekdays": lambda s: s.input_max_items,
    "WeeklyChoiceInput.weekdays": lambda s: s.input_max_items,
}


def _is_list(type_: GraphQLInputType) -> bool:
    return isinstance(type_.of_type if isinstance(type_, GraphQLNonNull) else type_, GraphQLList)


def _list_positions(schema: GraphQLSchema) -> Iterator[tuple[str, Any]]:
    """Every list argument and list input field, with its coordinate."""
    for name, named in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(named, GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                if _is_list(input_field.type):
                    yield f"{name}.{field_name}", input_field
        elif isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                for arg_name, arg in field.args.items():
                    if _is_list(arg.type):
                        yield f"{name}.{field_name}({arg_name})", arg


def list_limits(schema: GraphQLSchema, settings: Settings) -> dict[str, int]:
    """The maximum of each list position, appended to its description (« At most N. »).

    Raises when a list position has no maximum: every list a client sends is bounded."""
    limits: dict[str, int] = {}
    missing = []
    for coordinate, position in _list_positions(schema):
        limit = LIST_LIMITS.get(coordinate)
        if limit is None:
            missing.append(coordinate)
            continue
        limits[coordinate] = limit(settings)
        note = f"At most {limits[coordinate]}."
        description = position.description or ""
        if note not in description:
            position.description = f"{description} {note}".strip()
    if missing:
        raise RuntimeError(f"list arguments without a maximum in gql/edge.py: {missing}")
    return limits


def _field_name(path: list[str]) -> str:
    # A mutation's single `input` argument is the form itself: its fields are named alone.
    if len(path) > 1 and path[0] == "input":
        path = path[1:]
    return ".".join(path)


class _OperationInputs:
    """Walks the arguments an operation passes (literals, variables, defaults) along their
    schema types, collecting forbidden strings and too long lists."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        limits: Mapping[str, int],
    ) -> None:
        self.schema = schema
        self.limits = limits
        self.variables = variables
        self.defaults = {
            definition.variable.name.value: definition.default_value
            for definition in operation.variable_definitions or ()
        }
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.seen_fragments: set[str] = set()
        self.errors: list[DomainError] = []

    def selections(self, parent: GraphQLNamedType | None, selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if len(self.errors) >= _MAX_ERRORS:
                return
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in self.seen_fragments:
                    continue
                self.seen_fragments.add(name)
                condition = self.schema.get_type(fragment.type_condition.name.value)
                self.selections(condition, fragment.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                condition = parent
                if selection.type_condition is not None:
                    condition = self.schema.get_type(selection.type_condition.name.value)
                self.selections(condition, selection.selection_set)
            elif isinstance(selection, FieldNode):
                fields = getattr(parent, "fields", None)
                field = fields.get(selection.name.value) if fields else None
                if field is None:
                    continue  # __typename and the like
                assert parent is not None
                for argument in selection.arguments or ():
                    arg_name = argument.name.value
                    definition = field.args.get(arg_name)
                    if definition is not None:
                        coordinate = f"{parent.name}.{selection.name.value}({arg_name})"
                        self.literal(argument.value, definition.type, coordinate, [arg_name])
                if selection.selection_set is not None:
                    self.selections(get_named_type(field.type), selection.selection_set)

    def literal(
        self, node: ValueNode, type_: GraphQLInputType, coordinate: str, path: list[str]
    ) -> None:
        if isinstance(node, VariableNode):
            name = node.name.value
            if name in self.variables:
                self.value(self.variables[name], type_, coordinate, path)
            elif self.defaults.get(name) is not None:
                default = self.defaults[name]
                assert default is not None
                self.literal(default, type_, coordinate, path)
            return
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            if isinstance(node, ListValueNode):
                self.count(len(node.values), coordinate, path)
                for item in node.values:
                    self.literal(item, type_.of_type, coordinate, path)
            else:  # one value where a list is expected: a list of one
                self.literal(node, type_.of_type, coordinate, path)
        elif isinstance(type_, GraphQLInputObjectType) and isinstance(node, ObjectValueNode):
            for object_field in node.fields:
                name = object_field.name.value
                input_field = type_.fields.get(name)
                if input_field is not None:
                    self.literal(
                        object_field.value, input_field.type, f"{type_.name}.{name}", [*path, name]
                    )
        elif getattr(type_, "name", None) == UPLOAD_SCALAR and not isinstance(node, NullValueNode):
            self.not_a_file(path)  # a file comes in the multipart body, never in the text
        elif isinstance(node, StringValueNode):
            self.text(node.value, path)
        elif isinstance(node, ListValueNode):  # a custom scalar's value
            for item in node.values:
                self.literal(item, type_, coordinate, path)
        elif isinstance(node, ObjectValueNode):
            for object_field in node.fields:
                self.literal(object_field.value, type_, coordinate, path)

    def value(self, value: Any, type_: GraphQLInputType, coordinate: str, path: list[str]) -> None:
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            if isinstance(value, list):
                self.count(len(value), coordinate, path)
                if _texts_of_leaves(type_.of_type) and _clean_texts(value):
                    return  # a submit's hundreds of dates: nothing to check one by one
                for item in value:
                    self.value(item, type_.of_type, coordinate, path)
            else:
                self.value(value, type_.of_type, coordinate, path)
        elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
            for name, item in value.items():
                input_field = type_.fields.get(name)
                if input_field is not None:
                    self.value(item, input_field.type, f"{type_.name}.{name}", [*path, name])
        elif getattr(type_, "name", None) == UPLOAD_SCALAR and value is not None:
            if isinstance(getattr(value, "filename", None), str) and hasattr(value, "read"):
                self.text(value.filename, path)
            else:
                self.not_a_file(path)
        else:
            self.any_value(value, path)

    def any_value(self, value: Any, path: list[str]) -> None:
        """A scalar's value, whatever its shape (a JSON scalar's dicts and lists too), or
        an uploaded file (its name)."""
        if isinstance(value, str):
            self.text(value, path)
        elif isinstance(value, dict):
            for key, item in value.items():
                self.any_value(key, path)
                self.any_value(item, path)
        elif isinstance(value, list):
            for item in value:
                self.any_value(item, path)

    def text(self, text: str, path: list[str]) -> None:
        if _FORBIDDEN.search(text) is not None:
            field = _field_name(path)
            self.errors.append(
                DomainError(
                    CommonErrorCode.INVALID,
                    f"« {field} » contient un caractère interdit (caractère nul ou "
                    "caractère Unicode invalide).",
                    field,
                )
            )

    def not_a_file(self, path: list[str]) -> None:
        field = _field_name(path)
        self.errors.append(
            DomainError(
                CommonErrorCode.INVALID,
                f"« {field} » attend un fichier, envoyé en multipart (GraphQL multipart request).",
                field,
            )
        )

    def count(self, length: int, coordinate: str, path: list[str]) -> None:
        limit = self.limits.get(coordinate)
        if limit is not None and length > limit:
            field = _field_name(path)
            self.errors.append(
                DomainError(
                    CommonErrorCode.INVALID,
                    f"« {field} » : {limit} éléments au plus ({length} reçus).",
                    field,
                )
            )


def _texts_of_leaves(type_: GraphQLInputType) -> bool:
    """Whether the strings of a list of this item type are only checked as text (a leaf,
    not a file)."""
    named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    return is_leaf_type(named) and getattr(named, "name", None) != UPLOAD_SCALAR


def _clean_texts(values: list[Any]) -> bool:
    """Whether ``values`` are all strings and none holds a forbidden character, searched
    at once: ``_FORBIDDEN`` matches single characters, so the joined text holds one
    exactly when a value does (then the values are checked one by one, to report each)."""
    try:
        joined = "".join(values)
    except TypeError:  # not only strings
        return False
    return _FORBIDDEN.search(joined) is None


def operation_input_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
    limits: Mapping[str, int],
) -> list[DomainError]:
    """What the operation's inputs break of the edge rules (empty: nothing)."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return []
    inputs = _OperationInputs(schema, document, operation, variables or {}, limits)
    inputs.selections(root, operation.selection_set)
    return inputs.errors[:_MAX_ERRORS]


class InputGuard(SchemaExtension):
    """Refuses an operation whose inputs break the edge rules, before it executes: the
    errors come back as GraphQL errors (``INVALID``, ``field``), and nothing is run."""

    def __init__(self, limits: Mapping[str, int]) -> None:
        self.limits = limits

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            operation = _operation(document, context.operation_name)
            if operation is not None:
                errors = operation_input_errors(
                    context.schema._schema, document, operation, context.variables, self.limits
                )
                if errors:
                    context.result = ExecutionResult(
                        data=None,
                        errors=[
                            GraphQLError(error.message, original_error=error) for error in errors
                        ],
                    )
        yield


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


# --- HTTP --------------------------------------------------------------------------------


def parse_json_object(data: str | bytes) -> dict[str, Any]:
    """A request's JSON (body, multipart ``operations`` and ``map``, GET ``variables``):
    valid UTF-8 (no lone surrogate either), valid JSON, an object. Anything else is a 400."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise HTTPException(
            400, "Corps de requête illisible : un objet JSON encodé en UTF-8 est attendu."
        ) from exc
    if not isinstance(value, dict):
        raise HTTPException(
            400,
            "Corps de requête refusé : un objet JSON est attendu "
            '({"query": …, "variables": {…}}) ; les lots de requêtes ne sont pas acceptés.',
        )
    return value
