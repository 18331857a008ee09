"""At schema build: each mutation's error enum holds every code its operations can raise.

``to_user_errors`` looks a domain code up by value in the area's enum (``AccountErrorCode``,
``HouseholdErrorCode``…); a code left out of it would only show, when raised, as a masked
INTERNAL_SERVER_ERROR. So gql/schema.py checks every mutation under ``handles_errors``
before building the schema, and refuses to start naming the codes missing.

The codes are read from the source, not from running anything: starting from the
mutation's resolver, every function, class and module-level constant it names is followed
through the resolvers packages (and ``gql.ids``), as the imports say; the codes are the
``<Area>ErrorCode.<NAME>`` references met on the way, and those of the helper exceptions
of resolvers/core/errors.py (``NotFound``, ``Forbidden``, ``NotAuthenticated``), whose
class bodies name their ``CommonErrorCode``. Calls through an object (``row.method()``)
are not resolved; a class named anywhere brings all its methods, which covers the forms
and results the operations take and return.
"""

import ast
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from gql.errors import HandledMutation
from resolvers.core import errors as domain_errors

ROOT = Path(__file__).resolve().parent.parent
# Whose functions are followed; the gql module of the mutation itself is read too.
FOLLOWED = ("resolvers.", "gql.ids")
CODE_ENUMS: dict[str, type[Enum]] = {
    name: value
    for name, value in vars(domain_errors).items()
    if isinstance(value, type) and issubclass(value, Enum) and name.endswith("ErrorCode")
}


class ErrorCodesMissing(Exception):
    """An area's enum lacks a code its operations raise."""


@dataclass
class _Module:
    name: str
    definitions: dict[str, ast.AST] = field(default_factory=dict)
    # local name → (module, attribute); attribute None when the name is a module
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)


def _source(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


@cache
def _module(name: str) -> _Module:
    path = _source(name)
    assert path is not None, name
    tree = ast.parse(path.read_text(), filename=str(path))
    module = _Module(name)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            module.definitions[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    module.definitions[target.id] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            module.definitions[node.target.id] = node
    for found in ast.walk(tree):  # function-level imports count as well
        if isinstance(found, ast.ImportFrom) and found.module and found.level == 0:
            for alias in found.names:
                submodule = f"{found.module}.{alias.name}"
                imported: tuple[str, str | None] = (
                    (submodule, None) if _source(submodule) else (found.module, alias.name)
                )
                module.imports[alias.asname or alias.name] = imported
    return module


@dataclass
class _Names:
    """What one definition names directly: codes (with where), and definitions to follow."""

    codes: dict[str, str] = field(default_factory=dict)
    follow: set[tuple[str, str]] = field(default_factory=set)


def _names(module: _Module, node: ast.AST, where: str) -> _Names:
    names = _Names()

    def follow(target: tuple[str, str | None]) -> None:
        module_name, name = target
        if name is not None and module_name.startswith(FOLLOWED):
            names.follow.add((module_name, name))

    for child in ast.walk(node):
        if isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name):
            owner = child.value.id
            if owner in CODE_ENUMS and child.attr in CODE_ENUMS[owner].__members__:
                names.codes.setdefault(CODE_ENUMS[owner][child.attr].value, where)
            elif owner in module.imports and module.imports[owner][1] is None:
                follow((module.imports[owner][0], child.attr))
        elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
            if child.id in module.definitions:
                names.follow.add((module.name, child.id))
            elif child.id in module.imports:
                follow(module.imports[child.id])
    return names


@cache
def _named_by(module_name: str, name: str) -> _Names:
    """What a module-level definition names (a re-export: what it stands for)."""
    module = _module(module_name)
    if name in module.definitions:
        return _names(module, module.definitions[name], f"{module_name}.{name}")
    names = _Names()
    target_module, target = module.imports.get(name, ("", None))
    if target is not None and target_module.startswith(FOLLOWED):
        names.follow.add((target_module, target))
    return names


def _definition(module: _Module, qualname: str) -> ast.AST:
    """A class's method (``HouseholdMutations.link_household``) or a module's function."""
    scope = module.definitions
    node: ast.AST | None = None
    for part in qualname.split("."):
        node = scope[part]
        scope = {
            child.name: child
            for child in getattr(node, "body", [])
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        }
    assert node is not None, qualname
    return node


def raised_codes(resolver: Callable[..., Any]) -> dict[str, str]:
    """Every code the resolver's operations can raise, with where each was first met."""
    module = _module(resolver.__module__)
    root = _names(module, _definition(module, resolver.__qualname__), resolver.__qualname__)
    codes = dict(root.codes)
    seen = set(root.follow)
    todo = list(root.follow)
    while todo:
        names = _named_by(*todo.pop())
        for code, where in names.codes.items():
            codes.setdefault(code, where)
        todo += names.follow - seen
        seen |= names.follow
    return codes


def missing_codes(resolver: Callable[..., Any], codes: type[Enum]) -> dict[str, str]:
    """The codes the resolver can raise that ``codes`` lacks, with where each is raised."""
    allowed = {member.value for member in codes}
    return {code: where for code, where in raised_codes(resolver).items() if code not in allowed}


def check_error_codes(mutations: Iterable[HandledMutation]) -> None:
    """Refuse a schema whose mutations could raise a code their area's enum lacks."""
    problems = list(_problems(mutations))
    if problems:
        raise ErrorCodesMissing(
            "Codes d'erreur absents de l'enum de leur domaine : ajoutez-les dans "
            "resolvers/core/errors.py.\n" + "\n".join(problems)
        )


def _problems(mutations: Iterable[HandledMutation]) -> Iterator[str]:
    for mutation in mutations:
        codes: type[Enum] = mutation.error_type.codes  # type: ignore[attr-defined]
        for code, where in sorted(missing_codes(mutation.resolver, codes).items()):
            yield (
                f"  {mutation.resolver.__qualname__} answers {mutation.error_type.__name__}: "
                f"{codes.__name__} lacks {code} (raised in {where})"
            )
