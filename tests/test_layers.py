"""The layers hold: HTTP → gql → resolvers → models, jobs → resolvers, never back; and inside
resolvers/, each domain package calls only the domains its docstring names ("May call: …"),
with no cycle among them.

Imports are read from the source (module level and function level alike), so a lazy import
inside a function cannot hide a dependency.
"""

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESOLVERS = ROOT / "resolvers"
DOMAINS = sorted(p.name for p in RESOLVERS.iterdir() if (p / "__init__.py").exists())

# What each top-level layer may import from the others. gql hands committed outbox rows
# to the queue (jobs.outbox, jobs.queue) and subscribes to live events (jobs.live).
ALLOWED_LAYERS = {
    "models": {"settings"},
    "resolvers": {"models", "settings"},
    "jobs": {"resolvers", "models", "settings"},
    "gql": {"resolvers", "models", "settings", "jobs"},
}
LAYERS = {"models", "resolvers", "jobs", "gql", "settings", "cli"}


def imported_modules(path: Path) -> Iterator[str]:
    """Every absolute module a file imports, at any depth of its code."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "resolvers":
                yield from (f"resolvers.{alias.name}" for alias in node.names)
            else:
                yield node.module


def sources(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.py") if "migrations" not in p.parts]


def may_call(domain: str) -> set[str]:
    """The domains a package's docstring allows it to call."""
    doc = (RESOLVERS / domain / "__init__.py").read_text()
    match = re.search(r"^May call: (.+)\.$", doc, re.M)
    assert match, f"resolvers/{domain}/__init__.py does not say which domains it may call"
    if match.group(1).startswith("nothing"):
        return set()
    return {name.strip() for name in match.group(1).split(",")}


@pytest.mark.parametrize("layer", sorted(ALLOWED_LAYERS))
def test_a_layer_imports_only_the_layers_below_it(layer: str) -> None:
    wrong = {
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sources(ROOT / layer)
        for module in imported_modules(path)
        if (top := module.split(".")[0]) in LAYERS
        and top != layer
        and top not in ALLOWED_LAYERS[layer]
    }
    assert not wrong, sorted(wrong)


def test_each_domain_calls_only_the_domains_its_docstring_names() -> None:
    wrong = set()
    for domain in DOMAINS:
        allowed = may_call(domain) | {domain}
        for path in sources(RESOLVERS / domain):
            for module in imported_modules(path):
                parts = module.split(".")
                if parts[0] == "resolvers" and len(parts) > 1 and parts[1] not in allowed:
                    wrong.add(f"{path.relative_to(ROOT)} imports {module}")
    assert not wrong, sorted(wrong)
    assert not [p.name for p in RESOLVERS.glob("*.py") if p.name != "__init__.py"], (
        "resolvers/ holds domain packages and core/ only"
    )


def test_the_domains_calls_have_no_cycle() -> None:
    graph = {domain: may_call(domain) for domain in DOMAINS}
    assert set().union(*graph.values()) <= set(DOMAINS)
    done: set[str] = set()

    def visit(domain: str, path: tuple[str, ...]) -> None:
        assert domain not in path, " → ".join((*path, domain))
        if domain in done:
            return
        for callee in graph[domain]:
            visit(callee, (*path, domain))
        done.add(domain)

    for domain in DOMAINS:
        visit(domain, ())


@pytest.mark.parametrize("package", [f"resolvers.{d}" for d in DOMAINS] + ["gql", "jobs"])
def test_each_package_imports_alone(package: str) -> None:
    """An import cycle shows only when a package is the first one imported."""
    modules = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in sources(ROOT / package.replace(".", "/"))
        if p.name != "__init__.py"
    ]
    code = "; ".join(f"import {m}" for m in [package, *modules])
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
