"""Each distinct operation text parsed and validated once per process.

A mobile app sends the same few operations all day long. Strawberry's ParserCache and
ValidationCache would do it with two lookups, the second keyed by the parsed document,
which graphql-core hashes by walking the whole tree on every request; the token and
depth/alias limits come as two more extensions. ``OperationCache`` does all four with one
lookup by the text, the limits included: a text is only ever cached after it was parsed
under the token limit and validated with every rule.
"""

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from graphql import ASTValidationRule, DocumentNode, GraphQLError
from strawberry.extensions import SchemaExtension


class _Checked(NamedTuple):
    document: DocumentNode
    errors: tuple[GraphQLError, ...]


class OperationCache(SchemaExtension):
    """Parse with ``max_tokens``, validate with the extra ``rules``, both once per text
    (the ``maxsize`` most recently used texts are kept, shared by every request).
    Syntax errors and texts over the token limit are not kept: they are parsed again."""

    # One cache per schema and set of limits, shared by the extensions built with them.
    _caches: "dict[tuple[object, ...], OrderedDict[str, _Checked]]" = {}

    def __init__(
        self, rules: Sequence[type[ASTValidationRule]], *, max_tokens: int, maxsize: int = 256
    ) -> None:
        self.rules = tuple(rules)
        self.max_tokens = max_tokens
        self.maxsize = maxsize

    @property
    def _checked(self) -> "OrderedDict[str, _Checked]":
        key = (self.execution_context.schema, self.rules, self.max_tokens)
        checked = self._caches.get(key)
        if checked is None:
            checked = self._caches[key] = OrderedDict()
        return checked

    def _lookup(self) -> _Checked | None:
        query = self.execution_context.query
        if not query:
            return None
        checked_texts = self._checked
        checked = checked_texts.get(query)
        if checked is not None:
            checked_texts.move_to_end(query)
        return checked

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        checked = self._lookup()
        if checked is not None:
            context.graphql_document = checked.document
        else:
            context.parse_options["max_tokens"] = self.max_tokens
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        checked = self._lookup()
        if checked is not None:
            context.pre_execution_errors = list(checked.errors)
            yield
            return
        context.validation_rules = (*context.validation_rules, *self.rules)
        yield
        query, document = context.query, context.graphql_document
        if query and document is not None and context.pre_execution_errors is not None:
            checked_texts = self._checked
            checked_texts[query] = _Checked(document, tuple(context.pre_execution_errors))
            while len(checked_texts) > self.maxsize:
                checked_texts.popitem(last=False)
