"""Migrations form one line: numbered without gaps or twins, each depending on the one
before, so two branches that each added a migration cannot both land unnoticed (Tortoise
would see two heads and refuse to migrate)."""

import ast
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent.parent / "models" / "migrations"


def dependencies(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "dependencies" for target in node.targets
        ):
            return [name for _app, name in ast.literal_eval(node.value)]
    return []


def test_migrations_form_one_numbered_line() -> None:
    files = sorted(p for p in MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))
    numbers = [int(p.name[:4]) for p in files]
    assert numbers == list(range(1, len(files) + 1)), [p.name for p in files]
    assert dependencies(files[0]) == []
    for previous, current in zip(files, files[1:], strict=False):
        assert dependencies(current) == [previous.stem], current.name
